/* The precision ladder: per model, each artefact's logit-parity verdict on each prompt in a
 * word or two (agrees, near-tie at token 19 by 0.23 nats, confident at 4, void: the prompt was
 * templated), apr's rungs and llama.cpp's beside them, so a reader sees at which precision and
 * in which runtime a divergence starts. Written into the Markdown report. */
#ifndef TMGT_REPORT_LADDER_H
#define TMGT_REPORT_LADDER_H

#include <stdio.h>
#include <cjson/cJSON.h>

/* Nothing when the document has no logit-parity checks. */
void rc_ladder_markdown(FILE *out, const cJSON *results);

#endif
