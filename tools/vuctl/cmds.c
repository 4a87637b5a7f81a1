/* SPDX-License-Identifier: BSD-3-Clause */
/* The list of command tables, and looking commands up in them: data only,
 * so that the output layer can read it for help. */
#include "cmds.h"

#include <stdio.h>
#include <string.h>

/* ---- The list of tables ------------------------------------------------- */

/*
 * Every command table, in the order help, --help, completion and the man
 * page list them: the list is cmd_tables.def, which says how to add a group
 * of commands (one new cmd_*.c and one line there).
 */
#define VUCTL_CMD_TABLE(name)                                                  \
    extern const struct vuctl_cmd_table vuctl_##name##_table;
#include "cmd_tables.def"
#undef VUCTL_CMD_TABLE

static const struct vuctl_cmd_table *const tables[] = {
#define VUCTL_CMD_TABLE(name) &vuctl_##name##_table,
#include "cmd_tables.def"
#undef VUCTL_CMD_TABLE
};

const struct vuctl_cmd *vuctl_cmd_at(size_t i)
{
    for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
        if (i < tables[t]->ncmds)
            return &tables[t]->cmds[i];
        i -= tables[t]->ncmds;
    }
    return NULL;
}

const struct vuctl_cmd *vuctl_cmd_find(const char *name, const char *sub)
{
    const struct vuctl_cmd *c;

    for (size_t i = 0; (c = vuctl_cmd_at(i)); i++) {
        if (strcmp(name, c->name) && !(c->alias && !strcmp(name, c->alias)))
            continue;
        if (!sub && !c->sub)
            return c;
        if (sub && c->sub && !strcmp(sub, c->sub))
            return c;
    }
    return NULL;
}

bool vuctl_cmd_is_group(const char *name)
{
    const struct vuctl_cmd *c;

    for (size_t i = 0; (c = vuctl_cmd_at(i)); i++)
        if (c->sub && !strcmp(name, c->name))
            return true;
    return false;
}

const char *vuctl_cmd_fullname(const struct vuctl_cmd *c, char *buf, size_t len)
{
    snprintf(buf, len, "%s%s%s", c->name, c->sub ? " " : "",
             c->sub ? c->sub : "");
    return buf;
}
