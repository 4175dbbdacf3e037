#include "yardstick.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

#include "run_divergence.h"

#define FLOAT_RUNG "f32.apr"

/* apr's artefacts and llama.cpp's artefact of the same weights at the same precision. */
static const struct {
    const char *apr, *peer;
} PEERS[] = {{"f32.apr", "f16.gguf"},
             {"int8.apr", "q8_0.gguf"},
             {"int4.apr", "q4_0.gguf"},
             {"q8_0.gguf", "q8_0.gguf"},
             {"q8_0-notemplate.gguf", "q8_0.gguf"}};

static const char *peer_of(const char *artifact)
{
    for (size_t i = 0; i < sizeof PEERS / sizeof PEERS[0]; i++)
        if (strcmp(PEERS[i].apr, artifact) == 0)
            return PEERS[i].peer;
    return NULL;
}

/* A run quantized by apr's import, which apr's float32 import places. */
static bool apr_quantized(const char *artifact)
{
    return strcmp(artifact, "int8.apr") == 0 || strcmp(artifact, "int4.apr") == 0;
}

void yardstick_add_queries(const pipeline *pl, check_spec *c, const char *artifact)
{
    const char *peer = peer_of(artifact);
    if (peer && pipeline_find_step(pl, PROBE_STEP) && pipeline_find_artifact(pl, peer))
        check_add_query(c, PROBE_STEP, peer, NULL, c->prompt);
    if (apr_quantized(artifact) && pipeline_find_artifact(pl, FLOAT_RUNG))
        check_add_query(c, run_step_for(pl, FLOAT_RUNG), FLOAT_RUNG, NULL, c->prompt);
}

/* "stays on the oracle's path through all 32 tokens", "leaves it at token 4 (near-tie, 0.25
 * nats)": what one rung did, in words. */
static void rung_words(strbuf *sb, const token_divergence *d)
{
    if (d->cls == DIV_PROMPT_MISMATCH)
        sb_printf(sb, "read another prompt than the oracle's");
    else if (d->cls == DIV_ENGINE_ERROR && !d->present)
        sb_printf(sb, "agrees with the oracle's tokens but failed");
    else if (!d->present)
        sb_printf(sb, "stays on the oracle's path through all %zu tokens", d->n_got);
    else if (d->cls == DIV_NEAR_TIE)
        sb_printf(sb, "leaves it at token %ld (near-tie, %.2f nats)", d->index, d->margin_nats);
    else
        sb_printf(sb, "leaves it at token %ld (%s)", d->index,
                  divergence_class_name(d->cls) ? divergence_class_name(d->cls) : "unmeasured");
}

static cJSON *rung_json(const char *role, const char *engine, const char *artifact, const token_divergence *d)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "role", role);
    cJSON_AddStringToObject(j, "engine", engine);
    cJSON_AddStringToObject(j, "artifact", artifact);
    if (!d) {
        cJSON_AddNullToObject(j, "index");
        cJSON_AddNullToObject(j, "class");
        return j;
    }
    cJSON_AddItemToObject(j, "index", d->present ? cJSON_CreateNumber((double)d->index) : cJSON_CreateNull());
    const char *cls = divergence_class_name(d->cls);
    cJSON_AddItemToObject(j, "class", cls ? cJSON_CreateString(cls) : cJSON_CreateNull());
    cJSON_AddItemToObject(j, "margin_nats",
                          d->present && d->has_logp_got ? cJSON_CreateNumber(d->margin_nats)
                                                        : cJSON_CreateNull());
    cJSON_AddBoolToObject(j, "tokens_agree", !d->present);
    return j;
}

/* Where the check's own divergence starts, from apr's float32 rung beside it. */
static void place(strbuf *sb, const token_divergence *own, const token_divergence *f32)
{
    if (!own->present || own->cls == DIV_PROMPT_MISMATCH || f32->cls == DIV_PROMPT_MISMATCH)
        return;
    if (f32->present && f32->index <= own->index)
        sb_printf(sb, ", so the divergence is there before quantization");
    else
        sb_printf(sb, ", so the divergence comes with quantization");
}

void yardstick_describe(const check_ctx *ctx, const oracle_entry *o, check_result *r)
{
    if (!r->tv || ctx->spec->n_queries < 2)
        return;
    strbuf sb = {0};
    cJSON *all = cJSON_CreateArray();
    for (size_t i = 1; i < ctx->spec->n_queries; i++) {
        const query_spec *q = &ctx->spec->queries[i];
        bool peer = strcmp(q->step, PROBE_STEP) == 0;
        const char *engine = peer ? "llama.cpp" : "apr";
        token_divergence d;
        bool known = read_run_divergence(ctx, i, o, &d);
        sb_printf(&sb, "%s%s on %s ", i == 1 ? "beside it, " : "; ", engine, q->artifacts[0]);
        if (known)
            rung_words(&sb, &d);
        else
            sb_printf(&sb, "gave no tokens to compare");
        if (known && !peer)
            place(&sb, &r->tv->d, &d);
        cJSON_AddItemToArray(
            all, rung_json(peer ? "peer" : "float32", engine, q->artifacts[0], known ? &d : NULL));
    }
    /* Where the run agrees with the oracle, the words would only repeat that; the figures stay. */
    const token_divergence *own = &r->tv->d;
    char *words = sb_detach(&sb);
    if (own->present || own->cls != DIV_NONE)
        r->tv->beside = words;
    else
        free(words);
    r->tv->beside_json = all;
}
