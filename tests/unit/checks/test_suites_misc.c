/* ppl and ppl-drift, diff, rosetta-diff, bench, the global list check and parity-gpu. */
#include "suites_fixture.h"

static char *eval_report(const char *ppl)
{
    return xasprintf(
        "{\"model\": \"m.apr\", \"dataset\": \"wikitext-2\", \"perplexity\": %s, \"threshold\": 50.0}", ppl);
}

/* ---- ppl ---- */

static void test_ppl_ceiling(void **state)
{
    world *w = *state;
    char *out = fixture("apr-eval.json"), *high = eval_report("25.5"), *nan = eval_report("NaN");
    char *huge = eval_report("61.2");
    query_output q = q_ok(out);
    expect(judge(w, "ppl", "ppl/smollm-135m/int4", &q), CHECK_PASS, "PPL=12.35 < 20.0");
    q = q_ok(high);
    expect(judge(w, "ppl", "ppl/smollm-135m/int8", &q), CHECK_FAIL, "PPL=25.50 exceeds ceiling 20.0");
    expect(judge(w, "ppl", "ppl/gpt2-124m/int8", &q), CHECK_PASS, "PPL=25.50 < 30.0");
    q = q_ok(nan);
    expect(judge(w, "ppl", "ppl/smollm-135m/int8", &q), CHECK_FAIL, "PPL=nan");
    /* apr eval exits 5 above its --threshold and still prints the report, which is judged. */
    q = q_exit(5, huge, "error: Validation failed: perplexity 61.2 exceeds threshold 50.0\n");
    expect(judge(w, "ppl", "ppl/smollm-135m/int8", &q), CHECK_FAIL, "PPL=61.20 exceeds ceiling 20.0");
    q = q_exit(5, out, "error: something else\n");
    expect(judge(w, "ppl", "ppl/smollm-135m/int8", &q), CHECK_FAIL,
           "apr eval failed (exit 5): error: something else");
    q = q_ok("{\"model\": \"m.apr\", \"cross_entropy\": 2.5}");
    expect(judge(w, "ppl", "ppl/smollm-135m/int8", &q), CHECK_FAIL,
           "eval output has no \"perplexity\" field");
    q = q_status(ST_UNAVAILABLE, "engine apr not found in PATH");
    expect(judge(w, "ppl", "ppl/smollm-135m/int8", &q), CHECK_SKIP, "engine apr not found");
    free(out);
    free(high);
    free(nan);
    free(huge);
}

static void test_ppl_drift(void **state)
{
    world *w = *state;
    char *a = eval_report("12.34"), *b = eval_report("12.40"), *c = eval_report("13.00"),
         *nan = eval_report("NaN");
    query_output q[2] = {q_ok(a), q_ok(b)};
    expect(judge(w, "ppl", "ppl-drift/smollm-135m", q), CHECK_PASS, "|12.34 - 12.40| = 0.06 < 0.5");
    q[1] = q_ok(c);
    check_result r = judge(w, "ppl", "ppl-drift/smollm-135m", q);
    assert_status(r, CHECK_FAIL, "PPL drift 0.66 exceeds 0.5");
    assert_string_equal(r.details, "int4=12.34, int8=13.00");
    check_result_free(&r);
    /* Always emitted: a skip when an eval did not run, a fail when a perplexity is unusable. */
    q[1] = q_status(ST_SKIPPED, "int8.apr was not produced");
    expect(judge(w, "ppl", "ppl-drift/smollm-135m", q), CHECK_SKIP, "int8: int8.apr was not produced");
    q[0] = q_ok("{\"dataset\": \"wikitext-2\"}");
    expect(judge(w, "ppl", "ppl-drift/smollm-135m", q), CHECK_FAIL,
           "int4: eval output has no \"perplexity\" field");
    q[0] = q_ok(nan);
    q[1] = q_ok(b);
    expect(judge(w, "ppl", "ppl-drift/smollm-135m", q), CHECK_FAIL, "PPL drift undefined");
    q[0] = q_exit(5, eval_report("70.00") /* freed below */, "error: above threshold\n");
    expect(judge(w, "ppl", "ppl-drift/smollm-135m", q), CHECK_FAIL, "PPL drift 57.60 exceeds 0.5");
    free((char *)q[0].out);
    free(a);
    free(b);
    free(c);
    free(nan);
}

/* ---- diff ---- */

static void format_diff(cJSON *d)
{
    append_entry(d, "differences",
                 (const char *const[]){"field", "format", "category", "format", "type", "format", NULL});
}

static void no_differences(cJSON *d)
{
    cJSON_DeleteItemFromObject(d, "differences");
}

static void test_diff(void **state)
{
    world *w = *state;
    const char *n = "diff/smollm-135m";
    expect(on_fixture(w, "diff", n, "apr-diff.json", NULL), CHECK_PASS, "3 differences (dtype/size only)");
    check_result r = on_fixture(w, "diff", n, "apr-diff.json", format_diff);
    assert_status(r, CHECK_FAIL, "1 structural diffs (not just dtype)");
    assert_non_null(strstr(r.details, "\"field\":\"format\""));
    check_result_free(&r);
    expect(on(w, "diff", n, "{\"diffs\": [{\"kind\": \"size\"}, {\"kind\": \"shape\"}]}"), CHECK_FAIL,
           "1 structural diffs");
    expect(on_fixture(w, "diff", n, "apr-diff.json", no_differences), CHECK_FAIL,
           "diff output has no \"differences\" field");
}

/* ---- rosetta diff-tensors ---- */

static void test_rosetta_diff(void **state)
{
    world *w = *state;
    const char *n = "rosetta-diff/qwen2-0.5b";
    char *out = fixture("apr-rosetta-diff.txt"); /* hand-printed: bare NaN and inf */
    query_output q = q_ok(out);
    expect(judge(w, "rosetta-diff", n, &q), CHECK_PASS, "no layout mismatches");
    free(out);
    check_result r = on(w, "rosetta-diff", n,
                        "{\"layout_mismatches\": 1, \"mismatched_tensors\": [{\"name\": \"lm_head.weight\","
                        " \"shape_a\": [896, 151936], \"shape_b\": [151936, 896]}]}");
    assert_status(r, CHECK_FAIL, "1 layout mismatches");
    assert_non_null(strstr(r.details, "lm_head.weight"));
    check_result_free(&r);
    expect(on(w, "rosetta-diff", n, "{\"layout_mismatches\": 2}"), CHECK_FAIL, "2 layout mismatches");
    expect(on(w, "rosetta-diff", n, "{\"mismatches\": []}"), CHECK_PASS, "no layout mismatches");
    expect(on(w, "rosetta-diff", n,
              "{\"layout_mismatches\": 0, \"missing_in_a\": 0, \"missing_in_b\": [\"x\"]}"),
           CHECK_FAIL, "tensor sets differ: 1 only in int8.apr, 0 only in int4.apr");
    expect(on(w, "rosetta-diff", n, "{\"diagnosis\": \"ok\"}"), CHECK_FAIL,
           "rosetta-diff output has no \"layout_mismatches\" field");
}

/* ---- bench ---- */

static void test_bench(void **state)
{
    world *w = *state;
    const char *n = "bench/gpt2-124m/int8";
    expect(on_fixture(w, "bench", n, "apr-bench.json", NULL), CHECK_PASS, "throughput=38.2 tok/s");
    expect(on(w, "bench", n, "{\"tok_s\": 12.34}"), CHECK_PASS, "throughput=12.3 tok/s");
    expect(on(w, "bench", n, "{\"tokens_per_second\": 0}"), CHECK_FAIL,
           "throughput=0.0 tok/s (expected > 0)");
    expect(on(w, "bench", n, "{\"throughput\": NaN}"), CHECK_FAIL, "throughput=nan tok/s");
    expect(on(w, "bench", n, "{\"total_tokens\": 32}"), CHECK_FAIL,
           "bench output has no \"tokens_per_second\" field");
}

/* ---- list (global) ---- */

static void test_list(void **state)
{
    world *w = *state;
    expect(on_fixture(w, "list", "list/global", "apr-list.json", NULL), CHECK_PASS,
           "cache listing succeeded (1 models)");
    expect(on(w, "list", "list/global", "[]"), CHECK_PASS, "cache listing succeeded (0 models)");
    expect(on(w, "list", "list/global", "{\"total\": 0}"), CHECK_FAIL, "list output has no \"models\" field");
    query_output q = q_exit(2, "", "error: unrecognized subcommand 'list'\n");
    expect(judge(w, "list", "list/global", &q), CHECK_FAIL, "apr list failed (exit 2)");
}

/* ---- parity-gpu ---- */

static void test_parity_gpu(void **state)
{
    world *w = *state;
    const char *n = "parity-gpu/smollm-135m";
    char *out = fixture("apr-parity.json");
    query_output q = q_ok(out);

    /* Without a GPU the check says nothing: a SKIP, never a PASS, whatever apr printed. */
    w->gpu = false;
    expect(judge(w, "parity-gpu", n, &q), CHECK_SKIP, "no GPU: ");
    q = q_exit(1, "", "error: CUDA not available\n");
    expect(judge(w, "parity-gpu", n, &q), CHECK_SKIP, "no GPU: ");
    q = q_status(ST_SKIPPED, "int4.gguf was not produced");
    expect(judge(w, "parity-gpu", n, &q), CHECK_SKIP, "int4.gguf was not produced");

    w->gpu = true;
    q = q_ok(out);
    expect(judge(w, "parity-gpu", n, &q), CHECK_PASS, "GPU/CPU parity confirmed");
    q = q_ok("{\"parity\": \"FAIL\", \"cpu_tokens\": [1], \"gpu_tokens\": [2]}");
    check_result r = judge(w, "parity-gpu", n, &q);
    assert_status(r, CHECK_FAIL, "GPU/CPU parity mismatch");
    assert_non_null(strstr(r.details, "\"gpu_tokens\":[2]"));
    check_result_free(&r);
    q = q_ok("{\"match\": \"maybe\"}");
    expect(judge(w, "parity-gpu", n, &q), CHECK_FAIL, "parity output \"match\" is \"maybe\"");
    q = q_ok("{\"prompt\": \"2+2\"}");
    expect(judge(w, "parity-gpu", n, &q), CHECK_FAIL, "parity output has no \"match\" field");
    q = q_exit(9, "", "error: Feature disabled: cuda\n");
    expect(judge(w, "parity-gpu", n, &q), CHECK_SKIP, "no GPU: apr parity failed (exit 9)");
    /* With a GPU present, a CUDA crash is a finding. */
    q = q_exit(8, "", "error: CUDA error: an illegal memory access was encountered\n");
    expect(judge(w, "parity-gpu", n, &q), CHECK_FAIL, "apr parity failed (exit 8): error: CUDA error");
    w->gpu = false;
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ppl_ceiling),  cmocka_unit_test(test_ppl_drift), cmocka_unit_test(test_diff),
        cmocka_unit_test(test_rosetta_diff), cmocka_unit_test(test_bench),     cmocka_unit_test(test_list),
        cmocka_unit_test(test_parity_gpu),
    };
    return cmocka_run_group_tests(tests, world_setup, world_teardown);
}
