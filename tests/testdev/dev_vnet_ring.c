/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Split virtqueues, the device's side. Everything the driver wrote is
 * checked before use: an avail index that runs more than a queue ahead, a
 * head or next index beyond the table, a chain longer than the table (a
 * loop), a bad indirect table, a buffer of the wrong direction, or an IOVA
 * that is not mapped sets DEVICE_NEEDS_RESET and stops the device, as the
 * specification says a device that cannot go on does.
 *
 * Memory ordering, where the driver shares memory with us (a map with an
 * fd): we read avail->idx, then (acquire) the entries it covers; we write
 * the used entries, then (release) used->idx; and a full fence separates
 * writing used->idx from reading used_event or the avail flags, and
 * writing avail_event from re-reading avail->idx, pairing with the
 * driver's fences so that neither side misses the other's notification.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "dev_vnet.h"

#define BROKEN 1 /* NEEDS_RESET set: stop processing */

struct seg {
    uint64_t addr;
    uint32_t len;
    bool write;
};

struct chain {
    uint16_t head;
    unsigned n;
    uint64_t readable, writable; /* bytes */
    struct seg seg[VND_MAX_QUEUE_SIZE];
};

/* Driver memory through the host; an access that fails is the driver's
 * doing (an IOVA it never mapped, or mapped read-only), and the device
 * cannot go on. */
static int dma_io(struct vnd *d, uint64_t iova, void *rbuf, const void *wbuf,
                  size_t len, const char *what)
{
    int rc = rbuf ? d->host.dma_read(d->host.ctx, what, iova, rbuf, len)
                  : d->host.dma_write(d->host.ctx, what, iova, wbuf, len);
    if (rc > 0) {
        vnd_needs_reset(d, "%s", d->host.dma_error(d->host.ctx));
        return BROKEN;
    }
    return rc;
}

static int dma_rd(struct vnd *d, uint64_t iova, void *buf, size_t len,
                  const char *what)
{
    return dma_io(d, iova, buf, NULL, len, what);
}

static int dma_wr(struct vnd *d, uint64_t iova, const void *buf, size_t len,
                  const char *what)
{
    return dma_io(d, iova, NULL, buf, len, what);
}

static int rd16(struct vnd *d, uint64_t iova, uint16_t *v, const char *what)
{
    int rc = dma_rd(d, iova, v, 2, what);
    *v = le16toh(*v);
    return rc;
}

static int wr16(struct vnd *d, uint64_t iova, uint16_t v, const char *what)
{
    v = htole16(v);
    return dma_wr(d, iova, &v, 2, what);
}

static const char *qname(const struct vnd *d, const struct vnd_queue *q)
{
    return q == &d->q[0] ? "receive queue" : "transmit queue";
}

/* Walk one descriptor table from index i (a chain of the queue's table, or
 * an indirect table), appending to c. An indirect table is read whole into
 * @p local first: one DMA access instead of one per entry. */
static int walk(struct vnd *d, struct vnd_queue *q, uint64_t table,
                uint32_t tsize, uint16_t i, const struct vring_desc *local,
                struct chain *c)
{
    static struct vring_desc itab[VND_MAX_QUEUE_SIZE];
    bool indirect = local != NULL;

    /* A chain visits each entry at most once: more steps is a loop. */
    for (uint32_t steps = 0;; steps++) {
        struct vring_desc desc;
        int rc;

        if (i >= tsize) {
            vnd_needs_reset(d, "%s: descriptor index %u beyond the %s of %u",
                            qname(d, q), i,
                            indirect ? "indirect table" : "queue", tsize);
            return BROKEN;
        }
        if (steps >= tsize) {
            vnd_needs_reset(d, "%s: descriptor chain from %u loops",
                            qname(d, q), c->head);
            return BROKEN;
        }
        if (local != NULL) {
            desc = local[i];
        } else if ((rc = dma_rd(d, table + 16ull * i, &desc, sizeof(desc),
                                "a descriptor")) != 0) {
            return rc;
        }
        uint16_t flags = le16toh(desc.flags);
        uint64_t addr = le64toh(desc.addr);
        uint32_t len = le32toh(desc.len);
        if (flags & VRING_DESC_F_INDIRECT) {
            if (!vnd_has(d, VIRTIO_RING_F_INDIRECT_DESC) || indirect ||
                (flags & VRING_DESC_F_NEXT) || c->n > 0 || len == 0 ||
                len % 16 != 0 || len / 16 > VND_MAX_QUEUE_SIZE) {
                vnd_needs_reset(d,
                                "%s: bad indirect descriptor %u (flags 0x%x, "
                                "length %u)",
                                qname(d, q), i, flags, len);
                return BROKEN;
            }
            if ((rc = dma_rd(d, addr, itab, len, "an indirect table")) != 0) {
                return rc;
            }
            return walk(d, q, addr, len / 16, 0, itab, c);
        }
        if (c->n >= VND_MAX_QUEUE_SIZE) {
            vnd_needs_reset(d, "%s: chain from %u too long", qname(d, q),
                            c->head);
            return BROKEN;
        }
        c->seg[c->n++] = (struct seg){addr, len, flags & VRING_DESC_F_WRITE};
        if (flags & VRING_DESC_F_WRITE) {
            c->writable += len;
        } else {
            c->readable += len;
        }
        if (!(flags & VRING_DESC_F_NEXT)) {
            return 0;
        }
        i = le16toh(desc.next);
    }
}

/* Read avail->idx, which must not run more than a queue ahead of what we
 * took. */
static int read_avail_idx(struct vnd *d, struct vnd_queue *q)
{
    uint16_t idx;
    int rc = rd16(d, q->avail + 2, &idx, "avail->idx");

    if (rc != 0) {
        return rc;
    }
    uint16_t pending = (uint16_t)(idx - q->last_avail);
    if (pending > q->size) {
        vnd_needs_reset(d,
                        "%s: avail->idx %u is %u entries ahead of %u, "
                        "more than the queue's %u",
                        qname(d, q), idx, pending, q->last_avail, q->size);
        return BROKEN;
    }
    q->avail_idx = idx;
    return 0;
}

/* Take the next available chain. @return 0 with c filled, -ENOENT when
 * the ring is empty, BROKEN, or a fatal negative errno. */
static int pop(struct vnd *d, struct vnd_queue *q, struct chain *c)
{
    uint16_t head;
    int rc;

    /* avail->idx is read again only once the entries it covered are
     * taken: one DMA access per batch rather than per entry. */
    if (q->last_avail == q->avail_idx) {
        if ((rc = read_avail_idx(d, q)) != 0) {
            return rc;
        }
        if (q->last_avail == q->avail_idx) {
            return -ENOENT;
        }
        /* The entries after the index that covers them. */
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
    }
    if ((rc = rd16(d, q->avail + 4 + 2ull * (q->last_avail % q->size), &head,
                   "an avail ring entry")) != 0) {
        return rc;
    }
    c->head = head;
    c->n = 0;
    c->readable = c->writable = 0;
    if ((rc = walk(d, q, q->desc, q->size, head, NULL, c)) != 0) {
        return rc;
    }
    q->last_avail++;
    return 0;
}

/* Write a used entry; show_used() makes the entries written so far
 * visible, once per batch. */
static int push_used(struct vnd *d, struct vnd_queue *q, uint16_t head,
                     uint32_t len)
{
    struct vring_used_elem e = {htole32(head), htole32(len)};
    int rc = dma_wr(d, q->used + 4 + 8ull * (q->used_idx % q->size), &e,
                    sizeof(e), "a used ring entry");
    if (rc == 0) {
        q->used_idx++;
    }
    return rc;
}

static int show_used(struct vnd *d, struct vnd_queue *q)
{
    if (q->used_shown == q->used_idx) {
        return 0;
    }
    /* The entries (and the data written before them) before the index. */
    __atomic_thread_fence(__ATOMIC_RELEASE);
    q->used_shown = q->used_idx;
    return wr16(d, q->used + 2, q->used_idx, "used->idx");
}

/* Interrupt when the driver wants it: used_event with EVENT_IDX, else the
 * avail ring's NO_INTERRUPT flag. */
static int maybe_interrupt(struct vnd *d, struct vnd_queue *q, int qi)
{
    uint16_t v;
    int rc;

    if ((rc = show_used(d, q)) != 0) {
        return rc;
    }
    if (q->used_idx == q->signalled) {
        return 0;
    }
    /* used->idx written before we read what the driver asked for. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    uint16_t old = q->signalled;
    q->signalled = q->used_idx;
    if (vnd_has(d, VIRTIO_RING_F_EVENT_IDX)) {
        if ((rc = rd16(d, q->avail + 4 + 2ull * q->size, &v, "used_event")) !=
            0) {
            return rc;
        }
        /* Whether used_event lies in [old, new): the driver asked to be
         * told when the index passes it. */
        if ((uint16_t)(q->used_idx - v - 1) < (uint16_t)(q->used_idx - old)) {
            vnd_interrupt(d, qi);
        }
        return 0;
    }
    if ((rc = rd16(d, q->avail, &v, "avail->flags")) != 0) {
        return rc;
    }
    if (!(v & VRING_AVAIL_F_NO_INTERRUPT)) {
        vnd_interrupt(d, qi);
    }
    return 0;
}

/* The ring looks empty: with EVENT_IDX ask to be notified for the next
 * entry, then look once more, since the driver may have added one before
 * it could see avail_event. @return 0 when still empty, 1 when not. */
static int arm_and_recheck(struct vnd *d, struct vnd_queue *q, bool *more)
{
    int rc;

    *more = false;
    if (!vnd_has(d, VIRTIO_RING_F_EVENT_IDX)) {
        return 0; /* used->flags stays 0: always notify */
    }
    if ((rc = wr16(d, q->used + 4 + 8ull * q->size, q->last_avail,
                   "avail_event")) != 0) {
        return rc;
    }
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if ((rc = read_avail_idx(d, q)) != 0) {
        return rc;
    }
    *more = q->avail_idx != q->last_avail;
    if (*more) {
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
    }
    return 0;
}

/* Transmit buffers are only read by the device, receive buffers only
 * written: a descriptor of the other kind is the driver's mistake. */
static bool one_direction(struct vnd *d, struct vnd_queue *q,
                          const struct chain *c)
{
    bool tx = q == &d->q[1];

    if (tx ? c->writable == 0 : c->readable == 0) {
        return true;
    }
    vnd_needs_reset(d, "%s: buffer %u has device-%s descriptors", qname(d, q),
                    c->head, tx ? "writable" : "readable");
    return false;
}

static bool ring_ok(struct vnd *d, struct vnd_queue *q)
{
    return q->enabled && !(d->status & VIRTIO_CONFIG_S_NEEDS_RESET);
}

int vnd_ring_tx(struct vnd *d)
{
    static uint8_t pkt[VND_HDR_LEN + VND_MAX_FRAME];
    struct vnd_queue *q = &d->q[1];
    struct chain c;
    int rc = 0;

    if (!q->kicked || !ring_ok(d, q)) {
        q->kicked = false;
        return 0;
    }
    for (;;) {
        /* The loopback and the responder answer into the backlog: stop
         * while it is full, and go on once receive drained it. */
        if (d->cfg.backend != VND_BACKEND_SOCKET &&
            d->backlog_count == VND_RX_BACKLOG) {
            break;
        }
        rc = pop(d, q, &c);
        if (rc == -ENOENT) {
            bool more;
            if ((rc = arm_and_recheck(d, q, &more)) != 0 || more) {
                if (rc != 0) {
                    break;
                }
                continue;
            }
            q->kicked = false;
            break;
        }
        if (rc != 0) {
            break;
        }
        if (d->cfg.quirks & VND_QUIRK_NEEDS_RESET) {
            vnd_needs_reset(d, "the needs-reset quirk: failing at the first "
                               "transmit");
            return 0;
        }
        if (!one_direction(d, q, &c)) {
            return 0;
        }
        /* Gather the readable bytes; a frame longer than Ethernet allows
         * is dropped, but its buffer still goes back. */
        if (c.readable < VND_HDR_LEN || c.readable > sizeof(pkt)) {
            d->stats.tx_dropped++;
        } else {
            size_t at = 0;
            for (unsigned i = 0; i < c.n; i++) {
                if ((rc = dma_rd(d, c.seg[i].addr, pkt + at, c.seg[i].len,
                                 "a transmit buffer")) != 0) {
                    return rc < 0 ? rc : 0;
                }
                at += c.seg[i].len;
            }
            if ((rc = vnd_backend_tx(d, pkt + VND_HDR_LEN, at - VND_HDR_LEN)) <
                0) {
                return rc;
            }
        }
        if ((rc = push_used(d, q, c.head, 0)) != 0) {
            break;
        }
    }
    if (rc < 0 && rc != -ENOENT) {
        return rc;
    }
    rc = maybe_interrupt(d, q, 1);
    return rc < 0 ? rc : 0;
}

int vnd_ring_rx(struct vnd *d)
{
    struct vnd_queue *q = &d->q[0];
    struct chain c;
    int rc = 0;

    q->kicked = false;
    if (!ring_ok(d, q)) {
        return 0;
    }
    while (d->backlog_count > 0) {
        rc = pop(d, q, &c);
        if (rc == -ENOENT) {
            bool more;
            if ((rc = arm_and_recheck(d, q, &more)) != 0 || !more) {
                break;
            }
            continue;
        }
        if (rc != 0) {
            break;
        }
        if (!one_direction(d, q, &c)) {
            return 0;
        }
        struct vnd_frame *f = &d->backlog[d->backlog_head];
        uint32_t total = VND_HDR_LEN + f->len;
        if (c.writable < total) {
            /* Too small for this frame (the specification asks for 1526
             * bytes without MRG_RXBUF): drop the frame, keep the buffer. */
            q->last_avail--;
            d->stats.rx_dropped++;
        } else {
            /* virtio_net_hdr_v1 (no offloads, num_buffers 1) and the
             * frame, split wherever the buffers split them. */
            static uint8_t pkt[VND_HDR_LEN + VND_MAX_FRAME];
            memset(pkt, 0, VND_HDR_LEN);
            pkt[10] = 1;
            memcpy(pkt + VND_HDR_LEN, f->data, f->len);
            for (uint32_t i = 0, done = 0; i < c.n && done < total; i++) {
                uint32_t n =
                    c.seg[i].len < total - done ? c.seg[i].len : total - done;
                if ((rc = dma_wr(d, c.seg[i].addr, pkt + done, n,
                                 "a receive buffer")) != 0) {
                    return rc < 0 ? rc : 0;
                }
                done += n;
            }
            if ((rc = push_used(d, q, c.head, total)) != 0) {
                break;
            }
            d->stats.rx_frames++;
        }
        d->backlog_head = (d->backlog_head + 1) % VND_RX_BACKLOG;
        d->backlog_count--;
    }
    if (rc < 0 && rc != -ENOENT) {
        return rc;
    }
    rc = maybe_interrupt(d, q, 0);
    return rc < 0 ? rc : 0;
}
