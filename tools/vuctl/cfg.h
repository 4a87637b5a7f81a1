/* SPDX-License-Identifier: BSD-3-Clause */
/* What `cfg` learned about a device's config space, for its output. */
#ifndef VUCTL_CFG_H
#define VUCTL_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vuc/vuc.h>

/* Config space sizes: the PCI header, conventional PCI, PCI Express. */
#define VUCTL_CFG_HEADER 0x40u
#define VUCTL_CFG_PCI 0x100u
#define VUCTL_CFG_PCIE 0x1000u

struct vuctl_cfg {
    const uint8_t *data; /* config space as read at the start */
    size_t len;          /* 64, 256 or 4096 bytes */

    /* BARs by vuc_pci_bar(): nbars slots for the header type; bar_rc[i]
     * is 0 when bars[i] holds BAR i, else why not (the slot above a
     * 64-bit BAR is skipped with -EEXIST). */
    unsigned nbars;
    struct vuc_pci_bar bars[6];
    int bar_rc[6];

    /* The capability lists, from vuc_pci_caps(); caps_rc < 0 when the walk
     * failed (caps_error says why) after ncaps entries. */
    const struct vuc_pci_cap *caps;
    unsigned ncaps;
    int caps_rc;
    char caps_error[512];

    bool have_msix; /* vuc_pci_msix() decoded msix */
    struct vuc_pci_msix msix;
};

#endif /* VUCTL_CFG_H */
