#include "oracle.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "json_read.h"
#include "deps.h"
#include "fs.h"
#include "oracle_margins.h"

/* The oracle is the ground truth every check is judged against, so its files are held to the
 * schema the original harness's drift tests pinned (oracle/README.md): a subtly wrong oracle
 * would turn every engine result into noise. */

static int fail(tmgt_error *err, const char *path, const char *field, const char *msg)
{
    err_set(err, "%s: %s%s%s", path, field ? field : "", field ? ": " : "", msg);
    return -1;
}

static const char *want_string(const cJSON *doc, const char *path, const char *key, tmgt_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, key);
    if (!v) {
        fail(err, path, key, "missing");
        return NULL;
    }
    if (!cJSON_IsString(v)) {
        fail(err, path, key, "not a string");
        return NULL;
    }
    return v->valuestring;
}

static bool want_int(const cJSON *doc, const char *path, const char *key, long *out, tmgt_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, key);
    if (!v)
        return fail(err, path, key, "missing"), false;
    if (!json_long(v, out))
        return fail(err, path, key, "not an integer"), false;
    return true;
}

/* The generated ids: 1 to 32 non-negative integers. The original's three oracles never hit EOS
 * and hold exactly 32; a model that stops early (SmolLM2 on "arithmetic") holds fewer. */
static int read_tokens(const cJSON *doc, const char *path, oracle_entry *out, tmgt_error *err)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(doc, "tokens");
    if (!arr)
        return fail(err, path, "tokens", "missing");
    if (!cJSON_IsArray(arr))
        return fail(err, path, "tokens", "not a list");
    int n = cJSON_GetArraySize(arr);
    if (n < 1 || n > ORACLE_TOKENS) {
        err_set(err, "%s: tokens: expected 1 to %d tokens, got %d", path, ORACLE_TOKENS, n);
        return -1;
    }
    out->tokens = xmalloc(sizeof *out->tokens * ORACLE_TOKENS);
    if (oracle_read_ids(arr, path, "tokens", out->tokens, err) < 0)
        return -1;
    out->n_tokens = (size_t)n;
    return 0;
}

static int check_provenance(const cJSON *doc, const char *path, tmgt_error *err)
{
    const char *runtime = want_string(doc, path, "runtime", err);
    if (!runtime)
        return -1;
    if (strcmp(runtime, "transformers") != 0) {
        err_set(err, "%s: runtime: expected \"transformers\", got \"%s\"", path, runtime);
        return -1;
    }
    const char *format = want_string(doc, path, "format", err);
    if (!format)
        return -1;
    if (strcmp(format, "float32") != 0) {
        err_set(err, "%s: format: expected \"float32\", got \"%s\"", path, format);
        return -1;
    }
    static const char *const versions[] = {"transformers_version", "torch_version"};
    for (size_t i = 0; i < 2; i++) {
        const char *v = want_string(doc, path, versions[i], err);
        if (!v)
            return -1;
        if (!strchr(v, '.'))
            return fail(err, path, versions[i], "not a version (no \".\")");
    }
    const cJSON *sample = cJSON_GetObjectItemCaseSensitive(doc, "do_sample");
    if (!sample)
        return fail(err, path, "do_sample", "missing");
    if (!cJSON_IsFalse(sample))
        return fail(err, path, "do_sample", "must be false (greedy decoding)");
    long max_new;
    if (!want_int(doc, path, "max_new_tokens", &max_new, err))
        return -1;
    if (max_new != ORACLE_TOKENS) {
        err_set(err, "%s: max_new_tokens: expected %d, got %ld", path, ORACLE_TOKENS, max_new);
        return -1;
    }
    return 0;
}

static char *stem_of(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    return xstrndup(base, dot ? (size_t)(dot - base) : strlen(base));
}

static cJSON *provenance_of(const cJSON *doc)
{
    static const char *const keys[] = {"model", "runtime", "format", "transformers_version", "torch_version"};
    cJSON *p = cJSON_CreateObject();
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, keys[i]);
        if (v)
            cJSON_AddItemToObject(p, keys[i], cJSON_Duplicate(v, 1));
    }
    return p;
}

static int validate(const cJSON *doc, const char *path, const char *slug, oracle_entry *out, tmgt_error *err)
{
    const char *s;
    long count;

    if (!cJSON_IsObject(doc))
        return fail(err, path, NULL, "not a JSON object");
    if (!(s = want_string(doc, path, "model_slug", err)))
        return -1;
    if (strcmp(s, slug) != 0) {
        err_set(err, "%s: model_slug: expected \"%s\", got \"%s\"", path, slug, s);
        return -1;
    }
    if (check_provenance(doc, path, err) < 0)
        return -1;
    if (!(s = want_string(doc, path, "prompt", err)))
        return -1;
    out->prompt = xstrdup(s);
    if (!(s = want_string(doc, path, "text", err)))
        return -1;
    out->text = xstrdup(s);
    if (read_tokens(doc, path, out, err) < 0)
        return -1;
    /* Empty text is a real answer only when the model stopped early (EOS decodes to ""). */
    if (!*out->text && out->n_tokens == ORACLE_TOKENS)
        return fail(err, path, "text", "empty although 32 tokens were generated");
    if (!want_int(doc, path, "token_count", &count, err))
        return -1;
    if (count != (long)out->n_tokens) {
        err_set(err, "%s: token_count: %ld does not match len(tokens) = %zu", path, count, out->n_tokens);
        return -1;
    }
    return oracle_read_margins(doc, path, out, err);
}

int oracle_parse(const char *path, const char *json, size_t len, const char *slug, oracle_entry *out,
                 cJSON **provenance, tmgt_error *err)
{
    const char *end = NULL;
    memset(out, 0, sizeof *out);
    cJSON *doc = cJSON_ParseWithLengthOpts(json, len, &end, 0);
    if (!doc) {
        oracle_json_error(path, json, len, end, err);
        return -1;
    }
    int rc = validate(doc, path, slug, out, err);
    if (rc == 0) {
        out->path = xstrdup(path);
        out->prompt_key = stem_of(path);
        if (provenance)
            *provenance = provenance_of(doc);
    } else {
        oracle_entry_free(out);
    }
    cJSON_Delete(doc);
    return rc;
}

/* The set shares one provenance: mixing files from two transformers releases would compare
 * prompts against different references without anyone noticing. */
static int same_provenance(const cJSON *set, const cJSON *entry, const char *path, const char *first_path,
                           tmgt_error *err)
{
    static const char *const keys[] = {"transformers_version", "torch_version", "format"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const char *a = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(set, keys[i]));
        const char *b = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(entry, keys[i]));
        if (a && b && strcmp(a, b) != 0) {
            err_set(err, "%s: %s: \"%s\" differs from \"%s\" in %s", path, keys[i], b, a, first_path);
            return -1;
        }
    }
    return 0;
}

oracle_set *oracle_load(const char *dir, const char *slug, const char *const *prompt_keys, size_t n_keys,
                        tmgt_error *err)
{
    oracle_set *s = xcalloc(1, sizeof *s);
    s->slug = xstrdup(slug);
    s->entries = xcalloc(n_keys ? n_keys : 1, sizeof *s->entries);
    strmap_init(&s->by_key);
    for (size_t i = 0; i < n_keys; i++) {
        char *file = xasprintf("%s.json", prompt_keys[i]);
        char *path = path_join(dir, file);
        char *data = NULL;
        size_t len = 0;
        cJSON *prov = NULL;
        deps_note(path);
        int rc = read_file(path, &data, &len, err);
        if (rc == 0)
            rc = oracle_parse(path, data, len, slug, &s->entries[i], &prov, err);
        if (rc == 0) {
            s->entries[i].sum = checksum64(data, len);
            if (!strmap_get(&s->by_key, s->entries[i].prompt_key))
                strmap_put(&s->by_key, s->entries[i].prompt_key, &s->entries[i]);
            s->n_entries++;
            if (!s->provenance) {
                s->provenance = prov;
                prov = NULL;
            } else {
                rc = same_provenance(s->provenance, prov, path, s->entries[0].path, err);
            }
        }
        cJSON_Delete(prov);
        free(data);
        free(path);
        free(file);
        if (rc < 0) {
            oracle_free(s);
            return NULL;
        }
    }
    return s;
}

const oracle_entry *oracle_find(const oracle_set *s, const char *prompt_key)
{
    if (!s || !prompt_key)
        return NULL;
    return strmap_get(&s->by_key, prompt_key);
}

void oracle_entry_free(oracle_entry *e)
{
    if (!e)
        return;
    free(e->prompt_key);
    free(e->prompt);
    free(e->tokens);
    free(e->text);
    free(e->path);
    oracle_margins_free(e);
    memset(e, 0, sizeof *e);
}

void oracle_free(oracle_set *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_entries; i++)
        oracle_entry_free(&s->entries[i]);
    free(s->entries);
    strmap_free(&s->by_key);
    free(s->slug);
    cJSON_Delete(s->provenance);
    free(s);
}

size_t oracle_comparable_tokens(const oracle_entry *o, size_t n_got)
{
    bool stopped_at_eos = o->n_tokens > 0 && o->n_tokens < ORACLE_TOKENS;
    return stopped_at_eos && n_got < o->n_tokens ? o->n_tokens - 1 : o->n_tokens;
}
