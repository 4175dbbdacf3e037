/* Oracle files come from a Python script on another machine: any document must be refused with
 * a message, never crash the loader. Each input is read as an oracle of both a seed model and
 * the SmolLM2 fixture, so the real oracles of either reach past the model_slug check into the
 * tokens and the margins (prompt_tokens, top_logprobs). */
#include <stdlib.h>

#include "fuzz_util.h"
#include "oracle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const slugs[] = {"smollm-135m", "smollm2-135m"};
    for (size_t i = 0; i < sizeof slugs / sizeof slugs[0]; i++) {
        oracle_entry e = {0};
        cJSON *provenance = NULL;
        tmgt_error err = {{0}};
        if (oracle_parse("fuzz.json", (const char *)data, size, slugs[i], &e, &provenance, &err) == 0)
            oracle_entry_free(&e);
        cJSON_Delete(provenance);
    }
    return 0;
}
