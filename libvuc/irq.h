/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Interrupts: vectors, their eventfds and the configuration sent to the
 * server.
 */
#ifndef VUC_IRQ_H
#define VUC_IRQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vuc/vuc.h>

struct vuc_client;
struct vuc_irq_state;

/* ---- irq.c --------------------------------------------------------------- */

/* Send the irq configuration again (after a reset or a reconnect; with
 * unmask, also unmask automasked vectors the caller did not mask). Returns
 * 1 when there is none (done is not called), 0 when done will follow, or a
 * negative errno. */
int vuc_irq_reapply(struct vuc_client *c, bool unmask, vuc_done_cb done,
                    void *arg);
/* Room for the state of num_irqs indexes (at discovery). */
int vuc_irq_setup(struct vuc_client *c, uint32_t num_irqs);
void vuc_irq_release_all(struct vuc_client *c);
void vuc_irq_state_free(struct vuc_irq_state *irqst,
                        const struct vuc_irq_info *irqs, uint32_t num_irqs);
/* Take the vectors out of the client for a reconnect (libvuc's eventfds are
 * not read meanwhile), and put them back once the device is known to be
 * the same (its irq info in c->irqs then matches theirs). */
struct vuc_irq_state *vuc_irq_hold(struct vuc_client *c);
void vuc_irq_adopt(struct vuc_client *c, struct vuc_irq_state *held);
/* Take the events not yet reported of the first vector that has any among
 * those index and vector select (either may be VUC_IRQ_ANY) into ev.
 * Returns false when none has any. */
bool vuc_irq_take_unseen(struct vuc_client *c, uint32_t index, uint32_t vector,
                         struct vuc_irq_event *ev);

#endif /* VUC_IRQ_H */
