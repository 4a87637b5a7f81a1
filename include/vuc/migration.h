/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file vuc/migration.h
 * Dirty page tracking and migration: DMA logging (or the 0.9.1
 * DIRTY_PAGES command), the migration state machine and its data.
 */
#ifndef VUC_VUC_MIGRATION_H
#define VUC_VUC_MIGRATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vuc/client.h>
#include <vuc/dma.h>

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

/* ---- Dirty pages --------------------------------------------------------- */
/*
 * Pages of DMA memory the device wrote, for live migration. libvuc uses the
 * DMA logging device features of the current specification, or, on
 * 0.9.1-era servers without them, the legacy VFIO_USER_DIRTY_PAGES
 * command. A report ORs the server's bitmap with the client's own record of
 * pages written through DMA_WRITE messages (which the specification leaves
 * to the client). Both are clear-on-read: a page reported once is reported
 * again only if written again.
 */
/** How dirty pages are logged. */
enum vuc_dirty_mode {
    /** not logging */
    VUC_DIRTY_OFF = 0,
    VUC_DIRTY_LOGGING = 1, /**< DEVICE_FEATURE DMA_LOGGING_* */
    VUC_DIRTY_LEGACY = 2,  /**< VFIO_USER_DIRTY_PAGES (command 14) */
};

/** A range of DMA memory to log. */
struct vuc_dirty_range {
    uint64_t iova;   /**< start */
    uint64_t length; /**< bytes */
};

/**
 * Start logging writes to ranges (n 0: everything) at page_size (0: the
 * negotiated migration page size, else 4 KiB). The device may choose
 * another page size; vuc_dirty_page_size() says which.
 * @param client the client.
 * @param ranges what to log, or NULL with n 0.
 * @param n entries of ranges.
 * @param page_size bytes per page, or 0.
 * @param timeout_ms VUC_TIMEOUT_DEFAULT, VUC_TIMEOUT_NONE or milliseconds.
 * @param cb called once with the result.
 * @param arg passed to cb.
 * @return 0 when started; -EBUSY when logging already runs.
 */
int vuc_dirty_start_async(struct vuc_client *client,
                          const struct vuc_dirty_range *ranges, unsigned n,
                          uint64_t page_size, int timeout_ms, vuc_done_cb cb,
                          void *arg);

/**
 * Stop logging.
 * @param client the client.
 * @param timeout_ms VUC_TIMEOUT_DEFAULT, VUC_TIMEOUT_NONE or milliseconds.
 * @param cb called once with the result.
 * @param arg passed to cb.
 * @return 0 when started; -ENOENT when logging is off, -ENOTCONN.
 */
int vuc_dirty_stop_async(struct vuc_client *client, int timeout_ms,
                         vuc_done_cb cb, void *arg);

/**
 * Report the pages written in [iova, iova + length) since the last report:
 * bit i of bitmap (word i / 64) is the page at iova + i * page_size. Large
 * ranges are fetched in pieces that fit the transfer size. page_size must
 * be a power of two of at least 4 KiB, and iova and length multiples of it.
 * @param client the client.
 * @param iova start of the range.
 * @param length bytes.
 * @param page_size bytes per bit.
 * @param bitmap caller memory of words 64-bit words, valid until cb.
 * @param words the bitmap's size.
 * @param timeout_ms VUC_TIMEOUT_DEFAULT, VUC_TIMEOUT_NONE or milliseconds.
 * @param cb called once with the result.
 * @param arg passed to cb.
 * @return 0 when started; -EINVAL (sizes), -ENOSPC (bitmap too small),
 * -ENOTCONN, -ENOENT when logging is off.
 */
int vuc_dirty_report_async(struct vuc_client *client, uint64_t iova,
                           uint64_t length, uint64_t page_size,
                           uint64_t *bitmap, size_t words, int timeout_ms,
                           vuc_done_cb cb, void *arg);

/**
 * How logging runs now.
 * @param client the client.
 * @return the mode.
 */
enum vuc_dirty_mode vuc_dirty_get_mode(const struct vuc_client *client);

/**
 * The page size of the logging that runs now.
 * @param client the client.
 * @return bytes per page; 0 when logging is off.
 */
uint64_t vuc_dirty_page_size(const struct vuc_client *client);

/* ---- Migration ----------------------------------------------------------- */
/*
 * Device state migration as the current specification defines it
 * (DEVICE_FEATURE MIGRATION and MIG_DEVICE_STATE, MIG_DATA_READ/WRITE).
 * States are enum vfio_user_device_mig_state. Asked for a state that is not
 * one arc away, libvuc walks the shortest path the specification allows
 * ("Complex State Transitions": no saving state as an interior step).
 */

/**
 * A migration state's name.
 * @param state enum vfio_user_device_mig_state.
 * @return a static string: "RUNNING", "STOP_COPY", ... or "UNKNOWN".
 */
const char *vuc_mig_state_name(uint32_t state);

/**
 * Parse a migration state name (case-insensitive).
 * @param name the name, as vuc_mig_state_name() gives it.
 * @param state receives the state.
 * @return 0, or -EINVAL when the name is unknown.
 */
int vuc_mig_state_parse(const char *name, uint32_t *state);

/**
 * The device's migration support: VFIO_USER_MIGRATION_* flags.
 * @param client the client.
 * @param flags caller memory, valid until cb.
 * @param timeout_ms VUC_TIMEOUT_DEFAULT, VUC_TIMEOUT_NONE or milliseconds.
 * @param cb called once with the result.
 * @param arg passed to cb.
 * @return 0 when started; cb gets -ENOTSUP for a device without migration.
 */
int vuc_mig_probe_async(struct vuc_client *client, uint64_t *flags,
                        int timeout_ms, vuc_done_cb cb, void *arg);

/**
 * The device's current migration state.
 * @param client the client.
 * @param state caller memory that receives it, valid until cb.
 * @param timeout_ms VUC_TIMEOUT_DEFAULT, VUC_TIMEOUT_NONE or milliseconds.
 * @param cb called once with the result.
 * @param arg passed to cb.
 * @return 0 when started; -ENOTCONN. cb gets -ENOTSUP for a device
 * without migration.
 */
int vuc_mig_get_state_async(struct vuc_client *client, uint32_t *state,
                            int timeout_ms, vuc_done_cb cb, void *arg);

/**
 * Move the device to target, through the states the path needs. A failed
 * step stops the walk; vuc_strerror() names the arc. cb gets -EPERM when
 * no allowed path leads there (e.g. STOP_COPY to PRE_COPY), -ENOTSUP for a
 * device without migration.
 * @param client the client.
 * @param target enum vfio_user_device_mig_state.
 * @param timeout_ms VUC_TIMEOUT_DEFAULT, VUC_TIMEOUT_NONE or milliseconds.
 * @param cb called once with the result.
 * @param arg passed to cb.
 * @return 0 when started; -ENOTCONN; -EINVAL at once for a target that cannot
 * be asked for (ERROR, the P2P states, PRE_COPY on a device without it).
 */
int vuc_mig_set_state_async(struct vuc_client *client, uint32_t target,
                            int timeout_ms, vuc_done_cb cb, void *arg);

/**
 * Read up to size bytes of migration data (one MIG_DATA_READ, size at most
 * the server's max_data_xfer_size); *got < size means no more data.
 * @param client the client.
 * @param buf caller memory of size bytes, valid until cb.
 * @param size bytes to ask for.
 * @param got caller memory that receives the bytes read, valid until cb.
 * @param timeout_ms VUC_TIMEOUT_DEFAULT, VUC_TIMEOUT_NONE or milliseconds.
 * @param cb called once with the result.
 * @param arg passed to cb.
 * @return 0 when started; -EINVAL (size), -ENOTCONN.
 */
int vuc_mig_read_async(struct vuc_client *client, void *buf, uint32_t size,
                       uint32_t *got, int timeout_ms, vuc_done_cb cb,
                       void *arg);

/**
 * Write migration data, split at the transfer size.
 * @param client the client.
 * @param buf the data, copied before this returns.
 * @param len bytes.
 * @param timeout_ms VUC_TIMEOUT_DEFAULT, VUC_TIMEOUT_NONE or milliseconds.
 * @param cb called once with the result.
 * @param arg passed to cb.
 * @return 0 when started; -ENOMEM, -ENOTCONN.
 */
int vuc_mig_write_async(struct vuc_client *client, const void *buf, size_t len,
                        int timeout_ms, vuc_done_cb cb, void *arg);

/**
 * Save the device into a file (blocking): move to STOP_COPY, read every
 * byte of migration data, end in STOP. The file is self-describing: a
 * header with a format version, the PCI ids, the page size and a CRC-32 of
 * the data, then the data. Blocking: not from a callback.
 * @param client the client.
 * @param fd a regular file open for writing; the caller keeps it.
 * @return 0, or a negative errno with vuc_strerror() saying what failed.
 */
int vuc_mig_save(struct vuc_client *client, int fd);

/**
 * Load a file made by vuc_mig_save() into the device (blocking): the whole
 * file is checked first (header, size, CRC-32, PCI ids against this
 * device), so a truncated or foreign file is refused before anything is
 * sent; then RESUMING, the data, and RUNNING. Blocking: not from a
 * callback.
 * @param client the client.
 * @param fd the file, open for reading; the caller keeps it.
 * @return 0, or a negative errno with vuc_strerror() saying what failed.
 */
int vuc_mig_load(struct vuc_client *client, int fd);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* VUC_VUC_MIGRATION_H */
