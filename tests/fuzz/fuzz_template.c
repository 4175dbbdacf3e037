/* Step argv templates come from pipeline files. The input is NUL-separated arguments; the
 * variables are those a real step sees (a scalar, a list, an input, an output, a prompt). */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = xmalloc(size + 1);
    memcpy(copy, data, size);
    copy[size] = '\0';
    size_t n = 1;
    for (size_t i = 0; i < size; i++)
        n += copy[i] == '\0';
    char **tmpl = xcalloc(n, sizeof *tmpl);
    for (size_t i = 0, k = 0; k < n; k++) {
        tmpl[k] = copy + i;
        i += strlen(copy + i) + 1;
    }
    cJSON *scope = cJSON_Parse(
        "{\"quant\": \"int4\", \"type\": \"Q8_0\", \"export_flags\": [\"--quantize\", \"int8\"],"
        " \"threads\": 4, \"empty\": []}");
    const cJSON *scopes[] = {scope};
    const char *in_names[] = {"src", "model"};
    const char *in_paths[] = {"/m/src dir", "/m/model.apr"};
    const bool symbolic[] = {false, true};
    for (size_t s = 0; s < 2; s++) {
        template_env env = {.in_names = in_names,
                            .in_paths = in_paths,
                            .n_in = 2,
                            .out = "/o/out.gguf",
                            .prompt = "What is 2+2? Answer:",
                            .model = "smollm-135m",
                            .scopes = scopes,
                            .n_scopes = 1,
                            .symbolic_paths = symbolic[s]};
        char **argv = NULL;
        size_t argc = 0;
        tmgt_error err = {{0}};
        if (template_expand(tmpl, n, &env, &argv, &argc, &err) == 0)
            template_free_argv(argv);
    }
    size_t count = 0;
    char **inputs = template_inputs(tmpl, n, &count);
    for (size_t i = 0; i < count; i++)
        free(inputs[i]);
    free(inputs);
    cJSON_Delete(scope);
    free(tmpl);
    free(copy);
    return 0;
}
