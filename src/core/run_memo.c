#include "run_memo.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "checksum.h"
#include "env.h"
#include "exit_code.h"
#include "fs.h"
#include "hash.h"
#include "report.h"

/* 3: the checksums are XXH3 (checksum.h); a memo of another version is ignored, never misread. */
#define MEMO_MAGIC "tmgt run memo 3\n"

/* A file's timestamp can lag the clock by a tick; a change this close to the run's start could
 * be followed by another that leaves size and timestamps as they were. */
static const int64_t RACY_MARGIN_NS = 100 * 1000000LL;

char *run_memo_path(const char *cache_dir, int argc, char **argv, const report_console_opts *console,
                    bool gpu)
{
    hasher *h = hasher_new();
    hasher_field_str(h, "memo", MEMO_MAGIC);
    hasher_field_str(h, "tmgt", TMGT_VERSION);
    char *cwd = getcwd(NULL, 0);
    hasher_field_str(h, "cwd", cwd ? cwd : "");
    free(cwd);
    for (int i = 1; i < argc; i++)
        hasher_field_str(h, "arg", argv[i]);
    size_t k = 0;
    const char **vars = env_run_entries(&k);
    for (size_t i = 0; i < k; i++)
        hasher_field_str(h, "env", vars[i]);
    free(vars);
    hasher_field_str(h, "color", console->color ? "1" : "0");
    char *width = xasprintf("%zu", console->width);
    hasher_field_str(h, "width", width);
    free(width);
    hasher_field_str(h, "gpu", gpu ? "1" : "0");
    digest d;
    hasher_final(h, &d);
    return xasprintf("%s/memo/%s", cache_dir, d.hex);
}

/* ---- reading: a bounded cursor over the mapped file (never trusts a length or a number) ---- */

typedef struct {
    const char *p, *end;
} cursor;

static bool lit(cursor *c, const char *s)
{
    size_t n = strlen(s);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, s, n) != 0)
        return false;
    c->p += n;
    return true;
}

static bool num(cursor *c, int64_t *v, char after)
{
    bool neg = c->p < c->end && *c->p == '-';
    c->p += neg;
    uint64_t u = 0;
    const char *start = c->p;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9' && c->p - start < 19)
        u = u * 10 + (uint64_t)(*c->p++ - '0');
    if (c->p == start || c->p >= c->end || *c->p != after)
        return false;
    c->p++;
    *v = neg ? -(int64_t)u : (int64_t)u;
    return true;
}

static bool unum(cursor *c, uint64_t *v, char after)
{
    int64_t s;
    if (!num(c, &s, after) || s < 0)
        return false;
    *v = (uint64_t)s;
    return true;
}

static bool span(cursor *c, size_t n, const char **out)
{
    if ((size_t)(c->end - c->p) < n)
        return false;
    *out = c->p;
    c->p += n;
    return true;
}

static bool hex64(cursor *c, uint64_t *v, char after)
{
    char *stop = NULL;
    if (c->end - c->p < 17 || c->p[16] != after)
        return false;
    char buf[17];
    memcpy(buf, c->p, 16);
    buf[16] = '\0';
    *v = strtoull(buf, &stop, 16);
    if (*stop)
        return false;
    c->p += 17;
    return true;
}

typedef struct {
    const char *map;
    size_t size;
    const char *findings, *started_at;
    size_t findings_len;
    uint64_t started_at_len;
    int64_t exit_code, pass, fail, skip, cached;
    uint64_t document_sum;
    dep document; /* its ctime is not compared: linking latest.json to it changes that */
    dep_list deps;
} memo;

static bool parse_dep(cursor *c, dep *d)
{
    int64_t present;
    uint64_t len;
    const char *path;
    if (!num(c, &present, ' ') || !unum(c, &d->dev, ' ') || !unum(c, &d->ino, ' ') ||
        !unum(c, &d->size, ' ') || !num(c, &d->mtime_ns, ' ') || !num(c, &d->ctime_ns, ' ') ||
        !unum(c, &len, ' ') || !span(c, len, &path) || !lit(c, "\n"))
        return false;
    d->present = present == 1;
    d->path = xstrndup(path, len);
    return true;
}

static bool parse_deps(cursor *c, memo *m)
{
    uint64_t n;
    if (!lit(c, "deps ") || !unum(c, &n, '\n') || n > (uint64_t)(c->end - c->p))
        return false;
    m->deps.items = xcalloc(n + 1, sizeof *m->deps.items);
    for (; m->deps.count < n; m->deps.count++)
        if (!parse_dep(c, &m->deps.items[m->deps.count]))
            return false;
    return true;
}

/* Parses and checks the memo: false when it is not one this tmgt wrote whole. */
static bool parse(memo *m)
{
    cursor c = {m->map, m->map + m->size};
    uint64_t sum, len;
    if (!lit(&c, MEMO_MAGIC) || !lit(&c, "sum ") || !hex64(&c, &sum, '\n') ||
        checksum64(c.p, (size_t)(c.end - c.p)) != sum)
        return false;
    if (!lit(&c, "exit ") || !num(&c, &m->exit_code, '\n') || !lit(&c, "counts ") ||
        !num(&c, &m->pass, ' ') || !num(&c, &m->fail, ' ') || !num(&c, &m->skip, ' ') ||
        !num(&c, &m->cached, '\n'))
        return false;
    if (!lit(&c, "document ") || !hex64(&c, &m->document_sum, ' ') || !parse_dep(&c, &m->document) ||
        !lit(&c, "started ") || !unum(&c, &m->started_at_len, ' ') ||
        !span(&c, m->started_at_len, &m->started_at) || !lit(&c, "\n") || !parse_deps(&c, m))
        return false;
    return lit(&c, "findings ") && unum(&c, &len, '\n') && len == (uint64_t)(c.end - c.p) &&
           span(&c, len, &m->findings) && (m->findings_len = len, true);
}

static bool map_file(const char *path, const char **map, size_t *size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return false;
    bool ok = fstat(fd, &st) == 0 && st.st_size > 0;
    void *p = ok ? mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
    close(fd);
    if (p == MAP_FAILED)
        return false;
    *map = p;
    *size = (size_t)st.st_size;
    return true;
}

/* The checksum of each 4 MiB window, then of those: a results document of tens of MB is read
 * through a window at a time, so checking it does not make it resident all at once. */
static bool document_sum(const char *path, uint64_t *sum)
{
    enum { WINDOW = 4 << 20 };
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return false;
    bool ok = fstat(fd, &st) == 0;
    size_t size = ok ? (size_t)st.st_size : 0, n = size / WINDOW + 1;
    uint64_t *sums = xcalloc(n, sizeof *sums);
    for (size_t i = 0; ok && i * WINDOW < size; i++) {
        size_t len = size - i * WINDOW < WINDOW ? size - i * WINDOW : WINDOW;
        void *p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, (off_t)(i * WINDOW));
        ok = p != MAP_FAILED;
        if (ok) {
            sums[i] = checksum64(p, len);
            munmap(p, len);
        }
    }
    close(fd);
    *sum = checksum64(sums, n * sizeof *sums);
    free(sums);
    return ok;
}

static void memo_close(memo *m)
{
    free(m->document.path);
    dep_list_free(&m->deps);
    if (m->map)
        munmap((void *)m->map, m->size);
}

/* The results document the memo's run wrote, as it was written. */
static bool document_intact(const memo *m)
{
    dep now = {.path = m->document.path};
    uint64_t sum;
    return dep_stat(&now) && now.dev == m->document.dev && now.ino == m->document.ino &&
           now.size == m->document.size && now.mtime_ns == m->document.mtime_ns &&
           document_sum(m->document.path, &sum) && sum == m->document_sum;
}

/* A link, as results_write makes; a copy where the file system refuses hard links. */
static int point_latest_at(const char *document, const char *results_dir)
{
    char *latest = path_join(results_dir, "latest.json");
    struct stat a, b;
    bool already =
        stat(latest, &a) == 0 && stat(document, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
    tmgt_error err = {{0}};
    int rc = 0;
    if (!already && link_replace(document, latest) != 0) {
        char *data = NULL;
        size_t len = 0;
        rc = read_file(document, &data, &len, &err) == 0 ? write_file_atomic(latest, data, len, 0644, &err)
                                                         : -1;
        free(data);
    }
    if (rc != 0)
        fprintf(stderr, "tmgt: cannot write results: %s\n", err.msg);
    free(latest);
    return rc;
}

int run_memo_replay(const char *path, const char *results_dir, const report_console_opts *console,
                    uint64_t started_ms)
{
    memo m = {0};
    if (!map_file(path, &m.map, &m.size))
        return -1;
    bool usable = parse(&m) && (m.exit_code == EXIT_OK || m.exit_code == EXIT_CHECK_FAILED);
    const char *changed = NULL;
    for (size_t i = 0; usable && !changed && i < m.deps.count; i++)
        if (!dep_unchanged(&m.deps.items[i]))
            changed = m.deps.items[i].path;
    if (usable && !changed && !document_intact(&m))
        changed = m.document.path;
    if (!usable || changed) {
        if (changed && !console->quiet)
            fprintf(stderr, "tmgt: judging again: %s changed since the last identical run\n", changed);
        memo_close(&m);
        return -1;
    }
    int rc = point_latest_at(m.document.path, results_dir) == 0 ? (int)m.exit_code : EXIT_ENV;
    if (!console->quiet)
        fprintf(stderr,
                "tmgt: nothing changed since the last identical run (%.*s; %zu files unchanged): "
                "its %lld verdicts stand, in %s\n",
                (int)m.started_at_len, m.started_at, m.deps.count, (long long)(m.pass + m.fail + m.skip),
                m.document.path);
    cJSON *totals = cJSON_CreateObject();
    cJSON_AddNumberToObject(totals, "actions_executed", 0);
    cJSON_AddNumberToObject(totals, "actions_cached", (double)m.cached);
    cJSON_AddNumberToObject(totals, "wall_ms", (double)(now_ms() - started_ms));
    fwrite(m.findings, 1, m.findings_len, stdout);
    /* No timeouts: a timed-out action is never cached, so a run with one executed something
     * and left no memo. */
    report_counts n = {.pass = (int)m.pass, .fail = (int)m.fail, .skip = (int)m.skip};
    report_console_totals(totals, &n, stdout, console);
    cJSON_Delete(totals);
    memo_close(&m);
    return rc;
}

/* ---- writing ---- */

static void put_dep(strbuf *sb, const dep *d)
{
    sb_printf(sb, "%d %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRId64 " %" PRId64 " %zu ", d->present ? 1 : 0,
              d->dev, d->ino, d->size, d->mtime_ns, d->ctime_ns, strlen(d->path));
    sb_puts(sb, d->path);
    sb_putc(sb, '\n');
}

typedef struct {
    const char *first_lines;
    const strbuf *rest;
} memo_text;

static int write_memo(FILE *out, void *ctx)
{
    const memo_text *t = ctx;
    fputs(t->first_lines, out);
    fwrite(t->rest->buf, 1, t->rest->len, out);
    return ferror(out) ? -1 : 0;
}

int run_memo_save(const char *path, const run_memo_facts *f, tmgt_error *err)
{
    for (size_t i = 0; i < f->deps->count; i++)
        if (dep_is_racy(&f->deps->items[i], f->started_ns - RACY_MARGIN_NS))
            return 1;
    dep document = {.path = (char *)f->results_file};
    uint64_t sum;
    if (!dep_stat(&document) || !document_sum(f->results_file, &sum)) {
        err_set(err, "cannot read %s: %s", f->results_file, strerror(errno));
        return -1;
    }
    strbuf body;
    sb_init(&body);
    sb_printf(&body, "exit %d\ncounts %d %d %d %lld\n", f->exit_code, f->pass, f->fail, f->skip,
              f->actions_cached);
    sb_printf(&body, "document %016" PRIx64 " ", sum);
    put_dep(&body, &document);
    sb_printf(&body, "started %zu %s\n", strlen(f->started_at), f->started_at);
    sb_printf(&body, "deps %zu\n", f->deps->count);
    for (size_t i = 0; i < f->deps->count; i++)
        put_dep(&body, &f->deps->items[i]);
    sb_printf(&body, "findings %zu\n", f->findings_len);
    sb_append(&body, f->findings, f->findings_len);
    char *first = xasprintf(MEMO_MAGIC "sum %016" PRIx64 "\n", checksum64(body.buf, body.len));
    memo_text t = {first, &body};
    char *dir = xstrndup(path, (size_t)(strrchr(path, '/') - path));
    int rc = mkdir_p(dir, 0755, err) == 0 ? write_stream_atomic(path, 0644, write_memo, &t, err) : -1;
    free(dir);
    free(first);
    sb_free(&body);
    return rc;
}
