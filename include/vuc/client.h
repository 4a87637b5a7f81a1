/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file vuc/client.h
 * The client: the library's and the protocol's versions, limits, logging,
 * options, a client's lifetime, the bound on its outgoing queue,
 * connecting, and what the connection negotiated and discovered.
 */
#ifndef VUC_VUC_CLIENT_H
#define VUC_VUC_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vuc/protocol.h>
#include <vuc/trace.h>

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

struct event_base;

/** @name Library version
 * The version of this header; vuc_version() gives the library's.
 * @{ */
#define VUC_VERSION_MAJOR 0 /**< changes break the API */
#define VUC_VERSION_MINOR 1 /**< changes add to the API */
#define VUC_VERSION_PATCH 0 /**< changes fix bugs */
/** @} */

/**
 * The library's version at run time.
 * @return a static string such as "0.1.0".
 */
const char *vuc_version(void);

/** @name Protocol version
 * The vfio-user protocol version libvuc proposes by default.
 * @{ */
#define VUC_PROTO_MAJOR 0 /**< major */
#define VUC_PROTO_MINOR 0 /**< minor */
/** @} */

/** Timeout values for vuc_options_set_timeout() and the timeout_ms argument
 * of asynchronous calls. */
#define VUC_TIMEOUT_DEFAULT (-1) /**< use the client's default */
#define VUC_TIMEOUT_NONE 0       /**< wait for ever */

/** @name Limits
 * Upper bounds libvuc enforces on what a server may describe.
 * @{ */
#define VUC_MAX_REGIONS 64             /**< regions of a device */
#define VUC_MAX_IRQ_INDEXES 32         /**< irq indexes of a device */
#define VUC_MAX_SPARSE_AREAS 64        /**< mappable areas of a region */
#define VUC_MAX_REGION_INFO_SIZE 65536 /**< bytes of one region info reply */
/** @} */

/* ---- Logging ------------------------------------------------------------ */

/** Severity of a log line; the values are syslog's. */
enum vuc_log_level {
    VUC_LOG_ERR = 3,     /**< an operation or the connection failed */
    VUC_LOG_WARNING = 4, /**< the peer did something odd; libvuc goes on */
    VUC_LOG_INFO = 6,    /**< connection events */
    VUC_LOG_DEBUG = 7,   /**< every message */
};

/** Receives one log line (no trailing newline), borrowed for the call:
 * the arg given to vuc_options_set_log(), the line's level, and the line. */
typedef void (*vuc_log_fn)(void *arg, enum vuc_log_level level,
                           const char *msg);

/* ---- Options ------------------------------------------------------------ */

/** Connection settings, copied by vuc_client_new(). */
struct vuc_options;

/**
 * Create options with the defaults: 5000 ms timeout, protocol 0.0,
 * max_msg_fds 16, max_data_xfer_size 1 MiB, regions mmapped at connect,
 * no logging.
 * @return the options, or NULL with errno set.
 */
struct vuc_options *vuc_options_new(void);

/**
 * Free options made by vuc_options_new().
 * @param opts the options, or NULL (ignored).
 */
void vuc_options_free(struct vuc_options *opts);

/**
 * Set the default timeout of every request except DEVICE_RESET.
 * @param opts the options to change.
 * @param ms milliseconds, or VUC_TIMEOUT_NONE.
 * @return 0, or -EINVAL.
 */
int vuc_options_set_timeout(struct vuc_options *opts, int ms);

/**
 * Set the protocol version to propose in VERSION.
 * @param opts the options to change.
 * @param major the major version (libvuc speaks 0).
 * @param minor the minor version.
 * @return 0, or -EINVAL.
 */
int vuc_options_set_version(struct vuc_options *opts, uint16_t major,
                            uint16_t minor);

/**
 * Set how many fds libvuc accepts in one message (proposed as max_msg_fds).
 * @param opts the options to change.
 * @param n 1 to 253 (the kernel's SCM_MAX_FD).
 * @return 0, or -EINVAL.
 */
int vuc_options_set_max_msg_fds(struct vuc_options *opts, unsigned n);

/**
 * Set the largest data transfer libvuc accepts from the server (proposed as
 * max_data_xfer_size): bounds DMA_READ/DMA_WRITE requests it serves.
 * @param opts the options to change.
 * @param bytes 4096 to 64 MiB.
 * @return 0, or -EINVAL.
 */
int vuc_options_set_max_data_xfer_size(struct vuc_options *opts,
                                       uint32_t bytes);

/**
 * Choose whether connecting mmaps every mappable region (default true).
 * Without it, call vuc_region_mmap() for the regions you want mapped.
 * @param opts the options to change.
 * @param on whether to map.
 * @return 0.
 */
int vuc_options_set_auto_mmap(struct vuc_options *opts, bool on);

/**
 * Pass no fd with any DMA map of this client (default false): the server
 * reaches client memory only through DMA_READ/DMA_WRITE messages, which
 * libvuc checks against its map table. For servers you do not trust with
 * your memory.
 * @param opts the options to change.
 * @param on whether to pass no fd.
 * @return 0.
 */
int vuc_options_set_dma_noshare(struct vuc_options *opts, bool on);

/** The default bound of vuc_options_set_dma_pool(): 16 MiB. */
#define VUC_DMA_POOL_DEFAULT_BYTES ((size_t)16 << 20)

/**
 * Bound the pool of DMA memory kept for reuse (default
 * VUC_DMA_POOL_DEFAULT_BYTES; 0 disables it). The memory of a
 * vuc_dma_alloc() map that was unmapped is kept, up to this many bytes and
 * eight pieces, the oldest dropped first, so that the next allocation of
 * the same size and kind needs no new memfd or mapping. It is scrubbed when
 * reused (a new map always reads zeros). Memory whose fd a server received
 * serves only maps that share their fd, on the same connection, and is
 * released when the connection ends; maps made with VUC_DMA_NOSHARE never
 * get memory a server could still hold. Pooled memory counts against the
 * process's memory until reused or the client is freed. VUC_DMA_HUGETLB
 * memory is never pooled: huge pages come from a reservation the whole
 * system shares, so an unmapped one gives its pages back at once. The fd
 * and address of an unmapped map must not be used: they may belong to a
 * later map.
 * @param opts the options.
 * @param max_bytes the largest total size kept, 0 for none.
 * @return 0.
 */
int vuc_options_set_dma_pool(struct vuc_options *opts, size_t max_bytes);

/**
 * Ask for twin-socket mode (default true): server-to-client commands then
 * travel on a socket of their own. Falls back to one socket when the server
 * does not grant it.
 * @param opts the options to change.
 * @param on whether to ask.
 * @return 0.
 */
int vuc_options_set_twin_socket(struct vuc_options *opts, bool on);

/**
 * Unmask an AUTOMASKED interrupt (INTx) after each event, once its callback
 * returned (default true), so a driver's handler can clear the cause first.
 * Off, the caller unmasks with vuc_irq_action().
 * @param opts the options to change.
 * @param on whether libvuc unmasks.
 * @return 0.
 */
int vuc_options_set_irq_auto_unmask(struct vuc_options *opts, bool on);

/**
 * Set the log callback. libvuc never prints by itself.
 * @param opts the options to change.
 * @param fn receives each line, or NULL for no logging.
 * @param arg passed to fn.
 * @param level the most verbose level passed to fn.
 * @return 0.
 */
int vuc_options_set_log(struct vuc_options *opts, vuc_log_fn fn, void *arg,
                        enum vuc_log_level level);

/* ---- Client lifetime ---------------------------------------------------- */

struct vuc_client;

/** Completion of an operation that returns no data: the client, the result
 * (0 or a negative errno) and the arg given with the call. */
typedef void (*vuc_done_cb)(struct vuc_client *client, int result, void *arg);

/** Called once when an established connection is lost; result says why
 * (-ECONNRESET when the peer closed, -EPROTO when the server broke the
 * protocol). Pending operations have completed before it runs. */
typedef void (*vuc_disconnect_cb)(struct vuc_client *client, int result,
                                  void *arg);

/**
 * Create a client bound to an event base. It does nothing until connected.
 * @param base the caller's event base; it must outlive the client.
 * @param opts options to copy, or NULL for the defaults.
 * @return the client, or NULL with errno set.
 */
struct vuc_client *vuc_client_new(struct event_base *base,
                                  const struct vuc_options *opts);

/**
 * Free a client: close its sockets and fds, unmap its mappings, and complete
 * every pending operation with -ECANCELED. Safe from inside any callback (the
 * release is deferred until that callback returns).
 * @param client the client, or NULL (ignored).
 */
void vuc_client_free(struct vuc_client *client);

/**
 * Set the callback for a lost connection.
 * @param client the client.
 * @param cb called once per lost connection, or NULL to clear.
 * @param arg passed to cb.
 */
void vuc_set_disconnect_cb(struct vuc_client *client, vuc_disconnect_cb cb,
                           void *arg);

/* ---- The outgoing queue's bound ------------------------------------------ */

/**
 * Bound the bytes queued for a server that does not read them, the way
 * libevent's bufferevent watermarks do (defaults: high 4 MiB, low 1 MiB).
 * At the high mark an asynchronous call that would queue more is refused
 * with -ENOBUFS (nothing of it is queued, its callback never runs; a call
 * already admitted is queued whole, so the queue may pass the mark by one
 * call's data). A blocking call first runs the loop until the queue falls
 * below the high mark, or fails with -ETIMEDOUT (naming the queue) after the
 * client's timeout; inside a callback it is refused like an asynchronous
 * call, since the loop cannot run there. When
 * the queue falls to the low mark after reaching the high one, the writable
 * callback runs. The same bound covers the data of DMA_READ requests the
 * server sends while it reads nothing: those are refused with ENOBUFS.
 * Mapped accesses and doorbells do not use the queue and are never refused.
 * @param opts the options to change.
 * @param low bytes at which the writable callback runs; below high.
 * @param high bytes at which calls are refused; at least 4096.
 * @return 0, or -EINVAL for low >= high or high < 4096.
 */
int vuc_options_set_send_watermarks(struct vuc_options *opts, size_t low,
                                    size_t high);

/** The outgoing queue fell to its low mark after reaching its high mark:
 * calls refused with -ENOBUFS may be made again. */
typedef void (*vuc_writable_cb)(struct vuc_client *client, void *arg);

/**
 * Set the callback that says the outgoing queue has room again (NULL to
 * clear). It runs from the event loop, never inside a call.
 * @param client the client.
 * @param cb the callback, or NULL.
 * @param arg passed to cb.
 */
void vuc_set_writable_cb(struct vuc_client *client, vuc_writable_cb cb,
                         void *arg);

/**
 * Bytes queued for the server and not yet taken by the socket.
 * @param client the client.
 * @return the byte count; 0 without a connection.
 */
size_t vuc_get_send_queued(const struct vuc_client *client);

/**
 * The last error text of this client: what failed and why, for a user.
 * @param client the client.
 * @return a string owned by the client, valid until its next operation;
 * "" when nothing has failed.
 */
const char *vuc_strerror(const struct vuc_client *client);

/**
 * The client's event base.
 * @param client the client.
 * @return the base given to vuc_client_new().
 */
struct event_base *vuc_client_base(const struct vuc_client *client);

/* ---- Connecting --------------------------------------------------------- */

/**
 * Connect to a UNIX socket, negotiate the version and discover the device
 * (DEVICE_GET_INFO, every region and irq index), then complete.
 * Nothing blocks: a server that does not accept (its listen backlog is
 * full) is waited for from the event loop, for at most the client's timeout;
 * then the callback gets -ETIMEDOUT ("did not accept the connection").
 * @param client a client without a connection.
 * @param path the server's UNIX socket.
 * @param cb called once with the result.
 * @param arg passed to cb.
 * @return 0 when started; -ENAMETOOLONG, -EISCONN, or the connect() errno
 * of a failure known at once (-ENOENT, -ECONNREFUSED, ...).
 */
int vuc_connect_path_async(struct vuc_client *client, const char *path,
                           vuc_done_cb cb, void *arg);

/**
 * As vuc_connect_path_async() on a connected stream socket.
 * @param client a client without a connection.
 * @param fd the socket; the client owns it from this call on, even on
 *        failure.
 * @param cb called once with the result.
 * @param arg passed to cb.
 * @return 0 when started, -EISCONN, or -EBADF for a bad fd.
 */
int vuc_connect_fd_async(struct vuc_client *client, int fd, vuc_done_cb cb,
                         void *arg);

/**
 * Connect again after the connection ended, and set up what the old one had,
 * as the specification expects of a client that comes back (the server
 * drops DMA maps and interrupt eventfds at a disconnect and keeps the
 * device's state): every DMA map is sent again with DMA_MAP (with its fd
 * unless no-share), and every vector gets its eventfd again with SET_IRQS,
 * libvuc's own (with their callbacks and counts) and the caller's. With
 * automatic unmasking on, automasked vectors the caller did not mask with
 * vuc_irq_action() are unmasked, in case an unmask was lost with the old
 * connection. The vuc_dma_map handles stay valid throughout.
 *
 * The device found must be the same: the same device flags, number of
 * regions and irq indexes, region sizes and access, vector counts and irq
 * flags. Otherwise, or when the server refuses a map or an eventfd, the
 * reconnect fails (-ENODEV for another device), the new connection is
 * closed, and what was held is kept for another try; vuc_connect_*() starts
 * from nothing instead. Dirty-page logging and migration state are not
 * carried over: logging ends with the connection.
 * Without an earlier connection this is vuc_connect_path_async().
 * @param client the client whose connection ended.
 * @param path the server's UNIX socket.
 * @param cb called once with the result.
 * @param arg passed to cb.
 * @return as vuc_connect_path_async().
 */
int vuc_reconnect_path_async(struct vuc_client *client, const char *path,
                             vuc_done_cb cb, void *arg);

/**
 * As vuc_reconnect_path_async() on a connected stream socket.
 * @param client the client whose connection ended.
 * @param fd the socket; the client owns it from this call on, even on
 *        failure.
 * @param cb called once with the result.
 * @param arg passed to cb.
 * @return as vuc_connect_fd_async().
 */
int vuc_reconnect_fd_async(struct vuc_client *client, int fd, vuc_done_cb cb,
                           void *arg);

/**
 * Close the connection, keeping what it set up for vuc_reconnect_*(): the
 * DMA maps (memory stays valid) and the vectors' eventfds. Requests in flight
 * complete with -ECANCELED, messages not yet sent are dropped (fence first if
 * posted writes must arrive), and the disconnect callback is not called.
 * @param client the client.
 * @return 0, or -ENOTCONN when there is no connection (or connect) to close.
 */
int vuc_disconnect(struct vuc_client *client);

/**
 * Whether the client has a negotiated, discovered connection.
 * @param client the client.
 * @return true when connected.
 */
bool vuc_is_connected(const struct vuc_client *client);

/* ---- Negotiated values -------------------------------------------------- */

/** What was negotiated in VERSION; absent capabilities hold spec defaults.
 * The server_* values are the server's limits for what we send it; the
 * client_* values are what we proposed to accept from it. */
struct vuc_caps {
    uint16_t major;                     /**< protocol major version */
    uint16_t minor;                     /**< protocol minor version */
    uint32_t server_max_msg_fds;        /**< fds we may send in one message */
    uint32_t server_max_data_xfer_size; /**< data bytes we may send at once */
    uint32_t client_max_msg_fds;        /**< fds the server may send us */
    uint32_t client_max_data_xfer_size; /**< data bytes it may send us */
    uint32_t max_dma_maps;              /**< DMA maps the server takes */
    uint64_t pgsizes;          /**< DMA page sizes the server supports */
    uint64_t migration_pgsize; /**< 0 when the server did not say */
    bool write_multiple;       /**< REGION_WRITE_MULTI may be sent */
    bool twin_socket;          /**< server commands have their own socket */
};

/**
 * The negotiated values.
 * @param client the client.
 * @return the values, owned by the client, or NULL before negotiation.
 */
const struct vuc_caps *vuc_get_caps(const struct vuc_client *client);

/**
 * The server's VERSION JSON text.
 * @param client the client.
 * @return the text, owned by the client; "" when the server sent none.
 */
const char *vuc_server_json(const struct vuc_client *client);

/* ---- Device, region and irq information -------------------------------- */

/** What DEVICE_GET_INFO said about the device. */
struct vuc_device_info {
    uint32_t flags;       /**< VFIO_USER_DEVICE_FLAGS_* */
    uint32_t num_regions; /**< region indexes 0 .. num_regions - 1 */
    uint32_t num_irqs;    /**< irq indexes 0 .. num_irqs - 1 */
};

/** One mappable area of a region. */
struct vuc_sparse_area {
    uint64_t offset; /**< from the start of the region */
    uint64_t size;   /**< bytes */
};

/** What DEVICE_GET_REGION_INFO said about a region, and what libvuc
 * mapped of it. */
struct vuc_region_info {
    uint32_t index;       /**< region index */
    uint32_t flags;       /**< VFIO_USER_REGION_INFO_FLAG_* */
    uint64_t size;        /**< bytes; 0 for a region the device lacks */
    uint64_t mmap_offset; /**< offset for mmap() of the region fd */
    bool has_fd;          /**< the server passed an fd for mmap */
    bool has_type;        /**< a region type capability was present */
    uint32_t type;        /**< region type, when has_type */
    uint32_t subtype;     /**< region subtype, when has_type */
    bool msix_mappable;   /**< MSIX_MAPPABLE capability present */
    unsigned nr_sparse;   /**< sparse mmap areas; 0 means the whole region */
    bool sparse_cap;      /**< a sparse mmap capability was present */
    struct vuc_sparse_area sparse[VUC_MAX_SPARSE_AREAS]; /**< the areas */
    unsigned nr_mapped; /**< areas currently mmapped by libvuc */
};

/** What DEVICE_GET_IRQ_INFO said about an irq index. */
struct vuc_irq_info {
    uint32_t index; /**< irq index */
    uint32_t flags; /**< VFIO_USER_IRQ_INFO_* */
    uint32_t count; /**< vectors */
};

/**
 * The device information found at connect.
 * @param client the client.
 * @return the cached DEVICE_GET_INFO, owned by the client, or NULL without
 * a connection.
 */
const struct vuc_device_info *
vuc_get_device_info(const struct vuc_client *client);

/**
 * A region's information found at connect.
 * @param client the client.
 * @param index region index.
 * @return the cached region info, owned by the client, or NULL when index
 * is out of range.
 */
const struct vuc_region_info *
vuc_get_region_info(const struct vuc_client *client, uint32_t index);

/**
 * An irq index's information found at connect.
 * @param client the client.
 * @param index irq index.
 * @return the cached irq info, owned by the client, or NULL when index is
 * out of range.
 */
const struct vuc_irq_info *vuc_get_irq_info(const struct vuc_client *client,
                                            uint32_t index);

/**
 * A short name for a PCI region index.
 * @param index region index.
 * @return a static string: "BAR0".."BAR5", "ROM", "CONFIG", "VGA";
 * "REGION9" to "REGION16", and then "REGION" beyond.
 */
const char *vuc_region_name(uint32_t index);

/**
 * A short name for a PCI irq index.
 * @param index irq index.
 * @return a static string: "INTX", "MSI", "MSIX", "ERR", "REQ", or "IRQ"
 * beyond.
 */
const char *vuc_irq_name(uint32_t index);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* VUC_VUC_CLIENT_H */
