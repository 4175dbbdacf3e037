/* The run's cache entries made durable (cache_flush: one syncfs, or fsyncs) on a thread of its
 * own, while the session judges what is left and builds the results document; joined before the
 * document is written, so a results file never names an entry the disk may still lose. The main
 * thread meanwhile answers Ctrl-C and SIGTERM as it does outside an event loop (proc/interrupt.h):
 * the signal is remembered and the command ends with exit 130, a second one stops at once.
 * A first pass may go ahead while the run goes on (cache_sync_early): once only the timings are
 * left (exclusive actions, which run alone, for minutes with real engines, and write little),
 * the converted models reach the disk while they run, and the last pass has little left. */
#ifndef TMGT_CACHE_SYNC_H
#define TMGT_CACHE_SYNC_H

#include <stdbool.h>
#include <uv.h>

#include "cache.h"

typedef struct {
    cache *c;
    uv_thread_t early, last;
    bool early_started, last_started; /* false: not started, or run inline */
    int rc, err;
} cache_sync;

void cache_sync_init(cache_sync *cs, cache *c);
/* The first pass (cache_write_back), once: the run may go on publishing beside it. */
void cache_sync_early(cache_sync *cs);
/* The last pass, after the first if there was one; nothing may use the cache until
 * cache_sync_join. */
void cache_sync_start(cache_sync *cs);
/* Waits for both; a failure is said on stderr (the results stand, the cache may not). */
void cache_sync_join(cache_sync *cs);

#endif
