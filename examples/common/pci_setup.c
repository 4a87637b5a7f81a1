/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A vfio-user device arrives as it would after power-on: nobody has
 * enumerated it, so its BARs may read 0 and its command register may keep
 * memory decoding and bus mastering off. Regions are reached by index, not
 * by address, but a device is entitled to ignore accesses until it has been
 * set up (QEMU's vfio-user server routes BAR accesses through an emulated
 * address space and does).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "pci_setup.h"

#define PCI_BAR_REG(n) (0x10u + 4u * (n))

/*
 * Where unassigned memory BARs go, 64-bit ones included: a window below
 * 4 GiB that firmware commonly uses for PCI memory. libvuc places the DMA
 * maps it picks addresses for at 4 GiB and above, and the one thing that
 * matters to a server is that BARs and DMA addresses never overlap.
 */
#define MMIO_BASE 0x80000000ull
#define MMIO_END 0xfe000000ull

static int program_bar(struct vuc_client *c, unsigned n,
                       const struct vuc_pci_bar *bar, uint64_t *next, char *err,
                       size_t errlen)
{
    /* A BAR's size is a power of two and its address is aligned to it. */
    uint64_t size = bar->size < 16 ? 16 : bar->size;
    if ((size & (size - 1)) != 0) {
        snprintf(err, errlen, "BAR%u: size 0x%" PRIx64 " is not a power of two",
                 n, bar->size);
        return -EPROTO;
    }
    uint64_t addr = (*next + size - 1) & ~(size - 1);
    if (addr < *next || addr + size > MMIO_END) {
        snprintf(err, errlen,
                 "BAR%u: 0x%" PRIx64 " bytes do not fit in the memory window "
                 "below 4 GiB",
                 n, bar->size);
        return -ENOSPC;
    }
    *next = addr + size;

    uint32_t lo;
    int rc = vuc_cfg_read32(c, PCI_BAR_REG(n), &lo);
    /* The low four bits are the BAR's read-only type: write them back. */
    if (rc == 0) {
        rc = vuc_cfg_write32(c, PCI_BAR_REG(n), (uint32_t)addr | (lo & 0xfu));
    }
    if (rc == 0 && bar->is64) {
        rc = vuc_cfg_write32(c, PCI_BAR_REG(n + 1), (uint32_t)(addr >> 32));
    }
    if (rc < 0) {
        snprintf(err, errlen, "BAR%u: programming its address: %s", n,
                 vuc_strerror(c));
    }
    return rc;
}

int pci_setup_device(struct vuc_client *c, char *err, size_t errlen)
{
    uint64_t next = MMIO_BASE;
    int rc;

    for (unsigned n = 0; n < 6; n++) {
        struct vuc_pci_bar bar;
        rc = vuc_pci_bar(c, n, &bar);
        if (rc == -ENODEV) {
            break; /* a device with fewer regions than BARs */
        }
        if (rc < 0) {
            snprintf(err, errlen, "BAR%u: %s", n, vuc_strerror(c));
            return rc;
        }
        if (bar.present && !bar.io && bar.address == 0) {
            rc = program_bar(c, n, &bar, &next, err, errlen);
            if (rc < 0) {
                return rc;
            }
        }
        if (bar.present && bar.is64) {
            n++; /* the upper half is not a BAR of its own */
        }
    }
    rc = vuc_pci_command(c, VUC_PCI_COMMAND_MEMORY | VUC_PCI_COMMAND_MASTER, 0,
                         NULL);
    if (rc < 0) {
        snprintf(err, errlen, "enabling memory space and bus master: %s",
                 vuc_strerror(c));
    }
    return rc;
}
