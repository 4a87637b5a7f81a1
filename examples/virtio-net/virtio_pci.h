/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The virtio 1.x PCI transport ("Virtio Over PCI Bus", modern interface)
 * driven through libvuc: the structures found through the vendor-specific
 * capabilities, device status, feature negotiation, queue registers,
 * notifications and the ISR. Nothing here knows about networking.
 *
 * Every location comes from the device's capabilities; the driver assumes
 * no BAR, offset or layout of its own.
 */
#ifndef VNET_VIRTIO_PCI_H
#define VNET_VIRTIO_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include <vuc/vuc.h>

/* A structure one capability describes: [off, off + len) of region bar. */
struct vpci_window {
    bool present;
    uint32_t bar;
    uint64_t off, len;
};

struct vpci {
    struct vuc_client *c;
    uint16_t vendor, device;
    struct vpci_window common, notify, isr, devcfg;
    uint32_t notify_mult;
    char err[256]; /* what failed, for the user */
};

/**
 * Find the modern transport's structures through the vendor capabilities
 * (the first usable one of each type, as the specification recommends).
 * Common, notify and ISR configuration are required; device configuration
 * is optional. @return 0 or a negative errno with vp->err set.
 */
int vpci_probe(struct vpci *vp, struct vuc_client *c);

/* Register access inside one structure; each checks the range against the
 * capability's length. @return 0 or a negative errno with vp->err set. */
int vpci_common_read(struct vpci *vp, uint32_t off, void *buf, size_t len);
int vpci_common_write(struct vpci *vp, uint32_t off, const void *buf,
                      size_t len);
int vpci_devcfg_read(struct vpci *vp, uint32_t off, void *buf, size_t len);

int vpci_get_status(struct vpci *vp, uint8_t *status);
int vpci_set_status(struct vpci *vp, uint8_t status);

/**
 * Reset the device by writing 0 to device_status, then wait (up to
 * timeout_ms) until it reads back 0, as the specification requires before
 * the driver goes on. @return 0, -ETIMEDOUT or another negative errno.
 */
int vpci_reset(struct vpci *vp, int timeout_ms);

/** All 64 feature bits the device offers. */
int vpci_device_features(struct vpci *vp, uint64_t *features);
/** Write the driver's features, set FEATURES_OK and check that the device
 * kept it. @return 0, -ENOTSUP when the device refused the set. */
int vpci_negotiate(struct vpci *vp, uint64_t features);

/**
 * Read device configuration consistently: retry while config_generation
 * changes across the read, as the specification says drivers must.
 */
int vpci_devcfg_read_stable(struct vpci *vp, uint32_t off, void *buf,
                            size_t len);

/** The region offset of queue @p q's notification address, read from
 * queue_notify_off (queue q must be selected first). */
int vpci_queue_notify_addr(struct vpci *vp, uint16_t q, uint64_t *region_off);

/** Notify the device of new buffers on queue @p q at @p region_off (from
 * vpci_queue_notify_addr()). The write is marked safe to post, so it goes
 * by ioeventfd when the server offered one, else as a posted write. */
int vpci_notify(struct vpci *vp, uint64_t region_off, uint16_t q);

/** Read (and so acknowledge) the ISR status byte. */
int vpci_read_isr(struct vpci *vp, uint8_t *isr);

#endif
