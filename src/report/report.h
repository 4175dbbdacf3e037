/* Reports are pure functions of a results document (results/latest.json, parsed with cJSON):
 * they never run an engine, so `tmgt report` and `tmgt ticket` cost nothing after a run. */
#ifndef TMGT_REPORT_H
#define TMGT_REPORT_H

#include <stdbool.h>
#include <stdio.h>
#include <cjson/cJSON.h>

typedef struct {
    bool color;        /* ANSI colours: only on a TTY and never with NO_COLOR; the caller decides */
    bool quiet;        /* -q: the matrix and totals only, no per-check lines */
    bool failures_only;/* per-check lines for FAIL only */
} report_console_opts;

/* One line per check (✓/✗/− name: detail), then a model × suite matrix of pass/fail/skip
 * counts, then the totals line. Returns 0, or -1 when `results` lacks required fields. */
int report_console(const cJSON *results, FILE *out, const report_console_opts *opts);
/* Its two halves, for a run replayed from its memo (run_memo.h): the findings (check lines and
 * matrix) are stored as printed, the totals line is the replay's own. */
int report_console_findings(const cJSON *results, FILE *out, const report_console_opts *opts);
void report_console_totals(const cJSON *results, int pass, int fail, int skip, FILE *out);

/* JUnit XML for CI systems: one <testsuite> per suite, one <testcase> per check. */
int report_junit(const cJSON *results, FILE *out);

/* A self-contained HTML page: the matrix as a coloured grid, and for each failing token or text
 * check the oracle and engine streams side by side with the divergence marked. */
int report_html(const cJSON *results, FILE *out);

/* The matrix and the failures as Markdown (for a PR comment or a README). */
int report_markdown(const cJSON *results, FILE *out);

/* The original harness's issue body (docs/DESIGN.md, "Ticket"), with the engine version and oracle
 * provenance read from the results, one block per failure with its first divergence, and
 * reproduction commands using tmgt. `date` is YYYY-MM-DD (tests pass a fixed one). */
int report_ticket(const cJSON *results, FILE *out, const char *date);

#endif
