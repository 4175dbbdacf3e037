/* From a pipeline and a selection (--model, --check) to the minimal action graph: every check
 * the selection implies, every engine query those checks need (identical ones merged), and
 * the conversions that produce the artefacts those queries read. Runs nothing. */
#ifndef TMGT_PLAN_H
#define TMGT_PLAN_H

#include "engine.h"
#include "graph.h"
#include "oracle.h"
#include "pipeline.h"
#include "suites.h"

typedef struct {
    char **models;  /* slugs; none means every model */
    size_t n_models;
    char **suites;  /* suite keys; none or "all" means the pipeline's suites (default: all) */
    size_t n_suites;
    bool conversions_only; /* `tmgt convert`: every artefact recipe, no checks */
} selection;

typedef struct {
    const pipeline *pl;
    graph g;
    engine *engines;            /* parallel to pl->engines */
    check_list checks;
    action ***check_actions;    /* per check, per query: the action that answers it */
    oracle_set **oracles;       /* per pipeline model; NULL when not loaded (not selected) */
    const suite_def **suites;   /* selected suites in table order */
    size_t n_suites;
    char *models_root;
} plan;

/* Errors (exit 3): unknown model or suite in the selection, an oracle that does not load, a
 * pipeline step whose inputs do not match what a suite passes. */
int plan_build(plan *p, const pipeline *pl, const selection *sel, engine *engines, tmgt_error *err);
void plan_free(plan *p);

#endif
