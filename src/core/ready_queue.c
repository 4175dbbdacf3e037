#include "ready_queue.h"

#include <stdlib.h>

#include "util.h"

struct ready_item {
    action *a;
    uint64_t expected_ms; /* UINT64_MAX: its step has not finished yet */
    uint64_t arrival;
};

typedef struct {
    uint64_t total_ms, count;
} step_time;

void ready_queue_init(ready_queue *q)
{
    *q = (ready_queue){0};
    strmap_init(&q->step_times);
}

void ready_queue_free(ready_queue *q)
{
    const char *step;
    void *times;
    for (size_t pos = 0; strmap_next(&q->step_times, &pos, &step, &times);)
        free(times);
    strmap_free(&q->step_times);
    free(q->items);
    *q = (ready_queue){0};
}

static const char *step_of(const action *a)
{
    return a->step ? a->step->name : "";
}

/* Longer expected first; among equals, first come. */
static int before(const struct ready_item *x, const struct ready_item *y)
{
    if (x->expected_ms != y->expected_ms)
        return x->expected_ms > y->expected_ms;
    return x->arrival < y->arrival;
}

static void swap(struct ready_item *x, struct ready_item *y)
{
    struct ready_item t = *x;
    *x = *y;
    *y = t;
}

void ready_queue_push(ready_queue *q, action *a)
{
    if (q->count == q->cap) {
        q->cap = q->cap ? q->cap * 2 : 64;
        q->items = xrealloc(q->items, q->cap * sizeof *q->items);
    }
    const step_time *t = strmap_get(&q->step_times, step_of(a));
    size_t i = q->count++;
    q->items[i] = (struct ready_item){a, t ? t->total_ms / t->count : UINT64_MAX, q->arrivals++};
    while (i > 0 && before(&q->items[i], &q->items[(i - 1) / 2])) {
        swap(&q->items[i], &q->items[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
}

action *ready_queue_pop(ready_queue *q)
{
    if (!q->count)
        return NULL;
    action *top = q->items[0].a;
    q->items[0] = q->items[--q->count];
    for (size_t i = 0;;) {
        size_t best = i, l = 2 * i + 1, r = l + 1;
        if (l < q->count && before(&q->items[l], &q->items[best]))
            best = l;
        if (r < q->count && before(&q->items[r], &q->items[best]))
            best = r;
        if (best == i)
            break;
        swap(&q->items[i], &q->items[best]);
        i = best;
    }
    return top;
}

void ready_queue_learn(ready_queue *q, const action *a, uint64_t wall_ms)
{
    step_time *t = strmap_get(&q->step_times, step_of(a));
    if (!t) {
        t = xcalloc(1, sizeof *t);
        strmap_put(&q->step_times, step_of(a), t);
    }
    t->total_ms += wall_ms;
    t->count++;
}
