/* Reading what a check's engine queries produced, for the suites: a query that did not
 * succeed judged one way everywhere (SKIP, TIMEOUT, or FAIL naming the command, its exit code or
 * signal and stderr's first error line), and stdout read as JSON with a message that quotes it. */
#ifndef TMGT_QUERY_H
#define TMGT_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

#include "check.h"

/* Shared judgement of a query that did not succeed: SKIP when something is unavailable or was
 * not run, TIMEOUT when it ran out of time, FAIL naming the command, exit code or signal and the
 * first "error:" line of stderr otherwise. Returns true when the query is OK and the evaluator should go on.
 */
bool query_ok(const check_ctx *ctx, size_t i, check_result *r);
/* Query i's stdout parsed leniently, once for every check that reads it: the document belongs to
 * the query's `json` (check.h), so the caller only reads it. On failure sets r to FAIL
 * "<command> returned invalid JSON: <first 200 bytes>" and returns NULL. */
const cJSON *query_json(const check_ctx *ctx, size_t i, check_result *r);

/* query_ok / query_json with an optional label ("int4") prefixed to the message, for checks
 * whose queries use the same command. */
bool query_ok_as(const check_ctx *ctx, size_t i, check_result *r, const char *label);
const cJSON *query_json_as(const check_ctx *ctx, size_t i, check_result *r, const char *label);
/* True when query i has nothing to judge (action_status_not_run, or no output at all). */
bool query_skipped(const check_ctx *ctx, size_t i);
/* Judges every query of the check: a failure anywhere wins over a skip anywhere, because a
 * crash is a finding even when a sibling query could not run. labels may be NULL. */
bool queries_ok(const check_ctx *ctx, check_result *r, const char *const *labels);
/* For commands that exit non-zero to say "the model failed my check" and still print their
 * report (apr validate, apr eval): returns the report when it parses whatever the exit code,
 * setting *failed_exit; otherwise behaves as query_json_as. */
const cJSON *query_report_json(const check_ctx *ctx, size_t i, check_result *r, const char *label,
                               bool *failed_exit);
/* Completes such a check: a report that reads as a pass cannot overrule the engine's own
 * failing exit code, so that case becomes the usual exit-code FAIL. */
void settle_report_exit(const check_ctx *ctx, size_t i, check_result *r, const char *label, bool failed_exit);

#endif
