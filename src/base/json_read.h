/* Reading JSON from outside (engine output, results documents, records) without trusting its
 * shape: a missing key and a value of another type read alike, as absent. */
#ifndef TMGT_JSON_READ_H
#define TMGT_JSON_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

const char *json_str(const cJSON *obj, const char *key);       /* NULL unless a string */
bool json_num(const cJSON *obj, const char *key, double *out); /* false unless a number */
const cJSON *json_array(const cJSON *obj, const char *key);    /* NULL unless an array */
const cJSON *json_object(const cJSON *obj, const char *key);   /* NULL unless an object */

/* Number access that accepts the "NaN"/"inf"/"-inf" strings of json_parse_lenient. */
bool json_number(const cJSON *item, double *out);
/* First of several alternative keys that is present (and, for the _list variant, a list). */
const cJSON *json_first(const cJSON *obj, const char *const *keys);
const cJSON *json_first_list(const cJSON *obj, const char *const *keys);
/* An integral JSON number that a double holds exactly (|v| <= 2^53), so no id is rounded. */
bool json_long(const cJSON *item, long *out);
/* An integer from a JSON number or a decimal string (GGUF metadata values are strings). */
bool json_integer(const cJSON *v, long *out);
/* Reads a JSON array of integers; false when absent or not all integers. */
bool json_int_list(const cJSON *arr, long **out, size_t *n);

#endif
