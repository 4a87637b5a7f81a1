/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Admin commands (NVMe 1.4, 5): Identify (CNS 0, 1, 2), Create and Delete
 * I/O Submission and Completion Queue, Get and Set Features (Number of
 * Queues, Interrupt Coalescing), Get Log Page (Error Information, SMART /
 * Health Information) and Abort. Each check names the status the
 * specification gives for what is wrong.
 */
#include <string.h>

#include "nvme_ctrl.h"
#include "nvme_defs.h"

#define ST_GEN(sc) NVMEC_ST(SCT_GENERIC, sc)
#define ST_CMD(sc) (uint16_t)(NVMEC_ST(SCT_CMD, sc) | NVMEC_DNR)

static void put16(uint8_t *p, uint16_t v)
{
    memcpy(p, &v, 2);
}

static void put32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
    memcpy(p, &v, 8);
}

static void ascii(uint8_t *p, const char *s, size_t n)
{
    size_t l = strlen(s);
    memset(p, ' ', n);
    memcpy(p, s, l < n ? l : n);
}

/* ---- Identify ------------------------------------------------------------ */

static void id_ctrl(const struct nvmec *c, uint8_t *d)
{
    put16(d + 0, 0x1b36); /* VID: the test device's vendor */
    put16(d + 2, 0x1b36); /* SSVID */
    ascii(d + 4, "VUCNVME0001", 20);
    ascii(d + 24, "vuc-testdev NVMe controller", 40);
    ascii(d + 64, "1.0", 8);
    d[72] = 0;                  /* RAB */
    d[77] = NVMEC_MDTS;         /* MDTS, in CAP.MPSMIN units */
    put16(d + 78, 1);           /* CNTLID */
    put32(d + 80, 0x00010400u); /* VER 1.4 */
    d[111] = 1;                 /* CNTRLTYPE: I/O controller */
    put16(d + 256, 0);          /* OACS: no optional admin commands */
    d[258] = 3;                 /* ACL: 4 concurrent Aborts */
    d[259] = NVMEC_AERL;        /* AERL: 4 outstanding event requests */
    d[260] = 0x3;               /* FRMW: slot 1 read-only, one slot */
    d[261] = 0;                 /* LPA: SMART for the controller as a whole */
    d[262] = NVMEC_ERRLOG - 1;  /* ELPE */
    put16(d + 266, 300 + 70);   /* WCTEMP, Kelvin */
    put16(d + 268, 300 + 85);   /* CCTEMP */
    d[512] = 0x66;              /* SQES: 64 bytes */
    d[513] = 0x44;              /* CQES: 16 bytes */
    put32(d + 516, 1);          /* NN */
    put16(d + 520, 1u << 3);    /* ONCS: Write Zeroes */
    d[525] = 0x7;          /* VWC: present, Flush takes the broadcast NSID */
    put16(d + 2048, 2500); /* power state 0: 25 W max */
    (void)c;
}

static void id_ns(const struct nvmec *c, uint8_t *d)
{
    put64(d + 0, c->nsze);                  /* NSZE */
    put64(d + 8, c->nsze);                  /* NCAP */
    put64(d + 16, c->nsze);                 /* NUSE */
    d[25] = 0;                              /* NLBAF: one format */
    d[26] = 0;                              /* FLBAS: format 0, no metadata */
    put32(d + 128, c->cfg.lba_shift << 16); /* LBAF0: LBADS, no MS */
}

static uint16_t identify(struct nvmec *c, struct nvmec_cmd *cmd)
{
    uint8_t d[4096] = {0};
    uint32_t nsid = nvmec_dw(cmd, 1), cns = nvmec_dw(cmd, 10) & 0xffu;

    switch (cns) {
    case 0x00:
        /* FFFFFFFFh (capabilities common to all namespaces) only goes
         * with Namespace Management, which this controller lacks. */
        if (nsid != 1) {
            return ST_GEN(SC_INVALID_NS) | NVMEC_DNR;
        }
        id_ns(c, d);
        break;
    case 0x01:
        id_ctrl(c, d);
        break;
    case 0x02:
        if (nsid >= 0xfffffffeu) {
            return ST_GEN(SC_INVALID_NS) | NVMEC_DNR;
        }
        if (nsid < 1) {
            put32(d, 1); /* the active NSIDs above nsid */
        }
        break;
    default:
        return ST_GEN(SC_INVALID_FIELD) | NVMEC_DNR;
    }
    return nvmec_prp_xfer(c, cmd, d, sizeof(d), true);
}

/* ---- Queues -------------------------------------------------------------- */

static uint16_t create_cq(struct nvmec *c, struct nvmec_cmd *cmd)
{
    uint32_t dw10 = nvmec_dw(cmd, 10), dw11 = nvmec_dw(cmd, 11);
    uint16_t qid = (uint16_t)dw10, size = (uint16_t)((dw10 >> 16) + 1u);
    uint16_t iv = (uint16_t)(dw11 >> 16);
    uint64_t prp1 = nvmec_qw(cmd, 24);
    struct nvmec_pci_state st;

    if (qid == 0 || qid > c->ncqa + 1u || c->cq[qid].valid) {
        return ST_CMD(SC_INVALID_QID);
    }
    if ((dw10 >> 16) == 0 || (dw10 >> 16) > NVMEC_MQES) {
        return ST_CMD(SC_INVALID_QSIZE);
    }
    if (!(dw11 & 1u)) {
        return ST_GEN(SC_INVALID_FIELD) | NVMEC_DNR; /* CAP.CQR */
    }
    c->host->pci_state(c->host->ctx, &st);
    if ((dw11 & 2u) && (st.msix_enable ? iv >= NVMEC_MSIX_VECTORS : iv != 0)) {
        return ST_CMD(SC_INVALID_VECTOR);
    }
    if ((prp1 & 0xfffu) != 0) {
        return ST_GEN(SC_INVALID_PRP_OFFSET) | NVMEC_DNR;
    }
    if (CC_IOCQES(c->cc) != 4) {
        return ST_GEN(SC_INVALID_FIELD) | NVMEC_DNR; /* entry size unset */
    }
    c->cq[qid] = (struct nvmec_cq){.valid = true,
                                   .ien = (dw11 & 2u) != 0,
                                   .base = prp1,
                                   .size = size,
                                   .phase = 1,
                                   .iv = iv};
    return 0;
}

static uint16_t create_sq(struct nvmec *c, struct nvmec_cmd *cmd)
{
    uint32_t dw10 = nvmec_dw(cmd, 10), dw11 = nvmec_dw(cmd, 11);
    uint16_t qid = (uint16_t)dw10, size = (uint16_t)((dw10 >> 16) + 1u);
    uint16_t cqid = (uint16_t)(dw11 >> 16);
    uint64_t prp1 = nvmec_qw(cmd, 24);

    if (qid == 0 || qid > c->nsqa + 1u || c->sq[qid].valid) {
        return ST_CMD(SC_INVALID_QID);
    }
    if (cqid == 0 || cqid >= NVMEC_NQ || !c->cq[cqid].valid) {
        return ST_CMD(SC_CQ_INVALID);
    }
    if ((dw10 >> 16) == 0 || (dw10 >> 16) > NVMEC_MQES) {
        return ST_CMD(SC_INVALID_QSIZE);
    }
    if (!(dw11 & 1u)) {
        return ST_GEN(SC_INVALID_FIELD) | NVMEC_DNR;
    }
    if ((prp1 & 0xfffu) != 0) {
        return ST_GEN(SC_INVALID_PRP_OFFSET) | NVMEC_DNR;
    }
    if (CC_IOSQES(c->cc) != 6) {
        return ST_GEN(SC_INVALID_FIELD) | NVMEC_DNR;
    }
    c->sq[qid] = (struct nvmec_sq){
        .valid = true, .base = prp1, .size = size, .cqid = cqid};
    c->cq[cqid].nsq++;
    return 0;
}

static uint16_t delete_sq(struct nvmec *c, struct nvmec_cmd *cmd)
{
    uint16_t qid = (uint16_t)nvmec_dw(cmd, 10);

    if (qid == 0 || qid >= NVMEC_NQ || !c->sq[qid].valid) {
        return ST_CMD(SC_INVALID_QID);
    }
    cmd->fatal = nvmec_delete_sq(c, qid, true);
    return 0;
}

static uint16_t delete_cq(struct nvmec *c, struct nvmec_cmd *cmd)
{
    uint16_t qid = (uint16_t)nvmec_dw(cmd, 10);

    if (qid == 0 || qid >= NVMEC_NQ || !c->cq[qid].valid) {
        return ST_CMD(SC_INVALID_QID);
    }
    if (c->cq[qid].nsq > 0) {
        return ST_CMD(SC_INVALID_QUEUE_DELETION);
    }
    c->cq[qid] = (struct nvmec_cq){0};
    return 0;
}

/* ---- Log pages ----------------------------------------------------------- */

static void smart_log(const struct nvmec *c, uint8_t *d)
{
    uint64_t hours = (c->host->now_ns() - c->power_on_ns) / 3600000000000ull;
    d[0] = 0;          /* critical warning */
    put16(d + 1, 300); /* composite temperature, Kelvin */
    d[3] = 100;        /* available spare */
    d[4] = 10;         /* threshold */
    d[5] = 0;          /* percentage used */
    /* Data units: thousands of 512-byte units, rounded up. */
    put64(d + 32, (c->smart.units_read + 999) / 1000);
    put64(d + 48, (c->smart.units_written + 999) / 1000);
    put64(d + 64, c->smart.host_reads);
    put64(d + 80, c->smart.host_writes);
    put64(d + 112, c->power_cycles);
    put64(d + 128, hours);
    put64(d + 160, c->smart.media_errors);
    put64(d + 176, c->error_count);
}

static void error_log(const struct nvmec *c, uint8_t *d)
{
    /* Newest first, as many as were kept. */
    for (unsigned i = 0; i < NVMEC_ERRLOG && i < c->error_count; i++) {
        const struct nvmec_errlog_entry *e =
            &c->errlog[(c->error_count - 1 - i) % NVMEC_ERRLOG];
        uint8_t *p = d + 64u * i;
        put64(p + 0, e->count);
        put16(p + 8, e->sqid);
        put16(p + 10, e->cid);
        put16(p + 12, e->status);
        put16(p + 14, 0xffff); /* parameter error location: not given */
        put64(p + 16, e->lba);
        put32(p + 24, e->nsid);
    }
}

static uint16_t get_log_page(struct nvmec *c, struct nvmec_cmd *cmd)
{
    uint32_t dw10 = nvmec_dw(cmd, 10), dw11 = nvmec_dw(cmd, 11);
    uint64_t lpo = nvmec_dw(cmd, 12) | (uint64_t)nvmec_dw(cmd, 13) << 32;
    uint64_t numd = ((dw10 >> 16) | (uint64_t)(dw11 & 0xffffu) << 16) + 1u;
    uint8_t page[64u * NVMEC_ERRLOG] = {0};
    size_t size;

    switch (dw10 & 0xffu) {
    case LOG_ERROR:
        error_log(c, page);
        size = 64u * NVMEC_ERRLOG;
        if (!(dw10 & (1u << 15))) {
            c->aen_masked = false; /* RAE clear: the event is read */
        }
        break;
    case LOG_SMART:
        smart_log(c, page);
        size = 512;
        break;
    case LOG_FW_SLOT:
        page[0] = 1; /* AFI: slot 1 active */
        ascii(page + 8, "1.0", 8);
        size = 512;
        break;
    default:
        return ST_CMD(SC_INVALID_LOG_PAGE);
    }
    if ((lpo & 3u) != 0 || lpo >= size) {
        return ST_GEN(SC_INVALID_FIELD) | NVMEC_DNR;
    }
    /* The logs fit a page; a host asking for more than one page of them
     * asks for something that is not there. Past the log reads 0. */
    uint64_t len = numd * 4u;
    if (len > 4096) {
        return ST_GEN(SC_INVALID_FIELD) | NVMEC_DNR;
    }
    uint8_t buf[4096] = {0};
    size_t m = size - (size_t)lpo;
    memcpy(buf, page + lpo, m < len ? m : (size_t)len);
    return nvmec_prp_xfer(c, cmd, buf, (uint32_t)len, true);
}

/* ---- Abort --------------------------------------------------------------- */

static uint16_t abort_cmd(struct nvmec *c, struct nvmec_cmd *cmd)
{
    uint32_t dw10 = nvmec_dw(cmd, 10);
    uint16_t sqid = (uint16_t)dw10, cid = (uint16_t)(dw10 >> 16);

    cmd->dw0 = 1; /* not aborted, unless found below */
    if (c->cfg.quirk == NVMEC_QUIRK_LOSE_IO) {
        return 0;
    }
    for (unsigned i = 0; i < c->nheld; i++) {
        if (c->held[i].sqid == sqid && c->held[i].cid == cid) {
            const struct nvmec_cq *cq = &c->cq[c->sq[sqid].cqid];
            if ((uint16_t)((cq->tail + 1u) % cq->size) == cq->head) {
                return 0; /* no room for its completion: not aborted */
            }
            c->held[i] = c->held[--c->nheld];
            /* The aborted command completes first, then the Abort. */
            cmd->fatal = nvmec_post(c, sqid, cid,
                                    NVMEC_ST(SCT_GENERIC, SC_ABORT_REQ), 0);
            cmd->dw0 = 0;
            return 0;
        }
    }
    return 0;
}

uint16_t nvmec_admin(struct nvmec *c, struct nvmec_cmd *cmd)
{
    switch (cmd->sqe[0]) {
    case ADM_IDENTIFY:
        return identify(c, cmd);
    case ADM_CREATE_CQ:
        return create_cq(c, cmd);
    case ADM_CREATE_SQ:
        return create_sq(c, cmd);
    case ADM_DELETE_SQ:
        return delete_sq(c, cmd);
    case ADM_DELETE_CQ:
        return delete_cq(c, cmd);
    case ADM_SET_FEATURES:
        return nvmec_set_features(c, cmd);
    case ADM_GET_FEATURES:
        return nvmec_get_features(c, cmd);
    case ADM_ASYNC_EVENT:
        return nvmec_async_event(c, cmd);
    case ADM_GET_LOG_PAGE:
        return get_log_page(c, cmd);
    case ADM_ABORT:
        return abort_cmd(c, cmd);
    default:
        return ST_GEN(SC_INVALID_OPCODE) | NVMEC_DNR;
    }
}
