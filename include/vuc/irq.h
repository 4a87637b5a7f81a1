/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file vuc/irq.h
 * Interrupts: eventfds owned by libvuc or lent by the caller, per-vector
 * callbacks, masking and triggering.
 */
#ifndef VUC_VUC_IRQ_H
#define VUC_VUC_IRQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vuc/client.h>

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

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

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* VUC_VUC_IRQ_H */
