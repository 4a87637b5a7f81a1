/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PCI bring-up that every driver over libvuc does first, kept apart from
 * any one device class so that drivers can share it.
 */
#ifndef VUC_EXAMPLES_PCI_SETUP_H
#define VUC_EXAMPLES_PCI_SETUP_H

#include <stddef.h>

#include <vuc/vuc.h>

/**
 * Give every present memory BAR that still reads as address 0 an address
 * of its own (naturally aligned, 64-bit BARs above 4 GiB), the way firmware
 * does before a driver runs, then set Memory Space and Bus Master in the
 * command register: some servers refuse BAR access or DMA until then.
 * BARs that already hold an address are left as they are.
 * @param err receives what failed, for the user.
 * @return 0, or a negative errno.
 */
int pci_setup_device(struct vuc_client *c, char *err, size_t errlen);

#endif
