/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The connection: requests and their replies, message ids, timeouts,
 * answering server requests, and the connection's end.
 */
#ifndef VUC_CONN_H
#define VUC_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <vuc/vuc.h>

#include "transport.h"

struct vuc_client;

/* ---- Requests (conn.c) --------------------------------------------------- */

struct vuc_req;

/* What ended a request. err is 0 for a good reply; otherwise a negative
 * errno: the server's error reply (hdr set), -ETIMEDOUT, -ECONNRESET or
 * -EPROTO (connection lost), -ECANCELED (client freed). For a good reply the
 * handler owns fds[0..nfds): it keeps one by setting its slot to -1; conn.c
 * closes the rest after the handler returns. */
struct vuc_reply {
    int err;
    const struct vfio_user_header *hdr;
    const uint8_t *payload;
    size_t len;
    int *fds;
    unsigned nfds;
};

/* Runs exactly once per submitted request. */
typedef void (*vuc_req_fn)(struct vuc_client *c, struct vuc_req *req,
                           struct vuc_reply *r);

struct vuc_req {
    struct vuc_client *client;
    uint16_t id, cmd;
    uint8_t state;
    /* Its deadline (0: none) in the client's deadline-ordered list. */
    uint64_t deadline_ns;
    struct vuc_req *tprev, *tnext;
    /* No_reply messages sent before it: its reply confirms them all. */
    uint64_t noreply_mark;
    vuc_req_fn fn;
    struct vuc_req *next_free;
    /* Per-operation context, owned by whoever submitted the request. */
    void *op;
    uint8_t *buf;
    uint64_t offset;
    uint64_t length;
    uint32_t count;
    uint32_t argsz;
    uint32_t index;
};

/* ---- conn.c -------------------------------------------------------------- */

/* Open the main channel on a connected socket (owned from here on). */
int vuc_conn_open(struct vuc_client *c, int fd);

/*
 * Start a request: reserve its message in the outgoing queue and return the
 * payload space to encode into (payload_len bytes), or NULL with the reason
 * in vuc_strerror() and *rc set (-ENOTCONN, -EBUSY, -ENOMEM).
 */
struct vuc_req *vuc_req_start(struct vuc_client *c, uint16_t cmd,
                              size_t payload_len, void **payload, int *rc);

/* Send a started request with fds the channel will own (closed here on
 * failure, too; refused beyond the peer's max_msg_fds); fn runs once. */
int vuc_req_submit(struct vuc_client *c, struct vuc_req *req,
                   size_t payload_len, int timeout_ms, vuc_req_fn fn, int *fds,
                   unsigned nfds);

/* Refuse a server request with err on the channel it came from. Nothing is
 * sent for a request with No_reply. */
void vuc_conn_reply_error(struct vuc_client *c, struct vuc_chan *ch,
                          const struct vfio_user_header *hdr, int err);

/* Refuse an asynchronous call that would queue more for the server while
 * the outgoing queue is at its high mark: -ENOBUFS naming `what`, or 0.
 * Asked once per call, before anything is queued, so a call is queued
 * whole or not at all. */
int vuc_conn_room(struct vuc_client *c, const char *what);
/* Whether vuc_conn_room() refuses now. */
bool vuc_conn_full(const struct vuc_client *c);

/* Open the server-to-client channel on the socket VERSION passed. */
int vuc_conn_open_twin(struct vuc_client *c, int fd);

/* A message id no request in flight uses, for a message without reply. */
int vuc_conn_free_id(struct vuc_client *c, uint16_t *id);

/*
 * Start and submit in one go a request whose small payload is already
 * encoded (control messages; bulk data goes through vuc_req_start so it is
 * written into the queue once). len may be an encoder's negative errno. op goes
 * to req->op. Returns the request, for fields its handler reads (set them
 * before returning to the loop; the handler never runs earlier), or NULL with
 * *rc set and the fds closed.
 */
struct vuc_req *vuc_req_send(struct vuc_client *c, uint16_t cmd,
                             const void *payload, ssize_t len, int timeout_ms,
                             vuc_req_fn fn, void *op, int *fds, unsigned nfds,
                             int *rc);

/* Give back a started request that will not be submitted. */
void vuc_req_abandon(struct vuc_client *c, struct vuc_req *req);

/* Fail every request and close the connection; -ECONNRESET or -EPROTO
 * reaches the user's disconnect callback when it was connected. */
void vuc_conn_fail(struct vuc_client *c, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Complete every request with err and shut the socket; memory stays. */
void vuc_conn_close(struct vuc_client *c, int err);

/* Release the connection's memory (after vuc_conn_close). */
void vuc_conn_release(struct vuc_client *c);

#endif /* VUC_CONN_H */
