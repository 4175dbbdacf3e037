/* tmgt bisect: options, the start / --continue / --reset entry points and the final report. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bisect.h"
#include "cache.h"
#include "cli.h"
#include "fs.h"
#include "json_stream.h"
#include "pipeline.h"
#include "report_common.h"
#include "selection.h"

static const char HELP[] =
    "usage: tmgt bisect --repo DIR --good REV --bad REV [--check SUITE]... [--model SLUG]...\n"
    "                   [--build 'CMD'] [--binary PATH_IN_TREE] [--engine NAME] [--parallel N]\n"
    "       tmgt bisect --continue [--parallel N]\n"
    "       tmgt bisect --reset\n"
    "\n"
    "Finds the first engine commit at which the selected checks fail. Each candidate commit\n"
    "is checked out (with libgit2) into <cache>/bisect/trees/<tree id>, never into your work\n"
    "tree, built there, and its binary plays the engine for the checks, through the cache:\n"
    "commits with identical trees share one build, identical binaries share one run.\n"
    "A failed check makes a commit bad; a failed build, or an engine that crashes before any\n"
    "check passes, skips it. Results of each step go to <results-dir>/bisect/<commit>/, the\n"
    "summary to <results-dir>/bisect.json.\n"
    "\n"
    "  --repo DIR          the engine's git repository (its root)\n"
    "  --good REV          a revision where the checks pass\n"
    "  --bad REV           a later revision where they fail\n"
    "  --build 'CMD'       build command, run by /bin/sh -c in the checkout (it is your own\n"
    "                      shell text); default for a cargo project: cargo build --release\n"
    "  --binary PATH       the built binary, relative to the checkout; default for a cargo\n"
    "                      project: target/release/NAME\n"
    "  --engine NAME       the pipeline engine the binary plays (default: apr)\n"
    "  --parallel N        test N candidates per round, splitting the range into N+1 parts:\n"
    "                      their builds run at once, then their checks (each a tmgt check\n"
    "                      of its own, sharing the -j slots); the answer is the one-at-a-time\n"
    "                      bisection's (default: 1; recorded, so --continue keeps it)\n"
    "  --continue          resume the recorded bisect (after Ctrl-C, or to see its answer)\n"
    "  --reset             forget the recorded bisect and remove its checkouts\n"
    "The shared options (--pipeline, --check, --model, --cache-dir, --results-dir, -j, -q,\n"
    "-v, --engine NAME=PATH for other engines) apply; the recorded bisect lives in the cache.\n"
    "With --executor slurm each build is a Slurm job with a node of its own (--exclusive) and\n"
    "the checks' engines run as jobs too; the checkouts must be on the shared filesystem.\n";

typedef struct {
    const char *repo, *good, *bad, *build, *binary, *engine, *parallel;
    bool resume, reset, help;
} bisect_args;

static int usage(const char *fmt, const char *arg)
{
    fputs("tmgt: bisect: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\nRun 'tmgt bisect --help' for usage.\n", stderr);
    return EXIT_USAGE;
}

static const char *const VALUE_OPTIONS[] = {"--repo",   "--good",     "--bad", "--build",
                                            "--binary", "--parallel", NULL};

static const char **value_slot(bisect_args *a, size_t i)
{
    const char **slots[] = {&a->repo, &a->good, &a->bad, &a->build, &a->binary, &a->parallel};
    return slots[i];
}

static bool parse_parallel(const char *s, unsigned *out)
{
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < 1 || v > 64)
        return false;
    if (out)
        *out = (unsigned)v;
    return true;
}

static int parse_args(const cli_opts *o, bisect_args *a)
{
    memset(a, 0, sizeof *a);
    for (int i = 0; i < o->n_rest; i++) {
        const char *arg = o->rest[i];
        bool matched = false;
        for (size_t k = 0; VALUE_OPTIONS[k] && !matched; k++) {
            size_t n = strlen(VALUE_OPTIONS[k]);
            if (strncmp(arg, VALUE_OPTIONS[k], n) != 0 || (arg[n] && arg[n] != '='))
                continue;
            matched = true;
            if (!arg[n] && i + 1 >= o->n_rest)
                return usage("%s needs a value", arg);
            *value_slot(a, k) = arg[n] ? arg + n + 1 : o->rest[++i];
        }
        if (matched)
            continue;
        if (!strcmp(arg, "--continue"))
            a->resume = true;
        else if (!strcmp(arg, "--reset"))
            a->reset = true;
        else if (!strcmp(arg, "-h") || !strcmp(arg, "--help"))
            a->help = true;
        else
            return usage(arg[0] == '-' ? "unknown option %s" : "unexpected argument \"%s\"", arg);
    }
    for (size_t i = 0; i < o->n_engine_overrides; i++) {
        if (strchr(o->engine_overrides[i], '='))
            continue;
        if (a->engine)
            return usage("--engine NAME given twice (\"%s\")", o->engine_overrides[i]);
        a->engine = o->engine_overrides[i];
    }
    if (a->parallel && (a->reset || !parse_parallel(a->parallel, NULL)))
        return usage(a->reset ? "--reset takes no --parallel (\"%s\")"
                              : "--parallel wants a number from 1 to 64, not \"%s\"",
                     a->parallel);
    if (a->resume + a->reset > 1)
        return usage("%s", "--continue and --reset exclude each other");
    if ((a->resume || a->reset) && (a->repo || a->good || a->bad || a->build || a->binary || a->engine))
        return usage("%s",
                     "--continue and --reset take no --repo, --good, --bad, --build, --binary or --engine: "
                     "the recorded bisect has them");
    return 0;
}

static char *absolute_path(const char *p)
{
    char cwd[4096];
    if (p[0] == '/' || !getcwd(cwd, sizeof cwd))
        return xstrdup(p);
    return path_join(cwd, p);
}

/* Problems that would make every step skip are the user's to fix before anything is built. */
static int check_selection(const cli_opts *o, const char *engine_name)
{
    tmgt_error err = {{0}};
    pipeline *pl = pipeline_load(o->pipeline, &err);
    if (!pl) {
        fprintf(stderr, "tmgt: %s\n", err.msg);
        return EXIT_ENV;
    }
    int rc = 0;
    if (!pipeline_find_engine(pl, engine_name))
        rc = usage("--engine %s: the pipeline has no such engine", engine_name);
    char *problem = rc == 0 ? selection_problem(&o->sel, pl) : NULL;
    if (problem)
        rc = usage("%s", problem);
    free(problem);
    pipeline_free(pl);
    return rc;
}

static int fill_build_defaults(bisect_args *a, char **owned_binary)
{
    char *cargo = path_join(a->repo, "Cargo.toml");
    bool is_cargo = path_exists(cargo);
    free(cargo);
    if (!a->build && !is_cargo)
        return usage("--build is needed: %s has no Cargo.toml", a->repo);
    if (!a->build)
        a->build = "cargo build --release";
    if (!a->binary && !is_cargo)
        return usage("%s", "--binary is needed: where does the build put the engine?");
    if (!a->binary)
        a->binary = *owned_binary = xasprintf("target/release/%s", a->engine);
    if (a->binary[0] == '/' || strstr(a->binary, ".."))
        return usage("--binary %s must be a path inside the checkout", a->binary);
    return 0;
}

static int start(const cli_opts *o, bisect_args *a, bisect_state *st)
{
    memset(st, 0, sizeof *st);
    if (bisect_state_exists(o->cache_dir)) {
        fprintf(stderr,
                "tmgt: bisect: a bisect is already in progress in %s: resume it with "
                "tmgt bisect --continue, or discard it with tmgt bisect --reset\n",
                o->cache_dir);
        return EXIT_USAGE;
    }
    if (!a->repo || !a->good || !a->bad)
        return usage("%s", "a new bisect needs --repo, --good and --bad");
    if (!a->engine)
        a->engine = "apr";
    size_t name_len = strlen(a->engine);
    for (size_t i = 0; i < o->n_engine_overrides; i++)
        if (!strncmp(o->engine_overrides[i], a->engine, name_len) && o->engine_overrides[i][name_len] == '=')
            return usage("--engine %s: the bisected engine is played by each commit's build",
                         o->engine_overrides[i]);
    char *owned_binary = NULL;
    int rc = fill_build_defaults(a, &owned_binary);
    if (rc == 0)
        rc = check_selection(o, a->engine);
    tmgt_error err = {{0}};
    bisect_repo *repo = rc == 0 ? bgit_open(a->repo, &err) : NULL;
    if (rc == 0 && !repo)
        rc = usage("--repo %s", err.msg);
    if (rc == 0 &&
        (bgit_resolve(repo, a->good, st->good, &err) != 0 || bgit_resolve(repo, a->bad, st->bad, &err) != 0 ||
         bgit_check_order(repo, st->good, a->good, st->bad, a->bad, &err) != 0))
        rc = usage("%s", err.msg);
    if (rc == 0) {
        st->repo = xstrdup(bgit_workdir(repo));
        st->good_rev = xstrdup(a->good);
        st->bad_rev = xstrdup(a->bad);
        st->build = xstrdup(a->build);
        st->binary = xstrdup(a->binary);
        st->engine = xstrdup(a->engine);
        st->pipeline = absolute_path(o->pipeline);
        st->results_dir = absolute_path(o->results_dir);
        for (size_t i = 0; i < o->sel.n_suites; i++)
            str_list_push(&st->checks, o->sel.suites[i]);
        for (size_t i = 0; i < o->sel.n_models; i++)
            str_list_push(&st->models, o->sel.models[i]);
        for (size_t i = 0; i < o->n_engine_overrides; i++)
            if (strchr(o->engine_overrides[i], '='))
                str_list_push(&st->overrides, o->engine_overrides[i]);
        st->parallel = 1;
        if (a->parallel)
            parse_parallel(a->parallel, &st->parallel);
        st->steps = cJSON_CreateArray();
        if (mkdir_p(o->cache_dir, 0755, &err) != 0 || bisect_state_save(o->cache_dir, st, &err) != 0) {
            fprintf(stderr, "tmgt: cannot record the bisect: %s\n", err.msg);
            rc = EXIT_ENV;
        }
    }
    bgit_close(repo);
    free(owned_binary);
    return rc;
}

static int reset(const cli_opts *o)
{
    char *dir = bisect_state_dir(o->cache_dir);
    bool had = path_is_dir(dir);
    remove_tree(dir);
    printf(had ? "bisect state and checkouts removed from %s\n" : "no bisect in progress in %s\n", dir);
    free(dir);
    return EXIT_OK;
}

static const cJSON *step_of(const bisect_state *st, const char *oid)
{
    const cJSON *step;
    cJSON_ArrayForEach (step, st->steps) {
        const char *commit = json_str(step, "commit");
        if (commit && !strcmp(commit, oid))
            return step;
    }
    return NULL;
}

static void print_failing(const cJSON *step)
{
    const cJSON *f;
    if (!step) {
        puts("failing checks: not tested at this commit (it was given as --bad)");
        return;
    }
    puts("failing checks:");
    cJSON_ArrayForEach (f, json_array(step, "failing")) {
        fputs("  ✗ ", stdout);
        escape_puts(stdout, json_str(f, "name"), ESC_VISIBLE);
        fputs(": ", stdout);
        escape_puts(stdout, json_str(f, "detail"), ESC_VISIBLE);
        putchar('\n');
        char *div = rc_divergence_text(cJSON_GetObjectItemCaseSensitive(f, "divergence"));
        if (div)
            printf("      %s\n", div);
        free(div);
    }
}

static cJSON *commit_json(const bisect_commit *c)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "commit", c->oid);
    cJSON_AddStringToObject(j, "summary", c->summary);
    return j;
}

/* The summary document and its totals: builds run, distinct binaries, actions run and cached. */
static cJSON *summary_json(const bisect_state *st, const bisect_end *end)
{
    cJSON *doc = cJSON_CreateObject(), *binaries = cJSON_CreateObject();
    cJSON_AddNumberToObject(doc, "format", 1);
    cJSON_AddStringToObject(doc, "repo", st->repo);
    cJSON_AddStringToObject(doc, "good", st->good);
    cJSON_AddStringToObject(doc, "bad", st->bad);
    if (end->found) {
        cJSON *fb = commit_json(&end->first_bad);
        const cJSON *step = step_of(st, end->first_bad.oid);
        cJSON_AddItemToObject(fb, "failing",
                              step ? cJSON_Duplicate(json_array(step, "failing"), 1) : cJSON_CreateNull());
        cJSON_AddItemToObject(doc, "first_bad", fb);
    } else {
        cJSON_AddNullToObject(doc, "first_bad");
    }
    cJSON *could_be = cJSON_AddArrayToObject(doc, "could_be");
    for (size_t i = 0; i < end->n_could_be; i++)
        cJSON_AddItemToArray(could_be, commit_json(&end->could_be[i]));
    double builds = 0, executed = 0, cached = 0, v, rounds = 0, wall_ms = 0, last_round = -1;
    const cJSON *step;
    cJSON_ArrayForEach (step, st->steps) {
        /* the steps of a round are recorded together, each with the round's wall time */
        double round = -1;
        if (!json_num(step, "round", &round) || round != last_round) {
            rounds++;
            wall_ms += json_num(step, "round_ms", &v) ? v : 0;
        }
        last_round = round;
        builds += cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(step, "built"));
        executed += json_num(step, "executed", &v) ? v : 0;
        cached += json_num(step, "cached", &v) ? v : 0;
        if (json_str(step, "binary") && !cJSON_HasObjectItem(binaries, json_str(step, "binary")))
            cJSON_AddTrueToObject(binaries, json_str(step, "binary"));
    }
    cJSON_AddNumberToObject(doc, "tested", cJSON_GetArraySize(st->steps));
    cJSON_AddNumberToObject(doc, "parallel", st->parallel > 1 ? st->parallel : 1);
    cJSON_AddNumberToObject(doc, "rounds", rounds);
    cJSON_AddNumberToObject(doc, "wall_ms", wall_ms);
    cJSON_AddNumberToObject(doc, "builds", builds);
    cJSON_AddNumberToObject(doc, "binaries", cJSON_GetArraySize(binaries));
    cJSON_AddNumberToObject(doc, "actions_executed", executed);
    cJSON_AddNumberToObject(doc, "actions_cached", cached);
    cJSON_AddItemToObject(doc, "steps", cJSON_Duplicate(st->steps, 1));
    cJSON_Delete(binaries);
    return doc;
}

static void print_report(const bisect_state *st, const bisect_end *end, const cJSON *doc)
{
    if (end->found) {
        printf("%s is the first bad commit\n    ", end->first_bad.oid);
        escape_puts(stdout, end->first_bad.summary, ESC_VISIBLE);
        putchar('\n');
        print_failing(step_of(st, end->first_bad.oid));
    } else {
        puts("There are only 'skip'ped commits left to test.\nThe first bad commit could be any of:");
        for (size_t i = 0; i < end->n_could_be; i++)
            puts(end->could_be[i].oid);
        puts("We cannot bisect more!");
    }
    double n[8] = {0};
    const char *keys[] = {"tested", "rounds",   "parallel",         "wall_ms",
                          "builds", "binaries", "actions_executed", "actions_cached"};
    for (size_t i = 0; i < 8; i++)
        json_num(doc, keys[i], &n[i]);
    printf(
        "tested %.0f commits in %.0f round%s of up to %.0f, %.1f s: %.0f builds, %.0f distinct binaries; "
        "actions: %.0f run, %.0f cached\n",
        n[0], n[1], n[1] == 1 ? "" : "s", n[2], n[3] / 1000.0, n[4], n[5], n[6], n[7]);
    const cJSON *step;
    cJSON_ArrayForEach (step, st->steps) {
        printf("  %.12s %-4s ", json_str(step, "commit"), json_str(step, "verdict"));
        escape_puts(stdout, json_str(step, "summary"), ESC_VISIBLE);
        putchar('\n');
    }
}

static int finish(const cli_opts *o, const bisect_state *st, const bisect_end *end)
{
    cJSON *doc = summary_json(st, end);
    print_report(st, end, doc);
    char *path = path_join(st->results_dir, "bisect.json");
    tmgt_error err = {{0}};
    int rc = EXIT_OK;
    if (mkdir_p(st->results_dir, 0755, &err) != 0 || json_stream_write_atomic(doc, path, 0644, &err) != 0) {
        fprintf(stderr, "tmgt: cannot write %s: %s\n", path, err.msg);
        rc = EXIT_ENV;
    }
    if (!o->quiet)
        printf("checkouts stay in %s/bisect until tmgt bisect --reset\n", o->cache_dir);
    free(path);
    cJSON_Delete(doc);
    return rc;
}

int cmd_bisect(const cli_opts *o)
{
    bisect_args a;
    int rc = parse_args(o, &a);
    if (rc != 0)
        return rc;
    if (a.help) {
        fputs(HELP, stdout);
        return EXIT_OK;
    }
    if (a.reset)
        return reset(o);
    bisect_state st;
    tmgt_error err = {{0}};
    if (a.resume && bisect_state_load(o->cache_dir, &st, &err) != 0)
        return usage("%s", err.msg);
    if (!a.resume && (rc = start(o, &a, &st)) != 0) {
        bisect_state_free(&st);
        return rc;
    }
    if (a.resume && a.parallel)
        parse_parallel(a.parallel, &st.parallel);
    bisect_end end;
    session_opts so = cli_session_opts(o);
    rc = bisect_run(&so, &st, &end);
    if (rc == EXIT_OK)
        rc = finish(o, &st, &end);
    else if (rc == EXIT_INTERRUPTED)
        fprintf(stderr,
                "tmgt: bisect interrupted after %d recorded steps; resume with: tmgt bisect --continue "
                "--cache-dir %s\n",
                cJSON_GetArraySize(st.steps), o->cache_dir);
    bisect_end_free(&end);
    bisect_state_free(&st);
    return rc;
}
