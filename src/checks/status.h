/* The two statuses every layer from here up reads: what an engine invocation came to (the
 * executor records it on its action, a suite judges it as a query's output) and what a check
 * concluded (the results document names it, every report reads it back). How a child process
 * ended is the runner's (`run_outcome`, proc/runner.h); what tmgt exits with, base/exit_code.h's. */
#ifndef TMGT_STATUS_H
#define TMGT_STATUS_H

#include <stdbool.h>

typedef enum {
    ST_NONE, /* not finished */
    ST_OK,   /* exit 0 (and its output present) */
    ST_EXIT, /* exited non-zero: a measurement, cached */
    ST_TIMEOUT,
    ST_SIGNAL,
    ST_SPAWN_ERROR,
    ST_OUTPUT_LIMIT,
    ST_OUTPUT_MISSING,   /* exit 0 but the declared output is absent or empty */
    ST_OUTPUT_MALFORMED, /* exit 0 but the output is not of the format its name declares */
    ST_SKIPPED,          /* an input could not be produced */
    ST_UNAVAILABLE,      /* engine missing, source missing, no recipe */
    ST_INTERRUPTED,
    ST_CACHE_ERROR,    /* could not publish to the cache (disk full, …) */
    ST_ENGINE_CHANGED, /* the engine binary was replaced while the action ran: not cached */
} action_status;

/* "output-missing": the word the results document and the progress line use; "unknown" for a
 * value outside the enum. */
const char *action_status_name(action_status s);
/* Anything but a clean exit counts against an action, a skip and an interrupt included. */
bool action_status_is_failure(action_status s);
/* Exited 0, so its stdout is there to judge (ST_CACHE_ERROR ran too: only storing it failed). */
bool action_status_ran(action_status s);
/* Nothing to judge, a SKIP: never run (an input missing, an engine unavailable, interrupted),
 * or run with no usable result (the declared output absent or malformed, the engine replaced
 * under it). */
bool action_status_not_run(action_status s);

/* TIMEOUT: a query was killed at its step's timeout_s, so the check has no verdict on the engine
 * (the same inputs may pass on an idle machine); never cached, it runs again next time. In this
 * order reports list their counts: ✓ ✗ ⏱ −. */
typedef enum { CHECK_PASS, CHECK_FAIL, CHECK_TIMEOUT, CHECK_SKIP, CHECK_NSTATUS } check_status;

/* PASS, FAIL, TIMEOUT, SKIP: the results document's words. */
const char *check_status_name(check_status s);
/* The status a results document's word names. Any other word, or none, reads as FAIL: a parity
 * checker must never turn a result it does not understand into a pass. */
check_status check_status_parse(const char *name);

#endif
