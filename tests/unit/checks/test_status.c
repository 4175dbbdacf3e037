/* What an action came to and what a check concluded (checks/status.c): their names, and the
 * coarse view a suite judges a query's output by. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "status.h"

/* Anything but a clean exit counts against an action, a skip and an interrupt included: the
 * progress line shows its reason. */
static void test_only_a_clean_exit_is_no_failure(void **state)
{
    for (action_status s = ST_NONE; s <= ST_ENGINE_CHANGED; s++)
        assert_int_equal(action_status_is_failure(s), s != ST_OK && s != ST_NONE);
    assert_string_equal(action_status_name(ST_OUTPUT_MISSING), "output-missing");
    assert_string_equal(action_status_name((action_status)99), "unknown");
}

/* A query that exited 0 is judged on its stdout even when storing it failed; one with no usable
 * result is a SKIP; the rest (an exit, a crash, a timeout, a failed start, too much output) are
 * each judged for what they are. */
static void test_a_query_is_judged_ran_not_run_or_failed(void **state)
{
    static const action_status ran[] = {ST_OK, ST_CACHE_ERROR};
    static const action_status not_run[] = {ST_NONE,          ST_OUTPUT_MISSING, ST_OUTPUT_MALFORMED,
                                            ST_SKIPPED,       ST_UNAVAILABLE,    ST_INTERRUPTED,
                                            ST_ENGINE_CHANGED};
    static const action_status failed[] = {ST_EXIT, ST_TIMEOUT, ST_SIGNAL, ST_SPAWN_ERROR, ST_OUTPUT_LIMIT};
    for (size_t i = 0; i < sizeof ran / sizeof *ran; i++) {
        assert_true(action_status_ran(ran[i]));
        assert_false(action_status_not_run(ran[i]));
    }
    for (size_t i = 0; i < sizeof not_run / sizeof *not_run; i++) {
        assert_false(action_status_ran(not_run[i]));
        assert_true(action_status_not_run(not_run[i]));
    }
    for (size_t i = 0; i < sizeof failed / sizeof *failed; i++) {
        assert_false(action_status_ran(failed[i]));
        assert_false(action_status_not_run(failed[i]));
    }
    assert_int_equal(sizeof ran / sizeof *ran + sizeof not_run / sizeof *not_run +
                         sizeof failed / sizeof *failed,
                     ST_ENGINE_CHANGED + 1);
}

/* The results document's words read back as the status they name; any other reads as FAIL, never
 * as a pass. */
static void test_a_check_status_survives_the_document_and_an_unknown_word_fails(void **state)
{
    for (check_status s = CHECK_PASS; s < CHECK_NSTATUS; s++)
        assert_int_equal(check_status_parse(check_status_name(s)), s);
    assert_string_equal(check_status_name(CHECK_TIMEOUT), "TIMEOUT");
    assert_int_equal(check_status_parse("pass"), CHECK_FAIL);
    assert_int_equal(check_status_parse("XFAIL"), CHECK_FAIL);
    assert_int_equal(check_status_parse(""), CHECK_FAIL);
    assert_int_equal(check_status_parse(NULL), CHECK_FAIL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_only_a_clean_exit_is_no_failure),
        cmocka_unit_test(test_a_query_is_judged_ran_not_run_or_failed),
        cmocka_unit_test(test_a_check_status_survives_the_document_and_an_unknown_word_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
