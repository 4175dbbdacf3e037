#include "json_read.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

const char *json_str(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

bool json_num(const cJSON *obj, const char *key, double *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsNumber(v))
        return false;
    *out = v->valuedouble;
    return true;
}

const cJSON *json_array(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsArray(v) ? v : NULL;
}

const cJSON *json_object(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsObject(v) ? v : NULL;
}

bool json_number(const cJSON *item, double *out)
{
    static const struct {
        const char *word;
        double sign;
        bool nan;
    } special[] = {
        {"NaN", 1, true},       {"nan", 1, true},    {"-nan", 1, true},        {"inf", 1, false},
        {"Infinity", 1, false}, {"-inf", -1, false}, {"-Infinity", -1, false},
    };

    if (cJSON_IsNumber(item)) {
        *out = item->valuedouble;
        return true;
    }
    if (!cJSON_IsString(item))
        return false;
    for (size_t i = 0; i < sizeof special / sizeof special[0]; i++) {
        if (strcmp(item->valuestring, special[i].word) == 0) {
            *out = special[i].nan ? NAN : special[i].sign * INFINITY;
            return true;
        }
    }
    return false;
}

/* A JSON null counts as absent: engines print null for "unknown", and the alternative keys are
 * there to find the value that is known. */
const cJSON *json_first(const cJSON *obj, const char *const *keys)
{
    if (!cJSON_IsObject(obj))
        return NULL;
    for (; *keys; keys++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, *keys);
        if (v && !cJSON_IsNull(v))
            return v;
    }
    return NULL;
}

const cJSON *json_first_list(const cJSON *obj, const char *const *keys)
{
    if (!cJSON_IsObject(obj))
        return NULL;
    for (; *keys; keys++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, *keys);
        if (cJSON_IsArray(v))
            return v;
    }
    return NULL;
}

bool json_long(const cJSON *item, long *out)
{
    if (!cJSON_IsNumber(item) || item->valuedouble != floor(item->valuedouble) ||
        fabs(item->valuedouble) > 9007199254740992.0)
        return false;
    *out = (long)item->valuedouble;
    return true;
}

bool json_int_list(const cJSON *arr, long **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!cJSON_IsArray(arr))
        return false;
    long *v = xmalloc(((size_t)cJSON_GetArraySize(arr) + 1) * sizeof *v);
    size_t i = 0;
    const cJSON *it;
    cJSON_ArrayForEach (it, arr) {
        if (!json_long(it, &v[i++])) {
            free(v);
            return false;
        }
    }
    *out = v;
    *n = i;
    return true;
}

bool json_integer(const cJSON *v, long *out)
{
    if (cJSON_IsNumber(v))
        return json_long(v, out);
    const char *s = cJSON_GetStringValue(v);
    if (!s || !*s)
        return false;
    char *end;
    errno = 0;
    long n = strtol(s, &end, 10);
    if (errno || *end)
        return false;
    *out = n;
    return true;
}
