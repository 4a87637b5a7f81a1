/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DMA maps: the table, mapping and unmapping, serving the server's DMA
 * requests, and what a reconnect maps again.
 */
#ifndef VUC_DMA_H
#define VUC_DMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vuc/vuc.h>

#include "feature.h"

struct vuc_client;

/* Memory of unmapped allocations, kept for reuse (dma_pool.c). */
#define VUC_DMA_POOL_SLOTS 8u

struct vuc_dma_pool_slot {
    int fd;
    void *vaddr;
    size_t size;
    bool shared; /* the server of this connection received the fd */
};

struct vuc_dma_pool {
    struct vuc_dma_pool_slot slots[VUC_DMA_POOL_SLOTS];
    unsigned n;
    size_t bytes;
};

/* DMA maps, sorted by IOVA. */
struct vuc_dma_state {
    struct vuc_dma_map **maps;
    unsigned n, cap;
    struct vuc_dma_pool pool;
};

/* ---- dma.c --------------------------------------------------------------- */

extern const struct vuc_feature vuc_dma_feature;
/* Serves DMA_READ and DMA_WRITE from the map table. */
extern const struct vuc_feature vuc_dma_serve_feature;

/* Forget the pages written by DMA_WRITE so far (logging starts afresh). */
void vuc_dma_msg_dirty_clear(struct vuc_client *c);
/* Whether [iova, iova + length) lies in maps whose fd the server never
 * got (no-share or fd-less), and in at least one map. */
bool vuc_dma_range_unshared(const struct vuc_client *c, uint64_t iova,
                            uint64_t length);
/* OR into bitmap (bit i = page iova + i * page_size) the pages of
 * [iova, iova + length) written by DMA_WRITE messages, and forget them. */
void vuc_dma_msg_dirty_merge(struct vuc_client *c, uint64_t iova,
                             uint64_t length, uint64_t page_size,
                             uint64_t *bitmap);

/* ---- dma_pool.c ---------------------------------------------------------- */

/* Take scrubbed memory of exactly size bytes (never huge pages) for a map
 * that shares its fd with the server or not; false when there is none.
 * The caller then owns *fd and the mapping *vaddr of size bytes. */
bool vuc_dma_pool_take(struct vuc_client *c, size_t size, bool share, int *fd,
                       void **vaddr);
/* Offer an unmapped allocation's memfd and mapping to the pool: true when
 * kept (the pool owns both), false when the caller must release them. */
bool vuc_dma_pool_give(struct vuc_client *c, int fd, void *vaddr, size_t size,
                       bool shared);
/* The connection ended: forget the memory its server received. */
void vuc_dma_pool_drop_shared(struct vuc_client *c);
/* Release everything (the client is freed). */
void vuc_dma_pool_release(struct vuc_client *c);

/* Map every map the connection lost again (a reconnect). Returns 1 when
 * there is none (done is not called), 0 when done will follow with the
 * first failure or 0, or a negative errno when nothing was sent. */
int vuc_dma_restore(struct vuc_client *c, vuc_done_cb done, void *arg);

#endif /* VUC_DMA_H */
