/* Every writer, fed strings of any bytes, writes valid UTF-8 that is well-formed in its format
 * (tests/support/writers_check.h); the fuzz target fuzz_writers explores the same property with
 * coverage guidance, this test with a fixed set of pseudo-random inputs on every run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "markup_check.h"
#include "writers_check.h"

static void assert_writers_cope(const uint8_t *data, size_t size)
{
    char *why = writers_check(data, size);
    if (why) {
        fprintf(stderr, "input (%zu bytes):", size);
        for (size_t i = 0; i < size; i++)
            fprintf(stderr, " %02x", data[i]);
        fprintf(stderr, "\n");
        fail_msg("%s", why);
    }
}

static void test_hostile_inputs(void **state)
{
    (void)state;
    static const char hostile[] =
        "<b>&amp;\0]]>\0\xff\xfe\xc3(\0|a|b|\0`x``\0\x1b[31mred\0\xef\xbf\xbe\xef\xbf\xbf\0"
        "\xed\xa0\x80\0\"'\\\0\n\r\t\0\x01\x7f\xc2\x85\0</testsuite>\0&#0;\0";
    uint8_t every_byte[256];
    for (int i = 0; i < 256; i++)
        every_byte[i] = (uint8_t)i;
    assert_writers_cope(NULL, 0);
    assert_writers_cope((const uint8_t *)hostile, sizeof hostile - 1);
    assert_writers_cope(every_byte, sizeof every_byte);
}

/* Bytes drawn mostly from those that matter to some format, the rest at random. */
static uint8_t next_byte(uint64_t *x)
{
    static const char interesting[] =
        "<>&\"';#|`*_[]\\\n\r\t\x1b\x7f\x80\xbf\xc2\xc3\xe2\xed\xef\xf0\xf4\xf8\xfe\xff";
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    unsigned r = (unsigned)(*x >> 32);
    if (r % 8 == 0)
        return 0; /* a NUL ends a piece: the document gets many strings */
    if (r % 8 < 5)
        return (uint8_t)interesting[(r >> 8) % (sizeof interesting - 1)];
    return (uint8_t)(r >> 16);
}

static void test_random_inputs(void **state)
{
    (void)state;
    uint64_t x = 0x9E3779B97F4A7C15u;
    uint8_t buf[400];
    for (int round = 0; round < 400; round++) {
        size_t size = (size_t)(next_byte(&x) + next_byte(&x)) % sizeof buf;
        for (size_t i = 0; i < size; i++)
            buf[i] = next_byte(&x);
        assert_writers_cope(buf, size);
    }
}

static const char *checked(const char *s, bool html)
{
    size_t at;
    return markup_check(s, strlen(s), html, &at);
}

/* The well-formedness check must be able to fail, or the property above would hold vacuously. */
static void test_markup_check_refuses_what_is_not_well_formed(void **state)
{
    (void)state;
    assert_null(checked("<?xml version=\"1.0\"?>\n<a b=\"&amp;&#39;\">x &lt; y<c/></a>\n", false));
    assert_null(
        checked("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><style>a>b{}</style></head>"
                "<body><p class='x'>&#x41;</p></body></html>\n",
                true));
    static const char *const bad_xml[] = {
        "<a>&x</a>",    "<a><b></a></b>", "<a>]]></a>",
        "<a b=\"<\"/>", "<a>\x01</a>",    "<a>\xff</a>",
        "text",         "<a/><b/>",       "<a b=c/>",
        "<a>",          "</a>",           "<a>\xef\xbf\xbe</a>",
        "<a b=\"&\"/>", "<a>&#;</a>",     "<a/>trailing",
        "<1a/>",
    };
    for (size_t i = 0; i < sizeof bad_xml / sizeof *bad_xml; i++)
        if (!checked(bad_xml[i], false))
            fail_msg("accepted as XML: %s", bad_xml[i]);
    static const char *const bad_html[] = {
        "<html></html>",                          /* no doctype */
        "<!DOCTYPE html><html><style>a{}</html>", /* raw text never ends */
        "<!DOCTYPE html><html>\xc2\x85</html>",   /* C1 control */
        "<!DOCTYPE html><html><p></html>",        /* unclosed element */
    };
    for (size_t i = 0; i < sizeof bad_html / sizeof *bad_html; i++)
        if (!checked(bad_html[i], true))
            fail_msg("accepted as HTML: %s", bad_html[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hostile_inputs),
        cmocka_unit_test(test_random_inputs),
        cmocka_unit_test(test_markup_check_refuses_what_is_not_well_formed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
