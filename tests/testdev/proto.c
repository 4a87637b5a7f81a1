/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Message framing and dispatch: read one message (header, body and any
 * SCM_RIGHTS fds), check what every command has in common, hand it to its
 * handler, and send the reply in one sendmsg().
 *
 * Everything the client sends is untrusted: sizes are checked before
 * anything is allocated or read, fds are counted and closed unless a
 * handler keeps them, and a message that cannot be framed ends the
 * connection rather than desynchronising the stream.
 *
 * The server also sends commands of its own (the DMA engine's DMA_READ and
 * DMA_WRITE, see proto_request()). Without twin-socket mode their replies
 * share the main socket with the client's commands, which the client may
 * send at any time; so each socket is read by a receiver that assembles one
 * message at a time without blocking, and commands that arrive while a
 * request waits are queued and handled, in order, once the DMA job has
 * ended. A job thus holds back command processing until the client has
 * answered its DMA requests, in either mode: a test device may ask that of
 * its clients, but it is the stall the "Socket" section warns servers
 * about, so a client that serves DMA requests only when idle deadlocks.
 *
 * Beside the sockets the serve loop waits on the personality's
 * ioeventfds (iofd.c), whose signals it also takes just before it handles
 * each message, and on the fds and timers of events.c; none of them is
 * taken during a DMA request.
 *
 * No_reply is honoured for every command, failed ones included, unless
 * --reply-errors-on-noreply asks for the error replies of failed ones,
 * which a client can use to name a failed posted write.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

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

static char fail_reason[256];
static char note[256];

int td_fail(int err, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(fail_reason, sizeof(fail_reason), fmt, ap);
    va_end(ap);
    return err;
}

const char *td_fail_reason(void)
{
    return fail_reason;
}

void td_note(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(note, sizeof(note), fmt, ap);
    va_end(ap);
}

const char *td_cmd_name(uint16_t cmd)
{
    const char *name = vfio_user_command_name(cmd);
    return name != NULL ? name : "unknown command";
}

void *td_reply_alloc(struct td_reply *r, size_t len)
{
    free(r->data);
    r->data = NULL;
    r->len = len;
    if (len <= sizeof(r->inline_buf)) {
        memset(r->inline_buf, 0, len);
        return r->inline_buf;
    }
    r->data = calloc(1, len);
    if (!r->data)
        r->len = 0;
    return r->data;
}

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

static void rx_init(struct td_rx *rx, int fd)
{
    rx->fd = fd;
    rx->got = 0;
    rx->m.hdr = (struct vfio_user_header){.msg_id = 0};
    rx->m.data = NULL;
    rx->m.len = 0;
    rx->m.nfds = 0;
    rx->m.fds_lost = false;
}

static void rx_fini(struct td_rx *rx)
{
    td_msg_release(&rx->m);
    rx->got = 0;
    rx->fd = -1;
}

/* Hand the message rx has assembled over to @p m; rx starts the next. */
static void rx_take(struct td_rx *rx, struct td_msg *m)
{
    m->hdr = rx->m.hdr;
    m->data = rx->m.data;
    m->len = rx->m.len;
    m->nfds = rx->m.nfds;
    memcpy(m->fds, rx->m.fds, rx->m.nfds * sizeof(int));
    m->fds_lost = rx->m.fds_lost;
    rx_init(rx, rx->fd);
}

static uint32_t frame_max(const struct testdev *td)
{
    uint32_t data = td->opt.max_data_xfer_size > TD_FRAME_FLOOR
                        ? td->opt.max_data_xfer_size
                        : TD_FRAME_FLOOR;

    return VFIO_USER_HDR_SIZE + sizeof(struct vfio_user_region_access) + data;
}

enum rx_result {
    RX_AGAIN, /* nothing more to read for now */
    RX_MSG,   /* a whole message is in rx->m */
    RX_EOF,   /* the peer closed between messages */
};

/*
 * Read what the socket has of the message under way, without blocking,
 * collecting fds from every piece (a client may split a message over
 * several sendmsg() calls). Reads never go past the message's end, so fds
 * always arrive with the message they were sent with.
 * @return an enum rx_result, or a negative errno when the connection must
 * end (the reason is logged unless the client merely left).
 */
static int rx_step(const struct testdev *td, struct td_rx *rx)
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
            return RX_MSG;
        }

        n = recvmsg(rx->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (n < 0) {
            int err = errno;

            if (err == EINTR)
                continue;
            if (err == EAGAIN || err == EWOULDBLOCK)
                return RX_AGAIN;
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
            return rx->got ? -ECONNRESET : RX_EOF;
        }
        collect_fds(m, &mh);
        rx->got += (size_t)n;
        if (rx->got != VFIO_USER_HDR_SIZE)
            continue;

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
static int queue_push(struct td_conn *c, struct td_msg *m)
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

static bool queue_pop(struct td_conn *c, struct td_msg *m)
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

static void queue_clear(struct td_conn *c)
{
    static struct td_msg m; /* 1 KiB of fd slots */

    while (queue_pop(c, &m))
        td_msg_release(&m);
}

/* ---- Sending ------------------------------------------------------------- */

/*
 * Send what the socket takes of @p mh without blocking, advancing its iovs.
 * Any fd goes with the first byte; later pieces carry none.
 * @return 1 when all is sent, 0 when the socket is full, or a negative
 * errno.
 */
static int send_some(int fd, struct msghdr *mh)
{
    while (mh->msg_iovlen > 0) {
        ssize_t n = sendmsg(fd, mh, MSG_DONTWAIT | MSG_NOSIGNAL);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            return -errno;
        }
        mh->msg_control = NULL;
        mh->msg_controllen = 0;
        while (mh->msg_iovlen > 0 && (size_t)n >= mh->msg_iov[0].iov_len) {
            n -= (ssize_t)mh->msg_iov[0].iov_len;
            mh->msg_iov++;
            mh->msg_iovlen--;
        }
        if (mh->msg_iovlen > 0) {
            mh->msg_iov[0].iov_base = (char *)mh->msg_iov[0].iov_base + n;
            mh->msg_iov[0].iov_len -= (size_t)n;
        }
    }
    return 1;
}

/*
 * Header, payload and fd go out in one sendmsg() so the fd is attached to
 * the reply's first byte. Only if the socket buffer is too small for the
 * whole reply does the rest follow in further calls, without the fd.
 */
static int send_reply(int fd, const struct vfio_user_header *req, int err,
                      const struct td_reply *r)
{
    union {
        char buf[CMSG_SPACE(TD_REPLY_MAX_FDS * sizeof(int))];
        struct cmsghdr align;
    } ctrl;
    struct vfio_user_header h = {
        .msg_id = req->msg_id,
        .cmd = req->cmd,
        .flags = VFIO_USER_F_TYPE_REPLY,
    };
    struct iovec iov[2];
    struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};
    size_t plen = err ? 0 : r->len;
    size_t nfds = err ? 0 : r->nfds;

    if (err) {
        h.flags |= VFIO_USER_F_ERROR;
        h.error_no = (uint32_t)err;
    }
    h.msg_size = (uint32_t)(VFIO_USER_HDR_SIZE + plen);
    iov[0] = (struct iovec){.iov_base = &h, .iov_len = sizeof(h)};
    iov[1] = (struct iovec){
        .iov_base = r->data ? r->data : (void *)r->inline_buf,
        .iov_len = plen,
    };
    if (nfds) {
        struct cmsghdr *cmsg;

        memset(&ctrl, 0, sizeof(ctrl));
        mh.msg_control = ctrl.buf;
        mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
        cmsg = CMSG_FIRSTHDR(&mh);
        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN(nfds * sizeof(int));
        memcpy(CMSG_DATA(cmsg), r->fds, nfds * sizeof(int));
    }

    for (;;) {
        int rc = send_some(fd, &mh);

        if (rc != 0)
            return rc < 0 ? rc : 0;
        rc = td_wait_fd(fd, POLLOUT);
        if (rc < 0)
            return rc;
    }
}

/* ---- Requests to the client ---------------------------------------------- */

static void abandon(struct td_conn *c, uint16_t id)
{
    if (c->nabandoned == TD_ABANDONED_MAX) {
        /* The oldest is the least likely to be answered still. */
        memmove(&c->abandoned[0], &c->abandoned[1],
                (TD_ABANDONED_MAX - 1) * sizeof(c->abandoned[0]));
        c->nabandoned--;
    }
    c->abandoned[c->nabandoned++] = id;
}

static bool take_abandoned(struct td_conn *c, uint16_t id)
{
    size_t i;

    for (i = 0; i < c->nabandoned; i++) {
        if (c->abandoned[i] == id) {
            memmove(&c->abandoned[i], &c->abandoned[i + 1],
                    (c->nabandoned - i - 1) * sizeof(c->abandoned[0]));
            c->nabandoned--;
            return true;
        }
    }
    return false;
}

struct request {
    struct vfio_user_header hdr; /* the request we sent */
    bool sent;                   /* all of it */
    bool done;                   /* got_reply or err */
    int err;                     /* positive: the request failed */
    struct td_msg *reply;
};

/* Check the reply to our request and keep it, or say why it is wrong. */
static void take_reply(struct request *rq, struct td_msg *m)
{
    const char *name = td_cmd_name(rq->hdr.cmd);

    rq->done = true;
    if (m->hdr.cmd != rq->hdr.cmd) {
        td_log("id %u %s: the client's reply is for %s; failing the request",
               rq->hdr.msg_id, name, td_cmd_name(m->hdr.cmd));
        rq->err = EIO;
    } else if (m->hdr.flags & ~(VFIO_USER_F_TYPE_MASK | VFIO_USER_F_ERROR)) {
        td_log("id %u %s: invalid flags 0x%x in the client's reply",
               rq->hdr.msg_id, name, m->hdr.flags);
        rq->err = EIO;
    } else if (m->nfds || m->fds_lost) {
        td_log("id %u %s: the client's reply carries file descriptors",
               rq->hdr.msg_id, name);
        rq->err = EIO;
    } else if (m->hdr.flags & VFIO_USER_F_ERROR) {
        /* "Header": errno 0 in an error reply still means failure. */
        rq->err = m->hdr.error_no ? (int)m->hdr.error_no : EIO;
        if (m->hdr.error_no > 4095)
            rq->err = EIO;
        td_log("id %u %s: the client replied with error %u (%s)",
               rq->hdr.msg_id, name, m->hdr.error_no, strerror(rq->err));
    } else {
        *rq->reply = *m;
        m->data = NULL;
        m->len = 0;
        return;
    }
    td_msg_release(m);
}

/*
 * A message that arrived on the request's channel while it is under way.
 * @return 0, or a negative errno when the connection must end.
 */
static int request_incoming(struct testdev *td, struct request *rq, bool twin,
                            struct td_msg *m)
{
    struct td_conn *c = &td->conn;

    if ((m->hdr.flags & VFIO_USER_F_TYPE_MASK) != VFIO_USER_F_TYPE_REPLY) {
        if (twin) {
            td_log("id %u %s: the client sent a command on the twin socket, "
                   "which carries only our commands and their replies; "
                   "dropping the client",
                   m->hdr.msg_id, td_cmd_name(m->hdr.cmd));
            td_msg_release(m);
            return -EPROTO;
        }
        /* Handled in order once the job is over. */
        if (queue_push(c, m) < 0) {
            td_msg_release(m);
            return -EPROTO;
        }
        return 0;
    }

    if (rq->sent && !rq->done && m->hdr.msg_id == rq->hdr.msg_id) {
        take_reply(rq, m);
        return 0;
    }
    if (take_abandoned(c, m->hdr.msg_id)) {
        td_debug("dropping the late reply to id %u %s, given up before",
                 m->hdr.msg_id, td_cmd_name(m->hdr.cmd));
    } else if (!rq->done) {
        td_log("id %u %s: unexpected reply (id %u %s) while waiting for it; "
               "failing the request",
               rq->hdr.msg_id, td_cmd_name(rq->hdr.cmd), m->hdr.msg_id,
               td_cmd_name(m->hdr.cmd));
        rq->done = true;
        rq->err = EIO;
        /* Its own reply may still come: drop it when it does. */
        abandon(c, rq->hdr.msg_id);
    } else {
        td_log("ignoring an unexpected reply (id %u, %s) from the client",
               m->hdr.msg_id, td_cmd_name(m->hdr.cmd));
    }
    td_msg_release(m);
    return 0;
}

int proto_request(struct testdev *td, uint16_t cmd, const struct iovec *iov,
                  size_t niov, struct td_msg *reply)
{
    struct td_conn *c = &td->conn;
    bool twin = c->twin_rx.fd >= 0;
    struct td_rx *rx = twin ? &c->twin_rx : &c->rx;
    struct request rq = {.reply = reply};
    struct iovec out[4];
    struct msghdr mh = {.msg_iov = out, .msg_iovlen = 1 + niov};
    static struct td_msg m; /* 1 KiB of fd slots; one message at a time */
    size_t i, size = VFIO_USER_HDR_SIZE;

    if (niov >= sizeof(out) / sizeof(out[0]))
        return -EINVAL;
    for (i = 0; i < niov; i++) {
        out[1 + i] = iov[i];
        size += iov[i].iov_len;
    }
    rq.hdr = (struct vfio_user_header){
        .msg_id = c->next_id++,
        .cmd = cmd,
        .msg_size = (uint32_t)size,
        .flags = VFIO_USER_F_TYPE_COMMAND,
    };
    out[0] = (struct iovec){.iov_base = &rq.hdr, .iov_len = sizeof(rq.hdr)};
    *reply = (struct td_msg){.nfds = 0};

    for (;;) {
        struct pollfd pfd[2];
        nfds_t n = 1;
        int rc;

        if (!rq.sent) {
            rc = send_some(rx->fd, &mh);
            if (rc < 0) {
                if (rc != -EPIPE && rc != -ECONNRESET)
                    td_log("sending id %u %s: %s", rq.hdr.msg_id,
                           td_cmd_name(cmd), strerror(-rc));
                else
                    td_debug("client left before id %u %s was sent",
                             rq.hdr.msg_id, td_cmd_name(cmd));
                return -ECONNRESET;
            }
            rq.sent = rc == 1;
        }
        /* Drain what has come in; once the outcome is known, the rest
         * waits for the serve loop (or the next request). */
        while (!(rq.sent && rq.done)) {
            rc = rx_step(td, rx);
            if (rc == RX_AGAIN)
                break;
            if (rc == RX_EOF) {
                td_debug("client left while id %u %s was under way",
                         rq.hdr.msg_id, td_cmd_name(cmd));
                return -ECONNRESET;
            }
            if (rc < 0)
                return rc == -ENOMEM ? rc : -ECONNRESET;
            rx_take(rx, &m);
            rc = request_incoming(td, &rq, twin, &m);
            if (rc < 0)
                return rc;
        }
        if (rq.sent && rq.done)
            break;

        pfd[0] = (struct pollfd){
            .fd = rx->fd,
            .events = (short)(POLLIN | (rq.sent ? 0 : POLLOUT)),
        };
        if (twin) {
            /* The main socket is not read during a job, but a client that
             * closed it is gone and will not answer. */
            pfd[1] = (struct pollfd){.fd = c->fd, .events = POLLRDHUP};
            n = 2;
        }
        rc = td_wait_fds(pfd, n);
        if (rc < 0)
            return rc;
        if (twin && (pfd[1].revents & (POLLRDHUP | POLLHUP | POLLERR))) {
            td_debug("client closed its main socket while id %u %s was "
                     "under way",
                     rq.hdr.msg_id, td_cmd_name(cmd));
            return -ECONNRESET;
        }
    }
    return rq.err;
}

/* ---- Dispatch ------------------------------------------------------------ */

struct cmd_desc {
    td_handler *handler;
    bool takes_fds;
};

/* Commands with no handler (the server-to-client DMA_READ/WRITE) get
 * ENOSYS, as do those this device does not serve (dirty.c says when). */
static const struct cmd_desc commands[VFIO_USER_MAX_COMMAND] = {
    [VFIO_USER_VERSION] = {handle_version, false},
    [VFIO_USER_DMA_MAP] = {handle_dma_map, true},
    [VFIO_USER_DMA_UNMAP] = {handle_dma_unmap, false},
    [VFIO_USER_DEVICE_GET_INFO] = {handle_device_get_info, false},
    [VFIO_USER_DEVICE_GET_REGION_INFO] = {handle_region_info, false},
    [VFIO_USER_DEVICE_GET_REGION_IO_FDS] = {handle_region_io_fds, false},
    [VFIO_USER_DEVICE_GET_IRQ_INFO] = {handle_irq_info, false},
    [VFIO_USER_DEVICE_SET_IRQS] = {handle_set_irqs, true},
    [VFIO_USER_REGION_READ] = {handle_region_read, false},
    [VFIO_USER_REGION_WRITE] = {handle_region_write, false},
    [VFIO_USER_DEVICE_RESET] = {handle_device_reset, false},
    [VFIO_USER_DIRTY_PAGES] = {handle_dirty_pages, false},
    [VFIO_USER_REGION_WRITE_MULTI] = {handle_region_write_multi, false},
    [VFIO_USER_DEVICE_FEATURE] = {handle_device_feature, false},
    [VFIO_USER_MIG_DATA_READ] = {handle_mig_data_read, false},
    [VFIO_USER_MIG_DATA_WRITE] = {handle_mig_data_write, false},
};

static int dispatch(struct testdev *td, struct td_msg *m, struct td_reply *r)
{
    uint32_t type = m->hdr.flags & VFIO_USER_F_TYPE_MASK;
    uint16_t cmd = m->hdr.cmd;
    const struct cmd_desc *desc;

    if (type == VFIO_USER_F_TYPE_REPLY) {
        /* Replies to our requests are taken while the request waits, so
         * this one was given up on or never asked for; answering it could
         * match one of the client's own pending ids. */
        r->silent = true;
        if (take_abandoned(&td->conn, m->hdr.msg_id))
            td_debug("dropping the late reply to id %u %s, given up before",
                     m->hdr.msg_id, td_cmd_name(cmd));
        else
            td_log("ignoring an unsolicited reply (id %u, %s) from the "
                   "client",
                   m->hdr.msg_id, td_cmd_name(cmd));
        return 0;
    }
    if (type != VFIO_USER_F_TYPE_COMMAND)
        return td_fail(EINVAL, "message type %u is neither command nor reply",
                       type);
    if (m->hdr.flags & ~(VFIO_USER_F_TYPE_MASK | VFIO_USER_F_NO_REPLY))
        return td_fail(EINVAL, "invalid flags 0x%x in a command", m->hdr.flags);
    if (m->fds_lost)
        return td_fail(EINVAL,
                       "more file descriptors than the %u a "
                       "message can carry",
                       TD_FDS_CAP);
    if (m->nfds > td->opt.max_msg_fds)
        return td_fail(EINVAL,
                       "%zu file descriptors, more than the "
                       "max_msg_fds of %u we advertised",
                       m->nfds, td->opt.max_msg_fds);
    if (!td->conn.negotiated && cmd != VFIO_USER_VERSION)
        return td_fail(EINVAL, "VERSION must be the first message");
    if (td->conn.negotiated && cmd == VFIO_USER_VERSION)
        return td_fail(EINVAL, "VERSION was already negotiated");

    desc = cmd < VFIO_USER_MAX_COMMAND ? &commands[cmd] : NULL;
    if (!desc || !desc->handler)
        return td_fail(ENOSYS, "command %u is not implemented", cmd);
    if (!desc->takes_fds && m->nfds)
        return td_fail(EINVAL,
                       "%zu file descriptors with a command that "
                       "takes none",
                       m->nfds);
    return desc->handler(td, m, r);
}

static void log_result(const struct td_msg *m, int err,
                       const struct td_reply *r, bool reply_errors)
{
    const char *name = td_cmd_name(m->hdr.cmd);
    const char *noreply = "";

    if (m->hdr.flags & VFIO_USER_F_NO_REPLY)
        noreply = err && reply_errors ? ", no reply wanted but replying "
                                        "(--reply-errors-on-noreply)"
                                      : ", no reply wanted";

    if (err) {
        td_log("id %u %s (%zu bytes, %zu fds): error %d (%s): %s%s",
               m->hdr.msg_id, name, m->len, m->nfds, err, strerror(err),
               fail_reason, noreply);
    } else if (!r->silent) {
        td_debug("id %u %s (%zu bytes, %zu fds): ok, %zu bytes%s%s%s%s%s",
                 m->hdr.msg_id, name, m->len, m->nfds, r->len,
                 r->nfds == 1 ? " + fd"
                 : r->nfds    ? " + fds"
                              : "",
                 noreply, r->vanish ? ", vanishing without a reply" : "",
                 note[0] ? ": " : "", note);
    }
}

/* Room in the serve loop's poll for the main socket, every ioeventfd and
 * every watched fd. */
#define TD_POLL_MAX (1 + TD_MAX_IOEVENTFDS + TD_MAX_WATCHES)

/*
 * The next client message to handle: those a DMA job queued come first, in
 * the order they arrived, then the main socket.
 * @return 1 with the message in @p m, 2 when an ioeventfd was signalled, a
 * watched fd became readable or a timer came due while no whole message
 * was waiting, 0 when the client left (or must be dropped, already
 * logged), or -EINTR on stop.
 */
static int next_msg(struct testdev *td, struct td_msg *m)
{
    struct td_conn *c = &td->conn;

    if (queue_pop(c, m))
        return 1;
    /* Events first, so a client that never pauses cannot starve them. */
    if (events_ready(td))
        return 2;
    for (;;) {
        struct pollfd pfd[TD_POLL_MAX];
        nfds_t n = 1, i;
        int rc = rx_step(td, &c->rx);

        if (rc == RX_MSG) {
            rx_take(&c->rx, m);
            return 1;
        }
        if (rc == RX_EOF || rc < 0)
            return 0;
        pfd[0] = (struct pollfd){.fd = c->fd, .events = POLLIN};
        for (i = 0; i < TD_MAX_IOEVENTFDS; i++)
            if (c->iofd[i] >= 0)
                pfd[n++] = (struct pollfd){.fd = c->iofd[i], .events = POLLIN};
        for (i = 0; i < td->ev.nwatch; i++)
            pfd[n++] =
                (struct pollfd){.fd = td->ev.watch[i].fd, .events = POLLIN};
        rc = td_wait_fds_until(pfd, n, events_next_deadline(td));
        if (rc < 0)
            return rc;
        if (rc == 0)
            return 2; /* a timer is due */
        for (i = 1; i < n; i++)
            if (pfd[i].revents)
                return 2;
    }
}

/* Ioeventfd signals, watched fds and due timers.
 * @return 0 to go on, 1 to end the connection, -EINTR on stop. */
static int take_events(struct testdev *td, bool iofds_only)
{
    int rc = iofd_take(td);

    if (rc == 0 && !iofds_only)
        rc = events_run(td);
    if (rc < 0)
        return rc == -EINTR ? rc : 1;
    return 0;
}

/* @return 0 for the next message, 1 to end the connection, -EINTR on stop. */
static int serve_one(struct testdev *td)
{
    static struct td_msg m; /* 1 KiB of fd slots; one message at a time */
    struct td_reply r = {.nfds = 0};
    int fd = td->conn.fd;
    int err, rc;
    size_t i;

    rc = next_msg(td, &m);
    if (rc == 2)
        return take_events(td, false);
    if (rc <= 0)
        return rc < 0 ? rc : 1;

    if (td->stall_ms) {
        unsigned int ms = td->stall_ms;

        td->stall_ms = 0;
        td_debug("stalling %u ms before handling id %u", ms, m.hdr.msg_id);
        /* A client that gave up and left must not keep the next one
         * waiting for the rest of the stall. */
        rc = td_sleep_ms(ms, fd);
        if (rc != 0) {
            if (rc > 0)
                td_debug("client left during the stall; id %u dropped",
                         m.hdr.msg_id);
            td_msg_release(&m);
            return rc < 0 ? rc : 1;
        }
    }

    /* A signal that came before this message was sent is performed before
     * the message is handled (see "Doorbell ioeventfd" in testdev_regs.h). */
    rc = take_events(td, true);
    if (rc != 0) {
        td_msg_release(&m);
        return rc;
    }

    fail_reason[0] = '\0';
    note[0] = '\0';
    err = dispatch(td, &m, &r);
    log_result(&m, err, &r, td->opt.reply_errors_on_noreply);
    td_msg_release(&m);

    rc = 0;
    if (r.vanish) {
        rc = 1;
    } else if (!r.silent && (!(m.hdr.flags & VFIO_USER_F_NO_REPLY) ||
                             (err && td->opt.reply_errors_on_noreply))) {
        rc = send_reply(fd, &m.hdr, err, &r);
        if (rc == -EPIPE || rc == -ECONNRESET) {
            /* Clients may leave with requests outstanding. */
            td_debug("client left before the reply to id %u", m.hdr.msg_id);
            rc = 1;
        } else if (rc < 0 && rc != -EINTR) {
            td_log("sending the reply to id %u: %s", m.hdr.msg_id,
                   strerror(-rc));
            rc = 1;
        }
    }
    if (r.close_fd)
        for (i = 0; i < r.nfds; i++)
            close(r.fds[i]);
    if (rc == 0 && r.close_after)
        rc = 1;
    free(r.data);

    /* Deferred work (a doorbell's job) runs once its write has been
     * answered, and before the next message: that is what makes its
     * results visible to whatever the client sends next. */
    if (td->deferred) {
        if (rc == 0) {
            rc = td_run_deferred(td);
            if (rc < 0 && rc != -EINTR)
                rc = 1;
        }
        td->deferred = false;
    }
    return rc;
}

int proto_serve(struct testdev *td, int fd)
{
    struct td_conn *c = &td->conn;
    size_t i;
    int rc;

    *c = (struct td_conn){
        .fd = fd,
        .peer_max_msg_fds = VFIO_USER_DEFAULT_MAX_MSG_FDS,
        .peer_max_data_xfer_size = VFIO_USER_DEFAULT_MAX_DATA_XFER_SIZE,
    };
    for (i = 0; i < TD_MAX_IOEVENTFDS; i++)
        c->iofd[i] = -1;
    rx_init(&c->rx, fd);
    rx_init(&c->twin_rx, -1);
    td->dma.limit = td->opt.max_dma_maps;

    do {
        rc = serve_one(td);
    } while (rc == 0);

    /* "Client Disconnection": the client's memory and interrupt fds go,
     * the device state stays. The test hooks belong to the connection that
     * armed them and must not surprise the next client. */
    queue_clear(c);
    rx_fini(&c->rx);
    if (c->twin_rx.fd >= 0)
        close(c->twin_rx.fd);
    rx_fini(&c->twin_rx);
    dma_release_all(&td->dma);
    irq_release_all(&td->irqs);
    iofd_release(c);
    /* As a VFIO device that is closed and opened again: the next client
     * finds it RUNNING, with no data session of ours. */
    mig_release(&td->mig);
    td->stall_ms = 0;
    td->vanish = false;
    td->deferred = false;
    if (td->pers->conn_lost)
        td->pers->conn_lost(td);
    c->fd = -1;
    return rc < 0 ? rc : 0;
}
