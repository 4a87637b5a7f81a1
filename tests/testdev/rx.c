/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Receiving: a message at a time from a socket, without blocking (header,
 * body and any SCM_RIGHTS fds, sizes checked before anything is allocated
 * or read), and the queue of client commands held back while a DMA job
 * waits for the client's reply.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rx.h"
#include "testdev.h"

/* Large enough for any REGION_WRITE we may accept (payload header plus
 * max_data_xfer_size), for a generous VERSION JSON and for a DMA_READ
 * reply to our largest request; anything larger cannot be valid. */
#define TD_FRAME_FLOOR (16u * 1024u * 1024u)
_Static_assert(TESTDEV_DMA_MAX_LEN <= TD_FRAME_FLOOR,
               "a DMA_READ reply must fit a frame");

/* How much a DMA job lets the client queue on the main socket before we
 * give up on it: the queue holds whole messages and their fds. */
#define TD_QUEUE_MAX_MSGS 1024u
#define TD_QUEUE_MAX_BYTES (64u * 1024u * 1024u)
#define TD_QUEUE_MAX_FDS 512u

/* ---- Receiving ----------------------------------------------------------- */

void td_msg_release(struct td_msg *m)
{
    size_t i;

    for (i = 0; i < m->nfds; i++) {
        if (m->fds[i] >= 0)
            close(m->fds[i]);
        m->fds[i] = -1;
    }
    m->nfds = 0;
    m->fds_lost = false;
    free(m->data);
    m->data = NULL;
    m->len = 0;
}

static void collect_fds(struct td_msg *m, const struct msghdr *mh)
{
    struct cmsghdr *cmsg;

    for (cmsg = CMSG_FIRSTHDR(mh); cmsg;
         cmsg = CMSG_NXTHDR((struct msghdr *)mh, cmsg)) {
        size_t i, n;

        if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS)
            continue;
        n = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (i = 0; i < n; i++) {
            int fd;

            /* CMSG_DATA need not be int-aligned for every entry. */
            memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int), sizeof(fd));
            if (m->nfds < TD_FDS_CAP) {
                m->fds[m->nfds++] = fd;
            } else {
                close(fd);
                m->fds_lost = true;
            }
        }
    }
    if (mh->msg_flags & MSG_CTRUNC)
        m->fds_lost = true;
}

void td_rx_init(struct td_rx *rx, int fd)
{
    rx->fd = fd;
    rx->got = 0;
    rx->m.hdr = (struct vfio_user_header){.msg_id = 0};
    rx->m.data = NULL;
    rx->m.len = 0;
    rx->m.nfds = 0;
    rx->m.fds_lost = false;
}

void td_rx_fini(struct td_rx *rx)
{
    td_msg_release(&rx->m);
    rx->got = 0;
    rx->fd = -1;
}

/* Hand the message rx has assembled over to @p m; rx starts the next. */
void td_rx_take(struct td_rx *rx, struct td_msg *m)
{
    m->hdr = rx->m.hdr;
    m->data = rx->m.data;
    m->len = rx->m.len;
    m->nfds = rx->m.nfds;
    memcpy(m->fds, rx->m.fds, rx->m.nfds * sizeof(int));
    m->fds_lost = rx->m.fds_lost;
    td_rx_init(rx, rx->fd);
}

static uint32_t frame_max(const struct testdev *td)
{
    uint32_t data = td->opt.max_data_xfer_size > TD_FRAME_FLOOR
                        ? td->opt.max_data_xfer_size
                        : TD_FRAME_FLOOR;

    return VFIO_USER_HDR_SIZE + sizeof(struct vfio_user_region_access) + data;
}

/*
 * Read what the socket has of the message under way, without blocking,
 * collecting fds from every piece (a client may split a message over
 * several sendmsg() calls). Reads never go past the message's end, so fds
 * always arrive with the message they were sent with.
 * @return an enum td_rx_result, or a negative errno when the connection must
 * end (the reason is logged unless the client merely left).
 */
int td_rx_step(const struct testdev *td, struct td_rx *rx)
{
    union {
        char buf[CMSG_SPACE(TD_FDS_CAP * sizeof(int))];
        struct cmsghdr align;
    } ctrl;
    struct td_msg *m = &rx->m;

    for (;;) {
        struct iovec iov;
        struct msghdr mh = {
            .msg_iov = &iov,
            .msg_iovlen = 1,
            .msg_control = ctrl.buf,
            .msg_controllen = sizeof(ctrl.buf),
        };
        ssize_t n;

        if (rx->got < VFIO_USER_HDR_SIZE) {
            iov.iov_base = (char *)&m->hdr + rx->got;
            iov.iov_len = VFIO_USER_HDR_SIZE - rx->got;
        } else if (rx->got < m->hdr.msg_size) {
            iov.iov_base = m->data + (rx->got - VFIO_USER_HDR_SIZE);
            iov.iov_len = m->hdr.msg_size - rx->got;
        } else {
            return TD_RX_MSG;
        }

        n = recvmsg(rx->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (n < 0) {
            int err = errno;

            if (err == EINTR)
                continue;
            if (err == EAGAIN || err == EWOULDBLOCK)
                return TD_RX_AGAIN;
            /* A reset between messages is just an abrupt disconnection. */
            if (err != ECONNRESET || rx->got >= VFIO_USER_HDR_SIZE)
                td_log("receive: %s", strerror(err));
            return -err;
        }
        if (n == 0) {
            if (rx->got >= VFIO_USER_HDR_SIZE)
                td_log("id %u %s: client left in the middle of the message",
                       m->hdr.msg_id, td_cmd_name(m->hdr.cmd));
            /* Inside the header it is an abrupt disconnection too. */
            return rx->got ? -ECONNRESET : TD_RX_EOF;
        }
        collect_fds(m, &mh);
        rx->got += (size_t)n;
        if (rx->got != VFIO_USER_HDR_SIZE)
            continue;

        if (m->hdr.msg_size < VFIO_USER_HDR_SIZE &&
            td_quirk(TD_QUIRK_CRASH_BAD_HEADER))
            abort();
        if (m->hdr.msg_size < VFIO_USER_HDR_SIZE ||
            m->hdr.msg_size > frame_max(td)) {
            /* Without a trustworthy size there is no next message to
             * find. */
            td_log("id %u %s: msg_size %u is outside [%u, %u]; dropping the "
                   "client",
                   m->hdr.msg_id, td_cmd_name(m->hdr.cmd), m->hdr.msg_size,
                   VFIO_USER_HDR_SIZE, frame_max(td));
            return -EPROTO;
        }
        m->len = m->hdr.msg_size - VFIO_USER_HDR_SIZE;
        if (m->len) {
            m->data = malloc(m->len);
            if (!m->data) {
                td_log("id %u: no memory for a %zu-byte message; dropping "
                       "the client",
                       m->hdr.msg_id, m->len);
                return -ENOMEM;
            }
        }
    }
}

/* ---- The queue of client commands held back by a DMA job ---------------- */

struct td_qmsg {
    struct td_qmsg *next;
    struct vfio_user_header hdr;
    uint8_t *data;
    size_t len;
    bool fds_lost;
    size_t nfds;
    int fds[]; /* nfds of them */
};

/* Takes @p m's payload and fds, or leaves them in @p m on failure. */
int td_queue_push(struct td_conn *c, struct td_msg *m)
{
    struct td_qmsg *q;

    if (c->queue_count >= TD_QUEUE_MAX_MSGS ||
        m->len > TD_QUEUE_MAX_BYTES - c->queue_bytes ||
        m->nfds > TD_QUEUE_MAX_FDS - c->queue_fds) {
        td_log("id %u %s: the client sent more than %u commands, %u bytes "
               "or %u fds while a DMA job waited for its reply; dropping the "
               "client",
               m->hdr.msg_id, td_cmd_name(m->hdr.cmd), TD_QUEUE_MAX_MSGS,
               TD_QUEUE_MAX_BYTES, TD_QUEUE_MAX_FDS);
        return -EPROTO;
    }
    q = malloc(sizeof(*q) + m->nfds * sizeof(int));
    if (!q) {
        td_log("id %u: no memory to queue a command during a DMA job; "
               "dropping the client",
               m->hdr.msg_id);
        return -ENOMEM;
    }
    q->next = NULL;
    q->hdr = m->hdr;
    q->data = m->data;
    q->len = m->len;
    q->fds_lost = m->fds_lost;
    q->nfds = m->nfds;
    memcpy(q->fds, m->fds, m->nfds * sizeof(int));
    m->data = NULL;
    m->len = 0;
    m->nfds = 0;

    if (c->queue_tail)
        c->queue_tail->next = q;
    else
        c->queue_head = q;
    c->queue_tail = q;
    c->queue_count++;
    c->queue_bytes += q->len;
    c->queue_fds += q->nfds;
    td_debug("id %u %s queued behind the DMA job (%zu queued)", q->hdr.msg_id,
             td_cmd_name(q->hdr.cmd), c->queue_count);
    return 0;
}

bool td_queue_pop(struct td_conn *c, struct td_msg *m)
{
    struct td_qmsg *q = c->queue_head;

    if (!q)
        return false;
    c->queue_head = q->next;
    if (!c->queue_head)
        c->queue_tail = NULL;
    c->queue_count--;
    c->queue_bytes -= q->len;
    c->queue_fds -= q->nfds;

    m->hdr = q->hdr;
    m->data = q->data;
    m->len = q->len;
    m->fds_lost = q->fds_lost;
    m->nfds = q->nfds;
    memcpy(m->fds, q->fds, q->nfds * sizeof(int));
    free(q);
    return true;
}

void td_queue_clear(struct td_conn *c)
{
    static struct td_msg m; /* 1 KiB of fd slots */

    while (td_queue_pop(c, &m))
        td_msg_release(&m);
}

