/* The synchronous capture: how each end of a child is told, and that what tmgt stops is gone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "interrupt.h"
#include "util.h"

static run_result *shell(const char *script, capture_request req)
{
    char *argv[] = {"/bin/sh", "-c", (char *)script, NULL};
    req.argv = argv;
    if (!req.cap)
        req.cap = 1 << 20;
    return capture_run(&req);
}

/* Gone: no such process, or a zombie waiting for whoever adopted it. */
static bool process_gone(pid_t pid)
{
    for (int tries = 0; tries < 200; tries++) {
        char path[64], state = 0;
        snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
        FILE *f = fopen(path, "r");
        if (!f)
            return true;
        int scanned = fscanf(f, "%*d (%*[^)]) %c", &state);
        fclose(f);
        if (scanned == 1 && state == 'Z')
            return true;
        usleep(10000);
    }
    return false;
}

static void test_exit_status_and_both_streams_are_kept(void **state)
{
    (void)state;
    run_result *res = shell("printf out; printf err >&2; exit 3", (capture_request){0});
    assert_int_equal(res->outcome, RUN_EXITED);
    assert_int_equal(res->exit_code, 3);
    assert_int_equal(res->term_signal, 0);
    assert_string_equal(res->out, "out");
    assert_int_equal(res->out_len, 3);
    assert_string_equal(res->err, "err");
    assert_null(res->out_spill);
    run_result_free(res);
}

static void test_merged_streams_keep_the_order_written(void **state)
{
    (void)state;
    run_result *res = shell("echo a; echo b >&2; echo c", (capture_request){.merge_stderr = true});
    assert_int_equal(res->outcome, RUN_EXITED);
    assert_string_equal(res->out, "a\nb\nc\n");
    assert_string_equal(res->err, "");
    run_result_free(res);
}

/* What tmgt ignores or blocks, its children do not: the child dies of the signal. */
static void test_a_signal_is_told_with_its_number(void **state)
{
    (void)state;
    sigset_t usr2, before;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    signal(SIGUSR1, SIG_IGN);
    sigprocmask(SIG_BLOCK, &usr2, &before);
    run_result *res = shell("kill -USR1 $$", (capture_request){0});
    assert_int_equal(res->outcome, RUN_SIGNALED);
    assert_int_equal(res->term_signal, SIGUSR1);
    run_result_free(res);
    res = shell("kill -USR2 $$; sleep 1", (capture_request){0});
    assert_int_equal(res->outcome, RUN_SIGNALED);
    assert_int_equal(res->term_signal, SIGUSR2);
    run_result_free(res);
    sigprocmask(SIG_SETMASK, &before, NULL);
    signal(SIGUSR1, SIG_DFL);
}

static void test_cwd_is_the_childs(void **state)
{
    (void)state;
    run_result *res = shell("pwd", (capture_request){.cwd = "/"});
    assert_string_equal(res->out, "/\n");
    run_result_free(res);
}

/* The shell prints the pid of a child it started; at the timeout the whole group goes. */
static void test_timeout_kills_the_child_and_what_it_started(void **state)
{
    (void)state;
    run_result *res = shell("sleep 30 & echo $!; wait", (capture_request){.timeout_ms = 300});
    assert_int_equal(res->outcome, RUN_TIMED_OUT);
    assert_in_range(res->wall_ms, 300, 5000);
    pid_t sleeper = (pid_t)atol(res->out);
    assert_true(sleeper > 0);
    assert_true(process_gone(sleeper));
    run_result_free(res);
}

static void test_a_child_ignoring_sigterm_is_killed_after_the_grace(void **state)
{
    (void)state;
    run_result *res =
        shell("trap '' TERM; sleep 30", (capture_request){.timeout_ms = 200, .kill_grace_ms = 300});
    assert_int_equal(res->outcome, RUN_TIMED_OUT);
    assert_in_range(res->wall_ms, 500, 5000);
    run_result_free(res);
}

/* The exit is seen although the background child still holds the pipes open. */
static void test_the_exit_ends_the_wait_while_a_child_holds_the_pipes(void **state)
{
    (void)state;
    run_result *res = shell("sleep 30 & echo $!; exit 4", (capture_request){0});
    assert_int_equal(res->outcome, RUN_EXITED);
    assert_int_equal(res->exit_code, 4);
    assert_true(res->wall_ms < 5000);
    assert_true(process_gone((pid_t)atol(res->out)));
    run_result_free(res);
}

static void test_output_past_the_cap_kills_the_child_and_keeps_the_cap(void **state)
{
    (void)state;
    run_result *res = shell("exec yes", (capture_request){.cap = 10000});
    assert_int_equal(res->outcome, RUN_OUTPUT_LIMIT);
    assert_int_equal(res->out_len, 10000);
    assert_int_equal(strlen(res->out), 10000);
    run_result_free(res);
}

static void test_a_missing_executable_says_what_could_not_start(void **state)
{
    (void)state;
    char *argv[] = {"/nonexistent/tool", "--version", NULL};
    run_result *res = capture_run(&(capture_request){.argv = argv, .cap = 100});
    assert_int_equal(res->outcome, RUN_SPAWN_FAILED);
    assert_string_equal(res->error.msg, "cannot start /nonexistent/tool: No such file or directory");
    assert_string_equal(res->out, "");
    run_result_free(res);
    char *not_in_path[] = {"tmgt-no-such-tool", NULL};
    res = capture_run(&(capture_request){.argv = not_in_path, .cap = 100});
    assert_int_equal(res->outcome, RUN_SPAWN_FAILED);
    assert_non_null(strstr(res->error.msg, "tmgt-no-such-tool"));
    run_result_free(res);
}

/* The child interrupts its parent (us) as Ctrl-C would. */
static void test_an_interrupt_cancels_a_child_that_stops_on_it(void **state)
{
    (void)state;
    interrupt_install();
    interrupt_note(0);
    run_result *res = shell("kill -INT $PPID; sleep 30", (capture_request){.stop_on_interrupt = true});
    assert_int_equal(res->outcome, RUN_CANCELLED);
    assert_true(res->wall_ms < 5000);
    assert_int_equal(interrupt_pending(), SIGINT);
    run_result_free(res);
    interrupt_note(0);
}

/* A second signal while the child is being stopped is remembered, not taken as "stop at once"
 * (which would kill this process). */
static void test_a_second_interrupt_waits_for_the_child_to_end(void **state)
{
    (void)state;
    interrupt_install();
    interrupt_note(0);
    run_result *res = shell("trap '' TERM; kill -INT $PPID; sleep 0.1; kill -TERM $PPID; sleep 30",
                            (capture_request){.stop_on_interrupt = true, .kill_grace_ms = 500});
    assert_int_equal(res->outcome, RUN_CANCELLED);
    assert_true(interrupt_pending() != 0);
    run_result_free(res);
    interrupt_note(0);
}

static void test_a_probe_runs_on_through_an_interrupt(void **state)
{
    (void)state;
    interrupt_install();
    interrupt_note(0);
    run_result *res = shell("kill -INT $PPID; sleep 0.2; echo done", (capture_request){0});
    assert_int_equal(res->outcome, RUN_EXITED);
    assert_string_equal(res->out, "done\n");
    assert_int_equal(interrupt_pending(), SIGINT);
    run_result_free(res);
    interrupt_note(0);
}

static void test_children_started_together_are_waited_for_apart(void **state)
{
    (void)state;
    char *first[] = {"/bin/sh", "-c", "sleep 0.3; echo first", NULL};
    char *second[] = {"/bin/sh", "-c", "echo second", NULL};
    uint64_t t0 = now_ms();
    capture *a = capture_start(&(capture_request){.argv = first, .cap = 100});
    capture *b = capture_start(&(capture_request){.argv = second, .cap = 100});
    run_result *ra = capture_wait(a), *rb = capture_wait(b);
    assert_string_equal(ra->out, "first\n");
    assert_string_equal(rb->out, "second\n");
    assert_true(now_ms() - t0 < 3000);
    run_result_free(ra);
    run_result_free(rb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exit_status_and_both_streams_are_kept),
        cmocka_unit_test(test_merged_streams_keep_the_order_written),
        cmocka_unit_test(test_a_signal_is_told_with_its_number),
        cmocka_unit_test(test_cwd_is_the_childs),
        cmocka_unit_test(test_timeout_kills_the_child_and_what_it_started),
        cmocka_unit_test(test_a_child_ignoring_sigterm_is_killed_after_the_grace),
        cmocka_unit_test(test_the_exit_ends_the_wait_while_a_child_holds_the_pipes),
        cmocka_unit_test(test_output_past_the_cap_kills_the_child_and_keeps_the_cap),
        cmocka_unit_test(test_a_missing_executable_says_what_could_not_start),
        cmocka_unit_test(test_an_interrupt_cancels_a_child_that_stops_on_it),
        cmocka_unit_test(test_a_second_interrupt_waits_for_the_child_to_end),
        cmocka_unit_test(test_a_probe_runs_on_through_an_interrupt),
        cmocka_unit_test(test_children_started_together_are_waited_for_apart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
