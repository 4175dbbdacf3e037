/* The remaining single-command suites: bench (Claim 19), the global model cache listing, and
 * GPU/CPU parity. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "suite_common.h"
#include "util.h"

/* ---- bench ---- */

static void bench_expand(const pipeline *pl, const pipeline_model *m, check_list *out)
{
    expand_per_apr_quant(m, out, &suite_bench, "bench", 0);
}

static void bench_evaluate(const check_ctx *ctx, check_result *r)
{
    static const char *const keys[] = {"tokens_per_second", "tok_s", "throughput", NULL};
    const cJSON *doc = query_json(ctx, 0, r);
    if (!doc)
        return;
    const cJSON *v = json_first(doc, keys);
    double tps;
    char buf[32];
    if (!v)
        fail_missing(ctx, 0, r, "tokens_per_second");
    else if (!json_number(v, &tps))
        check_result_set(r, CHECK_FAIL, "bench output \"%s\" is not a number", v->string);
    else if (tps > 0 && isfinite(tps))
        check_result_set(r, CHECK_PASS, "throughput=%.1f tok/s", tps);
    else
        check_result_set(r, CHECK_FAIL, "throughput=%s tok/s (expected > 0)", py_float(tps, buf));
}

const suite_def suite_bench = {"bench", "bench", false, bench_expand, bench_evaluate};

/* ---- list (global) ---- */

static void list_expand(const pipeline *pl, const pipeline_model *m, check_list *out)
{
    check_spec *c = suite_add(out, &suite_list, suite_list.label, NULL, NULL, NULL, 0);
    check_add_query(c, "list", NULL, NULL, NULL);
}

/* Current apr prints {models: […]}; a bare list of models is accepted as well. */
static void list_evaluate(const check_ctx *ctx, check_result *r)
{
    static const char *const keys[] = {"models", NULL};
    const cJSON *doc = query_json(ctx, 0, r);
    if (!doc)
        return;
    const cJSON *models = cJSON_IsArray(doc) ? doc : json_first_list(doc, keys);
    if (models)
        check_result_set(r, CHECK_PASS, "cache listing succeeded (%d models)", cJSON_GetArraySize(models));
    else
        fail_missing(ctx, 0, r, "models");
}

const suite_def suite_list = {"list", "list", true, list_expand, list_evaluate};

/* ---- parity-gpu ---- */

static void parity_expand(const pipeline *pl, const pipeline_model *m, check_list *out)
{
    check_spec *c = suite_add(out, &suite_parity_gpu, suite_parity_gpu.label, m, NULL, NULL, 0);
    check_add_query(c, "parity", "int4.gguf", NULL, NULL);
}

/* apr's way of saying it cannot reach a GPU: a build without CUDA exits 9 (FeatureDisabled). */
static bool says_no_gpu(const check_ctx *ctx, const check_result *r)
{
    const query_output *q = ctx->q[0];
    return (q->status == ST_EXIT && q->exit_code == 9) || str_icontains(r->detail, "no gpu") ||
           str_icontains(r->detail, "cuda not available") ||
           str_icontains(r->detail, "cuda is not available");
}

/* GPU/CPU parity says nothing on a machine without a GPU: that is a SKIP, never the PASS the
 * original reported. With a GPU present, any other CUDA error is a finding. */
static void parity_evaluate(const check_ctx *ctx, check_result *r)
{
    static const char *const keys[] = {"match", "parity", NULL};
    if (!ctx->gpu_available) {
        if (!query_skipped(ctx, 0))
            check_result_set(r, CHECK_SKIP, "no GPU: apr parity compares CUDA with CPU inference");
        else
            query_ok(ctx, 0, r);
        return;
    }
    if (!query_ok(ctx, 0, r)) {
        if (r->status == CHECK_FAIL && says_no_gpu(ctx, r)) {
            char *why = text_one_line(r->detail, strlen(r->detail), 80);
            check_result_set(r, CHECK_SKIP, "no GPU: %s", why);
            free(why);
        }
        return;
    }
    const cJSON *doc = query_json(ctx, 0, r);
    if (!doc)
        return;
    const cJSON *match = json_first(doc, keys);
    if (!match) {
        fail_missing(ctx, 0, r, "match");
    } else if (status_passes(match)) {
        check_result_set(r, CHECK_PASS, "GPU/CPU parity confirmed");
    } else if (cJSON_IsFalse(match) || str_ieq(cJSON_GetStringValue(match), "fail")) {
        char *full = json_brief(doc, 2000);
        check_result_set(r, CHECK_FAIL, "GPU/CPU parity mismatch");
        check_result_details(r, "%s", full);
        free(full);
    } else {
        char *v = json_brief(match, 80);
        check_result_set(r, CHECK_FAIL, "parity output \"%s\" is %s, neither a pass nor a fail",
                         match->string, v);
        free(v);
    }
}

const suite_def suite_parity_gpu = {"parity-gpu", "parity-gpu", false, parity_expand, parity_evaluate};
