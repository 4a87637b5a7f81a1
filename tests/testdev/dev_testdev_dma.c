/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The "testdev" personality's DMA engine (BAR0 0x100..0x1ff): one job
 * copies DMA_LEN bytes of client memory from DMA_SRC to DMA_DST, as a
 * device's bus master would, through td_dma_read()/td_dma_write(), by the
 * map's fd or by messages; FORCE_MSG makes shared memory go the message
 * way too, so that a client's serving of those messages can be tested
 * against maps it can also check directly.
 *
 * The source is read whole into a bounce buffer before the destination is
 * written: one code path for every combination of the two access methods,
 * and overlapping ranges behave like memmove(). Every check that needs no
 * data is made before any data moves, so a refused job changes nothing.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dev_testdev.h"

static char why[256];

static int job_fail(int err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int job_fail(int err, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    return err;
}

static int run_job(struct testdev *td, const struct tdv_dma_engine *e)
{
    unsigned int flags =
        e->ctrl & TESTDEV_DMA_CTRL_FORCE_MSG ? TD_DMA_FORCE_MSG : 0;
    uint64_t src = (uint64_t)e->src_hi << 32 | e->src_lo;
    uint64_t dst = (uint64_t)e->dst_hi << 32 | e->dst_lo;
    bool src_direct = false, dst_direct = false;
    uint32_t len = e->len;
    uint8_t *bounce;
    int err;

    if (len == 0 || len > TESTDEV_DMA_MAX_LEN)
        return job_fail(EINVAL, "length %u is outside [1, %u]", len,
                        TESTDEV_DMA_MAX_LEN);
    err = td_dma_check(td, "source", src, len, false, flags, &src_direct);
    if (!err)
        err =
            td_dma_check(td, "destination", dst, len, true, flags, &dst_direct);
    if (err)
        return job_fail(err, "%s", td_dma_error());
    bounce = malloc(len);
    if (!bounce)
        return job_fail(ENOMEM, "no memory for a %u-byte bounce buffer", len);

    err = td_dma_read(td, "source", src, bounce, len, flags);
    if (!err)
        err = td_dma_write(td, "destination", dst, bounce, len, flags);
    free(bounce);
    if (err > 0)
        return job_fail(err, "%s", td_dma_error());
    if (!err)
        snprintf(why, sizeof(why), "source by %s, destination by %s",
                 src_direct ? "memory" : "messages",
                 dst_direct ? "memory" : "messages");
    return err;
}

int tdv_dmae_run(struct testdev *td)
{
    struct tdv_dma_engine *e = &tdv(td)->dmae;
    uint32_t ctrl = e->ctrl;
    unsigned long long src = (uint64_t)e->src_hi << 32 | e->src_lo;
    unsigned long long dst = (uint64_t)e->dst_hi << 32 | e->dst_lo;
    bool running;
    int rc, err;

    e->status = TESTDEV_DMA_STATUS_BUSY;
    why[0] = '\0';
    /* A stopped device moves no data ("VFIO_DEVICE_STATE_STOP": no
     * change of internal or external state) and raises nothing. */
    running = mig_running(td);
    if (running)
        rc = run_job(td, e);
    else
        rc = job_fail(EBUSY, "the device is not running (migration state %s)",
                      mig_state_name(td->mig.state));
    /* A connection that must end leaves the job failed for the next
     * client to see, whatever broke it. */
    err = rc < 0 ? ECONNRESET : rc;
    if (rc < 0)
        job_fail(err, "the connection broke (%s)", strerror(-rc));

    e->err = (uint32_t)err;
    if (err) {
        e->status = TESTDEV_DMA_STATUS_ERROR;
        td_log("DMA job 0x%llx -> 0x%llx (%u bytes): error %d (%s): %s", src,
               dst, e->len, err, strerror(err), why);
    } else {
        e->status = TESTDEV_DMA_STATUS_DONE;
        e->done_count++;
        td_debug("DMA job 0x%llx -> 0x%llx (%u bytes): done, %s", src, dst,
                 e->len, why);
    }
    if ((ctrl & TESTDEV_DMA_CTRL_IRQ) && running)
        tdv_irq_fire_n(td, VFIO_USER_PCI_MSIX_IRQ_INDEX,
                       (ctrl & TESTDEV_DMA_CTRL_VECTOR_MASK) >>
                           TESTDEV_DMA_CTRL_VECTOR_SHIFT,
                       1);
    return rc < 0 ? rc : 0;
}
