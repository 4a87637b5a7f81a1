/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VERSION negotiation. The JSON halves are separate from the exchange so
 * that unit tests can hold them to the rules without a socket.
 */
#ifndef VUC_NEGOTIATE_H
#define VUC_NEGOTIATE_H

#include <stddef.h>

#include <vuc/vuc.h>

#include "client.h"
#include "wire.h"

/* Our capabilities JSON (malloc'd text), or NULL when memory is short. */
char *vuc_negotiate_proposal(const struct vuc_options *opts);

/*
 * Fill caps from the server's JSON (json_len bytes, no NUL needed; NULL for
 * a reply without JSON) with spec defaults for what is absent, and
 * *twin_fd_index with twin_socket.fd_index (-1 when absent). Capabilities
 * opts did not propose are refused. Returns 0 or -EPROTO with the reason in
 * err.
 */
int vuc_negotiate_parse(const char *json, size_t json_len,
                        const struct vuc_options *opts, struct vuc_caps *caps,
                        int *twin_fd_index, struct vuc_wire_err *err);

/* Send VERSION; vuc_connect_negotiated() follows. */
int vuc_negotiate_start(struct vuc_client *c);

#endif /* VUC_NEGOTIATE_H */
