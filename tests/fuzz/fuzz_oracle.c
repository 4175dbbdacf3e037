/* Oracle files come from a Python script on another machine: any document must be refused with
 * a message, never crash the loader. */
#include <stdlib.h>

#include "fuzz_util.h"
#include "oracle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    oracle_entry e = {0};
    cJSON *provenance = NULL;
    tmgt_error err = {{0}};
    if (oracle_parse("fuzz.json", (const char *)data, size, "smollm-135m", &e, &provenance, &err) == 0)
        oracle_entry_free(&e);
    cJSON_Delete(provenance);
    return 0;
}
