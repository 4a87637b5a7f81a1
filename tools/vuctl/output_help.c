/* SPDX-License-Identifier: BSD-3-Clause */
/* Output of help: the command list, and one command explained. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cmds.h"
#include "output.h"
#include "output_int.h"
#include "vuctl.h"

/* ---- Help --------------------------------------------------------------- */

/* Synopses longer than this get the summary on a line of its own. */
#define SYNOPSIS_WIDTH 22

static void synopsis(const struct vuctl_cmd *c, const char *name, char *buf,
                     size_t len)
{
    snprintf(buf, len, "%s%s%s%s%s", name, c->sub ? " " : "",
             c->sub ? c->sub : "", c->args[0] ? " " : "", c->args);
}

void out_command_list(FILE *f, const char *group)
{
    const struct vuctl_cmd *c;

    for (size_t i = 0; (c = vuctl_cmd_at(i)); i++) {
        char syn[160];

        if (group && (!c->sub || strcmp(c->name, group)))
            continue;
        synopsis(c, c->name, syn, sizeof(syn));
        if (strlen(syn) > SYNOPSIS_WIDTH)
            fprintf(f, "  %s\n  %-*s  %s", syn, SYNOPSIS_WIDTH, "", c->summary);
        else
            fprintf(f, "  %-*s  %s", SYNOPSIS_WIDTH, syn, c->summary);
        if (c->alias)
            fprintf(f, " (also '%s')", c->alias);
        fputc('\n', f);
    }
}

static json_t *help_json(const struct vuctl_cmd *c, bool details)
{
    json_t *o = json_object();
    char name[64];

    /* In `help CMD` this object is the reply, so "cmd" leads as in all. */
    if (o && details)
        json_object_set_new(o, "cmd", json_string("help"));
    if (o) {
        json_object_set_new(
            o, "name", json_string(vuctl_cmd_fullname(c, name, sizeof(name))));
        json_object_set_new(o, "args", json_string(c->args));
        json_object_set_new(o, "summary", json_string(c->summary));
    }
    if (o && c->alias)
        json_object_set_new(o, "alias", json_string(c->alias));
    if (o && details) {
        json_object_set_new(o, "help", json_string(c->help));
        json_object_set_new(o, "value",
                            c->value ? json_string(c->value) : json_null());
        json_object_set_new(o, "example", json_string(c->example));
    }
    return o;
}

void out_help(struct vuctl *v, const struct vuctl_cmd *c, const char *group)
{
    char syn[160];

    if (v->json) {
        json_t *o;

        if (c) {
            o = help_json(c, true);
        } else {
            json_t *arr = json_array();
            const struct vuctl_cmd *e;

            for (size_t i = 0; arr && (e = vuctl_cmd_at(i)); i++)
                if (!group || (e->sub && !strcmp(e->name, group)))
                    json_array_append_new(arr, help_json(e, false));
            o = json_pack("{s:s,s:o*}", "cmd", "help", "commands", arr);
        }
        emit(o);
        return;
    }
    if (!c) {
        if (group)
            printf("Sub-commands of %s:\n", group);
        else
            printf("Commands:\n");
        out_command_list(stdout, group);
        printf("Type 'help COMMAND' for details.\n");
        return;
    }
    printf("%s - %s\n\n", vuctl_cmd_fullname(c, syn, sizeof(syn)), c->summary);
    synopsis(c, c->name, syn, sizeof(syn));
    printf("usage: %s\n", syn);
    if (c->alias) {
        synopsis(c, c->alias, syn, sizeof(syn));
        printf("   or: %s\n", syn);
    }
    printf("\n%s", c->help);
    if (c->value)
        printf("\nValue for set and expect: %s.\n", c->value);
    printf("\nExample%s:\n",
           strchr(c->example, '\n') != strrchr(c->example, '\n') ? "s" : "");
    for (const char *p = c->example; *p;) {
        const char *nl = strchr(p, '\n');
        int n = nl ? (int)(nl - p) : (int)strlen(p);

        printf("  %.*s\n", n, p);
        p += n + (nl ? 1 : 0);
    }
}
