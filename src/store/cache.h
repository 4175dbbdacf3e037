/* The content-addressed cache: blobs by SHA-256, action records by action key, and a stat
 * cache so unchanged multi-GB inputs are never re-read. */
#ifndef TMGT_CACHE_H
#define TMGT_CACHE_H

#include <stdbool.h>
#include <stdio.h>
#include <cjson/cJSON.h>

#include "hash.h"
#include "store.h"
#include "strmap.h"

typedef struct cache cache;

cache *cache_open(const char *dir, tmgt_error *err);
/* Saves the stat cache and the run's list of used keys (for gc), then frees. */
void cache_close(cache *c);
/* Makes what this process published durable (see TMGT_CACHE_FSYNC in cache.c); blocks on the
 * disk, so a run calls it on a thread of its own (core/cache_sync.h). cache_close flushes what
 * is left. */
int cache_flush(cache *c);
/* Writes back what was published so far, ending nothing: safe on another thread while the run
 * goes on publishing (it reads nothing the run changes), and cache_flush still follows. Makes
 * that last flush short when it comes. */
int cache_write_back(cache *c);
const char *cache_root(const cache *c);
/* The cache's scratch directory (same filesystem as the store, so files can be renamed in). */
const char *cache_tmp_dir(const cache *c);

/* A fresh path under the cache's tmp/ for an action to write its output `name` to (the name
 * stays the end of it, so an engine that reads the format from the extension still can); the
 * caller removes it (remove_tree) once the output is published. A file, not a directory of
 * its own: on ext4 a directory's inode costs a search of the block groups, which was most of the
 * executor's own time on a cold run. */
char *cache_staging_path(cache *c, const char *name);

/* Hashes `path` and publishes it as a blob; `path` is consumed (moved into the store). */
int cache_publish_file(cache *c, const char *path, digest *out, uint64_t *size, tmgt_error *err);
/* Adds the file at `path`, already known to hash to `d`, as a blob and leaves `path` in place
 * (a hard link when both lie on one filesystem, else a copy). */
int cache_adopt_file(cache *c, const char *path, const digest *d, tmgt_error *err);
int cache_publish_bytes(cache *c, const void *data, size_t len, digest *out, tmgt_error *err);
/* The blob is kept here (never fetched: store.h's holds_blob). */
bool cache_holds_blob(cache *c, const digest *d, uint64_t *size);
/* The blob is here, or could be fetched from a remote cache behind this one (and now is). */
bool cache_has_blob(cache *c, const digest *d, uint64_t *size);
char *cache_blob_path(cache *c, const digest *d);
/* Reads a blob and checks its digest; a corrupt blob is dropped and -1 returned with a
 * message saying so, so the caller can re-execute the action that made it. */
int cache_read_blob(cache *c, const digest *d, char **data, size_t *len, tmgt_error *err);
/* Makes `dest` hold the blob's bytes: a hard link when possible (no copy for big models),
 * nothing at all when it already is that blob. */
int cache_materialize(cache *c, const digest *d, const char *dest, tmgt_error *err);

cJSON *cache_get_record(cache *c, const digest *key);
/* The record is published last, after every blob it names: a reader never sees a record
 * whose outputs are missing. */
int cache_put_record(cache *c, const digest *key, const cJSON *record, tmgt_error *err);
/* cache_put_record without the run's bookkeeping (cache_note_write), which the caller does first
 * on the loop thread: it touches only files, so it may run on the thread pool. */
int cache_write_record(cache *c, const digest *key, const char *json, size_t len, tmgt_error *err);
/* Record `alias` reads as record `key` from now on (both stay: dropping one keeps the other);
 * only files, like cache_write_record. */
int cache_link_record(cache *c, const digest *alias, const digest *key, tmgt_error *err);
/* Marks a record as used by this run and the cache as written (for the final sync). */
void cache_note_write(cache *c, const digest *key);
void cache_drop_record(cache *c, const digest *key);
/* Marks a record as used by this run (gc keeps what recent runs used). */
void cache_note_use(cache *c, const digest *key);
/* This run stands for an earlier one whose verdicts it partly copies (core/rejudge.h): what it
 * uses, that run used too, and gc is to keep all of that run's entries, not just this run's few
 * — so it leaves no run log of its own. */
void cache_use_is_earlier(cache *c);

/* Digest of a file, or of a directory tree (sorted relative names and file digests), through
 * the stat cache: (dev, ino, size, mtime, ctime) unchanged means no re-read, except for
 * entries as new as the stat cache itself (git's racy rule). */
int cache_digest_path(cache *c, const char *path, digest *out, tmgt_error *err);

typedef struct {
    size_t blobs, records, runs;
    uint64_t blob_bytes;
    size_t corrupt_blobs, dangling_records, bad_records, removed_blobs, removed_records;
} cache_report;

int cache_stats(cache *c, cache_report *r);
/* Re-hashes every blob; drops corrupt blobs, and records that are unparseable or name a
 * missing blob. Prints one line per problem to `log`. */
int cache_verify(cache *c, cache_report *r, FILE *log);
/* Keeps the records used by the last `keep_runs` runs and the blobs they name. */
int cache_gc(cache *c, size_t keep_runs, cache_report *r, FILE *log);

#endif
