#include "writers.h"

int writer_render(report_writer w, const cJSON *doc, FILE *out, const report_console_opts *console,
                  const char *date)
{
    switch (w) {
    case WRITER_CONSOLE:
        return report_console(doc, out, console);
    case WRITER_JUNIT:
        return report_junit(doc, out);
    case WRITER_HTML:
        return report_html(doc, out);
    case WRITER_MARKDOWN:
        return report_markdown(doc, out);
    case WRITER_TICKET:
        return report_ticket(doc, out, date);
    case N_WRITERS:
        break;
    }
    return -1;
}
