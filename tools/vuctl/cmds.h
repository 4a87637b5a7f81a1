/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The command tables: the one description of every vuctl command, from which
 * dispatch, argument-count checks, `help`, `--help`, completion and the man
 * page are all derived. Each cmd_*.c ends with the table of its commands,
 * whose handlers are static; cmds.c lists the tables and looks commands up.
 * It runs none: run.c does.
 */
#ifndef VUCTL_CMDS_H
#define VUCTL_CMDS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vuc_dma_map;
struct vuctl;
struct vuctl_filemap;

/* What the arguments of a command are, for tab completion. */
enum vuctl_arg_kind {
    VUCTL_ARG_NONE,
    VUCTL_ARG_COMMAND,  /* the first is a command name (help) */
    VUCTL_ARG_CMDLINE,  /* they are a command line of their own (expect) */
    VUCTL_ARG_SET,      /* NAME, '=', then a command line (set) */
    VUCTL_ARG_REGION,   /* the first is a region */
    VUCTL_ARG_FILE,     /* the first is a file name */
    VUCTL_ARG_IRQ,      /* the first is an irq index */
    VUCTL_ARG_MIGSTATE, /* the first is a migration state */
};

/* Handlers return an enum vuctl_status, after vuctl_fail() on failure.
 * argv[0] is the command's last name word ("alloc" for "dma alloc"). */
typedef int (*vuctl_cmd_fn)(struct vuctl *v, int argc, char **argv);

/* max_args of commands that take any number of arguments. */
#define VUCTL_ANY_ARGS INT_MAX

struct vuctl_cmd {
    const char *name;
    const char *sub;     /* the sub-command ("alloc" of "dma alloc"), or NULL */
    const char *alias;   /* another name for it, or NULL */
    const char *args;    /* synopsis of the arguments ("" for none) */
    const char *summary; /* one line, no final period */
    const char *help;    /* a paragraph, lines ending in \n */
    const char *value;   /* what set and expect take from it ("the value
                            read"), or NULL when it produces no value */
    const char *example; /* one or more example lines, ending in \n */
    vuctl_cmd_fn fn;
    int min_args, max_args; /* not counting the name words */
    enum vuctl_arg_kind first_arg;
    /* Fixed words (options, modes) that completion offers for any
     * argument, blank-separated, or NULL. */
    const char *words;
};

/* The commands of one file, at its end: vuctl_dma_table in cmd_dma.c. The
 * list of tables is in cmds.c (see cmd_tables.def). */
struct vuctl_cmd_table {
    const struct vuctl_cmd *cmds;
    size_t ncmds;
};

/* Every command in turn, in the order help and the man page list them:
 *     for (size_t i = 0; (c = vuctl_cmd_at(i)); i++)
 * NULL past the last. */
const struct vuctl_cmd *vuctl_cmd_at(size_t i);

/* The command named name (or aliased), with sub-command sub (NULL for a
 * command that has none), or NULL. */
const struct vuctl_cmd *vuctl_cmd_find(const char *name, const char *sub);

/* Whether name is a group of sub-commands ("dma"). */
bool vuctl_cmd_is_group(const char *name);

/* "dma alloc", "peek": the name words of a command, in buf. */
const char *vuctl_cmd_fullname(const struct vuctl_cmd *c, char *buf,
                               size_t len);

/* `set posting MODE`, in cmd_dev.c, for cmd_script.c's set. */
int vuctl_set_posting(struct vuctl *v, const char *mode);

#endif /* VUCTL_CMDS_H */
