/* Whatever bytes an engine, a file name or a command line puts into a results document, every
 * writer (results JSON, console, JUnit, HTML, Markdown, ticket) writes valid UTF-8 that is
 * well-formed in its format and reads back (tests/support/writers_check.h). */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_util.h"
#include "writers_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *why = writers_check(data, size);
    if (why) {
        fprintf(stderr, "fuzz_writers: %s\n", why);
        abort();
    }
    return 0;
}
