/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the driver's two files share: nvme_drv.c (bring-up, admin helpers,
 * shutdown) and nvme_qpair.c (queues, PRPs, completions, timeouts).
 */
#ifndef VUC_EXAMPLES_NVME_DRV_INTERNAL_H
#define VUC_EXAMPLES_NVME_DRV_INTERNAL_H

#include <stdio.h>

#include "nvme_drv.h"

#define NVME_PAGE 4096u
#define NVME_ADMIN_DEPTH 32u
#define NVME_MAX_QUEUES 64u
#define NVME_MAX_DEPTH 1024u
/* Each command slot owns one PRP list page: 512 entries, which with PRP1
 * cover any transfer of up to 2 MiB at any dword offset, so the driver
 * caps transfers there and never chains list pages. */
#define NVME_DRV_MAX_XFER (2u * 1024u * 1024u)

enum nvme_slot_state {
    SLOT_FREE = 0,
    SLOT_BUSY,     /* submitted, waiting for its completion */
    SLOT_ABORTING, /* timed out; an Abort was sent for it */
    SLOT_LOST,     /* given up on: its callback ran, the controller may still
                      complete it, so the CID stays out of use until then */
};

struct nvme_slot {
    nvme_cmd_cb cb;
    void *arg;
    uint64_t deadline_ns;
    uint64_t *prp;     /* this slot's PRP list pages, our view */
    uint64_t prp_iova; /* and the controller's */
    uint8_t state;
    uint8_t opc;
    uint16_t next_free; /* free list link; UINT16_MAX ends it */
};

struct nvme_qpair {
    struct nvme_drv *d;
    uint16_t qid;
    uint16_t depth;
    uint16_t vector; /* MSI-X vector of its CQ */
    struct nvme_sqe *sq;
    struct nvme_cqe *cq;
    uint64_t sq_iova, cq_iova;
    uint32_t sq_db, cq_db; /* BAR0 offsets of its doorbells */
    uint16_t sq_tail, sq_head, cq_head;
    uint16_t phase;
    uint16_t free_head;
    unsigned inflight; /* BUSY and ABORTING slots */
    bool sq_ring;      /* tail moved since the doorbell was last written */
    struct nvme_slot *slots;
};

struct nvme_drv {
    struct event_base *base;
    struct vuc_client *c;
    struct nvme_drv_opts opts;
    struct nvme_drv_info info;
    char err[512];
    uint32_t dstrd_bytes; /* doorbell stride */
    uint64_t timeout_ns;
    uint64_t cap_to_ms;
    bool lost;               /* the connection ended */
    bool enabled;            /* CC.EN was set by us */
    bool reaping;            /* doorbells wait for the end of the reap */
    bool plugged;            /* doorbells wait for nvme_drv_unplug() */
    struct vuc_dma_map *mem; /* queues, PRP lists, identify data */
    uint8_t *id_ctrl, *id_ns, *scratch;
    uint64_t id_ctrl_iova, id_ns_iova, scratch_iova;
    struct nvme_qpair admin;
    struct nvme_qpair io[NVME_MAX_QUEUES];
    struct event *timer;
    bool timer_armed;
    struct nvme_drv_stats stats;
};

/* nvme_qpair.c */
size_t nvme_qpair_mem(uint16_t depth, bool prp_lists);
void nvme_qpair_init(struct nvme_qpair *q, struct nvme_drv *d, uint16_t qid,
                     uint16_t depth, uint16_t vector, uint8_t *va,
                     uint64_t iova, bool prp_lists);
int nvme_qpair_submit(struct nvme_qpair *q, const struct nvme_sqe *cmd,
                      uint64_t iova, size_t len, nvme_cmd_cb cb, void *arg);
/** Reap what the CQ holds. @return completions reaped. */
unsigned nvme_qpair_reap(struct nvme_qpair *q);
/** End every command with err (connection lost, driver closed). */
void nvme_qpair_fail_all(struct nvme_qpair *q, int err);
/** Abort or give up on commands past their deadline. */
void nvme_qpair_check_timeouts(struct nvme_qpair *q, uint64_t now);
/** Write the SQ doorbells of every queue whose tail moved. */
void nvme_drv_ring_all(struct nvme_drv *d);
/** Write the doorbells that reaping and submitting left due. */
void nvme_qpair_ring(struct nvme_qpair *q);
void nvme_drv_arm_timer(struct nvme_drv *d);
uint64_t nvme_now_ns(void);

/* nvme_drv.c */
int nvme_reg_read32(struct nvme_drv *d, uint32_t off, uint32_t *v);
int nvme_reg_read64(struct nvme_drv *d, uint32_t off, uint64_t *v);
int nvme_reg_write32(struct nvme_drv *d, uint32_t off, uint32_t v);
int nvme_reg_write64(struct nvme_drv *d, uint32_t off, uint64_t v);
/** Wait until (CSTS & mask) == want, within CAP.TO. */
int nvme_wait_csts(struct nvme_drv *d, uint32_t mask, uint32_t want,
                   const char *what);
void nvme_irq_cb(struct vuc_client *c, uint32_t index, uint32_t vector,
                 uint64_t count, void *arg);
void nvme_timer_cb(int fd, short what, void *arg);
void nvme_disconnected(struct vuc_client *c, int result, void *arg);

/* nvme_init.c */
int nvme_drv_start(struct nvme_drv *d);
int nvme_drv_fail(struct nvme_drv *d, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void nvme_drv_doorbell(struct nvme_drv *d, uint32_t off, uint32_t value);

#endif
