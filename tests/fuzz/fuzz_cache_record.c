/* The cache directory is on disk where anything may damage it: a record or stat cache file of
 * any content must read as "no entry" (or be dropped by verify), never crash tmgt. */
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "fs.h"
#include "fuzz_util.h"

/* One key for every input: the record file under test is always the same path. */
static const digest KEY = {.hex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *root = path_join(fuzz_scratch_dir(), "cache");
    char *shard = xasprintf("%s/ac/%.2s", root, KEY.hex);
    tmgt_error err = {{0}};
    if (mkdir_p(shard, 0755, &err) != 0)
        abort();
    char *record = xasprintf("%s/%s.json", shard, KEY.hex);
    char *statfile = path_join(root, "statcache");
    fuzz_write_file(record, data, size);
    fuzz_write_file(statfile, data, size);
    cache *c = cache_open(root, &err);
    if (!c)
        abort();
    cJSON_Delete(cache_get_record(c, &KEY));
    cache_report r;
    memset(&r, 0, sizeof r);
    cache_verify(c, &r, fuzz_null_stream());
    cache_close(c);
    free(statfile);
    free(record);
    free(shard);
    free(root);
    return 0;
}
