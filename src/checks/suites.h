/* Every check suite of the original harness as a table entry (check.h's suite_def): which
 * engine queries its checks need (expand), and how it judges their outputs (evaluate). Suites
 * never spawn anything: the planner turns queries into actions, the executor runs them once,
 * evaluators read outputs. This is the registry alone; the suites are suite_*.c. */
#ifndef TMGT_SUITES_H
#define TMGT_SUITES_H

#include <stddef.h>

#include "check.h"

/* In the original harness's order (docs/DESIGN.md, "The original harness"). */
const suite_def *const *suites_all(size_t *n);
/* The suite whose --check name is `key` (selection.h matches what users type). */
const suite_def *suite_find(const char *key);

#endif
