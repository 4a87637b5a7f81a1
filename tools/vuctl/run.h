/* SPDX-License-Identifier: BSD-3-Clause */
/* Running commands from the tables (cmds.h). */
#ifndef VUCTL_RUN_H
#define VUCTL_RUN_H

#include <stdint.h>

struct vuctl;
struct vuctl_cmd;

/*
 * Find the command that argv names (one or two words), and check its
 * argument count. Records a usage failure and returns VUCTL_USAGE when
 * there is no such command or the count is wrong.
 * @param nwords receives how many words of argv name it (1 or 2).
 */
int vuctl_cmd_resolve(struct vuctl *v, int argc, char **argv,
                      const struct vuctl_cmd **cmd, int *nwords);

/*
 * Run one command (argv[0] is its name): expand variables in its arguments,
 * look it up, check its arguments, call it, and report a failure on stderr
 * (and stdout in JSON mode).
 * @param where names the command's source in messages ("file:line",
 *        "-c:N"), or is NULL.
 * @return its enum vuctl_status.
 */
int vuctl_cmd_run(struct vuctl *v, int argc, char **argv, const char *where);

/*
 * Run a command for its value, printing nothing (for set and expect).
 * A single word that starts with a digit is a number, not a command.
 * @return its status, VUCTL_USAGE for a command that produces no value.
 */
int vuctl_cmd_value(struct vuctl *v, int argc, char **argv, uint64_t *value);

#endif /* VUCTL_RUN_H */
