/* The scanner that finds values in a JSON text without a tree: spans, escapes, nesting, and
 * texts cut off or malformed, which it reports instead of reading past. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "json_scan.h"

static json_span span_of(const char *text)
{
    return (json_span){text, text + strlen(text)};
}

static char *copy(json_span s)
{
    char *c = malloc((size_t)(s.end - s.p) + 1);
    memcpy(c, s.p, (size_t)(s.end - s.p));
    c[s.end - s.p] = '\0';
    return c;
}

static void assert_span(json_span s, const char *expected)
{
    char *c = copy(s);
    assert_string_equal(c, expected);
    free(c);
}

static void test_members_come_with_their_raw_keys_and_values(void **state)
{
    const char *text = " {\"a\":\t1, \"b\\\"q\": \"x\\\\\", \"c\": {\"d\": [1, \"]\", {}]}, \"e\": null} \n";
    json_span root, k, v;
    assert_true(json_scan_outer(span_of(text), &root));
    const char *cursor = NULL;
    bool bad = true;
    const char *keys[] = {"\"a\"", "\"b\\\"q\"", "\"c\"", "\"e\""};
    const char *values[] = {"1", "\"x\\\\\"", "{\"d\": [1, \"]\", {}]}", "null"};
    for (size_t i = 0; i < 4; i++) {
        assert_true(json_scan_member(root, &cursor, &k, &v, &bad));
        assert_false(bad);
        assert_span(k, keys[i]);
        assert_span(v, values[i]);
    }
    assert_false(json_scan_member(root, &cursor, &k, &v, &bad));
    assert_false(bad); /* the end, not damage */
}

static void test_elements_of_an_array_and_an_empty_one(void **state)
{
    json_span arr = span_of("[{\"x\": \"}\"}, [2, 3], -1.5e3, \"s\"]"), e;
    const char *cursor = NULL;
    const char *expected[] = {"{\"x\": \"}\"}", "[2, 3]", "-1.5e3", "\"s\""};
    for (size_t i = 0; i < 4; i++) {
        assert_true(json_scan_element(arr, &cursor, &e, NULL));
        assert_span(e, expected[i]);
    }
    assert_false(json_scan_element(arr, &cursor, &e, NULL));
    bool bad = true;
    cursor = NULL;
    assert_false(json_scan_element(span_of("[ ]"), &cursor, &e, &bad));
    assert_false(bad);
}

/* Each text is cut or broken somewhere: the walk says so and never reads past its end. */
static void test_a_cut_or_broken_text_is_reported(void **state)
{
    const char *broken[] = {
        "{\"a\": \"unterminated}", /* a string that does not end */
        "{\"a\": [1, 2}",          /* brackets that do not match */
        "{\"a\" 1}",               /* no colon */
        "{a: 1}",                  /* a key that is not a string */
        "{\"a\": 1 \"b\": 2}",     /* no comma */
        "{\"a\": }",               /* no value */
    };
    for (size_t i = 0; i < sizeof broken / sizeof *broken; i++) {
        json_span root, k, v;
        /* cut just before the closing brace too: a text shorter than it claims */
        for (size_t cut = 0; cut < 2; cut++) {
            json_span text = span_of(broken[i]);
            text.end -= cut;
            const char *cursor = NULL;
            bool bad = false;
            if (!json_scan_outer(text, &root))
                continue;
            while (json_scan_member(root, &cursor, &k, &v, &bad))
                ;
            assert_true(bad);
        }
    }
    json_span root;
    assert_false(json_scan_outer(span_of("  "), &root));
    assert_false(json_scan_outer(span_of("{\"a\": 1"), &root));
}

static void test_an_escaped_backslash_before_a_quote_ends_the_string(void **state)
{
    json_span arr = span_of("[\"a\\\\\", \"b\\\\\\\"c\"]"), e;
    const char *cursor = NULL;
    assert_true(json_scan_element(arr, &cursor, &e, NULL));
    assert_span(e, "\"a\\\\\"");
    assert_true(json_scan_element(arr, &cursor, &e, NULL));
    assert_span(e, "\"b\\\\\\\"c\"");
    assert_true(json_span_is(e, "\"b\\\\\\\"c\"", 8));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_members_come_with_their_raw_keys_and_values),
        cmocka_unit_test(test_elements_of_an_array_and_an_empty_one),
        cmocka_unit_test(test_a_cut_or_broken_text_is_reported),
        cmocka_unit_test(test_an_escaped_backslash_before_a_quote_ends_the_string),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
