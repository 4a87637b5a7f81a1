/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The one list of device personalities, which --device chooses from. A new
 * device is its dev_*.c files and one line here; the first entry is the
 * default.
 */
#include <string.h>

#include "testdev.h"

extern const struct td_personality td_dev_testdev;
extern const struct td_personality td_dev_nvme;

static const struct td_personality *const personalities[] = {
    &td_dev_testdev,
    &td_dev_nvme,
};

#define NUM_PERSONALITIES (sizeof(personalities) / sizeof(personalities[0]))

const struct td_personality *td_personality_find(const char *name)
{
    size_t i;

    for (i = 0; i < NUM_PERSONALITIES; i++)
        if (strcmp(personalities[i]->name, name) == 0)
            return personalities[i];
    return NULL;
}

const struct td_personality *td_personality_default(void)
{
    return personalities[0];
}

void td_personality_names(char *buf, size_t len)
{
    size_t i, used = 0;

    buf[0] = '\0';
    for (i = 0; i < NUM_PERSONALITIES && used < len; i++) {
        int n = snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
                         personalities[i]->name);

        if (n < 0)
            break;
        used += (size_t)n;
    }
}

void td_personality_list(FILE *out, bool with_options)
{
    size_t i, k;

    for (i = 0; i < NUM_PERSONALITIES; i++) {
        const struct td_personality *p = personalities[i];

        fprintf(out, "  %-12s %s%s\n", p->name, p->summary,
                i == 0 ? " (the default)" : "");
        if (!with_options)
            continue;
        for (k = 0; k < p->noptions; k++) {
            const struct td_option_desc *o = &p->options[k];
            char flag[64];

            snprintf(flag, sizeof(flag), "--%s%s%s", o->name, o->arg ? "=" : "",
                     o->arg ? o->arg : "");
            fprintf(out, "      %-24s %s\n", flag, o->help);
        }
    }
}
