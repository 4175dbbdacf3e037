/* Shared by cache.c (the data path) and cache_maint.c (stats, verify, gc). */
#ifndef TMGT_CACHE_INTERNAL_H
#define TMGT_CACHE_INTERNAL_H

#include "cache.h"
#include "statcache.h"

struct cache {
    char *root;
    char *tmp;
    store *st;
    statcache stat;
    strmap used;         /* record keys used by this run */
    bool use_is_earlier; /* cache_use_is_earlier: no run log of its own */
    unsigned staging_seq;
    bool wrote; /* something was published: the store is flushed on close */
};

#endif
