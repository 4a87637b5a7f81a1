/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The blocking baseline client (see bench_wire.h). It is deliberately the
 * shortest path a message can take: one sendmsg per request straight from
 * the caller's buffers, and replies read into a small buffer, or, for the
 * data part of a large reply, directly into the caller's buffer. Anything
 * it does not need to stay in step with the stream it leaves unchecked;
 * what it does read from the server (sizes, counts, addresses) is checked
 * before it is used, as everywhere else.
 *
 * It is one file of some 850 lines because it is one client: every request
 * below goes through the static sending and receiving core at its top,
 * which splitting the file would turn into an interface of its own.
 */
#include "bench_wire.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include <vuc/protocol.h>

/* The receive buffer: headers and small replies; larger data goes to its
 * destination directly. */
#define BW_RBUF_SIZE (64u * 1024u)
/* What we propose as max_data_xfer_size: bounds DMA requests we serve. */
#define BW_XFER (1024u * 1024u)
/* Largest VERSION reply payload accepted. */
#define BW_MAX_VERSION 65536u

/* What libvuc proposes too, where it changes what the server does. */
static const char bw_version_json[] =
    "{\"capabilities\":{\"max_msg_fds\":1,\"max_data_xfer_size\":1048576,"
    "\"write_multiple\":true}}";

static int bw_fail(struct bw *b, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int bw_fail(struct bw *b, int rc, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(b->err, sizeof(b->err), fmt, ap);
    va_end(ap);
    return rc;
}

/* ---- Sending ------------------------------------------------------------ */

/* One message: header, then up to two payload pieces, optionally one fd on
 * its first byte. Blocking; a partial send (signal) carries on. */
static int bw_send(struct bw *b, uint16_t id, uint16_t cmd, uint32_t flags,
                   uint32_t error_no, const void *p1, size_t l1, const void *p2,
                   size_t l2, int fd)
{
    struct vfio_user_header h = {
        .msg_id = id,
        .cmd = cmd,
        .msg_size = (uint32_t)(VFIO_USER_HDR_SIZE + l1 + l2),
        .flags = flags,
        .error_no = error_no,
    };
    struct iovec iov[3] = {
        {&h, sizeof(h)},
        {(void *)p1, l1},
        {(void *)p2, l2},
    };
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int))];
    } cbuf;
    struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 3};
    size_t left = VFIO_USER_HDR_SIZE + l1 + l2;

    if (l1 + l2 > UINT32_MAX - VFIO_USER_HDR_SIZE)
        return bw_fail(b, -EINVAL, "message too large");
    if (fd >= 0) {
        struct cmsghdr *c;

        memset(&cbuf, 0, sizeof(cbuf));
        mh.msg_control = cbuf.buf;
        mh.msg_controllen = sizeof(cbuf.buf);
        c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
    }
    while (left > 0) {
        ssize_t n = sendmsg(b->fd, &mh, MSG_NOSIGNAL);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return bw_fail(b, -ETIMEDOUT,
                               "the server stopped reading (send timed out)");
            return bw_fail(b, -errno, "sending to the server: %s",
                           strerror(errno));
        }
        left -= (size_t)n;
        /* The fd went with the first byte. */
        mh.msg_control = NULL;
        mh.msg_controllen = 0;
        while (n > 0 && mh.msg_iovlen > 0) {
            if ((size_t)n >= mh.msg_iov->iov_len) {
                n -= (ssize_t)mh.msg_iov->iov_len;
                mh.msg_iov++;
                mh.msg_iovlen--;
            } else {
                mh.msg_iov->iov_base = (uint8_t *)mh.msg_iov->iov_base + n;
                mh.msg_iov->iov_len -= (size_t)n;
                n = 0;
            }
        }
    }
    return 0;
}

/* ---- Receiving ---------------------------------------------------------- */

/* One recvmsg; fds that come with it are closed, since the baseline never
 * asks for any. */
static ssize_t bw_recv_some(struct bw *b, void *dst, size_t len)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * 16)];
    } cbuf;

    for (;;) {
        struct iovec iov = {dst, len};
        struct msghdr mh = {
            .msg_iov = &iov,
            .msg_iovlen = 1,
            .msg_control = cbuf.buf,
            .msg_controllen = sizeof(cbuf.buf),
        };
        ssize_t n = recvmsg(b->fd, &mh, MSG_CMSG_CLOEXEC);

        if (n < 0 && errno == EINTR)
            continue;
        if (n >= 0) {
            for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL;
                 c = CMSG_NXTHDR(&mh, c)) {
                if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                    continue;
                size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                for (size_t i = 0; i < k; i++) {
                    int f;

                    memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                    close(f);
                }
            }
        }
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return bw_fail(b, -ETIMEDOUT,
                               "the server did not answer in "
                               "time");
            return bw_fail(b, -errno, "receiving from the server: %s",
                           strerror(errno));
        }
        if (n == 0)
            return bw_fail(b, -ECONNRESET, "the server closed the connection");
        return n;
    }
}

/* Have at least need (<= rcap) unread bytes in rbuf. */
static int bw_fill(struct bw *b, size_t need)
{
    if (b->rtail - b->rhead >= need)
        return 0;
    if (b->rcap - b->rhead < need) {
        memmove(b->rbuf, b->rbuf + b->rhead, b->rtail - b->rhead);
        b->rtail -= b->rhead;
        b->rhead = 0;
    }
    while (b->rtail - b->rhead < need) {
        ssize_t n = bw_recv_some(b, b->rbuf + b->rtail, b->rcap - b->rtail);

        if (n < 0)
            return (int)n;
        b->rtail += (size_t)n;
    }
    return 0;
}

/* The next len bytes of the stream into dst: what is buffered, then the
 * rest straight from the socket, so large data is copied only once. */
static int bw_take(struct bw *b, void *dst, size_t len)
{
    uint8_t *d = dst;
    size_t have = b->rtail - b->rhead;

    if (have > len)
        have = len;
    memcpy(d, b->rbuf + b->rhead, have);
    b->rhead += have;
    d += have;
    len -= have;
    if (b->rhead == b->rtail)
        b->rhead = b->rtail = 0;
    while (len > 0) {
        ssize_t n = bw_recv_some(b, d, len);

        if (n < 0)
            return (int)n;
        d += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Drop the next len bytes of the stream. */
static int bw_skip(struct bw *b, size_t len)
{
    while (len > 0) {
        size_t have = b->rtail - b->rhead;

        if (have == 0) {
            int rc = bw_fill(b, 1);
            if (rc < 0)
                return rc;
            continue;
        }
        if (have > len)
            have = len;
        b->rhead += have;
        len -= have;
    }
    if (b->rhead == b->rtail)
        b->rhead = b->rtail = 0;
    return 0;
}

static struct bw_area *bw_find(struct bw *b, uint64_t addr, uint64_t count)
{
    for (unsigned i = 0; i < b->nareas; i++) {
        struct bw_area *a = &b->areas[i];

        if (addr >= a->iova && count <= a->size &&
            addr - a->iova <= a->size - count)
            return a;
    }
    return NULL;
}

/* A request from the server (DMA_READ/DMA_WRITE) whose header was read;
 * its payload is next in the stream. */
static int bw_serve(struct bw *b, const struct vfio_user_header *h)
{
    size_t len = h->msg_size - VFIO_USER_HDR_SIZE;
    bool reply = !(h->flags & VFIO_USER_F_NO_REPLY);
    uint32_t rflags = VFIO_USER_F_TYPE_REPLY;
    struct vfio_user_dma_access acc;
    struct bw_area *a;
    int rc;

    if (h->cmd != VFIO_USER_DMA_READ && h->cmd != VFIO_USER_DMA_WRITE) {
        rc = bw_skip(b, len);
        if (rc == 0 && reply)
            rc = bw_send(b, h->msg_id, h->cmd, rflags | VFIO_USER_F_ERROR,
                         ENOSYS, NULL, 0, NULL, 0, -1);
        return rc;
    }
    if (len < sizeof(acc))
        return bw_fail(b, -EPROTO, "server DMA request of %zu bytes", len);
    rc = bw_take(b, &acc, sizeof(acc));
    if (rc < 0)
        return rc;
    len -= sizeof(acc);
    a = acc.count <= BW_XFER ? bw_find(b, acc.address, acc.count) : NULL;
    if (h->cmd == VFIO_USER_DMA_WRITE) {
        if (a == NULL || len != acc.count) {
            rc = bw_skip(b, len);
            if (rc == 0 && reply)
                rc = bw_send(b, h->msg_id, h->cmd, rflags | VFIO_USER_F_ERROR,
                             a == NULL ? EFAULT : EINVAL, NULL, 0, NULL, 0, -1);
            return rc;
        }
        rc = bw_take(b, a->mem + (acc.address - a->iova), len);
        if (rc == 0 && reply)
            rc = bw_send(b, h->msg_id, h->cmd, rflags, 0, &acc, sizeof(acc),
                         NULL, 0, -1);
    } else {
        if (a == NULL || len != 0) {
            rc = bw_skip(b, len);
            if (rc == 0 && reply)
                rc = bw_send(b, h->msg_id, h->cmd, rflags | VFIO_USER_F_ERROR,
                             a == NULL ? EFAULT : EINVAL, NULL, 0, NULL, 0, -1);
            return rc;
        }
        if (reply)
            rc = bw_send(b, h->msg_id, h->cmd, rflags, 0, &acc, sizeof(acc),
                         a->mem + (acc.address - a->iova), acc.count, -1);
    }
    b->dma_served++;
    return rc;
}

/*
 * Wait for the reply to (id, cmd), serving server requests meanwhile. On
 * success the reply's payload (*len bytes) is next in the stream; an error
 * reply is consumed and returned as its negative errno.
 */
static int bw_wait_reply(struct bw *b, uint16_t id, uint16_t cmd, size_t *len)
{
    struct vfio_user_header h;
    int rc;

    for (;;) {
        rc = bw_fill(b, sizeof(h));
        if (rc < 0)
            return rc;
        memcpy(&h, b->rbuf + b->rhead, sizeof(h));
        b->rhead += sizeof(h);
        if (h.msg_size < VFIO_USER_HDR_SIZE)
            return bw_fail(b, -EPROTO, "message size %u is below the header",
                           h.msg_size);
        *len = h.msg_size - VFIO_USER_HDR_SIZE;
        if ((h.flags & VFIO_USER_F_TYPE_MASK) != VFIO_USER_F_TYPE_REPLY) {
            rc = bw_serve(b, &h);
        } else if (h.msg_id != id && (h.flags & VFIO_USER_F_ERROR)) {
            /* A server may answer a failed No_reply message; a later
             * reply still tells whether ours was processed. */
            rc = bw_skip(b, *len);
            b->posted_errors++;
        } else {
            break;
        }
        if (rc < 0)
            return rc;
    }
    if (h.msg_id != id || h.cmd != cmd)
        return bw_fail(b, -EPROTO,
                       "out of step: got reply id %u command %u, expected "
                       "id %u command %u",
                       h.msg_id, h.cmd, id, cmd);
    if (h.flags & VFIO_USER_F_ERROR) {
        rc = bw_skip(b, *len);
        if (rc < 0)
            return rc;
        int e = h.error_no ? (int)h.error_no : EIO;
        return bw_fail(b, -e, "the server failed command %u: %s (errno %u)",
                       cmd, strerror(e), h.error_no);
    }
    return 0;
}

/* A reply whose payload we do not need. */
static int bw_wait_skip(struct bw *b, uint16_t id, uint16_t cmd)
{
    size_t len;
    int rc = bw_wait_reply(b, id, cmd, &len);

    return rc < 0 ? rc : bw_skip(b, len);
}

/* ---- Connection ---------------------------------------------------------- */

static int bw_parse_version(struct bw *b, const uint8_t *p, size_t len)
{
    json_error_t jerr;
    json_t *root, *v;

    b->server_max_xfer = VFIO_USER_DEFAULT_MAX_DATA_XFER_SIZE;
    if (len <= sizeof(struct vfio_user_version))
        return 0;
    p += sizeof(struct vfio_user_version);
    len -= sizeof(struct vfio_user_version);
    if (p[len - 1] != '\0')
        return bw_fail(b, -EPROTO, "VERSION reply JSON is not NUL-terminated");
    b->server_json = strdup((const char *)p);
    if (b->server_json == NULL)
        return bw_fail(b, -ENOMEM, "out of memory");
    root = json_loads(b->server_json, 0, &jerr);
    if (root == NULL)
        return bw_fail(b, -EPROTO, "VERSION reply JSON: %s", jerr.text);
    b->write_multiple = json_is_true(json_object_get(
        json_object_get(root, "capabilities"), "write_multiple"));
    v = json_object_get(json_object_get(root, "capabilities"),
                        "max_data_xfer_size");
    if (json_is_integer(v)) {
        json_int_t x = json_integer_value(v);
        if (x < 1 || x > UINT32_MAX) {
            json_decref(root);
            return bw_fail(
                b, -EPROTO,
                "VERSION reply: max_data_xfer_size %" JSON_INTEGER_FORMAT
                " is out of range",
                x);
        }
        b->server_max_xfer = (uint32_t)x;
    }
    json_decref(root);
    return 0;
}

int bw_connect(struct bw *b, const char *path, int timeout_ms)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    uint8_t req[sizeof(struct vfio_user_version) + sizeof(bw_version_json)];
    struct vfio_user_version v = {0, 0};
    uint8_t *payload = NULL;
    size_t len;
    int rc;

    memset(b, 0, sizeof(*b));
    b->fd = -1;
    if (strlen(path) >= sizeof(addr.sun_path))
        return bw_fail(b, -ENAMETOOLONG, "socket path '%s' is too long", path);
    strcpy(addr.sun_path, path);
    b->rbuf = malloc(BW_RBUF_SIZE);
    if (b->rbuf == NULL)
        return bw_fail(b, -ENOMEM, "out of memory");
    b->rcap = BW_RBUF_SIZE;
    b->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (b->fd < 0)
        return bw_fail(b, -errno, "socket: %s", strerror(errno));
    /* Bounded waits: a server that stops answering fails the run instead
     * of hanging it. The send timeout also bounds connect(). */
    setsockopt(b->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(b->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (connect(b->fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
        return bw_fail(b, -errno, "connect '%s': %s", path, strerror(errno));

    memcpy(req, &v, sizeof(v));
    memcpy(req + sizeof(v), bw_version_json, sizeof(bw_version_json));
    rc = bw_send(b, b->next_id, VFIO_USER_VERSION, VFIO_USER_F_TYPE_COMMAND, 0,
                 req, sizeof(req), NULL, 0, -1);
    if (rc < 0)
        return rc;
    rc = bw_wait_reply(b, b->next_id++, VFIO_USER_VERSION, &len);
    if (rc < 0)
        return rc;
    if (len < sizeof(v) || len > BW_MAX_VERSION)
        return bw_fail(b, -EPROTO, "VERSION reply of %zu bytes", len);
    payload = malloc(len);
    if (payload == NULL)
        return bw_fail(b, -ENOMEM, "out of memory");
    rc = bw_take(b, payload, len);
    if (rc == 0)
        rc = bw_parse_version(b, payload, len);
    free(payload);
    b->xfer = b->server_max_xfer < BW_XFER ? b->server_max_xfer : BW_XFER;
    return rc;
}

void bw_close(struct bw *b)
{
    if (b->fd >= 0)
        close(b->fd);
    b->fd = -1;
    free(b->rbuf);
    b->rbuf = NULL;
    free(b->server_json);
    b->server_json = NULL;
}

/* ---- Region I/O --------------------------------------------------------- */

int bw_read_send(struct bw *b, uint32_t region, uint64_t offset, uint32_t count,
                 uint16_t *id)
{
    struct vfio_user_region_access a = {offset, region, count};

    *id = b->next_id++;
    return bw_send(b, *id, VFIO_USER_REGION_READ, VFIO_USER_F_TYPE_COMMAND, 0,
                   &a, sizeof(a), NULL, 0, -1);
}

int bw_read_recv(struct bw *b, uint16_t id, void *buf, uint32_t count)
{
    struct vfio_user_region_access a;
    size_t len;
    int rc = bw_wait_reply(b, id, VFIO_USER_REGION_READ, &len);

    if (rc < 0)
        return rc;
    if (len != sizeof(a) + (size_t)count)
        return bw_fail(b, -EPROTO,
                       "REGION_READ reply of %zu bytes, expected %zu", len,
                       sizeof(a) + (size_t)count);
    rc = bw_take(b, &a, sizeof(a));
    return rc < 0 ? rc : bw_take(b, buf, count);
}

int bw_write_send(struct bw *b, uint32_t region, uint64_t offset,
                  const void *buf, uint32_t count, uint16_t *id)
{
    struct vfio_user_region_access a = {offset, region, count};

    *id = b->next_id++;
    return bw_send(b, *id, VFIO_USER_REGION_WRITE, VFIO_USER_F_TYPE_COMMAND, 0,
                   &a, sizeof(a), buf, count, -1);
}

int bw_write_recv(struct bw *b, uint16_t id)
{
    return bw_wait_skip(b, id, VFIO_USER_REGION_WRITE);
}

int bw_region_read(struct bw *b, uint32_t region, uint64_t offset, void *buf,
                   size_t len)
{
    uint8_t *p = buf;

    while (len > 0) {
        uint32_t n =
            len > b->server_max_xfer ? b->server_max_xfer : (uint32_t)len;
        uint16_t id;
        int rc = bw_read_send(b, region, offset, n, &id);

        if (rc == 0)
            rc = bw_read_recv(b, id, p, n);
        if (rc < 0)
            return rc;
        p += n;
        offset += n;
        len -= n;
    }
    return 0;
}

int bw_region_write(struct bw *b, uint32_t region, uint64_t offset,
                    const void *buf, size_t len)
{
    const uint8_t *p = buf;

    while (len > 0) {
        uint32_t n =
            len > b->server_max_xfer ? b->server_max_xfer : (uint32_t)len;
        uint16_t id;
        int rc = bw_write_send(b, region, offset, p, n, &id);

        if (rc == 0)
            rc = bw_write_recv(b, id);
        if (rc < 0)
            return rc;
        p += n;
        offset += n;
        len -= n;
    }
    return 0;
}

int bw_write_post(struct bw *b, uint32_t region, uint64_t offset,
                  const void *buf, uint32_t count)
{
    struct vfio_user_region_access a = {offset, region, count};

    return bw_send(b, b->next_id++, VFIO_USER_REGION_WRITE,
                   VFIO_USER_F_TYPE_COMMAND | VFIO_USER_F_NO_REPLY, 0, &a,
                   sizeof(a), buf, count, -1);
}

int bw_region_write_posted(struct bw *b, uint32_t region, uint64_t offset,
                           const void *buf, size_t len)
{
    const uint8_t *p = buf;

    while (len > 0) {
        uint32_t n =
            len > b->server_max_xfer ? b->server_max_xfer : (uint32_t)len;
        int rc = bw_write_post(b, region, offset, p, n);

        if (rc < 0)
            return rc;
        p += n;
        offset += n;
        len -= n;
    }
    return 0;
}

int bw_write_multi_post(struct bw *b,
                        const struct vfio_user_write_multi_entry *e, unsigned n)
{
    struct vfio_user_write_multi h = {n};

    if (n == 0 || n > VFIO_USER_MULTI_MAX)
        return bw_fail(b, -EINVAL, "REGION_WRITE_MULTI of %u entries", n);
    return bw_send(b, b->next_id++, VFIO_USER_REGION_WRITE_MULTI,
                   VFIO_USER_F_TYPE_COMMAND | VFIO_USER_F_NO_REPLY, 0, &h,
                   sizeof(h), e, n * sizeof(*e), -1);
}

int bw_confirm(struct bw *b, bool config)
{
    struct vfio_user_device_info info = {.argsz = sizeof(info)};
    uint16_t id, v;
    int rc;

    if (config)
        return bw_region_read(b, VFIO_USER_PCI_CONFIG_REGION_INDEX, 0, &v,
                              sizeof(v));
    id = b->next_id++;
    rc = bw_send(b, id, VFIO_USER_DEVICE_GET_INFO, VFIO_USER_F_TYPE_COMMAND, 0,
                 &info, sizeof(info), NULL, 0, -1);
    return rc < 0 ? rc : bw_wait_skip(b, id, VFIO_USER_DEVICE_GET_INFO);
}

/* ---- DMA and interrupts -------------------------------------------------- */

int bw_dma_map(struct bw *b, int fd, uint64_t iova, uint64_t size,
               uint32_t flags)
{
    struct vfio_user_dma_map m = {
        .argsz = sizeof(m),
        .flags = flags,
        .offset = 0,
        .address = iova,
        .size = size,
    };
    uint16_t id = b->next_id++;
    int rc = bw_send(b, id, VFIO_USER_DMA_MAP, VFIO_USER_F_TYPE_COMMAND, 0, &m,
                     sizeof(m), NULL, 0, fd);

    return rc < 0 ? rc : bw_wait_skip(b, id, VFIO_USER_DMA_MAP);
}

int bw_dma_unmap(struct bw *b, uint64_t iova, uint64_t size)
{
    struct vfio_user_dma_unmap u = {
        .argsz = sizeof(u),
        .flags = 0,
        .address = iova,
        .size = size,
    };
    uint16_t id = b->next_id++;
    int rc = bw_send(b, id, VFIO_USER_DMA_UNMAP, VFIO_USER_F_TYPE_COMMAND, 0,
                     &u, sizeof(u), NULL, 0, -1);

    return rc < 0 ? rc : bw_wait_skip(b, id, VFIO_USER_DMA_UNMAP);
}

int bw_add_area(struct bw *b, uint64_t iova, void *mem, uint64_t size)
{
    if (b->nareas == BW_MAX_AREAS)
        return bw_fail(b, -ENOSPC, "too many DMA areas");
    b->areas[b->nareas++] = (struct bw_area){iova, mem, size};
    return 0;
}

int bw_irq_set_eventfd(struct bw *b, uint32_t index, uint32_t vector, int efd)
{
    struct vfio_user_irq_set s = {
        .argsz = sizeof(s),
        .flags =
            VFIO_USER_IRQ_SET_DATA_EVENTFD | VFIO_USER_IRQ_SET_ACTION_TRIGGER,
        .index = index,
        .start = vector,
        .count = 1,
    };
    uint16_t id = b->next_id++;
    int rc = bw_send(b, id, VFIO_USER_DEVICE_SET_IRQS, VFIO_USER_F_TYPE_COMMAND,
                     0, &s, sizeof(s), NULL, 0, efd);

    return rc < 0 ? rc : bw_wait_skip(b, id, VFIO_USER_DEVICE_SET_IRQS);
}

/* ---- Device features: dirty page logging and migration ------------------- */

/* A DEVICE_FEATURE request: {argsz, flags} and data. */
static int bw_feature_send(struct bw *b, uint32_t flags, uint32_t argsz,
                           const void *data, size_t len, uint16_t *id)
{
    struct vfio_user_device_feature f = {.argsz = argsz, .flags = flags};

    *id = b->next_id++;
    return bw_send(b, *id, VFIO_USER_DEVICE_FEATURE, VFIO_USER_F_TYPE_COMMAND,
                   0, &f, sizeof(f), data, len, -1);
}

/* A SET's reply (the request echoed, or whatever the server sends) is
 * not needed; a GET's data must be exactly outlen bytes after the head. */
static int bw_feature(struct bw *b, uint32_t flags, uint32_t argsz,
                      const void *data, size_t len, void *out, size_t outlen)
{
    struct vfio_user_device_feature f;
    size_t rlen;
    uint16_t id;
    int rc = bw_feature_send(b, flags, argsz, data, len, &id);

    if (rc < 0)
        return rc;
    if (out == NULL)
        return bw_wait_skip(b, id, VFIO_USER_DEVICE_FEATURE);
    rc = bw_wait_reply(b, id, VFIO_USER_DEVICE_FEATURE, &rlen);
    if (rc < 0)
        return rc;
    if (rlen != sizeof(f) + outlen) {
        rc = bw_skip(b, rlen);
        return rc < 0 ? rc
                      : bw_fail(b, -EPROTO,
                                "DEVICE_FEATURE 0x%x reply of %zu bytes, "
                                "expected %zu",
                                flags, rlen, sizeof(f) + outlen);
    }
    rc = bw_take(b, &f, sizeof(f));
    return rc < 0 ? rc : bw_take(b, out, outlen);
}

int bw_dirty_start(struct bw *b, uint64_t page_size, uint64_t iova,
                   uint64_t length)
{
    struct {
        struct vfio_user_dma_logging_control c;
        struct vfio_user_dma_logging_range r;
    } __attribute__((packed)) d = {
        .c = {.page_size = page_size, .num_ranges = 1},
        .r = {.iova = iova, .length = length},
    };

    return bw_feature(
        b,
        VFIO_USER_DEVICE_FEATURE_SET |
            VFIO_USER_DEVICE_FEATURE_DMA_LOGGING_START,
        (uint32_t)(sizeof(struct vfio_user_device_feature) + sizeof(d)), &d,
        sizeof(d), NULL, 0);
}

int bw_dirty_stop(struct bw *b, uint64_t page_size)
{
    struct vfio_user_dma_logging_control c = {.page_size = page_size};

    return bw_feature(
        b,
        VFIO_USER_DEVICE_FEATURE_SET |
            VFIO_USER_DEVICE_FEATURE_DMA_LOGGING_STOP,
        (uint32_t)(sizeof(struct vfio_user_device_feature) + sizeof(c)), &c,
        sizeof(c), NULL, 0);
}

int bw_dirty_report_send(struct bw *b, uint64_t iova, uint64_t length,
                         uint64_t page_size, uint16_t *id)
{
    struct vfio_user_dma_logging_report r = {iova, length, page_size};
    uint64_t pages = page_size ? length / page_size : 0;
    uint64_t argsz = sizeof(struct vfio_user_device_feature) + sizeof(r) +
                     (pages + 63) / 64 * 8;

    if (argsz > UINT32_MAX)
        return bw_fail(b, -EINVAL, "a %llu-page report is too large",
                       (unsigned long long)pages);
    return bw_feature_send(b,
                           VFIO_USER_DEVICE_FEATURE_GET |
                               VFIO_USER_DEVICE_FEATURE_DMA_LOGGING_REPORT,
                           (uint32_t)argsz, &r, sizeof(r), id);
}

int bw_dirty_report_recv(struct bw *b, uint16_t id, void *bitmap, size_t bytes)
{
    struct vfio_user_device_feature f;
    struct vfio_user_dma_logging_report r;
    size_t len;
    int rc = bw_wait_reply(b, id, VFIO_USER_DEVICE_FEATURE, &len);

    if (rc < 0)
        return rc;
    if (len != sizeof(f) + sizeof(r) + bytes) {
        rc = bw_skip(b, len);
        return rc < 0 ? rc
                      : bw_fail(b, -EPROTO,
                                "DMA_LOGGING_REPORT reply of %zu bytes, "
                                "expected %zu",
                                len, sizeof(f) + sizeof(r) + bytes);
    }
    rc = bw_take(b, &f, sizeof(f));
    if (rc == 0)
        rc = bw_take(b, &r, sizeof(r));
    return rc < 0 ? rc : bw_take(b, bitmap, bytes);
}

int bw_mig_get_state(struct bw *b, uint32_t *state)
{
    struct vfio_user_device_feature_mig_state st;
    int rc = bw_feature(
        b,
        VFIO_USER_DEVICE_FEATURE_GET |
            VFIO_USER_DEVICE_FEATURE_MIG_DEVICE_STATE,
        (uint32_t)(sizeof(struct vfio_user_device_feature) + sizeof(st)), NULL,
        0, &st, sizeof(st));

    if (rc == 0)
        *state = st.device_state;
    return rc;
}

int bw_mig_set_state(struct bw *b, uint32_t state)
{
    struct vfio_user_device_feature_mig_state st = {.device_state = state};

    return bw_feature(
        b,
        VFIO_USER_DEVICE_FEATURE_SET |
            VFIO_USER_DEVICE_FEATURE_MIG_DEVICE_STATE,
        (uint32_t)(sizeof(struct vfio_user_device_feature) + sizeof(st)), &st,
        sizeof(st), NULL, 0);
}

int bw_mig_read(struct bw *b, void *buf, uint32_t size, uint32_t *got)
{
    struct vfio_user_mig_data d = {.argsz = (uint32_t)sizeof(d) + size,
                                   .size = size};
    uint16_t id = b->next_id++;
    size_t len;
    int rc;

    if (size == 0 || size > b->xfer)
        return bw_fail(b, -EINVAL, "MIG_DATA_READ of %u bytes (1..%u)", size,
                       b->xfer);
    rc = bw_send(b, id, VFIO_USER_MIG_DATA_READ, VFIO_USER_F_TYPE_COMMAND, 0,
                 &d, sizeof(d), NULL, 0, -1);
    if (rc == 0)
        rc = bw_wait_reply(b, id, VFIO_USER_MIG_DATA_READ, &len);
    if (rc < 0)
        return rc;
    if (len < sizeof(d) || len - sizeof(d) > size) {
        rc = bw_skip(b, len);
        return rc < 0 ? rc
                      : bw_fail(b, -EPROTO,
                                "MIG_DATA_READ reply of %zu bytes for a "
                                "read of %u",
                                len, size);
    }
    rc = bw_take(b, &d, sizeof(d));
    if (rc < 0)
        return rc;
    if (d.size != len - sizeof(d)) {
        rc = bw_skip(b, len - sizeof(d));
        return rc < 0 ? rc
                      : bw_fail(b, -EPROTO,
                                "MIG_DATA_READ reply says %u bytes but "
                                "carries %zu",
                                d.size, len - sizeof(d));
    }
    *got = d.size;
    return bw_take(b, buf, d.size);
}
