/* The executor's scheduling through a fake runner: what ran, in which order, how many at once,
 * what was cached, what was skipped and why. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "exec_world.h"
#include "exit_code.h"

#define SCRIPT(...)                                         \
    ((fake_script){.jobs = (const fake_job[]){__VA_ARGS__}, \
                   .n_jobs = sizeof(const fake_job[]){__VA_ARGS__} / sizeof(fake_job)})

static void test_no_more_than_the_job_slots_run_at_once(void **state)
{
    exec_world w;
    world_init(&w);
    const pipeline_step *q = world_step(&w, "query", false, false);
    const char *names[] = {"a", "b", "c", "d", "e"};
    for (size_t i = 0; i < 5; i++)
        world_action(&w, names[i], q);
    fake_script s =
        SCRIPT({.name = "a", .delay_ms = 20}, {.name = "b", .delay_ms = 20}, {.name = "c", .delay_ms = 20},
               {.name = "d", .delay_ms = 20}, {.name = "e", .delay_ms = 20});
    exec_stats st;
    assert_int_equal(world_run(&w, &s, 2, &st), EXIT_OK);
    assert_int_equal(s.n_started, 5);
    assert_int_equal(s.max_running, 2);
    assert_int_equal(st.executed, 5);
    assert_int_equal(st.failed, 0);
    world_free(&w);
}

static void test_a_consumer_starts_after_its_producer_and_reads_its_output(void **state)
{
    exec_world w;
    world_init(&w);
    action *conv = world_action(&w, "convert", world_step(&w, "convert", true, false));
    action *run = world_action(&w, "run", world_step(&w, "run", false, false));
    world_input(run, conv);
    fake_script s = SCRIPT({.name = "run"}, {.name = "convert", .writes_output = true, .delay_ms = 10});
    exec_stats st;
    assert_int_equal(world_run(&w, &s, 4, &st), EXIT_OK);
    assert_int_equal(fake_started_at(&s, "convert"), 0);
    assert_int_equal(fake_started_at(&s, "run"), 1);
    assert_int_equal(conv->status, ST_OK);
    assert_true(conv->output->have_digest);
    assert_int_equal(run->status, ST_OK);
    world_free(&w);
}

static void test_a_failed_producers_dependents_are_skipped_transitively(void **state)
{
    exec_world w;
    world_init(&w);
    const pipeline_step *conv = world_step(&w, "convert", true, false);
    action *first = world_action(&w, "first", conv);
    action *second = world_action(&w, "second", conv);
    action *query = world_action(&w, "query", world_step(&w, "query", false, false));
    action *other = world_action(&w, "other", world_step(&w, "other", false, false));
    world_input(second, first);
    world_input(query, second);
    fake_script s = SCRIPT({.name = "first", .exit_code = 1}, {.name = "second", .writes_output = true},
                           {.name = "query"}, {.name = "other"});
    exec_stats st;
    assert_int_equal(world_run(&w, &s, 2, &st), EXIT_OK);
    assert_int_equal(first->status, ST_EXIT);
    assert_int_equal(second->status, ST_SKIPPED);
    assert_int_equal(query->status, ST_SKIPPED);
    assert_non_null(strstr(second->reason, "input m/first.out not produced: first exit"));
    assert_int_equal(fake_started_at(&s, "second"), -1);
    assert_int_equal(fake_started_at(&s, "query"), -1);
    assert_int_equal(other->status, ST_OK); /* unrelated work goes on */
    assert_int_equal(st.skipped, 2);
    assert_int_equal(st.failed, 1);
    world_free(&w);
}

static void test_an_exclusive_action_runs_alone_after_the_rest(void **state)
{
    exec_world w;
    world_init(&w);
    const pipeline_step *q = world_step(&w, "query", false, false);
    world_action(&w, "timing", world_step(&w, "bench", false, true));
    world_action(&w, "a", q);
    world_action(&w, "b", q);
    world_action(&w, "c", q);
    fake_script s = SCRIPT({.name = "timing", .delay_ms = 20}, {.name = "a", .delay_ms = 20},
                           {.name = "b", .delay_ms = 20}, {.name = "c", .delay_ms = 20});
    exec_stats st;
    assert_int_equal(world_run(&w, &s, 4, &st), EXIT_OK);
    int at = fake_started_at(&s, "timing");
    assert_int_equal(at, 3); /* queued first, started last: nothing else was left */
    assert_int_equal(s.overlap[at], 0);
    assert_int_equal(s.max_running, 3);
    world_free(&w);
}

/* Exits are measurements and are cached; a timeout says nothing about the model and is not. */
static void test_exits_are_cached_timeouts_and_missing_outputs_run_again(void **state)
{
    exec_world w;
    world_init(&w);
    fake_script s = SCRIPT({.name = "ok", .out = "{\"tokens\": [1]}"}, {.name = "fails", .exit_code = 3},
                           {.name = "slow", .outcome = RUN_TIMED_OUT}, {.name = "forgets", .exit_code = 0});
    for (int round = 0; round < 2; round++) {
        const pipeline_step *q = world_step(&w, "query", false, false);
        action *ok = world_action(&w, "ok", q);
        action *fails = world_action(&w, "fails", q);
        action *slow = world_action(&w, "slow", q);
        action *forgets = world_action(&w, "forgets", world_step(&w, "convert", true, false));
        s.n_started = 0;
        exec_stats st;
        assert_int_equal(world_run(&w, &s, 2, &st), EXIT_OK);
        assert_int_equal(slow->status, ST_TIMEOUT);
        assert_string_equal(slow->reason, "timed out after 1 s (not cached)");
        assert_int_equal(forgets->status, ST_OUTPUT_MISSING);
        assert_int_equal(fails->status, ST_EXIT);
        assert_int_equal(fails->exit_code, 3);
        assert_string_equal(ok->out, "{\"tokens\": [1]}");
        if (round == 0) {
            assert_int_equal(s.n_started, 4);
            assert_int_equal(st.cached, 0);
        } else {
            assert_true(ok->cached && fails->cached);
            assert_false(slow->cached || forgets->cached);
            assert_int_equal(s.n_started, 2);
            assert_int_equal(fake_started_at(&s, "ok"), -1);
            assert_int_equal(fake_started_at(&s, "fails"), -1);
            assert_int_equal(st.cached, 2);
        }
        world_reset_graph(&w);
    }
    world_free(&w);
}

/* With one slot: steps not seen finishing go first (in arrival order), then the longest
 * expected — the mean wall time of the step's finished actions in this run. */
static void test_ready_actions_start_longest_expected_first(void **state)
{
    exec_world w;
    world_init(&w);
    const pipeline_step *slow = world_step(&w, "slow", true, false);
    const pipeline_step *fast = world_step(&w, "fast", true, false);
    const pipeline_step *later_fast = world_step(&w, "fast", false, false);
    const pipeline_step *later_slow = world_step(&w, "slow", false, false);
    action *s1 = world_action(&w, "s1", slow);
    action *f1 = world_action(&w, "f1", fast);
    action *gate = world_action(&w, "gate", world_step(&w, "gate", true, false));
    world_input(gate, s1);
    world_input(gate, f1);
    action *f2 = world_action(&w, "f2", later_fast); /* released first, started second */
    action *s2 = world_action(&w, "s2", later_slow);
    world_input(f2, gate);
    world_input(s2, gate);
    fake_script s = SCRIPT({.name = "s1", .wall_ms = 900, .writes_output = true},
                           {.name = "f1", .wall_ms = 10, .writes_output = true},
                           {.name = "gate", .wall_ms = 1, .writes_output = true},
                           {.name = "f2", .wall_ms = 10}, {.name = "s2", .wall_ms = 900});
    exec_stats st;
    assert_int_equal(world_run(&w, &s, 1, &st), EXIT_OK);
    assert_int_equal(s.n_started, 5);
    const char *order[] = {"s1", "f1", "gate", "s2", "f2"};
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(s.started[i], order[i]);
    world_free(&w);
}

/* A progress that checks, as each action is reported finished, that its result is in the cache:
 * what the user saw finish must survive a kill -9 right after. */
typedef struct {
    exec_progress base;
    cache *c;
    size_t finished, stored;
} storage_probe;

static void probe_finished(exec_progress *p, const action *a, size_t done, size_t total)
{
    storage_probe *probe = (storage_probe *)p;
    probe->finished++;
    cJSON *rec = cache_get_record(probe->c, &a->key);
    probe->stored += rec != NULL;
    cJSON_Delete(rec);
}

static void probe_quiet(exec_progress *p) {}
static void probe_action(exec_progress *p, const action *a) {}
static void probe_retrying(exec_progress *p, const action *a, const char *why) {}
static void probe_stopping(exec_progress *p, int signum, size_t running) {}

static void test_an_action_is_reported_finished_once_its_result_is_stored(void **state)
{
    exec_world w;
    world_init(&w);
    action *conv = world_action(&w, "convert", world_step(&w, "convert", true, false));
    const pipeline_step *q = world_step(&w, "query", false, false);
    world_input(world_action(&w, "leaf1", q), conv);
    world_input(world_action(&w, "leaf2", q), conv);
    world_action(&w, "leaf3", q);
    fake_script s = SCRIPT({.name = "convert", .writes_output = true}, {.name = "leaf1"}, {.name = "leaf2"},
                           {.name = "leaf3"});
    storage_probe probe = {
        .base = {.starting = probe_action,
                 .finished = probe_finished,
                 .retrying = probe_retrying,
                 .stopping = probe_stopping,
                 .ended = probe_quiet},
        .c = w.c,
    };
    exec_opts o = {.jobs = 2,
                   .read_cache = true,
                   .output_limit = 1u << 20,
                   .new_runner = fake_runner_new,
                   .runner_ctx = &s,
                   .progress = &probe.base};
    exec_stats st;
    assert_int_equal(exec_run(&w.g, w.c, &o, &st), EXIT_OK);
    assert_int_equal(probe.finished, 4);
    assert_int_equal(probe.stored, 4);
    world_free(&w);
}

/* What exec_opts.finished is told: each action once, with its final status, after the slot it freed
 * was given to the next action. */
typedef struct {
    fake_script *script;
    const action *told[8];
    action_status status[8];
    size_t started_then[8]; /* engine calls started when each was told */
    size_t n;
} finish_log;

static void log_finished(void *ctx, const action *a)
{
    finish_log *l = ctx;
    assert_true(a->finished);
    assert_true(l->n < 8);
    l->told[l->n] = a;
    l->status[l->n] = a->status;
    l->started_then[l->n++] = l->script->n_started;
}

static void test_each_finished_action_is_told_once_after_the_slots_are_refilled(void **state)
{
    exec_world w;
    world_init(&w);
    action *conv = world_action(&w, "convert", world_step(&w, "convert", true, false));
    const pipeline_step *q = world_step(&w, "query", false, false);
    action *reader = world_action(&w, "reader", q);
    world_input(reader, conv);
    action *first = world_action(&w, "first", q);
    action *second = world_action(&w, "second", q);
    fake_script s = SCRIPT({.name = "convert", .exit_code = 1, .delay_ms = 5},
                           {.name = "first", .delay_ms = 5}, {.name = "second", .delay_ms = 5});
    finish_log log = {.script = &s};
    exec_opts o = {.jobs = 1,
                   .read_cache = true,
                   .output_limit = 1u << 20,
                   .new_runner = fake_runner_new,
                   .runner_ctx = &s,
                   .finished = log_finished,
                   .finished_ctx = &log};
    exec_stats st;
    assert_int_equal(exec_run(&w.g, w.c, &o, &st), EXIT_OK);
    assert_int_equal(s.n_started, 3);
    assert_int_equal(log.n, 4);
    const action *order[] = {conv, reader, first, second};
    action_status status[] = {ST_EXIT, ST_SKIPPED, ST_OK, ST_OK};
    size_t started[] = {2, 2, 3, 3}; /* one slot: the next call already runs when one is told */
    for (size_t i = 0; i < 4; i++) {
        assert_ptr_equal(log.told[i], order[i]);
        assert_int_equal(log.status[i], status[i]);
        assert_int_equal(log.started_then[i], started[i]);
    }
    world_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_more_than_the_job_slots_run_at_once),
        cmocka_unit_test(test_a_consumer_starts_after_its_producer_and_reads_its_output),
        cmocka_unit_test(test_a_failed_producers_dependents_are_skipped_transitively),
        cmocka_unit_test(test_an_exclusive_action_runs_alone_after_the_rest),
        cmocka_unit_test(test_exits_are_cached_timeouts_and_missing_outputs_run_again),
        cmocka_unit_test(test_ready_actions_start_longest_expected_first),
        cmocka_unit_test(test_an_action_is_reported_finished_once_its_result_is_stored),
        cmocka_unit_test(test_each_finished_action_is_told_once_after_the_slots_are_refilled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
