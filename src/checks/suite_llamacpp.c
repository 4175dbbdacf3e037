/* The llama.cpp layer: llama-completion on llama.cpp's own quantizations against the oracle
 * text (llamacpp-text), and apr against llama.cpp on the same Q8_0 GGUF (cross-runtime).
 * llama-completion prints bare text, which the original strips (Python str.strip()) while it
 * compares apr and oracle texts as they are (docs/DESIGN.md, "The original harness"). Every oracle text
 * starts with a space, so that made every llama.cpp check fail by a shift of one position. tmgt deliberately
 * strips both sides of these comparisons: leading and trailing whitespace is not a parity
 * finding, a differing word is. (apr 0.72 trims its own `text` too.) */
#include <string.h>

#include "run_divergence.h"

#define EOS_MARKER "[end of text]"

/* llama-completion ends its output with " [end of text]" when generation stops at EOS: a log
 * marker, not generated text, so it is not compared. */
static const char *llama_text(const check_ctx *ctx, size_t i, size_t *len)
{
    size_t n, marker = strlen(EOS_MARKER);
    const char *s = text_strip(ctx->q[i]->out, ctx->q[i]->out_len, &n);
    if (n >= marker && memcmp(s + n - marker, EOS_MARKER, marker) == 0)
        n -= marker;
    return text_strip(s, n, len);
}

/* ---- llamacpp-text ---- */

static void llamacpp_text_expand(const pipeline *pl, const pipeline_model *m, check_list *out)
{
    for (size_t q = 0; q < 2; q++) {
        for (size_t i = 0; i < pl->n_prompts; i++) {
            const char *key = pl->prompts[i].key;
            check_spec *c = suite_add(out, &suite_llamacpp_text, suite_llamacpp_text.label, m,
                                      LLAMA_QUANTS[q].variant, key, LLAMA_QUANTS[q].threshold);
            check_add_query(c, "llama-run", LLAMA_QUANTS[q].artifact, NULL, key);
        }
    }
}

static void llamacpp_text_evaluate(const check_ctx *ctx, check_result *r)
{
    const oracle_entry *o;
    if (!query_ok(ctx, 0, r) || !(o = check_oracle(ctx, r)))
        return;
    size_t len, olen;
    const char *otext = text_strip(o->text, strlen(o->text), &olen);
    const char *text = llama_text(ctx, 0, &len);
    double t = ctx->spec->threshold;
    text_comparison c = compare_text(r, otext, olen, text, len);
    if ((double)c.mismatches <= t) {
        check_result_set(r, CHECK_PASS, "%zu/%g char mismatches", c.mismatches, t);
    } else {
        check_result_set(r, CHECK_FAIL, "%zu char mismatches exceeds threshold %g", c.mismatches, t);
        check_result_text_pair(r, "expected", otext, olen, "got", text, len);
    }
    note_invalid_utf8(r, &c, "oracle", "llama-completion");
}

const suite_def suite_llamacpp_text = {"llamacpp-text", "llamacpp-text", false, llamacpp_text_expand,
                                       llamacpp_text_evaluate};

/* ---- cross-runtime ---- */

static void cross_runtime_expand(const pipeline *pl, const pipeline_model *m, check_list *out)
{
    const char *gguf = LLAMA_QUANTS[0].artifact;
    for (size_t i = 0; i < pl->n_prompts; i++) {
        const char *key = pl->prompts[i].key;
        check_spec *c = suite_add(out, &suite_cross_runtime, suite_cross_runtime.label, m, NULL, key, 0);
        check_add_query(c, run_step_for(pl, gguf), gguf, NULL, key);
        check_add_query(c, "llama-run", gguf, NULL, key);
    }
}

/* llama.cpp is the reference here: it is the runtime the GGUF format comes from. */
static void cross_runtime_evaluate(const check_ctx *ctx, check_result *r)
{
    const cJSON *doc = NULL;
    const char *apr;

    if (queries_ok(ctx, r, NULL) && (doc = query_json(ctx, 0, r)) && (apr = run_text(ctx, 0, doc, r)) &&
        record_reported_divergence(ctx, 0, doc, ctx->oracle, r)) {
        size_t len, alen;
        apr = text_strip(apr, strlen(apr), &alen);
        const char *llama = llama_text(ctx, 1, &len);
        text_comparison c = compare_text(r, llama, len, apr, alen);
        if (c.mismatches == 0 && !c.expected_invalid && !c.got_invalid) {
            check_result_set(r, CHECK_PASS, "exact match");
        } else {
            check_result_set(r, CHECK_FAIL, "text mismatch");
            check_result_text_pair(r, "llama.cpp", llama, len, "apr", apr, alen);
        }
        note_invalid_utf8(r, &c, "llama-completion", "apr run");
    }
}

const suite_def suite_cross_runtime = {"cross-runtime", "cross-runtime", false, cross_runtime_expand,
                                       cross_runtime_evaluate};
