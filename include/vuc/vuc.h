/* SPDX-License-Identifier: BSD-3-Clause */
/* Longer than the tree's ~800 lines: it is the whole API with its reference
 * documentation (every parameter and return value), one section per
 * subsystem. */
/**
 * @file vuc/vuc.h
 * libvuc: a vfio-user client library.
 *
 * One `struct vuc_client` drives one connection to one vfio-user server on
 * a libevent `event_base` that the caller owns. Every operation exists once,
 * as an asynchronous call that takes a completion callback; the blocking
 * calls in the second half of this header run the caller's event base until
 * that same asynchronous operation completes.
 *
 * Contract, for every asynchronous call:
 *  - It returns 0 when the operation was started, and then its callback fires
 *    exactly once: on the reply, on an error reply, on timeout, when the
 *    connection is lost, or when the client is freed (result -ECANCELED).
 *    The callback never fires from inside the call that started it.
 *  - It returns a negative errno when the operation could not be started;
 *    then the callback never fires.
 *  - Results are 0 or a negative errno: -EPROTO for a reply that breaks the
 *    protocol, -ETIMEDOUT, -ECONNRESET when the server went away, or the
 *    errno the server replied with (an error reply with errno 0 gives -EIO).
 *  - vuc_strerror() explains the last failure in words.
 *  - Calling vuc_client_free() from inside any callback is safe.
 *  - A client belongs to the thread that runs its event base: call it from
 *    there only (libvuc takes no locks). Separate clients on separate bases
 *    share nothing and may live in separate threads.
 *
 * The library never prints; see vuc_options_set_log().
 */
#ifndef VUC_VUC_H
#define VUC_VUC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vuc/protocol.h>
#include <vuc/trace.h>

#ifdef __cplusplus
extern "C" {
#endif

/* libvuc is built with hidden visibility; what this header declares is its
 * whole exported ABI. */
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
 * process's memory (and, for VUC_DMA_HUGETLB, its huge pages) until
 * reused or the client is freed. The fd and address of an unmapped map must
 * not be used: they may belong to a later map.
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

/* ---- Mappings ----------------------------------------------------------- */

/**
 * mmap a region's mappable areas (all of it, or its sparse areas), after
 * checking with fstat that the server's fd covers them.
 * @param client the client.
 * @param index region index.
 * @return 0, -ENODEV for no such region, -ENOTSUP when it is not mappable,
 * or -EINVAL / the mmap errno, with vuc_strerror() saying why.
 */
int vuc_region_mmap(struct vuc_client *client, uint32_t index);

/**
 * Unmap whatever vuc_region_mmap() mapped for a region.
 * @param client the client.
 * @param index region index; one without mappings is ignored.
 */
void vuc_region_munmap(struct vuc_client *client, uint32_t index);

/**
 * The address of [offset, offset+len) of a region when that whole range lies
 * inside one mapped area. Valid until the region is unmapped or the client
 * freed.
 * @param client the client.
 * @param index region index.
 * @param offset from the start of the region.
 * @param len bytes.
 * @return the address, or NULL when no mapped area holds the range.
 */
void *vuc_region_ptr(const struct vuc_client *client, uint32_t index,
                     uint64_t offset, uint64_t len);

/* ---- Region I/O --------------------------------------------------------- */

/**
 * Read len bytes of a region into buf. A range inside a mapping is read
 * through it (1, 2, 4 and 8 byte aligned reads as single accesses) and
 * completes on the next loop iteration; otherwise REGION_READ messages carry
 * it, split at the server's max_data_xfer_size. Either all bytes arrive or
 * the result is an error.
 * @param client the client.
 * @param index region index.
 * @param offset from the start of the region.
 * @param buf caller memory that must stay valid until cb fires.
 * @param len bytes.
 * @param timeout_ms VUC_TIMEOUT_DEFAULT, VUC_TIMEOUT_NONE or milliseconds.
 * @param cb called once with the result.
 * @param arg passed to cb.
 * @return 0 when started; -ENOTCONN, -ENODEV (no region), -ERANGE (beyond the
 * region), -EACCES (region not readable), -EINVAL.
 */
int vuc_region_read_async(struct vuc_client *client, uint32_t index,
                          uint64_t offset, void *buf, size_t len,
                          int timeout_ms, vuc_done_cb cb, void *arg);

/**
 * Write len bytes from buf to a region; acknowledged writes (each message
 * waits for its reply). The data is copied before this returns, so buf may be
 * reused at once.
 * @param client the client.
 * @param index region index.
 * @param offset from the start of the region.
 * @param buf the bytes, copied before this returns.
 * @param len bytes.
 * @param timeout_ms VUC_TIMEOUT_DEFAULT, VUC_TIMEOUT_NONE or milliseconds.
 * @param cb called once with the result.
 * @param arg passed to cb.
 * @return as vuc_region_read_async(); -EACCES when the region is not
 * writeable.
 */
int vuc_region_write_async(struct vuc_client *client, uint32_t index,
                           uint64_t offset, const void *buf, size_t len,
                           int timeout_ms, vuc_done_cb cb, void *arg);

/**
 * Send DEVICE_RESET if the device advertises VFIO_USER_DEVICE_FLAGS_RESET.
 * By default it has no timeout (a reset may take arbitrarily long).
 * @param client the client.
 * @param timeout_ms VUC_TIMEOUT_DEFAULT (none, for a reset),
 *        VUC_TIMEOUT_NONE or milliseconds.
 * @param cb called once with the result.
 * @param arg passed to cb.
 * @return 0 when started, -ENOTSUP when the device cannot reset.
 */
int vuc_device_reset_async(struct vuc_client *client, int timeout_ms,
                           vuc_done_cb cb, void *arg);

/* ---- Write ordering ------------------------------------------------------ */
/*
 * A posted write is sent with No_reply and completes at once; the protocol's
 * one ordering rule ("Command Concurrency") is that it is processed before
 * the reply to any later message. A read through a mapping, an interrupt or
 * DMA memory can observe the device by another path and overtake it, so
 * posting is a policy, chosen per client:
 *
 *  - VUC_POSTING_STRICT (default): PCI ordering. Writes to memory BARs are
 *    posted only while no region has a live mapping (the socket then keeps
 *    them in order); config space and I/O BARs never are.
 *  - VUC_POSTING_FENCED: memory-BAR writes are posted, and libvuc fences
 *    before anything that can observe the device another way: an access
 *    through a mapping by libvuc's accessors, waiting for or delivering an
 *    interrupt, reading DMA memory with vuc_dma_read(), and vuc_fence().
 *  - VUC_POSTING_POSTED: memory-BAR writes are posted and ordering is the
 *    caller's job (vuc_fence() when it matters).
 *
 * What is ordered is every write that completed (its callback ran) or was
 * posted; an acknowledged write whose reply has not come is still in
 * flight and, like any asynchronous request, ordered only by waiting for
 * it.
 *
 * vuc_posted_safe() marks ranges (doorbells) that are posted under every
 * policy. A fence is one round trip that confirms every earlier posted
 * write was processed, and costs nothing when none is outstanding.
 *
 * A posted write cannot return its own error. The next fence reports it
 * (naming the write when the server said which one failed), and so does
 * the disconnect callback's log line when the connection ends first.
 *
 * When the server offers write_multiple, posted writes of up to 8 bytes
 * that queue up behind a busy socket travel together in
 * REGION_WRITE_MULTI; so do those issued inside one of libvuc's callbacks,
 * and those issued while the client is corked (see vuc_cork()). A blocking
 * caller's write on an idle socket outside the loop is never held back. When
 * the server gives ioeventfds (GET_REGION_IO_FDS), a posted write that
 * matches one is delivered by signalling it: the doorbell fast path.
 */
/** Posting policy: which writes may complete before the device saw them
 * (see the section above). */
enum vuc_posting {
    VUC_POSTING_STRICT = 0, /**< PCI ordering (the default) */
    VUC_POSTING_FENCED = 1, /**< posted, fenced before any observation */
    VUC_POSTING_POSTED = 2, /**< posted; the caller fences */
};

/**
 * Choose the posting policy. Switching to a stricter one fences first
 * (blocking: not from a callback).
 * @param client the client.
 * @param policy the new policy.
 * @return 0, or the fence's error.
 */
int vuc_set_posting(struct vuc_client *client, enum vuc_posting policy);

/**
 * The current posting policy.
 * @param client the client.
 * @return the policy.
 */
enum vuc_posting vuc_get_posting(const struct vuc_client *client);

/**
 * Mark [offset, offset + len) of a region as safe to post under every
 * policy (at most 64 ranges per client).
 * @param client the client.
 * @param index region index.
 * @param offset from the start of the region.
 * @param len bytes.
 * @return 0, -ENODEV, -ERANGE, -ENOSPC.
 */
int vuc_posted_safe(struct vuc_client *client, uint32_t index, uint64_t offset,
                    uint64_t len);

/* ---- Write combining ---------------------------------------------------- */
/**
 * Whether posted writes to a region combine (vuc_set_write_combining()).
 *
 * Posted writes to a combinable region merge in one buffer per client when
 * they are contiguous or overlap (the last value written to a byte wins),
 * and the buffer leaves as one posted REGION_WRITE (or joins a
 * REGION_WRITE_MULTI batch when it is small); at a fence it leaves as the
 * fence's own message, a REGION_WRITE awaiting its reply, whose failure
 * the fence reports. It leaves before anything
 * ordered after it: any other message (a read, a fence, a DMA map or
 * unmap, an access to another region), an access through a mapping or a
 * doorbell, an interrupt wait, vuc_uncork(), the end of a turn of the
 * event loop, and a write it cannot join (which then starts the next
 * buffer). A turn that completes one of libvuc's blocking calls does not
 * end the caller's sequence, so blocking writes keep combining until one
 * of the other points, or until the caller's own event loop runs next
 * (its first turn sends the buffer, unless the client is corked). The buffer holds at most the limit (see
 * vuc_set_wc_limit()) and never more than the server's max_data_xfer_size.
 *
 * By default, prefetchable memory BARs combine under VUC_POSTING_FENCED and
 * VUC_POSTING_POSTED, and nothing combines under VUC_POSTING_STRICT.
 * Config space, I/O BARs, non-prefetchable BARs and other regions combine
 * only when the caller turns combining on for them.
 */
enum vuc_wc {
    VUC_WC_DEFAULT = 0, /**< prefetchable memory BARs, not under strict */
    VUC_WC_OFF = 1,     /**< never */
    VUC_WC_ON = 2,      /**< always (the caller vouches for the region) */
};

/** The index that sets every region at once in vuc_set_write_combining(). */
#define VUC_WC_ALL_REGIONS UINT32_MAX
/** The largest combining buffer, in bytes. */
#define VUC_WC_LIMIT_MAX 4096u

/**
 * Choose whether posted writes to a region combine.
 * @param client the client (connected, unless index is VUC_WC_ALL_REGIONS)
 * @param index a region index below 32, or VUC_WC_ALL_REGIONS
 * @param mode VUC_WC_DEFAULT, VUC_WC_OFF or VUC_WC_ON
 * @return 0; -EINVAL for an unknown mode; -ENODEV when the region does not
 * exist; -ERANGE for an index of 32 or more. What the buffer held for a
 * region turned off is sent first (its error is returned).
 */
int vuc_set_write_combining(struct vuc_client *client, uint32_t index,
                            enum vuc_wc mode);

/**
 * Does a posted write to region index combine now (mode, policy, BAR)?
 * @param client the client.
 * @param index a region index.
 * @return true or false (false for a region that does not exist).
 */
bool vuc_write_combines(const struct vuc_client *client, uint32_t index);

/**
 * Limit the combining buffer, below the server's max_data_xfer_size.
 * @param client the client.
 * @param bytes 1 to VUC_WC_LIMIT_MAX, or 0 for VUC_WC_LIMIT_MAX
 * @return 0, or -EINVAL for a limit above VUC_WC_LIMIT_MAX. What the buffer
 * held is sent first (its error is returned).
 */
int vuc_set_wc_limit(struct vuc_client *client, uint32_t bytes);

/** What write combining did since the client was made. */
struct vuc_wc_stats {
    uint64_t writes;  /**< posted writes that went into the buffer */
    uint64_t flushes; /**< buffers sent (each one write) */
};

/**
 * Read what write combining did since the client was made.
 * @param client the client.
 * @param out filled with the counts.
 */
void vuc_get_wc_stats(const struct vuc_client *client,
                      struct vuc_wc_stats *out);

/**
 * Confirm that every write posted so far was processed.
 * @param client the client.
 * @param timeout_ms VUC_TIMEOUT_DEFAULT, VUC_TIMEOUT_NONE or milliseconds.
 * @param cb called once with the result.
 * @param arg passed to cb.
 * @return 0 when started (cb gets 0, or the error of a failed posted
 * write, then forgotten).
 */
int vuc_fence_async(struct vuc_client *client, int timeout_ms, vuc_done_cb cb,
                    void *arg);

/**
 * Hold small posted writes back so that they travel together: until the
 * matching vuc_uncork(), posted writes of up to 8 bytes collect into
 * REGION_WRITE_MULTI messages of up to 200 writes (QEMU's limit, which
 * libvfio-user also accepts). A batch leaves when it is full, at the
 * outermost vuc_uncork(), and before any message that must be ordered after
 * it: a read, a fence, a write that is not posted, a DMA map or unmap, any
 * other request, a doorbell, and before vuc_irq_wait() waits. Nothing is
 * sent later than that, and the order of writes is kept.
 *
 * Without cork, posted writes issued inside one of libvuc's callbacks (a
 * completion, an interrupt or disconnect callback) are batched the same way
 * and leave together when control returns to the event loop, as a
 * bufferevent flushes; a blocking caller's write leaves at once. libvuc
 * cannot tell the caller's own event callbacks from code outside the loop,
 * so writes issued there leave at once too, unless corked.
 *
 * Corking changes when writes leave, never which writes are posted: that is
 * the posting policy's (vuc_set_posting()). It has no effect when the
 * server does not offer write_multiple. Calls nest; the cork outlives a
 * lost connection and a reconnect (held writes that were not sent when the
 * connection ended are logged, as unconfirmed posted writes are).
 * @param client the client.
 * @return 0, or -EOVERFLOW when nested UINT_MAX deep.
 */
int vuc_cork(struct vuc_client *client);

/**
 * End one vuc_cork(); the outermost sends what was held.
 * @param client the client.
 * @return 0; -EINVAL when the client is not corked; -ENOMEM or -ENOTCONN
 *         when the held writes could not be sent (the next fence reports
 *         the same loss, since those writes were posted).
 */
int vuc_uncork(struct vuc_client *client);

/** Posting statistics, for tools and benchmarks. */
struct vuc_posting_stats {
    uint64_t posted;       /**< writes sent with No_reply */
    uint64_t multi_msgs;   /**< REGION_WRITE_MULTI messages sent */
    uint64_t multi_writes; /**< writes carried in them */
    uint64_t doorbells;    /**< writes delivered through an ioeventfd */
    uint64_t fences;       /**< fences that needed a round trip */
};

/**
 * Read the posting statistics.
 * @param client the client.
 * @param out receives the counts since the client was made.
 */
void vuc_get_posting_stats(const struct vuc_client *client,
                           struct vuc_posting_stats *out);

/** An ioeventfd the server offered for a region (GET_REGION_IO_FDS). */
struct vuc_ioeventfd {
    uint64_t offset; /**< from the start of the region */
    uint64_t size;   /**< access width; 0: any */
    bool datamatch;  /**< only writes of data signal it */
    uint64_t data;   /**< the value to match */
};

/**
 * The ioeventfds of a region, for tools.
 * @param client the client.
 * @param index region index.
 * @param n receives how many there are.
 * @return the array, owned by the client; NULL and *n = 0 without any.
 */
const struct vuc_ioeventfd *
vuc_region_ioeventfds(const struct vuc_client *client, uint32_t index,
                      unsigned *n);

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

/* ---- Interrupts ---------------------------------------------------------- */
/*
 * Interrupts reach the client as eventfds the server signals. libvuc can own
 * the eventfds and read them on the event loop (per-vector callbacks, exact
 * counts of coalesced events, vuc_irq_wait()), or pass eventfds a VMM owns.
 * SET_IRQS messages are split so that none carries more fds than the
 * server's max_msg_fds, and each carries either only valid fds or a pure
 * de-assign run. On a NORESIZE index, growing the enabled set disables the
 * index and enables the whole new set, as the specification requires;
 * libvuc does that for the caller.
 *
 * After a successful DEVICE_RESET libvuc sends its irq configuration again,
 * because servers differ in what a reset does to eventfds: callbacks and
 * eventfds keep working across a reset.
 */

/** Any index or vector, for vuc_irq_wait(). */
#define VUC_IRQ_ANY UINT32_MAX

/** Events of one vector: the client, the irq index and vector, how many
 * events the server signalled since the last report (eventfd counters add
 * up, so none is lost), and the cb_arg given with vuc_irq_enable_async(). */
typedef void (*vuc_irq_cb)(struct vuc_client *client, uint32_t index,
                           uint32_t vector, uint64_t count, void *arg);

/**
 * Enable vectors [start, start + count) of an irq index with eventfds that
 * libvuc owns and reads on the event loop.
 * @param client the client.
 * @param index irq index.
 * @param start first vector.
 * @param count vectors.
 * @param cb called for each signalled vector (may be NULL: then only
 *        vuc_irq_wait() and vuc_irq_total() see the events).
 * @param cb_arg passed to cb.
 * @param timeout_ms VUC_TIMEOUT_DEFAULT, VUC_TIMEOUT_NONE or milliseconds.
 * @param done called once with the result.
 * @param arg passed to done.
 * @return 0 when started; -ENODEV (no such index), -ERANGE (vectors beyond
 * its count), -ENOTSUP (index without eventfd support), -ENOTCONN.
 * On failure the vectors this call added are released again.
 */
int vuc_irq_enable_async(struct vuc_client *client, uint32_t index,
                         uint32_t start, uint32_t count, vuc_irq_cb cb,
                         void *cb_arg, int timeout_ms, vuc_done_cb done,
                         void *arg);

/**
 * Assign caller-owned eventfds to vectors [start, start + count): fds[i]
 * for vector start + i, or -1 to de-assign that vector. libvuc duplicates
 * them; the caller keeps and reads its own.
 * @param client the client.
 * @param index irq index.
 * @param start first vector.
 * @param count vectors, and entries of fds.
 * @param fds the eventfds.
 * @param timeout_ms VUC_TIMEOUT_DEFAULT, VUC_TIMEOUT_NONE or milliseconds.
 * @param done called once with the result.
 * @param arg passed to done.
 * @return 0 when started; -ENODEV, -ERANGE, -ENOTSUP, -EBADF, -ENOTCONN.
 */
int vuc_irq_set_eventfds_async(struct vuc_client *client, uint32_t index,
                               uint32_t start, uint32_t count, const int *fds,
                               int timeout_ms, vuc_done_cb done, void *arg);

/**
 * Disable every vector of an index (SET_IRQS with count 0) and release
 * its eventfds.
 * @param client the client.
 * @param index irq index.
 * @param timeout_ms VUC_TIMEOUT_DEFAULT, VUC_TIMEOUT_NONE or milliseconds.
 * @param done called once with the result.
 * @param arg passed to done.
 * @return 0 when started; -ENODEV, -ENOTCONN.
 */
int vuc_irq_disable_async(struct vuc_client *client, uint32_t index,
                          int timeout_ms, vuc_done_cb done, void *arg);

/**
 * Mask, unmask or trigger vectors [start, start + count): action is
 * VFIO_USER_IRQ_SET_ACTION_MASK, _UNMASK or _TRIGGER. With which == NULL
 * every vector (DATA_NONE); otherwise which[i] says whether vector
 * start + i is affected (DATA_BOOL).
 * @param client the client.
 * @param index irq index.
 * @param start first vector.
 * @param count vectors.
 * @param action one VFIO_USER_IRQ_SET_ACTION_*.
 * @param which count flags, or NULL for all.
 * @param timeout_ms VUC_TIMEOUT_DEFAULT, VUC_TIMEOUT_NONE or milliseconds.
 * @param done called once with the result.
 * @param arg passed to done.
 * @return 0 when started; -ENODEV, -ERANGE, -EINVAL, -ENOTSUP for mask/unmask
 * on an index that is not MASKABLE.
 */
int vuc_irq_action_async(struct vuc_client *client, uint32_t index,
                         uint32_t start, uint32_t count, uint32_t action,
                         const bool *which, int timeout_ms, vuc_done_cb done,
                         void *arg);

/**
 * Send one SET_IRQS exactly as given (any DATA/ACTION combination, e.g. an
 * eventfd signalled when the device masks a vector). fds are duplicated.
 * Nothing is checked but what the wire format itself needs; for tools and
 * conformance tests.
 * @param client the client.
 * @param flags the message's VFIO_USER_IRQ_SET_* flags.
 * @param index irq index.
 * @param start first vector.
 * @param count vectors.
 * @param bools count bytes with DATA_BOOL, else NULL.
 * @param fds nfds eventfds with DATA_EVENTFD, else NULL.
 * @param nfds entries of fds.
 * @param timeout_ms VUC_TIMEOUT_DEFAULT, VUC_TIMEOUT_NONE or milliseconds.
 * @param done called once with the result.
 * @param arg passed to done.
 * @return 0 when started; -EINVAL when the message cannot be built,
 * -ENOTCONN.
 */
int vuc_irq_set_raw_async(struct vuc_client *client, uint32_t flags,
                          uint32_t index, uint32_t start, uint32_t count,
                          const uint8_t *bools, const int *fds, unsigned nfds,
                          int timeout_ms, vuc_done_cb done, void *arg);

/**
 * Whether a vector has an eventfd assigned (libvuc's or the caller's).
 * @param client the client.
 * @param index irq index.
 * @param vector the vector.
 * @return true when it has one.
 */
bool vuc_irq_enabled(const struct vuc_client *client, uint32_t index,
                     uint32_t vector);

/**
 * Events seen on a library-owned vector since it was enabled.
 * @param client the client.
 * @param index irq index.
 * @param vector the vector.
 * @return the count; 0 for a vector libvuc does not own.
 */
uint64_t vuc_irq_total(const struct vuc_client *client, uint32_t index,
                       uint32_t vector);

/** An event reported by vuc_irq_wait(). */
struct vuc_irq_event {
    uint32_t index;  /**< irq index */
    uint32_t vector; /**< the vector */
    uint64_t count;  /**< events since the last wait that reported it */
};

/**
 * Wait for events on a library-owned vector (blocking layer): returns at
 * once with events not yet reported by an earlier wait, else runs the loop
 * until one comes. Blocking: not from a callback.
 * @param client the client.
 * @param index irq index to wait for, or VUC_IRQ_ANY.
 * @param vector vector to wait for, or VUC_IRQ_ANY.
 * @param timeout_ms ms, VUC_TIMEOUT_DEFAULT (the client's request timeout)
 *        or VUC_TIMEOUT_NONE for ever.
 * @param ev receives the event.
 * @return 0 with *ev filled, -ETIMEDOUT, -ENOTCONN.
 */
int vuc_irq_wait(struct vuc_client *client, uint32_t index, uint32_t vector,
                 int timeout_ms, struct vuc_irq_event *ev);

/* ---- PCI helpers (blocking) ---------------------------------------------- */
/* Each runs the client's event base until done: not from a callback. */

/** @name Config space access
 * Typed config-space access (little-endian, as PCI defines); each returns
 * 0 or the error of the region access.
 * @{ */
/** Read 8 bits. @param client the client. @param off offset in config
 * space. @param val receives the value. @return 0 or a negative errno. */
int vuc_cfg_read8(struct vuc_client *client, uint32_t off, uint8_t *val);
/** Read 16 bits. @param client the client. @param off offset in config
 * space. @param val receives the value. @return 0 or a negative errno. */
int vuc_cfg_read16(struct vuc_client *client, uint32_t off, uint16_t *val);
/** Read 32 bits. @param client the client. @param off offset in config
 * space. @param val receives the value. @return 0 or a negative errno. */
int vuc_cfg_read32(struct vuc_client *client, uint32_t off, uint32_t *val);
/** Write 8 bits. @param client the client. @param off offset in
 * config space. @param val the value. @return 0 or a negative errno. */
int vuc_cfg_write8(struct vuc_client *client, uint32_t off, uint8_t val);
/** Write 16 bits. @param client the client. @param off offset in
 * config space. @param val the value. @return 0 or a negative errno. */
int vuc_cfg_write16(struct vuc_client *client, uint32_t off, uint16_t val);
/** Write 32 bits. @param client the client. @param off offset in
 * config space. @param val the value. @return 0 or a negative errno. */
int vuc_cfg_write32(struct vuc_client *client, uint32_t off, uint32_t val);
/** @} */

/** A PCI capability found in config space. */
struct vuc_pci_cap {
    uint16_t id;     /**< capability id (8-bit for standard ones) */
    uint16_t offset; /**< in config space */
    bool extended;   /**< from the PCI Express extended list (0x100+) */
    uint8_t version; /**< extended capabilities only */
};

/**
 * Walk the standard and extended capability lists into caps (at most max
 * entries). The walk is bounded and stops with -ELOOP on a list that
 * revisits an entry, -EPROTO on a pointer into the header or off the
 * config space.
 * @param client the client.
 * @param caps receives the capabilities.
 * @param max entries of caps.
 * @return the number found (which may exceed max), or a negative errno.
 */
int vuc_pci_caps(struct vuc_client *client, struct vuc_pci_cap *caps,
                 unsigned max);

/**
 * Find a capability.
 * @param client the client.
 * @param id capability id.
 * @param extended look for an extended capability.
 * @return the offset of the first capability with this id, -ENOENT, or
 * another negative errno.
 */
int vuc_pci_find_cap(struct vuc_client *client, uint16_t id, bool extended);

/** The MSI-X capability, decoded. */
struct vuc_pci_msix {
    uint16_t offset;       /**< of the capability */
    uint16_t table_size;   /**< vectors */
    uint8_t table_bar;     /**< BAR of the vector table */
    uint8_t pba_bar;       /**< BAR of the pending bit array */
    uint32_t table_offset; /**< in its BAR */
    uint32_t pba_offset;   /**< in its BAR */
    bool enabled;          /**< MSI-X Enable */
    bool masked;           /**< Function Mask */
};

/**
 * Decode the MSI-X capability.
 * @param client the client.
 * @param out receives it.
 * @return 0, -ENOENT without one, or another negative errno.
 */
int vuc_pci_msix(struct vuc_client *client, struct vuc_pci_msix *out);

/**
 * Enable MSI-X the way a driver does: vectors [0, nvec) through SET_IRQS
 * with library-owned eventfds and cb, then the enable bit in the MSI-X
 * message control register. vuc_pci_msix_disable() undoes both.
 * @param client the client.
 * @param nvec vectors.
 * @param cb called for each signalled vector.
 * @param cb_arg passed to cb.
 * @return 0, or a negative errno.
 */
int vuc_pci_msix_enable(struct vuc_client *client, uint32_t nvec, vuc_irq_cb cb,
                        void *cb_arg);

/**
 * Undo vuc_pci_msix_enable(): clear the enable bit, disable the vectors.
 * @param client the client.
 * @return 0, or a negative errno.
 */
int vuc_pci_msix_disable(struct vuc_client *client);

/** A BAR, decoded. */
struct vuc_pci_bar {
    bool present;      /**< region size > 0 */
    bool io;           /**< I/O space, else memory */
    bool is64;         /**< 64-bit memory BAR (takes this slot and the next) */
    bool prefetchable; /**< prefetchable memory */
    uint64_t address;  /**< what the BAR register(s) hold */
    uint64_t size;     /**< from the region info, not by sizing writes */
};

/**
 * Decode a BAR from config space and region info.
 * @param client the client.
 * @param n the BAR, 0 to 5.
 * @param out receives it.
 * @return 0, -EINVAL, -ENODEV, or the error of the config read.
 */
int vuc_pci_bar(struct vuc_client *client, unsigned n, struct vuc_pci_bar *out);

/** @name PCI command register bits
 * @{ */
#define VUC_PCI_COMMAND_IO 0x0001u           /**< I/O space enable */
#define VUC_PCI_COMMAND_MEMORY 0x0002u       /**< memory space enable */
#define VUC_PCI_COMMAND_MASTER 0x0004u       /**< bus master enable */
#define VUC_PCI_COMMAND_INTX_DISABLE 0x0400u /**< INTx disable */
/** @} */

/**
 * Read-modify-write of the command register: set, then clear, bits.
 * @param client the client.
 * @param set bits to set (VUC_PCI_COMMAND_*).
 * @param clear bits to clear.
 * @param old receives the previous value (may be NULL).
 * @return 0, or the error of the config access.
 */
int vuc_pci_command(struct vuc_client *client, uint16_t set, uint16_t clear,
                    uint16_t *old);

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

#endif /* VUC_VUC_H */
