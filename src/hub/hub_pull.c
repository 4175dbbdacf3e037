#include "hub_pull.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"
#include "hub_cache.h"
#include "interrupt.h"
#include "hub_publish.h"
#include "hub_listing.h"
#include "hub_pull_internal.h"

enum { MAX_CONNECTIONS = 4, MAX_ATTEMPTS = 4, BACKOFF_MS = 250, LISTING_LIMIT = 16 << 20 };

static void repo_fail(pull_repo *r, char *msg)
{
    if (!r->error)
        r->error = msg;
    else
        free(msg);
}

/* Each file of the repository calls this once it is done, published or failed. */
static void file_done(pull_repo *r)
{
    if (--r->pending)
        return;
    for (size_t i = 0; i < r->n_files; i++)
        if (r->files[i].error) {
            repo_fail(r, xasprintf("%s: %s", r->files[i].name, r->files[i].error));
            return;
        }
    hub_snapshot_entry *entries = xcalloc(r->n_files + 1, sizeof *entries);
    for (size_t i = 0; i < r->n_files; i++)
        entries[i] = (hub_snapshot_entry){.name = r->files[i].name, .etag = r->files[i].etag};
    tmgt_error err = {{0}};
    int rc = hub_publish_snapshot(r->dir, r->commit, entries, r->n_files, &err);
    free(entries);
    /* The ref is written last: until then no reader resolves the revision to this snapshot. */
    if (rc == 0 && !hub_is_commit_hash(r->rev))
        rc = hub_publish_ref(r->dir, r->rev, r->commit, &err);
    for (size_t i = 0; rc == 0 && r->ctx->o->cas && i < r->n_files; i++) {
        char *blob = hub_blob_path(r->dir, r->files[i].etag);
        digest d;
        /* An LFS ETag is the SHA-256 already; a git ETag is not, but those files are small. */
        if (strlen(r->files[i].etag) == DIGEST_HEX_LEN)
            memcpy(d.hex, r->files[i].etag, sizeof d.hex);
        else
            rc = hash_file(blob, &d, NULL, &err);
        if (rc == 0)
            rc = cache_adopt_file(r->ctx->o->cas, blob, &d, &err);
        free(blob);
    }
    if (rc != 0)
        repo_fail(r, xstrdup(err.msg));
}

static void start_files(pull_repo *r, char **names, size_t n)
{
    r->files = xcalloc(n + 1, sizeof *r->files);
    r->n_files = r->pending = n;
    r->ctx->st->files += n;
    for (size_t i = 0; i < n; i++) {
        pull_file *f = &r->files[i];
        hub_request_init(&f->req, &r->ctx->loop, r->ctx->client, &r->ctx->conf);
        f->repo = r;
        f->done = file_done;
        f->name = names[i];
        f->fd = -1;
    }
    for (size_t i = 0; i < n; i++)
        pull_file_start(&r->files[i]);
}

static size_t on_listing_body(hub_request *req, const char *data, size_t n)
{
    pull_repo *r = (pull_repo *)req;
    if (r->listing.len + n > LISTING_LIMIT)
        return 0;
    sb_append(&r->listing, data, n);
    return n;
}

static void on_listing_retry(hub_request *req)
{
    ((pull_repo *)req)->listing.len = 0;
}

static void on_listing(hub_request *req)
{
    pull_repo *r = (pull_repo *)req;
    if (!hub_request_ok(req)) {
        char *why = hub_request_failure(req);
        repo_fail(r, xasprintf("listing the repository: %s%s", why,
                               req->curl_rc == CURLE_OK && req->status == 404
                                   ? " (no such repository or revision)"
                                   : ""));
        free(why);
        return;
    }
    char **names = NULL;
    size_t n = 0;
    tmgt_error problem;
    if (hub_listing_parse(r->listing.buf ? r->listing.buf : "", r->listing.len, &r->commit, &names, &n,
                          &problem) != 0) {
        for (size_t i = 0; i < n; i++)
            free(names[i]);
        repo_fail(r, xstrdup(problem.msg));
    } else {
        start_files(r, names, n);
    }
    free(names);
}

static void start_repo(pull_repo *r)
{
    char *url = xasprintf("%s/api/models/%s/%s/revision/%s", r->ctx->endpoint, r->org, r->name, r->rev);
    hub_request_init(&r->req, &r->ctx->loop, r->ctx->client, &r->ctx->conf);
    r->req.on_body = on_listing_body;
    r->req.on_retry = on_listing_retry;
    r->req.on_done = on_listing;
    hub_request_start(&r->req, url, false);
    free(url);
}

/* HF_HUB_OFFLINE: the revision must resolve through refs/ to a snapshot whose files all
 * resolve to blobs; the first thing missing is named. */
static char *check_offline(const pull_repo *r)
{
    char *commit = hub_cached_commit(r->dir, r->rev);
    if (!commit)
        return xasprintf("HF_HUB_OFFLINE=1 and the Hub cache lacks %s/refs/%s", r->dir, r->rev);
    char *snap = xasprintf("%s/snapshots/%s", r->dir, commit);
    char *config = path_join(snap, "config.json");
    char *problem = NULL;
    if (!path_is_dir(snap))
        problem = xasprintf("HF_HUB_OFFLINE=1 and the Hub cache lacks %s", snap);
    else if (!path_exists(config))
        problem = xasprintf("HF_HUB_OFFLINE=1 and the Hub cache lacks %s", config);
    else
        problem = hub_snapshot_broken_link(snap);
    free(config);
    free(snap);
    free(commit);
    return problem;
}

static void load_conf(pull_ctx *ctx)
{
    ctx->endpoint = hub_endpoint();
    ctx->token = hub_token();
    ctx->root = hub_cache_root();
    ctx->conf = (hub_http_conf){
        .endpoint = ctx->endpoint,
        .token = ctx->token,
        .connect_timeout_s = hub_env_seconds(ENV_HF_HUB_ETAG_TIMEOUT, 10),
        .stall_timeout_s = hub_env_seconds(ENV_HF_HUB_DOWNLOAD_TIMEOUT, 10),
        .max_attempts = MAX_ATTEMPTS,
        .backoff_ms = BACKOFF_MS,
        .cancelled = &ctx->interrupted,
    };
}

/* Ctrl-C stops every transfer; their .incomplete files are removed as they finish. */
static void on_signal(void *ctx, int signum)
{
    (void)signum;
    ((pull_ctx *)ctx)->interrupted = true;
}

static void free_repo(pull_repo *r)
{
    for (size_t i = 0; i < r->n_files; i++) {
        pull_file *f = &r->files[i];
        if (f->fd >= 0)
            close(f->fd);
        if (f->incomplete)
            unlink(f->incomplete);
        free(f->incomplete);
        hub_verifier_free(f->v);
        free(f->name);
        free(f->error);
    }
    free(r->files);
    sb_free(&r->listing);
    free(r->uri);
    free(r->org);
    free(r->name);
    free(r->rev);
    free(r->dir);
    free(r->commit);
    free(r->error);
}

static void close_requests(pull_repo *r, bool started)
{
    if (started)
        hub_request_close(&r->req);
    for (size_t i = 0; i < r->n_files; i++)
        hub_request_close(&r->files[i].req);
}

size_t hub_pull(char *const *uris, size_t n, const hub_pull_opts *o, hub_pull_stats *st)
{
    pull_ctx ctx = {.o = o, .st = st};
    memset(st, 0, sizeof *st);
    load_conf(&ctx);
    bool offline = hub_offline();
    uv_loop_init(&ctx.loop);
    ctx.client = hub_client_new(&ctx.loop, MAX_CONNECTIONS);
    ctx.progress = hub_progress_new(&ctx.loop, o->progress);
    interrupt_watch_start(&ctx.signals, &ctx.loop, false, on_signal, &ctx);
    pull_repo *repos = xcalloc(n + 1, sizeof *repos);
    bool *started = xcalloc(n + 1, sizeof *started);
    for (size_t i = 0; i < n; i++) {
        pull_repo *r = &repos[i];
        r->ctx = &ctx;
        r->uri = xstrdup(uris[i]);
        sb_init(&r->listing);
        if (hub_parse_uri(uris[i], &r->org, &r->name, &r->rev) != 0) {
            r->error = xstrdup("not a Hub model (expected hf://ORG/NAME[@REV])");
            continue;
        }
        r->dir = hub_repo_dir(ctx.root, r->org, r->name);
        if (offline) {
            r->error = check_offline(r);
        } else {
            start_repo(r);
            started[i] = true;
        }
    }
    uv_run(&ctx.loop, UV_RUN_DEFAULT);
    size_t failed = 0;
    for (size_t i = 0; i < n; i++) {
        if (repos[i].error) {
            failed++;
            fprintf(stderr, "tmgt: pull %s: %s\n", repos[i].uri, repos[i].error);
        }
        close_requests(&repos[i], started[i]);
    }
    st->repos = n - failed;
    st->interrupted = ctx.interrupted;
    interrupt_watch_stop(&ctx.signals);
    hub_progress_close(ctx.progress);
    hub_client_close(ctx.client);
    uv_run(&ctx.loop, UV_RUN_DEFAULT);
    uv_loop_close(&ctx.loop);
    for (size_t i = 0; i < n; i++)
        free_repo(&repos[i]);
    free(repos);
    free(started);
    free(ctx.endpoint);
    free(ctx.token);
    free(ctx.root);
    return failed;
}
