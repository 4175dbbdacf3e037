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

static bool is_chosen(const size_t *chosen, size_t n_chosen, size_t k)
{
    for (size_t i = 0; i < n_chosen; i++)
        if (chosen[i] == k)
            return true;
    return false;
}

pick_outcome bisect_pick_many(const bisect_node *nodes, size_t n, size_t bad, size_t want, size_t *chosen,
                              size_t *n_chosen)
{
    size_t words = (n + 63) / 64;
    uint64_t *reach = reachable_sets(nodes, n, words);
    size_t *weight = xcalloc(n + 1, sizeof *weight);
    for (size_t k = 0; k < n; k++)
        for (size_t w = 0; w < words; w++)
            weight[k] += (size_t)__builtin_popcountll(reach[k * words + w]);
    free(reach);
    *n_chosen = 0;
    /* distance to the j-th target, scaled by want + 1 to stay in integers: |w·(want+1) − j·n| */
    for (size_t j = 1; j <= want; j++) {
        bool found = false;
        size_t best = 0, best_distance = 0;
        for (size_t k = n; k-- > 0;) {
            if (k == bad || nodes[k].skipped || is_chosen(chosen, *n_chosen, k))
                continue;
            size_t scaled = weight[k] * (want + 1), target = j * n;
            size_t distance = scaled > target ? scaled - target : target - scaled;
            if (!found || distance < best_distance) {
                found = true;
                best = k;
                best_distance = distance;
            }
        }
        if (!found)
            break;
        chosen[(*n_chosen)++] = best;
    }
    free(weight);
    if (*n_chosen)
        return PICK_TEST;
    return n == 1 ? PICK_FOUND : PICK_ONLY_SKIPPED;
}

pick_outcome bisect_pick(const bisect_node *nodes, size_t n, size_t bad, size_t *chosen)
{
    size_t n_chosen = 0;
    return bisect_pick_many(nodes, n, bad, 1, chosen, &n_chosen);
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
