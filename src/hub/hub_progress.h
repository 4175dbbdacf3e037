/* Download progress: on a terminal one line per file (bytes, rate, ETA), redrawn a few
 * times a second on stderr; elsewhere nothing, so logs stay readable. */
#ifndef TMGT_HUB_PROGRESS_H
#define TMGT_HUB_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

typedef struct hub_progress hub_progress;

hub_progress *hub_progress_new(uv_loop_t *loop, bool tty);
/* A line for one file, its size not yet known; returns its handle. */
size_t hub_progress_add(hub_progress *p, const char *label);
void hub_progress_update(hub_progress *p, size_t line, uint64_t done, uint64_t total);
/* The file's final word: "done", "cached", "FAILED". */
void hub_progress_finish(hub_progress *p, size_t line, const char *status);
/* Draws the final state and closes the timer; the memory goes once the loop has run. */
void hub_progress_close(hub_progress *p);

#endif
