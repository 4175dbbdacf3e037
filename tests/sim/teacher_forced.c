/*
 * teacher_forced.c - llama-probe --teacher-oracle FILE: the oracle's prompt
 * ids and tokens forced through the simulated model, with the figures
 * llama-perplexity --kl-divergence reports, computed as tools/llama-probe
 * computes them (KLD over the oracle's listed ids plus one bucket for the
 * rest, same top, RMS delta p).
 *
 * The simulated model's distribution at position i is the oracle's own
 * top_logprobs, except where the simulator chooses another token than the
 * oracle's (an alter-token fault, read from the generation `g`): there the
 * oracle's token trades its probability with that token's, or, for a token
 * the oracle does not list, with the least likely listed one.  An engine
 * that agrees everywhere has a KLD of 0, same top 1 and RMS delta p 0.
 * Without top_logprobs in the oracle there is no summary, as in the real
 * probe.
 */
#include "sim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The logprob of `id` among one position's listed entries, and the least one's. */
static bool listed_logprob(const cJSON *top, long id, double *lp, double *least)
{
    bool found = false;
    *least = INFINITY;
    const cJSON *e;
    cJSON_ArrayForEach (e, top) {
        double v = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(e, "logprob"));
        if ((long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(e, "id")) == id) {
            *lp = v;
            found = true;
        }
        if (v < *least)
            *least = v;
    }
    return found;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static cJSON *summary(double *klds, int n, double dp2, int same)
{
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += klds[i];
    qsort(klds, (size_t)n, sizeof *klds, by_value);
    int p99 = (int)ceil(0.99 * n) - 1;
    cJSON *s = cJSON_CreateObject();
    cJSON_AddNumberToObject(s, "n", n);
    cJSON_AddNumberToObject(s, "kld_mean", sum / n);
    cJSON_AddNumberToObject(s, "kld_p99", klds[p99 < 0 ? 0 : p99]);
    cJSON_AddNumberToObject(s, "kld_max", klds[n - 1]);
    cJSON_AddNumberToObject(s, "same_top_p", (double)same / n);
    cJSON_AddNumberToObject(s, "rms_delta_p", sqrt(dp2 / n));
    cJSON_AddStringToObject(s, "kld",
                            "over the oracle's top ids plus one bucket for the rest: a lower bound");
    return s;
}

/* One position: the oracle's token `want`, the simulator's `chose`, the oracle's listed `top`. */
static cJSON *position(int i, long want, long chose, const cJSON *top, double *kld, double *dp, bool *same)
{
    double p_lp = 0, least, q_lp;
    listed_logprob(top, want, &p_lp, &least);
    if (chose == want || !listed_logprob(top, chose, &q_lp, &least))
        q_lp = chose == want ? p_lp : least;
    /* the two trade probabilities: KLD (p_w − p_c)(ln p_w − ln p_c), every other bucket equal */
    *kld = (exp(p_lp) - exp(q_lp)) * (p_lp - q_lp);
    *dp = exp(q_lp) - exp(p_lp);
    *same = chose == want;
    cJSON *e = cJSON_CreateObject();
    cJSON_AddNumberToObject(e, "index", i);
    cJSON_AddNumberToObject(e, "token", (double)want);
    cJSON_AddNumberToObject(e, "reference_logprob", p_lp);
    cJSON_AddNumberToObject(e, "delta_p", *dp);
    cJSON_AddNumberToObject(e, "kld_top_lumped", *kld);
    cJSON_AddBoolToObject(e, "same_top", *same);
    return e;
}

cJSON *sim_teacher_forced(const char *oracle_path, const char *prompt, const struct sim_gen *g, char **err)
{
    size_t len;
    char *text = sim_read_file(oracle_path, &len);
    cJSON *oracle = text ? cJSON_ParseWithLength(text, len) : NULL;
    free(text);
    const cJSON *tokens = cJSON_GetObjectItemCaseSensitive(oracle, "tokens");
    const cJSON *top = cJSON_GetObjectItemCaseSensitive(oracle, "top_logprobs");
    int n = cJSON_GetArraySize(tokens);
    if (!cJSON_IsArray(tokens) || n < 1 || (top && cJSON_GetArraySize(top) != n)) {
        *err = sim_printf("cannot read the oracle %s (tokens, top_logprobs)", oracle_path);
        cJSON_Delete(oracle);
        return NULL;
    }
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(oracle, "prompt_tokens");
    cJSON *tf = cJSON_CreateObject();
    cJSON_AddStringToObject(tf, "reference", oracle_path);
    cJSON_AddStringToObject(tf, "prompt_source", ids ? "oracle" : "llama.cpp");
    cJSON_AddItemToObject(tf, "prompt_token_ids",
                          ids ? cJSON_Duplicate(ids, true) : sim_prompt_ids(prompt, false));
    cJSON_AddItemToObject(tf, "tokens", cJSON_Duplicate(tokens, true));
    cJSON *positions = cJSON_AddArrayToObject(tf, "positions");
    double *klds = calloc((size_t)n, sizeof *klds), dp2 = 0;
    int same_top = 0;
    for (int i = 0; top && i < n; i++) {
        long want = (long)cJSON_GetNumberValue(cJSON_GetArrayItem(tokens, i));
        long chose = i < g->n ? g->tokens[i] : want;
        double dp;
        bool same;
        cJSON_AddItemToArray(positions,
                             position(i, want, chose, cJSON_GetArrayItem(top, i), &klds[i], &dp, &same));
        dp2 += dp * dp;
        same_top += same;
    }
    if (top)
        cJSON_AddItemToObject(tf, "summary", summary(klds, n, dp2, same_top));
    free(klds);
    cJSON_Delete(oracle);
    return tf;
}
