/* What an engine reported about its prompt and its choices: the "logprobs" object of
 * `apr run --json --logprobs K` and of tools/llama-probe, which share its shape:
 *   {top_k, prompt_token_ids: [...], steps: [{step, chosen, chosen_logprob,
 *    top: [{token_id, logit, logprob}], logsumexp_full}]}
 * Read once per run, so a divergence can say whether each side's token is in the other's top-k. */
#ifndef TMGT_ENGINE_LOGPROBS_H
#define TMGT_ENGINE_LOGPROBS_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "top_logprobs.h"
#include "util.h"

typedef struct {
    long *prompt_ids; /* the ids the engine encoded */
    size_t n_prompt_ids;
    position_top *top; /* one position per reported token */
    size_t n_steps;
    size_t top_k;
} engine_logprobs;

/* Reads `logprobs` against the run's reported `tokens`: top_k an integer from 1 to
 * TOP_LOGPROBS_MAX, prompt_token_ids a list of non-negative ids, one step per token, step i
 * numbered i and choosing tokens[i], each top as position_top_read requires with at most top_k
 * entries. A JSON null (apr without --logprobs) reads as nothing: returns 0 with *out empty.
 * Otherwise 0, or -1 with *err naming the field ("logprobs.steps[3].chosen: 198 is not the
 * reported token 504"); *out is then empty. *err is empty after a 0. */
int engine_logprobs_read(const cJSON *logprobs, const long *tokens, size_t n_tokens, engine_logprobs *out,
                         tmgt_error *err);
void engine_logprobs_free(engine_logprobs *l);

#endif
