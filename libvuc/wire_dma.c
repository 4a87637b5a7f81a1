/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DMA: DMA_MAP and DMA_UNMAP (with the dirty bitmap an unmap may return),
 * and the server's DMA_READ and DMA_WRITE requests.
 */
#include "wire.h"
#include "wire_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

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
