/* run / convert / check / plan: the session (core/session.h) with the options of the command
 * line, then the console report; a no-op rerun replays the last identical run's memo instead. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "action_key.h"
#include "action_record.h"
#include "cli.h"
#include "env.h"
#include "json_read.h"
#include "json_stream.h"
#include "report.h"
#include "rejudge.h"
#include "run_memo.h"
#include "session.h"
#include "terminal.h"

session_opts cli_session_opts(const cli_opts *o)
{
    session_opts so = {
        .pipeline = o->pipeline,
        .cache_dir = o->cache_dir,
        .results_dir = o->results_dir,
        .sel = o->sel,
        .engine_overrides = o->engine_overrides,
        .n_engine_overrides = o->n_engine_overrides,
        .jobs = o->jobs,
        .repeat = (unsigned)o->repeat,
        .remote_cache = o->remote_cache,
        .remote_upload = o->remote_upload,
        .slurm = o->slurm,
        .slurm_partition = o->slurm_partition,
        .slurm_account = o->slurm_account,
        .pull = true,
        .no_cache = o->no_cache,
        .rerun_failed = o->rerun_failed,
        .quiet = o->quiet,
        .verbose = o->verbose,
        .command = o->command,
        .argc = o->argc,
        .argv = o->argv,
    };
    return so;
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

static report_console_opts console_opts(const cli_opts *o)
{
    terminal t = terminal_of(stdout);
    return (report_console_opts){.color = t.color, .quiet = o->quiet, .width = t.width};
}

static void print_results(const cli_opts *o, const cJSON *doc)
{
    if (o->json) {
        json_stream_print(doc, stdout);
        putchar('\n');
    } else {
        report_console_opts ro = console_opts(o);
        report_console(doc, stdout, &ro);
    }
}

static int count_of(const cJSON *doc, const char *name)
{
    double n = 0;
    json_num(json_object(doc, "counts"), name, &n);
    return (int)n;
}

static double number_of(const cJSON *doc, const char *name)
{
    double n = -1;
    json_num(doc, name, &n);
    return n;
}

/* Prints the report as print_results does and returns the findings as printed (*len bytes), or
 * NULL when there was no memory to keep them: then the run is reported, not remembered. */
static char *print_and_keep(const cli_opts *o, const cJSON *doc, size_t *len, report_counts *n)
{
    char *findings = NULL;
    FILE *ms = open_memstream(&findings, len);
    report_console_opts ro = console_opts(o);
    if (!ms || report_console_findings(doc, ms, &ro) != 0 || fclose(ms) != 0) {
        print_results(o, doc);
        free(findings);
        return NULL;
    }
    *n = (report_counts){.pass = count_of(doc, "pass"),
                         .fail = count_of(doc, "fail"),
                         .timeout = count_of(doc, "timeout"),
                         .skip = count_of(doc, "skip")};
    fwrite(findings, 1, *len, stdout);
    report_console_totals(doc, n, stdout, &ro);
    return findings;
}

static void warn_unsaved(int rc, const tmgt_error *err)
{
    if (rc < 0)
        fprintf(stderr, "tmgt: warning: the next identical run will judge again: %s\n", err->msg);
}

/* Prints the report, and remembers the run when it executed nothing. */
static void report_and_remember(const cli_opts *o, const cJSON *doc, int rc, const session_outcome *out,
                                const char *memo, const dep_list *deps, int64_t started_ns)
{
    size_t len = 0;
    report_counts n;
    char *findings = print_and_keep(o, doc, &len, &n);
    const cJSON *started_at = cJSON_GetObjectItemCaseSensitive(doc, "started_at");
    bool executed_nothing = number_of(doc, "actions_executed") == 0 &&
                            !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "interrupted"));
    if (findings && executed_nothing && !out->asked_hub && out->results_file && cJSON_IsString(started_at) &&
        (rc == EXIT_OK || rc == EXIT_CHECK_FAILED)) {
        run_memo_facts f = {
            .out = {.started_at = started_at->valuestring,
                    .findings = findings,
                    .findings_len = len,
                    .pass = n.pass,
                    .fail = n.fail,
                    .skip = n.skip,
                    .exit_code = rc,
                    .actions_cached = (long long)number_of(doc, "actions_cached"),
                    .results_file = out->results_file},
            .deps = deps,
            .oracles = out->oracles,
            .n_oracles = out->n_oracles,
            .started_ns = started_ns,
        };
        tmgt_error err = {{0}};
        warn_unsaved(run_memo_save(memo, &f, &err), &err);
    }
    free(findings);
}

static int64_t realtime_ns(void)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return timespec_ns(now);
}

/* After oracle files changed and nothing else: the checks of their prompts judged again
 * (core/rejudge.h), reported and remembered as a whole run would be; -1 when a whole run must
 * do it. */
static int rejudge_and_remember(const cli_opts *o, const session_opts *so, const run_memo *m,
                                const memo_edits *edits, const char *memo)
{
    int64_t started_ns = realtime_ns();
    rejudged_run r;
    int rc = rejudge_edited(so, m, edits, &r);
    if (!r.summary)
        return rc;
    size_t len = 0;
    report_counts n;
    char *findings = print_and_keep(o, r.summary, &len, &n);
    if (findings) {
        run_memo_outcome out = {.findings = findings,
                                .findings_len = len,
                                .pass = n.pass,
                                .fail = n.fail,
                                .skip = n.skip,
                                .exit_code = rc,
                                .actions_cached = run_memo_actions_cached(m),
                                .results_file = r.results_file,
                                .started_at = r.started_at};
        tmgt_error err = {{0}};
        warn_unsaved(run_memo_save_rejudged(m, memo, &out, started_ns, &err), &err);
    }
    free(findings);
    rejudged_run_free(&r);
    return rc;
}

/* Replays the memo of an identical earlier run when nothing it read has changed, judges again
 * only what read an edited oracle file when nothing else has; otherwise runs, recording what it
 * reads. */
static int run_remembered(const cli_opts *o, const session_opts *so)
{
    uint64_t started_ms = now_ms();
    report_console_opts console = console_opts(o);
    char *memo = run_memo_path(o->cache_dir, o->argc, o->argv, &console, gpu_available());
    run_memo *m = run_memo_open(memo);
    int rc = -1;
    if (m) {
        memo_edits edits;
        memo_verdict v = run_memo_compare(m, &console, &edits);
        if (v == MEMO_STANDS)
            rc = run_memo_replay(m, memo, o->results_dir, &console, started_ms);
        else if (v == MEMO_ORACLES_EDITED)
            rc = rejudge_and_remember(o, so, m, &edits, memo);
        memo_edits_free(&edits);
        run_memo_close(m);
    }
    if (rc >= 0) {
        free(memo);
        return rc;
    }
    int64_t started_ns = realtime_ns();
    deps_start();
    char *self = realpath("/proc/self/exe", NULL); /* a rebuilt tmgt may judge differently */
    if (self)
        deps_note(self);
    free(self);
    cJSON *doc = NULL;
    session_outcome out = {0};
    rc = session_run(so, &doc, &out);
    dep_list deps;
    deps_take(&deps);
    if (doc)
        report_and_remember(o, doc, rc, &out, memo, &deps, started_ns);
    dep_list_free(&deps);
    cJSON_Delete(doc);
    session_outcome_free(&out);
    free(memo);
    return rc;
}

/* Replays the memo of an identical earlier run (core/run_memo.h) when the invocation may use
 * one: reading the cache, without --json or -v (whose output is per action). */
static int run_session(const cli_opts *o, const session_opts *so)
{
    if (!o->json && !o->no_cache && !o->rerun_failed && o->verbose == 0 && o->repeat == 1)
        return run_remembered(o, so);
    cJSON *doc = NULL;
    int rc = session_run(so, &doc, NULL);
    if (doc)
        print_results(o, doc);
    cJSON_Delete(doc);
    return rc;
}

int cmd_run(const cli_opts *o)
{
    session_opts so = cli_session_opts(o);
    return run_session(o, &so);
}

int cmd_convert(const cli_opts *o)
{
    session_opts so = cli_session_opts(o);
    so.sel.conversions_only = true;
    return run_session(o, &so);
}

int cmd_plan(const cli_opts *o)
{
    session_opts so = cli_session_opts(o);
    so.pull = false; /* plan only looks: it uses the Hub models as they are in the cache */
    session s;
    int rc = session_open(&s, &so);
    if (rc == 0)
        rc = show_plan(o, &s);
    session_close(&s);
    return rc;
}
