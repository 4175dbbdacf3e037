/* git's best-bisection rule: which candidate is tested next, and when the search ends. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>

#include "bisect_pick.h"

/* A linear history of n candidates: node i's parent is node i-1; the bad tip is n-1. */
static bisect_node *chain(size_t n, size_t *storage)
{
    bisect_node *nodes = calloc(n, sizeof *nodes);
    for (size_t i = 1; i < n; i++) {
        storage[i] = i - 1;
        nodes[i].parents = &storage[i];
        nodes[i].n_parents = 1;
    }
    return nodes;
}

static void test_linear_history_is_halved(void **state)
{
    (void)state;
    size_t parents[63], chosen = 0;
    bisect_node *nodes = chain(63, parents);
    assert_int_equal(bisect_pick(nodes, 63, 62, &chosen), PICK_TEST);
    /* 32 of 63 reachable from node 31, 31 from node 30: git prefers the newer of the two */
    assert_int_equal(chosen, 31);
    free(nodes);
}

static void test_skipped_candidate_gives_way_to_a_neighbour(void **state)
{
    (void)state;
    size_t parents[63], chosen = 0;
    bisect_node *nodes = chain(63, parents);
    nodes[31].skipped = true;
    assert_int_equal(bisect_pick(nodes, 63, 62, &chosen), PICK_TEST);
    assert_int_equal(chosen, 30);
    free(nodes);
}

static void test_end_of_search(void **state)
{
    (void)state;
    size_t parents[3], chosen = 99;
    bisect_node *nodes = chain(3, parents);
    assert_int_equal(bisect_pick(nodes, 1, 0, &chosen), PICK_FOUND);
    nodes[0].skipped = nodes[1].skipped = true;
    assert_int_equal(bisect_pick(nodes, 3, 2, &chosen), PICK_ONLY_SKIPPED);
    assert_int_equal(chosen, 99);
    free(nodes);
}

/* Two branches of 3 commits each merged into the bad tip (node 6): from each branch tip 3
 * candidates are reachable, from the merge all 7. The newer branch tip is the best split. */
static void test_merge_counts_reachable_candidates(void **state)
{
    (void)state;
    size_t p[] = {0, 1, 3, 4, 2, 5};
    bisect_node nodes[7] = {{0}};
    nodes[1] = (bisect_node){&p[0], 1, false};
    nodes[2] = (bisect_node){&p[1], 1, false};
    nodes[4] = (bisect_node){&p[2], 1, false};
    nodes[5] = (bisect_node){&p[3], 1, false};
    nodes[6] = (bisect_node){&p[4], 2, false};
    size_t chosen = 0;
    assert_int_equal(bisect_pick(nodes, 7, 6, &chosen), PICK_TEST);
    assert_int_equal(chosen, 5);
}

static void test_n_candidates_split_the_range_into_n_plus_1_parts(void **state)
{
    (void)state;
    size_t parents[64], chosen[3] = {0}, n_chosen = 0;
    bisect_node *nodes = chain(64, parents);
    /* 64 candidates, the bad tip among them: from node k, k+1 are reachable; targets 16, 32, 48 */
    assert_int_equal(bisect_pick_many(nodes, 64, 63, 3, chosen, &n_chosen), PICK_TEST);
    assert_int_equal(n_chosen, 3);
    assert_int_equal(chosen[0], 15);
    assert_int_equal(chosen[1], 31);
    assert_int_equal(chosen[2], 47);
    /* one at a time is the serial choice */
    size_t serial = 0;
    for (size_t n = 2; n < 64; n++) {
        bisect_pick(nodes, n, n - 1, &serial);
        assert_int_equal(bisect_pick_many(nodes, n, n - 1, 1, chosen, &n_chosen), PICK_TEST);
        assert_int_equal(chosen[0], serial);
    }
    /* a skipped candidate gives way to its newer neighbour, and a chosen one is not chosen twice */
    nodes[31].skipped = true;
    assert_int_equal(bisect_pick_many(nodes, 64, 63, 3, chosen, &n_chosen), PICK_TEST);
    assert_int_equal(chosen[1], 32);
    free(nodes);
}

static void test_fewer_candidates_than_wanted_are_all_taken(void **state)
{
    (void)state;
    size_t parents[4], chosen[4] = {0}, n_chosen = 0;
    bisect_node *nodes = chain(4, parents);
    nodes[1].skipped = true;
    assert_int_equal(bisect_pick_many(nodes, 4, 3, 4, chosen, &n_chosen), PICK_TEST);
    assert_int_equal(n_chosen, 2);
    assert_true((chosen[0] == 0 && chosen[1] == 2) || (chosen[0] == 2 && chosen[1] == 0));
    nodes[0].skipped = nodes[2].skipped = true;
    assert_int_equal(bisect_pick_many(nodes, 4, 3, 4, chosen, &n_chosen), PICK_ONLY_SKIPPED);
    assert_int_equal(n_chosen, 0);
    free(nodes);
}

static void test_steps_estimate(void **state)
{
    (void)state;
    assert_int_equal(bisect_steps_estimate(1), 0);
    assert_int_equal(bisect_steps_estimate(2), 1);
    assert_int_equal(bisect_steps_estimate(63), 6);
    assert_int_equal(bisect_steps_estimate(64), 6);
    assert_int_equal(bisect_steps_estimate(65), 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linear_history_is_halved),
        cmocka_unit_test(test_skipped_candidate_gives_way_to_a_neighbour),
        cmocka_unit_test(test_end_of_search),
        cmocka_unit_test(test_merge_counts_reachable_candidates),
        cmocka_unit_test(test_n_candidates_split_the_range_into_n_plus_1_parts),
        cmocka_unit_test(test_fewer_candidates_than_wanted_are_all_taken),
        cmocka_unit_test(test_steps_estimate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
