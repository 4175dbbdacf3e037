#include "bisect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bisect_build.h"
#include "cache.h"
#include "exit_code.h"
#include "fs.h"
#include "hash.h"
#include "interrupt.h"
#include "report_common.h"

typedef struct {
    const session_opts *o;
    bisect_state *st;
    bisect_repo *repo;
    char *dir; /* <cache>/bisect */
    bool tty;
} loop_ctx;

static const char *step_str(const cJSON *step, const char *key)
{
    const char *s = json_str(step, key);
    return s ? s : "";
}

static void progress(const loop_ctx *c, size_t left, const bisect_commit *cm, const char *phase)
{
    if (c->o->quiet)
        return;
    unsigned steps = bisect_steps_estimate(left);
    fprintf(stderr, "%sbisect: %zu commits left, ~%u step%s; %s %.12s \"", c->tty ? "\r\033[K" : "", left,
            steps, steps == 1 ? "" : "s", phase, cm->oid);
    escape_puts(stderr, cm->summary, ESC_VISIBLE | ESC_QUOTED);
    fprintf(stderr, "\"%s", c->tty ? "" : "\n");
    fflush(stderr);
}

/* The newest bad verdict is the tip of the range; every good verdict hides its ancestors. */
static int current_range(loop_ctx *c, bisect_range *range, tmgt_error *err)
{
    const char *bad = c->st->bad;
    str_list goods = {0};
    str_list_push(&goods, c->st->good);
    const cJSON *step;
    cJSON_ArrayForEach (step, c->st->steps) {
        if (!strcmp(step_str(step, "verdict"), "good"))
            str_list_push(&goods, step_str(step, "commit"));
        else if (!strcmp(step_str(step, "verdict"), "bad"))
            bad = step_str(step, "commit");
    }
    int rc = bgit_range(c->repo, bad, (const char *const *)goods.items, goods.n, range, err);
    str_list_free(&goods);
    if (rc != 0)
        return -1;
    cJSON_ArrayForEach (step, c->st->steps) {
        if (strcmp(step_str(step, "verdict"), "skip") != 0)
            continue;
        for (size_t i = 0; i < range->n; i++)
            if (!strcmp(range->commits[i].oid, step_str(step, "commit")))
                range->nodes[i].skipped = true;
    }
    return 0;
}

static const cJSON *step_for_tree(const cJSON *steps, const char *tree)
{
    const cJSON *step;
    cJSON_ArrayForEach (step, steps) {
        if (!strcmp(step_str(step, "tree"), tree) && cJSON_HasObjectItem(step, "build_error"))
            return step;
    }
    return NULL;
}

static void set_verdict(cJSON *step, const char *verdict, const char *reason)
{
    cJSON_AddStringToObject(step, "verdict", verdict);
    if (reason)
        cJSON_AddStringToObject(step, "reason", reason);
    else
        cJSON_AddNullToObject(step, "reason");
}

/* Builds the checkout unless an earlier step built the same tree. Returns false when the build
 * was interrupted. */
static bool build_tree(loop_ctx *c, size_t left, const bisect_commit *cm, const char *tree_dir, cJSON *step)
{
    const cJSON *prior = step_for_tree(c->st->steps, cm->tree);
    if (prior) {
        cJSON_AddBoolToObject(step, "built", false);
        cJSON_AddItemToObject(step, "build_error",
                              cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(prior, "build_error"), 1));
        return true;
    }
    char *logs = path_join(c->dir, "logs");
    char *name = xasprintf("%s.log", cm->tree);
    char *log = path_join(logs, name);
    build_outcome b;
    bool logged = mkdir_p(logs, 0755, NULL) == 0;
    progress(c, left, cm, "building");
    bisect_build(c->st->build, tree_dir, logged ? log : "/dev/null", &b);
    cJSON_AddBoolToObject(step, "built", true);
    cJSON_AddNumberToObject(step, "build_ms", (double)b.wall_ms);
    if (b.ok) {
        cJSON_AddNullToObject(step, "build_error");
    } else {
        char *why = xasprintf("build failed: %s (log: %s)", b.reason, log);
        cJSON_AddStringToObject(step, "build_error", why);
        free(why);
    }
    bool interrupted = b.interrupted;
    build_outcome_free(&b);
    free(logs);
    free(name);
    free(log);
    return !interrupted;
}

/* Like `git bisect run`: a failed check is bad; an engine that crashes before anything passes,
 * a check that ran out of time (no verdict, perhaps only a loaded machine), or a selection with
 * nothing judged, says nothing about the change: skip. */
static void classify(const loop_ctx *c, const cJSON *doc, cJSON *step)
{
    const cJSON *counts = cJSON_GetObjectItemCaseSensitive(doc, "counts"), *item;
    double pass = 0, fail = 0, executed = 0, cached = 0;
    json_num(counts, "pass", &pass);
    json_num(counts, "fail", &fail);
    json_num(doc, "actions_executed", &executed);
    json_num(doc, "actions_cached", &cached);
    cJSON_AddNumberToObject(step, "executed", executed);
    cJSON_AddNumberToObject(step, "cached", cached);
    const char *crashed = NULL, *timed_out = NULL;
    cJSON_ArrayForEach (item, json_array(doc, "actions")) {
        const char *status = step_str(item, "status");
        if (!crashed && !strcmp(step_str(item, "engine"), c->st->engine) &&
            (!strcmp(status, "signal") || !strcmp(status, "spawn-error")))
            crashed = step_str(item, "id");
    }
    cJSON *failing = cJSON_AddArrayToObject(step, "failing");
    cJSON_ArrayForEach (item, json_array(doc, "checks")) {
        if (!timed_out && !strcmp(step_str(item, "status"), "TIMEOUT"))
            timed_out = step_str(item, "name");
        if (strcmp(step_str(item, "status"), "FAIL") != 0)
            continue;
        cJSON *f = cJSON_CreateObject();
        cJSON_AddStringToObject(f, "name", step_str(item, "name"));
        cJSON_AddStringToObject(f, "detail", step_str(item, "detail"));
        const cJSON *div = cJSON_GetObjectItemCaseSensitive(item, "divergence");
        cJSON_AddItemToObject(f, "divergence",
                              cJSON_IsObject(div) ? cJSON_Duplicate(div, 1) : cJSON_CreateNull());
        cJSON_AddItemToArray(failing, f);
    }
    char *why = crashed && pass == 0     ? xasprintf("the engine crashed: %s", crashed)
                : fail == 0 && timed_out ? xasprintf("a check timed out: %s", timed_out)
                                         : NULL;
    if (why) {
        set_verdict(step, "skip", why);
    } else if (fail > 0) {
        set_verdict(step, "bad", NULL);
    } else if (pass > 0) {
        set_verdict(step, "good", NULL);
    } else {
        set_verdict(step, "skip", "no check could be judged (all skipped)");
    }
    free(why);
}

/* The selection as `tmgt check` runs it, with the built binary playing the engine. */
static int run_checks(loop_ctx *c, const char *binary, const bisect_commit *cm, cJSON *step)
{
    str_list overrides = {0};
    for (size_t i = 0; i < c->st->overrides.n; i++)
        str_list_push(&overrides, c->st->overrides.items[i]);
    char *mine = xasprintf("%s=%s", c->st->engine, binary);
    str_list_push(&overrides, mine);
    char *sub = xasprintf("bisect/%.12s", cm->oid);
    char *results = path_join(c->st->results_dir, sub);
    session_opts o = *c->o;
    o.command = "check";
    o.pull = true;
    o.pipeline = c->st->pipeline;
    o.results_dir = results;
    o.sel = (selection){.models = c->st->models.items,
                        .n_models = c->st->models.n,
                        .suites = c->st->checks.items,
                        .n_suites = c->st->checks.n};
    o.engine_overrides = overrides.items;
    o.n_engine_overrides = overrides.n;
    o.quiet = c->o->verbose == 0;
    o.verbose = c->o->verbose > 0 ? c->o->verbose - 1 : 0;
    cJSON *doc = NULL;
    int rc = session_run(&o, &doc, NULL);
    cJSON_AddStringToObject(step, "results", results);
    if (rc != EXIT_INTERRUPTED && doc)
        classify(c, doc, step);
    else if (rc != EXIT_INTERRUPTED)
        set_verdict(step, "skip", "the engine could not be used (see the message above)");
    cJSON_Delete(doc);
    free(mine);
    free(sub);
    free(results);
    str_list_free(&overrides);
    return rc;
}

static void print_step(const loop_ctx *c, const cJSON *step)
{
    if (c->tty && !c->o->quiet)
        fputs("\r\033[K", stderr);
    double ms = 0, executed = 0, cached = 0;
    printf("[%d] %.12s %-4s ", cJSON_GetArraySize(c->st->steps), step_str(step, "commit"),
           step_str(step, "verdict"));
    escape_puts(stdout, step_str(step, "summary"), ESC_VISIBLE);
    const cJSON *built = cJSON_GetObjectItemCaseSensitive(step, "built");
    if (cJSON_IsTrue(built) && json_num(step, "build_ms", &ms))
        printf(" — built in %.1fs", ms / 1000.0);
    else
        printf(" — build shared with an identical tree");
    if (json_num(step, "executed", &executed) && json_num(step, "cached", &cached))
        printf("; actions: %.0f run, %.0f cached", executed, cached);
    if (json_str(step, "reason"))
        printf("; %s", json_str(step, "reason"));
    putchar('\n');
    fflush(stdout);
}

/* Checks out, builds and checks one candidate. Returns -1 with the step's verdict set, or
 * EXIT_INTERRUPTED / EXIT_ENV with none. */
static int judge_candidate(loop_ctx *c, size_t left, const bisect_commit *cm, cJSON *step)
{
    tmgt_error err = {{0}};
    char *trees = path_join(c->dir, "trees");
    char *tree_dir = path_join(trees, cm->tree);
    char *binary = path_join(tree_dir, c->st->binary);
    const cJSON *build_error = NULL;
    digest d;
    int rc = -1;
    progress(c, left, cm, "checking out");
    if (mkdir_p(trees, 0755, &err) != 0 ||
        (!path_is_dir(tree_dir) && bgit_checkout_tree(c->repo, cm->tree, tree_dir, &err) != 0)) {
        fprintf(stderr, "%stmgt: %s\n", c->tty ? "\n" : "", err.msg);
        rc = EXIT_ENV;
    } else if (interrupt_pending()) {
        rc = EXIT_INTERRUPTED;
    } else if (!build_tree(c, left, cm, tree_dir, step)) {
        rc = EXIT_INTERRUPTED;
    } else if (cJSON_IsString(build_error = cJSON_GetObjectItemCaseSensitive(step, "build_error"))) {
        set_verdict(step, "skip", build_error->valuestring);
    } else if (hash_file(binary, &d, NULL, &err) != 0) {
        char *why = xasprintf("the build did not produce %s", c->st->binary);
        set_verdict(step, "skip", why);
        free(why);
    } else if (interrupt_pending()) {
        rc = EXIT_INTERRUPTED;
    } else {
        cJSON_AddStringToObject(step, "binary", d.hex);
        progress(c, left, cm, "running the checks on");
        if (run_checks(c, binary, cm, step) == EXIT_INTERRUPTED)
            rc = EXIT_INTERRUPTED;
    }
    free(trees);
    free(tree_dir);
    free(binary);
    return rc;
}

/* Tests one candidate and records its verdict. Returns -1 to go on. */
static int test_candidate(loop_ctx *c, const bisect_range *range, size_t pick)
{
    const bisect_commit *cm = &range->commits[pick];
    cJSON *step = cJSON_CreateObject();
    cJSON_AddStringToObject(step, "commit", cm->oid);
    cJSON_AddStringToObject(step, "tree", cm->tree);
    cJSON_AddStringToObject(step, "summary", cm->summary);
    int rc = judge_candidate(c, range->n, cm, step);
    if (rc >= 0) {
        cJSON_Delete(step);
        return rc;
    }
    cJSON_AddItemToArray(c->st->steps, step);
    tmgt_error err = {{0}};
    if (bisect_state_save(c->o->cache_dir, c->st, &err) != 0) {
        fprintf(stderr, "tmgt: cannot save the bisect state: %s\n", err.msg);
        return EXIT_ENV;
    }
    print_step(c, step);
    return interrupt_pending() ? EXIT_INTERRUPTED : -1;
}

static void copy_commit(bisect_commit *dst, const bisect_commit *src)
{
    *dst = *src;
    dst->summary = xstrdup(src->summary);
}

static void conclude(const bisect_range *range, pick_outcome po, bisect_end *end)
{
    if (po == PICK_FOUND) {
        end->found = true;
        copy_commit(&end->first_bad, &range->commits[range->bad]);
        return;
    }
    end->could_be = xcalloc(range->n, sizeof *end->could_be);
    for (size_t i = 0; i < range->n; i++)
        if (range->nodes[i].skipped)
            copy_commit(&end->could_be[end->n_could_be++], &range->commits[i]);
    copy_commit(&end->could_be[end->n_could_be++], &range->commits[range->bad]);
}

int bisect_run(const session_opts *o, bisect_state *st, bisect_end *end)
{
    memset(end, 0, sizeof *end);
    tmgt_error err = {{0}};
    loop_ctx c = {.o = o, .st = st, .tty = isatty(2) != 0};
    c.repo = bgit_open(st->repo, &err);
    if (!c.repo) {
        fprintf(stderr, "tmgt: %s\n", err.msg);
        return EXIT_ENV;
    }
    c.dir = bisect_state_dir(o->cache_dir);
    int rc = -1;
    while (rc < 0) {
        bisect_range range;
        size_t pick = 0;
        if (current_range(&c, &range, &err) != 0) {
            fprintf(stderr, "tmgt: %s\n", err.msg);
            rc = EXIT_ENV;
            break;
        }
        pick_outcome po = bisect_pick(range.nodes, range.n, range.bad, &pick);
        if (po == PICK_TEST) {
            rc = test_candidate(&c, &range, pick);
        } else {
            conclude(&range, po, end);
            rc = EXIT_OK;
        }
        bgit_range_free(&range);
    }
    if (c.tty && !o->quiet)
        fputs("\r\033[K", stderr);
    free(c.dir);
    bgit_close(c.repo);
    return rc;
}

void bisect_end_free(bisect_end *end)
{
    free(end->first_bad.summary);
    for (size_t i = 0; i < end->n_could_be; i++)
        free(end->could_be[i].summary);
    free(end->could_be);
    memset(end, 0, sizeof *end);
}
