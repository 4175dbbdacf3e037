#include "bisect_pick.h"

#include <stdint.h>
#include <stdlib.h>

#include "util.h"

/* reach[i] is the set of candidates reachable from i (itself included), one bit each; parents
 * come first, so each set is its own bit plus its parents' sets. */
static uint64_t *reachable_sets(const bisect_node *nodes, size_t n, size_t words)
{
    uint64_t *reach = xcalloc(n * words, sizeof *reach);
    for (size_t i = 0; i < n; i++) {
        uint64_t *r = reach + i * words;
        r[i / 64] |= UINT64_C(1) << (i % 64);
        for (size_t p = 0; p < nodes[i].n_parents; p++) {
            const uint64_t *pr = reach + nodes[i].parents[p] * words;
            for (size_t w = 0; w < words; w++)
                r[w] |= pr[w];
        }
    }
    return reach;
}

pick_outcome bisect_pick(const bisect_node *nodes, size_t n, size_t bad, size_t *chosen)
{
    size_t words = (n + 63) / 64;
    uint64_t *reach = reachable_sets(nodes, n, words);
    bool found = false;
    size_t best_score = 0;
    for (size_t k = n; k-- > 0;) {
        if (k == bad || nodes[k].skipped)
            continue;
        size_t weight = 0;
        for (size_t w = 0; w < words; w++)
            weight += (size_t)__builtin_popcountll(reach[k * words + w]);
        size_t score = weight < n - weight ? weight : n - weight;
        if (!found || score > best_score) {
            found = true;
            best_score = score;
            *chosen = k;
        }
    }
    free(reach);
    if (found)
        return PICK_TEST;
    return n == 1 ? PICK_FOUND : PICK_ONLY_SKIPPED;
}

unsigned bisect_steps_estimate(size_t n)
{
    unsigned steps = 0;
    while (n > 1) {
        n = (n + 1) / 2;
        steps++;
    }
    return steps;
}
