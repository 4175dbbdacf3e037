#include "fake_runner.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

typedef struct fake_call fake_call;

typedef struct {
    runner base;
    uv_loop_t *loop;
    fake_script *script;
    fake_call *running[FAKE_MAX_CALLS];
    size_t n_running;
} fake_runner;

struct fake_call {
    uv_timer_t timer;
    fake_runner *owner;
    const fake_job *job;
    size_t index; /* in the script's start order */
    size_t nth;   /* its job's call number: 0 for the first */
    char *output_path;
    bool cancelled;
    run_done_cb cb;
    void *ctx;
};

static size_t find_job(const fake_script *s, const char *name)
{
    for (size_t i = 0; i < s->n_jobs; i++)
        if (!strcmp(s->jobs[i].name, name))
            return i;
    fprintf(stderr, "fake runner: no job \"%s\" in the script\n", name);
    abort();
}

static void free_call(uv_handle_t *h)
{
    fake_call *call = h->data;
    free(call->output_path);
    free(call);
}

static void forget(fake_runner *fr, fake_call *call)
{
    for (size_t i = 0; i < fr->n_running; i++)
        if (fr->running[i] == call)
            fr->running[i] = fr->running[--fr->n_running];
    fr->script->running--;
}

static void on_done(uv_timer_t *t)
{
    fake_call *call = t->data;
    fake_runner *fr = call->owner;
    forget(fr, call);
    run_result *res = xcalloc(1, sizeof *res);
    res->outcome = call->cancelled ? RUN_CANCELLED : call->job->outcome;
    res->exit_code = call->job->exit_code;
    res->wall_ms = call->job->wall_ms;
    const char *out = call->job->out ? call->job->out : "";
    if (call->job->outs) {
        size_t last = 0;
        while (call->job->outs[last + 1] && last < call->nth)
            last++;
        out = call->job->outs[last];
    }
    res->out = xstrdup(out);
    res->out_len = strlen(res->out);
    res->err = xstrdup("");
    if (!call->cancelled && call->job->writes_output && call->output_path) {
        FILE *f = fopen(call->output_path, "w");
        fprintf(f, "output of %s", call->job->name);
        if (call->job->output_varies)
            fprintf(f, ", call %zu", call->nth);
        fputc('\n', f);
        fclose(f);
    }
    uv_close((uv_handle_t *)t, free_call);
    call->cb(call->ctx, res);
}

static int fake_start(runner *r, const run_request *req, run_done_cb cb, void *ctx)
{
    fake_runner *fr = (fake_runner *)r;
    fake_script *s = fr->script;
    fake_call *call = xcalloc(1, sizeof *call);
    call->owner = fr;
    size_t job = find_job(s, req->argv[1]);
    call->nth = s->calls[job]++;
    call->job = &s->jobs[job];
    call->output_path = req->argv[2] ? xstrdup(req->argv[2]) : NULL;
    call->cb = cb;
    call->ctx = ctx;
    call->index = s->n_started;
    s->started[s->n_started++] = call->job->name;
    fr->running[fr->n_running++] = call;
    if (++s->running > s->max_running)
        s->max_running = s->running;
    for (size_t i = 0; i < fr->n_running; i++) {
        size_t *o = &s->overlap[fr->running[i]->index];
        if (*o < fr->n_running - 1)
            *o = fr->n_running - 1;
    }
    uv_timer_init(fr->loop, &call->timer);
    call->timer.data = call;
    uv_timer_start(&call->timer, on_done, call->job->delay_ms, 0);
    if (s->raise_on_start && !strcmp(call->job->name, s->raise_after))
        raise(s->raise_on_start);
    return 0;
}

/* Every running call ends at once, as RUN_CANCELLED, through the loop as a real kill would. */
static void fake_cancel_all(runner *r)
{
    fake_runner *fr = (fake_runner *)r;
    fr->script->cancels++;
    for (size_t i = 0; i < fr->n_running; i++) {
        fr->running[i]->cancelled = true;
        uv_timer_start(&fr->running[i]->timer, on_done, 0, 0);
    }
}

static size_t fake_running(runner *r)
{
    return ((fake_runner *)r)->n_running;
}

static void fake_close(runner *r)
{
    free(r);
}

static const runner_ops fake_ops = {
    .start = fake_start,
    .cancel_all = fake_cancel_all,
    .running = fake_running,
    .close = fake_close,
};

runner *fake_runner_new(uv_loop_t *loop, void *ctx)
{
    fake_runner *fr = xcalloc(1, sizeof *fr);
    fr->base.ops = &fake_ops;
    fr->loop = loop;
    fr->script = ctx;
    return &fr->base;
}

int fake_started_at(const fake_script *s, const char *name)
{
    for (size_t i = 0; i < s->n_started; i++)
        if (!strcmp(s->started[i], name))
            return (int)i;
    return -1;
}
