#define _GNU_SOURCE /* posix_spawn_file_actions_addchdir_np */
#include "child.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

int child_spawn(char *const argv[], char *const env[], const char *cwd, int out_fd, int err_fd, pid_t *pid)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    sigset_t all, none;
    sigfillset(&all);
    sigemptyset(&none);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
    posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
    if (cwd)
        posix_spawn_file_actions_addchdir_np(&fa, cwd);
    posix_spawnattr_init(&at);
    /* tmgt's handlers and the signals its event loops block are not the child's business. */
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    posix_spawnattr_setsigdefault(&at, &all);
    posix_spawnattr_setsigmask(&at, &none);
    int rc = posix_spawnp(pid, argv[0], &fa, &at, argv, env);
    posix_spawnattr_destroy(&at);
    posix_spawn_file_actions_destroy(&fa);
    return rc;
}

run_outcome child_outcome(const child_stop *stop, int term_signal)
{
    if (stop->spawn_failed)
        return RUN_SPAWN_FAILED;
    if (stop->cancelled)
        return RUN_CANCELLED;
    if (stop->over_limit)
        return RUN_OUTPUT_LIMIT;
    if (stop->timed_out)
        return RUN_TIMED_OUT;
    return term_signal ? RUN_SIGNALED : RUN_EXITED;
}

void child_set_status(run_result *res, int status)
{
    res->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
    res->term_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}
