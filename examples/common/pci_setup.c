/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A vfio-user device arrives as it would after power-on: nobody has
 * enumerated it, so its BARs may read 0 and its command register may keep
 * memory decoding and bus mastering off. The addresses chosen here mean
 * nothing to the client (regions are reached by index, not by address), but
 * a device is entitled to ignore accesses until it has been set up.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "pci_setup.h"

#define PCI_BAR_REG(n) (0x10u + 4u * (n))

/* Where the made-up addresses start: below 4 GiB for 32-bit BARs, at
 * 64 GiB for 64-bit ones, as firmware commonly places them. */
#define BASE32 0xc0000000ull
#define BASE64 0x1000000000ull

static uint64_t align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1);
}

static int program_bar(struct vuc_client *c, unsigned n,
                       const struct vuc_pci_bar *bar, uint64_t *next32,
                       uint64_t *next64, char *err, size_t errlen)
{
    /* A BAR's size is a power of two and its address is aligned to it. */
    uint64_t size = bar->size < 16 ? 16 : bar->size;
    if ((size & (size - 1)) != 0) {
        snprintf(err, errlen, "BAR%u: size 0x%" PRIx64 " is not a power of two",
                 n, bar->size);
        return -EPROTO;
    }
    uint64_t *next = bar->is64 ? next64 : next32;
    uint64_t addr = align_up(*next, size);
    if (!bar->is64 && addr + size > 0x100000000ull) {
        snprintf(err, errlen,
                 "BAR%u: 0x%" PRIx64 " bytes do not fit below 4 GiB", n,
                 bar->size);
        return -ENOSPC;
    }
    *next = addr + size;

    uint32_t lo;
    int rc = vuc_cfg_read32(c, PCI_BAR_REG(n), &lo);
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
    uint64_t next32 = BASE32, next64 = BASE64;
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
            rc = program_bar(c, n, &bar, &next32, &next64, err, errlen);
            if (rc < 0) {
                return rc;
            }
        }
        if (bar.is64) {
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
