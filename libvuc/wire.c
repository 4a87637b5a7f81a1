/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The vfio-user codec. Every decoder copies fixed-size parts of the payload
 * into local structs with memcpy (the payload may sit at any alignment) and
 * checks each length against what is left before it looks at the bytes, so
 * that nothing outside [payload, payload + len) is ever read.
 */
#include "wire.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* A capability chain longer than this is treated as hostile. */
#define WIRE_MAX_CAPS 64u

/* "VFIO_USER_DEVICE_GET_IRQ_INFO": MSI-X allows at most 2048 vectors, and no
 * PCI irq index has more. */
#define WIRE_MAX_IRQ_COUNT 2048u

/* Largest payload whose message still fits the header's 32-bit msg_size. */
#define WIRE_MAX_PAYLOAD ((uint64_t)UINT32_MAX - VFIO_USER_HDR_SIZE)

#define WIRE_KNOWN_HDR_FLAGS                                                   \
    (VFIO_USER_F_TYPE_MASK | VFIO_USER_F_NO_REPLY | VFIO_USER_F_ERROR)

#define WIRE_IOEVENTFD_FLAGS                                                   \
    (VFIO_USER_IOEVENTFD_FLAG_DATAMATCH | VFIO_USER_IOEVENTFD_FLAG_PIO |       \
     VFIO_USER_IOEVENTFD_FLAG_VIRTIO_CCW_NOTIFY)
#define WIRE_IOREGIONFD_FLAGS                                                  \
    (VFIO_USER_IOREGIONFD_FLAG_PIO | VFIO_USER_IOREGIONFD_FLAG_POSTED_WRITES)

#define WIRE_MIGRATION_FLAGS                                                   \
    (VFIO_USER_MIGRATION_STOP_COPY | VFIO_USER_MIGRATION_P2P |                 \
     VFIO_USER_MIGRATION_PRE_COPY)

/* libvfio-user (since late 2022) sends 48-byte ioeventfd entries: a shadow
 * memory fd index at 28, a shadow offset at 32 and datamatch at 40. */
#define WIRE_LIBVFIO_USER_IO_FD_SIZE 48u
#define WIRE_LIBVFIO_USER_DATAMATCH_AT 40u

/* ---- Errors and names ---------------------------------------------------- */

static void wire_vfail(struct vuc_wire_err *err, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void wire_vfail(struct vuc_wire_err *err, const char *fmt, va_list ap)
{
    if (err != NULL)
        vsnprintf(err->text, sizeof(err->text), fmt, ap);
}

int vuc_wire_fail(struct vuc_wire_err *err, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    wire_vfail(err, fmt, ap);
    va_end(ap);
    return -EPROTO;
}

/* As vuc_wire_fail() for the few checks that report another errno. */
int vuc_wire_fail_code(struct vuc_wire_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

int vuc_wire_fail_code(struct vuc_wire_err *err, int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    wire_vfail(err, fmt, ap);
    va_end(ap);
    return code;
}

const char *vuc_wire_cmd_name(uint16_t cmd)
{
    const char *name = vfio_user_command_name(cmd);
    return name != NULL ? name : "UNKNOWN";
}

static inline const char *wire_fd_word(unsigned n)
{
    return n == 1 ? "fd" : "fds";
}

/* Shared by every message that may not carry fds. `what` is "reply" or
 * "request". */
static inline int wire_no_fds(uint16_t cmd, const char *what, unsigned nfds,
                              struct vuc_wire_err *err)
{
    if (nfds == 0)
        return 0;
    return vuc_wire_fail(err, "%s %s carried %u %s, none belong",
                         vuc_wire_cmd_name(cmd), what, nfds,
                         wire_fd_word(nfds));
}

/* ---- Encoding helpers ---------------------------------------------------- */

/*
 * Check that an encoder may write `need` bytes: the whole message must be
 * describable by the 32-bit msg_size, and the caller's buffer must hold it.
 */
static inline ssize_t wire_room(size_t cap, uint64_t need)
{
    if (need > WIRE_MAX_PAYLOAD)
        return -EMSGSIZE;
    if (need > cap)
        return -ENOSPC;
    return (ssize_t)need;
}

/* Fits argsz, a u32 that covers a reply payload. */
static inline bool wire_u32_sum(uint64_t a, uint64_t b, uint32_t *out)
{
    uint64_t sum;

    if (__builtin_add_overflow(a, b, &sum) || sum > UINT32_MAX)
        return false;
    *out = (uint32_t)sum;
    return true;
}

static inline bool wire_is_pow2(uint64_t v)
{
    return v != 0 && (v & (v - 1)) == 0;
}

/* ---- Header -------------------------------------------------------------- */

void vuc_wire_put_header(struct vfio_user_header *hdr, uint16_t id,
                         uint16_t cmd, uint32_t msg_size, uint32_t flags,
                         uint32_t error_no)
{
    struct vfio_user_header h = {
        .msg_id = id,
        .cmd = cmd,
        .msg_size = msg_size,
        .flags = flags,
        .error_no = error_no,
    };

    memcpy(hdr, &h, sizeof(h));
}

int vuc_wire_check_header(const struct vfio_user_header *hdr, size_t max_size,
                          struct vuc_wire_err *err)
{
    struct vfio_user_header h;
    uint32_t type;

    memcpy(&h, hdr, sizeof(h));
    type = h.flags & VFIO_USER_F_TYPE_MASK;

    if (h.msg_size < VFIO_USER_HDR_SIZE)
        return vuc_wire_fail(
            err, "message size %" PRIu32 " is below the %u-byte header",
            h.msg_size, VFIO_USER_HDR_SIZE);
    if (h.msg_size > max_size)
        return vuc_wire_fail(
            err, "message size %" PRIu32 " exceeds the limit of %zu",
            h.msg_size, max_size);
    if (type != VFIO_USER_F_TYPE_COMMAND && type != VFIO_USER_F_TYPE_REPLY)
        return vuc_wire_fail(err,
                             "%s message %u has type %" PRIu32
                             " in its flags 0x%" PRIx32
                             ", neither command (0) nor reply (1)",
                             vuc_wire_cmd_name(h.cmd), h.msg_id, type, h.flags);
    if (h.flags & ~WIRE_KNOWN_HDR_FLAGS)
        return vuc_wire_fail(err,
                             "%s message %u has unknown flag bits 0x%" PRIx32
                             " in its flags 0x%" PRIx32,
                             vuc_wire_cmd_name(h.cmd), h.msg_id,
                             h.flags & ~WIRE_KNOWN_HDR_FLAGS, h.flags);
    if (type == VFIO_USER_F_TYPE_COMMAND && (h.flags & VFIO_USER_F_ERROR))
        return vuc_wire_fail(err,
                             "%s command %u has the error flag set, which "
                             "only a reply may carry",
                             vuc_wire_cmd_name(h.cmd), h.msg_id);
    return 0;
}

int vuc_wire_reply_errno(const struct vfio_user_header *hdr)
{
    struct vfio_user_header h;

    memcpy(&h, hdr, sizeof(h));
    if (!(h.flags & VFIO_USER_F_ERROR))
        return 0;
    /* "Header": the errno may be zero even with the error bit set; anything
     * past the kernel's MAX_ERRNO is not an errno we could report. */
    if (h.error_no == 0 || h.error_no > 4095)
        return -EIO;
    return -(int)h.error_no;
}

/* ---- VERSION ------------------------------------------------------------- */

ssize_t vuc_wire_enc_version(void *buf, size_t cap, uint16_t major,
                             uint16_t minor, const char *json)
{
    struct vfio_user_version v = {.major = major, .minor = minor};
    size_t json_size = json != NULL ? strlen(json) + 1 : 0;
    ssize_t n = wire_room(cap, (uint64_t)sizeof(v) + json_size);

    if (n < 0)
        return n;
    memcpy(buf, &v, sizeof(v));
    if (json_size > 0)
        memcpy((uint8_t *)buf + sizeof(v), json, json_size);
    return n;
}

int vuc_wire_dec_version_reply(const void *payload, size_t len,
                               uint16_t want_major, uint16_t want_minor,
                               struct vuc_wire_version *out,
                               struct vuc_wire_err *err)
{
    const char *p = payload;
    struct vfio_user_version v;
    const char *nul;
    size_t json_size;

    if (len < sizeof(v))
        return vuc_wire_fail(err,
                             "VERSION reply has %zu bytes, expected at "
                             "least %zu",
                             len, sizeof(v));
    memcpy(&v, p, sizeof(v));
    if (v.major != want_major)
        return vuc_wire_fail(err,
                             "VERSION reply has major version %u, we "
                             "proposed %u",
                             v.major, want_major);
    if (v.minor > want_minor)
        return vuc_wire_fail(err,
                             "VERSION reply has minor version %u, above the "
                             "%u we proposed",
                             v.minor, want_minor);

    out->major = v.major;
    out->minor = v.minor;
    out->json = NULL;
    out->json_len = 0;
    json_size = len - sizeof(v);
    if (json_size == 0)
        return 0;

    if (p[len - 1] != '\0')
        return vuc_wire_fail(err,
                             "VERSION reply: the %zu bytes of JSON do not "
                             "end with a NUL",
                             json_size);
    nul = memchr(p + sizeof(v), '\0', json_size - 1);
    if (nul != NULL)
        return vuc_wire_fail(err,
                             "VERSION reply: the JSON has a NUL at byte %zu "
                             "of %zu, before its end",
                             (size_t)(nul - (p + sizeof(v))), json_size);
    /* A lone NUL carries no capabilities; report it as no JSON at all. */
    if (json_size > 1) {
        out->json = p + sizeof(v);
        out->json_len = json_size - 1;
    }
    return 0;
}

/* ---- DMA_MAP / DMA_UNMAP ------------------------------------------------- */

ssize_t vuc_wire_enc_dma_map(void *buf, size_t cap, uint32_t flags,
                             uint64_t offset, uint64_t address, uint64_t size)
{
    struct vfio_user_dma_map m = {
        .argsz = sizeof(m),
        .flags = flags,
        .offset = offset,
        .address = address,
        .size = size,
    };
    ssize_t n = wire_room(cap, sizeof(m));

    if (n < 0)
        return n;
    memcpy(buf, &m, sizeof(m));
    return n;
}

int vuc_wire_dec_empty_reply(uint16_t cmd, size_t len, unsigned nfds,
                             struct vuc_wire_err *err)
{
    if (len != 0)
        return vuc_wire_fail(err,
                             "%s reply has %zu bytes of payload, expected "
                             "none",
                             vuc_wire_cmd_name(cmd), len);
    return wire_no_fds(cmd, "reply", nfds, err);
}

ssize_t vuc_wire_enc_dma_unmap(void *buf, size_t cap, uint64_t address,
                               uint64_t size, bool get_dirty, uint64_t pgsize,
                               uint64_t bitmap_size)
{
    struct vfio_user_dma_unmap u = {
        .argsz = sizeof(u),
        .flags = 0,
        .address = address,
        .size = size,
    };
    struct vfio_user_bitmap bm = {.pgsize = pgsize, .size = bitmap_size};
    uint64_t need = sizeof(u);
    uint32_t argsz;
    ssize_t n;

    if (get_dirty) {
        /* 0.9.1 "VFIO_USER_DMA_UNMAP": the reply repeats the entry and the
         * bitmap header, then carries the bitmap itself. */
        if (!wire_u32_sum(sizeof(u) + sizeof(bm), bitmap_size, &argsz))
            return -EINVAL;
        u.argsz = argsz;
        u.flags = VFIO_USER_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP;
        need += sizeof(bm);
    }
    n = wire_room(cap, need);
    if (n < 0)
        return n;
    memcpy(buf, &u, sizeof(u));
    if (get_dirty)
        memcpy((uint8_t *)buf + sizeof(u), &bm, sizeof(bm));
    return n;
}

int vuc_wire_dec_dma_unmap_reply(const void *payload, size_t len, unsigned nfds,
                                 uint64_t address, uint64_t size,
                                 bool get_dirty, uint64_t pgsize,
                                 uint64_t bitmap_size, const uint8_t **bitmap,
                                 struct vuc_wire_err *err)
{
    const uint8_t *p = payload;
    struct vfio_user_dma_unmap u;
    struct vfio_user_bitmap bm;
    uint64_t want;
    int rc;

    *bitmap = NULL;
    rc = wire_no_fds(VFIO_USER_DMA_UNMAP, "reply", nfds, err);
    if (rc < 0)
        return rc;

    if (!get_dirty) {
        if (len == 0)
            return 0;
        if (len != sizeof(u))
            return vuc_wire_fail(err,
                                 "DMA_UNMAP reply has %zu bytes, expected "
                                 "%zu or none",
                                 len, sizeof(u));
    } else {
        want = sizeof(u) + sizeof(bm);
        if (__builtin_add_overflow(want, bitmap_size, &want) || len != want)
            return vuc_wire_fail(err,
                                 "DMA_UNMAP reply has %zu bytes, expected "
                                 "%zu + %zu + a %" PRIu64 "-byte bitmap",
                                 len, sizeof(u), sizeof(bm), bitmap_size);
    }

    memcpy(&u, p, sizeof(u));
    if (u.address != address || u.size != size)
        return vuc_wire_fail(err,
                             "DMA_UNMAP reply is for [0x%" PRIx64
                             ", +0x%" PRIx64 "), asked for [0x%" PRIx64
                             ", +0x%" PRIx64 ")",
                             u.address, u.size, address, size);
    if (!get_dirty)
        return 0;

    memcpy(&bm, p + sizeof(u), sizeof(bm));
    if (bm.pgsize != pgsize || bm.size != bitmap_size)
        return vuc_wire_fail(err,
                             "DMA_UNMAP reply has a bitmap of %" PRIu64
                             " bytes at page size %" PRIu64
                             ", asked for %" PRIu64 " bytes at %" PRIu64,
                             bm.size, bm.pgsize, bitmap_size, pgsize);
    *bitmap = p + sizeof(u) + sizeof(bm);
    return 0;
}

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

/* ---- DEVICE_GET_IRQ_INFO / DEVICE_SET_IRQS ------------------------------- */

ssize_t vuc_wire_enc_irq_info(void *buf, size_t cap, uint32_t index)
{
    struct vfio_user_irq_info q = {.argsz = sizeof(q), .index = index};
    ssize_t n = wire_room(cap, sizeof(q));

    if (n < 0)
        return n;
    memcpy(buf, &q, sizeof(q));
    return n;
}

int vuc_wire_dec_irq_info_reply(const void *payload, size_t len, unsigned nfds,
                                uint32_t index, struct vuc_irq_info *out,
                                struct vuc_wire_err *err)
{
    struct vfio_user_irq_info q;
    int rc;

    rc = wire_no_fds(VFIO_USER_DEVICE_GET_IRQ_INFO, "reply", nfds, err);
    if (rc < 0)
        return rc;
    if (len < sizeof(q))
        return vuc_wire_fail(err,
                             "DEVICE_GET_IRQ_INFO reply has %zu bytes, "
                             "expected at least %zu",
                             len, sizeof(q));
    memcpy(&q, payload, sizeof(q));
    if (q.argsz < sizeof(q))
        return vuc_wire_fail(err,
                             "DEVICE_GET_IRQ_INFO reply has argsz %" PRIu32
                             ", below the %zu-byte structure",
                             q.argsz, sizeof(q));
    if (q.index != index)
        return vuc_wire_fail(err,
                             "DEVICE_GET_IRQ_INFO reply is for irq index "
                             "%" PRIu32 ", asked for %" PRIu32,
                             q.index, index);
    if (q.count > WIRE_MAX_IRQ_COUNT)
        return vuc_wire_fail(err,
                             "DEVICE_GET_IRQ_INFO reply for irq index "
                             "%" PRIu32 " has count %" PRIu32
                             ", above the MSI-X maximum of %u",
                             index, q.count, WIRE_MAX_IRQ_COUNT);
    out->index = q.index;
    out->flags = q.flags;
    out->count = q.count;
    return 0;
}

ssize_t vuc_wire_enc_set_irqs(void *buf, size_t cap, uint32_t flags,
                              uint32_t index, uint32_t start, uint32_t count,
                              const uint8_t *bools)
{
    struct vfio_user_irq_set s = {
        .argsz = sizeof(s),
        .flags = flags,
        .index = index,
        .start = start,
        .count = count,
    };
    uint32_t data = flags & VFIO_USER_IRQ_SET_DATA_TYPE_MASK;
    uint32_t action = flags & VFIO_USER_IRQ_SET_ACTION_TYPE_MASK;
    uint32_t last, argsz;
    size_t nbools = 0;
    ssize_t n;

    /* "VFIO_USER_DEVICE_SET_IRQS": data and action flags are each mutually
     * exclusive, and nothing else is defined. */
    if (!wire_is_pow2(data) || !wire_is_pow2(action) ||
        (flags & ~(VFIO_USER_IRQ_SET_DATA_TYPE_MASK |
                   VFIO_USER_IRQ_SET_ACTION_TYPE_MASK)))
        return -EINVAL;
    if (__builtin_add_overflow(start, count, &last))
        return -EINVAL;
    if (data == VFIO_USER_IRQ_SET_DATA_BOOL) {
        if (count > 0 && bools == NULL)
            return -EINVAL;
        if (!wire_u32_sum(sizeof(s), count, &argsz))
            return -EINVAL;
        s.argsz = argsz;
        nbools = count;
    }
    n = wire_room(cap, (uint64_t)sizeof(s) + nbools);
    if (n < 0)
        return n;
    memcpy(buf, &s, sizeof(s));
    if (nbools > 0)
        memcpy((uint8_t *)buf + sizeof(s), bools, nbools);
    return n;
}

/* ---- REGION_READ / REGION_WRITE ------------------------------------------ */

ssize_t vuc_wire_enc_region_read(void *buf, size_t cap, uint32_t region,
                                 uint64_t offset, uint32_t count)
{
    struct vfio_user_region_access a = {
        .offset = offset,
        .region = region,
        .count = count,
    };
    ssize_t n = wire_room(cap, sizeof(a));

    if (n < 0)
        return n;
    memcpy(buf, &a, sizeof(a));
    return n;
}

ssize_t vuc_wire_enc_region_write(void *buf, size_t cap, uint32_t region,
                                  uint64_t offset, const void *data,
                                  uint32_t count)
{
    struct vfio_user_region_access a = {
        .offset = offset,
        .region = region,
        .count = count,
    };
    ssize_t n;

    if (count > 0 && data == NULL)
        return -EINVAL;
    n = wire_room(cap, (uint64_t)sizeof(a) + count);
    if (n < 0)
        return n;
    memcpy(buf, &a, sizeof(a));
    if (count > 0)
        memcpy((uint8_t *)buf + sizeof(a), data, count);
    return n;
}

/* The echoed access must be the one asked for. */
static int wire_region_echo(uint16_t cmd,
                            const struct vfio_user_region_access *a,
                            uint32_t region, uint64_t offset, uint32_t count,
                            struct vuc_wire_err *err)
{
    const char *name = vuc_wire_cmd_name(cmd);

    if (a->region != region)
        return vuc_wire_fail(err,
                             "%s reply is for region %" PRIu32
                             ", asked for region %" PRIu32,
                             name, a->region, region);
    if (a->offset != offset)
        return vuc_wire_fail(
            err, "%s reply is for offset 0x%" PRIx64 ", asked for 0x%" PRIx64,
            name, a->offset, offset);
    if (a->count != count)
        return vuc_wire_fail(
            err, "%s reply has count %" PRIu32 ", expected %" PRIu32, name,
            a->count, count);
    return 0;
}

int vuc_wire_dec_region_read_reply(const void *payload, size_t len,
                                   unsigned nfds, uint32_t region,
                                   uint64_t offset, uint32_t count,
                                   const uint8_t **data,
                                   struct vuc_wire_err *err)
{
    const uint8_t *p = payload;
    struct vfio_user_region_access a;
    int rc;

    *data = NULL;
    rc = wire_no_fds(VFIO_USER_REGION_READ, "reply", nfds, err);
    if (rc < 0)
        return rc;
    /* libvfio-user answers a zero-byte access with an empty payload. */
    if (len == 0 && count == 0)
        return 0;
    if (len < sizeof(a))
        return vuc_wire_fail(err,
                             "REGION_READ reply has %zu bytes, expected at "
                             "least %zu",
                             len, sizeof(a));
    memcpy(&a, p, sizeof(a));
    rc =
        wire_region_echo(VFIO_USER_REGION_READ, &a, region, offset, count, err);
    if (rc < 0)
        return rc;
    if (len - sizeof(a) != count)
        return vuc_wire_fail(err,
                             "REGION_READ reply carries %zu data bytes, "
                             "expected %" PRIu32,
                             len - sizeof(a), count);
    *data = p + sizeof(a);
    return 0;
}

int vuc_wire_dec_region_write_reply(const void *payload, size_t len,
                                    unsigned nfds, uint32_t region,
                                    uint64_t offset, uint32_t count,
                                    struct vuc_wire_err *err)
{
    struct vfio_user_region_access a;
    int rc;

    rc = wire_no_fds(VFIO_USER_REGION_WRITE, "reply", nfds, err);
    if (rc < 0)
        return rc;
    if (len == 0 && count == 0)
        return 0;
    if (len != sizeof(a))
        return vuc_wire_fail(err,
                             "REGION_WRITE reply has %zu bytes, expected %zu",
                             len, sizeof(a));
    memcpy(&a, payload, sizeof(a));
    return wire_region_echo(VFIO_USER_REGION_WRITE, &a, region, offset, count,
                            err);
}

/* ---- REGION_WRITE_MULTI -------------------------------------------------- */

ssize_t vuc_wire_enc_write_multi(void *buf, size_t cap,
                                 const struct vfio_user_write_multi_entry *e,
                                 unsigned n)
{
    struct vfio_user_write_multi head = {.wr_cnt = n};
    struct vfio_user_write_multi_entry w;
    uint8_t *out = buf;
    ssize_t len;

    if (n == 0 || n > VFIO_USER_MULTI_MAX || e == NULL)
        return -EINVAL;
    for (unsigned i = 0; i < n; i++) {
        if (e[i].count == 0 || e[i].count > VFIO_USER_MULTI_DATA)
            return -EINVAL;
    }
    len = wire_room(cap, sizeof(head) + (uint64_t)n * sizeof(w));
    if (len < 0)
        return len;

    memcpy(out, &head, sizeof(head));
    out += sizeof(head);
    for (unsigned i = 0; i < n; i++, out += sizeof(w)) {
        w.offset = e[i].offset;
        w.region = e[i].region;
        w.count = e[i].count;
        /* Unused data bytes go out as zeros, not as whatever the caller's
         * struct happened to hold. */
        memset(out, 0, sizeof(w));
        memcpy(out, &w, offsetof(struct vfio_user_write_multi_entry, data));
        memcpy(out + offsetof(struct vfio_user_write_multi_entry, data),
               e[i].data, e[i].count);
    }
    return len;
}

int vuc_wire_dec_write_multi_reply(const void *payload, size_t len,
                                   unsigned nfds, unsigned n,
                                   struct vuc_wire_err *err)
{
    struct vfio_user_write_multi m;
    int rc;

    rc = wire_no_fds(VFIO_USER_REGION_WRITE_MULTI, "reply", nfds, err);
    if (rc < 0)
        return rc;
    if (len != sizeof(m))
        return vuc_wire_fail(err,
                             "REGION_WRITE_MULTI reply has %zu bytes, "
                             "expected %zu",
                             len, sizeof(m));
    memcpy(&m, payload, sizeof(m));
    if (m.wr_cnt != n)
        return vuc_wire_fail(err,
                             "REGION_WRITE_MULTI reply completed %" PRIu64
                             " writes, we sent %u",
                             m.wr_cnt, n);
    return 0;
}

/* ---- DMA_READ / DMA_WRITE ------------------------------------------------ */

int vuc_wire_dec_dma_request(uint16_t cmd, const void *payload, size_t len,
                             unsigned nfds, uint32_t max_xfer,
                             uint64_t *address, uint64_t *count,
                             const uint8_t **data, struct vuc_wire_err *err)
{
    const uint8_t *p = payload;
    const char *name = vuc_wire_cmd_name(cmd);
    struct vfio_user_dma_access a;
    uint64_t end;

    *data = NULL;
    if (cmd != VFIO_USER_DMA_READ && cmd != VFIO_USER_DMA_WRITE)
        return vuc_wire_fail_code(
            err, -EINVAL, "command %u (%s) is not a DMA request", cmd, name);
    if (nfds > 0)
        return vuc_wire_fail_code(err, -EINVAL,
                                  "%s request carried %u %s, none belong", name,
                                  nfds, wire_fd_word(nfds));
    if (len < sizeof(a))
        return vuc_wire_fail_code(err, -EINVAL,
                                  "%s request has %zu bytes, expected at least "
                                  "%zu",
                                  name, len, sizeof(a));
    memcpy(&a, p, sizeof(a));
    if (a.count == 0)
        return vuc_wire_fail_code(err, -EINVAL, "%s request has count 0", name);
    if (a.count > max_xfer)
        return vuc_wire_fail_code(err, -EINVAL,
                                  "%s request has count %" PRIu64
                                  ", above the max_data_xfer_size of %" PRIu32,
                                  name, a.count, max_xfer);
    if (__builtin_add_overflow(a.address, a.count, &end))
        return vuc_wire_fail_code(err, -EINVAL,
                                  "%s request range [0x%" PRIx64 ", +0x%" PRIx64
                                  ") wraps past the end of the address space",
                                  name, a.address, a.count);
    if (cmd == VFIO_USER_DMA_READ && len != sizeof(a))
        return vuc_wire_fail_code(
            err, -EINVAL, "DMA_READ request has %zu bytes, expected %zu", len,
            sizeof(a));
    if (cmd == VFIO_USER_DMA_WRITE && len - sizeof(a) != a.count)
        return vuc_wire_fail_code(
            err, -EINVAL,
            "DMA_WRITE request carries %zu data bytes, its "
            "count says %" PRIu64,
            len - sizeof(a), a.count);

    *address = a.address;
    *count = a.count;
    if (cmd == VFIO_USER_DMA_WRITE)
        *data = p + sizeof(a);
    return 0;
}

ssize_t vuc_wire_enc_dma_reply(void *buf, size_t cap, uint64_t address,
                               uint64_t count)
{
    struct vfio_user_dma_access a = {.address = address, .count = count};
    ssize_t n = wire_room(cap, sizeof(a));

    if (n < 0)
        return n;
    memcpy(buf, &a, sizeof(a));
    return n;
}

/* ---- DEVICE_FEATURE ------------------------------------------------------ */

ssize_t vuc_wire_enc_device_feature(void *buf, size_t cap, uint32_t flags,
                                    uint32_t argsz, const void *data,
                                    size_t data_len)
{
    struct vfio_user_device_feature f = {.argsz = argsz, .flags = flags};
    uint64_t need;
    ssize_t n;

    if (data_len > 0 && data == NULL)
        return -EINVAL;
    if (__builtin_add_overflow((uint64_t)sizeof(f), (uint64_t)data_len,
                               &need) ||
        argsz < need)
        return -EINVAL;
    n = wire_room(cap, need);
    if (n < 0)
        return n;
    memcpy(buf, &f, sizeof(f));
    if (data_len > 0)
        memcpy((uint8_t *)buf + sizeof(f), data, data_len);
    return n;
}

int vuc_wire_dec_device_feature_reply(const void *payload, size_t len,
                                      unsigned nfds, uint32_t flags,
                                      const uint8_t **data, size_t *data_len,
                                      struct vuc_wire_err *err)
{
    const uint8_t *p = payload;
    struct vfio_user_device_feature f;
    int rc;

    rc = wire_no_fds(VFIO_USER_DEVICE_FEATURE, "reply", nfds, err);
    if (rc < 0)
        return rc;
    if (len < sizeof(f))
        return vuc_wire_fail(err,
                             "DEVICE_FEATURE reply has %zu bytes, expected "
                             "at least %zu",
                             len, sizeof(f));
    memcpy(&f, p, sizeof(f));
    if (f.flags != flags)
        return vuc_wire_fail(err,
                             "DEVICE_FEATURE reply has flags 0x%" PRIx32
                             ", the request had 0x%" PRIx32,
                             f.flags, flags);
    if (f.argsz < sizeof(f))
        return vuc_wire_fail(err,
                             "DEVICE_FEATURE reply has argsz %" PRIu32
                             ", below its %zu-byte head",
                             f.argsz, sizeof(f));
    if (f.argsz > len)
        return vuc_wire_fail(err,
                             "DEVICE_FEATURE reply has argsz %" PRIu32
                             " but only %zu bytes",
                             f.argsz, len);
    *data = p + sizeof(f);
    *data_len = f.argsz - sizeof(f);
    return 0;
}

int vuc_wire_dec_feature_migration(const uint8_t *data, size_t len,
                                   uint64_t *flags, struct vuc_wire_err *err)
{
    struct vfio_user_device_feature_migration m;

    if (len != sizeof(m))
        return vuc_wire_fail(err,
                             "DEVICE_FEATURE MIGRATION data has %zu bytes, "
                             "expected %zu",
                             len, sizeof(m));
    memcpy(&m, data, sizeof(m));
    if (m.flags & ~(uint64_t)WIRE_MIGRATION_FLAGS)
        return vuc_wire_fail(err,
                             "DEVICE_FEATURE MIGRATION flags 0x%" PRIx64
                             " have unknown bits 0x%" PRIx64,
                             m.flags,
                             m.flags & ~(uint64_t)WIRE_MIGRATION_FLAGS);
    /* "VFIO_DEVICE_FEATURE_MIGRATION": at least STOP_COPY must be set. */
    if (!(m.flags & VFIO_USER_MIGRATION_STOP_COPY))
        return vuc_wire_fail(
            err, "DEVICE_FEATURE MIGRATION flags 0x%" PRIx64 " lack STOP_COPY",
            m.flags);
    *flags = m.flags;
    return 0;
}

int vuc_wire_dec_feature_mig_state(const uint8_t *data, size_t len,
                                   uint32_t *state, struct vuc_wire_err *err)
{
    struct vfio_user_device_feature_mig_state s;

    if (len != sizeof(s))
        return vuc_wire_fail(err,
                             "DEVICE_FEATURE MIG_DEVICE_STATE data has %zu "
                             "bytes, expected %zu",
                             len, sizeof(s));
    memcpy(&s, data, sizeof(s));
    if (s.device_state >= VFIO_USER_DEVICE_NUM_STATES)
        return vuc_wire_fail(err,
                             "DEVICE_FEATURE MIG_DEVICE_STATE has unknown "
                             "device state %" PRIu32,
                             s.device_state);
    if (s.device_state == VFIO_USER_DEVICE_STATE_RUNNING_P2P ||
        s.device_state == VFIO_USER_DEVICE_STATE_PRE_COPY_P2P)
        return vuc_wire_fail(err,
                             "DEVICE_FEATURE MIG_DEVICE_STATE has device "
                             "state %" PRIu32 " (%s), which vfio-user does "
                             "not use",
                             s.device_state,
                             s.device_state ==
                                     VFIO_USER_DEVICE_STATE_RUNNING_P2P
                                 ? "RUNNING_P2P"
                                 : "PRE_COPY_P2P");
    *state = s.device_state;
    return 0;
}

ssize_t vuc_wire_enc_dma_logging_control(
    void *buf, size_t cap, uint64_t page_size,
    const struct vfio_user_dma_logging_range *ranges, uint32_t n)
{
    struct vfio_user_dma_logging_control c = {.page_size = page_size,
                                              .num_ranges = n};
    ssize_t len;

    if (n > 0 && ranges == NULL)
        return -EINVAL;
    len = wire_room(cap, sizeof(c) + (uint64_t)n * sizeof(*ranges));
    if (len < 0)
        return len;
    memcpy(buf, &c, sizeof(c));
    if (n > 0)
        memcpy((uint8_t *)buf + sizeof(c), ranges, (size_t)n * sizeof(*ranges));
    return len;
}

ssize_t vuc_wire_enc_dma_logging_report(void *buf, size_t cap, uint64_t iova,
                                        uint64_t length, uint64_t page_size)
{
    struct vfio_user_dma_logging_report r = {
        .iova = iova,
        .length = length,
        .page_size = page_size,
    };
    ssize_t n;

    if (vuc_wire_bitmap_size(length, page_size) == 0)
        return -EINVAL;
    n = wire_room(cap, sizeof(r));
    if (n < 0)
        return n;
    memcpy(buf, &r, sizeof(r));
    return n;
}

int vuc_wire_dec_dma_logging_report(const uint8_t *data, size_t len,
                                    uint64_t iova, uint64_t length,
                                    uint64_t page_size, const uint8_t **bitmap,
                                    size_t *bitmap_len,
                                    struct vuc_wire_err *err)
{
    struct vfio_user_dma_logging_report r;
    uint64_t want = vuc_wire_bitmap_size(length, page_size);

    if (want == 0)
        return vuc_wire_fail_code(
            err, -EINVAL,
            "DMA_LOGGING_REPORT asked for length 0x%" PRIx64
            " at page size %" PRIu64 ", which needs no valid bitmap",
            length, page_size);
    if (len < sizeof(r))
        return vuc_wire_fail(err,
                             "DMA_LOGGING_REPORT reply data has %zu bytes, "
                             "expected at least %zu",
                             len, sizeof(r));
    memcpy(&r, data, sizeof(r));
    if (r.iova != iova || r.length != length || r.page_size != page_size)
        return vuc_wire_fail(
            err,
            "DMA_LOGGING_REPORT reply is for [0x%" PRIx64 ", +0x%" PRIx64
            ") at page size %" PRIu64 ", asked for [0x%" PRIx64 ", +0x%" PRIx64
            ") at %" PRIu64,
            r.iova, r.length, r.page_size, iova, length, page_size);
    if (len - sizeof(r) != want)
        return vuc_wire_fail(err,
                             "DMA_LOGGING_REPORT reply has a %zu-byte bitmap, "
                             "expected %" PRIu64,
                             len - sizeof(r), want);
    *bitmap = data + sizeof(r);
    *bitmap_len = (size_t)want;
    return 0;
}

uint64_t vuc_wire_bitmap_size(uint64_t length, uint64_t page_size)
{
    uint64_t pages, words;

    if (!wire_is_pow2(page_size) || length == 0)
        return 0;
    /* Rounded up without forming length + page_size - 1, which may wrap. */
    pages = length / page_size + (length % page_size != 0);
    words = pages / 64 + (pages % 64 != 0);
    /* words <= 2^58, so the product cannot overflow; the check documents
     * that and keeps it true if the types ever change. */
    if (words > UINT64_MAX / sizeof(uint64_t))
        return 0;
    return words * sizeof(uint64_t);
}

/* ---- MIG_DATA_READ / MIG_DATA_WRITE -------------------------------------- */

ssize_t vuc_wire_enc_mig_data_read(void *buf, size_t cap, uint32_t size)
{
    struct vfio_user_mig_data m = {.size = size};
    uint32_t argsz;
    ssize_t n;

    if (!wire_u32_sum(sizeof(m), size, &argsz))
        return -EINVAL;
    m.argsz = argsz;
    n = wire_room(cap, sizeof(m));
    if (n < 0)
        return n;
    memcpy(buf, &m, sizeof(m));
    return n;
}

int vuc_wire_dec_mig_data_read_reply(const void *payload, size_t len,
                                     unsigned nfds, uint32_t asked,
                                     const uint8_t **data, uint32_t *size,
                                     struct vuc_wire_err *err)
{
    const uint8_t *p = payload;
    struct vfio_user_mig_data m;
    int rc;

    rc = wire_no_fds(VFIO_USER_MIG_DATA_READ, "reply", nfds, err);
    if (rc < 0)
        return rc;
    if (len < sizeof(m))
        return vuc_wire_fail(err,
                             "MIG_DATA_READ reply has %zu bytes, expected at "
                             "least %zu",
                             len, sizeof(m));
    memcpy(&m, p, sizeof(m));
    if (m.size > asked)
        return vuc_wire_fail(err,
                             "MIG_DATA_READ reply has size %" PRIu32
                             ", more than the %" PRIu32 " asked for",
                             m.size, asked);
    if (len - sizeof(m) < m.size)
        return vuc_wire_fail(err,
                             "MIG_DATA_READ reply carries %zu data bytes, its "
                             "size says %" PRIu32,
                             len - sizeof(m), m.size);
    /* libvfio-user pads a short read with zeros up to the size asked; its
     * argsz and size still give the real amount. Padding beyond what was
     * asked is not a reply to this request. */
    if (len - sizeof(m) > asked)
        return vuc_wire_fail(err,
                             "MIG_DATA_READ reply carries %zu data bytes, "
                             "more than the %" PRIu32 " asked for",
                             len - sizeof(m), asked);
    if (m.argsz != sizeof(m) + m.size)
        return vuc_wire_fail(
            err, "MIG_DATA_READ reply has argsz %" PRIu32 ", expected %zu",
            m.argsz, sizeof(m) + m.size);
    *data = p + sizeof(m);
    *size = m.size;
    return 0;
}

ssize_t vuc_wire_enc_mig_data_write(void *buf, size_t cap, const void *data,
                                    uint32_t size)
{
    struct vfio_user_mig_data m = {.size = size};
    uint32_t argsz;
    ssize_t n;

    if (size > 0 && data == NULL)
        return -EINVAL;
    /* libvfio-user rejects an argsz below 8 + size, although the reply has
     * no payload. */
    if (!wire_u32_sum(sizeof(m), size, &argsz))
        return -EINVAL;
    m.argsz = argsz;
    n = wire_room(cap, (uint64_t)sizeof(m) + size);
    if (n < 0)
        return n;
    memcpy(buf, &m, sizeof(m));
    if (size > 0)
        memcpy((uint8_t *)buf + sizeof(m), data, size);
    return n;
}

/* ---- Legacy DIRTY_PAGES (14) --------------------------------------------- */

ssize_t vuc_wire_enc_dirty_pages_ctl(void *buf, size_t cap, uint32_t flag)
{
    struct vfio_user_dirty_pages d = {.argsz = sizeof(d), .flags = flag};
    ssize_t n;

    if (flag != VFIO_USER_DIRTY_PAGES_FLAG_START &&
        flag != VFIO_USER_DIRTY_PAGES_FLAG_STOP)
        return -EINVAL;
    n = wire_room(cap, sizeof(d));
    if (n < 0)
        return n;
    memcpy(buf, &d, sizeof(d));
    return n;
}

/*
 * The 0.9.1 reply table gives the bitmap range 40 bytes (its bitmap field
 * 24); libvfio-user, the one server that implements the command, sends the
 * 32-byte struct vfio_user_bitmap_range, so that is what we send and expect.
 */
ssize_t vuc_wire_enc_dirty_pages_get(void *buf, size_t cap, uint64_t iova,
                                     uint64_t size, uint64_t pgsize,
                                     uint64_t bitmap_size)
{
    struct vfio_user_dirty_pages d = {
        .flags = VFIO_USER_DIRTY_PAGES_FLAG_GET_BITMAP,
    };
    struct vfio_user_bitmap_range r = {
        .iova = iova,
        .size = size,
        .bitmap = {.pgsize = pgsize, .size = bitmap_size},
    };
    uint32_t argsz;
    ssize_t n;

    if (!wire_u32_sum(sizeof(d) + sizeof(r), bitmap_size, &argsz))
        return -EINVAL;
    d.argsz = argsz;
    n = wire_room(cap, sizeof(d) + sizeof(r));
    if (n < 0)
        return n;
    memcpy(buf, &d, sizeof(d));
    memcpy((uint8_t *)buf + sizeof(d), &r, sizeof(r));
    return n;
}

int vuc_wire_dec_dirty_pages_reply(const void *payload, size_t len,
                                   unsigned nfds, uint64_t iova, uint64_t size,
                                   uint64_t pgsize, uint64_t bitmap_size,
                                   const uint8_t **bitmap,
                                   struct vuc_wire_err *err)
{
    const uint8_t *p = payload;
    struct vfio_user_dirty_pages d;
    struct vfio_user_bitmap_range r;
    uint64_t want = sizeof(d) + sizeof(r);
    int rc;

    rc = wire_no_fds(VFIO_USER_DIRTY_PAGES, "reply", nfds, err);
    if (rc < 0)
        return rc;
    if (__builtin_add_overflow(want, bitmap_size, &want) || len != want)
        return vuc_wire_fail(err,
                             "DIRTY_PAGES reply has %zu bytes, expected "
                             "%zu + %zu + a %" PRIu64 "-byte bitmap",
                             len, sizeof(d), sizeof(r), bitmap_size);
    memcpy(&d, p, sizeof(d));
    memcpy(&r, p + sizeof(d), sizeof(r));
    if (d.argsz != want)
        return vuc_wire_fail(
            err, "DIRTY_PAGES reply has argsz %" PRIu32 ", expected %" PRIu64,
            d.argsz, want);
    if (d.flags != VFIO_USER_DIRTY_PAGES_FLAG_GET_BITMAP)
        return vuc_wire_fail(err,
                             "DIRTY_PAGES reply has flags 0x%" PRIx32
                             ", expected GET_BITMAP (0x%x)",
                             d.flags, VFIO_USER_DIRTY_PAGES_FLAG_GET_BITMAP);
    if (r.iova != iova || r.size != size)
        return vuc_wire_fail(err,
                             "DIRTY_PAGES reply is for [0x%" PRIx64
                             ", +0x%" PRIx64 "), asked for [0x%" PRIx64
                             ", +0x%" PRIx64 ")",
                             r.iova, r.size, iova, size);
    if (r.bitmap.pgsize != pgsize || r.bitmap.size != bitmap_size)
        return vuc_wire_fail(err,
                             "DIRTY_PAGES reply has a bitmap of %" PRIu64
                             " bytes at page size %" PRIu64
                             ", asked for %" PRIu64 " bytes at %" PRIu64,
                             r.bitmap.size, r.bitmap.pgsize, bitmap_size,
                             pgsize);
    *bitmap = p + sizeof(d) + sizeof(r);
    return 0;
}

/* ---- Legacy v1 migration region ------------------------------------------ */

int vuc_wire_dec_migration_info_v1(const void *buf, size_t len,
                                   uint64_t region_size,
                                   struct vfio_user_migration_info_v1 *out,
                                   struct vuc_wire_err *err)
{
    struct vfio_user_migration_info_v1 m;
    uint32_t st;
    uint64_t end;

    if (len < sizeof(m))
        return vuc_wire_fail(err,
                             "migration region header has %zu bytes, "
                             "expected %zu",
                             len, sizeof(m));
    memcpy(&m, buf, sizeof(m));
    st = m.device_state;
    if (st & ~VFIO_USER_DEVICE_STATE_V1_MASK)
        return vuc_wire_fail(err,
                             "migration region device_state 0x%" PRIx32
                             " has unknown bits 0x%" PRIx32,
                             st, st & ~VFIO_USER_DEVICE_STATE_V1_MASK);
    /* 0.9.1 "VFIO Device Migration Info": RESUMING with RUNNING is invalid,
     * with SAVING alone it is the error state. */
    if ((st & VFIO_USER_DEVICE_STATE_V1_RESUMING) &&
        (st & VFIO_USER_DEVICE_STATE_V1_RUNNING))
        return vuc_wire_fail(err,
                             "migration region device_state 0x%" PRIx32
                             " is not a valid state",
                             st);
    if (m.data_size > 0) {
        if (m.data_offset < sizeof(m))
            return vuc_wire_fail(err,
                                 "migration data window [0x%" PRIx64
                                 ", +0x%" PRIx64 ") overlaps the %zu-byte "
                                 "migration header",
                                 m.data_offset, m.data_size, sizeof(m));
        if (__builtin_add_overflow(m.data_offset, m.data_size, &end) ||
            end > region_size)
            return vuc_wire_fail(err,
                                 "migration data window [0x%" PRIx64
                                 ", +0x%" PRIx64
                                 ") lies beyond the region size 0x%" PRIx64,
                                 m.data_offset, m.data_size, region_size);
    }
    *out = m;
    return 0;
}
