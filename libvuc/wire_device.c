/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The device's description: DEVICE_GET_INFO, DEVICE_GET_REGION_INFO with
 * its capability chain, and DEVICE_GET_REGION_IO_FDS.
 */
#include "wire.h"
#include "wire_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* A capability chain longer than this is treated as hostile. */
#define WIRE_MAX_CAPS 64u

#define WIRE_IOEVENTFD_FLAGS                                                   \
    (VFIO_USER_IOEVENTFD_FLAG_DATAMATCH | VFIO_USER_IOEVENTFD_FLAG_PIO |       \
     VFIO_USER_IOEVENTFD_FLAG_VIRTIO_CCW_NOTIFY)
#define WIRE_IOREGIONFD_FLAGS                                                  \
    (VFIO_USER_IOREGIONFD_FLAG_PIO | VFIO_USER_IOREGIONFD_FLAG_POSTED_WRITES)

/* libvfio-user (since late 2022) sends 48-byte ioeventfd entries: a shadow
 * memory fd index at 28, a shadow offset at 32 and datamatch at 40. */
#define WIRE_LIBVFIO_USER_IO_FD_SIZE 48u
#define WIRE_LIBVFIO_USER_DATAMATCH_AT 40u

/* ---- DEVICE_GET_INFO ----------------------------------------------------- */

ssize_t vuc_wire_enc_device_info(void *buf, size_t cap)
{
    struct vfio_user_device_info d = {.argsz = sizeof(d)};
    ssize_t n = wire_room(cap, sizeof(d));

    if (n < 0)
        return n;
    memcpy(buf, &d, sizeof(d));
    return n;
}

int vuc_wire_dec_device_info_reply(const void *payload, size_t len,
                                   unsigned nfds, struct vuc_device_info *out,
                                   struct vuc_wire_err *err)
{
    struct vfio_user_device_info d;
    int rc;

    rc = wire_no_fds(VFIO_USER_DEVICE_GET_INFO, "reply", nfds, err);
    if (rc < 0)
        return rc;
    if (len < sizeof(d))
        return vuc_wire_fail(err,
                             "DEVICE_GET_INFO reply has %zu bytes, expected "
                             "at least %zu",
                             len, sizeof(d));
    memcpy(&d, payload, sizeof(d));
    if (d.argsz < sizeof(d))
        return vuc_wire_fail(err,
                             "DEVICE_GET_INFO reply has argsz %" PRIu32
                             ", below the %zu-byte structure",
                             d.argsz, sizeof(d));
    if (d.num_regions > VUC_MAX_REGIONS)
        return vuc_wire_fail(err,
                             "DEVICE_GET_INFO reply has %" PRIu32
                             " regions, more than the %u libvuc supports",
                             d.num_regions, (unsigned)VUC_MAX_REGIONS);
    if (d.num_irqs > VUC_MAX_IRQ_INDEXES)
        return vuc_wire_fail(err,
                             "DEVICE_GET_INFO reply has %" PRIu32
                             " irq indexes, more than the %u libvuc supports",
                             d.num_irqs, (unsigned)VUC_MAX_IRQ_INDEXES);
    out->flags = d.flags;
    out->num_regions = d.num_regions;
    out->num_irqs = d.num_irqs;
    return 0;
}

/* ---- DEVICE_GET_REGION_INFO ---------------------------------------------- */

ssize_t vuc_wire_enc_region_info(void *buf, size_t cap, uint32_t index,
                                 uint32_t argsz)
{
    struct vfio_user_region_info r = {.argsz = argsz, .index = index};
    ssize_t n = wire_room(cap, sizeof(r));

    if (n < 0)
        return n;
    memcpy(buf, &r, sizeof(r));
    return n;
}

#define RI "DEVICE_GET_REGION_INFO reply"

/* "VFIO sparse mmap cap header": the body at `at` has `room` bytes before
 * the end of the reply. */
static int wire_sparse_cap(const uint8_t *p, uint32_t off, size_t at,
                           size_t room, uint64_t region_size,
                           struct vuc_region_info *out,
                           struct vuc_wire_err *err)
{
    struct vfio_user_region_info_cap_sparse_mmap sp;
    struct vfio_user_region_sparse_mmap_area a;
    size_t fits;
    uint64_t end;

    if (out->sparse_cap)
        return vuc_wire_fail(err,
                             RI ": second sparse mmap capability at offset "
                                "%" PRIu32,
                             off);
    if (room < sizeof(sp))
        return vuc_wire_fail(err,
                             RI ": sparse mmap capability at offset %" PRIu32
                                " is cut short by the end of the reply",
                             off);
    memcpy(&sp, p + at, sizeof(sp));
    if (sp.nr_areas > VUC_MAX_SPARSE_AREAS)
        return vuc_wire_fail(err,
                             RI ": sparse mmap capability has %" PRIu32
                                " areas, more than the %u libvuc supports",
                             sp.nr_areas, (unsigned)VUC_MAX_SPARSE_AREAS);
    fits = (room - sizeof(sp)) / sizeof(a);
    if (sp.nr_areas > fits)
        return vuc_wire_fail(err,
                             RI ": sparse mmap capability at offset %" PRIu32
                                " has %" PRIu32 " areas but room for only %zu",
                             off, sp.nr_areas, fits);

    at += sizeof(sp);
    for (uint32_t i = 0; i < sp.nr_areas; i++, at += sizeof(a)) {
        memcpy(&a, p + at, sizeof(a));
        if (__builtin_add_overflow(a.offset, a.size, &end))
            return vuc_wire_fail(err,
                                 RI ": sparse area %" PRIu32 " [0x%" PRIx64
                                    ", +0x%" PRIx64 ") overflows",
                                 i, a.offset, a.size);
        if (end > region_size)
            return vuc_wire_fail(err,
                                 RI ": sparse area %" PRIu32 " [0x%" PRIx64
                                    ", +0x%" PRIx64
                                    ") lies beyond the region size "
                                    "0x%" PRIx64,
                                 i, a.offset, a.size, region_size);
        out->sparse[i].offset = a.offset;
        out->sparse[i].size = a.size;
    }
    out->nr_sparse = sp.nr_areas;
    out->sparse_cap = true;
    return 0;
}

/*
 * Walk the "VFIO region capabilities" list inside the first `avail` bytes.
 * Offsets are from the start of the region info; every one must point past
 * the fixed structure, be aligned, and leave room for the header. A visited
 * list catches loops; the chain length is bounded by WIRE_MAX_CAPS.
 */
static int wire_region_caps(const uint8_t *p, size_t avail,
                            const struct vfio_user_region_info *ri,
                            struct vuc_region_info *out,
                            struct vuc_wire_err *err)
{
    uint32_t seen[WIRE_MAX_CAPS];
    unsigned nseen = 0;
    uint32_t off = ri->cap_offset;
    struct vfio_user_info_cap_header h;
    struct vfio_user_region_info_cap_type t;
    size_t body, room;
    int rc;

    for (;;) {
        if (off < sizeof(*ri))
            return vuc_wire_fail(err,
                                 RI ": capability at offset %" PRIu32
                                    " lies inside the %zu-byte region info",
                                 off, sizeof(*ri));
        if (off % 4 != 0)
            return vuc_wire_fail(err,
                                 RI ": capability at offset %" PRIu32
                                    " is not 4-byte aligned",
                                 off);
        if (off >= avail)
            return vuc_wire_fail(err,
                                 RI ": capability at offset %" PRIu32
                                    " lies beyond the reply's %zu bytes",
                                 off, avail);
        if (avail - off < sizeof(h))
            return vuc_wire_fail(err,
                                 RI ": capability header at offset %" PRIu32
                                    " does not fit in the reply's %zu bytes",
                                 off, avail);
        for (unsigned i = 0; i < nseen; i++) {
            if (seen[i] == off)
                return vuc_wire_fail(err,
                                     RI ": capability chain loops back to "
                                        "offset %" PRIu32,
                                     off);
        }
        if (nseen == WIRE_MAX_CAPS)
            return vuc_wire_fail(err,
                                 RI ": capability chain has more than %u "
                                    "entries",
                                 WIRE_MAX_CAPS);
        seen[nseen++] = off;

        memcpy(&h, p + off, sizeof(h));
        body = (size_t)off + sizeof(h);
        room = avail - body;
        switch (h.id) {
        case VFIO_USER_REGION_INFO_CAP_SPARSE_MMAP:
            rc = wire_sparse_cap(p, off, body, room, ri->size, out, err);
            if (rc < 0)
                return rc;
            break;
        case VFIO_USER_REGION_INFO_CAP_TYPE:
            if (out->has_type)
                return vuc_wire_fail(err,
                                     RI ": second region type capability at "
                                        "offset %" PRIu32,
                                     off);
            if (room < sizeof(t))
                return vuc_wire_fail(err,
                                     RI ": region type capability at offset "
                                        "%" PRIu32 " has %zu bytes of body, "
                                        "expected %zu",
                                     off, room, sizeof(t));
            memcpy(&t, p + body, sizeof(t));
            out->has_type = true;
            out->type = t.type;
            out->subtype = t.subtype;
            break;
        case VFIO_USER_REGION_INFO_CAP_MSIX_MAPPABLE:
            out->msix_mappable = true;
            break;
        default:
            /* Later VFIO capabilities (e.g. NVLink) mean nothing to us. */
            break;
        }
        if (h.next == 0)
            return 0;
        off = h.next;
    }
}

int vuc_wire_dec_region_info_reply(const void *payload, size_t len,
                                   unsigned nfds, uint32_t index,
                                   uint32_t argsz, struct vuc_region_info *out,
                                   uint32_t *need_argsz,
                                   struct vuc_wire_err *err)
{
    const uint8_t *p = payload;
    struct vfio_user_region_info ri;
    uint64_t end;
    int rc;

    if (len < sizeof(ri))
        return vuc_wire_fail(err, RI " has %zu bytes, expected at least %zu",
                             len, sizeof(ri));
    memcpy(&ri, p, sizeof(ri));
    if (ri.index != index)
        return vuc_wire_fail(
            err, RI " is for region %" PRIu32 ", asked for region %" PRIu32,
            ri.index, index);
    if (ri.argsz < sizeof(ri))
        return vuc_wire_fail(err,
                             RI " for region %" PRIu32 " has argsz %" PRIu32
                                ", below the %zu-byte region info",
                             index, ri.argsz, sizeof(ri));
    if (nfds > 1)
        return vuc_wire_fail(
            err, RI " for region %" PRIu32 " carried %u fds, at most 1 belongs",
            index, nfds);

    /* "Message sizes": a reply argsz above ours says how much is needed, and
     * then the payload is cut short: libvfio-user sends what we asked for,
     * a server modelled on the kernel only the fixed part. Neither is read
     * beyond the fixed part. */
    if (ri.argsz > argsz) {
        if (ri.argsz > VUC_MAX_REGION_INFO_SIZE)
            return vuc_wire_fail(
                err,
                RI " for region %" PRIu32 " needs argsz %" PRIu32
                   ", above the limit of %u",
                index, ri.argsz, (unsigned)VUC_MAX_REGION_INFO_SIZE);
        *need_argsz = ri.argsz;
        return 1;
    }
    if (len < ri.argsz)
        return vuc_wire_fail(err,
                             RI " for region %" PRIu32 " has %zu bytes, "
                                "but its argsz says %" PRIu32,
                             index, len, ri.argsz);

    memset(out, 0, sizeof(*out));
    out->index = ri.index;
    out->flags = ri.flags;
    out->size = ri.size;
    out->mmap_offset = ri.offset;
    out->has_fd = nfds == 1;

    if (out->has_fd && !(ri.flags & VFIO_USER_REGION_INFO_FLAG_MMAP))
        return vuc_wire_fail(err,
                             RI " for region %" PRIu32
                                " carried an fd but has no MMAP flag",
                             index);
    if (!out->has_fd && (ri.flags & VFIO_USER_REGION_INFO_FLAG_MMAP) &&
        ri.size > 0)
        return vuc_wire_fail(err,
                             RI " for region %" PRIu32
                                " has the MMAP flag but carried no fd",
                             index);
    if (out->has_fd && __builtin_add_overflow(ri.offset, ri.size, &end))
        return vuc_wire_fail(err,
                             RI " for region %" PRIu32
                                ": mmap offset 0x%" PRIx64 " + size 0x%" PRIx64
                                " overflows",
                             index, ri.offset, ri.size);

    if (ri.flags & VFIO_USER_REGION_INFO_FLAG_CAPS) {
        /* Only the first argsz bytes belong to this reply. */
        rc = wire_region_caps(p, ri.argsz, &ri, out, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

#undef RI

/* ---- DEVICE_GET_REGION_IO_FDS -------------------------------------------- */

ssize_t vuc_wire_enc_region_io_fds(void *buf, size_t cap, uint32_t index,
                                   uint32_t argsz)
{
    struct vfio_user_region_io_fds_request r = {.argsz = argsz, .index = index};
    ssize_t n = wire_room(cap, sizeof(r));

    if (n < 0)
        return n;
    memcpy(buf, &r, sizeof(r));
    return n;
}

#define IOF "DEVICE_GET_REGION_IO_FDS reply"

static int wire_io_fd_entry(const uint8_t *p, size_t at, uint32_t stride,
                            uint32_t i, unsigned nfds, uint64_t region_size,
                            struct vuc_wire_io_fd *e, struct vuc_wire_err *err)
{
    struct vfio_user_sub_region_io_fd s;
    uint64_t end;
    uint32_t known;

    memcpy(&s, p + at, sizeof(s));
    if (s.fd_index >= nfds)
        return vuc_wire_fail(err,
                             IOF ": sub-region %" PRIu32 " uses fd %" PRIu32
                                 ", but only %u %s came",
                             i, s.fd_index, nfds, wire_fd_word(nfds));
    switch (s.type) {
    case VFIO_USER_IO_FD_TYPE_IOEVENTFD:
        known = WIRE_IOEVENTFD_FLAGS;
        break;
    case VFIO_USER_IO_FD_TYPE_IOREGIONFD:
        known = WIRE_IOREGIONFD_FLAGS;
        break;
    default:
        return vuc_wire_fail(
            err, IOF ": sub-region %" PRIu32 " has unknown type %" PRIu32, i,
            s.type);
    }
    if (s.flags & ~known)
        return vuc_wire_fail(err,
                             IOF ": sub-region %" PRIu32
                                 " has unknown flags 0x%" PRIx32 " for an %s",
                             i, s.flags & ~known,
                             s.type == VFIO_USER_IO_FD_TYPE_IOEVENTFD
                                 ? "ioeventfd"
                                 : "ioregionfd");
    if (__builtin_add_overflow(s.offset, s.size, &end))
        return vuc_wire_fail(err,
                             IOF ": sub-region %" PRIu32 " [0x%" PRIx64
                                 ", +0x%" PRIx64 ") overflows",
                             i, s.offset, s.size);
    /* A zero size still names an address, which must be in the region. */
    if (end > region_size || (s.size == 0 && s.offset >= region_size))
        return vuc_wire_fail(err,
                             IOF ": sub-region %" PRIu32 " [0x%" PRIx64
                                 ", +0x%" PRIx64
                                 ") lies beyond the region size 0x%" PRIx64,
                             i, s.offset, s.size, region_size);
    if (s.type == VFIO_USER_IO_FD_TYPE_IOREGIONFD && s.size == 0 &&
        !(s.flags & VFIO_USER_IOREGIONFD_FLAG_POSTED_WRITES))
        return vuc_wire_fail(err,
                             IOF ": sub-region %" PRIu32
                                 " is an ioregionfd of size 0 without "
                                 "POSTED_WRITES",
                             i);

    e->offset = s.offset;
    e->size = s.size;
    e->fd_index = s.fd_index;
    e->type = s.type;
    e->flags = s.flags;
    e->datamatch = s.datamatch_or_user_data;
    if (s.type == VFIO_USER_IO_FD_TYPE_IOEVENTFD &&
        stride >= WIRE_LIBVFIO_USER_IO_FD_SIZE)
        memcpy(&e->datamatch, p + at + WIRE_LIBVFIO_USER_DATAMATCH_AT,
               sizeof(e->datamatch));
    return 0;
}

int vuc_wire_dec_region_io_fds_reply(const void *payload, size_t len,
                                     unsigned nfds, uint32_t index,
                                     uint64_t region_size, uint32_t argsz,
                                     struct vuc_wire_io_fd *entries,
                                     uint32_t max_entries, uint32_t *count,
                                     uint32_t *need_argsz,
                                     struct vuc_wire_err *err)
{
    const uint8_t *p = payload;
    struct vfio_user_region_io_fds_reply h;
    uint32_t stride;
    size_t at;
    int rc;

    *count = 0;
    if (len < sizeof(h))
        return vuc_wire_fail(err, IOF " has %zu bytes, expected at least %zu",
                             len, sizeof(h));
    memcpy(&h, p, sizeof(h));
    if (h.index != index)
        return vuc_wire_fail(
            err, IOF " is for region %" PRIu32 ", asked for region %" PRIu32,
            h.index, index);
    if (h.argsz < sizeof(h))
        return vuc_wire_fail(
            err, IOF " has argsz %" PRIu32 ", below its %zu-byte head", h.argsz,
            sizeof(h));
    if (h.flags != 0)
        return vuc_wire_fail(err, IOF " has flags 0x%" PRIx32 ", expected 0",
                             h.flags);
    /* As for region info; libvfio-user then sends the head alone. */
    if (h.argsz > argsz) {
        if (h.argsz > VUC_MAX_REGION_INFO_SIZE)
            return vuc_wire_fail(
                err, IOF " needs argsz %" PRIu32 ", above the limit of %u",
                h.argsz, (unsigned)VUC_MAX_REGION_INFO_SIZE);
        *need_argsz = h.argsz;
        return 1;
    }
    if (len < h.argsz)
        return vuc_wire_fail(err,
                             IOF " has %zu bytes, but its argsz says %" PRIu32,
                             len, h.argsz);

    if (h.count == 0) {
        if (nfds > 0)
            return vuc_wire_fail(err,
                                 IOF " lists no sub-regions but carried "
                                     "%u %s",
                                 nfds, wire_fd_word(nfds));
        return 0;
    }
    if (h.count > max_entries)
        return vuc_wire_fail(err,
                             IOF " has %" PRIu32 " sub-regions, more than "
                                 "the %" PRIu32 " asked for",
                             h.count, max_entries);
    if (nfds == 0)
        return vuc_wire_fail(
            err, IOF " has %" PRIu32 " sub-regions but carried no fd", h.count);
    /* The specification's (argsz - 32) / count contradicts its own table;
     * servers place entries right after the 16-byte head. */
    stride = (h.argsz - (uint32_t)sizeof(h)) / h.count;
    if (stride < sizeof(struct vfio_user_sub_region_io_fd))
        return vuc_wire_fail(err,
                             IOF ": sub-region stride %" PRIu32
                                 " (argsz %" PRIu32 ", count %" PRIu32
                                 ") is below the %zu-byte entry",
                             stride, h.argsz, h.count,
                             sizeof(struct vfio_user_sub_region_io_fd));

    for (uint32_t i = 0; i < h.count; i++) {
        at = sizeof(h) + (size_t)i * stride;
        /* Implied by the stride computation; kept so that a change there
         * can never turn into an overread. */
        if (at + stride > h.argsz)
            return vuc_wire_fail(err,
                                 IOF ": sub-region %" PRIu32
                                     " does not fit in argsz %" PRIu32,
                                 i, h.argsz);
        rc = wire_io_fd_entry(p, at, stride, i, nfds, region_size, &entries[i],
                              err);
        if (rc < 0)
            return rc;
    }
    *count = h.count;
    return 0;
}

#undef IOF
