/* SPDX-License-Identifier: BSD-3-Clause */
/* cfg: the PCI config space of the device, decoded or raw. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <vuc/vuc.h>

#include "args.h"
#include "cfg.h"
#include "cmds.h"
#include "output.h"
#include "vuctl.h"

/* Every capability sits 4-byte aligned past the header: the most a walk
 * can find. */
#define MAX_CAPS ((VUCTL_CFG_PCIE - VUCTL_CFG_HEADER) / 4)

/* How many BAR slots a header type has: endpoints 6, PCI-to-PCI bridges
 * 2, CardBus bridges 1. */
static unsigned bar_slots(uint8_t header_type)
{
    switch (header_type & 0x7f) {
    case 0:
        return 6;
    case 1:
        return 2;
    case 2:
        return 1;
    default:
        return 0;
    }
}

static void read_bars(struct vuctl *v, struct vuctl_cfg *cfg)
{
    const struct vuc_device_info *d = vuc_get_device_info(v->client);

    cfg->nbars = bar_slots(cfg->data[0x0e]);
    for (unsigned i = 0; i < cfg->nbars; i++) {
        /* The upper half of a 64-bit BAR is not a BAR of its own. */
        if (i > 0 && cfg->bar_rc[i - 1] == 0 && cfg->bars[i - 1].is64) {
            cfg->bar_rc[i] = -EEXIST;
            continue;
        }
        if (!d || i >= d->num_regions) {
            cfg->bar_rc[i] = -ENODEV;
            continue;
        }
        cfg->bar_rc[i] = vuc_pci_bar(v->client, i, &cfg->bars[i]);
    }
}

static int cmd_cfg(struct vuctl *v, int argc, char **argv)
{
    const struct vuc_device_info *d;
    const struct vuc_region_info *info;
    struct vuctl_cfg cfg = {0};
    struct vuc_pci_cap *caps = NULL;
    bool raw = false;
    uint8_t *data;
    int rc;

    if (argc > 1) {
        if (strcmp(argv[1], "--raw"))
            return vuctl_fail(v, VUCTL_USAGE, EINVAL,
                              "unknown option '%s' (expected --raw)", argv[1]);
        raw = true;
    }
    if ((rc = vuctl_need_client(v, true)))
        return rc;
    d = vuc_get_device_info(v->client);
    if (d && !(d->flags & VFIO_USER_DEVICE_FLAGS_PCI))
        return vuctl_fail(v, VUCTL_FAIL, ENODEV,
                          "the device is not a PCI device (its device info "
                          "lacks the PCI flag)");
    if ((rc = vuctl_region_get(v, VFIO_USER_PCI_CONFIG_REGION_INDEX, "CONFIG",
                               &info)))
        return rc;
    if (info->size < VUCTL_CFG_HEADER)
        return vuctl_fail(v, VUCTL_FAIL, ENODEV,
                          "the device has no PCI config space (CONFIG has "
                          "0x%" PRIx64 " bytes, a header needs 0x40)",
                          info->size);
    cfg.len = info->size >= VUCTL_CFG_PCIE  ? VUCTL_CFG_PCIE
              : info->size >= VUCTL_CFG_PCI ? VUCTL_CFG_PCI
                                            : VUCTL_CFG_HEADER;
    if ((rc = vuctl_region_check(v, info, VFIO_USER_REGION_INFO_FLAG_READ, 0,
                                 cfg.len)))
        return rc;
    data = malloc(cfg.len);
    if (!data)
        return vuctl_fail(v, VUCTL_FAIL, ENOMEM, "out of memory");
    rc = vuc_region_read(v->client, VFIO_USER_PCI_CONFIG_REGION_INDEX, 0, data,
                         cfg.len);
    if (rc < 0) {
        free(data);
        return vuctl_fail_lib(v, v->client, rc, "cfg");
    }
    cfg.data = data;
    if (raw) {
        out_cfg_raw(v, data, cfg.len);
        free(data);
        return VUCTL_OK;
    }

    read_bars(v, &cfg);
    caps = calloc(MAX_CAPS, sizeof(*caps));
    if (!caps) {
        free(data);
        return vuctl_fail(v, VUCTL_FAIL, ENOMEM, "out of memory");
    }
    cfg.caps = caps;
    cfg.caps_rc =
        cfg.len >= VUCTL_CFG_PCI ? vuc_pci_caps(v->client, caps, MAX_CAPS) : 0;
    if (cfg.caps_rc < 0) {
        const char *text = vuc_strerror(v->client);

        snprintf(cfg.caps_error, sizeof(cfg.caps_error), "%s",
                 text && text[0] ? text : strerror(-cfg.caps_rc));
    } else {
        /* More than fit cannot be: the walk visits each slot once. */
        cfg.ncaps =
            (unsigned)cfg.caps_rc < MAX_CAPS ? (unsigned)cfg.caps_rc : MAX_CAPS;
        for (unsigned i = 0; i < cfg.ncaps && !cfg.have_msix; i++)
            if (!caps[i].extended && caps[i].id == 0x11)
                cfg.have_msix = vuc_pci_msix(v->client, &cfg.msix) == 0;
    }
    out_cfg(v, &cfg);
    /* A bad list is the device's fault, not the connection's, unless the
     * connection went while walking it. */
    if (cfg.caps_rc < 0)
        vuctl_fail(v, vuc_is_connected(v->client) ? VUCTL_FAIL : VUCTL_CONN,
                   -cfg.caps_rc, "%s", cfg.caps_error);
    free(caps);
    free(data);
    return cfg.caps_rc < 0 ? v->err.status : VUCTL_OK;
}

/* PCI configuration space. */
static const struct vuctl_cmd pci_cmds[] = {
    {
        .name = "cfg",
        .args = "[--raw]",
        .summary = "show the PCI config space, decoded",
        .help = "Read the device's PCI config space and decode it: ids,\n"
                "class, header type, the command and status registers bit\n"
                "by bit, the interrupt pin, the BARs (type, width,\n"
                "prefetchable, address and the size of their region), and\n"
                "each capability by name, with what vuctl knows of it: PM,\n"
                "MSI, MSI-X, PCI Express, AER, DSN (the serial number),\n"
                "others by name or as 'capability 0xNN'. A capability list\n"
                "that loops or points off the config space fails the\n"
                "command, after what could be shown. --raw prints the bytes\n"
                "as lspci -xxx (256 bytes) or -xxxx (4096) does, which\n"
                "'lspci -F FILE -vv' decodes.\n",
        .example = "cfg\ncfg --raw\n",
        .fn = cmd_cfg,
        .min_args = 0,
        .max_args = 1,
        .words = "--raw",
    },
};

const struct vuctl_cmd_table vuctl_pci_table = {
    pci_cmds, sizeof(pci_cmds) / sizeof(pci_cmds[0])};
