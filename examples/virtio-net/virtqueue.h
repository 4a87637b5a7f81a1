/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A split virtqueue ("Split Virtqueues" in the virtio 1.x specification)
 * whose rings and buffers live in one piece of libvuc DMA memory. Each
 * descriptor slot owns a fixed buffer, so adding and completing a buffer
 * never allocates.
 *
 * The rings are shared with the device (through the map's fd) or copied by
 * DMA_READ/DMA_WRITE messages that the client's event loop serves; the
 * memory ordering written in virtqueue.c is what makes the first case
 * correct, and costs nothing in the second.
 */
#ifndef VNET_VIRTQUEUE_H
#define VNET_VIRTQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/virtio_ring.h>
#include <vuc/vuc.h>

/* Receive and transmit buffers: a 12-byte virtio_net_hdr (virtio 1.x
 * always has num_buffers) and an Ethernet frame of up to 1514 bytes. */
#define VQ_BUF_SIZE 2048u

struct virtqueue {
    uint16_t index; /* queue number on the device */
    uint16_t size;  /* power of two */
    struct vuc_dma_map *map;
    uint8_t *mem;  /* our address of the map */
    uint64_t iova; /* the device's address of the map */
    struct vring_desc *desc;
    struct vring_avail *avail;
    struct vring_used *used;
    struct vring_desc *indirect; /* size tables of two entries each */
    uint64_t desc_iova, avail_iova, used_iova, indirect_iova, bufs_iova;
    uint8_t *bufs; /* size buffers of VQ_BUF_SIZE */
    bool event_idx;
    bool use_indirect; /* transmit through indirect tables */
    unsigned per_slot; /* descriptors a slot takes: 2 for chained transmit */
    uint16_t nslots;
    uint16_t avail_idx;   /* our copy of avail->idx */
    uint16_t last_used;   /* next used entry to consume */
    uint16_t signalled;   /* avail_idx at the last notification decision */
    uint16_t in_flight;   /* slots handed to the device */
    uint16_t *free_slots; /* stack of slots not in flight */
    uint16_t nfree;
    bool *busy; /* per slot: handed to the device */
};

/**
 * Allocate a queue of @p size entries (a power of two) in DMA memory.
 * A transmit queue (@p tx) describes each frame as two descriptors: a
 * chain, or with @p indirect one descriptor pointing to a table.
 * @param flags for vuc_dma_alloc() (VUC_DMA_NOSHARE for message DMA).
 * @return 0, or a negative errno (the libvuc error is in vuc_strerror()).
 */
int vq_init(struct virtqueue *vq, struct vuc_client *c, uint16_t index,
            uint16_t size, bool tx, bool event_idx, bool indirect,
            unsigned flags);
/** Unmap the memory (after the device was reset) and free the queue. */
void vq_fini(struct virtqueue *vq, struct vuc_client *c);

/** The buffer of slot @p slot (VQ_BUF_SIZE bytes). */
static inline uint8_t *vq_buf(struct virtqueue *vq, uint16_t slot)
{
    return vq->bufs + (size_t)slot * VQ_BUF_SIZE;
}

/**
 * Take a free slot, or -1 when all are in flight.
 */
int vq_get_slot(struct virtqueue *vq);

/**
 * Hand slot @p slot to the device: a device-writable buffer of VQ_BUF_SIZE
 * (receive), or @p len bytes for the device to read (transmit). Transmit
 * buffers are described as a header descriptor and a data descriptor,
 * through an indirect table when that was negotiated. Makes them visible
 * in the available ring; vq_kick_prepare() then says whether to notify.
 */
void vq_add_rx(struct virtqueue *vq, uint16_t slot);
void vq_add_tx(struct virtqueue *vq, uint16_t slot, uint32_t hdr_len,
               uint32_t len);

/**
 * Publish what was added since the last call and say whether the device
 * wants a notification for it (VRING_USED_F_NO_NOTIFY, or avail_event
 * with EVENT_IDX).
 */
bool vq_kick_prepare(struct virtqueue *vq);

/**
 * Take the next used buffer, if any.
 * @param slot receives the slot; @param len what the device wrote.
 * @return 1 with one taken, 0 when none is pending, or -EPROTO when the
 * device returned an id it does not hold (*slot says which), which a
 * driver must not trust further.
 */
int vq_get_used(struct virtqueue *vq, uint16_t *slot, uint32_t *len);

/** Give a completed slot back to the free pool (transmit slots). */
void vq_put_slot(struct virtqueue *vq, uint16_t slot);

/** Tell the device that no interrupt is wanted (polling); a hint the
 * device may ignore. */
void vq_disable_cb(struct virtqueue *vq);

/**
 * Ask for an interrupt at the next used buffer (used_event with
 * EVENT_IDX, else clearing VRING_AVAIL_F_NO_INTERRUPT), then say whether
 * one slipped in meanwhile, so that a caller about to sleep does not miss it.
 * @return true when used buffers are pending.
 */
bool vq_enable_cb(struct virtqueue *vq);

#endif
