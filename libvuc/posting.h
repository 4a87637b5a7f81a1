/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Posted writes and fences.
 */
#ifndef VUC_POSTING_H
#define VUC_POSTING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vuc/vuc.h>

#include "feature.h"

struct vuc_client;

#define VUC_POSTED_SAFE_MAX 64u
#define VUC_POSTED_RING 256u

struct vuc_safe_range {
    uint32_t index;
    uint64_t offset, len;
};

/* A recent posted message, to name it if the server reports it failed. */
struct vuc_posted_rec {
    uint16_t id, cmd;
    uint32_t region;
    uint64_t offset;
    uint32_t len;
};

/* Posted writes. fenced_seq counts the No_reply messages (noreply_sent)
 * a reply confirmed. */
struct vuc_posting_state {
    enum vuc_posting policy;
    bool bar_mem[6]; /* memory BARs (from config space at connect) */
    struct vuc_safe_range safe[VUC_POSTED_SAFE_MAX];
    unsigned nsafe;
    uint64_t fenced_seq;
    int err;
    char errtext[256];
    struct vuc_posted_rec ring[VUC_POSTED_RING];
    unsigned pos;
    struct vfio_user_write_multi_entry batch[VFIO_USER_MULTI_MAX];
    unsigned nbatch;
    struct vuc_posting_stats stats;
    struct vuc_fence_op *free_fences;
};

/* ---- posting.c ----------------------------------------------------------- */

extern const struct vuc_feature vuc_posting_feature;

/* May this write be posted under the current policy? */
bool vuc_may_post(const struct vuc_client *c, uint32_t index, uint64_t offset,
                  size_t len);
/* Posted writes not yet confirmed by a fence (or a failure to report). */
bool vuc_posted_pending(const struct vuc_client *c);
/* Post a write (alone, batched, or through a doorbell); 0 or -errno. */
int vuc_post_write(struct vuc_client *c, uint32_t index, uint64_t offset,
                   const uint8_t *data, size_t len);
/* The ioeventfd entry a write would ring (fenced/posted only), or -1. */
int vuc_doorbell_find(const struct vuc_client *c, uint32_t index,
                      uint64_t offset, const uint8_t *data, size_t len);
/* Send the batch of small posted writes as one REGION_WRITE_MULTI. */
int vuc_post_flush_batch(struct vuc_client *c);
/* A fence would have nothing to confirm and no failure to report: the
 * blocking fence returns 0 at once, without a loop turn. */
bool vuc_fence_idle(struct vuc_client *c);
/* Fence, then fn(c, rc, arg) from the loop (at once-deferred when nothing
 * is outstanding). Returns 0 or -errno (fn not called). */
int vuc_fence_then(struct vuc_client *c, int timeout_ms, vuc_done_cb fn,
                   void *arg);

#endif /* VUC_POSTING_H */
