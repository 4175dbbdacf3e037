#include "cache_sync.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void cache_sync_init(cache_sync *cs, cache *c)
{
    *cs = (cache_sync){.c = c};
}

static void write_back(void *arg)
{
    cache_write_back(((cache_sync *)arg)->c); /* a failure is the last pass's to tell */
}

void cache_sync_early(cache_sync *cs)
{
    if (!cs->early_started)
        cs->early_started = uv_thread_create(&cs->early, write_back, cs) == 0;
}

static void sync_cache(void *arg)
{
    cache_sync *cs = arg;
    if (cs->early_started)
        uv_thread_join(&cs->early);
    cs->early_started = false;
    cs->rc = cache_flush(cs->c);
    cs->err = errno;
}

void cache_sync_start(cache_sync *cs)
{
    cs->last_started = uv_thread_create(&cs->last, sync_cache, cs) == 0;
    if (!cs->last_started)
        sync_cache(cs);
}

void cache_sync_join(cache_sync *cs)
{
    if (cs->last_started)
        uv_thread_join(&cs->last);
    cs->last_started = false;
    if (cs->rc != 0)
        fprintf(stderr, "tmgt: cannot sync the cache to disk: %s\n", strerror(cs->err));
    cs->rc = 0;
}
