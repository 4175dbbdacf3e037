/* hf:// sources come from pipelines and the command line; the parser is what stops a name from
 * escaping the Hub cache, so it must refuse rather than crash on anything. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "hub_cache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *uri = fuzz_cstring(data, size);
    char *org = NULL, *name = NULL, *rev = NULL;
    if (hub_parse_uri(uri, &org, &name, &rev) == 0) {
        /* what the parser accepts must be safe to use as path components */
        const char *parts[] = {org, name, rev};
        for (size_t i = 0; i < 3; i++)
            if (!*parts[i] || parts[i][0] == '.' || strchr(parts[i], '/'))
                abort();
        free(org);
        free(name);
        free(rev);
    }
    free(uri);
    return 0;
}
