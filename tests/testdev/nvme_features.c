/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Get and Set Features (NVMe 1.4, 5.14 and 5.21) for every feature the
 * specification makes mandatory for this controller, and Asynchronous
 * Event Requests (5.2) with the one kind of event it reports: errors in
 * doorbell writes, which a controller cannot answer any other way.
 */
#include <string.h>

#include "nvme_ctrl.h"
#include "nvme_defs.h"

#define ST_GEN(sc) (uint16_t)(NVMEC_ST(SCT_GENERIC, sc) | NVMEC_DNR)
#define ST_CMD(sc) (uint16_t)(NVMEC_ST(SCT_CMD, sc) | NVMEC_DNR)

/* Get Features, Select 3: the feature is changeable (not saveable). */
#define CAP_CHANGEABLE 0x4u

#define WCTEMP_K 370u /* warning composite temperature, as Identify says */

void nvmec_features_reset(struct nvmec *c)
{
    memset(c->feat, 0, sizeof(c->feat));
    memset(c->ivc, 0, sizeof(c->ivc));
    c->feat[FEAT_ARBITRATION] = 7; /* AB: no burst limit */
    c->feat[FEAT_VWC] = 1;         /* the write cache is on */
    c->temp_over = WCTEMP_K;
    c->temp_under = 0;
    c->nsqa = c->ncqa = NVMEC_MAX_IOQ - 1;
    c->queues_set = false;
    c->naen = 0;
    c->aen_masked = false;
}

static uint16_t set_num_queues(struct nvmec *c, struct nvmec_cmd *cmd,
                               uint32_t dw11)
{
    uint16_t nsqr = (uint16_t)dw11, ncqr = (uint16_t)(dw11 >> 16);

    if (nsqr == 0xffffu || ncqr == 0xffffu) {
        return ST_GEN(SC_INVALID_FIELD);
    }
    for (uint16_t q = 1; q < NVMEC_NQ; q++) {
        if (c->sq[q].valid || c->cq[q].valid) {
            return ST_GEN(SC_CMD_SEQ_ERROR);
        }
    }
    c->nsqa = nsqr < NVMEC_MAX_IOQ - 1 ? nsqr : NVMEC_MAX_IOQ - 1;
    c->ncqa = ncqr < NVMEC_MAX_IOQ - 1 ? ncqr : NVMEC_MAX_IOQ - 1;
    c->queues_set = true;
    cmd->dw0 = c->nsqa | (uint32_t)c->ncqa << 16;
    return 0;
}

/* Temperature Threshold: the composite sensor (TMPSEL 0) only. */
static uint16_t temp_select(uint32_t dw11, uint32_t **slot, struct nvmec *c)
{
    uint32_t tmpsel = (dw11 >> 16) & 0xfu, thsel = (dw11 >> 20) & 3u;

    if (tmpsel != 0 || thsel > 1) {
        return ST_GEN(SC_INVALID_FIELD);
    }
    *slot = thsel == 0 ? &c->temp_over : &c->temp_under;
    return 0;
}

uint16_t nvmec_set_features(struct nvmec *c, struct nvmec_cmd *cmd)
{
    uint32_t dw10 = nvmec_dw(cmd, 10), dw11 = nvmec_dw(cmd, 11);
    uint32_t fid = dw10 & 0xffu, *slot;
    uint16_t st;

    if (dw10 & (1u << 31)) {
        return ST_CMD(SC_FEATURE_NOT_SAVEABLE);
    }
    switch (fid) {
    case FEAT_ARBITRATION:
        c->feat[fid] = dw11; /* AB, LPW, MPW, HPW: round robin uses AB */
        return 0;
    case FEAT_POWER_MGMT:
        if ((dw11 & 0x1fu) != 0) {
            return ST_GEN(SC_INVALID_FIELD); /* NPSS 0: power state 0 */
        }
        c->feat[fid] = dw11 & 0xffu;
        return 0;
    case FEAT_TEMP_THRESH:
        if ((st = temp_select(dw11, &slot, c)) != 0) {
            return st;
        }
        *slot = dw11 & 0xffffu;
        return 0;
    case FEAT_ERR_RECOVERY:
        if (dw11 & (1u << 16)) {
            return ST_GEN(SC_INVALID_FIELD); /* no deallocated blocks */
        }
        c->feat[fid] = dw11 & 0xffffu;
        return 0;
    case FEAT_VWC:
        c->feat[fid] = dw11 & 1u;
        return 0;
    case FEAT_NUM_QUEUES:
        return set_num_queues(c, cmd, dw11);
    case FEAT_IRQ_COALESCING:
        /* Kept and reported: the controller already raises one interrupt
         * per CQ per batch, and the values are what it "should" aim for. */
        c->feat[fid] = dw11 & 0xffffu;
        return 0;
    case FEAT_IRQ_CONFIG:
        if ((dw11 & 0xffffu) >= NVMEC_MSIX_VECTORS) {
            return ST_GEN(SC_INVALID_FIELD);
        }
        c->ivc[dw11 & 0xffffu] = (dw11 >> 16) & 1u;
        return 0;
    case FEAT_WRITE_ATOMICITY:
        c->feat[fid] = dw11 & 1u;
        return 0;
    case FEAT_ASYNC_EVENT_CFG:
        c->feat[fid] = dw11;
        return 0;
    default:
        return ST_GEN(SC_INVALID_FIELD);
    }
}

/* Current (and saved: nothing is saveable) values. */
static uint16_t current(struct nvmec *c, uint32_t fid, uint32_t dw11,
                        uint32_t *out)
{
    uint32_t *slot;
    uint16_t st;

    switch (fid) {
    case FEAT_TEMP_THRESH:
        if ((st = temp_select(dw11, &slot, c)) != 0) {
            return st;
        }
        *out = *slot | (dw11 & 0x3f0000u);
        return 0;
    case FEAT_NUM_QUEUES:
        *out = c->nsqa | (uint32_t)c->ncqa << 16;
        return 0;
    case FEAT_IRQ_CONFIG:
        if ((dw11 & 0xffffu) >= NVMEC_MSIX_VECTORS) {
            return ST_GEN(SC_INVALID_FIELD);
        }
        *out = (dw11 & 0xffffu) | c->ivc[dw11 & 0xffffu] << 16;
        return 0;
    default:
        *out = c->feat[fid];
        return 0;
    }
}

uint16_t nvmec_get_features(struct nvmec *c, struct nvmec_cmd *cmd)
{
    uint32_t dw10 = nvmec_dw(cmd, 10), dw11 = nvmec_dw(cmd, 11);
    uint32_t fid = dw10 & 0xffu, sel = (dw10 >> 8) & 7u;

    if (fid == 0 || fid > FEAT_ASYNC_EVENT_CFG || sel > 3) {
        return ST_GEN(SC_INVALID_FIELD);
    }
    if (sel == 3) {
        cmd->dw0 = CAP_CHANGEABLE;
        return 0;
    }
    if (sel == 1 || sel == 2) {
        /* Defaults are what a reset leaves; none is saved. */
        struct nvmec d = {0};
        nvmec_features_reset(&d);
        uint16_t st = current(&d, fid, dw11, &cmd->dw0);
        if (fid == FEAT_TEMP_THRESH && st == 0 && ((dw11 >> 20) & 3u) == 0) {
            cmd->dw0 = WCTEMP_K;
        }
        return st;
    }
    return current(c, fid, dw11, &cmd->dw0);
}

/* ---- Asynchronous events ------------------------------------------------- */

uint16_t nvmec_async_event(struct nvmec *c, struct nvmec_cmd *cmd)
{
    unsigned outstanding = 0;

    for (unsigned i = 0; i < c->nheld; i++) {
        outstanding += c->held[i].aer;
    }
    if (outstanding > NVMEC_AERL) {
        return ST_CMD(SC_AER_LIMIT);
    }
    cmd->hold = true;
    cmd->aer = true;
    return 0;
}

void nvmec_event(struct nvmec *c, uint8_t type, uint8_t info, uint8_t log)
{
    /* One error event stands until the host reads the error log. */
    if (c->aen_masked || c->naen == NVMEC_AEN_MAX) {
        return;
    }
    c->aen[c->naen++] = type | (uint32_t)info << 8 | (uint32_t)log << 16;
    c->aen_masked = true;
    c->work = true;
}

int nvmec_deliver_events(struct nvmec *c)
{
    for (unsigned i = 0; i < c->nheld && c->naen > 0;) {
        const struct nvmec_cq *cq = &c->cq[0];
        if (!c->held[i].aer) {
            i++;
            continue;
        }
        if ((uint16_t)((cq->tail + 1u) % cq->size) == cq->head) {
            return 0; /* no room: at the next run */
        }
        uint16_t cid = c->held[i].cid;
        uint32_t dw0 = c->aen[0];
        c->held[i] = c->held[--c->nheld];
        memmove(c->aen, c->aen + 1, --c->naen * sizeof(c->aen[0]));
        int rc = nvmec_post(c, 0, cid, 0, dw0);
        if (rc < 0) {
            return rc;
        }
    }
    return 0;
}
