/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Interrupts: SET_IRQS in all its forms, eventfds owned by libvuc (read on
 * the event loop, counted exactly) or lent by the caller, waiting for
 * events, automatic unmasking of AUTOMASKED indexes, and putting the
 * configuration back after a device reset.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <event2/event.h>

#include "client.h"
#include "conn.h"
#include "irq.h"
#include "posting.h"
#include "wire.h"

struct vuc_irq_vec {
    struct vuc_client *c;
    uint32_t index, vector;
    int efd;    /* -1: none */
    bool owned; /* libvuc made it and reads it; else a caller's duplicate */
    bool fresh; /* assigned by the operation in flight */
    /* Masked by the caller (vuc_irq_action): a reconnect leaves it so. */
    bool user_masked;
    struct event *ev;
    uint64_t total, unseen;
};

struct vuc_irq_state {
    struct vuc_irq_vec *vecs; /* info.count of them, once first used */
    vuc_irq_cb cb;
    void *cb_arg;
};

enum irq_op_kind {
    OP_ASSIGN,  /* vectors got eventfds: keep them, or roll back */
    OP_DISABLE, /* the index is off: release its eventfds */
    OP_PLAIN,   /* nothing to settle */
};

struct irq_op {
    struct vuc_deferred deferred;
    enum irq_op_kind kind;
    uint32_t index;
    unsigned outstanding;
    int result;
    vuc_done_cb done;
    void *arg;
};

/* ---- Vectors ------------------------------------------------------------- */

static void vec_release(struct vuc_irq_vec *v)
{
    if (v->ev != NULL) {
        event_free(v->ev);
        v->ev = NULL;
    }
    if (v->efd >= 0) {
        close(v->efd);
        v->efd = -1;
    }
    v->owned = v->fresh = false;
    v->unseen = 0;
}

static void send_unmask(struct vuc_client *c, uint32_t index, uint32_t vector);

static void deliver(struct vuc_client *c, uint32_t index, uint32_t vector,
                    uint64_t n)
{
    struct vuc_irq_state *st = &c->irqst[index];

    if (st->cb != NULL) {
        st->cb(c, index, vector, n, st->cb_arg);
    }
    /* After the handler: it may have to clear a level-triggered cause
     * before the line may fire again. */
    if (!c->free_requested && c->connected && c->opts.irq_auto_unmask &&
        (c->irqs[index].flags & VFIO_USER_IRQ_INFO_AUTOMASKED)) {
        send_unmask(c, index, vector);
    }
}

/* An event held until a fence confirmed the writes posted before it. */
struct held_event {
    uint32_t index, vector;
    uint64_t n;
};

static void deliver_held(struct vuc_client *c, int rc, void *arg)
{
    struct held_event h = *(struct held_event *)arg;

    free(arg);
    if (rc < 0 && rc != -ECANCELED) {
        /* Cancelled means the client is being freed: nothing to say. */
        vuc_log(c, VUC_LOG_WARNING,
                "fence before %s vector %u's interrupt failed: %s",
                vuc_irq_name(h.index), h.vector, c->errbuf);
    }
    if (!c->free_requested && c->irqst != NULL) {
        deliver(c, h.index, h.vector, h.n);
    }
}

static void vec_event(evutil_socket_t fd, short what, void *arg)
{
    struct vuc_irq_vec *v = arg;
    struct vuc_client *c = v->c;
    uint32_t index = v->index, vector = v->vector;
    uint64_t n;

    /* One read drains the counter: n is every signal since the last. */
    if (read(fd, &n, sizeof(n)) != (ssize_t)sizeof(n)) {
        return;
    }
    vuc_enter(c);
    v->total += n;
    v->unseen += n;
    struct held_event *h = NULL;
    if (c->post.policy == VUC_POSTING_FENCED && vuc_posted_pending(c) &&
        (h = malloc(sizeof(*h))) != NULL) {
        *h = (struct held_event){index, vector, n};
        if (vuc_fence_then(c, VUC_TIMEOUT_DEFAULT, deliver_held, h) < 0) {
            free(h);
            h = NULL;
        }
    }
    if (h == NULL) {
        deliver(c, index, vector, n);
    }
    vuc_leave(c);
}

static struct vuc_irq_vec *vecs_of(struct vuc_client *c, uint32_t index)
{
    struct vuc_irq_state *st = &c->irqst[index];
    uint32_t n = c->irqs[index].count;

    if (st->vecs == NULL && n > 0) {
        st->vecs = calloc(n, sizeof(*st->vecs));
        if (st->vecs == NULL) {
            return NULL;
        }
        for (uint32_t i = 0; i < n; i++) {
            st->vecs[i].c = c;
            st->vecs[i].index = index;
            st->vecs[i].vector = i;
            st->vecs[i].efd = -1;
        }
    }
    return st->vecs;
}

int vuc_irq_setup(struct vuc_client *c, uint32_t num_irqs)
{
    c->irqst = calloc(num_irqs ? num_irqs : 1, sizeof(*c->irqst));
    return c->irqst ? 0 : -ENOMEM;
}

void vuc_irq_state_free(struct vuc_irq_state *irqst,
                        const struct vuc_irq_info *irqs, uint32_t num_irqs)
{
    for (uint32_t i = 0; irqst != NULL && i < num_irqs; i++) {
        struct vuc_irq_state *st = &irqst[i];
        for (uint32_t v = 0; st->vecs != NULL && v < irqs[i].count; v++) {
            vec_release(&st->vecs[v]);
        }
        free(st->vecs);
    }
    free(irqst);
}

void vuc_irq_release_all(struct vuc_client *c)
{
    vuc_irq_state_free(c->irqst, c->irqs, c->dev.num_irqs);
    c->irqst = NULL;
}

/* Stop (parked) or resume reading libvuc's eventfds of a held state. */
static void park(struct vuc_irq_state *irqst, const struct vuc_irq_info *irqs,
                 uint32_t num_irqs, bool parked)
{
    for (uint32_t i = 0; irqst != NULL && i < num_irqs; i++) {
        struct vuc_irq_vec *vecs = irqst[i].vecs;
        for (uint32_t v = 0; vecs != NULL && v < irqs[i].count; v++) {
            if (vecs[v].ev == NULL) {
                continue;
            }
            if (parked) {
                event_del(vecs[v].ev);
            } else {
                event_add(vecs[v].ev, NULL);
            }
        }
    }
}

struct vuc_irq_state *vuc_irq_hold(struct vuc_client *c)
{
    struct vuc_irq_state *held = c->irqst;

    park(held, c->irqs, c->dev.num_irqs, true);
    c->irqst = NULL;
    return held;
}

void vuc_irq_adopt(struct vuc_client *c, struct vuc_irq_state *held)
{
    /* The fresh state from discovery has no vectors yet. */
    free(c->irqst);
    c->irqst = held;
    park(held, c->irqs, c->dev.num_irqs, false);
}

/* ---- Messages ------------------------------------------------------------ */

static void op_settle(struct vuc_client *c, struct irq_op *op)
{
    struct vuc_irq_vec *vecs = c->irqst ? c->irqst[op->index].vecs : NULL;
    uint32_t n = c->irqs ? c->irqs[op->index].count : 0;

    for (uint32_t i = 0; vecs != NULL && i < n; i++) {
        if (op->kind == OP_ASSIGN && vecs[i].fresh) {
            if (op->result < 0) {
                vec_release(&vecs[i]); /* the server may not have it */
            }
            vecs[i].fresh = false;
        } else if (op->kind == OP_DISABLE &&
                   (op->result == 0 || !c->connected)) {
            /* A disable cut short by the end of the connection did what
             * it asked: the server dropped the eventfds. */
            vec_release(&vecs[i]);
        }
    }
    vuc_done_cb done = op->done;
    void *arg = op->arg;
    int result = op->result;
    free(op);
    if (done != NULL) {
        done(c, result, arg);
    }
}

static void irq_reply(struct vuc_client *c, struct vuc_req *req,
                      struct vuc_reply *r)
{
    struct irq_op *op = req->op;
    struct vuc_wire_err err;
    int rc = r->err;

    if (rc == 0) {
        rc = vuc_wire_dec_empty_reply(VFIO_USER_DEVICE_SET_IRQS, r->len,
                                      r->nfds, &err);
        if (rc < 0) {
            vuc_fail(c, rc, "%s", err.text);
        }
    }
    if (rc < 0 && op->result == 0) {
        op->result = rc;
    }
    if (--op->outstanding == 0) {
        op_settle(c, op);
    }
}

/* One SET_IRQS carrying dups of fds[0..nfds). */
static int send_set(struct vuc_client *c, struct irq_op *op, uint32_t flags,
                    uint32_t index, uint32_t start, uint32_t count,
                    const uint8_t *bools, const int *fds, unsigned nfds,
                    int timeout_ms)
{
    size_t len = sizeof(struct vfio_user_irq_set) +
                 ((flags & VFIO_USER_IRQ_SET_DATA_BOOL) ? count : 0);
    int dups[VUC_SCM_MAX_FD];
    void *payload;
    int rc;

    if (nfds > VUC_SCM_MAX_FD) {
        return vuc_fail(c, -EINVAL,
                        "SET_IRQS: %u fds is more than one "
                        "message can carry",
                        nfds);
    }
    struct vuc_req *req =
        vuc_req_start(c, VFIO_USER_DEVICE_SET_IRQS, len, &payload, &rc);
    if (req == NULL) {
        return rc;
    }
    ssize_t n =
        vuc_wire_enc_set_irqs(payload, len, flags, index, start, count, bools);
    if (n < 0) {
        vuc_req_abandon(c, req);
        return vuc_fail(c, (int)n,
                        "SET_IRQS: flags 0x%x are not one data "
                        "and one action",
                        flags);
    }
    for (unsigned i = 0; i < nfds; i++) {
        dups[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
        if (dups[i] < 0) {
            rc = -errno;
            while (i-- > 0) {
                close(dups[i]);
            }
            vuc_req_abandon(c, req);
            return vuc_fail(c, rc, "SET_IRQS: fd %d: %s", fds[i],
                            strerror(-rc));
        }
    }
    req->op = op;
    rc = vuc_req_submit(c, req, (size_t)n, timeout_ms, irq_reply, dups, nfds);
    if (rc == 0) {
        op->outstanding++;
    }
    return rc;
}

/*
 * Send the eventfds of vectors [lo, hi): runs of assigned vectors in
 * messages of at most the server's max_msg_fds, and runs of unassigned ones
 * as pure de-assign messages (DATA_EVENTFD without fds).
 */
static int send_runs(struct vuc_client *c, struct irq_op *op, uint32_t index,
                     uint32_t lo, uint32_t hi, int timeout_ms)
{
    const uint32_t flags =
        VFIO_USER_IRQ_SET_DATA_EVENTFD | VFIO_USER_IRQ_SET_ACTION_TRIGGER;
    struct vuc_irq_vec *vecs = c->irqst[index].vecs;
    uint32_t max = c->caps.server_max_msg_fds;
    int fds[VUC_SCM_MAX_FD];

    if (max > VUC_SCM_MAX_FD) {
        max = VUC_SCM_MAX_FD;
    }
    for (uint32_t v = lo; v < hi;) {
        uint32_t end = v;
        bool assigned = vecs[v].efd >= 0;
        while (end < hi && (vecs[end].efd >= 0) == assigned &&
               (!assigned || end - v < max)) {
            if (assigned) {
                fds[end - v] = vecs[end].efd;
            }
            end++;
        }
        int rc = send_set(c, op, flags, index, v, end - v, NULL, fds,
                          assigned ? end - v : 0, timeout_ms);
        if (rc < 0) {
            return rc;
        }
        v = end;
    }
    return 0;
}

/* Finish an op whose sending failed part-way: what was sent completes it;
 * with nothing sent it settles at once (no callback: the call fails). */
static int op_send_failed(struct vuc_client *c, struct irq_op *op, int rc)
{
    op->result = rc;
    if (op->outstanding > 0) {
        return 0;
    }
    op->done = NULL;
    op_settle(c, op);
    return rc;
}

static struct irq_op *op_new(struct vuc_client *c, enum irq_op_kind kind,
                             uint32_t index, vuc_done_cb done, void *arg)
{
    struct irq_op *op = calloc(1, sizeof(*op));
    if (op == NULL) {
        vuc_fail(c, -ENOMEM, "out of memory");
        return NULL;
    }
    op->kind = kind;
    op->index = index;
    op->done = done;
    op->arg = arg;
    return op;
}

/* ---- Checks -------------------------------------------------------------- */

/* Starts the call (vuc_call_start), then checks the index and vectors. */
static int check_index(struct vuc_client *c, const char *what, uint32_t index,
                       uint32_t start, uint32_t count, vuc_done_cb done)
{
    int rc = vuc_call_start(c, what, done);
    if (rc < 0) {
        return rc;
    }
    if (index >= c->dev.num_irqs) {
        return vuc_fail(c, -ENODEV,
                        "%s: irq index %u does not exist (the device has %u)",
                        what, index, c->dev.num_irqs);
    }
    uint32_t n = c->irqs[index].count;
    if (count == 0 || start >= n || count > n - start) {
        return vuc_fail(c, -ERANGE, "%s: vectors [%u, +%u) are outside %s's %u",
                        what, start, count, vuc_irq_name(index), n);
    }
    return 0;
}

/* ---- Enabling ------------------------------------------------------------ */

static int assign(struct vuc_client *c, uint32_t index, uint32_t start,
                  uint32_t count, const int *fds, vuc_irq_cb cb, void *cb_arg,
                  int timeout_ms, vuc_done_cb done, void *arg)
{
    const char *what = fds ? "irq set eventfds" : "irq enable";
    int rc = check_index(c, what, index, start, count, done);
    if (rc < 0) {
        return rc;
    }
    const struct vuc_irq_info *info = &c->irqs[index];
    if (!(info->flags & VFIO_USER_IRQ_INFO_EVENTFD)) {
        return vuc_fail(c, -ENOTSUP, "%s: %s does not signal eventfds", what,
                        vuc_irq_name(index));
    }
    struct vuc_irq_vec *vecs = vecs_of(c, index);
    struct irq_op *op = vecs ? op_new(c, OP_ASSIGN, index, done, arg) : NULL;
    if (op == NULL) {
        return vuc_fail(c, -ENOMEM, "%s: out of memory", what);
    }

    /* What the server has now, to see whether a NORESIZE set grows. */
    uint32_t lo = UINT32_MAX, hi = 0;
    bool grows = false;
    for (uint32_t v = 0; v < info->count; v++) {
        if (vecs[v].efd >= 0) {
            lo = v < lo ? v : lo;
            hi = v + 1;
        }
    }
    for (uint32_t i = 0; i < count; i++) {
        struct vuc_irq_vec *v = &vecs[start + i];
        bool want = fds == NULL || fds[i] >= 0;
        if (want && v->efd < 0) {
            grows = lo != UINT32_MAX;
        }
        vec_release(v);
        if (!want) {
            continue;
        }
        v->efd = fds ? fcntl(fds[i], F_DUPFD_CLOEXEC, 3)
                     : eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (v->efd < 0) {
            rc = vuc_fail(c, -errno, "%s: %s vector %u: %s", what,
                          vuc_irq_name(index), start + i, strerror(errno));
            return op_send_failed(c, op, rc);
        }
        v->fresh = true;
        if (fds == NULL) {
            v->owned = true;
            v->ev =
                event_new(c->base, v->efd, EV_READ | EV_PERSIST, vec_event, v);
            if (v->ev == NULL || event_add(v->ev, NULL) < 0) {
                return op_send_failed(
                    c, op, vuc_fail(c, -ENOMEM, "%s: out of memory", what));
            }
        }
    }
    if (fds == NULL) {
        c->irqst[index].cb = cb;
        c->irqst[index].cb_arg = cb_arg;
    }

    uint32_t from = start, to = start + count;
    if (grows && (info->flags & VFIO_USER_IRQ_INFO_NORESIZE)) {
        /* "NORESIZE": the set cannot grow in place. Disable the index and
         * enable the whole new set. */
        from = lo < start ? lo : start;
        to = hi > start + count ? hi : start + count;
        rc = send_set(c, op,
                      VFIO_USER_IRQ_SET_DATA_NONE |
                          VFIO_USER_IRQ_SET_ACTION_TRIGGER,
                      index, 0, 0, NULL, NULL, 0, timeout_ms);
        if (rc < 0) {
            return op_send_failed(c, op, rc);
        }
    }
    rc = send_runs(c, op, index, from, to, timeout_ms);
    return rc < 0 ? op_send_failed(c, op, rc) : 0;
}

int vuc_irq_enable_async(struct vuc_client *client, uint32_t index,
                         uint32_t start, uint32_t count, vuc_irq_cb cb,
                         void *cb_arg, int timeout_ms, vuc_done_cb done,
                         void *arg)
{
    return assign(client, index, start, count, NULL, cb, cb_arg, timeout_ms,
                  done, arg);
}

int vuc_irq_set_eventfds_async(struct vuc_client *client, uint32_t index,
                               uint32_t start, uint32_t count, const int *fds,
                               int timeout_ms, vuc_done_cb done, void *arg)
{
    vuc_begin(client);
    if (fds == NULL) {
        return vuc_fail(client, -EINVAL, "irq set eventfds: no fds given");
    }
    return assign(client, index, start, count, fds, NULL, NULL, timeout_ms,
                  done, arg);
}

int vuc_irq_disable_async(struct vuc_client *client, uint32_t index,
                          int timeout_ms, vuc_done_cb done, void *arg)
{
    struct vuc_client *c = client;

    int rc = check_index(c, "irq disable", index, 0, 1, done);
    if (rc < 0 && rc != -ERANGE) {
        return rc;
    }
    if (index < c->dev.num_irqs && vecs_of(c, index) == NULL &&
        c->irqs[index].count > 0) {
        return vuc_fail(c, -ENOMEM, "irq disable: out of memory");
    }
    struct irq_op *op = op_new(c, OP_DISABLE, index, done, arg);
    if (op == NULL) {
        return -ENOMEM;
    }
    /* "a count (and start) of 0, with data flags of DATA_NONE disables all
     * interrupts of the index" */
    rc = send_set(
        c, op, VFIO_USER_IRQ_SET_DATA_NONE | VFIO_USER_IRQ_SET_ACTION_TRIGGER,
        index, 0, 0, NULL, NULL, 0, timeout_ms);
    return rc < 0 ? op_send_failed(c, op, rc) : 0;
}

/* ---- Actions ------------------------------------------------------------- */

int vuc_irq_action_async(struct vuc_client *client, uint32_t index,
                         uint32_t start, uint32_t count, uint32_t action,
                         const bool *which, int timeout_ms, vuc_done_cb done,
                         void *arg)
{
    struct vuc_client *c = client;
    uint8_t bools[2048];

    int rc = check_index(c, "irq action", index, start, count, done);
    if (rc < 0) {
        return rc;
    }
    if (action != VFIO_USER_IRQ_SET_ACTION_MASK &&
        action != VFIO_USER_IRQ_SET_ACTION_UNMASK &&
        action != VFIO_USER_IRQ_SET_ACTION_TRIGGER) {
        return vuc_fail(c, -EINVAL,
                        "irq action: 0x%x is not mask, unmask "
                        "or trigger",
                        action);
    }
    if (action != VFIO_USER_IRQ_SET_ACTION_TRIGGER &&
        !(c->irqs[index].flags & VFIO_USER_IRQ_INFO_MASKABLE)) {
        return vuc_fail(c, -ENOTSUP, "irq action: %s is not maskable",
                        vuc_irq_name(index));
    }
    if (which != NULL && count > sizeof(bools)) {
        return vuc_fail(c, -ERANGE, "irq action: %u vectors is too many",
                        count);
    }
    for (uint32_t i = 0; which != NULL && i < count; i++) {
        bools[i] = which[i] ? 1 : 0;
    }
    struct irq_op *op = op_new(c, OP_PLAIN, index, done, arg);
    if (op == NULL) {
        return -ENOMEM;
    }
    uint32_t data =
        which ? VFIO_USER_IRQ_SET_DATA_BOOL : VFIO_USER_IRQ_SET_DATA_NONE;
    rc = send_set(c, op, data | action, index, start, count,
                  which ? bools : NULL, NULL, 0, timeout_ms);
    if (rc < 0) {
        return op_send_failed(c, op, rc);
    }
    /* The caller's intent, for a reconnect; a mask that fails leaves the
     * device's state unknown either way. */
    struct vuc_irq_vec *vecs =
        action == VFIO_USER_IRQ_SET_ACTION_TRIGGER ? NULL : vecs_of(c, index);
    for (uint32_t i = 0; vecs != NULL && i < count; i++) {
        if (which == NULL || which[i]) {
            vecs[start + i].user_masked =
                action == VFIO_USER_IRQ_SET_ACTION_MASK;
        }
    }
    return 0;
}

int vuc_irq_set_raw_async(struct vuc_client *client, uint32_t flags,
                          uint32_t index, uint32_t start, uint32_t count,
                          const uint8_t *bools, const int *fds, unsigned nfds,
                          int timeout_ms, vuc_done_cb done, void *arg)
{
    struct vuc_client *c = client;

    int rc = vuc_call_start(c, "SET_IRQS", done);
    if (rc < 0) {
        return rc;
    }
    if ((flags & VFIO_USER_IRQ_SET_DATA_BOOL) && bools == NULL && count > 0) {
        return vuc_fail(c, -EINVAL, "SET_IRQS: DATA_BOOL needs the bools");
    }
    struct irq_op *op = op_new(c, OP_PLAIN, 0, done, arg);
    if (op == NULL) {
        return -ENOMEM;
    }
    rc = send_set(c, op, flags, index, start, count, bools, fds, nfds,
                  timeout_ms);
    return rc < 0 ? op_send_failed(c, op, rc) : 0;
}

/* Fire-and-forget unmask of an automasked vector: a failure is logged, the
 * interrupt stays masked, and the caller can see it in the log. */
static void unmask_done(struct vuc_client *c, int result, void *arg)
{
    if (result < 0) {
        vuc_log(c, VUC_LOG_WARNING, "automatic unmask failed: %s", c->errbuf);
    }
}

static void send_unmask(struct vuc_client *c, uint32_t index, uint32_t vector)
{
    struct irq_op *op = op_new(c, OP_PLAIN, index, unmask_done, NULL);
    if (op == NULL ||
        send_set(c, op,
                 VFIO_USER_IRQ_SET_DATA_NONE | VFIO_USER_IRQ_SET_ACTION_UNMASK,
                 index, vector, 1, NULL, NULL, 0, VUC_TIMEOUT_DEFAULT) < 0) {
        vuc_log(c, VUC_LOG_WARNING, "cannot unmask %s vector %u: %s",
                vuc_irq_name(index), vector, c->errbuf);
        if (op != NULL) {
            op->done = NULL;
            op_send_failed(c, op, -EIO);
        }
    }
}

/* ---- After a reset ------------------------------------------------------- */

/*
 * Unmask the enabled vectors of an automasked index that the caller did
 * not mask: an interrupt whose automatic unmask was lost with the old
 * connection would otherwise leave the line masked for good.
 */
static int send_unmasks(struct vuc_client *c, struct irq_op *op, uint32_t index,
                        uint32_t lo, uint32_t hi)
{
    const uint32_t flags =
        VFIO_USER_IRQ_SET_DATA_NONE | VFIO_USER_IRQ_SET_ACTION_UNMASK;
    struct vuc_irq_vec *vecs = c->irqst[index].vecs;

    for (uint32_t v = lo; v < hi;) {
        if (vecs[v].efd < 0 || vecs[v].user_masked) {
            v++;
            continue;
        }
        uint32_t end = v;
        while (end < hi && vecs[end].efd >= 0 && !vecs[end].user_masked) {
            end++;
        }
        int rc = send_set(c, op, flags, index, v, end - v, NULL, NULL, 0,
                          VUC_TIMEOUT_DEFAULT);
        if (rc < 0) {
            return rc;
        }
        v = end;
    }
    return 0;
}

int vuc_irq_reapply(struct vuc_client *c, bool unmask, vuc_done_cb done,
                    void *arg)
{
    struct irq_op *op = NULL;

    for (uint32_t i = 0; c->irqst != NULL && i < c->dev.num_irqs; i++) {
        struct vuc_irq_vec *vecs = c->irqst[i].vecs;
        uint32_t lo = UINT32_MAX, hi = 0;
        for (uint32_t v = 0; vecs != NULL && v < c->irqs[i].count; v++) {
            if (vecs[v].efd >= 0) {
                lo = v < lo ? v : lo;
                hi = v + 1;
            }
        }
        if (lo == UINT32_MAX) {
            continue;
        }
        if (op == NULL && (op = op_new(c, OP_PLAIN, i, done, arg)) == NULL) {
            return -ENOMEM;
        }
        int rc = send_runs(c, op, i, lo, hi, VUC_TIMEOUT_DEFAULT);
        if (rc == 0 && unmask && c->opts.irq_auto_unmask &&
            (c->irqs[i].flags & VFIO_USER_IRQ_INFO_AUTOMASKED)) {
            rc = send_unmasks(c, op, i, lo, hi);
        }
        if (rc < 0) {
            return op_send_failed(c, op, rc);
        }
    }
    return op != NULL ? 0 : 1;
}

/* ---- Counting and waiting ------------------------------------------------ */

bool vuc_irq_enabled(const struct vuc_client *client, uint32_t index,
                     uint32_t vector)
{
    const struct vuc_client *c = client;
    return c->irqst != NULL && index < c->dev.num_irqs &&
           c->irqst[index].vecs != NULL && vector < c->irqs[index].count &&
           c->irqst[index].vecs[vector].efd >= 0;
}

uint64_t vuc_irq_total(const struct vuc_client *client, uint32_t index,
                       uint32_t vector)
{
    const struct vuc_client *c = client;
    if (c->irqst == NULL || index >= c->dev.num_irqs ||
        c->irqst[index].vecs == NULL || vector >= c->irqs[index].count) {
        return 0;
    }
    return c->irqst[index].vecs[vector].total;
}

bool vuc_irq_take_unseen(struct vuc_client *c, uint32_t index, uint32_t vector,
                         struct vuc_irq_event *ev)
{
    for (uint32_t i = 0; c->irqst != NULL && i < c->dev.num_irqs; i++) {
        struct vuc_irq_vec *vecs = c->irqst[i].vecs;
        if (index != VUC_IRQ_ANY && index != i) {
            continue;
        }
        for (uint32_t v = 0; vecs != NULL && v < c->irqs[i].count; v++) {
            if ((vector == VUC_IRQ_ANY || vector == v) && vecs[v].unseen) {
                ev->index = i;
                ev->vector = v;
                ev->count = vecs[v].unseen;
                vecs[v].unseen = 0;
                return true;
            }
        }
    }
    return false;
}
