/* Files and directories: reads, atomic replacement, links, copies, removal. */
#ifndef TMGT_FS_H
#define TMGT_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "util.h"

int read_file(const char *path, char **data, size_t *len, tmgt_error *err);
/* The file mapped read-only (a large document read once, without a copy); false when it cannot
 * be, or is empty. Undo with unmap_file. */
bool map_file(const char *path, const char **map, size_t *size);
void unmap_file(const char *map, size_t size);
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
int write_file_replace(const char *path, const void *data, size_t len, unsigned mode, bool durable,
                       tmgt_error *err);
int fsync_dir_of(const char *path);
/* Like write_file_atomic for content produced piecewise: `fill` writes it to the stream (a
 * 64 KiB buffer, one thread) and returns 0, or -1 with errno set. */
int write_stream_atomic(const char *path, unsigned mode, int (*fill)(FILE *out, void *ctx), void *ctx,
                        tmgt_error *err);
/* A name beside `path` for a file staged before it is renamed onto `path`, never the same
 * twice in one process: two threads publishing the same entry (the remote cache's fetches run on
 * the thread pool) each stage their own file. */
char *temp_sibling(const char *path);
/* Makes `dst` a hard link to `src`, replacing it atomically (link to a temporary name, then
 * rename); -1 with errno set, and nothing left behind, where that fails (no hard links). */
int link_replace(const char *src, const char *dst);
/* Copies `src` to a new file `dst` (O_EXCL) and fsyncs it; `dst` is removed on failure. */
int copy_file(const char *src, const char *dst, tmgt_error *err);
/* rm -rf: removes `path` and, for a directory, everything under it; symbolic links are removed,
 * not followed. Missing is fine. */
void remove_tree(const char *path);

#endif
