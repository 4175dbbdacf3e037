/* The two fields that say how sure the oracle was (oracle/README.md): `prompt_tokens`, the ids
 * transformers fed the model, and `top_logprobs`, its 20 most likely tokens at every generated
 * position. Both are optional: the seed's oracles predate them, and every judgement that needs
 * them falls back to comparing tokens alone. */
#ifndef TMGT_ORACLE_MARGINS_H
#define TMGT_ORACLE_MARGINS_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "oracle.h"
#include "util.h"

/* Reads and validates both fields of `doc` into `out`, whose tokens are already read:
 * prompt_tokens a non-empty list of non-negative integer ids; top_logprobs one position per
 * token, each as position_top_read requires, its first id the generated token. Errors name the
 * file and the field; on error nothing is kept. */
int oracle_read_margins(const cJSON *doc, const char *path, oracle_entry *out, tmgt_error *err);
/* Reads the ids of the list `arr` into `out` (room for all of them): each a non-negative
 * integer, else "path: field[i]: not an integer" (or "not a non-negative id"). */
int oracle_read_ids(const cJSON *arr, const char *path, const char *field, long *out, tmgt_error *err);
/* The message for a document that is not JSON, `end` being where the parser stopped: the line,
 * and, for the NaN/Infinity that Python's json.dumps writes for a non-finite float, the field. */
void oracle_json_error(const char *path, const char *json, size_t len, const char *end, tmgt_error *err);
void oracle_margins_free(oracle_entry *e);

#endif
