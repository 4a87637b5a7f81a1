/* SPDX-License-Identifier: BSD-3-Clause */
/* The shell itself: help and quit. */
#include <errno.h>
#include <stdbool.h>

#include "cmds.h"
#include "output.h"
#include "vuctl.h"

static int cmd_help(struct vuctl *v, int argc, char **argv)
{
    const struct vuctl_cmd *cmd = NULL;
    const char *group = NULL;

    if (argc > 1 && vuctl_cmd_is_group(argv[1])) {
        if (argc == 2) {
            group = argv[1];
        } else if (!(cmd = vuctl_cmd_find(argv[1], argv[2]))) {
            return vuctl_fail(v, VUCTL_USAGE, EINVAL, "unknown command '%s %s'",
                              argv[1], argv[2]);
        }
    } else if (argc > 1) {
        cmd = vuctl_cmd_find(argv[1], NULL);
        if (!cmd)
            return vuctl_fail(v, VUCTL_USAGE, EINVAL, "unknown command '%s'",
                              argv[1]);
        if (argc > 2)
            return vuctl_fail(v, VUCTL_USAGE, EINVAL,
                              "'%s' has no sub-commands", argv[1]);
    }
    out_help(v, cmd, group);
    return VUCTL_OK;
}

static int cmd_quit(struct vuctl *v, int argc, char **argv)
{
    v->quit = true;
    out_quit(v, argv[0]);
    return VUCTL_OK;
}

/* The shell itself: help and quit. */
static const struct vuctl_cmd shell_cmds[] = {
    {
        .name = "help",
        .args = "[COMMAND [SUB-COMMAND]]",
        .summary = "list the commands, or explain one",
        .help = "Without an argument, list the commands with their\n"
                "arguments; with a command, explain it, with its examples;\n"
                "with a group such as dma, list its sub-commands.\n",
        .example = "help peek\nhelp dma\nhelp dma alloc\n",
        .fn = cmd_help,
        .min_args = 0,
        .max_args = 2,
        .first_arg = VUCTL_ARG_COMMAND,
    },
    {
        .name = "quit",
        .alias = "exit",
        .args = "",
        .summary = "leave vuctl",
        .help = "Stop reading commands and exit with status 0; the rest of\n"
                "a script is not run.\n",
        .example = "quit\n",
        .fn = cmd_quit,
        .min_args = 0,
        .max_args = 0,
    },
};

const struct vuctl_cmd_table vuctl_shell_table = {
    shell_cmds, sizeof(shell_cmds) / sizeof(shell_cmds[0])};
