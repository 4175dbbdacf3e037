/* Offline maintenance of the cache: counting, verifying and collecting garbage. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "action_record.h"
#include "cache_internal.h"
#include "fs.h"

typedef struct {
    cache *c;
    cache_report *r;
    FILE *log;
    strmap *keep; /* for gc: digests to keep */
} walk_ctx;

static void count_blob(const digest *d, const char *path, void *arg)
{
    walk_ctx *w = arg;
    struct stat st;
    w->r->blobs++;
    if (stat(path, &st) == 0)
        w->r->blob_bytes += (uint64_t)st.st_size;
}

static void count_record(const digest *d, const char *path, void *arg)
{
    ((walk_ctx *)arg)->r->records++;
}

static size_t count_runs(const cache *c)
{
    char *runs = path_join(c->root, "runs");
    DIR *d = opendir(runs);
    size_t n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    free(runs);
    return n;
}

/* A run's memo (run_memo.h) vouches for verdicts judged from entries now gone: the next run
 * judges again rather than claim them cached. */
static void forget_memos(const cache *c, const cache_report *r)
{
    if (!r->removed_blobs && !r->removed_records && !r->corrupt_blobs && !r->bad_records &&
        !r->dangling_records)
        return;
    char *memos = path_join(c->root, "memo");
    remove_tree(memos);
    free(memos);
}

int cache_stats(cache *c, cache_report *r)
{
    memset(r, 0, sizeof *r);
    walk_ctx w = {.c = c, .r = r};
    c->st->ops->each_blob(c->st, count_blob, &w);
    c->st->ops->each_record(c->st, count_record, &w);
    r->runs = count_runs(c);
    return 0;
}

static void verify_blob(const digest *d, const char *path, void *arg)
{
    walk_ctx *w = arg;
    digest got;
    uint64_t size = 0;
    tmgt_error err = {{0}};
    w->r->blobs++;
    if (hash_file(path, &got, &size, &err) != 0 || strcmp(got.hex, d->hex) != 0) {
        w->r->corrupt_blobs++;
        w->r->removed_blobs++;
        if (w->log)
            fprintf(w->log, "corrupt blob %s (%s); removed\n", d->hex,
                    err.msg[0] ? err.msg : "content does not match its name");
        w->c->st->ops->drop_blob(w->c->st, d);
        return;
    }
    w->r->blob_bytes += size;
}

typedef struct {
    cache *c;
    const char *missing;
} presence;

static void note_missing(const char *hex, void *arg)
{
    presence *p = arg;
    digest d;
    memcpy(d.hex, hex, DIGEST_HEX_LEN + 1);
    if (!p->missing && !cache_holds_blob(p->c, &d, NULL))
        p->missing = hex;
}

static void verify_record(const digest *key, const char *path, void *arg)
{
    walk_ctx *w = arg;
    w->r->records++;
    char *json = NULL;
    size_t len = 0;
    cJSON *rec = NULL;
    if (read_file(path, &json, &len, NULL) == 0)
        rec = cJSON_ParseWithLength(json, len);
    free(json);
    presence pr = {.c = w->c};
    if (rec && cJSON_IsObject(rec) && !record_is_alias(rec, key))
        record_each_blob(rec, note_missing, &pr);
    const char *missing = pr.missing;
    if (!rec || !cJSON_IsObject(rec)) {
        w->r->bad_records++;
        if (w->log)
            fprintf(w->log, "unreadable action record %s; removed\n", key->hex);
    } else if (missing) {
        w->r->dangling_records++;
        if (w->log)
            fprintf(w->log, "action record %s names missing blob %s; removed\n", key->hex, missing);
    } else {
        cJSON_Delete(rec);
        return;
    }
    cJSON_Delete(rec);
    w->r->removed_records++;
    w->c->st->ops->drop_record(w->c->st, key);
}

int cache_verify(cache *c, cache_report *r, FILE *log)
{
    memset(r, 0, sizeof *r);
    walk_ctx w = {.c = c, .r = r, .log = log};
    c->st->ops->each_blob(c->st, verify_blob, &w);
    c->st->ops->each_record(c->st, verify_record, &w);
    r->runs = count_runs(c);
    forget_memos(c, r);
    return (r->corrupt_blobs || r->bad_records || r->dangling_records) ? 1 : 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Run logs are named by ISO timestamp, so name order is age order. */
static void collect_recent_keys(cache *c, size_t keep_runs, strmap *keep)
{
    char *runs = path_join(c->root, "runs");
    DIR *d = opendir(runs);
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        names = xrealloc(names, (n + 1) * sizeof *names);
        names[n++] = xstrdup(e->d_name);
    }
    if (d)
        closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n; i++) {
        char *p = path_join(runs, names[i]);
        if (i + keep_runs < n) {
            unlink(p);
        } else {
            char *data = NULL;
            size_t len = 0;
            if (read_file(p, &data, &len, NULL) == 0) {
                char *save = NULL;
                for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
                    if (digest_is_valid_hex(line))
                        strmap_put(keep, line, (void *)1);
            }
            free(data);
        }
        free(p);
        free(names[i]);
    }
    free(names);
    free(runs);
}

static void mark_kept(const char *hex, void *keep)
{
    strmap_put(keep, hex, (void *)1);
}

static void gc_record(const digest *key, const char *path, void *arg)
{
    walk_ctx *w = arg;
    w->r->records++;
    if (!strmap_get(w->keep, key->hex)) {
        w->c->st->ops->drop_record(w->c->st, key);
        w->r->removed_records++;
        return;
    }
    char *json = NULL;
    size_t len = 0;
    if (read_file(path, &json, &len, NULL) == 0) {
        cJSON *rec = cJSON_ParseWithLength(json, len);
        if (rec)
            record_each_blob(rec, mark_kept, w->keep);
        cJSON_Delete(rec);
    }
    free(json);
}

static void gc_blob(const digest *d, const char *path, void *arg)
{
    walk_ctx *w = arg;
    w->r->blobs++;
    if (strmap_get(w->keep, d->hex))
        return;
    struct stat st;
    if (stat(path, &st) == 0)
        w->r->blob_bytes += (uint64_t)st.st_size;
    w->c->st->ops->drop_blob(w->c->st, d);
    w->r->removed_blobs++;
}

int cache_gc(cache *c, size_t keep_runs, cache_report *r, FILE *log)
{
    memset(r, 0, sizeof *r);
    strmap keep;
    strmap_init(&keep);
    collect_recent_keys(c, keep_runs, &keep);
    walk_ctx w = {.c = c, .r = r, .log = log, .keep = &keep};
    c->st->ops->each_record(c->st, gc_record, &w);
    c->st->ops->each_blob(c->st, gc_blob, &w);
    strmap_free(&keep);
    r->runs = count_runs(c);
    forget_memos(c, r);
    if (log)
        fprintf(log, "gc: removed %zu of %zu records and %zu of %zu blobs (%.1f MiB freed)\n",
                r->removed_records, r->records, r->removed_blobs, r->blobs,
                (double)r->blob_bytes / 1048576.0);
    return 0;
}
