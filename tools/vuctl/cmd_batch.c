/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cork and uncork: small posted writes issued between them travel together
 * in REGION_WRITE_MULTI (vuc_cork()).
 */
#include <vuc/vuc.h>

#include "cmds.h"
#include "output.h"
#include "vuctl.h"

int vuctl_cmd_cork(struct vuctl *v, int argc, char **argv)
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

int vuctl_cmd_uncork(struct vuctl *v, int argc, char **argv)
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
