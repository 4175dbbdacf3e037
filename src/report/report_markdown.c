#include "report.h"
#include "report_common.h"

#include <stdlib.h>

static void table(FILE *out, const rc_matrix *m)
{
    fputs("| model |", out);
    for (size_t col = 0; col < m->ncols; col++) {
        fputc(' ', out);
        rc_puts(out, m->cols[col], RC_MD);
        fputs(" |", out);
    }
    fputs("\n|---|", out);
    for (size_t col = 0; col < m->ncols; col++)
        fputs("---|", out);
    fputc('\n', out);
    for (size_t r = 0; r < m->nrows; r++) {
        fputs("| ", out);
        rc_puts(out, m->rows[r], RC_MD);
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
        rc_puts(out, c->detail, RC_MD);
    }
    fputc('\n', out);
    if (divergence) {
        fputs("  - ", out);
        rc_md_code(out, divergence);
        fputc('\n', out);
    }
    free(divergence);
}

static void failures(FILE *out, const cJSON *checks)
{
    const cJSON *item;

    fputs("\n### Failures\n\n", out);
    cJSON_ArrayForEach(item, checks) {
        rc_check c;
        rc_check_read(item, &c);
        if (c.status == RC_FAIL)
            failure_item(out, &c);
    }
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
    if (m.total.n[RC_FAIL])
        failures(out, json_array(results, "checks"));
    rc_matrix_free(&m);
    return 0;
}
