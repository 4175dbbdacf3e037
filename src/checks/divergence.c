#include "divergence.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "escape.h"
#include "util.h"

/* Where `needle` starts inside `hay`, or -1. Prompts are short, so the direct search will do. */
static long find_ids(const long *hay, size_t nh, const long *needle, size_t nn)
{
    for (size_t k = 0; nn && k + nn <= nh; k++)
        if (!memcmp(hay + k, needle, nn * sizeof *needle))
            return (long)k;
    return -1;
}

static void compare_ids(const long *o, size_t no, const long *e, size_t ne, long bos_id,
                        prompt_comparison *out)
{
    long inside;
    if (no == ne && !memcmp(o, e, no * sizeof *o)) {
        out->verdict = PROMPT_SAME;
    } else if (ne > no && (inside = find_ids(e, ne, o, no)) >= 0) {
        out->offset = (size_t)inside;
        bool one_ahead = inside == 1 && ne == no + 1;
        out->verdict = one_ahead && (bos_id < 0 || e[0] == bos_id) ? PROMPT_EXTRA_BOS : PROMPT_TEMPLATED;
    } else if (ne < no && (inside = find_ids(o, no, e, ne)) >= 0) {
        out->offset = (size_t)inside;
        out->verdict = PROMPT_DROPPED;
    } else {
        out->verdict = PROMPT_DIFFERENT;
        out->index = first_token_divergence(o, no, e, ne);
        out->expected = (size_t)out->index < no ? o[out->index] : -1;
        out->got = (size_t)out->index < ne ? e[out->index] : -1;
    }
}

void prompt_compare(const oracle_entry *o, const engine_run *e, long bos_id, prompt_comparison *out)
{
    memset(out, 0, sizeof *out);
    out->index = out->expected = out->got = -1;
    out->verdict = PROMPT_UNKNOWN;
    out->n_oracle = o->n_prompt_tokens;
    if (!o->prompt_tokens)
        return;
    if (e->prompt_ids) {
        out->n_engine = e->n_prompt_ids;
        compare_ids(o->prompt_tokens, o->n_prompt_tokens, e->prompt_ids, e->n_prompt_ids, bos_id, out);
    } else if (e->prompt_count >= 0) {
        out->n_engine = (size_t)e->prompt_count;
        out->verdict = out->n_engine == out->n_oracle ? PROMPT_SAME : PROMPT_COUNT_DIFFERS;
    }
}

static void keep_top(const position_top *pt, shown_top *out)
{
    out->n = pt->n < DIVERGENCE_TOP_SHOWN ? pt->n : DIVERGENCE_TOP_SHOWN;
    memcpy(out->top, pt->top, out->n * sizeof *out->top);
}

/* How far the oracle's choice stood above its runner-up at each position: near 0, float noise
 * can flip it. */
static void keep_margins(const oracle_entry *o, token_divergence *d)
{
    if (!o->top)
        return;
    d->n_margins = o->n_tokens < ORACLE_TOKENS ? o->n_tokens : ORACLE_TOKENS;
    for (size_t i = 0; i < d->n_margins; i++) {
        const position_top *pt = &o->top[i];
        d->margins[i] = pt->n >= 2 ? pt->top[0].logprob - pt->top[1].logprob : NAN;
    }
}

/* The oracle's and the engine's log-probabilities at the divergence. */
static void measure(const oracle_entry *o, const engine_run *e, token_divergence *d)
{
    size_t at = (size_t)d->index;
    if (o->top && d->expected >= 0) {
        const position_top *pt = &o->top[at];
        keep_top(pt, &d->oracle_top);
        const token_logprob *exp = position_top_find(pt, d->expected);
        d->oracle_top_k = pt->n;
        d->has_logp_expected = exp != NULL;
        d->logp_expected = exp ? exp->logprob : 0;
        if (d->got >= 0) {
            d->got_rank = position_top_rank(pt, d->got);
            d->got_in_oracle_top = d->got_rank > 0;
            if (d->got_rank && exp) {
                d->has_logp_got = true;
                d->logp_got = pt->top[d->got_rank - 1].logprob;
                d->margin_nats = d->logp_expected - d->logp_got;
            }
        }
    }
    if (e->top && at < e->n_tokens && d->expected >= 0) {
        d->engine_top_k = e->top[at].n;
        keep_top(&e->top[at], &d->engine_top);
        d->expected_in_engine_top = position_top_rank(&e->top[at], d->expected) > 0;
    }
}

static divergence_class classify(const token_divergence *d)
{
    if (d->prompt.verdict != PROMPT_UNKNOWN && d->prompt.verdict != PROMPT_SAME)
        return DIV_PROMPT_MISMATCH;
    if (d->engine_failed)
        return DIV_ENGINE_ERROR;
    if (!d->present)
        return DIV_NONE;
    if (!d->has_logp_expected || d->got < 0)
        return DIV_UNMEASURED;
    if (!d->has_logp_got)
        return DIV_CONFIDENT;
    return d->margin_nats <= d->bound ? DIV_NEAR_TIE : DIV_CONFIDENT;
}

void divergence_find(const oracle_entry *o, const engine_run *e, const divergence_params *p,
                     token_divergence *out)
{
    memset(out, 0, sizeof *out);
    out->index = out->expected = out->got = -1;
    out->expected_in_engine_top = out->got_in_oracle_top = -1;
    out->bound = p->near_tie_nats;
    out->engine_failed = e->failed;
    out->oracle_margins = o->top != NULL;
    prompt_compare(o, e, p->bos_id, &out->prompt);
    keep_margins(o, out);

    out->n_expected = oracle_comparable_tokens(o, e->n_tokens);
    out->n_got = e->n_tokens;
    out->mismatches = count_mismatches(o->tokens, out->n_expected, e->tokens, e->n_tokens);
    long at = first_token_divergence(o->tokens, out->n_expected, e->tokens, e->n_tokens);
    if (at >= 0) {
        out->present = true;
        out->index = at;
        out->expected = (size_t)at < out->n_expected ? o->tokens[at] : -1;
        out->engine_stopped = (size_t)at >= e->n_tokens;
        out->got = out->engine_stopped ? p->eos_id : e->tokens[at];
        measure(o, e, out);
    }
    out->cls = classify(out);
}

const char *divergence_class_name(divergence_class c)
{
    switch (c) {
    case DIV_NEAR_TIE:
        return "near-tie";
    case DIV_CONFIDENT:
        return "confident";
    case DIV_PROMPT_MISMATCH:
        return "prompt-mismatch";
    case DIV_ENGINE_ERROR:
        return "engine-error";
    default:
        return NULL;
    }
}

/* ---- words ------------------------------------------------------------------------------ */

/* Three significant figures as the examples print them (−1.94, −17.0, 15.1, 0.77),
 * with a real minus sign. */
static void put_number(FILE *f, double x)
{
    double a = fabs(x);
    const char *sign = x < 0 && a >= 0.005 ? "\u2212" : "";
    fprintf(f, "%s%.*f", sign, a < 10 ? 2 : a < 100 ? 1 : 0, a);
}

static void put_token(FILE *f, long id, const vocab *v)
{
    fprintf(f, "%ld", id);
    char *text = vocab_decode(v, id);
    if (text) {
        fputs(" \"", f);
        escape_puts(f, text, ESC_VISIBLE | ESC_QUOTED);
        fputc('"', f);
        free(text);
    }
}

static const char *possessive(const char *engine, char *buf, size_t size)
{
    if (!engine)
        return "the engine's";
    snprintf(buf, size, "%s's", engine);
    return buf;
}

static void put_prompt(FILE *f, const prompt_comparison *pc, const vocab *v, const char *engine)
{
    char buf[96];
    const char *theirs = possessive(engine, buf, sizeof buf);
    switch (pc->verdict) {
    case PROMPT_UNKNOWN:
        fprintf(f, "prompt ids not compared: %s",
                pc->n_oracle ? "the engine reported neither ids nor a count"
                             : "the oracle records no prompt_tokens");
        break;
    case PROMPT_SAME:
        fprintf(f, "the prompt matches: %zu ids, as the oracle's", pc->n_engine);
        break;
    case PROMPT_TEMPLATED:
        fprintf(f,
                "the oracle's %zu prompt ids appear inside %s %zu at offset %zu: a chat template was applied",
                pc->n_oracle, theirs, pc->n_engine, pc->offset);
        break;
    case PROMPT_EXTRA_BOS:
        fprintf(f, "an extra BOS at 0: %s %zu prompt ids are the oracle's %zu after one more", theirs,
                pc->n_engine, pc->n_oracle);
        break;
    case PROMPT_DROPPED:
        fprintf(f,
                "%s %zu prompt ids appear inside the oracle's %zu at offset %zu: ids the oracle fed were "
                "left out",
                theirs, pc->n_engine, pc->n_oracle, pc->offset);
        break;
    case PROMPT_DIFFERENT:
        fprintf(f, "first differing prompt id at %ld: expected ", pc->index);
        if (pc->expected >= 0)
            put_token(f, pc->expected, v);
        else
            fputs("the end", f);
        fputs(", got ", f);
        if (pc->got >= 0)
            put_token(f, pc->got, v);
        else
            fputs("the end", f);
        fprintf(f, " (the oracle's %zu ids, %s %zu)", pc->n_oracle, theirs, pc->n_engine);
        break;
    case PROMPT_COUNT_DIFFERS:
        fprintf(f, "%s prompt is %zu tokens, the oracle's %zu (%s reports a count, not the ids)", theirs,
                pc->n_engine, pc->n_oracle, engine ? engine : "it");
        break;
    }
}

static void put_logp_got(FILE *f, const token_divergence *d)
{
    if (d->has_logp_got) {
        fputs("logp ", f);
        put_number(f, d->logp_got);
        fputs(", ", f);
        put_number(f, d->margin_nats);
        fputs(" nats below", f);
    } else if (d->has_logp_expected && d->got >= 0) {
        fprintf(f, "not in the oracle's top %zu", d->oracle_top_k);
    }
}

static void put_got(FILE *f, const token_divergence *d, const vocab *v, const char *engine)
{
    const char *who = engine ? engine : "the engine";
    if (d->engine_stopped) {
        fprintf(f, "the end (%s stopped", who);
        if (d->got < 0) {
            fputs(")", f);
            return;
        }
        fputs(": EOS ", f);
        put_token(f, d->got, v);
        if (d->has_logp_got || d->has_logp_expected)
            fputs(", ", f);
    } else {
        put_token(f, d->got, v);
        if (!d->has_logp_got && !d->has_logp_expected)
            return;
        fputs(" (", f);
    }
    put_logp_got(f, d);
    fputc(')', f);
}

static void put_class(FILE *f, const token_divergence *d, const char *engine)
{
    fputs(" \u2014 ", f);
    switch (d->cls) {
    case DIV_NEAR_TIE:
        fputs("near-tie (bound ", f);
        put_number(f, d->bound);
        fputs(" nats)", f);
        break;
    case DIV_CONFIDENT:
        fputs("confident", f);
        break;
    case DIV_ENGINE_ERROR:
        fprintf(f, "engine-error (%s failed)", engine ? engine : "the engine");
        break;
    default:
        fprintf(f, "not measured: %s",
                !d->oracle_margins ? "the oracle records no log-probabilities"
                : d->expected < 0  ? "past the oracle's end"
                                   : "the EOS id is not known");
        break;
    }
}

static void put_cross(FILE *f, const token_divergence *d, const char *engine)
{
    if (d->expected_in_engine_top < 0)
        return;
    char buf[96];
    fprintf(f, "; expected %sin %s top %zu", d->expected_in_engine_top ? "" : "not ",
            possessive(engine, buf, sizeof buf), d->engine_top_k);
    if (d->got_in_oracle_top >= 0)
        fprintf(f, ", got %sin the oracle's top %zu", d->got_in_oracle_top ? "" : "not ", d->oracle_top_k);
}

static void put_divergence(FILE *f, const token_divergence *d, const vocab *v, const char *engine)
{
    if (d->cls == DIV_PROMPT_MISMATCH) {
        put_prompt(f, &d->prompt, v, engine);
        fputs(" \u2014 prompt-mismatch: the token comparison is void", f);
        return;
    }
    if (!d->present) {
        /* No tokens at all: the oracle's first choice was the EOS, and the engine's too. */
        const char *none = "it stopped at once, as the oracle did";
        if (d->engine_failed && !d->n_got)
            fprintf(f, "%s failed although %s \u2014 engine-error", engine ? engine : "the engine", none);
        else if (d->engine_failed)
            fprintf(f, "%s failed although its %zu tokens agree with the oracle's \u2014 engine-error",
                    engine ? engine : "the engine", d->n_got);
        else if (!d->n_got)
            fputs(none, f);
        else
            fprintf(f, "all %zu tokens agree with the oracle's", d->n_got);
        return;
    }
    fprintf(f, "first divergence at token %ld: expected ", d->index);
    if (d->expected < 0) {
        fprintf(f, "the end (the oracle's %zu tokens)", d->n_expected);
    } else {
        put_token(f, d->expected, v);
        if (d->has_logp_expected) {
            fputs(" (logp ", f);
            put_number(f, d->logp_expected);
            fputc(')', f);
        }
    }
    fputs(", got ", f);
    put_got(f, d, v, engine);
    put_class(f, d, engine);
    put_cross(f, d, engine);
}

/* One of the two sentences, written into a malloc'd string. */
typedef struct {
    const token_divergence *d; /* NULL: the prompt sentence */
    const prompt_comparison *pc;
    const vocab *v;
    const char *engine;
} sentence_of;

static char *sentence(const sentence_of *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return xstrdup("(out of memory)");
    if (s->d)
        put_divergence(f, s->d, s->v, s->engine);
    else
        put_prompt(f, s->pc, s->v, s->engine);
    fclose(f);
    return buf;
}

char *divergence_sentence(const token_divergence *d, const vocab *v, const char *engine)
{
    return sentence(&(sentence_of){.d = d, .v = v, .engine = engine});
}

char *prompt_sentence(const prompt_comparison *pc, const vocab *v, const char *engine)
{
    return sentence(&(sentence_of){.pc = pc, .v = v, .engine = engine});
}

/* ---- JSON ------------------------------------------------------------------------------- */

static cJSON *id_or_null(long id)
{
    return id >= 0 ? cJSON_CreateNumber((double)id) : cJSON_CreateNull();
}
static cJSON *num_or_null(bool known, double x)
{
    return known ? cJSON_CreateNumber(x) : cJSON_CreateNull();
}

static const char *prompt_verdict_name(prompt_verdict v)
{
    static const char *const names[] = {"unknown", "same",      "templated",    "extra-bos",
                                        "dropped", "different", "count-differs"};
    return names[v];
}

static cJSON *prompt_json(const prompt_comparison *pc)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "verdict", prompt_verdict_name(pc->verdict));
    cJSON_AddNumberToObject(o, "oracle_ids", (double)pc->n_oracle);
    cJSON_AddItemToObject(o, "engine_ids",
                          pc->verdict == PROMPT_UNKNOWN ? cJSON_CreateNull()
                                                        : cJSON_CreateNumber((double)pc->n_engine));
    if (pc->verdict == PROMPT_TEMPLATED || pc->verdict == PROMPT_EXTRA_BOS || pc->verdict == PROMPT_DROPPED)
        cJSON_AddNumberToObject(o, "offset", (double)pc->offset);
    if (pc->verdict == PROMPT_DIFFERENT) {
        cJSON_AddNumberToObject(o, "index", (double)pc->index);
        cJSON_AddItemToObject(o, "expected", id_or_null(pc->expected));
        cJSON_AddItemToObject(o, "got", id_or_null(pc->got));
    }
    return o;
}

static cJSON *top_json(const shown_top *t)
{
    if (!t->n)
        return cJSON_CreateNull();
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < t->n; i++) {
        cJSON *entry = cJSON_CreateObject();
        cJSON_AddNumberToObject(entry, "id", (double)t->top[i].id);
        cJSON_AddNumberToObject(entry, "logprob", t->top[i].logprob);
        cJSON_AddItemToArray(a, entry);
    }
    return a;
}

static cJSON *margins_json(const token_divergence *d)
{
    if (!d->n_margins)
        return cJSON_CreateNull();
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < d->n_margins; i++)
        cJSON_AddItemToArray(a, num_or_null(!isnan(d->margins[i]), d->margins[i]));
    return a;
}

cJSON *divergence_to_json(const token_divergence *d)
{
    cJSON *o = cJSON_CreateObject();
    const char *cls = divergence_class_name(d->cls);
    cJSON_AddItemToObject(o, "index", d->present ? cJSON_CreateNumber((double)d->index) : cJSON_CreateNull());
    cJSON_AddItemToObject(o, "expected", id_or_null(d->expected));
    cJSON_AddItemToObject(o, "got", id_or_null(d->got));
    cJSON_AddItemToObject(o, "class", cls ? cJSON_CreateString(cls) : cJSON_CreateNull());
    cJSON_AddItemToObject(o, "margin_nats", num_or_null(d->has_logp_got, d->margin_nats));
    cJSON_AddItemToObject(o, "logp_expected", num_or_null(d->has_logp_expected, d->logp_expected));
    cJSON_AddItemToObject(o, "logp_got", num_or_null(d->has_logp_got, d->logp_got));
    cJSON_AddNumberToObject(o, "got_rank", (double)d->got_rank);
    cJSON_AddNumberToObject(o, "oracle_top_k", (double)d->oracle_top_k);
    cJSON_AddNumberToObject(o, "near_tie_nats", d->bound);
    cJSON_AddBoolToObject(o, "engine_stopped", d->engine_stopped);
    cJSON_AddBoolToObject(o, "engine_failed", d->engine_failed);
    cJSON_AddBoolToObject(o, "oracle_margins", d->oracle_margins);
    cJSON_AddNumberToObject(o, "mismatches", (double)d->mismatches);
    if (d->expected_in_engine_top >= 0) {
        cJSON *c = cJSON_AddObjectToObject(o, "cross");
        cJSON_AddBoolToObject(c, "expected_in_engine_top", d->expected_in_engine_top);
        cJSON_AddNumberToObject(c, "engine_top_k", (double)d->engine_top_k);
        cJSON_AddItemToObject(c, "got_in_oracle_top",
                              d->got_in_oracle_top >= 0 ? cJSON_CreateBool(d->got_in_oracle_top)
                                                        : cJSON_CreateNull());
    }
    cJSON_AddItemToObject(o, "prompt", prompt_json(&d->prompt));
    cJSON_AddItemToObject(o, "oracle_top", top_json(&d->oracle_top));
    cJSON_AddItemToObject(o, "engine_top", top_json(&d->engine_top));
    cJSON_AddItemToObject(o, "position_margins", margins_json(d));
    return o;
}

static void name_tokens(cJSON *top, const vocab *v)
{
    cJSON *entry;
    cJSON_ArrayForEach (entry, top) {
        char *text =
            vocab_decode(v, (long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(entry, "id")));
        if (text)
            cJSON_AddStringToObject(entry, "text", text);
        free(text);
    }
}

void divergence_json_name_tokens(cJSON *json, const vocab *v)
{
    name_tokens(cJSON_GetObjectItemCaseSensitive(json, "oracle_top"), v);
    name_tokens(cJSON_GetObjectItemCaseSensitive(json, "engine_top"), v);
}
