/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file vuc/dma.h
 * DMA memory: sealed memfd-backed maps the server reaches by fd or by
 * message, and the caller's own memory.
 */
#ifndef VUC_VUC_DMA_H
#define VUC_VUC_DMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vuc/client.h>

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

/* ---- DMA memory ---------------------------------------------------------- */
/*
 * Memory the device may access, each piece announced to the server with
 * DMA_MAP at an IOVA. A map is either shared (its fd is passed, so the server
 * can mmap it) or, with VUC_DMA_NOSHARE, never leaves this process: the
 * server must then use DMA_READ/DMA_WRITE messages, which the client serves
 * from its event loop for every map, shared or not. Memory libvuc allocates
 * is a memfd sealed against shrinking and growing, so a server can never
 * make it fault under us.
 */

/** Let the client choose the IOVA: libvuc picks the lowest free range from
 * 4 GiB up, aligned to the negotiated page size. */
#define VUC_IOVA_ANY UINT64_MAX

/** Flags of a DMA map. */
enum vuc_dma_flags {
    VUC_DMA_READ = 1u << 0,    /**< the device may read it */
    VUC_DMA_WRITE = 1u << 1,   /**< the device may write it */
    VUC_DMA_NOSHARE = 1u << 2, /**< pass no fd: message-based DMA only */
    VUC_DMA_HUGETLB = 1u << 3, /**< vuc_dma_alloc*(): back with 2 MiB huge
                                    pages (size and IOVA align to 2 MiB) */
};

/** One DMA map, owned by the client; valid until its unmap completes or
 * the client is freed. */
struct vuc_dma_map;

/** Completion of a map: the client, the result (0 or a negative errno),
 * the map (NULL unless result is 0) and the arg given with the call. */
typedef void (*vuc_dma_map_cb)(struct vuc_client *client, int result,
                               struct vuc_dma_map *map, void *arg);

/**
 * Allocate size bytes (rounded up to the page size) of zeroed, sealed memfd
 * memory and map it for the device.
 * @param client the client.
 * @param size bytes.
 * @param iova where the device sees it, or VUC_IOVA_ANY to let libvuc pick
 *        one aligned to the negotiated page size.
 * @param flags VUC_DMA_READ and/or VUC_DMA_WRITE, optionally
 *        VUC_DMA_NOSHARE (also implied by vuc_options_set_dma_noshare())
 *        and VUC_DMA_HUGETLB.
 * @param timeout_ms VUC_TIMEOUT_DEFAULT, VUC_TIMEOUT_NONE or milliseconds.
 * @param cb called once with the result.
 * @param arg passed to cb. It receives the map.
 * @return 0 when started; -EINVAL (bad flags, alignment), -EEXIST (overlaps
 * a map), -ENOSPC (max_dma_maps reached or no free IOVA range), -ENOMEM
 * (also too few free huge pages), -ENOTSUP (no 2 MiB hugetlb memfd),
 * -ENOTCONN.
 */
int vuc_dma_alloc_async(struct vuc_client *client, size_t size, uint64_t iova,
                        unsigned flags, int timeout_ms, vuc_dma_map_cb cb,
                        void *arg);

/**
 * Map caller memory, as a VMM maps its guest RAM.
 * @param client the client.
 * @param fd the memory's fd, or -1 for message-based DMA only; libvuc
 *        duplicates it, the caller keeps its own.
 * @param fd_offset where the map starts in fd (page aligned).
 * @param vaddr the caller's own mapping of the same memory, through which
 *        libvuc serves DMA_READ/DMA_WRITE; it must stay valid until the
 *        unmap completes, and be writable when flags has VUC_DMA_WRITE.
 * @param size bytes.
 * @param iova where the device sees it, or VUC_IOVA_ANY.
 * @param flags as for vuc_dma_alloc_async(), without VUC_DMA_HUGETLB.
 * @param timeout_ms VUC_TIMEOUT_DEFAULT, VUC_TIMEOUT_NONE or milliseconds.
 * @param cb called once with the result.
 * @param arg passed to cb. It receives the map.
 * @return as vuc_dma_alloc_async().
 *
 * Caller memory is not sealed by libvuc: a server given its fd could
 * truncate a file under the mapping and make accesses fault (SIGBUS). Seal
 * it yourself (memfd F_SEAL_SHRINK), or use VUC_DMA_NOSHARE with servers
 * you do not trust.
 */
int vuc_dma_map_async(struct vuc_client *client, int fd, uint64_t fd_offset,
                      void *vaddr, size_t size, uint64_t iova, unsigned flags,
                      int timeout_ms, vuc_dma_map_cb cb, void *arg);

/**
 * Unmap: send DMA_UNMAP for exactly this map and release it (and memory
 * libvuc allocated) only after the server's reply, since the server may DMA
 * until then. DMA requests keep being served for it meanwhile. Without a
 * connection the map is released locally.
 * @param client the client.
 * @param map the map; invalid once cb ran.
 * @param timeout_ms VUC_TIMEOUT_DEFAULT, VUC_TIMEOUT_NONE or milliseconds.
 * @param cb called once with the result.
 * @param arg passed to cb.
 * @return 0 when started; -EBUSY if an unmap is already under way.
 */
int vuc_dma_unmap_async(struct vuc_client *client, struct vuc_dma_map *map,
                        int timeout_ms, vuc_done_cb cb, void *arg);

/**
 * Unmap and collect the map's dirty pages in one step, the way 0.9.1-era
 * servers offer it (DMA_UNMAP with the "get dirty page bitmap" flag); only
 * while dirty logging runs in the legacy mode (VUC_DIRTY_LEGACY). Bit i of
 * bitmap is the page at iova + i * page_size, ORed with the client's record
 * of pages written by DMA_WRITE.
 * @param client the client.
 * @param map the map; invalid once cb ran.
 * @param page_size bytes per bit: the dirty logging page size.
 * @param bitmap caller memory of words 64-bit words (at least
 *        ceil(size / page_size / 64)), valid until cb.
 * @param words the bitmap's size in 64-bit words.
 * @param timeout_ms VUC_TIMEOUT_DEFAULT, VUC_TIMEOUT_NONE or milliseconds.
 * @param cb called once with the result.
 * @param arg passed to cb.
 * @return 0 when started; -ENOTSUP outside the legacy mode, -EINVAL,
 * -ENOSPC; cb gets -ECONNRESET when the connection ended first (the map is
 * gone, the bitmap unknown).
 */
int vuc_dma_unmap_dirty_async(struct vuc_client *client,
                              struct vuc_dma_map *map, uint64_t page_size,
                              uint64_t *bitmap, size_t words, int timeout_ms,
                              vuc_done_cb cb, void *arg);

/** @name DMA map properties
 * @{ */
/** @param map a map. @return where the device sees the map. */
uint64_t vuc_dma_iova(const struct vuc_dma_map *map);
/** @param map a map. @return the map's size in bytes. */
size_t vuc_dma_size(const struct vuc_dma_map *map);
/** @param map a map. @return the map's address in this process. */
void *vuc_dma_vaddr(const struct vuc_dma_map *map);
/** @param map a map. @return the map's flags (enum vuc_dma_flags). */
unsigned vuc_dma_map_flags(const struct vuc_dma_map *map);
/** @param map a map. @return the fd libvuc passed (or would pass) to the
 * server, owned by the map; -1 without one. */
int vuc_dma_fd(const struct vuc_dma_map *map);
/** @} */

/**
 * The number of maps, including maps whose DMA_MAP or DMA_UNMAP is still in
 * flight.
 * @param client the client.
 * @return the count.
 */
unsigned vuc_dma_count(const struct vuc_client *client);

/**
 * A map by position in IOVA order.
 * @param client the client.
 * @param i from 0 to vuc_dma_count() - 1.
 * @return the map, or NULL past the end.
 */
struct vuc_dma_map *vuc_dma_at(const struct vuc_client *client, unsigned i);

/**
 * The map that holds a range entirely.
 * @param client the client.
 * @param iova start of the range.
 * @param len bytes.
 * @return the map, or NULL.
 */
struct vuc_dma_map *vuc_dma_find(const struct vuc_client *client, uint64_t iova,
                                 size_t len);

/**
 * Copy from DMA memory, by IOVA, into a buffer: the client's own view of
 * what the device wrote. The range must lie in one map. Under
 * VUC_POSTING_FENCED this fences first (blocking).
 * @param client the client.
 * @param iova where to read.
 * @param buf receives the bytes.
 * @param len bytes.
 * @return 0, or -EFAULT when no map holds the range.
 */
int vuc_dma_read(struct vuc_client *client, uint64_t iova, void *buf,
                 size_t len);

/**
 * Copy a buffer into DMA memory, by IOVA, for the device to read. The range
 * must lie in one map.
 * @param client the client.
 * @param iova where to write.
 * @param buf the bytes.
 * @param len bytes.
 * @return 0, or -EFAULT when no map holds the range.
 */
int vuc_dma_write(struct vuc_client *client, uint64_t iova, const void *buf,
                  size_t len);

/**
 * The pages of a map that the server wrote with DMA_WRITE messages: one bit
 * per 4 KiB page from the map's start (bit i of word i / 64 is page i). The
 * specification makes this the client's record; the server reports only
 * what it wrote through its own mapping.
 * @param client the client.
 * @param map the map.
 * @param bitmap receives the bits.
 * @param words the bitmap's size in 64-bit words: at least
 *        ceil(size / 4096 / 64); the rest is zeroed.
 * @param clear reset the record after copying it (clear-on-read).
 * @return 0, or -EINVAL when the bitmap is too small.
 */
int vuc_dma_msg_dirty(struct vuc_client *client, const struct vuc_dma_map *map,
                      uint64_t *bitmap, size_t words, bool clear);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* VUC_VUC_DMA_H */
