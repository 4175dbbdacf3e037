/* pull: the Hub repositories named on the command line, or those of the selected models. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "hub_cache.h"
#include "model_pull.h"

int cmd_pull(const cli_opts *o)
{
    for (int i = 0; i < o->n_rest; i++) {
        char *org = NULL, *name = NULL, *rev = NULL;
        bool valid = hub_parse_uri(o->rest[i], &org, &name, &rev) == 0;
        free(org);
        free(name);
        free(rev);
        if (!valid) {
            fprintf(stderr,
                    "tmgt: pull takes hf://ORG/NAME[@REV] repositories, not \"%s\"\n"
                    "Run 'tmgt --help' for usage.\n",
                    o->rest[i]);
            return EXIT_USAGE;
        }
    }
    tmgt_error err = {{0}};
    cache *c = cache_open(o->cache_dir, &err);
    if (!c) {
        fprintf(stderr, "tmgt: cannot use the cache: %s\n", err.msg);
        return EXIT_ENV;
    }
    int rc = EXIT_OK;
    if (o->n_rest) {
        rc = pull_sources(o->rest, (size_t)o->n_rest, c, o->quiet, stdout);
    } else {
        pipeline *pl = pipeline_load(o->pipeline, &err);
        if (!pl) {
            fprintf(stderr, "tmgt: %s\n", err.msg);
            rc = EXIT_ENV;
        } else {
            char **uris = NULL;
            size_t n = selected_sources(pl, &o->sel, &uris);
            if (n)
                rc = pull_sources(uris, n, c, o->quiet, stdout);
            else if (!o->quiet)
                printf("pull: none of the selected models comes from the Hub (hf://)\n");
            free(uris);
        }
        pipeline_free(pl);
    }
    cache_close(c);
    return rc;
}
