/* From a pipeline and a selection (--model, --check) to the minimal action graph: every check
 * the selection implies, every engine query those checks need (identical ones merged), and
 * the conversions that produce the artefacts those queries read. Runs nothing. */
#ifndef TMGT_PLAN_H
#define TMGT_PLAN_H

#include "engine.h"
#include "graph.h"
#include "oracle.h"
#include "pipeline.h"
#include "selection.h"
#include "suites.h"

typedef struct {
    const pipeline *pl;
    graph g;
    engine *engines; /* parallel to pl->engines */
    check_list checks;
    action ***check_actions;  /* per check, per query: the action that answers it */
    oracle_set **oracles;     /* per pipeline model; NULL when not loaded (not selected) */
    const suite_def **suites; /* selected suites in table order */
    size_t n_suites;
    char *models_root;
} plan;

/* The selection is one selection_problem() accepts. Errors (exit 3): an oracle that does not
 * load, a pipeline step whose inputs do not match what a suite passes. */
int plan_build(plan *p, const pipeline *pl, const selection *sel, engine *engines, tmgt_error *err);
void plan_free(plan *p);
/* Whether an action reads the oracle file of this model and prompt (a step's {oracle}). */
bool plan_reads_oracle(const plan *p, const char *slug, const char *prompt_key);

#endif
