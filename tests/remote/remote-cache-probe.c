/* Drives the remote cache client (and the local store backed by it) for
 * tests/integration/test_remote_cache.py: one operation a line on stdin, one answer a line on
 * stdout, warnings on stderr as tmgt prints them.
 *
 *   remote-cache-probe URL                         remote_cache_* against URL
 *   remote-cache-probe URL --store DIR [--read-only]  also the store-* operations, through a
 *                                                  local store in DIR backed by URL
 * Settings come from the environment as for tmgt (remote_cache_env.h).
 *
 * Operations and answers (RESULT: ok, missing, corrupt or down):
 *   has HEX                 RESULT [SIZE]
 *   fetch HEX DEST          RESULT [SIZE]
 *   put FILE | put-bytes FILE   HEX RESULT  (a file, or the same bytes from memory)
 *   get-record HEX          RESULT [the record]
 *   put-record HEX FILE     RESULT
 *   store-has HEX           yes SIZE | no
 *   store-put FILE          HEX        (a copy of FILE published, and uploaded unless read-only)
 *   store-get-record HEX    the record | none
 *   store-put-record HEX FILE   ok | failed
 *   cache-publish FILE      HEX | failed: why   (FILE's bytes through a run's cache in DIR,
 *   cache-adopt FILE        HEX | failed: why    the server behind it, as tmgt's is)
 *   cache-verify            dangling=N   (records in DIR naming a blob DIR lacks: dropped)
 *   counts                  requests=N hits=N misses=N corrupt=N uploads=N bytes_down=N bytes_up=N
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"
#include "cache_remote.h"
#include "fs.h"
#include "hash.h"
#include "remote_cache_env.h"
#include "store_remote.h"
#include "util.h"

static const char *result_name(remote_result r)
{
    static const char *const names[] = {"ok", "missing", "corrupt", "down"};
    return names[r];
}

static bool parse_digest(const char *hex, digest *d)
{
    if (!digest_is_valid_hex(hex))
        return false;
    memcpy(d->hex, hex, sizeof d->hex);
    return true;
}

static char *slurp(const char *path, size_t *len)
{
    char *data = NULL;
    tmgt_error err;
    if (read_file(path, &data, len, &err) != 0) {
        fprintf(stderr, "remote-cache-probe: %s\n", err.msg);
        exit(2);
    }
    return data;
}

static void print_sized(remote_result r, uint64_t size)
{
    if (r == REMOTE_OK)
        printf("ok %llu\n", (unsigned long long)size);
    else
        printf("%s\n", result_name(r));
}

static void do_put(remote_cache *rc, const char *path, bool from_memory)
{
    size_t len = 0;
    char *data = slurp(path, &len);
    digest d;
    hash_bytes(data, len, &d);
    remote_result r = from_memory ? remote_cache_upload_blob_bytes(rc, &d, data, len)
                                  : remote_cache_upload_blob_file(rc, &d, path);
    printf("%s %s\n", d.hex, result_name(r));
    free(data);
}

static void do_store_put(store *s, const char *dir, const char *path)
{
    size_t len = 0;
    char *data = slurp(path, &len);
    digest d;
    hash_bytes(data, len, &d);
    char *staged = xasprintf("%s/tmp/probe-%ld", dir, (long)getpid());
    tmgt_error err;
    if (write_file_replace(staged, data, len, 0644, false, &err) != 0 ||
        s->ops->put_blob_file(s, staged, &d, &err) != 0)
        printf("failed: %s\n", err.msg);
    else
        printf("%s\n", d.hex);
    free(staged);
    free(data);
}

static void do_cache_publish(cache *c, const char *path, bool adopt)
{
    size_t len = 0;
    char *data = slurp(path, &len);
    digest d;
    tmgt_error err;
    hash_bytes(data, len, &d);
    if ((adopt ? cache_adopt_file(c, path, &d, &err) : cache_publish_bytes(c, data, len, &d, &err)) != 0)
        printf("failed: %s\n", err.msg);
    else
        printf("%s\n", d.hex);
    free(data);
}

typedef struct {
    remote_cache *rc;
    store *s;
    const char *dir, *url;
    bool upload;
    cache *c; /* a run's cache in `dir` with the server behind it, opened on first use */
} probe_ctx;

static cache *run_cache(probe_ctx *p)
{
    tmgt_error err;
    if (!p->c &&
        (!(p->c = cache_open(p->dir, &err)) || cache_use_remote(p->c, p->url, p->upload, &err) != 0)) {
        fprintf(stderr, "remote-cache-probe: %s\n", err.msg);
        exit(2);
    }
    return p->c;
}

static void do_line(probe_ctx *p, char *line)
{
    remote_cache *rc = p->rc;
    store *s = p->s;
    const char *dir = p->dir;
    char *words[4] = {0};
    int n = 0;
    for (char *save = NULL, *w = strtok_r(line, " \n", &save); w && n < 4; w = strtok_r(NULL, " \n", &save))
        words[n++] = w;
    digest d;
    uint64_t size = 0;
    char *json = NULL;
    size_t len = 0;
    const char *op = n ? words[0] : "";
    bool keyed = n >= 2 && parse_digest(words[1], &d);
    if (!strcmp(op, "has") && keyed) {
        remote_result r = remote_cache_has_blob(rc, &d, &size);
        print_sized(r, size);
    } else if (!strcmp(op, "fetch") && keyed && n == 3) {
        remote_result r = remote_cache_fetch_blob(rc, &d, words[2], &size);
        print_sized(r, size);
    } else if ((!strcmp(op, "put") || !strcmp(op, "put-bytes")) && n == 2) {
        do_put(rc, words[1], !strcmp(op, "put-bytes"));
    } else if (!strcmp(op, "get-record") && keyed) {
        remote_result r = remote_cache_get_record(rc, &d, &json, &len);
        printf("%s%s%s\n", result_name(r), json ? " " : "", json ? json : "");
    } else if (!strcmp(op, "put-record") && keyed && n == 3) {
        json = slurp(words[2], &len);
        printf("%s\n", result_name(remote_cache_put_record(rc, &d, json, len)));
    } else if (!strcmp(op, "counts")) {
        remote_cache_counts c;
        remote_cache_get_counts(rc, &c);
        printf(
            "requests=%llu hits=%llu misses=%llu corrupt=%llu uploads=%llu bytes_down=%llu bytes_up=%llu\n",
            (unsigned long long)c.requests, (unsigned long long)c.hits, (unsigned long long)c.misses,
            (unsigned long long)c.corrupt, (unsigned long long)c.uploads, (unsigned long long)c.bytes_down,
            (unsigned long long)c.bytes_up);
    } else if (s && !strcmp(op, "store-has") && keyed) {
        if (s->ops->has_blob(s, &d, &size))
            printf("yes %llu\n", (unsigned long long)size);
        else
            printf("no\n");
    } else if (s && !strcmp(op, "store-put") && n == 2) {
        do_store_put(s, dir, words[1]);
    } else if (s && !strcmp(op, "store-get-record") && keyed) {
        printf("%s\n", s->ops->get_record(s, &d, &json, &len) == 0 ? json : "none");
    } else if (s && !strcmp(op, "store-put-record") && keyed && n == 3) {
        json = slurp(words[2], &len);
        printf("%s\n", s->ops->put_record(s, &d, json, len, NULL) == 0 ? "ok" : "failed");
    } else if (s && (!strcmp(op, "cache-publish") || !strcmp(op, "cache-adopt")) && n == 2) {
        do_cache_publish(run_cache(p), words[1], !strcmp(op, "cache-adopt"));
    } else if (s && !strcmp(op, "cache-verify")) {
        cache_report r;
        cache_verify(run_cache(p), &r, stderr);
        printf("dangling=%zu\n", r.dangling_records);
    } else {
        fprintf(stderr, "remote-cache-probe: cannot read the operation '%s'\n", op);
        exit(2);
    }
    free(json);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    bool with_store = argc >= 4 && !strcmp(argv[2], "--store");
    bool read_only = argc == 5 && !strcmp(argv[4], "--read-only");
    if (argc != 2 && !(with_store && (argc == 4 || read_only))) {
        fprintf(stderr, "usage: remote-cache-probe URL [--store DIR [--read-only]] < operations\n");
        return 2;
    }
    remote_cache_conf conf;
    tmgt_error err;
    remote_cache *rc = NULL;
    if (remote_cache_conf_from_env(&conf, argv[1], &err) != 0 || !(rc = remote_cache_open(&conf, &err))) {
        fprintf(stderr, "remote-cache-probe: %s\n", err.msg);
        return 2;
    }
    remote_cache_conf_free(&conf);
    store *s = NULL;
    const char *dir = with_store ? argv[3] : NULL;
    if (with_store) {
        char *tmp = path_join(dir, "tmp");
        store *local = mkdir_p(tmp, 0755, &err) == 0 ? store_local_open(dir, tmp, false, &err) : NULL;
        if (!local) {
            fprintf(stderr, "remote-cache-probe: %s\n", err.msg);
            return 2;
        }
        s = store_remote_open(local, rc, tmp, !read_only);
        free(tmp);
    }
    char line[4096];
    probe_ctx p = {.rc = rc, .s = s, .dir = dir, .url = argv[1], .upload = !read_only};
    while (fgets(line, sizeof line, stdin))
        do_line(&p, line);
    if (p.c)
        cache_close(p.c);
    if (s)
        s->ops->close(s); /* closes rc too */
    else
        remote_cache_close(rc);
    return 0;
}
