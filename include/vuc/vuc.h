/* SPDX-License-Identifier: BSD-3-Clause */
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

/** Library version. */
#define VUC_VERSION_MAJOR 0
#define VUC_VERSION_MINOR 1
#define VUC_VERSION_PATCH 0

/** The library's version at run time, e.g. "0.1.0" (a static string). */
const char *vuc_version(void);

/** The vfio-user protocol version libvuc proposes by default. */
#define VUC_PROTO_MAJOR 0
#define VUC_PROTO_MINOR 0

/** Timeout values for vuc_options_set_timeout() and the timeout_ms argument
 * of asynchronous calls. */
#define VUC_TIMEOUT_DEFAULT (-1) /**< use the client's default */
#define VUC_TIMEOUT_NONE 0       /**< wait for ever */

/** Upper bounds libvuc enforces on what a server may describe. */
#define VUC_MAX_REGIONS 64
#define VUC_MAX_IRQ_INDEXES 32
#define VUC_MAX_SPARSE_AREAS 64
#define VUC_MAX_REGION_INFO_SIZE 65536

/* ---- Logging ------------------------------------------------------------ */

enum vuc_log_level {
    VUC_LOG_ERR = 3,
    VUC_LOG_WARNING = 4,
    VUC_LOG_INFO = 6,
    VUC_LOG_DEBUG = 7,
};

/** Receives one log line (no trailing newline), borrowed for the call. */
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

/** Free options made by vuc_options_new(). NULL is ignored. */
void vuc_options_free(struct vuc_options *opts);

/**
 * Set the default timeout of every request except DEVICE_RESET.
 * @param ms milliseconds, or VUC_TIMEOUT_NONE.
 * @return 0, or -EINVAL.
 */
int vuc_options_set_timeout(struct vuc_options *opts, int ms);

/**
 * Set the protocol version to propose in VERSION.
 * @return 0, or -EINVAL.
 */
int vuc_options_set_version(struct vuc_options *opts, uint16_t major,
                            uint16_t minor);

/**
 * Set how many fds libvuc accepts in one message (proposed as max_msg_fds).
 * @param n 1 to 253 (the kernel's SCM_MAX_FD).
 * @return 0, or -EINVAL.
 */
int vuc_options_set_max_msg_fds(struct vuc_options *opts, unsigned n);

/**
 * Set the largest data transfer libvuc accepts from the server (proposed as
 * max_data_xfer_size): bounds DMA_READ/DMA_WRITE requests it serves.
 * @param bytes 4096 to 64 MiB.
 * @return 0, or -EINVAL.
 */
int vuc_options_set_max_data_xfer_size(struct vuc_options *opts,
                                       uint32_t bytes);

/**
 * Choose whether connecting mmaps every mappable region (default true).
 * Without it, call vuc_region_mmap() for the regions you want mapped.
 * @return 0.
 */
int vuc_options_set_auto_mmap(struct vuc_options *opts, bool on);

/**
 * Pass no fd with any DMA map of this client (default false): the server
 * reaches client memory only through DMA_READ/DMA_WRITE messages, which
 * libvuc checks against its map table. For servers you do not trust with
 * your memory.
 * @return 0.
 */
int vuc_options_set_dma_noshare(struct vuc_options *opts, bool on);

/**
 * Ask for twin-socket mode (default true): server-to-client commands then
 * travel on a socket of their own. Falls back to one socket when the server
 * does not grant it.
 * @return 0.
 */
int vuc_options_set_twin_socket(struct vuc_options *opts, bool on);

/**
 * Unmask an AUTOMASKED interrupt (INTx) after each event, once its callback
 * returned (default true), so a driver's handler can clear the cause first.
 * Off, the caller unmasks with vuc_irq_action().
 * @return 0.
 */
int vuc_options_set_irq_auto_unmask(struct vuc_options *opts, bool on);

/**
 * Set the log callback. libvuc never prints by itself.
 * @param level the most verbose level passed to fn.
 * @return 0.
 */
int vuc_options_set_log(struct vuc_options *opts, vuc_log_fn fn, void *arg,
                        enum vuc_log_level level);

/* ---- Client lifetime ---------------------------------------------------- */

struct vuc_client;

/** Completion of an operation that returns no data: 0 or a negative errno. */
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
 * release is deferred until that callback returns). NULL is ignored.
 */
void vuc_client_free(struct vuc_client *client);

/** Set the disconnect callback (NULL to clear). */
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
 * @return a string owned by the client, valid until its next operation;
 * "" when nothing has failed.
 */
const char *vuc_strerror(const struct vuc_client *client);

/** The client's event base. */
struct event_base *vuc_client_base(const struct vuc_client *client);

/* ---- Connecting --------------------------------------------------------- */

/**
 * Connect to a UNIX socket, negotiate the version and discover the device
 * (DEVICE_GET_INFO, every region and irq index), then complete.
 * Nothing blocks: a server that does not accept (its listen backlog is
 * full) is waited for from the event loop, for at most the client's timeout;
 * then the callback gets -ETIMEDOUT ("did not accept the connection").
 * @return 0 when started; -ENAMETOOLONG, -EISCONN, or the connect() errno
 * of a failure known at once (-ENOENT, -ECONNREFUSED, ...).
 */
int vuc_connect_path_async(struct vuc_client *client, const char *path,
                           vuc_done_cb cb, void *arg);

/**
 * As vuc_connect_path_async() on a connected stream socket.
 * @param fd the socket; the client owns it from this call on, even on
 *        failure.
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
 * @return as vuc_connect_path_async().
 */
int vuc_reconnect_path_async(struct vuc_client *client, const char *path,
                             vuc_done_cb cb, void *arg);

/** As vuc_reconnect_path_async() on a connected stream socket (owned by the
 * client from this call on, even on failure). */
int vuc_reconnect_fd_async(struct vuc_client *client, int fd, vuc_done_cb cb,
                           void *arg);

/**
 * Close the connection, keeping what it set up for vuc_reconnect_*(): the
 * DMA maps (memory stays valid) and the vectors' eventfds. Requests in flight
 * complete with -ECANCELED, messages not yet sent are dropped (fence first if
 * posted writes must arrive), and the disconnect callback is not called.
 * @return 0, or -ENOTCONN when there is no connection (or connect) to close.
 */
int vuc_disconnect(struct vuc_client *client);

/** Whether the client has a negotiated, discovered connection. */
bool vuc_is_connected(const struct vuc_client *client);

/* ---- Negotiated values -------------------------------------------------- */

/** What was negotiated in VERSION; absent capabilities hold spec defaults.
 * The server_* values are the server's limits for what we send it; the
 * client_* values are what we proposed to accept from it. */
struct vuc_caps {
    uint16_t major, minor;
    uint32_t server_max_msg_fds;
    uint32_t server_max_data_xfer_size;
    uint32_t client_max_msg_fds;
    uint32_t client_max_data_xfer_size;
    uint32_t max_dma_maps;
    uint64_t pgsizes;
    uint64_t migration_pgsize; /**< 0 when the server did not say */
    bool write_multiple;
    bool twin_socket;
};

/** The negotiated values, or NULL before negotiation. Owned by the client. */
const struct vuc_caps *vuc_get_caps(const struct vuc_client *client);

/** The server's VERSION JSON text ("" when it sent none), owned by the client.
 */
const char *vuc_server_json(const struct vuc_client *client);

/* ---- Device, region and irq information -------------------------------- */

struct vuc_device_info {
    uint32_t flags; /**< VFIO_USER_DEVICE_FLAGS_* */
    uint32_t num_regions;
    uint32_t num_irqs;
};

struct vuc_sparse_area {
    uint64_t offset; /**< from the start of the region */
    uint64_t size;
};

struct vuc_region_info {
    uint32_t index;
    uint32_t flags; /**< VFIO_USER_REGION_INFO_FLAG_* */
    uint64_t size;
    uint64_t mmap_offset; /**< offset for mmap() of the region fd */
    bool has_fd;          /**< the server passed an fd for mmap */
    bool has_type;        /**< a region type capability was present */
    uint32_t type, subtype;
    bool msix_mappable; /**< MSIX_MAPPABLE capability present */
    unsigned nr_sparse; /**< sparse mmap areas; 0 means the whole region */
    bool sparse_cap;    /**< a sparse mmap capability was present */
    struct vuc_sparse_area sparse[VUC_MAX_SPARSE_AREAS];
    unsigned nr_mapped; /**< areas currently mmapped by libvuc */
};

struct vuc_irq_info {
    uint32_t index;
    uint32_t flags; /**< VFIO_USER_IRQ_INFO_* */
    uint32_t count;
};

/** Cached DEVICE_GET_INFO of the connected device, or NULL. */
const struct vuc_device_info *
vuc_get_device_info(const struct vuc_client *client);

/** Cached region info, or NULL when index is out of range. */
const struct vuc_region_info *
vuc_get_region_info(const struct vuc_client *client, uint32_t index);

/** Cached irq info, or NULL when index is out of range. */
const struct vuc_irq_info *vuc_get_irq_info(const struct vuc_client *client,
                                            uint32_t index);

/** A short name for a PCI region index ("BAR0".."BAR5", "ROM", "CONFIG",
 * "VGA"; "REGION9" to "REGION16" and then "REGION" beyond). Static strings. */
const char *vuc_region_name(uint32_t index);

/** A short name for a PCI irq index ("INTX", "MSI", "MSIX", "ERR", "REQ",
 * or "IRQ" beyond). Returns a static string. */
const char *vuc_irq_name(uint32_t index);

/* ---- Mappings ----------------------------------------------------------- */

/**
 * mmap a region's mappable areas (all of it, or its sparse areas), after
 * checking with fstat that the server's fd covers them.
 * @return 0, -ENODEV for no such region, -ENOTSUP when it is not mappable,
 * or -EINVAL / the mmap errno, with vuc_strerror() saying why.
 */
int vuc_region_mmap(struct vuc_client *client, uint32_t index);

/** Unmap whatever vuc_region_mmap() mapped for a region. */
void vuc_region_munmap(struct vuc_client *client, uint32_t index);

/**
 * The address of [offset, offset+len) of a region when that whole range lies
 * inside one mapped area, else NULL. Valid until the region is unmapped or
 * the client freed.
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
 * @param buf caller memory that must stay valid until cb fires.
 * @param timeout_ms per call: VUC_TIMEOUT_DEFAULT, VUC_TIMEOUT_NONE or ms.
 * @return 0 when started; -ENOTCONN, -ENODEV (no region), -ERANGE (beyond the
 * region), -EACCES (region not readable), -EINVAL.
 */
int vuc_region_read_async(struct vuc_client *client, uint32_t index,
                          uint64_t offset, void *buf, size_t len,
                          int timeout_ms, vuc_done_cb cb, void *arg);

/**
 * Write len bytes from buf to a region; acknowledged writes (each message
 * waits for its reply). The data is copied before this returns, so buf may be
 * reused at once. Errors as for vuc_region_read_async(), -EACCES when the
 * region is not writeable.
 */
int vuc_region_write_async(struct vuc_client *client, uint32_t index,
                           uint64_t offset, const void *buf, size_t len,
                           int timeout_ms, vuc_done_cb cb, void *arg);

/**
 * Send DEVICE_RESET if the device advertises VFIO_USER_DEVICE_FLAGS_RESET.
 * By default it has no timeout (a reset may take arbitrarily long).
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
 * REGION_WRITE_MULTI; a write on an idle socket is never held back. When
 * the server gives ioeventfds (GET_REGION_IO_FDS), a posted write that
 * matches one is delivered by signalling it: the doorbell fast path.
 */
enum vuc_posting {
    VUC_POSTING_STRICT = 0,
    VUC_POSTING_FENCED = 1,
    VUC_POSTING_POSTED = 2,
};

/** Choose the posting policy. Switching to a stricter one fences first.
 * @return 0, or the fence's error. */
int vuc_set_posting(struct vuc_client *client, enum vuc_posting policy);

/** The current policy. */
enum vuc_posting vuc_get_posting(const struct vuc_client *client);

/**
 * Mark [offset, offset + len) of a region as safe to post under every
 * policy (at most 64 ranges per client).
 * @return 0, -ENODEV, -ERANGE, -ENOSPC.
 */
int vuc_posted_safe(struct vuc_client *client, uint32_t index, uint64_t offset,
                    uint64_t len);

/**
 * Confirm that every write posted so far was processed.
 * @return 0 when started (cb gets 0, or the error of a failed posted
 * write, then forgotten).
 */
int vuc_fence_async(struct vuc_client *client, int timeout_ms, vuc_done_cb cb,
                    void *arg);

/** Posting statistics, for tools and benchmarks. */
struct vuc_posting_stats {
    uint64_t posted;       /**< writes sent with No_reply */
    uint64_t multi_msgs;   /**< REGION_WRITE_MULTI messages sent */
    uint64_t multi_writes; /**< writes carried in them */
    uint64_t doorbells;    /**< writes delivered through an ioeventfd */
    uint64_t fences;       /**< fences that needed a round trip */
};
void vuc_get_posting_stats(const struct vuc_client *client,
                           struct vuc_posting_stats *out);

/** An ioeventfd the server offered for a region (GET_REGION_IO_FDS). */
struct vuc_ioeventfd {
    uint64_t offset, size; /**< size 0: any access width */
    bool datamatch;
    uint64_t data;
};

/** The ioeventfds of a region, for tools; NULL and *n = 0 without any. */
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

/** Completion of a map: map is NULL unless result is 0. */
typedef void (*vuc_dma_map_cb)(struct vuc_client *client, int result,
                               struct vuc_dma_map *map, void *arg);

/**
 * Allocate size bytes (rounded up to the page size) of zeroed, sealed memfd
 * memory and map it for the device.
 * @param iova where the device sees it, or VUC_IOVA_ANY to let libvuc pick
 *        one aligned to the negotiated page size.
 * @param flags VUC_DMA_READ and/or VUC_DMA_WRITE, optionally
 *        VUC_DMA_NOSHARE (also implied by vuc_options_set_dma_noshare())
 *        and VUC_DMA_HUGETLB.
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
 * @param fd the memory's fd, or -1 for message-based DMA only; libvuc
 *        duplicates it, the caller keeps its own.
 * @param fd_offset where the map starts in fd (page aligned).
 * @param vaddr the caller's own mapping of the same memory, through which
 *        libvuc serves DMA_READ/DMA_WRITE; it must stay valid until the
 *        unmap completes, and be writable when flags has VUC_DMA_WRITE.
 * Caller memory is not sealed by libvuc: a server given its fd could
 * truncate a file under the mapping and make accesses fault (SIGBUS). Seal
 * it yourself (memfd F_SEAL_SHRINK), or use VUC_DMA_NOSHARE with servers
 * you do not trust.
 * Other parameters and errors as vuc_dma_alloc_async().
 */
int vuc_dma_map_async(struct vuc_client *client, int fd, uint64_t fd_offset,
                      void *vaddr, size_t size, uint64_t iova, unsigned flags,
                      int timeout_ms, vuc_dma_map_cb cb, void *arg);

/**
 * Unmap: send DMA_UNMAP for exactly this map and release it (and memory
 * libvuc allocated) only after the server's reply, since the server may DMA
 * until then. DMA requests keep being served for it meanwhile. Without a
 * connection the map is released locally.
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
 * @param bitmap caller memory of words 64-bit words (at least
 *        ceil(size / page_size / 64)), valid until cb.
 * @return 0 when started; -ENOTSUP outside the legacy mode, -EINVAL,
 * -ENOSPC; cb gets -ECONNRESET when the connection ended first (the map is
 * gone, the bitmap unknown).
 */
int vuc_dma_unmap_dirty_async(struct vuc_client *client,
                              struct vuc_dma_map *map, uint64_t page_size,
                              uint64_t *bitmap, size_t words, int timeout_ms,
                              vuc_done_cb cb, void *arg);

/** The map's IOVA, size, local address, flags (enum vuc_dma_flags). */
uint64_t vuc_dma_iova(const struct vuc_dma_map *map);
size_t vuc_dma_size(const struct vuc_dma_map *map);
void *vuc_dma_vaddr(const struct vuc_dma_map *map);
unsigned vuc_dma_map_flags(const struct vuc_dma_map *map);

/** The fd libvuc passed (or would pass) to the server, -1 without one. Owned
 * by the map. */
int vuc_dma_fd(const struct vuc_dma_map *map);

/** Number of maps, and the i-th in IOVA order (NULL past the end). Includes
 * maps whose DMA_MAP or DMA_UNMAP is still in flight. */
unsigned vuc_dma_count(const struct vuc_client *client);
struct vuc_dma_map *vuc_dma_at(const struct vuc_client *client, unsigned i);

/** The map that holds [iova, iova + len) entirely, or NULL. */
struct vuc_dma_map *vuc_dma_find(const struct vuc_client *client, uint64_t iova,
                                 size_t len);

/**
 * Copy between DMA memory, by IOVA, and a buffer: the client's own view of
 * what the device reads and writes. The range must lie in one map.
 * @return 0, or -EFAULT when no map holds the range.
 */
int vuc_dma_read(struct vuc_client *client, uint64_t iova, void *buf,
                 size_t len);
int vuc_dma_write(struct vuc_client *client, uint64_t iova, const void *buf,
                  size_t len);

/**
 * The pages of a map that the server wrote with DMA_WRITE messages: one bit
 * per 4 KiB page from the map's start (bit i of word i / 64 is page i). The
 * specification makes this the client's record; the server reports only
 * what it wrote through its own mapping.
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

/** Events of one vector: count is how many the server signalled since the
 * last report (eventfd counters add up, so none is lost). */
typedef void (*vuc_irq_cb)(struct vuc_client *client, uint32_t index,
                           uint32_t vector, uint64_t count, void *arg);

/**
 * Enable vectors [start, start + count) of an irq index with eventfds that
 * libvuc owns and reads on the event loop.
 * @param cb called for each signalled vector (may be NULL: then only
 *        vuc_irq_wait() and vuc_irq_total() see the events).
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
 */
int vuc_irq_set_eventfds_async(struct vuc_client *client, uint32_t index,
                               uint32_t start, uint32_t count, const int *fds,
                               int timeout_ms, vuc_done_cb done, void *arg);

/** Disable every vector of an index (SET_IRQS with count 0) and release
 * its eventfds. */
int vuc_irq_disable_async(struct vuc_client *client, uint32_t index,
                          int timeout_ms, vuc_done_cb done, void *arg);

/**
 * Mask, unmask or trigger vectors [start, start + count): action is
 * VFIO_USER_IRQ_SET_ACTION_MASK, _UNMASK or _TRIGGER. With which == NULL
 * every vector (DATA_NONE); otherwise which[i] says whether vector
 * start + i is affected (DATA_BOOL).
 * @return -ENOTSUP for mask/unmask on an index that is not MASKABLE.
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
 */
int vuc_irq_set_raw_async(struct vuc_client *client, uint32_t flags,
                          uint32_t index, uint32_t start, uint32_t count,
                          const uint8_t *bools, const int *fds, unsigned nfds,
                          int timeout_ms, vuc_done_cb done, void *arg);

/** Whether a vector has an eventfd assigned (libvuc's or the caller's). */
bool vuc_irq_enabled(const struct vuc_client *client, uint32_t index,
                     uint32_t vector);

/** Events seen on a library-owned vector since it was enabled. */
uint64_t vuc_irq_total(const struct vuc_client *client, uint32_t index,
                       uint32_t vector);

/** An event reported by vuc_irq_wait(). */
struct vuc_irq_event {
    uint32_t index, vector;
    uint64_t count; /**< events since the last wait that reported it */
};

/**
 * Wait for events on a library-owned vector (blocking layer): returns at
 * once with events not yet reported by an earlier wait, else runs the loop
 * until one comes.
 * @param index, vector what to wait for, or VUC_IRQ_ANY.
 * @param timeout_ms ms, VUC_TIMEOUT_DEFAULT (the client's request timeout)
 *        or VUC_TIMEOUT_NONE for ever.
 * @return 0 with *ev filled, -ETIMEDOUT, -ENOTCONN.
 */
int vuc_irq_wait(struct vuc_client *client, uint32_t index, uint32_t vector,
                 int timeout_ms, struct vuc_irq_event *ev);

/* ---- PCI helpers (blocking) ---------------------------------------------- */

/** Typed config-space access (little-endian, as PCI defines). */
int vuc_cfg_read8(struct vuc_client *client, uint32_t off, uint8_t *val);
int vuc_cfg_read16(struct vuc_client *client, uint32_t off, uint16_t *val);
int vuc_cfg_read32(struct vuc_client *client, uint32_t off, uint32_t *val);
int vuc_cfg_write8(struct vuc_client *client, uint32_t off, uint8_t val);
int vuc_cfg_write16(struct vuc_client *client, uint32_t off, uint16_t val);
int vuc_cfg_write32(struct vuc_client *client, uint32_t off, uint32_t val);

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
 * @return the number found (which may exceed max), or a negative errno.
 */
int vuc_pci_caps(struct vuc_client *client, struct vuc_pci_cap *caps,
                 unsigned max);

/** Offset of the first capability with this id (extended: an extended
 * one), or -ENOENT. */
int vuc_pci_find_cap(struct vuc_client *client, uint16_t id, bool extended);

struct vuc_pci_msix {
    uint16_t offset;     /**< of the capability */
    uint16_t table_size; /**< vectors */
    uint8_t table_bar, pba_bar;
    uint32_t table_offset, pba_offset;
    bool enabled, masked;
};

/** Decode the MSI-X capability; -ENOENT without one. */
int vuc_pci_msix(struct vuc_client *client, struct vuc_pci_msix *out);

/**
 * Enable MSI-X the way a driver does: vectors [0, nvec) through SET_IRQS
 * with library-owned eventfds and cb, then the enable bit in the MSI-X
 * message control register. vuc_pci_msix_disable() undoes both.
 */
int vuc_pci_msix_enable(struct vuc_client *client, uint32_t nvec, vuc_irq_cb cb,
                        void *cb_arg);
int vuc_pci_msix_disable(struct vuc_client *client);

struct vuc_pci_bar {
    bool present; /**< region size > 0 */
    bool io;      /**< I/O space, else memory */
    bool is64;    /**< 64-bit memory BAR (takes this slot and the next) */
    bool prefetchable;
    uint64_t address; /**< what the BAR register(s) hold */
    uint64_t size;    /**< from the region info, not by sizing writes */
};

/** Decode BAR n (0..5) from config space and region info. */
int vuc_pci_bar(struct vuc_client *client, unsigned n, struct vuc_pci_bar *out);

#define VUC_PCI_COMMAND_IO 0x0001u
#define VUC_PCI_COMMAND_MEMORY 0x0002u
#define VUC_PCI_COMMAND_MASTER 0x0004u
#define VUC_PCI_COMMAND_INTX_DISABLE 0x0400u

/** Read-modify-write of the command register: set, then clear, bits.
 * @param old receives the previous value (may be NULL). */
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
enum vuc_dirty_mode {
    VUC_DIRTY_OFF = 0,
    VUC_DIRTY_LOGGING = 1, /**< DEVICE_FEATURE DMA_LOGGING_* */
    VUC_DIRTY_LEGACY = 2,  /**< VFIO_USER_DIRTY_PAGES (command 14) */
};

struct vuc_dirty_range {
    uint64_t iova, length;
};

/**
 * Start logging writes to ranges (n 0: everything) at page_size (0: the
 * negotiated migration page size, else 4 KiB). The device may choose
 * another page size; vuc_dirty_page_size() says which.
 * @return 0 when started; -EBUSY when logging already runs.
 */
int vuc_dirty_start_async(struct vuc_client *client,
                          const struct vuc_dirty_range *ranges, unsigned n,
                          uint64_t page_size, int timeout_ms, vuc_done_cb cb,
                          void *arg);

/** Stop logging. */
int vuc_dirty_stop_async(struct vuc_client *client, int timeout_ms,
                         vuc_done_cb cb, void *arg);

/**
 * Report the pages written in [iova, iova + length) since the last report:
 * bit i of bitmap (word i / 64) is the page at iova + i * page_size. Large
 * ranges are fetched in pieces that fit the transfer size. page_size must
 * be a power of two of at least 4 KiB, and iova and length multiples of it.
 * @param bitmap caller memory of words 64-bit words, valid until cb.
 * @return 0 when started; -EINVAL (sizes), -ENOSPC (bitmap too small),
 * -ENOTCONN, -ENOENT when logging is off.
 */
int vuc_dirty_report_async(struct vuc_client *client, uint64_t iova,
                           uint64_t length, uint64_t page_size,
                           uint64_t *bitmap, size_t words, int timeout_ms,
                           vuc_done_cb cb, void *arg);

/** How logging runs now, and at which page size (0 when off). */
enum vuc_dirty_mode vuc_dirty_get_mode(const struct vuc_client *client);
uint64_t vuc_dirty_page_size(const struct vuc_client *client);

/* ---- Migration ----------------------------------------------------------- */
/*
 * Device state migration as the current specification defines it
 * (DEVICE_FEATURE MIGRATION and MIG_DEVICE_STATE, MIG_DATA_READ/WRITE).
 * States are enum vfio_user_device_mig_state. Asked for a state that is not
 * one arc away, libvuc walks the shortest path the specification allows
 * ("Complex State Transitions": no saving state as an interior step).
 */

/** A state's name ("RUNNING", "STOP_COPY", ...) or "UNKNOWN". */
const char *vuc_mig_state_name(uint32_t state);

/** Parse a state name (case-insensitive); -EINVAL when unknown. */
int vuc_mig_state_parse(const char *name, uint32_t *state);

/**
 * The device's migration support: VFIO_USER_MIGRATION_* flags.
 * @param flags caller memory, valid until cb.
 * @return 0 when started; cb gets -ENOTSUP for a device without migration.
 */
int vuc_mig_probe_async(struct vuc_client *client, uint64_t *flags,
                        int timeout_ms, vuc_done_cb cb, void *arg);

/** The device's current state, into *state (valid until cb). */
int vuc_mig_get_state_async(struct vuc_client *client, uint32_t *state,
                            int timeout_ms, vuc_done_cb cb, void *arg);

/**
 * Move the device to target, through the states the path needs. A failed
 * step stops the walk; vuc_strerror() names the arc. cb gets -EPERM when
 * no allowed path leads there (e.g. STOP_COPY to PRE_COPY), -ENOTSUP for a
 * device without migration.
 * @return -EINVAL at once for a target that cannot be asked for (ERROR, the
 * P2P states, PRE_COPY on a device without it).
 */
int vuc_mig_set_state_async(struct vuc_client *client, uint32_t target,
                            int timeout_ms, vuc_done_cb cb, void *arg);

/**
 * Read up to size bytes of migration data (one MIG_DATA_READ, size at most
 * the server's max_data_xfer_size); *got < size means no more data.
 */
int vuc_mig_read_async(struct vuc_client *client, void *buf, uint32_t size,
                       uint32_t *got, int timeout_ms, vuc_done_cb cb,
                       void *arg);

/** Write len bytes of migration data, split at the transfer size. The data
 * is copied before this returns. */
int vuc_mig_write_async(struct vuc_client *client, const void *buf, size_t len,
                        int timeout_ms, vuc_done_cb cb, void *arg);

/**
 * Save the device into a file (blocking): move to STOP_COPY, read every
 * byte of migration data, end in STOP. The file is self-describing: a
 * header with a format version, the PCI ids, the page size and a CRC-32 of
 * the data, then the data. fd must be a regular file open for writing.
 */
int vuc_mig_save(struct vuc_client *client, int fd);

/**
 * Load a file made by vuc_mig_save() into the device (blocking): the whole
 * file is checked first (header, size, CRC-32, PCI ids against this
 * device), so a truncated or foreign file is refused before anything is
 * sent; then RESUMING, the data, and RUNNING.
 */
int vuc_mig_load(struct vuc_client *client, int fd);

/* ---- Blocking layer ------------------------------------------------------ */
/* Each runs the client's event base until the matching asynchronous call
 * completes, and returns its result. Do not call them from a callback. */

/** Connect, negotiate and discover. @see vuc_connect_path_async() */
int vuc_connect_path(struct vuc_client *client, const char *path);

/** @see vuc_connect_fd_async() */
int vuc_connect_fd(struct vuc_client *client, int fd);

/** Reconnect and set up again what the old connection had.
 * @see vuc_reconnect_path_async() */
int vuc_reconnect_path(struct vuc_client *client, const char *path);

/** @see vuc_reconnect_fd_async() */
int vuc_reconnect_fd(struct vuc_client *client, int fd);

/** @see vuc_region_read_async() */
int vuc_region_read(struct vuc_client *client, uint32_t index, uint64_t offset,
                    void *buf, size_t len);

/** @see vuc_region_write_async() */
int vuc_region_write(struct vuc_client *client, uint32_t index, uint64_t offset,
                     const void *buf, size_t len);

/** @see vuc_device_reset_async() */
int vuc_device_reset(struct vuc_client *client);

/** @see vuc_fence_async() */
int vuc_fence(struct vuc_client *client);

/** @see vuc_dma_alloc_async(); *map receives the map. */
int vuc_dma_alloc(struct vuc_client *client, size_t size, uint64_t iova,
                  unsigned flags, struct vuc_dma_map **map);

/** @see vuc_dma_map_async(); *map receives the map. */
int vuc_dma_map(struct vuc_client *client, int fd, uint64_t fd_offset,
                void *vaddr, size_t size, uint64_t iova, unsigned flags,
                struct vuc_dma_map **map);

/** @see vuc_dma_unmap_async() */
int vuc_dma_unmap(struct vuc_client *client, struct vuc_dma_map *map);

/** @see vuc_dma_unmap_dirty_async() */
int vuc_dma_unmap_dirty(struct vuc_client *client, struct vuc_dma_map *map,
                        uint64_t page_size, uint64_t *bitmap, size_t words);

/** @see vuc_dirty_start_async() */
int vuc_dirty_start(struct vuc_client *client,
                    const struct vuc_dirty_range *ranges, unsigned n,
                    uint64_t page_size);

/** @see vuc_dirty_stop_async() */
int vuc_dirty_stop(struct vuc_client *client);

/** @see vuc_dirty_report_async() */
int vuc_dirty_report(struct vuc_client *client, uint64_t iova, uint64_t length,
                     uint64_t page_size, uint64_t *bitmap, size_t words);

/** @see vuc_mig_probe_async() */
int vuc_mig_probe(struct vuc_client *client, uint64_t *flags);

/** @see vuc_mig_get_state_async() */
int vuc_mig_get_state(struct vuc_client *client, uint32_t *state);

/** @see vuc_mig_set_state_async() */
int vuc_mig_set_state(struct vuc_client *client, uint32_t target);

/** @see vuc_mig_read_async() */
int vuc_mig_read(struct vuc_client *client, void *buf, uint32_t size,
                 uint32_t *got);

/** @see vuc_mig_write_async() */
int vuc_mig_write(struct vuc_client *client, const void *buf, size_t len);

/** @see vuc_irq_enable_async() */
int vuc_irq_enable(struct vuc_client *client, uint32_t index, uint32_t start,
                   uint32_t count, vuc_irq_cb cb, void *cb_arg);

/** @see vuc_irq_set_eventfds_async() */
int vuc_irq_set_eventfds(struct vuc_client *client, uint32_t index,
                         uint32_t start, uint32_t count, const int *fds);

/** @see vuc_irq_disable_async() */
int vuc_irq_disable(struct vuc_client *client, uint32_t index);

/** @see vuc_irq_action_async() */
int vuc_irq_action(struct vuc_client *client, uint32_t index, uint32_t start,
                   uint32_t count, uint32_t action, const bool *which);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* VUC_VUC_H */
