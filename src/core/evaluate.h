/* Every planned check judged from its queries' outputs, plus one `convert/<slug>/<artefact>` check
 * per conversion (a failed conversion is a finding), each as soon as the actions it reads have
 * finished: the session hands the executor's finished actions to the evaluator, so the judging
 * happens while engines still run, not after the last one. */
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

typedef struct evaluator evaluator;

/* `judged` (or NULL) is told of each verdict as it is reached. */
evaluator *evaluator_new(const plan *p, bool gpu_available,
                         void (*judged)(void *ctx, const evaluated_check *ec), void *judged_ctx);
/* `a` has its final status and output: judges every check (and conversion) that has nothing left
 * to wait for. Each action is handed over at most once. */
void evaluator_action_finished(evaluator *e, const action *a);
/* Judges what is left (checks of actions that never finished: interrupted, not started), frees the
 * evaluator, and hands over the evaluation, conversions in artefact order then the checks in plan
 * order, whichever was judged first. */
void evaluator_finish(evaluator *e, evaluation *ev);
void evaluation_free(evaluation *ev);

#endif
