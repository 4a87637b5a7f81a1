/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vuc-trace's relay: one vfio-user client and its server, every byte and fd
 * passed on unchanged, each whole message shown to an observer before it is
 * passed on. Twin-socket mode is followed: the socket a server passes in its
 * VERSION reply is replaced, for the client, by one end of a socket pair of
 * the relay's own, and that channel is relayed and shown too.
 *
 * Memory is bounded: a direction reads from its source only while what it
 * holds is below the larger of 64 KiB and the message it is assembling
 * (itself at most RELAY_DECODE_MAX), so a peer that stops reading stalls
 * the other, as it would without the relay. A message larger than that is
 * passed through as it comes, undecoded.
 */
#ifndef VUC_TRACE_RELAY_H
#define VUC_TRACE_RELAY_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vuc/trace.h>

/* The largest message decoded: libvuc's largest max_data_xfer_size (64 MiB)
 * plus room for any header and head of a message. */
#define RELAY_DECODE_MAX ((64u << 20) + 4096u)

struct relay_observer {
    /* A whole message, about to be passed on (payload borrowed). */
    void (*msg)(void *arg, const struct vuc_trace_msg *msg);
    /* A message too large to decode (only its header), or a byte stream
     * that cannot be framed any more (hdr NULL), with why. */
    void (*undecoded)(void *arg, enum vuc_trace_dir dir, bool twin,
                      const struct vfio_user_header *hdr, const char *why);
    void *arg;
};

/*
 * Relay between the connected sockets client and server (both owned, and
 * closed on return) until either side goes or *stop is set. *ended receives
 * why it ended ("the client closed the connection").
 * @return 0 for an orderly end, or a negative errno for a failure of the
 *         relay itself (memory, socket pair).
 */
int relay_session(int client, int server, const struct relay_observer *obs,
                  volatile sig_atomic_t *stop, char *ended, size_t ended_len);

#endif /* VUC_TRACE_RELAY_H */
