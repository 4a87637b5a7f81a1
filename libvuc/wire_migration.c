/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Dirty pages and migration: DEVICE_FEATURE (migration state, DMA
 * logging), MIG_DATA_READ/WRITE, and the 0.9.1 DIRTY_PAGES and v1 migration
 * region of older servers.
 */
#include "wire.h"
#include "wire_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define WIRE_MIGRATION_FLAGS                                                   \
    (VFIO_USER_MIGRATION_STOP_COPY | VFIO_USER_MIGRATION_P2P |                 \
     VFIO_USER_MIGRATION_PRE_COPY)

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
