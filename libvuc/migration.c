/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Migration (v2 of the current specification): probing, the device state
 * machine with path finding, and migration data (the save file is
 * mig_file.c). Also the DEVICE_FEATURE request that dirty.c shares.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client.h"
#include "conn.h"
#include "migration.h"
#include "wire.h"

#define FEATURE_HEAD sizeof(struct vfio_user_device_feature)

/* ---- DEVICE_FEATURE ----------------------------------------------------- */

int vuc_feature_send(struct vuc_client *c, uint32_t flags, uint32_t argsz,
                     const void *data, size_t len, int timeout_ms,
                     vuc_req_fn fn, void *op)
{
    void *payload;
    int rc;
    struct vuc_req *req = vuc_req_start(c, VFIO_USER_DEVICE_FEATURE,
                                        FEATURE_HEAD + len, &payload, &rc);
    if (req == NULL) {
        return rc;
    }
    ssize_t n = vuc_wire_enc_device_feature(payload, FEATURE_HEAD + len, flags,
                                            argsz, data, len);
    if (n < 0) {
        vuc_req_abandon(c, req);
        return vuc_fail(c, (int)n, "cannot encode DEVICE_FEATURE");
    }
    req->op = op;
    req->index = flags;
    return vuc_req_submit(c, req, (size_t)n, timeout_ms, fn, NULL, 0);
}

/* ---- States -------------------------------------------------------------- */

static const char *const state_names[VFIO_USER_DEVICE_NUM_STATES] = {
    "ERROR",    "STOP",        "RUNNING",  "STOP_COPY",
    "RESUMING", "RUNNING_P2P", "PRE_COPY", "PRE_COPY_P2P",
};

const char *vuc_mig_state_name(uint32_t state)
{
    return state < VFIO_USER_DEVICE_NUM_STATES ? state_names[state] : "UNKNOWN";
}

int vuc_mig_state_parse(const char *name, uint32_t *state)
{
    for (uint32_t i = 0; i < VFIO_USER_DEVICE_NUM_STATES; i++) {
        if (strcasecmp(name, state_names[i]) == 0) {
            *state = i;
            return 0;
        }
    }
    return -EINVAL;
}

/* The arcs of "Direct State Transitions". */
static bool arc(uint32_t from, uint32_t to, bool pre_copy)
{
    enum {
        STOP = VFIO_USER_DEVICE_STATE_STOP,
        RUNNING = VFIO_USER_DEVICE_STATE_RUNNING,
        STOP_COPY = VFIO_USER_DEVICE_STATE_STOP_COPY,
        RESUMING = VFIO_USER_DEVICE_STATE_RESUMING,
        PRE_COPY = VFIO_USER_DEVICE_STATE_PRE_COPY,
    };
    if (!pre_copy && (from == PRE_COPY || to == PRE_COPY)) {
        return false;
    }
    switch (from) {
    case RUNNING:
        return to == STOP || to == PRE_COPY;
    case STOP:
        return to == RUNNING || to == STOP_COPY || to == RESUMING;
    case STOP_COPY:
    case RESUMING:
        return to == STOP;
    case PRE_COPY:
        return to == RUNNING || to == STOP_COPY;
    default:
        return false;
    }
}

static bool saving(uint32_t s)
{
    return s == VFIO_USER_DEVICE_STATE_PRE_COPY ||
           s == VFIO_USER_DEVICE_STATE_STOP_COPY;
}

/*
 * The shortest path from -> to ("Complex State Transitions"), with no
 * saving state inside it. Breadth-first over five states. Returns the
 * number of steps written to path (0 when already there), or -1.
 */
static int find_path(uint32_t from, uint32_t to, bool pre_copy,
                     uint32_t path[VFIO_USER_DEVICE_NUM_STATES])
{
    int prev[VFIO_USER_DEVICE_NUM_STATES];
    uint32_t queue[VFIO_USER_DEVICE_NUM_STATES];
    unsigned head = 0, tail = 0;

    if (from == to) {
        return 0;
    }
    /* "The STOP_COPY -> PRE_COPY transition is explicitly not allowed": not
     * by any path either (the kernel's table says ERROR for it too), since
     * a finished save cannot become a running one. */
    if (from == VFIO_USER_DEVICE_STATE_STOP_COPY &&
        to == VFIO_USER_DEVICE_STATE_PRE_COPY) {
        return -1;
    }
    for (unsigned i = 0; i < VFIO_USER_DEVICE_NUM_STATES; i++) {
        prev[i] = -2;
    }
    prev[from] = -1;
    queue[tail++] = from;
    while (head < tail) {
        uint32_t s = queue[head++];
        if (s != from && saving(s)) {
            continue; /* never an interior step */
        }
        for (uint32_t t = 0; t < VFIO_USER_DEVICE_NUM_STATES; t++) {
            if (prev[t] == -2 && arc(s, t, pre_copy)) {
                prev[t] = (int)s;
                queue[tail++] = t;
            }
        }
    }
    if (prev[to] == -2) {
        return -1;
    }
    int n = 0;
    for (int s = (int)to; s != (int)from; s = prev[s]) {
        n++;
    }
    int i = n;
    for (int s = (int)to; s != (int)from; s = prev[s]) {
        path[--i] = (uint32_t)s;
    }
    return n;
}

/* ---- Operations ---------------------------------------------------------- */

struct mig_op {
    struct vuc_deferred deferred; /* a walk that needs no probe */
    vuc_done_cb cb;
    void *arg;
    int timeout_ms;
    uint64_t *flags_out;
    uint32_t *state_out;
    uint32_t target;
    uint32_t path[VFIO_USER_DEVICE_NUM_STATES];
    int nsteps, step;
    uint32_t current;
    bool pre_copy;
    /* data */
    uint8_t *buf;
    uint32_t *got;
    unsigned outstanding;
    int result;
};

static void op_done(struct vuc_client *c, struct mig_op *op, int rc)
{
    vuc_done_cb cb = op->cb;
    void *arg = op->arg;

    free(op);
    cb(c, rc, arg);
}

static struct mig_op *op_new(struct vuc_client *c, vuc_done_cb cb, void *arg,
                             int timeout_ms)
{
    struct mig_op *op = calloc(1, sizeof(*op));
    if (op == NULL) {
        vuc_fail(c, -ENOMEM, "migration: out of memory");
        return NULL;
    }
    op->cb = cb;
    op->arg = arg;
    op->timeout_ms = timeout_ms;
    return op;
}

/* Decode a GET reply's data for feature `which`. */
static int get_data(struct vuc_client *c, struct vuc_reply *r, uint32_t which,
                    const uint8_t **data, size_t *dlen)
{
    struct vuc_wire_err err;
    if (r->err < 0) {
        return r->err;
    }
    int rc = vuc_wire_dec_device_feature_reply(
        r->payload, r->len, r->nfds, VFIO_USER_DEVICE_FEATURE_GET | which, data,
        dlen, &err);
    return rc < 0 ? vuc_fail(c, rc, "%s", err.text) : 0;
}

static void probe_reply(struct vuc_client *c, struct vuc_req *req,
                        struct vuc_reply *r)
{
    struct mig_op *op = req->op;
    struct vuc_wire_err err;
    const uint8_t *data;
    size_t dlen;
    uint64_t flags = 0;
    int rc = get_data(c, r, VFIO_USER_DEVICE_FEATURE_MIGRATION, &data, &dlen);

    if (rc < 0 && r->hdr != NULL && (r->hdr->flags & VFIO_USER_F_ERROR)) {
        rc = vuc_fail(c, -ENOTSUP,
                      "the device does not support migration (DEVICE_FEATURE "
                      "MIGRATION: %s)",
                      strerror(-r->err));
    } else if (rc == 0 && (rc = vuc_wire_dec_feature_migration(
                               data, dlen, &flags, &err)) < 0) {
        vuc_fail(c, rc, "%s", err.text);
    }
    if (rc == 0) {
        *op->flags_out = flags;
        c->mig.flags = flags;
        c->mig.probed = true;
    }
    op_done(c, op, rc);
}

int vuc_mig_probe_async(struct vuc_client *client, uint64_t *flags,
                        int timeout_ms, vuc_done_cb cb, void *arg)
{
    struct vuc_client *c = client;
    int rc = vuc_call_start(c, "migration probe", cb);
    if (rc < 0) {
        return rc;
    }
    if (flags == NULL) {
        return vuc_fail(c, -EINVAL, "migration probe: no place for flags");
    }
    struct mig_op *op = op_new(c, cb, arg, timeout_ms);
    if (op == NULL) {
        return -ENOMEM;
    }
    op->flags_out = flags;
    rc = vuc_feature_send(
        c, VFIO_USER_DEVICE_FEATURE_GET | VFIO_USER_DEVICE_FEATURE_MIGRATION,
        FEATURE_HEAD + sizeof(struct vfio_user_device_feature_migration), NULL,
        0, timeout_ms, probe_reply, op);
    if (rc < 0) {
        free(op);
    }
    return rc;
}

static int send_get_state(struct vuc_client *c, struct mig_op *op,
                          vuc_req_fn fn)
{
    return vuc_feature_send(
        c,
        VFIO_USER_DEVICE_FEATURE_GET |
            VFIO_USER_DEVICE_FEATURE_MIG_DEVICE_STATE,
        FEATURE_HEAD + sizeof(struct vfio_user_device_feature_mig_state), NULL,
        0, op->timeout_ms, fn, op);
}

static int decode_state(struct vuc_client *c, struct vuc_reply *r,
                        uint32_t *state)
{
    struct vuc_wire_err err;
    const uint8_t *data;
    size_t dlen;
    int rc =
        get_data(c, r, VFIO_USER_DEVICE_FEATURE_MIG_DEVICE_STATE, &data, &dlen);
    if (rc == 0 &&
        (rc = vuc_wire_dec_feature_mig_state(data, dlen, state, &err)) < 0) {
        vuc_fail(c, rc, "%s", err.text);
    }
    return rc;
}

static void get_state_reply(struct vuc_client *c, struct vuc_req *req,
                            struct vuc_reply *r)
{
    struct mig_op *op = req->op;
    uint32_t state;
    int rc = decode_state(c, r, &state);
    if (rc < 0 && r->hdr != NULL && (r->hdr->flags & VFIO_USER_F_ERROR)) {
        rc = vuc_fail(c, -ENOTSUP,
                      "migration state: the device refused the query (%s); "
                      "it may not support migration",
                      strerror(-r->err));
    }
    if (rc == 0) {
        *op->state_out = state;
    }
    op_done(c, op, rc);
}

int vuc_mig_get_state_async(struct vuc_client *client, uint32_t *state,
                            int timeout_ms, vuc_done_cb cb, void *arg)
{
    struct vuc_client *c = client;
    int rc = vuc_call_start(c, "migration state", cb);
    if (rc < 0) {
        return rc;
    }
    struct mig_op *op = state ? op_new(c, cb, arg, timeout_ms) : NULL;
    if (op == NULL) {
        return state ? -ENOMEM
                     : vuc_fail(c, -EINVAL,
                                "migration state: no place for "
                                "the state");
    }
    op->state_out = state;
    rc = send_get_state(c, op, get_state_reply);
    if (rc < 0) {
        free(op);
    }
    return rc;
}

/* ---- Walking the state machine ------------------------------------------- */

static void set_step(struct vuc_client *c, struct mig_op *op);

static void set_reply(struct vuc_client *c, struct vuc_req *req,
                      struct vuc_reply *r)
{
    struct mig_op *op = req->op;
    struct vuc_wire_err err;
    const uint8_t *data;
    size_t dlen;
    uint32_t to = op->path[op->step];
    int rc = r->err;

    if (rc == 0) {
        rc = vuc_wire_dec_device_feature_reply(
            r->payload, r->len, r->nfds,
            VFIO_USER_DEVICE_FEATURE_SET |
                VFIO_USER_DEVICE_FEATURE_MIG_DEVICE_STATE,
            &data, &dlen, &err);
        if (rc < 0) {
            vuc_fail(c, rc, "%s", err.text);
        }
    } else if (r->hdr != NULL) {
        vuc_fail(c, rc, "migration: the device refused %s -> %s: %s",
                 vuc_mig_state_name(op->current), vuc_mig_state_name(to),
                 strerror(-rc));
    }
    if (rc < 0) {
        op_done(c, op, rc);
        return;
    }
    op->current = to;
    op->step++;
    set_step(c, op);
}

static void set_step(struct vuc_client *c, struct mig_op *op)
{
    if (op->step == op->nsteps) {
        op_done(c, op, 0);
        return;
    }
    struct vfio_user_device_feature_mig_state st = {op->path[op->step], 0};
    int rc = vuc_feature_send(c,
                              VFIO_USER_DEVICE_FEATURE_SET |
                                  VFIO_USER_DEVICE_FEATURE_MIG_DEVICE_STATE,
                              (uint32_t)(FEATURE_HEAD + sizeof(st)), &st,
                              sizeof(st), op->timeout_ms, set_reply, op);
    if (rc < 0) {
        op_done(c, op, rc);
    }
}

static void walk_from(struct vuc_client *c, struct mig_op *op)
{
    if (op->current == VFIO_USER_DEVICE_STATE_ERROR) {
        op_done(c, op,
                vuc_fail(c, -EIO,
                         "migration: the device is in ERROR; only "
                         "a reset leaves it"));
        return;
    }
    op->nsteps = find_path(op->current, op->target, op->pre_copy, op->path);
    if (op->nsteps < 0) {
        op_done(c, op,
                vuc_fail(c, -EPERM, "migration: no allowed way from %s to %s",
                         vuc_mig_state_name(op->current),
                         vuc_mig_state_name(op->target)));
        return;
    }
    op->step = 0;
    set_step(c, op);
}

static void walk_state_reply(struct vuc_client *c, struct vuc_req *req,
                             struct vuc_reply *r)
{
    struct mig_op *op = req->op;
    int rc = decode_state(c, r, &op->current);
    if (rc < 0) {
        op_done(c, op, rc);
        return;
    }
    walk_from(c, op);
}

/* With the device's migration flags known: ask where it is, then walk. */
static void walk_known_flags(struct vuc_client *c, struct mig_op *op)
{
    op->pre_copy = c->mig.flags & VFIO_USER_MIGRATION_PRE_COPY;
    if (op->target == VFIO_USER_DEVICE_STATE_PRE_COPY && !op->pre_copy) {
        op_done(c, op,
                vuc_fail(c, -EINVAL,
                         "migration: the device has no PRE_COPY "
                         "state"));
        return;
    }
    int rc = send_get_state(c, op, walk_state_reply);
    if (rc < 0) {
        op_done(c, op, rc);
    }
}

static void walk_probe_reply(struct vuc_client *c, struct vuc_req *req,
                             struct vuc_reply *r)
{
    struct mig_op *op = req->op;
    struct vuc_wire_err err;
    const uint8_t *data;
    size_t dlen;
    uint64_t flags;
    int rc = get_data(c, r, VFIO_USER_DEVICE_FEATURE_MIGRATION, &data, &dlen);

    if (rc == 0 &&
        (rc = vuc_wire_dec_feature_migration(data, dlen, &flags, &err)) < 0) {
        vuc_fail(c, rc, "%s", err.text);
    } else if (rc < 0 && r->hdr != NULL) {
        rc = vuc_fail(c, -ENOTSUP,
                      "migration: the device does not support it (%s)",
                      strerror(-rc));
    }
    if (rc < 0) {
        op_done(c, op, rc);
        return;
    }
    c->mig.flags = flags;
    c->mig.probed = true;
    walk_known_flags(c, op);
}

static void walk_deferred(struct vuc_client *c, struct vuc_deferred *d, int err)
{
    struct mig_op *op = (struct mig_op *)d;
    if (err < 0) {
        op_done(c, op, err);
        return;
    }
    walk_known_flags(c, op);
}

int vuc_mig_set_state_async(struct vuc_client *client, uint32_t target,
                            int timeout_ms, vuc_done_cb cb, void *arg)
{
    struct vuc_client *c = client;
    int rc = vuc_call_start(c, "migration state", cb);
    if (rc < 0) {
        return rc;
    }
    if (target == VFIO_USER_DEVICE_STATE_ERROR ||
        target == VFIO_USER_DEVICE_STATE_RUNNING_P2P ||
        target == VFIO_USER_DEVICE_STATE_PRE_COPY_P2P ||
        target >= VFIO_USER_DEVICE_NUM_STATES) {
        return vuc_fail(c, -EINVAL,
                        "migration: %s cannot be asked for (ERROR is reached "
                        "by failing, the P2P states are not used in "
                        "vfio-user)",
                        vuc_mig_state_name(target));
    }
    struct mig_op *op = op_new(c, cb, arg, timeout_ms);
    if (op == NULL) {
        return -ENOMEM;
    }
    op->target = target;
    /* Which states exist decides the path; a device's answer does not
     * change on a live connection, so it is asked once. */
    if (c->mig.probed) {
        op->deferred.fn = walk_deferred;
        vuc_defer(c, &op->deferred);
        return 0;
    }
    rc = vuc_feature_send(
        c, VFIO_USER_DEVICE_FEATURE_GET | VFIO_USER_DEVICE_FEATURE_MIGRATION,
        FEATURE_HEAD + sizeof(struct vfio_user_device_feature_migration), NULL,
        0, timeout_ms, walk_probe_reply, op);
    if (rc < 0) {
        free(op);
    }
    return rc;
}

/* ---- Migration data ------------------------------------------------------ */

static void read_reply(struct vuc_client *c, struct vuc_req *req,
                       struct vuc_reply *r)
{
    struct mig_op *op = req->op;
    struct vuc_wire_err err;
    const uint8_t *data;
    uint32_t size;
    int rc = r->err;

    if (rc == 0 && (rc = vuc_wire_dec_mig_data_read_reply(
                        r->payload, r->len, r->nfds, req->count, &data, &size,
                        &err)) < 0) {
        vuc_fail(c, rc, "%s", err.text);
    }
    if (rc == 0) {
        memcpy(op->buf, data, size);
        *op->got = size;
    }
    op_done(c, op, rc);
}

int vuc_mig_read_async(struct vuc_client *client, void *buf, uint32_t size,
                       uint32_t *got, int timeout_ms, vuc_done_cb cb, void *arg)
{
    struct vuc_client *c = client;
    void *payload;
    int rc = vuc_call_start(c, "migration read", cb);

    if (rc < 0) {
        return rc;
    }
    if (buf == NULL || got == NULL || size == 0 || size > c->xfer_chunk) {
        return vuc_fail(c, -EINVAL,
                        "migration read: size %u must be 1..%u (the transfer "
                        "size)",
                        size, c->xfer_chunk);
    }
    struct mig_op *op = op_new(c, cb, arg, timeout_ms);
    if (op == NULL) {
        return -ENOMEM;
    }
    op->buf = buf;
    op->got = got;
    size_t len = sizeof(struct vfio_user_mig_data);
    struct vuc_req *req =
        vuc_req_start(c, VFIO_USER_MIG_DATA_READ, len, &payload, &rc);
    if (req == NULL) {
        free(op);
        return rc;
    }
    ssize_t n = vuc_wire_enc_mig_data_read(payload, len, size);
    req->op = op;
    req->count = size;
    rc = vuc_req_submit(c, req, (size_t)n, timeout_ms, read_reply, NULL, 0);
    if (rc < 0) {
        free(op);
    }
    return rc;
}

static void write_reply(struct vuc_client *c, struct vuc_req *req,
                        struct vuc_reply *r)
{
    struct mig_op *op = req->op;
    struct vuc_wire_err err;
    int rc = r->err;

    if (rc == 0 && (rc = vuc_wire_dec_empty_reply(VFIO_USER_MIG_DATA_WRITE,
                                                  r->len, r->nfds, &err)) < 0) {
        vuc_fail(c, rc, "%s", err.text);
    }
    if (rc < 0 && op->result == 0) {
        op->result = rc;
    }
    if (--op->outstanding == 0) {
        op_done(c, op, op->result);
    }
}

int vuc_mig_write_async(struct vuc_client *client, const void *buf, size_t len,
                        int timeout_ms, vuc_done_cb cb, void *arg)
{
    struct vuc_client *c = client;
    int rc = vuc_call_start(c, "migration write", cb);

    if (rc < 0) {
        return rc;
    }
    if (buf == NULL || len == 0) {
        return vuc_fail(c, -EINVAL, "migration write: no data");
    }
    struct mig_op *op = op_new(c, cb, arg, timeout_ms);
    if (op == NULL) {
        return -ENOMEM;
    }
    op->outstanding = 1; /* held while sending */
    for (size_t done = 0; done < len;) {
        uint32_t n = len - done > c->xfer_chunk - 64 ? c->xfer_chunk - 64
                                                     : (uint32_t)(len - done);
        size_t plen = sizeof(struct vfio_user_mig_data) + n;
        void *payload;
        struct vuc_req *req =
            vuc_req_start(c, VFIO_USER_MIG_DATA_WRITE, plen, &payload, &rc);
        if (req == NULL) {
            op->result = rc;
            break;
        }
        ssize_t pl = vuc_wire_enc_mig_data_write(
            payload, plen, (const uint8_t *)buf + done, n);
        req->op = op;
        if ((rc = vuc_req_submit(c, req, (size_t)pl, timeout_ms, write_reply,
                                 NULL, 0)) < 0) {
            op->result = rc;
            break;
        }
        op->outstanding++;
        done += n;
    }
    if (op->outstanding == 1 && op->result < 0) {
        rc = op->result;
        free(op);
        return rc;
    }
    if (--op->outstanding == 0) {
        op_done(c, op, op->result);
    }
    return 0;
}
