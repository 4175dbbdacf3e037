/* The most likely tokens at one generated position, with their log-probabilities: the oracle's
 * `top_logprobs` and, where an engine reports them, the engine's own. Validated when read, so
 * margin arithmetic never meets a NaN, a duplicate id or an unsorted list. */
#ifndef TMGT_TOP_LOGPROBS_H
#define TMGT_TOP_LOGPROBS_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "util.h"

/* More than any engine or the oracle records (the oracle 20, apr and the HTTP APIs at most 20). */
#define TOP_LOGPROBS_MAX 64

typedef struct {
    long id;
    double logprob;
} token_logprob;

typedef struct {
    token_logprob *top; /* most likely first */
    size_t n;
} position_top;

/* The member names of one entry: {"id", "logprob"} in the oracle, {"token_id", "logprob"} in
 * apr's and tools/llama-probe's steps. */
typedef struct {
    const char *id, *logprob;
} top_keys;

/* Reads the list `arr` of one position: 1 to TOP_LOGPROBS_MAX objects, each a non-negative
 * integer id and a finite logprob <= 0, descending, no id twice. `where` names the list in
 * messages ("top_logprobs[4]"). Returns 0, or -1 with *err naming the entry and member
 * ("top_logprobs[4][2].logprob: not finite (inf)"); *out is then empty. */
int position_top_read(const cJSON *arr, const char *where, const top_keys *keys, position_top *out,
                      tmgt_error *err);
/* The entry for `id`, or NULL when it is not among them. */
const token_logprob *position_top_find(const position_top *p, long id);
/* 1-based rank of `id`, 0 when absent. */
size_t position_top_rank(const position_top *p, long id);
/* Frees `n` positions and the array. */
void position_tops_free(position_top *p, size_t n);

#endif
