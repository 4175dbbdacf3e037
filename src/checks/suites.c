#include "suites.h"

#include <string.h>

#include "suite_defs.h"

/* The global "list" check leads, as in the original harness, which runs it before any model. */
static const suite_def *const all_suites[] = {
    &suite_list,          &suite_canary,        &suite_token,
    &suite_drift,         &suite_roundtrip,     &suite_ppl,
    &suite_inspect,       &suite_validate,      &suite_tensors,
    &suite_lint,          &suite_selftest,      &suite_diff,
    &suite_tree,          &suite_oracle_id,     &suite_hex,
    &suite_debug,         &suite_bench,         &suite_qa,
    &suite_rosetta_diff,  &suite_parity_gpu,    &suite_llamacpp_text,
    &suite_cross_runtime, &suite_prompt_tokens, &suite_logit_parity,
};

const suite_def *const *suites_all(size_t *n)
{
    *n = sizeof all_suites / sizeof all_suites[0];
    return all_suites;
}

const suite_def *suite_find(const char *key)
{
    for (size_t i = 0; key && i < sizeof all_suites / sizeof all_suites[0]; i++)
        if (strcmp(all_suites[i]->key, key) == 0)
            return all_suites[i];
    return NULL;
}
