/* Ctrl-C and SIGTERM, in and outside event loops. While a loop runs, its watchers
 * (interrupt_watch_start) own the signals; before, between and after loops this module
 * remembers one, so a signal that lands while tmgt plans or writes results still ends the
 * command with exit 130 and nothing half done, instead of killing the process with nothing
 * said. A second signal then stops at once. */
#ifndef TMGT_INTERRUPT_H
#define TMGT_INTERRUPT_H

#include <stdbool.h>
#include <uv.h>

/* (Re)installs the remembering handler; call it again after a loop stops its watchers, which
 * puts the default disposition back. */
void interrupt_install(void);
/* The signal received so far (SIGINT or SIGTERM), or 0. */
int interrupt_pending(void);
/* A loop's watcher saw `signum`: remembered too, for the command's exit status. */
void interrupt_note(int signum);

/* SIGINT and SIGTERM watched on a loop: each is remembered (interrupt_note) and passed to
 * `notify`, which is also called at once for one that came before the loop started. With
 * `keep_alive` the watchers keep the loop alive, for a loop run step by step while children
 * run (the runner's SIGCHLD watcher does not: once a child's pipes have closed, only these
 * keep uv_run waiting for its exit); without, a loop run to its end still ends. */
typedef struct {
    uv_signal_t sigint, sigterm;
    void (*notify)(void *ctx, int signum);
    void *ctx;
} interrupt_watch;
void interrupt_watch_start(interrupt_watch *w, uv_loop_t *loop, bool keep_alive,
                           void (*notify)(void *ctx, int signum), void *ctx);
/* Closes the watchers (the loop must run once more to finish closing them) and puts the
 * remembering handler back in place of the default disposition that closing them restored. */
void interrupt_watch_stop(interrupt_watch *w);

#endif
