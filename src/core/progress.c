#include "progress.h"

#include <signal.h>
#include <stdio.h>

static void print_starting(exec_progress *p, const action *a)
{
    terminal_progress *t = (terminal_progress *)p;
    if (t->verbosity <= 0)
        return;
    fprintf(stderr, "%s%s:", t->tty ? "\r\033[K" : "", a->label);
    for (char **arg = a->argv; *arg; arg++)
        fprintf(stderr, " %s", *arg);
    fputc('\n', stderr);
}

static void print_finished(exec_progress *p, const action *a, size_t done, size_t total)
{
    terminal_progress *t = (terminal_progress *)p;
    if (t->verbosity < 0)
        return;
    char what[128];
    if (a->cached)
        snprintf(what, sizeof what, "cached");
    else if (a->status == ST_OK)
        snprintf(what, sizeof what, "%.1fs", (double)a->wall_ms / 1000.0);
    else if (a->status == ST_EXIT)
        snprintf(what, sizeof what, "exit %d, %.1fs", a->exit_code, (double)a->wall_ms / 1000.0);
    else if (a->status == ST_SIGNAL)
        snprintf(what, sizeof what, "killed by signal %d", a->term_signal);
    else
        snprintf(what, sizeof what, "%s", action_status_name(a->status));
    if (t->tty) {
        fprintf(stderr, "\r\033[K[%zu/%zu] %s (%s)", done, total, a->label, what);
        if (action_status_is_failure(a->status) && a->status != ST_EXIT && a->reason)
            fprintf(stderr, "\n  %s\n", a->reason);
    } else {
        bool why = a->reason && action_status_is_failure(a->status);
        fprintf(stderr, "[%zu/%zu] %s (%s)%s%s\n", done, total, a->label, what, why ? ": " : "",
                why ? a->reason : "");
    }
    fflush(stderr);
}

static void print_retrying(exec_progress *p, const action *a, const char *why)
{
    if (((terminal_progress *)p)->verbosity >= 0)
        fprintf(stderr, "tmgt: %s: %s; re-executing\n", a->label, why);
}

static void print_stopping(exec_progress *p, int signum, size_t running)
{
    terminal_progress *t = (terminal_progress *)p;
    if (t->verbosity >= 0)
        fprintf(stderr, "%stmgt: %s: stopping %zu running action(s); finished results are kept\n",
                t->tty ? "\n" : "", signum == SIGINT ? "interrupted" : "terminated", running);
}

static void print_ended(exec_progress *p)
{
    terminal_progress *t = (terminal_progress *)p;
    if (t->tty && t->verbosity >= 0)
        fputc('\n', stderr);
}

void terminal_progress_init(terminal_progress *t, int verbosity, bool tty)
{
    *t = (terminal_progress){
        .base = {.starting = print_starting,
                 .finished = print_finished,
                 .retrying = print_retrying,
                 .stopping = print_stopping,
                 .ended = print_ended},
        .verbosity = verbosity,
        .tty = tty,
    };
}

void terminal_progress_judged(terminal_progress *t, const char *check, check_status verdict)
{
    if (t->verbosity <= 0)
        return;
    fprintf(stderr, "%sjudged %s: %s\n", t->tty ? "\r\033[K" : "", check, check_status_name(verdict));
}
