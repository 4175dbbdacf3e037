/* The bisection loop: pick a candidate, check its tree out, build it, run the selected checks
 * with the built binary playing the engine, classify like `git bisect run`, narrow, repeat. */
#ifndef TMGT_BISECT_H
#define TMGT_BISECT_H

#include "bisect_state.h"
#include "session.h"

typedef struct {
    bool found; /* first_bad is the answer */
    bisect_commit first_bad;
    bisect_commit *could_be; /* skips left it ambiguous: any of these (the bad one last) */
    size_t n_could_be;
} bisect_end;

/* Runs until the answer is known (0), the user interrupts (EXIT_INTERRUPTED; the state keeps
 * every finished step), or the repository or cache fails (EXIT_ENV, message printed). `o`
 * supplies -j, -v, -q and --cache-dir; everything else comes from the state. */
int bisect_run(const session_opts *o, bisect_state *st, bisect_end *end);
void bisect_end_free(bisect_end *end);

#endif
