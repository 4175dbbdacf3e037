#include "interrupt.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t pending;

static void on_signal(int signum)
{
    if (pending) {
        signal(signum, SIG_DFL);
        raise(signum);
        return;
    }
    pending = signum;
    static const char msg[] = "\ntmgt: interrupted (again to stop at once)\n";
    ssize_t ignored = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)ignored;
}

void interrupt_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

int interrupt_pending(void)
{
    return pending;
}

void interrupt_note(int signum)
{
    pending = signum;
}

static void on_watched(uv_signal_t *h, int signum)
{
    interrupt_watch *w = h->data;
    interrupt_note(signum);
    w->notify(w->ctx, signum);
}

static void watch(interrupt_watch *w, uv_loop_t *loop, bool keep_alive, uv_signal_t *h, int signum)
{
    uv_signal_init(loop, h);
    h->data = w;
    uv_signal_start(h, on_watched, signum);
    if (!keep_alive)
        uv_unref((uv_handle_t *)h);
}

void interrupt_watch_start(interrupt_watch *w, uv_loop_t *loop, bool keep_alive,
                           void (*notify)(void *ctx, int signum), void *ctx)
{
    w->notify = notify;
    w->ctx = ctx;
    watch(w, loop, keep_alive, &w->sigint, SIGINT);
    watch(w, loop, keep_alive, &w->sigterm, SIGTERM);
    if (pending)
        notify(ctx, pending);
}

void interrupt_watch_stop(interrupt_watch *w)
{
    uv_close((uv_handle_t *)&w->sigint, NULL);
    uv_close((uv_handle_t *)&w->sigterm, NULL);
    interrupt_install();
}
