/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Inside the trace formatter: what a request leaves for the decoding of its
 * reply, and the per-command decoders (trace_req.c for requests,
 * trace_reply.c for replies). Each decoder either writes its fields and
 * returns 0, or returns a negative errno with the reason in err; the caller
 * then takes back what it wrote and shows the message as malformed.
 */
#ifndef VUC_TRACE_FMT_H
#define VUC_TRACE_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vuc/trace.h>

#include "trace_out.h"
#include "wire.h"

/* A request awaiting its reply, with what the reply's decoder checks it
 * against (the fields each command uses are named at its decoder). */
struct trace_pend {
    bool used;
    uint8_t key; /* twin << 1 | direction of the request */
    uint16_t id, cmd;
    uint64_t time_ns;
    uint32_t index, count, argsz, flags;
    uint64_t addr, size, pgsize, bmsize;
    bool dirty;
};

/* Region sizes learned from region info replies, so that io fd replies are
 * checked against them as the client would; beyond it, unknown. */
#define TRACE_REGIONS 64u

/* Entries of an io fds reply decoded; more is malformed, as for a client
 * that offers this many. */
#define TRACE_IO_FDS 256u

struct vuc_tracer {
    unsigned flags;
    uint64_t region_size[TRACE_REGIONS]; /* 0: not seen */
    struct trace_pend pend[4096];
    /* Room for decoding, too large for the stack of every call. */
    struct vuc_region_info region_info;
    struct vuc_wire_io_fd io_fds[TRACE_IO_FDS];
};

/* A request (or server request) in msg: its fields, and into p what its
 * reply needs. */
int vuc_trace_dec_request(const struct vuc_trace_msg *msg, struct vuc_tout *o,
                          struct trace_pend *p, struct vuc_wire_err *err);

/* A good reply to p (NULL when its request was not seen). */
int vuc_trace_dec_reply(struct vuc_tracer *t, const struct vuc_trace_msg *msg,
                        const struct trace_pend *p, struct vuc_tout *o,
                        struct vuc_wire_err *err);

/* A DEVICE_FEATURE's operation and feature ("GET MIGRATION"), and the
 * feature's name (NULL for one without a name here). */
void vuc_trace_feature(struct vuc_tout *o, uint32_t flags);
const char *vuc_trace_feature_name(uint32_t feature);

#endif /* VUC_TRACE_FMT_H */
