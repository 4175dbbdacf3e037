#include "store_remote.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

typedef struct {
    store base;
    store *local;
    remote_cache *remote;
    char *tmp;
    bool upload;
    atomic_uint fetch_seq;
} remote_store;

static remote_store *of(store *s)
{
    return (remote_store *)s;
}

/* Brings a blob the local store lacks from the server into it. */
static bool fetch_into_local(remote_store *rs, const digest *d)
{
    char *staged = xasprintf("%s/%ld-remote-%u-%.16s", rs->tmp, (long)getpid(),
                             atomic_fetch_add(&rs->fetch_seq, 1), d->hex);
    unlink(staged);
    bool ok = remote_cache_fetch_blob(rs->remote, d, staged, NULL) == REMOTE_OK &&
              rs->local->ops->put_blob_file(rs->local, staged, d, NULL) == 0;
    unlink(staged); /* put_blob_file moved it on success */
    free(staged);
    return ok;
}

static bool remote_holds_blob(store *s, const digest *d, uint64_t *size)
{
    store *local = of(s)->local;
    return local->ops->holds_blob(local, d, size);
}

static bool remote_has_blob(store *s, const digest *d, uint64_t *size)
{
    remote_store *rs = of(s);
    if (remote_holds_blob(s, d, size))
        return true;
    return fetch_into_local(rs, d) && remote_holds_blob(s, d, size);
}

static char *remote_blob_path(store *s, const digest *d)
{
    remote_store *rs = of(s);
    if (!remote_holds_blob(s, d, NULL))
        fetch_into_local(rs, d); /* else the path names nothing, which its reader reports */
    return rs->local->ops->blob_path(rs->local, d);
}

static int remote_put_blob_file(store *s, const char *src, const digest *d, tmgt_error *err)
{
    remote_store *rs = of(s);
    if (rs->local->ops->put_blob_file(rs->local, src, d, err) != 0)
        return -1;
    /* A file may be a multi-GB model: asked about first, so a server that has it is not
     * sent it again. */
    if (rs->upload && remote_cache_has_blob(rs->remote, d, NULL) == REMOTE_MISSING) {
        char *path = rs->local->ops->blob_path(rs->local, d);
        remote_cache_upload_blob_file(rs->remote, d, path);
        free(path);
    }
    return 0;
}

static int remote_put_blob_bytes(store *s, const void *data, size_t len, const digest *d, tmgt_error *err)
{
    remote_store *rs = of(s);
    if (rs->local->ops->put_blob_bytes(rs->local, data, len, d, err) != 0)
        return -1;
    if (rs->upload)
        remote_cache_upload_blob_bytes(rs->remote, d, data, len);
    return 0;
}

static int remote_get_record(store *s, const digest *key, char **json, size_t *len)
{
    remote_store *rs = of(s);
    if (rs->local->ops->get_record(rs->local, key, json, len) == 0)
        return 0;
    if (remote_cache_get_record(rs->remote, key, json, len) != REMOTE_OK)
        return -1;
    rs->local->ops->put_record(rs->local, key, *json, *len, NULL);
    return 0;
}

static int remote_put_record(store *s, const digest *key, const char *json, size_t len, tmgt_error *err)
{
    remote_store *rs = of(s);
    if (rs->local->ops->put_record(rs->local, key, json, len, err) != 0)
        return -1;
    if (rs->upload)
        remote_cache_put_record(rs->remote, key, json, len);
    return 0;
}

/* The server has no links: the alias is uploaded as a record of its own. */
static int remote_alias_record(store *s, const digest *alias, const digest *key, tmgt_error *err)
{
    remote_store *rs = of(s);
    if (rs->local->ops->alias_record(rs->local, alias, key, err) != 0)
        return -1;
    char *json = NULL;
    size_t len = 0;
    if (rs->upload && rs->local->ops->get_record(rs->local, key, &json, &len) == 0)
        remote_cache_put_record(rs->remote, alias, json, len);
    free(json);
    return 0;
}

static void remote_drop_blob(store *s, const digest *d)
{
    of(s)->local->ops->drop_blob(of(s)->local, d);
}

static void remote_drop_record(store *s, const digest *key)
{
    of(s)->local->ops->drop_record(of(s)->local, key);
}

static void remote_each_blob(store *s, void (*fn)(const digest *, const char *, void *), void *ctx)
{
    of(s)->local->ops->each_blob(of(s)->local, fn, ctx);
}

static void remote_each_record(store *s, void (*fn)(const digest *, const char *, void *), void *ctx)
{
    of(s)->local->ops->each_record(of(s)->local, fn, ctx);
}

static int remote_flush(store *s)
{
    return of(s)->local->ops->flush(of(s)->local);
}

static void remote_close(store *s)
{
    remote_store *rs = of(s);
    rs->local->ops->close(rs->local);
    remote_cache_close(rs->remote);
    free(rs->tmp);
    free(rs);
}

static const store_ops remote_ops = {
    .holds_blob = remote_holds_blob,
    .has_blob = remote_has_blob,
    .blob_path = remote_blob_path,
    .put_blob_file = remote_put_blob_file,
    .put_blob_bytes = remote_put_blob_bytes,
    .get_record = remote_get_record,
    .put_record = remote_put_record,
    .alias_record = remote_alias_record,
    .drop_blob = remote_drop_blob,
    .drop_record = remote_drop_record,
    .each_blob = remote_each_blob,
    .each_record = remote_each_record,
    .flush = remote_flush,
    .close = remote_close,
};

store *store_remote_open(store *local, remote_cache *remote, const char *tmp, bool upload)
{
    remote_store *rs = xcalloc(1, sizeof *rs);
    rs->base.ops = &remote_ops;
    rs->local = local;
    rs->remote = remote;
    rs->tmp = xstrdup(tmp);
    rs->upload = upload;
    atomic_init(&rs->fetch_seq, 0);
    return &rs->base;
}

remote_cache *store_remote_cache(store *s)
{
    return s->ops == &remote_ops ? of(s)->remote : NULL;
}
