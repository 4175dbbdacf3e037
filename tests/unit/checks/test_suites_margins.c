/* The verdicts that read the oracle's margins, on apr 0.72.3's real outputs against the
 * SmolLM2 fixture's oracle (docs/apr-0.72.3-samples): each class of divergence through the
 * suites that record it, prompt-tokens, logit-parity, and the bounds and run steps the
 * pipeline states per artefact. */
#include "suites_fixture.h"

#include <math.h>

#include "run_divergence.h"

/* The world with smollm2-135m, whose oracle has margins, in place of the first model. */
static int margins_setup(void **state)
{
    world_setup(state);
    world *w = *state;
    static const char *const keys[N_PROMPTS] = {"arithmetic", "code", "completion", "greeting"};
    tmgt_error err;
    char *dir = xasprintf("%s/oracle/smollm2-135m", source_dir());
    oracle_free(w->oracles[0]);
    w->oracles[0] = oracle_load(dir, "smollm2-135m", keys, N_PROMPTS, &err);
    free(dir);
    if (!w->oracles[0])
        fail_msg("%s", err.msg);
    w->models[0].slug = "smollm2-135m";
    return 0;
}

static char *sample(const char *name)
{
    char *rel = xasprintf("docs/apr-0.72.3-samples/%s", name);
    char *data = read_source_file(rel, NULL);
    free(rel);
    return data;
}

static check_result judge_sample(world *w, const char *suite, const char *name, const char *file,
                                 int exit_code)
{
    char *out = sample(file);
    query_output q =
        exit_code ? q_exit(exit_code, out, "error: Inference failed: empty completion") : q_ok(out);
    check_result r = judge(w, suite, name, &q);
    free(out);
    return r;
}

static void test_a_confident_divergence(void **state)
{
    /* apr's int8 import leaves the oracle at token 4 for "\n", 15 nats below its choice: outside
     * the oracle's top 20. */
    check_result r = judge_sample(*state, "token", "token-parity/smollm2-135m/int8/completion",
                                  "run-int8-completion.stdout", 0);
    assert_status(r, CHECK_FAIL, "mismatches exceeds threshold 3"); /* the seed's verdict stays */
    assert_non_null(r.tv);
    assert_int_equal(r.tv->d.cls, DIV_CONFIDENT);
    assert_int_equal(r.tv->d.index, 4);
    assert_int_equal(r.tv->d.expected, 504);
    assert_int_equal(r.tv->d.got, 198);
    assert_false(r.tv->d.has_logp_got);
    assert_int_equal(r.tv->d.got_rank, 0);
    assert_true(fabs(r.tv->d.logp_expected - -1.936) < 0.001);
    assert_string_equal(r.tv->engine, "run"); /* the fixture's pipeline has no steps: the step */
    check_result_free(&r);

    r = judge_sample(*state, "logit-parity", "logit-parity/smollm2-135m/int8.apr/completion",
                     "run-int8-completion.stdout", 0);
    assert_status(r, CHECK_FAIL, "beyond the near-tie bound of 0.5 nats");
    check_result_free(&r);
}

static void test_a_near_tie(void **state)
{
    /* The untemplated q8_0 GGUF flips the oracle's smallest gap: 0.018 nats at token 6. */
    check_result r = judge_sample(*state, "logit-parity", "logit-parity/smollm2-135m/q8_0.gguf/greeting",
                                  "logprobs/q8_0-notemplate-gguf-greeting.stdout", 0);
    assert_status(r, CHECK_PASS, "the tokens agree up to a near-tie");
    assert_int_equal(r.tv->d.cls, DIV_NEAR_TIE);
    assert_int_equal(r.tv->d.index, 6);
    assert_true(r.tv->d.margin_nats < 0.02);
    assert_int_equal(r.tv->d.expected_in_engine_top, 1); /* apr's own top 5 has the oracle's token */
    assert_int_equal(r.tv->d.prompt.verdict, PROMPT_SAME);
    check_result_free(&r);
}

static void test_a_templated_prompt(void **state)
{
    check_result r = judge_sample(*state, "prompt-tokens", "prompt-tokens/smollm2-135m/q8_0.gguf/completion",
                                  "logprobs/q8_0-gguf-completion.stdout", 0);
    assert_int_equal(r.status, CHECK_FAIL);
    assert_true(r.tv->prompt_only);
    assert_int_equal(r.tv->d.prompt.verdict, PROMPT_TEMPLATED);
    assert_int_equal(r.tv->d.prompt.offset, 24);
    check_result_free(&r);

    r = judge_sample(*state, "logit-parity", "logit-parity/smollm2-135m/q8_0.gguf/completion",
                     "logprobs/q8_0-gguf-completion.stdout", 0);
    assert_status(r, CHECK_FAIL, "read another prompt");
    assert_int_equal(r.tv->d.cls, DIV_PROMPT_MISMATCH);
    check_result_free(&r);

    /* apr's .apr runs report a count only: the oracle's. */
    r = judge_sample(*state, "prompt-tokens", "prompt-tokens/smollm2-135m/int8.apr/completion",
                     "run-int8-completion.stdout", 0);
    assert_int_equal(r.status, CHECK_PASS);
    assert_int_equal(r.tv->d.prompt.verdict, PROMPT_SAME);
    check_result_free(&r);
}

static void test_an_engine_error_with_agreeing_tokens(void **state)
{
    /* apr stops at once as the oracle does, and exits 8 (#3720). */
    check_result r = judge_sample(*state, "token", "token-parity/smollm2-135m/int8/arithmetic",
                                  "logprobs/q8_0-notemplate-gguf-arithmetic.stdout", 8);
    assert_status(r, CHECK_FAIL, "exit 8");
    assert_int_equal(r.tv->d.cls, DIV_ENGINE_ERROR);
    assert_false(r.tv->d.present);
    check_result_free(&r);

    r = judge_sample(*state, "prompt-tokens", "prompt-tokens/smollm2-135m/q8_0.gguf/arithmetic",
                     "logprobs/q8_0-notemplate-gguf-arithmetic.stdout", 8);
    assert_int_equal(r.status, CHECK_PASS); /* what it read was the oracle's prompt */
    check_result_free(&r);
}

static void test_bad_engine_logprobs_never_pass(void **state)
{
    char *raw = sample("logprobs/q8_0-notemplate-gguf-greeting.stdout");
    cJSON *doc = json_parse_lenient(raw, strlen(raw), NULL);
    free(raw);
    cJSON_DeleteItemFromArray(cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "logprobs"), "steps"), 3);
    char *out = printed(doc);
    query_output q = q_ok(out);
    static const char *const checks[][2] = {
        {"logit-parity", "logit-parity/smollm2-135m/q8_0.gguf/greeting"},
        {"prompt-tokens", "prompt-tokens/smollm2-135m/q8_0.gguf/greeting"},
        {"token", "token-parity/smollm2-135m/int8/greeting"},
    };
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
        check_result r = judge(*state, checks[i][0], checks[i][1], &q);
        assert_status(r, CHECK_FAIL, "apr run output logprobs.steps");
        check_result_free(&r);
    }
    free(out);
}

static void test_bounds_and_run_steps_per_artefact(void **state)
{
    (void)state;
    tmgt_error err;
    pipeline *pl = pipeline_load("tests/sim/pipeline.json", &err);
    assert_non_null(pl);
    assert_true(near_tie_bound(pl, "int8.apr") == NEAR_TIE_8BIT);
    assert_true(near_tie_bound(pl, "int4.apr") == NEAR_TIE_4BIT);
    assert_true(near_tie_bound(pl, "roundtrip.apr") == NEAR_TIE_4BIT); /* re-imports int4.gguf */
    assert_true(near_tie_bound(pl, "q8_0.gguf") == NEAR_TIE_8BIT);
    assert_true(near_tie_bound(pl, "q4_0.gguf") == NEAR_TIE_4BIT);
    assert_true(near_tie_bound(pl, "f16.gguf") == NEAR_TIE_FLOAT);
    ((pipeline_artifact *)pipeline_find_artifact(pl, "int8.apr"))->near_tie_nats = 0.125;
    assert_true(near_tie_bound(pl, "int8.apr") == 0.125);
    assert_string_equal(run_step_for(pl, "q8_0.gguf"), "run-logprobs");
    assert_string_equal(run_step_for(pl, "int8.apr"), "run");
    assert_string_equal(run_step_for(pl, "no-such"), "run");
    pipeline_free(pl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_confident_divergence),
        cmocka_unit_test(test_a_near_tie),
        cmocka_unit_test(test_a_templated_prompt),
        cmocka_unit_test(test_an_engine_error_with_agreeing_tokens),
        cmocka_unit_test(test_bad_engine_logprobs_never_pass),
        cmocka_unit_test(test_bounds_and_run_steps_per_artefact),
    };
    return cmocka_run_group_tests(tests, margins_setup, world_teardown);
}
