/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The connect sequence: VERSION, then device, region and irq info.
 */
#ifndef VUC_DISCOVER_H
#define VUC_DISCOVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vuc/vuc.h>

#include "feature.h"

struct vuc_client;

/* ---- discover.c ---------------------------------------------------------- */

extern const struct vuc_feature vuc_discover_feature;

/* Connect on fd; with restore, set up again what a lost connection had. */
int vuc_connect_begin(struct vuc_client *c, int fd, bool restore,
                      vuc_done_cb cb, void *arg);
/* VERSION finished (negotiate.c): go on discovering, or fail the connect. */
void vuc_connect_negotiated(struct vuc_client *c, int rc);
void vuc_discovery_clear(struct vuc_client *c);
/* Let go of the regions' mappings, fds and doorbells; the infos stay. */
void vuc_regions_release(struct vuc_client *c);

#endif /* VUC_DISCOVER_H */
