/* SPDX-License-Identifier: BSD-3-Clause */
#include "transport.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "wire.h"

/* The first receive buffer; it grows to the largest message seen. */
#define RX_INITIAL 65536u
/* Leave a message in place rather than compacting when this much fits. */
#define RX_MIN_READ 4096u
/* Reclaim sent bytes from the front of the queue past this size. */
#define TX_COMPACT 65536u

static void close_fds(int *fds, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        if (fds[i] >= 0) {
            close(fds[i]);
            fds[i] = -1;
        }
    }
}

static void chan_fail(struct vuc_chan *ch, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void chan_fail(struct vuc_chan *ch, int err, const char *fmt, ...)
{
    char text[256];
    va_list ap;

    if (!vuc_chan_is_open(ch)) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    vuc_chan_shutdown(ch);
    if (ch->ops->err != NULL) {
        ch->ops->err(ch, err, text, ch->arg);
    }
}

static int tx_flush(struct vuc_chan *ch);
static void tx_note_sent(struct vuc_chan *ch);

/* ---- Receive ------------------------------------------------------------ */

static struct vuc_chan_rx_fds *rxfds_at(struct vuc_chan *ch, unsigned i)
{
    return &ch->rxfds[(ch->rxfds_head + i) % VUC_CHAN_RX_FDSETS];
}

static void rxfds_pop(struct vuc_chan *ch)
{
    ch->rxfds_head = (ch->rxfds_head + 1) % VUC_CHAN_RX_FDSETS;
    ch->rxfds_count--;
}

/*
 * Which message do fds belong to? A unix stream recvmsg stops right after
 * the segment that carried fds, and a sender attaches fds to the first byte
 * of the message they go with (one sendmsg per fd-carrying message). So the
 * fds of one recvmsg belong to the message that contains the last byte that
 * recvmsg returned, and that message must have started inside it. Any other
 * arrangement means the peer sent fds no message can claim.
 */
static int rx_take_fds(struct vuc_chan *ch, uint64_t start, uint64_t end,
                       int *fds, unsigned *nfds)
{
    *nfds = 0;
    while (ch->rxfds_count > 0) {
        struct vuc_chan_rx_fds *set = rxfds_at(ch, 0);

        if (set->end > end) {
            return 0; /* the last byte of its recvmsg is in a later message */
        }
        if (set->end <= start || set->start > start) {
            /* Either an earlier message should have claimed it, or it rode
             * on a segment that began in the middle of this message. */
            return -EPROTO;
        }
        if (*nfds + set->n > VUC_SCM_MAX_FD) {
            return -EPROTO;
        }
        memcpy(fds + *nfds, set->fds, set->n * sizeof(int));
        *nfds += set->n;
        set->n = 0;
        rxfds_pop(ch);
    }
    return 0;
}

static int rx_reserve(struct vuc_chan *ch, size_t need)
{
    size_t avail = ch->icap - ch->itail;

    if (avail >= need) {
        return 0;
    }
    if (ch->ihead > 0) {
        memmove(ch->ibuf, ch->ibuf + ch->ihead, ch->itail - ch->ihead);
        ch->rx_base += ch->ihead;
        ch->itail -= ch->ihead;
        ch->ihead = 0;
        avail = ch->icap - ch->itail;
        if (avail >= need) {
            return 0;
        }
    }
    size_t cap = ch->icap;
    while (cap - ch->itail < need) {
        cap *= 2;
    }
    uint8_t *nb = realloc(ch->ibuf, cap);
    if (nb == NULL) {
        return -ENOMEM;
    }
    ch->ibuf = nb;
    ch->icap = cap;
    return 0;
}

/* Hand every whole message in the buffer to on_msg. Stops when the channel
 * is shut down from inside a callback. */
static void rx_parse(struct vuc_chan *ch)
{
    while (vuc_chan_is_open(ch) &&
           ch->itail - ch->ihead >= VFIO_USER_HDR_SIZE) {
        struct vfio_user_header hdr;
        struct vuc_wire_err err;
        int fds[VUC_SCM_MAX_FD];
        unsigned nfds;

        memcpy(&hdr, ch->ibuf + ch->ihead, sizeof(hdr));
        if (vuc_wire_check_header(&hdr, ch->max_msg_size, &err) < 0) {
            chan_fail(ch, -EPROTO, "%s", err.text);
            return;
        }
        if (ch->itail - ch->ihead < hdr.msg_size) {
            if (rx_reserve(ch, hdr.msg_size - (ch->itail - ch->ihead)) < 0) {
                chan_fail(ch, -ENOMEM,
                          "no memory for a %u-byte message from the server",
                          hdr.msg_size);
            }
            return;
        }
        uint64_t start = ch->rx_base + ch->ihead;
        if (rx_take_fds(ch, start, start + hdr.msg_size, fds, &nfds) < 0) {
            close_fds(fds, nfds);
            chan_fail(ch, -EPROTO,
                      "the server sent fds that belong to no message "
                      "(near %s id %u)",
                      vuc_wire_cmd_name(hdr.cmd), hdr.msg_id);
            return;
        }
        const uint8_t *payload = ch->ibuf + ch->ihead + VFIO_USER_HDR_SIZE;
        size_t len = hdr.msg_size - VFIO_USER_HDR_SIZE;
        ch->ihead += hdr.msg_size;
        if (ch->trace != NULL) {
            ch->trace(ch, false, &hdr, payload, len, nfds, ch->arg);
        }
        ch->ops->msg(ch, &hdr, payload, len, fds, nfds, ch->arg);
    }
    if (ch->ihead == ch->itail) {
        ch->rx_base += ch->itail;
        ch->ihead = ch->itail = 0;
    }
}

static void rx_read(struct vuc_chan *ch)
{
    int fd = ch->fd;
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * VUC_SCM_MAX_FD)];
    } cbuf;

    for (;;) {
        if (rx_reserve(ch, RX_MIN_READ) < 0) {
            chan_fail(ch, -ENOMEM, "no memory for the receive buffer");
            return;
        }
        size_t want = ch->icap - ch->itail;
        struct iovec iov = {ch->ibuf + ch->itail, want};
        struct msghdr mh = {
            .msg_iov = &iov,
            .msg_iovlen = 1,
            .msg_control = cbuf.buf,
            .msg_controllen = CMSG_SPACE(sizeof(int) * ch->max_rx_fds),
        };
        ssize_t n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                return;
            }
            chan_fail(ch, -ECONNRESET, "receiving from the server failed: %s",
                      strerror(errno));
            return;
        }

        /* Collect fds first, so none leaks whatever happens next. */
        int got[VUC_SCM_MAX_FD];
        unsigned ngot = 0;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL;
             c = CMSG_NXTHDR(&mh, c)) {
            if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
                continue;
            }
            unsigned k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (unsigned i = 0; i < k; i++) {
                int f;
                memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                if (ngot < VUC_SCM_MAX_FD) {
                    got[ngot++] = f;
                } else {
                    close(f);
                }
            }
        }
        if (mh.msg_flags & MSG_CTRUNC) {
            close_fds(got, ngot);
            chan_fail(ch, -EPROTO,
                      "the server sent more fds in one message than the %u "
                      "we accept (max_msg_fds)",
                      ch->max_rx_fds);
            return;
        }
        if (n == 0) {
            close_fds(got, ngot);
            chan_fail(ch, -ECONNRESET, "the server closed the connection");
            return;
        }
        if (ngot > 0) {
            if (ch->rxfds_count == VUC_CHAN_RX_FDSETS) {
                close_fds(got, ngot);
                chan_fail(ch, -EPROTO,
                          "the server sent fds that belong to no message");
                return;
            }
            struct vuc_chan_rx_fds *set = rxfds_at(ch, ch->rxfds_count++);
            set->start = ch->rx_base + ch->itail;
            set->end = set->start + (size_t)n;
            set->n = ngot;
            memcpy(set->fds, got, ngot * sizeof(int));
        }
        ch->itail += (size_t)n;
        ch->corked++;
        rx_parse(ch);
        ch->corked--;
        if (vuc_chan_is_open(ch) && ch->ohead < ch->otail && !ch->wr_armed) {
            int rc = tx_flush(ch);
            if (rc < 0) {
                chan_fail(ch, -ECONNRESET, "sending to the server failed: %s",
                          strerror(-rc));
                return;
            }
            tx_note_sent(ch);
        }
        /* A short read drained the socket: skip the recvmsg that would only
         * say EAGAIN. Level-triggered events bring us back for more. */
        if (!vuc_chan_is_open(ch) || ch->rx_paused || (size_t)n < want) {
            return;
        }
    }
}

static void rx_event(evutil_socket_t fd, short what, void *arg)
{
    struct vuc_chan *ch = arg;
    vuc_chan_hold_fn hold = ch->ops->hold;
    void *owner = ch->arg;

    hold(owner, true);
    rx_read(ch);
    hold(owner, false); /* may free ch */
}

/* ---- Send --------------------------------------------------------------- */

/* Bytes joined the queue: note when it reaches the high mark. */
static void tx_note_queued(struct vuc_chan *ch)
{
    if (!vuc_chan_tx_full(ch) || ch->tx_full) {
        return;
    }
    ch->tx_full = true;
    if (ch->rx_pause_full && !ch->rx_paused && ch->rd_ev != NULL) {
        event_del(ch->rd_ev);
        ch->rx_paused = true;
    }
}

/* Bytes left the queue (from the event loop only, so that ops->drained
 * never runs inside a caller's call): note when it falls to the low mark. */
static void tx_note_sent(struct vuc_chan *ch)
{
    if (!ch->tx_full || vuc_chan_tx_pending(ch) > ch->tx_low) {
        return;
    }
    ch->tx_full = false;
    if (ch->rx_paused) {
        event_add(ch->rd_ev, NULL);
        ch->rx_paused = false;
    }
    if (ch->ops->drained != NULL) {
        ch->ops->drained(ch->arg);
    }
}

void vuc_chan_set_watermarks(struct vuc_chan *ch, size_t low, size_t high,
                             bool pause_rx)
{
    ch->tx_low = low;
    ch->tx_high = high;
    ch->rx_pause_full = pause_rx;
}

static struct vuc_chan_tx_mark *mark_at(struct vuc_chan *ch, unsigned i)
{
    return &ch->marks[(ch->marks_head + i) % ch->marks_cap];
}

static void tx_arm(struct vuc_chan *ch)
{
    if (!ch->wr_armed) {
        event_add(ch->wr_ev, NULL);
        ch->wr_armed = true;
    }
}

static void tx_disarm(struct vuc_chan *ch)
{
    if (ch->wr_armed) {
        event_del(ch->wr_ev);
        ch->wr_armed = false;
    }
}

/*
 * Send as much of the queue as the socket takes. A message with fds starts
 * its own sendmsg, so its fds ride on its first byte, and nothing after it
 * joins that sendmsg, so the peer's header read sees exactly its fds.
 * Returns 0 (maybe with bytes left), or -errno of a broken socket.
 */
static int tx_flush(struct vuc_chan *ch)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * VUC_SCM_MAX_FD)];
    } cbuf;

    while (ch->ohead < ch->otail) {
        uint64_t pos = ch->tx_base + ch->ohead;
        size_t len = ch->otail - ch->ohead;
        struct vuc_chan_tx_mark *m =
            ch->marks_count > 0 ? mark_at(ch, 0) : NULL;
        struct iovec iov;
        struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

        if (m != NULL && m->start == pos) {
            /* Only this message's first byte needs the fds; the rest of it
             * and what follows may go in later sendmsgs. Keep the cut at the
             * next mark so fds never ride on another message. */
            struct vuc_chan_tx_mark *next =
                ch->marks_count > 1 ? mark_at(ch, 1) : NULL;
            if (next != NULL && next->start - pos < len) {
                len = next->start - pos;
            }
            mh.msg_control = cbuf.buf;
            mh.msg_controllen = CMSG_SPACE(sizeof(int) * m->n);
            struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
            c->cmsg_level = SOL_SOCKET;
            c->cmsg_type = SCM_RIGHTS;
            c->cmsg_len = CMSG_LEN(sizeof(int) * m->n);
            memcpy(CMSG_DATA(c), m->fds, sizeof(int) * m->n);
        } else if (m != NULL && m->start - pos < len) {
            len = m->start - pos;
        }
        iov.iov_base = ch->obuf + ch->ohead;
        iov.iov_len = len;

        ssize_t n = sendmsg(ch->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                tx_arm(ch);
                return 0;
            }
            return -errno;
        }
        if (mh.msg_control != NULL) {
            /* The kernel holds its own references now. */
            close_fds(m->fds, m->n);
            m->n = 0;
            ch->marks_head = (ch->marks_head + 1) % ch->marks_cap;
            ch->marks_count--;
        }
        ch->ohead += (size_t)n;
    }
    ch->tx_base += ch->otail;
    ch->ohead = ch->otail = 0;
    tx_disarm(ch);
    return 0;
}

static void tx_event(evutil_socket_t fd, short what, void *arg)
{
    struct vuc_chan *ch = arg;
    vuc_chan_hold_fn hold = ch->ops->hold;
    void *owner = ch->arg;

    hold(owner, true);
    if (ch->ops->writable != NULL && vuc_chan_is_open(ch)) {
        ch->ops->writable(owner);
    }
    int rc = vuc_chan_is_open(ch) ? tx_flush(ch) : 0;
    if (rc < 0) {
        chan_fail(ch, -ECONNRESET, "sending to the server failed: %s",
                  strerror(-rc));
    } else if (vuc_chan_is_open(ch)) {
        tx_note_sent(ch);
    }
    hold(owner, false); /* may free ch */
}

bool vuc_chan_rx_ready(const struct vuc_chan *ch)
{
    uint8_t byte;

    if (!vuc_chan_is_open(ch)) {
        return false;
    }
    ssize_t n = recv(ch->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n >= 0 ||
           (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

void *vuc_chan_reserve(struct vuc_chan *ch, size_t size)
{
    if (ch->ocap - ch->otail < size) {
        if (ch->ohead > 0 && (ch->ohead >= TX_COMPACT ||
                              ch->ocap - (ch->otail - ch->ohead) >= size)) {
            memmove(ch->obuf, ch->obuf + ch->ohead, ch->otail - ch->ohead);
            ch->tx_base += ch->ohead;
            ch->otail -= ch->ohead;
            ch->ohead = 0;
        }
        if (ch->ocap - ch->otail < size) {
            size_t cap = ch->ocap ? ch->ocap : 4096;
            while (cap - ch->otail < size) {
                cap *= 2;
            }
            uint8_t *nb = realloc(ch->obuf, cap);
            if (nb == NULL) {
                return NULL;
            }
            ch->obuf = nb;
            ch->ocap = cap;
        }
    }
    return ch->obuf + ch->otail;
}

int vuc_chan_commit(struct vuc_chan *ch, size_t size, int *fds, unsigned nfds)
{
    bool was_idle = ch->ohead == ch->otail;

    if (nfds > 0) {
        if (nfds > VUC_SCM_MAX_FD) {
            close_fds(fds, nfds);
            return -EINVAL;
        }
        if (ch->marks_count == ch->marks_cap) {
            unsigned cap = ch->marks_cap ? ch->marks_cap * 2 : 4;
            struct vuc_chan_tx_mark *nm = malloc(cap * sizeof(*nm));
            if (nm == NULL) {
                close_fds(fds, nfds);
                return -ENOMEM;
            }
            for (unsigned i = 0; i < ch->marks_count; i++) {
                nm[i] = *mark_at(ch, i);
            }
            free(ch->marks);
            ch->marks = nm;
            ch->marks_cap = cap;
            ch->marks_head = 0;
        }
        struct vuc_chan_tx_mark *m = mark_at(ch, ch->marks_count++);
        m->start = ch->tx_base + ch->otail;
        m->n = nfds;
        memcpy(m->fds, fds, nfds * sizeof(int));
    }
    if (ch->trace != NULL && vuc_chan_is_open(ch) &&
        size >= VFIO_USER_HDR_SIZE) {
        const uint8_t *msg = ch->obuf + ch->otail;
        ch->trace(ch, true, (const struct vfio_user_header *)msg,
                  msg + VFIO_USER_HDR_SIZE, size - VFIO_USER_HDR_SIZE, nfds,
                  ch->arg);
    }
    ch->otail += size;

    if (!vuc_chan_is_open(ch)) {
        return 0; /* the failure is already on its way to on_err */
    }
    tx_note_queued(ch);
    if (was_idle && !ch->corked) {
        int rc = tx_flush(ch);
        if (rc < 0) {
            /* Report from the loop, never from inside the caller's call. */
            event_active(ch->wr_ev, EV_WRITE, 0);
        }
    }
    return 0;
}

int vuc_chan_commit_data(struct vuc_chan *ch, size_t head_len, const void *data,
                         size_t data_len)
{
    uint8_t *head = vuc_chan_reserved(ch);

    /* Traced, the message is gathered in the queue so it is seen whole. */
    if (vuc_chan_is_open(ch) && ch->ohead == ch->otail && data_len > 0 &&
        !ch->corked && ch->trace == NULL) {
        struct iovec iov[2] = {{head, head_len}, {(void *)data, data_len}};
        struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};
        ssize_t n;

        do {
            n = sendmsg(ch->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
        } while (n < 0 && errno == EINTR);
        if (n == (ssize_t)(head_len + data_len)) {
            ch->tx_base += ch->otail;
            ch->ohead = ch->otail = 0;
            ch->tx_base += head_len + data_len;
            return 0;
        }
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            event_active(ch->wr_ev, EV_WRITE, 0);
            n = 0;
        } else if (n < 0) {
            n = 0;
        }
        /* Keep the unsent tail in the queue, in stream order. */
        size_t sent = (size_t)n;
        if (sent < head_len) {
            memmove(head, head + sent, head_len - sent);
            memcpy(head + head_len - sent, data, data_len);
        } else {
            size_t done = sent - head_len;
            memcpy(head, (const uint8_t *)data + done, data_len - done);
        }
        ch->tx_base += sent;
        ch->otail += head_len + data_len - sent;
        if (ch->ohead < ch->otail) {
            tx_arm(ch);
        }
        tx_note_queued(ch);
        return 0;
    }
    if (data_len > 0) {
        memcpy(head + head_len, data, data_len);
    }
    return vuc_chan_commit(ch, head_len + data_len, NULL, 0);
}

/* ---- Lifetime ----------------------------------------------------------- */

int vuc_chan_open(struct vuc_chan *ch, struct event_base *base, int fd,
                  size_t max_msg_size, unsigned max_rx_fds,
                  const struct vuc_chan_ops *ops, void *arg)
{
    memset(ch, 0, sizeof(*ch));
    ch->fd = -1;
    ch->base = base;
    ch->max_msg_size = max_msg_size;
    ch->max_rx_fds = max_rx_fds > VUC_SCM_MAX_FD ? VUC_SCM_MAX_FD : max_rx_fds;
    ch->ops = ops;
    ch->arg = arg;

    if (evutil_make_socket_nonblocking(fd) < 0 ||
        evutil_make_socket_closeonexec(fd) < 0) {
        int err = errno ? errno : EINVAL;
        close(fd);
        return -err;
    }
    ch->ibuf = malloc(RX_INITIAL);
    ch->rxfds = calloc(VUC_CHAN_RX_FDSETS, sizeof(*ch->rxfds));
    ch->rd_ev = event_new(base, fd, EV_READ | EV_PERSIST, rx_event, ch);
    ch->wr_ev = event_new(base, fd, EV_WRITE | EV_PERSIST, tx_event, ch);
    if (ch->ibuf == NULL || ch->rxfds == NULL || ch->rd_ev == NULL ||
        ch->wr_ev == NULL || event_add(ch->rd_ev, NULL) < 0) {
        close(fd);
        vuc_chan_destroy(ch);
        return -ENOMEM;
    }
    ch->icap = RX_INITIAL;
    ch->fd = fd;
    return 0;
}

void vuc_chan_set_max_msg_size(struct vuc_chan *ch, size_t max)
{
    if (max > ch->max_msg_size) {
        ch->max_msg_size = max;
    }
}

void vuc_chan_shutdown(struct vuc_chan *ch)
{
    if (ch->rd_ev != NULL) {
        event_del(ch->rd_ev);
    }
    if (ch->wr_ev != NULL) {
        event_del(ch->wr_ev);
        ch->wr_armed = false;
    }
    if (ch->fd >= 0) {
        close(ch->fd);
        ch->fd = -1;
    }
    while (ch->rxfds_count > 0) {
        close_fds(rxfds_at(ch, 0)->fds, rxfds_at(ch, 0)->n);
        rxfds_pop(ch);
    }
    while (ch->marks_count > 0) {
        close_fds(mark_at(ch, 0)->fds, mark_at(ch, 0)->n);
        ch->marks_head = (ch->marks_head + 1) % ch->marks_cap;
        ch->marks_count--;
    }
    ch->ohead = ch->otail = 0;
    ch->tx_full = false;
    ch->rx_paused = false;
}

void vuc_chan_destroy(struct vuc_chan *ch)
{
    vuc_chan_shutdown(ch);
    if (ch->rd_ev != NULL) {
        event_free(ch->rd_ev);
    }
    if (ch->wr_ev != NULL) {
        event_free(ch->wr_ev);
    }
    free(ch->ibuf);
    free(ch->obuf);
    free(ch->rxfds);
    free(ch->marks);
    memset(ch, 0, sizeof(*ch));
    ch->fd = -1;
}
