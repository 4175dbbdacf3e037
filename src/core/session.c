#include "session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache_remote.h"
#include "cache_sync.h"
#include "env.h"
#include "evaluate.h"
#include "exec.h"
#include "exit_code.h"
#include "hub_env.h"
#include "json_read.h"
#include "model_pull.h"
#include "results.h"
#include "runner.h"

/* Engines run as local subprocesses or Slurm jobs; past OUTPUT_LIMIT bytes of output one is killed, and a
 * killed one gets KILL_GRACE_MS between SIGTERM and SIGKILL. */
enum { OUTPUT_MEMORY = 1u << 20, KILL_GRACE_MS = 2000 };
#define OUTPUT_LIMIT (64ull << 20)

void session_close(session *s)
{
    if (s->planned)
        plan_free(&s->p);
    for (size_t i = 0; s->pl && s->engines && i < s->pl->n_engines; i++)
        engine_free(&s->engines[i]);
    free(s->engines);
    cache_close(s->c);
    pipeline_free(s->pl);
}

static const char *override_for(const session_opts *o, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < o->n_engine_overrides; i++)
        if (!strncmp(o->engine_overrides[i], name, n) && o->engine_overrides[i][n] == '=')
            return o->engine_overrides[i] + n + 1;
    return NULL;
}

int session_open(session *s, const session_opts *o)
{
    tmgt_error err = {{0}};
    memset(s, 0, sizeof *s);
    s->pl = pipeline_load(o->pipeline, &err);
    if (!s->pl) {
        fprintf(stderr, "tmgt: %s\n", err.msg);
        return EXIT_ENV;
    }
    char *problem = selection_problem(&o->sel, s->pl);
    if (problem) {
        fprintf(stderr, "tmgt: %s\n", problem);
        free(problem);
        return EXIT_USAGE;
    }
    for (size_t i = 0; i < o->n_engine_overrides; i++) {
        char *name = xstrndup(o->engine_overrides[i], strcspn(o->engine_overrides[i], "="));
        bool known = pipeline_find_engine(s->pl, name) != NULL;
        if (!known)
            fprintf(stderr, "tmgt: --engine %s: the pipeline has no engine \"%s\"\n", o->engine_overrides[i],
                    name);
        free(name);
        if (!known)
            return EXIT_USAGE;
    }
    s->c = cache_open(o->cache_dir, &err);
    if (!s->c) {
        fprintf(stderr, "tmgt: cannot use the cache: %s\n", err.msg);
        return EXIT_ENV;
    }
    if (o->partial)
        cache_use_is_earlier(s->c);
    if (o->remote_cache && cache_use_remote(s->c, o->remote_cache, o->remote_upload, &err) != 0) {
        fprintf(stderr, "tmgt: --remote-cache: %s\n", err.msg);
        return EXIT_USAGE;
    }
    /* run, convert and check use the Hub models as they are now; plan only looks. A model
     * that cannot be pulled is skipped by the plan with the reason. */
    if (o->pull && !hub_offline()) {
        for (size_t i = 0; i < s->pl->n_models; i++)
            s->asked_hub |= !strncmp(s->pl->models[i].source, "hf://", 5);
        if (pull_selected_models(s->pl, &o->sel, s->c, o->quiet, stderr) == EXIT_INTERRUPTED)
            return EXIT_INTERRUPTED;
    }
    s->engines = xcalloc(s->pl->n_engines + 1, sizeof *s->engines);
    for (size_t i = 0; i < s->pl->n_engines; i++) {
        /* A relative binary path in the pipeline is relative to the pipeline's base, like every
         * other path in it; a bare name is looked up in PATH; --engine paths are the user's. */
        const pipeline_engine *def = &s->pl->engines[i];
        const char *override = override_for(o, def->name);
        char *from_pipeline = !override && strchr(def->binary, '/') && def->binary[0] != '/'
                                  ? pipeline_path(s->pl, def->binary)
                                  : NULL;
        engine_resolve(&s->engines[i], def, override ? override : from_pipeline, s->c);
        free(from_pipeline);
    }
    for (size_t i = 0; i < s->pl->n_engines; i++)
        engine_resolve_finish(&s->engines[i], s->c);
    if (plan_build(&s->p, s->pl, &o->sel, s->engines, &err) != 0) {
        s->planned = true;
        fprintf(stderr, "tmgt: %s\n", err.msg);
        return EXIT_ENV;
    }
    s->planned = true;
    /* A named engine override that does not work is the user's explicit request: say so. */
    for (size_t i = 0; i < s->pl->n_engines; i++)
        if (override_for(o, s->pl->engines[i].name) && s->engines[i].unavailable) {
            fprintf(stderr, "tmgt: %s\n", s->engines[i].unavailable);
            return EXIT_ENV;
        }
    return 0;
}

bool gpu_available(void)
{
    const char *forced = env_get(ENV_TMGT_GPU);
    if (forced && *forced)
        return strcmp(forced, "0") != 0;
    return access("/dev/nvidia0", F_OK) == 0;
}

static runner *local_runner(uv_loop_t *loop, void *ctx)
{
    return runner_local_new(loop, OUTPUT_MEMORY, OUTPUT_LIMIT, KILL_GRACE_MS);
}

static runner *slurm_runner(uv_loop_t *loop, void *ctx)
{
    return runner_slurm_new(loop, ctx, OUTPUT_MEMORY, OUTPUT_LIMIT, KILL_GRACE_MS);
}

/* What the session does with each finished action while the engines run. */
typedef struct {
    evaluator *judge;
    cache_sync *sync;
    size_t others_left; /* actions not exclusive, not yet finished */
    bool timings;       /* exclusive actions are planned */
} run_watch;

static void watch_init(run_watch *w, const graph *g, evaluator *judge, cache_sync *sync)
{
    *w = (run_watch){.judge = judge, .sync = sync};
    for (size_t i = 0; i < g->n_actions; i++) {
        bool exclusive = g->actions[i]->step && g->actions[i]->step->exclusive;
        w->timings |= exclusive;
        w->others_left += !exclusive;
    }
}

/* Each check is judged as soon as the actions it reads have finished; once only the timings are
 * left, what the rest published goes to the disk while they run alone. */
static void on_finished(void *ctx, const action *a)
{
    run_watch *w = ctx;
    evaluator_action_finished(w->judge, a);
    if (a->step && a->step->exclusive)
        return;
    if (--w->others_left == 0 && w->timings)
        cache_sync_early(w->sync);
}

static void tell_verdict(void *ctx, const evaluated_check *ec)
{
    terminal_progress_judged(ctx, ec->s->name, ec->r.status);
}

int session_execute(session *s, const session_opts *o, cJSON **doc, char **results_file)
{
    slurm_settings slurm = {.partition = o->slurm_partition, .account = o->slurm_account};
    tmgt_error why = {{0}};
    /* Engines read and write the cache's files from whichever node runs them. */
    if (o->slurm && runner_slurm_probe(&slurm, cache_tmp_dir(s->c), &why) != 0) {
        fprintf(stderr, "tmgt: --executor slurm: %s\n", why.msg);
        return EXIT_ENV;
    }
    terminal_progress progress;
    terminal_progress_init(&progress, o->quiet ? -1 : o->verbose, isatty(2) != 0);
    exec_opts eo = {
        .jobs = o->jobs,
        .read_cache = !o->no_cache,
        .repeat = o->repeat,
        .rerun_failed = o->rerun_failed,
        .salt = env_get(ENV_TMGT_CACHE_SALT),
        .output_limit = OUTPUT_LIMIT,
        .new_runner = o->slurm ? slurm_runner : local_runner,
        .runner_ctx = &slurm,
        .progress = &progress.base,
        .finished = on_finished,
    };
    run_info info = {.command = o->command,
                     .argc = o->argc,
                     .argv = o->argv,
                     .started_at = iso8601_now(),
                     .jobs = o->jobs,
                     .repeat = o->repeat};
    exec_stats st;
    evaluator *judge = evaluator_new(&s->p, gpu_available(), tell_verdict, &progress);
    cache_sync sync;
    cache_sync_init(&sync, s->c);
    run_watch watch;
    watch_init(&watch, &s->p.g, judge, &sync);
    eo.finished_ctx = &watch;
    exec_run(&s->p.g, s->c, &eo, &st);
    cache_sync_start(&sync);
    evaluation ev;
    evaluator_finish(judge, &ev);
    graph_release_streams(&s->p.g);
    *doc = results_build(&s->p, &ev, &st, &info);
    tmgt_error err = {{0}};
    int rc = EXIT_OK;
    cache_sync_join(&sync);
    if (!o->partial && results_write(*doc, o->results_dir, results_file, &err) != 0) {
        fprintf(stderr, "tmgt: cannot write results: %s\n", err.msg);
        rc = EXIT_ENV;
    }
    /* A timeout is no verdict on the engine, but no pass either: the run is not green. */
    const cJSON *counts = json_object(*doc, "counts");
    double fail = 0, timeout = 0;
    json_num(counts, "fail", &fail);
    json_num(counts, "timeout", &timeout);
    if (rc == EXIT_OK && (fail > 0 || timeout > 0))
        rc = EXIT_CHECK_FAILED;
    if (st.engine_changed)
        rc = EXIT_ENV; /* the checks after the change were not judged: the run proves nothing */
    if (st.interrupted)
        rc = EXIT_INTERRUPTED;
    evaluation_free(&ev);
    free(info.started_at);
    return rc;
}

/* The oracle files the plan read, each with the model and prompt whose checks read it, and
 * whether an action reads it too. */
static void note_oracles(const session *s, session_outcome *out)
{
    for (size_t i = 0; s->planned && i < s->pl->n_models; i++) {
        const oracle_set *set = s->p.oracles ? s->p.oracles[i] : NULL;
        for (size_t j = 0; set && j < set->n_entries; j++) {
            const oracle_entry *e = &set->entries[j];
            out->oracles = xrealloc(out->oracles, (out->n_oracles + 1) * sizeof *out->oracles);
            out->oracles[out->n_oracles++] =
                (memo_oracle){.path = xstrdup(e->path),
                              .slug = xstrdup(set->slug),
                              .prompt = xstrdup(e->prompt_key),
                              .sum = e->sum,
                              .action_input = plan_reads_oracle(&s->p, set->slug, e->prompt_key)};
        }
    }
}

void session_outcome_free(session_outcome *out)
{
    for (size_t i = 0; i < out->n_oracles; i++) {
        free((char *)out->oracles[i].path);
        free((char *)out->oracles[i].slug);
        free((char *)out->oracles[i].prompt);
    }
    free(out->oracles);
    free(out->results_file);
    memset(out, 0, sizeof *out);
}

int session_run(const session_opts *o, cJSON **doc, session_outcome *out)
{
    session s;
    session_outcome ignored = {0};
    *doc = NULL;
    int rc = session_open(&s, o);
    if (rc == 0)
        rc = session_execute(&s, o, doc, &(out ? out : &ignored)->results_file);
    if (out) {
        out->asked_hub = s.asked_hub;
        note_oracles(&s, out);
    }
    session_close(&s);
    free(ignored.results_file);
    return rc;
}
