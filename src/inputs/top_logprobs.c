#include "top_logprobs.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "json_read.h"
#include "util.h"

/* log_softmax is <= 0 by construction; float rounding of a certain token may leave a trace above. */
#define LOGPROB_SLACK 1e-6

/* Sets "where[i].member: message"; returns -1. */
static int entry_error(tmgt_error *err, const char *where, size_t i, const char *member, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int entry_error(tmgt_error *err, const char *where, size_t i, const char *member, const char *fmt, ...)
{
    char msg[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    err_set(err, "%s[%zu]%s%s: %s", where, i, member ? "." : "", member ? member : "", msg);
    return -1;
}

static int read_entry(const cJSON *e, const char *where, size_t i, const top_keys *keys, token_logprob *out,
                      tmgt_error *err)
{
    if (!cJSON_IsObject(e))
        return entry_error(err, where, i, NULL, "not an object");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(e, keys->id);
    const cJSON *lp = cJSON_GetObjectItemCaseSensitive(e, keys->logprob);
    if (!id)
        return entry_error(err, where, i, keys->id, "missing");
    if (!json_long(id, &out->id) || out->id < 0)
        return entry_error(err, where, i, keys->id, "not a non-negative integer");
    if (!lp)
        return entry_error(err, where, i, keys->logprob, "missing");
    /* json_number also reads the "NaN"/"inf" strings the lenient engine parser makes of bare
     * non-finite literals, so they are refused as not finite rather than as not numbers. */
    if (!json_number(lp, &out->logprob))
        return entry_error(err, where, i, keys->logprob, "not a number");
    if (!isfinite(out->logprob))
        return entry_error(err, where, i, keys->logprob, "not finite (%s)",
                           isnan(out->logprob) ? "nan"
                           : out->logprob > 0  ? "inf"
                                               : "-inf");
    if (out->logprob > LOGPROB_SLACK)
        return entry_error(err, where, i, keys->logprob, "%g is above 0 (a probability over 1)",
                           out->logprob);
    return 0;
}

/* Entries after the first are checked against those before them: order and uniqueness. */
static int check_against_earlier(const position_top *p, const char *where, size_t i, const top_keys *keys,
                                 tmgt_error *err)
{
    const token_logprob *e = &p->top[i];
    if (i > 0 && e->logprob > p->top[i - 1].logprob)
        return entry_error(err, where, i, keys->logprob,
                           "%g is above the previous entry's %g (not descending)", e->logprob,
                           p->top[i - 1].logprob);
    for (size_t k = 0; k < i; k++)
        if (p->top[k].id == e->id)
            return entry_error(err, where, i, keys->id, "%ld already at [%zu]", e->id, k);
    return 0;
}

int position_top_read(const cJSON *arr, const char *where, const top_keys *keys, position_top *out,
                      tmgt_error *err)
{
    out->top = NULL;
    out->n = 0;
    if (!cJSON_IsArray(arr)) {
        err_set(err, "%s: not a list", where);
        return -1;
    }
    int n = cJSON_GetArraySize(arr);
    if (n < 1 || n > TOP_LOGPROBS_MAX) {
        err_set(err, "%s: expected 1 to %d entries, got %d", where, TOP_LOGPROBS_MAX, n);
        return -1;
    }
    out->top = xmalloc(sizeof *out->top * (size_t)n);
    const cJSON *e;
    int rc = 0;
    cJSON_ArrayForEach (e, arr) {
        if ((rc = read_entry(e, where, out->n, keys, &out->top[out->n], err)) != 0 ||
            (rc = check_against_earlier(out, where, out->n, keys, err)) != 0)
            break;
        out->n++;
    }
    if (rc != 0) {
        free(out->top);
        out->top = NULL;
        out->n = 0;
    }
    return rc;
}

size_t position_top_rank(const position_top *p, long id)
{
    for (size_t i = 0; p && i < p->n; i++)
        if (p->top[i].id == id)
            return i + 1;
    return 0;
}

const token_logprob *position_top_find(const position_top *p, long id)
{
    size_t rank = position_top_rank(p, id);
    return rank ? &p->top[rank - 1] : NULL;
}

void position_tops_free(position_top *p, size_t n)
{
    for (size_t i = 0; p && i < n; i++)
        free(p[i].top);
    free(p);
}
