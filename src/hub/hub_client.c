#include "hub_client.h"

#include <stdbool.h>
#include <stdlib.h>

#include "util.h"

typedef struct watched_socket watched_socket;
struct watched_socket {
    uv_poll_t poll;
    curl_socket_t fd;
    hub_client *client;
    watched_socket *prev, *next;
};

struct hub_client {
    uv_loop_t *loop;
    CURLM *multi;
    uv_timer_t timer;
    watched_socket *sockets; /* those curl still wants watched */
    bool closing;
};

/* Hands every finished transfer back to its owner. The owner may add new transfers from
 * `done`; curl_multi_info_read copes with that. */
static void finish_transfers(hub_client *c)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(c->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        CURL *easy = msg->easy_handle;
        CURLcode rc = msg->data.result;
        hub_transfer *t = NULL;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&t);
        curl_multi_remove_handle(c->multi, easy);
        t->done(t, rc);
    }
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    watched_socket *ws = h->data;
    int flags = 0;
    if (status < 0)
        flags = CURL_CSELECT_ERR;
    if (events & UV_READABLE)
        flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE)
        flags |= CURL_CSELECT_OUT;
    int running = 0;
    curl_multi_socket_action(ws->client->multi, ws->fd, flags, &running);
    finish_transfers(ws->client);
}

static void free_watched(uv_handle_t *h)
{
    free(h->data);
}

static void unwatch(hub_client *c, watched_socket *ws)
{
    if (ws->prev)
        ws->prev->next = ws->next;
    else
        c->sockets = ws->next;
    if (ws->next)
        ws->next->prev = ws->prev;
    uv_poll_stop(&ws->poll);
    uv_close((uv_handle_t *)&ws->poll, free_watched);
}

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    hub_client *c = userp;
    watched_socket *ws = socketp;
    if (what == CURL_POLL_REMOVE) {
        if (ws) {
            if (!c->closing)
                curl_multi_assign(c->multi, fd, NULL);
            unwatch(c, ws);
        }
        return 0;
    }
    if (!ws) {
        ws = xcalloc(1, sizeof *ws);
        ws->fd = fd;
        ws->client = c;
        if (uv_poll_init_socket(c->loop, &ws->poll, fd) != 0) {
            free(ws);
            return -1;
        }
        ws->poll.data = ws;
        ws->next = c->sockets;
        if (c->sockets)
            c->sockets->prev = ws;
        c->sockets = ws;
        curl_multi_assign(c->multi, fd, ws);
    }
    int events = 0;
    if (what & CURL_POLL_IN)
        events |= UV_READABLE;
    if (what & CURL_POLL_OUT)
        events |= UV_WRITABLE;
    uv_poll_start(&ws->poll, events, on_poll);
    return 0;
}

static void on_timeout(uv_timer_t *t)
{
    hub_client *c = t->data;
    int running = 0;
    curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    finish_transfers(c);
}

/* curl may ask for a zero timeout; acting on it from inside this callback would re-enter
 * curl, so even "now" goes through the loop. */
static int on_timer_change(CURLM *multi, long timeout_ms, void *userp)
{
    hub_client *c = userp;
    if (timeout_ms < 0)
        uv_timer_stop(&c->timer);
    else
        uv_timer_start(&c->timer, on_timeout, (uint64_t)timeout_ms, 0);
    return 0;
}

hub_client *hub_client_new(uv_loop_t *loop, long max_connections)
{
    hub_client *c = xcalloc(1, sizeof *c);
    c->loop = loop;
    c->multi = curl_multi_init();
    uv_timer_init(loop, &c->timer);
    c->timer.data = c;
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_timer_change);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, max_connections);
    return c;
}

void hub_client_add(hub_client *c, hub_transfer *t)
{
    curl_easy_setopt(t->easy, CURLOPT_PRIVATE, (char *)t);
    curl_multi_add_handle(c->multi, t->easy);
}

static void free_client(uv_handle_t *h)
{
    free(h->data);
}

void hub_client_close(hub_client *c)
{
    if (!c)
        return;
    /* Cleanup may report the sockets of cached connections through on_socket; whatever it
     * does not report is unwatched here, so no poll handle outlives its socket. */
    c->closing = true;
    curl_multi_cleanup(c->multi);
    while (c->sockets)
        unwatch(c, c->sockets);
    uv_close((uv_handle_t *)&c->timer, free_client);
}
