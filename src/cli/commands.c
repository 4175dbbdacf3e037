/* The command table: `tmgt NAME` runs commands[i].run. */
#include <string.h>

#include "cli.h"

static const char *const CACHE_SUBCOMMANDS[] = {"stats", "verify", "gc", NULL};

static const command COMMANDS[] = {
    {"run", cmd_run, 0, NULL},
    {"convert", cmd_convert, 0, NULL},
    {"check", cmd_run, 0, NULL},
    {"plan", cmd_plan, 0, NULL},
    {"report", cmd_report, CMD_NO_INTERRUPT, NULL},
    {"ticket", cmd_ticket, CMD_NO_INTERRUPT, NULL},
    {"cache", cmd_cache, CMD_NO_INTERRUPT, CACHE_SUBCOMMANDS},
    {"pull", cmd_pull, CMD_OWNS_ARGUMENTS, NULL},
    {"bisect", cmd_bisect, CMD_OWNS_ARGUMENTS | CMD_ENGINE_NAME, NULL},
};

const command *command_find(const char *name)
{
    for (size_t i = 0; i < sizeof COMMANDS / sizeof *COMMANDS; i++)
        if (!strcmp(COMMANDS[i].name, name))
            return &COMMANDS[i];
    return NULL;
}
