/* The streamed results writer must produce exactly what cJSON_Print does (and its compact form
 * what cJSON_PrintUnformatted does) for valid text: reports, diffs of results documents and users'
 * scripts see the same bytes whichever wrote them. Invalid UTF-8, which cJSON would copy as it
 * is, becomes U+FFFD. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fs.h"
#include "json_stream.h"

static char *streamed(const cJSON *doc)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    assert_int_equal(json_stream_print(doc, out), 0);
    fclose(out);
    return text;
}

static void assert_same_as_cjson(const cJSON *doc)
{
    char *want = cJSON_Print(doc), *compact = cJSON_PrintUnformatted(doc);
    char *got = streamed(doc), *text = json_stream_text(doc, true),
         *got_compact = json_stream_text(doc, false);
    assert_string_equal(got, want);
    assert_string_equal(text, want);
    assert_string_equal(got_compact, compact);
    free(got);
    free(text);
    free(got_compact);
    cJSON_free(want);
    cJSON_free(compact);
}

static void invalid_utf8_becomes_the_replacement_character(void **state)
{
    (void)state;
    cJSON *doc = cJSON_CreateObject();
    /* a lone continuation byte, a truncated sequence, an overlong '/', a surrogate, a code point
     * above U+10FFFF, then valid multi-byte text that must stay as it is */
    cJSON_AddStringToObject(doc, "bad",
                            "a\x80"
                            "b\xe2\x82 \xc0\xaf \xed\xa0\x80 \xf4\x90\x80\x80 caf\xc3\xa9 \xf0\x9f\x98\x80");
    cJSON_AddStringToObject(doc, "key \xff", "\"\xfe\\");
    char *text = json_stream_text(doc, false);
#define R "\xef\xbf\xbd"
    assert_string_equal(text, "{\"bad\":\"a" R "b" R R " " R R " " R R R " " R R R R
                              " caf\xc3\xa9 \xf0\x9f\x98\x80\","
                              "\"key " R "\":\"\\\"" R "\\\\\"}");
#undef R
    cJSON *back = cJSON_Parse(text);
    assert_non_null(back);
    cJSON_Delete(back);
    free(text);
    cJSON_Delete(doc);
}

static void every_kind_of_value(void **state)
{
    (void)state;
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddNullToObject(doc, "null");
    cJSON_AddTrueToObject(doc, "yes");
    cJSON_AddFalseToObject(doc, "no");
    cJSON_AddStringToObject(doc, "escapes", "quote\" backslash\\ \b\f\n\r\t \x01\x1f caf\xc3\xa9 /");
    cJSON_AddStringToObject(doc, "", "empty key");
    cJSON_AddObjectToObject(doc, "empty object");
    cJSON_AddArrayToObject(doc, "empty array");
    static const double numbers[] = {0,
                                     -0.0,
                                     1,
                                     -1,
                                     42,
                                     1000,
                                     -123456789,
                                     999999999999999,
                                     1e15,
                                     -1e15,
                                     1e300,
                                     0.5,
                                     -2.25,
                                     1.0 / 3,
                                     3.14159265358979,
                                     1e-7,
                                     4294967296.0,
                                     NAN,
                                     INFINITY,
                                     -INFINITY};
    cJSON *nums = cJSON_AddArrayToObject(doc, "numbers");
    for (size_t i = 0; i < sizeof numbers / sizeof *numbers; i++)
        cJSON_AddItemToArray(nums, cJSON_CreateNumber(numbers[i]));
    cJSON *nested = cJSON_AddArrayToObject(doc, "nested");
    cJSON *inner = cJSON_CreateObject();
    cJSON_AddItemToObject(inner, "deeper", cJSON_CreateIntArray((const int[]){1, 2, 3}, 3));
    cJSON *arr_in_arr = cJSON_CreateArray();
    cJSON_AddItemToArray(arr_in_arr, cJSON_CreateObject());
    cJSON_AddItemToArray(arr_in_arr, cJSON_CreateString("x"));
    cJSON_AddItemToObject(inner, "mixed", arr_in_arr);
    cJSON_AddItemToArray(nested, inner);
    cJSON_AddItemToArray(nested, cJSON_CreateArray());
    cJSON_AddItemToObject(doc, "raw", cJSON_CreateRaw("{\"pre\": 1}"));
    /* results_build refers to token sides instead of copying them */
    cJSON_AddItemReferenceToObject(doc, "reference", inner);
    assert_same_as_cjson(doc);
    assert_same_as_cjson(nums);
    cJSON_Delete(doc);
}

static void results_documents(void **state)
{
    (void)state;
    static const char *const names[] = {"results-sample.json", "results-escape.json", "results-missing.json"};
    const char *root = getenv("TMGT_SOURCE_DIR");
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char *path = xasprintf("%s/tests/data/%s", root ? root : ".", names[i]);
        char *text = NULL;
        size_t len = 0;
        assert_int_equal(read_file(path, &text, &len, NULL), 0);
        cJSON *doc = cJSON_ParseWithLength(text, len);
        assert_non_null(doc);
        assert_same_as_cjson(doc);
        cJSON_Delete(doc);
        free(text);
        free(path);
    }
}

static void atomic_write_replaces_the_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/tmgt-json-stream-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *path = path_join(dir, "doc.json");
    assert_int_equal(write_file_atomic(path, "old", 3, 0644, NULL), 0);
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "k", "v");
    tmgt_error err = {{0}};
    assert_int_equal(json_stream_write_atomic(doc, path, 0644, &err), 0);
    char *text = NULL;
    size_t len = 0;
    assert_int_equal(read_file(path, &text, &len, NULL), 0);
    assert_string_equal(text, "{\n\t\"k\":\t\"v\"\n}");
    free(text);
    char *missing = path_join(dir, "no-such-dir/doc.json");
    assert_int_equal(json_stream_write_atomic(doc, missing, 0644, &err), -1);
    assert_non_null(strstr(err.msg, "cannot write"));
    cJSON_Delete(doc);
    unlink(path);
    rmdir(dir);
    free(missing);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_kind_of_value),
        cmocka_unit_test(results_documents),
        cmocka_unit_test(invalid_utf8_becomes_the_replacement_character),
        cmocka_unit_test(atomic_write_replaces_the_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
