/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Running a command: variables expanded, looked up in the tables, its
 * arguments counted, called, and its failure reported.
 */
#include "run.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cmds.h"
#include "output.h"
#include "parse.h"
#include "vuctl.h"

/* "alloc, map, ...": the sub-commands of group, for messages. */
static void sub_list(const char *group, char *buf, size_t len)
{
    const struct vuctl_cmd *c;
    size_t n = 0;

    buf[0] = '\0';
    for (size_t i = 0; (c = vuctl_cmd_at(i)) && n < len; i++)
        if (c->sub && !strcmp(c->name, group))
            n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? ", " : "",
                                  c->sub);
}

/* ---- Running commands --------------------------------------------------- */

int vuctl_cmd_resolve(struct vuctl *v, int argc, char **argv,
                      const struct vuctl_cmd **out, int *nwords)
{
    const struct vuctl_cmd *cmd;
    char subs[256], name[64];
    int nargs;

    *nwords = 1;
    if (vuctl_cmd_is_group(argv[0])) {
        sub_list(argv[0], subs, sizeof(subs));
        if (argc < 2)
            return vuctl_fail(v, VUCTL_USAGE, EINVAL,
                              "expected a sub-command: %s", subs);
        cmd = vuctl_cmd_find(argv[0], argv[1]);
        if (!cmd)
            return vuctl_fail(v, VUCTL_USAGE, EINVAL,
                              "unknown sub-command '%s' (expected %s)", argv[1],
                              subs);
        *nwords = 2;
    } else {
        cmd = vuctl_cmd_find(argv[0], NULL);
        if (!cmd)
            return vuctl_fail(v, VUCTL_USAGE, EINVAL,
                              "unknown command '%s' (try 'help')", argv[0]);
    }
    /* Set even when the count is wrong, so the caller names it. */
    *out = cmd;
    nargs = argc - *nwords;
    if (nargs < cmd->min_args || nargs > cmd->max_args) {
        const char *sp = cmd->args[0] ? " " : "";

        /* Usage as typed, so that an alias is shown as the user knows it. */
        snprintf(name, sizeof(name), "%s%s%s", argv[0], cmd->sub ? " " : "",
                 cmd->sub ? cmd->sub : "");
        if (cmd->max_args == VUCTL_ANY_ARGS)
            return vuctl_fail(v, VUCTL_USAGE, EINVAL,
                              "expected at least %d argument%s, got %d "
                              "(usage: %s%s%s)",
                              cmd->min_args, cmd->min_args == 1 ? "" : "s",
                              nargs, name, sp, cmd->args);
        if (cmd->min_args == cmd->max_args)
            return vuctl_fail(v, VUCTL_USAGE, EINVAL,
                              "expected %d argument%s, got %d (usage: %s%s%s)",
                              cmd->min_args, cmd->min_args == 1 ? "" : "s",
                              nargs, name, sp, cmd->args);
        return vuctl_fail(v, VUCTL_USAGE, EINVAL,
                          "expected %d to %d arguments, got %d (usage: "
                          "%s%s%s)",
                          cmd->min_args, cmd->max_args, nargs, name, sp,
                          cmd->args);
    }
    return VUCTL_OK;
}

static void free_words(int argc, char **argv)
{
    if (!argv)
        return;
    for (int i = 0; i < argc; i++)
        free(argv[i]);
    free(argv);
}

/* A copy of argv with variables expanded in every word but the first. */
static int expand_words(struct vuctl *v, int argc, char **argv, char ***out)
{
    char **x = calloc((size_t)argc + 1, sizeof(*x));
    char err[512];

    if (!x)
        return vuctl_fail(v, VUCTL_FAIL, ENOMEM, "out of memory");
    for (int i = 0; i < argc; i++) {
        int rc;

        if (i == 0) {
            x[i] = strdup(argv[i]);
            rc = x[i] ? 0 : -ENOMEM;
            if (rc)
                snprintf(err, sizeof(err), "out of memory");
        } else {
            rc = vuctl_expand(argv[i], vuctl_var_get, v, &x[i], err,
                              sizeof(err));
        }
        if (rc) {
            free_words(argc, x);
            return vuctl_fail(v, rc == -ENOMEM ? VUCTL_FAIL : VUCTL_USAGE, -rc,
                              "%s", err);
        }
    }
    *out = x;
    return VUCTL_OK;
}

int vuctl_cmd_run(struct vuctl *v, int argc, char **argv, const char *where)
{
    const struct vuctl_cmd *cmd = NULL;
    char **x = NULL;
    char name[160];
    int nwords = 1;
    int status;

    v->where = where;
    v->err.reported = false;
    status = expand_words(v, argc, argv, &x);
    if (status == VUCTL_OK)
        status = vuctl_cmd_resolve(v, argc, x, &cmd, &nwords);
    if (status == VUCTL_OK)
        status = cmd->fn(v, argc - nwords + 1, x + nwords - 1);
    if (status != VUCTL_OK && !v->err.reported) {
        /* The name as typed: "exit", "dma alloc". */
        if (cmd && nwords == 2)
            snprintf(name, sizeof(name), "%s %s", argv[0], x[1]);
        else
            snprintf(name, sizeof(name), "%s", argv[0]);
        out_error(v, name, where);
    }
    free_words(argc, x);
    fflush(stdout);
    v->where = NULL;
    return status;
}

int vuctl_cmd_value(struct vuctl *v, int argc, char **argv, uint64_t *value)
{
    const struct vuctl_cmd *cmd;
    char name[64];
    int nwords, status;

    if (isdigit((unsigned char)argv[0][0])) {
        if (argc > 1)
            return vuctl_fail(v, VUCTL_USAGE, EINVAL,
                              "expected a command or one number, not the "
                              "number '%s' and %d more word%s",
                              argv[0], argc - 1, argc == 2 ? "" : "s");
        return vuctl_arg_u64(v, argv[0], UINT64_MAX, value);
    }
    status = vuctl_cmd_resolve(v, argc, argv, &cmd, &nwords);
    if (status)
        return status;
    if (!cmd->value)
        return vuctl_fail(v, VUCTL_USAGE, EINVAL, "%s produces no value",
                          vuctl_cmd_fullname(cmd, name, sizeof(name)));
    v->capture.on = true;
    v->capture.got = false;
    status = cmd->fn(v, argc - nwords + 1, argv + nwords - 1);
    v->capture.on = false;
    if (status == VUCTL_OK && !v->capture.got)
        return vuctl_fail(v, VUCTL_FAIL, EIO,
                          "%s succeeded but gave no value (a vuctl bug)",
                          vuctl_cmd_fullname(cmd, name, sizeof(name)));
    *value = v->capture.value;
    return status;
}

int vuctl_exec_line(struct vuctl *v, const char *text, const char *where,
                    unsigned long *cmdno)
{
    struct vuctl_line line;
    char err[256], here[32];
    int status = VUCTL_OK;
    int rc;

    rc = vuctl_parse_line(text, &line, err, sizeof(err));
    if (rc) {
        vuctl_fail(v, rc == -ENOMEM ? VUCTL_FAIL : VUCTL_USAGE, -rc, "%s", err);
        out_error(v, NULL, cmdno ? "-c" : where);
        return v->err.status;
    }
    for (size_t i = 0; i < line.n && !v->quit; i++) {
        if (cmdno) {
            snprintf(here, sizeof(here), "-c:%lu", ++*cmdno);
            where = here;
        }
        status = vuctl_cmd_run(v, line.cmds[i].argc, line.cmds[i].argv, where);
        if (status != VUCTL_OK)
            break;
    }
    vuctl_line_free(&line);
    return status;
}
