/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Requests and replies: message ids, the table of requests in flight,
 * timeouts, matching replies, serving (or refusing) server requests, and
 * tearing the connection down so that every request completes exactly once.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "client.h"
#include "conn.h"
#include "feature.h"
#include "transport.h"
#include "trace_hook.h"
#include "wire.h"

enum {
    REQ_FREE,
    REQ_STARTED, /* id and queue space taken, not yet sent */
    REQ_WAITING, /* sent, its handler not yet run */
    REQ_LATE,    /* timed out; the reply may still come and must be eaten */
};

#define SLOTS_INITIAL 64u
#define SLOTS_MAX 65536u /* every 16-bit id */
/* A server that leaves this many timed-out requests unanswered is gone. */
#define LATE_MAX 1024u

static void close_fds(int *fds, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        if (fds[i] >= 0) {
            close(fds[i]);
            fds[i] = -1;
        }
    }
}

/* ---- The request table --------------------------------------------------- */

static unsigned count_late(const struct vuc_client *c)
{
    unsigned n = 0;
    for (unsigned i = 0; i < c->nslots; i++) {
        if (c->slots[i] != NULL && c->slots[i]->state == REQ_LATE) {
            n++;
        }
    }
    return n;
}

/* Double the table. Ids that differ modulo the old size differ modulo any
 * multiple of it, so every live request gets a slot of its own. */
static int slots_grow(struct vuc_client *c)
{
    unsigned n = c->nslots ? c->nslots * 2 : SLOTS_INITIAL;
    if (n > SLOTS_MAX) {
        return -EBUSY;
    }
    struct vuc_req **s = calloc(n, sizeof(*s));
    if (s == NULL) {
        return -ENOMEM;
    }
    for (unsigned i = 0; i < c->nslots; i++) {
        if (c->slots[i] != NULL) {
            s[c->slots[i]->id & (n - 1)] = c->slots[i];
        }
    }
    free(c->slots);
    c->slots = s;
    c->nslots = n;
    return 0;
}

/* Take the next id whose slot is free; O(1) unless the table is crowded. */
static int id_alloc(struct vuc_client *c, uint16_t *id)
{
    for (;;) {
        if (c->nslots > 0 && c->inflight < c->nslots / 2) {
            for (unsigned tries = 0; tries < c->nslots; tries++) {
                uint16_t cand = c->next_id++;
                if (c->slots[cand & (c->nslots - 1)] == NULL) {
                    *id = cand;
                    return 0;
                }
            }
        }
        int rc = slots_grow(c);
        if (rc < 0) {
            /* Full table: only a free slot anywhere will do. */
            for (unsigned tries = 0; tries < c->nslots; tries++) {
                uint16_t cand = c->next_id++;
                if (c->slots[cand & (c->nslots - 1)] == NULL) {
                    *id = cand;
                    return 0;
                }
            }
            return rc;
        }
    }
}

/* ---- Deadlines ----------------------------------------------------------- */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void tq_remove(struct vuc_client *c, struct vuc_req *req)
{
    if (req->deadline_ns == 0) {
        return;
    }
    if (req->tprev != NULL) {
        req->tprev->tnext = req->tnext;
    } else {
        c->tq_head = req->tnext;
    }
    if (req->tnext != NULL) {
        req->tnext->tprev = req->tprev;
    } else {
        c->tq_tail = req->tprev;
    }
    req->tprev = req->tnext = NULL;
    req->deadline_ns = 0;
}

static void arm_timeout(struct vuc_client *c, uint64_t at)
{
    if (c->timeout_armed && c->timeout_at <= at) {
        return; /* fires earlier anyway and re-arms then */
    }
    uint64_t now = now_ns();
    uint64_t us = at > now ? (at - now + 999) / 1000 : 0;
    struct timeval tv = {(time_t)(us / 1000000), (suseconds_t)(us % 1000000)};
    evtimer_add(c->timeout_ev, &tv);
    c->timeout_armed = true;
    c->timeout_at = at;
}

/* Requests mostly share one timeout, so they arrive in deadline order and
 * the insertion stops at the tail. */
static void tq_insert(struct vuc_client *c, struct vuc_req *req, int ms)
{
    req->deadline_ns = now_ns() + (uint64_t)ms * 1000000u;
    struct vuc_req *after = c->tq_tail;
    while (after != NULL && after->deadline_ns > req->deadline_ns) {
        after = after->tprev;
    }
    req->tprev = after;
    req->tnext = after ? after->tnext : c->tq_head;
    if (req->tnext != NULL) {
        req->tnext->tprev = req;
    } else {
        c->tq_tail = req;
    }
    if (after != NULL) {
        after->tnext = req;
    } else {
        c->tq_head = req;
    }
    arm_timeout(c, req->deadline_ns);
}

static void req_timed_out(struct vuc_client *c, struct vuc_req *req);

static void timeout_event(evutil_socket_t fd, short what, void *arg)
{
    struct vuc_client *c = arg;

    vuc_enter(c);
    c->timeout_armed = false;
    uint64_t now = now_ns();
    while (c->tq_head != NULL && c->tq_head->deadline_ns <= now &&
           !c->free_requested) {
        struct vuc_req *req = c->tq_head;
        tq_remove(c, req);
        req_timed_out(c, req);
    }
    if (c->tq_head != NULL && !c->free_requested) {
        arm_timeout(c, c->tq_head->deadline_ns);
    }
    vuc_leave(c);
}

static struct vuc_req *req_alloc(struct vuc_client *c)
{
    struct vuc_req *req = c->free_reqs;
    if (req != NULL) {
        c->free_reqs = req->next_free;
        return req;
    }
    req = calloc(1, sizeof(*req));
    if (req == NULL) {
        return NULL;
    }
    req->client = c;
    return req;
}

static void req_release(struct vuc_client *c, struct vuc_req *req)
{
    if (c->slots[req->id & (c->nslots - 1)] == req) {
        c->slots[req->id & (c->nslots - 1)] = NULL;
    }
    if (req->state != REQ_LATE) {
        c->inflight--;
    }
    tq_remove(c, req);
    req->state = REQ_FREE;
    req->fn = NULL;
    req->op = NULL;
    req->next_free = c->free_reqs;
    c->free_reqs = req;
}

/* Run a request's handler once and recycle it. */
static void req_complete(struct vuc_client *c, struct vuc_req *req,
                         struct vuc_reply *r)
{
    vuc_req_fn fn = req->fn;

    /* Out of the table before the handler runs, so that the handler may
     * start requests (even one reusing this id). */
    if (c->slots[req->id & (c->nslots - 1)] == req) {
        c->slots[req->id & (c->nslots - 1)] = NULL;
    }
    tq_remove(c, req);
    fn(c, req, r);
    if (r->fds != NULL) {
        close_fds(r->fds, r->nfds);
    }
    req_release(c, req);
}

int vuc_conn_free_id(struct vuc_client *c, uint16_t *id)
{
    for (unsigned tries = 0; tries <= c->nslots; tries++) {
        uint16_t cand = c->next_id++;
        if (c->nslots == 0 || c->slots[cand & (c->nslots - 1)] == NULL) {
            *id = cand;
            return 0;
        }
    }
    return -EBUSY;
}

struct vuc_req *vuc_req_start(struct vuc_client *c, uint16_t cmd,
                              size_t payload_len, void **payload, int *rc)
{
    if (!c->chan_open || !vuc_chan_is_open(&c->main)) {
        *rc =
            vuc_fail(c, -ENOTCONN, "%s: not connected", vuc_wire_cmd_name(cmd));
        return NULL;
    }
    if (VFIO_USER_HDR_SIZE + payload_len > UINT32_MAX) {
        *rc = vuc_fail(c, -EINVAL, "%s: message too large",
                       vuc_wire_cmd_name(cmd));
        return NULL;
    }
    /* Messages a feature held back were issued first, so they go first. */
    if ((*rc = vuc_features_before_send(c)) < 0) {
        return NULL;
    }
    uint16_t id;
    int err = id_alloc(c, &id);
    if (err < 0) {
        *rc = vuc_fail(c, err,
                       err == -EBUSY ? "%s: every message id is in use"
                                     : "%s: out of memory",
                       vuc_wire_cmd_name(cmd));
        return NULL;
    }
    struct vuc_req *req = req_alloc(c);
    uint8_t *msg =
        req ? vuc_chan_reserve(&c->main, VFIO_USER_HDR_SIZE + payload_len)
            : NULL;
    if (msg == NULL) {
        if (req != NULL) {
            req->next_free = c->free_reqs;
            c->free_reqs = req;
        }
        *rc = vuc_fail(c, -ENOMEM, "%s: out of memory", vuc_wire_cmd_name(cmd));
        return NULL;
    }
    req->id = id;
    req->cmd = cmd;
    req->state = REQ_STARTED;
    c->slots[id & (c->nslots - 1)] = req;
    c->inflight++;
    *payload = msg + VFIO_USER_HDR_SIZE;
    return req;
}

struct vuc_req *vuc_req_send(struct vuc_client *c, uint16_t cmd,
                             const void *payload, ssize_t len, int timeout_ms,
                             vuc_req_fn fn, void *op, int *fds, unsigned nfds,
                             int *rc)
{
    void *p;

    if (len < 0) { /* straight from an encoder that refused */
        close_fds(fds, nfds);
        *rc = vuc_fail(c, (int)len, "cannot encode %s", vuc_wire_cmd_name(cmd));
        return NULL;
    }
    struct vuc_req *req = vuc_req_start(c, cmd, (size_t)len, &p, rc);

    if (req == NULL) {
        close_fds(fds, nfds);
        return NULL;
    }
    if (len > 0) {
        memcpy(p, payload, (size_t)len);
    }
    req->op = op;
    *rc = vuc_req_submit(c, req, (size_t)len, timeout_ms, fn, fds, nfds);
    return *rc < 0 ? NULL : req;
}

void vuc_req_abandon(struct vuc_client *c, struct vuc_req *req)
{
    req_release(c, req);
}

int vuc_req_submit(struct vuc_client *c, struct vuc_req *req,
                   size_t payload_len, int timeout_ms, vuc_req_fn fn, int *fds,
                   unsigned nfds)
{
    uint8_t *msg = vuc_chan_reserved(&c->main); /* made by vuc_req_start */
    size_t size = VFIO_USER_HDR_SIZE + payload_len;
    /* Until VERSION says otherwise the peer takes one fd per message. */
    unsigned peer_max = c->negotiated ? c->caps.server_max_msg_fds
                                      : VFIO_USER_DEFAULT_MAX_MSG_FDS;

    if (nfds > peer_max) {
        for (unsigned i = 0; i < nfds; i++) {
            close(fds[i]);
        }
        req_release(c, req);
        return vuc_fail(c, -EINVAL,
                        "%s: %u fds exceed the server's max_msg_fds of %u",
                        vuc_wire_cmd_name(req->cmd), nfds, peer_max);
    }

    vuc_wire_put_header((struct vfio_user_header *)msg, req->id, req->cmd,
                        (uint32_t)size, VFIO_USER_F_TYPE_COMMAND, 0);
    int rc = vuc_chan_commit(&c->main, size, fds, nfds);
    if (rc < 0) {
        req_release(c, req);
        return vuc_fail(c, rc, "%s: out of memory",
                        vuc_wire_cmd_name(req->cmd));
    }
    req->fn = fn;
    req->state = REQ_WAITING;
    req->noreply_mark = c->noreply_sent;
    int ms = vuc_timeout_ms(c, timeout_ms);
    if (ms > 0) {
        tq_insert(c, req, ms);
    }
    return 0;
}

static void req_timed_out(struct vuc_client *c, struct vuc_req *req)
{
    struct vuc_reply r = {.err = -ETIMEDOUT};
    vuc_req_fn fn = req->fn;

    /* The id stays taken until the late reply is read, so that it can
     * never be mistaken for the reply to a newer request. */
    req->state = REQ_LATE;
    c->inflight--;
    vuc_fail(c, -ETIMEDOUT, "the server did not answer %s (id %u) in time",
             vuc_wire_cmd_name(req->cmd), req->id);
    fn(c, req, &r);
    if (!c->free_requested && vuc_chan_is_open(&c->main) &&
        count_late(c) >= LATE_MAX) {
        vuc_conn_fail(c, -EPROTO,
                      "the server left %u requests unanswered; giving up",
                      LATE_MAX);
    }
}

/* ---- Incoming messages -------------------------------------------------- */

static void on_reply(struct vuc_client *c, const struct vfio_user_header *hdr,
                     const uint8_t *payload, size_t len, int *fds,
                     unsigned nfds)
{
    struct vuc_req *req =
        c->nslots ? c->slots[hdr->msg_id & (c->nslots - 1)] : NULL;

    if (req == NULL || req->id != hdr->msg_id || req->state == REQ_STARTED) {
        if (vuc_features_stray_reply(c, hdr)) {
            close_fds(fds, nfds);
            return;
        }
        vuc_log(c, VUC_LOG_WARNING,
                "dropping a %s reply with id %u that answers no request",
                vuc_wire_cmd_name(hdr->cmd), hdr->msg_id);
        close_fds(fds, nfds);
        return;
    }
    /* "Command Concurrency": any reply confirms every No_reply message sent
     * before its request. */
    if (req->noreply_mark != 0) {
        vuc_features_replied(c, req->noreply_mark);
    }
    if (req->state == REQ_LATE) {
        vuc_log(c, VUC_LOG_INFO,
                "dropping the late reply to %s id %u (it timed out)",
                vuc_wire_cmd_name(req->cmd), req->id);
        close_fds(fds, nfds);
        req_release(c, req);
        return;
    }

    struct vuc_reply r = {.hdr = hdr};
    if (hdr->cmd != req->cmd) {
        close_fds(fds, nfds);
        r.err = vuc_fail(
            c, -EPROTO, "the server answered %s (id %u) with a %s reply",
            vuc_wire_cmd_name(req->cmd), req->id, vuc_wire_cmd_name(hdr->cmd));
    } else if (hdr->flags & VFIO_USER_F_ERROR) {
        /* An error reply is only a header; servers that send a payload or
         * fds anyway get them ignored. */
        close_fds(fds, nfds);
        r.err = vuc_wire_reply_errno(hdr);
        vuc_fail(c, r.err, "the server failed %s: %s (errno %u)",
                 vuc_wire_cmd_name(req->cmd), strerror(-r.err), hdr->error_no);
    } else {
        r.payload = payload;
        r.len = len;
        r.fds = fds;
        r.nfds = nfds;
    }
    req_complete(c, req, &r);
}

void vuc_conn_reply_error(struct vuc_client *c, struct vuc_chan *ch,
                          const struct vfio_user_header *hdr, int err)
{
    if (hdr->flags & VFIO_USER_F_NO_REPLY) {
        return;
    }
    /* Requests refused because the server reads nothing still cost a
     * header each: a server that keeps sending them has to go. */
    if (vuc_chan_tx_pending(ch) > 2 * c->opts.send_high) {
        vuc_conn_fail(c, -EPROTO,
                      "the server keeps sending requests but does not read "
                      "the answers (%zu bytes queued for it)",
                      vuc_chan_tx_pending(ch));
        return;
    }
    void *msg = vuc_chan_reserve(ch, VFIO_USER_HDR_SIZE);
    if (msg == NULL) {
        vuc_conn_fail(c, -ENOMEM, "out of memory replying to the server");
        return;
    }
    vuc_wire_put_header(msg, hdr->msg_id, hdr->cmd, VFIO_USER_HDR_SIZE,
                        VFIO_USER_F_TYPE_REPLY | VFIO_USER_F_ERROR,
                        (uint32_t)err);
    vuc_chan_commit(ch, VFIO_USER_HDR_SIZE, NULL, 0);
}

static void on_server_request(struct vuc_client *c, struct vuc_chan *ch,
                              const struct vfio_user_header *hdr,
                              const uint8_t *payload, size_t len, int *fds,
                              unsigned nfds)
{
    vuc_serve_fn fn = vuc_features_server(hdr->cmd);

    if (fn != NULL && c->negotiated) {
        fn(c, ch, hdr, payload, len, fds, nfds);
    } else {
        vuc_log(c, VUC_LOG_WARNING,
                "refusing %s (id %u) from the server: not served by this "
                "client%s",
                vuc_wire_cmd_name(hdr->cmd), hdr->msg_id,
                fn != NULL ? " before VERSION" : "");
        vuc_conn_reply_error(c, ch, hdr, ENOSYS);
    }
    /* Server requests carry no fds; whatever came is closed. */
    close_fds(fds, nfds);
}

static void on_msg(struct vuc_chan *ch, const struct vfio_user_header *hdr,
                   const uint8_t *payload, size_t len, int *fds, unsigned nfds,
                   void *arg)
{
    struct vuc_client *c = arg;

    if ((hdr->flags & VFIO_USER_F_TYPE_MASK) != VFIO_USER_F_TYPE_REPLY) {
        on_server_request(c, ch, hdr, payload, len, fds, nfds);
    } else if (ch == &c->main) {
        on_reply(c, hdr, payload, len, fds, nfds);
    } else {
        close_fds(fds, nfds);
        vuc_conn_fail(c, -EPROTO,
                      "the server sent a %s reply (id %u) on the "
                      "server-to-client socket",
                      vuc_wire_cmd_name(hdr->cmd), hdr->msg_id);
    }
}

static void on_chan_err(struct vuc_chan *ch, int err, const char *text,
                        void *arg)
{
    vuc_conn_fail(arg, err, "%s", text);
}

/* The socket can take more: messages held back while it was busy go out
 * now, ahead of anything queued after them. */
static void on_writable(void *arg)
{
    vuc_features_flush(arg, VUC_FLUSH_WRITABLE);
}

/* The queue fell to the low mark after reaching the high one. */
static void on_drained(void *arg)
{
    struct vuc_client *c = arg;

    if (c->writable_cb != NULL && !c->free_requested) {
        c->writable_cb(c, c->writable_arg);
    }
}

bool vuc_conn_full(const struct vuc_client *c)
{
    return c->chan_open && vuc_chan_tx_full(&c->main);
}

int vuc_conn_room(struct vuc_client *c, const char *what)
{
    if (!vuc_conn_full(c)) {
        return 0;
    }
    return vuc_fail(c, -ENOBUFS,
                    "%s: %zu bytes wait to be sent to the server, at the "
                    "outgoing queue's limit of %zu: the server is not reading "
                    "(stalled?); retry once the writable callback runs",
                    what, vuc_chan_tx_pending(&c->main), c->main.tx_high);
}

size_t vuc_get_send_queued(const struct vuc_client *client)
{
    return client->chan_open ? vuc_chan_tx_pending(&client->main) : 0;
}

static void on_hold(void *arg, bool hold)
{
    if (hold) {
        vuc_enter(arg);
    } else {
        vuc_leave(arg);
    }
}

/* The main socket carries our requests and their replies; messages held
 * back while it was busy go out when it drains. */
static const struct vuc_chan_ops main_ops = {
    .msg = on_msg,
    .err = on_chan_err,
    .hold = on_hold,
    .writable = on_writable,
    .drained = on_drained,
};

/* The twin socket carries the server's requests and our answers. */
static const struct vuc_chan_ops twin_ops = {
    .msg = on_msg,
    .err = on_chan_err,
    .hold = on_hold,
};

/* ---- Connection lifetime ------------------------------------------------- */

int vuc_conn_open(struct vuc_client *c, int fd)
{
    /* Until negotiation says more: replies to our reads (bounded by our own
     * transfer size) and region info, whichever is larger. */
    size_t max = c->opts.max_data_xfer_size;
    if (max < VUC_MAX_REGION_INFO_SIZE) {
        max = VUC_MAX_REGION_INFO_SIZE;
    }
    max += 2 * VFIO_USER_HDR_SIZE;

    if (c->timeout_ev == NULL &&
        (c->timeout_ev = evtimer_new(c->base, timeout_event, c)) == NULL) {
        close(fd);
        return vuc_fail(c, -ENOMEM, "out of memory");
    }
    int rc = vuc_chan_open(&c->main, c->base, fd, max, c->opts.max_msg_fds,
                           &main_ops, c);
    if (rc < 0) {
        return vuc_fail(c, rc, "cannot set up the socket: %s", strerror(-rc));
    }
    c->chan_open = true;
    /* Never stop reading main: the server may be blocked writing replies
     * that only our reading frees it from. */
    vuc_chan_set_watermarks(&c->main, c->opts.send_low, c->opts.send_high,
                            false);
    vuc_trace_attach(c, &c->main);
    return 0;
}

int vuc_conn_open_twin(struct vuc_client *c, int fd)
{
    /* Server requests: DMA_WRITE bounded by our own transfer size. */
    size_t max = c->opts.max_data_xfer_size + 2 * VFIO_USER_HDR_SIZE +
                 sizeof(struct vfio_user_dma_access);
    int rc = vuc_chan_open(&c->twin, c->base, fd, max, 1, &twin_ops, c);
    if (rc < 0) {
        return vuc_fail(c, rc, "cannot set up the twin socket: %s",
                        strerror(-rc));
    }
    c->twin_open = true;
    /* Its queue holds only answers to the server's requests: while the
     * server does not read them, read no more requests. */
    vuc_chan_set_watermarks(&c->twin, c->opts.send_low, c->opts.send_high,
                            true);
    vuc_trace_attach(c, &c->twin);
    return 0;
}

void vuc_conn_close(struct vuc_client *c, int err)
{
    c->connected = false;
    c->negotiated = false;
    if (c->chan_open) {
        vuc_chan_shutdown(&c->main);
    }
    if (c->twin_open) {
        vuc_chan_shutdown(&c->twin);
    }
    /* The server dropped our maps and eventfds; libvuc keeps both (the
     * memory, the vectors' eventfds) for a reconnect to set up again. */
    vuc_features_conn_lost(c);
    /* Handlers may start requests (refused now) or free the client (then
     * this runs nested and the outer pass finds the slots empty). */
    for (unsigned i = 0; i < c->nslots; i++) {
        struct vuc_req *req = c->slots[i];
        if (req == NULL) {
            continue;
        }
        if (req->state == REQ_WAITING) {
            struct vuc_reply r = {.err = err};
            req_complete(c, req, &r);
        } else {
            req_release(c, req);
        }
    }
    vuc_features_conn_closed(c, err);
}

void vuc_conn_fail(struct vuc_client *c, int err, const char *fmt, ...)
{
    char text[sizeof(c->errbuf)];
    va_list ap;
    bool was_connected = c->connected;

    if (!c->chan_open || c->free_requested) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    /* The failed operations and the disconnect callback carry the text;
     * the log only records it. */
    vuc_log(c, VUC_LOG_INFO, "connection lost: %s", text);
    if (err != -EPROTO && err != -ENOMEM) {
        err = -ECONNRESET;
    }
    /* Completions may overwrite the text; each sees the cause first. */
    vuc_fail(c, err, "%s", text);
    vuc_conn_close(c, err);
    vuc_fail(c, err, "%s", text);
    if (was_connected && c->disconnect_cb != NULL && !c->free_requested) {
        c->disconnect_cb(c, err, c->disconnect_arg);
    }
}

void vuc_conn_release(struct vuc_client *c)
{
    if (c->chan_open) {
        vuc_chan_destroy(&c->main);
        c->chan_open = false;
    }
    if (c->twin_open) {
        vuc_chan_destroy(&c->twin);
        c->twin_open = false;
    }
    for (unsigned i = 0; i < c->nslots; i++) {
        if (c->slots[i] != NULL) {
            req_release(c, c->slots[i]);
        }
    }
    while (c->free_reqs != NULL) {
        struct vuc_req *req = c->free_reqs;
        c->free_reqs = req->next_free;
        free(req);
    }
    free(c->slots);
    c->slots = NULL;
    c->nslots = 0;
    c->inflight = 0;
    if (c->timeout_ev != NULL) {
        event_free(c->timeout_ev);
        c->timeout_ev = NULL;
        c->timeout_armed = false;
    }
}
