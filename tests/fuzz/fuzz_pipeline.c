/* Pipeline files are edited by hand: every malformed one must be a one-line error. */
#include <stdlib.h>

#include "fuzz_util.h"
#include "pipeline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *path = fuzz_write_input("pipeline.json", data, size);
    tmgt_error err = {{0}};
    pipeline *p = pipeline_load(path, &err);
    if (p) {
        for (size_t i = 0; i < p->n_models; i++)
            free(pipeline_path(p, p->models[i].source));
        pipeline_free(p);
    }
    free(path);
    return 0;
}
