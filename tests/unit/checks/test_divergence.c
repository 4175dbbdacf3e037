/* The first divergence and its class: margin arithmetic against the oracle's top_logprobs, a
 * token outside the oracle's top, a divergence at 0, an engine that stopped early at EOS, an
 * oracle without margins, an engine that failed although its tokens agree, prompt ids found at
 * an offset, and vLLM's cross-membership; the sentence and the JSON say the same. Then the
 * real apr samples against the real SmolLM2 oracle. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compare.h"
#include "json_read.h"
#include "divergence.h"
#include "engine_logprobs.h"
#include "source_files.h"
#include "util.h"

#define NEAR_TIE 1.0

/* An oracle of 4 tokens ending at EOS 2 (so the oracle stopped early, as SmolLM2 does). */
static const long oracle_tokens[] = {7042, 30, 504, 2};
static const long oracle_prompt[] = {504, 3575, 282, 4649, 314};
static token_logprob pos0[] = {{7042, -0.25}, {260, -2.75}, {4528, -4.5}};
static token_logprob pos1[] = {{30, -0.5}, {28, -1.25}, {2, -3.0}};
static token_logprob pos2[] = {{504, -1.94}, {1348, -2.77}, {2, -2.8}};
static token_logprob pos3[] = {{2, -0.01}, {198, -5.5}};

static oracle_entry make_oracle(bool margins)
{
    static position_top top[4];
    top[0] = (position_top){pos0, 3};
    top[1] = (position_top){pos1, 3};
    top[2] = (position_top){pos2, 3};
    top[3] = (position_top){pos3, 2};
    oracle_entry o = {0};
    o.tokens = (long *)oracle_tokens;
    o.n_tokens = 4;
    if (margins) {
        o.top = top;
        o.prompt_tokens = (long *)oracle_prompt;
        o.n_prompt_tokens = 5;
    }
    return o;
}

static const divergence_params params = {.near_tie_nats = NEAR_TIE, .eos_id = 2, .bos_id = 1};

static token_divergence find(const oracle_entry *o, const long *tokens, size_t n)
{
    engine_run e = {.tokens = tokens, .n_tokens = n, .prompt_count = -1};
    token_divergence d;
    divergence_find(o, &e, &params, &d);
    return d;
}

static vocab *test_vocab(void)
{
    static const char json[] =
        "{\"model\":{\"type\":\"BPE\",\"vocab\":{\"\\u0120Paris\":7042,\".\":30,\",\":28,\"The\":504,"
        "\"\\u010a\":198,\"\\u0120capital\":3575,\"...\":2026,\"<|im_end|>\":2,\"<|im_start|>\":1}},"
        "\"decoder\":{\"type\":\"ByteLevel\"}}";
    char dir[] = "/tmp/tmgt-divergence-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *path = path_join(dir, "tokenizer.json");
    tmgt_error err = {{0}};
    assert_int_equal(write_file_atomic(path, json, strlen(json), 0644, &err), 0);
    vocab *v = vocab_load(dir);
    assert_non_null(v);
    unlink(path);
    rmdir(dir);
    free(path);
    return v;
}

static void expect_sentence(const token_divergence *d, const char *engine, const char *want)
{
    vocab *v = test_vocab();
    char *got = divergence_sentence(d, v, engine);
    assert_string_equal(got, want);
    free(got);
    vocab_free(v);
}

static void test_agreement(void **state)
{
    (void)state;
    oracle_entry o = make_oracle(true);
    /* The engine leaves out the EOS the oracle reports: still agreement. */
    token_divergence d = find(&o, oracle_tokens, 3);
    assert_false(d.present);
    assert_int_equal(d.cls, DIV_NONE);
    assert_int_equal(d.index, -1);
    assert_int_equal(d.mismatches, 0);
    assert_null(divergence_class_name(d.cls));
    expect_sentence(&d, "apr", "all 3 tokens agree with the oracle's");
}

static void test_near_tie_margin(void **state)
{
    (void)state;
    oracle_entry o = make_oracle(true);
    const long got[] = {7042, 28, 504};
    token_divergence d = find(&o, got, 3);
    assert_true(d.present);
    assert_int_equal(d.index, 1);
    assert_int_equal(d.expected, 30);
    assert_int_equal(d.got, 28);
    assert_true(d.has_logp_got);
    assert_true(fabs(d.margin_nats - 0.75) < 1e-12);
    assert_int_equal(d.got_rank, 2);
    assert_int_equal(d.cls, DIV_NEAR_TIE);
    assert_string_equal(divergence_class_name(d.cls), "near-tie");
    expect_sentence(&d, "apr",
                    "first divergence at token 1: expected 30 \".\" (logp \u22120.50), got 28 \",\" "
                    "(logp \u22121.25, 0.75 nats below) \u2014 near-tie (bound 1.00 nats)");
    /* The same margin beyond a tighter bound is confident. */
    divergence_params tight = params;
    tight.near_tie_nats = 0.5;
    engine_run e = {.tokens = got, .n_tokens = 3, .prompt_count = -1};
    divergence_find(&o, &e, &tight, &d);
    assert_int_equal(d.cls, DIV_CONFIDENT);
}

static void test_outside_the_top_at_zero(void **state)
{
    (void)state;
    oracle_entry o = make_oracle(true);
    const long got[] = {198, 198, 198, 198};
    token_divergence d = find(&o, got, 4);
    assert_int_equal(d.index, 0);
    assert_int_equal(d.expected, 7042);
    assert_int_equal(d.got, 198);
    assert_false(d.has_logp_got);
    assert_int_equal(d.got_rank, 0);
    assert_int_equal(d.got_in_oracle_top, 0);
    assert_int_equal(d.cls, DIV_CONFIDENT);
    assert_int_equal(d.mismatches, 4);
    expect_sentence(&d, "apr",
                    "first divergence at token 0: expected 7042 \" Paris\" (logp \u22120.25), got 198 "
                    "\"\\n\" (not in the oracle's top 3) \u2014 confident");
    cJSON *j = divergence_to_json(&d);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "margin_nats")));
    assert_string_equal(cJSON_GetObjectItem(j, "class")->valuestring, "confident");
    assert_int_equal(cJSON_GetObjectItem(j, "index")->valueint, 0);
    assert_int_equal(cJSON_GetObjectItem(j, "got")->valueint, 198);
    assert_null(cJSON_GetObjectItem(j, "cross")); /* the engine reported no top-k */
    cJSON_Delete(j);
}

static void test_engine_stopped_early_at_eos(void **state)
{
    (void)state;
    oracle_entry o = make_oracle(true);
    /* The oracle goes on with 504 at position 2; the engine stopped there: EOS 2 is third, 0.86 below. */
    const long got[] = {7042, 30};
    token_divergence d = find(&o, got, 2);
    assert_true(d.engine_stopped);
    assert_int_equal(d.index, 2);
    assert_int_equal(d.expected, 504);
    assert_int_equal(d.got, 2);
    assert_true(fabs(d.margin_nats - 0.86) < 1e-9);
    assert_int_equal(d.cls, DIV_NEAR_TIE);
    expect_sentence(&d, NULL,
                    "first divergence at token 2: expected 504 \"The\" (logp \u22121.94), got the end "
                    "(the engine stopped: EOS 2 \"<|im_end|>\", logp \u22122.80, 0.86 nats below) "
                    "\u2014 near-tie (bound 1.00 nats)");
    /* Without the EOS id the stop cannot be measured. */
    divergence_params no_eos = params;
    no_eos.eos_id = -1;
    engine_run e = {.tokens = got, .n_tokens = 2, .prompt_count = -1};
    divergence_find(&o, &e, &no_eos, &d);
    assert_int_equal(d.got, -1);
    assert_int_equal(d.cls, DIV_UNMEASURED);
    expect_sentence(&d, "apr",
                    "first divergence at token 2: expected 504 \"The\" (logp \u22121.94), got the end "
                    "(apr stopped) \u2014 not measured: the EOS id is not known");
    /* An engine that goes on where the oracle stopped diverges at the oracle's EOS. */
    const long longer[] = {7042, 30, 504, 198, 198};
    d = find(&o, longer, 5);
    assert_int_equal(d.index, 3);
    assert_int_equal(d.expected, 2);
    assert_int_equal(d.got, 198);
    assert_true(fabs(d.margin_nats - 5.49) < 1e-9);
    assert_int_equal(d.cls, DIV_CONFIDENT);
}

static void test_oracle_without_margins(void **state)
{
    (void)state;
    oracle_entry o = make_oracle(false);
    const long got[] = {7042, 28, 504};
    token_divergence d = find(&o, got, 3);
    assert_true(d.present);
    assert_int_equal(d.index, 1);
    assert_false(d.oracle_margins);
    assert_false(d.has_logp_expected);
    assert_int_equal(d.cls, DIV_UNMEASURED);
    assert_int_equal(d.prompt.verdict, PROMPT_UNKNOWN);
    expect_sentence(&d, "apr",
                    "first divergence at token 1: expected 30 \".\", got 28 \",\" \u2014 not measured: "
                    "the oracle records no log-probabilities");
    cJSON *j = divergence_to_json(&d);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "class")));
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(j, "oracle_margins")));
    cJSON_Delete(j);
}

static void test_engine_error_with_agreeing_tokens(void **state)
{
    (void)state;
    /* apr's immediate EOS: the oracle's [2], apr reports no tokens and exits 8. */
    static const long eos_only[] = {2};
    static token_logprob eos_top[] = {{2, -0.1}, {198, -3.0}};
    static position_top top = {eos_top, 2};
    oracle_entry o = {.tokens = (long *)eos_only, .n_tokens = 1, .top = &top};
    engine_run e = {.tokens = NULL, .n_tokens = 0, .prompt_count = -1, .failed = true};
    token_divergence d;
    divergence_find(&o, &e, &params, &d);
    assert_false(d.present);
    assert_int_equal(d.cls, DIV_ENGINE_ERROR);
    expect_sentence(&d, "apr",
                    "apr failed although it stopped at once, as the oracle did \u2014 engine-error");
}

static void test_cross_membership(void **state)
{
    (void)state;
    oracle_entry o = make_oracle(true);
    const long got[] = {7042, 28, 504};
    token_logprob e0[] = {{7042, -0.3}}, e1[] = {{28, -0.6}, {30, -0.9}}, e2[] = {{504, -1.0}};
    position_top etop[] = {{e0, 1}, {e1, 2}, {e2, 1}};
    engine_run e = {.tokens = got, .n_tokens = 3, .top = etop, .prompt_count = -1};
    token_divergence d;
    divergence_find(&o, &e, &params, &d);
    assert_int_equal(d.expected_in_engine_top, 1);
    assert_int_equal(d.got_in_oracle_top, 1);
    assert_int_equal(d.engine_top_k, 2);
    expect_sentence(&d, "apr",
                    "first divergence at token 1: expected 30 \".\" (logp \u22120.50), got 28 \",\" "
                    "(logp \u22121.25, 0.75 nats below) \u2014 near-tie (bound 1.00 nats); expected "
                    "in apr's top 2, got in the oracle's top 3");
    etop[1].n = 1; /* 30 no longer in the engine's top */
    divergence_find(&o, &e, &params, &d);
    assert_int_equal(d.expected_in_engine_top, 0);
    cJSON *j = divergence_to_json(&d);
    cJSON *cross = cJSON_GetObjectItem(j, "cross");
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(cross, "expected_in_engine_top")));
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(cross, "got_in_oracle_top")));
    cJSON_Delete(j);
}

static void expect_top(const cJSON *top, const long *ids, const double *logprobs, size_t n)
{
    assert_true(cJSON_IsArray(top));
    assert_int_equal(cJSON_GetArraySize(top), n);
    for (size_t i = 0; i < n; i++) {
        const cJSON *entry = cJSON_GetArrayItem(top, (int)i);
        assert_int_equal(cJSON_GetObjectItem(entry, "id")->valueint, ids[i]);
        assert_true(fabs(cJSON_GetObjectItem(entry, "logprob")->valuedouble - logprobs[i]) < 1e-12);
    }
}

/* What the report's pictures read: both top-k at the divergence, and the oracle's margin at each
 * position, whether or not the engine reported its own top-k. */
static void test_pictures(void **state)
{
    (void)state;
    oracle_entry o = make_oracle(true);
    const long outside[] = {198, 198, 198, 198};
    token_divergence d = find(&o, outside, 4);
    cJSON *j = divergence_to_json(&d);
    expect_top(cJSON_GetObjectItem(j, "oracle_top"), (long[]){7042, 260, 4528},
               (double[]){-0.25, -2.75, -4.5}, 3);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "engine_top"))); /* the engine reported none */
    const cJSON *margins = cJSON_GetObjectItem(j, "position_margins");
    assert_int_equal(cJSON_GetArraySize(margins), 4);
    const double want[] = {2.5, 0.75, 0.83, 5.49};
    for (int i = 0; i < 4; i++)
        assert_true(fabs(cJSON_GetArrayItem(margins, i)->valuedouble - want[i]) < 1e-9);
    /* Texts where the vocabulary has the id, none where it has not (260). */
    vocab *v = test_vocab();
    divergence_json_name_tokens(j, v);
    const cJSON *top = cJSON_GetObjectItem(j, "oracle_top");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(top, 0), "text")->valuestring, " Paris");
    assert_null(cJSON_GetObjectItem(cJSON_GetArrayItem(top, 1), "text"));
    cJSON_Delete(j);

    /* The engine's own top-k, kept after its run is gone; a position of one entry has no margin. */
    const long got[] = {7042, 28, 504};
    token_logprob e0[] = {{7042, -0.3}}, e1[] = {{28, -0.6}, {30, -0.9}}, e2[] = {{504, -1.0}};
    position_top etop[] = {{e0, 1}, {e1, 2}, {e2, 1}};
    engine_run e = {.tokens = got, .n_tokens = 3, .top = etop, .prompt_count = -1};
    static token_logprob lone[] = {{2, -0.01}};
    o.top[3] = (position_top){lone, 1};
    divergence_find(&o, &e, &params, &d);
    e1[0].id = 0;
    j = divergence_to_json(&d);
    divergence_json_name_tokens(j, v);
    expect_top(cJSON_GetObjectItem(j, "engine_top"), (long[]){28, 30}, (double[]){-0.6, -0.9}, 2);
    top = cJSON_GetObjectItem(j, "engine_top");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(top, 1), "text")->valuestring, ".");
    expect_top(cJSON_GetObjectItem(j, "oracle_top"), (long[]){30, 28, 2}, (double[]){-0.5, -1.25, -3.0}, 3);
    assert_true(cJSON_IsNull(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "position_margins"), 3)));
    cJSON_Delete(j);
    vocab_free(v);
    o.top[3] = (position_top){pos3, 2};

    /* The seed's oracles: nothing to draw. */
    o = make_oracle(false);
    d = find(&o, got, 3);
    j = divergence_to_json(&d);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "oracle_top")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "engine_top")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "position_margins")));
    cJSON_Delete(j);
}

static prompt_comparison compare_prompt(const long *ids, size_t n, long count)
{
    oracle_entry o = make_oracle(true);
    engine_run e = {.prompt_ids = ids, .n_prompt_ids = n, .prompt_count = count};
    prompt_comparison pc;
    prompt_compare(&o, &e, 1, &pc);
    return pc;
}

static void expect_prompt_sentence(const prompt_comparison *pc, const char *want)
{
    vocab *v = test_vocab();
    char *got = prompt_sentence(pc, v, "apr");
    assert_string_equal(got, want);
    free(got);
    vocab_free(v);
}

static void test_prompt_ids(void **state)
{
    (void)state;
    prompt_comparison pc = compare_prompt(oracle_prompt, 5, -1);
    assert_int_equal(pc.verdict, PROMPT_SAME);

    /* A chat template around the prompt: the oracle's ids at offset 3 of the engine's. */
    const long templated[] = {1, 9690, 198, 504, 3575, 282, 4649, 314, 2, 198, 1};
    pc = compare_prompt(templated, 11, -1);
    assert_int_equal(pc.verdict, PROMPT_TEMPLATED);
    assert_int_equal(pc.offset, 3);
    expect_prompt_sentence(&pc,
                           "the oracle's 5 prompt ids appear inside apr's 11 at offset 3: a chat template "
                           "was applied");

    const long bos[] = {1, 504, 3575, 282, 4649, 314};
    pc = compare_prompt(bos, 6, -1);
    assert_int_equal(pc.verdict, PROMPT_EXTRA_BOS);
    assert_int_equal(pc.offset, 1);
    expect_prompt_sentence(&pc, "an extra BOS at 0: apr's 6 prompt ids are the oracle's 5 after one more");
    /* Another id ahead of the prompt is not a BOS. */
    const long other[] = {7, 504, 3575, 282, 4649, 314};
    pc = compare_prompt(other, 6, -1);
    assert_int_equal(pc.verdict, PROMPT_TEMPLATED);

    const long dropped[] = {3575, 282, 4649, 314};
    pc = compare_prompt(dropped, 4, -1);
    assert_int_equal(pc.verdict, PROMPT_DROPPED);
    assert_int_equal(pc.offset, 1);

    const long different[] = {504, 3575, 7042, 4649, 314};
    pc = compare_prompt(different, 5, -1);
    assert_int_equal(pc.verdict, PROMPT_DIFFERENT);
    assert_int_equal(pc.index, 2);
    assert_int_equal(pc.expected, 282);
    assert_int_equal(pc.got, 7042);
    expect_prompt_sentence(
        &pc,
        "first differing prompt id at 2: expected 282, got 7042 \" Paris\" (the oracle's 5 "
        "ids, apr's 5)");

    /* Only a count (apr without --logprobs). */
    pc = compare_prompt(NULL, 0, 36);
    assert_int_equal(pc.verdict, PROMPT_COUNT_DIFFERS);
    expect_prompt_sentence(&pc,
                           "apr's prompt is 36 tokens, the oracle's 5 (apr reports a count, not the ids)");
    pc = compare_prompt(NULL, 0, 5);
    assert_int_equal(pc.verdict, PROMPT_SAME);
    pc = compare_prompt(NULL, 0, -1);
    assert_int_equal(pc.verdict, PROMPT_UNKNOWN);
}

static void test_prompt_mismatch_voids_the_tokens(void **state)
{
    (void)state;
    oracle_entry o = make_oracle(true);
    const long templated[] = {1, 9690, 198, 504, 3575, 282, 4649, 314, 2, 198, 1};
    const long got[] = {198, 198, 198};
    engine_run e = {
        .tokens = got, .n_tokens = 3, .prompt_ids = templated, .n_prompt_ids = 11, .prompt_count = -1};
    token_divergence d;
    divergence_find(&o, &e, &params, &d);
    assert_int_equal(d.cls, DIV_PROMPT_MISMATCH);
    assert_int_equal(d.index, 0); /* still recorded */
    expect_sentence(&d, "apr",
                    "the oracle's 5 prompt ids appear inside apr's 11 at offset 3: a chat template was "
                    "applied \u2014 prompt-mismatch: the token comparison is void");
    cJSON *j = divergence_to_json(&d);
    cJSON *p = cJSON_GetObjectItem(j, "prompt");
    assert_string_equal(cJSON_GetObjectItem(p, "verdict")->valuestring, "templated");
    assert_int_equal(cJSON_GetObjectItem(p, "offset")->valueint, 3);
    assert_int_equal(cJSON_GetObjectItem(p, "engine_ids")->valueint, 11);
    assert_string_equal(cJSON_GetObjectItem(j, "class")->valuestring, "prompt-mismatch");
    cJSON_Delete(j);
}

/* The divergence of a captured `apr run --logprobs 5` against oracle/smollm2-135m/<prompt>;
 * `failed`: the run's exit status (in the sample's .meta) was not 0. */
static token_divergence real_divergence(const char *sample, const char *prompt, bool failed)
{
    size_t len;
    char *rel = xasprintf("oracle/smollm2-135m/%s.json", prompt);
    char *data = read_source_file(rel, &len);
    oracle_entry o;
    tmgt_error err;
    if (oracle_parse(rel, data, len, "smollm2-135m", &o, NULL, &err) != 0)
        fail_msg("%s", err.msg);
    free(data);
    free(rel);

    char *path = xasprintf("docs/apr-0.72.3-samples/logprobs/%s.stdout", sample);
    tmgt_error why;
    cJSON *doc = read_engine_json(path);
    long *tokens;
    size_t n;
    assert_true(json_int_list(cJSON_GetObjectItem(doc, "tokens"), &tokens, &n));
    engine_logprobs lp;
    if (engine_logprobs_read(cJSON_GetObjectItem(doc, "logprobs"), tokens, n, &lp, &why) != 0)
        fail_msg("%s: %s", path, why.msg);
    engine_run e = {.tokens = tokens,
                    .n_tokens = n,
                    .top = lp.top,
                    .prompt_ids = lp.prompt_ids,
                    .n_prompt_ids = lp.n_prompt_ids,
                    .prompt_count = -1,
                    .failed = failed};
    token_divergence d;
    divergence_find(&o, &e, &params, &d);
    engine_logprobs_free(&lp);
    free(tokens);
    cJSON_Delete(doc);
    free(path);
    oracle_entry_free(&o);
    return d;
}

static void test_real_apr_runs(void **state)
{
    (void)state;
    /* The GGUF's chat template wraps the oracle's 5 ids: prompt-mismatch, offset 24 of 36. */
    token_divergence d = real_divergence("q8_0-gguf-completion", "completion", false);
    assert_int_equal(d.cls, DIV_PROMPT_MISMATCH);
    assert_int_equal(d.prompt.verdict, PROMPT_TEMPLATED);
    assert_int_equal(d.prompt.offset, 24);
    assert_int_equal(d.prompt.n_engine, 36);
    char *sentence = divergence_sentence(&d, NULL, "apr");
    assert_string_equal(sentence,
                        "the oracle's 5 prompt ids appear inside apr's 36 at offset 24: a chat template "
                        "was applied \u2014 prompt-mismatch: the token comparison is void");
    free(sentence);

    /* Without the template apr reads the oracle's ids and flips at its smallest gap, 0.018 nats
     * at token 6, where each token is in the other's top. */
    d = real_divergence("q8_0-notemplate-gguf-greeting", "greeting", false);
    assert_int_equal(d.prompt.verdict, PROMPT_SAME);
    assert_int_equal(d.cls, DIV_NEAR_TIE);
    assert_int_equal(d.index, 6);
    assert_int_equal(d.expected, 3544);
    assert_int_equal(d.got, 12978);
    assert_true(fabs(d.margin_nats - 0.0183163) < 1e-6);
    assert_int_equal(d.expected_in_engine_top, 1);
    assert_int_equal(d.got_in_oracle_top, 1);
    /* The pictures keep 10 of each side's 20, and a margin for each of the 32 positions. */
    assert_int_equal(d.oracle_top.n, DIVERGENCE_TOP_SHOWN);
    assert_int_equal(d.oracle_top.top[0].id, 3544);
    assert_int_equal(d.engine_top.n, d.engine_top_k); /* apr was asked for 5 */
    assert_int_equal(d.engine_top.top[0].id, 12978);
    assert_int_equal(d.n_margins, 32);
    assert_true(fabs(d.margins[6] - 0.0183163) < 1e-6);

    /* apr's own int4 export adds a BOS (id 1) and then leaves the oracle's top 20 at once. */
    d = real_divergence("apr-int4-gguf-completion", "completion", false);
    assert_int_equal(d.prompt.verdict, PROMPT_EXTRA_BOS);
    assert_int_equal(d.cls, DIV_PROMPT_MISMATCH);

    /* The immediate EOS: apr agrees with the oracle and still exits 8 (rc=8 in its .meta). */
    d = real_divergence("q8_0-notemplate-gguf-arithmetic", "arithmetic", true);
    assert_false(d.present);
    assert_int_equal(d.prompt.verdict, PROMPT_SAME);
    assert_int_equal(d.cls, DIV_ENGINE_ERROR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_agreement),
        cmocka_unit_test(test_near_tie_margin),
        cmocka_unit_test(test_outside_the_top_at_zero),
        cmocka_unit_test(test_engine_stopped_early_at_eos),
        cmocka_unit_test(test_oracle_without_margins),
        cmocka_unit_test(test_engine_error_with_agreeing_tokens),
        cmocka_unit_test(test_cross_membership),
        cmocka_unit_test(test_pictures),
        cmocka_unit_test(test_prompt_ids),
        cmocka_unit_test(test_prompt_mismatch_voids_the_tokens),
        cmocka_unit_test(test_real_apr_runs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
