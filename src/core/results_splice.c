#include "results_splice.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"
#include "json_read.h"
#include "json_scan.h"
#include "json_stream.h"
#include "results.h"
#include "status.h"
#include "strmap.h"

/* A string as the document spells it (json_stream's escapes), to compare with its raw bytes. */
static char *spelled(const char *s)
{
    cJSON *str = cJSON_CreateString(s);
    char *text = json_stream_text(str, false);
    cJSON_Delete(str);
    return text;
}

typedef struct {
    char **items;
    size_t *lens;
    size_t n;
} spellings;

static void spell_all(spellings *out, const char *const *names, size_t n)
{
    out->items = xcalloc(n + 1, sizeof *out->items);
    out->lens = xcalloc(n + 1, sizeof *out->lens);
    out->n = n;
    for (size_t i = 0; i < n; i++) {
        out->items[i] = spelled(names[i]);
        out->lens[i] = strlen(out->items[i]);
    }
}

static bool spelled_in(const spellings *s, json_span raw)
{
    for (size_t i = 0; i < s->n; i++)
        if (json_span_is(raw, s->items[i], s->lens[i]))
            return true;
    return false;
}

static void spellings_free(spellings *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->items[i]);
    free(s->items);
    free(s->lens);
}

/* What the splice and the console read of one check entry, found in one walk of its members. */
typedef struct {
    json_span text, name, suite, model, prompt, status, detail, details, divergence;
    bool rejudged;
} check_fields;

static bool read_check(json_span e, check_fields *f)
{
#define FIELD(key, member)                                            \
    {                                                                 \
        "\"" key "\"", sizeof key + 1, offsetof(check_fields, member) \
    }
    static const struct {
        const char *key;
        size_t len, offset;
    } wanted[] = {FIELD("name", name),       FIELD("suite", suite),          FIELD("model", model),
                  FIELD("prompt", prompt),   FIELD("status", status),        FIELD("detail", detail),
                  FIELD("details", details), FIELD("divergence", divergence)};
#undef FIELD
    memset(f, 0, sizeof *f);
    f->text = e;
    const char *cursor = NULL;
    json_span k, v;
    bool bad = false;
    while (json_scan_member(e, &cursor, &k, &v, &bad))
        for (size_t i = 0; i < sizeof wanted / sizeof *wanted; i++)
            if (json_span_is(k, wanted[i].key, wanted[i].len))
                *(json_span *)((char *)f + wanted[i].offset) = v;
    return !bad && f->name.p && f->status.p && f->model.p && f->prompt.p;
}

typedef struct {
    json_span checks, actions, models, suites, counts, cached, failed, skipped;
    check_fields *items;
    size_t n;
} earlier_doc;

/* The top-level members the splice needs, in one walk (the checks are most of the bytes). */
static bool find_all(json_span root, earlier_doc *d)
{
    static const struct {
        const char *key;
        size_t offset;
    } wanted[] = {
        {"\"checks\"", offsetof(earlier_doc, checks)},
        {"\"actions\"", offsetof(earlier_doc, actions)},
        {"\"models\"", offsetof(earlier_doc, models)},
        {"\"suites\"", offsetof(earlier_doc, suites)},
        {"\"counts\"", offsetof(earlier_doc, counts)},
        {"\"actions_cached\"", offsetof(earlier_doc, cached)},
        {"\"actions_failed\"", offsetof(earlier_doc, failed)},
        {"\"actions_skipped\"", offsetof(earlier_doc, skipped)},
    };
    const char *cursor = NULL;
    json_span k, v;
    bool bad = false;
    size_t found = 0;
    while (json_scan_member(root, &cursor, &k, &v, &bad))
        for (size_t i = 0; i < sizeof wanted / sizeof *wanted; i++)
            if (json_span_is(k, wanted[i].key, strlen(wanted[i].key))) {
                *(json_span *)((char *)d + wanted[i].offset) = v;
                found++;
            }
    return !bad && found == sizeof wanted / sizeof *wanted;
}

/* Each check's fields, and whether it is one of `which`. */
static bool index_checks(earlier_doc *d, const spellings *models, const spellings *prompts)
{
    size_t cap = 1024;
    d->items = xcalloc(cap, sizeof *d->items);
    const char *cursor = NULL;
    json_span e;
    bool bad = false;
    while (json_scan_element(d->checks, &cursor, &e, &bad)) {
        if (d->n == cap)
            d->items = xrealloc(d->items, (cap *= 2) * sizeof *d->items);
        check_fields *c = &d->items[d->n++];
        /* The printer's separator, which fill copies with a run of entries. */
        if (!read_check(e, c) || (d->n > 1 && memcmp(e.p - 2, ", ", 2) != 0))
            return false;
        c->rejudged = spelled_in(models, c->model) && spelled_in(prompts, c->prompt);
    }
    return !bad;
}

static cJSON *parse_span(json_span s)
{
    return cJSON_ParseWithLength(s.p, (size_t)(s.end - s.p));
}

/* The counts' key of a status as the document spells it: "pass" for "\"PASS\"". */
static void count_status(cJSON *counts, json_span status, int by)
{
    cJSON *name = parse_span(status);
    char key[16] = "";
    for (size_t i = 0; cJSON_IsString(name) && name->valuestring[i] && i + 1 < sizeof key; i++)
        key[i] = (char)tolower((unsigned char)name->valuestring[i]);
    cJSON *n = cJSON_GetObjectItemCaseSensitive(counts, key);
    if (cJSON_IsNumber(n))
        cJSON_SetNumberValue(n, n->valuedouble + by);
    cJSON_Delete(name);
}

/* The earlier models, each of `which` replaced by the part's entry for it. */
static cJSON *merged_models(json_span earlier, const cJSON *part, const rejudged_checks *which,
                            tmgt_error *err)
{
    cJSON *models = parse_span(earlier);
    if (!cJSON_IsArray(models)) {
        cJSON_Delete(models);
        err_set(err, "the earlier results document's models do not parse");
        return NULL;
    }
    for (cJSON *m = models->child; m; m = m->next) {
        const char *slug = json_str(m, "slug");
        bool rejudged = false;
        for (size_t i = 0; slug && i < which->n_models; i++)
            rejudged |= !strcmp(which->models[i], slug);
        if (!rejudged)
            continue;
        const cJSON *now = NULL, *p;
        cJSON_ArrayForEach (p, json_array(part, "models"))
            if (json_str(p, "slug") && !strcmp(json_str(p, "slug"), slug))
                now = p;
        if (!now) {
            err_set(err, "the rerun did not plan model %s", slug);
            cJSON_Delete(models);
            return NULL;
        }
        cJSON *copy = cJSON_Duplicate(now, true);
        cJSON_ReplaceItemViaPointer(models, m, copy);
        m = copy;
    }
    return models;
}

/* The part's checks of `which`, in its order. */
static cJSON *rejudged_entries(const cJSON *part, const spellings *models, const spellings *prompts)
{
    cJSON *out = cJSON_CreateArray();
    const cJSON *c;
    cJSON_ArrayForEach (c, json_array(part, "checks")) {
        char *model = json_stream_text(cJSON_GetObjectItemCaseSensitive(c, "model"), false);
        char *prompt = json_stream_text(cJSON_GetObjectItemCaseSensitive(c, "prompt"), false);
        json_span m = {model, model + strlen(model)}, p = {prompt, prompt + strlen(prompt)};
        if (spelled_in(models, m) && spelled_in(prompts, p))
            cJSON_AddItemToArray(out, cJSON_Duplicate(c, true));
        free(model);
        free(prompt);
    }
    return out;
}

/* The part's header, in its own order, with the earlier document's values where a whole run's
 * would be the same as the earlier one's (the suites, what the earlier run found cached) and
 * the merged models and counts; the checks judged again last, and no actions (they are the
 * earlier document's: the part executed nothing). */
static cJSON *header_of(const cJSON *part, const earlier_doc *d, cJSON *models, cJSON *counts, cJSON *checks)
{
    cJSON *head = cJSON_CreateObject();
    const cJSON *item;
    cJSON_ArrayForEach (item, part) {
        const char *k = item->string;
        cJSON *v = !strcmp(k, "models")                            ? models
                   : !strcmp(k, "counts")                          ? counts
                   : !strcmp(k, "suites")                          ? parse_span(d->suites)
                   : !strcmp(k, "actions_cached")                  ? parse_span(d->cached)
                   : !strcmp(k, "actions_failed")                  ? parse_span(d->failed)
                   : !strcmp(k, "actions_skipped")                 ? parse_span(d->skipped)
                   : !strcmp(k, "checks") || !strcmp(k, "actions") ? NULL
                                                                   : cJSON_Duplicate(item, true);
        if (v)
            cJSON_AddItemToObject(head, k, v);
    }
    cJSON_AddItemToObject(head, "checks", checks);
    return head;
}

/* What the spliced document is made of: the header as printed (up to the checks), then for
 * each earlier check its own bytes or the one judged again under its name, then the actions. */
typedef struct {
    const char *head;
    size_t head_len;
    const earlier_doc *d;
    strmap again; /* spelled name → check_fields* of the header's printed checks */
    check_fields *fresh;
} splice_plan;

/* The entry the spliced document has for an earlier check (plan_splice found every one). */
static const check_fields *final_entry(const splice_plan *s, const check_fields *c)
{
    if (!c->rejudged)
        return c;
    char *name = xstrndup(c->name.p, (size_t)(c->name.end - c->name.p));
    const check_fields *f = strmap_get(&s->again, name);
    free(name);
    return f;
}

static int fill(FILE *out, void *ctx)
{
    const splice_plan *s = ctx;
    fwrite(s->head, 1, s->head_len, out);
    fputs(",\n\t\"checks\":\t[", out);
    /* A run of earlier checks goes out as one copy, the separators between them included. */
    const char *run = NULL;
    for (size_t i = 0; i < s->d->n; i++) {
        const check_fields *c = &s->d->items[i];
        if (!c->rejudged) {
            if (!run)
                run = i ? c->text.p - 2 : c->text.p; /* from its ", " on */
            if (i + 1 < s->d->n && !s->d->items[i + 1].rejudged)
                continue;
            fwrite(run, 1, (size_t)(c->text.end - run), out);
            run = NULL;
            continue;
        }
        json_span t = final_entry(s, c)->text;
        if (i)
            fputs(", ", out);
        fwrite(t.p, 1, (size_t)(t.end - t.p), out);
    }
    fputs("],\n\t\"actions\":\t", out);
    fwrite(s->d->actions.p, 1, (size_t)(s->d->actions.end - s->d->actions.p), out);
    fputs("\n}", out);
    return ferror(out) ? -1 : 0;
}

/* Indexes the printed header's checks by name and cuts the text before them; false unless
 * each earlier check judged again has exactly one there and there are no others. */
static bool plan_splice(splice_plan *s, char *printed, const earlier_doc *d, tmgt_error *err)
{
    json_span root, key, value, checks = {0};
    json_span all = {printed, printed + strlen(printed)};
    const char *cursor = NULL;
    const char *checks_key = NULL;
    if (!json_scan_outer(all, &root))
        return err_set(err, "the rerun's document does not scan"), false;
    while (json_scan_member(root, &cursor, &key, &value, NULL))
        if (json_span_is(key, "\"checks\"", 8)) {
            checks = value;
            checks_key = key.p;
        }
    const char *comma = checks_key;
    while (comma && comma > printed && *comma != ',')
        comma--;
    if (!comma || comma == printed)
        return err_set(err, "the rerun's document has no checks"), false;
    s->head = printed;
    s->head_len = (size_t)(comma - printed);
    size_t n = 0, expected = 0;
    for (size_t i = 0; i < d->n; i++)
        expected += d->items[i].rejudged;
    s->fresh = xcalloc(expected + 1, sizeof *s->fresh);
    cursor = NULL;
    json_span e;
    while (json_scan_element(checks, &cursor, &e, NULL)) {
        check_fields *f = &s->fresh[n];
        if (n == expected || !read_check(e, f))
            return err_set(err, "the rerun judged checks the earlier run did not"), false;
        char *spelled_name = xstrndup(f->name.p, (size_t)(f->name.end - f->name.p));
        bool fresh = strmap_get(&s->again, spelled_name) == NULL;
        if (fresh) {
            strmap_put(&s->again, spelled_name, f);
            n++;
        }
        free(spelled_name);
        if (!fresh)
            return err_set(err, "the rerun judged a check twice"), false;
    }
    for (size_t i = 0; i < d->n; i++) {
        const check_fields *c = &d->items[i];
        char *spelled_name = c->rejudged ? xstrndup(c->name.p, (size_t)(c->name.end - c->name.p)) : NULL;
        bool found = !c->rejudged || strmap_get(&s->again, spelled_name);
        free(spelled_name);
        if (!found)
            return err_set(err, "the rerun did not judge a check the earlier run did"), false;
    }
    if (n != expected)
        return err_set(err, "the rerun judged %zu checks, the earlier run %zu", n, expected), false;
    return true;
}

static void add_span(cJSON *obj, const char *key, json_span s)
{
    cJSON *v = s.p ? parse_span(s) : NULL;
    if (v)
        cJSON_AddItemToObject(obj, key, v);
}

/* What the console report reads of one check (report_console.c: its line, the matrix). */
static cJSON *check_summary(const check_fields *f)
{
    cJSON *c = cJSON_CreateObject();
    add_span(c, "name", f->name);
    add_span(c, "suite", f->suite);
    add_span(c, "model", f->model);
    add_span(c, "status", f->status);
    add_span(c, "detail", f->detail);
    add_span(c, "details", f->details);
    const char *status = json_str(c, "status");
    if (status && check_status_parse(status) == CHECK_FAIL)
        add_span(c, "divergence", f->divergence);
    return c;
}

static cJSON *summary_of(const cJSON *head, const splice_plan *s)
{
    cJSON *sum = cJSON_CreateObject();
    static const char *const header[] = {"wall_ms", "interrupted", "engines",          "models",
                                         "suites",  "counts",      "actions_executed", "actions_cached"};
    for (size_t i = 0; i < sizeof header / sizeof *header; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(head, header[i]);
        if (v)
            cJSON_AddItemToObject(sum, header[i], cJSON_Duplicate(v, true));
    }
    cJSON *checks = cJSON_AddArrayToObject(sum, "checks");
    for (size_t i = 0; i < s->d->n; i++) {
        cJSON_AddItemToArray(checks, check_summary(final_entry(s, &s->d->items[i])));
    }
    return sum;
}

int results_splice(const char *earlier, const cJSON *part, const rejudged_checks *which,
                   const char *results_dir, char **written, cJSON **summary, tmgt_error *err)
{
    *written = NULL;
    *summary = NULL;
    const char *text = NULL;
    size_t len = 0;
    if (!map_file(earlier, &text, &len)) {
        err_set(err, "cannot read %s: %s", earlier, strerror(errno));
        return -1;
    }
    spellings models, prompts;
    spell_all(&models, which->models, which->n_models);
    spell_all(&prompts, which->prompts, which->n_prompts);
    earlier_doc d = {0};
    json_span root;
    int rc = -1;
    cJSON *head = NULL, *counts = NULL, *merged = NULL;
    char *printed = NULL;
    splice_plan s = {.d = &d};
    strmap_init(&s.again);
    if (!json_scan_outer((json_span){text, text + len}, &root) || !find_all(root, &d) ||
        !index_checks(&d, &models, &prompts)) {
        err_set(err, "%s: not a results document this tmgt wrote", earlier);
        goto done;
    }
    counts = parse_span(d.counts);
    merged = merged_models(d.models, part, which, err);
    if (!cJSON_IsObject(counts) || !merged)
        goto done;
    cJSON *again = rejudged_entries(part, &models, &prompts);
    for (size_t i = 0; i < d.n; i++)
        if (d.items[i].rejudged)
            count_status(counts, d.items[i].status, -1);
    const cJSON *c;
    cJSON_ArrayForEach (c, again) {
        char *status = json_stream_text(cJSON_GetObjectItemCaseSensitive(c, "status"), false);
        count_status(counts, (json_span){status, status + strlen(status)}, +1);
        free(status);
    }
    head = header_of(part, &d, merged, counts, again);
    merged = counts = NULL; /* the header owns them */
    printed = json_stream_text(head, true);
    if (!plan_splice(&s, printed, &d, err))
        goto done;
    if (results_write_with(fill, &s, results_dir, written, err) != 0)
        goto done;
    *summary = summary_of(head, &s);
    rc = 0;
done:
    cJSON_Delete(head);
    cJSON_Delete(counts);
    cJSON_Delete(merged);
    free(printed);
    strmap_free(&s.again);
    free(s.fresh);
    free(d.items);
    spellings_free(&models);
    spellings_free(&prompts);
    unmap_file(text, len);
    return rc;
}
