/* Pipeline files are edited by hand: every malformed one must be a one-line error. The input is
 * written two directories deep in the scratch directory, with the prompt files of the shipped
 * pipelines beside both bases they use ("..": pipeline/, "../..": tests/sim/), so that their
 * mutants get past the prompts to the reference and cycle checks. */
#include <stdlib.h>

#include "fuzz_util.h"
#include "fs.h"
#include "pipeline.h"
#include "util.h"

static void write_prompts(const char *base)
{
    static const char *const names[] = {"arithmetic", "code", "completion", "greeting"};
    char *dir = path_join(base, "prompts");
    tmgt_error err = {{0}};
    if (mkdir_p(dir, 0755, &err) != 0)
        abort();
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char *file = xasprintf("%s/%s.txt", dir, names[i]);
        fuzz_write_file(file, (const uint8_t *)"What is 2+2? Answer:\n", 21);
        free(file);
    }
    free(dir);
}

static char *pipeline_file(void)
{
    static char *path;
    if (!path) {
        char *outer = path_join(fuzz_scratch_dir(), "a");
        char *inner = path_join(outer, "b");
        tmgt_error err = {{0}};
        if (mkdir_p(inner, 0755, &err) != 0)
            abort();
        write_prompts(fuzz_scratch_dir());
        write_prompts(outer);
        path = path_join(inner, "pipeline.json");
        free(inner);
        free(outer);
    }
    return path;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = pipeline_file();
    fuzz_write_file(path, data, size);
    tmgt_error err = {{0}};
    pipeline *p = pipeline_load(path, &err);
    if (p) {
        for (size_t i = 0; i < p->n_models; i++)
            free(pipeline_path(p, p->models[i].source));
        pipeline_free(p);
    }
    return 0;
}
