/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device features: migration, and the DEVICE_FEATURE request dirty
 * logging shares.
 */
#ifndef VUC_MIGRATION_H
#define VUC_MIGRATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conn.h"

struct vuc_client;

/* The device's migration flags, once asked (per connection). */
struct vuc_mig_state {
    uint64_t flags;
    bool probed;
};

/* ---- migration.c --------------------------------------------------------- */

/* Send DEVICE_FEATURE with flags and data; fn gets the reply, req->op = op,
 * req->index = flags. */
int vuc_feature_send(struct vuc_client *c, uint32_t flags, uint32_t argsz,
                     const void *data, size_t len, int timeout_ms,
                     vuc_req_fn fn, void *op);

#endif /* VUC_MIGRATION_H */
