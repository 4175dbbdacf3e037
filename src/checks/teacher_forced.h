/* What a teacher-forced pass says about an engine's distributions: the "teacher_forced.summary"
 * of tools/llama-probe --teacher-oracle, the figures llama-perplexity --kl-divergence prints
 * against its base, here the oracle:
 *   {n, kld_mean, kld_p99, kld_max, same_top_p, rms_delta_p}
 * over the oracle's generated positions, the engine fed the oracle's prompt ids and tokens.
 * The oracle keeps only its top 20 log-probabilities, so each position's KLD is taken over those
 * ids plus one bucket for the rest of the vocabulary: a lower bound of the full KLD (merging
 * outcomes never increases a divergence). They inform: no verdict rests on their values, only
 * on whether they can be read. */
#ifndef TMGT_TEACHER_FORCED_H
#define TMGT_TEACHER_FORCED_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "util.h"

typedef struct {
    long n;                            /* positions */
    double kld_mean, kld_p99, kld_max; /* nats, lower bounds */
    double same_top1;                  /* share of positions whose argmax is the oracle's token */
    double rms_dp;                     /* RMS of p_engine(token) − p_oracle(token) */
} teacher_forced;

/* Reads the report's "teacher_forced" against the oracle's `tokens`: its "tokens" must be
 * exactly them, and its summary n one per token, the KLDs finite and not negative (beyond
 * rounding), the rates from 0 to 1. Returns 1 with *out, 0 when the run reported no summary (no
 * pass, or an oracle without top_logprobs), -1 with *err naming the field
 * ("teacher_forced.summary.kld_mean: not a finite number"). */
int teacher_forced_read(const cJSON *report, const long *tokens, size_t n_tokens, teacher_forced *out,
                        tmgt_error *err);
/* {positions, kld_mean, kld_p99, kld_max, same_top1, rms_dp, kld_lower_bound: true}. */
cJSON *teacher_forced_to_json(const teacher_forced *t);
/* "teacher-forced over 32 positions: KLD mean 0.0012 (p99 0.009; lower bounds), same top-1
 * 100.0%, RMS Δp 0.4%", malloc'd. */
char *teacher_forced_sentence(const teacher_forced *t);

#endif
