/* Every environment variable tmgt reads, read here and nowhere else. The run memo's key
 * (run_memo.h) digests the environment through env_run_entries, so a variable that changes what
 * a run does cannot be missed by it: adding one to this table is the only way to read it. */
#ifndef TMGT_ENV_H
#define TMGT_ENV_H

#include <stdbool.h>
#include <stddef.h>

#define TMGT_ENV_VARS(X)                                                                     \
    X(TMGT_CACHE_DIR)           /* --cache-dir's default */                                  \
    X(TMGT_CACHE_SALT)          /* part of every action key: a fresh salt is a cold cache */ \
    X(TMGT_CACHE_FSYNC)         /* run | each (store/cache.c) */                             \
    X(TMGT_GPU)                 /* 1|0 overrides the GPU probe */                            \
    X(TMGT_REMOTE_CACHE)        /* --remote-cache's default (store/cache_remote.h) */        \
    X(TMGT_REMOTE_CACHE_HEADER) /* request headers: credentials, withheld from children */   \
    X(TMGT_REMOTE_CACHE_CA)     /* the remote cache's settings (store/remote_cache_env.h) */ \
    X(TMGT_REMOTE_CACHE_NETRC)                                                               \
    X(TMGT_REMOTE_CACHE_TIMEOUT)                                                             \
    X(TMGT_REMOTE_CACHE_RETRIES)                                                             \
    X(NO_COLOR)   /* no colour on the console */                                             \
    X(COLUMNS)    /* the console report's width (terminal.h) */                              \
    X(PATH)       /* where bare engine names are looked up */                                \
    X(SLURM_CONF) /* --executor slurm: the cluster's configuration (proc/runner_slurm.c) */  \
    X(HOME)       /* the default Hub cache and token file */                                 \
    X(HF_HOME)    /* the Hub settings as huggingface_hub reads them (hub/hub_env.h) */       \
    X(HF_HUB_CACHE)                                                                          \
    X(HF_HUB_OFFLINE)                                                                        \
    X(TRANSFORMERS_OFFLINE)                                                                  \
    X(HF_ENDPOINT)                                                                           \
    X(HF_TOKEN)                                                                              \
    X(HUGGING_FACE_HUB_TOKEN)                                                                \
    X(HF_TOKEN_PATH)                                                                         \
    X(HF_HUB_ETAG_TIMEOUT)                                                                   \
    X(HF_HUB_DOWNLOAD_TIMEOUT)

typedef enum {
#define TMGT_ENV_ENUM(name) ENV_##name,
    TMGT_ENV_VARS(TMGT_ENV_ENUM)
#undef TMGT_ENV_ENUM
        ENV_COUNT
} env_var;

/* The variable's value as getenv returns it: NULL when unset, possibly empty. */
const char *env_get(env_var v);
const char *env_name(env_var v);

/* The "NAME=value" entries a run depends on, sorted: every variable of the table that is set,
 * and anything else in tmgt's and the Hub's namespaces (TMGT_, HF_). The array is malloc'd,
 * its strings are the environment's own; *n gets the count. */
const char **env_run_entries(size_t *n);

/* What of tmgt's environment its children (engines, version probes, bisect builds) get:
 * everything but tmgt's own credentials (the remote cache's request headers), which no child
 * needs and any child could echo into an output that is cached. */
bool env_withheld(const char *entry); /* whether the "NAME=value" entry holds one of them */
/* `env` without them: a new array of the same strings; the caller frees the array only. */
char **env_for_children(char **env);

#endif
