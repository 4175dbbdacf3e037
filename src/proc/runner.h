/* How the executor starts an engine invocation: local subprocesses (runner_local), Slurm
 * jobs (runner_slurm), or a fake (unit tests), all behind the same interface. */
#ifndef TMGT_RUNNER_H
#define TMGT_RUNNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "util.h"

typedef enum {
    RUN_EXITED,       /* exit_code is valid */
    RUN_SIGNALED,     /* term_signal is valid (crash, or killed from outside) */
    RUN_TIMED_OUT,    /* killed by us at the timeout */
    RUN_OUTPUT_LIMIT, /* killed by us: printed more than the limit */
    RUN_SPAWN_FAILED, /* never started; error says why */
    RUN_CANCELLED,    /* killed by us on interrupt */
} run_outcome;

typedef struct {
    run_outcome outcome;
    int exit_code;
    int term_signal;
    uint64_t wall_ms;
    /* Captured output. Up to `memory_limit` bytes stay in memory; past that the stream goes
     * to `spill_path` (a file the consumer publishes or removes). */
    char *out, *err;
    size_t out_len, err_len;
    char *out_spill, *err_spill;
    tmgt_error error; /* RUN_SPAWN_FAILED: why; empty otherwise */
} run_result;

/* Where a batch system should place an action (the pipeline step's "resources"); the local
 * runner ignores it. NULL fields and 0 take the runner's defaults. */
typedef struct {
    const char *partition;
    const char *gres; /* generic resources, e.g. "gpu:1" */
    int cpus;         /* CPUs for the one task */
    bool exclusive;   /* a node of its own (a build that uses every core) */
} run_resources;

/* What a line the child printed on stderr says of the timeout's clock. A child that waits
 * before its work starts (srun while its job is queued) tells so there. */
typedef enum {
    RUN_CLOCK_KEEP,  /* nothing */
    RUN_CLOCK_STOP,  /* the work is waiting: the time until RUN_CLOCK_START is not counted */
    RUN_CLOCK_START, /* the work starts now: the timeout counts from here, whole */
} run_clock;
typedef run_clock (*run_line_watch)(const char *line, size_t n);

typedef struct {
    char **argv;
    char **env; /* full environment, NULL-terminated */
    const char *cwd;
    const char *spill_dir; /* where oversize output goes */
    int timeout_ms;        /* 0: none; counted from the start, or as `watch_err` says */
    /* Shown each stderr line (its newline removed) until it answers RUN_CLOCK_START; NULL: the
     * clock runs from the start. */
    run_line_watch watch_err;
    const char *label;              /* what runs (the step's name), for a batch job's name */
    const run_resources *resources; /* NULL: the defaults */
} run_request;

typedef void (*run_done_cb)(void *ctx, run_result *res); /* res owned by the callee */

typedef struct runner runner;
typedef struct {
    int (*start)(runner *r, const run_request *req, run_done_cb cb, void *ctx);
    /* Terminates everything running (SIGTERM to each process group, SIGKILL after a grace
     * period); callbacks still arrive, with RUN_CANCELLED. */
    void (*cancel_all)(runner *r);
    size_t (*running)(runner *r);
    void (*close)(runner *r);
} runner_ops;

struct runner {
    const runner_ops *ops;
};

runner *runner_local_new(uv_loop_t *loop, size_t memory_limit, uint64_t output_limit, int kill_grace_ms);

/* Slurm: each request as one `srun` job (runner_slurm.c). */
typedef struct {
    const char *partition; /* default partition (a step's own wins); NULL: the cluster's */
    const char *account;   /* NULL: the user's default */
} slurm_settings;
runner *runner_slurm_new(uv_loop_t *loop, const slurm_settings *s, size_t memory_limit, uint64_t output_limit,
                         int kill_grace_ms);
/* Checks up front that srun is there, the cluster answers and a node sees `shared_dir` (where
 * tmgt keeps what engines read and write) at the same path: 0, or -1 with `err` saying why. */
int runner_slurm_probe(const slurm_settings *s, const char *shared_dir, tmgt_error *err);

void run_result_free(run_result *res);

#endif
