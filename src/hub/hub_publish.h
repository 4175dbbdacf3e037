/* Writes the standard Hub cache layout that transformers, llama.cpp and apr read:
 *   models--ORG--NAME/blobs/<etag>                 content, read-only
 *   models--ORG--NAME/snapshots/<commit>/<file>    relative symlink to ../../blobs/<etag>
 *   models--ORG--NAME/refs/<revision>              the commit, no newline
 * Every step is a rename, so a reader never sees a half-written blob, snapshot or ref. */
#ifndef TMGT_HUB_PUBLISH_H
#define TMGT_HUB_PUBLISH_H

#include <stdbool.h>
#include <stdint.h>

#include "util.h"

char *hub_blob_path(const char *repo_dir, const char *etag);
/* blobs/<etag>.<pid>.<n>.incomplete: owned by this process alone. */
char *hub_incomplete_path(const char *repo_dir, const char *etag);
/* A published blob of the expected size. */
bool hub_blob_present(const char *repo_dir, const char *etag, uint64_t size);
/* fsync, make read-only and rename the verified download into blobs/<etag>. */
int hub_publish_blob(const char *incomplete, const char *repo_dir, const char *etag, tmgt_error *err);

typedef struct {
    const char *name; /* path in the repository, checked by hub_safe_repo_path */
    const char *etag;
} hub_snapshot_entry;

/* Links every entry into snapshots/<commit>/. A new snapshot is assembled beside its final
 * name and renamed into place whole. */
int hub_publish_snapshot(const char *repo_dir, const char *commit, const hub_snapshot_entry *entries,
                         size_t n, tmgt_error *err);
int hub_publish_ref(const char *repo_dir, const char *revision, const char *commit, tmgt_error *err);

#endif
