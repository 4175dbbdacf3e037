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
