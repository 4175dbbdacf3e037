/* The two suites that read the oracle's margins (divergence.h): prompt-tokens, whether an
 * engine encoded exactly the prompt the oracle was given, and logit-parity, whether the first
 * place an engine leaves the oracle's tokens is a near-tie within the artefact's stated bound
 * (near_tie_nats), which float or quantization noise may flip, and not a real divergence.
 * Both run on every artefact apr generates from, through the same queries as the seed's
 * suites, so they cost no engine call of their own. Where the run also forced the oracle's tokens
 * through the engine (tools/llama-probe), logit-parity reports the KLD figures of that pass. */
#include <stdlib.h>
#include <string.h>

#include "util.h"

#include "run_divergence.h"
#include "teacher_forced.h"
#include "yardstick.h"

/* An artefact these suites run on; a rung of the precision ladder only where the pipeline makes
 * it (pipeline/default.json does; the seed's pipelines have the seed's artefacts alone). */
typedef struct {
    const char *name;
    bool ladder;
} run_artifact;

/* The artefacts the seed's suites run apr on with every prompt (roundtrip.apr runs two prompts,
 * and must equal int4.apr's tokens exactly: int4.apr's verdicts are its verdicts), and the
 * ladder's: apr's float32 import and the Q8_0 GGUF without its chat template. */
static const run_artifact RUN_ARTIFACTS[] = {{"f32.apr", true},
                                             {"int4.apr", false},
                                             {"int8.apr", false},
                                             {"q8_0.gguf", false},
                                             {"q8_0-notemplate.gguf", true}};
/* llama.cpp's own precision ladder, run through tools/llama-probe where the pipeline has its
 * step: the trusted numerics the near-tie bounds are calibrated on. */
static const run_artifact PROBE_ARTIFACTS[] = {
    {"f16.gguf", false}, {"q8_0.gguf", false}, {"q4_0.gguf", false}};

/* Checks on the artefacts the pipeline makes; logit-parity's on apr's runs with their yardsticks. */
static void expand_runs(const pipeline *pl, const pipeline_model *m, check_list *out, const suite_def *s,
                        const run_artifact *a, const char *step, const char *variant)
{
    const char *artifact = a->name;
    if (a->ladder && !pipeline_find_artifact(pl, artifact))
        return;
    for (size_t i = 0; i < pl->n_prompts; i++) {
        const char *key = pl->prompts[i].key;
        check_spec *c = suite_add(out, s, s->label, m, variant, key, near_tie_bound(pl, artifact));
        check_add_query(c, step, artifact, NULL, key);
        if (s == &suite_logit_parity && strcmp(step, PROBE_STEP) != 0)
            yardstick_add_queries(pl, c, artifact);
    }
}

/* Checks named <artefact> for apr's runs, <artefact>@llama.cpp for the probe's. */
static void expand_per_run(const pipeline *pl, const pipeline_model *m, check_list *out, const suite_def *s)
{
    for (size_t a = 0; a < sizeof RUN_ARTIFACTS / sizeof RUN_ARTIFACTS[0]; a++)
        expand_runs(pl, m, out, s, &RUN_ARTIFACTS[a], run_step_for(pl, RUN_ARTIFACTS[a].name),
                    RUN_ARTIFACTS[a].name);
    if (!pipeline_find_step(pl, PROBE_STEP))
        return;
    for (size_t a = 0; a < sizeof PROBE_ARTIFACTS / sizeof PROBE_ARTIFACTS[0]; a++) {
        char *variant = xasprintf("%s@llama.cpp", PROBE_ARTIFACTS[a].name);
        expand_runs(pl, m, out, s, &PROBE_ARTIFACTS[a], PROBE_STEP, variant);
        free(variant);
    }
}

/* The run's divergence from the oracle in r->tv; NULL when the run or its report failed (r
 * says why). A run that exited non-zero still counts when it printed its report: its prompt
 * and its tokens are what it read and chose, and its divergence says that it failed. Where
 * `report` is not NULL it receives the parsed report of a run that counts (the query's own
 * parse: query.h), which every figure the check reads comes from. */
static const token_divergence *run_divergence(const check_ctx *ctx, check_result *r, const cJSON **report)
{
    bool failed_exit;
    const cJSON *doc = query_report_json(ctx, 0, r, NULL, &failed_exit);
    const oracle_entry *o;
    long *tokens = NULL;
    size_t n;
    bool ok = doc && (o = check_oracle(ctx, r)) && run_tokens(ctx, 0, doc, r, &tokens, &n) &&
              record_run_divergence(ctx, 0, doc, o, tokens, n, r);
    free(tokens);
    if (ok && report)
        *report = doc;
    return ok ? &r->tv->d : NULL;
}

/* ---- prompt-tokens ---- */

static void prompt_tokens_expand(const pipeline *pl, const pipeline_model *m, check_list *out)
{
    expand_per_run(pl, m, out, &suite_prompt_tokens);
}

static void prompt_tokens_evaluate(const check_ctx *ctx, check_result *r)
{
    const token_divergence *d = run_divergence(ctx, r, NULL);
    if (!d)
        return;
    r->tv->prompt_only = true;
    switch (d->prompt.verdict) {
    case PROMPT_UNKNOWN:
        check_result_set(r, CHECK_SKIP, "%s",
                         d->prompt.n_oracle ? "the run reported neither prompt ids nor a prompt count"
                                            : "the oracle records no prompt_tokens");
        break;
    case PROMPT_SAME:
        check_result_set(r, CHECK_PASS, "%s", ""); /* the evaluator writes the sentence */
        break;
    default:
        check_result_set(r, CHECK_FAIL, "%s", "");
    }
}

const suite_def suite_prompt_tokens = {"prompt-tokens", "prompt-tokens", false, prompt_tokens_expand,
                                       prompt_tokens_evaluate};

/* ---- logit-parity ---- */

static void logit_parity_expand(const pipeline *pl, const pipeline_model *m, check_list *out)
{
    expand_per_run(pl, m, out, &suite_logit_parity);
}

/* The run's teacher-forced figures, where it gives them (tools/llama-probe --teacher-oracle):
 * kept in the result and said after the verdict's detail. They inform; only a malformed figure
 * changes the verdict, to a FAIL naming it, since figures that cannot be read prove nothing. */
static void add_teacher_forced(const check_ctx *ctx, const oracle_entry *o, const cJSON *report,
                               check_result *r)
{
    teacher_forced t;
    tmgt_error why;
    int rc = teacher_forced_read(report, o->tokens, o->n_tokens, &t, &why);
    if (rc < 0)
        check_result_set(r, CHECK_FAIL, "%s output %s", ctx->q[0]->command, why.msg);
    if (rc <= 0)
        return;
    r->teacher_forced = teacher_forced_to_json(&t);
    char *sentence = teacher_forced_sentence(&t);
    check_result_add_clause(r, sentence);
    free(sentence);
}

static void logit_parity_evaluate(const check_ctx *ctx, check_result *r)
{
    const cJSON *report = NULL;
    const token_divergence *d = run_divergence(ctx, r, &report);
    if (!d)
        return;
    switch (d->cls) {
    case DIV_NONE:
        if (d->n_got)
            check_result_set(r, CHECK_PASS, "all %zu tokens agree with the oracle's", d->n_got);
        else
            check_result_set(r, CHECK_PASS, "the run stopped at once, as the oracle did");
        break;
    case DIV_NEAR_TIE:
        check_result_set(r, CHECK_PASS, "the tokens agree up to a near-tie");
        break;
    case DIV_CONFIDENT:
        check_result_set(r, CHECK_FAIL, "a divergence beyond the near-tie bound of %g nats", d->bound);
        break;
    case DIV_PROMPT_MISMATCH:
        check_result_set(r, CHECK_FAIL, "the run read another prompt than the oracle's");
        break;
    case DIV_ENGINE_ERROR:
        query_ok(ctx, 0, r); /* the engine's exit status and message */
        break;
    case DIV_UNMEASURED:
        if (!d->oracle_margins)
            check_result_set(r, CHECK_SKIP, "the oracle records no top_logprobs to measure a divergence by");
        else
            check_result_set(r, CHECK_FAIL, "a divergence the oracle's margins cannot measure");
        break;
    }
    const oracle_entry *o = ctx->oracle; /* run_divergence found it */
    add_teacher_forced(ctx, o, report, r);
    if (d->oracle_margins)
        yardstick_describe(ctx, o, r);
}

const suite_def suite_logit_parity = {"logit-parity", "logit-parity", false, logit_parity_expand,
                                      logit_parity_evaluate};
