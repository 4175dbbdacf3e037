/* What of tmgt's environment its children (engines, version probes, bisect builds) get:
 * everything but tmgt's own credentials (the remote cache's request headers), which no child
 * needs and any child could echo into an output that is cached. */
#ifndef TMGT_CHILD_ENV_H
#define TMGT_CHILD_ENV_H

#include <stdbool.h>

/* Whether the "NAME=value" entry holds one of them. */
bool child_env_withheld(const char *entry);
/* `env` without them: a new array of the same strings; the caller frees the array only. */
char **child_env(char **env);

#endif
