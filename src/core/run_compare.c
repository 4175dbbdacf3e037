#include "run_compare.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_lenient.h"
#include "text.h"
#include "util.h"

enum { VALUE_CPS = 60, FILE_CHUNK = 1 << 16 };

static char *outcome_text(const run_observed *r)
{
    switch (r->outcome) {
    case RUN_EXITED:
        return xasprintf("exit %d", r->exit_code);
    case RUN_SIGNALED:
        return xasprintf("signal %d", r->term_signal);
    case RUN_TIMED_OUT:
        return xstrdup("timed out");
    case RUN_OUTPUT_LIMIT:
        return xstrdup("output past the limit");
    case RUN_SPAWN_FAILED:
        return xstrdup("not started");
    case RUN_CANCELLED:
        return xstrdup("interrupted");
    }
    return xstrdup("?");
}

static char *outcome_difference(const run_observed *a, const run_observed *b)
{
    if (a->outcome == b->outcome && a->exit_code == b->exit_code && a->term_signal == b->term_signal)
        return NULL;
    char *x = outcome_text(a), *y = outcome_text(b);
    char *d = xasprintf("%s vs %s", x, y);
    free(x);
    free(y);
    return d;
}

static bool is_varying(const char *name, char *const *varies, size_t n)
{
    for (size_t i = 0; name && i < n; i++)
        if (!strcmp(name, varies[i]))
            return true;
    return false;
}

static char *value_text(const cJSON *v)
{
    if (!v)
        return xstrdup("absent");
    char *json = cJSON_PrintUnformatted(v);
    char *t = text_one_line(json ? json : "?", json ? strlen(json) : 1, VALUE_CPS);
    free(json);
    return t;
}

static char *json_mismatch(const char *path, const cJSON *a, const cJSON *b)
{
    char *x = value_text(a), *y = value_text(b);
    char *d = xasprintf("%s %s vs %s", *path ? path : "(the document)", x, y);
    free(x);
    free(y);
    return d;
}

static char *json_difference(const char *path, const cJSON *a, const cJSON *b, char *const *varies,
                             size_t n_varies);

static char *member_difference(const char *path, const cJSON *a, const cJSON *b, char *const *varies,
                               size_t n_varies)
{
    for (const cJSON *m = a->child; m; m = m->next) {
        if (is_varying(m->string, varies, n_varies))
            continue;
        char *sub = xasprintf("%s%s%s", path, *path ? "." : "", m->string);
        char *d = json_difference(sub, m, cJSON_GetObjectItemCaseSensitive(b, m->string), varies, n_varies);
        free(sub);
        if (d)
            return d;
    }
    for (const cJSON *m = b->child; m; m = m->next) {
        if (is_varying(m->string, varies, n_varies) || cJSON_GetObjectItemCaseSensitive(a, m->string))
            continue;
        char *sub = xasprintf("%s%s%s", path, *path ? "." : "", m->string);
        char *d = json_mismatch(sub, NULL, m);
        free(sub);
        return d;
    }
    return NULL;
}

static char *element_difference(const char *path, const cJSON *a, const cJSON *b, char *const *varies,
                                size_t n_varies)
{
    const cJSON *x = a->child, *y = b->child;
    for (size_t i = 0; x || y; i++) {
        char *sub = xasprintf("%s[%zu]", path, i);
        char *d = json_difference(sub, x, y, varies, n_varies);
        free(sub);
        if (d)
            return d;
        x = x ? x->next : NULL;
        y = y ? y->next : NULL;
    }
    return NULL;
}

static char *json_difference(const char *path, const cJSON *a, const cJSON *b, char *const *varies,
                             size_t n_varies)
{
    if (!a || !b || (a->type & 0xFF) != (b->type & 0xFF))
        return json_mismatch(path, a, b);
    if (cJSON_IsObject(a))
        return member_difference(path, a, b, varies, n_varies);
    if (cJSON_IsArray(a))
        return element_difference(path, a, b, varies, n_varies);
    return cJSON_Compare(a, b, true) ? NULL : json_mismatch(path, a, b);
}

static size_t first_differing_byte(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen, i = 0;
    while (i < n && a[i] == b[i])
        i++;
    return i;
}

static char *bytes_difference(const char *what, const char *a, size_t alen, const char *b, size_t blen)
{
    size_t at = first_differing_byte(a, alen, b, blen);
    if (at == alen && at == blen)
        return NULL;
    if (at == alen || at == blen)
        return xasprintf("%s %zu vs %zu bytes (the same up to byte %zu)", what, alen, blen, at);
    return xasprintf("%s byte %zu: 0x%02x vs 0x%02x", what, at, (unsigned char)a[at], (unsigned char)b[at]);
}

static char *stdout_difference(const run_observed *a, const run_observed *b, char *const *varies,
                               size_t n_varies)
{
    if (a->out_len == b->out_len && !memcmp(a->out, b->out, a->out_len))
        return NULL;
    tmgt_error ignored = {{0}}; /* not JSON: compared byte by byte instead */
    cJSON *x = json_parse_lenient(a->out, a->out_len, &ignored);
    cJSON *y = x ? json_parse_lenient(b->out, b->out_len, &ignored) : NULL;
    char *d = x && y ? json_difference("", x, y, varies, n_varies)
                     : bytes_difference("stdout", a->out, a->out_len, b->out, b->out_len);
    cJSON_Delete(x);
    cJSON_Delete(y);
    return d;
}

/* The first offset at which two files differ, or -1 when they are the same. */
static long long first_differing_offset(FILE *x, FILE *y)
{
    char *p = xmalloc(FILE_CHUNK), *q = xmalloc(FILE_CHUNK);
    long long offset = 0, found = -1;
    for (;;) {
        size_t n = fread(p, 1, FILE_CHUNK, x), m = fread(q, 1, FILE_CHUNK, y);
        size_t at = first_differing_byte(p, n, q, m);
        if (at < n || at < m) {
            found = offset + (long long)at;
            break;
        }
        if (n == 0)
            break;
        offset += (long long)n;
    }
    free(p);
    free(q);
    return found;
}

static char *file_difference(const char *name, const char *a, const char *b)
{
    FILE *x = a ? fopen(a, "rb") : NULL, *y = b ? fopen(b, "rb") : NULL;
    char *d = NULL;
    if (!x || !y) {
        if (x || y)
            d = xasprintf("%s %s vs %s", name, x ? "written" : "not written", y ? "written" : "not written");
    } else {
        long long at = first_differing_offset(x, y);
        if (at >= 0)
            d = xasprintf("%s byte %lld", name, at);
    }
    if (x)
        fclose(x);
    if (y)
        fclose(y);
    return d;
}

char *run_difference(const run_observed *first, const run_observed *later, const char *output_name,
                     char *const *varies, size_t n_varies)
{
    char *d = outcome_difference(first, later);
    if (!d)
        d = stdout_difference(first, later, varies, n_varies);
    if (!d && (first->output || later->output))
        d = file_difference(output_name ? output_name : "output", first->output, later->output);
    return d;
}
