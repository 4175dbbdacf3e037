/* `tmgt report` and `tmgt ticket` read a results file that may come from another tmgt, another
 * version or a text editor: loading and every renderer must cope with any document. */
#include <stdlib.h>

#include "fuzz_util.h"
#include "report.h"
#include "results.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *path = fuzz_write_input("latest.json", data, size);
    tmgt_error err = {{0}};
    cJSON *doc = results_load(path, &err);
    if (doc) {
        FILE *out = fuzz_null_stream();
        report_console_opts ro = {.color = true, .width = 20 + size % 141}; /* wrapping and blocks too */
        report_console(doc, out, &ro);
        report_junit(doc, out);
        report_html(doc, out);
        report_markdown(doc, out);
        report_ticket(doc, out, "2026-01-01");
        cJSON_Delete(doc);
    }
    free(path);
    return 0;
}
