/* What a Hub (or anything answering at HF_ENDPOINT) sends back: response headers, then the
 * repository listing. The input is header lines up to the first empty line, the listing after
 * it. Whatever arrives, no name that could leave the cache directory may come out. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "hub_cache.h"
#include "hub_listing.h"
#include "hub_request.h"
#include "hub_verify.h"

static void take_headers(const char *data, size_t size)
{
    hub_request r;
    memset(&r, 0, sizeof r);
    hub_request_forget_response(&r);
    for (size_t at = 0; at < size;) {
        const char *nl = memchr(data + at, '\n', size - at);
        size_t len = nl ? (size_t)(nl - (data + at)) + 1 : size - at;
        hub_request_take_header(&r, data + at, len);
        at += len;
    }
    char hex[DIGEST_HEX_LEN + 1];
    const char *etags[] = {r.etag, r.linked_etag};
    for (size_t i = 0; i < 2; i++)
        if (etags[i] && hub_etag_parse(etags[i], hex) && strlen(hex) != 40 && strlen(hex) != DIGEST_HEX_LEN)
            abort();
    if (r.linked_size < -1 || r.content_length < -1 || r.range_start < -1)
        abort();
    hub_request_forget_response(&r);
}

static void take_listing(const char *data, size_t size)
{
    char *commit = NULL, **names = NULL;
    size_t n = 0;
    tmgt_error err;
    bool refused = hub_listing_parse(data, size, &commit, &names, &n, &err) != 0;
    if (!refused && !hub_is_commit_hash(commit))
        abort();
    for (size_t i = 0; i < n; i++) {
        if (!refused && (!hub_safe_repo_path(names[i]) || strchr(names[i], '/') || !strcmp(names[i], "..")))
            abort();
        free(names[i]);
    }
    free(names);
    free(commit);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    size_t split = size;
    for (size_t i = 0; i + 1 < size; i++)
        if (text[i] == '\n' &&
            (text[i + 1] == '\n' || (text[i + 1] == '\r' && i + 2 < size && text[i + 2] == '\n'))) {
            split = i + 1;
            break;
        }
    take_headers(text, split);
    size_t body = split;
    while (body < size && (text[body] == '\r' || text[body] == '\n'))
        body++;
    take_listing(text + body, size - body);
    return 0;
}
