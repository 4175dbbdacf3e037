/* Oracle files: oracle/<slug>/<prompt>.json, the transformers float32 greedy reference. */
#ifndef TMGT_ORACLE_H
#define TMGT_ORACLE_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "strmap.h"
#include "top_logprobs.h"
#include "util.h"

#define ORACLE_TOKENS 32 /* max_new_tokens of every oracle */

typedef struct {
    char *prompt_key; /* file stem: "code" */
    char *prompt;     /* the prompt text recorded in the file */
    long *tokens;     /* generated ids only */
    size_t n_tokens;
    char *text; /* decoded generation, not stripped */
    char *path;
    uint64_t sum; /* checksum64 of the file's bytes: a rerun tells an edit from a touch by it */
    /* The margins (oracle_margins.h); NULL in oracles that predate them, as the seed's. */
    long *prompt_tokens; /* the ids transformers fed the model, no chat template */
    size_t n_prompt_tokens;
    position_top *top; /* top_logprobs: n_tokens positions, the generated token first */
} oracle_entry;

typedef struct {
    char *slug;
    oracle_entry *entries;
    size_t n_entries;
    strmap by_key;     /* prompt_key → entry: every check of a large matrix looks one up */
    cJSON *provenance; /* {model, runtime, format, transformers_version, torch_version} of the set */
} oracle_set;

/* Loads <dir>/<key>.json for each prompt key and validates the schema (model_slug matches
 * `slug`, runtime "transformers", 32 int tokens, token_count == len(tokens), max_new_tokens 32,
 * do_sample false, versions present, and the margins when recorded: oracle_margins.h).
 * Errors name the file and the field. */
oracle_set *oracle_load(const char *dir, const char *slug, const char *const *prompt_keys, size_t n_keys,
                        tmgt_error *err);
/* Validates one parsed oracle document (exposed for tests and the fuzzer). */
int oracle_parse(const char *path, const char *json, size_t len, const char *slug, oracle_entry *out,
                 cJSON **provenance, tmgt_error *err);
const oracle_entry *oracle_find(const oracle_set *s, const char *prompt_key);
void oracle_entry_free(oracle_entry *e);
/* How many oracle tokens to compare with an engine that generated `n_got`. An oracle shorter than
 * ORACLE_TOKENS ends with the EOS that stopped HF generate(), which reports it; apr and llama.cpp
 * stop there without reporting it. So against an engine that stopped sooner, that EOS is left out. */
size_t oracle_comparable_tokens(const oracle_entry *o, size_t n_got);
void oracle_free(oracle_set *s);

#endif
