#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "checksum.h"

enum { N = 4099 }; /* not a multiple of the 32-byte block or the 8-byte word */

static unsigned char *sample(void)
{
    unsigned char *p = malloc(N + 8);
    for (size_t i = 0; i < N + 8; i++)
        p[i] = (unsigned char)(i * 131 + 7);
    return p;
}

/* The memo's guarantee: any single flipped bit, wherever it lands (block, word or tail), is seen. */
static void test_every_single_bit_flip_changes_the_checksum(void **state)
{
    (void)state;
    unsigned char *p = sample();
    uint64_t clean = checksum64(p, N);
    for (size_t i = 0; i < N; i++)
        for (int b = 0; b < 8; b++) {
            p[i] ^= (unsigned char)(1u << b);
            assert_true(checksum64(p, N) != clean);
            p[i] ^= (unsigned char)(1u << b);
        }
    assert_true(checksum64(p, N) == clean);
    free(p);
}

static void test_length_counts_even_for_trailing_zeros(void **state)
{
    (void)state;
    unsigned char zeros[64] = {0};
    for (size_t n = 0; n < sizeof zeros; n++)
        assert_true(checksum64(zeros, n) != checksum64(zeros, n + 1));
}

static void test_the_same_bytes_at_another_alignment_give_the_same_checksum(void **state)
{
    (void)state;
    unsigned char *p = sample();
    unsigned char *q = malloc(N + 8);
    memcpy(q + 3, p, N);
    assert_true(checksum64(p, N) == checksum64(q + 3, N));
    free(p);
    free(q);
}

/* The published XXH3-64 values (seed 0): what a memo holds is the library's function, so a
 * memo written by another build of tmgt reads the same. */
static void test_it_is_xxh3(void **state)
{
    (void)state;
    assert_true(checksum64("", 0) == 0x2d06800538d394c2ull);
    assert_true(checksum64("abc", 3) == 0x78af5f94892f3950ull);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_it_is_xxh3),
        cmocka_unit_test(test_every_single_bit_flip_changes_the_checksum),
        cmocka_unit_test(test_length_counts_even_for_trailing_zeros),
        cmocka_unit_test(test_the_same_bytes_at_another_alignment_give_the_same_checksum),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
