/* SPDX-License-Identifier: BSD-3-Clause */
#include "virtio_pci.h"

#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>

#define PCI_CAP_ID_VNDR 0x09u
#define VPCI_MAX_CAPS 64u

static int vpci_fail(struct vpci *vp, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int vpci_fail(struct vpci *vp, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(vp->err, sizeof(vp->err), fmt, ap);
    va_end(ap);
    return rc;
}

/* A libvuc call failed: keep its own words. */
static int vpci_fail_vuc(struct vpci *vp, int rc, const char *what)
{
    return vpci_fail(vp, rc, "%s: %s", what, vuc_strerror(vp->c));
}

static const char *cap_type_name(uint8_t type)
{
    switch (type) {
    case VIRTIO_PCI_CAP_COMMON_CFG:
        return "common";
    case VIRTIO_PCI_CAP_NOTIFY_CFG:
        return "notify";
    case VIRTIO_PCI_CAP_ISR_CFG:
        return "ISR";
    case VIRTIO_PCI_CAP_DEVICE_CFG:
        return "device";
    default:
        return "other";
    }
}

/* Decode one vendor capability at @p off into its window, if its type is
 * one we use and it is well-formed; a capability that is not is skipped,
 * since a later one of the same type may be usable. */
static int probe_one(struct vpci *vp, uint16_t off)
{
    struct virtio_pci_cap cap;
    int rc = vuc_region_read(vp->c, VFIO_USER_PCI_CONFIG_REGION_INDEX, off,
                             &cap, sizeof(cap));
    if (rc < 0) {
        return vpci_fail_vuc(vp, rc, "reading a vendor capability");
    }
    struct vpci_window *w;
    switch (cap.cfg_type) {
    case VIRTIO_PCI_CAP_COMMON_CFG:
        w = &vp->common;
        break;
    case VIRTIO_PCI_CAP_NOTIFY_CFG:
        w = &vp->notify;
        break;
    case VIRTIO_PCI_CAP_ISR_CFG:
        w = &vp->isr;
        break;
    case VIRTIO_PCI_CAP_DEVICE_CFG:
        w = &vp->devcfg;
        break;
    default:
        return 0; /* PCI_CFG access, shared memory, vendor data: unused */
    }
    if (w->present) {
        return 0;
    }
    /* The specification reserves BAR values above 5; a driver ignores
     * capabilities that name them. */
    uint32_t offset = le32toh(cap.offset), length = le32toh(cap.length);
    if (cap.cap_len < sizeof(cap) || cap.bar > 5) {
        return 0;
    }
    const struct vuc_region_info *ri = vuc_get_region_info(vp->c, cap.bar);
    if (ri == NULL || ri->size == 0 || length == 0 ||
        (uint64_t)offset + length > ri->size) {
        fprintf(stderr,
                "vuc-vnet: ignoring the %s capability at 0x%x: BAR%u "
                "[0x%x, +0x%x) is not inside the BAR\n",
                cap_type_name(cap.cfg_type), off, cap.bar, offset, length);
        return 0;
    }
    if (cap.cfg_type == VIRTIO_PCI_CAP_NOTIFY_CFG) {
        uint32_t mult;
        if (cap.cap_len < sizeof(struct virtio_pci_notify_cap)) {
            return 0;
        }
        rc = vuc_region_read(vp->c, VFIO_USER_PCI_CONFIG_REGION_INDEX,
                             off + sizeof(cap), &mult, sizeof(mult));
        if (rc < 0) {
            return vpci_fail_vuc(vp, rc, "reading notify_off_multiplier");
        }
        vp->notify_mult = le32toh(mult);
    }
    w->present = true;
    w->bar = cap.bar;
    w->off = offset;
    w->len = length;
    return 0;
}

int vpci_probe(struct vpci *vp, struct vuc_client *c)
{
    struct vuc_pci_cap caps[VPCI_MAX_CAPS];
    uint16_t ids[2];
    int rc;

    memset(vp, 0, sizeof(*vp));
    vp->c = c;
    rc = vuc_region_read(c, VFIO_USER_PCI_CONFIG_REGION_INDEX, 0, ids,
                         sizeof(ids));
    if (rc < 0) {
        return vpci_fail_vuc(vp, rc, "reading the PCI ids");
    }
    vp->vendor = le16toh(ids[0]);
    vp->device = le16toh(ids[1]);
    int n = vuc_pci_caps(c, caps, VPCI_MAX_CAPS);
    if (n < 0) {
        return vpci_fail_vuc(vp, n, "walking the PCI capabilities");
    }
    for (int i = 0; i < n && i < (int)VPCI_MAX_CAPS; i++) {
        if (!caps[i].extended && caps[i].id == PCI_CAP_ID_VNDR &&
            (rc = probe_one(vp, caps[i].offset)) < 0) {
            return rc;
        }
    }
    if (!vp->common.present || !vp->notify.present || !vp->isr.present) {
        return vpci_fail(vp, -ENODEV,
                         "device %04x:%04x has no virtio 1.x PCI interface "
                         "(common %s, notify %s, ISR %s)",
                         vp->vendor, vp->device,
                         vp->common.present ? "found" : "missing",
                         vp->notify.present ? "found" : "missing",
                         vp->isr.present ? "found" : "missing");
    }
    if (vp->common.len < VIRTIO_PCI_COMMON_Q_USEDHI + 4) {
        return vpci_fail(vp, -EPROTO,
                         "the common configuration is 0x%llx bytes, too short",
                         (unsigned long long)vp->common.len);
    }
    return 0;
}

static int window_io(struct vpci *vp, const struct vpci_window *w,
                     const char *name, uint32_t off, void *rbuf,
                     const void *wbuf, size_t len)
{
    if (!w->present || (uint64_t)off + len > w->len) {
        return vpci_fail(vp, -ERANGE,
                         "%s configuration [0x%x, +%zu) is beyond its 0x%llx "
                         "bytes",
                         name, off, len, (unsigned long long)w->len);
    }
    int rc = rbuf ? vuc_region_read(vp->c, w->bar, w->off + off, rbuf, len)
                  : vuc_region_write(vp->c, w->bar, w->off + off, wbuf, len);
    if (rc < 0) {
        return vpci_fail(vp, rc, "%s %s configuration at 0x%x: %s",
                         rbuf ? "reading" : "writing", name, off,
                         vuc_strerror(vp->c));
    }
    return 0;
}

int vpci_common_read(struct vpci *vp, uint32_t off, void *buf, size_t len)
{
    return window_io(vp, &vp->common, "common", off, buf, NULL, len);
}

int vpci_common_write(struct vpci *vp, uint32_t off, const void *buf,
                      size_t len)
{
    return window_io(vp, &vp->common, "common", off, NULL, buf, len);
}

int vpci_devcfg_read(struct vpci *vp, uint32_t off, void *buf, size_t len)
{
    return window_io(vp, &vp->devcfg, "device", off, buf, NULL, len);
}

int vpci_get_status(struct vpci *vp, uint8_t *status)
{
    return vpci_common_read(vp, VIRTIO_PCI_COMMON_STATUS, status, 1);
}

int vpci_set_status(struct vpci *vp, uint8_t status)
{
    return vpci_common_write(vp, VIRTIO_PCI_COMMON_STATUS, &status, 1);
}

int vpci_reset(struct vpci *vp, int timeout_ms)
{
    uint8_t status = 0;
    int rc = vpci_set_status(vp, 0);

    for (int waited = 0; rc == 0; waited++) {
        if ((rc = vpci_get_status(vp, &status)) < 0 || status == 0) {
            break;
        }
        if (waited >= timeout_ms) {
            return vpci_fail(vp, -ETIMEDOUT,
                             "the device did not finish its reset within "
                             "%d ms (status 0x%02x)",
                             timeout_ms, status);
        }
        nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
    }
    return rc;
}

int vpci_device_features(struct vpci *vp, uint64_t *features)
{
    uint32_t half[2];
    int rc;

    for (uint32_t sel = 0; sel < 2; sel++) {
        uint32_t s = htole32(sel);
        if ((rc = vpci_common_write(vp, VIRTIO_PCI_COMMON_DFSELECT, &s, 4)) <
                0 ||
            (rc = vpci_common_read(vp, VIRTIO_PCI_COMMON_DF, &half[sel], 4)) <
                0) {
            return rc;
        }
    }
    *features = (uint64_t)le32toh(half[1]) << 32 | le32toh(half[0]);
    return 0;
}

int vpci_negotiate(struct vpci *vp, uint64_t features)
{
    uint8_t status;
    int rc;

    for (uint32_t sel = 0; sel < 2; sel++) {
        uint32_t s = htole32(sel),
                 v = htole32((uint32_t)(features >> 32 * sel));
        if ((rc = vpci_common_write(vp, VIRTIO_PCI_COMMON_GFSELECT, &s, 4)) <
                0 ||
            (rc = vpci_common_write(vp, VIRTIO_PCI_COMMON_GF, &v, 4)) < 0) {
            return rc;
        }
    }
    if ((rc = vpci_get_status(vp, &status)) < 0 ||
        (rc = vpci_set_status(vp, status | VIRTIO_CONFIG_S_FEATURES_OK)) < 0 ||
        (rc = vpci_get_status(vp, &status)) < 0) {
        return rc;
    }
    if (!(status & VIRTIO_CONFIG_S_FEATURES_OK)) {
        return vpci_fail(vp, -ENOTSUP,
                         "the device refused features 0x%016llx "
                         "(FEATURES_OK not kept, status 0x%02x)",
                         (unsigned long long)features, status);
    }
    return 0;
}

int vpci_devcfg_read_stable(struct vpci *vp, uint32_t off, void *buf,
                            size_t len)
{
    uint8_t before, after;
    int rc;

    for (int tries = 0; tries < 100; tries++) {
        if ((rc = vpci_common_read(vp, VIRTIO_PCI_COMMON_CFGGENERATION, &before,
                                   1)) < 0 ||
            (rc = vpci_devcfg_read(vp, off, buf, len)) < 0 ||
            (rc = vpci_common_read(vp, VIRTIO_PCI_COMMON_CFGGENERATION, &after,
                                   1)) < 0) {
            return rc;
        }
        if (before == after) {
            return 0;
        }
    }
    return vpci_fail(vp, -EAGAIN,
                     "the device configuration kept changing while read");
}

int vpci_queue_notify_addr(struct vpci *vp, uint16_t q, uint64_t *region_off)
{
    uint16_t noff;
    int rc = vpci_common_read(vp, VIRTIO_PCI_COMMON_Q_NOFF, &noff, 2);

    if (rc < 0) {
        return rc;
    }
    uint64_t off = (uint64_t)le16toh(noff) * vp->notify_mult;
    if (off + 2 > vp->notify.len) {
        return vpci_fail(vp, -EPROTO,
                         "queue %u notifies at 0x%llx (queue_notify_off %u "
                         "x multiplier %u), beyond the notify structure's "
                         "0x%llx bytes",
                         q, (unsigned long long)off, le16toh(noff),
                         vp->notify_mult, (unsigned long long)vp->notify.len);
    }
    *region_off = vp->notify.off + off;
    rc = vuc_posted_safe(vp->c, vp->notify.bar, *region_off, 2);
    if (rc < 0) {
        return vpci_fail_vuc(vp, rc, "marking a doorbell safe to post");
    }
    return 0;
}

int vpci_notify(struct vpci *vp, uint64_t region_off, uint16_t q)
{
    uint16_t v = htole16(q);
    int rc = vuc_region_write(vp->c, vp->notify.bar, region_off, &v, 2);

    if (rc < 0) {
        return vpci_fail(vp, rc, "notifying queue %u: %s", q,
                         vuc_strerror(vp->c));
    }
    return 0;
}

int vpci_read_isr(struct vpci *vp, uint8_t *isr)
{
    return window_io(vp, &vp->isr, "ISR", 0, isr, NULL, 1);
}
