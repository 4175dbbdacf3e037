/* Comparators (checks/compare.c) and the text they compare: UTF-8, one-line quoting and lenient
 * JSON reading (base/utf8.c, base/text.c, base/json_lenient.c, base/json_read.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compare.h"
#include "fs.h"
#include "json_lenient.h"
#include "json_read.h"
#include "text.h"
#include "utf8.h"
#include "util.h"

/* A small deterministic generator, so property tests are reproducible. */
static uint32_t rng_state = 12345;
static uint32_t rng(void)
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return rng_state >> 8;
}

static size_t random_tokens(long *out, size_t max)
{
    size_t n = rng() % (max + 1);
    for (size_t i = 0; i < n; i++)
        out[i] = (long)(rng() % 4); /* a small alphabet makes equal positions common */
    return n;
}

/* ---- count_mismatches ---- */

static void test_mismatch_examples(void **state)
{
    (void)state;
    long a[] = {1, 2, 3, 4}, b[] = {1, 9, 3}, none[1];
    assert_int_equal(count_mismatches(a, 4, a, 4), 0);
    assert_int_equal(count_mismatches(a, 4, b, 3), 2); /* one substitution + one missing */
    assert_int_equal(count_mismatches(b, 3, a, 4), 2);
    assert_int_equal(count_mismatches(none, 0, a, 4), 4);
    assert_int_equal(count_mismatches(a, 4, none, 0), 4);
    assert_int_equal(count_mismatches(none, 0, none, 0), 0);
}

static void test_mismatch_properties(void **state)
{
    (void)state;
    long a[40], b[40], c[40];
    for (int iter = 0; iter < 500; iter++) {
        size_t na = random_tokens(a, 40), nb = random_tokens(b, 40);
        size_t m = count_mismatches(a, na, b, nb);
        size_t diff = na > nb ? na - nb : nb - na, longest = na > nb ? na : nb;
        assert_int_equal(count_mismatches(a, na, a, na), 0);
        assert_int_equal(m, count_mismatches(b, nb, a, na));
        assert_true(m <= longest);
        assert_true(m >= diff);
        /* Triangle inequality (a metric on equal-length streams: Hamming distance). */
        for (size_t i = 0; i < na; i++)
            c[i] = (long)(rng() % 4);
        if (nb == na)
            assert_true(count_mismatches(a, na, b, na) <=
                        count_mismatches(a, na, c, na) + count_mismatches(c, na, b, na));
        assert_int_equal(first_token_divergence(a, na, a, na), -1);
        long at = first_token_divergence(a, na, b, nb);
        assert_true((at == -1) == (m == 0));
    }
}

static void test_first_token_divergence(void **state)
{
    (void)state;
    long a[] = {5, 6, 7, 8, 9, 10, 11, 12, 13}, b[] = {5, 6, 7, 8, 9, 10, 11, 99, 13};
    assert_int_equal(first_token_divergence(a, 9, b, 9), 7);
    assert_int_equal(first_token_divergence(a, 9, a, 5), 5); /* a prefix diverges where it ends */
    assert_int_equal(first_token_divergence(a, 0, a, 0), -1);
}

/* ---- code points ---- */

static void test_char_mismatches_count_code_points(void **state)
{
    (void)state;
    /* "é" is two bytes but one code point: a byte count would say 2 here. */
    assert_int_equal(count_char_mismatches("é", strlen("é"), "e", 1), 1);
    assert_int_equal(count_char_mismatches("café", strlen("café"), "cafe", 4), 1);
    assert_int_equal(count_char_mismatches("Pokémon", strlen("Pokémon"), "Pokémon", strlen("Pokémon")), 0);
    assert_int_equal(count_char_mismatches("é", strlen("é"), "", 0), 1);
    assert_int_equal(count_char_mismatches("", 0, "", 0), 0);
    assert_int_equal(first_char_divergence("Pokémon Go", strlen("Pokémon Go"), "Pokemon Go", 10), 3);
    assert_int_equal(first_char_divergence("ab", 2, "ab", 2), -1);
    assert_int_equal(first_char_divergence("ab", 2, "abc", 3), 2);
}

static void test_utf8_decode_invalid(void **state)
{
    (void)state;
    unsigned *cps;
    bool invalid = false;
    size_t n = utf8_decode(
        "a\xff"
        "b",
        3, &cps, &invalid);
    assert_int_equal(n, 3);
    assert_true(invalid);
    assert_int_equal(cps[0], 'a');
    assert_int_equal(cps[1], 0xFFFD);
    assert_int_equal(cps[2], 'b');
    free(cps);

    static const struct {
        const char *bytes;
        size_t len, cps;
    } bad[] = {
        {"\xc3", 1, 1},             /* truncated two-byte sequence */
        {"\xc0\xaf", 2, 2},         /* overlong "/" */
        {"\xed\xa0\x80", 3, 3},     /* UTF-16 surrogate */
        {"\xf4\x90\x80\x80", 4, 4}, /* above U+10FFFF */
        {"\xe2\x82", 2, 2},         /* truncated three-byte sequence */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        invalid = false;
        n = utf8_decode(bad[i].bytes, bad[i].len, &cps, &invalid);
        assert_true(invalid);
        assert_int_equal(n, bad[i].cps);
        free(cps);
    }
    invalid = false;
    n = utf8_decode("é€😀", strlen("é€😀"), &cps, &invalid);
    assert_false(invalid);
    assert_int_equal(n, 3);
    assert_int_equal(cps[2], 0x1F600);
    free(cps);
    /* Invalid bytes count like any other differing code point, and never crash. */
    assert_int_equal(count_char_mismatches("a\xff", 2, "ab", 2), 1);
}

static void test_text_strip(void **state)
{
    (void)state;
    size_t n;
    const char *s = text_strip("  \t Paris.\n\n", 12, &n);
    assert_int_equal(n, 6);
    assert_memory_equal(s, "Paris.", 6);
    text_strip(" \n\r\x0b\x0c\x1c", 6, &n);
    assert_int_equal(n, 0);
    s = text_strip("é ", strlen("é "), &n);
    assert_int_equal(n, strlen("é"));
}

static void test_text_one_line_and_sanitize(void **state)
{
    (void)state;
    const char *raw = "\x1b[31merror:\x1b[0m bad\nthing \xff";
    char *line = text_one_line(raw, strlen(raw), 100);
    assert_string_equal(line, "error: bad thing \xEF\xBF\xBD");
    free(line);
    line = text_one_line("abcdef", 6, 3);
    assert_string_equal(line, "abc…");
    free(line);
    line = text_one_line("ééé", strlen("ééé"), 2);
    assert_string_equal(line, "éé…");
    free(line);

    bool invalid = false;
    char *clean = utf8_sanitize("ok\xc3(", 4, &invalid);
    assert_true(invalid);
    assert_string_equal(clean, "ok\xEF\xBF\xBD(");
    free(clean);
    invalid = false;
    clean = utf8_sanitize("a\0b", 3, &invalid);
    assert_false(invalid); /* NUL is valid UTF-8; it is only replaced to keep the C string whole */
    assert_string_equal(clean,
                        "a\xEF\xBF\xBD"
                        "b");
    free(clean);
    clean = utf8_sanitize("caf\xc3\xa9 \xe2\x82\xac ok", 12, &invalid); /* valid: kept whole */
    assert_false(invalid);
    assert_string_equal(clean, "caf\xc3\xa9 \xe2\x82\xac ok");
    free(clean);
    clean = utf8_sanitize("\xff", 1, &invalid); /* nothing valid before the bad byte */
    assert_true(invalid);
    assert_string_equal(clean, "\xEF\xBF\xBD");
    free(clean);
}

/* ---- lenient JSON ---- */

static cJSON *parse(const char *s)
{
    return json_parse_lenient(s, strlen(s), NULL);
}

static void test_lenient_plain_and_noise(void **state)
{
    (void)state;
    cJSON *doc = parse("{\"a\": [1, 2.5e1, -3], \"b\": \"x\", \"c\": true, \"d\": null}");
    assert_non_null(doc);
    assert_int_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "a"), 1)->valuedouble, 25);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(doc, "d")));
    cJSON_Delete(doc);

    size_t len;
    char *path = xasprintf("%s/tests/data/engine-outputs/apr-run-noisy.txt",
                           getenv("TMGT_SOURCE_DIR") ? getenv("TMGT_SOURCE_DIR") : ".");
    char *text = NULL;
    tmgt_error err;
    assert_int_equal(read_file(path, &text, &len, &err), 0);
    doc = json_parse_lenient(text, len, NULL);
    assert_non_null(doc);
    assert_string_equal(cJSON_GetObjectItem(doc, "text")->valuestring, " 2+2 é");
    assert_string_equal(cJSON_GetObjectItem(doc, "tok_per_sec")->valuestring, "NaN");
    cJSON_Delete(doc);
    free(text);
    free(path);

    /* A bracketed log fragment that is itself valid JSON loses to the real report. */
    doc = parse("[1] loading\n[GH-187] ok\n{\"tokens\": [4, 5]}\n");
    assert_true(cJSON_IsObject(doc));
    cJSON_Delete(doc);
    /* Trailing text after the document is ignored. */
    doc = parse("{\"x\": 1} and then some words }");
    assert_int_equal(cJSON_GetObjectItem(doc, "x")->valueint, 1);
    cJSON_Delete(doc);
    doc = parse("\x1b]0;title\x07\x1b[2K[\"\x1b[32mok\x1b[0m\"]");
    assert_string_equal(cJSON_GetArrayItem(doc, 0)->valuestring, "ok");
    cJSON_Delete(doc);
    /* an escape cut short at the end of the output is dropped, so is one inside a string */
    doc = parse("[\"a\x1b[1mb\", 2]\n\x1b[3");
    assert_string_equal(cJSON_GetArrayItem(doc, 0)->valuestring, "ab");
    assert_int_equal(cJSON_GetArrayItem(doc, 1)->valueint, 2);
    cJSON_Delete(doc);
    doc = parse("[7]\n\x1b"); /* a lone ESC byte at the very end */
    assert_int_equal(cJSON_GetArrayItem(doc, 0)->valueint, 7);
    cJSON_Delete(doc);
}

static void test_lenient_non_finite(void **state)
{
    (void)state;
    cJSON *doc = parse(
        "{\"a\": NaN, \"b\": inf, \"c\": -inf, \"d\": Infinity, \"e\": -Infinity,"
        " \"f\": [nan, +inf], \"g\": \"NaN stays text\"}");
    double v;
    assert_non_null(doc);
    assert_true(json_number(cJSON_GetObjectItem(doc, "a"), &v) && isnan(v));
    assert_true(json_number(cJSON_GetObjectItem(doc, "b"), &v) && isinf(v) && v > 0);
    assert_true(json_number(cJSON_GetObjectItem(doc, "c"), &v) && isinf(v) && v < 0);
    assert_true(json_number(cJSON_GetObjectItem(doc, "d"), &v) && isinf(v) && v > 0);
    assert_true(json_number(cJSON_GetObjectItem(doc, "e"), &v) && isinf(v) && v < 0);
    assert_true(json_number(cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "f"), 0), &v) && isnan(v));
    assert_string_equal(cJSON_GetObjectItem(doc, "g")->valuestring, "NaN stays text");
    assert_false(json_number(cJSON_GetObjectItem(doc, "g"), &v));
    cJSON_Delete(doc);
}

static void test_lenient_strings(void **state)
{
    (void)state;
    cJSON *doc =
        parse("[\"\\u00e9\", \"\\ud83d\\ude00\", \"\\ud800x\", \"a\\u0000b\", \"C:\\path\", \"tab\there\"]");
    assert_non_null(doc);
    assert_string_equal(cJSON_GetArrayItem(doc, 0)->valuestring, "é");
    assert_string_equal(cJSON_GetArrayItem(doc, 1)->valuestring, "😀");
    assert_string_equal(cJSON_GetArrayItem(doc, 2)->valuestring, "\xEF\xBF\xBDx");
    assert_string_equal(cJSON_GetArrayItem(doc, 3)->valuestring,
                        "a\xEF\xBF\xBD"
                        "b");
    assert_string_equal(cJSON_GetArrayItem(doc, 4)->valuestring, "C:\\path");
    assert_string_equal(cJSON_GetArrayItem(doc, 5)->valuestring, "tab\there");
    cJSON_Delete(doc);
    const char raw_nul[] = "{\"k\": \"a\0b\"}";
    doc = json_parse_lenient(raw_nul, sizeof raw_nul - 1, NULL);
    assert_string_equal(cJSON_GetObjectItem(doc, "k")->valuestring,
                        "a\xEF\xBF\xBD"
                        "b");
    cJSON_Delete(doc);
    doc = parse("[\"\\u12\"]"); /* a short \u escape is kept as text */
    assert_string_equal(cJSON_GetArrayItem(doc, 0)->valuestring, "\\u12");
    cJSON_Delete(doc);
    doc = parse("[1, 2,]"); /* trailing comma */
    assert_int_equal(cJSON_GetArraySize(doc), 2);
    cJSON_Delete(doc);
}

static void test_lenient_rejects(void **state)
{
    (void)state;
    tmgt_error err = {{0}};
    assert_null(json_parse_lenient("", 0, &err));
    assert_string_equal(err.msg, "empty output");
    err.msg[0] = '\0';
    assert_null(json_parse_lenient(NULL, 5, &err));
    assert_string_equal(err.msg, "empty output");
    assert_null(json_parse_lenient("Error: model not found\n", 23, &err));
    assert_non_null(strstr(err.msg, "Error: model not found"));
    /* Bracketed fragments inside human-readable lines are not a report. */
    assert_null(parse("Tensors: 2\n  model.norm.weight [576, 576]\nresult: {\"a\": 1}\n"));
    static const char *const broken[] = {
        "{",         "[",         "{\"a\"",
        "{\"a\":",   "{\"a\": 1", "[1 2]",
        "{\"a\" 1}", "{1: 2}",    "\"just a string\"",
        "[01]",      "[1.]",      "[1e]",
        "[-]",       "[tru]",     "{\"a\": \"unterminated}",
        "nul",       "[\"a\\",
    };
    for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
        cJSON *doc = json_parse_lenient(broken[i], strlen(broken[i]), NULL);
        if (doc)
            fail_msg("parsed %s", broken[i]);
    }
}

static void test_lenient_hostile(void **state)
{
    (void)state;
    size_t mb = 1 << 20;
    char *buf = xmalloc(mb + 1);

    memset(buf, '[', mb);
    clock_t start = clock();
    assert_null(json_parse_lenient(buf, mb, NULL));
    for (size_t i = 0; i < mb; i += 2)
        buf[i] = '[', buf[i + 1] = '\n';
    assert_null(json_parse_lenient(buf, mb, NULL));
    for (size_t i = 0; i < mb; i += 2)
        buf[i] = '{', buf[i + 1] = '"';
    assert_null(json_parse_lenient(buf, mb, NULL));
    /* Linear in the input, whatever it is: far below a second each even under sanitizers. */
    assert_true((double)(clock() - start) / CLOCKS_PER_SEC < 20.0);

    /* Binary garbage, with and without a report buried in it. */
    for (size_t i = 0; i < mb; i++)
        buf[i] = (char)(rng() & 0xFF);
    cJSON_Delete(json_parse_lenient(buf, mb, NULL));
    memcpy(buf + 1000, "\n{\"found\": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]}\n", 72);
    cJSON *doc = json_parse_lenient(buf, mb, NULL);
    assert_non_null(doc);
    cJSON_Delete(doc);
    free(buf);

    /* Every prefix of a real report (as a truncated pipe would deliver it), in an exact-size
     * buffer so that ASan sees any read past the end. */
    const char *report =
        "{\"model\": \"m\", \"text\": \" Pok\\u00e9mon\", \"tokens\": [1, 2, 3], \"x\": -1.5e-3}";
    size_t n = strlen(report);
    for (size_t cut = 0; cut <= n; cut++) {
        char *p = xmalloc(cut ? cut : 1);
        memcpy(p, report, cut);
        cJSON_Delete(json_parse_lenient(p, cut, NULL));
        free(p);
    }
    /* Random single-byte mutations of the report. */
    for (int iter = 0; iter < 3000; iter++) {
        char *p = xmalloc(n);
        memcpy(p, report, n);
        for (int k = 0; k < 3; k++)
            p[rng() % n] = (char)(rng() & 0xFF);
        cJSON_Delete(json_parse_lenient(p, n, NULL));
        free(p);
    }
    /* Deep but bounded nesting. */
    strbuf deep;
    sb_init(&deep);
    for (int i = 0; i < 300; i++)
        sb_putc(&deep, '[');
    for (int i = 0; i < 300; i++)
        sb_putc(&deep, ']');
    cJSON_Delete(json_parse_lenient(deep.buf, deep.len, NULL));
    sb_free(&deep);
}

/* ---- field access ---- */

static void test_json_access(void **state)
{
    (void)state;
    cJSON *doc = parse(
        "{\"a\": null, \"b\": 3, \"list\": \"no\", \"l2\": [1, 2], \"ints\": [1, 2.5],"
        " \"strs\": [\"1\"], \"empty\": []}");
    static const char *const ab[] = {"a", "b", NULL};
    static const char *const lists[] = {"list", "l2", NULL};
    static const char *const missing[] = {"zz", NULL};
    assert_int_equal(json_first(doc, ab)->valueint, 3); /* null counts as absent */
    assert_ptr_equal(json_first_list(doc, lists), cJSON_GetObjectItem(doc, "l2"));
    assert_null(json_first(doc, missing));
    assert_null(json_first(NULL, ab));

    long *v;
    size_t n;
    assert_true(json_int_list(cJSON_GetObjectItem(doc, "l2"), &v, &n));
    assert_int_equal(n, 2);
    assert_int_equal(v[1], 2);
    free(v);
    assert_false(json_int_list(cJSON_GetObjectItem(doc, "ints"), &v, &n));
    assert_false(json_int_list(cJSON_GetObjectItem(doc, "strs"), &v, &n));
    assert_false(json_int_list(NULL, &v, &n));
    assert_true(json_int_list(cJSON_GetObjectItem(doc, "empty"), &v, &n));
    assert_int_equal(n, 0);
    free(v);

    double d;
    assert_true(json_number(cJSON_GetObjectItem(doc, "b"), &d) && d == 3);
    assert_false(json_number(cJSON_GetObjectItem(doc, "a"), &d));
    cJSON_Delete(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mismatch_examples),
        cmocka_unit_test(test_mismatch_properties),
        cmocka_unit_test(test_first_token_divergence),
        cmocka_unit_test(test_char_mismatches_count_code_points),
        cmocka_unit_test(test_utf8_decode_invalid),
        cmocka_unit_test(test_text_strip),
        cmocka_unit_test(test_text_one_line_and_sanitize),
        cmocka_unit_test(test_lenient_plain_and_noise),
        cmocka_unit_test(test_lenient_non_finite),
        cmocka_unit_test(test_lenient_strings),
        cmocka_unit_test(test_lenient_rejects),
        cmocka_unit_test(test_lenient_hostile),
        cmocka_unit_test(test_json_access),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
