/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * BAR0 of the NVMe controller: the controller registers (NVMe 1.4, 3.1),
 * the doorbells at CAP.DSTRD's stride, and the MSI-X table and PBA (PCI
 * Local Bus 3.0, 6.8.2), with the interrupts they gate.
 *
 * While COMMAND.MSE is clear BAR0 does not decode: reads return all ones
 * and writes are dropped, as on a bus where nothing answers.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "nvme_ctrl.h"
#include "nvme_defs.h"

static uint32_t db_stride(const struct nvmec *c)
{
    return 4u << c->cfg.dstrd;
}

static uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* ---- Interrupts ---------------------------------------------------------- */

static bool vector_masked(const struct nvmec *c, uint32_t v,
                          const struct nvmec_pci_state *st)
{
    return st->msix_fmask || (c->msix[v][3] & 1u);
}

void nvmec_raise(struct nvmec *c, uint16_t cqid)
{
    struct nvmec_cq *cq = &c->cq[cqid];
    struct nvmec_pci_state st;

    if (!cq->ien) {
        return;
    }
    c->host->pci_state(c->host->ctx, &st);
    if (st.msix_enable) {
        if (cq->iv >= NVMEC_MSIX_VECTORS) {
            return;
        }
        if (vector_masked(c, cq->iv, &st)) {
            c->pba |= 1ull << cq->iv; /* delivered when unmasked */
        } else {
            c->host->irq(c->host->ctx, true, cq->iv);
        }
        return;
    }
    /* Pin-based: one line; INTMS masks it (vector 0 is the only one). */
    if (!st.intx_disable && !(c->intms & 1u)) {
        c->host->irq(c->host->ctx, false, 0);
    }
}

/* Vectors whose mask went away while they were pending. */
void nvmec_deliver_pending(struct nvmec *c)
{
    struct nvmec_pci_state st;

    if (c->pba == 0) {
        return;
    }
    c->host->pci_state(c->host->ctx, &st);
    if (!st.msix_enable) {
        return;
    }
    for (uint32_t v = 0; v < NVMEC_MSIX_VECTORS; v++) {
        if ((c->pba & (1ull << v)) && !vector_masked(c, v, &st)) {
            c->pba &= ~(1ull << v);
            c->host->irq(c->host->ctx, true, v);
        }
    }
}

/* Completions still waiting in a CQ after INTMC unmasked the line. */
static void intx_recheck(struct nvmec *c)
{
    for (uint16_t q = 0; q < NVMEC_NQ; q++) {
        if (c->cq[q].valid && c->cq[q].head != c->cq[q].tail) {
            nvmec_raise(c, q);
            return;
        }
    }
}

void nvmec_msix_reset(struct nvmec *c)
{
    memset(c->msix, 0, sizeof(c->msix));
    for (uint32_t v = 0; v < NVMEC_MSIX_VECTORS; v++) {
        c->msix[v][3] = 1u; /* masked at reset */
    }
    c->pba = 0;
}

/* ---- Controller state ---------------------------------------------------- */

void nvmec_ctrl_disable(struct nvmec *c)
{
    for (uint16_t q = NVMEC_NQ; q-- > 1;) {
        nvmec_delete_sq(c, q, false);
    }
    memset(c->sq, 0, sizeof(c->sq));
    memset(c->cq, 0, sizeof(c->cq));
    c->nheld = 0;
    c->csts = 0;
    c->enabling = false;
    nvmec_features_reset(c);
    c->intms = 0;
}

/* CC.EN 0 -> 1: the admin queues from AQA/ASQ/ACQ, RDY after the delay.
 * A configuration the controller cannot run is a fatal status. */
static void enable(struct nvmec *c)
{
    uint32_t asqs = (c->aqa & 0xfffu) + 1, acqs = ((c->aqa >> 16) & 0xfffu) + 1;

    if (CC_CSS(c->cc) != 0 || CC_MPS(c->cc) != 0 || CC_AMS(c->cc) != 0 ||
        asqs < 2 || acqs < 2 || asqs > NVMEC_MQES + 1 ||
        acqs > NVMEC_MQES + 1) {
        nvmec_log(c, "CC 0x%x with AQA 0x%x cannot be enabled: fatal status",
                  c->cc, c->aqa);
        c->csts |= CSTS_CFS;
        return;
    }
    c->sq[0] = (struct nvmec_sq){
        .valid = true, .base = c->asq & ~0xfffull, .size = (uint16_t)asqs};
    c->cq[0] = (struct nvmec_cq){.valid = true,
                                 .ien = true,
                                 .base = c->acq & ~0xfffull,
                                 .size = (uint16_t)acqs,
                                 .phase = 1,
                                 .nsq = 1};
    c->enabling = true;
    c->ready_at_ns = c->host->now_ns() + (uint64_t)c->cfg.ready_ms * 1000000u;
}

static void write_cc(struct nvmec *c, uint32_t v)
{
    uint32_t old = c->cc;

    /* Writable: EN, CSS, MPS, AMS, SHN, IOSQES, IOCQES. */
    c->cc = v & 0x00fffff1u;
    if (!(old & CC_EN) && (c->cc & CC_EN)) {
        enable(c);
    } else if ((old & CC_EN) && !(c->cc & CC_EN)) {
        nvmec_ctrl_disable(c);
    }
    if (CC_SHN(c->cc) != 0 && CC_SHN(old) == 0) {
        /* Commands run to completion as they arrive, so nothing is in
         * flight but what a quirk holds; the data reaches the backing
         * file before the shutdown reports complete. */
        if (c->backing_fd >= 0) {
            (void)fdatasync(c->backing_fd);
        }
        c->csts = (c->csts & ~(3u << 2)) | CSTS_SHST_DONE;
    }
}

void nvmec_update_ready(struct nvmec *c)
{
    if (c->enabling && c->host->now_ns() >= c->ready_at_ns) {
        c->enabling = false;
        c->csts |= CSTS_RDY;
    }
}

static uint32_t read_csts(struct nvmec *c)
{
    nvmec_update_ready(c);
    return c->csts;
}

/* ---- Register file ------------------------------------------------------- */

static uint32_t reg_read32(struct nvmec *c, uint32_t off)
{
    switch (off) {
    case NVR_CAP:
        return (uint32_t)c->cap;
    case NVR_CAP + 4:
        return (uint32_t)(c->cap >> 32);
    case NVR_VS:
        return 0x00010400u;
    case NVR_INTMS:
    case NVR_INTMC:
        return c->intms;
    case NVR_CC:
        return c->cc;
    case NVR_CSTS:
        return read_csts(c);
    case NVR_AQA:
        return c->aqa;
    case NVR_ASQ:
        return (uint32_t)c->asq;
    case NVR_ASQ + 4:
        return (uint32_t)(c->asq >> 32);
    case NVR_ACQ:
        return (uint32_t)c->acq;
    case NVR_ACQ + 4:
        return (uint32_t)(c->acq >> 32);
    default:
        return 0; /* reserved, and doorbells read as 0 */
    }
}

/* The host has nothing to learn this from but an asynchronous event
 * (Invalid Doorbell Register / Write Value) and the error log. */
static void bad_doorbell(struct nvmec *c, uint16_t qid, uint32_t v, bool exists,
                         const char *q, const char *which)
{
    nvmec_log(c, "%s %u %s doorbell %u: %s", q, qid, which, v,
              exists ? "beyond the queue" : "no such queue");
    nvmec_errlog(c, qid, 0xffff, 0, 0, 0);
    nvmec_event(c, AEN_TYPE_ERROR,
                exists ? AEN_INVALID_DB_VALUE : AEN_INVALID_DB_REG, LOG_ERROR);
}

static void doorbell(struct nvmec *c, uint32_t off, uint32_t v)
{
    uint32_t idx = (off - NVR_DOORBELLS) / db_stride(c);
    uint16_t qid = (uint16_t)(idx / 2);

    if ((off - NVR_DOORBELLS) % db_stride(c) != 0 || qid >= NVMEC_NQ) {
        nvmec_log(c, "write to BAR0+0x%x: no doorbell there", off);
        return;
    }
    if (idx % 2 == 0) {
        struct nvmec_sq *sq = &c->sq[qid];
        if (!sq->valid || v >= sq->size) {
            bad_doorbell(c, qid, v, sq->valid, "SQ", "tail");
            return;
        }
        sq->tail = (uint16_t)v;
        c->work = true;
        return;
    }
    struct nvmec_cq *cq = &c->cq[qid];
    if (!cq->valid || v >= cq->size) {
        bad_doorbell(c, qid, v, cq->valid, "CQ", "head");
        return;
    }
    cq->head = (uint16_t)v;
    /* Room in a CQ may let a stopped SQ go on. */
    c->work = true;
}

static void reg_write32(struct nvmec *c, uint32_t off, uint32_t v)
{
    switch (off) {
    case NVR_INTMS:
        c->intms |= v;
        return;
    case NVR_INTMC:
        c->intms &= ~v;
        intx_recheck(c);
        return;
    case NVR_CC:
        write_cc(c, v);
        return;
    case NVR_AQA:
        c->aqa = v & 0x0fff0fffu;
        return;
    case NVR_ASQ:
        c->asq = (c->asq & ~0xffffffffull) | (v & ~0xfffu);
        return;
    case NVR_ASQ + 4:
        c->asq = (c->asq & 0xffffffffull) | (uint64_t)v << 32;
        return;
    case NVR_ACQ:
        c->acq = (c->acq & ~0xffffffffull) | (v & ~0xfffu);
        return;
    case NVR_ACQ + 4:
        c->acq = (c->acq & 0xffffffffull) | (uint64_t)v << 32;
        return;
    default:
        if (off >= NVR_DOORBELLS && off < NVMEC_MSIX_TABLE) {
            doorbell(c, off, v);
        }
        return; /* read-only and reserved registers ignore writes */
    }
}

const char *nvme_bar_check(const struct nvmec *c, uint64_t off, uint32_t count)
{
    (void)c;
    if (count == 4 && off % 4 == 0) {
        return NULL;
    }
    if (count == 8 && off % 8 == 0 &&
        (off == NVR_CAP || off == NVR_ASQ || off == NVR_ACQ ||
         (off >= NVMEC_MSIX_TABLE && off < NVMEC_BAR0_SIZE))) {
        return NULL;
    }
    return "NVMe registers take aligned 32-bit accesses (64-bit for CAP, "
           "ASQ, ACQ and MSI-X)";
}

void nvme_bar_read(struct nvmec *c, uint64_t off, uint32_t count, uint8_t *buf)
{
    struct nvmec_pci_state st;

    c->host->pci_state(c->host->ctx, &st);
    if (!st.memory || nvme_bar_check(c, off, count) != NULL) {
        memset(buf, 0xff, count);
        return;
    }
    for (uint32_t i = 0; i < count; i += 4) {
        uint32_t o = (uint32_t)off + i, v;
        if (o >= NVMEC_MSIX_PBA) {
            uint32_t bit = (o - NVMEC_MSIX_PBA) * 8;
            v = bit < 64 ? (uint32_t)(c->pba >> bit) : 0;
        } else if (o >= NVMEC_MSIX_TABLE) {
            uint32_t e = (o - NVMEC_MSIX_TABLE) / 16;
            v = e < NVMEC_MSIX_VECTORS ? c->msix[e][(o % 16) / 4] : 0;
        } else {
            v = reg_read32(c, o);
        }
        memcpy(buf + i, &v, 4);
    }
}

bool nvme_bar_write(struct nvmec *c, uint64_t off, uint32_t count,
                    const uint8_t *buf)
{
    struct nvmec_pci_state st;

    c->host->pci_state(c->host->ctx, &st);
    if (!st.memory || nvme_bar_check(c, off, count) != NULL) {
        return false;
    }
    for (uint32_t i = 0; i < count; i += 4) {
        uint32_t o = (uint32_t)off + i, v = rd32(buf + i);
        if (o >= NVMEC_MSIX_PBA) {
            continue; /* the PBA is read-only */
        }
        if (o >= NVMEC_MSIX_TABLE) {
            uint32_t e = (o - NVMEC_MSIX_TABLE) / 16;
            if (e < NVMEC_MSIX_VECTORS) {
                /* Vector control: only the mask bit is defined. */
                c->msix[e][(o % 16) / 4] = (o % 16) == 12 ? (v & 1u) : v;
                c->work = c->work || (c->pba & (1ull << e));
            }
            continue;
        }
        reg_write32(c, o, v);
    }
    return c->work;
}
