/* What an engine is started with: its command line and its environment. */
#ifndef TMGT_CHILD_ENV_H
#define TMGT_CHILD_ENV_H

#include "graph.h"

/* The step template of `a` expanded (without the binary): its inputs at their paths, `out` for
 * the declared output (NULL: the step has none), `prompt` for {prompt} (NULL: it takes none).
 * With `symbolic`, {in:…} and {out} stay as written (action keys, and the pipeline's check
 * before any path exists): `out` then only says whether there is one. 0, or -1 with *err. */
int action_step_argv(const action *a, const char *out, const char *prompt, bool symbolic, char ***argv,
                     size_t *argc, tmgt_error *err);
/* The engine's argv with real paths: the binary, then the expanded step template (`out_path`
 * for the declared output). NULL-terminated, each string malloc'd; NULL with *err when the
 * template does not expand. */
char **child_argv(const action *a, const char *out_path, tmgt_error *err);
/* The environment an engine sees: ours (less what env_withheld holds back), with the engine
 * profile's variables on top.
 * NULL-terminated; the array is malloc'd, its strings are borrowed. */
char **child_environment(const pipeline_engine *def);

#endif
