/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Write combining: posted writes to a combinable range merge into one
 * buffer that leaves as a single posted REGION_WRITE.
 */
#ifndef VUC_WCOMB_H
#define VUC_WCOMB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include <vuc/vuc.h>

#include "conn.h"
#include "feature.h"

struct vuc_client;

/* Regions whose combining mode a caller can set (the PCI ones and the
 * first device-specific ones). */
#define VUC_WC_REGIONS 32u

/* The writes held for combining: [offset, offset + len) of region index,
 * always one contiguous run. */
struct vuc_wc_buf {
    uint32_t index;
    uint32_t len;
    uint64_t offset;
    uint8_t data[VUC_WC_LIMIT_MAX];
};

struct vuc_wc_state {
    uint8_t mode[VUC_WC_REGIONS]; /* enum vuc_wc per region */
    bool bar_prefetch[6];         /* prefetchable memory BARs (at connect) */
    uint32_t limit;               /* vuc_set_wc_limit(); 0: the maximum */
    struct vuc_wc_stats stats;
    struct vuc_wc_buf buf; /* preallocated: no allocation per access */
    /* Sends a buffer kept for a blocking caller when a loop runs next
     * (made at first need, freed with the client). */
    struct event *kick;
    bool kick_armed; /* kick is active: it runs on the next loop turn */
};

/* ---- wcomb.c ------------------------------------------------------------- */

extern const struct vuc_feature vuc_wcomb_feature;

/* Merge a write into b when b is empty, or the write touches or overlaps
 * what b holds in the same region, and the result stays within limit
 * bytes; later bytes replace earlier ones. false leaves b unchanged. */
bool vuc_wc_merge(struct vuc_wc_buf *b, uint32_t limit, uint32_t index,
                  uint64_t offset, const uint8_t *data, size_t len);
/* Does a write of region index combine (policy, mode, BAR type)? */
bool vuc_wc_applies(const struct vuc_client *c, uint32_t index);
/* Hold a write for combining, sending what it cannot join first. */
int vuc_wc_write(struct vuc_client *c, uint32_t index, uint64_t offset,
                 const uint8_t *data, size_t len);
/* vuc_wc_write() for a blocking caller outside the loop: what is held
 * stays for its next writes, and leaves when any loop runs next (unless
 * corked: then at the uncork). */
int vuc_wc_write_for_caller(struct vuc_client *c, uint32_t index,
                            uint64_t offset, const uint8_t *data, size_t len);
/* Send what is held as one posted REGION_WRITE; 0 or -errno. */
int vuc_wc_flush(struct vuc_client *c);
/* Send what is held as a REGION_WRITE that awaits its reply, fn(c, req,
 * reply) with req->op = op (req's index, offset and count say what was
 * written): the fence's one message. NULL with *rc set when not sent (then
 * the loss is reported at the next fence). */
struct vuc_req *vuc_wc_send_acked(struct vuc_client *c, int timeout_ms,
                                  vuc_req_fn fn, void *op, int *rc);
/* Bytes held for combining. */
static inline bool vuc_wc_pending(const struct vuc_wc_state *s)
{
    return s->buf.len > 0;
}

#endif /* VUC_WCOMB_H */
