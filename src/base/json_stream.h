/* The JSON writer of tmgt: every document it writes (results, --json, cache records, bisect
 * state) goes through here, and every string comes out as valid UTF-8 (a byte that is not part
 * of valid UTF-8 becomes U+FFFD) whatever bytes it held, so a strict reader accepts them all.
 * Writes a cJSON tree to a stream in exactly cJSON_Print's format, without building the whole
 * text in memory first: a results document of tens of MB then costs a stdio buffer, not a
 * string that realloc doubles (and copies) on its way up. */
#ifndef TMGT_JSON_STREAM_H
#define TMGT_JSON_STREAM_H

#include <stdbool.h>
#include <stdio.h>
#include <cjson/cJSON.h>

#include "util.h"

/* Returns 0, or -1 when the stream reports an error (ferror). */
int json_stream_print(const cJSON *item, FILE *out);
/* The same as a malloc'd string, laid out as cJSON_Print (pretty) or cJSON_PrintUnformatted. */
char *json_stream_text(const cJSON *item, bool pretty);
/* json_stream_print into `path` through a temporary file, fsync and rename, like
 * write_file_atomic: a reader sees the old document or the new one, never a mix. */
int json_stream_write_atomic(const cJSON *item, const char *path, unsigned mode, tmgt_error *err);

#endif
