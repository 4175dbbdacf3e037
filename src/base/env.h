/* Every environment variable tmgt reads, read here and nowhere else. The run memo's key
 * (run_memo.h) digests the environment through env_run_entries, so a variable that changes what
 * a run does cannot be missed by it: adding one to this table is the only way to read it. */
#ifndef TMGT_ENV_H
#define TMGT_ENV_H

#include <stdbool.h>
#include <stddef.h>

#define TMGT_ENV_VARS(X)                                                                           \
    X(TMGT_CACHE_DIR)          /* --cache-dir's default */                                         \
    X(TMGT_CACHE_SALT)         /* part of every action key: a fresh salt is a cold cache */         \
    X(TMGT_CACHE_FSYNC)        /* run | each (store/cache.c) */                                     \
    X(TMGT_GPU)                /* 1|0 overrides the GPU probe */                                    \
    X(NO_COLOR)                /* no colour on the console */                                       \
    X(PATH)                    /* where bare engine names are looked up */                          \
    X(HOME)                    /* the default Hub cache and token file */                           \
    X(HF_HOME)                 /* the Hub settings as huggingface_hub reads them (hub/hub_env.h) */ \
    X(HF_HUB_CACHE)                                                                                \
    X(HF_HUB_OFFLINE)                                                                              \
    X(TRANSFORMERS_OFFLINE)                                                                        \
    X(HF_ENDPOINT)                                                                                 \
    X(HF_TOKEN)                                                                                    \
    X(HUGGING_FACE_HUB_TOKEN)                                                                      \
    X(HF_TOKEN_PATH)                                                                               \
    X(HF_HUB_ETAG_TIMEOUT)                                                                         \
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

#endif
