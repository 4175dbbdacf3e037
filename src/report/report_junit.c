#include "report.h"
#include "report_common.h"

#include <stdlib.h>
#include <string.h>

/* Attributes get ESC_VISIBLE too: a parser would fold a raw newline there into a space. */
#define ATTR (ESC_MARKUP | ESC_VISIBLE)

/* A cached action cost nothing in this run; its recorded wall time belongs to the run that
 * executed it. */
static double action_ms(const cJSON *actions, const char *id)
{
    const cJSON *action;
    double ms;

    cJSON_ArrayForEach (action, actions) {
        const char *action_id = json_str(action, "id");
        if (action_id && strcmp(action_id, id) == 0) {
            bool cached = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(action, "cached"));
            return !cached && json_num(action, "wall_ms", &ms) ? ms : 0;
        }
    }
    return 0;
}

static double check_seconds(const cJSON *actions, const rc_check *c)
{
    const cJSON *id;
    double ms = 0;

    cJSON_ArrayForEach (id, c->actions) {
        if (cJSON_IsString(id))
            ms += action_ms(actions, id->valuestring);
    }
    return ms / 1000;
}

/* A parity failure, or a timeout as an <error>: the test could not complete, which says nothing
 * about the engine's output. */
static void failure(FILE *out, const rc_check *c)
{
    char *divergence = rc_divergence_text(c->divergence);
    const char *element = c->status == CHECK_TIMEOUT ? "error" : "failure";
    const char *sep = "";

    fprintf(out, "      <%s type=\"%s\" message=\"", element,
            c->status == CHECK_TIMEOUT ? "timeout" : "parity");
    escape_puts(out, c->detail, ATTR);
    fputs("\">", out);
    if (c->details) {
        escape_puts(out, c->details, ESC_MARKUP);
        sep = "\n";
    }
    if (divergence) {
        fputs(sep, out);
        escape_puts(out, divergence, ESC_MARKUP);
        sep = "\n";
    }
    if (c->reproduce) {
        fprintf(out, "%sreproduce: ", sep);
        escape_puts(out, c->reproduce, ESC_MARKUP);
    }
    fprintf(out, "</%s>\n", element);
    free(divergence);
}

static void testcase(FILE *out, const rc_check *c, double seconds)
{
    fputs("    <testcase classname=\"tmgt.", out);
    escape_puts(out, c->suite, ATTR);
    fputs("\" name=\"", out);
    escape_puts(out, c->name, ATTR);
    fprintf(out, "\" time=\"%.3f\"", seconds);
    if (c->status == CHECK_PASS) {
        fputs("/>\n", out);
        return;
    }
    fputs(">\n", out);
    if (c->status == CHECK_FAIL || c->status == CHECK_TIMEOUT) {
        failure(out, c);
    } else {
        fputs("      <skipped message=\"", out);
        escape_puts(out, c->detail, ATTR);
        fputs("\"/>\n", out);
    }
    fputs("    </testcase>\n", out);
}

/* The <testsuite> element carries totals, so the suite's checks are walked twice. */
static void testsuite(FILE *out, const cJSON *results, const char *suite)
{
    const cJSON *checks = json_array(results, "checks"), *actions = json_array(results, "actions");
    const cJSON *item;
    rc_cell counts = {{0}};
    double seconds = 0;

    cJSON_ArrayForEach (item, checks) {
        rc_check c;
        rc_check_read(item, &c);
        if (strcmp(c.suite, suite) == 0) {
            counts.n[c.status]++;
            seconds += check_seconds(actions, &c);
        }
    }
    if (!rc_cell_sum(&counts))
        return;
    fputs("  <testsuite name=\"", out);
    escape_puts(out, suite, ATTR);
    fprintf(out, "\" tests=\"%d\" failures=\"%d\" errors=\"%d\" skipped=\"%d\" time=\"%.3f\">\n",
            rc_cell_sum(&counts), counts.n[CHECK_FAIL], counts.n[CHECK_TIMEOUT], counts.n[CHECK_SKIP],
            seconds);
    cJSON_ArrayForEach (item, checks) {
        rc_check c;
        rc_check_read(item, &c);
        if (strcmp(c.suite, suite) == 0)
            testcase(out, &c, check_seconds(actions, &c));
    }
    fputs("  </testsuite>\n", out);
}

int report_junit(const cJSON *results, FILE *out)
{
    rc_matrix m;
    double wall_ms;

    if (rc_matrix_build(results, &m) != 0)
        return -1;
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
    fprintf(out, "<testsuites name=\"tmgt\" tests=\"%d\" failures=\"%d\" errors=\"%d\" skipped=\"%d\"",
            rc_cell_sum(&m.total), m.total.n[CHECK_FAIL], m.total.n[CHECK_TIMEOUT], m.total.n[CHECK_SKIP]);
    if (json_num(results, "wall_ms", &wall_ms))
        fprintf(out, " time=\"%.3f\"", wall_ms / 1000);
    fputs(">\n", out);
    for (size_t col = 0; col < m.ncols; col++)
        testsuite(out, results, m.cols[col]);
    fputs("</testsuites>\n", out);
    rc_matrix_free(&m);
    return 0;
}
