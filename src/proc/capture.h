/* A child run to its end inside one call, its output kept in memory: version probes, builds.
 * It starts as the runner's children do (child.h) and ends told as they are (a run_result), so
 * a timeout, too much output or a missing executable reads the same wherever a child ran. */
#ifndef TMGT_CAPTURE_H
#define TMGT_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>

#include "runner.h"

typedef struct {
    char **argv;
    char **env;        /* NULL: tmgt's environment less what children never see (env.h) */
    const char *cwd;   /* NULL: tmgt's */
    bool merge_stderr; /* stderr into out, in the order written; err stays empty */
    size_t cap;        /* a stream past this many bytes kills the child: RUN_OUTPUT_LIMIT */
    int timeout_ms;    /* 0: none; past it the child is killed: RUN_TIMED_OUT */
    int kill_grace_ms; /* between SIGTERM and SIGKILL; 0: SIGKILL at once */
    /* Ctrl-C or SIGTERM (interrupt.h) kills the child: RUN_CANCELLED. Otherwise the signal is
     * only remembered and the child runs on to its end or its timeout. */
    bool stop_on_interrupt;
} capture_request;

typedef struct capture capture;

/* Starts the child; it runs while the caller does other work (several probes at once). The
 * request's strings are copied by the time it returns. Never NULL: a child that cannot start
 * ends as RUN_SPAWN_FAILED in capture_wait, with the reason in `error`. */
capture *capture_start(const capture_request *req);
/* Waits for the child's end, kills its process group, frees `c`; the result is the caller's
 * (run_result_free). out and err are always NUL-terminated, never spilled. */
run_result *capture_wait(capture *c);
/* capture_start then capture_wait. */
run_result *capture_run(const capture_request *req);

#endif
