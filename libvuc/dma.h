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

/* DMA maps, sorted by IOVA. */
struct vuc_dma_state {
    struct vuc_dma_map **maps;
    unsigned n, cap;
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

/* Map every map the connection lost again (a reconnect). Returns 1 when
 * there is none (done is not called), 0 when done will follow with the
 * first failure or 0, or a negative errno when nothing was sent. */
int vuc_dma_restore(struct vuc_client *c, vuc_done_cb done, void *arg);

#endif /* VUC_DMA_H */
