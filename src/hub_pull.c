#include "hub_pull.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "hub_cache.h"
#include "hub_progress.h"
#include "hub_publish.h"
#include "hub_request.h"
#include "hub_verify.h"

enum { MAX_CONNECTIONS = 4, MAX_ATTEMPTS = 4, BACKOFF_MS = 250, LISTING_LIMIT = 16 << 20 };

typedef struct pull_ctx pull_ctx;
typedef struct pull_repo pull_repo;

typedef struct {
    hub_request req; /* first member: request callbacks cast back to the file */
    pull_repo *repo;
    char *name;
    char etag[DIGEST_HEX_LEN + 1];
    uint64_t size;
    char *incomplete; /* set while a download is in progress */
    int fd;
    hub_verifier *v;
    size_t line;      /* progress line */
    const char *refused; /* why on_file_body stopped the transfer */
    char *error;
} pull_file;

struct pull_repo {
    hub_request req; /* the listing */
    pull_ctx *ctx;
    char *uri, *org, *name, *rev, *dir, *commit;
    strbuf listing;
    pull_file *files;
    size_t n_files, pending;
    char *error;
};

struct pull_ctx {
    uv_loop_t loop;
    hub_client *client;
    hub_http_conf conf;
    const hub_pull_opts *o;
    hub_pull_stats *st;
    hub_progress *progress;
    uv_signal_t sigint, sigterm;
    bool interrupted;
    char *endpoint, *token, *root;
};

bool hub_offline(void)
{
    const char *vars[] = {"HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"};
    for (size_t i = 0; i < 2; i++) {
        const char *v = getenv(vars[i]);
        if (v && (!strcmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcasecmp(v, "on")))
            return true;
    }
    return false;
}

static long env_seconds(const char *name, long fallback)
{
    const char *v = getenv(name);
    char *end = NULL;
    long s = v ? strtol(v, &end, 10) : 0;
    return v && *v && !*end && s > 0 ? s : fallback;
}

static char *read_token(void)
{
    const char *vars[] = {"HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"};
    for (size_t i = 0; i < 2; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v)
            return xstrdup(v);
    }
    const char *path = getenv("HF_TOKEN_PATH");
    const char *home = getenv("HF_HOME");
    const char *user = getenv("HOME");
    char *file = path && *path ? xstrdup(path)
                 : home && *home ? path_join(home, "token")
                                 : xasprintf("%s/.cache/huggingface/token", user && *user ? user : ".");
    char *token = NULL;
    size_t len = 0;
    if (read_file(file, &token, &len, NULL) == 0) {
        token[strcspn(token, " \t\r\n")] = '\0';
        if (!*token) {
            free(token);
            token = NULL;
        }
    }
    free(file);
    return token;
}

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

/* The files a model conversion reads: configuration, tokenizer, weights. Top level only,
 * which is where transformers puts them (subfolders hold other formats: onnx/, ...). */
static bool model_needs(const char *name)
{
    static const char *const suffixes[] = {".json", ".safetensors", ".model", ".tiktoken", "merges.txt", "vocab.txt"};
    if (strchr(name, '/'))
        return false;
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes; i++) {
        size_t k = strlen(suffixes[i]);
        if (n >= k && !strcmp(name + n - k, suffixes[i]))
            return true;
    }
    return false;
}

static void repo_fail(pull_repo *r, char *msg)
{
    if (!r->error)
        r->error = msg;
    else
        free(msg);
}

static void finish_repo(pull_repo *r)
{
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
    if (--f->repo->pending == 0)
        finish_repo(f->repo);
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
    hub_progress_update(f->repo->ctx->progress, f->line, hub_verifier_bytes(f->v));
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
    f->line = hub_progress_add(ctx->progress, f->name, f->size);
    f->req.on_body = on_file_body;
    f->req.on_retry = on_file_retry;
    f->req.on_done = on_file_downloaded;
    f->req.range_from = 0;
    hub_request_start(&f->req, location, false);
}

static char *check_metadata(pull_file *f, const hub_request *req)
{
    if (!req->repo_commit)
        return xasprintf("the answer carries no X-Repo-Commit: %s does not look like a Hub", f->repo->ctx->endpoint);
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
        f->line = hub_progress_add(f->repo->ctx->progress, f->name, f->size);
        hub_progress_update(f->repo->ctx->progress, f->line, f->size);
        f->repo->ctx->st->reused++;
        file_done(f, NULL, "cached");
        return;
    }
    char *location = xstrdup(moved ? req->location : req->url);
    start_download(f, location);
    free(location);
}

static void start_files(pull_repo *r, char **names, size_t n)
{
    r->files = xcalloc(n + 1, sizeof *r->files);
    r->n_files = r->pending = n;
    r->ctx->st->files += n;
    for (size_t i = 0; i < n; i++) {
        pull_file *f = &r->files[i];
        hub_request_init(&f->req, &r->ctx->loop, r->ctx->client, &r->ctx->conf);
        f->req.on_done = on_file_metadata;
        f->repo = r;
        f->name = names[i];
        f->fd = -1;
    }
    for (size_t i = 0; i < n; i++) {
        char *quoted = quote_path(r->files[i].name);
        char *url = xasprintf("%s/%s/%s/resolve/%s/%s", r->ctx->endpoint, r->org, r->name, r->commit, quoted);
        hub_request_start(&r->files[i].req, url, true);
        free(url);
        free(quoted);
    }
}

/* The listing names the commit and every file; a name that could leave the snapshot
 * directory condemns the whole answer. */
static char *read_listing(pull_repo *r, char ***names, size_t *n)
{
    cJSON *doc = cJSON_ParseWithLength(r->listing.buf ? r->listing.buf : "", r->listing.len);
    const cJSON *sha = cJSON_GetObjectItemCaseSensitive(doc, "sha");
    const cJSON *siblings = cJSON_GetObjectItemCaseSensitive(doc, "siblings");
    char *problem = NULL;
    if (!cJSON_IsString(sha) || !hub_is_commit_hash(sha->valuestring) || !cJSON_IsArray(siblings))
        problem = xstrdup("the Hub's answer to the repository listing has no commit \"sha\" or \"siblings\"");
    const cJSON *s, *listed = problem ? NULL : siblings;
    cJSON_ArrayForEach(s, listed)
    {
        const cJSON *fn = cJSON_GetObjectItemCaseSensitive(s, "rfilename");
        if (!cJSON_IsString(fn) || !hub_safe_repo_path(fn->valuestring)) {
            problem = xasprintf("the Hub listed the file name \"%s\", which would escape the cache directory; "
                                "refusing the repository", cJSON_IsString(fn) ? fn->valuestring : "(not a string)");
            break;
        }
        if (model_needs(fn->valuestring)) {
            *names = xrealloc(*names, (*n + 1) * sizeof **names);
            (*names)[(*n)++] = xstrdup(fn->valuestring);
        }
    }
    if (!problem && !*n)
        problem = xstrdup("the repository has no config, tokenizer or safetensors files");
    if (!problem)
        r->commit = xstrdup(sha->valuestring);
    cJSON_Delete(doc);
    return problem;
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
                                   ? " (no such repository or revision)" : ""));
        free(why);
        return;
    }
    char **names = NULL;
    size_t n = 0;
    char *problem = read_listing(r, &names, &n);
    if (problem) {
        for (size_t i = 0; i < n; i++)
            free(names[i]);
        repo_fail(r, problem);
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
    const char *ep = getenv("HF_ENDPOINT");
    ctx->endpoint = xstrdup(ep && *ep ? ep : "https://huggingface.co");
    size_t n = strlen(ctx->endpoint);
    while (n > 0 && ctx->endpoint[n - 1] == '/')
        ctx->endpoint[--n] = '\0';
    ctx->token = read_token();
    ctx->root = hub_cache_root();
    ctx->conf = (hub_http_conf){
        .endpoint = ctx->endpoint,
        .token = ctx->token,
        .connect_timeout_s = env_seconds("HF_HUB_ETAG_TIMEOUT", 10),
        .stall_timeout_s = env_seconds("HF_HUB_DOWNLOAD_TIMEOUT", 10),
        .max_attempts = MAX_ATTEMPTS,
        .backoff_ms = BACKOFF_MS,
        .cancelled = &ctx->interrupted,
    };
}

/* Ctrl-C stops every transfer; their .incomplete files are removed as they finish. */
static void on_signal(uv_signal_t *h, int signum)
{
    ((pull_ctx *)h->data)->interrupted = true;
}

static void watch_signal(pull_ctx *ctx, uv_signal_t *h, int signum)
{
    uv_signal_init(&ctx->loop, h);
    h->data = ctx;
    uv_signal_start(h, on_signal, signum);
    uv_unref((uv_handle_t *)h);
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
    watch_signal(&ctx, &ctx.sigint, SIGINT);
    watch_signal(&ctx, &ctx.sigterm, SIGTERM);
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
    uv_close((uv_handle_t *)&ctx.sigint, NULL);
    uv_close((uv_handle_t *)&ctx.sigterm, NULL);
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
