/* Reading the standard HuggingFace Hub cache (models--ORG--NAME/{refs,snapshots}), so a model
 * that transformers, apr or `tmgt pull` already downloaded is used where it lies. */
#ifndef TMGT_HUB_CACHE_H
#define TMGT_HUB_CACHE_H

#include <stdbool.h>

#include "util.h"

/* The Hub cache root: $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub. */
char *hub_cache_root(void);
/* Parses hf://ORG/NAME[@REV]; returns 0 and malloc'd parts (rev defaults to "main"). Names
 * that could escape a directory (.., /, leading dots) are refused. */
int hub_parse_uri(const char *uri, char **org, char **name, char **rev);
/* models--ORG--NAME under `root` (parts already checked by hub_parse_uri). */
char *hub_repo_dir(const char *root, const char *org, const char *name);
bool hub_is_commit_hash(const char *s);
/* A file name the server listed is used only when it stays inside the snapshot: relative,
 * no empty, "." or ".." component, no backslash or control character. */
bool hub_safe_repo_path(const char *name);
/* The commit a revision stands for in a cached repository (a commit hash stands for itself),
 * or NULL when refs/<rev> is missing or holds no commit. */
char *hub_cached_commit(const char *repo_dir, const char *rev);
/* The first entry of a snapshot whose blob is missing, as a message for HF_HUB_OFFLINE;
 * NULL when every entry resolves. */
char *hub_snapshot_broken_link(const char *snapshot_dir);
/* The snapshot directory of a cached repository revision, or NULL with *why set. */
char *hub_cache_snapshot(const char *uri, tmgt_error *why);

#endif
