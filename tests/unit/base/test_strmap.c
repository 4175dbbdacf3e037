/* The string map (base/strmap.c): lookups, replacement, and the walk its owners free and write
 * their entries by. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "strmap.h"

enum { N_KEYS = 300 }; /* past the first table size, so the walk sees a grown table */

static void test_a_walk_visits_every_entry_once_with_its_value(void **state)
{
    strmap m;
    strmap_init(&m);
    static int values[N_KEYS];
    char key[16];
    for (int i = 0; i < N_KEYS; i++) {
        values[i] = i;
        snprintf(key, sizeof key, "k%d", i);
        assert_null(strmap_put(&m, key, &values[i]));
    }
    assert_ptr_equal(strmap_put(&m, "k7", &values[7]), &values[7]);
    assert_ptr_equal(strmap_get(&m, "k299"), &values[299]);
    assert_null(strmap_get(&m, "k300"));

    int seen[N_KEYS] = {0};
    size_t walked = 0;
    const char *k;
    void *v;
    for (size_t pos = 0; strmap_next(&m, &pos, &k, &v); walked++) {
        int i = *(int *)v;
        snprintf(key, sizeof key, "k%d", i);
        assert_string_equal(k, key);
        seen[i]++;
    }
    assert_int_equal(walked, N_KEYS);
    for (int i = 0; i < N_KEYS; i++)
        assert_int_equal(seen[i], 1);
    strmap_free(&m);
}

static void test_an_empty_map_walks_nothing(void **state)
{
    strmap m;
    strmap_init(&m);
    const char *k;
    void *v;
    size_t pos = 0;
    assert_false(strmap_next(&m, &pos, &k, &v));
    strmap_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_walk_visits_every_entry_once_with_its_value),
        cmocka_unit_test(test_an_empty_map_walks_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
