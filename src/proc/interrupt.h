/* Ctrl-C and SIGTERM outside an event loop. While a loop runs, its uv_signal watchers own the
 * signals; before, between and after loops this module remembers one, so a signal that lands
 * while tmgt plans or writes results still ends the command with exit 130 and nothing half
 * done, instead of killing the process with nothing said. A second signal then stops at once. */
#ifndef TMGT_INTERRUPT_H
#define TMGT_INTERRUPT_H

/* (Re)installs the remembering handler; call it again after a loop stops its watchers, which
 * puts the default disposition back. */
void interrupt_install(void);
/* The signal received so far (SIGINT or SIGTERM), or 0. */
int interrupt_pending(void);
/* A loop's watcher saw `signum`: remembered too, for the command's exit status. */
void interrupt_note(int signum);

#endif
