/* The files a run's verdicts depend on, as ninja's deps log knows a target's headers: every file
 * tmgt read to build the plan (pipeline, prompts, oracles, tokenizers), every input it digested
 * (model sources, engine binaries), every artefact it placed, and every place it looked and found
 * nothing (an engine missing from PATH). A later run that finds each one as it was — same
 * device, inode, size, mtime and ctime — may replay the verdicts instead of re-deriving them
 * (run_memo.h).
 *
 * One recorder per process, fed from the loop thread only (plan building and the executor's
 * callbacks): the sites that read files call deps_note, which does nothing until deps_start. */
#ifndef TMGT_DEPS_H
#define TMGT_DEPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

typedef struct {
    char *path;
    bool present;
    uint64_t dev, ino, size;
    int64_t mtime_ns, ctime_ns;
} dep;

typedef struct {
    dep *items;
    size_t count;
} dep_list;

void deps_start(void);
/* Remembers `path` as it is now (following symlinks), or that it does not exist. */
void deps_note(const char *path);
/* The same with the stat the caller just made of it (the stat cache's), not another one. */
void deps_note_stat(const char *path, const struct stat *st);
/* Stops recording and hands over what was noted, each path once, in the order first noted. */
void deps_take(dep_list *out);
void dep_list_free(dep_list *l);

/* Fills *d from a stat of d->path now; false when that failed (d->present then false). */
bool dep_stat(dep *d);
/* The same from a stat the caller already made of d->path. */
void dep_from_stat(dep *d, const struct stat *st);
bool dep_unchanged(const dep *was);
/* A file changed so recently that another change within the clock's granularity could leave
 * its stat as it is (git's racy-clean rule): it cannot vouch for a memo. */
bool dep_is_racy(const dep *d, int64_t since_ns);

#endif
