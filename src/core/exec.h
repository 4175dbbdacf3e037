/* The executor: walks the action graph on a libuv loop, answers what it can from the cache,
 * runs the rest through a runner with at most `jobs` at once, and stops cleanly on Ctrl-C.
 * It schedules only: the runner (how an engine starts), the action record (what the cache
 * holds, store/action_record.h) and the progress (what the user is told) are other modules'. */
#ifndef TMGT_EXEC_H
#define TMGT_EXEC_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "cache.h"
#include "graph.h"
#include "progress.h"
#include "runner.h"

typedef struct {
    size_t jobs;
    bool read_cache;       /* false with --no-cache: execute everything (results are still stored) */
    bool rerun_failed;     /* re-execute cached non-zero exits */
    const char *salt;      /* TMGT_CACHE_SALT */
    uint64_t output_limit; /* bytes of stdout/stderr the runner keeps per action before it kills it */
    /* --repeat: each action runs this many times (0 or 1: once), one run after another in its
     * job slot, its result never read from the cache: the point is to watch fresh runs. A later
     * run that differs from the first marks the action `varied`, and its result is not cached. */
    unsigned repeat;
    /* The runner engines start through, made on the executor's loop (runner_local_new for
     * tmgt, a fake for the unit tests); closed by the executor. */
    runner *(*new_runner)(uv_loop_t *loop, void *ctx);
    void *runner_ctx;
    exec_progress *progress; /* NULL: tell nothing */
    /* Told of each action once it has its final result (run, answered from the cache, skipped,
     * unavailable or interrupted), on the loop, after the freed job slots were filled again: what
     * it does (the session judges checks) happens while engines run and keeps none waiting. NULL:
     * nobody is told. */
    void (*finished)(void *ctx, const action *a);
    void *finished_ctx;
} exec_opts;

typedef struct {
    size_t executed, cached, failed, skipped, unavailable;
    size_t varied; /* actions whose repeated runs differed */
    bool interrupted;
    bool engine_changed; /* an engine binary was replaced mid-run: its later results are unjudged */
    uint64_t wall_ms;
} exec_stats;

/* EXIT_OK, or EXIT_INTERRUPTED after Ctrl-C / SIGTERM. What it stored is not yet durable: the
 * caller syncs it (cache_sync.h) while it does the rest of its work. */
int exec_run(graph *g, cache *c, const exec_opts *o, exec_stats *st);

#endif
