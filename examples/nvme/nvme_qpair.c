/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Queue pairs: building submission entries and their PRPs, reaping
 * completion entries by their phase tag, the doorbells, and what happens
 * to commands the controller does not complete in time.
 *
 * Nothing in a completion entry is trusted: a command identifier that
 * names no outstanding command, or an SQ head beyond the queue, is counted
 * and reported instead of being acted on.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <vuc/vuc.h>

#include "nvme_drv_internal.h"

uint64_t nvme_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static size_t pages(size_t bytes)
{
    return (bytes + NVME_PAGE - 1) / NVME_PAGE;
}

size_t nvme_qpair_mem(uint16_t depth, bool prp_lists)
{
    size_t n = pages((size_t)depth * sizeof(struct nvme_sqe)) +
               pages((size_t)depth * sizeof(struct nvme_cqe));
    if (prp_lists) {
        n += depth; /* one PRP list page per command */
    }
    return n * NVME_PAGE;
}

void nvme_qpair_init(struct nvme_qpair *q, struct nvme_drv *d, uint16_t qid,
                     uint16_t depth, uint16_t vector, uint8_t *va,
                     uint64_t iova, bool prp_lists)
{
    size_t sq_bytes =
        pages((size_t)depth * sizeof(struct nvme_sqe)) * NVME_PAGE;
    size_t cq_bytes =
        pages((size_t)depth * sizeof(struct nvme_cqe)) * NVME_PAGE;

    q->d = d;
    q->qid = qid;
    q->depth = depth;
    q->vector = vector;
    q->sq = (struct nvme_sqe *)va;
    q->sq_iova = iova;
    q->cq = (struct nvme_cqe *)(va + sq_bytes);
    q->cq_iova = iova + sq_bytes;
    q->sq_db = NVME_REG_DBS + (2u * qid) * d->dstrd_bytes;
    q->cq_db = NVME_REG_DBS + (2u * qid + 1u) * d->dstrd_bytes;
    q->sq_tail = q->sq_head = q->cq_head = 0;
    q->phase = 1; /* a new CQ is zeroed: the first pass has phase 1 */
    q->inflight = 0;
    q->sq_ring = false;
    memset(q->cq, 0, cq_bytes);
    uint8_t *prp = va + sq_bytes + cq_bytes;
    for (uint16_t i = 0; i < depth; i++) {
        struct nvme_slot *s = &q->slots[i];
        memset(s, 0, sizeof(*s));
        s->next_free = i + 1 < depth ? i + 1 : UINT16_MAX;
        if (prp_lists) {
            size_t off = (size_t)i * NVME_PAGE;
            s->prp = (uint64_t *)(prp + off);
            s->prp_iova = iova + sq_bytes + cq_bytes + off;
        }
    }
    q->free_head = 0;
}

/* PRP1, PRP2 and, past two pages, the PRP list (NVMe 1.4, 4.3). */
static int build_prps(struct nvme_qpair *q, struct nvme_slot *s,
                      struct nvme_sqe *e, uint64_t iova, size_t len)
{
    if (len == 0) {
        return 0;
    }
    if ((iova & 3u) != 0) {
        return nvme_drv_fail(q->d, -EINVAL,
                             "data at 0x%llx: PRP offsets must be dword "
                             "aligned",
                             (unsigned long long)iova);
    }
    e->prp1 = iova;
    size_t first = NVME_PAGE - (iova & (NVME_PAGE - 1));
    if (len <= first) {
        return 0;
    }
    uint64_t next = iova + first;
    size_t rest = len - first;
    if (rest <= NVME_PAGE) {
        e->prp2 = next;
        return 0;
    }
    size_t n = pages(rest);
    if (s->prp == NULL || n > NVME_PAGE / sizeof(uint64_t)) {
        return nvme_drv_fail(q->d, -EINVAL,
                             "%zu bytes need more PRP list entries than the "
                             "driver keeps per command",
                             len);
    }
    e->prp2 = s->prp_iova;
    for (size_t i = 0; i < n; i++) {
        s->prp[i] = next + (uint64_t)i * NVME_PAGE;
    }
    return 0;
}

int nvme_qpair_submit(struct nvme_qpair *q, const struct nvme_sqe *cmd,
                      uint64_t iova, size_t len, nvme_cmd_cb cb, void *arg)
{
    struct nvme_drv *d = q->d;

    if (d->lost) {
        return nvme_drv_fail(d, -ENOTCONN, "the connection is lost");
    }
    uint16_t next_tail = (uint16_t)((q->sq_tail + 1u) % q->depth);
    if (next_tail == q->sq_head || q->free_head == UINT16_MAX) {
        return -EAGAIN;
    }
    uint16_t cid = q->free_head;
    struct nvme_slot *s = &q->slots[cid];
    struct nvme_sqe e = *cmd;
    e.cid = cid;
    e.flags = 0; /* not fused, PRPs */
    e.prp1 = e.prp2 = 0;
    int rc = build_prps(q, s, &e, iova, len);
    if (rc < 0) {
        return rc;
    }
    q->free_head = s->next_free;
    s->cb = cb;
    s->arg = arg;
    s->state = SLOT_BUSY;
    s->opc = e.opc;
    s->deadline_ns = nvme_now_ns() + d->timeout_ns;
    q->sq[q->sq_tail] = e;
    q->sq_tail = next_tail;
    q->inflight++;
    q->sq_ring = true;
    if (!d->reaping && !d->plugged) {
        nvme_qpair_ring(q);
    }
    nvme_drv_arm_timer(d);
    return 0;
}

void nvme_qpair_ring(struct nvme_qpair *q)
{
    if (q->sq_ring && !q->d->lost) {
        /* The entries must be in memory before the controller hears of
         * them; the doorbell's path (socket or eventfd) is a syscall, but
         * say so for the compiler too. */
        atomic_thread_fence(memory_order_release);
        nvme_drv_doorbell(q->d, q->sq_db, q->sq_tail);
    }
    q->sq_ring = false;
}

static void slot_free(struct nvme_qpair *q, uint16_t cid)
{
    struct nvme_slot *s = &q->slots[cid];
    s->state = SLOT_FREE;
    s->cb = NULL;
    s->next_free = q->free_head;
    q->free_head = cid;
}

static void complete(struct nvme_qpair *q, uint16_t cid, uint16_t status,
                     uint32_t dw0)
{
    struct nvme_drv *d = q->d;
    struct nvme_slot *s = &q->slots[cid];
    uint8_t state = s->state;
    nvme_cmd_cb cb = s->cb;
    void *arg = s->arg;

    if (state == SLOT_FREE) {
        nvme_drv_fail(d, -EPROTO,
                      "queue %u: completion for command %u, which is not "
                      "outstanding",
                      q->qid, cid);
        return;
    }
    /* Free the slot before the callback, which may submit into it. */
    slot_free(q, cid);
    if (state == SLOT_LOST) {
        return; /* its callback ran when we gave up on it */
    }
    q->inflight--;
    status &= 0xfffeu;
    if (state == SLOT_ABORTING && NVME_CQE_SCT(status) == NVME_SCT_GENERIC &&
        NVME_CQE_SC(status) == NVME_SC_ABORT_REQ) {
        d->stats.timeouts++;
        cb(arg, -ETIMEDOUT, status, dw0);
        return;
    }
    cb(arg, 0, status, dw0);
}

unsigned nvme_qpair_reap(struct nvme_qpair *q)
{
    struct nvme_drv *d = q->d;
    bool outer = !d->reaping;
    unsigned n = 0;

    d->reaping = true;
    for (;;) {
        struct nvme_cqe *e = &q->cq[q->cq_head];
        /* The phase tag says the entry is new; read the rest after it. */
        uint16_t status = __atomic_load_n(&e->status, __ATOMIC_ACQUIRE);
        if ((status & 1u) != q->phase) {
            break;
        }
        uint16_t cid = e->cid, sqhd = e->sqhd;
        uint32_t dw0 = e->dw0;
        if (++q->cq_head == q->depth) {
            q->cq_head = 0;
            q->phase ^= 1u;
        }
        n++;
        if (sqhd >= q->depth) {
            nvme_drv_fail(d, -EPROTO,
                          "queue %u: completion reports SQ head %u, the "
                          "queue has %u entries",
                          q->qid, sqhd, q->depth);
        } else {
            q->sq_head = sqhd;
        }
        if (cid >= q->depth) {
            nvme_drv_fail(d, -EPROTO,
                          "queue %u: completion for command %u, the queue "
                          "has %u entries",
                          q->qid, cid, q->depth);
            continue;
        }
        complete(q, cid, status, dw0);
        if (d->lost) {
            break;
        }
    }
    if (n > 0 && !d->lost) {
        nvme_drv_doorbell(d, q->cq_db, q->cq_head);
    }
    if (outer) {
        d->reaping = false;
        if (!d->plugged) {
            nvme_drv_ring_all(d);
        }
    }
    return n;
}

void nvme_qpair_fail_all(struct nvme_qpair *q, int err)
{
    for (uint16_t cid = 0; q->slots != NULL && cid < q->depth; cid++) {
        struct nvme_slot *s = &q->slots[cid];
        if (s->state == SLOT_BUSY || s->state == SLOT_ABORTING) {
            s->state = SLOT_LOST;
            q->inflight--;
            s->cb(s->arg, err, 0, 0);
        }
    }
}

static void abort_done(void *arg, int err, uint16_t status, uint32_t dw0)
{
    (void)arg;
    (void)err;
    (void)status;
    (void)dw0;
    /* Whether the Abort found the command (DW0 bit 0) does not matter: the
     * command's own completion, or its second deadline, decides. */
}

void nvme_qpair_check_timeouts(struct nvme_qpair *q, uint64_t now)
{
    struct nvme_drv *d = q->d;

    for (uint16_t cid = 0; cid < q->depth && q->inflight > 0; cid++) {
        struct nvme_slot *s = &q->slots[cid];
        if ((s->state != SLOT_BUSY && s->state != SLOT_ABORTING) ||
            now < s->deadline_ns) {
            continue;
        }
        bool is_abort = q->qid == 0 && s->opc == NVME_ADM_ABORT;
        if (s->state == SLOT_BUSY && !is_abort) {
            struct nvme_sqe a = {.opc = NVME_ADM_ABORT,
                                 .cdw10 = q->qid | ((uint32_t)cid << 16)};
            if (nvme_qpair_submit(&d->admin, &a, 0, 0, abort_done, NULL) == 0) {
                d->stats.aborts_sent++;
                s->state = SLOT_ABORTING;
                s->deadline_ns = now + d->timeout_ns;
            }
            continue; /* a full admin queue: try again at the next tick */
        }
        nvme_cmd_cb cb = s->cb;
        void *arg = s->arg;
        s->state = SLOT_LOST;
        q->inflight--;
        d->stats.timeouts++;
        cb(arg, -ETIMEDOUT, 0, 0);
    }
}
