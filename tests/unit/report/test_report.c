#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "report.h"
#include "report_common.h"
#include "writers.h"

static const report_console_opts plain = {.width = 100};

static cJSON *load(const char *name)
{
    const char *root = getenv("TMGT_SOURCE_DIR");
    char path[4096], *text = NULL;
    size_t len = 0;
    FILE *f;
    cJSON *doc;

    snprintf(path, sizeof path, "%s/tests/data/%s", root ? root : ".", name);
    f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(getdelim(&text, &len, '\0', f) > 0, 1);
    fclose(f);
    doc = cJSON_Parse(text);
    free(text);
    assert_non_null(doc);
    return doc;
}

static int render(report_writer kind, const cJSON *doc, const report_console_opts *opts, char **text)
{
    size_t len = 0;
    FILE *out = open_memstream(text, &len);
    assert_non_null(out);
    int rc = writer_render(kind, doc, out, opts, "2026-11-25");
    fclose(out);
    return rc;
}

/* Renders a report that must succeed; the caller frees the text. */
static char *report(report_writer kind, const cJSON *doc, const report_console_opts *opts)
{
    char *text = NULL;
    assert_int_equal(render(kind, doc, opts, &text), 0);
    return text;
}

static void assert_contains(const char *text, const char *needle)
{
    if (!strstr(text, needle))
        fail_msg("missing:\n%s\n--- in:\n%s", needle, text);
}

static void assert_lacks(const char *text, const char *needle)
{
    if (strstr(text, needle))
        fail_msg("unexpected:\n%s\n--- in:\n%s", needle, text);
}

static void assert_starts_with(const char *text, const char *prefix)
{
    if (strncmp(text, prefix, strlen(prefix)) != 0)
        fail_msg("expected to start with:\n%s\n--- got:\n%s", prefix, text);
}

static void assert_ends_with(const char *text, const char *suffix)
{
    size_t n = strlen(text), k = strlen(suffix);
    if (n < k || strcmp(text + n - k, suffix) != 0)
        fail_msg("expected to end with:\n%s\n--- got:\n%s", suffix, text);
}

static int occurrences(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* XML 1.0 admits no C0 control but tab, LF, CR; DEL and C1 are escaped on purpose too. */
static void assert_no_control_bytes(const char *text)
{
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if ((*p < 0x20 && *p != '\n' && *p != '\t' && *p != '\r') || *p == 0x7F)
            fail_msg("control byte 0x%02X at offset %td", *p, (const char *)p - text);
        if (p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F)
            fail_msg("C1 control at offset %td", (const char *)p - text);
    }
}

static void assert_cell(const rc_matrix *m, size_t row, size_t col, int pass, int fail, int skip)
{
    const rc_cell *c = rc_matrix_cell(m, row, col);
    assert_int_equal(c->n[CHECK_PASS], pass);
    assert_int_equal(c->n[CHECK_FAIL], fail);
    assert_int_equal(c->n[CHECK_SKIP], skip);
}

static void test_matrix_cells(void **state)
{
    cJSON *doc = load("results-sample.json");
    rc_matrix m;

    (void)state;
    assert_int_equal(rc_matrix_build(doc, &m), 0);
    assert_int_equal(m.nrows, 3);
    assert_string_equal(m.rows[0], "smollm-135m");
    assert_string_equal(m.rows[1], "qwen2-0.5b");
    assert_string_equal(m.rows[2], "global");
    assert_int_equal(m.ncols, 4);
    assert_string_equal(m.cols[0], "canary");
    assert_string_equal(m.cols[3], "list");
    assert_cell(&m, 0, 0, 1, 1, 0);
    assert_cell(&m, 0, 1, 1, 1, 0);
    assert_cell(&m, 0, 2, 0, 0, 1);
    assert_cell(&m, 0, 3, 0, 0, 0);
    assert_cell(&m, 1, 0, 1, 0, 0);
    assert_cell(&m, 1, 1, 1, 1, 0);
    assert_cell(&m, 1, 2, 0, 0, 1);
    assert_cell(&m, 2, 0, 0, 0, 0);
    assert_cell(&m, 2, 3, 1, 0, 0);
    assert_int_equal(m.total.n[CHECK_PASS], 5);
    assert_int_equal(m.total.n[CHECK_FAIL], 3);
    assert_int_equal(m.total.n[CHECK_SKIP], 2);
    rc_matrix_free(&m);
    cJSON_Delete(doc);
}

static void test_matrix_order_falls_back_to_first_appearance(void **state)
{
    cJSON *doc = cJSON_Parse(
        "{\"suites\":[\"b\",7],\"checks\":["
        "{\"suite\":\"a\",\"model\":\"global\",\"status\":\"PASS\"},"
        "{\"suite\":\"b\",\"model\":\"n\",\"status\":\"PASS\"},"
        "{\"suite\":\"c\",\"model\":\"m\",\"status\":\"SKIP\"},"
        "{\"suite\":\"a\",\"model\":\"n\",\"status\":\"BROKEN\"}]}");
    rc_matrix m;

    (void)state;
    assert_int_equal(rc_matrix_build(doc, &m), 0);
    assert_int_equal(m.ncols, 3);
    assert_string_equal(m.cols[0], "b");
    assert_string_equal(m.cols[1], "a");
    assert_string_equal(m.cols[2], "c");
    assert_int_equal(m.nrows, 3);
    assert_string_equal(m.rows[0], "n");
    assert_string_equal(m.rows[1], "m");
    assert_string_equal(m.rows[2], "global");
    assert_cell(&m, 0, 1, 0, 1, 0); /* an unknown status never reads as a pass */
    rc_matrix_free(&m);
    cJSON_Delete(doc);
}

static const char sample_console[] =
    "  ✓ list/global: 3 models listed\n"
    "  ✓ canary/smollm-135m/code: exact match\n"
    "  ✗ canary/smollm-135m/greeting: text mismatch\n"
    "      first divergence at character 3: expected \"l\", got \"p\"\n"
    "  ✗ token-parity/smollm-135m/int4/code: 3 mismatches exceeds threshold 2\n"
    "      first divergence at token 7: expected 448 \" n\", got 123 \" of\" (3 mismatches)\n"
    "  ✓ token-parity/smollm-135m/int8/code: 0/3 mismatches\n"
    "  − quant-drift/smollm-135m/code: int4 run failed\n"
    "  ✓ canary/qwen2-0.5b/code: exact match\n"
    "  ✓ token-parity/qwen2-0.5b/int4/code: 2/5 mismatches\n"
    "  − quant-drift/qwen2-0.5b/code: engine apr missing\n"
    "  ✗ token-parity/qwen2-0.5b/int8/code: 4 mismatches exceeds threshold 3\n"
    "\n";

static const char sample_matrix[] =
    "  suite   smollm-135m  qwen2-0.5b  global\n"
    "  canary  ✓ 1 ✗ 1      ✓ 1         ·\n"
    "  token   ✓ 1 ✗ 1      ✓ 1 ✗ 1     ·\n"
    "  drift   − 1          − 1         ·\n"
    "  list    ·            ·           ✓ 1\n"
    "\n"
    "5 passed, 3 failed, 2 skipped (10 checks) — 3 actions executed, 5 cached in 1.2s\n";

static void test_console_lines_matrix_totals(void **state)
{
    cJSON *doc = load("results-sample.json");
    char *text = report(WRITER_CONSOLE, doc, &plain);
    (void)state;
    assert_starts_with(text, sample_console);
    assert_string_equal(text + strlen(sample_console), sample_matrix);
    assert_lacks(text, "\033[");
    free(text);
    cJSON_Delete(doc);
}

static void test_console_quiet(void **state)
{
    cJSON *doc = load("results-sample.json");
    report_console_opts opts = {.quiet = true, .failures_only = true};
    char *text = report(WRITER_CONSOLE, doc, &opts);

    (void)state;
    assert_string_equal(text, sample_matrix);
    free(text);
    cJSON_Delete(doc);
}

static void test_console_failures_only(void **state)
{
    cJSON *doc = load("results-sample.json");
    report_console_opts opts = {.failures_only = true};
    char *text = report(WRITER_CONSOLE, doc, &opts);

    (void)state;
    /* a check line starts with its glyph; a matrix line with a suite */
    assert_starts_with(text, "  ✗ ");
    assert_int_equal(occurrences(text, "\n  ✗ "), 2);
    assert_lacks(text, "\n  ✓ ");
    assert_lacks(text, "\n  − ");
    assert_contains(text, "  ✗ token-parity/qwen2-0.5b/int8/code: 4 mismatches exceeds threshold 3");
    assert_contains(text, "\n      first divergence at token 7: expected 448 \" n\", got 123 \" of\"");
    free(text);
    cJSON_Delete(doc);
}

static void test_console_color(void **state)
{
    cJSON *doc = load("results-sample.json");
    report_console_opts opts = {.color = true};
    char *text = report(WRITER_CONSOLE, doc, &opts);

    (void)state;
    assert_contains(text, "\033[31m  ✗ canary/smollm-135m/greeting: text mismatch\033[0m\n");
    assert_contains(text, "\033[32m  ✓ canary/smollm-135m/code: exact match\033[0m\n");
    assert_contains(text, "\033[33m  − quant-drift/smollm-135m/code: int4 run failed\033[0m\n");
    /* colour codes must not disturb the alignment of the matrix */
    assert_contains(text, "  token   \033[31m✓ 1 ✗ 1\033[0m      \033[31m✓ 1 ✗ 1\033[0m     ·\n");
    assert_contains(text, "  drift   \033[33m− 1\033[0m          \033[33m− 1\033[0m         ·\n");
    free(text);
    cJSON_Delete(doc);
}

/* Columns a line takes on a terminal: code points, colour sequences taking none. */
static size_t display_width(const char *s, size_t len)
{
    size_t w = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\033') {
            while (i < len && s[i] != 'm')
                i++;
        } else if (((unsigned char)s[i] & 0xC0) != 0x80) {
            w++;
        }
    }
    return w;
}

static size_t widest_line(const char *text)
{
    size_t widest = 0;
    for (const char *line = text; *line;) {
        size_t len = strcspn(line, "\n"), w = display_width(line, len);
        widest = w > widest ? w : widest;
        line += len + (line[len] == '\n');
    }
    return widest;
}

#define LONG_MODEL "an-exceptionally-long-model-name-that-no-narrow-terminal-column-could-hold"

/* Twelve models (one with a 74-character name) over all 23 suites, every status, a detail of
 * many words and a check name without any space to break at. */
static cJSON *wide_results(void)
{
    static const char *const suites[] = {
        "convert", "list",         "canary",     "token",         "drift",        "roundtrip",
        "ppl",     "inspect",      "validate",   "tensors",       "lint",         "selftest",
        "diff",    "tree",         "oracle-id",  "hex",           "debug",        "bench",
        "qa",      "rosetta-diff", "parity-gpu", "llamacpp-text", "cross-runtime"};
    static const char *const statuses[] = {"PASS", "FAIL", "TIMEOUT", "SKIP"};
    cJSON *doc = cJSON_CreateObject(), *checks = cJSON_AddArrayToObject(doc, "checks");
    char model[128], name[256];

    cJSON_AddNumberToObject(doc, "actions_executed", 1234);
    cJSON_AddNumberToObject(doc, "actions_cached", 56789);
    cJSON_AddNumberToObject(doc, "wall_ms", 123456);
    for (int m = 0; m < 12; m++) {
        snprintf(model, sizeof model, m == 5 ? LONG_MODEL : "model-%d-of-the-set", m);
        for (size_t s = 0; s < sizeof suites / sizeof *suites; s++) {
            for (int k = 0; k <= (int)(s + (size_t)m) % 3; k++) {
                cJSON *c = cJSON_CreateObject();
                snprintf(name, sizeof name, "%s/%s/variant-%d", suites[s], model, k);
                cJSON_AddStringToObject(c, "name", name);
                cJSON_AddStringToObject(c, "suite", suites[s]);
                cJSON_AddStringToObject(c, "model", model);
                cJSON_AddStringToObject(c, "status", statuses[(s + (size_t)k + (size_t)m) % 4]);
                cJSON_AddStringToObject(c, "detail",
                                        "apr qa failed (exit 101): thread main panicked at "
                                        "crates/apr/src/qa.rs:412 called unwrap on an Err "
                                        "value: the gate could not be judged, see stderr end");
                cJSON_AddItemToArray(checks, c);
            }
        }
    }
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "name", "token/" LONG_MODEL "/" LONG_MODEL "/" LONG_MODEL);
    cJSON_AddStringToObject(c, "suite", "token");
    cJSON_AddStringToObject(c, "model", LONG_MODEL);
    cJSON_AddStringToObject(c, "status", "FAIL");
    cJSON_AddItemToObject(c, "divergence",
                          cJSON_Parse("{\"index\":7,\"expected\":448,\"got\":123,"
                                      "\"expected_text\":\" a rather long piece\","
                                      "\"got_text\":\" another long piece\",\"mismatches\":9}"));
    cJSON_AddItemToArray(checks, c);
    return doc;
}

static int lines_starting(const char *text, const char *prefix)
{
    int n = strncmp(text, prefix, strlen(prefix)) == 0;
    for (const char *p = text; (p = strchr(p, '\n')); p++)
        n += strncmp(p + 1, prefix, strlen(prefix)) == 0;
    return n;
}

/* No line is wider than the width given, whatever the names; the matrix is cut into blocks of
 * models where it must be, and no word of a long detail is lost to the wrapping. */
static void test_console_fits_its_width(void **state)
{
    static const size_t widths[] = {40, 80, 160};
    int blocks[3];
    cJSON *doc = wide_results();

    (void)state;
    for (size_t i = 0; i < 3; i++) {
        for (int color = 0; color < 2; color++) {
            report_console_opts opts = {.color = color, .width = widths[i]};
            char *text = report(WRITER_CONSOLE, doc, &opts);
            if (widest_line(text) > widths[i])
                fail_msg("a line of %zu columns at width %zu:\n%s", widest_line(text), widths[i], text);
            blocks[i] = lines_starting(text, "  suite ");
            /* every check but the last has the long detail: its words survive the wrapping */
            assert_int_equal(occurrences(text, "panicked"),
                             cJSON_GetArraySize(cJSON_GetObjectItem(doc, "checks")) - 1);
            assert_int_equal(occurrences(text, "stderr"),
                             cJSON_GetArraySize(cJSON_GetObjectItem(doc, "checks")) - 1);
            free(text);
        }
    }
    assert_true(blocks[0] > blocks[1] && blocks[1] > blocks[2] && blocks[2] >= 1);

    report_console_opts narrow = {.width = 40}, wide = {.width = 160};
    char *text = report(WRITER_CONSOLE, doc, &narrow);
    /* a name wider than a whole column ends in an ellipsis; every row keeps its suite */
    assert_contains(text, "  suite          an-exceptionally-long-…\n");
    assert_int_equal(lines_starting(text, "  cross-runtime  "), blocks[0]);
    assert_contains(text,
                    "\n      first divergence at token 7:\n        expected 448 \" a rather long\n"
                    "        piece\", got 123 \" another long\n        piece\" (9 mismatches)\n");
    /* the totals break before their clause, not inside a figure */
    assert_contains(text, "\n  — 1234 actions executed, 56789 cached\n  in 123.5s\n");
    free(text);
    text = report(WRITER_CONSOLE, doc, &wide);
    assert_contains(text, "  " LONG_MODEL);
    assert_lacks(text, "…");
    free(text);
    cJSON_Delete(doc);
}

/* Checks of every status; the timeout is named apart from the failure everywhere. */
static const char timeout_doc[] =
    "{\"suites\":[\"qa\",\"lint\"],\"checks\":["
    "{\"name\":\"qa/m/int8\",\"suite\":\"qa\",\"model\":\"m\",\"status\":\"PASS\",\"detail\":\"6 gates\"},"
    "{\"name\":\"qa/m/int4\",\"suite\":\"qa\",\"model\":\"m\",\"status\":\"TIMEOUT\","
    "\"detail\":\"apr qa timed out after 300 s (not cached)\",\"reproduce\":\"tmgt --model m --check qa\"},"
    "{\"name\":\"lint/m/int4\",\"suite\":\"lint\",\"model\":\"m\",\"status\":\"FAIL\",\"detail\":\"1 "
    "critical\","
    "\"reproduce\":\"tmgt --model m --check lint\"},"
    "{\"name\":\"lint/m/int8\",\"suite\":\"lint\",\"model\":\"m\",\"status\":\"SKIP\",\"detail\":\"no "
    "input\"}]}";

static void test_timeout_in_every_report(void **state)
{
    cJSON *doc = cJSON_Parse(timeout_doc);
    report_console_opts color = {.color = true}, failures = {.failures_only = true};
    char *text;

    (void)state;
    text = report(WRITER_CONSOLE, doc, &plain);
    assert_contains(text, "  ⏱ qa/m/int4: apr qa timed out after 300 s (not cached)\n");
    assert_contains(text, "  suite  m\n  qa     ✓ 1 ⏱ 1\n  lint   ✗ 1 − 1\n");
    assert_contains(text, "1 passed, 1 failed, 1 timed out, 1 skipped (4 checks)\n");
    free(text);
    text = report(WRITER_CONSOLE, doc, &color);
    assert_contains(text, "\033[35m  ⏱ qa/m/int4: apr qa timed out after 300 s (not cached)\033[0m\n");
    assert_contains(text, "  qa     \033[35m✓ 1 ⏱ 1\033[0m\n");
    free(text);
    text = report(WRITER_CONSOLE, doc, &failures);
    assert_starts_with(text, "  ⏱ qa/m/int4: apr qa timed out after 300 s (not cached)\n  ✗ lint/m/int4");
    free(text);

    text = report(WRITER_JUNIT, doc, NULL);
    assert_contains(text, "<testsuites name=\"tmgt\" tests=\"4\" failures=\"1\" errors=\"1\" skipped=\"1\">");
    assert_contains(text, "<testsuite name=\"qa\" tests=\"2\" failures=\"0\" errors=\"1\" skipped=\"0\"");
    assert_contains(text,
                    "      <error type=\"timeout\" message=\"apr qa timed out after 300 s (not cached)\">"
                    "reproduce: tmgt --model m --check qa</error>\n");
    assert_int_equal(occurrences(text, "<failure "), 1);
    free(text);

    text = report(WRITER_HTML, doc, NULL);
    assert_contains(text,
                    "<td class=\"mixed\" title=\"1 passed, 0 failed, 1 timed out, 0 skipped\">"
                    "<span>✓ 1</span> <span>⏱ 1</span></td>");
    assert_contains(text, "<h2>Failures (1)</h2>");
    assert_contains(text, "<h2>Timed out (1)</h2>");
    assert_int_equal(occurrences(text, "<section class=\"failure timeout\">\n<h3><code>qa/m/int4</code>"), 1);
    assert_int_equal(occurrences(text, "<section class=\"failure\">"), 1);
    assert_contains(text, "<tr class=\"timeout\"><td>⏱</td><td><code>qa/m/int4</code>");
    free(text);

    text = report(WRITER_MARKDOWN, doc, NULL);
    assert_contains(text, "| m | ✓ 1 ⏱ 1 | ✗ 1 − 1 |\n");
    assert_contains(text, "### Failures\n\n- `lint/m/int4`: 1 critical\n");
    assert_contains(text,
                    "### Timed out (no verdict on the engine; not cached, so the next run tries again)\n\n"
                    "- `qa/m/int4`: apr qa timed out after 300 s (not cached)\n");
    free(text);

    text = report(WRITER_TICKET, doc, NULL);
    assert_contains(text,
                    "\n### 1 failure(s)\n\n#### `lint/m/int4`\n**Error**: 1 critical\n\n"
                    "### 1 timeout(s)\n\nKilled at their step's `timeout_s`: no verdict on the engine");
    assert_contains(text, "#### `qa/m/int4`\n**Timed out**: apr qa timed out after 300 s (not cached)\n\n");
    assert_contains(text, "```bash\ntmgt --model m --check qa\ntmgt --model m --check lint\n```\n");
    free(text);
    cJSON_Delete(doc);
}

static void test_junit_sample(void **state)
{
    cJSON *doc = load("results-sample.json");
    char *text = report(WRITER_JUNIT, doc, NULL);

    (void)state;
    assert_starts_with(text,
                       "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                       "<testsuites name=\"tmgt\" tests=\"10\" failures=\"3\" errors=\"0\" "
                       "skipped=\"2\" time=\"1.234\">\n"
                       "  <testsuite name=\"canary\" tests=\"3\" failures=\"1\" errors=\"0\" "
                       "skipped=\"0\" time=\"0.375\">\n");
    /* cached actions cost nothing in this run */
    assert_contains(text,
                    "<testsuite name=\"token\" tests=\"4\" failures=\"2\" errors=\"0\" skipped=\"0\" "
                    "time=\"0.750\">\n");
    assert_contains(text, "<testsuite name=\"drift\" tests=\"2\" failures=\"0\" errors=\"0\" skipped=\"2\"");
    assert_contains(text,
                    "    <testcase classname=\"tmgt.token\" name=\"token-parity/smollm-135m/int4/code\" "
                    "time=\"0.500\">\n      <failure type=\"parity\" message=\"3 mismatches exceeds "
                    "threshold 2\">oracle tokens: [472, 585, 304, 10204, 216, 33, 42, 448, 1003, 304]\n"
                    "  got tokens:    [472, 585, 304, 10204, 216, 33, 42, 123, 456]\n"
                    "first divergence at token 7: expected 448 &quot; n&quot;, got 123 &quot; of&quot; "
                    "(3 mismatches)\nreproduce: tmgt --model smollm-135m --check token</failure>\n"
                    "    </testcase>\n");
    assert_contains(
        text,
        "<testcase classname=\"tmgt.drift\" name=\"quant-drift/qwen2-0.5b/code\" time=\"0.000\">\n"
        "      <skipped message=\"engine apr missing\"/>\n    </testcase>\n");
    assert_contains(text, "<testcase classname=\"tmgt.list\" name=\"list/global\" time=\"0.000\"/>\n");
    assert_int_equal(occurrences(text, "<testcase "), 10);
    assert_int_equal(occurrences(text, "</testsuite>"), 4);
    assert_ends_with(text, "  </testsuite>\n</testsuites>\n");
    free(text);
    cJSON_Delete(doc);
}

static void test_junit_escaping(void **state)
{
    cJSON *doc = load("results-escape.json");
    char *text = report(WRITER_JUNIT, doc, NULL);

    (void)state;
    assert_no_control_bytes(text);
    assert_contains(text, "name=\"canary/&lt;b&gt;&amp;&quot;x&quot;/prompt\"");
    assert_contains(text, "message=\"a &lt; b &amp;&amp; c &gt; &quot;d&quot; \\x07bell \\x1B[31mred\"");
    assert_contains(text, "stderr: \\x01\\x02 raw ]]&gt; &lt;/failure&gt; tab\tend\\x7F\\xC2\\x85\n");
    assert_contains(text, "expected 1 &quot;&lt;&quot;, got 2 &quot;\\&quot;&amp;\\n&quot;");
    assert_contains(text, "<skipped message=\"no &lt;gpu&gt; \\x03\"/>");
    assert_contains(text, "name=\"canary/skip&#39;d\"");
    free(text);
    cJSON_Delete(doc);
}

static void test_html_sample(void **state)
{
    cJSON *doc = load("results-sample.json");
    char *text = report(WRITER_HTML, doc, NULL);

    (void)state;
    assert_starts_with(text, "<!DOCTYPE html>\n");
    assert_contains(text, "<title>tmgt parity report — 2026-11-25T19:40:00Z</title>");
    assert_contains(text, "<strong>apr</strong> apr 0.72.3 (abc123) <code title=\"abcdef0123456789");
    assert_contains(text, "\">abcdef012345</code>");
    assert_contains(text, "5 passed, 3 failed, 2 skipped (10 checks)");
    assert_contains(text, "<table id=\"matrix\">");
    /* suites as rows, models as columns */
    assert_contains(text,
                    "<thead><tr><th>suite</th><th>smollm-135m</th><th>qwen2-0.5b</th><th>global</th>"
                    "</tr></thead>");
    assert_contains(text,
                    "<tr><th>token</th>"
                    "<td class=\"mixed\" title=\"1 passed, 1 failed, 0 timed out, 0 skipped\">"
                    "<span>✓ 1</span> <span>✗ 1</span></td>"
                    "<td class=\"mixed\" title=\"1 passed, 1 failed, 0 timed out, 0 skipped\">"
                    "<span>✓ 1</span> <span>✗ 1</span></td>"
                    "<td class=\"empty\" title=\"0 passed, 0 failed, 0 timed out, 0 skipped\">·</td></tr>");
    assert_contains(
        text,
        "<tr><th>drift</th>"
        "<td class=\"skip\" title=\"0 passed, 0 failed, 0 timed out, 1 skipped\"><span>− 1</span></td>");
    assert_contains(text,
                    "<td class=\"pass\" title=\"1 passed, 0 failed, 0 timed out, 0 skipped\">"
                    "<span>✓ 1</span></td></tr>");
    assert_lacks(text, "<h2>Timed out");
    /* the divergence row, the other mismatches, and an agreeing row */
    assert_contains(text,
                    "<tr><td>6</td><td>42</td><td></td><td>42</td><td></td></tr>\n"
                    "<tr class=\"diverge\"><td>7</td><td>448</td><td> n</td><td>123</td><td> of</td></tr>\n"
                    "<tr class=\"mismatch\"><td>8</td><td>1003</td><td></td><td>456</td><td></td></tr>\n"
                    "<tr class=\"mismatch\"><td>9</td><td>304</td><td></td><td></td><td></td></tr>\n"
                    "</tbody>");
    assert_int_equal(occurrences(text, "<tr class=\"diverge\">"), 1);
    assert_contains(text, "<pre>\nHel<mark class=\"diverge\">l</mark>o, world!</pre>");
    assert_contains(text, "<pre>\nHel<mark class=\"diverge\">p</mark> me</pre>");
    assert_contains(text, "<pre>\n\n    if <mark class=\"diverge\">n</mark> &lt;= 1:</pre>");
    assert_contains(text, "<h2>Failures (3)</h2>");
    assert_int_equal(occurrences(text, "<section class=\"failure\">"), 3);
    assert_contains(text, "<summary>All 10 checks</summary>");
    assert_lacks(text, "http:");
    assert_lacks(text, "https:");
    assert_lacks(text, "<script");
    assert_lacks(text, "<link");
    assert_contains(text, "</body>\n</html>\n");
    free(text);
    cJSON_Delete(doc);
}

static void test_html_escaping(void **state)
{
    cJSON *doc = load("results-escape.json");
    char *text = report(WRITER_HTML, doc, NULL);

    (void)state;
    assert_no_control_bytes(text);
    assert_lacks(text, "<script>");
    assert_lacks(text, "<b>&");
    assert_contains(text, "<code>canary/&lt;b&gt;&amp;&quot;x&quot;/prompt</code>");
    assert_contains(text,
                    "<tr class=\"diverge\"><td>0</td><td>1</td><td>&lt;script&gt;</td>"
                    "<td>2</td><td>\\x1B&amp;</td></tr>");
    assert_contains(text, "<pre>\n&lt;<mark class=\"diverge\">b</mark>&gt;\\x0B</pre>");
    assert_contains(text, "<th>m&lt;1&gt;&amp;</th>");
    assert_contains(text, "apr &lt;9.9&gt; &amp; &quot;quoted&quot;");
    free(text);
    cJSON_Delete(doc);
}

/* No divergence object: the first mismatching token is the divergence; a text that stops early
 * is marked where it ends. */
static void test_html_divergence_without_index(void **state)
{
    cJSON *doc = cJSON_Parse(
        "{\"checks\":[{\"name\":\"c\",\"suite\":\"token\",\"model\":\"m\",\"status\":\"FAIL\","
        "\"expected\":{\"tokens\":[1,2,3],\"text\":\"abc\"},"
        "\"got\":{\"tokens\":[1,5,6],\"text\":\"ab\"}}]}");
    char *text = report(WRITER_HTML, doc, NULL);

    (void)state;
    assert_contains(text, "<tr class=\"diverge\"><td>1</td><td>2</td>");
    assert_contains(text, "<tr class=\"mismatch\"><td>2</td><td>3</td>");
    assert_contains(text, "<pre>\nab<mark class=\"diverge\">c</mark></pre>");
    assert_contains(text, "<pre>\nab<mark class=\"diverge end\">end of text</mark></pre>");
    free(text);
    cJSON_Delete(doc);
}

/* The pictures read the document as it is: a token text is escaped, a logprob or margin that
 * is not a finite number draws as unknown, an id too large for a double to hold is no id. */
static void test_html_pictures_of_odd_input(void **state)
{
    cJSON *doc = cJSON_Parse(
        "{\"checks\":[{\"name\":\"c\",\"suite\":\"token\",\"model\":\"m\",\"status\":\"FAIL\","
        "\"divergence\":{\"index\":1,\"expected\":5,\"got\":1e300,\"near_tie_nats\":\"x\","
        "\"oracle_top\":[{\"id\":5,\"logprob\":-0.5,\"text\":\"<b>\\n\"},{\"id\":6,\"logprob\":\"NaN\"},7],"
        "\"engine_top\":null,\"position_margins\":[0.5,\"inf\",null,-1]}}]}");
    char *text = report(WRITER_HTML, doc, NULL);

    (void)state;
    assert_contains(text,
                    "<tr class=\"expected\"><td><code>5 &quot;&lt;b&gt;\\n&quot;</code></td>"
                    "<td class=\"bar\"><span style=\"width:60.7%\"></span></td>"
                    "<td class=\"logp\">\u22120.50</td><td class=\"mark\">expected</td></tr>");
    assert_contains(text,
                    "<tr><td><code>6</code></td><td class=\"bar\"><span style=\"width:0.0%\"></span></td>"
                    "<td class=\"logp\">?</td>");
    assert_lacks(text, "<code>-1"); /* 7 is no entry */
    assert_contains(text, "top 2 at token 1");
    assert_lacks(text, "got 1e"); /* no got id: nothing said of it */
    assert_contains(text, "The engine reported no log-probabilities here.");
    assert_int_equal(occurrences(text, "<rect class=\"m-none\""), 2);
    assert_int_equal(occurrences(text, "<rect class=\"m-close\""), 1); /* 0.5 beyond a bound of 0 */
    assert_int_equal(occurrences(text, "<rect class=\"m-near\""), 1);  /* -1 */
    assert_contains(text, "<rect class=\"at\" x=\"21\"");
    free(text);
    cJSON_Delete(doc);
}

static void test_markdown_sample(void **state)
{
    cJSON *doc = load("results-sample.json");
    char *text = report(WRITER_MARKDOWN, doc, NULL);

    (void)state;
    assert_contains(text,
                    "5 passed, 3 failed, 2 skipped (10 checks) — 3 actions executed, 5 cached in 1.2s\n");
    assert_contains(text, "Engine: `apr 0.72.3 (abc123)`\n");
    assert_contains(text,
                    "| model | canary | token | drift | list |\n"
                    "|---|---|---|---|---|\n"
                    "| smollm-135m | ✓ 1 ✗ 1 | ✓ 1 ✗ 1 | − 1 | · |\n"
                    "| qwen2-0.5b | ✓ 1 | ✓ 1 ✗ 1 | − 1 | · |\n"
                    "| global | · | · | · | ✓ 1 |\n");
    assert_contains(text,
                    "### Failures\n\n"
                    "- `canary/smollm-135m/greeting`: text mismatch\n"
                    "  - `first divergence at character 3: expected \"l\", got \"p\"`\n"
                    "- `token-parity/smollm-135m/int4/code`: 3 mismatches exceeds threshold 2\n"
                    "  - `first divergence at token 7: expected 448 \" n\", got 123 \" of\" (3 mismatches)`\n"
                    "- `token-parity/qwen2-0.5b/int8/code`: 4 mismatches exceeds threshold 3\n");
    free(text);
    cJSON_Delete(doc);
}

static const char sample_ticket[] =
    "## Model Parity Failures\n"
    "\n"
    "**Date**: 2026-11-25\n"
    "**Tool**: `apr 0.72.3 (abc123)`\n"
    "**Oracle**: transformers 5.1.0, torch 2.10.0+cu128, float32, CPU, greedy\n"
    "\n"
    "### 3 failure(s)\n"
    "\n"
    "#### `canary/smollm-135m/greeting`\n"
    "**Error**: text mismatch\n"
    "```\n"
    "expected: 'Hello, world!'\n"
    "  got:      'Help me'\n"
    "first divergence at character 3: expected \"l\", got \"p\"\n"
    "```\n"
    "\n"
    "#### `token-parity/smollm-135m/int4/code`\n"
    "**Error**: 3 mismatches exceeds threshold 2\n"
    "```\n"
    "oracle tokens: [472, 585, 304, 10204, 216, 33, 42, 448, 1003, 304]\n"
    "  got tokens:    [472, 585, 304, 10204, 216, 33, 42, 123, 456]\n"
    "first divergence at token 7: expected 448 \" n\", got 123 \" of\" (3 mismatches)\n"
    "```\n"
    "\n"
    "#### `token-parity/qwen2-0.5b/int8/code`\n"
    "**Error**: 4 mismatches exceeds threshold 3\n"
    "\n"
    "### Reproduction\n"
    "```bash\n"
    "tmgt --model smollm-135m --check canary\n"
    "tmgt --model smollm-135m --check token\n"
    "tmgt --model qwen2-0.5b --check token\n"
    "```\n";

static void test_ticket_sample(void **state)
{
    cJSON *doc = load("results-sample.json");
    char *text = report(WRITER_TICKET, doc, NULL);

    (void)state;
    assert_string_equal(text, sample_ticket);
    free(text);
    cJSON_Delete(doc);
}

static void test_ticket_oracles_disagree(void **state)
{
    cJSON *doc = load("results-sample.json");
    cJSON *qwen = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "models"), 1);
    char *text;

    (void)state;
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(qwen, "oracle"), "transformers_version",
                              cJSON_CreateString("4.46.0"));
    text = report(WRITER_TICKET, doc, NULL);
    assert_contains(text,
                    "\n**Oracle**: smollm-135m: transformers 5.1.0, torch 2.10.0+cu128, float32, CPU, "
                    "greedy; qwen2-0.5b: transformers 4.46.0, torch 2.10.0+cu128, float32, CPU, greedy\n");
    free(text);
    cJSON_Delete(doc);
}

static void test_ticket_no_failures(void **state)
{
    cJSON *doc = cJSON_Parse(
        "{\"engines\":[{\"name\":\"llama-cli\",\"version\":\"b1\"}],"
        "\"checks\":[{\"name\":\"c\",\"status\":\"PASS\"},{\"name\":\"d\",\"status\":\"SKIP\"}]}");
    char *text = report(WRITER_TICKET, doc, NULL);

    (void)state;
    assert_string_equal(text,
                        "## Model Parity Failures\n\n**Date**: 2026-11-25\n**Tool**: `b1`\n"
                        "**Oracle**: unknown\n\nNo failures.\n");
    free(text);
    cJSON_Delete(doc);
}

/* Failures that share a reproduction command list it once; a backtick in the details lengthens
 * the fence so the block cannot be closed early. */
static void test_ticket_dedup_and_fence(void **state)
{
    cJSON *doc = cJSON_Parse(
        "{\"checks\":["
        "{\"name\":\"a\",\"suite\":\"token\",\"model\":\"m\",\"status\":\"FAIL\","
        "\"detail\":\"x\",\"details\":\"```` fence\"},"
        "{\"name\":\"b\",\"suite\":\"token\",\"model\":\"m\",\"status\":\"FAIL\",\"detail\":\"y\"},"
        "{\"name\":\"list/global\",\"suite\":\"list\",\"model\":\"global\",\"status\":\"FAIL\"}]}");
    char *text = report(WRITER_TICKET, doc, NULL);

    (void)state;
    assert_contains(text, "### 3 failure(s)\n");
    assert_contains(text, "**Error**: x\n`````\n```` fence\n`````\n\n");
    assert_contains(text, "```bash\ntmgt --model m --check token\ntmgt --check list\n```\n");
    free(text);
    cJSON_Delete(doc);
}

static void test_missing_fields(void **state)
{
    cJSON *doc = load("results-missing.json");
    char *text;

    (void)state;
    text = report(WRITER_CONSOLE, doc, &plain);
    assert_contains(text, "  ✗ (unnamed check)\n");
    assert_contains(text, "  − canary/x/code\n");
    assert_contains(text,
                    "  ✗ token-parity/x/int4/code\n      first divergence: expected end of output, got end "
                    "of output\n");
    assert_contains(text, "  suite   ?    x\n  ?       ✗ 4  ·\n  token   ·    ✗ 1\n  canary  ·    − 1\n");
    assert_contains(text, "\n0 passed, 5 failed, 1 skipped (6 checks)\n");
    free(text);

    text = report(WRITER_TICKET, doc, NULL);
    assert_contains(text, "**Tool**: `unknown`\n**Oracle**: unknown\n\n### 5 failure(s)\n");
    free(text);

    text = report(WRITER_HTML, doc, NULL);
    assert_no_control_bytes(text);
    assert_contains(text,
                    "<tr class=\"diverge\"><td>1</td><td>?</td><td></td><td>2</td><td>b</td></tr>\n"
                    "<tr class=\"mismatch\"><td>2</td><td>?</td><td></td><td>3</td><td></td></tr>\n");
    assert_contains(text, "<tr class=\"mismatch\"><td>3</td><td></td><td></td><td>4</td><td></td></tr>");
    free(text);

    for (report_writer k = WRITER_JUNIT; k < N_WRITERS; k++) {
        text = report(k, doc, &plain);
        assert_true(strlen(text) > 0);
        free(text);
    }
    cJSON_Delete(doc);
}

static void test_missing_checks_is_an_error(void **state)
{
    static const char *const docs[] = {"{}", "{\"checks\":{}}", "{\"checks\":\"none\"}", "[]", "3"};
    char *text = NULL;

    (void)state;
    for (size_t i = 0; i < sizeof docs / sizeof *docs; i++) {
        cJSON *doc = cJSON_Parse(docs[i]);
        for (report_writer k = WRITER_CONSOLE; k < N_WRITERS; k++) {
            assert_int_equal(render(k, doc, &plain, &text), -1);
            free(text);
            text = NULL;
        }
        cJSON_Delete(doc);
    }
    for (report_writer k = WRITER_CONSOLE; k < N_WRITERS; k++) {
        assert_int_equal(render(k, NULL, &plain, &text), -1);
        free(text);
        text = NULL;
    }
}

static void test_no_checks(void **state)
{
    cJSON *doc = cJSON_Parse("{\"checks\":[],\"interrupted\":true}");
    char *text = report(WRITER_CONSOLE, doc, &plain);

    (void)state;
    assert_string_equal(text, "0 passed, 0 failed, 0 skipped (0 checks) — interrupted, results incomplete\n");
    free(text);
    text = report(WRITER_JUNIT, doc, NULL);
    assert_string_equal(text,
                        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                        "<testsuites name=\"tmgt\" tests=\"0\" failures=\"0\" errors=\"0\" skipped=\"0\">\n"
                        "</testsuites>\n");
    free(text);
    cJSON_Delete(doc);
}

static char *written(const char *s, unsigned flags)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    escape_puts(out, s, flags);
    fclose(out);
    return text;
}

static void assert_written(const char *s, unsigned flags, const char *expected)
{
    char *text = written(s, flags);
    assert_string_equal(text, expected);
    free(text);
}

static void test_text_escaping(void **state)
{
    (void)state;
    /* each invalid byte is one U+FFFD, as in the results document */
#define FFFD "\xef\xbf\xbd"
    assert_written(
        "a\xff"
        "b\xe2\x82",
        0, "a" FFFD "b" FFFD FFFD);
    assert_written("\xed\xa0\x80", 0, FFFD FFFD FFFD);             /* a UTF-16 surrogate is not UTF-8 */
    assert_written("\x01\x7f\xc2\x85", 0, "\\x01\\x7F\\xC2\\x85"); /* controls stay visible */
#undef FFFD
    assert_written("\xef\xbf\xbe ok \xc3\xa9", ESC_MARKUP, "\\xEF\\xBF\\xBE ok \xc3\xa9");
    assert_written("<a href=\"x\">&'", ESC_MARKUP, "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
    assert_written("a\"b\\c\n", ESC_VISIBLE | ESC_QUOTED, "a\\\"b\\\\c\\n");
    assert_written("a|b*c_d\ne", ESC_MD, "a\\|b\\*c\\_d e");
    assert_int_equal(escape_width("·x\t", ESC_VISIBLE), 4);
}

static void test_md_code_span(void **state)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);

    (void)state;
    rc_md_code(out, "plain");
    fputc('|', out);
    rc_md_code(out, "a``b");
    fputc('|', out);
    rc_md_code(out, "`x");
    fclose(out);
    assert_string_equal(text, "`plain`|```a``b```|`` `x ``");
    free(text);
}

/* A check with a classified divergence (checks/divergence.h) and an oracle without margins: the
 * console says the sentence once (in the detail, not again under it), the other reports show
 * it; a text check's code-point divergence beside it is what an unclassified one falls back
 * to; the oracle without margins is said once per model. */
static void test_classified_divergence_and_margins_note(void **state)
{
#define SENTENCE                                                                                        \
    "first divergence at token 4: expected 504 \"The\" (logp \u22121.94), got 198 \"\\n\" (not in the " \
    "oracle's "                                                                                         \
    "top 20) \u2014 confident"
    static const char sentence[] = SENTENCE, detail[] = "28 mismatches exceeds threshold 3; " SENTENCE;
    cJSON *doc = cJSON_Parse(
        "{\"checks\":[], \"models\":[{\"slug\":\"m\",\"oracle\":{\"margins\":false,"
        "\"format\":\"float32\"}}, {\"slug\":\"n\",\"oracle\":{\"margins\":true}}]}");
    cJSON *checks = cJSON_GetObjectItem(doc, "checks");
    cJSON *c = cJSON_CreateObject();
    (void)state;
    cJSON_AddStringToObject(c, "name", "token-parity/m/int8/completion");
    cJSON_AddStringToObject(c, "suite", "token");
    cJSON_AddStringToObject(c, "model", "m");
    cJSON_AddStringToObject(c, "status", "FAIL");
    cJSON_AddStringToObject(c, "detail", detail);
    cJSON *div = cJSON_AddObjectToObject(c, "divergence");
    cJSON_AddNumberToObject(div, "index", 4);
    cJSON_AddNumberToObject(div, "expected", 504);
    cJSON_AddNumberToObject(div, "got", 198);
    cJSON_AddStringToObject(div, "class", "confident");
    cJSON_AddStringToObject(div, "sentence", sentence);
    cJSON_AddItemToArray(checks, c);
    cJSON *text_check = cJSON_Parse(
        "{\"name\":\"canary/m/code\",\"suite\":\"canary\",\"model\":\"m\","
        "\"status\":\"FAIL\",\"detail\":\"text mismatch\",\"divergence\":{\"index\":2,"
        "\"expected\":7,\"got\":8,\"class\":null,\"text\":{\"index\":5,"
        "\"expected_text\":\"l\",\"got_text\":\"p\",\"mismatches\":1}}}");
    cJSON_AddItemToArray(checks, text_check);

    char *text = report(WRITER_CONSOLE, doc, &(report_console_opts){.width = 400});
    assert_contains(text, detail);
    assert_int_equal(occurrences(text, sentence), 1);
    assert_contains(text,
                    "\n      first divergence at character 5: expected \"l\", got \"p\" (1 mismatch)\n");
    assert_contains(text, "\nnote: the oracle of m records no margins (prompt_tokens, top_logprobs)");
    assert_null(strstr(text, "oracle of n"));
    free(text);
    for (report_writer k = WRITER_JUNIT; k < N_WRITERS; k++) {
        text = report(k, doc, NULL);
        assert_contains(text, "first divergence at token 4");
        assert_contains(text, "confident");
        free(text);
    }
    text = report(WRITER_TICKET, doc, NULL);
    assert_contains(text, "records no margins");
    free(text);
    cJSON_Delete(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matrix_cells),
        cmocka_unit_test(test_matrix_order_falls_back_to_first_appearance),
        cmocka_unit_test(test_console_lines_matrix_totals),
        cmocka_unit_test(test_console_quiet),
        cmocka_unit_test(test_console_failures_only),
        cmocka_unit_test(test_console_color),
        cmocka_unit_test(test_console_fits_its_width),
        cmocka_unit_test(test_timeout_in_every_report),
        cmocka_unit_test(test_junit_sample),
        cmocka_unit_test(test_junit_escaping),
        cmocka_unit_test(test_html_sample),
        cmocka_unit_test(test_html_escaping),
        cmocka_unit_test(test_html_divergence_without_index),
        cmocka_unit_test(test_html_pictures_of_odd_input),
        cmocka_unit_test(test_markdown_sample),
        cmocka_unit_test(test_ticket_sample),
        cmocka_unit_test(test_ticket_oracles_disagree),
        cmocka_unit_test(test_ticket_no_failures),
        cmocka_unit_test(test_ticket_dedup_and_fence),
        cmocka_unit_test(test_missing_fields),
        cmocka_unit_test(test_missing_checks_is_an_error),
        cmocka_unit_test(test_no_checks),
        cmocka_unit_test(test_text_escaping),
        cmocka_unit_test(test_md_code_span),
        cmocka_unit_test(test_classified_divergence_and_margins_note),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
