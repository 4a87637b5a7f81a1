/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PCI bring-up that every driver on libvuc does before it touches a
 * device's BARs, kept apart from any one device class so that the NVMe and
 * virtio-net drivers share it.
 */
#ifndef VUC_EXAMPLES_PCI_SETUP_H
#define VUC_EXAMPLES_PCI_SETUP_H

#include <stddef.h>

#include <vuc/vuc.h>

/**
 * Give every present memory BAR that still reads as address 0 an address
 * of its own, the way firmware does before a driver runs, then set Memory
 * Space and Bus Master in the command register. BARs that already hold an
 * address, and I/O BARs, are left as they are; I/O decoding stays off.
 * @param err receives what failed, for the user.
 * @return 0, or a negative errno.
 */
int pci_setup_device(struct vuc_client *c, char *err, size_t errlen);

#endif
