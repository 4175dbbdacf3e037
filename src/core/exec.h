/* The executor: walks the action graph on a libuv loop, answers what it can from the cache,
 * runs the rest through a runner with at most `jobs` at once, and stops cleanly on Ctrl-C. */
#ifndef TMGT_EXEC_H
#define TMGT_EXEC_H

#include <stdbool.h>
#include <stdint.h>

#include "cache.h"
#include "graph.h"

typedef struct {
    size_t jobs;
    bool read_cache;      /* false with --no-cache: execute everything (results are still stored) */
    bool rerun_failed;    /* re-execute cached non-zero exits */
    int verbosity;        /* -1 quiet, 0 normal, 1 prints each command line */
    bool tty;             /* one rewritten status line instead of a line per action */
    const char *salt;     /* TMGT_CACHE_SALT */
    uint64_t output_limit;/* bytes of stdout/stderr kept per action before it is killed */
    int kill_grace_ms;
} exec_opts;

typedef struct {
    size_t executed, cached, failed, skipped, unavailable;
    bool interrupted;
    bool engine_changed; /* an engine binary was replaced mid-run: its later results are unjudged */
    uint64_t wall_ms;
} exec_stats;

int exec_run(graph *g, cache *c, const exec_opts *o, exec_stats *st);

#endif
