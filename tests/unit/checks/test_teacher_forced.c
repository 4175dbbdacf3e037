/* Teacher-forced figures: llama-probe's real summary read against the oracle's tokens it forced;
 * an absent pass or summary is nothing; every malformed figure is refused naming the field. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json_lenient.h"
#include "json_read.h"
#include "source_files.h"
#include "teacher_forced.h"
#include "util.h"

#define PROBE_SAMPLE "docs/llamacpp-v0.4.0-samples/probe/q8_0-completion.stdout"

static const long TOKENS[] = {5, 6, 7};

/* A probe report whose pass forced TOKENS, with `summary` (JSON text, or NULL for none). */
static cJSON *report_with(const char *summary)
{
    char *text = summary
                     ? xasprintf("{\"teacher_forced\": {\"tokens\": [5, 6, 7], \"summary\": %s}}", summary)
                     : xstrdup("{\"teacher_forced\": {\"tokens\": [5, 6, 7], \"positions\": []}}");
    tmgt_error err = {{0}};
    cJSON *doc = json_parse_lenient(text, strlen(text), &err);
    assert_non_null(doc);
    free(text);
    return doc;
}

#define GOOD                                                                                   \
    "{\"n\": 3, \"kld_mean\": 0.002, \"kld_p99\": 0.005, \"kld_max\": 0.005, \"same_top_p\": " \
    "0.6666667, \"rms_delta_p\": 0.004}"

static void test_the_real_probe_summary(void **state)
{
    cJSON *doc = read_engine_json(PROBE_SAMPLE);
    const cJSON *tf = cJSON_GetObjectItem(doc, "teacher_forced");
    long *tokens;
    size_t n;
    assert_true(json_int_list(cJSON_GetObjectItem(tf, "tokens"), &tokens, &n));
    teacher_forced t;
    tmgt_error why = {{0}};
    if (teacher_forced_read(doc, tokens, n, &t, &why) != 1)
        fail_msg("%s: %s", PROBE_SAMPLE, why.msg[0] ? why.msg : "no summary");
    double mean;
    assert_true(json_num(cJSON_GetObjectItem(tf, "summary"), "kld_mean", &mean));
    assert_int_equal(t.n, (long)n);
    assert_true(t.kld_mean == mean && t.kld_mean <= t.kld_p99 && t.kld_p99 <= t.kld_max);
    assert_true(t.same_top1 > 0.9 && t.same_top1 <= 1 && t.rms_dp > 0 && t.rms_dp < 0.1);
    free(tokens);
    cJSON_Delete(doc);
}

static void test_figures_in_json_and_words(void **state)
{
    cJSON *doc = report_with(GOOD);
    teacher_forced t;
    tmgt_error why;
    assert_int_equal(teacher_forced_read(doc, TOKENS, 3, &t, &why), 1);
    cJSON *j = teacher_forced_to_json(&t);
    double v;
    assert_true(json_num(j, "positions", &v) && v == 3);
    assert_true(json_num(j, "kld_p99", &v) && v == 0.005);
    assert_true(json_num(j, "same_top1", &v) && fabs(v - 0.6666667) < 1e-12);
    assert_true(json_num(j, "rms_dp", &v) && v == 0.004);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(j, "kld_lower_bound")));
    char *words = teacher_forced_sentence(&t);
    assert_string_equal(words,
                        "teacher-forced over 3 positions: KLD mean 0.002 (p99 0.005; lower bounds), "
                        "same top-1 66.7%, RMS \u0394p 0.4%");
    free(words);
    cJSON_Delete(j);
    cJSON_Delete(doc);
}

static void test_no_pass_or_no_summary_is_nothing(void **state)
{
    teacher_forced t;
    tmgt_error why = {{0}};
    cJSON *none = cJSON_Parse("{\"tokens\": [5, 6, 7]}");
    assert_int_equal(teacher_forced_read(none, TOKENS, 3, &t, &why), 0);
    assert_string_equal(why.msg, "");
    cJSON *no_summary = report_with(NULL); /* an oracle without top_logprobs */
    assert_int_equal(teacher_forced_read(no_summary, TOKENS, 3, &t, &why), 0);
    assert_string_equal(why.msg, "");
    cJSON_Delete(none);
    cJSON_Delete(no_summary);
}

static void test_a_kld_a_rounding_below_zero_reads_as_zero(void **state)
{
    cJSON *doc = report_with(
        "{\"n\": 3, \"kld_mean\": -1e-12, \"kld_p99\": 0, \"kld_max\": 0, "
        "\"same_top_p\": 1, \"rms_delta_p\": 0}");
    teacher_forced t;
    tmgt_error why;
    assert_int_equal(teacher_forced_read(doc, TOKENS, 3, &t, &why), 1);
    assert_true(t.kld_mean == 0);
    cJSON_Delete(doc);
}

static const struct {
    const char *summary, *why;
} BAD[] = {
    {"7", "teacher_forced.summary: not an object"},
    {"{\"kld_mean\": 0}", "teacher_forced.summary.n: missing or not an integer"},
    {"{\"n\": 2}", "teacher_forced.summary.n: 2 positions for the oracle's 3 tokens"},
    {"{\"n\": 3, \"kld_mean\": NaN}", "teacher_forced.summary.kld_mean: not a finite number"},
    {"{\"n\": 3, \"kld_mean\": null}", "teacher_forced.summary.kld_mean: not a finite number"},
    {"{\"n\": 3, \"kld_mean\": \"0.1\"}", "teacher_forced.summary.kld_mean: not a finite number"},
    {"{\"n\": 3, \"kld_mean\": 0.1, \"kld_p99\": inf}",
     "teacher_forced.summary.kld_p99: not a finite number"},
    {"{\"n\": 3, \"kld_mean\": -0.25}", "teacher_forced.summary.kld_mean: -0.25 is outside [-1e-09, inf]"},
    {"{\"n\": 3, \"kld_mean\": 0, \"kld_p99\": 0}", "teacher_forced.summary.kld_max: missing"},
    {"{\"n\": 3, \"kld_mean\": 0, \"kld_p99\": 0, \"kld_max\": 0, \"same_top_p\": 1.5}",
     "teacher_forced.summary.same_top_p: 1.5 is outside [0, 1]"},
    {"{\"n\": 3, \"kld_mean\": 0, \"kld_p99\": 0, \"kld_max\": 0, \"same_top_p\": 1, \"rms_delta_p\": -0.1}",
     "teacher_forced.summary.rms_delta_p: -0.1 is outside [0, 1]"},
};

static void test_a_malformed_summary_names_the_field(void **state)
{
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        cJSON *doc = report_with(BAD[i].summary);
        teacher_forced t;
        tmgt_error why;
        assert_int_equal(teacher_forced_read(doc, TOKENS, 3, &t, &why), -1);
        assert_string_equal(why.msg, BAD[i].why);
        cJSON_Delete(doc);
    }
}

static void test_a_pass_over_other_tokens_is_refused(void **state)
{
    teacher_forced t;
    tmgt_error why = {{0}};
    const char *const docs[] = {"{\"teacher_forced\": 1}", "{\"teacher_forced\": {\"summary\": " GOOD "}}",
                                "{\"teacher_forced\": {\"tokens\": [5, 6, 8], \"summary\": " GOOD "}}",
                                "{\"teacher_forced\": {\"tokens\": [5, 6], \"summary\": " GOOD "}}"};
    const char *const whys[] = {"teacher_forced: not an object",
                                "teacher_forced.tokens: missing or not a list of token ids",
                                "teacher_forced.tokens: not the oracle's 3 tokens (they part at 2)",
                                "teacher_forced.tokens: not the oracle's 3 tokens (they part at 2)"};
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        cJSON *doc = cJSON_Parse(docs[i]);
        assert_int_equal(teacher_forced_read(doc, TOKENS, 3, &t, &why), -1);
        assert_string_equal(why.msg, whys[i]);
        cJSON_Delete(doc);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_real_probe_summary),
        cmocka_unit_test(test_figures_in_json_and_words),
        cmocka_unit_test(test_no_pass_or_no_summary_is_nothing),
        cmocka_unit_test(test_a_kld_a_rounding_below_zero_reads_as_zero),
        cmocka_unit_test(test_a_malformed_summary_names_the_field),
        cmocka_unit_test(test_a_pass_over_other_tokens_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
