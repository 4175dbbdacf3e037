/* Reports are pure functions of a results document (results/latest.json, parsed with cJSON):
 * they never run an engine, so `tmgt report` and `tmgt ticket` cost nothing after a run. */
#ifndef TMGT_REPORT_H
#define TMGT_REPORT_H

#include <stdbool.h>
#include <stdio.h>
#include <cjson/cJSON.h>

typedef struct {
    bool color;         /* ANSI colours: only on a TTY and never with NO_COLOR; the caller decides */
    bool quiet;         /* -q: the matrix and totals only, no per-check lines */
    bool failures_only; /* per-check lines for FAIL and TIMEOUT only */
    size_t width;       /* columns no line may exceed (terminal.h reads them); 0: 100, and
                         * at least TERMINAL_MIN_WIDTH */
} report_console_opts;

/* One line per check (✓/✗/⏱/− name: detail), then a suite × model matrix of the checks'
 * counts (`✓ 4 ✗ 1`), then the totals line. Every line fits opts->width: a long line wraps
 * onto indented continuation lines, a matrix too wide for it is cut into blocks of models, and
 * a name longer than a whole column ends in `…`. Returns 0, or -1 when `results` lacks
 * required fields. */
int report_console(const cJSON *results, FILE *out, const report_console_opts *opts);

typedef struct {
    int pass, fail, timeout, skip;
} report_counts;

/* Its two halves, for a run replayed from its memo (run_memo.h): the findings (check lines and
 * matrix) are stored as printed, the totals line is the replay's own. */
int report_console_findings(const cJSON *results, FILE *out, const report_console_opts *opts);
void report_console_totals(const cJSON *results, const report_counts *n, FILE *out,
                           const report_console_opts *opts);

/* JUnit XML for CI systems: one <testsuite> per suite, one <testcase> per check; a timed-out
 * check is an <error type="timeout">, not a <failure>. */
int report_junit(const cJSON *results, FILE *out);

/* A self-contained HTML page: the matrix as a coloured grid (suites as rows, models as columns,
 * fitting the page's width), for each failing token or text check the oracle and engine
 * streams side by side with the divergence marked, and the timed-out checks on their own. */
int report_html(const cJSON *results, FILE *out);

/* The matrix and the failures as Markdown (for a PR comment or a README). */
int report_markdown(const cJSON *results, FILE *out);

/* The original harness's issue body (docs/DESIGN.md, "Ticket"), with the engine version and oracle
 * provenance read from the results, one block per failure with its first divergence, and
 * reproduction commands using tmgt. `date` is YYYY-MM-DD (tests pass a fixed one). */
int report_ticket(const cJSON *results, FILE *out, const char *date);

#endif
