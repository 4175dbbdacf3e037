/* What a remote cache server hands back (remote_cache.c, store_remote.c, action_record.c): an
 * arbitrary action record at /ac/ and an arbitrary set of blobs at /cas/, served over loopback
 * HTTP by a server in this process to a run's cache with the server behind it, which restores
 * the record as the executor does. Whatever the server says, a blob whose bytes do not hash to
 * its name never enters the local store, and a record restored as a hit names only streams and
 * an output whose bytes are what its digests say.
 *
 * Input: the record, then each blob, separated by "\n--blob\n". A blob is served under its own
 * digest, or under the name it starts with ("<64 hex>:" then its bytes: a server that lies);
 * a "<64 hex>~" name also claims one byte more than it sends (a server that dies mid-body). */
#define _GNU_SOURCE /* memmem */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "action_record.h"
#include "cache.h"
#include "cache_remote.h"
#include "fs.h"
#include "fuzz_util.h"
#include "hash.h"

enum { MAX_BLOBS = 16, REQUEST_MAX = 8192 };

static const char SEPARATOR[] = "\n--blob\n";
/* One key for every input: the server answers any /ac/ request with the input's record. */
static const digest KEY = {.hex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"};

typedef struct {
    digest name;
    const uint8_t *body;
    size_t len;
    bool truncated;
} served_blob;

/* The answers of the input under test; read by the server thread while the client waits. */
static struct {
    pthread_mutex_t lock;
    const uint8_t *record;
    size_t record_len;
    served_blob blobs[MAX_BLOBS];
    size_t n_blobs;
} g_answers = {.lock = PTHREAD_MUTEX_INITIALIZER};

static char *g_url;

static void send_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t w = send(fd, p, len, MSG_NOSIGNAL);
        if (w <= 0)
            return;
        p += w;
        len -= (size_t)w;
    }
}

/* The answer to "METHOD /kind/hex": a status, and the body with the length it claims. */
static void answer(int fd, const char *method, const char *kind, const char *hex)
{
    const uint8_t *body = NULL;
    size_t len = 0, claimed = 0;
    bool found = false;
    pthread_mutex_lock(&g_answers.lock);
    if (!strcmp(kind, "ac")) {
        found = true;
        body = g_answers.record;
        len = claimed = g_answers.record_len;
    }
    for (size_t i = 0; !strcmp(kind, "cas") && i < g_answers.n_blobs && !found; i++) {
        const served_blob *b = &g_answers.blobs[i];
        if (!strcmp(b->name.hex, hex)) {
            found = true;
            body = b->body;
            len = b->len;
            claimed = b->len + b->truncated;
        }
    }
    char head[160];
    int n = found ? snprintf(head, sizeof head,
                             "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n", claimed)
                  : snprintf(head, sizeof head,
                             "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    send_all(fd, head, (size_t)n);
    if (found && strcmp(method, "HEAD") != 0)
        send_all(fd, body, len);
    pthread_mutex_unlock(&g_answers.lock);
}

static void serve_one(int fd)
{
    char req[REQUEST_MAX + 1];
    size_t got = 0;
    while (got < REQUEST_MAX) {
        ssize_t r = recv(fd, req + got, REQUEST_MAX - got, 0);
        if (r <= 0)
            break;
        got += (size_t)r;
        req[got] = '\0';
        if (strstr(req, "\r\n\r\n"))
            break;
    }
    req[got] = '\0';
    char method[8], kind[8], hex[72];
    if (sscanf(req, "%7s /%7[^/]/%71s", method, kind, hex) == 3)
        answer(fd, method, kind, hex);
    close(fd);
}

static void *server(void *arg)
{
    int listener = (int)(intptr_t)arg;
    for (;;) {
        int fd = accept(listener, NULL, NULL);
        int on = 1; /* the head and the body go out at once, not after a delayed ACK */
        if (fd >= 0 && setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) == 0)
            serve_one(fd);
        else if (fd >= 0)
            close(fd);
    }
    return NULL;
}

/* The server on a loopback port of its own, once per process; the run's settings for it. */
static void start_server(void)
{
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t addr_len = sizeof addr;
    pthread_t thread;
    if (listener < 0 || bind(listener, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        listen(listener, 16) != 0 || getsockname(listener, (struct sockaddr *)&addr, &addr_len) != 0 ||
        pthread_create(&thread, NULL, server, (void *)(intptr_t)listener) != 0) {
        perror("fuzz_remote_answer: loopback server");
        abort();
    }
    pthread_detach(thread);
    g_url = xasprintf("http://127.0.0.1:%d", ntohs(addr.sin_port));
    setenv("no_proxy", "*", 1);
    setenv("TMGT_REMOTE_CACHE_RETRIES", "0", 1);
    setenv("TMGT_REMOTE_CACHE_TIMEOUT", "5", 1);
}

static bool named_blob(const uint8_t *part, size_t len)
{
    if (len < 65 || (part[64] != ':' && part[64] != '~'))
        return false;
    char hex[65];
    memcpy(hex, part, 64);
    hex[64] = '\0';
    return digest_is_valid_hex(hex);
}

static void split_answers(const uint8_t *data, size_t size)
{
    const uint8_t *end = data + size, *p = data;
    size_t k = sizeof SEPARATOR - 1;
    g_answers.n_blobs = 0;
    for (size_t part = 0; part <= MAX_BLOBS; part++) {
        const uint8_t *sep = memmem(p, (size_t)(end - p), SEPARATOR, k);
        const uint8_t *stop = sep ? sep : end;
        size_t len = (size_t)(stop - p);
        if (part == 0) {
            g_answers.record = p;
            g_answers.record_len = len;
        } else {
            served_blob *b = &g_answers.blobs[g_answers.n_blobs++];
            if (named_blob(p, len)) {
                memcpy(b->name.hex, p, 64);
                b->name.hex[64] = '\0';
                b->truncated = p[64] == '~';
                b->body = p + 65;
                b->len = len - 65;
            } else {
                hash_bytes(p, len, &b->name);
                b->truncated = false;
                b->body = p;
                b->len = len;
            }
        }
        if (!sep)
            break;
        p = sep + k;
    }
}

/* The first output the record names, which the action is then taken to declare. */
static char *first_output_name(const uint8_t *record, size_t len)
{
    cJSON *rec = cJSON_ParseWithLength((const char *)record, len);
    const cJSON *outs = cJSON_GetObjectItemCaseSensitive(rec, "outputs");
    const cJSON *first = cJSON_IsObject(outs) ? outs->child : NULL;
    char *name = first && first->string ? xstrdup(first->string) : NULL;
    cJSON_Delete(rec);
    return name;
}

static void check_bytes(const char *data, size_t len, const digest *d)
{
    digest got;
    hash_bytes(data ? data : "", len, &got);
    if (strcmp(got.hex, d->hex) != 0)
        abort();
}

static void check_restored(const action_result *res, const char *output_name, const char *output_path)
{
    check_bytes(res->out, res->out_len, &res->stdout_d);
    check_bytes(res->err, res->err_len, &res->stderr_d);
    if (!output_name || res->exit_code != 0)
        return;
    digest got;
    uint64_t size = 0;
    tmgt_error err = {{0}};
    if (hash_file(output_path, &got, &size, &err) != 0 || strcmp(got.hex, res->output_d.hex) != 0 ||
        size != res->output_size)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!g_url)
        start_server();
    pthread_mutex_lock(&g_answers.lock);
    split_answers(data, size);
    pthread_mutex_unlock(&g_answers.lock);

    char *root = path_join(fuzz_scratch_dir(), "cache");
    char *output_path = path_join(fuzz_scratch_dir(), "output");
    remove_tree(root);
    remove_tree(output_path);
    tmgt_error err = {{0}};
    cache *c = cache_open(root, &err);
    if (!c || cache_use_remote(c, g_url, false, &err) != 0) {
        fprintf(stderr, "fuzz_remote_answer: %s\n", err.msg);
        abort();
    }
    char *output_name = first_output_name(g_answers.record, g_answers.record_len);
    action_result res;
    memset(&res, 0, sizeof res);
    if (record_restore(c, &KEY, false, output_name, output_path, &res, &err) == 1)
        check_restored(&res, output_name, output_path);
    free(res.out);
    free(res.err);
    /* the answers point into the input, which libFuzzer frees on return: withdrawn first, once
     * any answer still being sent (to a client that gave up on it) is done */
    pthread_mutex_lock(&g_answers.lock);
    g_answers.record = NULL;
    g_answers.record_len = g_answers.n_blobs = 0;
    pthread_mutex_unlock(&g_answers.lock);
    /* whatever was restored or refused, the local store holds no blob the server lied about */
    cache_report report;
    memset(&report, 0, sizeof report);
    cache_verify(c, &report, fuzz_null_stream());
    if (report.corrupt_blobs != 0)
        abort();
    cache_close(c);
    free(output_name);
    free(output_path);
    free(root);
    return 0;
}
