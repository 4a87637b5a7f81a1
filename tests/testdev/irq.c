/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Interrupts: DEVICE_GET_IRQ_INFO, DEVICE_SET_IRQS and signalling the
 * client's eventfds.
 *
 * The combinations accepted are the ones the advertised flags promise,
 * as vfio-pci does: MASK/UNMASK only on a MASKABLE index (INTx), and
 * eventfds only for TRIGGER. Mask and pending state belong to the
 * client's interrupt setup, so a disconnection clears them along with the
 * eventfds.
 *
 * The device raises interrupts in one place, irq_fire(): a personality's
 * interrupts, SET_IRQS ACTION_TRIGGER and the delivery of a pending INTx on
 * UNMASK all go through it, so masking, pending and automask behave the
 * same whoever raises the vector. The indexes and their counts and flags
 * are the personality's.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "testdev.h"

#define INFO_MASKABLE VFIO_USER_IRQ_INFO_MASKABLE

static const char *const irq_names[VFIO_USER_PCI_NUM_IRQS] = {
    "INTx", "MSI", "MSI-X", "ERR", "REQ",
};

const char *irq_name(uint32_t index)
{
    return index < VFIO_USER_PCI_NUM_IRQS ? irq_names[index] : "irq";
}

void irq_init(struct td_irqs *irqs, const struct td_irq_desc *desc)
{
    uint32_t i, v;

    for (i = 0; i < VFIO_USER_PCI_NUM_IRQS; i++) {
        struct td_irq_index *idx = &irqs->index[i];

        idx->count = desc[i].count;
        idx->info_flags = desc[i].flags;
        for (v = 0; v < TD_IRQ_MAX_VECTORS; v++)
            idx->vec[v] = (struct td_irq_vector){.trigger_fd = -1};
    }
}

static void vector_clear(struct td_irq_vector *vec)
{
    if (vec->trigger_fd >= 0)
        close(vec->trigger_fd);
    *vec = (struct td_irq_vector){.trigger_fd = -1};
}

void irq_release_all(struct td_irqs *irqs)
{
    uint32_t i, v;

    for (i = 0; i < VFIO_USER_PCI_NUM_IRQS; i++)
        for (v = 0; v < irqs->index[i].count; v++)
            vector_clear(&irqs->index[i].vec[v]);
}

/*
 * The fd is shared with the client, so we cannot make it non-blocking
 * without changing it for the client too. A write of 1 blocks only when
 * the counter is at its maximum, which only a hostile client arranges;
 * poll() first and refuse instead of hanging.
 */
static int signal_eventfd(int fd)
{
    struct pollfd pfd = {.fd = fd, .events = POLLOUT};
    uint64_t one = 1;

    if (poll(&pfd, 1, 0) != 1 || !(pfd.revents & POLLOUT))
        return -EAGAIN;
    for (;;) {
        ssize_t n = write(fd, &one, sizeof(one));

        if (n == (ssize_t)sizeof(one))
            return 0;
        if (n < 0 && errno == EINTR)
            continue;
        return n < 0 ? -errno : -EIO;
    }
}

int irq_fire(struct td_irqs *irqs, uint32_t index, uint32_t vector)
{
    struct td_irq_index *idx;
    struct td_irq_vector *vec;
    int rc;

    if (index >= VFIO_USER_PCI_NUM_IRQS || vector >= irqs->index[index].count)
        return -EINVAL;
    idx = &irqs->index[index];
    vec = &idx->vec[vector];
    if (vec->masked) {
        vec->pending = true;
        return 1;
    }
    if (vec->trigger_fd < 0)
        return 1;
    rc = signal_eventfd(vec->trigger_fd);
    if (rc < 0) {
        td_log("%s vector %u: cannot signal the client's eventfd: %s",
               irq_names[index], vector, strerror(-rc));
        return rc;
    }
    if (idx->info_flags & VFIO_USER_IRQ_INFO_AUTOMASKED)
        vec->masked = true;
    return 0;
}

int handle_irq_info(struct testdev *td, struct td_msg *m, struct td_reply *r)
{
    struct vfio_user_irq_info req, *info;

    if (m->len != sizeof(req))
        return td_fail(EINVAL,
                       "DEVICE_GET_IRQ_INFO: payload of %zu bytes, "
                       "expected %zu",
                       m->len, sizeof(req));
    memcpy(&req, m->data, sizeof(req));
    if (req.argsz < sizeof(req))
        return td_fail(EINVAL,
                       "DEVICE_GET_IRQ_INFO: argsz %u is smaller "
                       "than the %zu-byte reply",
                       req.argsz, sizeof(req));
    if (req.flags || req.count)
        return td_fail(EINVAL, "DEVICE_GET_IRQ_INFO: flags and count must "
                               "be zero in a request");
    if (req.index >= VFIO_USER_PCI_NUM_IRQS)
        return td_fail(EINVAL,
                       "DEVICE_GET_IRQ_INFO: irq index %u does not "
                       "exist (%u indexes)",
                       req.index, VFIO_USER_PCI_NUM_IRQS);

    info = td_reply_alloc(r, sizeof(*info));
    info->argsz = sizeof(*info);
    info->flags = td->irqs.index[req.index].info_flags;
    info->index = req.index;
    info->count = td->irqs.index[req.index].count;
    return 0;
}

/* Without /proc we cannot tell; the poll() in signal_eventfd() still keeps
 * a wrong kind of fd from blocking us. */
static bool looks_like_eventfd(int fd)
{
    char path[64], target[64];
    ssize_t n;

    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    n = readlink(path, target, sizeof(target) - 1);
    if (n < 0)
        return true;
    target[n] = '\0';
    return strcmp(target, "anon_inode:[eventfd]") == 0;
}

static int one_bit(uint32_t v)
{
    return v && !(v & (v - 1));
}

static int set_eventfds(struct td_irq_index *idx, const char *name,
                        const struct vfio_user_irq_set *s, struct td_msg *m)
{
    uint32_t i;

    if (m->nfds != 0 && m->nfds != s->count)
        return td_fail(EINVAL,
                       "DEVICE_SET_IRQS: %zu eventfds for %u %s "
                       "vectors (send %u, or none to de-assign)",
                       m->nfds, s->count, name, s->count);
    for (i = 0; i < m->nfds; i++)
        if (!looks_like_eventfd(m->fds[i]))
            return td_fail(EINVAL,
                           "DEVICE_SET_IRQS: fd %u for %s vector %u "
                           "is not an eventfd",
                           i, name, s->start + i);

    for (i = 0; i < s->count; i++) {
        struct td_irq_vector *vec = &idx->vec[s->start + i];

        if (vec->trigger_fd >= 0)
            close(vec->trigger_fd);
        vec->trigger_fd = -1;
        if (m->nfds) {
            vec->trigger_fd = m->fds[i];
            m->fds[i] = -1; /* ours now */
        }
    }
    return 0;
}

int handle_set_irqs(struct testdev *td, struct td_msg *m, struct td_reply *r)
{
    const uint32_t data_mask = VFIO_USER_IRQ_SET_DATA_TYPE_MASK;
    const uint32_t action_mask = VFIO_USER_IRQ_SET_ACTION_TYPE_MASK;
    struct vfio_user_irq_set s;
    struct td_irq_index *idx;
    uint32_t data, action, i, acted = 0, signalled = 0;
    const uint8_t *bools;
    const char *name;
    size_t want;

    if (m->len < sizeof(s))
        return td_fail(EINVAL,
                       "DEVICE_SET_IRQS: payload of %zu bytes, less "
                       "than %zu",
                       m->len, sizeof(s));
    memcpy(&s, m->data, sizeof(s));
    if (s.argsz != m->len)
        return td_fail(EINVAL,
                       "DEVICE_SET_IRQS: argsz %u but the payload "
                       "is %zu bytes",
                       s.argsz, m->len);
    data = s.flags & data_mask;
    action = s.flags & action_mask;
    if (s.flags & ~(data_mask | action_mask))
        return td_fail(EINVAL, "DEVICE_SET_IRQS: unknown flags 0x%x",
                       s.flags & ~(data_mask | action_mask));
    if (!one_bit(data) || !one_bit(action))
        return td_fail(EINVAL,
                       "DEVICE_SET_IRQS: flags 0x%x must have "
                       "exactly one DATA and one ACTION bit",
                       s.flags);
    if (s.index >= VFIO_USER_PCI_NUM_IRQS)
        return td_fail(EINVAL,
                       "DEVICE_SET_IRQS: irq index %u does not "
                       "exist (%u indexes)",
                       s.index, VFIO_USER_PCI_NUM_IRQS);
    idx = &td->irqs.index[s.index];
    name = irq_names[s.index];

    want = sizeof(s) + (data == VFIO_USER_IRQ_SET_DATA_BOOL ? s.count : 0);
    if (m->len != want)
        return td_fail(EINVAL,
                       "DEVICE_SET_IRQS: payload of %zu bytes, "
                       "expected %zu for count %u",
                       m->len, want, s.count);
    if (data != VFIO_USER_IRQ_SET_DATA_EVENTFD && m->nfds)
        return td_fail(EINVAL, "DEVICE_SET_IRQS: file descriptors without "
                               "DATA_EVENTFD");

    if (s.count == 0) {
        /* "DEVICE_SET_IRQS": count and start 0 with DATA_NONE disable the
         * whole index; no other use of count 0 means anything. */
        if (data != VFIO_USER_IRQ_SET_DATA_NONE ||
            action != VFIO_USER_IRQ_SET_ACTION_TRIGGER || s.start != 0)
            return td_fail(EINVAL, "DEVICE_SET_IRQS: count 0 is only valid "
                                   "with start 0 and DATA_NONE|"
                                   "ACTION_TRIGGER (disable all)");
        for (i = 0; i < idx->count; i++)
            vector_clear(&idx->vec[i]);
        td_note("%s: all vectors disabled", name);
        td_reply_alloc(r, 0);
        return 0;
    }
    if (s.start >= idx->count || s.count > idx->count - s.start)
        return td_fail(EINVAL,
                       "DEVICE_SET_IRQS: vectors %u..%llu are "
                       "outside %s's %u",
                       s.start, (unsigned long long)s.start + s.count - 1, name,
                       idx->count);
    if (action != VFIO_USER_IRQ_SET_ACTION_TRIGGER &&
        !(idx->info_flags & INFO_MASKABLE))
        return td_fail(EINVAL, "DEVICE_SET_IRQS: %s is not maskable", name);

    if (data == VFIO_USER_IRQ_SET_DATA_EVENTFD) {
        int err;

        if (action != VFIO_USER_IRQ_SET_ACTION_TRIGGER)
            return td_fail(EINVAL, "DEVICE_SET_IRQS: this device takes "
                                   "eventfds for ACTION_TRIGGER only");
        err = set_eventfds(idx, name, &s, m);
        if (err)
            return err;
        td_note("%s %u..%u: eventfds %s", name, s.start, s.start + s.count - 1,
                m->nfds ? "assigned" : "de-assigned");
        td_reply_alloc(r, 0);
        return 0;
    }

    bools = m->data + sizeof(s);
    for (i = 0; i < s.count; i++) {
        struct td_irq_vector *vec = &idx->vec[s.start + i];

        if (data == VFIO_USER_IRQ_SET_DATA_BOOL && !bools[i])
            continue;
        acted++;
        switch (action) {
        case VFIO_USER_IRQ_SET_ACTION_MASK:
            vec->masked = true;
            break;
        case VFIO_USER_IRQ_SET_ACTION_UNMASK:
            vec->masked = false;
            if (vec->pending) {
                vec->pending = false;
                signalled += irq_fire(&td->irqs, s.index, s.start + i) == 0;
            }
            break;
        default:
            /* A failed eventfd write is the client's fd's problem, already
             * logged; the request itself was valid. */
            signalled += irq_fire(&td->irqs, s.index, s.start + i) == 0;
            break;
        }
    }
    td_note("%s %u..%u: %s %u vectors, %u eventfds signalled", name, s.start,
            s.start + s.count - 1,
            action == VFIO_USER_IRQ_SET_ACTION_MASK     ? "masked"
            : action == VFIO_USER_IRQ_SET_ACTION_UNMASK ? "unmasked"
                                                        : "triggered",
            acted, signalled);
    td_reply_alloc(r, 0);
    return 0;
}
