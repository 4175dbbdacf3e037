#include "hub_progress.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "util.h"

enum { REDRAW_MS = 250 };

typedef struct {
    char *label;
    uint64_t total, done;
    uint64_t started_ms, ended_ms;
    const char *status; /* NULL while downloading */
} progress_line;

struct hub_progress {
    uv_timer_t timer;
    bool tty;
    progress_line *lines;
    size_t n, drawn; /* lines on screen from the last redraw */
};

static void human_bytes(char *buf, size_t n, double v)
{
    const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    size_t u = 0;
    while (v >= 1024 && u + 1 < sizeof units / sizeof *units) {
        v /= 1024;
        u++;
    }
    snprintf(buf, n, u ? "%.1f %s" : "%.0f %s", v, units[u]);
}

static void draw_line(const progress_line *l, uint64_t now)
{
    char done[32], total[32], rate[32];
    human_bytes(done, sizeof done, (double)l->done);
    human_bytes(total, sizeof total, (double)l->total);
    double secs = (double)((l->ended_ms ? l->ended_ms : now) - l->started_ms) / 1000.0;
    double bps = secs > 0 ? (double)l->done / secs : 0;
    human_bytes(rate, sizeof rate, bps);
    fprintf(stderr, "\r\033[K  %-40s %10s / %-10s %10s/s", l->label, done, total, rate);
    if (l->status)
        fprintf(stderr, "  %s\n", l->status);
    else if (bps > 0)
        fprintf(stderr, "  ETA %.0f s\n", (double)(l->total - l->done) / bps);
    else
        fputs("\n", stderr);
}

static void redraw(hub_progress *p)
{
    if (!p->tty)
        return;
    if (p->drawn)
        fprintf(stderr, "\033[%zuA", p->drawn);
    uint64_t now = now_ms();
    for (size_t i = 0; i < p->n; i++)
        draw_line(&p->lines[i], now);
    p->drawn = p->n;
    fflush(stderr);
}

static void on_tick(uv_timer_t *t)
{
    redraw(t->data);
}

hub_progress *hub_progress_new(uv_loop_t *loop, bool tty)
{
    hub_progress *p = xcalloc(1, sizeof *p);
    p->tty = tty;
    uv_timer_init(loop, &p->timer);
    p->timer.data = p;
    if (tty) {
        uv_timer_start(&p->timer, on_tick, REDRAW_MS, REDRAW_MS);
        /* The redraw timer alone must not keep the loop running once the transfers end. */
        uv_unref((uv_handle_t *)&p->timer);
    }
    return p;
}

size_t hub_progress_add(hub_progress *p, const char *label)
{
    p->lines = xrealloc(p->lines, (p->n + 1) * sizeof *p->lines);
    p->lines[p->n] = (progress_line){.label = xstrdup(label), .started_ms = now_ms()};
    return p->n++;
}

void hub_progress_update(hub_progress *p, size_t line, uint64_t done, uint64_t total)
{
    p->lines[line].done = done;
    p->lines[line].total = total;
}

void hub_progress_finish(hub_progress *p, size_t line, const char *status)
{
    p->lines[line].status = status;
    p->lines[line].ended_ms = now_ms();
}

static void free_progress(uv_handle_t *h)
{
    hub_progress *p = h->data;
    for (size_t i = 0; i < p->n; i++)
        free(p->lines[i].label);
    free(p->lines);
    free(p);
}

void hub_progress_close(hub_progress *p)
{
    redraw(p);
    uv_close((uv_handle_t *)&p->timer, free_progress);
}
