#include "fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int read_file(const char *path, char **data, size_t *len, tmgt_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        err_set(err, "%s: %s", path, strerror(errno));
        return -1;
    }
    strbuf sb;
    sb_init(&sb);
    char buf[65536];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            err_set(err, "%s: %s", path, strerror(errno));
            close(fd);
            sb_free(&sb);
            return -1;
        }
        if (n == 0)
            break;
        sb_append(&sb, buf, (size_t)n);
    }
    close(fd);
    *len = sb.len;
    *data = sb_detach(&sb);
    return 0;
}

int mkdir_p(const char *path, unsigned mode, tmgt_error *err)
{
    /* The directory usually exists already (cache shards), or only its last level is missing
     * (staging directories): one or two calls, not a mkdir per level. */
    if (path_is_dir(path) || mkdir(path, mode) == 0)
        return 0;
    char *copy = xstrdup(path);
    for (char *p = copy + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(copy, mode) != 0 && errno != EEXIST) {
            err_set(err, "cannot create %s: %s", copy, strerror(errno));
            free(copy);
            return -1;
        }
        *p = '/';
    }
    int rc = 0;
    if (mkdir(copy, mode) != 0 && errno != EEXIST) {
        err_set(err, "cannot create %s: %s", copy, strerror(errno));
        rc = -1;
    } else if (!path_is_dir(copy)) {
        err_set(err, "%s exists and is not a directory", copy);
        rc = -1;
    }
    free(copy);
    return rc;
}

char *path_join(const char *a, const char *b)
{
    if (!a || !*a || b[0] == '/')
        return xstrdup(b);
    size_t la = strlen(a);
    return xasprintf("%s%s%s", a, a[la - 1] == '/' ? "" : "/", b);
}

bool path_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

bool path_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int fsync_dir_of(const char *path)
{
    char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    int fd = open(slash ? (*dir ? dir : "/") : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(dir);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int copy_file(const char *src, const char *dst, tmgt_error *err)
{
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        err_set(err, "%s: %s", src, strerror(errno));
        return -1;
    }
    int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (out < 0) {
        err_set(err, "%s: %s", dst, strerror(errno));
        close(in);
        return -1;
    }
    char buf[1 << 16];
    int rc = 0;
    for (;;) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = n < 0 ? -1 : 0;
            break;
        }
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                rc = -1;
                break;
            }
            off += w;
        }
        if (rc)
            break;
    }
    if (rc == 0 && fsync(out) != 0)
        rc = -1;
    if (rc)
        err_set(err, "copying %s to %s: %s", src, dst, strerror(errno));
    close(in);
    close(out);
    if (rc)
        unlink(dst);
    return rc;
}

char *temp_sibling(const char *path)
{
    static atomic_uint seq;
    return xasprintf("%s.tmp.%ld.%u", path, (long)getpid(), atomic_fetch_add(&seq, 1));
}

int link_replace(const char *src, const char *dst)
{
    char *tmp = temp_sibling(dst);
    unlink(tmp);
    int rc = link(src, tmp) == 0 && rename(tmp, dst) == 0 ? 0 : -1;
    if (rc != 0) {
        int saved = errno;
        unlink(tmp);
        errno = saved;
    }
    free(tmp);
    return rc;
}

int write_file_atomic(const char *path, const void *data, size_t len, unsigned mode, tmgt_error *err)
{
    return write_file_replace(path, data, len, mode, true, err);
}

int write_file_replace(const char *path, const void *data, size_t len, unsigned mode, bool durable,
                       tmgt_error *err)
{
    char *tmp = temp_sibling(path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) {
        err_set(err, "cannot write %s: %s", tmp, strerror(errno));
        free(tmp);
        return -1;
    }
    if (write_all(fd, data, len) != 0 || (durable && fsync(fd) != 0)) {
        err_set(err, "cannot write %s: %s", path, strerror(errno));
        close(fd);
        unlink(tmp);
        free(tmp);
        return -1;
    }
    close(fd);
    if (rename(tmp, path) != 0) {
        err_set(err, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
        unlink(tmp);
        free(tmp);
        return -1;
    }
    free(tmp);
    if (durable)
        fsync_dir_of(path);
    return 0;
}

int write_stream_atomic(const char *path, unsigned mode, int (*fill)(FILE *out, void *ctx), void *ctx,
                        tmgt_error *err)
{
    char *tmp = temp_sibling(path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    FILE *out = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!out) {
        err_set(err, "cannot write %s: %s", tmp, strerror(errno));
        if (fd >= 0)
            close(fd);
        free(tmp);
        return -1;
    }
    setvbuf(out, NULL, _IOFBF, 1 << 16);
    __fsetlocking(out, FSETLOCKING_BYCALLER);
    bool ok = fill(out, ctx) == 0 && fflush(out) == 0 && fsync(fd) == 0;
    int saved = errno;
    if (fclose(out) != 0 && ok) {
        ok = false;
        saved = errno;
    }
    if (ok && rename(tmp, path) != 0) {
        ok = false;
        saved = errno;
    }
    if (!ok) {
        err_set(err, "cannot write %s: %s", path, strerror(saved ? saved : EIO));
        unlink(tmp);
        free(tmp);
        return -1;
    }
    free(tmp);
    fsync_dir_of(path);
    return 0;
}

void remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char *p = path_join(path, e->d_name);
            remove_tree(p);
            free(p);
        }
        if (d)
            closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

bool map_file(const char *path, const char **map, size_t *size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return false;
    bool ok = fstat(fd, &st) == 0 && st.st_size > 0;
    void *p = ok ? mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
    close(fd);
    if (p == MAP_FAILED)
        return false;
    *map = p;
    *size = (size_t)st.st_size;
    return true;
}

void unmap_file(const char *map, size_t size)
{
    munmap((void *)map, size);
}
