#include "run_divergence.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "engine_logprobs.h"
#include "util.h"

/* The format a name or variable value spells ("int8", "Q4_0", "f16"), as a bound; < 0 when it
 * names none. */
static double bound_spelled(const char *s)
{
    static const struct {
        const char *spelling;
        double bound;
    } formats[] = {{"f32", NEAR_TIE_FLOAT}, {"f16", NEAR_TIE_FLOAT}, {"fp16", NEAR_TIE_FLOAT},
                   {"int8", NEAR_TIE_8BIT}, {"q8", NEAR_TIE_8BIT},   {"int4", NEAR_TIE_4BIT},
                   {"q4", NEAR_TIE_4BIT}};
    for (size_t i = 0; s && i < sizeof formats / sizeof formats[0]; i++)
        if (str_icontains(s, formats[i].spelling))
            return formats[i].bound;
    return -1;
}

static double recipe_bound(const pipeline *pl, const char *artifact, size_t depth)
{
    const pipeline_artifact *a = pipeline_find_artifact(pl, artifact);
    double b = bound_spelled(artifact);
    if (!a || b >= 0)
        return b;
    if (a->near_tie_nats >= 0)
        return a->near_tie_nats;
    for (const cJSON *v = a->vars ? a->vars->child : NULL; v && b < 0; v = v->next)
        b = bound_spelled(cJSON_GetStringValue(v));
    for (size_t i = 0; b < 0 && i < a->n_in && depth < pl->n_artifacts; i++)
        b = recipe_bound(pl, a->in_artifacts[i], depth + 1);
    return b;
}

double near_tie_bound(const pipeline *pl, const char *artifact)
{
    const pipeline_artifact *a = pipeline_find_artifact(pl, artifact);
    if (a && a->near_tie_nats >= 0)
        return a->near_tie_nats;
    double b = recipe_bound(pl, artifact, 0);
    return b >= 0 ? b : NEAR_TIE_8BIT;
}

const char *run_step_for(const pipeline *pl, const char *artifact)
{
    const pipeline_artifact *a = pipeline_find_artifact(pl, artifact);
    return a && a->run_step ? a->run_step : "run";
}

/* The EOS that stopped the oracle's generation, when it stopped before its last token. */
static long oracle_eos(const oracle_entry *o)
{
    return o->n_tokens && o->n_tokens < ORACLE_TOKENS ? o->tokens[o->n_tokens - 1] : -1;
}

static const char *engine_of(const check_ctx *ctx, size_t i)
{
    const pipeline_step *s = pipeline_find_step(ctx->pl, ctx->spec->queries[i].step);
    return s ? s->engine : ctx->spec->queries[i].step;
}

/* The divergence of run query i into *out; false, with r a FAIL naming the field, when the run's
 * logprobs are malformed. */
static bool find_run_divergence(const check_ctx *ctx, size_t i, const cJSON *doc, const oracle_entry *o,
                                const long *tokens, size_t n, check_result *r, token_divergence *out)
{
    engine_logprobs lp = {0};
    tmgt_error why;
    if (engine_logprobs_read(cJSON_GetObjectItemCaseSensitive(doc, "logprobs"), tokens, n, &lp, &why) != 0) {
        check_result_set(r, CHECK_FAIL, "%s output %s", ctx->q[i]->command, why.msg);
        return false;
    }
    long count = -1;
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(doc, "prompt_tokens");
    if (json_integer(c, &count) && count < 0)
        count = -1;
    engine_run e = {.tokens = tokens,
                    .n_tokens = n,
                    .top = lp.top,
                    .prompt_ids = lp.prompt_ids,
                    .n_prompt_ids = lp.n_prompt_ids,
                    .prompt_count = count,
                    .failed = !action_status_ran(ctx->q[i]->status)};
    const char *artifact = ctx->spec->queries[i].artifacts[0];
    divergence_params p = {
        .near_tie_nats = near_tie_bound(ctx->pl, artifact), .eos_id = oracle_eos(o), .bos_id = -1};
    divergence_find(o, &e, &p, out);
    engine_logprobs_free(&lp);
    return true;
}

bool record_run_divergence(const check_ctx *ctx, size_t i, const cJSON *doc, const oracle_entry *o,
                           const long *tokens, size_t n, check_result *r)
{
    token_divergence d;
    if (!find_run_divergence(ctx, i, doc, o, tokens, n, r, &d))
        return false;
    if (!r->tv)
        r->tv = xcalloc(1, sizeof *r->tv);
    r->tv->d = d;
    r->tv->engine = engine_of(ctx, i);
    return true;
}

bool read_run_divergence(const check_ctx *ctx, size_t i, const oracle_entry *o, token_divergence *d)
{
    check_result scratch = {0};
    bool failed_exit;
    long *tokens = NULL;
    size_t n;
    const cJSON *doc = query_report_json(ctx, i, &scratch, NULL, &failed_exit);
    bool ok = doc && run_tokens(ctx, i, doc, &scratch, &tokens, &n) &&
              find_run_divergence(ctx, i, doc, o, tokens, n, &scratch, d);
    free(tokens);
    check_result_free(&scratch);
    return ok;
}

bool record_reported_divergence(const check_ctx *ctx, size_t i, const cJSON *doc, const oracle_entry *o,
                                check_result *r)
{
    long *tokens;
    size_t n;
    if (!o || !json_int_list(cJSON_GetObjectItemCaseSensitive(doc, "tokens"), &tokens, &n))
        return true;
    bool ok = record_run_divergence(ctx, i, doc, o, tokens, n, r);
    free(tokens);
    return ok;
}
