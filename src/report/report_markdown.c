#include "report.h"
#include "report_common.h"
#include "report_ladder.h"

#include <stdlib.h>

static void table(FILE *out, const rc_matrix *m)
{
    fputs("| model |", out);
    for (size_t col = 0; col < m->ncols; col++) {
        fputc(' ', out);
        escape_puts(out, m->cols[col], ESC_MD);
        fputs(" |", out);
    }
    fputs("\n|---|", out);
    for (size_t col = 0; col < m->ncols; col++)
        fputs("---|", out);
    fputc('\n', out);
    for (size_t r = 0; r < m->nrows; r++) {
        fputs("| ", out);
        escape_puts(out, m->rows[r], ESC_MD);
        fputs(" |", out);
        for (size_t col = 0; col < m->ncols; col++) {
            fputc(' ', out);
            rc_cell_symbols(out, rc_matrix_cell(m, r, col));
            fputs(" |", out);
        }
        fputc('\n', out);
    }
}

static void failure_item(FILE *out, const rc_check *c)
{
    char *divergence = rc_divergence_text(c->divergence);

    fputs("- ", out);
    rc_md_code(out, c->name);
    if (*c->detail) {
        fputs(": ", out);
        escape_puts(out, c->detail, ESC_MD);
    }
    fputc('\n', out);
    if (divergence) {
        fputs("  - ", out);
        rc_md_code(out, divergence);
        fputc('\n', out);
    }
    free(divergence);
}

/* The checks of one status under their heading, when there are any. */
static void listing(FILE *out, const cJSON *checks, int count, check_status status, const char *heading)
{
    if (!count)
        return;
    fprintf(out, "\n### %s\n\n", heading);
    rc_each_check(out, checks, status, failure_item);
}

int report_markdown(const cJSON *results, FILE *out)
{
    rc_matrix m;

    if (rc_matrix_build(results, &m) != 0)
        return -1;
    fputs("## tmgt parity results\n\n", out);
    rc_totals(out, results, &m.total);
    fputs("\n\nEngine: ", out);
    rc_md_code(out, rc_engine_version(results));
    fputs("\n\n", out);
    if (m.nrows)
        table(out, &m);
    rc_ladder_markdown(out, results);
    listing(out, json_array(results, "checks"), m.total.n[CHECK_FAIL], CHECK_FAIL, "Failures");
    listing(out, json_array(results, "checks"), m.total.n[CHECK_TIMEOUT], CHECK_TIMEOUT,
            "Timed out (no verdict on the engine; not cached, so the next run tries again)");
    rc_matrix_free(&m);
    return 0;
}
