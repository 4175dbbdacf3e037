/* Engine stdout read as JSON, leniently. */
#ifndef TMGT_JSON_LENIENT_H
#define TMGT_JSON_LENIENT_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "util.h"

/* Parses engine stdout leniently: skips ANSI escape sequences and log lines before the first
 * '{' or '[' that starts valid JSON, accepts bare NaN/Infinity/inf/-inf (read as strings
 * "NaN", "inf", "-inf" so the evaluator sees them), and ignores trailing text. Returns NULL
 * and *err quoting the first 200 bytes when nothing parses (err may be NULL). The JSON must start a line
 * (after indentation); of several candidates the largest is taken. */
cJSON *json_parse_lenient(const char *text, size_t len, tmgt_error *err);

#endif
