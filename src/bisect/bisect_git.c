#include "bisect_git.h"

#include <errno.h>
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"
#include "fs.h"
#include "strmap.h"

struct bisect_repo {
    git_repository *repo;
    char *path;
};

static const char *git_message(void)
{
    const git_error *e = git_error_last();
    return e && e->message ? e->message : "unknown libgit2 error";
}

bisect_repo *bgit_open(const char *path, tmgt_error *err)
{
    git_libgit2_init();
    bisect_repo *r = xcalloc(1, sizeof *r);
    if (git_repository_open_ext(&r->repo, path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) != 0) {
        err_set(err, "%s is not a git repository: %s", path, git_message());
        free(r);
        git_libgit2_shutdown();
        return NULL;
    }
    r->path = xstrdup(git_repository_workdir(r->repo) ? git_repository_workdir(r->repo)
                                                      : git_repository_path(r->repo));
    return r;
}

void bgit_close(bisect_repo *r)
{
    if (!r)
        return;
    git_repository_free(r->repo);
    free(r->path);
    free(r);
    git_libgit2_shutdown();
}

const char *bgit_workdir(const bisect_repo *r)
{
    return r->path;
}

int bgit_resolve(bisect_repo *r, const char *rev, char oid[OID_HEX], tmgt_error *err)
{
    git_object *obj = NULL, *commit = NULL;
    if (git_revparse_single(&obj, r->repo, rev) != 0) {
        err_set(err, "unknown revision \"%s\" in %s", rev, r->path);
        return -1;
    }
    int rc = git_object_peel(&commit, obj, GIT_OBJECT_COMMIT);
    if (rc == 0)
        git_oid_tostr(oid, OID_HEX, git_object_id(commit));
    else
        err_set(err, "revision \"%s\" is not a commit: %s", rev, git_message());
    git_object_free(commit);
    git_object_free(obj);
    return rc == 0 ? 0 : -1;
}

static void to_oid(git_oid *out, const char *hex)
{
    git_oid_fromstr(out, hex);
}

int bgit_check_order(bisect_repo *r, const char *good, const char *good_rev, const char *bad,
                     const char *bad_rev, tmgt_error *err)
{
    if (!strcmp(good, bad)) {
        err_set(err, "--good %s and --bad %s are the same commit (%.12s)", good_rev, bad_rev, good);
        return -1;
    }
    git_oid g, b;
    to_oid(&g, good);
    to_oid(&b, bad);
    if (git_graph_descendant_of(r->repo, &g, &b) == 1) {
        err_set(err,
                "--bad %s (%.12s) is an ancestor of --good %s (%.12s): the bad commit must come after the "
                "good one (swapped?)",
                bad_rev, bad, good_rev, good);
        return -1;
    }
    if (git_graph_descendant_of(r->repo, &b, &g) != 1) {
        git_oid base;
        char hex[OID_HEX] = "none";
        if (git_merge_base(&base, r->repo, &g, &b) == 0)
            git_oid_tostr(hex, sizeof hex, &base);
        err_set(err,
                "--good %s (%.12s) is not an ancestor of --bad %s (%.12s); their merge base is %.12s: "
                "test it and bisect from there",
                good_rev, good, bad_rev, bad, hex);
        return -1;
    }
    return 0;
}

static int describe(git_repository *repo, const git_oid *id, bisect_commit *c, git_commit **out)
{
    if (git_commit_lookup(out, repo, id) != 0)
        return -1;
    git_oid_tostr(c->oid, OID_HEX, id);
    git_oid_tostr(c->tree, OID_HEX, git_commit_tree_id(*out));
    const char *summary = git_commit_summary(*out);
    c->summary = xstrdup(summary ? summary : "");
    return 0;
}

/* Parents outside the range (good side) are dropped: only candidates count. */
static void link_parents(bisect_range *out, git_commit **commits, const strmap *index)
{
    for (size_t i = 0; i < out->n; i++) {
        unsigned np = git_commit_parentcount(commits[i]);
        out->nodes[i].parents = xcalloc(np + 1, sizeof *out->nodes[i].parents);
        for (unsigned p = 0; p < np; p++) {
            char hex[OID_HEX];
            git_oid_tostr(hex, sizeof hex, git_commit_parent_id(commits[i], p));
            size_t *at = strmap_get(index, hex);
            if (at)
                out->nodes[i].parents[out->nodes[i].n_parents++] = *at;
        }
    }
}

int bgit_range(bisect_repo *r, const char *bad, const char *const *goods, size_t n_goods, bisect_range *out,
               tmgt_error *err)
{
    memset(out, 0, sizeof *out);
    git_revwalk *walk = NULL;
    git_oid id;
    int rc = git_revwalk_new(&walk, r->repo);
    if (rc == 0)
        rc = git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE);
    to_oid(&id, bad);
    if (rc == 0)
        rc = git_revwalk_push(walk, &id);
    for (size_t i = 0; rc == 0 && i < n_goods; i++) {
        to_oid(&id, goods[i]);
        rc = git_revwalk_hide(walk, &id);
    }
    git_commit **commits = NULL;
    size_t cap = 0;
    while (rc == 0 && git_revwalk_next(&id, walk) == 0) {
        if (out->n == cap) {
            cap = cap ? cap * 2 : 64;
            out->commits = xrealloc(out->commits, cap * sizeof *out->commits);
            commits = xrealloc(commits, cap * sizeof *commits);
        }
        rc = describe(r->repo, &id, &out->commits[out->n], &commits[out->n]);
        if (rc == 0)
            out->n++;
    }
    if (rc == 0) {
        strmap index;
        strmap_init(&index);
        size_t *positions = xcalloc(out->n + 1, sizeof *positions);
        for (size_t i = 0; i < out->n; i++) {
            positions[i] = i;
            strmap_put(&index, out->commits[i].oid, &positions[i]);
        }
        out->nodes = xcalloc(out->n + 1, sizeof *out->nodes);
        link_parents(out, commits, &index);
        void *bad_at = strmap_get(&index, bad);
        out->bad = bad_at ? *(size_t *)bad_at : 0;
        strmap_free(&index);
        free(positions);
    } else {
        err_set(err, "cannot walk the history of %s: %s", r->path, git_message());
    }
    for (size_t i = 0; i < out->n; i++)
        git_commit_free(commits[i]);
    free(commits);
    git_revwalk_free(walk);
    if (rc != 0)
        bgit_range_free(out);
    return rc == 0 ? 0 : -1;
}

void bgit_range_free(bisect_range *range)
{
    for (size_t i = 0; i < range->n; i++) {
        free(range->commits[i].summary);
        if (range->nodes)
            free(range->nodes[i].parents);
    }
    free(range->commits);
    free(range->nodes);
    memset(range, 0, sizeof *range);
}

int bgit_checkout_tree(bisect_repo *r, const char *tree_hex, const char *dest, tmgt_error *err)
{
    char *partial = xasprintf("%s.partial-%ld", dest, (long)getpid());
    remove_tree(partial);
    git_oid id;
    git_tree *tree = NULL;
    git_index *empty = NULL;
    to_oid(&id, tree_hex);
    int rc = git_tree_lookup(&tree, r->repo, &id);
    if (rc == 0)
        rc = git_index_new(&empty);
    if (rc == 0) {
        /* An empty baseline makes every file of the tree "new", so all are written into the
         * empty target; the repository's own index is neither read as the baseline nor updated. */
        git_checkout_options opts;
        git_checkout_options_init(&opts, GIT_CHECKOUT_OPTIONS_VERSION);
        opts.checkout_strategy =
            GIT_CHECKOUT_FORCE | GIT_CHECKOUT_DONT_UPDATE_INDEX | GIT_CHECKOUT_DONT_WRITE_INDEX;
        opts.target_directory = partial;
        opts.baseline_index = empty;
        rc = git_checkout_tree(r->repo, (git_object *)tree, &opts);
    }
    if (rc != 0)
        err_set(err, "cannot check out tree %.12s into %s: %s", tree_hex, partial, git_message());
    else if (rename(partial, dest) != 0) {
        err_set(err, "cannot rename %s to %s: %s", partial, dest, strerror(errno));
        rc = -1;
    }
    if (rc != 0)
        remove_tree(partial);
    git_index_free(empty);
    git_tree_free(tree);
    free(partial);
    return rc == 0 ? 0 : -1;
}
