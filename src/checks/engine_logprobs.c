#include "engine_logprobs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_read.h"
#include "util.h"

static const top_keys engine_keys = {"token_id", "logprob"};

/* Step i: numbered i, choosing the run's token i, its top at most top_k long. */
static int read_step(const cJSON *step, size_t i, long token, size_t top_k, position_top *out,
                     tmgt_error *err)
{
    long n, chosen;
    if (!cJSON_IsObject(step))
        return err_fail(err, "logprobs.steps[%zu]: not an object", i);
    if (!json_long(cJSON_GetObjectItemCaseSensitive(step, "step"), &n) || n != (long)i)
        return err_fail(err, "logprobs.steps[%zu].step: not %zu", i, i);
    if (!json_long(cJSON_GetObjectItemCaseSensitive(step, "chosen"), &chosen))
        return err_fail(err, "logprobs.steps[%zu].chosen: missing or not an integer", i);
    if (chosen != token)
        return err_fail(err, "logprobs.steps[%zu].chosen: %ld is not the reported token %ld", i, chosen,
                        token);
    char where[48];
    snprintf(where, sizeof where, "logprobs.steps[%zu].top", i);
    if (position_top_read(cJSON_GetObjectItemCaseSensitive(step, "top"), where, &engine_keys, out, err) != 0)
        return -1;
    if (out->n > top_k)
        return err_fail(err, "%s: %zu entries, more than top_k %zu", where, out->n, top_k);
    return 0;
}

static int read_all(const cJSON *lp, const long *tokens, size_t n_tokens, engine_logprobs *out,
                    tmgt_error *err)
{
    long k;
    if (!cJSON_IsObject(lp))
        return err_fail(err, "logprobs: not an object");
    if (!json_long(cJSON_GetObjectItemCaseSensitive(lp, "top_k"), &k) || k < 1 || k > TOP_LOGPROBS_MAX)
        return err_fail(err, "logprobs.top_k: not an integer from 1 to %d", TOP_LOGPROBS_MAX);
    out->top_k = (size_t)k;
    if (!json_int_list(cJSON_GetObjectItemCaseSensitive(lp, "prompt_token_ids"), &out->prompt_ids,
                       &out->n_prompt_ids))
        return err_fail(err, "logprobs.prompt_token_ids: missing or not a list of integer ids");
    for (size_t i = 0; i < out->n_prompt_ids; i++)
        if (out->prompt_ids[i] < 0)
            return err_fail(err, "logprobs.prompt_token_ids[%zu]: %ld is not a token id", i,
                            out->prompt_ids[i]);
    const cJSON *steps = cJSON_GetObjectItemCaseSensitive(lp, "steps");
    if (!cJSON_IsArray(steps))
        return err_fail(err, "logprobs.steps: missing or not a list");
    size_t n = (size_t)cJSON_GetArraySize(steps);
    if (n != n_tokens)
        return err_fail(err, "logprobs.steps: %zu steps for %zu reported tokens", n, n_tokens);
    out->top = xcalloc(n ? n : 1, sizeof *out->top);
    out->n_steps = n;
    const cJSON *step;
    size_t i = 0;
    cJSON_ArrayForEach (step, steps) {
        if (read_step(step, i, tokens[i], out->top_k, &out->top[i], err) != 0)
            return -1;
        i++;
    }
    return 0;
}

int engine_logprobs_read(const cJSON *logprobs, const long *tokens, size_t n_tokens, engine_logprobs *out,
                         tmgt_error *err)
{
    memset(out, 0, sizeof *out);
    err->msg[0] = '\0';
    if (!logprobs || cJSON_IsNull(logprobs))
        return 0;
    if (read_all(logprobs, tokens, n_tokens, out, err) != 0) {
        engine_logprobs_free(out);
        return -1;
    }
    return 0;
}

void engine_logprobs_free(engine_logprobs *l)
{
    free(l->prompt_ids);
    position_tops_free(l->top, l->n_steps);
    memset(l, 0, sizeof *l);
}
