/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Write combining, a second kind of batch beside posting.c's
 * REGION_WRITE_MULTI: posted writes to a combinable region merge into one
 * contiguous buffer, the way a host bridge merges stores to a prefetchable
 * BAR. The buffer leaves before any other message (before_send), at the
 * flush points of feature.h, and when a write cannot join it. Leaving, it
 * goes through vuc_post_write(), so a small buffer may still ride in a
 * REGION_WRITE_MULTI batch, after the writes issued before it; at a fence
 * it is the fence's message instead (vuc_wc_send_acked()).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "client.h"
#include "posting.h"
#include "wire.h"
#include "wcomb.h"

bool vuc_wc_merge(struct vuc_wc_buf *b, uint32_t limit, uint32_t index,
                  uint64_t offset, const uint8_t *data, size_t len)
{
    if (len == 0 || len > limit) {
        return false;
    }
    if (b->len == 0) {
        b->index = index;
        b->offset = offset;
        b->len = (uint32_t)len;
        memcpy(b->data, data, len);
        return true;
    }
    uint64_t end = b->offset + b->len;
    if (index != b->index || offset > end || offset + len < b->offset) {
        return false; /* a gap between them, or another region */
    }
    uint64_t lo = offset < b->offset ? offset : b->offset;
    uint64_t hi = offset + len > end ? offset + len : end;
    if (hi - lo > limit) {
        return false;
    }
    if (lo < b->offset) {
        memmove(b->data + (b->offset - lo), b->data, b->len);
    }
    memcpy(b->data + (offset - lo), data, len);
    b->offset = lo;
    b->len = (uint32_t)(hi - lo);
    return true;
}

static uint32_t wc_limit(const struct vuc_client *c)
{
    uint32_t limit = c->wc.limit != 0 ? c->wc.limit : VUC_WC_LIMIT_MAX;
    return c->xfer_chunk != 0 && c->xfer_chunk < limit ? c->xfer_chunk : limit;
}

bool vuc_wc_applies(const struct vuc_client *c, uint32_t index)
{
    if (c->regions == NULL || index >= c->dev.num_regions) {
        return false;
    }
    enum vuc_wc mode = index < VUC_WC_REGIONS ? (enum vuc_wc)c->wc.mode[index]
                                              : VUC_WC_DEFAULT;
    if (mode != VUC_WC_DEFAULT) {
        return mode == VUC_WC_ON;
    }
    return c->post.policy != VUC_POSTING_STRICT &&
           index <= VFIO_USER_PCI_BAR5_REGION_INDEX && c->post.bar_mem[index] &&
           c->wc.bar_prefetch[index];
}

bool vuc_write_combines(const struct vuc_client *client, uint32_t index)
{
    return vuc_wc_applies(client, index);
}

/* Each write was reported done when it joined: the next fence reports the
 * loss of len bytes at the buffer's place. */
static void wc_lost(struct vuc_client *c, uint32_t len, int rc)
{
    const struct vuc_wc_buf *b = &c->wc.buf;

    if (c->post.err == 0) {
        c->post.err = rc;
        snprintf(c->post.errtext, sizeof(c->post.errtext),
                 "combined posted writes of %u bytes to %s+0x%llx were not "
                 "sent: %s",
                 len, vuc_region_name(b->index), (unsigned long long)b->offset,
                 strerror(-rc));
    }
}

struct vuc_req *vuc_wc_send_acked(struct vuc_client *c, int timeout_ms,
                                  vuc_req_fn fn, void *op, int *rc)
{
    struct vuc_wc_buf *b = &c->wc.buf;
    uint32_t len = b->len;
    size_t plen = sizeof(struct vfio_user_region_access) + len;
    void *payload;

    /* Emptied first, so that before_send does not post it; the data stays
     * put until it is copied below. */
    b->len = 0;
    c->wc.stats.flushes++;
    struct vuc_req *req =
        vuc_req_start(c, VFIO_USER_REGION_WRITE, plen, &payload, rc);
    if (req == NULL) {
        wc_lost(c, len, *rc);
        return NULL;
    }
    vuc_wire_enc_region_write(payload, plen, b->index, b->offset, b->data, len);
    req->op = op;
    req->index = b->index;
    req->offset = b->offset;
    req->count = len;
    *rc = vuc_req_submit(c, req, plen, timeout_ms, fn, NULL, 0);
    if (*rc < 0) {
        wc_lost(c, len, *rc);
        return NULL;
    }
    return req;
}

int vuc_wc_flush(struct vuc_client *c)
{
    struct vuc_wc_buf *b = &c->wc.buf;
    uint32_t len = b->len;

    if (len == 0) {
        return 0;
    }
    /* Emptied first: vuc_post_write() may send other held messages, whose
     * before_send must not find this buffer again. The data stays put. */
    b->len = 0;
    c->wc.stats.flushes++;
    int rc = vuc_post_write(c, b->index, b->offset, b->data, len);
    if (rc < 0) {
        wc_lost(c, len, rc);
    }
    return rc;
}

int vuc_wc_write(struct vuc_client *c, uint32_t index, uint64_t offset,
                 const uint8_t *data, size_t len)
{
    uint32_t limit = wc_limit(c);

    if (vuc_wc_merge(&c->wc.buf, limit, index, offset, data, len)) {
        c->wc.stats.writes++;
        return 0;
    }
    int rc = vuc_wc_flush(c);
    if (rc < 0) {
        return rc;
    }
    if (vuc_wc_merge(&c->wc.buf, limit, index, offset, data, len)) {
        c->wc.stats.writes++;
        return 0;
    }
    return vuc_post_write(c, index, offset, data, len); /* over the limit */
}

static int wc_set_mode(struct vuc_client *c, uint32_t index, enum vuc_wc mode)
{
    if (mode == VUC_WC_OFF && c->wc.buf.len > 0 && c->wc.buf.index == index) {
        int rc = vuc_wc_flush(c);
        if (rc < 0) {
            return rc;
        }
    }
    c->wc.mode[index] = (uint8_t)mode;
    return 0;
}

int vuc_set_write_combining(struct vuc_client *client, uint32_t index,
                            enum vuc_wc mode)
{
    struct vuc_client *c = client;

    vuc_begin(c);
    if (mode != VUC_WC_DEFAULT && mode != VUC_WC_OFF && mode != VUC_WC_ON) {
        return vuc_fail(c, -EINVAL, "write combining: unknown mode %d", mode);
    }
    if (index == VUC_WC_ALL_REGIONS) {
        for (uint32_t i = 0; i < VUC_WC_REGIONS; i++) {
            int rc = wc_set_mode(c, i, mode);
            if (rc < 0) {
                return rc;
            }
        }
        return 0;
    }
    if (index >= VUC_WC_REGIONS) {
        return vuc_fail(c, -ERANGE,
                        "write combining: region %u is not below %u", index,
                        VUC_WC_REGIONS);
    }
    if (c->regions == NULL || index >= c->dev.num_regions) {
        return vuc_fail(c, -ENODEV, "write combining: region %u does not exist",
                        index);
    }
    return wc_set_mode(c, index, mode);
}

int vuc_set_wc_limit(struct vuc_client *client, uint32_t bytes)
{
    struct vuc_client *c = client;

    vuc_begin(c);
    if (bytes > VUC_WC_LIMIT_MAX) {
        return vuc_fail(c, -EINVAL,
                        "write combining: a limit of %u bytes is above the "
                        "%u allowed",
                        bytes, VUC_WC_LIMIT_MAX);
    }
    int rc = vuc_wc_flush(c);
    if (rc == 0) {
        c->wc.limit = bytes;
    }
    return rc;
}

void vuc_get_wc_stats(const struct vuc_client *client, struct vuc_wc_stats *out)
{
    *out = client->wc.stats;
}

static void wc_kick(evutil_socket_t fd, short what, void *arg)
{
    struct vuc_client *c = arg;

    (void)fd;
    (void)what;
    c->wc.kick_armed = false;
    vuc_enter(c);
    /* A failure is kept for the next fence (wc_lost), as every flush's. */
    (void)vuc_wc_flush(c);
    vuc_leave(c);
}

/*
 * A turn that completed a blocking call keeps the buffer, so that the
 * caller's next writes join it. But the caller may go on to wait in its
 * own event loop, say for the interrupt these writes make the device
 * raise: the buffer must then leave as that loop runs, or it waits for
 * ever. Returns 0, or a flush's result when the event cannot be made.
 */
static int wc_hold_for_caller(struct vuc_client *c)
{
    if (c->wc.kick == NULL) {
        c->wc.kick = event_new(c->base, -1, 0, wc_kick, c);
        if (c->wc.kick == NULL) {
            return vuc_wc_flush(c);
        }
    }
    /* Once per loop turn, not per write: a burst of blocking writes
     * arms it with the first. */
    if (!c->wc.kick_armed) {
        event_active(c->wc.kick, 0, 0);
        c->wc.kick_armed = true;
    }
    return 0;
}

int vuc_wc_write_for_caller(struct vuc_client *c, uint32_t index,
                            uint64_t offset, const uint8_t *data, size_t len)
{
    int rc = vuc_wc_write(c, index, offset, data, len);
    if (rc == 0 && c->wc.buf.len > 0 && c->corked == 0) {
        rc = wc_hold_for_caller(c);
    }
    return rc;
}

static void wc_release(struct vuc_client *c)
{
    if (c->wc.kick != NULL) {
        event_free(c->wc.kick);
        c->wc.kick = NULL;
    }
}

static int wc_flush_point(struct vuc_client *c, enum vuc_flush_point why)
{
    /* A turn that completed a blocking call: its caller goes on. */
    bool sync_turn = why == VUC_FLUSH_DISPATCH && c->sync_turn;
    if (why == VUC_FLUSH_DISPATCH) {
        c->sync_turn = false;
    }
    if (c->wc.buf.len == 0) {
        return 0;
    }
    switch (why) {
    case VUC_FLUSH_WRITABLE:
        return 0; /* a drained socket is no reason to stop combining */
    case VUC_FLUSH_DISPATCH:
        if (c->corked > 0) {
            return 0; /* the caller's uncork sends it */
        }
        if (sync_turn) {
            return wc_hold_for_caller(c);
        }
        break;
    case VUC_FLUSH_UNCORK:
    case VUC_FLUSH_WAIT:
        break;
    }
    return vuc_wc_flush(c);
}

static void wc_conn_lost(struct vuc_client *c)
{
    struct vuc_wc_buf *b = &c->wc.buf;

    if (b->len == 0) {
        return;
    }
    char text[sizeof(c->post.errtext)];
    snprintf(text, sizeof(text),
             "combined posted writes of %u bytes to %s+0x%llx were not sent "
             "before the connection ended",
             b->len, vuc_region_name(b->index), (unsigned long long)b->offset);
    vuc_log(c, VUC_LOG_WARNING, "%s", text);
    if (c->post.err == 0) {
        c->post.err = -ENOTCONN;
        memcpy(c->post.errtext, text, sizeof(text));
    }
    b->len = 0;
}

const struct vuc_feature vuc_wcomb_feature = {
    .name = "wcomb",
    .before_send = vuc_wc_flush,
    .flush = wc_flush_point,
    .conn_lost = wc_conn_lost,
    .release = wc_release,
};
