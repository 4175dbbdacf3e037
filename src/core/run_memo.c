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
#include "strmap.h"

/* 3: the checksums are XXH3 (checksum.h); 4: the oracle files' checksums. A memo of another
 * version is ignored, never misread. */
#define MEMO_MAGIC "tmgt run memo 4\n"

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
    size_t dep; /* its index in deps */
    uint64_t sum;
    char *slug, *prompt;
    bool action_input;
} oracle_line;

struct run_memo {
    const char *map;
    size_t size;
    const char *findings, *started_at;
    size_t findings_len;
    uint64_t started_at_len;
    int64_t exit_code, pass, fail, skip, cached;
    uint64_t document_sum;
    dep document; /* its ctime is not compared: linking latest.json to it changes that */
    dep_list deps;
    oracle_line *oracles;
    size_t n_oracles;
    bool refreshed; /* run_memo_compare found files touched or edited, and took their new stat */
};

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

static bool parse_deps(cursor *c, run_memo *m)
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

static bool parse_oracles(cursor *c, run_memo *m)
{
    uint64_t n;
    if (!lit(c, "oracles ") || !unum(c, &n, '\n') || n > (uint64_t)(c->end - c->p))
        return false;
    m->oracles = xcalloc(n + 1, sizeof *m->oracles);
    for (; m->n_oracles < n; m->n_oracles++) {
        oracle_line *o = &m->oracles[m->n_oracles];
        uint64_t index, input, slug_len, prompt_len;
        const char *slug, *prompt;
        if (!unum(c, &index, ' ') || index >= m->deps.count || !hex64(c, &o->sum, ' ') ||
            !unum(c, &input, ' ') || input > 1 || !unum(c, &slug_len, ' ') || !span(c, slug_len, &slug) ||
            !lit(c, " ") || !unum(c, &prompt_len, ' ') || !span(c, prompt_len, &prompt) || !lit(c, "\n"))
            return false;
        o->dep = (size_t)index;
        o->action_input = input == 1;
        o->slug = xstrndup(slug, slug_len);
        o->prompt = xstrndup(prompt, prompt_len);
    }
    return true;
}

/* Parses and checks the memo: false when it is not one this tmgt wrote whole. */
static bool parse(run_memo *m)
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
        !span(&c, m->started_at_len, &m->started_at) || !lit(&c, "\n") || !parse_deps(&c, m) ||
        !parse_oracles(&c, m))
        return false;
    return lit(&c, "findings ") && unum(&c, &len, '\n') && len == (uint64_t)(c.end - c.p) &&
           span(&c, len, &m->findings) && (m->findings_len = len, true);
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

void run_memo_close(run_memo *m)
{
    if (!m)
        return;
    free(m->document.path);
    dep_list_free(&m->deps);
    for (size_t i = 0; i < m->n_oracles; i++) {
        free(m->oracles[i].slug);
        free(m->oracles[i].prompt);
    }
    free(m->oracles);
    if (m->map)
        unmap_file(m->map, m->size);
    free(m);
}

run_memo *run_memo_open(const char *path)
{
    run_memo *m = xcalloc(1, sizeof *m);
    if (!map_file(path, &m->map, &m->size) || !parse(m) ||
        (m->exit_code != EXIT_OK && m->exit_code != EXIT_CHECK_FAILED)) {
        run_memo_close(m);
        return NULL;
    }
    return m;
}

const char *run_memo_document(const run_memo *m)
{
    return m->document.path;
}

long long run_memo_actions_cached(const run_memo *m)
{
    return (long long)m->cached;
}

/* The results document the memo's run wrote, as it was written. */
static bool document_intact(const run_memo *m)
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

static void add_once(char ***list, size_t *n, const char *s)
{
    for (size_t i = 0; i < *n; i++)
        if (!strcmp((*list)[i], s))
            return;
    *list = xrealloc(*list, (*n + 2) * sizeof **list);
    (*list)[(*n)++] = xstrdup(s);
}

void memo_edits_free(memo_edits *e)
{
    for (size_t i = 0; i < e->n_models; i++)
        free(e->models[i]);
    for (size_t i = 0; i < e->n_prompts; i++)
        free(e->prompts[i]);
    free(e->models);
    free(e->prompts);
    memset(e, 0, sizeof *e);
}

/* The oracle file behind a changed dep: its bytes now, against the checksum the memo kept. A file
 * that cannot be read now is no edit to judge, but a run to redo (it says what is wrong); so is
 * an edit that an action reads. */
typedef enum { ORACLE_SAME, ORACLE_EDITED, ORACLE_UNREADABLE } oracle_state;

static oracle_state oracle_now(oracle_line *o, const dep *d)
{
    char *data = NULL;
    size_t len = 0;
    tmgt_error err = {{0}};
    if (read_file(d->path, &data, &len, &err) != 0)
        return ORACLE_UNREADABLE;
    uint64_t sum = checksum64(data, len);
    free(data);
    bool same = sum == o->sum;
    o->sum = sum;
    return same ? ORACLE_SAME : ORACLE_EDITED;
}

memo_verdict run_memo_compare(run_memo *m, const report_console_opts *console, memo_edits *edits)
{
    memset(edits, 0, sizeof *edits);
    ssize_t *oracle_of = xmalloc((m->deps.count + 1) * sizeof *oracle_of);
    for (size_t i = 0; i < m->deps.count; i++)
        oracle_of[i] = -1;
    for (size_t i = 0; i < m->n_oracles; i++)
        oracle_of[m->oracles[i].dep] = (ssize_t)i;
    const char *changed = NULL, *edited = NULL;
    size_t n_edited = 0;
    for (size_t i = 0; !changed && i < m->deps.count; i++) {
        dep *d = &m->deps.items[i];
        if (dep_unchanged(d))
            continue;
        oracle_line *o = oracle_of[i] >= 0 ? &m->oracles[oracle_of[i]] : NULL;
        /* the stat before the bytes, as the run that read it: a change in between is racy */
        oracle_state st = o && dep_stat(d) ? oracle_now(o, d) : ORACLE_UNREADABLE;
        if (st == ORACLE_UNREADABLE || (st == ORACLE_EDITED && o->action_input)) {
            changed = d->path;
            break;
        }
        m->refreshed = true;
        if (st == ORACLE_EDITED) {
            add_once(&edits->models, &edits->n_models, o->slug);
            add_once(&edits->prompts, &edits->n_prompts, o->prompt);
            edited = d->path;
            n_edited++;
        }
    }
    free(oracle_of);
    if (!changed && !document_intact(m))
        changed = m->document.path;
    if (changed || !n_edited)
        memo_edits_free(edits);
    if (changed) {
        if (!console->quiet)
            fprintf(stderr, "tmgt: judging again: %s changed since the last identical run\n", changed);
        return MEMO_STALE;
    }
    if (n_edited == 1 && !console->quiet)
        fprintf(stderr,
                "tmgt: judging again the checks that read %s: it changed since the last identical run\n",
                edited);
    else if (n_edited && !console->quiet)
        fprintf(stderr,
                "tmgt: judging again the checks that read %s and %zu other oracle files: they changed since "
                "the last identical run\n",
                edited, n_edited - 1);
    return n_edited ? MEMO_ORACLES_EDITED : MEMO_STANDS;
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

static int write_body(const char *path, const strbuf *body, tmgt_error *err)
{
    char *first = xasprintf(MEMO_MAGIC "sum %016" PRIx64 "\n", checksum64(body->buf, body->len));
    memo_text t = {first, body};
    char *dir = xstrndup(path, (size_t)(strrchr(path, '/') - path));
    int rc = mkdir_p(dir, 0755, err) == 0 ? write_stream_atomic(path, 0644, write_memo, &t, err) : -1;
    free(dir);
    free(first);
    return rc;
}

static void put_body(strbuf *body, const run_memo_outcome *out, const dep_list *deps,
                     const oracle_line *oracles, size_t n_oracles, const dep *document, uint64_t document_sum)
{
    sb_printf(body, "exit %d\ncounts %d %d %d %lld\n", out->exit_code, out->pass, out->fail, out->skip,
              out->actions_cached);
    sb_printf(body, "document %016" PRIx64 " ", document_sum);
    put_dep(body, document);
    sb_printf(body, "started %zu %s\n", strlen(out->started_at), out->started_at);
    sb_printf(body, "deps %zu\n", deps->count);
    for (size_t i = 0; i < deps->count; i++)
        put_dep(body, &deps->items[i]);
    sb_printf(body, "oracles %zu\n", n_oracles);
    for (size_t i = 0; i < n_oracles; i++)
        sb_printf(body, "%zu %016" PRIx64 " %d %zu %s %zu %s\n", oracles[i].dep, oracles[i].sum,
                  oracles[i].action_input ? 1 : 0, strlen(oracles[i].slug), oracles[i].slug,
                  strlen(oracles[i].prompt), oracles[i].prompt);
    sb_printf(body, "findings %zu\n", out->findings_len);
    sb_append(body, out->findings, out->findings_len);
}

/* None of the files changed within the racy margin before `since_ns`: they can vouch for a memo. */
static bool can_vouch(const dep_list *deps, int64_t since_ns)
{
    for (size_t i = 0; i < deps->count; i++)
        if (dep_is_racy(&deps->items[i], since_ns - RACY_MARGIN_NS))
            return false;
    return true;
}

/* The memo as it is now, with the stat of the oracle files run_memo_compare read again: unless
 * one of them changed too recently to vouch for it (then the next rerun reads it again). */
static void refresh(const run_memo *m, const char *path)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    if (!can_vouch(&m->deps, timespec_ns(now)))
        return;
    run_memo_outcome out = {.findings = m->findings,
                            .findings_len = m->findings_len,
                            .pass = (int)m->pass,
                            .fail = (int)m->fail,
                            .skip = (int)m->skip,
                            .exit_code = (int)m->exit_code,
                            .actions_cached = m->cached};
    char *started = xstrndup(m->started_at, m->started_at_len);
    out.started_at = started;
    strbuf body;
    sb_init(&body);
    put_body(&body, &out, &m->deps, m->oracles, m->n_oracles, &m->document, m->document_sum);
    tmgt_error err = {{0}};
    if (write_body(path, &body, &err) != 0)
        fprintf(stderr,
                "tmgt: warning: the next identical run will read the touched oracle files again: %s\n",
                err.msg);
    sb_free(&body);
    free(started);
}

int run_memo_replay(run_memo *m, const char *path, const char *results_dir,
                    const report_console_opts *console, uint64_t started_ms)
{
    int rc = point_latest_at(m->document.path, results_dir) == 0 ? (int)m->exit_code : EXIT_ENV;
    if (!console->quiet)
        fprintf(stderr,
                "tmgt: nothing changed since the last identical run (%.*s; %zu files unchanged): "
                "its %lld verdicts stand, in %s\n",
                (int)m->started_at_len, m->started_at, m->deps.count,
                (long long)(m->pass + m->fail + m->skip), m->document.path);
    cJSON *totals = cJSON_CreateObject();
    cJSON_AddNumberToObject(totals, "actions_executed", 0);
    cJSON_AddNumberToObject(totals, "actions_cached", (double)m->cached);
    cJSON_AddNumberToObject(totals, "wall_ms", (double)(now_ms() - started_ms));
    fwrite(m->findings, 1, m->findings_len, stdout);
    /* No timeouts: a timed-out action is never cached, so a run with one executed something
     * and left no memo. */
    report_counts n = {.pass = (int)m->pass, .fail = (int)m->fail, .skip = (int)m->skip};
    report_console_totals(totals, &n, stdout, console);
    cJSON_Delete(totals);
    if (m->refreshed)
        refresh(m, path);
    return rc;
}

/* The memo of a run that produced `out` from `deps` (none of them changed since started_ns,
 * less the racy margin) into `out->results_file`. */
static int save(const char *path, const run_memo_outcome *out, const dep_list *deps,
                const oracle_line *oracles, size_t n_oracles, int64_t started_ns, tmgt_error *err)
{
    if (!can_vouch(deps, started_ns))
        return 1;
    dep document = {.path = (char *)out->results_file};
    uint64_t sum;
    if (!dep_stat(&document) || !document_sum(out->results_file, &sum)) {
        err_set(err, "cannot read %s: %s", out->results_file, strerror(errno));
        return -1;
    }
    strbuf body;
    sb_init(&body);
    put_body(&body, out, deps, oracles, n_oracles, &document, sum);
    int rc = write_body(path, &body, err);
    sb_free(&body);
    return rc;
}

int run_memo_save(const char *path, const run_memo_facts *f, tmgt_error *err)
{
    /* Each oracle by the index of its file among the deps (every oracle file read is one). */
    strmap index;
    strmap_init(&index);
    for (size_t i = 0; i < f->deps->count; i++)
        strmap_put(&index, f->deps->items[i].path, &f->deps->items[i]);
    oracle_line *lines = xcalloc(f->n_oracles + 1, sizeof *lines);
    size_t n = 0;
    for (size_t i = 0; i < f->n_oracles; i++) {
        const dep *d = strmap_get(&index, f->oracles[i].path);
        if (!d)
            continue;
        lines[n++] = (oracle_line){.dep = (size_t)(d - f->deps->items),
                                   .sum = f->oracles[i].sum,
                                   .slug = (char *)f->oracles[i].slug,
                                   .prompt = (char *)f->oracles[i].prompt,
                                   .action_input = f->oracles[i].action_input};
    }
    strmap_free(&index);
    int rc = save(path, &f->out, f->deps, lines, n, f->started_ns, err);
    free(lines);
    return rc;
}

int run_memo_save_rejudged(const run_memo *m, const char *path, const run_memo_outcome *out,
                           int64_t started_ns, tmgt_error *err)
{
    return save(path, out, &m->deps, m->oracles, m->n_oracles, started_ns, err);
}
