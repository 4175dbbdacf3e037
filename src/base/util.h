/* Small helpers every module uses: checked allocation, a growable string, errors, clocks. */
#ifndef TMGT_UTIL_H
#define TMGT_UTIL_H

#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Allocation failure is not recoverable in a CLI; these abort with a message instead of
 * spreading NULL checks through every caller. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

typedef struct {
    char *buf;
    size_t len, cap;
} strbuf;

void sb_init(strbuf *sb);
void sb_free(strbuf *sb);
void sb_append(strbuf *sb, const void *data, size_t n);
void sb_puts(strbuf *sb, const char *s);
void sb_putc(strbuf *sb, char c);
void sb_printf(strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_vprintf(strbuf *sb, const char *fmt, va_list ap);
char *sb_detach(strbuf *sb); /* returns the NUL-terminated buffer; sb is reset */

/* A list of owned strings, appended to one by one. */
typedef struct {
    char **items;
    size_t n;
} str_list;

void str_list_push(str_list *l, const char *s);
void str_list_free(str_list *l);

/* Error text carried up to the caller that reports it (one line, no trailing newline). */
typedef struct {
    char msg[1024];
} tmgt_error;
void err_set(tmgt_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* err_set, then -1: `return err_fail(err, "…", …);` from a function that returns 0 or -1. */
int err_fail(tmgt_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

uint64_t now_ms(void);
/* A file timestamp (or clock reading) in nanoseconds since the epoch. */
int64_t timespec_ns(struct timespec t);
char *iso8601_now(void);

#endif
