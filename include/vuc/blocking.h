/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file vuc/blocking.h
 * The blocking layer: each call is its asynchronous twin plus "run the
 * client's event base until it completes". Never call one from a callback.
 */
#ifndef VUC_VUC_BLOCKING_H
#define VUC_VUC_BLOCKING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vuc/client.h>
#include <vuc/region.h>
#include <vuc/dma.h>
#include <vuc/irq.h>
#include <vuc/migration.h>

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

/* ---- Blocking layer ------------------------------------------------------ */
/* Each runs the client's event base until the matching asynchronous call
 * completes, and returns its result. Do not call them from a callback. */

/** The largest vuc_set_busy_poll() time: one second. */
#define VUC_BUSY_POLL_MAX_US 1000000u

/**
 * Let blocking calls busy-poll (off by default): before a blocking call
 * sleeps in the event loop for a reply, it spins on the connection's
 * sockets with non-blocking receives for up to usec microseconds, and
 * handles the reply at once if it comes within that time. Where waking a
 * sleeping thread on another CPU is slow (tens of microseconds on many
 * VMs), this cuts a synchronous round trip to what the server takes.
 *
 * Cost: the calling thread keeps its CPU 100% busy for up to usec per
 * wait, even when the reply is late, and a server on the same CPU is then
 * kept from running until the spin ends or the scheduler preempts it: use
 * it only with client and server on different CPUs, and a time near the
 * server's usual reply time (tens of microseconds). Asynchronous calls and
 * vuc_irq_wait() never spin.
 * @param client the client.
 * @param usec the longest spin per wait, 0 to turn it off.
 * @return 0, or -EINVAL above VUC_BUSY_POLL_MAX_US.
 */
int vuc_set_busy_poll(struct vuc_client *client, unsigned usec);

/**
 * Connect to a UNIX socket, negotiate and discover the device.
 * @param client the client.
 * @param path the server's UNIX socket.
 * @return the result of vuc_connect_path_async(): 0 or a negative errno.
 * @see vuc_connect_path_async()
 */
int vuc_connect_path(struct vuc_client *client, const char *path);

/**
 * Connect on a connected stream socket, negotiate and discover the device.
 * @param client the client.
 * @param fd the socket, owned by the client from this call on.
 * @return the result of vuc_connect_fd_async(): 0 or a negative errno.
 * @see vuc_connect_fd_async()
 */
int vuc_connect_fd(struct vuc_client *client, int fd);

/**
 * Reconnect to a UNIX socket and set up again what the old connection had.
 * @param client the client.
 * @param path the server's UNIX socket.
 * @return the result of vuc_reconnect_path_async(): 0 or a negative errno.
 * @see vuc_reconnect_path_async()
 */
int vuc_reconnect_path(struct vuc_client *client, const char *path);

/**
 * Reconnect on a connected stream socket and set up again what the old
 * connection had.
 * @param client the client.
 * @param fd the socket, owned by the client from this call on.
 * @return the result of vuc_reconnect_fd_async(): 0 or a negative errno.
 * @see vuc_reconnect_fd_async()
 */
int vuc_reconnect_fd(struct vuc_client *client, int fd);

/**
 * Read bytes of a region.
 * @param client the client.
 * @param index region index.
 * @param offset from the start of the region.
 * @param buf receives the bytes.
 * @param len bytes.
 * @return the result of vuc_region_read_async(): 0 or a negative errno.
 * @see vuc_region_read_async()
 */
int vuc_region_read(struct vuc_client *client, uint32_t index, uint64_t offset,
                    void *buf, size_t len);

/**
 * Write bytes to a region, acknowledged.
 * @param client the client.
 * @param index region index.
 * @param offset from the start of the region.
 * @param buf the bytes.
 * @param len bytes.
 * @return the result of vuc_region_write_async(): 0 or a negative errno.
 * @see vuc_region_write_async()
 */
int vuc_region_write(struct vuc_client *client, uint32_t index, uint64_t offset,
                     const void *buf, size_t len);

/**
 * Reset the device.
 * @param client the client.
 * @return the result of vuc_device_reset_async(): 0 or a negative errno.
 * @see vuc_device_reset_async()
 */
int vuc_device_reset(struct vuc_client *client);

/**
 * Wait until every posted write was processed.
 * @param client the client.
 * @return the result of vuc_fence_async(): 0 or a negative errno.
 * @see vuc_fence_async()
 */
int vuc_fence(struct vuc_client *client);

/**
 * Allocate DMA memory and map it for the device.
 * @param client the client.
 * @param size bytes.
 * @param iova where the device sees it, or VUC_IOVA_ANY.
 * @param flags enum vuc_dma_flags.
 * @param map receives the map.
 * @return the result of vuc_dma_alloc_async(): 0 or a negative errno.
 * @see vuc_dma_alloc_async()
 */
int vuc_dma_alloc(struct vuc_client *client, size_t size, uint64_t iova,
                  unsigned flags, struct vuc_dma_map **map);

/**
 * Map caller memory for the device.
 * @param client the client.
 * @param fd the memory's fd or -1; libvuc duplicates it.
 * @param fd_offset where the map starts in fd (page aligned).
 * @param vaddr the caller's own mapping of the same memory.
 * @param size bytes.
 * @param iova where the device sees it, or VUC_IOVA_ANY.
 * @param flags enum vuc_dma_flags.
 * @param map receives the map.
 * @return the result of vuc_dma_map_async(): 0 or a negative errno.
 * @see vuc_dma_map_async()
 */
int vuc_dma_map(struct vuc_client *client, int fd, uint64_t fd_offset,
                void *vaddr, size_t size, uint64_t iova, unsigned flags,
                struct vuc_dma_map **map);

/**
 * Unmap DMA memory once the server confirmed it.
 * @param client the client.
 * @param map the map; invalid after the call.
 * @return the result of vuc_dma_unmap_async(): 0 or a negative errno.
 * @see vuc_dma_unmap_async()
 */
int vuc_dma_unmap(struct vuc_client *client, struct vuc_dma_map *map);

/**
 * Unmap and collect the map's dirty pages (legacy mode).
 * @param client the client.
 * @param map the map; invalid after the call.
 * @param page_size bytes per bit.
 * @param bitmap receives the bits.
 * @param words the bitmap's size in 64-bit words.
 * @return the result of vuc_dma_unmap_dirty_async(): 0 or a negative errno.
 * @see vuc_dma_unmap_dirty_async()
 */
int vuc_dma_unmap_dirty(struct vuc_client *client, struct vuc_dma_map *map,
                        uint64_t page_size, uint64_t *bitmap, size_t words);

/**
 * Start dirty page logging.
 * @param client the client.
 * @param ranges what to log, or NULL with n 0.
 * @param n entries of ranges.
 * @param page_size bytes per page, or 0.
 * @return the result of vuc_dirty_start_async(): 0 or a negative errno.
 * @see vuc_dirty_start_async()
 */
int vuc_dirty_start(struct vuc_client *client,
                    const struct vuc_dirty_range *ranges, unsigned n,
                    uint64_t page_size);

/**
 * Stop dirty page logging.
 * @param client the client.
 * @return the result of vuc_dirty_stop_async(): 0 or a negative errno.
 * @see vuc_dirty_stop_async()
 */
int vuc_dirty_stop(struct vuc_client *client);

/**
 * Report the pages written since the last report.
 * @param client the client.
 * @param iova start of the range.
 * @param length bytes.
 * @param page_size bytes per bit.
 * @param bitmap receives the bits.
 * @param words the bitmap's size in 64-bit words.
 * @return the result of vuc_dirty_report_async(): 0 or a negative errno.
 * @see vuc_dirty_report_async()
 */
int vuc_dirty_report(struct vuc_client *client, uint64_t iova, uint64_t length,
                     uint64_t page_size, uint64_t *bitmap, size_t words);

/**
 * Ask for the device's migration support.
 * @param client the client.
 * @param flags receives the VFIO_USER_MIGRATION_* flags.
 * @return the result of vuc_mig_probe_async(): 0 or a negative errno.
 * @see vuc_mig_probe_async()
 */
int vuc_mig_probe(struct vuc_client *client, uint64_t *flags);

/**
 * Read the device's migration state.
 * @param client the client.
 * @param state receives the state.
 * @return the result of vuc_mig_get_state_async(): 0 or a negative errno.
 * @see vuc_mig_get_state_async()
 */
int vuc_mig_get_state(struct vuc_client *client, uint32_t *state);

/**
 * Move the device to a migration state.
 * @param client the client.
 * @param target enum vfio_user_device_mig_state.
 * @return the result of vuc_mig_set_state_async(): 0 or a negative errno.
 * @see vuc_mig_set_state_async()
 */
int vuc_mig_set_state(struct vuc_client *client, uint32_t target);

/**
 * Read migration data.
 * @param client the client.
 * @param buf receives the data.
 * @param size bytes to ask for.
 * @param got receives the bytes read.
 * @return the result of vuc_mig_read_async(): 0 or a negative errno.
 * @see vuc_mig_read_async()
 */
int vuc_mig_read(struct vuc_client *client, void *buf, uint32_t size,
                 uint32_t *got);

/**
 * Write migration data.
 * @param client the client.
 * @param buf the data.
 * @param len bytes.
 * @return the result of vuc_mig_write_async(): 0 or a negative errno.
 * @see vuc_mig_write_async()
 */
int vuc_mig_write(struct vuc_client *client, const void *buf, size_t len);

/**
 * Enable vectors with eventfds libvuc owns.
 * @param client the client.
 * @param index irq index.
 * @param start first vector.
 * @param count vectors.
 * @param cb called for each signalled vector, or NULL.
 * @param cb_arg passed to cb.
 * @return the result of vuc_irq_enable_async(): 0 or a negative errno.
 * @see vuc_irq_enable_async()
 */
int vuc_irq_enable(struct vuc_client *client, uint32_t index, uint32_t start,
                   uint32_t count, vuc_irq_cb cb, void *cb_arg);

/**
 * Assign caller-owned eventfds to vectors.
 * @param client the client.
 * @param index irq index.
 * @param start first vector.
 * @param count vectors.
 * @param fds count eventfds, -1 to de-assign; duplicated by libvuc.
 * @return the result of vuc_irq_set_eventfds_async(): 0 or a negative errno.
 * @see vuc_irq_set_eventfds_async()
 */
int vuc_irq_set_eventfds(struct vuc_client *client, uint32_t index,
                         uint32_t start, uint32_t count, const int *fds);

/**
 * Disable every vector of an irq index.
 * @param client the client.
 * @param index irq index.
 * @return the result of vuc_irq_disable_async(): 0 or a negative errno.
 * @see vuc_irq_disable_async()
 */
int vuc_irq_disable(struct vuc_client *client, uint32_t index);

/**
 * Mask, unmask or trigger vectors.
 * @param client the client.
 * @param index irq index.
 * @param start first vector.
 * @param count vectors.
 * @param action one VFIO_USER_IRQ_SET_ACTION_*.
 * @param which count flags, or NULL for all.
 * @return the result of vuc_irq_action_async(): 0 or a negative errno.
 * @see vuc_irq_action_async()
 */
int vuc_irq_action(struct vuc_client *client, uint32_t index, uint32_t start,
                   uint32_t count, uint32_t action, const bool *which);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* VUC_VUC_BLOCKING_H */
