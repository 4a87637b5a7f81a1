/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The "testdev" personality's own state, shared by its three files:
 * dev_testdev.c (registers, memory, config space, its ops),
 * dev_testdev_dma.c (the DMA engine) and dev_testdev_mig.c (its migration
 * data). testdev_regs.h is its register map, which tests see too.
 */
#ifndef VUC_DEV_TESTDEV_H
#define VUC_DEV_TESTDEV_H

#include "testdev.h"

/* The DMA engine registers (BAR0 0x100..0x1ff). */
struct tdv_dma_engine {
    uint32_t src_lo, src_hi;
    uint32_t dst_lo, dst_hi;
    uint32_t len;
    uint32_t ctrl; /* as written, START clear */
    uint32_t status;
    uint32_t err;
    uint32_t done_count;
    uint32_t doorbells; /* DOORBELL_COUNT */
};

/* The interrupt hook registers (BAR0 0x200..0x2ff). */
struct tdv_irq_hooks {
    uint32_t select; /* (index << 16) | vector */
    uint32_t fired;
    uint32_t delivered;
};

struct tdv_state {
    uint8_t bar0[TESTDEV_BAR0_SIZE]; /* backing of plain BAR0 registers */
    uint32_t access_count;
    uint32_t last_write;
    struct tdv_dma_engine dmae;
    struct tdv_irq_hooks irqh;
    int bar1_fd;   /* sealed memfd, shared with clients */
    uint8_t *bar1; /* our mapping of it */
    /* Writes logged in BAR1's last page: ours, never read back from the
     * page, which the client may scribble on. */
    uint32_t log_count;
};

static inline struct tdv_state *tdv(struct testdev *td)
{
    return td->dev;
}

/**
 * Raise a vector @p n times with irq_fire(), as the interrupt hooks and the
 * DMA engine's completion interrupt do, and count the fires in the hooks.
 * A vector the device does not have is ignored; a failed eventfd write
 * ends the burst.
 */
void tdv_irq_fire_n(struct testdev *td, uint32_t index, uint32_t vector,
                    uint32_t n);

/**
 * Run the job whose doorbell was rung, to completion, and raise its
 * completion interrupt if asked: the personality's run_deferred.
 * @return 0, or a negative errno from proto_request() when the connection
 * must end.
 */
int tdv_dmae_run(struct testdev *td);

extern const struct td_mig_ops tdv_mig_ops;

#endif /* VUC_DEV_TESTDEV_H */
