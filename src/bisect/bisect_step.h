/* One candidate of a bisection: its step in the state ({commit, tree, summary, round, built,
 * build_ms, build_error, binary, verdict, reason, executed, cached, failing, results}), its
 * checkout, its build shared with an identical tree's, and its verdict from a results document.
 * The serial loop (bisect.c) and a parallel round (bisect_round.c) both make steps here. */
#ifndef TMGT_BISECT_STEP_H
#define TMGT_BISECT_STEP_H

#include <stdbool.h>
#include <cjson/cJSON.h>

#include "bisect_build.h"
#include "bisect_git.h"
#include "bisect_state.h"
#include "session.h"

typedef struct {
    const session_opts *o;
    bisect_state *st;
    bisect_repo *repo;
    char *dir;                      /* <cache>/bisect */
    const slurm_settings *builders; /* --executor slurm: where builds run; NULL: here */
    bool tty;
    unsigned round; /* the round being tested, 1-based, counted across --continue */
} bisect_ctx;

const char *step_str(const cJSON *step, const char *key);
cJSON *step_new(const bisect_commit *cm, unsigned round);
void step_set_verdict(cJSON *step, const char *verdict, const char *reason);
void step_progress(const bisect_ctx *c, size_t left, const bisect_commit *cm, const char *phase);
/* The directory the commit's tree is checked out in (written unless it is there already);
 * NULL after printing why not. */
char *step_checkout(bisect_ctx *c, const bisect_commit *cm);
/* A step of `steps` that built `tree`, or NULL: identical trees share one build. */
const cJSON *step_prior_build(const cJSON *steps, const char *tree);
void step_share_build(cJSON *step, const cJSON *prior);
/* Where a build of `tree` logs (its directory made). */
char *step_build_log(const bisect_ctx *c, const char *tree);
void step_record_build(cJSON *step, const build_outcome *b, const char *log);
/* After the build: the built binary's path (the caller frees) with its digest recorded, or NULL
 * with the step's skip verdict set (the build failed, or left no binary). */
char *step_built_binary(const bisect_ctx *c, const char *tree_dir, cJSON *step);
/* Where the checks of a commit write their results. */
char *step_results_dir(const bisect_ctx *c, const bisect_commit *cm);
/* Like `git bisect run`: the verdict from the checks' results document. */
void step_classify(const bisect_ctx *c, const cJSON *doc, cJSON *step);
/* Saves the state after `steps` (the last n of it) were added, and prints them. Returns -1 to go
 * on, EXIT_INTERRUPTED after Ctrl-C, EXIT_ENV when the state cannot be saved. */
int step_save_and_print(bisect_ctx *c, cJSON *const *steps, size_t n);

#endif
