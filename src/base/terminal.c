#include "terminal.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "env.h"

/* COLUMNS as a shell exports it: a positive decimal number, else it says nothing. */
static size_t columns_variable(void)
{
    const char *v = env_get(ENV_COLUMNS);
    char *end;
    if (!v || !*v)
        return 0;
    errno = 0;
    unsigned long n = strtoul(v, &end, 10);
    return *end || errno || *v == '-' ? 0 : (size_t)n;
}

static size_t tty_columns(int fd)
{
    struct winsize ws;
    return ioctl(fd, TIOCGWINSZ, &ws) == 0 ? ws.ws_col : 0;
}

terminal terminal_of(FILE *out)
{
    const char *nc = env_get(ENV_NO_COLOR);
    int fd = fileno(out);
    size_t width = columns_variable();
    if (!width && fd >= 0)
        width = tty_columns(fd);
    if (!width)
        width = TERMINAL_DEFAULT_WIDTH;
    return (terminal){
        .color = fd >= 0 && isatty(fd) && !(nc && *nc),
        .width = width < TERMINAL_MIN_WIDTH ? TERMINAL_MIN_WIDTH : width,
    };
}
