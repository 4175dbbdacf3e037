/* The action graph: who waits on whom, and the lookups the planner merges identical work by. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"

static void test_an_input_from_a_producer_makes_its_consumer_wait(void **state)
{
    graph g;
    graph_init(&g);
    action *conv = graph_add_action(&g, "produce|m/int8.apr", "apr import → m/int8.apr");
    artifact *out = graph_add_artifact(&g, "m", "int8.apr", "/models/m/int8.apr");
    out->producer = conv;
    conv->output = out;
    artifact *src = graph_add_artifact(&g, "m", "@source", "/src/m");
    action *run1 = graph_add_action(&g, "query|run|m|int8.apr|code", "apr run m/int8.apr code");
    action *run2 = graph_add_action(&g, "query|run|m|int8.apr|greeting", "apr run m/int8.apr greeting");
    graph_add_input(conv, "src", src);
    graph_add_input(run1, "model", out);
    graph_add_input(run2, "model", out);
    assert_int_equal(conv->waiting_on, 0); /* a source has no producer to wait for */
    assert_int_equal(run1->waiting_on, 1);
    assert_int_equal(conv->n_dependents, 2);
    assert_ptr_equal(conv->dependents[0], run1);
    assert_ptr_equal(conv->dependents[1], run2);
    assert_string_equal(run1->in_names[0], "model");
    assert_ptr_equal(run1->inputs[0], out);
    assert_int_equal(run2->index, 2);
    graph_free(&g);
}

static void test_actions_and_artifacts_are_found_by_identity(void **state)
{
    graph g;
    graph_init(&g);
    action *a = graph_add_action(&g, "query|run|m|int8.apr|code", "label");
    artifact *t = graph_add_artifact(&g, "m", "int4.apr", "/p");
    assert_ptr_equal(graph_find_action(&g, "query|run|m|int8.apr|code"), a);
    assert_null(graph_find_action(&g, "query|run|m|int8.apr|greeting"));
    assert_ptr_equal(graph_find_artifact(&g, "m/int4.apr"), t);
    assert_string_equal(t->id, "m/int4.apr");
    assert_null(graph_find_artifact(&g, "other/int4.apr"));
    graph_free(&g);
}

static void test_releasing_streams_frees_them_and_keeps_the_rest(void **state)
{
    graph g;
    graph_init(&g);
    action *a = graph_add_action(&g, "d", "l");
    a->out = strdup("{\"tokens\": [1]}");
    a->out_len = strlen(a->out);
    a->err = strdup("warning");
    a->err_len = 7;
    a->exit_code = 3;
    graph_release_streams(&g);
    assert_null(a->out);
    assert_null(a->err);
    assert_int_equal(a->exit_code, 3);
    graph_free(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_an_input_from_a_producer_makes_its_consumer_wait),
        cmocka_unit_test(test_actions_and_artifacts_are_found_by_identity),
        cmocka_unit_test(test_releasing_streams_frees_them_and_keeps_the_rest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
