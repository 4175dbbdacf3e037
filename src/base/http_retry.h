/* Which failed HTTP exchanges are worth another attempt, for every client tmgt has. */
#ifndef TMGT_HTTP_RETRY_H
#define TMGT_HTTP_RETRY_H

#include <curl/curl.h>
#include <stdbool.h>

/* A server restarting or overloaded (5xx, 408, 429) or a connection that failed or dropped.
 * Not a timeout: a server that did not answer in time is not waited for again. */
bool http_failure_may_pass(CURLcode rc, long status);

#endif
