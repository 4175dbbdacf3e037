/* Where blobs and action records live. The cache talks to this interface only, so a remote
 * store (bazel-remote's /cas/ and /ac/ layout over HTTP) can be added beside the local one. */
#ifndef TMGT_STORE_H
#define TMGT_STORE_H

#include <stdbool.h>
#include <stdio.h>
#include "hash.h"

typedef struct store store;

typedef struct {
    /* Whether this machine already keeps the blob; never asks anything farther away. What
     * publishing (nothing to add) and verifying (a record naming a blob not kept is dangling)
     * ask. */
    bool (*holds_blob)(store *s, const digest *d, uint64_t *size);
    /* Whether the blob can be read at blob_path: a store backed by another (store_remote) may
     * fetch it to answer. What restoring a result asks. */
    bool (*has_blob)(store *s, const digest *d, uint64_t *size);
    /* Path of a readable copy of the blob (owned by the caller). */
    char *(*blob_path)(store *s, const digest *d);
    /* Publishes the file at `src` (already hashed to `d`) as a blob. `src` is consumed:
     * it is linked or copied into place and then removed. */
    int (*put_blob_file)(store *s, const char *src, const digest *d, tmgt_error *err);
    /* Publishes bytes held in memory (already hashed to `d`) as a blob. */
    int (*put_blob_bytes)(store *s, const void *data, size_t len, const digest *d, tmgt_error *err);
    int (*get_record)(store *s, const digest *key, char **json, size_t *len);
    int (*put_record)(store *s, const digest *key, const char *json, size_t len, tmgt_error *err);
    /* Makes record `alias` name the same content as record `key` (a hard link in the local
     * store: no new file, which is most of what a record costs on disk). */
    int (*alias_record)(store *s, const digest *alias, const digest *key, tmgt_error *err);
    void (*drop_blob)(store *s, const digest *d);
    void (*drop_record)(store *s, const digest *key);
    /* Calls `fn` for every blob / record; used by verify, stats and gc. */
    void (*each_blob)(store *s, void (*fn)(const digest *d, const char *path, void *ctx), void *ctx);
    void (*each_record)(store *s, void (*fn)(const digest *key, const char *path, void *ctx), void *ctx);
    /* Makes everything published so far survive a power loss (stores that publish each
     * entry durably do nothing). */
    int (*flush)(store *s);
    void (*close)(store *s);
} store_ops;

struct store {
    const store_ops *ops;
};

/* A directory with cas/ (blobs, mode 0444) and ac/ (records); `tmp` is where files are
 * staged before they are published with rename(2) in the same filesystem. `durable_each`:
 * fsync every entry and its directory as it is published; otherwise `flush` syncs them all. */
store *store_local_open(const char *dir, const char *tmp, bool durable_each, tmgt_error *err);

#endif
