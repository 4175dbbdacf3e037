/* Runs the user's build command for one checkout as a capture (proc/capture.h), so Ctrl-C
 * stops the whole build (its process group) and its output is kept as a log. */
#ifndef TMGT_BISECT_BUILD_H
#define TMGT_BISECT_BUILD_H

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    bool ok;
    bool interrupted;
    char *reason; /* why it failed: "exit 2", "killed by signal 9", …; NULL when ok */
    uint64_t wall_ms;
} build_outcome;

/* `/bin/sh -c command` in `dir`; stdout then stderr go to `log_path`. */
void bisect_build(const char *command, const char *dir, const char *log_path, build_outcome *out);
void build_outcome_free(build_outcome *out);

#endif
