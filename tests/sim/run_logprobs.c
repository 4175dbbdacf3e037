/*
 * run_logprobs.c - what apr run says about its prompt and its choices: the
 * prompt ids (one per word of the prompt, a hash of the word; a chat template
 * adds its own ids around them, as apr's GGUF path does) and, with
 * --logprobs K, the "logprobs" object of apr 0.72.3: per generated token its
 * top K, the chosen token first (docs/apr-0.72.3-samples/logprobs/NOTES.md).
 */
#include "sim.h"

#include <stdlib.h>
#include <string.h>

/* SmolLM2's "<|im_start|>user\n" and "<|im_end|>\n<|im_start|>assistant\n". */
static const long TEMPLATE_HEAD[] = {1, 4093, 198};
static const long TEMPLATE_TAIL[] = {2, 198, 1, 520, 198};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static void put_ids(cJSON *arr, const long *ids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(arr, cJSON_CreateNumber((double)ids[i]));
}

cJSON *sim_prompt_ids(const char *prompt, bool templated)
{
    cJSON *arr = cJSON_CreateArray();
    if (templated)
        put_ids(arr, TEMPLATE_HEAD, N_OF(TEMPLATE_HEAD));
    for (const char *p = prompt; *p;) {
        size_t skip = strspn(p, " \t\n"), len = strcspn(p + skip, " \t\n");
        p += skip;
        if (!len)
            break;
        char *word = sim_printf("%.*s", (int)len, p);
        cJSON_AddItemToArray(arr, cJSON_CreateNumber((double)(100 + sim_hash_str(word, 7) % 40000)));
        free(word);
        p += len;
    }
    if (templated)
        put_ids(arr, TEMPLATE_TAIL, N_OF(TEMPLATE_TAIL));
    return arr;
}

/* The chosen token, then its neighbours' ids, each 0.25 nats less likely than the one before. */
static cJSON *step_top(long chosen, int k)
{
    cJSON *top = cJSON_CreateArray();
    for (int j = 0; j < k; j++) {
        cJSON *e = cJSON_CreateObject();
        double logprob = -0.125 - 0.25 * j;
        cJSON_AddNumberToObject(e, "token_id", (double)(chosen + j));
        cJSON_AddNumberToObject(e, "logit", 10.0 + logprob);
        cJSON_AddNumberToObject(e, "logprob", logprob);
        cJSON_AddItemToArray(top, e);
    }
    return top;
}

cJSON *sim_run_logprobs(cJSON *prompt_ids, const struct sim_gen *g, int k)
{
    cJSON *lp = cJSON_CreateObject();
    cJSON_AddNumberToObject(lp, "top_k", k);
    cJSON_AddItemToObject(lp, "prompt_token_ids", prompt_ids);
    cJSON *steps = cJSON_AddArrayToObject(lp, "steps");
    for (int i = 0; i < g->n; i++) {
        cJSON *s = cJSON_CreateObject();
        cJSON_AddNumberToObject(s, "step", i);
        cJSON_AddNumberToObject(s, "chosen", (double)g->tokens[i]);
        cJSON_AddNumberToObject(s, "chosen_logprob", -0.125);
        cJSON_AddItemToObject(s, "top", step_top(g->tokens[i], k));
        cJSON_AddNumberToObject(s, "logsumexp_full", 10.0);
        cJSON_AddItemToArray(steps, s);
    }
    return lp;
}
