#include "report.h"
#include "html_pictures.h"
#include "report_common.h"

#include <stdlib.h>
#include <string.h>

#define DIGEST_SHOWN 12

static const char CSS[] =
    "body{font:15px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1f2328;"
    "max-width:76em;margin:2em auto;padding:0 1.5em}\n"
    "h1{font-size:1.7em;margin:0 0 .3em}h2{margin-top:1.8em;border-bottom:1px solid #d0d7de}\n"
    "code,pre,table.tokens{font-family:ui-monospace,'SFMono-Regular',Menlo,Consolas,monospace;"
    "font-size:13px}\n"
    "pre{background:#f6f8fa;padding:.7em 1em;border-radius:6px;white-space:pre-wrap;"
    "word-break:break-all;margin:.4em 0}\n"
    "table{border-collapse:collapse;margin:.6em 0}th,td{border:1px solid #d0d7de;"
    "padding:.25em .7em;text-align:left;vertical-align:top}\n"
    /* Long names, paths and engine text wrap anywhere rather than widen the page past the
     * window: nothing here may scroll sideways. Labels and counts stay whole. */
    "td,code,h3,#matrix thead th{overflow-wrap:anywhere}\n"
    "table.info th{background:#f6f8fa;font-weight:600}\n"
    "#matrix th,#matrix td{padding:.25em .45em}#matrix td{text-align:center}\n"
    "#matrix th:first-child,#matrix td span{white-space:nowrap}\n"
    ".pass{background:#dafbe1}.fail{background:#ffd8d3}.skip{background:#fff1c2}"
    ".timeout{background:#eddeff}.mixed{background:#ffe2b8}.empty{color:#8c959f}\n"
    "tr.fail td:first-child{color:#cf222e}tr.pass td:first-child{color:#1a7f37}"
    "tr.timeout td:first-child{color:#8250df}\n"
    ".warn{background:#fff1c2;padding:.5em 1em;border-radius:6px}\n"
    "section.failure{border:1px solid #d0d7de;border-left:4px solid #cf222e;border-radius:6px;"
    "padding:.3em 1.2em .8em;margin:1.2em 0}\n"
    "section.timeout{border-left-color:#8250df}\n"
    "section.failure h3{margin:.5em 0 .2em}.divergence{font-weight:600}\n"
    "table.tokens td{white-space:pre-wrap}table.tokens tr.mismatch td{background:#ffebe9}\n"
    "table.tokens tr.diverge td{background:#ffb8b0;font-weight:700}\n"
    ".texts{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:1em}"
    ".texts h4{margin:.4em 0 0}\n"
    "mark.diverge{background:#ff8182;border-radius:2px}mark.end{font-style:italic;"
    "font-size:.85em}\n"
    "details summary{cursor:pointer;font-weight:600;margin:1em 0}\n";

static void head(FILE *out, const cJSON *results)
{
    const char *started = json_str(results, "started_at");

    fputs(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n"
        "<title>tmgt parity report",
        out);
    if (started) {
        fputs(" — ", out);
        escape_puts(out, started, ESC_MARKUP);
    }
    fprintf(out, "</title>\n<style>\n%s%s</style>\n</head>\n<body>\n<h1>tmgt parity report</h1>\n", CSS,
            HTML_PICTURES_CSS);
}

static void info_row(FILE *out, const char *label, const char *value)
{
    if (!value)
        return;
    fprintf(out, "<tr><th>%s</th><td>", label);
    escape_puts(out, value, ESC_MARKUP);
    fputs("</td></tr>\n", out);
}

static void engine_row(FILE *out, const cJSON *engine)
{
    const char *digest = json_str(engine, "digest");
    const cJSON *available = cJSON_GetObjectItemCaseSensitive(engine, "available");

    fputs("<tr><th>Engine</th><td><strong>", out);
    escape_puts(out, json_str(engine, "name") ? json_str(engine, "name") : "?", ESC_MARKUP);
    fputs("</strong> ", out);
    escape_puts(out, json_str(engine, "version") ? json_str(engine, "version") : "version unknown",
                ESC_MARKUP);
    if (digest) {
        fputs(" <code title=\"", out);
        escape_puts(out, digest, ESC_MARKUP);
        fputs("\">", out);
        escape_text(out, digest, strnlen(digest, DIGEST_SHOWN), ESC_MARKUP);
        fputs("</code>", out);
    }
    if (json_str(engine, "path")) {
        fputs(" <code>", out);
        escape_puts(out, json_str(engine, "path"), ESC_MARKUP);
        fputs("</code>", out);
    }
    if (cJSON_IsFalse(available))
        fputs(" (not available)", out);
    fputs("</td></tr>\n", out);
}

static void oracle_row(FILE *out, const cJSON *model)
{
    char *text = rc_oracle_text(model);

    if (!text)
        return;
    fputs("<tr><th>Oracle</th><td><strong>", out);
    escape_puts(out, json_str(model, "slug") ? json_str(model, "slug") : "?", ESC_MARKUP);
    fputs("</strong> ", out);
    escape_puts(out, json_str(cJSON_GetObjectItemCaseSensitive(model, "oracle"), "model"), ESC_MARKUP);
    fputs(": ", out);
    escape_puts(out, text, ESC_MARKUP);
    fputs("</td></tr>\n", out);
    free(text);
}

static void run_info(FILE *out, const cJSON *results, const rc_cell *total)
{
    const cJSON *item;

    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(results, "interrupted")))
        fputs("<p class=\"warn\">The run was interrupted: these results are incomplete.</p>\n", out);
    fputs("<table class=\"info\">\n", out);
    info_row(out, "Started", json_str(results, "started_at"));
    info_row(out, "Finished", json_str(results, "finished_at"));
    info_row(out, "Command", json_str(results, "command"));
    info_row(out, "Pipeline", json_str(results, "pipeline"));
    info_row(out, "tmgt", json_str(cJSON_GetObjectItemCaseSensitive(results, "tool"), "version"));
    cJSON_ArrayForEach (item, json_array(results, "engines"))
        engine_row(out, item);
    cJSON_ArrayForEach (item, json_array(results, "models"))
        oracle_row(out, item);
    fputs("<tr><th>Results</th><td>", out);
    rc_totals(out, results, total);
    fputs("</td></tr>\n</table>\n", out);
}

static const char *cell_class(const rc_cell *c)
{
    int sum = rc_cell_sum(c);
    if (!sum)
        return "empty";
    for (int s = 0; s < CHECK_NSTATUS; s++) {
        if (c->n[s] == sum)
            return rc_status_word((check_status)s);
    }
    return "mixed";
}

/* Suites as rows and models as columns, as on the console: there are many suites and few models,
 * so the table grows down the page rather than across it. */
static void matrix(FILE *out, const rc_matrix *m)
{
    fputs("<h2>Matrix</h2>\n<table id=\"matrix\">\n<thead><tr><th>suite</th>", out);
    for (size_t model = 0; model < m->nrows; model++) {
        fputs("<th>", out);
        escape_puts(out, m->rows[model], ESC_MARKUP);
        fputs("</th>", out);
    }
    fputs("</tr></thead>\n<tbody>\n", out);
    for (size_t suite = 0; suite < m->ncols; suite++) {
        fputs("<tr><th>", out);
        escape_puts(out, m->cols[suite], ESC_MARKUP);
        fputs("</th>", out);
        for (size_t model = 0; model < m->nrows; model++) {
            const rc_cell *c = rc_matrix_cell(m, model, suite);
            fprintf(out, "<td class=\"%s\" title=\"%d passed, %d failed, %d timed out, %d skipped\">",
                    cell_class(c), c->n[CHECK_PASS], c->n[CHECK_FAIL], c->n[CHECK_TIMEOUT], c->n[CHECK_SKIP]);
            rc_cell_symbols_in(out, c, "<span>", "</span>"); /* a narrow column wraps between counts */
            fputs("</td>", out);
        }
        fputs("</tr>\n", out);
    }
    fputs("</tbody>\n</table>\n", out);
}

static const cJSON *next(const cJSON *item)
{
    return item ? item->next : NULL;
}

static const cJSON *first(const cJSON *side, const char *key)
{
    const cJSON *array = json_array(side, key);
    return array ? array->child : NULL;
}

static bool same_token(const cJSON *a, const cJSON *b)
{
    return a && b && cJSON_IsNumber(a) && cJSON_IsNumber(b) && a->valuedouble == b->valuedouble;
}

static void token_cells(FILE *out, const cJSON *id, const cJSON *piece, const char *fallback)
{
    fputs("<td>", out);
    if (cJSON_IsNumber(id))
        fprintf(out, "%.0f", id->valuedouble);
    else if (id)
        fputs("?", out);
    fputs("</td><td>", out);
    escape_puts(out, cJSON_IsString(piece) ? piece->valuestring : fallback, ESC_MARKUP | ESC_VISIBLE);
    fputs("</td>", out);
}

/* Without a divergence index into the tokens, the first mismatching row is the divergence. */
static void token_table(FILE *out, const rc_check *c)
{
    const cJSON *e = first(c->expected, "tokens"), *g = first(c->got, "tokens");
    const cJSON *ep = first(c->expected, "token_texts"), *gp = first(c->got, "token_texts");
    double at = -1;
    bool indexed = rc_divergence_is_token(c->divergence) && json_num(c->divergence, "index", &at);
    bool marked = false;

    fputs(
        "<table class=\"tokens\">\n<thead><tr><th>#</th><th colspan=\"2\">expected (oracle)</th>"
        "<th colspan=\"2\">got (engine)</th></tr></thead>\n<tbody>\n",
        out);
    for (int i = 0; e || g; i++, e = next(e), g = next(g), ep = next(ep), gp = next(gp)) {
        bool mismatch = !same_token(e, g);
        bool diverge = indexed ? i == at : mismatch && !marked;
        marked = marked || diverge;
        fprintf(out, "<tr%s><td>%d</td>",
                diverge    ? " class=\"diverge\""
                : mismatch ? " class=\"mismatch\""
                           : "",
                i);
        token_cells(out, e, ep, diverge ? json_str(c->divergence, "expected_text") : NULL);
        token_cells(out, g, gp, diverge ? json_str(c->divergence, "got_text") : NULL);
        fputs("</tr>\n", out);
    }
    fputs("</tbody>\n</table>\n", out);
}

static size_t unit_length(const char *s)
{
    long cp;
    return utf8_step(s, strnlen(s, 4), &cp); /* a code point never spans more bytes */
}

/* Byte offset of the first differing code point; both texts share the bytes before it. */
static size_t first_difference(const char *a, const char *b)
{
    size_t off = 0, n;
    while ((n = unit_length(a + off)) && n == unit_length(b + off) && memcmp(a + off, b + off, n) == 0)
        off += n;
    return off;
}

static void marked_text(FILE *out, const char *label, const char *text, size_t off, bool differ)
{
    size_t n = unit_length(text + off);

    fprintf(out, "<div><h4>%s</h4><pre>\n", label);
    if (!differ) {
        escape_puts(out, text, ESC_MARKUP);
    } else if (!n) {
        escape_puts(out, text, ESC_MARKUP);
        fputs("<mark class=\"diverge end\">end of text</mark>", out);
    } else {
        /* ESC_VISIBLE: a differing newline or tab must still show inside the mark */
        escape_text(out, text, off, ESC_MARKUP);
        fputs("<mark class=\"diverge\">", out);
        escape_text(out, text + off, n, ESC_MARKUP | ESC_VISIBLE);
        fputs("</mark>", out);
        escape_puts(out, text + off + n, ESC_MARKUP);
    }
    fputs("</pre></div>\n", out);
}

static void text_comparison(FILE *out, const rc_check *c)
{
    const char *expected = json_str(c->expected, "text"), *got = json_str(c->got, "text");
    size_t off = expected && got ? first_difference(expected, got) : 0;
    bool differ = expected && got && (expected[off] || got[off]);

    fputs("<div class=\"texts\">\n", out);
    marked_text(out, "expected (oracle)", expected ? expected : "", off, differ);
    marked_text(out, "got (engine)", got ? got : "", off, differ);
    fputs("</div>\n", out);
}

static void paragraph(FILE *out, const char *cls, const char *text)
{
    if (!text || !*text)
        return;
    fprintf(out, "<p class=\"%s\">", cls);
    escape_puts(out, text, ESC_MARKUP);
    fputs("</p>\n", out);
}

/* The newline after <pre> is eaten by HTML parsers, so a text's own leading newline survives. */
static void preformatted(FILE *out, const char *cls, const char *text)
{
    if (!text)
        return;
    fprintf(out, "<pre class=\"%s\">\n", cls);
    escape_puts(out, text, ESC_MARKUP);
    fputs("</pre>\n", out);
}

static void failure(FILE *out, const rc_check *c)
{
    char *divergence = rc_divergence_text(c->divergence);

    fprintf(out, "<section class=\"failure%s\">\n<h3><code>", c->status == CHECK_TIMEOUT ? " timeout" : "");
    escape_puts(out, c->name, ESC_MARKUP);
    fputs("</code></h3>\n", out);
    paragraph(out, "detail", c->detail);
    paragraph(out, "divergence", divergence);
    html_divergence_pictures(out, c->divergence);
    preformatted(out, "details", c->details);
    if (json_array(c->expected, "tokens") || json_array(c->got, "tokens"))
        token_table(out, c);
    if (json_str(c->expected, "text") || json_str(c->got, "text"))
        text_comparison(out, c);
    preformatted(out, "reproduce", c->reproduce);
    fputs("</section>\n", out);
    free(divergence);
}

static void failures(FILE *out, const cJSON *checks, int count)
{
    fprintf(out, "<h2>Failures (%d)</h2>\n", count);
    if (!count)
        fputs("<p>No failures.</p>\n", out);
    rc_each_check(out, checks, CHECK_FAIL, failure);
}

static void timeouts(FILE *out, const cJSON *checks, int count)
{
    if (!count)
        return;
    fprintf(out,
            "<h2>Timed out (%d)</h2>\n<p class=\"warn\">Killed at their step&#39;s "
            "<code>timeout_s</code>: no verdict on the engine (a loaded machine can be enough). "
            "Not cached: the next run tries them again.</p>\n",
            count);
    rc_each_check(out, checks, CHECK_TIMEOUT, failure);
}

static void all_checks(FILE *out, const cJSON *checks, int count)
{
    const cJSON *item;

    fprintf(out, "<details>\n<summary>All %d checks</summary>\n<table class=\"checks\">\n", count);
    cJSON_ArrayForEach (item, checks) {
        rc_check c;
        rc_check_read(item, &c);
        fprintf(out, "<tr class=\"%s\"><td>%s</td><td><code>", rc_status_word(c.status), rc_symbol(c.status));
        escape_puts(out, c.name, ESC_MARKUP);
        fputs("</code></td><td>", out);
        escape_puts(out, c.detail, ESC_MARKUP);
        fputs("</td></tr>\n", out);
    }
    fputs("</table>\n</details>\n", out);
}

int report_html(const cJSON *results, FILE *out)
{
    const cJSON *checks = json_array(results, "checks");
    rc_matrix m;

    if (rc_matrix_build(results, &m) != 0)
        return -1;
    head(out, results);
    run_info(out, results, &m.total);
    if (m.nrows)
        matrix(out, &m);
    failures(out, checks, m.total.n[CHECK_FAIL]);
    timeouts(out, checks, m.total.n[CHECK_TIMEOUT]);
    all_checks(out, checks, rc_cell_sum(&m.total));
    fputs("</body>\n</html>\n", out);
    rc_matrix_free(&m);
    return 0;
}
