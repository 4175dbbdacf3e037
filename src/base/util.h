/* Small helpers every module uses: checked allocation, a growable string, file helpers. */
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

/* Error text carried up to the caller that reports it (one line, no trailing newline). */
typedef struct {
    char msg[1024];
} tmgt_error;
void err_set(tmgt_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

int read_file(const char *path, char **data, size_t *len, tmgt_error *err);
int mkdir_p(const char *path, unsigned mode, tmgt_error *err);
char *path_join(const char *a, const char *b);
bool path_exists(const char *path);
bool path_is_dir(const char *path);
/* Writes `data` to `path` through a temporary file in the same directory, fsync and rename,
 * so a reader sees the old or the new content, never a mix. */
int write_file_atomic(const char *path, const void *data, size_t len, unsigned mode, tmgt_error *err);
/* The same replace-by-rename; `durable` false skips the fsyncs, for writers that make a whole
 * batch durable at once later (a kill -9 cannot expose a partial file either way: the page
 * cache outlives the process). */
int write_file_replace(const char *path, const void *data, size_t len, unsigned mode, bool durable, tmgt_error *err);
int fsync_dir_of(const char *path);
/* Like write_file_atomic for content produced piecewise: `fill` writes it to the stream (a
 * 64 KiB buffer, one thread) and returns 0, or -1 with errno set. */
int write_stream_atomic(const char *path, unsigned mode, int (*fill)(FILE *out, void *ctx), void *ctx,
                        tmgt_error *err);
/* Makes `dst` a hard link to `src`, replacing it atomically (link to a temporary name, then
 * rename); -1 with errno set, and nothing left behind, where that fails (no hard links). */
int link_replace(const char *src, const char *dst);
/* Copies `src` to a new file `dst` (O_EXCL) and fsyncs it; `dst` is removed on failure. */
int copy_file(const char *src, const char *dst, tmgt_error *err);

uint64_t now_ms(void);
/* A file timestamp (or clock reading) in nanoseconds since the epoch. */
int64_t timespec_ns(struct timespec t);
char *iso8601_now(void);

#endif
