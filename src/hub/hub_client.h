/* libcurl's multi interface driven by a libuv loop: curl tells which sockets to watch and
 * when to wake it (CURLMOPT_SOCKETFUNCTION / CURLMOPT_TIMERFUNCTION); uv_poll and uv_timer
 * do the watching. Every transfer runs on the loop's thread, none has a thread of its own. */
#ifndef TMGT_HUB_CLIENT_H
#define TMGT_HUB_CLIENT_H

#include <curl/curl.h>
#include <uv.h>

typedef struct hub_client hub_client;

/* A transfer the client runs. The owner embeds it and gets it back in `done` once the easy
 * handle has left the multi handle (the owner then cleans the easy handle up or reuses it). */
typedef struct hub_transfer hub_transfer;
struct hub_transfer {
    CURL *easy;
    void (*done)(hub_transfer *t, CURLcode rc);
};

/* At most `max_connections` connections are open at once; curl queues the rest. */
hub_client *hub_client_new(uv_loop_t *loop, long max_connections);
void hub_client_add(hub_client *c, hub_transfer *t);
/* Call once every added transfer is done: closes the cached connections and the client's
 * handles; the memory goes once the loop has run their close callbacks. */
void hub_client_close(hub_client *c);

#endif
