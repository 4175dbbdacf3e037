/* One child waited for in a poll loop: its pipes, and a pidfd that says when it exited even
 * while something it started still holds the pipes open. Ctrl-C reaches the loop through
 * interrupt.h's handler: the signals stay blocked except inside ppoll, so one that lands
 * between two checks wakes the next wait instead of being missed. */
#define _GNU_SOURCE /* pipe2, ppoll */
#include "capture.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "env.h"
#include "interrupt.h"
#include "util.h"

extern char **environ;

/* Without a pidfd (a kernel before 5.3) an exit is noticed on this tick. */
#define EXIT_TICK_MS 100

enum { OUT, ERR, PIDFD, N_FDS };

struct capture {
    size_t cap;
    int timeout_ms, kill_grace_ms;
    bool stop_on_interrupt;
    pid_t pid;
    struct pollfd fds[N_FDS]; /* poll skips an fd of -1: a stream closed or never opened */
    strbuf data[2];
    uint64_t started, kill_at; /* kill_at: when SIGKILL follows SIGTERM; 0 none pending */
    child_stop stop;
    bool exited, terminating;
    run_result *res;
};

static int start_child(capture *c, const capture_request *req)
{
    int out[2] = {-1, -1}, err[2] = {-1, -1};
    char **own_env = req->env ? NULL : env_for_children(environ);
    int rc = pipe2(out, O_CLOEXEC) != 0 || (!req->merge_stderr && pipe2(err, O_CLOEXEC) != 0)
                 ? errno
                 : child_spawn(req->argv, req->env ? req->env : own_env, req->cwd, out[1],
                               req->merge_stderr ? out[1] : err[1], &c->pid);
    free(own_env);
    for (int i = 0; i < 2; i++) {
        if (out[i] >= 0 && (i == 1 || rc))
            close(out[i]);
        if (err[i] >= 0 && (i == 1 || rc))
            close(err[i]);
    }
    if (rc == 0) {
        c->fds[OUT].fd = out[0];
        c->fds[ERR].fd = err[0];
        c->fds[PIDFD].fd = pidfd_open(c->pid, 0);
    }
    return rc;
}

capture *capture_start(const capture_request *req)
{
    capture *c = xcalloc(1, sizeof *c);
    c->cap = req->cap;
    c->timeout_ms = req->timeout_ms;
    c->kill_grace_ms = req->kill_grace_ms;
    c->stop_on_interrupt = req->stop_on_interrupt;
    c->res = xcalloc(1, sizeof *c->res);
    for (int i = 0; i < N_FDS; i++)
        c->fds[i] = (struct pollfd){.fd = -1, .events = POLLIN};
    sb_init(&c->data[OUT]);
    sb_init(&c->data[ERR]);
    c->started = now_ms();
    int rc = start_child(c, req);
    if (rc != 0) {
        err_set(&c->res->error, "cannot start %s: %s", req->argv[0], strerror(rc));
        c->stop.spawn_failed = c->exited = true;
    }
    return c;
}

/* TERM now and KILL after the grace period, or KILL at once, to the whole process group. */
static void terminate(capture *c, uint64_t now)
{
    if (c->terminating)
        return;
    c->terminating = true;
    if (c->kill_grace_ms > 0) {
        kill(-c->pid, SIGTERM);
        c->kill_at = now + (uint64_t)c->kill_grace_ms;
    } else {
        kill(-c->pid, SIGKILL);
    }
}

static void keep(capture *c, int stream, const char *buf, size_t n)
{
    strbuf *sb = &c->data[stream];
    size_t room = sb->len < c->cap ? c->cap - sb->len : 0;
    sb_append(sb, buf, n < room ? n : room);
    if (n > room && !c->stop.over_limit) {
        c->stop.over_limit = true;
        terminate(c, now_ms());
    }
}

/* Waits up to wait_ms (-1: until something happens) with `mask` while waiting (NULL: the
 * current one), then reads what is ready; returns how many streams gave bytes. */
static int pump(capture *c, int64_t wait_ms, const sigset_t *mask)
{
    struct timespec ts = {.tv_sec = wait_ms / 1000, .tv_nsec = (wait_ms % 1000) * 1000000L};
    if (ppoll(c->fds, N_FDS, wait_ms >= 0 ? &ts : NULL, mask) <= 0)
        return 0;
    int gave = 0;
    for (int i = OUT; i <= ERR; i++) {
        if (c->fds[i].fd < 0 || !c->fds[i].revents)
            continue;
        char buf[65536];
        ssize_t n = read(c->fds[i].fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            close(c->fds[i].fd);
            c->fds[i].fd = -1;
            continue;
        }
        gave++;
        keep(c, i, buf, (size_t)n);
    }
    return gave;
}

static void reap(capture *c)
{
    int status;
    pid_t r = waitpid(c->pid, &status, WNOHANG);
    if (r == c->pid) {
        c->exited = true;
        child_set_status(c->res, status);
    } else if (r < 0 && errno != EINTR) {
        c->exited = true;
        c->res->exit_code = -1;
        err_set(&c->res->error, "lost the child's exit status: %s", strerror(errno));
    }
}

/* How long the next wait may last: to the timeout, the pending SIGKILL, or the exit tick. */
static int64_t next_wake(const capture *c, uint64_t now)
{
    int64_t wake = -1;
    if (c->timeout_ms > 0 && !c->terminating)
        wake = (int64_t)(c->started + (uint64_t)c->timeout_ms - now);
    if (c->kill_at && (wake < 0 || (int64_t)(c->kill_at - now) < wake))
        wake = (int64_t)(c->kill_at - now);
    if (c->fds[PIDFD].fd < 0 && (wake < 0 || wake > EXIT_TICK_MS))
        wake = EXIT_TICK_MS;
    return wake < 0 ? -1 : wake;
}

static void wait_for_exit(capture *c, const sigset_t *waiting_mask)
{
    while (!c->exited) {
        uint64_t now = now_ms();
        if (c->stop_on_interrupt && interrupt_pending()) {
            c->stop.cancelled = true;
            terminate(c, now);
        }
        if (c->timeout_ms > 0 && now >= c->started + (uint64_t)c->timeout_ms && !c->terminating) {
            c->stop.timed_out = true;
            terminate(c, now);
        }
        if (c->kill_at && now >= c->kill_at) {
            kill(-c->pid, SIGKILL);
            c->kill_at = 0;
        }
        /* Once it is being stopped, a second Ctrl-C waits for the end (see capture_wait). */
        pump(c, next_wake(c, now), c->terminating ? NULL : waiting_mask);
        reap(c);
    }
    /* What it started and left holding the pipes dies with its group; what it wrote stays. */
    kill(-c->pid, SIGKILL);
    while (!c->stop.over_limit && pump(c, 0, NULL) > 0)
        ;
}

run_result *capture_wait(capture *c)
{
    run_result *res = c->res;
    if (!c->stop.spawn_failed) {
        sigset_t stop_signals, caller_mask;
        sigemptyset(&stop_signals);
        sigaddset(&stop_signals, SIGINT);
        sigaddset(&stop_signals, SIGTERM);
        if (c->stop_on_interrupt)
            sigprocmask(SIG_BLOCK, &stop_signals, &caller_mask);
        wait_for_exit(c, c->stop_on_interrupt ? &caller_mask : NULL);
        if (c->stop_on_interrupt) {
            /* Signals that came while the child was being stopped are remembered, not
             * delivered: the handler would take a second one as "stop at once". */
            struct timespec none = {0, 0};
            int sig;
            while ((sig = sigtimedwait(&stop_signals, NULL, &none)) > 0)
                interrupt_note(sig);
            sigprocmask(SIG_SETMASK, &caller_mask, NULL);
        }
    }
    for (int i = 0; i < N_FDS; i++)
        if (c->fds[i].fd >= 0)
            close(c->fds[i].fd);
    res->outcome = child_outcome(&c->stop, res->term_signal);
    res->wall_ms = now_ms() - c->started;
    res->out_len = c->data[OUT].len;
    res->out = sb_detach(&c->data[OUT]);
    res->err_len = c->data[ERR].len;
    res->err = sb_detach(&c->data[ERR]);
    free(c);
    return res;
}

run_result *capture_run(const capture_request *req)
{
    return capture_wait(capture_start(req));
}
