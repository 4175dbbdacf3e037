/* What `tmgt run` does, for commands that need its outcome rather than its report (bisect):
 * plan the selection in `o`, execute it through the cache, judge it, write the results
 * document to o->results_dir. */
#ifndef TMGT_RUN_SELECTION_H
#define TMGT_RUN_SELECTION_H

#include <cjson/cJSON.h>

#include "cli.h"

/* Returns run's exit code (0, 1 a check failed, 2/3 the session could not open — message
 * printed, 130 interrupted). *doc receives the results document (caller deletes) whenever the
 * selection was executed, NULL otherwise. */
int run_selection(const cli_opts *o, cJSON **doc);

#endif
