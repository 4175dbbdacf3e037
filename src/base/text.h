/* Engine output as text for people: stripped, quoted on one line, without terminal escapes. */
#ifndef TMGT_TEXT_H
#define TMGT_TEXT_H

#include <stddef.h>

/* Python's str.strip() for ASCII whitespace: returns a pointer into s and the new length. */
const char *text_strip(const char *s, size_t len, size_t *out_len);
/* Engine output quoted in a one-line message: ANSI escape sequences dropped, control
 * characters turned into spaces, invalid UTF-8 into U+FFFD, at most max_cps code points (then
 * "…"). Always valid UTF-8; malloc'd. */
char *text_one_line(const char *s, size_t len, size_t max_cps);
/* Length of the ANSI escape sequence (CSI, OSC or two-byte) that starts at s, or 0. */
size_t ansi_escape_len(const char *s, size_t len);

#endif
