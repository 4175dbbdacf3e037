/* Generation suites: canary, token-parity, quant-drift, roundtrip, llamacpp-text and
 * cross-runtime, on apr/llama.cpp outputs built from the SmolLM greeting oracle. */
#include "suites_fixture.h"

static oracle_entry *greeting(world *w)
{
    return (oracle_entry *)oracle_find(w->oracles[0], "greeting");
}

/* A run report like apr's, with `changes` tokens of the oracle replaced from index `from` on. */
static char *run_report(world *w, size_t from, size_t changes, const char *text)
{
    const oracle_entry *o = greeting(w);
    cJSON *doc = cJSON_CreateObject(), *tokens = cJSON_AddArrayToObject(doc, "tokens");
    cJSON_AddStringToObject(doc, "model", "models/smollm-135m-int4.apr");
    cJSON_AddStringToObject(doc, "text", text ? text : o->text);
    for (size_t i = 0; i < o->n_tokens; i++)
        cJSON_AddItemToArray(
            tokens, cJSON_CreateNumber(i >= from && i < from + changes ? 99990 + (double)i : o->tokens[i]));
    cJSON_AddNumberToObject(doc, "tokens_generated", 32);
    return printed(doc);
}

/* ---- canary ---- */

static void test_canary(void **state)
{
    world *w = *state;
    char *out = fixture("apr-run-smollm-int8-greeting.json");
    query_output q = q_ok(out);
    check_result r = judge(w, "canary", "canary/smollm-135m/greeting", &q);
    assert_status(r, CHECK_PASS, "exact match");
    assert_false(r.div.present);
    check_result_free(&r);
    free(out);

    /* One code point differs: "Pokémon" → "Pokemon". */
    const char *o = greeting(w)->text;
    char *text = xstrdup(o);
    char *e = strstr(text, "é");
    memmove(e + 1, e + 2, strlen(e + 2) + 1);
    *e = 'e';
    out = run_report(w, 0, 0, text);
    q = q_ok(out);
    r = judge(w, "canary", "canary/smollm-135m/greeting", &q);
    assert_status(r, CHECK_FAIL, "text mismatch");
    assert_true(r.div.present);
    unsigned *cps;
    size_t at = utf8_decode(o, (size_t)(strstr(o, "é") - o), &cps, NULL);
    free(cps);
    assert_int_equal(r.div.index, at);
    assert_int_equal(r.div.expected, -1);
    assert_true(strncmp(r.div.expected_text, "émon", strlen("émon")) == 0);
    assert_true(strncmp(r.div.got_text, "emon", 4) == 0);
    assert_int_equal(r.div.mismatches, 1); /* code points: the bytes would differ from here on */
    assert_non_null(strstr(r.details, "expected: ' Alex."));
    assert_non_null(strstr(r.details, "\n  got:      ' Alex."));
    assert_string_equal(cJSON_GetObjectItem(r.expected, "text")->valuestring, o);
    assert_string_equal(cJSON_GetObjectItem(r.got, "text")->valuestring, text);
    check_result_free(&r);
    free(out);
    free(text);
}

static void test_canary_fields_and_skips(void **state)
{
    world *w = *state;
    char *out = fixture("apr-run-smollm-int8-greeting.json");
    cJSON *doc = cJSON_Parse(out);
    cJSON_DeleteItemFromObject(doc, "text");
    char *no_text = cJSON_Print(doc);
    cJSON_AddStringToObject(doc, "generated_text", greeting(w)->text);
    char *legacy = printed(doc);
    query_output q = q_ok(no_text);
    expect(judge(w, "canary", "canary/smollm-135m/greeting", &q), CHECK_FAIL,
           "run output has no \"text\" field");
    q = q_ok(legacy);
    expect(judge(w, "canary", "canary/smollm-135m/greeting", &q), CHECK_PASS, "exact match");

    /* Invalid UTF-8 from the engine is reported, and what is stored stays valid UTF-8. */
    const char *bad = "{\"text\": \" Alex\xff\xfe. I'm\", \"tokens\": [1]}";
    q = q_ok(bad);
    check_result r = judge(w, "canary", "canary/smollm-135m/greeting", &q);
    assert_status(r, CHECK_FAIL, "apr run output is not valid UTF-8");
    bool invalid = false;
    const char *stored = cJSON_GetObjectItem(r.got, "text")->valuestring;
    unsigned *cps;
    utf8_decode(stored, strlen(stored), &cps, &invalid);
    free(cps);
    assert_false(invalid);
    check_result_free(&r);

    q = q_status(ST_SKIPPED, "int8.apr was not produced: apr import failed (exit 5)");
    expect(judge(w, "canary", "canary/smollm-135m/greeting", &q), CHECK_SKIP, "int8.apr was not produced");

    q = q_exit(6, "", "error: Model load failed: truncated tensor data\n");
    expect(judge(w, "canary", "canary/smollm-135m/greeting", &q), CHECK_FAIL,
           "apr run failed (exit 6): error: Model load failed");

    /* No oracle: nothing to judge against. */
    oracle_set *saved = w->oracles[0];
    w->oracles[0] = NULL;
    q = q_ok(out);
    expect(judge(w, "canary", "canary/smollm-135m/greeting", &q), CHECK_SKIP,
           "no oracle for smollm-135m/greeting");
    w->oracles[0] = saved;

    /* The oracle was made from another prompt than the one the engine ran. */
    char *prompt = w->prompts[3].text;
    w->prompts[3].text = "Hello, my name is Bob";
    expect(judge(w, "canary", "canary/smollm-135m/greeting", &q), CHECK_FAIL,
           "oracle prompt 'Hello, my name is' differs from the pipeline's prompt");
    w->prompts[3].text = prompt;

    free(out);
    free(no_text);
    free(legacy);
}

/* ---- token parity ---- */

static void test_token_parity(void **state)
{
    world *w = *state;
    const oracle_entry *o = greeting(w);
    char *out = run_report(w, 0, 0, NULL);
    query_output q = q_ok(out);
    check_result r = judge(w, "token", "token-parity/smollm-135m/int4/greeting", &q);
    assert_status(r, CHECK_PASS, "0/5 mismatches");
    assert_false(r.div.present);
    check_result_free(&r);
    free(out);

    /* Token 7 altered: within the bound, and the divergence points at it with both ids. */
    out = run_report(w, 7, 1, NULL);
    q = q_ok(out);
    r = judge(w, "token", "token-parity/smollm-135m/int4/greeting", &q);
    assert_status(r, CHECK_PASS, "1/5 mismatches");
    assert_true(r.div.present);
    assert_int_equal(r.div.index, 7);
    assert_int_equal(r.div.expected, o->tokens[7]);
    assert_int_equal(r.div.got, 99997);
    assert_int_equal(r.div.mismatches, 1);
    assert_null(r.div.expected_text);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r.expected, "tokens")), 32);
    assert_int_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(r.got, "tokens"), 7)->valueint, 99997);
    assert_string_equal(cJSON_GetObjectItem(r.expected, "text")->valuestring, o->text);
    check_result_free(&r);
    free(out);

    out = run_report(w, 10, 6, NULL);
    q = q_ok(out);
    r = judge(w, "token", "token-parity/smollm-135m/int4/greeting", &q);
    assert_status(r, CHECK_FAIL, "6 mismatches exceeds threshold 5");
    assert_int_equal(r.div.index, 10);
    assert_non_null(strstr(r.details, "oracle tokens: [5325, 30, "));
    assert_non_null(strstr(r.details, "\n  got tokens:    [5325, 30, "));
    check_result_free(&r);
    free(out);

    out = run_report(w, 0, 4, NULL);
    q = q_ok(out);
    expect(judge(w, "token", "token-parity/smollm-135m/int8/greeting", &q), CHECK_FAIL,
           "4 mismatches exceeds threshold 3");
    free(out);
}

static void test_token_parity_fields(void **state)
{
    world *w = *state;
    query_output q = q_ok("{\"text\": \" Alex.\", \"tokens_generated\": 32}");
    expect(judge(w, "token", "token-parity/smollm-135m/int8/code", &q), CHECK_FAIL,
           "run output has no \"tokens\" field");

    q = q_ok("{\"tokens\": [1, \"2\", 3]}");
    expect(judge(w, "token", "token-parity/smollm-135m/int8/code", &q), CHECK_FAIL,
           "run output \"tokens\" is not a list of integers");

    /* A stream that stopped early diverges where it ends. */
    char *full = run_report(w, 0, 0, NULL);
    cJSON *doc = cJSON_Parse(full);
    cJSON_DeleteItemFromArray(cJSON_GetObjectItem(doc, "tokens"), 31);
    char *short_run = printed(doc);
    q = q_ok(short_run);
    check_result r = judge(w, "token", "token-parity/smollm-135m/int8/greeting", &q);
    assert_status(r, CHECK_PASS, "1/3 mismatches");
    assert_int_equal(r.div.index, 31);
    assert_int_equal(r.div.got, -1);
    check_result_free(&r);
    free(short_run);
    free(full);

    q = q_status(ST_UNAVAILABLE, "engine apr not found in PATH");
    expect(judge(w, "token", "token-parity/gpt2-124m/int4/code", &q), CHECK_SKIP,
           "engine apr not found in PATH");
}

/* An oracle that stopped at EOS after 30 tokens reports the EOS; an engine that stopped there too
 * reports 29 tokens and matches. An engine that reports the EOS, or runs on, is compared in full. */
static void test_token_parity_oracle_eos(void **state)
{
    world *w = *state;
    oracle_entry *o = greeting(w);
    size_t full_length = o->n_tokens;
    o->n_tokens = 30;
    static const struct {
        size_t got, changed_at;
        const char *detail;
        long index;
    } cases[] = {
        {29, 99, "0/3 mismatches", -1}, /* stopped at EOS without reporting it */
        {29, 5, "1/3 mismatches", 5},   /* ... with one wrong token */
        {30, 99, "0/3 mismatches", -1}, /* reported the EOS as HF does */
        {28, 99, "1/3 mismatches", 28}, /* stopped one token too soon */
        {32, 99, "2/3 mismatches", 30}, /* did not stop */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *full = run_report(w, cases[i].changed_at, 1, NULL);
        cJSON *doc = cJSON_Parse(full);
        cJSON *tokens = cJSON_GetObjectItem(doc, "tokens");
        while ((size_t)cJSON_GetArraySize(tokens) > cases[i].got)
            cJSON_DeleteItemFromArray(tokens, cJSON_GetArraySize(tokens) - 1);
        for (size_t k = (size_t)cJSON_GetArraySize(tokens); k < cases[i].got; k++)
            cJSON_AddItemToArray(tokens, cJSON_CreateNumber(7));
        char *report = printed(doc);
        query_output q = q_ok(report);
        check_result r = judge(w, "token", "token-parity/smollm-135m/int8/greeting", &q);
        assert_status(r, CHECK_PASS, cases[i].detail);
        assert_int_equal(r.div.present ? r.div.index : -1, cases[i].index);
        check_result_free(&r);
        free(report);
        free(full);
    }
    o->n_tokens = full_length;
}

/* ---- quant drift ---- */

static void test_drift(void **state)
{
    world *w = *state;
    char *m2 = run_report(w, 0, 2, NULL), *m1 = run_report(w, 5, 1, NULL), *m0 = run_report(w, 0, 0, NULL);
    query_output q[2] = {q_ok(m2), q_ok(m1)};
    expect(judge(w, "drift", "quant-drift/smollm-135m/greeting", q), CHECK_PASS, "int8=1 ≤ int4=2+1");

    q[0] = q_ok(m0);
    q[1] = q_ok(m2);
    check_result r = judge(w, "drift", "quant-drift/smollm-135m/greeting", q);
    assert_status(r, CHECK_FAIL, "int8 (2) > int4 (0) + 1");
    assert_string_equal(r.details, "Higher precision produced MORE mismatches");
    assert_int_equal(r.div.index, 0); /* Int8's divergence */
    check_result_free(&r);

    /* A crash wins over a skip, and says which quant. */
    q[0] = q_status(ST_SKIPPED, "int4.apr was not produced");
    q[1] = q_exit(8, "", "error: Inference failed: NaN logits\n");
    expect(judge(w, "drift", "quant-drift/smollm-135m/greeting", q), CHECK_FAIL,
           "int8: apr run failed (exit 8): error: Inference failed: NaN logits");

    q[0] = q_exit(8, "", "error: a\n");
    expect(judge(w, "drift", "quant-drift/smollm-135m/greeting", q), CHECK_FAIL,
           "int4: apr run failed (exit 8): error: a");

    q[0] = q_ok("{\"text\": \"x\"}");
    q[1] = q_ok(m0);
    expect(judge(w, "drift", "quant-drift/smollm-135m/greeting", q), CHECK_FAIL,
           "int4: run output has no \"tokens\" field");

    q[0] = q_ok(m0);
    q[1] = q_status(ST_SKIPPED, "int8.apr was not produced");
    expect(judge(w, "drift", "quant-drift/smollm-135m/greeting", q), CHECK_SKIP,
           "int8: int8.apr was not produced");
    free(m0);
    free(m1);
    free(m2);
}

/* ---- roundtrip ---- */

static void test_roundtrip(void **state)
{
    world *w = *state;
    char *orig = run_report(w, 0, 0, NULL), *rt = run_report(w, 20, 3, NULL);
    query_output q[2] = {q_ok(orig), q_ok(orig)};
    expect(judge(w, "roundtrip", "roundtrip/smollm-135m/completion", q), CHECK_PASS,
           "tokens identical (32 tokens)");

    q[1] = q_ok(rt);
    check_result r = judge(w, "roundtrip", "roundtrip/smollm-135m/completion", q);
    assert_status(r, CHECK_FAIL, "3 token mismatches after APR→GGUF→APR roundtrip");
    assert_int_equal(r.div.index, 20);
    assert_non_null(strstr(r.details, "original:  ["));
    assert_non_null(strstr(r.details, "\n  roundtrip: ["));
    check_result_free(&r);

    /* Both token lists are required: two runs without ids are not "identical". */
    q[1] = q_ok("{\"text\": \" Paris.\"}");
    expect(judge(w, "roundtrip", "roundtrip/smollm-135m/arithmetic", q), CHECK_FAIL,
           "roundtrip: run output has no \"tokens\" field");

    q[1] = q_status(ST_SKIPPED, "roundtrip.apr was not produced: apr import failed (exit 5)");
    expect(judge(w, "roundtrip", "roundtrip/smollm-135m/arithmetic", q), CHECK_SKIP,
           "roundtrip: roundtrip.apr was not produced");
    free(orig);
    free(rt);
}

/* ---- llama.cpp ---- */

/* The oracle text of smollm-135m/completion, swapped for the duration of a test. */
static char *swap_oracle_text(world *w, char *text)
{
    oracle_entry *e = (oracle_entry *)oracle_find(w->oracles[0], "completion");
    char *old = e->text;
    e->text = text;
    return old;
}

static void test_llamacpp_text(void **state)
{
    world *w = *state;
    char *saved = swap_oracle_text(w, "Pokémon is nice.");
    query_output q = q_ok("  Pokemon is nice!\n");
    check_result r = judge(w, "llamacpp-text", "llamacpp-text/smollm-135m/q8_0/completion", &q);
    /* Two code points differ ("é"/"e" and "."/"!"): the output is stripped, bytes not counted. */
    assert_status(r, CHECK_PASS, "2/3 char mismatches");
    assert_int_equal(r.div.index, 3);
    check_result_free(&r);

    q = q_ok("Pokemon is nice!!!!!");
    r = judge(w, "llamacpp-text", "llamacpp-text/smollm-135m/q4_0/completion", &q);
    assert_status(r, CHECK_FAIL, "6 char mismatches exceeds threshold 5");
    assert_non_null(strstr(r.details, "expected: 'Pokémon is nice.'"));
    check_result_free(&r);

    q = q_ok("Pok\xc3mon is nice.");
    expect(judge(w, "llamacpp-text", "llamacpp-text/smollm-135m/q8_0/completion", &q), CHECK_PASS,
           "llama-completion output is not valid UTF-8");
    swap_oracle_text(w, saved);

    /* tmgt strips both sides (the original stripped only llama.cpp's text, so the oracle's
     * leading space shifted every position and every check failed). */
    char *out = fixture("llama-completion-greeting.txt");
    q = q_ok(out);
    expect(judge(w, "llamacpp-text", "llamacpp-text/smollm-135m/q8_0/greeting", &q), CHECK_PASS,
           "0/3 char mismatches");
    free(out);

    q = q_status(ST_UNAVAILABLE, "engine llama-completion not found in PATH");
    expect(judge(w, "llamacpp-text", "llamacpp-text/qwen2-0.5b/q4_0/code", &q), CHECK_SKIP,
           "llama-completion not found");

    q = q_status(ST_SIGNAL, NULL);
    q.term_signal = 6;
    expect(judge(w, "llamacpp-text", "llamacpp-text/qwen2-0.5b/q4_0/code", &q), CHECK_FAIL,
           "llama-completion killed by signal 6 (SIGABRT)");
}

static void test_cross_runtime(void **state)
{
    world *w = *state;
    const char *n = "cross-runtime/smollm-135m/completion";
    query_output q[2] = {q_ok("{\"text\": \"Paris.\", \"tokens\": [1]}"), q_ok("Paris.\n")};
    expect(judge(w, "cross-runtime", n, q), CHECK_PASS, "exact match");

    /* Both texts are stripped: surrounding whitespace is not a finding, a word is. */
    q[0] = q_ok("{\"text\": \" Paris.\", \"tokens\": [1]}");
    q[1] = q_ok(" Paris.\n");
    expect(judge(w, "cross-runtime", n, q), CHECK_PASS, "exact match");
    q[0] = q_ok("{\"text\": \" Paris!\", \"tokens\": [1]}");
    q[1] = q_ok(" Paris.\n");
    check_result r = judge(w, "cross-runtime", n, q);
    assert_status(r, CHECK_FAIL, "text mismatch");
    assert_string_equal(r.details, "llama.cpp: 'Paris.'\n  apr:       'Paris!'");
    check_result_free(&r);

    /* Stopped at EOS: llama.cpp's " [end of text]" marker is not part of the text. */
    char *eos = fixture("llama-completion-eos.txt");
    q[0] = q_ok("{\"text\": \"Paris.\\n\\nThe answer is: 2018-01-22 12:12:53.\", \"tokens\": [1]}");
    q[1] = q_ok(eos);
    expect(judge(w, "cross-runtime", n, q), CHECK_PASS, "exact match");
    free(eos);

    q[0] = q_exit(4, "", "error: Invalid format: GGUF tensor type 8 unsupported\n");
    q[1] = q_exit(1, "", "llama_model_load: error loading model\n");
    expect(judge(w, "cross-runtime", n, q), CHECK_FAIL, "apr run failed (exit 4): error: Invalid format");

    q[0] = q_ok("{\"text\": \"Paris.\"}");
    expect(judge(w, "cross-runtime", n, q), CHECK_FAIL,
           "llama-completion failed (exit 1): llama_model_load: error loading model");

    q[0] = q_ok("{\"tokens\": [1]}");
    q[1] = q_ok("Paris.");
    expect(judge(w, "cross-runtime", n, q), CHECK_FAIL, "run output has no \"text\" field");

    q[0] = q_status(ST_SKIPPED, "q8_0.gguf was not produced");
    q[1] = q_status(ST_SKIPPED, "q8_0.gguf was not produced");
    expect(judge(w, "cross-runtime", n, q), CHECK_SKIP, "q8_0.gguf was not produced");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_canary),
        cmocka_unit_test(test_canary_fields_and_skips),
        cmocka_unit_test(test_token_parity),
        cmocka_unit_test(test_token_parity_fields),
        cmocka_unit_test(test_token_parity_oracle_eos),
        cmocka_unit_test(test_drift),
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_llamacpp_text),
        cmocka_unit_test(test_cross_runtime),
    };
    return cmocka_run_group_tests(tests, world_setup, world_teardown);
}
