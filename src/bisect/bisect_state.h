/* The recorded state of a bisection (<cache>/bisect/state.json): what the user asked for and
 * every verdict so far, saved atomically after each step so `--continue` resumes where an
 * interrupted run stopped. */
#ifndef TMGT_BISECT_STATE_H
#define TMGT_BISECT_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

#include "bisect_git.h"
#include "util.h"

typedef struct {
    char *repo;
    char *good_rev, *bad_rev; /* as the user wrote them */
    char good[OID_HEX], bad[OID_HEX];
    char *build, *binary, *engine;
    char *pipeline, *results_dir; /* absolute, so --continue works from anywhere */
    str_list checks, models, overrides;
    unsigned parallel; /* candidates tested per round (--parallel; 1: one at a time) */
    /* [{commit, tree, summary, verdict: good|bad|skip, reason, built, binary, executed, cached,
     *   failing: [{name, detail, divergence}], results}] in test order */
    cJSON *steps;
} bisect_state;

char *bisect_state_dir(const char *cache_dir);
bool bisect_state_exists(const char *cache_dir);
int bisect_state_load(const char *cache_dir, bisect_state *st, tmgt_error *err);
int bisect_state_save(const char *cache_dir, const bisect_state *st, tmgt_error *err);
void bisect_state_free(bisect_state *st);

#endif
