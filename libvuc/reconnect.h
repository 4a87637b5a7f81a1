/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a reconnect holds of the lost connection, and checks against
 * the new one.
 */
#ifndef VUC_RECONNECT_H
#define VUC_RECONNECT_H

#include "feature.h"

struct vuc_client;

/* ---- reconnect.c --------------------------------------------------------- */

extern const struct vuc_feature vuc_reconnect_feature;

/* Hold the old connection's view of the device (infos, vectors) before a
 * reconnect clears the client. */
int vuc_held_take(struct vuc_client *c);
/* Give the vectors back once discovery found the same device; -ENODEV,
 * naming the difference, when it is another. 0 without a hold. */
int vuc_held_return(struct vuc_client *c);
/* A reconnect failed before the vectors went back: the old view replaces
 * what it found, as if it had not been tried. */
void vuc_held_restore(struct vuc_client *c);

#endif /* VUC_RECONNECT_H */
