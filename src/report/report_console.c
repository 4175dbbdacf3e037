#include "report.h"
#include "report_common.h"

#include <stdlib.h>
#include <string.h>

#include "terminal.h"

#define INDENT 2         /* before the check lines and the matrix */
#define GAP 2            /* between matrix columns */
#define CONTINUED 6      /* a check line's wrapped part, under its name */
#define CONTINUED_MORE 8 /* a divergence line's wrapped part, under its text */
#define TOTALS_CONTINUED 2

static const char ELLIPSIS[] = "…";

static const char *colour_code(check_status s)
{
    static const char *const codes[CHECK_NSTATUS] = {[CHECK_PASS] = "\033[32m",
                                                     [CHECK_FAIL] = "\033[31m",
                                                     [CHECK_TIMEOUT] = "\033[35m",
                                                     [CHECK_SKIP] = "\033[33m"};
    return codes[s];
}

static void colour_on(FILE *out, const char *code)
{
    if (code)
        fputs(code, out);
}

static void colour_off(FILE *out, const char *code)
{
    if (code)
        fputs("\033[0m", out);
}

/* Byte length of the first `cols` code points of s (all of it when shorter). Text here has been
 * through rc_puts already, so every unit is a whole code point of one column. */
static size_t prefix_bytes(const char *s, size_t len, size_t cols)
{
    size_t i = 0;
    long cp;
    while (i < len && cols--)
        i += utf8_step(s + i, len - i, &cp);
    return i;
}

static size_t columns(const char *s, size_t len)
{
    size_t n = 0;
    long cp;
    for (size_t i = 0; i < len; n++)
        i += utf8_step(s + i, len - i, &cp);
    return n;
}

/* Where a line of s[0..len) that may take `avail` columns ends: before its last space past the
 * first quarter (so never inside the indent and marker), preferring the space before a ` — `
 * clause; else after exactly `avail` columns. */
static size_t break_at(const char *s, size_t len, size_t avail)
{
    size_t i = 0, cols = 0, space = 0, dash = 0;
    long cp;
    while (i < len && cols < avail) {
        if (s[i] == ' ' && cols > avail / 4) {
            space = i;
            if (strncmp(s + i + 1, "—", strlen("—")) == 0)
                dash = i;
        }
        i += utf8_step(s + i, len - i, &cp);
        cols++;
    }
    if (dash)
        return dash;
    if (i < len && s[i] == ' ')
        return i;
    return space ? space : i;
}

/* One logical line, already escaped, as lines of at most `width` columns: the parts after the
 * first are indented by `indent`. Each physical line is coloured on its own, so a pager that
 * shows one line shows it in colour. */
static void wrapped(FILE *out, const char *s, size_t len, size_t width, size_t indent, const char *colour)
{
    size_t avail = width;
    for (;;) {
        size_t end = columns(s, len) <= avail ? len : break_at(s, len, avail);
        colour_on(out, colour);
        fwrite(s, 1, end, out);
        colour_off(out, colour);
        fputc('\n', out);
        while (end < len && s[end] == ' ')
            end++;
        if (end >= len)
            return;
        s += end, len -= end;
        rc_repeat(out, ' ', indent);
        avail = width - indent;
    }
}

typedef struct {
    char *buf;
    size_t len;
    FILE *mem;
} line_buf;

static FILE *line_start(line_buf *l)
{
    l->buf = NULL;
    l->len = 0;
    return l->mem = open_memstream(&l->buf, &l->len);
}

static int line_end(line_buf *l, FILE *out, size_t width, size_t indent, const char *colour)
{
    if (!l->mem)
        return -1;
    if (fclose(l->mem) != 0) {
        free(l->buf);
        return -1;
    }
    wrapped(out, l->buf, l->len, width, indent, colour);
    free(l->buf);
    return 0;
}

static int check_line(FILE *out, const rc_check *c, const report_console_opts *opts)
{
    const char *colour = opts->color ? colour_code(c->status) : NULL;
    line_buf l;
    FILE *mem = line_start(&l);
    char *divergence;
    int rc;

    if (mem) {
        rc_repeat(mem, ' ', INDENT);
        fprintf(mem, "%s ", rc_symbol(c->status));
        escape_puts(mem, c->name, ESC_VISIBLE);
        if (*c->detail) {
            fputs(": ", mem);
            escape_puts(mem, c->detail, ESC_VISIBLE);
        }
    }
    rc = line_end(&l, out, opts->width, CONTINUED, colour);
    /* A divergence the detail already says in words is not said twice. */
    const char *sentence = json_str(c->divergence, "sentence");
    if (rc == 0 && c->status == CHECK_FAIL && !(sentence && strstr(c->detail, sentence)) &&
        (divergence = rc_divergence_text(c->divergence))) {
        if ((mem = line_start(&l)))
            fprintf(mem, "%*s%s", CONTINUED, "", divergence);
        rc = line_end(&l, out, opts->width, CONTINUED_MORE, NULL);
        free(divergence);
    }
    return rc;
}

/* Returns how many lines were printed (only then does a blank line set the matrix apart), or
 * -1 when memory ran out. */
static int check_lines(const cJSON *checks, FILE *out, const report_console_opts *opts)
{
    const cJSON *item;
    int printed = 0;

    if (opts->quiet)
        return 0;
    cJSON_ArrayForEach (item, checks) {
        rc_check c;
        rc_check_read(item, &c);
        if (opts->failures_only && c.status != CHECK_FAIL && c.status != CHECK_TIMEOUT)
            continue;
        if (check_line(out, &c, opts) != 0)
            return -1;
        printed++;
    }
    return printed;
}

/* A cell is as bad as its worst check, so one failure among passes still shows red, and a
 * timeout shows unless something failed outright. */
static check_status cell_status(const rc_cell *c)
{
    static const check_status worst_first[] = {CHECK_FAIL, CHECK_TIMEOUT, CHECK_PASS};
    for (size_t i = 0; i < sizeof worst_first / sizeof *worst_first; i++) {
        if (c->n[worst_first[i]])
            return worst_first[i];
    }
    return CHECK_SKIP;
}

/* `✓ 4 ✗ 1`: at most four counts of ten digits and their glyphs. */
typedef struct {
    char text[64];
} cell_text;

static cell_text cell_of(const rc_cell *c)
{
    cell_text t = {{0}};
    FILE *mem = fmemopen(t.text, sizeof t.text, "w");
    if (mem) {
        rc_cell_symbols(mem, c);
        fclose(mem);
    }
    return t;
}

/* Suites are the rows and models the columns: there are a few models and many suites. A block is
 * the suite labels and the model columns [first, end) that fit the width together. */
typedef struct {
    const rc_matrix *m;
    size_t width, label_width;
    size_t *widths; /* per model column: its widest cell or its name, at most what fits */
} layout;

static size_t at_most(size_t n, size_t limit)
{
    return n < limit ? n : limit;
}

static size_t widest_suite(const rc_matrix *m)
{
    size_t w = escape_width("suite", 0);
    for (size_t s = 0; s < m->ncols; s++) {
        size_t sw = escape_width(m->cols[s], ESC_VISIBLE);
        w = sw > w ? sw : w;
    }
    return w;
}

static int layout_build(const rc_matrix *m, size_t width, layout *l)
{
    l->m = m;
    l->width = width;
    /* Half of what is left beside the indent keeps room for at least one model column. */
    l->label_width = at_most(widest_suite(m), (width - INDENT - GAP) / 2);
    size_t column_room = width - INDENT - l->label_width - GAP;
    if (!(l->widths = calloc(m->nrows + 1, sizeof *l->widths)))
        return -1;
    for (size_t model = 0; model < m->nrows; model++) {
        size_t w = escape_width(m->rows[model], ESC_VISIBLE);
        for (size_t s = 0; s < m->ncols; s++) {
            cell_text t = cell_of(rc_matrix_cell(m, model, s));
            size_t cw = escape_width(t.text, 0);
            w = cw > w ? cw : w;
        }
        l->widths[model] = at_most(w, column_room);
    }
    return 0;
}

static size_t block_end(const layout *l, size_t first)
{
    size_t used = INDENT + l->label_width + GAP + l->widths[first], end = first + 1;
    while (end < l->m->nrows && used + GAP + l->widths[end] <= l->width)
        used += GAP + l->widths[end++];
    return end;
}

/* Text cut to `width` columns, its last one an ellipsis when it was longer; padded to the width
 * unless it ends the line (no trailing blanks). */
static void field(FILE *out, const char *text, unsigned flags, size_t width, bool last, const char *colour)
{
    line_buf l;
    FILE *mem = line_start(&l);
    if (!mem)
        return;
    escape_puts(mem, text, flags);
    if (fclose(mem) != 0) {
        free(l.buf);
        return;
    }
    size_t cols = columns(l.buf, l.len), shown = cols;
    colour_on(out, colour);
    if (cols <= width) {
        fwrite(l.buf, 1, l.len, out);
    } else {
        fwrite(l.buf, 1, prefix_bytes(l.buf, l.len, width - 1), out);
        fputs(ELLIPSIS, out);
        shown = width;
    }
    colour_off(out, colour);
    if (!last)
        rc_repeat(out, ' ', width - shown);
    free(l.buf);
}

static void block(FILE *out, const layout *l, size_t first, size_t end, bool color)
{
    const rc_matrix *m = l->m;

    rc_repeat(out, ' ', INDENT);
    field(out, "suite", 0, l->label_width, false, NULL);
    for (size_t model = first; model < end; model++) {
        rc_repeat(out, ' ', GAP);
        field(out, m->rows[model], ESC_VISIBLE, l->widths[model], model + 1 == end, NULL);
    }
    fputc('\n', out);
    for (size_t s = 0; s < m->ncols; s++) {
        rc_repeat(out, ' ', INDENT);
        field(out, m->cols[s], ESC_VISIBLE, l->label_width, false, NULL);
        for (size_t model = first; model < end; model++) {
            const rc_cell *c = rc_matrix_cell(m, model, s);
            cell_text t = cell_of(c);
            const char *colour = color && rc_cell_sum(c) ? colour_code(cell_status(c)) : NULL;
            rc_repeat(out, ' ', GAP);
            field(out, t.text, 0, l->widths[model], model + 1 == end, colour);
        }
        fputc('\n', out);
    }
}

static int matrix(FILE *out, const rc_matrix *m, const report_console_opts *opts)
{
    layout l;

    if (layout_build(m, opts->width, &l) != 0)
        return -1;
    for (size_t first = 0; first < m->nrows;) {
        size_t end = block_end(&l, first);
        if (first)
            fputc('\n', out);
        block(out, &l, first, end, opts->color);
        first = end;
    }
    free(l.widths);
    return 0;
}

static report_console_opts with_defaults(const report_console_opts *opts)
{
    report_console_opts o = {0};
    if (opts)
        o = *opts;
    if (!o.width)
        o.width = TERMINAL_DEFAULT_WIDTH;
    if (o.width < TERMINAL_MIN_WIDTH)
        o.width = TERMINAL_MIN_WIDTH;
    return o;
}

/* Once per model whose oracle has no margins; returns how many lines, -1 out of memory. */
static int margins_notes(const cJSON *results, FILE *out, const report_console_opts *opts)
{
    const cJSON *model;
    int printed = 0;
    cJSON_ArrayForEach (model, json_array(results, "models")) {
        line_buf l;
        if (!rc_lacks_margins(model))
            continue;
        FILE *mem = line_start(&l);
        if (mem)
            rc_margins_note(mem, model);
        if (line_end(&l, out, opts->width, CONTINUED, NULL) != 0)
            return -1;
        printed++;
    }
    return printed;
}

static int findings(const cJSON *results, const rc_matrix *m, FILE *out, const report_console_opts *opts)
{
    int printed = check_lines(json_array(results, "checks"), out, opts);
    int notes = printed < 0 ? -1 : margins_notes(results, out, opts);

    if (printed < 0 || notes < 0)
        return -1;
    printed += notes;
    if (printed)
        fputc('\n', out);
    if (!m->nrows)
        return 0;
    if (matrix(out, m, opts) != 0)
        return -1;
    fputc('\n', out);
    return 0;
}

static void totals(FILE *out, const cJSON *results, const rc_cell *total, const report_console_opts *opts)
{
    line_buf l;
    FILE *mem = line_start(&l);
    if (mem)
        rc_totals(mem, results, total);
    line_end(&l, out, opts->width, TOTALS_CONTINUED, NULL);
}

int report_console_findings(const cJSON *results, FILE *out, const report_console_opts *opts)
{
    report_console_opts o = with_defaults(opts);
    rc_matrix m;
    if (rc_matrix_build(results, &m) != 0)
        return -1;
    int rc = findings(results, &m, out, &o);
    rc_matrix_free(&m);
    return rc;
}

void report_console_totals(const cJSON *results, const report_counts *n, FILE *out,
                           const report_console_opts *opts)
{
    report_console_opts o = with_defaults(opts);
    rc_cell total = {{[CHECK_PASS] = n->pass,
                      [CHECK_FAIL] = n->fail,
                      [CHECK_TIMEOUT] = n->timeout,
                      [CHECK_SKIP] = n->skip}};
    totals(out, results, &total, &o);
}

int report_console(const cJSON *results, FILE *out, const report_console_opts *opts)
{
    report_console_opts o = with_defaults(opts);
    rc_matrix m;
    if (rc_matrix_build(results, &m) != 0)
        return -1;
    int rc = findings(results, &m, out, &o);
    totals(out, results, &m.total, &o);
    rc_matrix_free(&m);
    return rc;
}
