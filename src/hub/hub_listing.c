#include "hub_listing.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "hub_cache.h"
#include "util.h"

/* The files a model conversion reads: configuration, tokenizer, weights. Top level only,
 * which is where transformers puts them (subfolders hold other formats: onnx/, ...). */
static bool model_needs(const char *name)
{
    static const char *const suffixes[] = {".json",     ".safetensors", ".model",
                                           ".tiktoken", "merges.txt",   "vocab.txt"};
    if (strchr(name, '/'))
        return false;
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes; i++) {
        size_t k = strlen(suffixes[i]);
        if (n >= k && !strcmp(name + n - k, suffixes[i]))
            return true;
    }
    return false;
}

int hub_listing_parse(const char *json, size_t len, char **commit, char ***names, size_t *n, tmgt_error *err)
{
    cJSON *doc = cJSON_ParseWithLength(json, len);
    const cJSON *sha = cJSON_GetObjectItemCaseSensitive(doc, "sha");
    const cJSON *siblings = cJSON_GetObjectItemCaseSensitive(doc, "siblings");
    int rc = 0;
    if (!cJSON_IsString(sha) || !hub_is_commit_hash(sha->valuestring) || !cJSON_IsArray(siblings))
        rc =
            err_fail(err, "the Hub's answer to the repository listing has no commit \"sha\" or \"siblings\"");
    const cJSON *s, *listed = rc ? NULL : siblings;
    cJSON_ArrayForEach (s, listed) {
        const cJSON *fn = cJSON_GetObjectItemCaseSensitive(s, "rfilename");
        if (!cJSON_IsString(fn) || !hub_safe_repo_path(fn->valuestring)) {
            rc = err_fail(err,
                          "the Hub listed the file name \"%s\", which would escape the cache directory; "
                          "refusing the repository",
                          cJSON_IsString(fn) ? fn->valuestring : "(not a string)");
            break;
        }
        if (model_needs(fn->valuestring)) {
            *names = xrealloc(*names, (*n + 1) * sizeof **names);
            (*names)[(*n)++] = xstrdup(fn->valuestring);
        }
    }
    if (!rc && !*n)
        rc = err_fail(err, "the repository has no config, tokenizer or safetensors files");
    if (!rc)
        *commit = xstrdup(sha->valuestring);
    cJSON_Delete(doc);
    return rc;
}
