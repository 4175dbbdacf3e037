#include "bisect_state.h"

#include <stdlib.h>
#include <string.h>

#include "fs.h"
#include "json_stream.h"

#define STATE_FORMAT 1

char *bisect_state_dir(const char *cache_dir)
{
    return path_join(cache_dir, "bisect");
}

static char *state_file(const char *cache_dir)
{
    char *dir = bisect_state_dir(cache_dir);
    char *path = path_join(dir, "state.json");
    free(dir);
    return path;
}

bool bisect_state_exists(const char *cache_dir)
{
    char *path = state_file(cache_dir);
    bool exists = path_exists(path);
    free(path);
    return exists;
}

static void add_list(cJSON *doc, const char *key, const str_list *l)
{
    cJSON *arr = cJSON_AddArrayToObject(doc, key);
    for (size_t i = 0; i < l->n; i++)
        cJSON_AddItemToArray(arr, cJSON_CreateString(l->items[i]));
}

int bisect_state_save(const char *cache_dir, const bisect_state *st, tmgt_error *err)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddNumberToObject(doc, "format", STATE_FORMAT);
    cJSON_AddStringToObject(doc, "repo", st->repo);
    cJSON_AddStringToObject(doc, "good_rev", st->good_rev);
    cJSON_AddStringToObject(doc, "bad_rev", st->bad_rev);
    cJSON_AddStringToObject(doc, "good", st->good);
    cJSON_AddStringToObject(doc, "bad", st->bad);
    cJSON_AddStringToObject(doc, "build", st->build);
    cJSON_AddStringToObject(doc, "binary", st->binary);
    cJSON_AddStringToObject(doc, "engine", st->engine);
    cJSON_AddStringToObject(doc, "pipeline", st->pipeline);
    cJSON_AddStringToObject(doc, "results_dir", st->results_dir);
    add_list(doc, "checks", &st->checks);
    add_list(doc, "models", &st->models);
    add_list(doc, "engine_overrides", &st->overrides);
    cJSON_AddNumberToObject(doc, "parallel", st->parallel > 1 ? st->parallel : 1);
    cJSON_AddItemToObject(doc, "steps", cJSON_Duplicate(st->steps, 1));
    char *dir = bisect_state_dir(cache_dir);
    char *path = state_file(cache_dir);
    int rc = mkdir_p(dir, 0755, err);
    if (rc == 0)
        rc = json_stream_write_atomic(doc, path, 0644, err);
    cJSON_Delete(doc);
    free(dir);
    free(path);
    return rc;
}

static char *take_string(const cJSON *doc, const char *key, bool *ok)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, key);
    if (!cJSON_IsString(v)) {
        *ok = false;
        return xstrdup("");
    }
    return xstrdup(v->valuestring);
}

static void take_oid(const cJSON *doc, const char *key, char out[OID_HEX], bool *ok)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, key);
    if (!cJSON_IsString(v) || strlen(v->valuestring) != OID_HEX - 1)
        *ok = false;
    else
        memcpy(out, v->valuestring, OID_HEX);
}

static void take_list(const cJSON *doc, const char *key, str_list *l, bool *ok)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(doc, key), *v;
    if (!cJSON_IsArray(arr))
        *ok = false;
    cJSON_ArrayForEach (v, arr) {
        if (cJSON_IsString(v))
            str_list_push(l, v->valuestring);
        else
            *ok = false;
    }
}

static bool step_is_valid(const cJSON *step)
{
    static const char *const fields[] = {"commit", "tree", "summary", "verdict"};
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
        if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(step, fields[i])))
            return false;
    const char *verdict = cJSON_GetObjectItemCaseSensitive(step, "verdict")->valuestring;
    return !strcmp(verdict, "good") || !strcmp(verdict, "bad") || !strcmp(verdict, "skip");
}

int bisect_state_load(const char *cache_dir, bisect_state *st, tmgt_error *err)
{
    memset(st, 0, sizeof *st);
    char *path = state_file(cache_dir), *text = NULL;
    size_t len = 0;
    if (read_file(path, &text, &len, err) != 0) {
        err_set(err, "no bisect in progress in %s (start one with --repo, --good and --bad)", cache_dir);
        free(path);
        return -1;
    }
    cJSON *doc = cJSON_ParseWithLength(text, len);
    free(text);
    const cJSON *format = cJSON_GetObjectItemCaseSensitive(doc, "format");
    bool ok = cJSON_IsNumber(format) && format->valueint == STATE_FORMAT;
    st->repo = take_string(doc, "repo", &ok);
    st->good_rev = take_string(doc, "good_rev", &ok);
    st->bad_rev = take_string(doc, "bad_rev", &ok);
    take_oid(doc, "good", st->good, &ok);
    take_oid(doc, "bad", st->bad, &ok);
    st->build = take_string(doc, "build", &ok);
    st->binary = take_string(doc, "binary", &ok);
    st->engine = take_string(doc, "engine", &ok);
    st->pipeline = take_string(doc, "pipeline", &ok);
    st->results_dir = take_string(doc, "results_dir", &ok);
    take_list(doc, "checks", &st->checks, &ok);
    take_list(doc, "models", &st->models, &ok);
    take_list(doc, "engine_overrides", &st->overrides, &ok);
    /* a state from before --parallel has none: it bisected one candidate at a time */
    const cJSON *parallel = cJSON_GetObjectItemCaseSensitive(doc, "parallel");
    st->parallel = 1;
    if (parallel && !(cJSON_IsNumber(parallel) && parallel->valuedouble >= 1 && parallel->valuedouble <= 64))
        ok = false;
    else if (parallel)
        st->parallel = (unsigned)parallel->valuedouble;
    cJSON *steps = cJSON_DetachItemFromObjectCaseSensitive(doc, "steps");
    st->steps = cJSON_IsArray(steps) ? steps : cJSON_CreateArray();
    if (!cJSON_IsArray(steps)) {
        cJSON_Delete(steps);
        ok = false;
    }
    const cJSON *step;
    cJSON_ArrayForEach (step, st->steps) {
        ok = ok && step_is_valid(step);
    }
    cJSON_Delete(doc);
    if (!ok)
        err_set(err, "%s is damaged or from another tmgt version; remove it with tmgt bisect --reset", path);
    free(path);
    if (!ok)
        bisect_state_free(st);
    return ok ? 0 : -1;
}

void bisect_state_free(bisect_state *st)
{
    free(st->repo);
    free(st->good_rev);
    free(st->bad_rev);
    free(st->build);
    free(st->binary);
    free(st->engine);
    free(st->pipeline);
    free(st->results_dir);
    str_list_free(&st->checks);
    str_list_free(&st->models);
    str_list_free(&st->overrides);
    cJSON_Delete(st->steps);
    memset(st, 0, sizeof *st);
}
