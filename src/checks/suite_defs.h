/* Every suite's table entry, each defined by its suite_*.c and listed, in order, by the
 * registry (suites.c). */
#ifndef TMGT_SUITE_DEFS_H
#define TMGT_SUITE_DEFS_H

#include "check.h"

extern const suite_def suite_canary, suite_token, suite_drift, suite_roundtrip, suite_ppl, suite_inspect,
    suite_validate, suite_tensors, suite_lint, suite_selftest, suite_diff, suite_tree, suite_oracle_id,
    suite_hex, suite_debug, suite_bench, suite_qa, suite_list, suite_rosetta_diff, suite_parity_gpu,
    suite_llamacpp_text, suite_cross_runtime, suite_prompt_tokens, suite_logit_parity;

#endif
