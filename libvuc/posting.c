/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Posted writes: which writes may be posted under each policy, sending them
 * with No_reply (alone, batched into REGION_WRITE_MULTI, or through an
 * ioeventfd), fences, and what a posted write's failure turns into.
 *
 * Small posted writes wait in one batch when the socket is busy, while the
 * client is corked, or when issued inside a turn of the event loop. The
 * batch leaves before any other message (before_send), when full, and at
 * the flush points of feature.h: uncork, the end of the loop turn, the
 * socket draining, a blocking wait.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "conn.h"
#include "posting.h"
#include "transport.h"
#include "wire.h"

#define CFG VFIO_USER_PCI_CONFIG_REGION_INDEX

/* ---- Policy ------------------------------------------------------------- */

enum vuc_posting vuc_get_posting(const struct vuc_client *client)
{
    return client->post.policy;
}

void vuc_get_posting_stats(const struct vuc_client *client,
                           struct vuc_posting_stats *out)
{
    *out = client->post.stats;
}

int vuc_posted_safe(struct vuc_client *client, uint32_t index, uint64_t offset,
                    uint64_t len)
{
    struct vuc_client *c = client;

    vuc_begin(c);
    const struct vuc_region_info *ri = vuc_get_region_info(c, index);
    if (ri == NULL) {
        return vuc_fail(c, -ENODEV, "posted-safe: region %u does not exist",
                        index);
    }
    if (len == 0 || offset > ri->size || len > ri->size - offset) {
        return vuc_fail(c, -ERANGE,
                        "posted-safe: [0x%llx, +0x%llx) is outside %s",
                        (unsigned long long)offset, (unsigned long long)len,
                        vuc_region_name(index));
    }
    if (c->post.nsafe == VUC_POSTED_SAFE_MAX) {
        return vuc_fail(c, -ENOSPC, "posted-safe: at most %u ranges",
                        VUC_POSTED_SAFE_MAX);
    }
    c->post.safe[c->post.nsafe++] = (struct vuc_safe_range){index, offset, len};
    return 0;
}

static bool any_mapping(const struct vuc_client *c)
{
    for (uint32_t i = 0; c->regions != NULL && i < c->dev.num_regions; i++) {
        if (c->regions[i].info.nr_mapped > 0) {
            return true;
        }
    }
    return false;
}

bool vuc_may_post(const struct vuc_client *c, uint32_t index, uint64_t offset,
                  size_t len)
{
    for (unsigned i = 0; i < c->post.nsafe; i++) {
        const struct vuc_safe_range *r = &c->post.safe[i];
        if (r->index == index && offset >= r->offset && len <= r->len &&
            offset - r->offset <= r->len - len) {
            return true;
        }
    }
    /* Only memory BARs: config space and I/O BARs keep PCI's non-posted
     * semantics whatever the policy. */
    if (index > VFIO_USER_PCI_BAR5_REGION_INDEX || !c->post.bar_mem[index]) {
        return false;
    }
    if (c->post.policy == VUC_POSTING_STRICT) {
        return !any_mapping(c);
    }
    return true;
}

bool vuc_posted_pending(const struct vuc_client *c)
{
    return c->noreply_sent != c->post.fenced_seq || c->post.nbatch > 0 ||
           c->post.err != 0 || vuc_wc_pending(&c->wc);
}

/* ---- Remembering posted writes ------------------------------------------ */

static void remember(struct vuc_client *c, uint16_t id, uint16_t cmd,
                     uint32_t region, uint64_t offset, uint32_t len)
{
    struct vuc_posted_rec *r = &c->post.ring[c->post.pos++ % VUC_POSTED_RING];
    *r = (struct vuc_posted_rec){id, cmd, region, offset, len};
    vuc_conn_noreply_queued(c);
    c->post.stats.posted++;
}

static bool posted_reply(struct vuc_client *c,
                         const struct vfio_user_header *hdr)
{
    /* A server may answer a No_reply message that failed; name it. */
    for (unsigned i = 0; i < VUC_POSTED_RING && i < c->post.pos; i++) {
        const struct vuc_posted_rec *r =
            &c->post.ring[(c->post.pos - 1 - i) % VUC_POSTED_RING];
        if (r->id != hdr->msg_id || r->cmd != hdr->cmd) {
            continue;
        }
        if ((hdr->flags & VFIO_USER_F_ERROR) && c->post.err == 0) {
            c->post.err = vuc_wire_reply_errno(hdr);
            if (r->cmd == VFIO_USER_REGION_WRITE_MULTI) {
                snprintf(c->post.errtext, sizeof(c->post.errtext),
                         "a posted REGION_WRITE_MULTI of %u writes failed: "
                         "%s",
                         r->len, strerror(-c->post.err));
            } else {
                snprintf(c->post.errtext, sizeof(c->post.errtext),
                         "the posted write of %u bytes to %s+0x%llx failed: "
                         "%s",
                         r->len, vuc_region_name(r->region),
                         (unsigned long long)r->offset, strerror(-c->post.err));
            }
        }
        return true;
    }
    return false;
}

/* ---- Sending ------------------------------------------------------------- */

/* One No_reply message whose payload the caller writes. */
static uint8_t *post_start(struct vuc_client *c, size_t payload_len,
                           uint16_t *id, int *rc)
{
    if (!c->chan_open || !vuc_chan_is_open(&c->main)) {
        *rc = vuc_fail(c, -ENOTCONN, "posted write: not connected");
        return NULL;
    }
    if (vuc_conn_free_id(c, id) < 0) {
        *rc = vuc_fail(c, -EBUSY, "posted write: every message id is in use");
        return NULL;
    }
    uint8_t *msg = vuc_chan_reserve(&c->main, VFIO_USER_HDR_SIZE + payload_len);
    if (msg == NULL) {
        *rc = vuc_fail(c, -ENOMEM, "posted write: out of memory");
    }
    return msg;
}

/* The n writes of a batch that could not be sent were posted, so their
 * callers were told they succeeded: the next fence reports the loss. */
static int batch_lost(struct vuc_client *c, unsigned n, int err)
{
    if (c->post.err == 0) {
        c->post.err = err;
        snprintf(c->post.errtext, sizeof(c->post.errtext),
                 "%u posted writes held for REGION_WRITE_MULTI were not "
                 "sent: %s",
                 n, strerror(-err));
    }
    return vuc_fail(c, err, "%s", c->post.errtext);
}

int vuc_post_flush_batch(struct vuc_client *c)
{
    unsigned n = c->post.nbatch;
    size_t len = sizeof(struct vfio_user_write_multi) +
                 n * sizeof(struct vfio_user_write_multi_entry);
    uint16_t id;

    if (n == 0) {
        return 0;
    }
    c->post.nbatch = 0;
    int rc = 0;
    uint8_t *msg = post_start(c, len, &id, &rc);
    if (msg == NULL) {
        return batch_lost(c, n, rc);
    }
    ssize_t pl = vuc_wire_enc_write_multi(msg + VFIO_USER_HDR_SIZE, len,
                                          c->post.batch, n);
    if (pl < 0) {
        return batch_lost(c, n, (int)pl);
    }
    vuc_wire_put_header((struct vfio_user_header *)msg, id,
                        VFIO_USER_REGION_WRITE_MULTI,
                        (uint32_t)(VFIO_USER_HDR_SIZE + pl),
                        VFIO_USER_F_TYPE_COMMAND | VFIO_USER_F_NO_REPLY, 0);
    remember(c, id, VFIO_USER_REGION_WRITE_MULTI, 0, 0, n);
    c->post.stats.posted += n - 1; /* remember() counted the message as one */
    c->post.stats.multi_msgs++;
    c->post.stats.multi_writes += n;
    rc = vuc_chan_commit(&c->main, VFIO_USER_HDR_SIZE + (size_t)pl, NULL, 0);
    return rc < 0 ? batch_lost(c, n, rc) : 0;
}

static int posting_flush(struct vuc_client *c, enum vuc_flush_point why)
{
    if (c->post.nbatch == 0) {
        return 0;
    }
    if ((why == VUC_FLUSH_WRITABLE || why == VUC_FLUSH_DISPATCH) &&
        c->corked > 0) {
        return 0; /* the caller's uncork sends it */
    }
    if (why == VUC_FLUSH_DISPATCH && vuc_chan_tx_pending(&c->main) > 0) {
        /* Behind a busy socket it would only wait in the queue: keep
         * filling it until the socket drains (VUC_FLUSH_WRITABLE). */
        return 0;
    }
    return vuc_post_flush_batch(c);
}

int vuc_doorbell_find(const struct vuc_client *c, uint32_t index,
                      uint64_t offset, const uint8_t *data, size_t len)
{
    const struct vuc_region *reg = &c->regions[index];
    uint64_t value = 0;

    if (c->post.policy == VUC_POSTING_STRICT || len > 8) {
        return -1;
    }
    memcpy(&value, data, len);
    for (unsigned i = 0; i < reg->niofds; i++) {
        const struct vuc_ioeventfd *e = &reg->ioev[i];
        if (e->offset == offset && (e->size == 0 || e->size == len) &&
            (!e->datamatch || e->data == value)) {
            return (int)i;
        }
    }
    return -1;
}

int vuc_post_write(struct vuc_client *c, uint32_t index, uint64_t offset,
                   const uint8_t *data, size_t len)
{
    /* The doorbell bypasses the socket, so it is used only where ordering
     * against earlier socket traffic is the caller's business (posted) or
     * has just been established (fenced, by the caller of this function). */
    int bell = vuc_doorbell_find(c, index, offset, data, len);
    if (bell >= 0) {
        /* Writes issued before it leave first, whatever held them. */
        int rc = vuc_post_flush_batch(c);
        if (rc < 0) {
            return rc;
        }
        /* KVM's ioeventfd semantics: the write itself is the event. */
        uint64_t one = 1;
        if (write(c->regions[index].ioev_fd[bell], &one, sizeof(one)) !=
            (ssize_t)sizeof(one)) {
            return vuc_fail(c, -errno, "doorbell ioeventfd for %s+0x%llx: %s",
                            vuc_region_name(index), (unsigned long long)offset,
                            strerror(errno));
        }
        c->post.stats.doorbells++;
        return 0;
    }
    /* Batch when the socket is busy (ride along with the next batch), the
     * caller corked, or the write was issued inside a loop turn (the turn's
     * end sends it); a blocking caller's lone write leaves at once. */
    if (len <= VFIO_USER_MULTI_DATA && c->caps.write_multiple &&
        (c->post.nbatch > 0 || c->corked > 0 ||
         vuc_chan_tx_pending(&c->main) > 0 || vuc_dispatch_hold(c))) {
        struct vfio_user_write_multi_entry *e =
            &c->post.batch[c->post.nbatch++];
        memset(e, 0, sizeof(*e));
        e->offset = offset;
        e->region = index;
        e->count = (uint32_t)len;
        memcpy(e->data, data, len);
        /* A full batch gains nothing by waiting. */
        return c->post.nbatch == VFIO_USER_MULTI_MAX ? vuc_post_flush_batch(c)
                                                     : 0;
    }
    int rc = vuc_post_flush_batch(c);
    for (size_t done = 0; rc == 0 && done < len;) {
        uint32_t n =
            len - done > c->xfer_chunk ? c->xfer_chunk : (uint32_t)(len - done);
        size_t plen = sizeof(struct vfio_user_region_access);
        uint16_t id;
        uint8_t *msg = post_start(c, plen + n, &id, &rc);
        if (msg == NULL) {
            return rc;
        }
        vuc_wire_enc_region_read(msg + VFIO_USER_HDR_SIZE, plen, index,
                                 offset + done, n); /* the same 16-byte head */
        vuc_wire_put_header((struct vfio_user_header *)msg, id,
                            VFIO_USER_REGION_WRITE,
                            (uint32_t)(VFIO_USER_HDR_SIZE + plen + n),
                            VFIO_USER_F_TYPE_COMMAND | VFIO_USER_F_NO_REPLY, 0);
        remember(c, id, VFIO_USER_REGION_WRITE, index, offset + done, n);
        rc = vuc_chan_commit_data(&c->main, VFIO_USER_HDR_SIZE + plen,
                                  data + done, n);
        done += n;
    }
    return rc;
}

/* ---- Fences ------------------------------------------------------------- */

struct vuc_fence_op {
    struct vuc_deferred deferred; /* first: found from it */
    struct vuc_fence_op *next_free;
    bool combined; /* the fence's message is the combined writes */
    uint64_t target;
    vuc_done_cb fn;
    void *arg;
};

/* Fences come from a pool: a fenced policy may fence on every access. */
static struct vuc_fence_op *fence_get(struct vuc_client *c)
{
    struct vuc_fence_op *op = c->post.free_fences;
    if (op != NULL) {
        c->post.free_fences = op->next_free;
        return op;
    }
    return malloc(sizeof(*op));
}

static void fence_pool_release(struct vuc_client *c)
{
    while (c->post.free_fences != NULL) {
        struct vuc_fence_op *op = c->post.free_fences;
        c->post.free_fences = op->next_free;
        free(op);
    }
}

/* What a fence reports: the first posted failure since the last one. */
static int fence_result(struct vuc_client *c, int rc)
{
    if (rc == 0 && c->post.err != 0) {
        rc = c->post.err;
        vuc_fail(c, rc, "%s", c->post.errtext);
        c->post.err = 0;
    }
    return rc;
}

static void fence_put(struct vuc_client *c, struct vuc_fence_op *op)
{
    op->next_free = c->post.free_fences;
    c->post.free_fences = op;
}

static void fence_finish(struct vuc_client *c, struct vuc_fence_op *op, int rc)
{
    vuc_done_cb fn = op->fn;
    void *arg = op->arg;

    fence_put(c, op);
    fn(c, fence_result(c, rc), arg);
}

static void fence_reply(struct vuc_client *c, struct vuc_req *req,
                        struct vuc_reply *r)
{
    struct vuc_fence_op *op = req->op;

    /* Any reply, even an error one, means the earlier messages were
     * processed ("Command Concurrency"); conn.c has counted them. */
    if (r->hdr != NULL) {
        c->post.stats.fences++;
    }
    int rc = r->hdr != NULL ? 0 : r->err;
    struct vuc_wire_err err;
    if (op->combined && r->hdr != NULL && r->err < 0) {
        /* Processed, but failed: reported as a posted write's failure. */
        rc = vuc_fail(c, r->err,
                      "combined posted writes of %u bytes to %s+0x%llx "
                      "failed: %s",
                      req->count, vuc_region_name(req->index),
                      (unsigned long long)req->offset, strerror(-r->err));
    } else if (op->combined && r->hdr != NULL &&
               (rc = vuc_wire_dec_region_write_reply(
                    r->payload, r->len, r->nfds, req->index, req->offset,
                    req->count, &err)) < 0) {
        vuc_fail(c, rc, "%s", err.text);
    }
    if (rc < 0 && c->noreply_sent != c->post.fenced_seq) {
        vuc_fail(c, rc, "fence: %llu posted writes were not confirmed: %s",
                 (unsigned long long)(c->noreply_sent - c->post.fenced_seq),
                 strerror(-rc));
    }
    fence_finish(c, op, rc);
}

static void fence_deferred(struct vuc_client *c, struct vuc_deferred *d,
                           int err)
{
    fence_finish(c, (struct vuc_fence_op *)d, err);
}

int vuc_fence_then(struct vuc_client *c, int timeout_ms, vuc_done_cb fn,
                   void *arg)
{
    int rc = vuc_post_flush_batch(c); /* issued before the combined writes */
    if (rc < 0) {
        return rc;
    }
    struct vuc_fence_op *op = fence_get(c);
    if (op == NULL) {
        return vuc_fail(c, -ENOMEM, "fence: out of memory");
    }
    op->fn = fn;
    op->arg = arg;
    op->target = c->noreply_sent;
    op->combined = vuc_wc_pending(&c->wc);
    if (op->combined) {
        /* The combined writes, sent awaiting their reply, are the fence:
         * that reply confirms them and everything before them ("Command
         * Concurrency"), one message where a posted write and a read
         * would be two. */
        if (vuc_wc_send_acked(c, timeout_ms, fence_reply, op, &rc) == NULL) {
            fence_put(c, op);
        }
        return rc;
    }
    if (c->noreply_sent == c->post.fenced_seq) {
        /* Nothing outstanding: no round trip. */
        op->deferred.fn = fence_deferred;
        vuc_defer(c, &op->deferred);
        return 0;
    }
    /* A read of the vendor id: allowed in every device state and free of
     * side effects; DEVICE_GET_INFO where there is no config space. */
    const struct vuc_region_info *cfg = vuc_get_region_info(c, CFG);
    bool use_cfg = cfg != NULL && cfg->size >= 2 &&
                   (cfg->flags & VFIO_USER_REGION_INFO_FLAG_READ);
    uint16_t cmd = use_cfg ? VFIO_USER_REGION_READ : VFIO_USER_DEVICE_GET_INFO;
    union {
        struct vfio_user_region_access read;
        struct vfio_user_device_info info;
    } p;
    ssize_t n = use_cfg
                    ? vuc_wire_enc_region_read(&p, sizeof(p.read), CFG, 0, 2)
                    : vuc_wire_enc_device_info(&p, sizeof(p.info));
    if (vuc_req_send(c, cmd, &p, n, timeout_ms, fence_reply, op, NULL, 0,
                     &rc) == NULL) {
        fence_put(c, op);
    }
    return rc;
}

bool vuc_fence_idle(struct vuc_client *c)
{
    vuc_begin(c);
    return !vuc_posted_pending(c);
}

int vuc_fence_async(struct vuc_client *client, int timeout_ms, vuc_done_cb cb,
                    void *arg)
{
    struct vuc_client *c = client;

    vuc_begin(c);
    if (cb == NULL) {
        return vuc_fail(c, -EINVAL, "fence: needs a callback");
    }
    if (!c->connected && vuc_posted_pending(c) &&
        c->noreply_sent == c->post.fenced_seq) {
        /* Only a failure to report (held writes the loss dropped). */
        return fence_result(c, 0);
    }
    if (!c->connected && vuc_posted_pending(c)) {
        return vuc_fail(
            c, -ENOTCONN,
            "fence: the connection was lost with %llu posted "
            "writes unconfirmed",
            (unsigned long long)(c->noreply_sent - c->post.fenced_seq));
    }
    int rc = vuc_conn_room(c, "fence");
    if (rc < 0) {
        return rc;
    }
    return vuc_fence_then(c, timeout_ms, cb, arg);
}

int vuc_set_posting(struct vuc_client *client, enum vuc_posting policy)
{
    struct vuc_client *c = client;

    vuc_begin(c);
    if (policy != VUC_POSTING_STRICT && policy != VUC_POSTING_FENCED &&
        policy != VUC_POSTING_POSTED) {
        return vuc_fail(c, -EINVAL, "posting: unknown policy %d", policy);
    }
    /* Writes posted under the old policy must not be overtaken under a
     * stricter one. */
    if (policy < c->post.policy && c->connected && vuc_posted_pending(c) &&
        c->depth == 0) {
        int rc = vuc_fence(c);
        if (rc < 0) {
            return rc;
        }
    }
    c->post.policy = policy;
    return 0;
}

static void posting_conn_lost(struct vuc_client *c)
{
    if (c->post.nbatch > 0) {
        /* Posted, so reported as done: the next fence says they were not. */
        char text[sizeof(c->post.errtext)];
        snprintf(text, sizeof(text),
                 "%u posted writes held for REGION_WRITE_MULTI were not sent "
                 "before the connection ended",
                 c->post.nbatch);
        vuc_log(c, VUC_LOG_WARNING, "%s", text);
        if (c->post.err == 0) {
            c->post.err = -ENOTCONN;
            memcpy(c->post.errtext, text, sizeof(text));
        }
        c->post.nbatch = 0;
    }
    if (c->noreply_sent != c->post.fenced_seq) {
        vuc_log(c, VUC_LOG_WARNING,
                "%llu posted writes were not confirmed before the "
                "connection ended",
                (unsigned long long)(c->noreply_sent - c->post.fenced_seq));
    }
    if (c->post.err != 0) {
        vuc_log(c, VUC_LOG_WARNING, "%s", c->post.errtext);
    }
}

const struct vuc_ioeventfd *
vuc_region_ioeventfds(const struct vuc_client *client, uint32_t index,
                      unsigned *n)
{
    *n = 0;
    if (client->regions == NULL || index >= client->dev.num_regions ||
        client->regions[index].niofds == 0) {
        return NULL;
    }
    *n = client->regions[index].niofds;
    return client->regions[index].ioev;
}

static void posting_replied(struct vuc_client *c, uint64_t noreply)
{
    if (noreply > c->post.fenced_seq) {
        c->post.fenced_seq = noreply;
    }
}

const struct vuc_feature vuc_posting_feature = {
    .name = "posting",
    .before_send = vuc_post_flush_batch,
    .flush = posting_flush,
    .replied = posting_replied,
    .stray_reply = posted_reply,
    .conn_lost = posting_conn_lost,
    .release = fence_pool_release,
};
