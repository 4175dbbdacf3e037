#include "report.h"
#include "report_common.h"

#include <stdlib.h>
#include <string.h>

static void colour_on(FILE *out, bool color, rc_status s)
{
    static const char *const codes[RC_NSTATUS] = {"\033[32m", "\033[31m", "\033[33m"};
    if (color)
        fputs(codes[s], out);
}

static void colour_off(FILE *out, bool color)
{
    if (color)
        fputs("\033[0m", out);
}

static void check_line(FILE *out, const rc_check *c, bool color)
{
    char *divergence;

    colour_on(out, color, c->status);
    fprintf(out, "  %s ", rc_symbol(c->status));
    rc_puts(out, c->name, RC_VISIBLE);
    if (*c->detail) {
        fputs(": ", out);
        rc_puts(out, c->detail, RC_VISIBLE);
    }
    colour_off(out, color);
    fputc('\n', out);
    if (c->status == RC_FAIL && (divergence = rc_divergence_text(c->divergence))) {
        fprintf(out, "      %s\n", divergence);
        free(divergence);
    }
}

/* Returns how many lines were printed: only then does a blank line set the matrix apart. */
static int check_lines(const cJSON *checks, FILE *out, const report_console_opts *opts)
{
    const cJSON *item;
    int printed = 0;

    if (opts->quiet)
        return 0;
    cJSON_ArrayForEach(item, checks) {
        rc_check c;
        rc_check_read(item, &c);
        if (opts->failures_only && c.status != RC_FAIL)
            continue;
        check_line(out, &c, opts->color);
        printed++;
    }
    return printed;
}

static void cell_text(const rc_cell *c, char *buf, size_t size)
{
    if (rc_cell_sum(c))
        snprintf(buf, size, "%d/%d/%d", c->n[RC_PASS], c->n[RC_FAIL], c->n[RC_SKIP]);
    else
        snprintf(buf, size, "·");
}

/* A cell is as bad as its worst check, so one failure among passes still shows red. */
static rc_status cell_status(const rc_cell *c)
{
    if (c->n[RC_FAIL])
        return RC_FAIL;
    return c->n[RC_PASS] ? RC_PASS : RC_SKIP;
}

/* The last column is not padded: no trailing blanks. */
static void column(FILE *out, const char *text, size_t width, bool last)
{
    size_t used = rc_width(text, RC_VISIBLE);
    fputs("  ", out);
    rc_puts(out, text, RC_VISIBLE);
    if (!last)
        rc_repeat(out, ' ', width - used);
}

static void column_widths(const rc_matrix *m, size_t *label_width, size_t *widths)
{
    char buf[48];

    *label_width = rc_width("model", 0);
    for (size_t r = 0; r < m->nrows; r++) {
        size_t w = rc_width(m->rows[r], RC_VISIBLE);
        *label_width = w > *label_width ? w : *label_width;
    }
    for (size_t col = 0; col < m->ncols; col++) {
        widths[col] = rc_width(m->cols[col], RC_VISIBLE);
        for (size_t r = 0; r < m->nrows; r++) {
            cell_text(rc_matrix_cell(m, r, col), buf, sizeof buf);
            size_t w = rc_width(buf, 0);
            widths[col] = w > widths[col] ? w : widths[col];
        }
    }
}

static void matrix_row(FILE *out, const rc_matrix *m, size_t r, const size_t *widths,
                       size_t label_width, bool color)
{
    char buf[48];

    column(out, m->rows[r], label_width, m->ncols == 0);
    for (size_t col = 0; col < m->ncols; col++) {
        const rc_cell *cell = rc_matrix_cell(m, r, col);
        bool last = col + 1 == m->ncols;
        cell_text(cell, buf, sizeof buf);
        fputs("  ", out);
        colour_on(out, color && rc_cell_sum(cell), cell_status(cell));
        fputs(buf, out);
        colour_off(out, color && rc_cell_sum(cell));
        if (!last)
            rc_repeat(out, ' ', widths[col] - rc_width(buf, 0));
    }
    fputc('\n', out);
}

static int matrix(FILE *out, const rc_matrix *m, bool color)
{
    size_t label_width, *widths = calloc(m->ncols + 1, sizeof *widths);

    if (!widths)
        return -1;
    column_widths(m, &label_width, widths);
    column(out, "model", label_width, m->ncols == 0);
    for (size_t col = 0; col < m->ncols; col++)
        column(out, m->cols[col], widths[col], col + 1 == m->ncols);
    fputc('\n', out);
    for (size_t r = 0; r < m->nrows; r++)
        matrix_row(out, m, r, widths, label_width, color);
    free(widths);
    return 0;
}

static int findings(const cJSON *results, const rc_matrix *m, FILE *out, const report_console_opts *opts)
{
    static const report_console_opts defaults = {false, false, false};
    int rc = 0;

    opts = opts ? opts : &defaults;
    if (check_lines(json_array(results, "checks"), out, opts))
        fputc('\n', out);
    if (m->nrows) {
        rc = matrix(out, m, opts->color);
        fputc('\n', out);
    }
    return rc;
}

int report_console_findings(const cJSON *results, FILE *out, const report_console_opts *opts)
{
    rc_matrix m;
    if (rc_matrix_build(results, &m) != 0)
        return -1;
    int rc = findings(results, &m, out, opts);
    rc_matrix_free(&m);
    return rc;
}

void report_console_totals(const cJSON *results, int pass, int fail, int skip, FILE *out)
{
    rc_cell total = {{[RC_PASS] = pass, [RC_FAIL] = fail, [RC_SKIP] = skip}};
    rc_totals(out, results, &total);
    fputc('\n', out);
}

int report_console(const cJSON *results, FILE *out, const report_console_opts *opts)
{
    rc_matrix m;
    if (rc_matrix_build(results, &m) != 0)
        return -1;
    int rc = findings(results, &m, out, opts);
    rc_totals(out, results, &m.total);
    fputc('\n', out);
    rc_matrix_free(&m);
    return rc;
}
