/* Internals shared by the suite_*.c files: the shapes of expansion, the fields of engine
 * outputs, and the comparisons and wording that fill a check_result (reading a query's outcome
 * is query.h's). Not part of the suites interface. */
#ifndef TMGT_SUITE_COMMON_H
#define TMGT_SUITE_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

#include "compare.h"
#include "json_read.h"
#include "check.h"
#include "query.h"
#include "suite_defs.h"
#include "text.h"
#include "utf8.h"

/* A quantized variant, the artefact that holds it and its mismatch bound (docs/DESIGN.md, "Bounds"). */
typedef struct {
    const char *variant;
    const char *artifact;
    double threshold;
} quant;
extern const quant APR_QUANTS[2];   /* int4 then int8 */
extern const quant LLAMA_QUANTS[2]; /* q8_0 then q4_0 */

/* ---- expansion ---- */

/* Adds "<label>/<slug>[/<variant>][/<prompt>]" ("<label>/global" without a model). */
check_spec *suite_add(check_list *out, const suite_def *s, const char *label, const pipeline_model *m,
                      const char *variant, const char *prompt, double threshold);
/* One check per APR quant, each running `step` on that quant's artefact. */
void expand_per_apr_quant(const pipeline_model *m, check_list *out, const suite_def *s, const char *step,
                          double threshold);

/* ---- fields ---- */

/* FAIL `<step> output has no "<field>" field`. */
void fail_missing(const check_ctx *ctx, size_t i, check_result *r, const char *field);
/* The oracle entry for the check's prompt: SKIP when the model has no oracle for it, FAIL when
 * the oracle was generated from a different prompt text than the pipeline's. */
const oracle_entry *check_oracle(const check_ctx *ctx, check_result *r);
/* The generated ids of a run report ("tokens"); FAIL naming the field when absent or not ints. */
bool run_tokens(const check_ctx *ctx, size_t i, const cJSON *doc, check_result *r, long **tokens, size_t *n);
/* The generated text of a run report ("text", or "generated_text" of older apr builds). */
const char *run_text(const check_ctx *ctx, size_t i, const cJSON *doc, check_result *r);
/* Case-insensitive "pass"/"ok"/"passed": the statuses engines use for a passing item. */
bool status_passes(const cJSON *status);
bool str_ieq(const char *a, const char *b);
bool str_icontains(const char *haystack, const char *needle);

/* ---- comparisons ---- */

/* Fills r->div (first divergence, ids, mismatch count) and r->expected / r->got as
 * {"tokens": […], "text": "…"} (text omitted when NULL); returns the mismatch count. */
size_t compare_tokens(check_result *r, const long *exp, size_t ne, const char *exp_text, const long *got,
                      size_t ng, const char *got_text);

typedef struct {
    size_t mismatches;
    bool expected_invalid, got_invalid; /* not valid UTF-8 */
} text_comparison;
/* Code-point comparison: fills r->div (code point index, the text from there on each side)
 * and r->expected / r->got as {"text": "…"}. */
text_comparison compare_text(check_result *r, const char *exp, size_t elen, const char *got, size_t glen);
/* Appends "; <who> output is not valid UTF-8 …" to the detail for each side that is not. */
void note_invalid_utf8(check_result *r, const text_comparison *c, const char *exp_who, const char *got_who);

/* ---- wording ---- */

void check_result_append(check_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void check_result_details(check_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prefixes the detail with "<label>: " (no-op for a NULL label). */
void check_result_prefix(check_result *r, const char *label);
/* Two aligned lines of details, the original harness's layout:
 *   "expected: 'a'\n  got:      'b'". */
void check_result_pair(check_result *r, const char *name_a, const char *value_a, const char *name_b,
                       const char *value_b);
/* The same with two texts, each shown as Python's repr(). */
void check_result_text_pair(check_result *r, const char *name_a, const char *a, size_t alen,
                            const char *name_b, const char *b, size_t blen);
/* Python's repr() of a str, so details read like the original harness's. */
char *py_repr(const char *s, size_t len);
/* Python's repr() of a list of ints: "[1, 2, 3]". */
char *py_int_list(const long *v, size_t n);
/* Python's repr() of a float (20.0, 0.5, nan, inf) into buf. */
const char *py_float(double v, char buf[32]);
/* Unformatted JSON on one line, at most max code points. */
char *json_brief(const cJSON *v, size_t max);

#endif
