#include "bisect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bisect_round.h"
#include "bisect_step.h"
#include "cache.h"
#include "exit_code.h"
#include "fs.h"
#include "interrupt.h"
#include "json_read.h"

/* The oldest bad verdict is the tip of the range (a round records its candidates newest first,
 * so that is the last one); every good verdict hides its ancestors. */
static int current_range(bisect_ctx *c, bisect_range *range, tmgt_error *err)
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

/* Builds the checkout unless an earlier step built the same tree. Returns false when the build
 * was interrupted. */
static bool build_tree(bisect_ctx *c, size_t left, const bisect_commit *cm, const char *tree_dir, cJSON *step)
{
    const cJSON *prior = step_prior_build(c->st->steps, cm->tree);
    if (prior) {
        step_share_build(step, prior);
        return true;
    }
    char *log = step_build_log(c, cm->tree);
    build_outcome b;
    step_progress(c, left, cm, "building");
    bisect_build(c->st->build, tree_dir, log, c->builders, &b);
    step_record_build(step, &b, log);
    bool interrupted = b.interrupted;
    build_outcome_free(&b);
    free(log);
    return !interrupted;
}

/* The selection as `tmgt check` runs it, with the built binary playing the engine. */
static int run_checks(bisect_ctx *c, const char *binary, const bisect_commit *cm, cJSON *step)
{
    str_list overrides = {0};
    for (size_t i = 0; i < c->st->overrides.n; i++)
        str_list_push(&overrides, c->st->overrides.items[i]);
    char *mine = xasprintf("%s=%s", c->st->engine, binary);
    str_list_push(&overrides, mine);
    char *results = step_results_dir(c, cm);
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
        step_classify(c, doc, step);
    else if (rc != EXIT_INTERRUPTED)
        step_set_verdict(step, "skip", "the engine could not be used (see the message above)");
    cJSON_Delete(doc);
    free(mine);
    free(results);
    str_list_free(&overrides);
    return rc;
}

/* Checks out, builds and checks one candidate. Returns -1 with the step's verdict set, or
 * EXIT_INTERRUPTED / EXIT_ENV with none. */
static int judge_candidate(bisect_ctx *c, size_t left, const bisect_commit *cm, cJSON *step)
{
    step_progress(c, left, cm, "checking out");
    char *tree_dir = step_checkout(c, cm);
    if (!tree_dir)
        return EXIT_ENV;
    int rc = -1;
    if (interrupt_pending() || !build_tree(c, left, cm, tree_dir, step)) {
        rc = EXIT_INTERRUPTED;
    } else {
        char *binary = step_built_binary(c, tree_dir, step);
        if (binary && interrupt_pending()) {
            rc = EXIT_INTERRUPTED;
        } else if (binary) {
            step_progress(c, left, cm, "running the checks on");
            if (run_checks(c, binary, cm, step) == EXIT_INTERRUPTED)
                rc = EXIT_INTERRUPTED;
        }
        free(binary);
    }
    free(tree_dir);
    return rc;
}

/* Tests one candidate and records its verdict. Returns -1 to go on. */
static int test_candidate(bisect_ctx *c, const bisect_range *range, size_t pick)
{
    const bisect_commit *cm = &range->commits[pick];
    cJSON *step = step_new(cm, c->round);
    uint64_t t0 = now_ms();
    int rc = judge_candidate(c, range->n, cm, step);
    if (rc >= 0) {
        cJSON_Delete(step);
        return rc;
    }
    cJSON_AddNumberToObject(step, "round_ms", (double)(now_ms() - t0));
    cJSON_AddItemToArray(c->st->steps, step);
    return step_save_and_print(c, &step, 1);
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

/* The last round recorded, so a resumed bisection counts on from it. */
static unsigned rounds_recorded(const bisect_state *st)
{
    unsigned rounds = 0;
    const cJSON *step;
    cJSON_ArrayForEach (step, st->steps) {
        double r = 0;
        if (json_num(step, "round", &r) && r > rounds)
            rounds = (unsigned)r;
    }
    return rounds;
}

/* --executor slurm: the builds are jobs, which need the checkouts under <cache>/bisect on
 * every node (the check sessions probe for their own directories). */
static int probe_builders(bisect_ctx *c, const slurm_settings *builders)
{
    tmgt_error err = {{0}};
    if (mkdir_p(c->dir, 0755, &err) != 0) {
        fprintf(stderr, "tmgt: %s\n", err.msg);
        return -1;
    }
    if (runner_slurm_probe(builders, c->dir, &err) != 0) {
        fprintf(stderr, "tmgt: --executor slurm: %s\n", err.msg);
        return -1;
    }
    c->builders = builders;
    return 0;
}

int bisect_run(const session_opts *o, bisect_state *st, bisect_end *end)
{
    memset(end, 0, sizeof *end);
    tmgt_error err = {{0}};
    bisect_ctx c = {.o = o, .st = st, .tty = isatty(2) != 0, .round = rounds_recorded(st)};
    c.repo = bgit_open(st->repo, &err);
    if (!c.repo) {
        fprintf(stderr, "tmgt: %s\n", err.msg);
        return EXIT_ENV;
    }
    c.dir = bisect_state_dir(o->cache_dir);
    slurm_settings builders = {.partition = o->slurm_partition, .account = o->slurm_account};
    if (o->slurm && probe_builders(&c, &builders) != 0) {
        free(c.dir);
        bgit_close(c.repo);
        return EXIT_ENV;
    }
    size_t want = st->parallel > 1 ? st->parallel : 1;
    size_t *picks = xcalloc(want, sizeof *picks);
    int rc = -1;
    while (rc < 0) {
        bisect_range range;
        size_t n_picks = 0;
        if (current_range(&c, &range, &err) != 0) {
            fprintf(stderr, "tmgt: %s\n", err.msg);
            rc = EXIT_ENV;
            break;
        }
        pick_outcome po = bisect_pick_many(range.nodes, range.n, range.bad, want, picks, &n_picks);
        c.round++;
        if (po != PICK_TEST) {
            conclude(&range, po, end);
            rc = EXIT_OK;
        } else if (want == 1) {
            rc = test_candidate(&c, &range, picks[0]);
        } else {
            rc = bisect_round(&c, &range, picks, n_picks);
        }
        bgit_range_free(&range);
    }
    if (c.tty && !o->quiet)
        fputs("\r\033[K", stderr);
    free(picks);
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
