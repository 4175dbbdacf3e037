/* Slurm: each request runs as one job, `srun` in the foreground of tmgt's own libuv loop.
 *
 * srun is itself a local subprocess, so the local runner does the rest unchanged: stdout and
 * stderr stream back through its pipes as the engine prints them, the exit arrives with
 * SIGCHLD (no polling of squeue, which without accounting is the only other way to learn how
 * a job ended), and the timeout, the output limit and Ctrl-C terminate srun, which cancels
 * its job on SIGTERM. After any such kill the job is also cancelled by its name (scancel),
 * in case srun died before it could: nothing of tmgt's stays queued.
 *
 * What srun's stderr says of the job's end is read by slurm_report.c; the result is reported
 * as the local runner reports the same death, and srun's own lines are removed from the
 * engine's stderr.
 *
 * A step's timeout is the job's run time, not its time in the queue: srun says "job N queued
 * and waiting for resources" when it has to wait (and nothing when it need not), then "job N
 * has been allocated resources"; the first stops the timeout's clock, the second starts it
 * again, whole (slurm_allocation_clock). How long a job may wait in the queue is not bounded
 * (the cluster's to decide; Ctrl-C cancels it). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "env.h"
#include "runner.h"
#include "slurm_report.h"
#include "util.h"

extern char **environ;

enum { SCANCEL_TIMEOUT_MS = 30000, PROBE_TIMEOUT_MS = 30000, PROBE_NOT_VISIBLE = 97 };

typedef struct {
    runner base;
    runner *local; /* starts srun and scancel */
    slurm_settings settings;
    unsigned seq;
} slurm_runner;

typedef struct {
    slurm_runner *owner;
    char *name; /* the job's name, unique to this run */
    run_done_cb cb;
    void *ctx;
    run_result *res; /* held while scancel makes sure the job is gone */
} slurm_job;

/* srun's and slurmstepd's lines out of the engine's stderr (kept in memory; a spilled stream
 * is left whole). */
static void strip_slurm_lines(run_result *res)
{
    if (!res->err)
        return;
    res->err_len = slurm_strip_own_lines(res->err, res->err_len);
    res->err[res->err_len] = '\0';
}

/* What srun said last: its lines end the stream, so from a spilled one the tail will do. */
static char *srun_words(const run_result *res, size_t *len)
{
    enum { TAIL = 4096 };
    if (res->err || !res->err_spill) {
        *len = res->err_len;
        return res->err ? xstrndup(res->err, res->err_len) : NULL;
    }
    char *tail = xcalloc(1, TAIL + 1);
    FILE *f = fopen(res->err_spill, "rb");
    *len = 0;
    if (f && fseek(f, res->err_len > TAIL ? -(long)TAIL : 0, SEEK_END) == 0)
        *len = fread(tail, 1, TAIL, f);
    if (f)
        fclose(f);
    return tail;
}

/* srun's report made the local runner's: a signal death as RUN_SIGNALED, a job that never ran
 * as RUN_SPAWN_FAILED (never cached as the engine's exit). */
static void map_srun_result(run_result *res)
{
    if (res->outcome == RUN_EXITED && res->exit_code != 0) {
        size_t words_len;
        char *words = srun_words(res, &words_len);
        slurm_ending e = slurm_read_ending(words, words_len, res->exit_code);
        if (e.kind == SLURM_JOB_NOT_RUN) {
            err_set(&res->error, "%.*s (exit %d)", (int)e.why_len, e.why, res->exit_code);
            res->outcome = RUN_SPAWN_FAILED;
        } else if (e.kind == SLURM_TASK_SIGNALED) {
            res->outcome = RUN_SIGNALED;
            res->term_signal = e.signal;
            res->exit_code = 0;
        }
        free(words);
    }
    strip_slurm_lines(res);
}

static void job_free(slurm_job *j)
{
    free(j->name);
    free(j);
}

static void on_scancel_done(void *ctx, run_result *scancel_res)
{
    slurm_job *j = ctx;
    run_result_free(scancel_res);
    j->cb(j->ctx, j->res);
    job_free(j);
}

static void on_srun_done(void *ctx, run_result *res)
{
    slurm_job *j = ctx;
    bool killed_by_us =
        res->outcome == RUN_TIMED_OUT || res->outcome == RUN_OUTPUT_LIMIT || res->outcome == RUN_CANCELLED;
    map_srun_result(res);
    if (!killed_by_us) {
        j->cb(j->ctx, res);
        job_free(j);
        return;
    }
    j->res = res;
    char *name_arg = xasprintf("--name=%s", j->name);
    char *argv[] = {"scancel", "--quiet", name_arg, NULL};
    char **env = env_for_children(environ);
    run_request req = {.argv = argv, .env = env, .timeout_ms = SCANCEL_TIMEOUT_MS, .label = "scancel"};
    runner *local = j->owner->local;
    local->ops->start(local, &req, on_scancel_done, j);
    free(env);
    free(name_arg);
}

/* srun's arguments, then the engine's: the job named for tmgt, the step and this run. */
static char **srun_argv(slurm_runner *sr, const run_request *req, const char *name)
{
    const run_resources *res = req->resources;
    const char *partition = res && res->partition ? res->partition : sr->settings.partition;
    size_t n = 0;
    while (req->argv[n])
        n++;
    char **argv = xcalloc(n + 16, sizeof *argv);
    size_t k = 0;
    argv[k++] = xstrdup("srun"); /* not --quiet: its words on the allocation start the clock */
    argv[k++] = xstrdup("--nodes=1");
    argv[k++] = xstrdup("--ntasks=1");
    argv[k++] = xasprintf("--job-name=%s", name);
    if (partition)
        argv[k++] = xasprintf("--partition=%s", partition);
    if (sr->settings.account)
        argv[k++] = xasprintf("--account=%s", sr->settings.account);
    if (res && res->gres)
        argv[k++] = xasprintf("--gres=%s", res->gres);
    if (res && res->cpus > 0)
        argv[k++] = xasprintf("--cpus-per-task=%d", res->cpus);
    if (res && res->exclusive)
        argv[k++] = xstrdup("--exclusive");
    /* tmgt's own timer ends the job at the timeout; Slurm's limit (whole minutes, counted from
     * the job's start as tmgt's clock is) is the backstop should tmgt itself die. */
    if (req->timeout_ms > 0)
        argv[k++] = xasprintf("--time=%d", req->timeout_ms / 60000 + 2);
    argv[k++] = xstrdup("--");
    for (size_t i = 0; i < n; i++)
        argv[k++] = xstrdup(req->argv[i]);
    return argv;
}

static int slurm_start(runner *r, const run_request *req, run_done_cb cb, void *ctx)
{
    slurm_runner *sr = (slurm_runner *)r;
    slurm_job *j = xcalloc(1, sizeof *j);
    j->owner = sr;
    j->cb = cb;
    j->ctx = ctx;
    j->name = xasprintf("tmgt.%s.%ld.%u", req->label ? req->label : "action", (long)getpid(), ++sr->seq);
    char **argv = srun_argv(sr, req, j->name);
    run_request wrapped = *req;
    wrapped.argv = argv;
    wrapped.watch_err = slurm_allocation_clock;
    int rc = sr->local->ops->start(sr->local, &wrapped, on_srun_done, j);
    for (size_t i = 0; argv[i]; i++)
        free(argv[i]);
    free(argv);
    return rc;
}

static void slurm_cancel_all(runner *r)
{
    runner *local = ((slurm_runner *)r)->local;
    local->ops->cancel_all(local);
}

static size_t slurm_running(runner *r)
{
    runner *local = ((slurm_runner *)r)->local;
    return local->ops->running(local);
}

static void slurm_close(runner *r)
{
    slurm_runner *sr = (slurm_runner *)r;
    sr->local->ops->close(sr->local);
    free(sr);
}

static const runner_ops slurm_ops = {
    .start = slurm_start,
    .cancel_all = slurm_cancel_all,
    .running = slurm_running,
    .close = slurm_close,
};

runner *runner_slurm_new(uv_loop_t *loop, const slurm_settings *s, size_t memory_limit, uint64_t output_limit,
                         int kill_grace_ms)
{
    slurm_runner *sr = xcalloc(1, sizeof *sr);
    sr->base.ops = &slurm_ops;
    sr->local = runner_local_new(loop, memory_limit, output_limit, kill_grace_ms);
    sr->settings = *s;
    return &sr->base;
}

typedef struct {
    runner *r;
    run_result *res;
    bool out_of_time;
} probe;

static void on_probe_done(void *ctx, run_result *res)
{
    ((probe *)ctx)->res = res;
}

static void on_probe_time(uv_timer_t *t)
{
    probe *p = t->data;
    if (p->res)
        return; /* it ended in the same turn of the loop */
    p->out_of_time = true;
    p->r->ops->cancel_all(p->r);
}

static void close_handle(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

/* One job that prints a token tmgt has just written into shared_dir, within PROBE_TIMEOUT_MS
 * of asking: its time in the queue counts here (a cluster that runs nothing is the answer). */
static run_result *run_probe(const slurm_settings *s, const char *token_path)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    probe p = {.r = runner_slurm_new(&loop, s, 1u << 16, 1u << 20, 2000)};
    uv_timer_t clock;
    uv_timer_init(&loop, &clock);
    clock.data = &p;
    uv_timer_start(&clock, on_probe_time, PROBE_TIMEOUT_MS, 0);
    char *argv[] = {"sh", "-c", "cat -- \"$1\" 2>/dev/null || exit 97", "tmgt-probe", (char *)token_path,
                    NULL};
    char **env = env_for_children(environ);
    run_request req = {.argv = argv, .env = env, .label = "probe"};
    p.r->ops->start(p.r, &req, on_probe_done, &p);
    free(env);
    while (!p.res)
        uv_run(&loop, UV_RUN_ONCE);
    if (p.out_of_time)
        p.res->outcome = RUN_TIMED_OUT;
    uv_walk(&loop, close_handle, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    p.r->ops->close(p.r);
    return p.res;
}

int runner_slurm_probe(const slurm_settings *s, const char *shared_dir, tmgt_error *err)
{
    /* srun retries a missing configuration file for a minute before it says so. */
    const char *conf = env_get(ENV_SLURM_CONF);
    if (conf && *conf && access(conf, R_OK) != 0) {
        err_set(err, "SLURM_CONF=%s: %s", conf, strerror(errno));
        return -1;
    }
    char *token = xasprintf("tmgt %ld %llu\n", (long)getpid(), (unsigned long long)now_ms());
    char *path = xasprintf("%s/slurm-probe-%ld", shared_dir, (long)getpid());
    FILE *f = fopen(path, "w");
    if (!f || fputs(token, f) < 0 || fclose(f) != 0) {
        err_set(err, "cannot write %s: %s", path, strerror(errno));
        free(token);
        free(path);
        return -1;
    }
    run_result *res = run_probe(s, path);
    unlink(path);
    int rc = -1;
    if (res->outcome == RUN_EXITED && res->exit_code == 0 && res->out && !strcmp(res->out, token))
        rc = 0;
    else if (res->outcome == RUN_SPAWN_FAILED && !strncmp(res->error.msg, "cannot start", 12))
        err_set(err, "%s (Slurm's client commands must be on PATH)", res->error.msg);
    else if (res->outcome == RUN_SPAWN_FAILED)
        err_set(err, "the cluster did not run a test job: %s", res->error.msg);
    else if (res->outcome == RUN_TIMED_OUT)
        err_set(err, "the cluster did not run a test job within %d s", PROBE_TIMEOUT_MS / 1000);
    else if (res->outcome == RUN_EXITED && res->exit_code == PROBE_NOT_VISIBLE)
        err_set(err,
                "the node the test job ran on does not see %s, inside the cache directory: the cache and "
                "the models must be on a filesystem every node mounts at the same path",
                shared_dir);
    else
        err_set(err, "the test job did not print the token tmgt wrote into %s (exit %d, signal %d)", path,
                res->exit_code, res->term_signal);
    run_result_free(res);
    free(token);
    free(path);
    return rc;
}
