/* Well-formedness of what the XML and HTML writers produce, checked without an outside parser so
 * that the fuzz target and the unit tests can run it on every input. */
#ifndef TMGT_TEST_MARKUP_CHECK_H
#define TMGT_TEST_MARKUP_CHECK_H

#include <stdbool.h>
#include <stddef.h>

/* NULL when `s` is well-formed XML 1.0: valid UTF-8 of XML characters only, an optional <?xml?>
 * declaration, one root element, balanced tags, quoted attributes without '<', entity references
 * among the five predefined ones and numeric ones, and no "]]>" in text. With `html`, the same
 * for an HTML page as report_html writes it: a <!DOCTYPE> first, <html> the root, void elements
 * (meta, br, ...) without end tags, <style> and <script> contents raw, and no C1 control
 * either. Otherwise a static message, and *at is the offset where it went wrong. */
const char *markup_check(const char *s, size_t len, bool html, size_t *at);

#endif
