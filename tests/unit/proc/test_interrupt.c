/* Ctrl-C and SIGTERM on a loop and around it: who is told, and what handles the next one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdbool.h>

#include "interrupt.h"

typedef struct {
    int calls, last;
} told;

static void note(void *ctx, int signum)
{
    told *t = ctx;
    t->calls++;
    t->last = signum;
}

static void ignore_timer(uv_timer_t *t)
{
    (void)t;
}

/* Watchers that keep no loop alive: a timer does, as a running child's pipes would. */
static void run_loop_until_told(uv_loop_t *loop, const told *t)
{
    uv_timer_t keep_alive;
    uv_timer_init(loop, &keep_alive);
    uv_timer_start(&keep_alive, ignore_timer, 5000, 0);
    while (!t->calls && uv_run(loop, UV_RUN_ONCE))
        ;
    uv_close((uv_handle_t *)&keep_alive, NULL);
    uv_run(loop, UV_RUN_NOWAIT); /* the close completes while the timer is still in scope */
}

/* A loop watched from its start, with `pending` already received (0: none). */
typedef struct {
    uv_loop_t loop;
    interrupt_watch w;
    told t;
} watched_loop;

static void watch_loop(watched_loop *l, bool keep_alive, int pending)
{
    interrupt_install();
    interrupt_note(pending);
    uv_loop_init(&l->loop);
    l->t = (told){0};
    interrupt_watch_start(&l->w, &l->loop, keep_alive, note, &l->t);
}

static void unwatch_loop(watched_loop *l)
{
    interrupt_watch_stop(&l->w);
    uv_run(&l->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&l->loop), 0);
    interrupt_note(0);
}

static void test_a_signal_on_the_loop_is_told_and_remembered(void **state)
{
    (void)state;
    watched_loop l;
    watch_loop(&l, false, 0);
    assert_int_equal(l.t.calls, 0);
    assert_int_equal(uv_run(&l.loop, UV_RUN_NOWAIT), 0); /* nothing keeps the loop alive */
    raise(SIGTERM);
    run_loop_until_told(&l.loop, &l.t);
    assert_int_equal(l.t.calls, 1);
    assert_int_equal(l.t.last, SIGTERM);
    assert_int_equal(interrupt_pending(), SIGTERM);
    unwatch_loop(&l);
    /* The remembering handler is back: a signal now is noted, not the default (death). */
    raise(SIGINT);
    assert_int_equal(interrupt_pending(), SIGINT);
    interrupt_note(0);
}

static void test_a_signal_before_the_loop_is_told_at_once(void **state)
{
    (void)state;
    watched_loop l;
    watch_loop(&l, true, SIGINT);
    assert_int_equal(l.t.calls, 1);
    assert_int_equal(l.t.last, SIGINT);
    /* The watchers keep the loop alive: an executor's uv_run still waits for a child's exit. */
    assert_int_not_equal(uv_run(&l.loop, UV_RUN_NOWAIT), 0);
    unwatch_loop(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_signal_on_the_loop_is_told_and_remembered),
        cmocka_unit_test(test_a_signal_before_the_loop_is_told_at_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
