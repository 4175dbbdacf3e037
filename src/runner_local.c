/* Local subprocesses with libuv: each in its own process group (UV_PROCESS_DETACHED calls
 * setsid), so a timeout or Ctrl-C can kill the whole tree an engine may have started. */
#include "runner.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
    uv_process_t proc;
    stream_capture out, err;
    uv_timer_t timer;
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
    if (j->proc.pid > 0 && !j->exited)
        kill(-j->proc.pid, sig);
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

static void on_process_exit(uv_process_t *p, int64_t exit_status, int term_signal)
{
    job *j = p->data;
    j->exited = true;
    j->res->wall_ms = now_ms() - j->started;
    j->res->exit_code = (int)exit_status;
    j->res->term_signal = term_signal;
    /* The engine may have left children holding the pipes open; they die with the group. */
    kill(-p->pid, SIGKILL);
    uv_timer_stop(&j->timer);
    uv_close((uv_handle_t *)&j->timer, on_handle_closed);
    uv_close((uv_handle_t *)p, on_handle_closed);
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
    if (j->spawn_failed)
        res->outcome = RUN_SPAWN_FAILED;
    else if (j->killed_cancel)
        res->outcome = RUN_CANCELLED;
    else if (j->killed_limit)
        res->outcome = RUN_OUTPUT_LIMIT;
    else if (j->killed_timeout)
        res->outcome = RUN_TIMED_OUT;
    else if (res->term_signal)
        res->outcome = RUN_SIGNALED;
    else
        res->outcome = RUN_EXITED;
    if (j->prev)
        j->prev->next = j->next;
    else
        lr->jobs = j->next;
    if (j->next)
        j->next->prev = j->prev;
    lr->count--;
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

static int local_start(runner *r, const run_request *req, run_done_cb cb, void *ctx)
{
    local_runner *lr = (local_runner *)r;
    job *j = xcalloc(1, sizeof *j);
    j->owner = lr;
    j->cb = cb;
    j->ctx = ctx;
    j->spill_dir = req->spill_dir;
    j->res = xcalloc(1, sizeof *j->res);
    init_capture(&j->out);
    init_capture(&j->err);
    uv_pipe_init(lr->loop, &j->out.pipe, 0);
    uv_pipe_init(lr->loop, &j->err.pipe, 0);
    j->out.pipe.data = j->err.pipe.data = j;
    uv_stdio_container_t stdio[3] = {
        {.flags = UV_IGNORE},
        {.flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE, .data.stream = (uv_stream_t *)&j->out.pipe},
        {.flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE, .data.stream = (uv_stream_t *)&j->err.pipe},
    };
    uv_process_options_t opts = {
        .exit_cb = on_process_exit,
        .file = req->argv[0],
        .args = req->argv,
        .env = req->env,
        .cwd = req->cwd,
        .flags = UV_PROCESS_DETACHED,
        .stdio_count = 3,
        .stdio = stdio,
    };
    j->proc.data = j;
    j->started = now_ms();
    j->next = lr->jobs;
    if (lr->jobs)
        lr->jobs->prev = j;
    lr->jobs = j;
    lr->count++;
    int rc = uv_spawn(lr->loop, &j->proc, &opts);
    if (rc != 0) {
        snprintf(j->res->error, sizeof j->res->error, "cannot start %s: %s", req->argv[0], uv_strerror(rc));
        /* Even a failed spawn leaves an initialised process handle that must be closed; the
         * callback arrives once all three handles are closed. */
        j->spawn_failed = j->exited = true;
        j->handles_open = 3;
        j->proc.data = j;
        uv_close((uv_handle_t *)&j->proc, on_handle_closed);
        uv_close((uv_handle_t *)&j->out.pipe, on_handle_closed);
        uv_close((uv_handle_t *)&j->err.pipe, on_handle_closed);
        return 0;
    }
    j->proc.data = j;
    uv_timer_init(lr->loop, &j->timer);
    j->timer.data = j;
    j->handles_open = 4; /* process, timer, two pipes */
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
