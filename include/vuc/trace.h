/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file vuc/trace.h
 * Seeing every vfio-user message: a callback that a client calls for each
 * message it sends and receives, and a formatter that turns any message, from
 * libvuc or from any other client or server, into one decoded line of text
 * or JSON.
 *
 * The formatter is the library's codec applied to someone else's traffic: it
 * validates replies with the same decoders the client uses, so what it calls
 * malformed is what libvuc would refuse, with the same reason. It does no I/O
 * and never prints; the caller writes the lines where it wants them.
 */
#ifndef VUC_TRACE_H
#define VUC_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vuc/protocol.h>

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

struct vuc_client;
struct vuc_options;

/** Which way a message travels, named by the parties so that a proxy between
 * two other programs uses the same words as a client. */
enum vuc_trace_dir {
    VUC_TRACE_TO_SERVER = 0, /**< sent by the client */
    VUC_TRACE_TO_CLIENT = 1, /**< sent by the server */
};

/** One message, as seen on the socket. */
struct vuc_trace_msg {
    enum vuc_trace_dir dir;
    /** On the twin socket (the server's requests in twin-socket mode). */
    bool twin;
    /** The header as it travelled; msg_size may disagree with len when a
     * peer breaks the protocol. Borrowed for the call. */
    const struct vfio_user_header *hdr;
    /** What follows the header: len bytes, borrowed for the call. */
    const uint8_t *payload;
    size_t len;
    /** How many fds travelled with the message (SCM_RIGHTS). */
    unsigned nfds;
    /** When it was sent or received: CLOCK_MONOTONIC nanoseconds. */
    uint64_t time_ns;
};

/**
 * Receives every message a client sends (once it is queued on the socket)
 * and receives (once it is whole, before the client acts on it). Called from
 * inside the library: it must not call the client. Must not keep msg or what
 * it points to.
 */
typedef void (*vuc_trace_fn)(void *arg, const struct vuc_trace_msg *msg);

/**
 * Set the trace callback of clients made with these options (default none).
 * Unset, tracing costs nothing; set, it costs one clock read and the call per
 * message, and allocates nothing.
 * @param fn the callback, or NULL for none.
 * @return 0.
 */
int vuc_options_set_trace(struct vuc_options *opts, vuc_trace_fn fn, void *arg);

/**
 * Set or clear (fn NULL) the trace callback of a client, connected or not;
 * it applies from the next message on, on both sockets.
 * @return 0.
 */
int vuc_set_trace(struct vuc_client *client, vuc_trace_fn fn, void *arg);

/* ---- Formatter ----------------------------------------------------------- */

/** Formatter state: the requests of one conversation that await a reply, so
 * that a reply is decoded against its request and its latency is known. */
struct vuc_tracer;

/** vuc_tracer_new() flags. */
#define VUC_TRACER_JSON 0x1u    /**< JSON objects instead of text */
#define VUC_TRACER_NO_TIME 0x2u /**< leave latencies out (stable output) */

/**
 * Create a formatter for one conversation (one client and its server).
 * @param flags VUC_TRACER_* bits.
 * @return the formatter, or NULL with errno set (EINVAL for unknown flags,
 *         ENOMEM).
 */
struct vuc_tracer *vuc_tracer_new(unsigned flags);

/** Free a formatter. NULL is ignored. */
void vuc_tracer_free(struct vuc_tracer *tracer);

/** Forget every request awaiting its reply: the conversation starts again
 * (a new connection, message ids reused). */
void vuc_tracer_reset(struct vuc_tracer *tracer);

/**
 * Format one message as one line without a newline, e.g.
 * "→ #12 REGION_READ BAR0+0x10 count 4" and its reply
 * "← #12 REGION_READ reply 4 bytes 44 43 55 56 (5.1 µs)". A reply is named
 * by the request it answers; an error reply by its errno's name; large data
 * by its first bytes and length; a message the codec refuses is shown as
 * malformed with the reason. Any input is safe: nothing is read outside
 * msg->payload[0, len).
 * @param buf receives the NUL-terminated line, cut at cap - 1 bytes (a cut
 *        JSON line is not valid JSON: give 4096 bytes, which always fit).
 * @return the length of the whole line (as snprintf), or -EINVAL for a
 *         NULL tracer, msg, or header.
 */
int vuc_tracer_format(struct vuc_tracer *tracer,
                      const struct vuc_trace_msg *msg, char *buf, size_t cap);

/** The buffer size with which vuc_tracer_format() never cuts a line. */
#define VUC_TRACER_LINE_MAX 4096u

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* VUC_TRACE_H */
