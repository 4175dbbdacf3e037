/* (dev, ino, size, mtime_ns, ctime_ns) → digest, persisted as one text file. */
#ifndef TMGT_STATCACHE_H
#define TMGT_STATCACHE_H

#include <stdbool.h>
#include <stdint.h>
#include "hash.h"
#include "strmap.h"

typedef struct {
    char *path;
    int64_t file_mtime_ns; /* when the file was last written: newer entries are "racy" */
    strmap entries;        /* path → statcache_entry* */
    bool dirty;
    uint64_t bytes_hashed; /* how much this process had to read (benchmarks report it) */
} statcache;

void statcache_load(statcache *sc, const char *file);
void statcache_save(statcache *sc);
void statcache_free(statcache *sc);
int statcache_digest_file(statcache *sc, const char *path, digest *out, tmgt_error *err);

#endif
