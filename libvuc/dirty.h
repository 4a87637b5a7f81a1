/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Dirty-page logging.
 */
#ifndef VUC_DIRTY_H
#define VUC_DIRTY_H

#include <stdint.h>

#include <vuc/vuc.h>

#include "feature.h"

/* Dirty-page logging. */
struct vuc_dirty_state {
    enum vuc_dirty_mode mode;
    uint64_t pgsize;
};

/* ---- dirty.c ------------------------------------------------------------- */

extern const struct vuc_feature vuc_dirty_feature;

#endif /* VUC_DIRTY_H */
