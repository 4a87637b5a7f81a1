/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The controller's queues at work: nvme_ctrl_run() takes commands from
 * every submission queue whose tail moved, executes them, and posts their
 * completions with the phase tag and the SQ head (NVMe 1.4, 4.1 and 4.6);
 * one interrupt per completion queue per run, after its batch.
 *
 * A full completion queue stops its submission queues until the host
 * frees entries with the CQ head doorbell: a command is fetched only when
 * its completion has room, so none is ever dropped.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "nvme_ctrl.h"
#include "nvme_defs.h"

void nvmec_log(struct nvmec *c, const char *fmt, ...)
{
    char msg[256];
    va_list ap;

    if (c->host->log == NULL) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    c->host->log(c->host->ctx, msg);
}

uint32_t nvmec_dw(const struct nvmec_cmd *cmd, unsigned n)
{
    uint32_t v;
    memcpy(&v, cmd->sqe + 4 * n, 4);
    return v;
}

uint64_t nvmec_qw(const struct nvmec_cmd *cmd, unsigned off)
{
    uint64_t v;
    memcpy(&v, cmd->sqe + off, 8);
    return v;
}

static bool cq_full(const struct nvmec_cq *cq)
{
    return (uint16_t)((cq->tail + 1u) % cq->size) == cq->head;
}

/* A CQ entry could not be written: nowhere to report it. */
static void cqe_lost(struct nvmec *c, uint16_t cqid, uint64_t at)
{
    nvmec_log(c, "CQ %u entries at 0x%llx cannot be written: fatal status",
              cqid, (unsigned long long)at);
    c->csts |= CSTS_CFS;
}

int nvmec_flush_cqes(struct nvmec *c)
{
    int rc = 0;

    if (c->cqe_batch.n > 0) {
        rc = c->host->dma_write(c->host->ctx, c->cqe_batch.iova, c->cqe_batch.e,
                                c->cqe_batch.n * 16u);
        if (rc > 0) {
            cqe_lost(c, c->cqe_batch.cqid, c->cqe_batch.iova);
            rc = 0;
        }
        c->cqe_batch.n = 0;
    }
    return rc;
}

int nvmec_post(struct nvmec *c, uint16_t sqid, uint16_t cid, uint16_t status,
               uint32_t dw0)
{
    struct nvmec_sq *sq = &c->sq[sqid];
    uint16_t cqid = sq->cqid;
    struct nvmec_cq *cq = &c->cq[cqid];
    uint8_t e[16] = {0};
    uint64_t at = cq->base + (uint64_t)cq->tail * 16u;
    uint16_t st = (uint16_t)((status & 0xfffeu) | cq->phase);
    int rc = 0;

    memcpy(e, &dw0, 4);
    memcpy(e + 8, &sq->head, 2);
    memcpy(e + 10, &sqid, 2);
    memcpy(e + 12, &cid, 2);
    memcpy(e + 14, &st, 2);
    if (c->host->dma_direct(c->host->ctx, at, 16)) {
        /* The host may be polling this entry through the shared memory:
         * everything else must be there before the phase tag flips. */
        rc = c->host->dma_write(c->host->ctx, at, e, 14);
        atomic_thread_fence(memory_order_release);
        if (rc == 0) {
            rc = c->host->dma_write(c->host->ctx, at + 14, e + 14, 2);
        }
        if (rc > 0) {
            cqe_lost(c, cqid, at);
            return 0;
        }
    } else {
        if (c->cqe_batch.n > 0 &&
            (c->cqe_batch.cqid != cqid || c->cqe_batch.n == NVMEC_BURST ||
             c->cqe_batch.iova + c->cqe_batch.n * 16u != at)) {
            rc = nvmec_flush_cqes(c);
        }
        if (c->cqe_batch.n == 0) {
            c->cqe_batch.cqid = cqid;
            c->cqe_batch.iova = at;
        }
        memcpy(c->cqe_batch.e + 16u * c->cqe_batch.n++, e, 16);
    }
    if (rc < 0) {
        return rc;
    }
    if (++cq->tail == cq->size) {
        cq->tail = 0;
        cq->phase ^= 1u;
    }
    cq->notify = true;
    return 0;
}

void nvmec_errlog(struct nvmec *c, uint16_t sqid, uint16_t cid, uint16_t status,
                  uint64_t lba, uint32_t nsid)
{
    struct nvmec_errlog_entry *e = &c->errlog[c->error_count % NVMEC_ERRLOG];

    c->error_count++;
    *e = (struct nvmec_errlog_entry){.count = c->error_count,
                                     .sqid = sqid,
                                     .cid = cid,
                                     .status = status,
                                     .lba = lba,
                                     .nsid = nsid};
}

int nvmec_delete_sq(struct nvmec *c, uint16_t qid, bool post)
{
    unsigned i = 0;

    while (i < c->nheld) {
        if (c->held[i].sqid != qid) {
            i++;
            continue;
        }
        if (post && !cq_full(&c->cq[c->sq[qid].cqid])) {
            int rc = nvmec_post(c, qid, c->held[i].cid,
                                NVMEC_ST(SCT_GENERIC, SC_ABORT_SQ_DELETED), 0);
            if (rc < 0) {
                return rc;
            }
        }
        c->held[i] = c->held[--c->nheld];
    }
    if (c->sq[qid].valid && c->cq[c->sq[qid].cqid].nsq > 0) {
        c->cq[c->sq[qid].cqid].nsq--;
    }
    c->sq[qid] = (struct nvmec_sq){0};
    return 0;
}

static uint16_t cq_room(const struct nvmec_cq *cq)
{
    return (uint16_t)((cq->head + cq->size - cq->tail - 1u) % cq->size);
}

/* Execute and complete one fetched command of SQ @p qid. */
static int run_cmd(struct nvmec *c, uint16_t qid, const uint8_t *sqe)
{
    struct nvmec_sq *sq = &c->sq[qid];
    struct nvmec_cmd cmd = {.sqid = qid};
    uint16_t cid, status;

    memcpy(cmd.sqe, sqe, 64);
    memcpy(&cid, cmd.sqe + 2, 2);
    sq->head = (uint16_t)((sq->head + 1u) % sq->size);
    if ((cmd.sqe[1] & 0xc3u) != 0) {
        /* Fused operations and SGLs (PSDT) are not supported. */
        status = NVMEC_ST(SCT_GENERIC, SC_INVALID_FIELD);
    } else if (qid == 0) {
        status = nvmec_admin(c, &cmd);
    } else {
        status = nvmec_io(c, &cmd);
    }
    if (cmd.fatal < 0) {
        return cmd.fatal;
    }
    if (cmd.hold) {
        if (c->nheld < NVMEC_HELD_MAX) {
            c->held[c->nheld++] =
                (struct nvmec_held){.sqid = qid, .cid = cid, .aer = cmd.aer};
            return 0;
        }
        status = NVMEC_ST(SCT_GENERIC, SC_INTERNAL);
    }
    if (status != 0) {
        nvmec_errlog(c, qid, cid, status, cmd.lba, nvmec_dw(&cmd, 1));
        nvmec_log(c, "SQ %u command %u opcode 0x%02x: status 0x%04x", qid, cid,
                  cmd.sqe[0], status);
    }
    return nvmec_post(c, qid, cid, status, cmd.dw0);
}

/*
 * Take up to NVMEC_BURST adjacent commands of SQ @p qid in one read (one
 * DMA_READ message where the SQ is not shared), as many as its CQ has
 * room for, and run them.
 * @return the number run, or a negative errno (the connection ends).
 */
static int run_burst(struct nvmec *c, uint16_t qid)
{
    struct nvmec_sq *sq = &c->sq[qid];
    uint8_t sqe[NVMEC_BURST * 64];
    uint16_t avail = (uint16_t)((sq->tail + sq->size - sq->head) % sq->size);
    uint16_t n = (uint16_t)(sq->size - sq->head);
    uint64_t at = sq->base + (uint64_t)sq->head * 64u;

    if (avail < n) {
        n = avail;
    }
    if (cq_room(&c->cq[sq->cqid]) < n) {
        n = cq_room(&c->cq[sq->cqid]);
    }
    /* Arbitration Burst: 2^AB commands at a time, 7 for no limit. */
    uint32_t ab = c->feat[FEAT_ARBITRATION] & 7u;
    uint16_t burst = ab == 7 ? NVMEC_BURST : (uint16_t)(1u << ab);
    if (n > burst) {
        n = burst;
    }
    int rc = c->host->dma_read(c->host->ctx, at, sqe, n * 64u);
    if (rc < 0) {
        return rc;
    }
    if (rc > 0) {
        nvmec_log(c, "SQ %u entries at 0x%llx cannot be read: fatal status",
                  qid, (unsigned long long)at);
        c->csts |= CSTS_CFS;
        return 0;
    }
    for (uint16_t i = 0; i < n; i++) {
        /* A command may have deleted the queue or stopped the controller;
         * what was read past that point is read again if it still
         * counts. */
        if (!sq->valid || (c->csts & CSTS_CFS) || cq_full(&c->cq[sq->cqid])) {
            return i;
        }
        rc = run_cmd(c, qid, sqe + 64u * i);
        if (rc < 0) {
            return rc;
        }
    }
    return n;
}

int nvme_ctrl_run(struct nvmec *c)
{
    struct nvmec_pci_state st;
    bool progress = true;

    c->work = false;
    nvmec_deliver_pending(c);
    nvmec_update_ready(c);
    c->host->pci_state(c->host->ctx, &st);
    /* Without bus mastering the device cannot fetch anything; the
     * doorbells stay recorded for when it is enabled. */
    if (!st.bus_master || !(c->csts & CSTS_RDY) || (c->csts & CSTS_CFS) ||
        CC_SHN(c->cc) != 0) {
        return 0;
    }
    /* Round robin (CC.AMS 0), a burst per queue per turn. */
    while (progress) {
        progress = false;
        for (uint16_t q = 0; q < NVMEC_NQ; q++) {
            struct nvmec_sq *sq = &c->sq[q];
            if (!sq->valid || sq->head == sq->tail ||
                cq_full(&c->cq[sq->cqid]) || (c->csts & CSTS_CFS)) {
                continue;
            }
            int rc = run_burst(c, q);
            if (rc < 0) {
                return rc;
            }
            progress = progress || rc > 0;
        }
    }
    int rc = nvmec_deliver_events(c);
    if (rc < 0) {
        return rc;
    }
    /* The entries before the interrupts that announce them. */
    rc = nvmec_flush_cqes(c);
    if (rc < 0) {
        return rc;
    }
    for (uint16_t q = 0; q < NVMEC_NQ; q++) {
        if (c->cq[q].valid && c->cq[q].notify) {
            c->cq[q].notify = false;
            nvmec_raise(c, q);
        }
    }
    return 0;
}

/* ---- Power --------------------------------------------------------------- */

void nvme_ctrl_reset(struct nvmec *c)
{
    nvmec_ctrl_disable(c);
    c->cc = c->aqa = 0;
    c->asq = c->acq = 0;
    c->work = false;
    nvmec_msix_reset(c);
    c->power_cycles++;
}

int nvme_ctrl_init(struct nvmec *c, const struct nvmec_config *cfg,
                   const struct nvmec_host *host, char *err, size_t errlen)
{
    uint32_t to = cfg->ready_ms / 500u + 1u; /* CAP.TO, 500 ms units */

    memset(c, 0, sizeof(*c));
    c->cfg = *cfg;
    c->host = host;
    c->backing_fd = -1;
    if (cfg->dstrd > NVMEC_MAX_DSTRD || to > 255) {
        snprintf(err, errlen,
                 "doorbell stride %u (0 to %u) or ready delay "
                 "%u ms out of range",
                 cfg->dstrd, NVMEC_MAX_DSTRD, cfg->ready_ms);
        return -EINVAL;
    }
    int rc = nvmec_backing_open(c, err, errlen);
    if (rc < 0) {
        return rc;
    }
    /* MQES, CQR (contiguous queues required), TO, DSTRD, CSS NVM,
     * MPSMIN = MPSMAX = 0 (4 KiB pages). */
    c->cap = NVMEC_MQES | (1ull << 16) | ((uint64_t)to << 24) |
             ((uint64_t)cfg->dstrd << 32) | (1ull << 37);
    c->power_on_ns = host->now_ns();
    nvme_ctrl_reset(c);
    c->power_cycles = 1;
    return 0;
}

void nvme_ctrl_fini(struct nvmec *c)
{
    nvmec_backing_close(c);
}
