#include "hub_request.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_retry.h"
#include "util.h"

enum { MAX_REDIRECTS = 10 };

void hub_request_init(hub_request *r, uv_loop_t *loop, hub_client *client, const hub_http_conf *conf)
{
    memset(r, 0, sizeof *r);
    r->client = client;
    r->conf = conf;
    uv_timer_init(loop, &r->retry_timer);
    r->retry_timer.data = r;
}

void hub_request_forget_response(hub_request *r)
{
    free(r->location);
    free(r->repo_commit);
    free(r->etag);
    free(r->linked_etag);
    r->location = r->repo_commit = r->etag = r->linked_etag = NULL;
    r->linked_size = r->content_length = r->range_start = -1;
    r->status = 0;
    r->curl_err[0] = '\0';
}

void hub_request_close(hub_request *r)
{
    hub_request_forget_response(r);
    free(r->url);
    r->url = NULL;
    if (r->t.easy)
        curl_easy_cleanup(r->t.easy);
    r->t.easy = NULL;
    uv_close((uv_handle_t *)&r->retry_timer, NULL);
}

/* scheme://host:port of a URL (ports made explicit), or NULL when it does not parse. */
static char *origin_of(const char *url)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL, *out = NULL;
    if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK)
        out = xasprintf("%s://%s:%s", scheme, host, port);
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
    return out;
}

static bool same_origin(const char *a, const char *b)
{
    char *oa = origin_of(a), *ob = origin_of(b);
    bool same = oa && ob && !strcasecmp(oa, ob);
    free(oa);
    free(ob);
    return same;
}

/* A Location header made absolute against the URL that sent it. */
static char *resolve_location(const char *base, const char *location)
{
    CURLU *u = curl_url();
    char *abs = NULL, *out = NULL;
    if (curl_url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK &&
        curl_url_set(u, CURLUPART_URL, location, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_URL, &abs, 0) == CURLUE_OK)
        out = xstrdup(abs);
    curl_free(abs);
    curl_url_cleanup(u);
    return out;
}

static bool header_is(const char *line, size_t name_len, const char *name)
{
    return strlen(name) == name_len && !strncasecmp(line, name, name_len);
}

static int64_t parse_size(const char *s)
{
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    return end != s && v >= 0 ? (int64_t)v : -1;
}

void hub_request_take_header(hub_request *r, const char *buf, size_t len)
{
    if (len > 5 && !strncmp(buf, "HTTP/", 5)) {
        /* A new response (after a 100 Continue, say): nothing of the last one applies. */
        hub_request_forget_response(r);
        const char *sp = memchr(buf, ' ', len);
        char *status = sp ? xstrndup(sp + 1, len - (size_t)(sp + 1 - buf)) : NULL;
        r->status = status ? strtol(status, NULL, 10) : 0;
        free(status);
        return;
    }
    const char *colon = memchr(buf, ':', len);
    if (!colon)
        return;
    size_t name_len = (size_t)(colon - buf);
    const char *v = colon + 1, *end = buf + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    char *value = xstrndup(v, (size_t)(end - v));
    char **slot = NULL;
    if (header_is(buf, name_len, "x-repo-commit"))
        slot = &r->repo_commit;
    else if (header_is(buf, name_len, "etag"))
        slot = &r->etag;
    else if (header_is(buf, name_len, "x-linked-etag"))
        slot = &r->linked_etag;
    else if (header_is(buf, name_len, "location"))
        slot = &r->location;
    else if (header_is(buf, name_len, "x-linked-size"))
        r->linked_size = parse_size(value);
    else if (header_is(buf, name_len, "content-length"))
        r->content_length = parse_size(value);
    else if (header_is(buf, name_len, "content-range") && !strncasecmp(value, "bytes ", 6))
        r->range_start = parse_size(value + 6);
    if (slot) {
        free(*slot);
        *slot = value;
    } else {
        free(value);
    }
}

static size_t on_header(char *buf, size_t size, size_t n, void *ud)
{
    hub_request_take_header(ud, buf, size * n);
    return size * n;
}

static size_t on_write(char *data, size_t size, size_t n, void *ud)
{
    hub_request *r = ud;
    size_t len = size * n;
    /* Bodies of redirects and errors are HTML for people; only 2xx bodies are content. */
    if (r->status < 200 || r->status >= 300 || !r->on_body)
        return len;
    return r->on_body(r, data, len);
}

static void on_transfer_done(hub_transfer *t, CURLcode rc);

/* curl calls this at least once a second during a transfer: the way to stop one from outside. */
static int on_xferinfo(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    const hub_request *r = ud;
    return *r->conf->cancelled ? 1 : 0;
}

static void issue(hub_request *r)
{
    const hub_http_conf *conf = r->conf;
    if (!r->t.easy)
        r->t.easy = curl_easy_init();
    CURL *e = r->t.easy;
    curl_easy_reset(e);
    hub_request_forget_response(r);
    r->t.done = on_transfer_done;
    curl_easy_setopt(e, CURLOPT_URL, r->url);
    curl_easy_setopt(e, CURLOPT_NOBODY, r->head ? 1L : 0L);
    /* Redirects are followed in on_transfer_done, one hop at a time, so the decision to send
     * the token is made afresh for each host. */
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->curl_err);
    curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_xferinfo);
    curl_easy_setopt(e, CURLOPT_XFERINFODATA, r);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, conf->connect_timeout_s);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, conf->stall_timeout_s);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "tmgt/" TMGT_VERSION);
    struct curl_slist *headers = curl_slist_append(NULL, "Accept-Encoding: identity");
    if (conf->token && same_origin(r->url, conf->endpoint)) {
        char *auth = xasprintf("Authorization: Bearer %s", conf->token);
        headers = curl_slist_append(headers, auth);
        free(auth);
    }
    /* libcurl copies nothing of the list: it must live until the transfer ends. */
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
    r->headers = headers;
    char range[32];
    if (r->range_from && !r->head) {
        snprintf(range, sizeof range, "%" PRIu64 "-", r->range_from);
        curl_easy_setopt(e, CURLOPT_RANGE, range);
    }
    hub_client_add(r->client, &r->t);
}

void hub_request_start(hub_request *r, const char *url, bool head)
{
    free(r->url);
    r->url = xstrdup(url);
    r->head = head;
    r->attempt = 1;
    r->redirects = 0;
    issue(r);
}

bool hub_request_ok(const hub_request *r)
{
    return r->curl_rc == CURLE_OK && r->status >= 200 && r->status < 300;
}

static bool is_redirect(long status)
{
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

static bool worth_retrying(const hub_request *r)
{
    return !*r->conf->cancelled && http_failure_may_pass(r->curl_rc, r->status);
}

static void on_retry_timer(uv_timer_t *t)
{
    hub_request *r = t->data;
    if (*r->conf->cancelled) {
        r->curl_rc = CURLE_ABORTED_BY_CALLBACK;
        r->on_done(r);
        return;
    }
    r->attempt++;
    if (r->on_retry)
        r->on_retry(r);
    issue(r);
}

static void on_transfer_done(hub_transfer *t, CURLcode rc)
{
    hub_request *r = (hub_request *)t;
    curl_slist_free_all(r->headers);
    r->headers = NULL;
    r->curl_rc = rc;
    if (rc == CURLE_OK)
        curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &r->status);
    if (rc == CURLE_OK && is_redirect(r->status) && r->location) {
        char *next = resolve_location(r->url, r->location);
        if (next && r->head && !same_origin(next, r->url)) {
            /* A HEAD reports where the content lives (a CDN) instead of going there. */
            free(r->location);
            r->location = next;
            r->on_done(r);
            return;
        }
        if (next && ++r->redirects <= MAX_REDIRECTS) {
            free(r->url);
            r->url = next;
            issue(r);
            return;
        }
        free(next);
    }
    if (worth_retrying(r) && r->attempt < r->conf->max_attempts) {
        uint64_t delay = (uint64_t)r->conf->backoff_ms << (r->attempt - 1);
        uv_timer_start(&r->retry_timer, on_retry_timer, delay, 0);
        return;
    }
    r->on_done(r);
}

char *hub_request_failure(const hub_request *r)
{
    char *origin = origin_of(r->url);
    const char *host = origin ? strstr(origin, "://") + 3 : "the server";
    char *msg;
    if (*r->conf->cancelled)
        msg = xstrdup("interrupted");
    else if (r->curl_rc == CURLE_OPERATION_TIMEDOUT && strstr(r->curl_err, "too slow"))
        msg =
            xasprintf("%s sent no data for %ld s (HF_HUB_DOWNLOAD_TIMEOUT)", host, r->conf->stall_timeout_s);
    else if (r->curl_rc != CURLE_OK && worth_retrying(r))
        msg = xasprintf("connection to %s failed after %d attempts: %s", host, r->attempt,
                        r->curl_err[0] ? r->curl_err : curl_easy_strerror(r->curl_rc));
    else if (r->curl_rc != CURLE_OK)
        msg = xasprintf("%s: %s", host, r->curl_err[0] ? r->curl_err : curl_easy_strerror(r->curl_rc));
    else if (r->status == 401)
        msg = xasprintf("401 Unauthorized from %s: the repository is private or gated; %s", host,
                        r->conf->token ? "HF_TOKEN was refused" : "set HF_TOKEN to a token that can read it");
    else if (r->status == 403)
        msg = xasprintf(
            "403 Forbidden from %s: HF_TOKEN may not read this repository "
            "(a gated model needs its terms accepted on the Hub)",
            host);
    else if (r->status == 404)
        msg = xasprintf("404 Not Found from %s", host);
    else if (r->status >= 500)
        msg = xasprintf("server error %ld from %s after %d attempts", r->status, host, r->attempt);
    else if (is_redirect(r->status))
        msg = xasprintf("%s: redirect %s", host,
                        r->location ? "loop (more than 10 hops)" : "without a Location");
    else
        msg = xasprintf("unexpected HTTP %ld from %s", r->status, host);
    free(origin);
    return msg;
}
