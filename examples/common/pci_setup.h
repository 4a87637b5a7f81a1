/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What every PCI driver on libvuc does before touching a device's BARs:
 * give unassigned memory BARs an address and turn on memory decoding and
 * bus mastering. Servers that route BAR accesses through an emulated
 * address space (QEMU's vfio-user server does) ignore accesses to a BAR
 * that has no address or while memory decoding is off.
 */
#ifndef VUC_EXAMPLES_PCI_SETUP_H
#define VUC_EXAMPLES_PCI_SETUP_H

#include <stdint.h>

#include <vuc/vuc.h>

/**
 * Program every present memory BAR whose address register reads 0 with an
 * address below 4 GiB (libvuc puts DMA maps it places itself at 4 GiB and
 * above, so the two never overlap), then set COMMAND.MEMORY and
 * COMMAND.MASTER. I/O BARs are left alone and I/O decoding stays off.
 * @param err receives a message on failure (may be NULL).
 * @return 0, or a negative errno with *err set.
 */
int pci_setup_enable(struct vuc_client *c, const char **err);

#endif
