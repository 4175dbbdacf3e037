#include "statcache.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "deps.h"
#include "fs.h"

typedef struct {
    uint64_t dev, ino, size;
    int64_t mtime_ns, ctime_ns;
    digest d;
} statcache_entry;

static const char HEADER[] = "tmgt-statcache 1\n";

void statcache_load(statcache *sc, const char *file)
{
    memset(sc, 0, sizeof *sc);
    sc->path = xstrdup(file);
    strmap_init(&sc->entries);
    struct stat st;
    if (stat(file, &st) != 0)
        return;
    sc->file_mtime_ns = timespec_ns(st.st_mtim);
    char *data = NULL;
    size_t len = 0;
    if (read_file(file, &data, &len, NULL) != 0)
        return;
    if (len < sizeof HEADER - 1 || memcmp(data, HEADER, sizeof HEADER - 1) != 0) {
        free(data); /* unknown format: start afresh, it is only a cache */
        return;
    }
    char *save = NULL;
    for (char *line = strtok_r(data + sizeof HEADER - 1, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        statcache_entry e;
        int off = 0;
        if (sscanf(line, "%" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNd64 " %" SCNd64 " %64s %n", &e.dev,
                   &e.ino, &e.size, &e.mtime_ns, &e.ctime_ns, e.d.hex, &off) != 6 ||
            !digest_is_valid_hex(e.d.hex) || off <= 0 || !line[off])
            continue; /* a torn or foreign line costs a re-hash, nothing more */
        statcache_entry *copy = xmalloc(sizeof *copy);
        *copy = e;
        free(strmap_put(&sc->entries, line + off, copy));
    }
    free(data);
}

void statcache_save(statcache *sc)
{
    if (!sc->dirty)
        return;
    strbuf sb;
    sb_init(&sb);
    sb_puts(&sb, HEADER);
    const char *path;
    void *value;
    for (size_t pos = 0; strmap_next(&sc->entries, &pos, &path, &value);) {
        const statcache_entry *e = value;
        if (!e || strchr(path, '\n'))
            continue;
        sb_printf(&sb, "%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRId64 " %" PRId64 " %s %s\n", e->dev, e->ino,
                  e->size, e->mtime_ns, e->ctime_ns, e->d.hex, path);
    }
    write_file_atomic(sc->path, sb.buf, sb.len, 0644, NULL);
    sb_free(&sb);
    sc->dirty = false;
}

void statcache_free(statcache *sc)
{
    const char *path;
    void *entry;
    for (size_t pos = 0; strmap_next(&sc->entries, &pos, &path, &entry);)
        free(entry);
    strmap_free(&sc->entries);
    free(sc->path);
}

int statcache_digest_file(statcache *sc, const char *path, digest *out, tmgt_error *err)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        err_set(err, "%s: %s", path, strerror(errno));
        deps_note(path); /* its absence */
        return -1;
    }
    deps_note_stat(path, &st);
    statcache_entry *e = strmap_get(&sc->entries, path);
    /* An entry written in the same instant as the file's last change cannot prove the file
     * did not change again afterwards within the timestamp granularity (git's racy rule). */
    if (e && e->dev == (uint64_t)st.st_dev && e->ino == (uint64_t)st.st_ino &&
        e->size == (uint64_t)st.st_size && e->mtime_ns == timespec_ns(st.st_mtim) &&
        e->ctime_ns == timespec_ns(st.st_ctim) &&
        (sc->file_mtime_ns == 0 || e->mtime_ns < sc->file_mtime_ns)) {
        *out = e->d;
        return 0;
    }
    uint64_t size = 0;
    if (hash_file(path, out, &size, err) != 0)
        return -1;
    sc->bytes_hashed += size;
    if (!e) {
        e = xmalloc(sizeof *e);
        strmap_put(&sc->entries, path, e);
    }
    e->dev = (uint64_t)st.st_dev;
    e->ino = (uint64_t)st.st_ino;
    e->size = (uint64_t)st.st_size;
    e->mtime_ns = timespec_ns(st.st_mtim);
    e->ctime_ns = timespec_ns(st.st_ctim);
    e->d = *out;
    sc->dirty = true;
    return 0;
}
