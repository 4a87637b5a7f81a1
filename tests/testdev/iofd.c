/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DEVICE_GET_REGION_IO_FDS and the personality's ioeventfds.
 *
 * A personality declares the doorbells it offers as ioeventfds: what KVM
 * would signal when a guest writes there, and what a client may signal
 * instead of sending the write ("Region I/O via file descriptors"). The
 * eventfds belong to the connection: made when the client first asks,
 * closed when it leaves, so a signal can never reach the next client's
 * device state.
 *
 * An eventfd is a path beside the socket, so its signals are not ordered
 * with the client's messages; proto.c reads them when idle and just before
 * each message it handles, which is the whole ordering they get.
 */
#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "testdev.h"

#define SUB_SIZE (sizeof(struct vfio_user_sub_region_io_fd))

/* The eventfd is ours and non-blocking: reading it never waits. */
static int iofd_open(struct td_conn *c, size_t i)
{
    if (c->iofd[i] >= 0)
        return 0;
    c->iofd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (c->iofd[i] < 0)
        return errno;
    return 0;
}

void iofd_release(struct td_conn *c)
{
    size_t i;

    for (i = 0; i < TD_MAX_IOEVENTFDS; i++) {
        if (c->iofd[i] >= 0)
            close(c->iofd[i]);
        c->iofd[i] = -1;
    }
}

int handle_region_io_fds(struct testdev *td, struct td_msg *m,
                         struct td_reply *r)
{
    const struct td_personality *p = td->pers;
    struct vfio_user_region_io_fds_request req;
    struct vfio_user_region_io_fds_reply *head;
    struct vfio_user_sub_region_io_fd *sub;
    size_t which[TD_MAX_IOEVENTFDS];
    uint32_t count = 0, need, i;
    uint8_t *out;
    int err;

    if (m->len != sizeof(req))
        return td_fail(EINVAL,
                       "DEVICE_GET_REGION_IO_FDS: payload of %zu bytes, "
                       "expected %zu",
                       m->len, sizeof(req));
    memcpy(&req, m->data, sizeof(req));
    if (req.flags || req.count)
        return td_fail(EINVAL, "DEVICE_GET_REGION_IO_FDS: flags and count "
                               "must be zero in a request");
    if (req.index >= VFIO_USER_PCI_NUM_REGIONS ||
        td->regions[req.index].size == 0)
        return td_fail(EINVAL,
                       "DEVICE_GET_REGION_IO_FDS: region %u does not exist",
                       req.index);
    if (req.argsz < sizeof(*head))
        return td_fail(EINVAL,
                       "DEVICE_GET_REGION_IO_FDS: argsz %u is smaller than "
                       "the %zu-byte reply head",
                       req.argsz, sizeof(*head));
    if (td->opt.no_io_fds)
        return td_fail(ENOTSUP, "DEVICE_GET_REGION_IO_FDS: this device "
                                "offers no io fds (--no-io-fds)");

    /* Only as many as the client takes fds with one message: a client that
     * takes none could not receive an eventfd at all. */
    for (i = 0; i < p->nioeventfds && i < TD_MAX_IOEVENTFDS; i++)
        if (p->ioeventfds[i].region == req.index &&
            count < td->conn.peer_max_msg_fds)
            which[count++] = i;
    need = (uint32_t)(sizeof(*head) + count * SUB_SIZE);

    /* "Message sizes": too small an argsz gets the size needed, with the
     * full count but no entries and no fd, and the client asks again. */
    if (req.argsz < need) {
        head = td_reply_alloc(r, sizeof(*head));
        *head = (struct vfio_user_region_io_fds_reply){
            .argsz = need,
            .index = req.index,
            .count = count,
        };
        td_note("argsz %u is below the %u needed: head only", req.argsz, need);
        return 0;
    }
    for (i = 0; i < count; i++) {
        err = iofd_open(&td->conn, which[i]);
        if (err)
            return td_fail(err, "DEVICE_GET_REGION_IO_FDS: eventfd: %s",
                           strerror(err));
    }
    out = td_reply_alloc(r, need);
    if (!out)
        return td_fail(ENOMEM, "DEVICE_GET_REGION_IO_FDS: out of memory");
    head = (struct vfio_user_region_io_fds_reply *)(void *)out;
    *head = (struct vfio_user_region_io_fds_reply){
        .argsz = need,
        .index = req.index,
        .count = count,
    };
    sub = (struct vfio_user_sub_region_io_fd *)(void *)(out + sizeof(*head));
    for (i = 0; i < count; i++) {
        const struct td_ioeventfd_desc *d = &p->ioeventfds[which[i]];

        sub[i] = (struct vfio_user_sub_region_io_fd){
            .offset = d->offset,
            .size = d->size,
            .fd_index = i,
            .type = VFIO_USER_IO_FD_TYPE_IOEVENTFD,
            .flags = d->datamatch ? VFIO_USER_IOEVENTFD_FLAG_DATAMATCH : 0,
            .datamatch_or_user_data = d->datamatch ? d->data : 0,
        };
        /* Still ours: the reply sends a copy. */
        r->fds[r->nfds++] = td->conn.iofd[which[i]];
    }
    r->close_fd = false;
    if (count)
        td_note("%u ioeventfd%s, the first at offset 0x%llx", count,
                count == 1 ? "" : "s", (unsigned long long)sub[0].offset);
    return 0;
}

int iofd_take(struct testdev *td)
{
    struct td_conn *c = &td->conn;
    size_t i;

    for (i = 0; i < TD_MAX_IOEVENTFDS; i++) {
        uint64_t n;
        ssize_t got;
        int rc;

        if (c->iofd[i] < 0)
            continue;
        do {
            got = read(c->iofd[i], &n, sizeof(n));
        } while (got < 0 && errno == EINTR);
        if (got != (ssize_t)sizeof(n)) {
            /* EAGAIN: no signal. Nothing else can fail on our own
             * eventfd. */
            if (got < 0 && errno != EAGAIN)
                td_log("ioeventfd %zu: %s", i, strerror(errno));
            continue;
        }
        td_debug("ioeventfd %zu: %llu signal%s", i, (unsigned long long)n,
                 n == 1 ? "" : "s");
        rc = td->pers->ioeventfd(td, i, n);
        if (rc < 0)
            return rc;
    }
    return 0;
}
