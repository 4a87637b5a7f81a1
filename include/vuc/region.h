/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file vuc/region.h
 * Region access: mappings, reads and writes, write ordering (posting
 * policies, fences, cork) and write combining.
 */
#ifndef VUC_VUC_REGION_H
#define VUC_VUC_REGION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vuc/client.h>

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

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
 * (its first turn sends the buffer, unless the client is corked). The buffer
 * holds at most the limit (see vuc_set_wc_limit()) and never more than the
 * server's max_data_xfer_size.
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

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* VUC_VUC_REGION_H */
