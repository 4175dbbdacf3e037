/* --model and --check come from the user's command line: any terms must select checks the way
 * the usage error promises. Over the simulator's three-model pipeline, each input line is a
 * term ("m:" before a slug makes it a --model).
 * What must hold: no selection problem means at least one selected check or conversion, and
 * every check the expansion lists is one the selection takes. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "selection.h"
#include "util.h"

static pipeline *simulator_pipeline(void)
{
    static pipeline *pl;
    if (!pl) {
        tmgt_error err = {{0}};
        pl = pipeline_load("tests/sim/pipeline.json", &err);
        if (!pl)
            abort(); /* run from the repository root, as ci/run-fuzz.sh does */
    }
    return pl;
}

static void add_term(char ***list, size_t *n, const char *text, size_t len)
{
    *list = xrealloc(*list, (*n + 1) * sizeof **list);
    (*list)[(*n)++] = xstrndup(text, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pipeline *pl = simulator_pipeline();
    char *text = fuzz_cstring(data, size);
    selection sel = {0};
    for (const char *line = text; *line;) {
        size_t len = strcspn(line, "\n");
        if (len >= 2 && strncmp(line, "m:", 2) == 0)
            add_term(&sel.models, &sel.n_models, line + 2, len - 2);
        else
            add_term(&sel.suites, &sel.n_suites, line, len);
        line += len + (line[len] == '\n');
    }
    char *problem = selection_problem(&sel, pl);
    check_list checks = {0};
    selection_expand(&sel, pl, &checks);
    size_t conversions = 0;
    for (size_t m = 0; m < pl->n_models; m++)
        for (size_t a = 0; selection_takes_model(&sel, pl->models[m].slug) && a < pl->n_artifacts; a++)
            conversions += selection_takes_conversion(&sel, pl, pl->models[m].slug, pl->artifacts[a].name);
    if (!problem && checks.count + conversions == 0)
        abort(); /* an empty selection must be the usage error, never a run of nothing */
    for (size_t i = 0; i < checks.count; i++)
        if (!selection_takes_check(&sel, pl, checks.items[i].suite, checks.items[i].name))
            abort();
    check_list_free(&checks);
    free(problem);
    for (size_t i = 0; i < sel.n_models; i++)
        free(sel.models[i]);
    for (size_t i = 0; i < sel.n_suites; i++)
        free(sel.suites[i]);
    free(sel.models);
    free(sel.suites);
    free(text);
    return 0;
}
