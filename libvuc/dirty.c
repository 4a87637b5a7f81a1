/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Dirty-page tracking: DMA logging through DEVICE_FEATURE, or the legacy
 * VFIO_USER_DIRTY_PAGES of the 0.9.1 text on servers that lack it; reports
 * fetched in pieces that fit a message, merged with the client's own record
 * of pages written by DMA_WRITE.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "conn.h"
#include "dirty.h"
#include "dma.h"
#include "migration.h"
#include "wire.h"

#define MIN_PAGE 4096ull

struct dirty_op {
    struct vuc_deferred deferred; /* a report that needed no message */
    vuc_done_cb cb;
    void *arg;
    int timeout_ms;
    /* start */
    struct vfio_user_dma_logging_range *ranges;
    uint32_t nranges;
    uint64_t page_size;
    int probe_err;
    /* report */
    uint64_t iova, length;
    uint64_t *bitmap;
    size_t words;
    unsigned outstanding;
    int result;
};

enum vuc_dirty_mode vuc_dirty_get_mode(const struct vuc_client *client)
{
    return client->dirty.mode;
}

uint64_t vuc_dirty_page_size(const struct vuc_client *client)
{
    return client->dirty.mode == VUC_DIRTY_OFF ? 0 : client->dirty.pgsize;
}

static bool is_pow2(uint64_t v)
{
    return v != 0 && (v & (v - 1)) == 0;
}

static void op_done(struct vuc_client *c, struct dirty_op *op, int rc)
{
    vuc_done_cb cb = op->cb;
    void *arg = op->arg;

    free(op->ranges);
    free(op);
    cb(c, rc, arg);
}

static struct dirty_op *op_new(struct vuc_client *c, vuc_done_cb cb, void *arg,
                               int timeout_ms)
{
    struct dirty_op *op = calloc(1, sizeof(*op));
    if (op == NULL) {
        vuc_fail(c, -ENOMEM, "dirty pages: out of memory");
        return NULL;
    }
    op->cb = cb;
    op->arg = arg;
    op->timeout_ms = timeout_ms;
    return op;
}

/* A DIRTY_PAGES START or STOP (legacy). */
static int send_legacy_ctl(struct vuc_client *c, struct dirty_op *op,
                           uint32_t flag, vuc_req_fn fn)
{
    uint8_t p[sizeof(struct vfio_user_dirty_pages)];
    ssize_t n = vuc_wire_enc_dirty_pages_ctl(p, sizeof(p), flag);
    int rc;

    vuc_req_send(c, VFIO_USER_DIRTY_PAGES, p, n, op->timeout_ms, fn, op, NULL,
                 0, &rc);
    return rc;
}

/* ---- Start --------------------------------------------------------------- */

static void legacy_start_reply(struct vuc_client *c, struct vuc_req *req,
                               struct vuc_reply *r)
{
    struct dirty_op *op = req->op;
    struct vuc_wire_err err;
    int rc = r->err;

    if (rc == 0 && (rc = vuc_wire_dec_empty_reply(VFIO_USER_DIRTY_PAGES, r->len,
                                                  r->nfds, &err)) < 0) {
        vuc_fail(c, rc, "%s", err.text);
    } else if (rc < 0 && r->hdr != NULL) {
        vuc_fail(c, -ENOTSUP,
                 "dirty start: the device supports neither DMA logging "
                 "(DEVICE_FEATURE: %s) nor the legacy DIRTY_PAGES (%s)",
                 strerror(-op->probe_err), strerror(-rc));
        rc = -ENOTSUP;
    }
    if (rc == 0) {
        c->dirty.mode = VUC_DIRTY_LEGACY;
        c->dirty.pgsize = op->page_size;
        vuc_dma_msg_dirty_clear(c);
    }
    op_done(c, op, rc);
}

static void start_reply(struct vuc_client *c, struct vuc_req *req,
                        struct vuc_reply *r)
{
    struct dirty_op *op = req->op;
    struct vuc_wire_err err;
    const uint8_t *data;
    size_t dlen;
    int rc = r->err;

    if (rc == 0) {
        rc = vuc_wire_dec_device_feature_reply(
            r->payload, r->len, r->nfds,
            VFIO_USER_DEVICE_FEATURE_SET |
                VFIO_USER_DEVICE_FEATURE_DMA_LOGGING_START,
            &data, &dlen, &err);
        if (rc < 0) {
            vuc_fail(c, rc, "%s", err.text);
        }
    }
    if (rc == 0) {
        /* "On output the device will return the page size it selected";
         * an empty echo keeps ours. */
        uint64_t pg = op->page_size;
        if (dlen >= sizeof(uint64_t)) {
            memcpy(&pg, data, sizeof(pg));
        }
        if (!is_pow2(pg) || pg < MIN_PAGE) {
            rc = vuc_fail(c, -EPROTO,
                          "DMA_LOGGING_START reply: page size 0x%llx is not "
                          "a power of two of at least 4 KiB",
                          (unsigned long long)pg);
        } else {
            c->dirty.mode = VUC_DIRTY_LOGGING;
            c->dirty.pgsize = pg;
            /* The server's log starts empty; so does ours. */
            vuc_dma_msg_dirty_clear(c);
        }
    }
    op_done(c, op, rc);
}

static void probe_reply(struct vuc_client *c, struct vuc_req *req,
                        struct vuc_reply *r)
{
    struct dirty_op *op = req->op;
    int rc = r->err;

    if (rc < 0 && r->hdr != NULL) {
        /* No DMA logging: a 0.9.1-era server may still have command 14. */
        op->probe_err = rc;
        rc = send_legacy_ctl(c, op, VFIO_USER_DIRTY_PAGES_FLAG_START,
                             legacy_start_reply);
        if (rc < 0) {
            op_done(c, op, rc);
        }
        return;
    }
    if (rc < 0) {
        op_done(c, op, rc);
        return;
    }
    size_t len = sizeof(struct vfio_user_dma_logging_control) +
                 op->nranges * sizeof(struct vfio_user_dma_logging_range);
    uint8_t *ctl = malloc(len);
    if (ctl == NULL) {
        op_done(c, op, vuc_fail(c, -ENOMEM, "dirty start: out of memory"));
        return;
    }
    ssize_t n = vuc_wire_enc_dma_logging_control(ctl, len, op->page_size,
                                                 op->ranges, op->nranges);
    rc = n < 0
             ? vuc_fail(c, (int)n, "cannot encode DMA_LOGGING_START")
             : vuc_feature_send(c,
                                VFIO_USER_DEVICE_FEATURE_SET |
                                    VFIO_USER_DEVICE_FEATURE_DMA_LOGGING_START,
                                (uint32_t)(8 + n), ctl, (size_t)n,
                                op->timeout_ms, start_reply, op);
    free(ctl);
    if (rc < 0) {
        op_done(c, op, rc);
    }
}

int vuc_dirty_start_async(struct vuc_client *client,
                          const struct vuc_dirty_range *ranges, unsigned n,
                          uint64_t page_size, int timeout_ms, vuc_done_cb cb,
                          void *arg)
{
    struct vuc_client *c = client;
    int rc = vuc_call_start(c, "dirty start", cb);

    if (rc < 0) {
        return rc;
    }
    if (c->dirty.mode != VUC_DIRTY_OFF) {
        return vuc_fail(c, -EBUSY, "dirty start: logging already runs");
    }
    if (page_size == 0) {
        page_size =
            c->caps.migration_pgsize ? c->caps.migration_pgsize : MIN_PAGE;
    }
    if (!is_pow2(page_size) || page_size < MIN_PAGE) {
        return vuc_fail(c, -EINVAL,
                        "dirty start: page size 0x%llx is not a power of two "
                        "of at least 4 KiB",
                        (unsigned long long)page_size);
    }
    if (n > 0 && ranges == NULL) {
        return vuc_fail(c, -EINVAL, "dirty start: %u ranges but no array", n);
    }
    struct dirty_op *op = op_new(c, cb, arg, timeout_ms);
    if (op == NULL) {
        return -ENOMEM;
    }
    op->page_size = page_size;
    op->nranges = n;
    if (n > 0) {
        op->ranges = calloc(n, sizeof(*op->ranges));
        if (op->ranges == NULL) {
            free(op);
            return vuc_fail(c, -ENOMEM, "dirty start: out of memory");
        }
        for (unsigned i = 0; i < n; i++) {
            op->ranges[i].iova = ranges[i].iova;
            op->ranges[i].length = ranges[i].length;
        }
    }
    rc = vuc_feature_send(c,
                          VFIO_USER_DEVICE_FEATURE_PROBE |
                              VFIO_USER_DEVICE_FEATURE_SET |
                              VFIO_USER_DEVICE_FEATURE_DMA_LOGGING_START,
                          8, NULL, 0, timeout_ms, probe_reply, op);
    if (rc < 0) {
        free(op->ranges);
        free(op);
    }
    return rc;
}

/* ---- Stop ---------------------------------------------------------------- */

static void stop_reply(struct vuc_client *c, struct vuc_req *req,
                       struct vuc_reply *r)
{
    struct dirty_op *op = req->op;
    struct vuc_wire_err err;
    const uint8_t *data;
    size_t dlen;
    int rc = r->err;

    if (rc == 0 && req->cmd == VFIO_USER_DIRTY_PAGES) {
        rc = vuc_wire_dec_empty_reply(VFIO_USER_DIRTY_PAGES, r->len, r->nfds,
                                      &err);
    } else if (rc == 0) {
        rc = vuc_wire_dec_device_feature_reply(
            r->payload, r->len, r->nfds,
            VFIO_USER_DEVICE_FEATURE_SET |
                VFIO_USER_DEVICE_FEATURE_DMA_LOGGING_STOP,
            &data, &dlen, &err);
    }
    if (rc < 0 && r->hdr != NULL && !(r->hdr->flags & VFIO_USER_F_ERROR)) {
        vuc_fail(c, rc, "%s", err.text);
    }
    if (rc == 0) {
        c->dirty.mode = VUC_DIRTY_OFF;
    }
    op_done(c, op, rc);
}

int vuc_dirty_stop_async(struct vuc_client *client, int timeout_ms,
                         vuc_done_cb cb, void *arg)
{
    struct vuc_client *c = client;
    int rc = vuc_call_start(c, "dirty stop", cb);

    if (rc < 0) {
        return rc;
    }
    if (c->dirty.mode == VUC_DIRTY_OFF) {
        return vuc_fail(c, -ENOENT, "dirty stop: logging is not running");
    }
    struct dirty_op *op = op_new(c, cb, arg, timeout_ms);
    if (op == NULL) {
        return -ENOMEM;
    }
    if (c->dirty.mode == VUC_DIRTY_LEGACY) {
        rc =
            send_legacy_ctl(c, op, VFIO_USER_DIRTY_PAGES_FLAG_STOP, stop_reply);
    } else {
        uint8_t ctl[sizeof(struct vfio_user_dma_logging_control)];
        ssize_t n = vuc_wire_enc_dma_logging_control(ctl, sizeof(ctl),
                                                     c->dirty.pgsize, NULL, 0);
        rc = vuc_feature_send(c,
                              VFIO_USER_DEVICE_FEATURE_SET |
                                  VFIO_USER_DEVICE_FEATURE_DMA_LOGGING_STOP,
                              (uint32_t)(8 + n), ctl, (size_t)n, timeout_ms,
                              stop_reply, op);
    }
    if (rc < 0) {
        free(op);
    }
    return rc;
}

/* ---- Report -------------------------------------------------------------- */

static void report_local_done(struct vuc_client *c, struct vuc_deferred *d,
                              int err)
{
    op_done(c, (struct dirty_op *)d, err);
}

static void report_piece_done(struct vuc_client *c, struct dirty_op *op, int rc)
{
    if (rc < 0 && op->result == 0) {
        op->result = rc;
    }
    if (--op->outstanding > 0) {
        return;
    }
    if (op->result == 0) {
        /* The client's share: pages the server wrote by message. */
        vuc_dma_msg_dirty_merge(c, op->iova, op->length, op->page_size,
                                op->bitmap);
    }
    op_done(c, op, op->result);
}

static void report_reply(struct vuc_client *c, struct vuc_req *req,
                         struct vuc_reply *r)
{
    struct dirty_op *op = req->op;
    struct vuc_wire_err err;
    const uint8_t *data, *bm = NULL;
    size_t dlen, bmlen = 0;
    int rc = r->err;
    uint64_t bytes = vuc_wire_bitmap_size(req->length, op->page_size);

    if (rc == 0 && req->cmd == VFIO_USER_DIRTY_PAGES) {
        rc = vuc_wire_dec_dirty_pages_reply(r->payload, r->len, r->nfds,
                                            req->offset, req->length,
                                            op->page_size, bytes, &bm, &err);
        bmlen = bytes;
    } else if (rc == 0) {
        rc = vuc_wire_dec_device_feature_reply(
            r->payload, r->len, r->nfds,
            VFIO_USER_DEVICE_FEATURE_GET |
                VFIO_USER_DEVICE_FEATURE_DMA_LOGGING_REPORT,
            &data, &dlen, &err);
        if (rc == 0) {
            rc = vuc_wire_dec_dma_logging_report(data, dlen, req->offset,
                                                 req->length, op->page_size,
                                                 &bm, &bmlen, &err);
        }
    }
    if (rc < 0 && r->hdr != NULL && !(r->hdr->flags & VFIO_USER_F_ERROR) &&
        op->result == 0) {
        vuc_fail(c, rc, "%s", err.text);
    }
    if (rc == 0) {
        /* Pieces start on 64-page boundaries: whole words. */
        size_t word = (size_t)((req->offset - op->iova) / op->page_size / 64);
        size_t n = bmlen / 8;
        if (word + n > op->words) {
            n = op->words - word;
        }
        memcpy(op->bitmap + word, bm, n * 8);
    }
    report_piece_done(c, op, rc);
}

static int send_report_piece(struct vuc_client *c, struct dirty_op *op,
                             uint64_t iova, uint64_t length)
{
    uint64_t bytes = vuc_wire_bitmap_size(length, op->page_size);
    void *payload;
    int rc;
    struct vuc_req *req;
    ssize_t n;

    if (c->dirty.mode == VUC_DIRTY_LEGACY) {
        size_t len = sizeof(struct vfio_user_dirty_pages) +
                     sizeof(struct vfio_user_bitmap_range);
        req = vuc_req_start(c, VFIO_USER_DIRTY_PAGES, len, &payload, &rc);
        if (req == NULL) {
            return rc;
        }
        n = vuc_wire_enc_dirty_pages_get(payload, len, iova, length,
                                         op->page_size, bytes);
    } else {
        uint8_t rep[sizeof(struct vfio_user_dma_logging_report)];
        ssize_t rl = vuc_wire_enc_dma_logging_report(rep, sizeof(rep), iova,
                                                     length, op->page_size);
        size_t len = sizeof(struct vfio_user_device_feature) + sizeof(rep);
        req = vuc_req_start(c, VFIO_USER_DEVICE_FEATURE, len, &payload, &rc);
        if (req == NULL) {
            return rc;
        }
        n = vuc_wire_enc_device_feature(
            payload, len,
            VFIO_USER_DEVICE_FEATURE_GET |
                VFIO_USER_DEVICE_FEATURE_DMA_LOGGING_REPORT,
            (uint32_t)(sizeof(struct vfio_user_device_feature) + rl + bytes),
            rep, (size_t)rl);
    }
    if (n < 0) {
        vuc_req_abandon(c, req);
        return vuc_fail(c, (int)n, "cannot encode the dirty report request");
    }
    req->op = op;
    req->offset = iova;
    req->length = length;
    rc = vuc_req_submit(c, req, (size_t)n, op->timeout_ms, report_reply, NULL,
                        0);
    if (rc == 0) {
        op->outstanding++;
    }
    return rc;
}

int vuc_dirty_report_async(struct vuc_client *client, uint64_t iova,
                           uint64_t length, uint64_t page_size,
                           uint64_t *bitmap, size_t words, int timeout_ms,
                           vuc_done_cb cb, void *arg)
{
    struct vuc_client *c = client;
    int rc = vuc_call_start(c, "dirty report", cb);

    if (rc < 0) {
        return rc;
    }
    uint64_t end;
    if (!is_pow2(page_size) || page_size < MIN_PAGE || length == 0 ||
        iova % page_size || length % page_size ||
        __builtin_add_overflow(iova, length, &end)) {
        return vuc_fail(c, -EINVAL,
                        "dirty report: [0x%llx, +0x%llx) at page size 0x%llx: "
                        "the page size must be a power of two of at least "
                        "4 KiB and the range a non-empty multiple of it",
                        (unsigned long long)iova, (unsigned long long)length,
                        (unsigned long long)page_size);
    }
    if (c->dirty.mode == VUC_DIRTY_OFF) {
        return vuc_fail(c, -ENOENT, "dirty report: logging is not running");
    }
    uint64_t pages = length / page_size;
    if (bitmap == NULL || words < (pages + 63) / 64) {
        return vuc_fail(c, -ENOSPC,
                        "dirty report: %llu pages need %llu bitmap words, "
                        "%zu given",
                        (unsigned long long)pages,
                        (unsigned long long)((pages + 63) / 64), words);
    }
    memset(bitmap, 0, words * 8);

    /* A server can reach memory it got no fd for only by DMA_WRITE, which
     * the client records itself; asking it about such maps is pointless,
     * and libvfio-user refuses to. */
    if (vuc_dma_range_unshared(c, iova, length)) {
        vuc_dma_msg_dirty_merge(c, iova, length, page_size, bitmap);
        struct dirty_op *op = op_new(c, cb, arg, timeout_ms);
        if (op == NULL) {
            return -ENOMEM;
        }
        op->deferred.fn = report_local_done;
        vuc_defer(c, &op->deferred);
        return 0;
    }

    /* Each reply must fit what either side can carry in one message. */
    uint64_t room = c->xfer_chunk > 4096 ? c->xfer_chunk - 64 : 4096 - 64;
    uint64_t piece = (room / 8) * 64 * page_size;

    struct dirty_op *op = op_new(c, cb, arg, timeout_ms);
    if (op == NULL) {
        return -ENOMEM;
    }
    op->iova = iova;
    op->length = length;
    op->page_size = page_size;
    op->bitmap = bitmap;
    op->words = words;
    op->outstanding = 1; /* held while sending */
    for (uint64_t off = 0; off < length; off += piece) {
        uint64_t n = length - off < piece ? length - off : piece;
        if ((rc = send_report_piece(c, op, iova + off, n)) < 0) {
            op->result = rc;
            break;
        }
    }
    if (op->outstanding == 1 && rc < 0) {
        free(op);
        return rc;
    }
    report_piece_done(c, op, 0);
    return 0;
}

static void dirty_conn_lost(struct vuc_client *c)
{
    c->dirty.mode = VUC_DIRTY_OFF;
}

const struct vuc_feature vuc_dirty_feature = {
    .name = "dirty",
    .conn_lost = dirty_conn_lost,
};
