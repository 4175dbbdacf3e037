#include "remote_cache.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "http_retry.h"
#include "util.h"

enum { IDLE_HANDLES = 8 };

struct remote_cache {
    remote_cache_conf conf;
    char *name;
    struct curl_slist *headers; /* read by every transfer, changed by none */
    uv_mutex_t lock;            /* the fields below */
    CURL *idle[IDLE_HANDLES];   /* kept for their open connections */
    size_t n_idle;
    bool down, uploads_stopped, warned_corrupt;
    remote_cache_counts counts;
};

void remote_cache_conf_free(remote_cache_conf *conf)
{
    free(conf->url);
    for (size_t i = 0; i < conf->n_headers; i++)
        free(conf->headers[i]);
    free(conf->headers);
    free(conf->ca_file);
    free(conf->netrc_file);
    memset(conf, 0, sizeof *conf);
}

static char *strdup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

/* The URL without query or fragment: what messages may show. A URL with user:password is
 * refused: tmgt's command line is written to the results. */
static char *public_name(const char *url, tmgt_error *err)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *user = NULL, *out = NULL;
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)) {
        err_set(err, "remote cache URL is not an http:// or https:// URL");
    } else if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK) {
        err_set(err,
                "remote cache URL holds a user name or password; give credentials in "
                "TMGT_REMOTE_CACHE_NETRC or TMGT_REMOTE_CACHE_HEADER instead");
    } else {
        char *clean = NULL;
        curl_url_set(u, CURLUPART_QUERY, NULL, 0);
        curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0);
        if (curl_url_get(u, CURLUPART_URL, &clean, 0) == CURLUE_OK)
            out = xstrdup(clean);
        curl_free(clean);
    }
    curl_free(scheme);
    curl_free(user);
    curl_url_cleanup(u);
    return out;
}

remote_cache *remote_cache_open(const remote_cache_conf *conf, tmgt_error *err)
{
    char *name = public_name(conf->url, err);
    if (!name)
        return NULL;
    curl_global_init(CURL_GLOBAL_DEFAULT); /* before any thread makes a handle */
    remote_cache *rc = xcalloc(1, sizeof *rc);
    rc->name = name;
    rc->conf = *conf;
    rc->conf.url = xstrdup(conf->url);
    size_t n = strlen(rc->conf.url);
    while (n > 0 && rc->conf.url[n - 1] == '/')
        rc->conf.url[--n] = '\0';
    rc->conf.headers = xcalloc(conf->n_headers ? conf->n_headers : 1, sizeof *rc->conf.headers);
    for (size_t i = 0; i < conf->n_headers; i++) {
        rc->conf.headers[i] = xstrdup(conf->headers[i]);
        rc->headers = curl_slist_append(rc->headers, conf->headers[i]);
    }
    /* Blobs are stored as sent: no compression to undo before hashing, and no 100-continue
     * round trip before each upload. */
    rc->headers = curl_slist_append(rc->headers, "Accept-Encoding: identity");
    rc->headers = curl_slist_append(rc->headers, "Expect:");
    rc->conf.ca_file = strdup_or_null(conf->ca_file);
    rc->conf.netrc_file = strdup_or_null(conf->netrc_file);
    if (rc->conf.max_attempts < 1)
        rc->conf.max_attempts = 1;
    uv_mutex_init(&rc->lock);
    return rc;
}

void remote_cache_close(remote_cache *rc)
{
    if (!rc)
        return;
    for (size_t i = 0; i < rc->n_idle; i++)
        curl_easy_cleanup(rc->idle[i]);
    curl_slist_free_all(rc->headers);
    uv_mutex_destroy(&rc->lock);
    remote_cache_conf_free(&rc->conf);
    free(rc->name);
    free(rc);
    curl_global_cleanup();
}

const char *remote_cache_name(const remote_cache *rc)
{
    return rc->name;
}

/* One request with its retries. A body is taken from `sink` only when the answer is 2xx
 * (an error page is not content); an upload comes from `src_file` or `src_bytes`. */
typedef struct exchange exchange;
struct exchange {
    remote_cache *rc;
    const char *method;
    const char *kind; /* "cas" or "ac" */
    const digest *d;
    bool bounded; /* a small exchange: the timeout bounds it in all, not just its stalls */
    size_t (*sink)(exchange *x, const char *data, size_t n);
    void (*restart)(exchange *x); /* before each attempt: forget a partial body */
    void *ctx;
    FILE *src_file;
    const char *src_bytes;
    size_t src_len, src_pos;
    curl_off_t max_body;

    CURL *easy;
    CURLcode curl_rc;
    long status;
    int attempts;
    curl_off_t length; /* Content-Length of the answer, -1 when absent */
    char curl_err[CURL_ERROR_SIZE];
};

static CURL *take_handle(remote_cache *rc)
{
    uv_mutex_lock(&rc->lock);
    CURL *e = rc->n_idle ? rc->idle[--rc->n_idle] : NULL;
    rc->counts.requests++;
    uv_mutex_unlock(&rc->lock);
    return e ? e : curl_easy_init();
}

static void give_back_handle(remote_cache *rc, CURL *e)
{
    uv_mutex_lock(&rc->lock);
    if (rc->n_idle < IDLE_HANDLES) {
        rc->idle[rc->n_idle++] = e;
        e = NULL;
    }
    uv_mutex_unlock(&rc->lock);
    if (e)
        curl_easy_cleanup(e);
}

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
    exchange *x = ud;
    long status = 0;
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status >= 300 || !x->sink)
        return size * n;
    return x->sink(x, data, size * n);
}

static size_t on_upload(char *buf, size_t size, size_t n, void *ud)
{
    exchange *x = ud;
    if (x->src_file)
        return fread(buf, 1, size * n, x->src_file);
    size_t k = x->src_len - x->src_pos < size * n ? x->src_len - x->src_pos : size * n;
    memcpy(buf, x->src_bytes + x->src_pos, k);
    x->src_pos += k;
    return k;
}

static void set_options(exchange *x, const char *url)
{
    const remote_cache_conf *conf = &x->rc->conf;
    CURL *e = x->easy;
    curl_easy_reset(e); /* keeps the handle's open connections and TLS sessions */
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    /* The extra headers may carry credentials: they go to this server and nowhere else. */
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->rc->headers);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "tmgt/" TMGT_VERSION);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->curl_err);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, conf->timeout_s);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, conf->timeout_s);
    if (x->bounded)
        curl_easy_setopt(e, CURLOPT_TIMEOUT, conf->timeout_s);
    if (conf->ca_file)
        curl_easy_setopt(e, CURLOPT_CAINFO, conf->ca_file);
    if (conf->netrc_file) {
        curl_easy_setopt(e, CURLOPT_NETRC, (long)CURL_NETRC_OPTIONAL);
        curl_easy_setopt(e, CURLOPT_NETRC_FILE, conf->netrc_file);
    }
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    if (x->max_body > 0)
        curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, x->max_body);
    if (!strcmp(x->method, "HEAD")) {
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else if (!strcmp(x->method, "PUT")) {
        curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(e, CURLOPT_READFUNCTION, on_upload);
        curl_easy_setopt(e, CURLOPT_READDATA, x);
        curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)x->src_len);
    }
}

static void rewind_upload(exchange *x)
{
    x->src_pos = 0;
    if (x->src_file)
        rewind(x->src_file);
}

static void run(exchange *x)
{
    remote_cache *rc = x->rc;
    char *url = xasprintf("%s/%s/%s", rc->conf.url, x->kind, x->d->hex);
    x->easy = take_handle(rc);
    for (x->attempts = 1;; x->attempts++) {
        if (x->restart)
            x->restart(x);
        rewind_upload(x);
        x->curl_err[0] = '\0';
        set_options(x, url);
        x->curl_rc = curl_easy_perform(x->easy);
        x->status = 0;
        x->length = -1;
        curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &x->status);
        curl_easy_getinfo(x->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &x->length);
        if (!http_failure_may_pass(x->curl_rc, x->status) || x->attempts >= rc->conf.max_attempts)
            break;
        uv_sleep(rc->conf.backoff_ms << (x->attempts - 1));
    }
    give_back_handle(rc, x->easy);
    x->easy = NULL;
    free(url);
}

static char *describe_failure(const exchange *x)
{
    const char *what = x->curl_err[0] ? x->curl_err : curl_easy_strerror(x->curl_rc);
    bool stalled = strstr(x->curl_err, "too slow") != NULL; /* the low-speed limit, not the total */
    char *reason = x->curl_rc == CURLE_OPERATION_TIMEDOUT
                       ? xasprintf("%s %ld s (TMGT_REMOTE_CACHE_TIMEOUT)",
                                   stalled ? "no progress for" : "no answer within", x->rc->conf.timeout_s)
                   : x->curl_rc != CURLE_OK ? xstrdup(what)
                                            : xasprintf("HTTP %ld", x->status);
    char attempts[32] = "";
    if (x->attempts > 1)
        snprintf(attempts, sizeof attempts, " (after %d attempts)", x->attempts);
    char *msg = xasprintf("%s %s/%.12s: %s%s", x->method, x->kind, x->d->hex, reason, attempts);
    free(reason);
    return msg;
}

/* Gives the server up (or, for a refused upload, only uploads) with the run's one warning. */
static remote_result give_up(exchange *x, bool uploads_only)
{
    remote_cache *rc = x->rc;
    uv_mutex_lock(&rc->lock);
    bool first = !rc->down && !(uploads_only && rc->uploads_stopped);
    if (uploads_only)
        rc->uploads_stopped = true;
    else
        rc->down = true;
    uv_mutex_unlock(&rc->lock);
    if (first) {
        char *why = describe_failure(x);
        fprintf(stderr, "tmgt: warning: remote cache %s: %s; %s\n", rc->name, why,
                uploads_only ? "not uploading to it any more" : "continuing with the local cache only");
        free(why);
    }
    return REMOTE_DOWN;
}

static bool given_up(remote_cache *rc, bool upload)
{
    uv_mutex_lock(&rc->lock);
    bool off = rc->down || (upload && rc->uploads_stopped);
    uv_mutex_unlock(&rc->lock);
    return off;
}

static void count(remote_cache *rc, uint64_t *field, uint64_t bytes_down, uint64_t bytes_up)
{
    uv_mutex_lock(&rc->lock);
    (*field)++;
    rc->counts.bytes_down += bytes_down;
    rc->counts.bytes_up += bytes_up;
    uv_mutex_unlock(&rc->lock);
}

/* What a read came to: found, absent, or a failure that gives the server up. */
static remote_result read_outcome(exchange *x)
{
    if (x->curl_rc == CURLE_OK && x->status >= 200 && x->status < 300)
        return REMOTE_OK;
    if (x->curl_rc == CURLE_OK && x->status == 404) {
        count(x->rc, &x->rc->counts.misses, 0, 0);
        return REMOTE_MISSING;
    }
    return give_up(x, false);
}

static remote_result write_outcome(exchange *x, size_t len)
{
    if (x->curl_rc == CURLE_OK && x->status >= 200 && x->status < 300) {
        count(x->rc, &x->rc->counts.uploads, 0, len);
        return REMOTE_OK;
    }
    /* 4xx: this server takes no uploads from us (read-only, or our credentials may only read) */
    bool refused = x->curl_rc == CURLE_OK && x->status >= 400 && x->status < 500;
    return give_up(x, refused);
}

remote_result remote_cache_has_blob(remote_cache *rc, const digest *d, uint64_t *size)
{
    if (given_up(rc, false))
        return REMOTE_DOWN;
    exchange x = {.rc = rc, .method = "HEAD", .kind = "cas", .d = d, .bounded = true};
    run(&x);
    remote_result r = read_outcome(&x);
    if (r == REMOTE_OK && size)
        *size = x.length >= 0 ? (uint64_t)x.length : 0;
    return r;
}

typedef struct {
    int fd;
    hasher *h;
    uint64_t size;
    bool write_failed;
} blob_sink;

static size_t to_blob_file(exchange *x, const char *data, size_t n)
{
    blob_sink *b = x->ctx;
    for (size_t done = 0; done < n;) {
        ssize_t w = write(b->fd, data + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            b->write_failed = true;
            return 0;
        }
        done += (size_t)w;
    }
    hasher_update(b->h, data, n);
    b->size += n;
    return n;
}

static void restart_blob_file(exchange *x)
{
    blob_sink *b = x->ctx;
    if (b->h) {
        digest unused;
        hasher_final(b->h, &unused);
    }
    b->h = hasher_new();
    b->size = 0;
    if (ftruncate(b->fd, 0) != 0 || lseek(b->fd, 0, SEEK_SET) != 0)
        b->write_failed = true;
}

static remote_result corrupt(remote_cache *rc, const char *what)
{
    uv_mutex_lock(&rc->lock);
    rc->counts.corrupt++;
    bool first = !rc->warned_corrupt;
    rc->warned_corrupt = true;
    uv_mutex_unlock(&rc->lock);
    if (first)
        fprintf(stderr, "tmgt: warning: remote cache %s: %s; ignored (and so is any more like it)\n",
                rc->name, what);
    return REMOTE_CORRUPT;
}

remote_result remote_cache_fetch_blob(remote_cache *rc, const digest *d, const char *dest, uint64_t *size)
{
    if (given_up(rc, false))
        return REMOTE_DOWN;
    blob_sink b = {.fd = open(dest, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)};
    if (b.fd < 0)
        return REMOTE_MISSING; /* nowhere to put it: as good as absent */
    exchange x = {.rc = rc,
                  .method = "GET",
                  .kind = "cas",
                  .d = d,
                  .sink = to_blob_file,
                  .restart = restart_blob_file,
                  .ctx = &b};
    run(&x);
    digest got;
    hasher_final(b.h, &got);
    bool closed = close(b.fd) == 0;
    remote_result r;
    if (b.write_failed || !closed) {
        r = REMOTE_MISSING; /* our disk failed, not the server */
    } else if ((r = read_outcome(&x)) == REMOTE_OK && strcmp(got.hex, d->hex) != 0) {
        char *what = xasprintf("blob %.12s hashes to %.12s", d->hex, got.hex);
        r = corrupt(rc, what);
        free(what);
    }
    if (r == REMOTE_OK) {
        count(rc, &rc->counts.hits, b.size, 0);
        if (size)
            *size = b.size;
    } else {
        unlink(dest);
    }
    return r;
}

remote_result remote_cache_upload_blob_file(remote_cache *rc, const digest *d, const char *path)
{
    if (given_up(rc, true))
        return REMOTE_DOWN;
    FILE *f = fopen(path, "rb");
    if (!f)
        return REMOTE_MISSING;
    exchange x = {.rc = rc, .method = "PUT", .kind = "cas", .d = d, .src_file = f};
    if (fseeko(f, 0, SEEK_END) == 0)
        x.src_len = (size_t)ftello(f);
    run(&x);
    fclose(f);
    return write_outcome(&x, x.src_len);
}

static remote_result put_bytes(remote_cache *rc, const char *kind, const digest *d, const void *data,
                               size_t len)
{
    if (given_up(rc, true))
        return REMOTE_DOWN;
    exchange x = {
        .rc = rc, .method = "PUT", .kind = kind, .d = d, .src_bytes = data, .src_len = len, .bounded = true};
    run(&x);
    return write_outcome(&x, len);
}

remote_result remote_cache_upload_blob_bytes(remote_cache *rc, const digest *d, const void *data, size_t len)
{
    return put_bytes(rc, "cas", d, data, len);
}

static size_t to_strbuf(exchange *x, const char *data, size_t n)
{
    strbuf *sb = x->ctx;
    if (sb->len + n > REMOTE_RECORD_MAX)
        return 0;
    sb_append(sb, data, n);
    return n;
}

static void restart_strbuf(exchange *x)
{
    ((strbuf *)x->ctx)->len = 0;
}

remote_result remote_cache_get_record(remote_cache *rc, const digest *key, char **json, size_t *len)
{
    if (given_up(rc, false))
        return REMOTE_DOWN;
    strbuf sb;
    sb_init(&sb);
    exchange x = {.rc = rc,
                  .method = "GET",
                  .kind = "ac",
                  .d = key,
                  .bounded = true,
                  .sink = to_strbuf,
                  .restart = restart_strbuf,
                  .ctx = &sb,
                  .max_body = (curl_off_t)REMOTE_RECORD_MAX};
    run(&x);
    remote_result r = x.curl_rc == CURLE_FILESIZE_EXCEEDED || x.curl_rc == CURLE_WRITE_ERROR
                          ? corrupt(rc, "a record larger than 16 MiB")
                          : read_outcome(&x);
    if (r == REMOTE_OK) {
        count(rc, &rc->counts.hits, sb.len, 0);
        *len = sb.len;
        *json = sb_detach(&sb);
    } else {
        sb_free(&sb);
    }
    return r;
}

remote_result remote_cache_put_record(remote_cache *rc, const digest *key, const char *json, size_t len)
{
    return put_bytes(rc, "ac", key, json, len);
}

bool remote_cache_is_down(remote_cache *rc)
{
    return given_up(rc, false);
}

bool remote_cache_uploads_stopped(remote_cache *rc)
{
    uv_mutex_lock(&rc->lock);
    bool stopped = rc->uploads_stopped;
    uv_mutex_unlock(&rc->lock);
    return stopped;
}

void remote_cache_get_counts(remote_cache *rc, remote_cache_counts *out)
{
    uv_mutex_lock(&rc->lock);
    *out = rc->counts;
    uv_mutex_unlock(&rc->lock);
}
