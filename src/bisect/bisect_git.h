/* The repository side of bisect, through libgit2 only: revisions, the candidate graph between
 * good and bad, and checkouts of a commit's tree into a directory of its own. The user's work
 * tree, index and HEAD are never written. */
#ifndef TMGT_BISECT_GIT_H
#define TMGT_BISECT_GIT_H

#include <stddef.h>

#include "bisect_pick.h"
#include "util.h"

#define OID_HEX 41 /* 40 hex digits and a NUL */

typedef struct bisect_repo bisect_repo;

typedef struct {
    char oid[OID_HEX];
    char tree[OID_HEX];
    char *summary; /* first line of the message */
} bisect_commit;

/* Candidates in parents-first order (nodes parallel to commits); `bad` indexes the tip. */
typedef struct {
    bisect_commit *commits;
    bisect_node *nodes;
    size_t n, bad;
} bisect_range;

bisect_repo *bgit_open(const char *path, tmgt_error *err);
void bgit_close(bisect_repo *r);
const char *bgit_workdir(const bisect_repo *r);

/* Any revision git understands ("v1.2", "HEAD~3", a short id), peeled to a commit. */
int bgit_resolve(bisect_repo *r, const char *rev, char oid[OID_HEX], tmgt_error *err);
/* Checks that every good commit is a proper ancestor of bad, with messages that name the
 * revisions as the user wrote them. */
int bgit_check_order(bisect_repo *r, const char *good, const char *good_rev, const char *bad,
                     const char *bad_rev, tmgt_error *err);
/* Commits reachable from `bad` and from none of `goods`. */
int bgit_range(bisect_repo *r, const char *bad, const char *const *goods, size_t n_goods, bisect_range *out,
               tmgt_error *err);
void bgit_range_free(bisect_range *range);
/* Writes the tree into `dest` (which must not exist) through a sibling temporary directory,
 * so an interrupted checkout never leaves a half-written `dest`. */
int bgit_checkout_tree(bisect_repo *r, const char *tree, const char *dest, tmgt_error *err);

#endif
