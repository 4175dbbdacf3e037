/* A client of Bazel's HTTP remote-cache protocol: blobs at {URL}/cas/<sha256>, action records
 * at {URL}/ac/<action key>, read with GET and HEAD and written with PUT, so any server that
 * speaks it serves (bazel-remote, nginx with WebDAV, an S3 gateway).
 *
 * Nothing a server answers is used unchecked: a blob is hashed as it arrives and kept only if
 * it hashes to its name. A record cannot be checked that way (its key names the action, not
 * its bytes): it is trusted as far as the server is, as in Bazel, and its reader checks the
 * blobs it names.
 *
 * Calls block (bounded by the timeouts) and may come from several threads at once. A server
 * that fails a request past its retries is given up for the rest of the run with one warning
 * on stderr, after which every call answers REMOTE_DOWN at once: the run goes on with the
 * local cache only. A refused upload stops uploads only. The extra request headers are sent
 * and never printed. */
#ifndef TMGT_REMOTE_CACHE_H
#define TMGT_REMOTE_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hash.h"

typedef struct {
    char *url;      /* http(s)://host[:port][/prefix] */
    char **headers; /* n_headers lines "Name: value", sent with every request */
    size_t n_headers;
    char *ca_file;       /* CA certificates to trust instead of the system's, or NULL */
    char *netrc_file;    /* credentials by host, or NULL */
    long timeout_s;      /* no progress for this long fails a transfer; a HEAD or a record
                          * exchange fails after this long in all */
    int max_attempts;    /* of a request that failed for a reason that may pass */
    unsigned backoff_ms; /* before the first retry; doubles each time */
} remote_cache_conf;

void remote_cache_conf_free(remote_cache_conf *conf);

typedef enum {
    REMOTE_OK,      /* found (a blob: and verified), or stored */
    REMOTE_MISSING, /* the server does not have it */
    REMOTE_CORRUPT, /* the server's bytes are not what the name promises: ignored */
    REMOTE_DOWN,    /* the server failed, now or earlier in the run */
} remote_result;

typedef struct {
    uint64_t requests, hits, misses, corrupt, uploads;
    uint64_t bytes_down, bytes_up;
} remote_cache_counts;

typedef struct remote_cache remote_cache;

/* Takes a copy of `conf`; NULL with a message when the URL is not http(s) or holds
 * credentials. */
remote_cache *remote_cache_open(const remote_cache_conf *conf, tmgt_error *err);
void remote_cache_close(remote_cache *rc);

/* HEAD {URL}/cas/<d>: `size` gets the length the server announces. */
remote_result remote_cache_has_blob(remote_cache *rc, const digest *d, uint64_t *size);
/* GET {URL}/cas/<d> into the new file `dest`, hashed as it is written; `dest` exists
 * afterwards only when REMOTE_OK, holding exactly the blob's bytes (`size` of them). */
remote_result remote_cache_fetch_blob(remote_cache *rc, const digest *d, const char *dest, uint64_t *size);
/* PUT {URL}/cas/<d> of a file or of bytes in memory, both already hashed to `d`. */
remote_result remote_cache_upload_blob_file(remote_cache *rc, const digest *d, const char *path);
remote_result remote_cache_upload_blob_bytes(remote_cache *rc, const digest *d, const void *data, size_t len);

/* GET {URL}/ac/<key>: at most REMOTE_RECORD_MAX bytes, NUL-terminated, owned by the caller. */
#define REMOTE_RECORD_MAX ((size_t)16 << 20)
remote_result remote_cache_get_record(remote_cache *rc, const digest *key, char **json, size_t *len);
remote_result remote_cache_put_record(remote_cache *rc, const digest *key, const char *json, size_t len);

/* Whether the server has been given up (reads and writes) / uploads stopped. */
bool remote_cache_is_down(remote_cache *rc);
bool remote_cache_uploads_stopped(remote_cache *rc);
void remote_cache_get_counts(remote_cache *rc, remote_cache_counts *out);
/* The server as messages name it: the URL without its query. */
const char *remote_cache_name(const remote_cache *rc);

#endif
