#define _GNU_SOURCE /* syncfs */
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"

typedef struct {
    store base;
    char *cas;
    char *ac;
    char *tmp;
    bool durable_each;
} local_store;

static char *shard_path(const char *root, const char *hex, const char *suffix)
{
    return xasprintf("%s/%.2s/%s%s", root, hex, hex, suffix);
}

static int make_shard_dir(const char *root, const char *hex, tmgt_error *err)
{
    char *dir = xasprintf("%s/%.2s", root, hex);
    int rc = mkdir_p(dir, 0755, err);
    free(dir);
    return rc;
}

static bool local_has_blob(store *s, const digest *d, uint64_t *size)
{
    local_store *ls = (local_store *)s;
    char *p = shard_path(ls->cas, d->hex, "");
    struct stat st;
    bool ok = stat(p, &st) == 0 && S_ISREG(st.st_mode);
    if (ok && size)
        *size = (uint64_t)st.st_size;
    free(p);
    return ok;
}

static char *local_blob_path(store *s, const digest *d)
{
    return shard_path(((local_store *)s)->cas, d->hex, "");
}

/* Blobs are published like git's loose objects: the content is placed under a temporary
 * name (fsynced there when every entry is made durable on its own), made read-only, then
 * renamed into place. A concurrent writer of the same digest produces the same bytes, so
 * whichever rename lands last is still correct. */
static int local_put_blob_file(store *s, const char *src, const digest *d, tmgt_error *err)
{
    local_store *ls = (local_store *)s;
    if (make_shard_dir(ls->cas, d->hex, err) != 0)
        return -1;
    char *dst = shard_path(ls->cas, d->hex, "");
    if (path_exists(dst)) {
        unlink(src);
        free(dst);
        return 0;
    }
    char *staged = temp_sibling(dst);
    if (link(src, staged) != 0) {
        if (errno != EXDEV && errno != EPERM && errno != EMLINK) {
            err_set(err, "cannot publish %s: %s", src, strerror(errno));
            free(staged);
            free(dst);
            return -1;
        }
        if (copy_file(src, staged, err) != 0) {
            free(staged);
            free(dst);
            return -1;
        }
    } else if (ls->durable_each) {
        int fd = open(staged, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            fsync(fd);
            close(fd);
        }
    }
    chmod(staged, 0444);
    if (rename(staged, dst) != 0) {
        err_set(err, "cannot publish %s: %s", dst, strerror(errno));
        unlink(staged);
        free(staged);
        free(dst);
        return -1;
    }
    if (ls->durable_each)
        fsync_dir_of(dst);
    unlink(src);
    free(staged);
    free(dst);
    return 0;
}

static int write_sharded(const local_store *ls, const char *root, const char *hex, const char *suffix,
                         const void *data, size_t len, unsigned mode, tmgt_error *err)
{
    if (make_shard_dir(root, hex, err) != 0)
        return -1;
    char *p = shard_path(root, hex, suffix);
    int rc = write_file_replace(p, data, len, mode, ls->durable_each, err);
    free(p);
    return rc;
}

/* Bytes already in memory (captured streams) are written straight beside their shard: one
 * temporary file renamed into place, no staging copy to link and unlink. */
static int local_put_blob_bytes(store *s, const void *data, size_t len, const digest *d, tmgt_error *err)
{
    local_store *ls = (local_store *)s;
    return write_sharded(ls, ls->cas, d->hex, "", data, len, 0444, err);
}

static int local_get_record(store *s, const digest *key, char **json, size_t *len)
{
    char *p = shard_path(((local_store *)s)->ac, key->hex, ".json");
    int rc = read_file(p, json, len, NULL);
    free(p);
    return rc;
}

static int local_put_record(store *s, const digest *key, const char *json, size_t len, tmgt_error *err)
{
    local_store *ls = (local_store *)s;
    return write_sharded(ls, ls->ac, key->hex, ".json", json, len, 0644, err);
}

static int local_alias_record(store *s, const digest *alias, const digest *key, tmgt_error *err)
{
    local_store *ls = (local_store *)s;
    if (make_shard_dir(ls->ac, alias->hex, err) != 0)
        return -1;
    char *src = shard_path(ls->ac, key->hex, ".json");
    char *dst = shard_path(ls->ac, alias->hex, ".json");
    int rc = 0;
    if (link_replace(src, dst) != 0) {
        /* no hard links here: the same bytes in a file of its own */
        char *json = NULL;
        size_t len = 0;
        rc = read_file(src, &json, &len, err) == 0
                 ? write_file_replace(dst, json, len, 0644, ls->durable_each, err)
                 : -1;
        free(json);
    } else if (ls->durable_each) {
        fsync_dir_of(dst);
    }
    free(dst);
    free(src);
    return rc;
}

static void local_drop_blob(store *s, const digest *d)
{
    char *p = shard_path(((local_store *)s)->cas, d->hex, "");
    unlink(p);
    free(p);
}

static void local_drop_record(store *s, const digest *key)
{
    char *p = shard_path(((local_store *)s)->ac, key->hex, ".json");
    unlink(p);
    free(p);
}

/* Walks root/xx/<64 hex>[suffix]; anything else (temporaries, stray files) is ignored. */
static void each_sharded(const char *root, const char *suffix,
                         void (*fn)(const digest *, const char *, void *), void *ctx)
{
    DIR *top = opendir(root);
    if (!top)
        return;
    struct dirent *de;
    size_t slen = strlen(suffix);
    while ((de = readdir(top))) {
        if (strlen(de->d_name) != 2)
            continue;
        char *sub = xasprintf("%s/%s", root, de->d_name);
        DIR *d = opendir(sub);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            size_t n = strlen(e->d_name);
            if (n != DIGEST_HEX_LEN + slen || strcmp(e->d_name + DIGEST_HEX_LEN, suffix) != 0)
                continue;
            digest dg;
            memcpy(dg.hex, e->d_name, DIGEST_HEX_LEN);
            dg.hex[DIGEST_HEX_LEN] = '\0';
            if (!digest_is_valid_hex(dg.hex))
                continue;
            char *p = xasprintf("%s/%s", sub, e->d_name);
            fn(&dg, p, ctx);
            free(p);
        }
        if (d)
            closedir(d);
        free(sub);
    }
    closedir(top);
}

static void local_each_blob(store *s, void (*fn)(const digest *, const char *, void *), void *ctx)
{
    each_sharded(((local_store *)s)->cas, "", fn, ctx);
}

static void local_each_record(store *s, void (*fn)(const digest *, const char *, void *), void *ctx)
{
    each_sharded(((local_store *)s)->ac, ".json", fn, ctx);
}

/* One syncfs(2) writes back every entry of the run (and whatever else is dirty on that
 * filesystem) in a single pass, instead of two synchronous disk round trips per file. */
static int local_flush(store *s)
{
    local_store *ls = (local_store *)s;
    if (ls->durable_each)
        return 0;
    int fd = open(ls->cas, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = syncfs(fd);
    close(fd);
    return rc;
}

static void local_close(store *s)
{
    local_store *ls = (local_store *)s;
    free(ls->cas);
    free(ls->ac);
    free(ls->tmp);
    free(ls);
}

static const store_ops local_ops = {
    .holds_blob = local_has_blob,
    .has_blob = local_has_blob,
    .blob_path = local_blob_path,
    .put_blob_file = local_put_blob_file,
    .put_blob_bytes = local_put_blob_bytes,
    .get_record = local_get_record,
    .put_record = local_put_record,
    .alias_record = local_alias_record,
    .drop_blob = local_drop_blob,
    .drop_record = local_drop_record,
    .each_blob = local_each_blob,
    .each_record = local_each_record,
    .flush = local_flush,
    .close = local_close,
};

store *store_local_open(const char *dir, const char *tmp, bool durable_each, tmgt_error *err)
{
    local_store *ls = xcalloc(1, sizeof *ls);
    ls->base.ops = &local_ops;
    ls->durable_each = durable_each;
    ls->cas = path_join(dir, "cas");
    ls->ac = path_join(dir, "ac");
    ls->tmp = xstrdup(tmp);
    if (mkdir_p(ls->cas, 0755, err) || mkdir_p(ls->ac, 0755, err)) {
        local_close(&ls->base);
        return NULL;
    }
    return &ls->base;
}
