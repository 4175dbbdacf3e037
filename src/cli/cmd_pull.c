/* pull: the Hub repositories named on the command line, or those of the selected models. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "hub_cache.h"
#include "hub_pull.h"

/* The hf:// sources of the selected models (each once); local sources need no pull. */
static size_t selected_sources(const cli_opts *o, const pipeline *pl, char ***uris)
{
    size_t n = 0;
    for (size_t i = 0; i < pl->n_models; i++) {
        const pipeline_model *m = &pl->models[i];
        bool chosen = o->sel.n_models == 0;
        for (size_t j = 0; j < o->sel.n_models && !chosen; j++)
            chosen = !strcmp(o->sel.models[j], m->slug);
        for (size_t j = 0; j < n && chosen; j++)
            chosen = strcmp((*uris)[j], m->source) != 0;
        if (chosen && !strncmp(m->source, "hf://", 5)) {
            *uris = xrealloc(*uris, (n + 1) * sizeof **uris);
            (*uris)[n++] = m->source;
        }
    }
    return n;
}

/* EXIT_OK, EXIT_ENV when a repository failed, EXIT_INTERRUPTED. */
static int pull_and_report(const cli_opts *o, char **uris, size_t n, cache *c, FILE *out)
{
    hub_pull_opts po = {.progress = !o->quiet && isatty(2), .cas = c};
    hub_pull_stats st;
    size_t failed = hub_pull(uris, n, &po, &st);
    if (!o->quiet)
        fprintf(out, "pull: %zu of %zu repositories ready; %zu files: %zu downloaded (%" PRIu64
               " bytes), %zu already cached%s\n",
               st.repos, n, st.files, st.downloaded, st.bytes, st.reused, hub_offline() ? " (offline)" : "");
    return st.interrupted ? EXIT_INTERRUPTED : failed ? EXIT_ENV : EXIT_OK;
}

int pull_selected_models(const cli_opts *o, const pipeline *pl, cache *c, FILE *out)
{
    char **uris = NULL;
    size_t n = selected_sources(o, pl, &uris);
    int rc = n ? pull_and_report(o, uris, n, c, out) : EXIT_OK;
    free(uris);
    return rc;
}

int cmd_pull(const cli_opts *o)
{
    for (int i = 0; i < o->n_rest; i++) {
        char *org = NULL, *name = NULL, *rev = NULL;
        bool valid = hub_parse_uri(o->rest[i], &org, &name, &rev) == 0;
        free(org);
        free(name);
        free(rev);
        if (!valid) {
            fprintf(stderr, "tmgt: pull takes hf://ORG/NAME[@REV] repositories, not \"%s\"\n"
                            "Run 'tmgt --help' for usage.\n", o->rest[i]);
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
        rc = pull_and_report(o, o->rest, (size_t)o->n_rest, c, stdout);
    } else {
        pipeline *pl = pipeline_load(o->pipeline, &err);
        if (!pl) {
            fprintf(stderr, "tmgt: %s\n", err.msg);
            rc = EXIT_ENV;
        } else {
            char **uris = NULL;
            size_t n = selected_sources(o, pl, &uris);
            if (n)
                rc = pull_and_report(o, uris, n, c, stdout);
            else if (!o->quiet)
                printf("pull: none of the selected models comes from the Hub (hf://)\n");
            free(uris);
        }
        pipeline_free(pl);
    }
    cache_close(c);
    return rc;
}
