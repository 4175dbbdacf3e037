#include "query.h"

#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "compare.h"
#include "json_lenient.h"
#include "json_read.h"
#include "text.h"
#include "utf8.h"
#include "suite_common.h"
#include "util.h"

static const char *command_of(const check_ctx *ctx, size_t i)
{
    const query_output *q = ctx->q[i];
    if (q && q->command)
        return q->command;
    return ctx->spec->queries[i].step;
}

static const char *signal_name(int sig)
{
    static const struct {
        int sig;
        const char *name;
    } names[] = {
        {SIGSEGV, "SIGSEGV"}, {SIGABRT, "SIGABRT"}, {SIGKILL, "SIGKILL"}, {SIGTERM, "SIGTERM"},
        {SIGBUS, "SIGBUS"},   {SIGFPE, "SIGFPE"},   {SIGILL, "SIGILL"},   {SIGINT, "SIGINT"},
        {SIGPIPE, "SIGPIPE"}, {SIGQUIT, "SIGQUIT"}, {SIGHUP, "SIGHUP"},   {SIGTRAP, "SIGTRAP"},
        {SIGSYS, "SIGSYS"},   {SIGALRM, "SIGALRM"}, {SIGXCPU, "SIGXCPU"}, {SIGXFSZ, "SIGXFSZ"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].sig == sig)
            return names[i].name;
    return NULL;
}

/* Does the line start with `word` (case-insensitively), after indentation and colour codes? */
static bool line_starts_with(const char *s, size_t len, const char *word)
{
    size_t i = 0, n = strlen(word);
    while (i < len) {
        size_t esc = ansi_escape_len(s + i, len - i);
        if (esc)
            i += esc;
        else if (s[i] == ' ' || s[i] == '\t')
            i++;
        else
            break;
    }
    return len - i >= n && strncasecmp(s + i, word, n) == 0;
}

static bool line_contains(const char *s, size_t len, const char *word)
{
    size_t n = strlen(word);
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(s + i, word, n) == 0)
            return true;
    return false;
}

static bool line_blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return false;
    return true;
}

/* The line of engine output that says what went wrong: apr prints "error: <what>" on failure,
 * a Rust panic prints "panicked at <where>:" with its message on the next line, and anything
 * else usually ends with its complaint. */
static char *failure_line(const char *s, size_t len)
{
    const char *error = NULL, *panic = NULL, *last = NULL;
    size_t error_len = 0, panic_len = 0, last_len = 0;
    bool panic_continues = false;

    for (size_t start = 0; s && start < len;) {
        const char *nl = memchr(s + start, '\n', len - start);
        size_t end = nl ? (size_t)(nl - s) : len, n = end - start;
        const char *line = s + start;
        if (panic_continues)
            panic_len = end - (size_t)(panic - s);
        panic_continues = false;
        if (!error && line_starts_with(line, n, "error:"))
            error = line, error_len = n;
        if (!panic && line_contains(line, n, "panicked")) {
            panic = line, panic_len = n;
            panic_continues = n && line[n - 1] == ':';
        }
        if (!line_blank(line, n))
            last = line, last_len = n;
        start = end + 1;
    }
    if (error)
        return text_one_line(error, error_len, 300);
    if (panic)
        return text_one_line(panic, panic_len, 300);
    return last ? text_one_line(last, last_len, 300) : NULL;
}

static void set_labeled(check_result *r, check_status st, const char *label, const char *msg)
{
    check_result_set(r, st, "%s%s%s", label ? label : "", label ? ": " : "", msg);
}

bool query_ok_as(const check_ctx *ctx, size_t i, check_result *r, const char *label)
{
    const query_output *q = i < ctx->spec->n_queries ? ctx->q[i] : NULL;
    const char *cmd = command_of(ctx, i);
    char *msg = NULL, *why = NULL;
    check_status st = CHECK_FAIL;

    action_status s = q ? q->status : ST_NONE; /* no output at all: it never ran */
    if (action_status_ran(s))
        return true;
    switch (s) {
    case ST_EXIT:
        why = failure_line(q->err, q->err_len);
        msg = why ? xasprintf("%s failed (exit %d): %s", cmd, q->exit_code, why)
                  : xasprintf("%s failed (exit %d)", cmd, q->exit_code);
        break;
    case ST_SIGNAL: {
        const char *name = signal_name(q->term_signal);
        msg = name ? xasprintf("%s killed by signal %d (%s)", cmd, q->term_signal, name)
                   : xasprintf("%s killed by signal %d", cmd, q->term_signal);
        break;
    }
    case ST_TIMEOUT:
        st = CHECK_TIMEOUT;
        msg = xasprintf("%s %s", cmd, q->reason ? q->reason : "timed out");
        break;
    case ST_SPAWN_ERROR:
        msg = q->reason ? xasprintf("%s could not be started: %s", cmd, q->reason)
                        : xasprintf("%s could not be started", cmd);
        break;
    case ST_OUTPUT_LIMIT:
        msg = xasprintf("%s printed more output than tmgt keeps and was killed", cmd);
        break;
    default: /* action_status_not_run: nothing to judge */
        st = CHECK_SKIP;
        if (q && q->reason)
            msg = text_one_line(q->reason, strlen(q->reason), 1000);
        else
            msg = xasprintf("%s was not run", cmd);
        break;
    }
    set_labeled(r, st, label, msg);
    free(why);
    free(msg);
    return false;
}

bool query_ok(const check_ctx *ctx, size_t i, check_result *r)
{
    return query_ok_as(ctx, i, r, NULL);
}

bool query_skipped(const check_ctx *ctx, size_t i)
{
    const query_output *q = ctx->q[i];
    return !q || action_status_not_run(q->status);
}

bool queries_ok(const check_ctx *ctx, check_result *r, const char *const *labels)
{
    size_t n = ctx->spec->n_queries;
    for (size_t pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < n; i++) {
            if ((pass == 0) != query_skipped(ctx, i) && !query_ok_as(ctx, i, r, labels ? labels[i] : NULL))
                return false;
        }
    }
    return true;
}

/* What a message quotes of stdout that is not JSON: its start, unless it is not text at all. */
static char *stdout_preview(const query_output *q)
{
    if (q->out_len == 0)
        return xstrdup("(empty output)");
    if (!utf8_is_text(q->out, q->out_len))
        return xasprintf("(%zu bytes, not UTF-8 text)", q->out_len);
    size_t len = q->out_len;
    while (len && isspace((unsigned char)q->out[len - 1]))
        len--;
    return text_one_line(q->out, len, 200);
}

static const cJSON *stdout_doc(const query_output *q)
{
    stdout_json *j = q->json;
    if (!j->parsed) {
        j->doc = json_parse_lenient(q->out, q->out_len, NULL);
        j->parsed = true;
    }
    return j->doc;
}

static const cJSON *parse_stdout(const check_ctx *ctx, size_t i, check_result *r, const char *label)
{
    const query_output *q = ctx->q[i];
    const cJSON *doc = stdout_doc(q);
    if (!doc) {
        char *preview = stdout_preview(q);
        char *msg = xasprintf("%s returned invalid JSON: %s", command_of(ctx, i), preview);
        set_labeled(r, CHECK_FAIL, label, msg);
        free(msg);
        free(preview);
    }
    return doc;
}

/* Judges the query first, so an evaluator makes one call for "did it run, and what did it say". */
const cJSON *query_json_as(const check_ctx *ctx, size_t i, check_result *r, const char *label)
{
    if (!query_ok_as(ctx, i, r, label))
        return NULL;
    return parse_stdout(ctx, i, r, label);
}

const cJSON *query_json(const check_ctx *ctx, size_t i, check_result *r)
{
    return query_json_as(ctx, i, r, NULL);
}

const cJSON *query_report_json(const check_ctx *ctx, size_t i, check_result *r, const char *label,
                               bool *failed_exit)
{
    const query_output *q = ctx->q[i];
    *failed_exit = false;
    if (q && q->status == ST_EXIT) {
        const cJSON *doc = stdout_doc(q);
        if (doc) {
            *failed_exit = true;
            return doc;
        }
    }
    return query_json_as(ctx, i, r, label);
}

void settle_report_exit(const check_ctx *ctx, size_t i, check_result *r, const char *label, bool failed_exit)
{
    if (failed_exit && r->status == CHECK_PASS)
        query_ok_as(ctx, i, r, label);
}
