/* The property every writer of tmgt must have: whatever bytes the strings of a results document
 * hold (engine versions, stderr excerpts, file names, token texts), what the writer produces is
 * valid UTF-8 and well-formed in its format. Shared by the fuzz target fuzz_writers and the unit
 * test test_writers, which feeds it pseudo-random inputs on every `make test`. */
#ifndef TMGT_TEST_WRITERS_CHECK_H
#define TMGT_TEST_WRITERS_CHECK_H

#include <stddef.h>
#include <stdint.h>

/* Builds a results document whose every string is a piece of `data` (cut at NUL bytes and every
 * 64 bytes, reused in turn), writes it through each writer (results JSON pretty and compact, console with and
 * without colour, JUnit, HTML, Markdown, ticket) and reads each output back: JSON must parse and
 * hold every string as utf8_sanitize makes it, JUnit must be well-formed XML, HTML well-formed
 * as report_html writes it, Markdown's table rows as wide as its header, and every output valid
 * UTF-8 without stray control characters. NULL when all hold, else a malloc'd message naming the
 * writer and what was wrong. */
char *writers_check(const uint8_t *data, size_t size);

#endif
