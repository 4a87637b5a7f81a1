/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: the reconnect and DMA-serving paths. A scripted server
 * accepts a first connection, two DMA maps (one shared, one message-only)
 * and two MSI-X eventfds; then it drops the connection and the client
 * reconnects. On the new connection the server answers the reconnect's
 * first messages properly (as many as the input's first byte says: VERSION,
 * device and irq info, the maps and eventfds set up again), then sends the
 * rest of the input: arbitrary bytes, which may be DMA_READ/DMA_WRITE
 * requests, replies, or garbage. Whatever they are, the client must end in
 * a connection or a clean error: no crash, no overread, no leak, no hang.
 * The fuzzed bytes are cut into writes at every 0xff byte.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include <vuc/vuc.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MSIX VFIO_USER_PCI_MSIX_IRQ_INDEX
#define JSON "{\"capabilities\":{\"max_msg_fds\":8}}"

struct srv {
    int fd;
    unsigned answered; /* messages answered on this connection */
    unsigned limit;    /* stop answering after this many */
};

static void done(struct vuc_client *c, int result, void *arg)
{
    *(int *)arg = result == 0 ? 1 : 2;
}

static void map_done(struct vuc_client *c, int result, struct vuc_dma_map *m,
                     void *arg)
{
    *(int *)arg = result == 0 ? 1 : 2;
}

static void irq_cb(struct vuc_client *c, uint32_t index, uint32_t vector,
                   uint64_t count, void *arg)
{
}

static void reply(struct srv *s, const struct vfio_user_header *req,
                  const void *payload, size_t len, uint32_t err)
{
    uint8_t buf[512];
    struct vfio_user_header h = {
        .msg_id = req->msg_id,
        .cmd = req->cmd,
        .msg_size = (uint32_t)(sizeof(h) + len),
        .flags = VFIO_USER_F_TYPE_REPLY | (err ? VFIO_USER_F_ERROR : 0),
        .error_no = err,
    };
    memcpy(buf, &h, sizeof(h));
    if (len > 0) {
        memcpy(buf + sizeof(h), payload, len);
    }
    if (send(s->fd, buf, sizeof(h) + len, MSG_NOSIGNAL) < 0) {
        return; /* the client went away: it will notice */
    }
}

/* Read one message the client sent (closing the fds it carried) and
 * answer it as a well-behaved server would. False when nothing came. */
static bool serve_one(struct srv *s)
{
    struct pollfd p = {s->fd, POLLIN, 0};
    if (poll(&p, 1, 0) != 1) {
        return false;
    }
    struct vfio_user_header h;
    uint8_t payload[4096];
    char cbuf[CMSG_SPACE(sizeof(int) * 16)];
    struct iovec iov = {&h, sizeof(h)};
    struct msghdr mh = {.msg_iov = &iov,
                        .msg_iovlen = 1,
                        .msg_control = cbuf,
                        .msg_controllen = sizeof(cbuf)};
    if (recvmsg(s->fd, &mh, MSG_WAITALL | MSG_CMSG_CLOEXEC) !=
        (ssize_t)sizeof(h)) {
        return false;
    }
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
        int n = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        for (int i = 0; i < n; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
            close(fd);
        }
    }
    size_t len = h.msg_size > sizeof(h) ? h.msg_size - sizeof(h) : 0;
    if (len > sizeof(payload) ||
        (len > 0 && recv(s->fd, payload, len, MSG_WAITALL) != (ssize_t)len)) {
        abort(); /* libvuc sends nothing this large here */
    }
    if (s->answered >= s->limit) {
        return true; /* the fuzzed bytes answer from here on */
    }
    s->answered++;
    switch (h.cmd) {
    case VFIO_USER_VERSION: {
        uint8_t v[4 + sizeof(JSON)] = {0, 0, 0, 0};
        memcpy(v + 4, JSON, sizeof(JSON));
        reply(s, &h, v, sizeof(v), 0);
        break;
    }
    case VFIO_USER_DEVICE_GET_INFO: {
        struct vfio_user_device_info di = {16, 0, 0, MSIX + 1};
        reply(s, &h, &di, sizeof(di), 0);
        break;
    }
    case VFIO_USER_DEVICE_GET_IRQ_INFO: {
        struct vfio_user_irq_info ii = {16, VFIO_USER_IRQ_INFO_EVENTFD, 0, 4};
        memcpy(&ii.index, payload + 8, sizeof(ii.index));
        reply(s, &h, &ii, sizeof(ii), 0);
        break;
    }
    case VFIO_USER_DMA_MAP:
    case VFIO_USER_DEVICE_SET_IRQS:
        reply(s, &h, NULL, 0, 0);
        break;
    default:
        reply(s, &h, NULL, 0, ENOSYS);
        break;
    }
    return true;
}

/* Run the client and the server until *flag is set (or give up: a hang). */
static void serve_until(struct event_base *base, struct srv *s, const int *flag)
{
    for (int i = 0; i < 10000 && *flag == 0; i++) {
        event_base_loop(base, EVLOOP_NONBLOCK);
        while (serve_one(s)) {
        }
        if (*flag == 0) {
            poll(NULL, 0, 0);
        }
    }
    if (*flag == 0) {
        abort();
    }
}

static int new_pair(struct srv *s, unsigned limit)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        abort();
    }
    s->fd = sv[0];
    s->answered = 0;
    s->limit = limit;
    return sv[1];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct event_base *base = event_base_new();
    struct vuc_options *o = vuc_options_new();
    /* Long enough never to expire on a loaded machine: every exchange
     * ends when this server closes its end, and fuzz_client explores the
     * timeouts. */
    vuc_options_set_timeout(o, 10000);
    struct vuc_client *c = vuc_client_new(base, o);
    vuc_options_free(o);
    struct srv s;
    int connected = 0, m1 = 0, m2 = 0, irq = 0;

    /* The first connection, its maps and eventfds: all answered. */
    if (c == NULL ||
        vuc_connect_fd_async(c, new_pair(&s, ~0u), done, &connected) < 0) {
        abort();
    }
    serve_until(base, &s, &connected);
    if (connected != 1 ||
        vuc_dma_alloc_async(c, 8192, VUC_IOVA_ANY, VUC_DMA_READ | VUC_DMA_WRITE,
                            VUC_TIMEOUT_DEFAULT, map_done, &m1) < 0 ||
        vuc_dma_alloc_async(c, 8192, VUC_IOVA_ANY,
                            VUC_DMA_READ | VUC_DMA_WRITE | VUC_DMA_NOSHARE,
                            VUC_TIMEOUT_DEFAULT, map_done, &m2) < 0 ||
        vuc_irq_enable_async(c, MSIX, 0, 2, irq_cb, NULL, VUC_TIMEOUT_DEFAULT,
                             done, &irq) < 0) {
        abort();
    }
    serve_until(base, &s, &m1);
    serve_until(base, &s, &m2);
    serve_until(base, &s, &irq);

    /* The server goes; the client reconnects to a new one that answers
     * data[0] messages, then speaks the fuzzer's bytes. */
    close(s.fd);
    for (int i = 0; i < 100 && vuc_is_connected(c); i++) {
        event_base_loop(base, EVLOOP_ONCE);
    }
    unsigned limit = size > 0 ? data[0] : 0;
    int state = 0;
    if (vuc_reconnect_fd_async(c, new_pair(&s, limit), done, &state) < 0) {
        abort();
    }
    for (size_t at = size > 0 ? 1 : 0; at < size;) {
        size_t end = at;
        while (end < size && data[end] != 0xff) {
            end++;
        }
        event_base_loop(base, EVLOOP_NONBLOCK);
        while (serve_one(&s)) {
        }
        if (end > at && send(s.fd, data + at, end - at, MSG_NOSIGNAL) < 0) {
            break;
        }
        at = end + 1;
    }
    for (int i = 0; i < 20; i++) {
        event_base_loop(base, EVLOOP_NONBLOCK);
        while (serve_one(&s)) {
        }
    }
    /* Then this server goes away too: everything must end. */
    close(s.fd);
    for (int i = 0; i < 100 && (state == 0 || vuc_is_connected(c)); i++) {
        event_base_loop(base, EVLOOP_ONCE);
    }
    if (state == 0 || vuc_is_connected(c)) {
        abort(); /* a hang */
    }
    vuc_client_free(c);
    event_base_free(base);
    return 0;
}
