/* The generation suites of apr against the oracle: canary (Int8 text exact), token parity
 * (bounded token mismatches), quant drift (Int8 no worse than Int4 + 1) and the
 * APR → GGUF → APR roundtrip (tokens identical to the original Int4). */
#include <stdlib.h>
#include <string.h>

#include "run_divergence.h"

static void run_per_prompt(const pipeline *pl, const pipeline_model *m, check_list *out, const suite_def *s,
                           const char *variant, const char *artifact, double threshold)
{
    for (size_t i = 0; i < pl->n_prompts; i++) {
        const char *key = pl->prompts[i].key;
        check_spec *c = suite_add(out, s, s->label, m, variant, key, threshold);
        check_add_query(c, run_step_for(pl, artifact), artifact, NULL, key);
    }
}

/* The text of a run report when it has one, for side-by-side reports; not required. */
static const char *optional_text(const cJSON *doc)
{
    static const char *const keys[] = {"text", "generated_text", NULL};
    return cJSON_GetStringValue(json_first(doc, keys));
}

/* ---- canary ---- */

static void canary_expand(const pipeline *pl, const pipeline_model *m, check_list *out)
{
    run_per_prompt(pl, m, out, &suite_canary, NULL, APR_QUANTS[1].artifact, 0);
}

static void canary_evaluate(const check_ctx *ctx, check_result *r)
{
    bool failed_exit;
    const cJSON *doc = query_report_json(ctx, 0, r, NULL, &failed_exit);
    const oracle_entry *o;
    const char *text;

    if (doc && (o = check_oracle(ctx, r)) && (text = run_text(ctx, 0, doc, r)) &&
        record_reported_divergence(ctx, 0, doc, o, r)) {
        text_comparison c = compare_text(r, o->text, strlen(o->text), text, strlen(text));
        if (c.mismatches == 0 && !c.got_invalid) {
            check_result_set(r, CHECK_PASS, "exact match");
        } else {
            check_result_set(r, CHECK_FAIL, "text mismatch%s",
                             r->div.whitespace_only ? ": only leading or trailing whitespace differs" : "");
            if (r->div.whitespace_only && r->tv && !r->tv->d.present)
                check_result_append(r, ", and the tokens agree with the oracle's");
            check_result_text_pair(r, "expected", o->text, strlen(o->text), "got", text, strlen(text));
        }
        note_invalid_utf8(r, &c, "oracle", "apr run");
        settle_report_exit(ctx, 0, r, NULL, failed_exit);
    }
}

const suite_def suite_canary = {"canary", "canary", false, canary_expand, canary_evaluate};

/* ---- token parity ---- */

static void token_expand(const pipeline *pl, const pipeline_model *m, check_list *out)
{
    for (size_t q = 0; q < 2; q++)
        run_per_prompt(pl, m, out, &suite_token, APR_QUANTS[q].variant, APR_QUANTS[q].artifact,
                       APR_QUANTS[q].threshold);
}

static void token_evaluate(const check_ctx *ctx, check_result *r)
{
    bool failed_exit;
    const cJSON *doc = query_report_json(ctx, 0, r, NULL, &failed_exit);
    const oracle_entry *o;
    long *got;
    size_t n;

    if (doc && (o = check_oracle(ctx, r)) && run_tokens(ctx, 0, doc, r, &got, &n)) {
        if (!record_run_divergence(ctx, 0, doc, o, got, n, r)) {
            free(got);
            return;
        }
        double t = ctx->spec->threshold;
        size_t m =
            compare_tokens(r, o->tokens, oracle_comparable_tokens(o, n), o->text, got, n, optional_text(doc));
        if ((double)m <= t) {
            check_result_set(r, CHECK_PASS, "%zu/%g mismatches", m, t);
        } else {
            char *a = py_int_list(o->tokens, o->n_tokens), *b = py_int_list(got, n);
            check_result_set(r, CHECK_FAIL, "%zu mismatches exceeds threshold %g", m, t);
            check_result_pair(r, "oracle tokens", a, "got tokens", b);
            free(a);
            free(b);
        }
        settle_report_exit(ctx, 0, r, NULL, failed_exit);
        free(got);
    }
}

const suite_def suite_token = {"token", "token-parity", false, token_expand, token_evaluate};

/* ---- shared by drift and roundtrip: two runs of the same prompt ---- */

typedef struct {
    const cJSON *doc[2];
    long *tokens[2];
    size_t n[2];
} run_pair;

static bool read_run_pair(const check_ctx *ctx, check_result *r, const char *const labels[2], run_pair *p)
{
    memset(p, 0, sizeof *p);
    if (!queries_ok(ctx, r, labels))
        return false;
    for (size_t i = 0; i < 2; i++) {
        if (!(p->doc[i] = query_json_as(ctx, i, r, labels[i])))
            return false;
        if (!run_tokens(ctx, i, p->doc[i], r, &p->tokens[i], &p->n[i])) {
            check_result_prefix(r, labels[i]);
            return false;
        }
    }
    return true;
}

static void run_pair_free(run_pair *p)
{
    for (size_t i = 0; i < 2; i++)
        free(p->tokens[i]);
}

/* ---- quant drift ---- */

static void drift_expand(const pipeline *pl, const pipeline_model *m, check_list *out)
{
    for (size_t i = 0; i < pl->n_prompts; i++) {
        const char *key = pl->prompts[i].key;
        check_spec *c = suite_add(out, &suite_drift, suite_drift.label, m, NULL, key, 1);
        check_add_query(c, run_step_for(pl, APR_QUANTS[0].artifact), APR_QUANTS[0].artifact, NULL, key);
        check_add_query(c, run_step_for(pl, APR_QUANTS[1].artifact), APR_QUANTS[1].artifact, NULL, key);
    }
}

static void drift_evaluate(const check_ctx *ctx, check_result *r)
{
    static const char *const labels[2] = {"int4", "int8"};
    run_pair p;
    const oracle_entry *o;

    if (read_run_pair(ctx, r, labels, &p) && (o = check_oracle(ctx, r)) &&
        record_run_divergence(ctx, 1, p.doc[1], o, p.tokens[1], p.n[1], r)) {
        size_t m4 = count_mismatches(o->tokens, oracle_comparable_tokens(o, p.n[0]), p.tokens[0], p.n[0]);
        /* The divergence shown is Int8's: the run the bound is about. */
        size_t m8 = compare_tokens(r, o->tokens, oracle_comparable_tokens(o, p.n[1]), o->text, p.tokens[1],
                                   p.n[1], optional_text(p.doc[1]));
        double slack = ctx->spec->threshold;
        if ((double)m8 <= (double)m4 + slack) {
            check_result_set(r, CHECK_PASS, "int8=%zu ≤ int4=%zu+%g", m8, m4, slack);
        } else {
            check_result_set(r, CHECK_FAIL, "int8 (%zu) > int4 (%zu) + %g", m8, m4, slack);
            check_result_details(r, "Higher precision produced MORE mismatches");
        }
    }
    run_pair_free(&p);
}

const suite_def suite_drift = {"drift", "quant-drift", false, drift_expand, drift_evaluate};

/* ---- roundtrip ---- */

/* The original runs these two prompts, in this order; a pipeline without them gets its first two. */
static void roundtrip_expand(const pipeline *pl, const pipeline_model *m, check_list *out)
{
    static const char *const preferred[] = {"completion", "arithmetic"};
    const char *keys[2];
    size_t n = 0;

    for (size_t k = 0; k < 2; k++)
        for (size_t i = 0; i < pl->n_prompts; i++)
            if (strcmp(pl->prompts[i].key, preferred[k]) == 0)
                keys[n++] = pl->prompts[i].key;
    if (n == 0)
        for (size_t i = 0; i < pl->n_prompts && n < 2; i++)
            keys[n++] = pl->prompts[i].key;
    for (size_t i = 0; i < n; i++) {
        check_spec *c = suite_add(out, &suite_roundtrip, suite_roundtrip.label, m, NULL, keys[i], 0);
        check_add_query(c, run_step_for(pl, "int4.apr"), "int4.apr", NULL, keys[i]);
        check_add_query(c, run_step_for(pl, "roundtrip.apr"), "roundtrip.apr", NULL, keys[i]);
    }
}

/* Compared with the original Int4 run, not the oracle: the conversion must be lossless. */
static void roundtrip_evaluate(const check_ctx *ctx, check_result *r)
{
    static const char *const labels[2] = {"int4", "roundtrip"};
    run_pair p;

    if (read_run_pair(ctx, r, labels, &p)) {
        size_t m = compare_tokens(r, p.tokens[0], p.n[0], optional_text(p.doc[0]), p.tokens[1], p.n[1],
                                  optional_text(p.doc[1]));
        if (m == 0) {
            check_result_set(r, CHECK_PASS, "tokens identical (%zu tokens)", p.n[0]);
        } else {
            char *a = py_int_list(p.tokens[0], p.n[0]), *b = py_int_list(p.tokens[1], p.n[1]);
            check_result_set(r, CHECK_FAIL, "%zu token mismatches after APR→GGUF→APR roundtrip", m);
            check_result_pair(r, "original", a, "roundtrip", b);
            free(a);
            free(b);
        }
    }
    run_pair_free(&p);
}

const suite_def suite_roundtrip = {"roundtrip", "roundtrip", false, roundtrip_expand, roundtrip_evaluate};
