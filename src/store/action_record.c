#include "action_record.h"

#include <stdlib.h>
#include <string.h>

#include "json_stream.h"
#include "utf8.h"

enum { RECORD_FORMAT = 1 };

bool record_answers(const cJSON *rec, bool rerun_failed)
{
    const cJSON *exit_v = cJSON_GetObjectItemCaseSensitive(rec, "exit");
    return cJSON_IsNumber(exit_v) && !(exit_v->valueint != 0 && rerun_failed);
}

bool record_output(const cJSON *rec, const char *name, digest *d, uint64_t *size)
{
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(rec, "outputs"), name);
    const cJSON *dg = cJSON_GetObjectItemCaseSensitive(o, "digest");
    const cJSON *sz = cJSON_GetObjectItemCaseSensitive(o, "size");
    if (!cJSON_IsString(dg) || !digest_is_valid_hex(dg->valuestring) || !cJSON_IsNumber(sz))
        return false;
    memcpy(d->hex, dg->valuestring, sizeof d->hex);
    *size = (uint64_t)sz->valuedouble;
    return true;
}

/* Most engine answers are a few hundred bytes of text: as a blob each would be a file of its
 * own, the dearest thing a cold run makes. Bigger or binary streams (JSON holds text only,
 * and no NUL) stay blobs. */
enum { STREAM_INLINE_MAX = 4096 };

static bool inlinable(const char *data, size_t len)
{
    return len <= STREAM_INLINE_MAX && utf8_is_text(data, len);
}

static const cJSON *stream_text(const cJSON *record, const char *field)
{
    char *name = xasprintf("%s_text", field);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(record, name);
    free(name);
    return t;
}

bool record_stream_is_inline(const cJSON *record, const char *field)
{
    return stream_text(record, field) != NULL;
}

int record_put_stream(cache *c, cJSON *record, const char *field, const char *data, size_t len, digest *out,
                      tmgt_error *err)
{
    if (inlinable(data, len)) {
        hash_bytes(data, len, out);
        char *name = xasprintf("%s_text", field);
        char *text = len ? xstrndup(data, len) : xstrdup("");
        cJSON_AddStringToObject(record, name, text);
        free(text);
        free(name);
    } else if (cache_publish_bytes(c, data, len, out, err) != 0) {
        return -1;
    }
    cJSON_AddStringToObject(record, field, out->hex);
    char *size = xasprintf("%s_size", field);
    cJSON_AddNumberToObject(record, size, (double)len);
    free(size);
    return 0;
}

int record_get_stream(cache *c, const cJSON *record, const char *field, char **data, size_t *len,
                      tmgt_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(record, field);
    if (!cJSON_IsString(v) || !digest_is_valid_hex(v->valuestring)) {
        err_set(err, "record has no %s digest", field);
        return -1;
    }
    digest d;
    memcpy(d.hex, v->valuestring, sizeof d.hex);
    const cJSON *text = stream_text(record, field);
    if (!text)
        return cache_read_blob(c, &d, data, len, err);
    digest got = {{0}};
    if (cJSON_IsString(text))
        hash_bytes(text->valuestring, strlen(text->valuestring), &got);
    if (strcmp(got.hex, d.hex) != 0) {
        err_set(err, "cached %s %.12s kept in the record is corrupt (content hashes to %.12s)", field, d.hex,
                got.hex[0] ? got.hex : "nothing");
        return -1;
    }
    *len = strlen(text->valuestring);
    *data = xstrdup(text->valuestring);
    return 0;
}

void record_each_blob(const cJSON *rec, void (*fn)(const char *hex, void *ctx), void *ctx)
{
    static const char *const streams[] = {"stdout", "stderr"};
    for (size_t i = 0; i < 2; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, streams[i]);
        if (cJSON_IsString(v) && digest_is_valid_hex(v->valuestring) &&
            !record_stream_is_inline(rec, streams[i]))
            fn(v->valuestring, ctx);
    }
    const cJSON *outs = cJSON_GetObjectItemCaseSensitive(rec, "outputs");
    for (const cJSON *o = cJSON_IsObject(outs) ? outs->child : NULL; o; o = o->next) {
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(o, "digest");
        if (cJSON_IsString(d) && digest_is_valid_hex(d->valuestring))
            fn(d->valuestring, ctx);
    }
}

bool record_is_alias(const cJSON *rec, const digest *name)
{
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(rec, "key");
    return cJSON_IsString(k) && strcmp(k->valuestring, name->hex) != 0;
}

/* The output a successful record names must be in the store, whole, and at its path. */
static int restore_output(cache *c, const cJSON *rec, const char *name, const char *path, action_result *res,
                          tmgt_error *err)
{
    uint64_t have = 0;
    if (!record_output(rec, name, &res->output_d, &res->output_size) ||
        !cache_has_blob(c, &res->output_d, &have) || have != res->output_size) {
        err_set(err, "cached output %s is missing or damaged", name);
        return -1;
    }
    return cache_materialize(c, &res->output_d, path, err);
}

int record_restore(cache *c, const digest *key, bool rerun_failed, const char *output_name,
                   const char *output_path, action_result *res, tmgt_error *err)
{
    cJSON *rec = cache_get_record(c, key);
    if (!rec || !record_answers(rec, rerun_failed)) {
        cJSON_Delete(rec);
        return 0;
    }
    memset(res, 0, sizeof *res);
    res->exit_code = cJSON_GetObjectItemCaseSensitive(rec, "exit")->valueint;
    bool ok = record_get_stream(c, rec, "stdout", &res->out, &res->out_len, err) == 0 &&
              record_get_stream(c, rec, "stderr", &res->err, &res->err_len, err) == 0;
    if (ok && output_name && res->exit_code == 0)
        ok = restore_output(c, rec, output_name, output_path, res, err) == 0;
    if (!ok) {
        free(res->out);
        free(res->err);
        res->out = res->err = NULL;
        cache_drop_record(c, key);
        cJSON_Delete(rec);
        return -1;
    }
    const cJSON *wall = cJSON_GetObjectItemCaseSensitive(rec, "wall_ms");
    res->wall_ms = cJSON_IsNumber(wall) ? (uint64_t)wall->valuedouble : 0;
    res->have_streams = true;
    const cJSON *so = cJSON_GetObjectItemCaseSensitive(rec, "stdout");
    const cJSON *se = cJSON_GetObjectItemCaseSensitive(rec, "stderr");
    memcpy(res->stdout_d.hex, so->valuestring, sizeof res->stdout_d.hex);
    memcpy(res->stderr_d.hex, se->valuestring, sizeof res->stderr_d.hex);
    cache_note_use(c, key);
    cJSON_Delete(rec);
    return 1;
}

static void fetch_blob(const char *hex, void *ctx)
{
    digest d;
    memcpy(d.hex, hex, sizeof d.hex);
    cache_has_blob(ctx, &d, NULL);
}

bool record_fetch(cache *c, const digest *key)
{
    cJSON *rec = cache_get_record(c, key);
    if (rec)
        record_each_blob(rec, fetch_blob, c);
    cJSON_Delete(rec);
    return rec != NULL;
}

/* The record also carries what an identity record holds (key, components), so the identity
 * record can be the same file under a second name. */
cJSON *record_publish(cache *c, const digest *key, action_result *res, const char *output_name,
                      const char *staged, const char *output_path, const cJSON *components, tmgt_error *err)
{
    cJSON *rec = cJSON_CreateObject();
    cJSON_AddNumberToObject(rec, "format", RECORD_FORMAT);
    cJSON_AddStringToObject(rec, "key", key->hex);
    cJSON_AddNumberToObject(rec, "exit", res->exit_code);
    int rc = record_put_stream(c, rec, "stdout", res->out, res->out_len, &res->stdout_d, err);
    if (rc == 0)
        rc = record_put_stream(c, rec, "stderr", res->err, res->err_len, &res->stderr_d, err);
    res->have_streams = rc == 0;
    cJSON *outputs = cJSON_AddObjectToObject(rec, "outputs");
    if (rc == 0 && staged) {
        rc = cache_publish_file(c, staged, &res->output_d, &res->output_size, err);
        if (rc == 0)
            rc = cache_materialize(c, &res->output_d, output_path, err);
        if (rc == 0) {
            cJSON *o = cJSON_AddObjectToObject(outputs, output_name);
            cJSON_AddStringToObject(o, "digest", res->output_d.hex);
            cJSON_AddNumberToObject(o, "size", (double)res->output_size);
        }
    }
    if (rc == 0) {
        cJSON_AddNumberToObject(rec, "wall_ms", (double)res->wall_ms);
        char *now = iso8601_now();
        cJSON_AddStringToObject(rec, "created_at", now);
        free(now);
        cJSON_AddItemToObject(rec, "components", cJSON_Duplicate(components, 1));
        return rec;
    }
    cJSON_Delete(rec);
    return NULL;
}

bool record_identity_names(cache *c, const digest *id, const digest *key)
{
    cJSON *last = cache_get_record(c, id);
    const cJSON *last_key = cJSON_GetObjectItemCaseSensitive(last, "key");
    bool names = cJSON_IsString(last_key) && !strcmp(last_key->valuestring, key->hex);
    cJSON_Delete(last);
    return names;
}

cJSON *record_identity_components(cache *c, const digest *id)
{
    cJSON *last = cache_get_record(c, id);
    cJSON *components = cJSON_DetachItemFromObjectCaseSensitive(last, "components");
    cJSON_Delete(last);
    return components;
}

void record_write_identity(cache *c, const digest *id, const digest *key, bool stored,
                           const cJSON *components)
{
    if (stored && cache_link_record(c, id, key, NULL) == 0)
        return;
    cJSON *rec = cJSON_CreateObject();
    cJSON_AddStringToObject(rec, "key", key->hex);
    cJSON_AddItemToObject(rec, "components", cJSON_Duplicate(components, 1));
    char *json = json_stream_text(rec, false);
    cJSON_Delete(rec);
    cache_write_record(c, id, json, strlen(json), NULL);
    free(json);
}
