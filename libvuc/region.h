/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Region I/O and mappings.
 */
#ifndef VUC_REGION_H
#define VUC_REGION_H

#include <stddef.h>
#include <stdint.h>

#include "feature.h"

/* Region operations: pooled, so steady-state I/O allocates nothing. */
struct vuc_region_state {
    struct vuc_io_op *free_ops;
};

struct vuc_client;

/* ---- region.c ------------------------------------------------------------ */

extern const struct vuc_feature vuc_region_feature;

void vuc_region_unmap_all(struct vuc_client *c);

/* The blocking layer's short way for a write that joins the combining
 * buffer: done inside the call, with no operation and no callback.
 * Returns 0 or a negative errno when it was done (or refused), and 1 when
 * the write is not one of those: then nothing was done. */
int vuc_region_write_now(struct vuc_client *c, uint32_t index, uint64_t offset,
                         const void *buf, size_t len);

#endif /* VUC_REGION_H */
