/* tmgt: argument parsing and dispatch (cli/commands.c) only. */
#include <signal.h>

#include "cli.h"
#include "interrupt.h"

int main(int argc, char **argv)
{
    /* Past RLIMIT_FSIZE a write must fail with EFBIG (reported, nothing published), not kill
     * tmgt mid-publish. Children get the default back (proc/child.h). */
    signal(SIGXFSZ, SIG_IGN);
    cli_opts o;
    bool done = false;
    int rc = cli_parse(argc, argv, &o, &done);
    if (rc == 0 && !done) {
        if (!(o.cmd->flags & CMD_NO_INTERRUPT))
            interrupt_install();
        rc = o.cmd->run(&o);
    }
    if (interrupt_pending() && rc != EXIT_USAGE)
        rc = EXIT_INTERRUPTED;
    cli_free(&o);
    return rc;
}
