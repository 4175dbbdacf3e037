/* The HTML report's pictures of a first divergence, drawn from the fields divergence_to_json
 * writes (oracle_top, engine_top, position_margins): both top-k at the divergence as bars scaled
 * by probability, the expected and the got token marked, and the oracle's margin at each
 * generated position as a strip of cells, so the near-ties show where they are. No script and
 * nothing fetched: bars are CSS, the strip inline SVG. */
#ifndef TMGT_HTML_PICTURES_H
#define TMGT_HTML_PICTURES_H

#include <stdio.h>
#include <cjson/cJSON.h>

/* The pictures' rules, for the page's <style>. */
extern const char HTML_PICTURES_CSS[];

/* Writes the pictures of `div` (a check's "divergence"); nothing where it has none, as against
 * the seed's oracles, which record no margins: that is no failure and is not said to be one. */
void html_divergence_pictures(FILE *out, const cJSON *div);

#endif
