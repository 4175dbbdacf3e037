/* One file of a pull: HEAD for its commit, ETag and size; GET (resumed with Range after a cut)
 * into a private .incomplete file, hashed on the way; verified, then renamed into blobs/. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"
#include "hub_publish.h"
#include "hub_pull_internal.h"

/* Percent-encodes a repository path for a URL, keeping its slashes. */
static char *quote_path(const char *s)
{
    strbuf sb;
    sb_init(&sb);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("-_.~/", c))
            sb_putc(&sb, (char)c);
        else
            sb_printf(&sb, "%%%02X", c);
    }
    return sb_detach(&sb);
}

static void file_done(pull_file *f, char *error, const char *status)
{
    pull_ctx *ctx = f->repo->ctx;
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
    if (f->incomplete) {
        unlink(f->incomplete);
        free(f->incomplete);
        f->incomplete = NULL;
    }
    f->error = error;
    hub_progress_finish(ctx->progress, f->line, error ? "FAILED" : status);
    f->done(f->repo);
}

static size_t on_file_body(hub_request *req, const char *data, size_t n)
{
    pull_file *f = (pull_file *)req;
    if (req->range_from && req->status == 200) {
        /* The server ignored the Range header and sends the whole file: start over. */
        if (ftruncate(f->fd, 0) != 0 || lseek(f->fd, 0, SEEK_SET) != 0) {
            f->refused = strerror(errno);
            return 0;
        }
        hub_verifier_restart(f->v);
        req->range_from = 0;
    } else if (req->range_from && req->range_start != (int64_t)req->range_from) {
        f->refused = "the server resumed at another offset than the one asked for";
        return 0;
    }
    if (hub_verifier_bytes(f->v) + n > f->size) {
        f->refused = "the server sent more bytes than it announced";
        return 0;
    }
    for (size_t off = 0; off < n;) {
        ssize_t w = write(f->fd, data + off, n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            f->refused = strerror(errno);
            return 0;
        }
        off += (size_t)w;
    }
    hub_verifier_update(f->v, data, n);
    f->repo->ctx->st->bytes += n;
    hub_progress_update(f->repo->ctx->progress, f->line, hub_verifier_bytes(f->v), f->size);
    return n;
}

/* A retry resumes from the bytes already written and hashed. */
static void on_file_retry(hub_request *req)
{
    pull_file *f = (pull_file *)req;
    req->range_from = hub_verifier_bytes(f->v);
}

static void on_file_downloaded(hub_request *req)
{
    pull_file *f = (pull_file *)req;
    if (!hub_request_ok(req)) {
        char *why = f->refused ? xstrdup(f->refused) : hub_request_failure(req);
        file_done(f, xasprintf("%s; nothing published", why), NULL);
        free(why);
        return;
    }
    tmgt_error err = {{0}};
    digest d;
    int rc = hub_verifier_finish(f->v, &d, &err);
    if (rc != 0) {
        file_done(f, xasprintf("%s; nothing published", err.msg), NULL);
        return;
    }
    if (hub_publish_blob(f->incomplete, f->repo->dir, f->etag, &err) != 0) {
        file_done(f, xstrdup(err.msg), NULL);
        return;
    }
    free(f->incomplete);
    f->incomplete = NULL;
    f->repo->ctx->st->downloaded++;
    file_done(f, NULL, "done");
}

static void start_download(pull_file *f, const char *location)
{
    pull_ctx *ctx = f->repo->ctx;
    tmgt_error err = {{0}};
    if (ctx->interrupted) {
        file_done(f, xstrdup("interrupted"), NULL);
        return;
    }
    char *blobs = path_join(f->repo->dir, "blobs");
    int rc = mkdir_p(blobs, 0755, &err);
    free(blobs);
    if (rc != 0) {
        file_done(f, xstrdup(err.msg), NULL);
        return;
    }
    f->incomplete = hub_incomplete_path(f->repo->dir, f->etag);
    f->fd = open(f->incomplete, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (f->fd < 0) {
        char *msg = xasprintf("cannot create %s: %s", f->incomplete, strerror(errno));
        free(f->incomplete);
        f->incomplete = NULL;
        file_done(f, msg, NULL);
        return;
    }
    f->v = hub_verifier_new(f->etag, f->size);
    f->req.on_body = on_file_body;
    f->req.on_retry = on_file_retry;
    f->req.on_done = on_file_downloaded;
    f->req.range_from = 0;
    hub_request_start(&f->req, location, false);
}

static char *check_metadata(pull_file *f, const hub_request *req)
{
    if (!req->repo_commit)
        return xasprintf("the answer carries no X-Repo-Commit: %s does not look like a Hub",
                         f->repo->ctx->endpoint);
    if (strcmp(req->repo_commit, f->repo->commit) != 0)
        return xasprintf("the Hub answered for commit %.40s, not %s", req->repo_commit, f->repo->commit);
    if (!hub_etag_parse(req->linked_etag ? req->linked_etag : req->etag, f->etag))
        return xstrdup("the Hub sent no usable ETag (40 or 64 hex digits) to verify the file against");
    int64_t size = req->linked_size >= 0 ? req->linked_size : hub_request_ok(req) ? req->content_length : -1;
    if (size < 0)
        return xstrdup("the Hub announced no size (X-Linked-Size or Content-Length)");
    f->size = (uint64_t)size;
    return NULL;
}

static void on_file_metadata(hub_request *req)
{
    pull_file *f = (pull_file *)req;
    bool moved = req->curl_rc == CURLE_OK && req->location && req->status >= 300 && req->status < 400;
    if (!moved && !hub_request_ok(req)) {
        file_done(f, hub_request_failure(req), NULL);
        return;
    }
    char *problem = check_metadata(f, req);
    if (problem) {
        file_done(f, problem, NULL);
        return;
    }
    if (hub_blob_present(f->repo->dir, f->etag, f->size)) {
        hub_progress_update(f->repo->ctx->progress, f->line, f->size, f->size);
        f->repo->ctx->st->reused++;
        file_done(f, NULL, "cached");
        return;
    }
    char *location = xstrdup(moved ? req->location : req->url);
    start_download(f, location);
    free(location);
}

void pull_file_start(pull_file *f)
{
    pull_repo *r = f->repo;
    char *quoted = quote_path(f->name);
    char *url = xasprintf("%s/%s/%s/resolve/%s/%s", r->ctx->endpoint, r->org, r->name, r->commit, quoted);
    f->req.on_done = on_file_metadata;
    f->line = hub_progress_add(r->ctx->progress, f->name);
    hub_request_start(&f->req, url, true);
    free(url);
    free(quoted);
}
