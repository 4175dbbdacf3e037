/* What the executor tells the user while it runs, behind an interface so that the scheduler
 * prints nothing itself: the terminal below for tmgt, nothing at all (NULL) for a unit test. */
#ifndef TMGT_PROGRESS_H
#define TMGT_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>

#include "graph.h"
#include "status.h"

typedef struct exec_progress exec_progress;
struct exec_progress {
    void (*starting)(exec_progress *p, const action *a); /* its command line is expanded */
    void (*finished)(exec_progress *p, const action *a, size_t done, size_t total);
    void (*retrying)(exec_progress *p, const action *a, const char *why); /* its record was unusable */
    void (*stopping)(exec_progress *p, int signum, size_t running);       /* Ctrl-C or SIGTERM */
    void (*ended)(exec_progress *p);
};

/* Progress on stderr: a line per finished action, or one rewritten status line on a terminal;
 * -v (verbosity 1) also prints each command line, -q (-1) nothing. */
typedef struct {
    exec_progress base;
    int verbosity;
    bool tty;
} terminal_progress;

void terminal_progress_init(terminal_progress *t, int verbosity, bool tty);
/* -v: a check's verdict, printed when it is reached (while the engines its check does not read
 * still run). */
void terminal_progress_judged(terminal_progress *t, const char *check, check_status verdict);

#endif
