/* SPDX-License-Identifier: BSD-3-Clause */
/* Where a client's trace callback meets its sockets. */
#ifndef VUC_TRACE_HOOK_H
#define VUC_TRACE_HOOK_H

struct vuc_client;
struct vuc_chan;

/* Give a freshly opened channel of c the client's trace callback, if any
 * (the main socket or the twin). */
void vuc_trace_attach(struct vuc_client *c, struct vuc_chan *ch);

#endif /* VUC_TRACE_HOOK_H */
