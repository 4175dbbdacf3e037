/* Untrusted text (engine output, results documents) written into a medium without corrupting
 * it: a terminal, XML/HTML, Markdown, a quoted one-line message. Every report writes what it
 * read from a document through here, and so does any lower layer that prints engine text. */
#ifndef TMGT_ESCAPE_H
#define TMGT_ESCAPE_H

#include <stddef.h>
#include <stdio.h>

/* escape_text flags. Without any, text is written as is except what would corrupt the medium:
 * each byte of invalid UTF-8 comes out as U+FFFD (as in the results document), control
 * characters and the non-characters U+FFFE/U+FFFF, which XML 1.0 forbids, as \xNN, byte by
 * byte. */
enum {
    ESC_MARKUP = 1,  /* XML/HTML: & < > " ' as entities */
    ESC_VISIBLE = 2, /* \n \t \r as escapes, for one-line output and whitespace-only tokens */
    ESC_QUOTED = 4,  /* \ and " escaped, for text between double quotes */
    ESC_MD = 8       /* Markdown inline: punctuation backslash-escaped, newlines as spaces */
};
void escape_text(FILE *out, const char *s, size_t len, unsigned flags);
void escape_puts(FILE *out, const char *s, unsigned flags); /* NULL writes nothing */
/* Columns as escape_puts writes it: one per code point (every glyph the reports use is narrow). */
size_t escape_width(const char *s, unsigned flags);

#endif
