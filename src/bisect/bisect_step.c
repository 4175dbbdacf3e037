#include "bisect_step.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exit_code.h"
#include "fs.h"
#include "hash.h"
#include "interrupt.h"
#include "json_read.h"
#include "report_common.h"

const char *step_str(const cJSON *step, const char *key)
{
    const char *s = json_str(step, key);
    return s ? s : "";
}

cJSON *step_new(const bisect_commit *cm, unsigned round)
{
    cJSON *step = cJSON_CreateObject();
    cJSON_AddStringToObject(step, "commit", cm->oid);
    cJSON_AddStringToObject(step, "tree", cm->tree);
    cJSON_AddStringToObject(step, "summary", cm->summary);
    cJSON_AddNumberToObject(step, "round", round);
    return step;
}

void step_set_verdict(cJSON *step, const char *verdict, const char *reason)
{
    cJSON_AddStringToObject(step, "verdict", verdict);
    if (reason)
        cJSON_AddStringToObject(step, "reason", reason);
    else
        cJSON_AddNullToObject(step, "reason");
}

void step_progress(const bisect_ctx *c, size_t left, const bisect_commit *cm, const char *phase)
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

char *step_checkout(bisect_ctx *c, const bisect_commit *cm)
{
    tmgt_error err = {{0}};
    char *trees = path_join(c->dir, "trees");
    char *tree_dir = path_join(trees, cm->tree);
    if (mkdir_p(trees, 0755, &err) != 0 ||
        (!path_is_dir(tree_dir) && bgit_checkout_tree(c->repo, cm->tree, tree_dir, &err) != 0)) {
        fprintf(stderr, "%stmgt: %s\n", c->tty ? "\n" : "", err.msg);
        free(tree_dir);
        tree_dir = NULL;
    }
    free(trees);
    return tree_dir;
}

const cJSON *step_prior_build(const cJSON *steps, const char *tree)
{
    const cJSON *step;
    cJSON_ArrayForEach (step, steps) {
        if (!strcmp(step_str(step, "tree"), tree) && cJSON_HasObjectItem(step, "build_error"))
            return step;
    }
    return NULL;
}

void step_share_build(cJSON *step, const cJSON *prior)
{
    cJSON_AddBoolToObject(step, "built", false);
    cJSON_AddItemToObject(step, "build_error",
                          cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(prior, "build_error"), 1));
}

char *step_build_log(const bisect_ctx *c, const char *tree)
{
    char *logs = path_join(c->dir, "logs");
    char *name = xasprintf("%s.log", tree);
    char *log = path_join(logs, name);
    if (mkdir_p(logs, 0755, NULL) != 0) {
        free(log);
        log = xstrdup("/dev/null");
    }
    free(logs);
    free(name);
    return log;
}

void step_record_build(cJSON *step, const build_outcome *b, const char *log)
{
    cJSON_AddBoolToObject(step, "built", true);
    cJSON_AddNumberToObject(step, "build_ms", (double)b->wall_ms);
    if (b->ok) {
        cJSON_AddNullToObject(step, "build_error");
    } else {
        char *why = xasprintf("build failed: %s (log: %s)", b->reason, log);
        cJSON_AddStringToObject(step, "build_error", why);
        free(why);
    }
}

char *step_built_binary(const bisect_ctx *c, const char *tree_dir, cJSON *step)
{
    const cJSON *build_error = cJSON_GetObjectItemCaseSensitive(step, "build_error");
    if (cJSON_IsString(build_error)) {
        step_set_verdict(step, "skip", build_error->valuestring);
        return NULL;
    }
    char *binary = path_join(tree_dir, c->st->binary);
    digest d;
    if (hash_file(binary, &d, NULL, NULL) != 0) {
        char *why = xasprintf("the build did not produce %s", c->st->binary);
        step_set_verdict(step, "skip", why);
        free(why);
        free(binary);
        return NULL;
    }
    cJSON_AddStringToObject(step, "binary", d.hex);
    return binary;
}

char *step_results_dir(const bisect_ctx *c, const bisect_commit *cm)
{
    char *sub = xasprintf("bisect/%.12s", cm->oid);
    char *results = path_join(c->st->results_dir, sub);
    free(sub);
    return results;
}

/* An engine that crashes before anything passes, a check that ran out of time (no verdict,
 * perhaps only a loaded machine), or a selection with nothing judged, says nothing about the
 * change: skip. Otherwise a failed check is bad. */
void step_classify(const bisect_ctx *c, const cJSON *doc, cJSON *step)
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
        step_set_verdict(step, "skip", why);
    } else if (fail > 0) {
        step_set_verdict(step, "bad", NULL);
    } else if (pass > 0) {
        step_set_verdict(step, "good", NULL);
    } else {
        step_set_verdict(step, "skip", "no check could be judged (all skipped)");
    }
    free(why);
}

static void step_print(const bisect_ctx *c, const cJSON *step, int number)
{
    if (c->tty && !c->o->quiet)
        fputs("\r\033[K", stderr);
    double ms = 0, executed = 0, cached = 0;
    printf("[%d] %.12s %-4s ", number, step_str(step, "commit"), step_str(step, "verdict"));
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

int step_save_and_print(bisect_ctx *c, cJSON *const *steps, size_t n)
{
    tmgt_error err = {{0}};
    if (bisect_state_save(c->o->cache_dir, c->st, &err) != 0) {
        fprintf(stderr, "tmgt: cannot save the bisect state: %s\n", err.msg);
        return EXIT_ENV;
    }
    int recorded = cJSON_GetArraySize(c->st->steps);
    for (size_t i = 0; i < n; i++)
        step_print(c, steps[i], recorded - (int)(n - 1 - i));
    return interrupt_pending() ? EXIT_INTERRUPTED : -1;
}
