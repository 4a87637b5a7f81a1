/* SPDX-License-Identifier: BSD-3-Clause */
/* Region I/O: peek, poke and dump. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include <vuc/vuc.h>

#include "args.h"
#include "cmds.h"
#include "output.h"
#include "vuctl.h"

static int cmd_peek(struct vuctl *v, int argc, char **argv)
{
    const struct vuc_region_info *info;
    uint32_t region;
    uint64_t offset, value;
    unsigned width = 4;
    uint8_t buf[8];
    int rc;

    if ((rc = vuctl_arg_region(v, argv[1], &region)) ||
        (rc = vuctl_arg_u64(v, argv[2], UINT64_MAX, &offset)) ||
        (argc > 3 && (rc = vuctl_arg_width(v, argv[3], &width))) ||
        (rc = vuctl_region_get(v, region, argv[1], &info)) ||
        (rc = vuctl_region_check(v, info, VFIO_USER_REGION_INFO_FLAG_READ,
                                 offset, width)))
        return rc;
    rc = vuc_region_read(v->client, region, offset, buf, width);
    if (rc < 0)
        return vuctl_fail_lib(v, v->client, rc, NULL);
    value = vuctl_le_get(buf, width);
    if (!vuctl_capture(v, value))
        out_peek(v, region, offset, width, value);
    return VUCTL_OK;
}

static int cmd_poke(struct vuctl *v, int argc, char **argv)
{
    const struct vuc_region_info *info;
    uint32_t region;
    uint64_t offset, value;
    unsigned width = 4;
    uint8_t buf[8];
    int rc;

    if ((rc = vuctl_arg_region(v, argv[1], &region)) ||
        (rc = vuctl_arg_u64(v, argv[2], UINT64_MAX, &offset)) ||
        (rc = vuctl_arg_u64(v, argv[3], UINT64_MAX, &value)) ||
        (argc > 4 && (rc = vuctl_arg_width(v, argv[4], &width))) ||
        (rc = vuctl_arg_fits(v, argv[3], value, width)) ||
        (rc = vuctl_region_get(v, region, argv[1], &info)) ||
        (rc = vuctl_region_check(v, info, VFIO_USER_REGION_INFO_FLAG_WRITE,
                                 offset, width)))
        return rc;
    vuctl_le_put(buf, value, width);
    rc = vuc_region_write(v->client, region, offset, buf, width);
    if (rc < 0)
        return vuctl_fail_lib(v, v->client, rc, NULL);
    out_poke(v, region, offset, width, value);
    return VUCTL_OK;
}

static int cmd_dump(struct vuctl *v, int argc, char **argv)
{
    const struct vuc_region_info *info;
    uint32_t region;
    uint64_t offset, len;
    uint8_t *buf;
    int rc;

    if ((rc = vuctl_arg_region(v, argv[1], &region)) ||
        (rc = vuctl_arg_u64(v, argv[2], UINT64_MAX, &offset)) ||
        (rc = vuctl_arg_u64(v, argv[3], UINT64_MAX, &len)))
        return rc;
    if (len == 0 || len > VUCTL_MAX_DUMP)
        return vuctl_fail(v, VUCTL_USAGE, EINVAL,
                          "bad length '%s': must be 1 to 16M bytes", argv[3]);
    if ((rc = vuctl_region_get(v, region, argv[1], &info)) ||
        (rc = vuctl_region_check(v, info, VFIO_USER_REGION_INFO_FLAG_READ,
                                 offset, len)))
        return rc;
    buf = malloc(len);
    if (!buf)
        return vuctl_fail(v, VUCTL_FAIL, ENOMEM,
                          "cannot allocate %" PRIu64 " bytes", len);
    rc = vuc_region_read(v->client, region, offset, buf, len);
    if (rc < 0) {
        free(buf);
        return vuctl_fail_lib(v, v->client, rc, NULL);
    }
    out_dump(v, region, offset, buf, len);
    free(buf);
    return VUCTL_OK;
}

/* Region I/O. */
static const struct vuctl_cmd region_cmds[] = {
    {
        .name = "peek",
        .args = "REGION OFFSET [WIDTH]",
        .summary = "read a 1, 2, 4 or 8 byte value from a region",
        .help = "Read WIDTH bytes (1, 2, 4 or 8; default 4) at OFFSET of\n"
                "REGION as one little-endian value and print it in hex.\n"
                "REGION is an index or a name: BAR0 to BAR5, ROM, CONFIG\n"
                "(or CFG), VGA, in any case. Numbers are decimal or 0x hex,\n"
                "with an optional k, m or g suffix (powers of 1024). In JSON\n"
                "a value above 2^63-1 is given as a decimal string.\n",
        .value = "the value read",
        .example = "peek BAR0 0x10\npeek config 0 2\n",
        .fn = cmd_peek,
        .min_args = 2,
        .max_args = 3,
        .first_arg = VUCTL_ARG_REGION,
    },
    {
        .name = "poke",
        .args = "REGION OFFSET VALUE [WIDTH]",
        .summary = "write a 1, 2, 4 or 8 byte value to a region",
        .help = "Write VALUE as a WIDTH-byte (1, 2, 4 or 8; default 4)\n"
                "little-endian value at OFFSET of REGION and wait until the\n"
                "server acknowledged it. VALUE must fit in WIDTH bytes.\n",
        .example = "poke BAR0 0x10 0xdeadbeef\npoke 0 0x14 0xff 1\n",
        .fn = cmd_poke,
        .min_args = 3,
        .max_args = 4,
        .first_arg = VUCTL_ARG_REGION,
    },
    {
        .name = "dump",
        .args = "REGION OFFSET LEN",
        .summary = "hexdump bytes of a region",
        .help = "Read LEN bytes (at most 16M) at OFFSET of REGION and print\n"
                "them like xxd: offset, 16 bytes in hex, the same as text.\n"
                "In JSON the bytes are one hex string, \"data\".\n",
        .example = "dump BAR1 0 256\ndump config 0 4k\n",
        .fn = cmd_dump,
        .min_args = 3,
        .max_args = 3,
        .first_arg = VUCTL_ARG_REGION,
    },
};

const struct vuctl_cmd_table vuctl_region_table = {
    region_cmds, sizeof(region_cmds) / sizeof(region_cmds[0])};
