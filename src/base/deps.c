#include "deps.h"

#include <stdlib.h>
#include <string.h>

#include "strmap.h"
#include "util.h"

static struct {
    bool on;
    strmap seen;
    dep_list list;
    size_t cap;
} rec;

void deps_start(void)
{
    dep_list old;
    deps_take(&old);
    dep_list_free(&old);
    strmap_init(&rec.seen);
    rec.on = true;
}

void dep_from_stat(dep *d, const struct stat *st)
{
    d->present = true;
    d->dev = (uint64_t)st->st_dev;
    d->ino = (uint64_t)st->st_ino;
    d->size = (uint64_t)st->st_size;
    d->mtime_ns = timespec_ns(st->st_mtim);
    d->ctime_ns = timespec_ns(st->st_ctim);
}

bool dep_stat(dep *d)
{
    struct stat st;
    if (stat(d->path, &st) != 0) {
        d->present = false;
        d->dev = d->ino = d->size = 0;
        d->mtime_ns = d->ctime_ns = 0;
        return false;
    }
    dep_from_stat(d, &st);
    return true;
}

/* A new entry for `path`, or NULL when not recording or already noted. */
static dep *remember(const char *path)
{
    if (!rec.on || strmap_get(&rec.seen, path))
        return NULL;
    if (rec.list.count == rec.cap) {
        rec.cap = rec.cap ? rec.cap * 2 : 256;
        rec.list.items = xrealloc(rec.list.items, rec.cap * sizeof *rec.list.items);
    }
    dep *d = &rec.list.items[rec.list.count++];
    d->path = xstrdup(path);
    strmap_put(&rec.seen, path, d->path);
    return d;
}

void deps_note(const char *path)
{
    dep *d = remember(path);
    if (d)
        dep_stat(d);
}

void deps_note_stat(const char *path, const struct stat *st)
{
    dep *d = remember(path);
    if (d)
        dep_from_stat(d, st);
}

void deps_take(dep_list *out)
{
    *out = rec.list;
    if (rec.on)
        strmap_free(&rec.seen);
    memset(&rec, 0, sizeof rec);
}

void dep_list_free(dep_list *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->items[i].path);
    free(l->items);
    l->items = NULL;
    l->count = 0;
}

bool dep_unchanged(const dep *was)
{
    dep now = {.path = was->path};
    dep_stat(&now);
    if (now.present != was->present)
        return false;
    return !now.present || (now.dev == was->dev && now.ino == was->ino && now.size == was->size &&
                            now.mtime_ns == was->mtime_ns && now.ctime_ns == was->ctime_ns);
}

bool dep_is_racy(const dep *d, int64_t since_ns)
{
    return d->present && (d->mtime_ns >= since_ns || d->ctime_ns >= since_ns);
}
