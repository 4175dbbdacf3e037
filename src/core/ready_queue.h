/* The actions ready to start, longest expected first. A parallel phase ends when its last action
 * does; started in arrival order, a 100 ms evaluation begun last keeps the other slots idle that
 * long (and the exclusive steps waiting behind it). Longest-first leaves the short queries to
 * fill the gaps at the end. The expected time of an action is the mean of the finished actions
 * of its step in this run; a step not seen finishing yet comes first, so it is learned early. */
#ifndef TMGT_READY_QUEUE_H
#define TMGT_READY_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "graph.h"
#include "strmap.h"

typedef struct {
    struct ready_item *items;
    size_t count, cap;
    uint64_t arrivals;
    strmap step_times; /* step name → its finished actions' total and count */
} ready_queue;

void ready_queue_init(ready_queue *q);
void ready_queue_free(ready_queue *q);
void ready_queue_push(ready_queue *q, action *a);
action *ready_queue_pop(ready_queue *q); /* NULL when empty */
/* An executed action of this step took wall_ms (cached ones teach nothing). */
void ready_queue_learn(ready_queue *q, const action *a, uint64_t wall_ms);

#endif
