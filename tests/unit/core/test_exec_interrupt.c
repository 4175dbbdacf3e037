/* Ctrl-C during a run: the running engines are cancelled, nothing more starts, and what
 * finished before stays cached. Its own program: the interrupt stays recorded in the process. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "exec_world.h"
#include "exit_code.h"

static void test_an_interrupt_cancels_the_running_and_starts_nothing_more(void **state)
{
    exec_world w;
    world_init(&w);
    const pipeline_step *q = world_step(&w, "query", false, false);
    action *done = world_action(&w, "done", q);
    action *busy = world_action(&w, "busy", q);
    action *waiting = world_action(&w, "waiting", q);
    const fake_job jobs[] = {{.name = "done"}, {.name = "busy", .delay_ms = 5000}, {.name = "waiting"}};
    fake_script s = {.jobs = jobs, .n_jobs = 3, .raise_on_start = SIGINT, .raise_after = "busy"};
    exec_stats st;
    assert_int_equal(world_run(&w, &s, 1, &st), EXIT_INTERRUPTED);
    assert_true(st.interrupted);
    assert_int_equal(s.cancels, 1);
    assert_int_equal(s.n_started, 2);
    assert_int_equal(done->status, ST_OK);
    assert_int_equal(busy->status, ST_INTERRUPTED);
    assert_int_equal(waiting->status, ST_INTERRUPTED);
    assert_string_equal(waiting->reason, "not started: the run was interrupted");
    assert_int_equal(fake_started_at(&s, "waiting"), -1);

    /* What finished before the interrupt is cached; what was cancelled is not. */
    cJSON *rec = cache_get_record(w.c, &done->key);
    assert_non_null(rec);
    cJSON_Delete(rec);
    assert_true(busy->have_key);
    assert_null(cache_get_record(w.c, &busy->key));
    world_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_an_interrupt_cancels_the_running_and_starts_nothing_more),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
