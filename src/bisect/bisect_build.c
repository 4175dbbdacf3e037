#include "bisect_build.h"

#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "env.h"
#include "fs.h"
#include "interrupt.h"
#include "runner.h"
#include "util.h"

extern char **environ;

/* Equal memory and output limits: the log is kept in memory and never spills to a file. */
#define BUILD_OUTPUT_LIMIT (64u << 20)

typedef struct build_state build_state;

typedef struct {
    build_state *s;
    run_result *res;
} build_slot;

struct build_state {
    runner *r;
    size_t pending;
    bool interrupted;
};

static void on_done(void *ctx, run_result *res)
{
    build_slot *slot = ctx;
    slot->res = res;
    slot->s->pending--;
}

static void on_interrupt(void *ctx, int signum)
{
    (void)signum;
    build_state *s = ctx;
    if (!s->interrupted)
        s->r->ops->cancel_all(s->r);
    s->interrupted = true;
}

static void close_handle(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

static void write_log(const char *path, const run_result *res)
{
    strbuf sb;
    sb_init(&sb);
    sb_append(&sb, res->out ? res->out : "", res->out_len);
    sb_append(&sb, res->err ? res->err : "", res->err_len);
    if (res->error.msg[0])
        sb_printf(&sb, "%s\n", res->error.msg);
    write_file_atomic(path, sb.buf ? sb.buf : "", sb.len, 0644, NULL);
    sb_free(&sb);
}

static char *failure_reason(const run_result *res)
{
    switch (res->outcome) {
    case RUN_EXITED:
        return xasprintf("exit %d", res->exit_code);
    case RUN_SIGNALED:
        return xasprintf("killed by signal %d", res->term_signal);
    case RUN_OUTPUT_LIMIT:
        return xasprintf("printed more than %u bytes", BUILD_OUTPUT_LIMIT);
    case RUN_SPAWN_FAILED:
        return xstrdup(res->error.msg);
    case RUN_TIMED_OUT:
    case RUN_CANCELLED:
        break;
    }
    return xstrdup("interrupted");
}

void bisect_run_jobs(const bisect_job *jobs, size_t n, const slurm_settings *cluster, build_outcome *out)
{
    memset(out, 0, n * sizeof *out);
    uv_loop_t loop;
    uv_loop_init(&loop);
    build_state s = {.r = cluster
                              ? runner_slurm_new(&loop, cluster, BUILD_OUTPUT_LIMIT, BUILD_OUTPUT_LIMIT, 2000)
                              : runner_local_new(&loop, BUILD_OUTPUT_LIMIT, BUILD_OUTPUT_LIMIT, 2000),
                     .pending = n};
    /* a build uses every core it finds: two on one node would each take twice as long */
    const run_resources whole_node = {.exclusive = true};
    interrupt_watch signals;
    interrupt_watch_start(&signals, &loop, true, on_interrupt, &s);
    char **env = env_for_children(environ);
    build_slot *slots = xcalloc(n + 1, sizeof *slots);
    for (size_t i = 0; i < n; i++) {
        slots[i].s = &s;
        run_request req = {.argv = jobs[i].argv,
                           .env = jobs[i].env ? jobs[i].env : env,
                           .cwd = jobs[i].dir,
                           .spill_dir = jobs[i].dir,
                           .timeout_ms = 0,
                           .label = jobs[i].label,
                           .resources = &whole_node};
        s.r->ops->start(s.r, &req, on_done, &slots[i]);
    }
    while (s.pending > 0)
        uv_run(&loop, UV_RUN_ONCE);
    interrupt_watch_stop(&signals);
    uv_walk(&loop, close_handle, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    s.r->ops->close(s.r);
    free(env);
    for (size_t i = 0; i < n; i++) {
        const run_result *res = slots[i].res;
        write_log(jobs[i].log_path, res);
        out[i].wall_ms = res->wall_ms;
        out[i].interrupted = s.interrupted;
        out[i].exit_code = res->exit_code;
        out[i].ok = !s.interrupted && res->outcome == RUN_EXITED && res->exit_code == 0;
        if (!out[i].ok)
            out[i].reason = failure_reason(res);
        run_result_free(slots[i].res);
    }
    free(slots);
}

void bisect_build(const char *command, const char *dir, const char *log_path, const slurm_settings *cluster,
                  build_outcome *out)
{
    char *argv[] = {"/bin/sh", "-c", (char *)command, NULL};
    bisect_job job = {.argv = argv, .dir = dir, .log_path = log_path, .label = "build"};
    bisect_run_jobs(&job, 1, cluster, out);
}

void build_outcome_free(build_outcome *out)
{
    free(out->reason);
    out->reason = NULL;
}
