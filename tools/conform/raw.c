/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Raw connections: messages framed by hand, fds passed with SCM_RIGHTS,
 * replies read with a deadline. Nothing here judges the server; the checks
 * do, on exactly the bytes that came back.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "conform_int.h"

void cf_msg_init(struct cf_msg *m)
{
    memset(&m->hdr, 0, sizeof(m->hdr));
    m->data = NULL;
    m->len = 0;
    m->nfds = 0;
}

void cf_msg_free(struct cf_msg *m)
{
    for (unsigned i = 0; i < m->nfds; i++)
        close(m->fds[i]);
    free(m->data);
    cf_msg_init(m);
}

void cf_conn_close(struct cf_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int cf_send_bytes(struct cf_conn *c, const void *buf, size_t len,
                  const int *fds, unsigned nfds)
{
    union {
        char buf[CMSG_SPACE(CF_MAX_FDS * sizeof(int))];
        struct cmsghdr align;
    } ctrl;
    long long deadline = now_ms() + c->timeout_ms;
    const char *p = buf;

    if (nfds > CF_MAX_FDS)
        return -EINVAL;
    while (len > 0 || nfds > 0) {
        struct iovec iov = {.iov_base = (void *)p, .iov_len = len};
        struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
        ssize_t n;

        if (nfds) {
            struct cmsghdr *cm;

            memset(&ctrl, 0, sizeof(ctrl));
            mh.msg_control = ctrl.buf;
            mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
            cm = CMSG_FIRSTHDR(&mh);
            cm->cmsg_level = SOL_SOCKET;
            cm->cmsg_type = SCM_RIGHTS;
            cm->cmsg_len = CMSG_LEN(nfds * sizeof(int));
            memcpy(CMSG_DATA(cm), fds, nfds * sizeof(int));
        }
        n = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            struct pollfd pfd = {.fd = c->fd, .events = POLLOUT};
            long long left = deadline - now_ms();

            if (errno == EINTR)
                continue;
            if (errno != EAGAIN)
                return -errno;
            /* A server that stopped reading may be writing its answer. */
            if (left <= 0)
                return -ETIMEDOUT;
            poll(&pfd, 1, (int)left);
            continue;
        }
        nfds = 0;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int cf_send_msg(struct cf_conn *c, uint16_t id, uint16_t cmd, uint32_t flags,
                const void *payload, size_t len, const int *fds, unsigned nfds)
{
    uint8_t *buf;
    int rc;

    if (len > CF_MAX_MSG - VFIO_USER_HDR_SIZE)
        return -EMSGSIZE;
    buf = malloc(VFIO_USER_HDR_SIZE + len);
    if (!buf)
        return -ENOMEM;
    vuc_wire_put_header((struct vfio_user_header *)buf, id, cmd,
                        (uint32_t)(VFIO_USER_HDR_SIZE + len), flags, 0);
    if (len)
        memcpy(buf + VFIO_USER_HDR_SIZE, payload, len);
    rc = cf_send_bytes(c, buf, VFIO_USER_HDR_SIZE + len, fds, nfds);
    free(buf);
    return rc;
}

/* Read exactly len bytes before the deadline, collecting fds. */
static int read_full(struct cf_conn *c, void *buf, size_t len,
                     long long deadline, struct cf_msg *m)
{
    union {
        char buf[CMSG_SPACE(CF_MAX_FDS * sizeof(int))];
        struct cmsghdr align;
    } ctrl;
    char *p = buf;

    while (len > 0) {
        struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
        struct iovec iov = {.iov_base = p, .iov_len = len};
        struct msghdr mh = {
            .msg_iov = &iov,
            .msg_iovlen = 1,
            .msg_control = ctrl.buf,
            .msg_controllen = sizeof(ctrl.buf),
        };
        long long left = deadline - now_ms();
        ssize_t n;

        if (left < 0)
            return -ETIMEDOUT;
        n = poll(&pfd, 1, (int)left);
        if (n < 0 && errno != EINTR)
            return -errno;
        if (n <= 0)
            continue;
        n = recvmsg(c->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            return errno == ECONNRESET ? -ECONNRESET : -errno;
        }
        for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm;
             cm = CMSG_NXTHDR(&mh, cm)) {
            if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
                continue;
            size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (size_t i = 0; i < k; i++) {
                int fd;

                memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
                if (m->nfds < CF_MAX_FDS)
                    m->fds[m->nfds++] = fd;
                else
                    close(fd);
            }
        }
        if (n == 0)
            return -ECONNRESET;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int cf_recv(struct cf_conn *c, int timeout_ms, struct cf_msg *m)
{
    long long deadline = now_ms() + timeout_ms;
    int rc;

    cf_msg_init(m);
    rc = read_full(c, &m->hdr, sizeof(m->hdr), deadline, m);
    if (rc)
        goto fail;
    if (m->hdr.msg_size < VFIO_USER_HDR_SIZE || m->hdr.msg_size > CF_MAX_MSG) {
        rc = -EPROTO;
        goto fail;
    }
    m->len = m->hdr.msg_size - VFIO_USER_HDR_SIZE;
    if (m->len) {
        m->data = malloc(m->len);
        if (!m->data) {
            rc = -ENOMEM;
            goto fail;
        }
        rc = read_full(c, m->data, m->len, deadline, m);
        if (rc)
            goto fail;
    }
    return 0;
fail:
    cf_msg_free(m);
    return rc;
}

int cf_call(struct cf_t *t, struct cf_conn *c, uint16_t cmd, uint32_t flags,
            const void *payload, size_t len, const int *fds, unsigned nfds,
            struct cf_msg *m)
{
    uint16_t id = c->next_id++;
    int rc;

    cf_msg_init(m);
    rc = cf_send_msg(c, id, cmd, flags, payload, len, fds, nfds);
    if (rc) {
        /* The server may have answered before it read everything (or
         * instead), and perhaps closed: what it said is the answer. */
        int sent = rc;

        rc = cf_recv(c, 100, m);
        if (rc)
            return sent == -EPIPE ? -ECONNRESET : sent;
    } else {
        rc = cf_recv(c, t->timeout_ms, m);
        if (rc)
            return rc;
    }
    if (m->hdr.msg_id != id) {
        cf_fail(t, "sent %s with id %u; the reply that came has id %u (cmd %u)",
                vuc_wire_cmd_name(cmd), id, m->hdr.msg_id, m->hdr.cmd);
        cf_msg_free(m);
        return -EPROTO;
    }
    return 0;
}

const char *cf_io_text(int rc)
{
    static char buf[128];

    switch (rc) {
    case -ETIMEDOUT:
        return "no reply came in time";
    case -ECONNRESET:
    case -EPIPE:
        return "the server closed the connection";
    case -EPROTO:
        return "the reply's header was not a message (bad size or id)";
    default:
        snprintf(buf, sizeof(buf), "I/O error: %s", strerror(-rc));
        return buf;
    }
}

const char *cf_reply_text(const struct cf_msg *m)
{
    static char buf[160];

    if (cf_is_error(m))
        snprintf(buf, sizeof(buf), "an error reply (errno %u, %s)",
                 m->hdr.error_no,
                 m->hdr.error_no ? strerror((int)m->hdr.error_no) : "none");
    else
        snprintf(buf, sizeof(buf), "a success reply with %zu payload bytes%s",
                 m->len, m->nfds ? " and fds" : "");
    return buf;
}

bool cf_req(struct cf_t *t, uint16_t cmd, const void *payload, size_t len,
            const int *fds, unsigned nfds, struct cf_msg *m, const char *what)
{
    int rc = cf_call(t, &t->s->c, cmd, 0, payload, len, fds, nfds, m);

    if (rc == 0)
        return true;
    t->s->dead = true;
    cf_fail(t, "%s: %s", what, cf_io_text(rc));
    return false;
}

bool cf_req_ok(struct cf_t *t, uint16_t cmd, const void *payload, size_t len,
               const int *fds, unsigned nfds, struct cf_msg *m,
               const char *what)
{
    if (!cf_req(t, cmd, payload, len, fds, nfds, m, what))
        return false;
    if (!cf_is_error(m))
        return true;
    cf_fail(t, "%s: got %s", what, cf_reply_text(m));
    cf_msg_free(m);
    return false;
}

bool cf_req_refused(struct cf_t *t, uint16_t cmd, const void *payload,
                    size_t len, const int *fds, unsigned nfds, const char *what)
{
    struct cf_msg m;
    bool refused;

    if (!cf_req(t, cmd, payload, len, fds, nfds, &m, what))
        return false;
    refused = cf_is_error(&m);
    if (!refused)
        cf_fail(t, "%s: expected an error reply, got %s", what,
                cf_reply_text(&m));
    cf_msg_free(&m);
    return refused;
}
