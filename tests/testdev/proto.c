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
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testdev.h"

/* Large enough for any REGION_WRITE we may accept (payload header plus
 * max_data_xfer_size) and for a generous VERSION JSON; anything larger
 * cannot be a valid request. */
#define TD_FRAME_FLOOR (16u * 1024u * 1024u)

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

void td_note(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(note, sizeof(note), fmt, ap);
    va_end(ap);
}

const char *td_cmd_name(uint16_t cmd)
{
    static const char *const names[] = {
        [VFIO_USER_VERSION] = "VERSION",
        [VFIO_USER_DMA_MAP] = "DMA_MAP",
        [VFIO_USER_DMA_UNMAP] = "DMA_UNMAP",
        [VFIO_USER_DEVICE_GET_INFO] = "DEVICE_GET_INFO",
        [VFIO_USER_DEVICE_GET_REGION_INFO] = "DEVICE_GET_REGION_INFO",
        [VFIO_USER_DEVICE_GET_REGION_IO_FDS] = "DEVICE_GET_REGION_IO_FDS",
        [VFIO_USER_DEVICE_GET_IRQ_INFO] = "DEVICE_GET_IRQ_INFO",
        [VFIO_USER_DEVICE_SET_IRQS] = "DEVICE_SET_IRQS",
        [VFIO_USER_REGION_READ] = "REGION_READ",
        [VFIO_USER_REGION_WRITE] = "REGION_WRITE",
        [VFIO_USER_DMA_READ] = "DMA_READ",
        [VFIO_USER_DMA_WRITE] = "DMA_WRITE",
        [VFIO_USER_DEVICE_RESET] = "DEVICE_RESET",
        [VFIO_USER_DIRTY_PAGES] = "DIRTY_PAGES",
        [VFIO_USER_REGION_WRITE_MULTI] = "REGION_WRITE_MULTI",
        [VFIO_USER_DEVICE_FEATURE] = "DEVICE_FEATURE",
        [VFIO_USER_MIG_DATA_READ] = "MIG_DATA_READ",
        [VFIO_USER_MIG_DATA_WRITE] = "MIG_DATA_WRITE",
    };

    if (cmd < sizeof(names) / sizeof(names[0]) && names[cmd])
        return names[cmd];
    return "unknown command";
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

static void collect_fds(struct td_msg *m, const struct msghdr *mh,
                        bool *fds_lost)
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
                *fds_lost = true;
            }
        }
    }
    if (mh->msg_flags & MSG_CTRUNC)
        *fds_lost = true;
}

/*
 * Read exactly @p len bytes, collecting fds from every piece (a client may
 * split a message over several sendmsg() calls).
 * @return len, 0 on EOF before the first byte, -ECONNRESET on EOF inside,
 * -EINTR on stop, or another negative errno.
 */
static ssize_t recv_full(int fd, void *buf, size_t len, struct td_msg *m,
                         bool *fds_lost)
{
    union {
        char buf[CMSG_SPACE(TD_FDS_CAP * sizeof(int))];
        struct cmsghdr align;
    } ctrl;
    size_t got = 0;

    while (got < len) {
        struct iovec iov = {.iov_base = (char *)buf + got,
                            .iov_len = len - got};
        struct msghdr mh = {
            .msg_iov = &iov,
            .msg_iovlen = 1,
            .msg_control = ctrl.buf,
            .msg_controllen = sizeof(ctrl.buf),
        };
        ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

        if (n > 0) {
            collect_fds(m, &mh, fds_lost);
            got += (size_t)n;
        } else if (n == 0) {
            return got ? -ECONNRESET : 0;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            int rc = td_wait_fd(fd, POLLIN);

            if (rc < 0)
                return rc;
        } else if (errno != EINTR) {
            return -errno;
        }
    }
    return (ssize_t)got;
}

static void close_msg_fds(struct td_msg *m)
{
    size_t i;

    for (i = 0; i < m->nfds; i++) {
        if (m->fds[i] >= 0)
            close(m->fds[i]);
        m->fds[i] = -1;
    }
    m->nfds = 0;
}

/* ---- Sending ------------------------------------------------------------- */

/*
 * Header, payload and fd go out in one sendmsg() so the fd is attached to
 * the reply's first byte. Only if the socket buffer is too small for the
 * whole reply does the rest follow in further calls, without the fd.
 */
static int send_reply(int fd, const struct vfio_user_header *req, int err,
                      const struct td_reply *r)
{
    union {
        char buf[CMSG_SPACE(sizeof(int))];
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
    int send_fd = err ? -1 : r->fd;

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
    if (send_fd >= 0) {
        struct cmsghdr *cmsg;

        memset(&ctrl, 0, sizeof(ctrl));
        mh.msg_control = ctrl.buf;
        mh.msg_controllen = sizeof(ctrl.buf);
        cmsg = CMSG_FIRSTHDR(&mh);
        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cmsg), &send_fd, sizeof(int));
    }

    while (mh.msg_iovlen > 0) {
        ssize_t n = sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);

        if (n < 0) {
            int rc;

            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                return -errno;
            rc = td_wait_fd(fd, POLLOUT);
            if (rc < 0)
                return rc;
            continue;
        }
        mh.msg_control = NULL;
        mh.msg_controllen = 0;
        while (mh.msg_iovlen > 0 && (size_t)n >= mh.msg_iov[0].iov_len) {
            n -= (ssize_t)mh.msg_iov[0].iov_len;
            mh.msg_iov++;
            mh.msg_iovlen--;
        }
        if (mh.msg_iovlen > 0) {
            mh.msg_iov[0].iov_base = (char *)mh.msg_iov[0].iov_base + n;
            mh.msg_iov[0].iov_len -= (size_t)n;
        }
    }
    return 0;
}

/* ---- Dispatch ------------------------------------------------------------ */

struct cmd_desc {
    td_handler *handler;
    bool takes_fds;
};

/* Commands with no handler (IO_FDS, the server-to-client DMA_READ/WRITE,
 * WRITE_MULTI, DEVICE_FEATURE, migration, dirty pages) get ENOSYS: this
 * device does not implement them. */
static const struct cmd_desc commands[VFIO_USER_MAX_COMMAND] = {
    [VFIO_USER_VERSION] = {handle_version, false},
    [VFIO_USER_DMA_MAP] = {handle_dma_map, true},
    [VFIO_USER_DMA_UNMAP] = {handle_dma_unmap, false},
    [VFIO_USER_DEVICE_GET_INFO] = {handle_device_get_info, false},
    [VFIO_USER_DEVICE_GET_REGION_INFO] = {handle_region_info, false},
    [VFIO_USER_DEVICE_GET_IRQ_INFO] = {handle_irq_info, false},
    [VFIO_USER_DEVICE_SET_IRQS] = {handle_set_irqs, true},
    [VFIO_USER_REGION_READ] = {handle_region_read, false},
    [VFIO_USER_REGION_WRITE] = {handle_region_write, false},
    [VFIO_USER_DEVICE_RESET] = {handle_device_reset, false},
};

static int dispatch(struct testdev *td, struct td_msg *m, struct td_reply *r,
                    bool fds_lost)
{
    uint32_t type = m->hdr.flags & VFIO_USER_F_TYPE_MASK;
    uint16_t cmd = m->hdr.cmd;
    const struct cmd_desc *desc;

    if (type == VFIO_USER_F_TYPE_REPLY) {
        /* We never send requests yet, so no reply can be expected; answering
         * it could match one of the client's own pending ids. */
        td_log("ignoring an unsolicited reply (id %u, %s) from the client",
               m->hdr.msg_id, td_cmd_name(cmd));
        r->silent = true;
        return 0;
    }
    if (type != VFIO_USER_F_TYPE_COMMAND)
        return td_fail(EINVAL, "message type %u is neither command nor reply",
                       type);
    if (m->hdr.flags & ~(VFIO_USER_F_TYPE_MASK | VFIO_USER_F_NO_REPLY))
        return td_fail(EINVAL, "invalid flags 0x%x in a command", m->hdr.flags);
    if (fds_lost)
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

static uint32_t frame_max(const struct testdev *td)
{
    uint32_t data = td->opt.max_data_xfer_size > TD_FRAME_FLOOR
                        ? td->opt.max_data_xfer_size
                        : TD_FRAME_FLOOR;

    return VFIO_USER_HDR_SIZE + sizeof(struct vfio_user_region_access) + data;
}

static void log_result(const struct td_msg *m, int err,
                       const struct td_reply *r)
{
    const char *name = td_cmd_name(m->hdr.cmd);
    const char *noreply =
        (m->hdr.flags & VFIO_USER_F_NO_REPLY) ? ", no reply wanted" : "";

    if (err) {
        td_log("id %u %s (%zu bytes, %zu fds): error %d (%s): %s%s",
               m->hdr.msg_id, name, m->len, m->nfds, err, strerror(err),
               fail_reason, noreply);
    } else if (!r->silent) {
        td_debug("id %u %s (%zu bytes, %zu fds): ok, %zu bytes%s%s%s%s%s",
                 m->hdr.msg_id, name, m->len, m->nfds, r->len,
                 r->fd >= 0 ? " + fd" : "", noreply,
                 r->vanish ? ", vanishing without a reply" : "",
                 note[0] ? ": " : "", note);
    }
}

/* @return 0 for the next message, 1 to end the connection, -EINTR on stop. */
static int serve_one(struct testdev *td)
{
    static struct td_msg m; /* 1 KiB of fd slots; one message at a time */
    struct td_reply r = {.fd = -1};
    bool fds_lost = false;
    int fd = td->conn.fd;
    ssize_t n;
    int err, rc = 0;

    m = (struct td_msg){.nfds = 0};
    n = recv_full(fd, &m.hdr, sizeof(m.hdr), &m, &fds_lost);
    if (n <= 0) {
        close_msg_fds(&m);
        if (n == -EINTR)
            return -EINTR;
        /* A reset between messages is just an abrupt disconnection. */
        if (n < 0 && n != -ECONNRESET)
            td_log("receive: %s", strerror((int)-n));
        return 1;
    }
    if (m.hdr.msg_size < VFIO_USER_HDR_SIZE || m.hdr.msg_size > frame_max(td)) {
        /* Without a trustworthy size there is no next message to find. */
        td_log("id %u %s: msg_size %u is outside [%u, %u]; dropping the "
               "client",
               m.hdr.msg_id, td_cmd_name(m.hdr.cmd), m.hdr.msg_size,
               VFIO_USER_HDR_SIZE, frame_max(td));
        close_msg_fds(&m);
        return 1;
    }
    m.len = m.hdr.msg_size - VFIO_USER_HDR_SIZE;
    if (m.len) {
        m.data = malloc(m.len);
        if (!m.data) {
            td_log("id %u: no memory for a %zu-byte message; dropping the "
                   "client",
                   m.hdr.msg_id, m.len);
            close_msg_fds(&m);
            return 1;
        }
        n = recv_full(fd, m.data, m.len, &m, &fds_lost);
        if (n <= 0) {
            if (n != -EINTR)
                td_log("id %u %s: client left in the middle of the message",
                       m.hdr.msg_id, td_cmd_name(m.hdr.cmd));
            free(m.data);
            close_msg_fds(&m);
            return n == -EINTR ? -EINTR : 1;
        }
    }

    if (td->dev.stall_ms) {
        unsigned int ms = td->dev.stall_ms;

        td->dev.stall_ms = 0;
        td_debug("stalling %u ms before handling id %u", ms, m.hdr.msg_id);
        /* A client that gave up and left must not keep the next one
         * waiting for the rest of the stall. */
        rc = td_sleep_ms(ms, fd);
        if (rc != 0) {
            if (rc > 0)
                td_debug("client left during the stall; id %u dropped",
                         m.hdr.msg_id);
            free(m.data);
            close_msg_fds(&m);
            return rc < 0 ? rc : 1;
        }
    }

    fail_reason[0] = '\0';
    note[0] = '\0';
    err = dispatch(td, &m, &r, fds_lost);
    log_result(&m, err, &r);
    close_msg_fds(&m);
    free(m.data);
    m.data = NULL;

    if (r.vanish) {
        rc = 1;
    } else if (!r.silent && !(m.hdr.flags & VFIO_USER_F_NO_REPLY)) {
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
    if (rc == 0 && r.close_after)
        rc = 1;
    free(r.data);
    return rc;
}

int proto_serve(struct testdev *td, int fd)
{
    int rc;

    td->conn = (struct td_conn){
        .fd = fd,
        .peer_max_msg_fds = VFIO_USER_DEFAULT_MAX_MSG_FDS,
        .peer_max_data_xfer_size = VFIO_USER_DEFAULT_MAX_DATA_XFER_SIZE,
    };
    td->dma.limit = td->opt.max_dma_maps;

    do {
        rc = serve_one(td);
    } while (rc == 0);

    /* "Client Disconnection": the client's memory and interrupt fds go,
     * the device state stays. The test hooks belong to the connection that
     * armed them and must not surprise the next client. */
    dma_release_all(&td->dma);
    irq_release_all(&td->irqs);
    td->dev.stall_ms = 0;
    td->dev.crash = false;
    td->conn.fd = -1;
    return rc < 0 ? rc : 0;
}
