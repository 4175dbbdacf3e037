/* What every report reads from a results document, and how it writes untrusted text.
 * Engine output reaches the reports verbatim (token pieces, stderr in details), so nothing
 * from the document is written without going through escape_text (escape.h). */
#ifndef TMGT_REPORT_COMMON_H
#define TMGT_REPORT_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <cjson/cJSON.h>

#include "escape.h"
#include "json_read.h"
#include "status.h"
#include "utf8.h"

/* A check's status is the checks layer's check_status (status.h), read back from the document
 * by check_status_parse: a word it does not know reads as FAIL. TIMEOUT is no verdict on the
 * engine (the step ran out of time, perhaps on a loaded machine), so every report names it apart
 * from FAIL; cells list their counts in the enum's order: ✓ ✗ ⏱ −. */

/* The matrix row of checks that belong to no model (`list/global`). */
#define RC_GLOBAL "global"

/* One check, with every field defaulted so that reports need no NULL tests for strings. */
typedef struct {
    const char *name, *suite, *model, *detail;
    const char *details, *reproduce; /* NULL when absent */
    check_status status;
    const cJSON *divergence;     /* an object, or NULL */
    const cJSON *expected, *got; /* objects {tokens, text, token_texts}, or NULL */
    const cJSON *actions;        /* an array of action ids, or NULL */
} rc_check;

void rc_check_read(const cJSON *item, rc_check *c);
/* write() for each of the checks with this status, in the document's order. */
void rc_each_check(FILE *out, const cJSON *checks, check_status status,
                   void (*write)(FILE *out, const rc_check *c));
const char *rc_symbol(check_status s);      /* ✓ ✗ ⏱ − */
const char *rc_status_word(check_status s); /* pass fail timeout skip */

/* `s` as a Markdown code span, delimited by enough backticks to survive its content. */
void rc_md_code(FILE *out, const char *s);
size_t rc_backtick_run(const char *s); /* longest run of ` in s */
void rc_repeat(FILE *out, char ch, size_t n);

/* Whether the divergence points into token streams (ids known) rather than into text. */
bool rc_divergence_is_token(const cJSON *div);
/* The divergence's sentence where the check recorded one (`first divergence at token 4:
 * expected 504 "The" (logp −1.94), got 198 "\n" (…, 15.1 nats below) — confident`), else
 * `first divergence at token 7: expected 123 " if", got 456 " of" (1 mismatch)` (a text check's
 * in code points), malloc'd; NULL when there is no divergence object. */
char *rc_divergence_text(const cJSON *div);
/* What an oracle without margins (results: models[].oracle.margins false) means, said once per
 * model: by rc_oracle_text, and by rc_margins_note (`note: the oracle of SLUG records …`) for
 * the console. */
#define RC_NO_MARGINS                                                                            \
    "records no margins (prompt_tokens, top_logprobs): its divergences are not classified, and " \
    "prompt-tokens and logit-parity skip them"
bool rc_lacks_margins(const cJSON *model);
void rc_margins_note(FILE *out, const cJSON *model);

/* `transformers 5.1.0, torch 2.10.0, float32, CPU, greedy` for one entry of "models", malloc'd;
 * NULL when the entry has no "oracle" object. */
char *rc_oracle_text(const cJSON *model);
/* The version of the engine under test: apr's, else the first engine's, else "unknown". */
const char *rc_engine_version(const cJSON *results);

typedef struct {
    int n[CHECK_NSTATUS];
} rc_cell;

/* Rows: models in order of first appearance among the checks, then "global" when present.
 * Columns: the document's "suites" order, then suites seen only in checks. Labels point into
 * the document, which must outlive the matrix. */
typedef struct {
    const char **rows, **cols;
    size_t nrows, ncols;
    rc_cell *cells;
    rc_cell total;
} rc_matrix;

/* -1 when "checks" is missing or not an array (or memory ran out). */
int rc_matrix_build(const cJSON *results, rc_matrix *m);
void rc_matrix_free(rc_matrix *m);
const rc_cell *rc_matrix_cell(const rc_matrix *m, size_t row, size_t col);
int rc_cell_sum(const rc_cell *c);
void rc_cell_symbols(FILE *out, const rc_cell *c); /* `✓ 4 ✗ 1`, or `·` */
/* The same with each count between `open` and `close` (HTML: `<span>✓ 4</span>`). */
void rc_cell_symbols_in(FILE *out, const rc_cell *c, const char *open, const char *close);
/* `5 passed, 3 failed, 2 skipped (10 checks) — 3 actions executed, 5 cached in 1.2s`, with
 * `1 timed out, ` before the skips when a check timed out. */
void rc_totals(FILE *out, const cJSON *results, const rc_cell *total);

#endif
