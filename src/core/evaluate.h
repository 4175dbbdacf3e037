/* After the executor: every planned check judged from its queries' outputs, plus one
 * `convert/<slug>/<artefact>` check per conversion (a failed conversion is a finding). */
#ifndef TMGT_EVALUATE_H
#define TMGT_EVALUATE_H

#include "plan.h"
#include "suites.h"

typedef struct {
    check_spec spec; /* for convert checks (owned); planned checks point into the plan */
    const check_spec *s;
    check_result r;
    const action **actions;
    size_t n_actions;
} evaluated_check;

typedef struct {
    evaluated_check *items;
    size_t count;
} evaluation;

void evaluate_plan(const plan *p, bool gpu_available, evaluation *ev);
void evaluation_free(evaluation *ev);

#endif
