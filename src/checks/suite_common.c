#include "suite_common.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "utf8.h"
#include "util.h"

const quant APR_QUANTS[2] = {{"int4", "int4.apr", 5}, {"int8", "int8.apr", 3}};
const quant LLAMA_QUANTS[2] = {{"q8_0", "q8_0.gguf", 3}, {"q4_0", "q4_0.gguf", 5}};

/* How much of each side a text divergence quotes, from the first differing code point on. */
#define DIVERGENCE_QUOTE 24

check_spec *suite_add(check_list *out, const suite_def *s, const char *label, const pipeline_model *m,
                      const char *variant, const char *prompt, double threshold)
{
    const char *model = m ? m->slug : "global";
    strbuf name;
    sb_init(&name);
    sb_printf(&name, "%s/%s", label, model);
    if (variant)
        sb_printf(&name, "/%s", variant);
    if (prompt)
        sb_printf(&name, "/%s", prompt);
    check_spec *c = check_list_add(out, s->key, name.buf, model, variant, prompt, threshold);
    sb_free(&name);
    return c;
}

void expand_per_apr_quant(const pipeline_model *m, check_list *out, const suite_def *s, const char *step,
                          double threshold)
{
    for (size_t i = 0; i < 2; i++) {
        check_spec *c = suite_add(out, s, s->label, m, APR_QUANTS[i].variant, NULL, threshold);
        check_add_query(c, step, APR_QUANTS[i].artifact, NULL, NULL);
    }
}

/* `prefix` (may be NULL) followed by the formatted text, malloc'd. */
static char *vformat(const char *prefix, const char *fmt, va_list ap)
{
    strbuf sb;
    sb_init(&sb);
    if (prefix)
        sb_puts(&sb, prefix);
    sb_vprintf(&sb, fmt, ap);
    return sb_detach(&sb);
}

void check_result_append(check_result *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *d = vformat(r->detail, fmt, ap);
    va_end(ap);
    free(r->detail);
    r->detail = d;
}

void check_result_details(check_result *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *d = vformat(NULL, fmt, ap);
    va_end(ap);
    free(r->details);
    r->details = d;
}

void check_result_prefix(check_result *r, const char *label)
{
    if (!label)
        return;
    char *d = xasprintf("%s: %s", label, r->detail ? r->detail : "");
    free(r->detail);
    r->detail = d;
}

void check_result_pair(check_result *r, const char *name_a, const char *value_a, const char *name_b,
                       const char *value_b)
{
    int la = (int)strlen(name_a), lb = (int)strlen(name_b), w = la > lb ? la : lb;
    check_result_details(r, "%s:%*s %s\n  %s:%*s %s", name_a, w - la, "", value_a, name_b, w - lb, "",
                         value_b);
}

void check_result_text_pair(check_result *r, const char *name_a, const char *a, size_t alen,
                            const char *name_b, const char *b, size_t blen)
{
    char *ra = py_repr(a, alen), *rb = py_repr(b, blen);
    check_result_pair(r, name_a, ra, name_b, rb);
    free(ra);
    free(rb);
}

void fail_missing(const check_ctx *ctx, size_t i, check_result *r, const char *field)
{
    check_result_set(r, CHECK_FAIL, "%s output has no \"%s\" field", ctx->spec->queries[i].step, field);
}

static const char *pipeline_prompt_text(const pipeline *pl, const char *key)
{
    for (size_t i = 0; pl && key && i < pl->n_prompts; i++)
        if (strcmp(pl->prompts[i].key, key) == 0)
            return pl->prompts[i].text;
    return NULL;
}

const oracle_entry *check_oracle(const check_ctx *ctx, check_result *r)
{
    const char *key = ctx->spec->prompt;
    const oracle_entry *o = ctx->oracle;
    if (!o) {
        check_result_set(r, CHECK_SKIP, "no oracle for %s/%s", ctx->spec->model, key ? key : "?");
        return NULL;
    }
    const char *text = pipeline_prompt_text(ctx->pl, key);
    if (text && strcmp(text, o->prompt) != 0) {
        char *a = py_repr(o->prompt, strlen(o->prompt)), *b = py_repr(text, strlen(text));
        check_result_set(r, CHECK_FAIL, "oracle prompt %s differs from the pipeline's prompt %s", a, b);
        free(a);
        free(b);
        return NULL;
    }
    return o;
}

bool run_tokens(const check_ctx *ctx, size_t i, const cJSON *doc, check_result *r, long **tokens, size_t *n)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, "tokens");
    if (!v || cJSON_IsNull(v)) {
        fail_missing(ctx, i, r, "tokens");
        return false;
    }
    if (!json_int_list(v, tokens, n)) {
        check_result_set(r, CHECK_FAIL, "%s output \"tokens\" is not a list of integers",
                         ctx->spec->queries[i].step);
        return false;
    }
    return true;
}

const char *run_text(const check_ctx *ctx, size_t i, const cJSON *doc, check_result *r)
{
    static const char *const keys[] = {"text", "generated_text", NULL};
    const cJSON *v = json_first(doc, keys);
    if (!v) {
        fail_missing(ctx, i, r, "text");
        return NULL;
    }
    if (!cJSON_IsString(v)) {
        check_result_set(r, CHECK_FAIL, "%s output \"%s\" is not a string", ctx->spec->queries[i].step,
                         v->string);
        return NULL;
    }
    return v->valuestring;
}

bool str_ieq(const char *a, const char *b)
{
    return a && b && strcasecmp(a, b) == 0;
}

bool str_icontains(const char *haystack, const char *needle)
{
    size_t n = strlen(needle);
    for (const char *p = haystack; p && *p; p++)
        if (strncasecmp(p, needle, n) == 0)
            return true;
    return false;
}

bool status_passes(const cJSON *status)
{
    if (cJSON_IsTrue(status))
        return true;
    const char *s = cJSON_GetStringValue(status);
    return str_ieq(s, "pass") || str_ieq(s, "passed") || str_ieq(s, "ok");
}

static cJSON *side(const long *tokens, size_t n, const char *text, size_t text_len)
{
    cJSON *o = cJSON_CreateObject();
    if (tokens) {
        cJSON *arr = cJSON_AddArrayToObject(o, "tokens");
        for (size_t i = 0; i < n; i++)
            cJSON_AddItemToArray(arr, cJSON_CreateNumber((double)tokens[i]));
    }
    if (text) {
        char *clean = utf8_sanitize(text, text_len, NULL);
        cJSON_AddStringToObject(o, "text", clean);
        free(clean);
    }
    return o;
}

static void set_sides(check_result *r, cJSON *expected, cJSON *got)
{
    cJSON_Delete(r->expected);
    cJSON_Delete(r->got);
    r->expected = expected;
    r->got = got;
}

size_t compare_tokens(check_result *r, const long *exp, size_t ne, const char *exp_text, const long *got,
                      size_t ng, const char *got_text)
{
    size_t m = count_mismatches(exp, ne, got, ng);
    long at = first_token_divergence(exp, ne, got, ng);

    r->div.present = at >= 0;
    r->div.mismatches = m;
    if (at >= 0) {
        r->div.index = at;
        r->div.expected = (size_t)at < ne ? exp[at] : -1;
        r->div.got = (size_t)at < ng ? got[at] : -1;
    }
    set_sides(r, side(exp, ne, exp_text, exp_text ? strlen(exp_text) : 0),
              side(got, ng, got_text, got_text ? strlen(got_text) : 0));
    return m;
}

/* The code points of valid UTF-8 `s` from index `from`, at most `max` of them; NULL when the
 * text ends before `from`. */
static char *cp_slice(const char *s, size_t from, size_t max)
{
    size_t len = strlen(s), i = 0;
    long cp;
    for (size_t n = 0; n < from && i < len; n++)
        i += utf8_step(s + i, len - i, &cp);
    if (i >= len)
        return NULL;
    size_t start = i;
    for (size_t n = 0; n < max && i < len; n++)
        i += utf8_step(s + i, len - i, &cp);
    return xstrndup(s + start, i - start);
}

static bool texts_equal_stripped(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t la, lb;
    a = text_strip(a, alen, &la);
    b = text_strip(b, blen, &lb);
    return la == lb && memcmp(a, b, la) == 0;
}

text_comparison compare_text(check_result *r, const char *exp, size_t elen, const char *got, size_t glen)
{
    text_comparison c = {0};
    char *se = utf8_sanitize(exp, elen, &c.expected_invalid);
    char *sg = utf8_sanitize(got, glen, &c.got_invalid);
    long at = first_char_divergence(exp, elen, got, glen);

    c.mismatches = count_char_mismatches(exp, elen, got, glen);
    r->div.text = true;
    r->div.whitespace_only = at >= 0 && texts_equal_stripped(exp, elen, got, glen);
    r->div.present = at >= 0;
    r->div.mismatches = c.mismatches;
    r->div.expected = r->div.got = -1;
    free(r->div.expected_text);
    free(r->div.got_text);
    r->div.expected_text = r->div.got_text = NULL;
    if (at >= 0) {
        /* Invalid bytes sanitize one to one into U+FFFD, so code point indices still line up. */
        r->div.index = at;
        r->div.expected_text = cp_slice(se, (size_t)at, DIVERGENCE_QUOTE);
        r->div.got_text = cp_slice(sg, (size_t)at, DIVERGENCE_QUOTE);
    }
    set_sides(r, side(NULL, 0, se, strlen(se)), side(NULL, 0, sg, strlen(sg)));
    free(se);
    free(sg);
    return c;
}

void note_invalid_utf8(check_result *r, const text_comparison *c, const char *exp_who, const char *got_who)
{
    const char *who[2] = {c->expected_invalid ? exp_who : NULL, c->got_invalid ? got_who : NULL};
    for (size_t i = 0; i < 2; i++)
        if (who[i])
            check_result_append(r, "; %s output is not valid UTF-8 (bad bytes compared as U+FFFD)", who[i]);
}

char *py_repr(const char *s, size_t len)
{
    char *clean = utf8_sanitize(s, len, NULL);
    bool has_single = strchr(clean, '\'') != NULL, has_double = strchr(clean, '"') != NULL;
    char quote = has_single && !has_double ? '"' : '\'';
    strbuf sb;

    sb_init(&sb);
    sb_putc(&sb, quote);
    for (const unsigned char *p = (const unsigned char *)clean; *p; p++) {
        if (*p == '\\' || *p == (unsigned char)quote) {
            sb_putc(&sb, '\\');
            sb_putc(&sb, (char)*p);
        } else if (*p == '\n') {
            sb_puts(&sb, "\\n");
        } else if (*p == '\r') {
            sb_puts(&sb, "\\r");
        } else if (*p == '\t') {
            sb_puts(&sb, "\\t");
        } else if (*p < 0x20 || *p == 0x7F) {
            sb_printf(&sb, "\\x%02x", *p);
        } else if (*p == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F) { /* C1 controls */
            sb_printf(&sb, "\\x%02x", p[1]);
            p++;
        } else {
            sb_putc(&sb, (char)*p);
        }
    }
    sb_putc(&sb, quote);
    free(clean);
    return sb_detach(&sb);
}

char *py_int_list(const long *v, size_t n)
{
    strbuf sb;
    sb_init(&sb);
    sb_putc(&sb, '[');
    for (size_t i = 0; i < n; i++)
        sb_printf(&sb, "%s%ld", i ? ", " : "", v[i]);
    sb_putc(&sb, ']');
    return sb_detach(&sb);
}

const char *py_float(double v, char buf[32])
{
    if (isnan(v))
        snprintf(buf, 32, "nan");
    else if (isinf(v))
        snprintf(buf, 32, "%sinf", v < 0 ? "-" : "");
    else if (v == floor(v) && fabs(v) < 1e16)
        snprintf(buf, 32, "%.1f", v);
    else {
        snprintf(buf, 32, "%.15g", v);
        if (strtod(buf, NULL) != v)
            snprintf(buf, 32, "%.17g", v);
    }
    return buf;
}

char *json_brief(const cJSON *v, size_t max)
{
    char *raw = cJSON_PrintUnformatted(v);
    char *line = raw ? text_one_line(raw, strlen(raw), max) : xstrdup("?");
    cJSON_free(raw);
    return line;
}
