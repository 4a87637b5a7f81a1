/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The trace callback: set in the options or on a client, it is hooked into
 * the client's sockets, which call it for every message they queue or frame.
 * A socket without a callback pays one NULL test per message.
 */
#include <time.h>

#include <vuc/trace.h>

#include "client.h"
#include "trace_hook.h"

int vuc_options_set_trace(struct vuc_options *opts, vuc_trace_fn fn, void *arg)
{
    opts->trace_fn = fn;
    opts->trace_arg = fn != NULL ? arg : NULL;
    return 0;
}

static void chan_trace(struct vuc_chan *ch, bool tx,
                       const struct vfio_user_header *hdr,
                       const uint8_t *payload, size_t len, unsigned nfds,
                       void *arg)
{
    struct vuc_client *c = arg;
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    struct vuc_trace_msg m = {
        .dir = tx ? VUC_TRACE_TO_SERVER : VUC_TRACE_TO_CLIENT,
        .twin = ch == &c->twin,
        .hdr = hdr,
        .payload = payload,
        .len = len,
        .nfds = nfds,
        .time_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec,
    };
    c->opts.trace_fn(c->opts.trace_arg, &m);
}

void vuc_trace_attach(struct vuc_client *c, struct vuc_chan *ch)
{
    ch->trace = c->opts.trace_fn != NULL ? chan_trace : NULL;
}

int vuc_set_trace(struct vuc_client *client, vuc_trace_fn fn, void *arg)
{
    vuc_options_set_trace(&client->opts, fn, arg);
    /* A channel never opened, or closed, is all zero or shut: setting its
     * hook is harmless, and the next open sets it again. */
    vuc_trace_attach(client, &client->main);
    vuc_trace_attach(client, &client->twin);
    return 0;
}
