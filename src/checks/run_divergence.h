/* The first divergence of one generation run from the oracle (divergence.h), with what the run
 * reported about its prompt (apr's "prompt_tokens" count, the ids of its "logprobs") and its own
 * top-k, recorded in the check's result. Internal to the suites, as suite_common.h. */
#ifndef TMGT_RUN_DIVERGENCE_H
#define TMGT_RUN_DIVERGENCE_H

#include "suite_common.h"

/* Defaults of near_tie_nats by format, from llama.cpp's own runs of the fixture
 * (docs/llamacpp-v0.4.0-samples/probe/NOTES.md; README, "logit-parity"). */
#define NEAR_TIE_FLOAT 0.05 /* f32, f16, bf16 */
#define NEAR_TIE_8BIT 0.5   /* int8, q8_0 */
#define NEAR_TIE_4BIT 6.0   /* int4, q4_0 and the other 4-bit types */

/* The step that runs tools/llama-probe, llama.cpp's numerics with prompt ids and top-k. */
#define PROBE_STEP "llama-probe"

/* The near-tie bound of `artifact`: the pipeline's near_tie_nats, else its format's default,
 * the format read from the artefact's name and variables, or from the artefact it was made
 * from (roundtrip.apr is the int4 it re-imports). */
double near_tie_bound(const pipeline *pl, const char *artifact);
/* The step that runs a generation on `artifact`: its run_step, "run" by default. */
const char *run_step_for(const pipeline *pl, const char *artifact);

/* Records in r->tv the divergence of run query i (report `doc`, generated `tokens`) from the
 * oracle's `o`. The run's logprobs, where it reported them, must be well formed: otherwise
 * returns false with r a FAIL naming the field. */
bool record_run_divergence(const check_ctx *ctx, size_t i, const cJSON *doc, const oracle_entry *o,
                           const long *tokens, size_t n, check_result *r);
/* The divergence of run query i, for a check that judges another run and shows this one beside
 * it; false when the query left no report with well-formed tokens and logprobs. */
bool read_run_divergence(const check_ctx *ctx, size_t i, const oracle_entry *o, token_divergence *d);
/* The same as record_run_divergence for a check that judges the run's text: its tokens when it reported a
 * list of them, nothing otherwise (and nothing without an oracle `o`). */
bool record_reported_divergence(const check_ctx *ctx, size_t i, const cJSON *doc, const oracle_entry *o,
                                check_result *r);

#endif
