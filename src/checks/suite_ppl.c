/* Perplexity (Claims 7, 8): each quant under the model's published ceiling, and the two quants
 * within 0.5 of each other. `apr eval` exits 5 when perplexity exceeds its --threshold yet
 * still prints its report; the report is judged, since it says more than the exit code. */
#include <math.h>
#include <stdlib.h>

#include "suite_common.h"

#define PPL_DRIFT_BOUND 0.5

static void ppl_expand(const pipeline *pl, const pipeline_model *m, check_list *out)
{
    for (size_t q = 0; q < 2; q++) {
        check_spec *c =
            suite_add(out, &suite_ppl, "ppl", m, APR_QUANTS[q].variant, NULL, m->meta.ppl_ceiling);
        check_add_query(c, "eval", APR_QUANTS[q].artifact, NULL, NULL);
    }
    check_spec *d = suite_add(out, &suite_ppl, "ppl-drift", m, NULL, NULL, PPL_DRIFT_BOUND);
    for (size_t q = 0; q < 2; q++)
        check_add_query(d, "eval", APR_QUANTS[q].artifact, NULL, NULL);
}

/* The perplexity of eval query i; on false r says why (prefixed with label). */
static bool read_ppl(const check_ctx *ctx, size_t i, check_result *r, const char *label, double *ppl,
                     bool *failed_exit)
{
    const cJSON *doc = query_report_json(ctx, i, r, label, failed_exit);
    if (!doc)
        return false;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, "perplexity");
    bool ok = v && !cJSON_IsNull(v);
    if (!ok)
        fail_missing(ctx, i, r, "perplexity");
    else if (!(ok = json_number(v, ppl)))
        check_result_set(r, CHECK_FAIL, "eval output \"perplexity\" is not a number");
    if (!ok)
        check_result_prefix(r, label);
    return ok;
}

static void ceiling_evaluate(const check_ctx *ctx, check_result *r)
{
    double ppl, ceiling = ctx->spec->threshold;
    bool failed_exit;
    char c[32];

    if (!read_ppl(ctx, 0, r, NULL, &ppl, &failed_exit))
        return;
    if (isnan(ppl))
        check_result_set(r, CHECK_FAIL, "PPL=nan (not a number)");
    else if (ppl < ceiling)
        check_result_set(r, CHECK_PASS, "PPL=%.2f < %s", ppl, py_float(ceiling, c));
    else
        check_result_set(r, CHECK_FAIL, "PPL=%.2f exceeds ceiling %s", ppl, py_float(ceiling, c));
    settle_report_exit(ctx, 0, r, NULL, failed_exit);
}

/* Emitted whatever happened to the evals, unlike the original (which drops it when one eval
 * failed): an eval that could not run makes it a SKIP, a broken one a FAIL. */
static void drift_evaluate(const check_ctx *ctx, check_result *r)
{
    static const char *const labels[2] = {"int4", "int8"};
    double ppl[2];
    bool failed_exit;
    char bound[32];

    for (size_t i = 0; i < 2; i++)
        if (!query_skipped(ctx, i) && !read_ppl(ctx, i, r, labels[i], &ppl[i], &failed_exit))
            return;
    for (size_t i = 0; i < 2; i++) {
        if (query_skipped(ctx, i)) {
            query_ok_as(ctx, i, r, labels[i]);
            return;
        }
    }
    double d = fabs(ppl[0] - ppl[1]), b = ctx->spec->threshold;
    py_float(b, bound);
    if (d < b) {
        check_result_set(r, CHECK_PASS, "|%.2f - %.2f| = %.2f < %s", ppl[0], ppl[1], d, bound);
        return;
    }
    if (isnan(d))
        check_result_set(r, CHECK_FAIL, "PPL drift undefined (a perplexity is nan)");
    else
        check_result_set(r, CHECK_FAIL, "PPL drift %.2f exceeds %s", d, bound);
    check_result_details(r, "int4=%.2f, int8=%.2f", ppl[0], ppl[1]);
}

/* The ceiling checks have one eval, the drift check both. */
static void ppl_evaluate(const check_ctx *ctx, check_result *r)
{
    if (ctx->spec->n_queries == 2)
        drift_evaluate(ctx, r);
    else
        ceiling_evaluate(ctx, r);
}

const suite_def suite_ppl = {"ppl", "ppl", false, ppl_expand, ppl_evaluate};
