#include "bisect_round.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exit_code.h"
#include "fs.h"
#include "interrupt.h"
#include "results.h"

extern char **environ;

typedef struct {
    const bisect_commit *cm;
    cJSON *step;
    char *tree_dir;
    const cJSON *prior; /* an earlier step's build of the same tree, or NULL */
    size_t shares;      /* the candidate of this round whose build it shares, or SIZE_MAX */
    char *build_log;
    char *binary; /* built, to be checked; NULL once the step has its verdict */
    char *results, *check_log;
} candidate;

typedef struct {
    str_list args;
    char **argv; /* args.items, NULL-terminated */
} job_argv;

static void job_argv_push(job_argv *j, const char *arg)
{
    str_list_push(&j->args, arg);
}

/* `option value`, unless value is NULL (not given) */
static void job_option(job_argv *j, const char *option, const char *value)
{
    if (value) {
        job_argv_push(j, option);
        job_argv_push(j, value);
    }
}

static char **job_argv_done(job_argv *j)
{
    j->argv = xcalloc(j->args.n + 1, sizeof *j->argv);
    memcpy(j->argv, j->args.items, j->args.n * sizeof *j->argv);
    return j->argv;
}

static void job_argv_free(job_argv *j)
{
    free(j->argv);
    str_list_free(&j->args);
}

/* The selection as `tmgt check` runs it, as the serial bisection runs it in process: the built
 * binary plays the engine, the job slots are shared among the round's candidates. */
static char **check_argv(const bisect_ctx *c, const char *self, const candidate *k, size_t n_checks,
                         job_argv *j)
{
    const session_opts *o = c->o;
    char *jobs = xasprintf("%zu", o->jobs / n_checks > 0 ? o->jobs / n_checks : 1);
    char *mine = xasprintf("%s=%s", c->st->engine, k->binary);
    const char *fixed[] = {
        self, "--pipeline", c->st->pipeline, "--cache-dir", o->cache_dir, "--results-dir", k->results,
        "-j", jobs,         "--engine",      mine};
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
        job_argv_push(j, fixed[i]);
    for (size_t i = 0; i < c->st->overrides.n; i++) {
        job_argv_push(j, "--engine");
        job_argv_push(j, c->st->overrides.items[i]);
    }
    for (size_t i = 0; i < c->st->models.n; i++) {
        job_argv_push(j, "--model");
        job_argv_push(j, c->st->models.items[i]);
    }
    for (size_t i = 0; i < c->st->checks.n; i++) {
        job_argv_push(j, "--check");
        job_argv_push(j, c->st->checks.items[i]);
    }
    if (o->remote_cache) {
        job_argv_push(j, "--remote-cache");
        job_argv_push(j, o->remote_cache);
        job_argv_push(j, o->remote_upload ? "--remote-upload=yes" : "--remote-upload=no");
    }
    /* the candidate's engines run where this bisection's do */
    job_option(j, "--executor", o->slurm ? "slurm" : NULL);
    job_option(j, "--slurm-partition", o->slurm_partition);
    job_option(j, "--slurm-account", o->slurm_account);
    if (o->no_cache)
        job_argv_push(j, "--no-cache");
    if (o->rerun_failed)
        job_argv_push(j, "--rerun-failed");
    for (int v = 1; v < o->verbose; v++)
        job_argv_push(j, "-v");
    job_argv_push(j, "check");
    free(jobs);
    free(mine);
    return job_argv_done(j);
}

/* Checkouts, and which candidates build and which share a build. */
static int prepare(bisect_ctx *c, size_t left, candidate *k, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        step_progress(c, left, k[i].cm, "checking out");
        if (!(k[i].tree_dir = step_checkout(c, k[i].cm)))
            return EXIT_ENV;
        k[i].shares = SIZE_MAX;
        k[i].prior = step_prior_build(c->st->steps, k[i].cm->tree);
        for (size_t e = 0; e < i && !k[i].prior && k[i].shares == SIZE_MAX; e++)
            if (!strcmp(k[e].cm->tree, k[i].cm->tree) && k[e].shares == SIZE_MAX && !k[e].prior)
                k[i].shares = e;
    }
    return interrupt_pending() ? EXIT_INTERRUPTED : -1;
}

static int build_all(bisect_ctx *c, size_t left, candidate *k, size_t n)
{
    bisect_job *jobs = xcalloc(n, sizeof *jobs);
    size_t *of = xcalloc(n, sizeof *of), n_jobs = 0;
    char *argv[] = {"/bin/sh", "-c", c->st->build, NULL};
    for (size_t i = 0; i < n; i++) {
        if (k[i].prior || k[i].shares != SIZE_MAX)
            continue;
        k[i].build_log = step_build_log(c, k[i].cm->tree);
        jobs[n_jobs] =
            (bisect_job){.argv = argv, .dir = k[i].tree_dir, .log_path = k[i].build_log, .label = "build"};
        of[n_jobs++] = i;
        step_progress(c, left, k[i].cm, "building");
    }
    build_outcome *out = xcalloc(n_jobs + 1, sizeof *out);
    bisect_run_jobs(jobs, n_jobs, c->builders, out);
    bool interrupted = false;
    for (size_t b = 0; b < n_jobs; b++) {
        interrupted = interrupted || out[b].interrupted;
        step_record_build(k[of[b]].step, &out[b], k[of[b]].build_log);
        build_outcome_free(&out[b]);
    }
    for (size_t i = 0; i < n; i++) {
        if (k[i].prior)
            step_share_build(k[i].step, k[i].prior);
        else if (k[i].shares != SIZE_MAX)
            step_share_build(k[i].step, k[k[i].shares].step);
    }
    free(out);
    free(of);
    free(jobs);
    return interrupted || interrupt_pending() ? EXIT_INTERRUPTED : -1;
}

static void judge_from_results(bisect_ctx *c, candidate *k)
{
    char *latest = path_join(k->results, "latest.json");
    tmgt_error err = {{0}};
    cJSON *doc = results_load(latest, &err);
    cJSON_AddStringToObject(k->step, "results", k->results);
    if (doc) {
        step_classify(c, doc, k->step);
    } else {
        char *why = xasprintf("the engine could not be used (see %s)", k->check_log);
        step_set_verdict(k->step, "skip", why);
        free(why);
    }
    cJSON_Delete(doc);
    free(latest);
}

/* Whether an earlier candidate of the round built the same binary: its checks then come from
 * the cache once that one's are done, instead of executing the same actions beside it. */
static bool binary_seen_before(const candidate *k, size_t i)
{
    for (size_t e = 0; e < i; e++)
        if (k[e].binary && !strcmp(step_str(k[e].step, "binary"), step_str(k[i].step, "binary")))
            return true;
    return false;
}

/* Runs the checks of the candidates that have a binary and `later` == second, at once. */
static int check_at_once(bisect_ctx *c, size_t left, const char *self, const char *cwd, candidate *k,
                         size_t n, const bool *later, bool second)
{
    size_t n_checks = 0;
    for (size_t i = 0; i < n; i++)
        n_checks += k[i].binary && later[i] == second;
    bisect_job *jobs = xcalloc(n_checks + 1, sizeof *jobs);
    job_argv *argvs = xcalloc(n_checks + 1, sizeof *argvs);
    size_t *of = xcalloc(n_checks + 1, sizeof *of), j = 0;
    int rc = -1;
    for (size_t i = 0; i < n && rc < 0; i++) {
        if (!k[i].binary || later[i] != second)
            continue;
        k[i].results = step_results_dir(c, k[i].cm);
        k[i].check_log = path_join(k[i].results, "check.log");
        char *latest = path_join(k[i].results, "latest.json");
        unlink(latest); /* an earlier, interrupted attempt's document must not be read as this one's */
        free(latest);
        tmgt_error err = {{0}};
        if (mkdir_p(k[i].results, 0755, &err) != 0) {
            fprintf(stderr, "tmgt: %s\n", err.msg);
            rc = EXIT_ENV;
            break;
        }
        /* tmgt itself gets the whole environment: it withholds from its engines what they must not see */
        jobs[j] = (bisect_job){.argv = check_argv(c, self, &k[i], n_checks, &argvs[j]),
                               .env = environ,
                               .dir = cwd,
                               .log_path = k[i].check_log};
        of[j++] = i;
        step_progress(c, left, k[i].cm, "running the checks on");
    }
    if (rc < 0) {
        build_outcome *out = xcalloc(j + 1, sizeof *out);
        bisect_run_jobs(jobs, j, NULL, out); /* tmgt check here; its engines run where o says */
        for (size_t b = 0; b < j; b++) {
            if (out[b].interrupted || out[b].exit_code == EXIT_INTERRUPTED)
                rc = EXIT_INTERRUPTED;
            build_outcome_free(&out[b]);
        }
        for (size_t b = 0; b < j && rc < 0; b++)
            judge_from_results(c, &k[of[b]]);
        free(out);
    }
    for (size_t b = 0; b < j; b++)
        job_argv_free(&argvs[b]);
    free(argvs);
    free(of);
    free(jobs);
    return rc;
}

static int check_all(bisect_ctx *c, size_t left, candidate *k, size_t n)
{
    char *self = realpath("/proc/self/exe", NULL);
    char cwd[4096];
    if (!self || !getcwd(cwd, sizeof cwd)) {
        fprintf(stderr, "tmgt: cannot find tmgt itself to run the checks\n");
        free(self);
        return EXIT_ENV;
    }
    bool *later = xcalloc(n, sizeof *later);
    for (size_t i = 0; i < n; i++)
        if ((k[i].binary = step_built_binary(c, k[i].tree_dir, k[i].step)))
            later[i] = binary_seen_before(k, i);
    int rc = check_at_once(c, left, self, cwd, k, n, later, false);
    if (rc < 0)
        rc = check_at_once(c, left, self, cwd, k, n, later, true);
    free(later);
    free(self);
    return rc;
}

static int by_position_newest_first(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

int bisect_round(bisect_ctx *c, const bisect_range *range, const size_t *picks, size_t n)
{
    size_t *order = xcalloc(n, sizeof *order);
    memcpy(order, picks, n * sizeof *order);
    qsort(order, n, sizeof *order, by_position_newest_first); /* parents come first in a range */
    candidate *k = xcalloc(n, sizeof *k);
    for (size_t i = 0; i < n; i++) {
        k[i].cm = &range->commits[order[i]];
        k[i].step = step_new(k[i].cm, c->round);
    }
    uint64_t t0 = now_ms();
    int rc = prepare(c, range->n, k, n);
    if (rc < 0)
        rc = build_all(c, range->n, k, n);
    if (rc < 0)
        rc = check_all(c, range->n, k, n);
    cJSON **steps = xcalloc(n, sizeof *steps);
    double round_ms = (double)(now_ms() - t0);
    for (size_t i = 0; i < n; i++) {
        if (rc < 0) {
            cJSON_AddNumberToObject(k[i].step, "round_ms", round_ms);
            cJSON_AddItemToArray(c->st->steps, k[i].step);
            steps[i] = k[i].step;
        } else {
            cJSON_Delete(k[i].step);
        }
        free(k[i].tree_dir);
        free(k[i].build_log);
        free(k[i].binary);
        free(k[i].results);
        free(k[i].check_log);
    }
    if (rc < 0)
        rc = step_save_and_print(c, steps, n);
    free(steps);
    free(k);
    free(order);
    return rc;
}
