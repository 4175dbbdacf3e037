/* git's best-bisection rule on a candidate graph, with no I/O so it can be tested alone. The
 * candidates are the commits reachable from the bad commit and from no good one; testing the
 * candidate from which about half of them are reachable halves the range whatever it says. */
#ifndef TMGT_BISECT_PICK_H
#define TMGT_BISECT_PICK_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    size_t *parents; /* indices of the parents that are candidates too */
    size_t n_parents;
    bool skipped; /* tested and could not be judged: never picked again */
} bisect_node;

typedef enum {
    PICK_TEST,         /* test nodes[*chosen] */
    PICK_FOUND,        /* only the bad commit is left: it is the first bad one */
    PICK_ONLY_SKIPPED, /* every candidate but the bad one was skipped: the answer is a range */
} pick_outcome;

/* `nodes` are in an order where parents come before their children; `bad` is the tip. Among
 * equally good choices the newest (latest in the order) wins, as in git. */
pick_outcome bisect_pick(const bisect_node *nodes, size_t n, size_t bad, size_t *chosen);

/* Up to `want` distinct candidates that split the range into want + 1 parts of about equal
 * size: the j-th is the one from which about j·n/(want+1) candidates are reachable (newest on a
 * tie, candidates already chosen aside). With want = 1 that is bisect_pick's choice. *n_chosen
 * gets how many (fewer when fewer are left); chosen[] is in the order of the targets. */
pick_outcome bisect_pick_many(const bisect_node *nodes, size_t n, size_t bad, size_t want, size_t *chosen,
                              size_t *n_chosen);

/* About how many more tests a range of `n` candidates needs (git's estimate). */
unsigned bisect_steps_estimate(size_t n);

#endif
