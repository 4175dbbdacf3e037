/* --repeat through the fake runner: how many runs each action gets, what counts as a difference
 * and how it is said, and that a result seen to vary is never cached. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "exec_world.h"
#include "exit_code.h"
#include "run_compare.h"

#define SCRIPT(...)                                         \
    ((fake_script){.jobs = (const fake_job[]){__VA_ARGS__}, \
                   .n_jobs = sizeof(const fake_job[]){__VA_ARGS__} / sizeof(fake_job)})

static void test_each_action_runs_n_times_and_a_stable_result_is_cached(void **state)
{
    exec_world w;
    world_init(&w);
    w.repeat = 3;
    action *conv = world_action(&w, "convert", world_step(&w, "convert", true, false));
    action *run = world_action(&w, "run", world_step(&w, "run", false, false));
    world_input(run, conv);
    fake_script s = SCRIPT({.name = "convert", .writes_output = true, .delay_ms = 5},
                           {.name = "run", .out = "{\"tokens\": [1, 2, 3]}"});
    exec_stats st;
    assert_int_equal(world_run(&w, &s, 2, &st), EXIT_OK);
    assert_int_equal(s.calls[0], 3);
    assert_int_equal(s.calls[1], 3);
    /* the consumer starts only after the producer's last run */
    assert_int_equal(fake_started_at(&s, "run"), 3);
    assert_int_equal(conv->status, ST_OK);
    assert_true(conv->output->have_digest);
    assert_null(conv->varied);
    assert_int_equal(run->status, ST_OK);
    assert_null(run->varied);
    assert_int_equal(st.executed, 2);
    assert_int_equal(st.varied, 0);

    world_reset_graph(&w);
    w.repeat = 1;
    conv = world_action(&w, "convert", &w.steps[0]);
    run = world_action(&w, "run", &w.steps[1]);
    world_input(run, conv);
    fake_script again = SCRIPT({.name = "convert", .writes_output = true}, {.name = "run"});
    assert_int_equal(world_run(&w, &again, 2, &st), EXIT_OK);
    assert_int_equal(again.n_started, 0);
    assert_int_equal(st.cached, 2);
    world_free(&w);
}

static void test_repeats_execute_even_what_the_cache_holds(void **state)
{
    exec_world w;
    world_init(&w);
    world_action(&w, "query", world_step(&w, "query", false, false));
    fake_script s = SCRIPT({.name = "query", .out = "{}"});
    exec_stats st;
    assert_int_equal(world_run(&w, &s, 1, &st), EXIT_OK);
    world_reset_graph(&w);
    w.repeat = 2;
    action *a = world_action(&w, "query", &w.steps[0]);
    fake_script again = SCRIPT({.name = "query", .out = "{}"});
    assert_int_equal(world_run(&w, &again, 1, &st), EXIT_OK);
    assert_int_equal(again.calls[0], 2);
    assert_false(a->cached);
    assert_int_equal(st.executed, 1);
    world_free(&w);
}

static void test_a_varying_stdout_names_the_field_and_is_not_cached(void **state)
{
    exec_world w;
    world_init(&w);
    w.repeat = 3;
    action *a = world_action(&w, "run", world_step(&w, "run", false, false));
    const char *outs[] = {"{\"text\": \"x\", \"tokens\": [1, 2, 3]}",
                          "{\"text\": \"x\", \"tokens\": [1, 2, 3]}",
                          "{\"text\": \"x\", \"tokens\": [1, 7, 3]}", NULL};
    fake_script s = SCRIPT({.name = "run", .outs = outs});
    exec_stats st;
    assert_int_equal(world_run(&w, &s, 1, &st), EXIT_OK);
    assert_int_equal(s.calls[0], 3);
    assert_string_equal(a->varied, "run 3 differs from run 1: tokens[1] 2 vs 7");
    assert_int_equal(a->status, ST_OK);
    assert_string_equal(a->out, outs[0]); /* the first run is the result */
    assert_int_equal(st.varied, 1);

    world_reset_graph(&w);
    w.repeat = 1;
    a = world_action(&w, "run", &w.steps[0]);
    fake_script again = SCRIPT({.name = "run", .out = "{}"});
    assert_int_equal(world_run(&w, &again, 1, &st), EXIT_OK);
    assert_int_equal(again.calls[0], 1); /* nothing was stored: it runs again */
    assert_false(a->cached);
    world_free(&w);
}

static void test_a_varying_output_file_names_its_first_differing_byte(void **state)
{
    exec_world w;
    world_init(&w);
    w.repeat = 2;
    action *conv = world_action(&w, "convert", world_step(&w, "convert", true, false));
    action *run = world_action(&w, "run", world_step(&w, "run", false, false));
    world_input(run, conv);
    fake_script s =
        SCRIPT({.name = "convert", .writes_output = true, .output_varies = true}, {.name = "run"});
    exec_stats st;
    assert_int_equal(world_run(&w, &s, 1, &st), EXIT_OK);
    /* "output of convert, call 0" against "… call 1": they part at byte 24 */
    assert_string_equal(conv->varied, "run 2 differs from run 1: convert.out byte 24");
    assert_int_equal(conv->status, ST_OK); /* its dependents read the first run's output */
    assert_true(conv->output->have_digest);
    assert_int_equal(run->status, ST_OK);

    world_reset_graph(&w);
    w.repeat = 1;
    conv = world_action(&w, "convert", &w.steps[0]);
    fake_script again = SCRIPT({.name = "convert", .writes_output = true});
    assert_int_equal(world_run(&w, &again, 1, &st), EXIT_OK);
    assert_int_equal(again.calls[0], 1);
    world_free(&w);
}

static void test_fields_the_step_says_measure_time_are_not_compared(void **state)
{
    exec_world w;
    world_init(&w);
    w.repeat = 2;
    world_step(&w, "run", false, false);
    char *varies[] = {"tok_per_sec"};
    w.steps[0].varies = varies;
    w.steps[0].n_varies = 1;
    action *a = world_action(&w, "run", &w.steps[0]);
    const char *outs[] = {"{\"tokens\": [1], \"tok_per_sec\": 4.9}",
                          "{\"tokens\": [1], \"tok_per_sec\": 5.2}", NULL};
    fake_script s = SCRIPT({.name = "run", .outs = outs});
    exec_stats st;
    assert_int_equal(world_run(&w, &s, 1, &st), EXIT_OK);
    assert_int_equal(s.calls[0], 2);
    assert_null(a->varied);
    w.steps[0].varies = NULL;
    w.steps[0].n_varies = 0;
    world_free(&w);
}

static void test_a_difference_is_said_where_it_first_appears(void **state)
{
    run_observed a = {.outcome = RUN_EXITED, .out = "{\"a\": {\"b\": [1, {\"c\": \"x\"}]}}"};
    a.out_len = strlen(a.out);
    run_observed b = a;
    b.out = "{\"a\": {\"b\": [1, {\"c\": \"y\"}]}}";
    char *d = run_difference(&a, &b, NULL, NULL, 0);
    assert_string_equal(d, "a.b[1].c \"x\" vs \"y\"");
    free(d);
    b.out = "{\"a\": {\"b\": [1, {\"c\": \"x\"}, 2]}}";
    b.out_len = strlen(b.out);
    d = run_difference(&a, &b, NULL, NULL, 0);
    assert_string_equal(d, "a.b[2] absent vs 2");
    free(d);
    /* the same document printed another way is no difference */
    b.out = "{\"a\":{\"b\":[1,{\"c\":\"x\"}]}}";
    b.out_len = strlen(b.out);
    assert_null(run_difference(&a, &b, NULL, NULL, 0));
    /* text is compared byte by byte */
    run_observed t = {.outcome = RUN_EXITED, .out = "The capital", .out_len = 11};
    run_observed u = {.outcome = RUN_EXITED, .out = "The capitol", .out_len = 11};
    d = run_difference(&t, &u, NULL, NULL, 0);
    assert_string_equal(d, "stdout byte 9: 0x61 vs 0x6f");
    free(d);
    u.out_len = 7;
    d = run_difference(&t, &u, NULL, NULL, 0);
    assert_string_equal(d, "stdout 11 vs 7 bytes (the same up to byte 7)");
    free(d);
    /* the outcome comes first */
    u = t;
    u.exit_code = 5;
    d = run_difference(&t, &u, NULL, NULL, 0);
    assert_string_equal(d, "exit 0 vs exit 5");
    free(d);
    u.outcome = RUN_SIGNALED;
    u.exit_code = 0;
    u.term_signal = 11;
    d = run_difference(&t, &u, NULL, NULL, 0);
    assert_string_equal(d, "exit 0 vs signal 11");
    free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_action_runs_n_times_and_a_stable_result_is_cached),
        cmocka_unit_test(test_repeats_execute_even_what_the_cache_holds),
        cmocka_unit_test(test_a_varying_stdout_names_the_field_and_is_not_cached),
        cmocka_unit_test(test_a_varying_output_file_names_its_first_differing_byte),
        cmocka_unit_test(test_fields_the_step_says_measure_time_are_not_compared),
        cmocka_unit_test(test_a_difference_is_said_where_it_first_appears),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
