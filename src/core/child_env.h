/* What an engine is started with: its command line and its environment. */
#ifndef TMGT_CHILD_ENV_H
#define TMGT_CHILD_ENV_H

#include "graph.h"

/* The engine's argv with real paths: the binary, then the expanded step template (`out_path`
 * for the declared output). NULL-terminated, each string malloc'd; NULL with *err when the
 * template does not expand. */
char **child_argv(const action *a, const char *out_path, tmgt_error *err);
/* The environment an engine sees: ours (less what env_withheld holds back), with the engine
 * profile's variables on top.
 * NULL-terminated; the array is malloc'd, its strings are borrowed. */
char **child_environment(const pipeline_engine *def);

#endif
