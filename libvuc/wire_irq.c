/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Interrupts: DEVICE_GET_IRQ_INFO and DEVICE_SET_IRQS.
 */
#include "wire.h"
#include "wire_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* "VFIO_USER_DEVICE_GET_IRQ_INFO": MSI-X allows at most 2048 vectors, and no
 * PCI irq index has more. */
#define WIRE_MAX_IRQ_COUNT 2048u

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
