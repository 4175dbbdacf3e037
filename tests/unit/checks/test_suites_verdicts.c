/* Suites that read apr's own verdict lists: validate, lint, selftest (apr check), qa. */
#include "suites_fixture.h"

/* ---- validate ---- */

static void one_fails(cJSON *d)
{
    cJSON *c = cJSON_GetArrayItem(cJSON_GetObjectItem(d, "checks"), 2);
    cJSON_ReplaceItemInObject(c, "status", cJSON_CreateString("FAIL"));
    cJSON_ReplaceItemInObject(d, "passed", cJSON_CreateFalse());
}

static void no_checks(cJSON *d)
{
    cJSON_DeleteItemFromObject(d, "checks");
    cJSON_DeleteItemFromObject(d, "total_score");
}
static void empty_checks(cJSON *d)
{
    cJSON_ReplaceItemInObject(d, "checks", cJSON_CreateArray());
}

static void test_validate(void **state)
{
    world *w = *state;
    const char *n = "validate/smollm-135m/int4";
    expect(on_fixture(w, "validate", n, "apr-validate.json", NULL), CHECK_PASS, "4 checks passed");
    expect(on_fixture(w, "validate", n, "apr-validate.json", one_fails), CHECK_FAIL,
           "1 validation failures: Version supported");
    expect(on_fixture(w, "validate", n, "apr-validate.json", no_checks), CHECK_FAIL,
           "validate output has no \"checks\" field");
    expect(on_fixture(w, "validate", n, "apr-validate.json", empty_checks), CHECK_FAIL,
           "validate output lists no checks");
    /* Shapes the original harness read. */
    expect(on(w, "validate", n, "{\"results\": {\"magic\": \"PASS\", \"nan\": \"ok\"}}"), CHECK_PASS,
           "2 checks passed");
    expect(on(w, "validate", n, "{\"results\": {\"magic\": \"PASS\", \"nan\": \"FAIL\"}}"), CHECK_FAIL,
           "validation failures: {nan: \"FAIL\"}");
    expect(on(w, "validate", n, "{\"score\": 87}"), CHECK_PASS, "score=87");
}

/* apr validate exits 5 on a failing model but still prints its report. */
static void test_validate_exit_5(void **state)
{
    world *w = *state;
    const char *n = "validate/smollm-135m/int8";
    cJSON *doc = parsed_fixture("apr-validate.json");
    one_fails(doc);
    char *failing = printed(doc), *passing = fixture("apr-validate.json");
    const char *err = "error: Validation failed: 1 validation checks failed (3/4) — [3] Version supported\n";

    query_output q = q_exit(5, failing, err);
    expect(judge(w, "validate", n, &q), CHECK_FAIL, "1 validation failures: Version supported");
    /* The report passes yet apr failed (its content gate): the exit code is not overruled. */
    q = q_exit(5, passing, "error: 2 tensors failed data-quality validation (F-DATA-QUALITY)\n");
    expect(judge(w, "validate", n, &q), CHECK_FAIL,
           "apr validate failed (exit 5): error: 2 tensors failed data-quality validation");
    q = q_exit(5, "", err);
    expect(judge(w, "validate", n, &q), CHECK_FAIL, "apr validate failed (exit 5): error: Validation failed");
    q = q_status(ST_TIMEOUT, NULL);
    expect(judge(w, "validate", n, &q), CHECK_TIMEOUT, "apr validate timed out");
    free(failing);
    free(passing);
}

/* ---- lint ---- */

static void with_error(cJSON *d)
{
    append_entry(d, "issues",
                 (const char *const[]){"level", "error", "category", "tensors", "message",
                                       "lm_head.weight is all zeros", NULL});
}

static void no_issues(cJSON *d)
{
    cJSON_DeleteItemFromObject(d, "issues");
}

static void test_lint(void **state)
{
    world *w = *state;
    const char *n = "lint/gpt2-124m/int4";
    expect(on_fixture(w, "lint", n, "apr-lint.json", NULL), CHECK_PASS, "2 warnings, 0 critical");
    expect(on_fixture(w, "lint", n, "apr-lint.json", with_error), CHECK_FAIL,
           "1 critical violations: lm_head.weight is all zeros");
    expect(on(w, "lint", n,
              "{\"violations\": [{\"severity\": \"critical\", \"rule\": \"R1\"}, {\"severity\": \"info\"}]}"),
           CHECK_FAIL, "1 critical violations: R1");
    expect(on(w, "lint", n, "{\"violations\": []}"), CHECK_PASS, "0 warnings, 0 critical");
    expect(on_fixture(w, "lint", n, "apr-lint.json", no_issues), CHECK_FAIL,
           "lint output has no \"issues\" field");
}

/* ---- selftest (apr check) ---- */

static void four_fail(cJSON *d)
{
    cJSON *stages = cJSON_GetObjectItem(d, "stages");
    for (int i = 6; i < 10; i++)
        cJSON_ReplaceItemInObject(cJSON_GetArrayItem(stages, i), "status", cJSON_CreateString("FAIL"));
}

static void three_fail(cJSON *d)
{
    cJSON *stages = cJSON_GetObjectItem(d, "stages");
    for (int i = 7; i < 10; i++)
        cJSON_ReplaceItemInObject(cJSON_GetArrayItem(stages, i), "status", cJSON_CreateString("FAIL"));
}

static void no_stages(cJSON *d)
{
    cJSON_DeleteItemFromObject(d, "stages");
    cJSON_DeleteItemFromObject(d, "passed");
}

static void test_selftest(void **state)
{
    world *w = *state;
    const char *n = "selftest/qwen2-0.5b/int8";
    expect(on_fixture(w, "selftest", n, "apr-check.json", NULL), CHECK_PASS, "10/10 stages passed");
    expect(on_fixture(w, "selftest", n, "apr-check.json", three_fail), CHECK_PASS, "7/10 stages passed");
    check_result r = on_fixture(w, "selftest", n, "apr-check.json", four_fail);
    assert_status(r, CHECK_FAIL, "only 6/10 stages passed");
    assert_string_equal(r.details, "failed: MLP, Norm, LM head, Generation");
    check_result_free(&r);
    expect(on(w, "selftest", n, "{\"passed\": 8, \"total\": 10}"), CHECK_PASS, "8/10 stages passed");
    expect(on(w, "selftest", n, "{\"passed\": 3, \"total\": 10}"), CHECK_FAIL, "only 3/10 stages passed");
    expect(on_fixture(w, "selftest", n, "apr-check.json", no_stages), CHECK_FAIL,
           "check output has no \"stages\" field");
}

/* ---- qa ---- */

static void throughput_fails(cJSON *d)
{
    cJSON_ReplaceItemInObject(cJSON_GetArrayItem(cJSON_GetObjectItem(d, "gates"), 1), "passed",
                              cJSON_CreateFalse());
}

static void mostly_skipped(cJSON *d)
{
    cJSON *gates = cJSON_GetObjectItem(d, "gates");
    for (int i = 0; i < 2; i++)
        cJSON_ReplaceItemInObject(cJSON_GetArrayItem(gates, i), "skipped", cJSON_CreateTrue());
}

static void no_gates(cJSON *d)
{
    cJSON_DeleteItemFromObject(d, "gates");
    cJSON_DeleteItemFromObject(d, "gates_executed");
}

static void test_qa(void **state)
{
    world *w = *state;
    const char *n = "qa/smollm-135m/int4";
    expect(on_fixture(w, "qa", n, "apr-qa.json", NULL), CHECK_PASS, "4 gates executed, 0 critical");
    expect(on_fixture(w, "qa", n, "apr-qa.json", throughput_fails), CHECK_FAIL,
           "1 critical failures: throughput");
    /* Gates skipped by flag do not count as executed. */
    expect(on_fixture(w, "qa", n, "apr-qa.json", mostly_skipped), CHECK_FAIL,
           "only 2 gates executed (need ≥3)");
    expect(on(w, "qa", n,
              "{\"gates\": [{\"name\": \"a\", \"status\": \"FAIL\", \"severity\": \"warning\"},"
              " {\"name\": \"b\", \"status\": \"PASS\"}, {\"name\": \"c\", \"status\": \"PASS\"}]}"),
           CHECK_PASS, "3 gates executed, 0 critical");
    expect(on(w, "qa", n,
              "{\"checks\": [{\"name\": \"a\", \"status\": \"CRITICAL\", \"severity\": \"critical\"},"
              " {\"name\": \"b\"}, {\"name\": \"c\"}]}"),
           CHECK_FAIL, "1 critical failures: a");
    expect(on(w, "qa", n, "{\"gates_executed\": 5}"), CHECK_PASS, "5 gates executed");
    expect(on_fixture(w, "qa", n, "apr-qa.json", no_gates), CHECK_FAIL, "qa output has no \"gates\" field");
    query_output q = q_exit(5, "", "error: QA failed: 1 gate failed\n");
    expect(judge(w, "qa", n, &q), CHECK_FAIL, "apr qa failed (exit 5): error: QA failed");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validate), cmocka_unit_test(test_validate_exit_5),
        cmocka_unit_test(test_lint),     cmocka_unit_test(test_selftest),
        cmocka_unit_test(test_qa),
    };
    return cmocka_run_group_tests(tests, world_setup, world_teardown);
}
