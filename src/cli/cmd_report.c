/* tmgt report / ticket: render the last results without running anything. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "fs.h"
#include "report.h"
#include "results.h"
#include "terminal.h"

static int write_report(const cli_opts *o, const cJSON *doc, FILE *out)
{
    const char *fmt = o->format ? o->format : "console";
    if (!strcmp(fmt, "console")) {
        terminal t = terminal_of(out);
        report_console_opts ro = {.color = t.color, .quiet = o->quiet, .width = t.width};
        return report_console(doc, out, &ro);
    }
    if (!strcmp(fmt, "junit"))
        return report_junit(doc, out);
    if (!strcmp(fmt, "html"))
        return report_html(doc, out);
    if (!strcmp(fmt, "md") || !strcmp(fmt, "markdown"))
        return report_markdown(doc, out);
    fprintf(stderr, "tmgt: unknown report format \"%s\" (console, junit, html, md)\n", fmt);
    return EXIT_USAGE;
}

static int write_ticket(const cli_opts *o, const cJSON *doc, FILE *out)
{
    char date[16];
    time_t t = time(NULL);
    struct tm tm;
    strftime(date, sizeof date, "%Y-%m-%d", gmtime_r(&t, &tm));
    return report_ticket(doc, out, date);
}

/* Loads the last results and writes them with `emit` to stdout or -o FILE. */
static int render(const cli_opts *o, int (*emit)(const cli_opts *o, const cJSON *doc, FILE *out))
{
    tmgt_error err = {{0}};
    char *path = path_join(o->results_dir, "latest.json");
    cJSON *doc = results_load(path, &err);
    bool never_ran = !doc && !path_exists(path);
    free(path);
    if (!doc) {
        fprintf(stderr, "tmgt: %s%s\n", err.msg, never_ran ? " (run `tmgt run` first)" : "");
        return EXIT_ENV;
    }
    FILE *out = stdout;
    if (o->output && !(out = fopen(o->output, "w"))) {
        fprintf(stderr, "tmgt: cannot write %s\n", o->output);
        cJSON_Delete(doc);
        return EXIT_ENV;
    }
    int rc = emit(o, doc, out);
    if (out != stdout && fclose(out) != 0) {
        fprintf(stderr, "tmgt: cannot write %s\n", o->output);
        rc = EXIT_ENV;
    }
    cJSON_Delete(doc);
    return rc < 0 ? EXIT_ENV : rc;
}

int cmd_report(const cli_opts *o)
{
    return render(o, write_report);
}

int cmd_ticket(const cli_opts *o)
{
    return render(o, write_ticket);
}
