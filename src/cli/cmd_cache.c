/* tmgt cache stats | verify | gc */
#include <stdio.h>
#include <string.h>

#include "cache.h"
#include "cli.h"

int cmd_cache(const cli_opts *o)
{
    tmgt_error err = {{0}};
    cache *c = cache_open(o->cache_dir, &err);
    if (!c) {
        fprintf(stderr, "tmgt: cannot use the cache: %s\n", err.msg);
        return EXIT_ENV;
    }
    cache_report r;
    int rc = EXIT_OK;
    if (!strcmp(o->subcommand, "stats")) {
        cache_stats(c, &r);
        printf("%s: %zu blobs (%.1f MiB), %zu action records, %zu run logs\n", o->cache_dir, r.blobs,
               (double)r.blob_bytes / 1048576.0, r.records, r.runs);
    } else if (!strcmp(o->subcommand, "verify")) {
        int bad = cache_verify(c, &r, stdout);
        printf(
            "verified %zu blobs (%.1f MiB) and %zu records: %zu corrupt blobs, %zu unreadable and %zu "
            "dangling "
            "records removed\n",
            r.blobs, (double)r.blob_bytes / 1048576.0, r.records, r.corrupt_blobs, r.bad_records,
            r.dangling_records);
        rc = bad ? EXIT_CHECK_FAILED : EXIT_OK;
    } else {
        cache_gc(c, o->keep_runs, &r, stdout);
    }
    cache_close(c);
    return rc;
}
