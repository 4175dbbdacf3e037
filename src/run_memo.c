#define _GNU_SOURCE /* memmem */
#include "run_memo.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "checksum.h"
#include "hash.h"
#include "json_stream.h"
#include "report.h"

#define MEMO_MAGIC "tmgt run memo 1\n"

/* The results document's members after its header begin here: every string in it escapes
 * newlines and tabs, and nested members are indented deeper, so the first match is the one. */
static const char BODY_MARK[] = "\n\t\"engines\":\t";

/* A file's timestamp can lag the clock by a tick; a change this close to the run's start could
 * be followed by another that leaves size and timestamps as they were. */
static const int64_t RACY_MARGIN_NS = 100 * 1000000LL;

extern char **environ;

bool run_memo_applies(const cli_opts *o)
{
    bool runs = !strcmp(o->command, "run") || !strcmp(o->command, "check") || !strcmp(o->command, "convert");
    return runs && !o->json && !o->no_cache && !o->rerun_failed && o->verbose == 0;
}

static bool env_matters(const char *entry)
{
    static const char *const prefixes[] = {"TMGT_", "HF_", "PATH=", "HOME=", "TRANSFORMERS_OFFLINE=", "NO_COLOR="};
    for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++)
        if (!strncmp(entry, prefixes[i], strlen(prefixes[i])))
            return true;
    return false;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char *run_memo_path(const cli_opts *o, bool color, bool gpu)
{
    hasher *h = hasher_new();
    hasher_field_str(h, "memo", MEMO_MAGIC);
    hasher_field_str(h, "tmgt", TMGT_VERSION);
    char *cwd = getcwd(NULL, 0);
    hasher_field_str(h, "cwd", cwd ? cwd : "");
    free(cwd);
    for (int i = 1; i < o->argc; i++)
        hasher_field_str(h, "arg", o->argv[i]);
    size_t n = 0;
    for (char **e = environ; e && *e; e++)
        n++;
    const char **vars = xcalloc(n + 1, sizeof *vars);
    size_t k = 0;
    for (char **e = environ; e && *e; e++)
        if (env_matters(*e))
            vars[k++] = *e;
    qsort(vars, k, sizeof *vars, cmp_str);
    for (size_t i = 0; i < k; i++)
        hasher_field_str(h, "env", vars[i]);
    free(vars);
    hasher_field_str(h, "color", color ? "1" : "0");
    hasher_field_str(h, "gpu", gpu ? "1" : "0");
    digest d;
    hasher_final(h, &d);
    return xasprintf("%s/memo/%s", o->cache_dir, d.hex);
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
    const char *pipeline, *findings, *body;
    size_t pipeline_len, findings_len, body_len;
    int64_t exit_code, pass, fail, skip, cached;
    dep_list deps;
} memo;

static bool parse_deps(cursor *c, memo *m)
{
    uint64_t n;
    if (!lit(c, "deps ") || !unum(c, &n, '\n') || n > (uint64_t)(c->end - c->p))
        return false;
    m->deps.items = xcalloc(n + 1, sizeof *m->deps.items);
    for (uint64_t i = 0; i < n; i++) {
        dep *d = &m->deps.items[i];
        int64_t present, mt, ct;
        uint64_t len;
        const char *path;
        if (!num(c, &present, ' ') || !unum(c, &d->dev, ' ') || !unum(c, &d->ino, ' ') || !unum(c, &d->size, ' ') ||
            !num(c, &mt, ' ') || !num(c, &ct, ' ') || !unum(c, &len, ' ') || !span(c, len, &path) || !lit(c, "\n"))
            return false;
        d->present = present == 1;
        d->mtime_ns = mt;
        d->ctime_ns = ct;
        d->path = xstrndup(path, len);
        m->deps.count++;
    }
    return true;
}

/* Parses and checks the memo: false when it is not one this tmgt wrote whole. */
static bool parse(memo *m)
{
    cursor c = {m->map, m->map + m->size};
    uint64_t head_sum, body_sum, len;
    if (!lit(&c, MEMO_MAGIC) || !lit(&c, "sum ") || !hex64(&c, &head_sum, ' ') || !hex64(&c, &body_sum, '\n'))
        return false;
    const char *head = c.p;
    if (!lit(&c, "pipeline ") || !unum(&c, &len, ' ') || !span(&c, len, &m->pipeline) || !lit(&c, "\n"))
        return false;
    m->pipeline_len = len;
    if (!lit(&c, "exit ") || !num(&c, &m->exit_code, '\n') || !lit(&c, "counts ") || !num(&c, &m->pass, ' ') ||
        !num(&c, &m->fail, ' ') || !num(&c, &m->skip, ' ') || !num(&c, &m->cached, '\n') || !parse_deps(&c, m))
        return false;
    if (!lit(&c, "findings ") || !unum(&c, &len, '\n') || !span(&c, len, &m->findings))
        return false;
    m->findings_len = len;
    if (!lit(&c, "body ") || !unum(&c, &len, '\n') || len != (uint64_t)(c.end - c.p))
        return false;
    m->body = c.p;
    m->body_len = len;
    return checksum64(head, (size_t)(m->body - head)) == head_sum && checksum64(m->body, m->body_len) == body_sum;
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

static void memo_close(memo *m)
{
    dep_list_free(&m->deps);
    if (m->map)
        munmap((void *)m->map, m->size);
}

typedef struct {
    const cJSON *header;
    const memo *m;
} replay_doc;

static int write_replayed(FILE *out, void *ctx)
{
    const replay_doc *r = ctx;
    if (json_stream_print_open(r->header, out) != 0)
        return -1;
    return fwrite(r->m->body, 1, r->m->body_len, out) == r->m->body_len ? 0 : -1;
}

int run_memo_replay(const char *path, const cli_opts *o, const run_info *info, uint64_t started_ms)
{
    memo m = {0};
    if (!map_file(path, &m.map, &m.size))
        return -1;
    bool usable = parse(&m) && (m.exit_code == EXIT_OK || m.exit_code == EXIT_CHECK_FAILED);
    const dep *changed = NULL;
    for (size_t i = 0; usable && !changed && i < m.deps.count; i++)
        if (!dep_unchanged(&m.deps.items[i]))
            changed = &m.deps.items[i];
    if (!usable || changed) {
        if (changed && !o->quiet)
            fprintf(stderr, "tmgt: judging again: %s %s since the last identical run\n", changed->path,
                    changed->present ? "changed" : "appeared");
        memo_close(&m);
        return -1;
    }
    char *pipeline_path = xstrndup(m.pipeline, m.pipeline_len);
    cJSON *header = results_header(pipeline_path, info, now_ms() - started_ms, false);
    free(pipeline_path);
    replay_doc r = {header, &m};
    tmgt_error err = {{0}};
    int rc = (int)m.exit_code;
    if (results_publish(o->results_dir, write_replayed, &r, NULL, &err) != 0) {
        fprintf(stderr, "tmgt: cannot write results: %s\n", err.msg);
        rc = EXIT_ENV;
    }
    if (!o->quiet)
        fprintf(stderr, "tmgt: nothing changed since the last identical run (%zu files unchanged): "
                        "%lld actions cached, %lld verdicts replayed\n",
                m.deps.count, (long long)m.cached, (long long)(m.pass + m.fail + m.skip));
    cJSON_AddNumberToObject(header, "actions_executed", 0);
    cJSON_AddNumberToObject(header, "actions_cached", (double)m.cached);
    fwrite(m.findings, 1, m.findings_len, stdout);
    report_console_totals(header, (int)m.pass, (int)m.fail, (int)m.skip, stdout);
    cJSON_Delete(header);
    memo_close(&m);
    return rc;
}

/* ---- writing ---- */

typedef struct {
    const char *first_lines;
    const strbuf *head;
    const char *body;
    size_t body_len;
} memo_text;

static int write_memo(FILE *out, void *ctx)
{
    const memo_text *t = ctx;
    fputs(t->first_lines, out);
    fwrite(t->head->buf, 1, t->head->len, out);
    return fwrite(t->body, 1, t->body_len, out) == t->body_len && !ferror(out) ? 0 : -1;
}

static void put_deps(strbuf *sb, const dep_list *deps)
{
    sb_printf(sb, "deps %zu\n", deps->count);
    for (size_t i = 0; i < deps->count; i++) {
        const dep *d = &deps->items[i];
        sb_printf(sb, "%d %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRId64 " %" PRId64 " %zu ", d->present ? 1 : 0,
                  d->dev, d->ino, d->size, d->mtime_ns, d->ctime_ns, strlen(d->path));
        sb_puts(sb, d->path);
        sb_putc(sb, '\n');
    }
}

int run_memo_save(const char *path, const run_memo_facts *f, tmgt_error *err)
{
    for (size_t i = 0; i < f->deps->count; i++)
        if (dep_is_racy(&f->deps->items[i], f->started_ns - RACY_MARGIN_NS))
            return 1;
    const char *doc;
    size_t doc_size;
    if (!map_file(f->results_file, &doc, &doc_size)) {
        err_set(err, "cannot read %s: %s", f->results_file, strerror(errno));
        return -1;
    }
    const char *mark = memmem(doc, doc_size, BODY_MARK, sizeof BODY_MARK - 1);
    if (!mark) {
        err_set(err, "%s: no \"engines\" member", f->results_file);
        munmap((void *)doc, doc_size);
        return -1;
    }
    const char *body = mark + 1;
    size_t body_len = doc_size - (size_t)(body - doc);
    strbuf head;
    sb_init(&head);
    sb_printf(&head, "pipeline %zu %s\n", strlen(f->pipeline_path), f->pipeline_path);
    sb_printf(&head, "exit %d\ncounts %d %d %d %lld\n", f->exit_code, f->pass, f->fail, f->skip, f->actions_cached);
    put_deps(&head, f->deps);
    sb_printf(&head, "findings %zu\n", f->findings_len);
    sb_append(&head, f->findings, f->findings_len);
    sb_printf(&head, "body %zu\n", body_len);
    char *first = xasprintf(MEMO_MAGIC "sum %016" PRIx64 " %016" PRIx64 "\n", checksum64(head.buf, head.len),
                            checksum64(body, body_len));
    memo_text t = {first, &head, body, body_len};
    char *dir = xstrndup(path, (size_t)(strrchr(path, '/') - path));
    int rc = mkdir_p(dir, 0755, err) == 0 ? write_stream_atomic(path, 0644, write_memo, &t, err) : -1;
    free(dir);
    free(first);
    sb_free(&head);
    munmap((void *)doc, doc_size);
    return rc;
}
