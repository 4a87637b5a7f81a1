/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device, region and irq information ("VFIO_USER_DEVICE_GET_INFO",
 * "VFIO_USER_DEVICE_GET_REGION_INFO", "VFIO_USER_DEVICE_GET_IRQ_INFO") and
 * what a PCI device's config space says about the same regions.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conform_int.h"

#define SEC_DEV "VFIO_USER_DEVICE_GET_INFO"
#define SEC_REG "VFIO_USER_DEVICE_GET_REGION_INFO"
#define SEC_IRQ "VFIO_USER_DEVICE_GET_IRQ_INFO"

static bool need_info(struct cf_t *t)
{
    if (!t->s->have_info)
        cf_fail(t, "DEVICE_GET_INFO: %s", t->s->info_err);
    return t->s->have_info;
}

static void dev_info(struct cf_t *t)
{
    if (need_info(t) && !(t->s->info.flags & VFIO_USER_DEVICE_FLAGS_PCI))
        cf_fail(t, "flags 0x%x lack VFIO_DEVICE_FLAGS_PCI", t->s->info.flags);
}

static void dev_info_argsz_small(struct cf_t *t)
{
    struct vfio_user_device_info req = {.argsz = 8};
    struct vuc_wire_err werr;
    struct vuc_device_info di;
    struct cf_msg m;

    if (!cf_req(t, VFIO_USER_DEVICE_GET_INFO, &req, sizeof(req), NULL, 0, &m,
                "DEVICE_GET_INFO with argsz 8"))
        return;
    /* Either refused, or the needed argsz comes back. */
    if (!cf_is_error(&m)) {
        if (vuc_wire_dec_device_info_reply(m.data, m.len, m.nfds, &di, &werr))
            cf_fail(t, "DEVICE_GET_INFO with argsz 8: %s", werr.text);
        else if (m.len >= 4 && *(uint32_t *)m.data < 16)
            cf_fail(t,
                    "DEVICE_GET_INFO with argsz 8: the reply's argsz is "
                    "%u, not the 16 needed",
                    *(uint32_t *)m.data);
    }
    cf_msg_free(&m);
}

static void region_info_valid(struct cf_t *t)
{
    if (!need_info(t))
        return;
    for (uint32_t i = 0; i < t->s->info.num_regions; i++)
        if (!t->s->regions[i].ok)
            cf_fail(t, "region %u: %s", i, t->s->regions[i].err);
}

/* GET_REGION_INFO of region i with argsz; the reply in m. */
static bool region_info(struct cf_t *t, uint32_t i, uint32_t argsz,
                        struct cf_msg *m)
{
    uint8_t buf[32];
    char what[64];

    snprintf(what, sizeof(what), "GET_REGION_INFO of region %u, argsz %u", i,
             argsz);
    vuc_wire_enc_region_info(buf, sizeof(buf), i, argsz);
    return cf_req(t, VFIO_USER_DEVICE_GET_REGION_INFO, buf, sizeof(buf), NULL,
                  0, m, what);
}

static void region_argsz_retry(struct cf_t *t)
{
    int found = -1;
    struct cf_msg m;
    uint32_t argsz;

    if (!need_info(t))
        return;
    for (uint32_t i = 0; i < t->s->info.num_regions && found < 0; i++)
        if (t->s->regions[i].ok && t->s->regions[i].argsz > 32)
            found = (int)i;
    if (found < 0) {
        cf_skip(t, "no region has capabilities (none needs more than 32 "
                   "bytes)");
        return;
    }
    if (!region_info(t, (uint32_t)found, 32, &m))
        return;
    if (cf_is_error(&m) || m.len < 4) {
        cf_fail(t,
                "GET_REGION_INFO of region %d with argsz 32: got %s, "
                "expected the needed argsz %u",
                found, cf_reply_text(&m), t->s->regions[found].argsz);
    } else {
        memcpy(&argsz, m.data, 4);
        if (argsz != t->s->regions[found].argsz)
            cf_fail(t,
                    "GET_REGION_INFO of region %d with argsz 32: the reply's "
                    "argsz is %u, the full reply needs %u",
                    found, argsz, t->s->regions[found].argsz);
        if (m.len > 32)
            cf_fail(t,
                    "GET_REGION_INFO of region %d with argsz 32: the reply "
                    "has %zu bytes, more than the 32 the client has room "
                    "for",
                    found, m.len);
    }
    cf_msg_free(&m);
}

static void region_beyond(struct cf_t *t)
{
    uint8_t buf[32];

    if (!need_info(t))
        return;
    vuc_wire_enc_region_info(buf, sizeof(buf), t->s->info.num_regions + 3, 32);
    cf_req_refused(t, VFIO_USER_DEVICE_GET_REGION_INFO, buf, sizeof(buf), NULL,
                   0, "GET_REGION_INFO of a region beyond num_regions");
}

static void mmap_matches(struct cf_t *t)
{
    const struct cf_region *r = NULL;
    struct vuc_region_info ri;
    struct vuc_wire_err werr;
    uint8_t want[256];
    struct cf_msg m;
    uint64_t area = 0, len;
    uint32_t need, idx = 0;
    struct stat st;
    void *p;

    if (!need_info(t))
        return;
    for (uint32_t i = 0; i < t->s->info.num_regions && !r; i++)
        if (t->s->regions[i].ok && t->s->regions[i].ri.has_fd &&
            (t->s->regions[i].ri.flags & VFIO_USER_REGION_INFO_FLAG_READ)) {
            r = &t->s->regions[i];
            idx = i;
        }
    if (!r) {
        cf_skip(t, "no readable region is mappable");
        return;
    }
    len = r->ri.size;
    if (r->ri.sparse_cap) {
        if (!r->ri.nr_sparse) {
            cf_skip(t, "region %u has a sparse capability with no area", idx);
            return;
        }
        area = r->ri.sparse[0].offset;
        len = r->ri.sparse[0].size;
    }
    if (len > sizeof(want))
        len = sizeof(want);
    if (!region_info(t, idx, r->argsz, &m))
        return;
    if (vuc_wire_dec_region_info_reply(m.data, m.len, m.nfds, idx, r->argsz,
                                       &ri, &need, &werr) != 0 ||
        m.nfds != 1) {
        cf_fail(t, "GET_REGION_INFO of region %u: no fd the second time", idx);
        cf_msg_free(&m);
        return;
    }
    if (fstat(m.fds[0], &st) < 0) {
        cf_fail(t, "region %u's fd: fstat: %s", idx, strerror(errno));
        cf_msg_free(&m);
        return;
    }
    p = mmap(NULL, (size_t)len, PROT_READ, MAP_SHARED, m.fds[0],
             (off_t)(ri.mmap_offset + area));
    if (p == MAP_FAILED) {
        cf_fail(t, "mmap of region %u's fd at offset 0x%llx: %s", idx,
                (unsigned long long)(ri.mmap_offset + area), strerror(errno));
        cf_msg_free(&m);
        return;
    }
    if (cf_region_read(t, idx, area, want, (uint32_t)len) &&
        memcmp(p, want, (size_t)len))
        cf_fail(t,
                "region %u: the mapping at 0x%llx differs from what "
                "REGION_READ returns for the same %llu bytes",
                idx, (unsigned long long)area, (unsigned long long)len);
    munmap(p, (size_t)len);
    cf_msg_free(&m);
}

static void irq_info_valid(struct cf_t *t)
{
    if (!need_info(t))
        return;
    for (uint32_t i = 0; i < t->s->info.num_irqs; i++)
        if (!t->s->irqs[i].ok)
            cf_fail(t, "irq index %u: %s", i, t->s->irqs[i].err);
}

static void irq_beyond(struct cf_t *t)
{
    uint8_t buf[16];

    if (!need_info(t))
        return;
    vuc_wire_enc_irq_info(buf, sizeof(buf), t->s->info.num_irqs + 3);
    cf_req_refused(t, VFIO_USER_DEVICE_GET_IRQ_INFO, buf, sizeof(buf), NULL, 0,
                   "GET_IRQ_INFO of an index beyond num_irqs");
}

static bool config_region(struct cf_t *t)
{
    const struct cf_region *r;

    if (!need_info(t))
        return false;
    if (!(t->s->info.flags & VFIO_USER_DEVICE_FLAGS_PCI) ||
        t->s->info.num_regions <= VFIO_USER_PCI_CONFIG_REGION_INDEX) {
        cf_skip(t, "not a PCI device with a config region");
        return false;
    }
    r = &t->s->regions[VFIO_USER_PCI_CONFIG_REGION_INDEX];
    if (!r->ok || r->ri.size < 64 ||
        !(r->ri.flags & VFIO_USER_REGION_INFO_FLAG_READ)) {
        cf_fail(t, "the PCI config region (7) is not a readable region of at "
                   "least 64 bytes");
        return false;
    }
    return true;
}

static void pci_ids(struct cf_t *t)
{
    uint8_t cfg[16];
    uint16_t vendor;

    if (!config_region(t) ||
        !cf_region_read(t, VFIO_USER_PCI_CONFIG_REGION_INDEX, 0, cfg, 16))
        return;
    memcpy(&vendor, cfg, 2);
    if (vendor == 0xffff || vendor == 0)
        cf_fail(t, "config space vendor id is 0x%04x", vendor);
    else if ((cfg[14] & 0x7f) != 0)
        cf_fail(t, "config space header type is %u; a device has type 0",
                cfg[14] & 0x7f);
}

/* BAR i's size from config space by the PCI sizing protocol, restoring the
 * BAR; 0 for an unimplemented BAR. */
static bool bar_size(struct cf_t *t, unsigned i, uint64_t *size, bool *is64)
{
    const uint32_t off = 0x10 + 4 * i, ones = 0xffffffff;
    uint32_t orig, lo, hi_orig = 0, hi = 0xffffffff;
    uint64_t mask;

    if (!cf_region_read(t, VFIO_USER_PCI_CONFIG_REGION_INDEX, off, &orig, 4) ||
        !cf_region_write(t, VFIO_USER_PCI_CONFIG_REGION_INDEX, off, &ones, 4) ||
        !cf_region_read(t, VFIO_USER_PCI_CONFIG_REGION_INDEX, off, &lo, 4) ||
        !cf_region_write(t, VFIO_USER_PCI_CONFIG_REGION_INDEX, off, &orig, 4))
        return false;
    *is64 = !(lo & 1) && ((lo >> 1) & 3) == 2 && i < 5;
    if (*is64 && (!cf_region_read(t, VFIO_USER_PCI_CONFIG_REGION_INDEX, off + 4,
                                  &hi_orig, 4) ||
                  !cf_region_write(t, VFIO_USER_PCI_CONFIG_REGION_INDEX,
                                   off + 4, &ones, 4) ||
                  !cf_region_read(t, VFIO_USER_PCI_CONFIG_REGION_INDEX, off + 4,
                                  &hi, 4) ||
                  !cf_region_write(t, VFIO_USER_PCI_CONFIG_REGION_INDEX,
                                   off + 4, &hi_orig, 4)))
        return false;
    if (lo & 1) {
        /* I/O: a device may decode 16 bits only. */
        uint32_t bits = lo & ~3u;

        if (bits && !(bits & 0xffff0000u))
            bits |= 0xffff0000u;
        *size = bits ? (uint32_t)(~bits + 1) : 0;
        return true;
    }
    mask = (lo & ~0xfull) | ((uint64_t)(*is64 ? hi : 0xffffffffu) << 32);
    *size = (lo & ~0xfu) ? ~mask + 1 : 0;
    return true;
}

static void pci_bars(struct cf_t *t)
{
    if (!config_region(t))
        return;
    for (unsigned i = 0; i < 6 && !cf_failed(t); i++) {
        const struct cf_region *r = &t->s->regions[i];
        uint64_t rsize = r->ok ? r->ri.size : 0, size;
        bool is64;

        if (!bar_size(t, i, &size, &is64))
            return;
        /* A region whose info is invalid is region.info-valid's to
         * report, not a size to compare. */
        if (size != rsize && (r->ok || i >= t->s->info.num_regions))
            cf_fail(t,
                    "BAR%u sizes to 0x%llx in config space, region %u has "
                    "size 0x%llx",
                    i, (unsigned long long)size, i, (unsigned long long)rsize);
        if (is64)
            i++; /* the upper half is no BAR of its own */
    }
}

static const struct cf_check checks[] = {
    {"device.info", SEC_DEV, CF_MUST, 0,
     "This version of the protocol only supports PCI devices: the reply is "
     "well formed (argsz >= 16) and has VFIO_DEVICE_FLAGS_PCI.",
     dev_info},
    {"device.info-argsz-small", "Message sizes", CF_MUST, 0,
     "In a reply, the server sets argsz field to the size needed for a full "
     "payload size (asked with argsz 8; an error reply is also accepted, "
     "argsz being below the fixed part).",
     dev_info_argsz_small},
    {"region.info-valid", SEC_REG, CF_MUST, 0,
     "Every region below num_regions has a well-formed info reply: index "
     "echoed, capability chain in bounds and ending, sparse areas inside the "
     "region, an fd exactly when VFIO_REGION_INFO_FLAG_MMAP is set.",
     region_info_valid},
    {"region.info-argsz-retry", "Message sizes", CF_MUST, 0,
     "This may be larger than the requested maximum size: in that case, the "
     "full payload is not included in the reply, but the argsz field in the "
     "reply indicates the needed size.",
     region_argsz_retry},
    {"region.info-beyond-count", SEC_REG, CF_SHOULD, 0,
     "num_regions is the number of memory regions that the device exposes. "
     "SHOULD: the text does not say how a query for another index is "
     "answered; we expect an error reply.",
     region_beyond},
    {"region.mmap-matches", SEC_REG, CF_MUST, 0,
     "offset is the offset that should be given to the mmap() system call "
     "for regions with the MMAP attribute: the mapping shows what "
     "REGION_READ reads.",
     mmap_matches},
    {"irq.info-valid", SEC_IRQ, CF_MUST, 0,
     "Every irq index below num_irqs (the number of distinct interrupt "
     "types) has a well-formed GET_IRQ_INFO reply echoing its index.",
     irq_info_valid},
    {"irq.info-beyond-count", SEC_IRQ, CF_SHOULD, 0,
     "num_irqs is the number of distinct interrupt types that the device "
     "supports. SHOULD: the text does not say how a query for another index "
     "is answered; we expect an error reply.",
     irq_beyond},
    {"pci.config-ids", SEC_DEV, CF_MUST, 0,
     "VFIO_DEVICE_FLAGS_PCI indicates that the device is a PCI device: its "
     "config region holds a vendor id and a type 0 header.",
     pci_ids},
    {"pci.bars-match-regions", SEC_REG, CF_SHOULD, 0,
     "size is the size of the region: BARs sized through config space agree "
     "with regions 0-5. SHOULD: the rule is PCI's, not written in this text.",
     pci_bars},
};

const struct cf_group cf_device_checks = {checks,
                                          sizeof(checks) / sizeof(checks[0])};
