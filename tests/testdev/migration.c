/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Migration as the current specification defines it: the features
 * MIGRATION and MIG_DEVICE_STATE and the migration data stream of
 * MIG_DATA_READ and MIG_DATA_WRITE. What the stream holds is the
 * personality's (its td_mig_ops); a personality without them does not
 * migrate.
 *
 * The state machine takes the arcs of "Direct State Transitions" and
 * nothing else: finding a path through it is the client's work, and a
 * server that walked paths itself would hide a client that does not.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "testdev.h"

#define STATE_ERROR VFIO_USER_DEVICE_STATE_ERROR
#define STATE_STOP VFIO_USER_DEVICE_STATE_STOP
#define STATE_RUNNING VFIO_USER_DEVICE_STATE_RUNNING
#define STATE_STOP_COPY VFIO_USER_DEVICE_STATE_STOP_COPY
#define STATE_RESUMING VFIO_USER_DEVICE_STATE_RESUMING
#define STATE_PRE_COPY VFIO_USER_DEVICE_STATE_PRE_COPY

static const char *const state_names[VFIO_USER_DEVICE_NUM_STATES] = {
    [STATE_ERROR] = "ERROR",
    [STATE_STOP] = "STOP",
    [STATE_RUNNING] = "RUNNING",
    [STATE_STOP_COPY] = "STOP_COPY",
    [STATE_RESUMING] = "RESUMING",
    [VFIO_USER_DEVICE_STATE_RUNNING_P2P] = "RUNNING_P2P",
    [STATE_PRE_COPY] = "PRE_COPY",
    [VFIO_USER_DEVICE_STATE_PRE_COPY_P2P] = "PRE_COPY_P2P",
};

const char *mig_state_name(uint32_t state)
{
    return state < VFIO_USER_DEVICE_NUM_STATES ? state_names[state]
                                               : "(unknown)";
}

void mig_init(struct td_mig *mig)
{
    memset(mig, 0, sizeof(*mig));
    mig->state = STATE_RUNNING;
}

static void drop_out(struct td_mig *mig)
{
    free(mig->out);
    mig->out = NULL;
    mig->out_len = mig->out_pos = 0;
    mig->out_pre_copy = false;
}

static void drop_in(struct td_mig *mig)
{
    free(mig->in);
    mig->in = NULL;
    mig->in_len = mig->in_cap = 0;
}

void mig_release(struct td_mig *mig)
{
    drop_out(mig);
    drop_in(mig);
    mig->state = STATE_RUNNING;
}

const char *mig_unavailable(const struct testdev *td)
{
    if (td->opt.no_migration)
        return "migration is off (--no-migration)";
    if (!td->pers->mig)
        return "this device does not migrate";
    return NULL;
}

uint8_t *mig_out_reserve(struct td_mig *mig, size_t len)
{
    uint8_t *buf = realloc(mig->out, mig->out_len + len);

    if (!buf)
        return NULL;
    mig->out = buf;
    memset(buf + mig->out_len, 0, len);
    return buf + mig->out_len;
}

void mig_out_commit(struct td_mig *mig, size_t len)
{
    mig->out_len += len;
}

bool mig_running(const struct testdev *td)
{
    return td->mig.state == STATE_RUNNING || td->mig.state == STATE_PRE_COPY;
}

/* ---- The features ----------------------------------------------------------
 */

int mig_get_migration(struct testdev *td, const struct td_feature_req *q,
                      struct td_reply *r)
{
    struct vfio_user_device_feature_migration mf = {
        .flags = VFIO_USER_MIGRATION_STOP_COPY,
    };
    uint8_t *out;
    int err;

    if (q->len)
        return td_fail(EINVAL, "%s: GET takes no data, got %zu bytes", q->name,
                       q->len);
    err = feature_check_get_argsz(q, sizeof(mf));
    if (err)
        return err;
    if (!td->opt.no_pre_copy)
        mf.flags |= VFIO_USER_MIGRATION_PRE_COPY;
    out = feature_get_reply(r, q, sizeof(mf));
    if (!out)
        return td_fail(ENOMEM, "%s: out of memory", q->name);
    memcpy(out, &mf, sizeof(mf));
    td_note("flags 0x%llx", (unsigned long long)mf.flags);
    return 0;
}

int mig_get_state(struct testdev *td, const struct td_feature_req *q,
                  struct td_reply *r)
{
    struct vfio_user_device_feature_mig_state st = {
        .device_state = td->mig.state,
    };
    uint8_t *out;
    int err;

    if (q->len)
        return td_fail(EINVAL, "%s: GET takes no data, got %zu bytes", q->name,
                       q->len);
    err = feature_check_get_argsz(q, sizeof(st));
    if (err)
        return err;
    out = feature_get_reply(r, q, sizeof(st));
    if (!out)
        return td_fail(ENOMEM, "%s: out of memory", q->name);
    memcpy(out, &st, sizeof(st));
    td_note("state %s", mig_state_name(st.device_state));
    return 0;
}

/* "Direct State Transitions"; PRE_COPY's arcs only when it exists. */
static bool direct_arc(uint32_t from, uint32_t to, bool pre_copy)
{
    if (!pre_copy && (from == STATE_PRE_COPY || to == STATE_PRE_COPY))
        return false;
    switch (from) {
    case STATE_RUNNING:
        return to == STATE_STOP || to == STATE_PRE_COPY;
    case STATE_STOP:
        return to == STATE_RUNNING || to == STATE_STOP_COPY ||
               to == STATE_RESUMING;
    case STATE_PRE_COPY:
        return to == STATE_RUNNING || to == STATE_STOP_COPY;
    case STATE_STOP_COPY:
    case STATE_RESUMING:
        return to == STATE_STOP;
    default:
        return false;
    }
}

/* The arc's action; the state changes only when it succeeds. */
static int take_arc(struct testdev *td, uint32_t from, uint32_t to)
{
    struct td_mig *mig = &td->mig;
    int err;

    switch (to) {
    case STATE_PRE_COPY:
        drop_out(mig);
        return td->pers->mig->save_pre_copy(td);
    case STATE_STOP_COPY:
        /* From PRE_COPY the stream goes on; from STOP it starts here. */
        if (from == STATE_STOP)
            drop_out(mig);
        return td->pers->mig->save_stop_copy(td);
    case STATE_RESUMING:
        drop_in(mig);
        return 0;
    default:
        break;
    }
    if (from == STATE_RESUMING) {
        err = td->pers->mig->load(td, mig->in, mig->in_len);
        drop_in(mig);
        if (err) {
            /* "RESUMING -> STOP": the SET fails; the device, which could
             * not take the state it was given, must now be reset. */
            mig->state = STATE_ERROR;
            return err;
        }
        return 0;
    }
    /* STOP_COPY -> STOP and PRE_COPY -> RUNNING end the data session;
     * RUNNING <-> STOP only stop or start the device. */
    drop_out(mig);
    return 0;
}

int mig_set_state(struct testdev *td, const struct td_feature_req *q)
{
    struct vfio_user_device_feature_mig_state st;
    struct td_mig *mig = &td->mig;
    bool pre_copy = !td->opt.no_pre_copy;
    uint32_t from = mig->state, to;
    int err;

    if (q->len != sizeof(st))
        return td_fail(EINVAL, "%s: SET data of %zu bytes, expected %zu",
                       q->name, q->len, sizeof(st));
    memcpy(&st, q->data, sizeof(st));
    to = st.device_state;
    if (to >= VFIO_USER_DEVICE_NUM_STATES)
        return td_fail(EINVAL, "%s: %u is not a device state", q->name, to);
    if (to == STATE_ERROR)
        return td_fail(EINVAL, "%s: ERROR cannot be asked for", q->name);
    if (to == VFIO_USER_DEVICE_STATE_RUNNING_P2P ||
        to == VFIO_USER_DEVICE_STATE_PRE_COPY_P2P)
        return td_fail(EINVAL, "%s: %s is not used in vfio-user", q->name,
                       mig_state_name(to));
    if (to == STATE_PRE_COPY && !pre_copy)
        return td_fail(EINVAL,
                       "%s: this device has no PRE_COPY state "
                       "(--no-pre-copy)",
                       q->name);
    if (from == STATE_ERROR)
        return td_fail(EINVAL,
                       "%s: the device is in ERROR; only "
                       "DEVICE_RESET leaves it",
                       q->name);
    if (from == to) {
        td_note("already %s", mig_state_name(to));
        return 0;
    }
    if (!direct_arc(from, to, pre_copy))
        return td_fail(EINVAL,
                       "%s: %s -> %s is not a direct state transition (the "
                       "client walks longer paths one arc at a time)",
                       q->name, mig_state_name(from), mig_state_name(to));
    /* The arc may say more. */
    td_note("%s -> %s", mig_state_name(from), mig_state_name(to));
    err = take_arc(td, from, to);
    if (err)
        return err;
    mig->state = to;
    return 0;
}

/* ---- Migration data ------------------------------------------------------ */

int handle_mig_data_read(struct testdev *td, struct td_msg *m,
                         struct td_reply *r)
{
    struct vfio_user_mig_data req, head;
    struct td_mig *mig = &td->mig;
    uint8_t *out;
    size_t n;

    if (mig_unavailable(td))
        return td_fail(EINVAL, "MIG_DATA_READ: %s", mig_unavailable(td));
    if (m->len != sizeof(req))
        return td_fail(EINVAL,
                       "MIG_DATA_READ: payload of %zu bytes, "
                       "expected %zu",
                       m->len, sizeof(req));
    memcpy(&req, m->data, sizeof(req));
    if (mig->state != STATE_PRE_COPY && mig->state != STATE_STOP_COPY)
        return td_fail(EINVAL,
                       "MIG_DATA_READ: the device is in %s; data is "
                       "read in PRE_COPY and STOP_COPY",
                       mig_state_name(mig->state));
    if (req.size == 0 || req.size > td->conn.peer_max_data_xfer_size)
        return td_fail(EINVAL,
                       "MIG_DATA_READ: size %u is outside [1, %llu] (the "
                       "client's max_data_xfer_size)",
                       req.size,
                       (unsigned long long)td->conn.peer_max_data_xfer_size);
    if (req.argsz < sizeof(req) + (uint64_t)req.size)
        return td_fail(EINVAL,
                       "MIG_DATA_READ: argsz %u cannot take %zu + %u bytes",
                       req.argsz, sizeof(req), req.size);
    n = mig->out_len - mig->out_pos;
    if (n > req.size)
        n = req.size;
    out = td_reply_alloc(r, sizeof(head) + n);
    if (!out)
        return td_fail(ENOMEM, "MIG_DATA_READ: out of memory for %zu bytes", n);
    head.argsz = (uint32_t)(sizeof(head) + n);
    head.size = (uint32_t)n;
    memcpy(out, &head, sizeof(head));
    if (n)
        memcpy(out + sizeof(head), mig->out + mig->out_pos, n);
    mig->out_pos += n;
    td_note("%zu of %u bytes, %zu left", n, req.size,
            mig->out_len - mig->out_pos);
    return 0;
}

int handle_mig_data_write(struct testdev *td, struct td_msg *m,
                          struct td_reply *r)
{
    struct vfio_user_mig_data req;
    struct td_mig *mig = &td->mig;

    if (mig_unavailable(td))
        return td_fail(EINVAL, "MIG_DATA_WRITE: %s", mig_unavailable(td));
    if (m->len < sizeof(req))
        return td_fail(EINVAL,
                       "MIG_DATA_WRITE: payload of %zu bytes, less than %zu",
                       m->len, sizeof(req));
    memcpy(&req, m->data, sizeof(req));
    if (req.size != m->len - sizeof(req))
        return td_fail(EINVAL, "MIG_DATA_WRITE: size %u but %zu data bytes",
                       req.size, m->len - sizeof(req));
    if (req.size > td->opt.max_data_xfer_size)
        return td_fail(EINVAL,
                       "MIG_DATA_WRITE: size %u exceeds max_data_xfer_size %u",
                       req.size, td->opt.max_data_xfer_size);
    if (mig->state != STATE_RESUMING)
        return td_fail(EINVAL,
                       "MIG_DATA_WRITE: the device is in %s; data is "
                       "written in RESUMING",
                       mig_state_name(mig->state));
    if (req.size > TESTDEV_MIG_RESUME_MAX - mig->in_len)
        return td_fail(EINVAL,
                       "MIG_DATA_WRITE: %zu + %u bytes would pass the %u "
                       "this device takes",
                       mig->in_len, req.size, TESTDEV_MIG_RESUME_MAX);
    if (mig->in_len + req.size > mig->in_cap) {
        size_t cap = mig->in_cap ? mig->in_cap : 64 * 1024;
        uint8_t *in;

        while (cap < mig->in_len + req.size)
            cap *= 2;
        in = realloc(mig->in, cap);
        if (!in)
            return td_fail(ENOMEM,
                           "MIG_DATA_WRITE: out of memory for %zu "
                           "bytes",
                           cap);
        mig->in = in;
        mig->in_cap = cap;
    }
    /* A 0-byte write appends nothing, and may come before any buffer. */
    if (req.size)
        memcpy(mig->in + mig->in_len, m->data + sizeof(req), req.size);
    mig->in_len += req.size;
    td_note("%u bytes, %zu in all", req.size, mig->in_len);
    td_reply_alloc(r, 0);
    return 0;
}
