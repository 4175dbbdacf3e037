/* What every child of tmgt shares, whoever waits for it (the runner on a loop, the capture
 * in a call): how it starts and how its end is told. */
#ifndef TMGT_CHILD_H
#define TMGT_CHILD_H

#include <stdbool.h>
#include <sys/types.h>

#include "runner.h"

/* Starts argv (looked up in PATH when it has no '/') with stdin on /dev/null and stdout,
 * stderr on the given descriptors, in a session of its own (so its whole process group can be
 * killed), with the default signal dispositions and an empty mask whatever tmgt holds. Returns
 * 0 or an errno (exec failures included: glibc reports them from the child). */
int child_spawn(char *const argv[], char *const env[], const char *cwd, int out_fd, int err_fd, pid_t *pid);

/* How a child ended, told the same way by every waiter: what tmgt did to it wins over what it
 * did itself (a child killed at its timeout is RUN_TIMED_OUT, not RUN_SIGNALED). */
typedef struct {
    bool spawn_failed, cancelled, over_limit, timed_out;
} child_stop;
run_outcome child_outcome(const child_stop *stop, int term_signal);
/* Fills exit_code and term_signal from a waitpid status. */
void child_set_status(run_result *res, int status);

#endif
