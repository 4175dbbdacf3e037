/* Local subprocesses on a libuv loop: each in a session of its own (setsid), so a timeout or
 * Ctrl-C can kill the whole tree an engine may have started.
 *
 * Started with posix_spawn, not uv_spawn: libuv 1.44 forks the whole tmgt process and waits
 * for the child's exec, about 1 ms of the loop per engine call (page tables copied, then
 * copy-on-write faults), which at -j8 delayed every start behind the others. posix_spawn
 * shares the address space until exec (glibc's clone(CLONE_VM|CLONE_VFORK)). Exits are seen
 * through a SIGCHLD watcher and waitpid on this runner's own pids only. */
#define _GNU_SOURCE /* pipe2 */
#include "runner.h"
#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

typedef struct local_runner local_runner;

typedef struct {
    uv_pipe_t pipe;
    strbuf mem;
    int spill_fd;
    char *spill_path;
    uint64_t total;
    bool open;
} stream_capture;

typedef struct job {
    local_runner *owner;
    pid_t pid;
    stream_capture out, err;
    uv_timer_t timer;
    int timeout_ms;
    run_line_watch watch; /* until it answers RUN_CLOCK_START */
    strbuf line;          /* the stderr line being read, for `watch` */
    run_done_cb cb;
    void *ctx;
    run_result *res;
    uint64_t started;
    const char *spill_dir;
    bool exited, spawn_failed, killed_timeout, killed_limit, killed_cancel, in_grace;
    int handles_open;
    struct job *next, *prev;
} job;

struct local_runner {
    runner base;
    uv_loop_t *loop;
    uv_signal_t sigchld;
    size_t memory_limit;
    uint64_t output_limit;
    int grace_ms;
    job *jobs;
    size_t count;
};

static void job_maybe_finish(job *j);

static void on_handle_closed(uv_handle_t *h)
{
    job *j = h->data;
    j->handles_open--;
    job_maybe_finish(j);
}

static void kill_group(job *j, int sig)
{
    if (j->pid > 0 && !j->exited)
        kill(-j->pid, sig);
}

static void on_timer(uv_timer_t *t)
{
    job *j = t->data;
    if (j->in_grace) {
        kill_group(j, SIGKILL);
        return;
    }
    if (!j->killed_cancel && !j->killed_limit)
        j->killed_timeout = true;
    kill_group(j, SIGTERM);
    j->in_grace = true;
    uv_timer_start(&j->timer, on_timer, (uint64_t)j->owner->grace_ms, 0);
}

/* Stops a job: TERM now, KILL after the grace period if it is still there. */
static void job_terminate(job *j)
{
    if (j->exited || j->in_grace)
        return;
    uv_timer_stop(&j->timer);
    kill_group(j, SIGTERM);
    j->in_grace = true;
    uv_timer_start(&j->timer, on_timer, (uint64_t)j->owner->grace_ms, 0);
}

static void stop_watching(job *j)
{
    j->watch = NULL;
    sb_free(&j->line);
}

/* The timeout's clock as the child's stderr says: stopped while it waits, restarted whole when
 * its work starts. Never once it is being stopped (the timer then counts the grace period). */
static void watch_clock(job *j, const char *data, size_t n)
{
    enum { LONGEST_LINE = 4096 }; /* what a waiting child says is short; the rest is cut */
    for (const char *end = data + n; data < end && j->watch;) {
        const char *eol = memchr(data, '\n', (size_t)(end - data));
        size_t take = (size_t)((eol ? eol : end) - data);
        if (j->line.len + take > LONGEST_LINE)
            take = j->line.len < LONGEST_LINE ? LONGEST_LINE - j->line.len : 0;
        sb_append(&j->line, data, take);
        data = eol ? eol + 1 : end;
        if (!eol)
            break;
        run_clock said = j->watch(j->line.buf ? j->line.buf : "", j->line.len);
        j->line.len = 0;
        if (said == RUN_CLOCK_STOP && !j->in_grace) {
            uv_timer_stop(&j->timer);
        } else if (said == RUN_CLOCK_START) {
            if (!j->in_grace && j->timeout_ms > 0)
                uv_timer_start(&j->timer, on_timer, (uint64_t)j->timeout_ms, 0);
            stop_watching(j);
        }
    }
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    buf->base = xmalloc(suggested);
    buf->len = suggested;
}

static int spill(stream_capture *s, const char *dir, const void *data, size_t n)
{
    if (s->spill_fd < 0) {
        static unsigned seq;
        s->spill_path = xasprintf("%s/%ld-spill-%u", dir, (long)getpid(), ++seq);
        s->spill_fd = open(s->spill_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (s->spill_fd < 0)
            return -1;
        if (write(s->spill_fd, s->mem.buf, s->mem.len) != (ssize_t)s->mem.len)
            return -1;
        sb_free(&s->mem);
    }
    return write(s->spill_fd, data, n) == (ssize_t)n ? 0 : -1;
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    job *j = stream->data;
    stream_capture *s = (stream == (uv_stream_t *)&j->out.pipe) ? &j->out : &j->err;
    if (nread > 0 && s == &j->err && j->watch)
        watch_clock(j, buf->base, (size_t)nread);
    if (nread > 0) {
        s->total += (uint64_t)nread;
        if (s->total > j->owner->output_limit) {
            if (!j->killed_limit) {
                j->killed_limit = true;
                job_terminate(j);
            }
        } else if (s->spill_fd >= 0 || s->mem.len + (size_t)nread > j->owner->memory_limit) {
            if (spill(s, j->spill_dir, buf->base, (size_t)nread) != 0 && !j->killed_limit) {
                j->killed_limit = true; /* cannot keep it: treat like too much output */
                job_terminate(j);
            }
        } else {
            sb_append(&s->mem, buf->base, (size_t)nread);
        }
    }
    free(buf->base);
    if (nread < 0 && s->open) {
        s->open = false;
        uv_close((uv_handle_t *)stream, on_handle_closed);
    }
}

static void on_exit_status(job *j, int status)
{
    j->exited = true;
    j->res->wall_ms = now_ms() - j->started;
    child_set_status(j->res, status);
    /* The engine may have left children holding the pipes open; they die with the group. */
    kill(-j->pid, SIGKILL);
    uv_timer_stop(&j->timer);
    uv_close((uv_handle_t *)&j->timer, on_handle_closed);
}

/* Signals coalesce: every job that has ended is reaped, whichever SIGCHLD announced it. */
static void on_sigchld(uv_signal_t *h, int signum)
{
    (void)signum;
    local_runner *lr = h->data;
    for (job *j = lr->jobs, *next; j; j = next) {
        next = j->next;
        int status;
        if (!j->exited && waitpid(j->pid, &status, WNOHANG) == j->pid)
            on_exit_status(j, status);
    }
}

static void finish_capture(stream_capture *s, char **data, size_t *len, char **spill_path)
{
    if (s->spill_fd >= 0) {
        close(s->spill_fd);
        *spill_path = s->spill_path;
        *data = NULL;
        *len = (size_t)s->total;
    } else {
        *len = s->mem.len;
        *data = sb_detach(&s->mem);
        free(s->spill_path);
    }
}

static void job_maybe_finish(job *j)
{
    if (j->handles_open > 0)
        return;
    local_runner *lr = j->owner;
    run_result *res = j->res;
    finish_capture(&j->out, &res->out, &res->out_len, &res->out_spill);
    finish_capture(&j->err, &res->err, &res->err_len, &res->err_spill);
    child_stop stop = {.spawn_failed = j->spawn_failed,
                       .cancelled = j->killed_cancel,
                       .over_limit = j->killed_limit,
                       .timed_out = j->killed_timeout};
    res->outcome = child_outcome(&stop, res->term_signal);
    if (j->prev)
        j->prev->next = j->next;
    else
        lr->jobs = j->next;
    if (j->next)
        j->next->prev = j->prev;
    lr->count--;
    stop_watching(j);
    run_done_cb cb = j->cb;
    void *ctx = j->ctx;
    free(j);
    cb(ctx, res);
}

static void init_capture(stream_capture *s)
{
    sb_init(&s->mem);
    s->spill_fd = -1;
    s->spill_path = NULL;
    s->total = 0;
    s->open = true;
}

static void open_pipe_end(local_runner *lr, job *j, stream_capture *s, int fd)
{
    uv_pipe_init(lr->loop, &s->pipe, 0);
    s->pipe.data = j;
    uv_pipe_open(&s->pipe, fd);
}

static int local_start(runner *r, const run_request *req, run_done_cb cb, void *ctx)
{
    local_runner *lr = (local_runner *)r;
    job *j = xcalloc(1, sizeof *j);
    j->owner = lr;
    j->cb = cb;
    j->ctx = ctx;
    j->spill_dir = req->spill_dir;
    j->timeout_ms = req->timeout_ms;
    j->watch = req->watch_err;
    sb_init(&j->line);
    j->res = xcalloc(1, sizeof *j->res);
    init_capture(&j->out);
    init_capture(&j->err);
    j->started = now_ms();
    j->next = lr->jobs;
    if (lr->jobs)
        lr->jobs->prev = j;
    lr->jobs = j;
    lr->count++;
    int out[2] = {-1, -1}, err[2] = {-1, -1};
    int rc = pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0
                 ? errno
                 : child_spawn(req->argv, req->env, req->cwd, out[1], err[1], &j->pid);
    for (int i = 0; i < 2; i++)
        if (out[i] >= 0 && (i == 1 || rc))
            close(out[i]);
    for (int i = 0; i < 2; i++)
        if (err[i] >= 0 && (i == 1 || rc))
            close(err[i]);
    uv_timer_init(lr->loop, &j->timer);
    j->timer.data = j;
    if (rc != 0) {
        err_set(&j->res->error, "cannot start %s: %s", req->argv[0], strerror(rc));
        /* The callback arrives from the loop, as for any other end. */
        j->spawn_failed = j->exited = true;
        j->pid = 0;
        j->handles_open = 1;
        j->out.open = j->err.open = false;
        uv_close((uv_handle_t *)&j->timer, on_handle_closed);
        return 0;
    }
    open_pipe_end(lr, j, &j->out, out[0]);
    open_pipe_end(lr, j, &j->err, err[0]);
    j->handles_open = 3; /* timer, two pipes */
    if (req->timeout_ms > 0)
        uv_timer_start(&j->timer, on_timer, (uint64_t)req->timeout_ms, 0);
    uv_read_start((uv_stream_t *)&j->out.pipe, on_alloc, on_read);
    uv_read_start((uv_stream_t *)&j->err.pipe, on_alloc, on_read);
    return 0;
}

static void local_cancel_all(runner *r)
{
    local_runner *lr = (local_runner *)r;
    for (job *j = lr->jobs; j; j = j->next) {
        j->killed_cancel = true;
        job_terminate(j);
    }
}

static size_t local_running(runner *r)
{
    return ((local_runner *)r)->count;
}

static void local_close(runner *r)
{
    free(r);
}

static const runner_ops local_ops = {
    .start = local_start,
    .cancel_all = local_cancel_all,
    .running = local_running,
    .close = local_close,
};

runner *runner_local_new(uv_loop_t *loop, size_t memory_limit, uint64_t output_limit, int kill_grace_ms)
{
    local_runner *lr = xcalloc(1, sizeof *lr);
    lr->base.ops = &local_ops;
    lr->loop = loop;
    lr->memory_limit = memory_limit;
    lr->output_limit = output_limit;
    lr->grace_ms = kill_grace_ms;
    uv_signal_init(loop, &lr->sigchld);
    lr->sigchld.data = lr;
    uv_signal_start(&lr->sigchld, on_sigchld, SIGCHLD);
    uv_unref((uv_handle_t *)&lr->sigchld); /* watches; keeps no loop alive */
    return &lr->base;
}

void run_result_free(run_result *res)
{
    if (!res)
        return;
    free(res->out);
    free(res->err);
    if (res->out_spill)
        unlink(res->out_spill);
    if (res->err_spill)
        unlink(res->err_spill);
    free(res->out_spill);
    free(res->err_spill);
    free(res);
}
