/* Every writer of the report layer by one name each, for tests that take them in turn. */
#ifndef TMGT_TEST_WRITERS_H
#define TMGT_TEST_WRITERS_H

#include <stdio.h>
#include <cjson/cJSON.h>

#include "report.h"

typedef enum {
    WRITER_CONSOLE,
    WRITER_JUNIT,
    WRITER_HTML,
    WRITER_MARKDOWN,
    WRITER_TICKET,
    N_WRITERS
} report_writer;

/* Writes `doc` to `out` through `w`: `console` are the console's options, `date` the
 * ticket's. Returns the writer's status. */
int writer_render(report_writer w, const cJSON *doc, FILE *out, const report_console_opts *console,
                  const char *date);

#endif
