/* `tmgt pull`: brings HuggingFace Hub repositories into the standard Hub cache (and tmgt's
 * CAS). Honours HF_ENDPOINT, HF_TOKEN (HUGGING_FACE_HUB_TOKEN, HF_TOKEN_PATH, $HF_HOME/token),
 * HF_HUB_OFFLINE, HF_HOME / HF_HUB_CACHE, HF_HUB_ETAG_TIMEOUT and HF_HUB_DOWNLOAD_TIMEOUT. */
#ifndef TMGT_HUB_PULL_H
#define TMGT_HUB_PULL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cache.h"
#include "hub_env.h"

typedef struct {
    bool progress; /* per-file progress lines (a terminal) */
    cache *cas;    /* where verified files are also stored; may be NULL */
} hub_pull_opts;

typedef struct {
    size_t repos, files, downloaded, reused;
    uint64_t bytes;   /* body bytes received */
    bool interrupted; /* SIGINT or SIGTERM stopped the pull */
} hub_pull_stats;

/* Pulls every hf:// URI, all files concurrently. Each failure is printed on stderr as one
 * line naming the repository and file; returns the number of repositories that failed.
 * Offline, nothing is fetched: a repository counts as pulled when its snapshot is whole. */
size_t hub_pull(char *const *uris, size_t n, const hub_pull_opts *o, hub_pull_stats *st);

#endif
