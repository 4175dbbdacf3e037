/* run / convert / check / plan: pipeline → plan → executor → evaluators → results. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "action_key.h"
#include "action_record.h"
#include "cli.h"
#include "env.h"
#include "evaluate.h"
#include "exec.h"
#include "hub_pull.h"
#include "report.h"
#include "results.h"
#include "run_memo.h"
#include "run_selection.h"

typedef struct {
    pipeline *pl;
    cache *c;
    engine *engines;
    plan p;
    bool planned;
    bool asked_hub;      /* the Hub was asked about a model: its answer may change unseen */
} session;

/* What a run leaves besides its document, for the memo (run_memo.h). */
typedef struct {
    char *results_file;  /* the document written, or NULL */
    bool asked_hub;
} run_extras;

static void session_close(session *s)
{
    if (s->planned)
        plan_free(&s->p);
    for (size_t i = 0; s->pl && s->engines && i < s->pl->n_engines; i++)
        engine_free(&s->engines[i]);
    free(s->engines);
    cache_close(s->c);
    pipeline_free(s->pl);
}

static const char *override_for(const cli_opts *o, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < o->n_engine_overrides; i++)
        if (!strncmp(o->engine_overrides[i], name, n) && o->engine_overrides[i][n] == '=')
            return o->engine_overrides[i] + n + 1;
    return NULL;
}

static int open_session(const cli_opts *o, session *s)
{
    tmgt_error err = {{0}};
    memset(s, 0, sizeof *s);
    s->pl = pipeline_load(o->pipeline, &err);
    if (!s->pl) {
        fprintf(stderr, "tmgt: %s\n", err.msg);
        return EXIT_ENV;
    }
    for (size_t i = 0; i < o->n_engine_overrides; i++) {
        char *name = xstrndup(o->engine_overrides[i], strcspn(o->engine_overrides[i], "="));
        bool known = pipeline_find_engine(s->pl, name) != NULL;
        if (!known)
            fprintf(stderr, "tmgt: --engine %s: the pipeline has no engine \"%s\"\n", o->engine_overrides[i], name);
        free(name);
        if (!known)
            return EXIT_USAGE;
    }
    s->c = cache_open(o->cache_dir, &err);
    if (!s->c) {
        fprintf(stderr, "tmgt: cannot use the cache: %s\n", err.msg);
        return EXIT_ENV;
    }
    /* run, convert and check use the Hub models as they are now; plan only looks. A model
     * that cannot be pulled is skipped by the plan with the reason. */
    if (strcmp(o->command, "plan") != 0 && !hub_offline()) {
        for (size_t i = 0; i < s->pl->n_models; i++)
            s->asked_hub |= !strncmp(s->pl->models[i].source, "hf://", 5);
        if (pull_selected_models(o, s->pl, s->c, stderr) == EXIT_INTERRUPTED)
            return EXIT_INTERRUPTED;
    }
    s->engines = xcalloc(s->pl->n_engines + 1, sizeof *s->engines);
    for (size_t i = 0; i < s->pl->n_engines; i++) {
        /* A relative binary path in the pipeline is relative to the pipeline's base, like every
         * other path in it; a bare name is looked up in PATH; --engine paths are the user's. */
        const pipeline_engine *def = &s->pl->engines[i];
        const char *override = override_for(o, def->name);
        char *from_pipeline = !override && strchr(def->binary, '/') && def->binary[0] != '/'
                                  ? pipeline_path(s->pl, def->binary) : NULL;
        engine_resolve(&s->engines[i], def, override ? override : from_pipeline, s->c);
        free(from_pipeline);
    }
    for (size_t i = 0; i < s->pl->n_engines; i++)
        engine_resolve_finish(&s->engines[i], s->c);
    selection sel = o->sel;
    sel.conversions_only = !strcmp(o->command, "convert");
    if (plan_build(&s->p, s->pl, &sel, s->engines, &err) != 0) {
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

/* Walks the graph in dependency order without running anything: an action is cached when
 * its key (computable once its inputs are known) has a record. */
static int show_plan(const cli_opts *o, session *s)
{
    graph *g = &s->p.g;
    size_t cached = 0, to_run = 0, unavailable = 0;
    bool progress = true;
    bool *done = xcalloc(g->n_actions + 1, sizeof *done);
    while (progress) {
        progress = false;
        for (size_t i = 0; i < g->n_actions; i++) {
            action *a = g->actions[i];
            if (done[i])
                continue;
            bool inputs_known = true, inputs_pending = false;
            for (size_t j = 0; j < a->n_inputs; j++) {
                action *prod = a->inputs[j]->producer;
                if (prod && !done[prod->index])
                    inputs_known = false;
                else if (prod && !a->inputs[j]->have_digest)
                    inputs_pending = true;
            }
            if (!inputs_known && a->status != ST_UNAVAILABLE)
                continue;
            done[i] = progress = true;
            if (a->status == ST_UNAVAILABLE) {
                unavailable++;
                printf("skip    %s: %s\n", a->label, a->reason);
                continue;
            }
            if (inputs_pending) {
                to_run++;
                printf("run     %s%s\n", a->label, o->explain ? ": an input will be produced first" : "");
                continue;
            }
            tmgt_error err = {{0}};
            cJSON *comp = action_compute_key(a, s->c, env_get(ENV_TMGT_CACHE_SALT), &err);
            cJSON *rec = comp ? cache_get_record(s->c, &a->key) : NULL;
            bool hit = rec && !o->no_cache && record_answers(rec, o->rerun_failed);
            uint64_t size;
            if (hit && a->output && record_output(rec, a->output->name, &a->output->d, &size))
                a->output->have_digest = true;
            if (hit) {
                cached++;
                printf("cached  %s\n", a->label);
            } else {
                to_run++;
                char *why = NULL;
                if (o->explain && comp) {
                    digest id;
                    action_identity_key(a, &id);
                    cJSON *last = record_identity_components(s->c, &id);
                    why = action_explain_change(last, comp);
                    cJSON_Delete(last);
                } else if (o->explain) {
                    why = xstrdup(err.msg);
                }
                printf("run     %s%s%s\n", a->label, why ? ": " : "", why ? why : "");
                free(why);
            }
            cJSON_Delete(rec);
            cJSON_Delete(comp);
        }
    }
    free(done);
    printf("%zu checks need %zu actions: %zu cached, %zu to run, %zu unavailable\n", s->p.checks.count,
           g->n_actions, cached, to_run, unavailable);
    return EXIT_OK;
}

/* TMGT_GPU=1|0 overrides the probe: a machine may hide its device node (containers), and the
 * simulator's GPU needs no device at all. */
static bool gpu_available(void)
{
    const char *forced = env_get(ENV_TMGT_GPU);
    if (forced && *forced)
        return strcmp(forced, "0") != 0;
    return access("/dev/nvidia0", F_OK) == 0;
}

/* Engines run as local subprocesses; past OUTPUT_LIMIT bytes of output one is killed, and a
 * killed one gets KILL_GRACE_MS between SIGTERM and SIGKILL. */
enum { OUTPUT_MEMORY = 1u << 20, KILL_GRACE_MS = 2000 };
#define OUTPUT_LIMIT (64ull << 20)

static runner *local_runner(uv_loop_t *loop, void *ctx)
{
    return runner_local_new(loop, OUTPUT_MEMORY, OUTPUT_LIMIT, KILL_GRACE_MS);
}

/* Executes the plan through the cache, judges it and writes the results document. */
static int execute(const cli_opts *o, session *s, cJSON **doc, char **results_file)
{
    terminal_progress progress;
    terminal_progress_init(&progress, o->quiet ? -1 : o->verbose, isatty(2) != 0);
    exec_opts eo = {
        .jobs = o->jobs,
        .read_cache = !o->no_cache,
        .rerun_failed = o->rerun_failed,
        .salt = env_get(ENV_TMGT_CACHE_SALT),
        .output_limit = OUTPUT_LIMIT,
        .new_runner = local_runner,
        .progress = &progress.base,
    };
    run_info info = {.command = o->command, .argc = o->argc, .argv = o->argv, .started_at = iso8601_now(),
                     .jobs = o->jobs};
    exec_stats st;
    exec_run(&s->p.g, s->c, &eo, &st);
    evaluation ev;
    evaluate_plan(&s->p, gpu_available(), &ev);
    graph_release_streams(&s->p.g);
    *doc = results_build(&s->p, &ev, &st, &info);
    tmgt_error err = {{0}};
    int rc = EXIT_OK;
    if (results_write(*doc, o->results_dir, results_file, &err) != 0) {
        fprintf(stderr, "tmgt: cannot write results: %s\n", err.msg);
        rc = EXIT_ENV;
    }
    const cJSON *fail = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(*doc, "counts"), "fail");
    if (rc == EXIT_OK && cJSON_IsNumber(fail) && fail->valueint > 0)
        rc = EXIT_CHECK_FAILED;
    if (st.engine_changed)
        rc = EXIT_ENV; /* the checks after the change were not judged: the run proves nothing */
    if (st.interrupted)
        rc = EXIT_INTERRUPTED;
    evaluation_free(&ev);
    free(info.started_at);
    return rc;
}

static int run_and_tell(const cli_opts *o, cJSON **doc, run_extras *out)
{
    session s;
    *doc = NULL;
    int rc = open_session(o, &s);
    if (rc == 0)
        rc = execute(o, &s, doc, &out->results_file);
    out->asked_hub = s.asked_hub;
    session_close(&s);
    return rc;
}

int run_selection(const cli_opts *o, cJSON **doc)
{
    run_extras out = {0};
    int rc = run_and_tell(o, doc, &out);
    free(out.results_file);
    return rc;
}

static bool console_color(void)
{
    const char *nc = env_get(ENV_NO_COLOR);
    return isatty(1) && !(nc && *nc);
}

static void print_results(const cli_opts *o, const cJSON *doc)
{
    if (o->json) {
        char *json = cJSON_Print(doc);
        puts(json);
        cJSON_free(json);
    } else {
        report_console_opts ro = {.color = console_color(), .quiet = o->quiet};
        report_console(doc, stdout, &ro);
    }
}

static int count_of(const cJSON *doc, const char *name)
{
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "counts"), name);
    return cJSON_IsNumber(n) ? n->valueint : 0;
}

static double number_of(const cJSON *doc, const char *name)
{
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(doc, name);
    return cJSON_IsNumber(n) ? n->valuedouble : -1;
}

/* Prints the report as print_results does, and remembers the run when it executed nothing. */
static void report_and_remember(const cli_opts *o, const cJSON *doc, int rc, const run_extras *out,
                                const char *memo, const dep_list *deps, int64_t started_ns)
{
    char *findings = NULL;
    size_t len = 0;
    FILE *ms = open_memstream(&findings, &len);
    report_console_opts ro = {.color = console_color(), .quiet = o->quiet};
    if (!ms || report_console_findings(doc, ms, &ro) != 0 || fclose(ms) != 0) {
        print_results(o, doc); /* no memory for the text: report without remembering */
        free(findings);
        return;
    }
    int pass = count_of(doc, "pass"), fail = count_of(doc, "fail"), skip = count_of(doc, "skip");
    fwrite(findings, 1, len, stdout);
    report_console_totals(doc, pass, fail, skip, stdout);
    const cJSON *started_at = cJSON_GetObjectItemCaseSensitive(doc, "started_at");
    bool executed_nothing = number_of(doc, "actions_executed") == 0 &&
                            !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "interrupted"));
    if (executed_nothing && !out->asked_hub && out->results_file && cJSON_IsString(started_at) &&
        (rc == EXIT_OK || rc == EXIT_CHECK_FAILED)) {
        run_memo_facts f = {
            .started_at = started_at->valuestring, .findings = findings, .findings_len = len,
            .pass = pass, .fail = fail, .skip = skip, .exit_code = rc,
            .actions_cached = (long long)number_of(doc, "actions_cached"), .results_file = out->results_file,
            .deps = deps, .started_ns = started_ns,
        };
        tmgt_error err = {{0}};
        if (run_memo_save(memo, &f, &err) < 0)
            fprintf(stderr, "tmgt: warning: the next identical run will judge again: %s\n", err.msg);
    }
    free(findings);
}

/* Replays the memo of an identical earlier run when nothing it read has changed; otherwise
 * runs, recording what it reads. */
static int run_remembered(const cli_opts *o)
{
    uint64_t started_ms = now_ms();
    char *memo = run_memo_path(o, console_color(), gpu_available());
    int rc = run_memo_replay(memo, o, started_ms);
    if (rc >= 0) {
        free(memo);
        return rc;
    }
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t started_ns = timespec_ns(now);
    deps_start();
    char *self = realpath("/proc/self/exe", NULL); /* a rebuilt tmgt may judge differently */
    if (self)
        deps_note(self);
    free(self);
    cJSON *doc = NULL;
    run_extras out = {0};
    rc = run_and_tell(o, &doc, &out);
    dep_list deps;
    deps_take(&deps);
    if (doc)
        report_and_remember(o, doc, rc, &out, memo, &deps, started_ns);
    dep_list_free(&deps);
    cJSON_Delete(doc);
    free(out.results_file);
    free(memo);
    return rc;
}

int cmd_run(const cli_opts *o)
{
    if (strcmp(o->command, "plan") != 0) {
        if (run_memo_applies(o))
            return run_remembered(o);
        cJSON *doc = NULL;
        int rc = run_selection(o, &doc);
        if (doc)
            print_results(o, doc);
        cJSON_Delete(doc);
        return rc;
    }
    session s;
    int rc = open_session(o, &s);
    if (rc == 0)
        rc = show_plan(o, &s);
    session_close(&s);
    return rc;
}
