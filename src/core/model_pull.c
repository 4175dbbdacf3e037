#include "model_pull.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exit_code.h"
#include "hub_env.h"
#include "hub_pull.h"

size_t selected_sources(const pipeline *pl, const selection *sel, char ***uris)
{
    size_t n = 0;
    for (size_t i = 0; i < pl->n_models; i++) {
        const pipeline_model *m = &pl->models[i];
        bool chosen = sel->n_models == 0;
        for (size_t j = 0; j < sel->n_models && !chosen; j++)
            chosen = !strcmp(sel->models[j], m->slug);
        for (size_t j = 0; j < n && chosen; j++)
            chosen = strcmp((*uris)[j], m->source) != 0;
        if (chosen && !strncmp(m->source, "hf://", 5)) {
            *uris = xrealloc(*uris, (n + 1) * sizeof **uris);
            (*uris)[n++] = m->source;
        }
    }
    return n;
}

int pull_sources(char *const *uris, size_t n, cache *c, bool quiet, FILE *out)
{
    hub_pull_opts po = {.progress = !quiet && isatty(2), .cas = c};
    hub_pull_stats st;
    size_t failed = hub_pull(uris, n, &po, &st);
    if (!quiet)
        fprintf(out,
                "pull: %zu of %zu repositories ready; %zu files: %zu downloaded (%" PRIu64
                " bytes), %zu already cached%s\n",
                st.repos, n, st.files, st.downloaded, st.bytes, st.reused, hub_offline() ? " (offline)" : "");
    return st.interrupted ? EXIT_INTERRUPTED : failed ? EXIT_ENV : EXIT_OK;
}

int pull_selected_models(const pipeline *pl, const selection *sel, cache *c, bool quiet, FILE *out)
{
    char **uris = NULL;
    size_t n = selected_sources(pl, sel, &uris);
    int rc = n ? pull_sources(uris, n, c, quiet, out) : EXIT_OK;
    free(uris);
    return rc;
}
