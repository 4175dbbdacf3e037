#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "json_strict.h"

static const char *refusal(const char *text, size_t n, unsigned depth, size_t *at)
{
    json_strict_error err = {0};
    if (json_strict_check(text, n, depth, &err))
        return NULL;
    *at = err.at;
    return err.why;
}

static void accepts(const char *text)
{
    size_t at = 0;
    const char *why = refusal(text, strlen(text), JSON_STRICT_SERDE_DEPTH, &at);
    if (why)
        fail_msg("refused %s: %s at %zu", text, why, at);
}

static void refuses(const char *text, size_t n, const char *want_why, size_t want_at)
{
    size_t at = 0;
    const char *why = refusal(text, n, JSON_STRICT_SERDE_DEPTH, &at);
    if (!why)
        fail_msg("accepted %s", text);
    assert_string_equal(why, want_why);
    assert_int_equal(at, want_at);
}

#define REFUSES(lit, why, at) refuses(lit, sizeof lit - 1, why, at)

static void test_json_that_serde_reads_is_accepted(void **state)
{
    (void)state;
    accepts("{}");
    accepts(" \t\r\n{\"a\":[1,-0,0.5,1e-400,1E+308,123456789012345678901234567890]}\n\t \r");
    accepts("{\"k\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\",\"\xc3\xa9\":true}");
    accepts("[null,false,true,\"\x7f\"]");
    accepts("{\"a\":{\"a\":{}},\"a\":1}"); /* a repeated name is the reader's business, not JSON's */
}

static void test_what_cjson_would_let_through_is_refused(void **state)
{
    (void)state;
    REFUSES("[01]", "expected ',' or ']'", 2); /* "0" ends the number, then "1" cannot follow */
    REFUSES("01", "trailing characters", 1);
    REFUSES("[1.]", "invalid number", 3);
    REFUSES("[-]", "invalid number", 2);
    REFUSES("[4e999]", "number out of range", 1);
    REFUSES("[\"a\x01\"]", "control character in a string", 3);
    REFUSES("[\"\xff\"]", "invalid UTF-8 in a string", 2);
    REFUSES("[\"\xc0\xaf\"]", "invalid UTF-8 in a string", 2); /* overlong '/' */
    REFUSES("[\"\\ud800\"]", "unpaired surrogate escape", 8);
    REFUSES("[\"\\udc00\"]", "unpaired surrogate escape", 8);
    REFUSES("[\"\\ud800\\u0041\"]", "unpaired surrogate escape", 14);
    REFUSES("[\"\\x\"]", "invalid escape", 3);
    REFUSES("[\"\\u12g4\"]", "invalid \\u escape", 3);
    REFUSES("{\"a\":1}\x0c", "trailing characters", 7); /* form feed is not JSON white space */
    REFUSES("{\"a\":1}\0", "trailing characters", 7);
    REFUSES("{\"a\" 1}", "expected ':'", 5);
    REFUSES("{\"a\":1,}", "expected a member name", 7);
    REFUSES("[1,]", "expected a value", 3);
    REFUSES("[1 2]", "expected ',' or ']'", 3);
    REFUSES("{a:1}", "expected a member name", 1);
    REFUSES("[tru]", "expected a value", 1);
    REFUSES("[NaN]", "expected a value", 1);
    REFUSES("\"abc", "unterminated string", 4);
    REFUSES("", "expected a value", 0);
    REFUSES("  ", "expected a value", 2);
}

static void test_nesting_is_bounded_as_serde_bounds_it(void **state)
{
    (void)state;
    char deep[300];
    for (unsigned levels = 126; levels <= 129; levels++) {
        memset(deep, '[', levels);
        memset(deep + levels, ']', levels);
        size_t at = 0;
        const char *why = refusal(deep, 2 * levels, JSON_STRICT_SERDE_DEPTH, &at);
        if (levels <= JSON_STRICT_SERDE_DEPTH) {
            assert_null(why);
        } else {
            assert_string_equal(why, "nested too deeply");
            assert_int_equal(at, JSON_STRICT_SERDE_DEPTH);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_that_serde_reads_is_accepted),
        cmocka_unit_test(test_what_cjson_would_let_through_is_refused),
        cmocka_unit_test(test_nesting_is_bounded_as_serde_bounds_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
