#include "cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache_internal.h"
#include "deps.h"
#include "env.h"
#include "fs.h"
#include "json_stream.h"
#include "utf8.h"

static bool pid_alive(long pid)
{
    return pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

/* Staging entries are named <pid>-<n>-…; those of processes that no longer exist were left by a
 * kill -9 and hold nothing anyone will publish. */
static void sweep_dead_staging(const char *tmp)
{
    DIR *d = opendir(tmp);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        char *end = NULL;
        long pid = strtol(e->d_name, &end, 10);
        if (end == e->d_name || *end != '-' || pid_alive(pid))
            continue;
        char *p = path_join(tmp, e->d_name);
        remove_tree(p);
        free(p);
    }
    closedir(d);
}

/* When the cache is made durable against power loss (TMGT_CACHE_FSYNC):
 *   run  (default) entries are published with write + rename only, and the run ends with one
 *        syncfs. A killed tmgt (SIGKILL, OOM, crash) still never leaves a partial entry: the
 *        rename is atomic and the page cache outlives the process, so fsync adds nothing
 *        there. Only a power loss or kernel crash during the run can leave an entry whose
 *        bytes never reached the disk; the cache detects that on use (stream blobs are
 *        re-hashed, output blobs size-checked, unparseable records dropped) and re-executes,
 *        and `tmgt cache verify` re-hashes everything. Git made the same trade for loose
 *        objects for years (core.fsyncObjectFiles defaulted to false).
 *   each fsync every file and its directory as it is published, as before: for caches
 *        whose loss costs hours and whose machine may lose power mid-run. */
static int fsync_mode_each(bool *each, tmgt_error *err)
{
    const char *v = env_get(ENV_TMGT_CACHE_FSYNC);
    *each = v && !strcmp(v, "each");
    if (v && *v && !*each && strcmp(v, "run") != 0) {
        err_set(err,
                "TMGT_CACHE_FSYNC=%s: expected \"run\" (one sync at the end of the run, the default) or "
                "\"each\" (fsync every cache entry)",
                v);
        return -1;
    }
    return 0;
}

cache *cache_open(const char *dir, tmgt_error *err)
{
    bool durable_each;
    if (fsync_mode_each(&durable_each, err) != 0)
        return NULL;
    if (mkdir_p(dir, 0755, err) != 0)
        return NULL;
    if (access(dir, R_OK | W_OK | X_OK) != 0) {
        err_set(err, "cache directory %s is not writable: %s", dir, strerror(errno));
        return NULL;
    }
    cache *c = xcalloc(1, sizeof *c);
    c->root = xstrdup(dir);
    c->tmp = path_join(dir, "tmp");
    char *runs = path_join(dir, "runs");
    int rc = mkdir_p(c->tmp, 0755, err) || mkdir_p(runs, 0755, err);
    free(runs);
    if (rc == 0)
        c->st = store_local_open(dir, c->tmp, durable_each, err);
    if (!c->st) {
        free(c->root);
        free(c->tmp);
        free(c);
        return NULL;
    }
    char *statfile = path_join(dir, "statcache");
    statcache_load(&c->stat, statfile);
    free(statfile);
    strmap_init(&c->used);
    sweep_dead_staging(c->tmp);
    return c;
}

void cache_use_is_earlier(cache *c)
{
    c->use_is_earlier = true;
}

static void write_run_log(cache *c)
{
    if (!c->used.count || c->use_is_earlier)
        return;
    strbuf sb;
    sb_init(&sb);
    const char *blob;
    void *unused;
    for (size_t pos = 0; strmap_next(&c->used, &pos, &blob, &unused);)
        sb_printf(&sb, "%s\n", blob);
    char *stamp = iso8601_now();
    char *path = xasprintf("%s/runs/%s-%ld.txt", c->root, stamp, (long)getpid());
    write_file_atomic(path, sb.buf, sb.len, 0644, NULL);
    free(path);
    free(stamp);
    sb_free(&sb);
}

void cache_close(cache *c)
{
    if (!c)
        return;
    statcache_save(&c->stat);
    statcache_free(&c->stat);
    write_run_log(c);
    strmap_free(&c->used);
    cache_flush(c);
    c->st->ops->close(c->st);
    free(c->root);
    free(c->tmp);
    free(c);
}

int cache_flush(cache *c)
{
    if (!c->wrote)
        return 0;
    c->wrote = false;
    return c->st->ops->flush(c->st);
}

int cache_write_back(cache *c)
{
    return c->st->ops->flush(c->st);
}

const char *cache_root(const cache *c)
{
    return c->root;
}

const char *cache_tmp_dir(const cache *c)
{
    return c->tmp;
}

char *cache_staging_path(cache *c, const char *name)
{
    char *p = xasprintf("%s/%ld-%u-%s", c->tmp, (long)getpid(), ++c->staging_seq, name);
    remove_tree(p);
    return p;
}

int cache_publish_file(cache *c, const char *path, digest *out, uint64_t *size, tmgt_error *err)
{
    if (hash_file(path, out, size, err) != 0)
        return -1;
    c->wrote = true;
    return c->st->ops->put_blob_file(c->st, path, out, err);
}

int cache_adopt_file(cache *c, const char *path, const digest *d, tmgt_error *err)
{
    if (cache_holds_blob(c, d, NULL))
        return 0;
    char *tmp = xasprintf("%s/%ld-adopt-%u", c->tmp, (long)getpid(), ++c->staging_seq);
    unlink(tmp);
    int rc = link(path, tmp) == 0 ? 0 : copy_file(path, tmp, err);
    if (rc == 0) {
        c->wrote = true;
        rc = c->st->ops->put_blob_file(c->st, tmp, d, err);
    }
    if (rc != 0)
        unlink(tmp); /* put_blob_file moves it on success */
    free(tmp);
    return rc;
}

int cache_publish_bytes(cache *c, const void *data, size_t len, digest *out, tmgt_error *err)
{
    hash_bytes(data, len, out);
    if (cache_holds_blob(c, out, NULL))
        return 0;
    c->wrote = true;
    return c->st->ops->put_blob_bytes(c->st, data, len, out, err);
}

bool cache_holds_blob(cache *c, const digest *d, uint64_t *size)
{
    return c->st->ops->holds_blob(c->st, d, size);
}

bool cache_has_blob(cache *c, const digest *d, uint64_t *size)
{
    return c->st->ops->has_blob(c->st, d, size);
}

char *cache_blob_path(cache *c, const digest *d)
{
    return c->st->ops->blob_path(c->st, d);
}

int cache_read_blob(cache *c, const digest *d, char **data, size_t *len, tmgt_error *err)
{
    char *p = cache_blob_path(c, d);
    int rc = read_file(p, data, len, err);
    free(p);
    if (rc != 0)
        return -1;
    digest got;
    hash_bytes(*data, *len, &got);
    if (strcmp(got.hex, d->hex) != 0) {
        err_set(err, "cache blob %.12s is corrupt (content hashes to %.12s); dropped", d->hex, got.hex);
        c->st->ops->drop_blob(c->st, d);
        free(*data);
        *data = NULL;
        return -1;
    }
    return 0;
}

int cache_materialize(cache *c, const digest *d, const char *dest, tmgt_error *err)
{
    char *blob = cache_blob_path(c, d);
    struct stat sb, sd;
    if (stat(blob, &sb) != 0) {
        err_set(err, "cache blob %.12s for %s is missing", d->hex, dest);
        free(blob);
        return -1;
    }
    if (stat(dest, &sd) == 0 && sd.st_dev == sb.st_dev && sd.st_ino == sb.st_ino) {
        free(blob);
        deps_note(dest);
        return 0;
    }
    char *slash = strrchr(dest, '/');
    if (slash) {
        char *dir = xstrndup(dest, (size_t)(slash - dest));
        int rc = mkdir_p(dir, 0755, err);
        free(dir);
        if (rc) {
            free(blob);
            return -1;
        }
    }
    char *tmp = temp_sibling(dest);
    unlink(tmp);
    int rc = link(blob, tmp);
    if (rc != 0) {
        char *data = NULL;
        size_t len = 0;
        rc = read_file(blob, &data, &len, err);
        if (rc == 0)
            rc = write_file_atomic(tmp, data, len, 0444, err);
        free(data);
    }
    if (rc == 0 && rename(tmp, dest) != 0) {
        err_set(err, "cannot place %s: %s", dest, strerror(errno));
        rc = -1;
    }
    if (rc != 0) {
        if (!err->msg[0])
            err_set(err, "cannot place %s: %s", dest, strerror(errno));
        unlink(tmp);
    }
    free(tmp);
    free(blob);
    if (rc == 0)
        deps_note(dest);
    return rc;
}

cJSON *cache_get_record(cache *c, const digest *key)
{
    char *json = NULL;
    size_t len = 0;
    if (c->st->ops->get_record(c->st, key, &json, &len) != 0)
        return NULL;
    cJSON *rec = cJSON_ParseWithLength(json, len);
    free(json);
    if (rec && !cJSON_IsObject(rec)) {
        cJSON_Delete(rec);
        rec = NULL;
    }
    if (!rec)
        c->st->ops->drop_record(c->st, key); /* unreadable: as if absent, and not again */
    return rec;
}

int cache_write_record(cache *c, const digest *key, const char *json, size_t len, tmgt_error *err)
{
    return c->st->ops->put_record(c->st, key, json, len, err);
}

int cache_link_record(cache *c, const digest *alias, const digest *key, tmgt_error *err)
{
    return c->st->ops->alias_record(c->st, alias, key, err);
}

void cache_note_write(cache *c, const digest *key)
{
    c->wrote = true;
    cache_note_use(c, key);
}

int cache_put_record(cache *c, const digest *key, const cJSON *record, tmgt_error *err)
{
    char *json = json_stream_text(record, false);
    cache_note_write(c, key);
    int rc = cache_write_record(c, key, json, strlen(json), err);
    free(json);
    return rc;
}

void cache_drop_record(cache *c, const digest *key)
{
    c->st->ops->drop_record(c->st, key);
}

void cache_note_use(cache *c, const digest *key)
{
    strmap_put(&c->used, key->hex, (void *)1);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int digest_tree(cache *c, const char *root, const char *rel, hasher *h, tmgt_error *err)
{
    char *dirpath = *rel ? path_join(root, rel) : xstrdup(root);
    DIR *d = opendir(dirpath);
    if (!d) {
        err_set(err, "%s: %s", dirpath, strerror(errno));
        free(dirpath);
        return -1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            names = xrealloc(names, cap * sizeof *names);
        }
        names[n++] = xstrdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_names);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        char *childrel = *rel ? xasprintf("%s/%s", rel, names[i]) : xstrdup(names[i]);
        char *childpath = path_join(root, childrel);
        if (path_is_dir(childpath)) {
            deps_note(childpath); /* an entry added or removed changes its mtime */
            rc = digest_tree(c, root, childrel, h, err);
        } else {
            digest fd;
            rc = statcache_digest_file(&c->stat, childpath, &fd, err);
            if (rc == 0) {
                hasher_field_str(h, "name", childrel);
                hasher_field_str(h, "digest", fd.hex);
            }
        }
        free(childpath);
        free(childrel);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(dirpath);
    return rc;
}

int cache_digest_path(cache *c, const char *path, digest *out, tmgt_error *err)
{
    if (!path_is_dir(path))
        return statcache_digest_file(&c->stat, path, out, err); /* which notes the file */
    deps_note(path);
    hasher *h = hasher_new();
    hasher_field_str(h, "tree", "v1");
    int rc = digest_tree(c, path, "", h, err);
    hasher_final(h, out);
    return rc;
}
