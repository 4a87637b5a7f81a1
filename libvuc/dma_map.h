/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The DMA map record, shared by the table (dma.c) and the accesses to
 * the memory it describes (dma_access.c).
 */
#ifndef VUC_DMA_MAP_H
#define VUC_DMA_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vuc/vuc.h>

#include "client.h"

/* Granularity of the client's record of pages written by DMA_WRITE. */
#define DIRTY_PAGE 4096ull

enum map_state {
    MAP_MAPPING,   /* DMA_MAP sent, no reply yet */
    MAP_ACTIVE,    /* mapped */
    MAP_UNMAPPING, /* DMA_UNMAP sent: still served until the reply */
    MAP_LOCAL,     /* the connection it was made on is gone */
};

struct vuc_dma_map {
    uint64_t iova;
    size_t size;
    uint8_t *vaddr;
    int fd;
    uint64_t fd_offset;
    unsigned flags;
    enum map_state state;
    struct vuc_deferred deferred; /* a local unmap's completion */
    bool owns_memory; /* vaddr/fd were made by libvuc and are released here */
    /* A server of an earlier connection had its fd: never pooled. */
    bool outlived_conn;
    size_t mapped_len;
    uint64_t *dirty; /* one bit per DIRTY_PAGE written by DMA_WRITE */
    /* False when no bit of dirty is set: a dirty report of a large clean
     * map then need not scan it. */
    bool dirty_any;
    /* The map or unmap in flight. */
    vuc_dma_map_cb map_cb;
    vuc_done_cb unmap_cb;
    void *arg;
    /* A legacy unmap that also returns the dirty bitmap into here. */
    uint64_t *unmap_bitmap;
    uint64_t unmap_pgsize;
};

#endif /* VUC_DMA_MAP_H */
