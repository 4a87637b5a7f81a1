/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The command table: the one description of every vuctl command, from which
 * dispatch, argument-count checks, `help`, `--help`, completion and the man
 * page are all derived.
 */
#ifndef VUCTL_CMDS_H
#define VUCTL_CMDS_H

#include <stddef.h>

struct vuctl;

/* What the first argument of a command is, for tab completion. */
enum vuctl_arg_kind {
    VUCTL_ARG_NONE,
    VUCTL_ARG_COMMAND,
    VUCTL_ARG_REGION,
    VUCTL_ARG_FILE,
};

/* Handlers return an enum vuctl_status, after vuctl_fail() on failure. */
typedef int (*vuctl_cmd_fn)(struct vuctl *v, int argc, char **argv);

struct vuctl_cmd {
    const char *name;
    const char *alias;   /* another name for it, or NULL */
    const char *args;    /* synopsis of the arguments ("" for none) */
    const char *summary; /* one line, no final period */
    const char *help;    /* a paragraph, lines ending in \n */
    const char *example; /* one or more example lines, ending in \n */
    vuctl_cmd_fn fn;
    int min_args, max_args; /* not counting the name */
    enum vuctl_arg_kind first_arg;
};

extern const struct vuctl_cmd vuctl_cmds[];
extern const size_t vuctl_ncmds;

/* The command named (or aliased) name, or NULL. */
const struct vuctl_cmd *vuctl_cmd_find(const char *name);

/*
 * Run one command (argv[0] is its name): look it up, check its arguments,
 * call it, and report a failure on stderr (and stdout in JSON mode).
 * @return its enum vuctl_status.
 */
int vuctl_cmd_run(struct vuctl *v, int argc, char **argv, const char *where);

#endif /* VUCTL_CMDS_H */
