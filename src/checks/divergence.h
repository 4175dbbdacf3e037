/* Where an engine's tokens first leave the oracle's, and what that choice cost in the oracle's
 * own probabilities: a near-tie that float noise can flip (not a bug), a confident divergence
 * (a bug), or a comparison made void because the engine read another prompt or failed. After
 * the first divergence the prefixes differ, so nothing later is judged (vLLM's
 * check_logprobs_close does the same). Pure: no I/O. */
#ifndef TMGT_DIVERGENCE_H
#define TMGT_DIVERGENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

#include "oracle.h"
#include "top_logprobs.h"
#include "vocab.h"

typedef enum {
    DIV_NONE,            /* the tokens agree and the engine succeeded */
    DIV_UNMEASURED,      /* they differ where the oracle recorded no margin (the seed's oracles,
                          * past the oracle's end, an engine that stopped when the EOS id is unknown) */
    DIV_NEAR_TIE,        /* the margin is within the artefact's bound */
    DIV_CONFIDENT,       /* beyond it, or the engine's token is not in the oracle's top */
    DIV_PROMPT_MISMATCH, /* the engine encoded another prompt: the token comparison is void */
    DIV_ENGINE_ERROR,    /* the engine failed, whatever its tokens */
} divergence_class;

typedef enum {
    PROMPT_UNKNOWN,       /* the oracle or the engine reported no prompt ids or count */
    PROMPT_SAME,          /* the same ids (or, where only a count is known, the same count) */
    PROMPT_TEMPLATED,     /* the oracle's ids inside the engine's, with more around them */
    PROMPT_EXTRA_BOS,     /* the engine's ids are one id (the BOS, or any when its id is unknown),
                           * then the oracle's */
    PROMPT_DROPPED,       /* the engine's ids inside the oracle's: it left some out */
    PROMPT_DIFFERENT,     /* the ids differ otherwise */
    PROMPT_COUNT_DIFFERS, /* only a count is known, and it is not the oracle's */
} prompt_verdict;

typedef struct {
    prompt_verdict verdict;
    size_t n_oracle, n_engine; /* ids (or the engine's count) */
    long index;                /* PROMPT_DIFFERENT: first differing position; else -1 */
    long expected, got;        /* the ids there; -1 past an end */
    size_t offset;             /* TEMPLATED, EXTRA_BOS, DROPPED: where the shorter starts in the longer */
} prompt_comparison;

/* What an engine's run reported. */
typedef struct {
    const long *tokens;
    size_t n_tokens;
    const position_top *top; /* its own top-k, one position per token, or NULL */
    const long *prompt_ids;  /* NULL when not reported */
    size_t n_prompt_ids;
    long prompt_count; /* -1 when not reported; only read without prompt_ids */
    bool failed;       /* exited non-zero or otherwise failed */
} engine_run;

typedef struct {
    double near_tie_nats; /* the artefact's bound */
    long eos_id;          /* -1 when unknown: an engine that stopped early then has no margin */
    long bos_id;          /* -1 when unknown */
} divergence_params;

/* The most top-k entries the pictures keep at the divergence, of the oracle's 20 and the engine's. */
#define DIVERGENCE_TOP_SHOWN 10

typedef struct {
    token_logprob top[DIVERGENCE_TOP_SHOWN]; /* most likely first */
    size_t n;                                /* 0: unknown */
} shown_top;

typedef struct {
    divergence_class cls;
    bool present;        /* the tokens differ */
    long index;          /* first differing position; -1 when none */
    long expected, got;  /* the ids there; -1 past that side's end (got: eos_id when stopped) */
    bool engine_stopped; /* the engine ended at index while the oracle went on */
    bool oracle_margins; /* the oracle recorded top_logprobs */
    bool engine_failed;
    size_t n_expected, n_got; /* the oracle's comparable tokens, the engine's tokens */
    size_t mismatches;        /* positional, over those */
    double bound;             /* the near_tie_nats it was judged with */
    /* The oracle's log-probabilities at index. logp_got and margin_nats = logp_expected -
     * logp_got are known only when got is in the oracle's top (got_rank > 0). */
    bool has_logp_expected, has_logp_got;
    double logp_expected, logp_got, margin_nats;
    size_t got_rank, oracle_top_k;
    /* vLLM's cross-membership, where the engine reported its own top-k at index: -1 unknown. */
    int expected_in_engine_top, got_in_oracle_top;
    size_t engine_top_k;
    prompt_comparison prompt;
    /* For the report's pictures, copied because the engine's top-k is freed after the verdict:
     * both top-k at index, and the oracle's margin (top-1 minus top-2 logprob) at each of its
     * generated positions, NAN where it recorded fewer than two; n_margins 0 without margins. */
    shown_top oracle_top, engine_top;
    size_t n_margins;
    double margins[ORACLE_TOKENS];
} token_divergence;

/* Compares the prompt ids (oracle's prompt_tokens against the engine's ids or count). */
void prompt_compare(const oracle_entry *o, const engine_run *e, long bos_id, prompt_comparison *out);
/* The first divergence of `e` from `o` over the tokens they can be compared on
 * (oracle_comparable_tokens), its margin and its class. */
void divergence_find(const oracle_entry *o, const engine_run *e, const divergence_params *p,
                     token_divergence *out);

/* "near-tie", "confident", "prompt-mismatch", "engine-error"; NULL for DIV_NONE and
 * DIV_UNMEASURED. */
const char *divergence_class_name(divergence_class c);
/* One sentence in words, token texts from `v` (NULL: ids only), `engine` naming the engine
 * ("apr"; NULL: "the engine"). E.g. `first divergence at token 4: expected 504 "The"
 * (logp −1.94), got 2026 "..." (logp −2.78, 0.84 nats below) — near-tie`. malloc'd, UTF-8. */
char *divergence_sentence(const token_divergence *d, const vocab *v, const char *engine);
/* The prompt comparison alone, for the prompt-tokens suite: `the oracle's 5 ids appear inside
 * apr's 36 at offset 3: a chat template was applied`. malloc'd. */
char *prompt_sentence(const prompt_comparison *pc, const vocab *v, const char *engine);
/* {index, expected, got, class, margin_nats, logp_expected, logp_got, got_rank, oracle_top_k,
 *  engine_stopped, oracle_margins, mismatches, cross?, prompt, oracle_top, engine_top,
 *  position_margins} with null where unknown; the two tops are [{id, logprob}]. */
cJSON *divergence_to_json(const token_divergence *d);
/* Adds each top entry's "text" from `v` (none for an id outside it) to divergence_to_json's
 * object, for the report to show tokens rather than ids. */
void divergence_json_name_tokens(cJSON *json, const vocab *v);

#endif
