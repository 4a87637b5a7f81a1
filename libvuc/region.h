/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Region I/O and mappings.
 */
#ifndef VUC_REGION_H
#define VUC_REGION_H

#include "feature.h"

/* Region operations: pooled, so steady-state I/O allocates nothing. */
struct vuc_region_state {
    struct vuc_io_op *free_ops;
};

struct vuc_client;

/* ---- region.c ------------------------------------------------------------ */

extern const struct vuc_feature vuc_region_feature;

void vuc_region_unmap_all(struct vuc_client *c);

#endif /* VUC_REGION_H */
