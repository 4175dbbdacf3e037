/* One HTTP exchange with the Hub, run by a hub_client: header capture, redirects followed
 * by hand (so the token only ever goes to the Hub's own origin), retries with backoff on
 * 5xx, 408, 429 and dropped connections. */
#ifndef TMGT_HUB_REQUEST_H
#define TMGT_HUB_REQUEST_H

#include <stdbool.h>
#include <stdint.h>

#include "hub_client.h"

typedef struct {
    const char *endpoint;   /* HF_ENDPOINT: the only origin the token is sent to */
    const char *token;      /* HF_TOKEN, or NULL */
    long connect_timeout_s; /* HF_HUB_ETAG_TIMEOUT */
    long stall_timeout_s;   /* HF_HUB_DOWNLOAD_TIMEOUT: no byte for this long fails */
    int max_attempts;
    unsigned backoff_ms;   /* first retry delay; doubles each time */
    const bool *cancelled; /* set (on the loop's thread) to stop every request soon */
} hub_http_conf;

typedef struct hub_request hub_request;
struct hub_request {
    hub_transfer t; /* first member: the client hands it back */
    hub_client *client;
    const hub_http_conf *conf;
    uv_timer_t retry_timer;
    char *url;           /* the URL being fetched now (after redirects) */
    bool head;           /* HEAD stops at a redirect to another origin and reports it */
    uint64_t range_from; /* GET: ask for the bytes from here on (0: all) */
    int attempt, redirects;
    struct curl_slist *headers; /* of the transfer in flight */

    /* The last response. */
    long status;
    CURLcode curl_rc;
    char curl_err[CURL_ERROR_SIZE];
    char *location; /* absolute; set by a HEAD stopped at a redirect */
    char *repo_commit, *etag, *linked_etag;
    int64_t linked_size, content_length, range_start; /* -1 when absent */

    /* Body bytes of a 2xx answer; returning less than n aborts the transfer. */
    size_t (*on_body)(hub_request *r, const char *data, size_t n);
    void (*on_retry)(hub_request *r); /* before each new attempt (to set range_from) */
    void (*on_done)(hub_request *r);  /* the final outcome */
    void *owner;
};

void hub_request_init(hub_request *r, uv_loop_t *loop, hub_client *client, const hub_http_conf *conf);
void hub_request_start(hub_request *r, const char *url, bool head);
bool hub_request_ok(const hub_request *r);
/* Why the request failed, for a person: "401 Unauthorized from huggingface.co", ... */
char *hub_request_failure(const hub_request *r);
/* One response header line as curl hands it over ("HTTP/1.1 200 OK\r\n", "ETag: ...\r\n"), not
 * NUL-terminated; a status line starts a new response. (Exposed for the fuzzer.) */
void hub_request_take_header(hub_request *r, const char *line, size_t len);
/* Frees the last response's headers and resets its fields (sizes to -1). */
void hub_request_forget_response(hub_request *r);
/* Closes the retry timer; the request's memory may go once the loop has run. */
void hub_request_close(hub_request *r);

#endif
