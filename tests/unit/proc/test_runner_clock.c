/* The local runner's timeout clock as a child's stderr tells it (run_request.watch_err): what
 * the Slurm runner builds on so that a job's wait in the queue is not counted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "runner.h"
#include "util.h"

extern char **environ;

enum { TIMEOUT_MS = 300 };

static bool line_is(const char *line, size_t n, const char *want)
{
    return n == strlen(want) && !memcmp(line, want, n);
}

/* "waiting" stops the clock, "working" starts it again; anything else is the child's own. */
static run_clock waiting_then_working(const char *line, size_t n)
{
    return line_is(line, n, "waiting")   ? RUN_CLOCK_STOP
           : line_is(line, n, "working") ? RUN_CLOCK_START
                                         : RUN_CLOCK_KEEP;
}

static void on_done(void *ctx, run_result *res)
{
    *(run_result **)ctx = res;
}

static void close_handle(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

static run_result *run_script(const char *script, run_line_watch watch)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    runner *r = runner_local_new(&loop, 1 << 16, 1 << 20, 200);
    char *argv[] = {"/bin/sh", "-c", (char *)script, NULL};
    run_request req = {.argv = argv, .env = environ, .timeout_ms = TIMEOUT_MS, .watch_err = watch};
    run_result *res = NULL;
    assert_int_equal(r->ops->start(r, &req, on_done, &res), 0);
    while (!res)
        uv_run(&loop, UV_RUN_ONCE);
    uv_walk(&loop, close_handle, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    r->ops->close(r);
    return res;
}

/* Waits three timeouts' worth, the line split across two writes, then works briefly. */
static const char WAITS_THEN_WORKS[] =
    "printf wait >&2; sleep 0.2; printf 'ing\\n' >&2; sleep 0.7; "
    "echo working >&2; sleep 0.1; echo done";

static void test_the_wait_a_child_announces_is_not_counted(void **state)
{
    (void)state;
    run_result *res = run_script(WAITS_THEN_WORKS, waiting_then_working);
    assert_int_equal(res->outcome, RUN_EXITED);
    assert_int_equal(res->exit_code, 0);
    assert_string_equal(res->out, "done\n");
    assert_string_equal(res->err, "waiting\nworking\n"); /* watched lines are kept as printed */
    assert_true(res->wall_ms >= 900);
    run_result_free(res);
}

static void test_the_work_is_timed_whole_from_when_it_starts(void **state)
{
    (void)state;
    run_result *res =
        run_script("echo waiting >&2; sleep 0.6; echo working >&2; exec sleep 5", waiting_then_working);
    assert_int_equal(res->outcome, RUN_TIMED_OUT);
    assert_true(res->wall_ms >= 600 + TIMEOUT_MS);
    assert_true(res->wall_ms < 3000);
    run_result_free(res);
}

static void test_without_a_watch_the_clock_runs_from_the_start(void **state)
{
    (void)state;
    run_result *res = run_script(WAITS_THEN_WORKS, NULL);
    assert_int_equal(res->outcome, RUN_TIMED_OUT);
    assert_true(res->wall_ms < 900);
    run_result_free(res);
}

static void test_lines_after_the_start_change_nothing(void **state)
{
    (void)state;
    /* a second "waiting" once working (the child's own words) does not stop the clock */
    run_result *res = run_script("echo working >&2; echo waiting >&2; exec sleep 5", waiting_then_working);
    assert_int_equal(res->outcome, RUN_TIMED_OUT);
    assert_true(res->wall_ms < 3000);
    run_result_free(res);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_wait_a_child_announces_is_not_counted),
        cmocka_unit_test(test_the_work_is_timed_whole_from_when_it_starts),
        cmocka_unit_test(test_without_a_watch_the_clock_runs_from_the_start),
        cmocka_unit_test(test_lines_after_the_start_change_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
