/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Dirty page logging, as the protocol's two generations ask for it: the
 * DMA logging features of DEVICE_FEATURE (DMA_LOGGING_START, _STOP and
 * _REPORT) by default, or with --legacy-dirty the 0.9.1 text's
 * VFIO_USER_DIRTY_PAGES and DMA_UNMAP's "get dirty page bitmap" -- never
 * both, so that a client's fallback from one to the other is tested.
 *
 * The records themselves are dma.c's: the pages the DMA engine writes
 * through the server's mappings. Pages it writes with DMA_WRITE messages
 * are not recorded here; the client sends those replies and the
 * specification makes their logging its business.
 *
 * Every report is checked whole before anything is reported, so a refused
 * request forgets nothing (reports are clear-on-read).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "testdev.h"

#define RANGE_SIZE sizeof(struct vfio_user_dma_logging_range)
#define CONTROL_SIZE sizeof(struct vfio_user_dma_logging_control)

static bool page_size_ok(uint64_t v)
{
    return v >= TD_PAGE_SIZE && !(v & (v - 1));
}

/*
 * What every report shares: logging runs, the page size and range make
 * sense, and the bitmap fits a message the client takes.
 * @return 0 with the bitmap's size in @p bytes, or EINVAL.
 */
static int check_report(const struct testdev *td, const char *cmd,
                        uint64_t iova, uint64_t length, uint64_t pgsize,
                        uint64_t *bytes)
{
    uint64_t cap = td->conn.peer_max_data_xfer_size < TD_MAX_DATA_XFER_CAP
                       ? td->conn.peer_max_data_xfer_size
                       : TD_MAX_DATA_XFER_CAP;

    if (!td->dma.logging)
        return td_fail(EINVAL, "%s: dirty page logging is not running", cmd);
    if (!page_size_ok(pgsize))
        return td_fail(EINVAL,
                       "%s: page size 0x%llx is not a power of two of at "
                       "least 4096",
                       cmd, (unsigned long long)pgsize);
    if (!length)
        return td_fail(EINVAL, "%s: the range is empty", cmd);
    if ((iova | length) & (pgsize - 1))
        return td_fail(EINVAL,
                       "%s: iova 0x%llx and length 0x%llx must be multiples "
                       "of the page size 0x%llx",
                       cmd, (unsigned long long)iova,
                       (unsigned long long)length, (unsigned long long)pgsize);
    if (length - 1 > UINT64_MAX - iova)
        return td_fail(EINVAL, "%s: iova 0x%llx + length 0x%llx wraps", cmd,
                       (unsigned long long)iova, (unsigned long long)length);
    /* length / pgsize < 2^52: no overflow. */
    *bytes = (length / pgsize + 63) / 64 * 8;
    if (*bytes > cap)
        return td_fail(EINVAL,
                       "%s: a %llu-byte bitmap is more than the %llu a "
                       "message may carry; ask for a smaller range",
                       cmd, (unsigned long long)*bytes,
                       (unsigned long long)cap);
    return 0;
}

/* Collect the bitmap into @p dst (unaligned, @p bytes long). */
static int report_into(struct testdev *td, const char *cmd, uint64_t iova,
                       uint64_t length, uint64_t pgsize, uint8_t *dst,
                       uint64_t bytes)
{
    size_t words = (size_t)(bytes / 8), i;
    uint64_t *bm = calloc(words, sizeof(*bm));
    unsigned long long pages = 0;
    int err;

    if (!bm)
        return td_fail(ENOMEM, "%s: out of memory for a %llu-byte bitmap", cmd,
                       (unsigned long long)bytes);
    err = dma_dirty_collect(&td->dma, cmd, iova, length, pgsize, bm);
    if (!err) {
        memcpy(dst, bm, (size_t)bytes);
        for (i = 0; i < words; i++)
            pages += (unsigned long long)__builtin_popcountll(bm[i]);
        td_note("[0x%llx, +0x%llx) at 0x%llx: %llu dirty",
                (unsigned long long)iova, (unsigned long long)length,
                (unsigned long long)pgsize, pages);
    }
    free(bm);
    return err;
}

/* ---- DMA logging features ------------------------------------------------ */

static int range_cmp(const void *a, const void *b)
{
    const struct vfio_user_dma_logging_range *x = a, *y = b;

    return x->iova < y->iova ? -1 : x->iova > y->iova;
}

/* START's ranges: each sane, none overlapping. @return them sorted (NULL
 * for none) or NULL with *err set. */
static struct vfio_user_dma_logging_range *
parse_ranges(const struct td_feature_req *q, uint32_t n, int *err)
{
    struct vfio_user_dma_logging_range *rg;
    uint32_t i;

    *err = 0;
    if (!n)
        return NULL;
    rg = malloc((size_t)n * RANGE_SIZE);
    if (!rg) {
        *err = td_fail(ENOMEM, "%s: out of memory", q->name);
        return NULL;
    }
    memcpy(rg, q->data + CONTROL_SIZE, (size_t)n * RANGE_SIZE);
    for (i = 0; i < n; i++) {
        if (!rg[i].length) {
            *err = td_fail(EINVAL, "%s: range %u is empty", q->name, i);
            break;
        }
        if (rg[i].length - 1 > UINT64_MAX - rg[i].iova) {
            *err = td_fail(EINVAL,
                           "%s: range %u, iova 0x%llx + length 0x%llx, wraps",
                           q->name, i, (unsigned long long)rg[i].iova,
                           (unsigned long long)rg[i].length);
            break;
        }
    }
    if (!*err) {
        qsort(rg, n, RANGE_SIZE, range_cmp);
        for (i = 1; i < n; i++) {
            if (rg[i].iova <= rg[i - 1].iova + (rg[i - 1].length - 1)) {
                *err = td_fail(EINVAL,
                               "%s: ranges [0x%llx, +0x%llx) and [0x%llx, "
                               "+0x%llx) overlap",
                               q->name, (unsigned long long)rg[i - 1].iova,
                               (unsigned long long)rg[i - 1].length,
                               (unsigned long long)rg[i].iova,
                               (unsigned long long)rg[i].length);
                break;
            }
        }
    }
    if (*err) {
        free(rg);
        return NULL;
    }
    return rg;
}

/* START and STOP carry the same control structure and ranges. */
static int check_control(const struct td_feature_req *q,
                         struct vfio_user_dma_logging_control *c)
{
    size_t want;

    if (q->len < CONTROL_SIZE)
        return td_fail(EINVAL, "%s: data of %zu bytes, less than %zu", q->name,
                       q->len, CONTROL_SIZE);
    memcpy(c, q->data, CONTROL_SIZE);
    if (c->num_ranges > TESTDEV_DIRTY_MAX_RANGES)
        return td_fail(E2BIG,
                       "%s: %u ranges, more than the %u this device "
                       "takes",
                       q->name, c->num_ranges, TESTDEV_DIRTY_MAX_RANGES);
    want = CONTROL_SIZE + (size_t)c->num_ranges * RANGE_SIZE;
    if (q->len != want)
        return td_fail(EINVAL,
                       "%s: data of %zu bytes, expected %zu for %u ranges",
                       q->name, q->len, want, c->num_ranges);
    return 0;
}

int dirty_set_start(struct testdev *td, const struct td_feature_req *q)
{
    struct vfio_user_dma_logging_control c;
    struct vfio_user_dma_logging_range *rg;
    struct td_dma *dma = &td->dma;
    int err = check_control(q, &c);

    if (err)
        return err;
    if (!page_size_ok(c.page_size))
        return td_fail(EINVAL,
                       "%s: page size 0x%llx is not a power of two of at "
                       "least 4096",
                       q->name, (unsigned long long)c.page_size);
    if (c.reserved)
        return td_fail(EINVAL, "%s: reserved is 0x%x, must be 0", q->name,
                       c.reserved);
    rg = parse_ranges(q, c.num_ranges, &err);
    if (err)
        return err;
    if (dma->logging) {
        free(rg);
        /* As libvfio-user: the same START again is harmless. */
        if (c.page_size == dma->log_pgsize) {
            td_note("logging already runs at 0x%llx; nothing changes",
                    (unsigned long long)c.page_size);
            return 0;
        }
        return td_fail(EBUSY,
                       "%s: logging already runs at page size 0x%llx; stop "
                       "it before starting at 0x%llx",
                       q->name, (unsigned long long)dma->log_pgsize,
                       (unsigned long long)c.page_size);
    }
    dma_log_start(dma, c.page_size, rg, c.num_ranges);
    td_note("logging at 0x%llx, %u ranges%s", (unsigned long long)c.page_size,
            c.num_ranges, c.num_ranges ? "" : " (everything)");
    return 0;
}

int dirty_set_stop(struct testdev *td, const struct td_feature_req *q)
{
    struct vfio_user_dma_logging_control c;
    int err = q->len ? check_control(q, &c) : 0;

    if (err)
        return err;
    td_note("%s",
            td->dma.logging ? "logging stopped" : "logging was not running");
    dma_log_stop(&td->dma);
    return 0;
}

int dirty_get_report(struct testdev *td, const struct td_feature_req *q,
                     struct td_reply *r)
{
    struct vfio_user_dma_logging_report rep;
    uint64_t bytes = 0;
    uint8_t *out;
    int err;

    if (q->len != sizeof(rep))
        return td_fail(EINVAL, "%s: data of %zu bytes, expected %zu", q->name,
                       q->len, sizeof(rep));
    memcpy(&rep, q->data, sizeof(rep));
    if (!td->dma.logging && td_quirk(TD_QUIRK_REPORT_UNSTARTED) &&
        page_size_ok(rep.page_size) && rep.length / rep.page_size <= 4096) {
        bytes = (rep.length / rep.page_size + 63) / 64 * 8;
        out = feature_get_reply(r, q, sizeof(rep) + (size_t)bytes);
        if (!out)
            return td_fail(ENOMEM, "%s: out of memory", q->name);
        memcpy(out, &rep, sizeof(rep));
        memset(out + sizeof(rep), 0, (size_t)bytes);
        return 0;
    }
    err =
        check_report(td, q->name, rep.iova, rep.length, rep.page_size, &bytes);
    if (!err)
        err = feature_check_get_argsz(q, sizeof(rep) + (size_t)bytes);
    if (err)
        return err;
    out = feature_get_reply(r, q, sizeof(rep) + (size_t)bytes);
    if (!out)
        return td_fail(ENOMEM, "%s: out of memory", q->name);
    memcpy(out, &rep, sizeof(rep));
    return report_into(td, q->name, rep.iova, rep.length, rep.page_size,
                       out + sizeof(rep), bytes);
}

/* ---- The 0.9.1 way ------------------------------------------------------- */

#define DP_START VFIO_USER_DIRTY_PAGES_FLAG_START
#define DP_STOP VFIO_USER_DIRTY_PAGES_FLAG_STOP
#define DP_GET VFIO_USER_DIRTY_PAGES_FLAG_GET_BITMAP
#define DP_SIZE sizeof(struct vfio_user_dirty_pages)
#define BR_SIZE sizeof(struct vfio_user_bitmap_range)

static int get_bitmap(struct testdev *td, const struct td_msg *m,
                      const struct vfio_user_dirty_pages *dp,
                      struct td_reply *r)
{
    const char *cmd = "DIRTY_PAGES GET_BITMAP";
    struct vfio_user_dirty_pages head = {.flags = DP_GET};
    struct vfio_user_bitmap_range br;
    uint64_t bytes = 0;
    uint8_t *out;
    int err;

    if (m->len != DP_SIZE + BR_SIZE)
        return td_fail(EINVAL,
                       "%s: payload of %zu bytes, expected %zu (the 32-byte "
                       "bitmap range of libvfio-user follows the head)",
                       cmd, m->len, DP_SIZE + BR_SIZE);
    memcpy(&br, m->data + DP_SIZE, sizeof(br));
    err = check_report(td, cmd, br.iova, br.size, br.bitmap.pgsize, &bytes);
    if (err)
        return err;
    if (br.bitmap.size != bytes)
        return td_fail(EINVAL,
                       "%s: bitmap size %llu, but 0x%llx bytes at page size "
                       "0x%llx take %llu",
                       cmd, (unsigned long long)br.bitmap.size,
                       (unsigned long long)br.size,
                       (unsigned long long)br.bitmap.pgsize,
                       (unsigned long long)bytes);
    if (dp->argsz < DP_SIZE + BR_SIZE + bytes)
        return td_fail(
            EINVAL, "%s: argsz %u is smaller than the %llu-byte reply", cmd,
            dp->argsz, (unsigned long long)(DP_SIZE + BR_SIZE + bytes));
    out = td_reply_alloc(r, DP_SIZE + BR_SIZE + (size_t)bytes);
    if (!out)
        return td_fail(ENOMEM, "%s: out of memory", cmd);
    head.argsz = (uint32_t)(DP_SIZE + BR_SIZE + bytes);
    memcpy(out, &head, sizeof(head));
    memcpy(out + DP_SIZE, &br, sizeof(br));
    return report_into(td, cmd, br.iova, br.size, br.bitmap.pgsize,
                       out + DP_SIZE + BR_SIZE, bytes);
}

int handle_dirty_pages(struct testdev *td, struct td_msg *m, struct td_reply *r)
{
    struct vfio_user_dirty_pages dp;

    if (!td->opt.legacy_dirty)
        return td_fail(ENOSYS, "DIRTY_PAGES: not implemented: %s",
                       td->opt.no_dirty
                           ? "this device logs no dirty pages (--no-dirty)"
                           : "this device logs dirty pages with the DMA "
                             "logging features (--legacy-dirty for this "
                             "command)");
    if (m->len < sizeof(dp))
        return td_fail(EINVAL,
                       "DIRTY_PAGES: payload of %zu bytes, less than "
                       "%zu",
                       m->len, sizeof(dp));
    memcpy(&dp, m->data, sizeof(dp));
    switch (dp.flags) {
    case DP_START:
    case DP_STOP:
        if (m->len != sizeof(dp) || dp.argsz != sizeof(dp))
            return td_fail(EINVAL,
                           "DIRTY_PAGES %s: payload of %zu bytes and argsz "
                           "%u, both must be %zu",
                           dp.flags == DP_START ? "START" : "STOP", m->len,
                           dp.argsz, sizeof(dp));
        if (dp.flags == DP_STOP) {
            td_note("%s", td->dma.logging ? "logging stopped"
                                          : "logging was not running");
            dma_log_stop(&td->dma);
        } else if (td->dma.logging) {
            td_note("logging already runs; nothing changes");
        } else {
            dma_log_start(&td->dma, TESTDEV_MIG_PGSIZE, NULL, 0);
            td_note("logging everything at 0x%x", TESTDEV_MIG_PGSIZE);
        }
        td_reply_alloc(r, 0);
        return 0;
    case DP_GET:
        return get_bitmap(td, m, &dp, r);
    default:
        return td_fail(EINVAL,
                       "DIRTY_PAGES: flags 0x%x must be exactly one of "
                       "START (1), STOP (2) and GET_BITMAP (4)",
                       dp.flags);
    }
}

int dirty_unmap_bitmap(struct testdev *td,
                       const struct vfio_user_dma_unmap *req,
                       const struct vfio_user_bitmap *bm,
                       const struct td_dma_map *mp, struct td_reply *r)
{
    const char *cmd = "DMA_UNMAP";
    uint64_t bytes = 0;
    uint8_t *out;
    int err = check_report(td, cmd, mp->address, mp->size, bm->pgsize, &bytes);

    if (err)
        return err;
    if (bm->size != bytes)
        return td_fail(
            EINVAL,
            "%s: bitmap size %llu, but the 0x%llx-byte map at "
            "page size 0x%llx takes %llu",
            cmd, (unsigned long long)bm->size, (unsigned long long)mp->size,
            (unsigned long long)bm->pgsize, (unsigned long long)bytes);
    if (req->argsz < sizeof(*req) + sizeof(*bm) + bytes)
        return td_fail(
            EINVAL, "%s: argsz %u is smaller than the %llu-byte reply", cmd,
            req->argsz,
            (unsigned long long)(sizeof(*req) + sizeof(*bm) + bytes));
    out = td_reply_alloc(r, sizeof(*req) + sizeof(*bm) + (size_t)bytes);
    if (!out)
        return td_fail(ENOMEM, "%s: out of memory", cmd);
    memcpy(out, req, sizeof(*req));
    memcpy(out + sizeof(*req), bm, sizeof(*bm));
    return report_into(td, cmd, mp->address, mp->size, bm->pgsize,
                       out + sizeof(*req) + sizeof(*bm), bytes);
}
