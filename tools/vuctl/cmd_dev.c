/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Commands about the device as a whole: reset and the order of writes
 * (dirty page logging and migration are cmd_mig.c's).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vuc/vuc.h>

#include "args.h"
#include "cmds.h"
#include "output.h"
#include "vuctl.h"

/* ---- Reset ----------------------------------------------------------------
 */

static int cmd_reset(struct vuctl *v, int argc, char **argv)
{
    const struct vuc_device_info *d;
    int rc = vuctl_need_client(v, true);

    if (rc)
        return rc;
    d = vuc_get_device_info(v->client);
    if (d && !(d->flags & VFIO_USER_DEVICE_FLAGS_RESET))
        return vuctl_fail(v, VUCTL_FAIL, ENOTSUP,
                          "the device cannot be reset (its device info "
                          "lacks the RESET flag)");
    rc = vuc_device_reset(v->client);
    if (rc < 0)
        return vuctl_fail_lib(v, v->client, rc, "reset");
    out_done(v, "reset");
    return VUCTL_OK;
}

/* ---- Write ordering -------------------------------------------------------
 */

int vuctl_set_posting(struct vuctl *v, const char *mode)
{
    int policy = -1, rc;

    for (int i = VUC_POSTING_STRICT; i <= VUC_POSTING_POSTED; i++)
        if (!strcmp(mode, vuctl_posting_name(i)))
            policy = i;
    if (policy < 0)
        return vuctl_fail(v, VUCTL_USAGE, EINVAL,
                          "bad posting policy '%s': expected strict, fenced "
                          "or posted",
                          mode);
    if ((rc = vuctl_need_client(v, true)))
        return rc;
    rc = vuc_set_posting(v->client, (enum vuc_posting)policy);
    if (rc < 0)
        return vuctl_fail_lib(v, v->client, rc, "set posting");
    out_posting(v, policy);
    return VUCTL_OK;
}

static int cmd_fence(struct vuctl *v, int argc, char **argv)
{
    int rc = vuctl_need_client(v, true);

    if (rc)
        return rc;
    rc = vuc_fence(v->client);
    if (rc < 0)
        return vuctl_fail_lib(v, v->client, rc, "fence");
    out_done(v, "fence");
    return VUCTL_OK;
}

static int cmd_posted_safe(struct vuctl *v, int argc, char **argv)
{
    const struct vuc_region_info *info;
    uint64_t offset, len;
    uint32_t region;
    int rc;

    if ((rc = vuctl_arg_region(v, argv[1], &region)) ||
        (rc = vuctl_arg_u64(v, argv[2], UINT64_MAX, &offset)) ||
        (rc = vuctl_arg_u64(v, argv[3], UINT64_MAX, &len)))
        return rc;
    if (len == 0)
        return vuctl_fail(v, VUCTL_USAGE, EINVAL, "bad length '%s': 0 bytes",
                          argv[3]);
    if ((rc = vuctl_region_get(v, region, argv[1], &info)) ||
        (rc = vuctl_region_check(v, info, VFIO_USER_REGION_INFO_FLAG_WRITE,
                                 offset, len)))
        return rc;
    rc = vuc_posted_safe(v->client, region, offset, len);
    if (rc < 0)
        return vuctl_fail_lib(v, v->client, rc, "posted-safe");
    out_posted_safe(v, region, offset, len);
    return VUCTL_OK;
}

/* The device as a whole: reset and the order of writes. */
static const struct vuctl_cmd dev_cmds[] = {
    {
        .name = "reset",
        .args = "",
        .summary = "reset the device",
        .help = "Send DEVICE_RESET and wait, without a time limit, for the\n"
                "device to finish. libvuc then sets up the enabled\n"
                "interrupts again, so that they keep working; DMA maps\n"
                "stay.\n",
        .example = "reset\n",
        .fn = cmd_reset,
        .min_args = 0,
        .max_args = 0,
    },
    {
        .name = "fence",
        .args = "",
        .summary = "wait until every posted write was processed",
        .help = "Make sure the device processed every write posted so far\n"
                "(one round trip, none when nothing is outstanding), and\n"
                "report the error of a posted write that failed. See set\n"
                "posting.\n",
        .example = "set posting posted; poke BAR0 0x10 1; fence\n",
        .fn = cmd_fence,
        .min_args = 0,
        .max_args = 0,
    },
    {
        .name = "posted-safe",
        .args = "REGION OFFSET LEN",
        .summary = "let writes to a range be posted under every policy",
        .help = "Mark LEN bytes at OFFSET of REGION (a doorbell, say) as\n"
                "safe to post whatever the posting policy: writes there do\n"
                "not wait for the device's reply. At most 64 ranges.\n",
        .example = "posted-safe BAR0 0x114 4\n",
        .fn = cmd_posted_safe,
        .min_args = 3,
        .max_args = 3,
        .first_arg = VUCTL_ARG_REGION,
    },
};

const struct vuctl_cmd_table vuctl_dev_table = {
    dev_cmds, sizeof(dev_cmds) / sizeof(dev_cmds[0])};
