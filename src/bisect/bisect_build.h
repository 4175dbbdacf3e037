/* Runs a round's commands — builds, or the checks of built candidates — at once through the
 * async runner (proc/runner.h) on one loop, so Ctrl-C stops every one of them (their process
 * groups) and each one's output is kept as a log. (Not proc/capture.h: a capture is read only
 * while it is waited for, and builds that print much would stall each other's pipes.) */
#ifndef TMGT_BISECT_BUILD_H
#define TMGT_BISECT_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    char **argv;
    char **env;           /* NULL: the environment children get (base/env.h) */
    const char *dir;      /* where it runs */
    const char *log_path; /* stdout then stderr go there */
} bisect_job;

typedef struct {
    bool ok; /* exit 0 */
    bool interrupted;
    int exit_code; /* when it exited */
    char *reason;  /* why it failed: "exit 2", "killed by signal 9", …; NULL when ok */
    uint64_t wall_ms;
} build_outcome;

/* Runs every job at once and waits for all of them; out[i] is jobs[i]'s outcome. */
void bisect_run_jobs(const bisect_job *jobs, size_t n, build_outcome *out);
/* `/bin/sh -c command` in `dir`. */
void bisect_build(const char *command, const char *dir, const char *log_path, build_outcome *out);
void build_outcome_free(build_outcome *out);

#endif
