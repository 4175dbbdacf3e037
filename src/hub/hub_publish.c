#include "hub_publish.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache.h"
#include "fs.h"

char *hub_blob_path(const char *repo_dir, const char *etag)
{
    return xasprintf("%s/blobs/%s", repo_dir, etag);
}

char *hub_incomplete_path(const char *repo_dir, const char *etag)
{
    static unsigned seq;
    return xasprintf("%s/blobs/%s.%ld.%u.incomplete", repo_dir, etag, (long)getpid(), ++seq);
}

bool hub_blob_present(const char *repo_dir, const char *etag, uint64_t size)
{
    char *p = hub_blob_path(repo_dir, etag);
    struct stat st;
    bool ok = stat(p, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size == size;
    free(p);
    return ok;
}

int hub_publish_blob(const char *incomplete, const char *repo_dir, const char *etag, tmgt_error *err)
{
    char *blob = hub_blob_path(repo_dir, etag);
    int fd = open(incomplete, O_RDONLY | O_CLOEXEC);
    int rc = fd < 0 || fsync(fd) != 0 || fchmod(fd, 0444) != 0 || rename(incomplete, blob) != 0 ? -1 : 0;
    if (rc)
        err_set(err, "cannot publish %s: %s", blob, strerror(errno));
    else
        fsync_dir_of(blob);
    if (fd >= 0)
        close(fd);
    free(blob);
    return rc;
}

/* From snapshots/<commit>/<name> back to the repository directory, then into blobs/. */
static char *relative_blob_target(const char *name, const char *etag)
{
    strbuf sb;
    sb_init(&sb);
    sb_puts(&sb, "../../");
    for (const char *p = name; (p = strchr(p, '/')); p++)
        sb_puts(&sb, "../");
    sb_printf(&sb, "blobs/%s", etag);
    return sb_detach(&sb);
}

static int link_entry(const char *snap_dir, const hub_snapshot_entry *e, tmgt_error *err)
{
    char *path = path_join(snap_dir, e->name);
    char *dir = xstrndup(path, (size_t)(strrchr(path, '/') - path));
    char *target = relative_blob_target(e->name, e->etag);
    char *tmp = xasprintf("%s.%ld.tmp", path, (long)getpid());
    unlink(tmp);
    int rc = mkdir_p(dir, 0755, err);
    if (rc == 0 && (symlink(target, tmp) != 0 || rename(tmp, path) != 0)) {
        err_set(err, "cannot link %s: %s", path, strerror(errno));
        unlink(tmp);
        rc = -1;
    }
    free(tmp);
    free(target);
    free(dir);
    free(path);
    return rc;
}

static int link_all(const char *snap_dir, const hub_snapshot_entry *entries, size_t n, tmgt_error *err)
{
    for (size_t i = 0; i < n; i++)
        if (link_entry(snap_dir, &entries[i], err) != 0)
            return -1;
    return 0;
}

int hub_publish_snapshot(const char *repo_dir, const char *commit, const hub_snapshot_entry *entries,
                         size_t n, tmgt_error *err)
{
    char *snaps = path_join(repo_dir, "snapshots");
    char *final = path_join(snaps, commit);
    int rc = mkdir_p(snaps, 0755, err);
    if (rc == 0 && path_is_dir(final)) {
        rc = link_all(final, entries, n, err);
    } else if (rc == 0) {
        char *staging = xasprintf("%s/.%s.%ld.tmp", snaps, commit, (long)getpid());
        remove_tree(staging);
        rc = mkdir_p(staging, 0755, err);
        if (rc == 0)
            rc = link_all(staging, entries, n, err);
        if (rc == 0 && rename(staging, final) != 0) {
            /* Another pull published the same commit first: its links point at the same blobs. */
            rc = path_is_dir(final) ? 0 : -1;
            if (rc)
                err_set(err, "cannot publish %s: %s", final, strerror(errno));
        }
        remove_tree(staging);
        free(staging);
    }
    if (rc == 0)
        fsync_dir_of(final);
    free(final);
    free(snaps);
    return rc;
}

int hub_publish_ref(const char *repo_dir, const char *revision, const char *commit, tmgt_error *err)
{
    char *refs = path_join(repo_dir, "refs");
    char *ref = path_join(refs, revision);
    int rc = mkdir_p(refs, 0755, err);
    if (rc == 0)
        rc = write_file_atomic(ref, commit, strlen(commit), 0644, err);
    free(ref);
    free(refs);
    return rc;
}
