/* Engine logprobs: the real "logprobs" objects of tools/llama-probe and apr run --logprobs read
 * into prompt ids and one top-k per token; every malformed one is refused naming the field. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "json_read.h"
#include "engine_logprobs.h"
#include "source_files.h"
#include "util.h"

#define PROBE_SAMPLE "docs/llamacpp-v0.4.0-samples/probe/q8_0-completion.stdout"
#define APR_SAMPLE "docs/apr-0.72.3-samples/logprobs/q8_0-gguf-completion.stdout"

static long *tokens_of(const cJSON *doc, size_t *n)
{
    long *t;
    assert_true(json_int_list(cJSON_GetObjectItem(doc, "tokens"), &t, n));
    return t;
}

/* Reads the sample's logprobs and checks them against its own tokens and prompt count. */
static void expect_sample(const char *rel, size_t top_k)
{
    cJSON *doc = read_engine_json(rel);
    size_t n;
    long *tokens = tokens_of(doc, &n);
    engine_logprobs lp;
    tmgt_error why;
    if (engine_logprobs_read(cJSON_GetObjectItem(doc, "logprobs"), tokens, n, &lp, &why) != 0)
        fail_msg("%s: %s", rel, why.msg);
    assert_true(n > 0);
    assert_int_equal(lp.n_steps, n);
    assert_int_equal(lp.top_k, top_k);
    assert_int_equal(lp.n_prompt_ids, cJSON_GetObjectItem(doc, "prompt_tokens")->valueint);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(lp.top[i].n, top_k);
        assert_int_equal(lp.top[i].top[0].id, tokens[i]); /* greedy: the choice leads its top */
    }
    engine_logprobs_free(&lp);
    free(tokens);
    cJSON_Delete(doc);
}

static void test_real_samples(void **state)
{
    (void)state;
    expect_sample(PROBE_SAMPLE, 5);
    expect_sample(APR_SAMPLE, 5);
    /* llama.cpp encodes the oracle's 5 ids; apr's GGUF path wraps them in the chat template. */
    cJSON *doc = read_engine_json(PROBE_SAMPLE);
    static const long oracle_prompt[] = {504, 3575, 282, 4649, 314};
    size_t n;
    long *tokens = tokens_of(doc, &n);
    engine_logprobs lp;
    tmgt_error why;
    assert_int_equal(engine_logprobs_read(cJSON_GetObjectItem(doc, "logprobs"), tokens, n, &lp, &why), 0);
    assert_int_equal(lp.n_prompt_ids, 5);
    assert_memory_equal(lp.prompt_ids, oracle_prompt, sizeof oracle_prompt);
    engine_logprobs_free(&lp);
    free(tokens);
    cJSON_Delete(doc);
}

static void test_null_is_nothing(void **state)
{
    (void)state;
    cJSON *null = cJSON_CreateNull();
    engine_logprobs lp;
    tmgt_error why = {"stale"};
    assert_int_equal(engine_logprobs_read(null, NULL, 0, &lp, &why), 0);
    assert_null(lp.top);
    assert_null(lp.prompt_ids);
    assert_string_equal(why.msg, "");
    assert_int_equal(engine_logprobs_read(NULL, NULL, 0, &lp, &why), 0);
    cJSON_Delete(null);
}

static cJSON *step(cJSON *lp, int i)
{
    return cJSON_GetArrayItem(cJSON_GetObjectItem(lp, "steps"), i);
}
static cJSON *top_entry(cJSON *lp, int i, int k)
{
    return cJSON_GetArrayItem(cJSON_GetObjectItem(step(lp, i), "top"), k);
}

static void steps_short(cJSON *lp)
{
    cJSON_DeleteItemFromArray(cJSON_GetObjectItem(lp, "steps"), 0);
}
static void chosen_other(cJSON *lp)
{
    cJSON_ReplaceItemInObject(step(lp, 3), "chosen", cJSON_CreateNumber(7042));
}
static void step_renumbered(cJSON *lp)
{
    cJSON_ReplaceItemInObject(step(lp, 2), "step", cJSON_CreateNumber(5));
}
static void logprob_nan(cJSON *lp)
{
    cJSON_ReplaceItemInObject(top_entry(lp, 0, 1), "logprob", cJSON_CreateString("NaN"));
}
static void top_unsorted(cJSON *lp)
{
    cJSON_ReplaceItemInObject(top_entry(lp, 1, 3), "logprob", cJSON_CreateNumber(-0.1));
}
static void top_k_small(cJSON *lp)
{
    cJSON_ReplaceItemInObject(lp, "top_k", cJSON_CreateNumber(2));
}
static void top_k_zero(cJSON *lp)
{
    cJSON_ReplaceItemInObject(lp, "top_k", cJSON_CreateNumber(0));
}
static void prompt_text(cJSON *lp)
{
    cJSON_ReplaceItemInObject(lp, "prompt_token_ids", cJSON_CreateString("504"));
}
static void prompt_negative(cJSON *lp)
{
    cJSON_ReplaceItemInArray(cJSON_GetObjectItem(lp, "prompt_token_ids"), 1, cJSON_CreateNumber(-3));
}
static void steps_missing(cJSON *lp)
{
    cJSON_DeleteItemFromObject(lp, "steps");
}
static void top_missing(cJSON *lp)
{
    cJSON_DeleteItemFromObject(step(lp, 4), "top");
}

static void test_bad_logprobs_name_the_field(void **state)
{
    (void)state;
    static const struct {
        void (*mutate)(cJSON *);
        const char *message;
    } cases[] = {
        {steps_short, "logprobs.steps: 31 steps for 32 reported tokens"},
        {chosen_other, "logprobs.steps[3].chosen: 7042 is not the reported token 198"},
        {step_renumbered, "logprobs.steps[2].step: not 2"},
        {logprob_nan, "logprobs.steps[0].top[1].logprob: not finite (nan)"},
        {top_unsorted,
         "logprobs.steps[1].top[3].logprob: -0.1 is above the previous entry's -3.15931 (not descending)"},
        {top_k_small, "logprobs.steps[0].top: 5 entries, more than top_k 2"},
        {top_k_zero, "logprobs.top_k: not an integer from 1 to 64"},
        {prompt_text, "logprobs.prompt_token_ids: missing or not a list of integer ids"},
        {prompt_negative, "logprobs.prompt_token_ids[1]: -3 is not a token id"},
        {steps_missing, "logprobs.steps: missing or not a list"},
        {top_missing, "logprobs.steps[4].top: not a list"},
    };
    cJSON *doc = read_engine_json(PROBE_SAMPLE);
    size_t n;
    long *tokens = tokens_of(doc, &n);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cJSON *lp = cJSON_Duplicate(cJSON_GetObjectItem(doc, "logprobs"), 1);
        cases[i].mutate(lp);
        engine_logprobs out;
        tmgt_error why = {{0}};
        assert_int_equal(engine_logprobs_read(lp, tokens, n, &out, &why), -1);
        assert_string_equal(why.msg, cases[i].message);
        assert_null(out.top);
        assert_null(out.prompt_ids);
        cJSON_Delete(lp);
    }
    cJSON *str = cJSON_CreateString("none");
    engine_logprobs out;
    tmgt_error why;
    assert_int_equal(engine_logprobs_read(str, tokens, n, &out, &why), -1);
    assert_string_equal(why.msg, "logprobs: not an object");
    cJSON_Delete(str);
    free(tokens);
    cJSON_Delete(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_samples),
        cmocka_unit_test(test_null_is_nothing),
        cmocka_unit_test(test_bad_logprobs_name_the_field),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
