/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Dirty-page logging.
 */
#ifndef VUC_DIRTY_H
#define VUC_DIRTY_H

#include "feature.h"

/* ---- dirty.c ------------------------------------------------------------- */

extern const struct vuc_feature vuc_dirty_feature;

#endif /* VUC_DIRTY_H */
