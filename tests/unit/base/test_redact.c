#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "redact.h"
#include "util.h"

static char *redacted(const char *text, size_t len, size_t *out_len)
{
    char *buf = xmalloc(len + 1);
    memcpy(buf, text, len + 1);
    *out_len = len;
    redact_secrets(&buf, out_len);
    return buf;
}

static void test_every_occurrence_of_each_token_is_replaced(void **state)
{
    setenv("HF_TOKEN", "hf_abcdefgh123", 1);
    setenv("HUGGING_FACE_HUB_TOKEN", "hf_zzzzzzzz999", 1);
    const char text[] = "401 for hf_abcdefgh123\0binary hf_abcdefgh123hf_zzzzzzzz999.";
    size_t len = 0;
    char *out = redacted(text, sizeof text - 1, &len);
    const char want[] = "401 for [HF_TOKEN]\0binary [HF_TOKEN][HUGGING_FACE_HUB_TOKEN].";
    assert_int_equal(len, sizeof want - 1);
    assert_memory_equal(out, want, len);
    free(out);
}

static void test_short_or_absent_tokens_change_nothing(void **state)
{
    unsetenv("HUGGING_FACE_HUB_TOKEN");
    setenv("HF_TOKEN", "hf_1", 1); /* would match ordinary text */
    size_t len = 0;
    char *out = redacted("hf_1 hf_12", 10, &len);
    assert_int_equal(len, 10);
    assert_string_equal(out, "hf_1 hf_12");
    free(out);
    unsetenv("HF_TOKEN");
    out = redacted("", 0, &len);
    assert_int_equal(len, 0);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_occurrence_of_each_token_is_replaced),
        cmocka_unit_test(test_short_or_absent_tokens_change_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
