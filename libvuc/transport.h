/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One AF_UNIX stream socket carrying vfio-user messages: non-blocking
 * sendmsg/recvmsg with SCM_RIGHTS, partial I/O, an outgoing byte queue whose
 * messages keep their fds, and framing of the incoming stream into whole
 * messages. It knows headers, not commands: meaning lives in conn.c.
 */
#ifndef VUC_TRANSPORT_H
#define VUC_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vuc/protocol.h>

struct event;
struct event_base;
struct vuc_chan;

/* The kernel's limit of fds in one SCM_RIGHTS message (SCM_MAX_FD). */
#define VUC_SCM_MAX_FD 253u

/* Incoming fd batches not yet matched to a message. More than this means the
 * peer sends fds that no message claims. */
#define VUC_CHAN_RX_FDSETS 4u

/**
 * A whole message arrived. The payload is borrowed for the call. The callee
 * owns fds[0..nfds): it must close or keep each one.
 */
typedef void (*vuc_chan_msg_fn)(struct vuc_chan *ch,
                                const struct vfio_user_header *hdr,
                                const uint8_t *payload, size_t len, int *fds,
                                unsigned nfds, void *arg);

/**
 * The channel failed: -ECONNRESET when the peer closed or the socket broke,
 * -EPROTO for a framing violation, with a sentence in text. Called at most
 * once; the channel is shut down before the call.
 */
typedef void (*vuc_chan_err_fn)(struct vuc_chan *ch, int err, const char *text,
                                void *arg);

/**
 * Brackets every event-loop entry into the channel (hold true, then false).
 * The owner may free the channel's memory only at the outermost release:
 * the channel touches nothing of itself after it.
 */
typedef void (*vuc_chan_hold_fn)(void *arg, bool hold);

/* Sees each message as it is queued (tx) or framed, when set (tracing). */
typedef void (*vuc_chan_trace_fn)(struct vuc_chan *ch, bool tx,
                                  const struct vfio_user_header *hdr,
                                  const uint8_t *payload, size_t len,
                                  unsigned nfds, void *arg);

/** What a channel calls in its owner, given once at open (as libevent's
 * backends and Linux drivers are called through a const ops table). */
struct vuc_chan_ops {
    vuc_chan_msg_fn msg;
    vuc_chan_err_fn err;
    vuc_chan_hold_fn hold;
    /** Optional: the socket can take more, before queued bytes go out. */
    void (*writable)(void *arg);
    /** Optional: the queue fell to the low mark after it reached the high
     * mark (see vuc_chan_set_watermarks). Called from the event loop only. */
    void (*drained)(void *arg);
};

struct vuc_chan_rx_fds {
    uint64_t start, end; /* stream positions of the recvmsg that brought them */
    unsigned n;
    int fds[VUC_SCM_MAX_FD];
};

struct vuc_chan_tx_mark {
    uint64_t start; /* stream position of the message that carries the fds */
    unsigned n;
    int fds[VUC_SCM_MAX_FD];
};

struct vuc_chan {
    int fd;
    struct event_base *base;
    struct event *rd_ev, *wr_ev;
    bool wr_armed;

    /* Incoming bytes: ibuf[ihead, itail) unparsed; rx_base is the stream
     * position of ibuf[0]. */
    uint8_t *ibuf;
    size_t ihead, itail, icap;
    size_t max_msg_size;
    uint64_t rx_base;
    unsigned max_rx_fds;
    struct vuc_chan_rx_fds *rxfds; /* FIFO of VUC_CHAN_RX_FDSETS */
    unsigned rxfds_head, rxfds_count;

    /* Outgoing bytes: obuf[ohead, otail) unsent; tx_base is the stream
     * position of obuf[0]. */
    uint8_t *obuf;
    size_t ohead, otail, ocap;
    uint64_t tx_base;
    struct vuc_chan_tx_mark *marks; /* ring of pending fd-carrying messages */
    unsigned marks_head, marks_count, marks_cap;

    /* Watermarks of the outgoing queue, in bytes. tx_full: it reached
     * tx_high and has not yet fallen to tx_low. With rx_pause_full the
     * channel also stops reading while full, so a peer that stops reading
     * our answers cannot make us queue more of them. */
    size_t tx_high, tx_low;
    bool tx_full;
    bool rx_pause_full, rx_paused;

    const struct vuc_chan_ops *ops;
    vuc_chan_trace_fn trace; /* set after open, or NULL */
    void *arg;

    /* While received messages are dispatched, what their handlers send is
     * only queued, then flushed in one sendmsg: a pipelined client refills
     * its window with one syscall instead of one per request. */
    unsigned corked;
};

/** Set up a channel on a connected stream socket, which it then owns (even
 * on failure). max_rx_fds bounds the fds accepted per message. ops (which
 * must outlive the channel) is called with arg. */
int vuc_chan_open(struct vuc_chan *ch, struct event_base *base, int fd,
                  size_t max_msg_size, unsigned max_rx_fds,
                  const struct vuc_chan_ops *ops, void *arg);

/** Close the socket and every queued fd, stop events; keep buffers so that a
 * caller still iterating over them stays safe. Idempotent. */
void vuc_chan_shutdown(struct vuc_chan *ch);

/** vuc_chan_shutdown() and release all memory. */
void vuc_chan_destroy(struct vuc_chan *ch);

static inline bool vuc_chan_is_open(const struct vuc_chan *ch)
{
    return ch->fd >= 0;
}

/** Raise the largest incoming message accepted. */
void vuc_chan_set_max_msg_size(struct vuc_chan *ch, size_t max);

/**
 * Reserve size bytes at the end of the outgoing queue for one message and
 * return where to write it, or NULL when memory is short. Nothing is sent
 * until vuc_chan_commit(); a reservation never committed is simply reused by
 * the next one.
 */
void *vuc_chan_reserve(struct vuc_chan *ch, size_t size);

/** Where the last reservation starts (valid until the next reserve or
 * commit on this channel). */
static inline uint8_t *vuc_chan_reserved(struct vuc_chan *ch)
{
    return ch->obuf + ch->otail;
}

/**
 * Queue the message written into the last reservation, with fds that the
 * channel now owns and closes once sent (or on shutdown). Sends at once when
 * the queue was empty. Failures are reported through on_err, never from
 * inside this call (a broken socket is noticed, and reported, by the event
 * loop).
 * @return 0, or -ENOMEM (fds are closed).
 */
int vuc_chan_commit(struct vuc_chan *ch, size_t size, int *fds, unsigned nfds);

/**
 * Queue a message whose first head_len bytes were written into the last
 * reservation (made for head_len + data_len) and whose data_len bytes follow
 * in caller memory. When nothing else is queued the data goes straight from
 * there to the socket; whatever the socket does not take is copied into the
 * queue, so data is free again when this returns.
 */
int vuc_chan_commit_data(struct vuc_chan *ch, size_t head_len, const void *data,
                         size_t data_len);

/**
 * Whether the socket has something for the receive path: bytes, the peer's
 * close or an error (a non-blocking MSG_PEEK of one byte, which consumes
 * nothing). For callers that poll before they sleep; the bytes themselves
 * are read by the channel's read event, as always. False when closed.
 */
bool vuc_chan_rx_ready(const struct vuc_chan *ch);

/** Bytes waiting to be sent. */
static inline size_t vuc_chan_tx_pending(const struct vuc_chan *ch)
{
    return ch->otail - ch->ohead;
}

/**
 * Bound the outgoing queue the way libevent's bufferevent watermarks do: at
 * high bytes the queue is full (vuc_chan_tx_full); once it falls to low,
 * ops->drained runs. The channel never refuses a commit itself: its owner
 * asks vuc_chan_tx_full() before queueing. With pause_rx the channel also
 * stops reading while full (never for a socket whose replies we wait for:
 * the peer may be blocked writing them).
 */
void vuc_chan_set_watermarks(struct vuc_chan *ch, size_t low, size_t high,
                             bool pause_rx);

/** Whether the queue holds at least the high mark. */
static inline bool vuc_chan_tx_full(const struct vuc_chan *ch)
{
    return ch->tx_high > 0 && vuc_chan_tx_pending(ch) >= ch->tx_high;
}

#endif /* VUC_TRANSPORT_H */
