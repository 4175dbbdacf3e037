/*
 * util.c - small helpers with no knowledge of engines: hashing and a PRNG
 * (every "measurement" the simulator prints is derived from its inputs, so
 * runs are reproducible), file I/O, UTF-8 and string handling.
 */
#include "sim.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* FNV-1a 64: tiny, stable across platforms, good enough to seed a PRNG. */
uint64_t sim_hash(const void *data, size_t len, uint64_t seed)
{
    const unsigned char *p = data;
    uint64_t h = 14695981039346656037ULL ^ seed;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

uint64_t sim_hash_str(const char *s, uint64_t seed)
{
    return sim_hash(s, strlen(s), seed);
}

/* splitmix64 */
uint64_t sim_rng_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

double sim_rng_unit(uint64_t *state)
{
    return (double)(sim_rng_next(state) >> 11) / 9007199254740992.0;
}

double sim_round(double v, int decimals)
{
    double f = pow(10.0, decimals);
    return round(v * f) / f;
}

void sim_sleep_ms(long long ms)
{
    if (ms <= 0)
        return;
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

char *sim_read_file(const char *path, size_t *len_out)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return NULL;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    if (!buf) {
        close(fd);
        return NULL;
    }
    for (;;) {
        if (len + 1 >= cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                close(fd);
                errno = ENOMEM;
                return NULL;
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + len, cap - len - 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            free(buf);
            close(fd);
            errno = e;
            return NULL;
        }
        if (r == 0)
            break;
        len += (size_t)r;
    }
    close(fd);
    buf[len] = '\0';
    if (len_out)
        *len_out = len;
    return buf;
}

int sim_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

char *sim_printf(const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = malloc((size_t)n + 1);
    if (!s)
        abort();
    vsnprintf(s, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return s;
}

/* apr's convention (spec §5): "error: <Display>" on stderr, then the code. */
void sim_die(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    fflush(stdout);
    exit(code);
}

const char *sim_basename(const char *path)
{
    size_t len = strlen(path);
    while (len > 1 && path[len - 1] == '/')
        len--;
    const char *p = path + len;
    while (p > path && p[-1] != '/')
        p--;
    return p;
}

char *sim_dirname(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

char *sim_join_path(const char *dir, const char *name)
{
    size_t n = strlen(dir);
    return sim_printf("%s%s%s", dir, (n && dir[n - 1] == '/') ? "" : "/", name);
}

bool sim_contains_ci(const char *haystack, const char *needle)
{
    size_t n = strlen(needle);
    for (const char *p = haystack; *p; p++)
        if (strncasecmp(p, needle, n) == 0)
            return true;
    return n == 0;
}

bool sim_ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

char *sim_trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

char **sim_split_top(const char *s, char sep, int *count)
{
    int cap = 8, n = 0, depth = 0;
    bool quoted = false;
    char **list = malloc(sizeof *list * (size_t)cap);
    const char *start = s;
    for (const char *p = s;; p++) {
        char c = *p;
        if (c == '\0' || (c == sep && depth == 0 && !quoted)) {
            if (n == cap) {
                cap *= 2;
                list = realloc(list, sizeof *list * (size_t)cap);
            }
            list[n++] = strndup(start, (size_t)(p - start));
            if (c == '\0')
                break;
            start = p + 1;
            continue;
        }
        if (quoted) {
            if (c == '\\' && p[1])
                p++;
            else if (c == '"')
                quoted = false;
        } else if (c == '"') {
            quoted = true;
        } else if (c == '[' || c == '{') {
            depth++;
        } else if ((c == ']' || c == '}') && depth > 0) {
            depth--;
        }
    }
    *count = n;
    return list;
}

void sim_free_list(char **list, int count)
{
    for (int i = 0; i < count; i++)
        free(list[i]);
    free(list);
}

/* Counting code points the way Python's str does (the checker compares text
 * by code point): every byte that is not a continuation byte starts one. */
size_t sim_utf8_count(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

size_t sim_utf8_offset(const char *s, size_t cp_index)
{
    size_t cp = 0, i = 0;
    for (; s[i]; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            if (cp == cp_index)
                return i;
            cp++;
        }
    }
    return i;
}
