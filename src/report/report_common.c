#include "report_common.h"

#include <stdlib.h>
#include <string.h>

static const char *or_default(const char *s, const char *fallback)
{
    return s ? s : fallback;
}

/* An empty optional text is no text: the ticket must not print an empty fenced block. */
static const char *non_empty(const char *s)
{
    return s && *s ? s : NULL;
}

void rc_check_read(const cJSON *item, rc_check *c)
{
    c->name = or_default(json_str(item, "name"), "(unnamed check)");
    c->suite = or_default(json_str(item, "suite"), "?");
    c->model = or_default(json_str(item, "model"), "?");
    c->detail = or_default(json_str(item, "detail"), "");
    c->details = non_empty(json_str(item, "details"));
    c->reproduce = non_empty(json_str(item, "reproduce"));
    c->status = check_status_parse(json_str(item, "status"));
    c->divergence = json_object(item, "divergence");
    c->expected = json_object(item, "expected");
    c->got = json_object(item, "got");
    c->actions = json_array(item, "actions");
}

const char *rc_symbol(check_status s)
{
    static const char *const symbols[CHECK_NSTATUS] = {
        [CHECK_PASS] = "✓", [CHECK_FAIL] = "✗", [CHECK_TIMEOUT] = "⏱", [CHECK_SKIP] = "−"};
    return symbols[s];
}

const char *rc_status_word(check_status s)
{
    static const char *const words[CHECK_NSTATUS] = {
        [CHECK_PASS] = "pass", [CHECK_FAIL] = "fail", [CHECK_TIMEOUT] = "timeout", [CHECK_SKIP] = "skip"};
    return words[s];
}

size_t rc_backtick_run(const char *s)
{
    size_t best = 0, run = 0;
    for (; s && *s; s++) {
        run = *s == '`' ? run + 1 : 0;
        if (run > best)
            best = run;
    }
    return best;
}

void rc_repeat(FILE *out, char ch, size_t n)
{
    while (n--)
        fputc(ch, out);
}

void rc_md_code(FILE *out, const char *s)
{
    size_t len = strlen(s), ticks = rc_backtick_run(s) + 1;
    /* CommonMark strips one space at each end and needs one to separate a leading or
     * trailing backtick from the delimiters. */
    bool pad = len && (s[0] == '`' || s[0] == ' ' || s[len - 1] == '`' || s[len - 1] == ' ');
    rc_repeat(out, '`', ticks);
    fputs(pad ? " " : "", out);
    escape_puts(out, s, ESC_VISIBLE);
    fputs(pad ? " " : "", out);
    rc_repeat(out, '`', ticks);
}

bool rc_divergence_is_token(const cJSON *div)
{
    double id;
    return json_num(div, "expected", &id) || json_num(div, "got", &id);
}

static void divergence_side(FILE *out, const cJSON *div, const char *id_key, const char *text_key)
{
    double id;
    bool has_id = json_num(div, id_key, &id);
    const char *text = json_str(div, text_key);

    if (has_id)
        fprintf(out, "%.0f", id);
    if (text) {
        fputs(has_id ? " \"" : "\"", out);
        escape_puts(out, text, ESC_VISIBLE | ESC_QUOTED);
        fputc('"', out);
    }
    if (!has_id && !text)
        fputs("end of output", out);
}

char *rc_divergence_text(const cJSON *div)
{
    char *buf = NULL;
    size_t len = 0;
    double at, mismatches;
    FILE *mem;
    const char *sentence = json_str(div, "sentence");

    /* The token verdict in words (checks/divergence.h); else the text's divergence, for a text
     * check, or the token ids alone, against an oracle without margins. */
    if (sentence)
        return xstrdup(sentence);
    if (json_object(div, "text"))
        div = json_object(div, "text");
    if (!cJSON_IsObject(div) || !(mem = open_memstream(&buf, &len)))
        return NULL;
    fputs("first divergence", mem);
    if (json_num(div, "index", &at))
        fprintf(mem, " at %s %.0f", rc_divergence_is_token(div) ? "token" : "character", at);
    fputs(": expected ", mem);
    divergence_side(mem, div, "expected", "expected_text");
    fputs(", got ", mem);
    divergence_side(mem, div, "got", "got_text");
    if (json_num(div, "mismatches", &mismatches))
        fprintf(mem, " (%.0f mismatch%s)", mismatches, mismatches == 1 ? "" : "es");
    fclose(mem);
    return buf;
}

char *rc_oracle_text(const cJSON *model)
{
    const cJSON *oracle = json_object(model, "oracle");
    char *buf = NULL;
    size_t len = 0;
    FILE *mem;

    if (!oracle || !(mem = open_memstream(&buf, &len)))
        return NULL;
    fputs("transformers ", mem);
    escape_puts(mem, or_default(json_str(oracle, "transformers_version"), "unknown"), ESC_VISIBLE);
    fputs(", torch ", mem);
    escape_puts(mem, or_default(json_str(oracle, "torch_version"), "unknown"), ESC_VISIBLE);
    fputs(", ", mem);
    escape_puts(mem, or_default(json_str(oracle, "format"), "unknown format"), ESC_VISIBLE);
    fputs(", CPU, greedy", mem);
    if (rc_lacks_margins(model))
        fprintf(mem, "; %s", RC_NO_MARGINS);
    fclose(mem);
    return buf;
}

bool rc_lacks_margins(const cJSON *model)
{
    return cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(json_object(model, "oracle"), "margins"));
}

void rc_margins_note(FILE *out, const cJSON *model)
{
    fputs("note: the oracle of ", out);
    escape_puts(out, or_default(json_str(model, "slug"), "?"), ESC_VISIBLE);
    fprintf(out, " %s", RC_NO_MARGINS);
}

const char *rc_engine_version(const cJSON *results)
{
    const cJSON *engines = json_array(results, "engines");
    const cJSON *engine;

    cJSON_ArrayForEach (engine, engines) {
        const char *name = json_str(engine, "name");
        if (name && strcmp(name, "apr") == 0 && json_str(engine, "version"))
            return json_str(engine, "version");
    }
    return or_default(json_str(cJSON_GetArrayItem(engines, 0), "version"), "unknown");
}

static size_t find_label(const char **labels, size_t n, const char *s)
{
    size_t i = 0;
    while (i < n && strcmp(labels[i], s) != 0)
        i++;
    return i;
}

static void add_label(const char **labels, size_t *n, const char *s)
{
    if (find_label(labels, *n, s) == *n)
        labels[(*n)++] = s;
}

static void collect_labels(const cJSON *results, const cJSON *checks, rc_matrix *m)
{
    const cJSON *item;
    bool global = false;

    cJSON_ArrayForEach (item, json_array(results, "suites")) {
        if (cJSON_IsString(item))
            add_label(m->cols, &m->ncols, item->valuestring);
    }
    cJSON_ArrayForEach (item, checks) {
        rc_check c;
        rc_check_read(item, &c);
        add_label(m->cols, &m->ncols, c.suite);
        if (strcmp(c.model, RC_GLOBAL) == 0)
            global = true;
        else
            add_label(m->rows, &m->nrows, c.model);
    }
    if (global)
        m->rows[m->nrows++] = RC_GLOBAL;
}

int rc_matrix_build(const cJSON *results, rc_matrix *m)
{
    const cJSON *checks = json_array(results, "checks");
    const cJSON *item;
    size_t nchecks, nsuites;

    memset(m, 0, sizeof *m);
    if (!checks)
        return -1;
    nchecks = (size_t)cJSON_GetArraySize(checks);
    nsuites = (size_t)cJSON_GetArraySize(json_array(results, "suites"));
    m->rows = calloc(nchecks + 1, sizeof *m->rows);
    m->cols = calloc(nchecks + nsuites + 1, sizeof *m->cols);
    if (!m->rows || !m->cols)
        goto fail;
    collect_labels(results, checks, m);
    m->cells = calloc(m->nrows * m->ncols + 1, sizeof *m->cells);
    if (!m->cells)
        goto fail;
    cJSON_ArrayForEach (item, checks) {
        rc_check c;
        rc_check_read(item, &c);
        size_t row = find_label(m->rows, m->nrows, c.model);
        size_t col = find_label(m->cols, m->ncols, c.suite);
        m->cells[row * m->ncols + col].n[c.status]++;
        m->total.n[c.status]++;
    }
    return 0;
fail:
    rc_matrix_free(m);
    return -1;
}

void rc_matrix_free(rc_matrix *m)
{
    free(m->rows);
    free(m->cols);
    free(m->cells);
    memset(m, 0, sizeof *m);
}

const rc_cell *rc_matrix_cell(const rc_matrix *m, size_t row, size_t col)
{
    return &m->cells[row * m->ncols + col];
}

int rc_cell_sum(const rc_cell *c)
{
    int sum = 0;
    for (int s = 0; s < CHECK_NSTATUS; s++)
        sum += c->n[s];
    return sum;
}

void rc_cell_symbols_in(FILE *out, const rc_cell *c, const char *open, const char *close)
{
    const char *sep = "";
    for (int s = 0; s < CHECK_NSTATUS; s++) {
        if (c->n[s]) {
            fprintf(out, "%s%s%s %d%s", sep, open, rc_symbol((check_status)s), c->n[s], close);
            sep = " ";
        }
    }
    if (!*sep)
        fputs("·", out);
}

void rc_cell_symbols(FILE *out, const rc_cell *c)
{
    rc_cell_symbols_in(out, c, "", "");
}

void rc_each_check(FILE *out, const cJSON *checks, check_status status,
                   void (*write)(FILE *out, const rc_check *c))
{
    const cJSON *item;

    cJSON_ArrayForEach (item, checks) {
        rc_check c;
        rc_check_read(item, &c);
        if (c.status == status)
            write(out, &c);
    }
}

static const char *plural(double n)
{
    return n == 1 ? "" : "s";
}

void rc_totals(FILE *out, const cJSON *results, const rc_cell *total)
{
    double executed, cached = 0, wall_ms;
    int checks = rc_cell_sum(total);

    fprintf(out, "%d passed, %d failed, ", total->n[CHECK_PASS], total->n[CHECK_FAIL]);
    if (total->n[CHECK_TIMEOUT])
        fprintf(out, "%d timed out, ", total->n[CHECK_TIMEOUT]);
    fprintf(out, "%d skipped (%d check%s)", total->n[CHECK_SKIP], checks, plural(checks));
    if (json_num(results, "actions_executed", &executed)) {
        json_num(results, "actions_cached", &cached);
        fprintf(out, " — %.0f action%s executed, %.0f cached", executed, plural(executed), cached);
    }
    if (json_num(results, "wall_ms", &wall_ms))
        fprintf(out, " in %.1fs", wall_ms / 1000);
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(results, "interrupted")))
        fputs(" — interrupted, results incomplete", out);
}
