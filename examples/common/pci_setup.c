/* SPDX-License-Identifier: BSD-3-Clause */
#include "pci_setup.h"

#include <errno.h>

/* Where unassigned memory BARs go: a window below 4 GiB that firmware
 * commonly uses for PCI memory. Only its disjointness from DMA addresses
 * matters to a vfio-user server. */
#define PCI_SETUP_MMIO_BASE 0x80000000ull
#define PCI_SETUP_MMIO_END 0xfe000000ull

#define PCI_BAR0_OFFSET 0x10u

int pci_setup_enable(struct vuc_client *c, const char **err)
{
    const char *dummy;
    uint64_t next = PCI_SETUP_MMIO_BASE;
    int rc;

    if (err == NULL) {
        err = &dummy;
    }
    for (unsigned n = 0; n < 6; n++) {
        struct vuc_pci_bar bar;
        if ((rc = vuc_pci_bar(c, n, &bar)) < 0) {
            *err = "cannot decode a BAR";
            return rc;
        }
        if (!bar.present || bar.io || bar.address != 0) {
            n += bar.present && bar.is64;
            continue;
        }
        /* BARs are naturally aligned to their (power-of-two) size. */
        uint64_t size = bar.size < 16 ? 16 : bar.size;
        if ((size & (size - 1)) != 0) {
            *err = "a memory BAR's size is not a power of two";
            return -EPROTO;
        }
        uint64_t addr = (next + size - 1) & ~(size - 1);
        if (addr + size > PCI_SETUP_MMIO_END || addr + size < addr) {
            *err = "the memory BARs do not fit below 4 GiB";
            return -ENOSPC;
        }
        uint32_t off = PCI_BAR0_OFFSET + 4u * n;
        uint32_t lo;
        /* Keep the read-only type bits the register holds. */
        if ((rc = vuc_cfg_read32(c, off, &lo)) < 0 ||
            (rc = vuc_cfg_write32(c, off, (uint32_t)addr | (lo & 0xfu))) < 0) {
            *err = "cannot program a BAR";
            return rc;
        }
        if (bar.is64) {
            if ((rc = vuc_cfg_write32(c, off + 4, (uint32_t)(addr >> 32))) <
                0) {
                *err = "cannot program a BAR";
                return rc;
            }
            n++;
        }
        next = addr + size;
    }
    if ((rc =
             vuc_pci_command(c, VUC_PCI_COMMAND_MEMORY | VUC_PCI_COMMAND_MASTER,
                             0, NULL)) < 0) {
        *err = "cannot enable memory decoding and bus mastering";
        return rc;
    }
    return 0;
}
