/* --repeat: where a later run of an action differs from its first. The outcome (exit status,
 * signal), then the stdout — as JSON when both runs printed JSON, so the answer names a field
 * ("tokens[31] 1783 vs 1290"), else the first differing byte — then the declared output file's
 * first differing byte. Fields the step says measure time are not compared. */
#ifndef TMGT_RUN_COMPARE_H
#define TMGT_RUN_COMPARE_H

#include <stddef.h>

#include "runner.h"

typedef struct {
    run_outcome outcome;
    int exit_code, term_signal;
    const char *out; /* stdout */
    size_t out_len;
    const char *output; /* the declared output file it wrote; NULL when it wrote none */
} run_observed;

/* NULL when the runs agree; else one line saying where they first differ (malloc'd).
 * `output_name` names the declared output in that line; `varies` are JSON member names never
 * compared, at any depth. */
char *run_difference(const run_observed *first, const run_observed *later, const char *output_name,
                     char *const *varies, size_t n_varies);

#endif
