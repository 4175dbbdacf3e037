/* `tmgt bisect --parallel N`: a round tests N candidates at once. Their checkouts are written
 * one after another (libgit2, in this process); then every build the round needs runs at once,
 * then the checks of every built candidate, each a `tmgt check` process of its own — both
 * through the runner (proc/runner.h), so a batch-system runner puts each on a node of its own. */
#ifndef TMGT_BISECT_ROUND_H
#define TMGT_BISECT_ROUND_H

#include "bisect_step.h"

/* Tests range->commits[picks[i]] for i < n and records their steps, newest candidate first (so
 * the oldest bad one ends up the range's tip). Returns -1 to go on, EXIT_INTERRUPTED (nothing
 * of the round recorded) or EXIT_ENV. */
int bisect_round(bisect_ctx *c, const bisect_range *range, const size_t *picks, size_t n);

#endif
