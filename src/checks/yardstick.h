/* What logit-parity shows beside an apr run, so that a divergence is placed where it starts: the
 * trusted peer at the same precision (llama.cpp through tools/llama-probe: q8_0 for int8, q4_0
 * for int4, f16 for f32: f16 moves the oracle's logp by at most 0.0125 nats) and apr's own float32 rung
 * (f32.apr) beside a quantized run. "llama.cpp on q8_0.gguf stays on the oracle's path through all 32 tokens;
 * apr on f32.apr leaves it at token 4 (confident), so the divergence is there before quantization" is what a
 * maintainer accepts as evidence. They inform; the verdict is the check's own run's. Internal to the suites.
 */
#ifndef TMGT_YARDSTICK_H
#define TMGT_YARDSTICK_H

#include "check.h"

/* Adds to c, which judges apr's run of `artifact`, the queries of its peer and its float32
 * rung, where the pipeline makes them. */
void yardstick_add_queries(const pipeline *pl, check_spec *c, const char *artifact);
/* Reads those queries (every query of the check after the first) and puts their words in
 * r->tv->beside (where the run left the oracle or failed) and their figures in
 * r->tv->beside_json. */
void yardstick_describe(const check_ctx *ctx, const oracle_entry *o, check_result *r);

#endif
