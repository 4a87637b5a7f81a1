/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cork and uncork: small posted writes issued between them travel together
 * in REGION_WRITE_MULTI (vuc_cork()).
 */
#include <vuc/vuc.h>

#include "cmds.h"
#include "args.h"
#include "output.h"
#include "vuctl.h"

static int cmd_cork(struct vuctl *v, int argc, char **argv)
{
    int rc = vuctl_need_client(v, false);

    if (rc)
        return rc;
    rc = vuc_cork(v->client);
    if (rc < 0)
        return vuctl_fail_lib(v, v->client, rc, "cork");
    out_done(v, "cork");
    return VUCTL_OK;
}

static int cmd_uncork(struct vuctl *v, int argc, char **argv)
{
    int rc = vuctl_need_client(v, false);

    if (rc)
        return rc;
    rc = vuc_uncork(v->client);
    if (rc < 0)
        return vuctl_fail_lib(v, v->client, rc, "uncork");
    out_done(v, "uncork");
    return VUCTL_OK;
}

static const struct vuctl_cmd batch_cmds[] = {
    {
        .name = "cork",
        .args = "",
        .summary = "hold small posted writes to send them together",
        .help = "Until the matching uncork, posted writes of up to 8 bytes\n"
                "collect into REGION_WRITE_MULTI messages of up to 200\n"
                "writes. A batch leaves when full, at uncork, and before\n"
                "anything that must come after it (a read, a fence, a write\n"
                "that is not posted, a DMA map, an irq wait). Corks nest.\n",
        .example = "set posting posted; cork; poke BAR0 0x10 1; "
                   "poke BAR0 0x14 2; uncork\n",
        .fn = cmd_cork,
        .min_args = 0,
        .max_args = 0,
    },
    {
        .name = "uncork",
        .args = "",
        .summary = "send the posted writes held since cork",
        .help = "End one cork; the outermost sends the writes it held. Fails\n"
                "when the client is not corked.\n",
        .example = "cork; poke BAR0 0x10 1; uncork; fence\n",
        .fn = cmd_uncork,
        .min_args = 0,
        .max_args = 0,
    },
};

const struct vuctl_cmd_table vuctl_batch_table = {
    batch_cmds, sizeof(batch_cmds) / sizeof(batch_cmds[0])};
