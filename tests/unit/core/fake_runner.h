/* A runner (proc/runner.h) that starts nothing: each "engine call" is a timer on the executor's
 * loop that ends as its job script says, so the executor's scheduling can be tested exactly.
 * A job is named by the first argument of its command line (the step template's first word). */
#ifndef TMGT_TEST_FAKE_RUNNER_H
#define TMGT_TEST_FAKE_RUNNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runner.h"

typedef struct {
    const char *name;    /* argv[1] of the calls it answers */
    run_outcome outcome; /* RUN_EXITED unless set */
    int exit_code;
    uint64_t wall_ms;   /* what the result reports (it drives longest-first) */
    uint64_t delay_ms;  /* how long the call really takes on the loop */
    bool writes_output; /* writes "output of NAME" to argv[2] */
    const char *out;    /* stdout; "" when NULL */
    /* stdout of its calls in turn, the last one for every later call; NULL: `out` */
    const char *const *outs;
    bool output_varies; /* the output it writes names the call: no two calls write the same */
} fake_job;

#define FAKE_MAX_CALLS 64

typedef struct {
    const fake_job *jobs;
    size_t n_jobs;
    int raise_on_start; /* a signal raised when the call named `raise_after` starts, or 0 */
    const char *raise_after;
    /* what happened, in order */
    const char *started[FAKE_MAX_CALLS];
    size_t n_started;
    size_t running, max_running;
    size_t cancels;
    size_t calls[FAKE_MAX_CALLS]; /* per job, in the order of `jobs`: how often it was called */
    /* each call's concurrency when it started: max over its lifetime is what matters for the
     * exclusive pool, so the runner also keeps, per call, the most others running beside it */
    size_t overlap[FAKE_MAX_CALLS];
} fake_script;

/* The exec_opts.new_runner for a script (ctx is the fake_script). */
runner *fake_runner_new(uv_loop_t *loop, void *ctx);
/* Index of call `name` in the start order, or -1 when it never started. */
int fake_started_at(const fake_script *s, const char *name);

#endif
