/* Runs a round's commands — builds, or the checks of built candidates — at once through the
 * async runner (proc/runner.h) on one loop, so Ctrl-C stops every one of them (their process
 * groups, or their Slurm jobs) and each one's output is kept as a log. (Not proc/capture.h: a
 * capture is read only while it is waited for, and builds that print much would stall each
 * other's pipes.) */
#ifndef TMGT_BISECT_BUILD_H
#define TMGT_BISECT_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runner.h"

typedef struct {
    char **argv;
    char **env;           /* NULL: the environment children get (base/env.h) */
    const char *dir;      /* where it runs */
    const char *log_path; /* stdout then stderr go there */
    const char *label;    /* what it is, for a Slurm job's name */
} bisect_job;

typedef struct {
    bool ok; /* exit 0 */
    bool interrupted;
    int exit_code; /* when it exited */
    char *reason;  /* why it failed: "exit 2", "killed by signal 9", …; NULL when ok */
    uint64_t wall_ms;
} build_outcome;

/* Runs every job at once and waits for all of them; out[i] is jobs[i]'s outcome. `cluster`
 * NULL: here; else each job is a Slurm job with a node of its own (runner_slurm), no time limit,
 * in its directory as every node sees it. */
void bisect_run_jobs(const bisect_job *jobs, size_t n, const slurm_settings *cluster, build_outcome *out);
/* `/bin/sh -c command` in `dir`, here or on `cluster`. */
void bisect_build(const char *command, const char *dir, const char *log_path, const slurm_settings *cluster,
                  build_outcome *out);
void build_outcome_free(build_outcome *out);

#endif
