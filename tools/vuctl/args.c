/* SPDX-License-Identifier: BSD-3-Clause */
/* The argument helpers every command file shares. */
#include "args.h"

#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <strings.h>

#include <vuc/vuc.h>

#include "parse.h"
#include "vuctl.h"

int vuctl_arg_u64(struct vuctl *v, const char *tok, uint64_t max, uint64_t *out)
{
    char err[256];
    int rc = vuctl_parse_u64(tok, max, out, err, sizeof(err));

    if (rc)
        return vuctl_fail(v, VUCTL_USAGE, -rc, "%s", err);
    return 0;
}

int vuctl_arg_width(struct vuctl *v, const char *tok, unsigned *width)
{
    uint64_t w;
    int rc = vuctl_arg_u64(v, tok, UINT64_MAX, &w);

    if (rc)
        return rc;
    if (w != 1 && w != 2 && w != 4 && w != 8)
        return vuctl_fail(v, VUCTL_USAGE, EINVAL,
                          "bad width '%s': expected 1, 2, 4 or 8", tok);
    *width = (unsigned)w;
    return 0;
}

int vuctl_arg_fits(struct vuctl *v, const char *tok, uint64_t value,
                   unsigned width)
{
    if (width < 8 && value >> (8 * width))
        return vuctl_fail(v, VUCTL_USAGE, ERANGE,
                          "value '%s' does not fit in %u byte%s", tok, width,
                          width == 1 ? "" : "s");
    return 0;
}

static const struct {
    const char *name;
    uint32_t index;
} region_names[] = {
    {"BAR0", VFIO_USER_PCI_BAR0_REGION_INDEX},
    {"BAR1", VFIO_USER_PCI_BAR1_REGION_INDEX},
    {"BAR2", VFIO_USER_PCI_BAR2_REGION_INDEX},
    {"BAR3", VFIO_USER_PCI_BAR3_REGION_INDEX},
    {"BAR4", VFIO_USER_PCI_BAR4_REGION_INDEX},
    {"BAR5", VFIO_USER_PCI_BAR5_REGION_INDEX},
    {"ROM", VFIO_USER_PCI_ROM_REGION_INDEX},
    {"CONFIG", VFIO_USER_PCI_CONFIG_REGION_INDEX},
    {"CFG", VFIO_USER_PCI_CONFIG_REGION_INDEX},
    {"VGA", VFIO_USER_PCI_VGA_REGION_INDEX},
};

int vuctl_arg_region(struct vuctl *v, const char *tok, uint32_t *index)
{
    uint64_t n;
    char err[256];

    for (size_t i = 0; i < sizeof(region_names) / sizeof(region_names[0]);
         i++) {
        if (!strcasecmp(tok, region_names[i].name)) {
            *index = region_names[i].index;
            return 0;
        }
    }
    if (tok[0] >= '0' && tok[0] <= '9') {
        int rc = vuctl_parse_u64(tok, UINT32_MAX, &n, err, sizeof(err));

        if (rc)
            return vuctl_fail(v, VUCTL_USAGE, -rc, "%s", err);
        *index = (uint32_t)n;
        return 0;
    }
    return vuctl_fail(v, VUCTL_USAGE, EINVAL,
                      "bad region '%s': expected an index or one of BAR0 to "
                      "BAR5, ROM, CONFIG (CFG), VGA",
                      tok);
}

int vuctl_need_client(struct vuctl *v, bool connected)
{
    if (!v->client)
        return vuctl_fail(v, VUCTL_FAIL, ENOTCONN,
                          "not connected (use 'connect PATH' first)");
    if (connected && !vuc_is_connected(v->client))
        return vuctl_fail(v, VUCTL_CONN, ENOTCONN,
                          "not connected: the connection to %s was lost "
                          "(use 'reconnect')",
                          v->path);
    return 0;
}

int vuctl_region_get(struct vuctl *v, uint32_t index, const char *tok,
                     const struct vuc_region_info **info)
{
    int rc = vuctl_need_client(v, true);

    if (rc)
        return rc;
    *info = vuc_get_region_info(v->client, index);
    if (*info)
        return 0;
    if (tok[0] >= '0' && tok[0] <= '9')
        return vuctl_fail(v, VUCTL_FAIL, ENODEV,
                          "region %" PRIu32 " does not exist", index);
    return vuctl_fail(v, VUCTL_FAIL, ENODEV,
                      "region %s (%" PRIu32 ") does not exist",
                      vuc_region_name(index), index);
}

/*
 * libvuc checks this too; checking here first names the region and the
 * numbers in the message instead of a bare ERANGE/EACCES.
 */
int vuctl_region_check(struct vuctl *v, const struct vuc_region_info *info,
                       uint32_t need_flag, uint64_t offset, uint64_t len)
{
    const char *name = vuc_region_name(info->index);

    if (need_flag && !(info->flags & need_flag))
        return vuctl_fail(v, VUCTL_FAIL, EACCES, "%s is not %s", name,
                          need_flag == VFIO_USER_REGION_INFO_FLAG_READ
                              ? "readable"
                              : "writeable");
    if (offset > info->size || len > info->size - offset)
        return vuctl_fail(v, VUCTL_FAIL, ERANGE,
                          "0x%" PRIx64 " bytes at offset 0x%" PRIx64
                          " are beyond the end of %s (size 0x%" PRIx64 ")",
                          len, offset, name, info->size);
    return 0;
}

uint64_t vuctl_le_get(const uint8_t *b, unsigned width)
{
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;

    switch (width) {
    case 1:
        return b[0];
    case 2:
        memcpy(&u16, b, 2);
        return le16toh(u16);
    case 4:
        memcpy(&u32, b, 4);
        return le32toh(u32);
    default:
        memcpy(&u64, b, 8);
        return le64toh(u64);
    }
}

void vuctl_le_put(uint8_t *b, uint64_t value, unsigned width)
{
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;

    switch (width) {
    case 1:
        b[0] = (uint8_t)value;
        break;
    case 2:
        u16 = htole16((uint16_t)value);
        memcpy(b, &u16, 2);
        break;
    case 4:
        u32 = htole32((uint32_t)value);
        memcpy(b, &u32, 4);
        break;
    default:
        u64 = htole64(value);
        memcpy(b, &u64, 8);
        break;
    }
}
