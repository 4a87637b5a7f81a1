/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Region I/O and mappings.
 */
#ifndef VUC_REGION_H
#define VUC_REGION_H

#include "feature.h"

struct vuc_client;

/* ---- region.c ------------------------------------------------------------ */

extern const struct vuc_feature vuc_region_feature;

void vuc_region_unmap_all(struct vuc_client *c);

#endif /* VUC_REGION_H */
