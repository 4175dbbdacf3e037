#include "teacher_forced.h"

#include <math.h>
#include <stdlib.h>

#include "json_read.h"
#include "util.h"

/* A divergence is never below 0; the probe sums in double over float logits, so an engine that
 * matches the oracle exactly may print a KLD a rounding below it. */
#define KLD_ROUNDING 1e-9

typedef struct {
    const char *key;
    double lo, hi;
    double *out;
} figure;

static int read_figure(const cJSON *summary, const figure *f, tmgt_error *err)
{
    double v;
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(summary, f->key);
    if (!item)
        return err_fail(err, "teacher_forced.summary.%s: missing", f->key);
    if (!json_number(item, &v) || !isfinite(v))
        return err_fail(err, "teacher_forced.summary.%s: not a finite number", f->key);
    if (v < f->lo || v > f->hi)
        return err_fail(err, "teacher_forced.summary.%s: %g is outside [%g, %g]", f->key, v, f->lo, f->hi);
    *f->out = v < 0 ? 0 : v;
    return 0;
}

/* The pass must have forced the oracle's own tokens: otherwise its figures are of another text. */
static int read_forced_tokens(const cJSON *tf, const long *tokens, size_t n_tokens, tmgt_error *err)
{
    long *forced;
    size_t n;
    if (!json_int_list(cJSON_GetObjectItemCaseSensitive(tf, "tokens"), &forced, &n))
        return err_fail(err, "teacher_forced.tokens: missing or not a list of token ids");
    size_t i = 0;
    while (i < n && i < n_tokens && forced[i] == tokens[i])
        i++;
    free(forced);
    if (i < n || n != n_tokens)
        return err_fail(err, "teacher_forced.tokens: not the oracle's %zu tokens (they part at %zu)",
                        n_tokens, i);
    return 0;
}

static int read_summary(const cJSON *tf, const long *tokens, size_t n_tokens, teacher_forced *t,
                        tmgt_error *err)
{
    const cJSON *summary = cJSON_GetObjectItemCaseSensitive(tf, "summary");
    if (!cJSON_IsObject(summary))
        return err_fail(err, "teacher_forced.summary: not an object");
    if (read_forced_tokens(tf, tokens, n_tokens, err) != 0)
        return -1;
    if (!json_long(cJSON_GetObjectItemCaseSensitive(summary, "n"), &t->n))
        return err_fail(err, "teacher_forced.summary.n: missing or not an integer");
    if (t->n != (long)n_tokens)
        return err_fail(err, "teacher_forced.summary.n: %ld positions for the oracle's %zu tokens", t->n,
                        n_tokens);
    const figure figures[] = {
        {"kld_mean", -KLD_ROUNDING, INFINITY, &t->kld_mean},
        {"kld_p99", -KLD_ROUNDING, INFINITY, &t->kld_p99},
        {"kld_max", -KLD_ROUNDING, INFINITY, &t->kld_max},
        {"same_top_p", 0, 1, &t->same_top1},
        {"rms_delta_p", 0, 1, &t->rms_dp},
    };
    for (size_t i = 0; i < sizeof figures / sizeof figures[0]; i++)
        if (read_figure(summary, &figures[i], err) != 0)
            return -1;
    return 0;
}

int teacher_forced_read(const cJSON *report, const long *tokens, size_t n_tokens, teacher_forced *out,
                        tmgt_error *err)
{
    const cJSON *tf = cJSON_GetObjectItemCaseSensitive(report, "teacher_forced");
    if (!tf)
        return 0;
    if (!cJSON_IsObject(tf))
        return err_fail(err, "teacher_forced: not an object");
    if (!cJSON_GetObjectItemCaseSensitive(tf, "summary"))
        return 0; /* the oracle records no top_logprobs to compare with */
    return read_summary(tf, tokens, n_tokens, out, err) != 0 ? -1 : 1;
}

cJSON *teacher_forced_to_json(const teacher_forced *t)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "positions", (double)t->n);
    cJSON_AddNumberToObject(j, "kld_mean", t->kld_mean);
    cJSON_AddNumberToObject(j, "kld_p99", t->kld_p99);
    cJSON_AddNumberToObject(j, "kld_max", t->kld_max);
    cJSON_AddNumberToObject(j, "same_top1", t->same_top1);
    cJSON_AddNumberToObject(j, "rms_dp", t->rms_dp);
    cJSON_AddBoolToObject(j, "kld_lower_bound", true);
    return j;
}

char *teacher_forced_sentence(const teacher_forced *t)
{
    return xasprintf(
        "teacher-forced over %ld position%s: KLD mean %.2g (p99 %.2g; lower bounds), same top-1 "
        "%.1f%%, RMS \u0394p %.2g%%",
        t->n, t->n == 1 ? "" : "s", t->kld_mean, t->kld_p99, 100 * t->same_top1, 100 * t->rms_dp);
}
