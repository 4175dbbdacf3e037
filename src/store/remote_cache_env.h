/* The remote cache's settings from the environment, checked before any request is made. */
#ifndef TMGT_REMOTE_CACHE_ENV_H
#define TMGT_REMOTE_CACHE_ENV_H

#include "remote_cache.h"

/* `url` (--remote-cache, or TMGT_REMOTE_CACHE) and:
 *   TMGT_REMOTE_CACHE_HEADER   extra request headers, one "Name: value" a line
 *   TMGT_REMOTE_CACHE_CA       a PEM file of CA certificates to trust instead of the system's
 *   TMGT_REMOTE_CACHE_NETRC    a netrc file with credentials for the server's host
 *   TMGT_REMOTE_CACHE_TIMEOUT  seconds without progress that fail a request (default 30)
 *   TMGT_REMOTE_CACHE_RETRIES  retries of a request that failed for a reason that may pass
 *                              (default 2)
 * Messages about a bad header never quote it: it may hold a credential. */
int remote_cache_conf_from_env(remote_cache_conf *conf, const char *url, tmgt_error *err);

#endif
