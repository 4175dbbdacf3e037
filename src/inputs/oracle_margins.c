#include "oracle_margins.h"

#include <stdlib.h>
#include <string.h>

#include "json_read.h"

static const top_keys oracle_keys = {"id", "logprob"};

int oracle_read_ids(const cJSON *arr, const char *path, const char *field, long *out, tmgt_error *err)
{
    const cJSON *t;
    size_t i = 0;
    cJSON_ArrayForEach (t, arr) {
        long id;
        bool integer = json_long(t, &id);
        if (!integer || id < 0) {
            err_set(err, "%s: %s[%zu]: not %s", path, field, i, integer ? "a non-negative id" : "an integer");
            return -1;
        }
        out[i++] = id;
    }
    return 0;
}

static int read_prompt_tokens(const cJSON *arr, const char *path, oracle_entry *out, tmgt_error *err)
{
    if (!cJSON_IsArray(arr)) {
        err_set(err, "%s: prompt_tokens: not a list of token ids", path);
        return -1;
    }
    int n = cJSON_GetArraySize(arr);
    if (n < 1) {
        err_set(err, "%s: prompt_tokens: empty (the prompt encodes to at least one id)", path);
        return -1;
    }
    out->prompt_tokens = xmalloc(sizeof *out->prompt_tokens * (size_t)n);
    out->n_prompt_tokens = (size_t)n;
    return oracle_read_ids(arr, path, "prompt_tokens", out->prompt_tokens, err);
}

/* One position per generated token, each led by that token: a list that disagrees with
 * `tokens` would put the margins of one sequence beside the ids of another. */
static int read_top_logprobs(const cJSON *arr, const char *path, oracle_entry *out, tmgt_error *err)
{
    if (!cJSON_IsArray(arr)) {
        err_set(err, "%s: top_logprobs: not a list", path);
        return -1;
    }
    int n = cJSON_GetArraySize(arr);
    if ((size_t)n != out->n_tokens) {
        err_set(err, "%s: top_logprobs: %d positions for %zu tokens", path, n, out->n_tokens);
        return -1;
    }
    out->top = xcalloc(out->n_tokens, sizeof *out->top);
    const cJSON *pos;
    size_t i = 0;
    cJSON_ArrayForEach (pos, arr) {
        char where[48];
        snprintf(where, sizeof where, "top_logprobs[%zu]", i);
        tmgt_error why;
        if (position_top_read(pos, where, &oracle_keys, &out->top[i], &why) != 0) {
            err_set(err, "%s: %s", path, why.msg);
            return -1;
        }
        if (out->top[i].top[0].id != out->tokens[i]) {
            err_set(err, "%s: top_logprobs[%zu][0].id: %ld is not the generated token %ld (tokens[%zu])",
                    path, i, out->top[i].top[0].id, out->tokens[i], i);
            return -1;
        }
        i++;
    }
    return 0;
}

int oracle_read_margins(const cJSON *doc, const char *path, oracle_entry *out, tmgt_error *err)
{
    const cJSON *prompt = cJSON_GetObjectItemCaseSensitive(doc, "prompt_tokens");
    const cJSON *top = cJSON_GetObjectItemCaseSensitive(doc, "top_logprobs");
    if ((prompt && read_prompt_tokens(prompt, path, out, err) < 0) ||
        (top && read_top_logprobs(top, path, out, err) < 0)) {
        oracle_margins_free(out);
        return -1;
    }
    return 0;
}

/* The member name before `at`: the last `"key":` ahead of it, or NULL. */
static char *key_before(const char *json, const char *at)
{
    const char *p = at;
    while (p > json && p[-1] != ':')
        p--;
    if (p == json)
        return NULL;
    p--;
    while (p > json && (p[-1] == ' ' || p[-1] == '\t' || p[-1] == '\n' || p[-1] == '\r'))
        p--;
    if (p == json || p[-1] != '"')
        return NULL;
    const char *close = --p;
    while (p > json && p[-1] != '"')
        p--;
    return p > json ? xstrndup(p, (size_t)(close - p)) : NULL;
}

void oracle_json_error(const char *path, const char *json, size_t len, const char *end, tmgt_error *err)
{
    static const char *const non_finite[] = {"NaN", "Infinity", "-Infinity"};
    size_t line = 1;
    const char *stop = end && end >= json && end <= json + len ? end : json;
    for (const char *p = json; p < stop; p++)
        line += *p == '\n';
    for (size_t i = 0; i < sizeof non_finite / sizeof non_finite[0]; i++) {
        size_t n = strlen(non_finite[i]);
        if ((size_t)(json + len - stop) < n || memcmp(stop, non_finite[i], n) != 0)
            continue;
        char *key = key_before(json, stop);
        err_set(err, "%s: line %zu: %s%s%s is not a finite number", path, line, key ? key : "",
                key ? ": " : "", non_finite[i]);
        free(key);
        return;
    }
    err_set(err, "%s: invalid JSON near line %zu", path, line);
}

void oracle_margins_free(oracle_entry *e)
{
    free(e->prompt_tokens);
    e->prompt_tokens = NULL;
    e->n_prompt_tokens = 0;
    position_tops_free(e->top, e->top ? e->n_tokens : 0);
    e->top = NULL;
}
