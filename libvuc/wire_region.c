/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Region I/O: REGION_READ, REGION_WRITE and REGION_WRITE_MULTI.
 */
#include "wire.h"
#include "wire_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

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
