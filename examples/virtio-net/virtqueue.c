/* SPDX-License-Identifier: BSD-3-Clause */
#include "virtqueue.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/*
 * Memory ordering. The device is another process that reads and writes
 * these rings through its own mapping of the same memory (when the map has
 * an fd), concurrently with us. The specification ("Driver Requirements:
 * The Virtqueue", "Notification Suppression") needs three barriers:
 *
 *  1. Before avail->idx is written: the descriptors and the avail ring
 *     entry must be visible first, or the device may read a stale entry
 *     for an index it already sees (a release fence, store-store).
 *  2. After avail->idx is written and before used->flags or avail_event
 *     is read to decide whether to notify: a full fence (store-load), which
 *     pairs with the device's own full fence between writing avail_event
 *     (or clearing NO_NOTIFY) and re-reading avail->idx. Without it both
 *     sides may read old values and the notification is lost.
 *  3. After used->idx is read and before the used entry and the buffer
 *     are: an acquire, pairing with the device's release before it writes
 *     used->idx, so we never read an entry or data older than the index.
 *
 * The same full fence as (2) sits between writing used_event and
 * re-checking used->idx before sleeping, so an interrupt the device
 * decided not to send (it saw the old used_event) is not waited for.
 *
 * The notification itself leaves through a system call (sendmsg or an
 * eventfd write) that comes after the avail->idx store in program order
 * and after fence (2); it cannot overtake the store.
 *
 * With message DMA the device reads and writes through our own event loop,
 * in program order with this code, and the fences cost nothing extra.
 */

static inline uint16_t ring_load16(const uint16_t *p)
{
    return le16toh(__atomic_load_n(p, __ATOMIC_RELAXED));
}

static inline void ring_store16(uint16_t *p, uint16_t v)
{
    __atomic_store_n(p, htole16(v), __ATOMIC_RELAXED);
}

static size_t align_up(size_t v, size_t a)
{
    return (v + a - 1) & ~(a - 1);
}

int vq_init(struct virtqueue *vq, struct vuc_client *c, uint16_t index,
            uint16_t size, bool tx, bool event_idx, bool indirect,
            unsigned flags)
{
    memset(vq, 0, sizeof(*vq));
    if (size == 0 || (size & (size - 1)) != 0) {
        return -EINVAL;
    }
    vq->index = index;
    vq->size = size;
    vq->event_idx = event_idx;
    vq->use_indirect = tx && indirect;
    vq->per_slot = tx && !indirect ? 2 : 1;
    vq->nslots = size / vq->per_slot;

    /* Layout (the specification's alignments: 16 for descriptors, 2 for
     * the avail ring, 4 for the used ring): descriptors, avail ring with
     * used_event, used ring with avail_event, indirect tables, buffers. */
    size_t off_desc = 0;
    size_t off_avail = off_desc + 16u * size;
    size_t off_used = align_up(off_avail + 6u + 2u * size, 4096);
    size_t off_ind = align_up(off_used + 6u + 8u * size, 4096);
    size_t off_bufs =
        align_up(off_ind + (vq->use_indirect ? 32u * size : 0), 4096);
    size_t total = off_bufs + (size_t)vq->nslots * VQ_BUF_SIZE;

    int rc = vuc_dma_alloc(c, total, VUC_IOVA_ANY,
                           VUC_DMA_READ | VUC_DMA_WRITE | flags, &vq->map);
    if (rc < 0) {
        return rc;
    }
    vq->mem = vuc_dma_vaddr(vq->map);
    vq->iova = vuc_dma_iova(vq->map);
    vq->desc = (struct vring_desc *)(vq->mem + off_desc);
    vq->avail = (struct vring_avail *)(vq->mem + off_avail);
    vq->used = (struct vring_used *)(vq->mem + off_used);
    vq->indirect = (struct vring_desc *)(vq->mem + off_ind);
    vq->bufs = vq->mem + off_bufs;
    vq->desc_iova = vq->iova + off_desc;
    vq->avail_iova = vq->iova + off_avail;
    vq->used_iova = vq->iova + off_used;
    vq->indirect_iova = vq->iova + off_ind;
    vq->bufs_iova = vq->iova + off_bufs;

    vq->free_slots = calloc(vq->nslots, sizeof(*vq->free_slots));
    vq->busy = calloc(vq->nslots, sizeof(*vq->busy));
    if (vq->free_slots == NULL || vq->busy == NULL) {
        vq_fini(vq, c);
        return -ENOMEM;
    }
    for (uint16_t s = 0; s < vq->nslots; s++) {
        vq->free_slots[s] = (uint16_t)(vq->nslots - 1 - s);
    }
    vq->nfree = vq->nslots;
    return 0;
}

void vq_fini(struct virtqueue *vq, struct vuc_client *c)
{
    if (vq->map != NULL) {
        /* On a lost connection this releases the map locally. */
        (void)vuc_dma_unmap(c, vq->map);
    }
    free(vq->free_slots);
    free(vq->busy);
    memset(vq, 0, sizeof(*vq));
}

int vq_get_slot(struct virtqueue *vq)
{
    return vq->nfree > 0 ? vq->free_slots[--vq->nfree] : -1;
}

void vq_put_slot(struct virtqueue *vq, uint16_t slot)
{
    vq->free_slots[vq->nfree++] = slot;
}

static void set_desc(struct vring_desc *d, uint64_t addr, uint32_t len,
                     uint16_t flags, uint16_t next)
{
    d->addr = htole64(addr);
    d->len = htole32(len);
    d->flags = htole16(flags);
    d->next = htole16(next);
}

static void publish(struct virtqueue *vq, uint16_t slot, uint16_t head)
{
    vq->busy[slot] = true;
    vq->in_flight++;
    vq->avail->ring[vq->avail_idx & (vq->size - 1)] = htole16(head);
    vq->avail_idx++;
}

void vq_add_rx(struct virtqueue *vq, uint16_t slot)
{
    set_desc(&vq->desc[slot], vq->bufs_iova + (uint64_t)slot * VQ_BUF_SIZE,
             VQ_BUF_SIZE, VRING_DESC_F_WRITE, 0);
    publish(vq, slot, slot);
}

void vq_add_tx(struct virtqueue *vq, uint16_t slot, uint32_t hdr_len,
               uint32_t len)
{
    uint64_t buf = vq->bufs_iova + (uint64_t)slot * VQ_BUF_SIZE;

    if (vq->use_indirect) {
        struct vring_desc *t = &vq->indirect[2u * slot];
        /* Inside an indirect table, next indexes the table itself. */
        set_desc(&t[0], buf, hdr_len, VRING_DESC_F_NEXT, 1);
        set_desc(&t[1], buf + hdr_len, len, 0, 0);
        set_desc(&vq->desc[slot], vq->indirect_iova + 32u * slot, 32,
                 VRING_DESC_F_INDIRECT, 0);
        publish(vq, slot, slot);
    } else {
        uint16_t head = (uint16_t)(2u * slot);
        set_desc(&vq->desc[head], buf, hdr_len, VRING_DESC_F_NEXT,
                 (uint16_t)(head + 1));
        set_desc(&vq->desc[head + 1], buf + hdr_len, len, 0, 0);
        publish(vq, slot, head);
    }
}

/* The specification's test for "the other side asked to be told once the
 * index passes event": whether event lies in [old, new). */
static bool need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
    return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

bool vq_kick_prepare(struct virtqueue *vq)
{
    /* Barrier 1: descriptors and ring entries before the index. */
    __atomic_thread_fence(__ATOMIC_RELEASE);
    ring_store16(&vq->avail->idx, vq->avail_idx);
    /* Barrier 2: the index store before reading what the device asked
     * for; see the top of this file. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);

    uint16_t old = vq->signalled;
    vq->signalled = vq->avail_idx;
    if (vq->event_idx) {
        /* avail_event sits after the used ring's last entry. */
        uint16_t event = ring_load16((uint16_t *)&vq->used->ring[vq->size]);
        return need_event(event, vq->avail_idx, old);
    }
    return !(ring_load16(&vq->used->flags) & VRING_USED_F_NO_NOTIFY);
}

int vq_get_used(struct virtqueue *vq, uint16_t *slot, uint32_t *len)
{
    uint16_t used_idx = ring_load16(&vq->used->idx);

    if (used_idx == vq->last_used) {
        return 0;
    }
    /* Barrier 3: the entry and the buffer after the index. */
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    const struct vring_used_elem *e =
        &vq->used->ring[vq->last_used & (vq->size - 1)];
    uint32_t id = le32toh(e->id);
    *len = le32toh(e->len);
    *slot = (uint16_t)(id / vq->per_slot);
    if (id >= vq->size || id % vq->per_slot != 0 || !vq->busy[*slot]) {
        *slot = (uint16_t)(id > UINT16_MAX ? UINT16_MAX : id);
        return -EPROTO;
    }
    vq->last_used++;
    vq->busy[*slot] = false;
    vq->in_flight--;
    return 1;
}

void vq_disable_cb(struct virtqueue *vq)
{
    if (!vq->event_idx) {
        ring_store16(&vq->avail->flags, VRING_AVAIL_F_NO_INTERRUPT);
    }
}

bool vq_enable_cb(struct virtqueue *vq)
{
    if (vq->event_idx) {
        /* used_event sits after the avail ring's last entry. */
        ring_store16(&vq->avail->ring[vq->size], vq->last_used);
    } else {
        ring_store16(&vq->avail->flags, 0);
    }
    /* The store above before re-reading used->idx (as barrier 2). */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return ring_load16(&vq->used->idx) != vq->last_used;
}
