/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DEVICE_GET_REGION_IO_FDS and the doorbell ioeventfd.
 *
 * BAR0 offers one ioeventfd, on the DMA engine's doorbell (DMA_CTRL with
 * datamatch START): what KVM would signal when a guest writes that value
 * there, and what a client may signal instead of sending the write
 * ("Region I/O via file descriptors"). The eventfd belongs to the
 * connection: made when the client first asks, closed when it leaves, so
 * a signal can never reach the next client's device state.
 *
 * The eventfd is a path beside the socket, so its signals are not ordered
 * with the client's messages; proto.c reads it when idle and just before
 * each message it handles, which is the whole ordering it gets (see
 * "Doorbell ioeventfd" in testdev_regs.h).
 */
#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "testdev.h"

#define SUB_SIZE (sizeof(struct vfio_user_sub_region_io_fd))

/* The eventfd is ours and non-blocking: reading it never waits. */
static int doorbell_open(struct td_conn *c)
{
    if (c->doorbell_fd >= 0)
        return 0;
    c->doorbell_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (c->doorbell_fd < 0)
        return errno;
    return 0;
}

void iofd_release(struct td_conn *c)
{
    if (c->doorbell_fd >= 0)
        close(c->doorbell_fd);
    c->doorbell_fd = -1;
}

int handle_region_io_fds(struct testdev *td, struct td_msg *m,
                         struct td_reply *r)
{
    struct vfio_user_region_io_fds_request req;
    struct vfio_user_region_io_fds_reply *head;
    struct vfio_user_sub_region_io_fd *sub;
    uint32_t count, need;
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
    if (dev_region_size(req.index) == 0)
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

    /* A client that takes no fds could not receive the eventfd. */
    count = req.index == VFIO_USER_PCI_BAR0_REGION_INDEX &&
                    td->conn.peer_max_msg_fds >= 1
                ? 1
                : 0;
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
    if (count) {
        err = doorbell_open(&td->conn);
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
    if (count) {
        sub =
            (struct vfio_user_sub_region_io_fd *)(void *)(out + sizeof(*head));
        *sub = (struct vfio_user_sub_region_io_fd){
            .offset = TESTDEV_DOORBELL_OFFSET,
            .size = TESTDEV_DOORBELL_SIZE,
            .fd_index = 0,
            .type = VFIO_USER_IO_FD_TYPE_IOEVENTFD,
            .flags = VFIO_USER_IOEVENTFD_FLAG_DATAMATCH,
            .datamatch_or_user_data = TESTDEV_DOORBELL_DATA,
        };
        /* Still ours: the reply sends a copy. */
        r->fd = td->conn.doorbell_fd;
        r->close_fd = false;
        td_note("doorbell ioeventfd at BAR0+0x%x", TESTDEV_DOORBELL_OFFSET);
    }
    return 0;
}

int iofd_doorbell(struct testdev *td)
{
    static const uint8_t data[TESTDEV_DOORBELL_SIZE] = {
        (uint8_t)TESTDEV_DOORBELL_DATA,
        (uint8_t)(TESTDEV_DOORBELL_DATA >> 8),
        (uint8_t)(TESTDEV_DOORBELL_DATA >> 16),
        (uint8_t)(TESTDEV_DOORBELL_DATA >> 24),
    };
    struct td_conn *c = &td->conn;
    uint64_t n, i;
    ssize_t got;

    if (c->doorbell_fd < 0)
        return 0;
    do {
        got = read(c->doorbell_fd, &n, sizeof(n));
    } while (got < 0 && errno == EINTR);
    if (got != (ssize_t)sizeof(n)) {
        /* EAGAIN: no signal. Nothing else can fail on our own eventfd. */
        if (got < 0 && errno != EAGAIN)
            td_log("doorbell eventfd: %s", strerror(errno));
        return 0;
    }
    td_debug("doorbell: %llu signal%s", (unsigned long long)n,
             n == 1 ? "" : "s");
    if (n > TESTDEV_DOORBELL_BURST_MAX) {
        td_log("doorbell: %llu signals at once; performing %u, dropping the "
               "rest",
               (unsigned long long)n, TESTDEV_DOORBELL_BURST_MAX);
        n = TESTDEV_DOORBELL_BURST_MAX;
    }
    for (i = 0; i < n; i++) {
        int rc;

        td->dev.dmae.doorbells++;
        dev_bar0_write(td, TESTDEV_DOORBELL_OFFSET, sizeof(data), data);
        /* The write rang the engine's doorbell, and there is no reply to
         * send first: the job runs now. */
        rc = td->dev.dmae.start ? dmae_run(td) : 0;
        if (rc < 0)
            return rc;
    }
    return 0;
}
