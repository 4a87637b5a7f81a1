/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The driver's running parts: register access, doorbells, interrupts and
 * the timeout timer, command submission and the blocking helpers, DMA
 * buffers. Bring-up and shutdown are in nvme_init.c, queues in
 * nvme_qpair.c.
 *
 * Registers are accessed 32 bits at a time, 64-bit ones as two halves,
 * low first. Register writes are posted (libvuc's VUC_POSTING_POSTED
 * policy, so that doorbells take the server's ioeventfds where it offers
 * them) and each control register write is followed by a fence, so the
 * controller has seen it before anything else happens; doorbells are not
 * fenced: nothing the driver does next depends on when they land.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <vuc/vuc.h>

#include "nvme_drv_internal.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
               "the driver maps NVMe's little-endian structures directly");

#define BAR0 VFIO_USER_PCI_BAR0_REGION_INDEX

int nvme_drv_fail(struct nvme_drv *d, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->err, sizeof(d->err), fmt, ap);
    va_end(ap);
    return err;
}

const char *nvme_drv_error(const struct nvme_drv *d)
{
    return d->err;
}

struct vuc_client *nvme_drv_client(const struct nvme_drv *d)
{
    return d->c;
}

const struct nvme_drv_info *nvme_drv_info(const struct nvme_drv *d)
{
    return &d->info;
}

void nvme_drv_stats(const struct nvme_drv *d, struct nvme_drv_stats *out)
{
    *out = d->stats;
}

/* ---- Registers ----------------------------------------------------------- */

int nvme_reg_read32(struct nvme_drv *d, uint32_t off, uint32_t *v)
{
    int rc = vuc_region_read(d->c, BAR0, off, v, sizeof(*v));
    if (rc < 0) {
        return nvme_drv_fail(d, rc, "reading BAR0+0x%x: %s", off,
                             vuc_strerror(d->c));
    }
    return 0;
}

int nvme_reg_read64(struct nvme_drv *d, uint32_t off, uint64_t *v)
{
    uint32_t lo, hi;
    int rc = nvme_reg_read32(d, off, &lo);
    if (rc == 0) {
        rc = nvme_reg_read32(d, off + 4, &hi);
    }
    *v = ((uint64_t)hi << 32) | lo;
    return rc;
}

/* A write that must have reached the controller when this returns. */
int nvme_reg_write32(struct nvme_drv *d, uint32_t off, uint32_t v)
{
    int rc = vuc_region_write(d->c, BAR0, off, &v, sizeof(v));
    if (rc == 0) {
        rc = vuc_fence(d->c);
    }
    if (rc < 0) {
        return nvme_drv_fail(d, rc, "writing 0x%x to BAR0+0x%x: %s", v, off,
                             vuc_strerror(d->c));
    }
    return 0;
}

int nvme_reg_write64(struct nvme_drv *d, uint32_t off, uint64_t v)
{
    int rc = nvme_reg_write32(d, off, (uint32_t)v);
    return rc < 0 ? rc : nvme_reg_write32(d, off + 4, (uint32_t)(v >> 32));
}

static void doorbell_done(struct vuc_client *c, int result, void *arg)
{
    struct nvme_drv *d = arg;
    if (result < 0 && !d->lost) {
        nvme_drv_fail(d, result, "doorbell write: %s", vuc_strerror(c));
    }
}

void nvme_drv_doorbell(struct nvme_drv *d, uint32_t off, uint32_t value)
{
    d->stats.doorbells++;
    int rc = vuc_region_write_async(d->c, BAR0, off, &value, sizeof(value),
                                    VUC_TIMEOUT_DEFAULT, doorbell_done, d);
    if (rc < 0) {
        nvme_drv_fail(d, rc, "doorbell BAR0+0x%x: %s", off, vuc_strerror(d->c));
    }
}

/* Wait until (CSTS & mask) == want, within CAP.TO. */
int nvme_wait_csts(struct nvme_drv *d, uint32_t mask, uint32_t want,
                   const char *what)
{
    uint64_t end = nvme_now_ns() + d->cap_to_ms * 1000000ull;
    for (;;) {
        uint32_t csts;
        int rc = nvme_reg_read32(d, NVME_REG_CSTS, &csts);
        if (rc < 0) {
            return rc;
        }
        if (csts == UINT32_MAX) {
            return nvme_drv_fail(d, -EIO,
                                 "CSTS reads all ones: the "
                                 "controller is gone");
        }
        if ((csts & mask) == want) {
            return 0;
        }
        if ((csts & NVME_CSTS_CFS) && want != 0) {
            return nvme_drv_fail(d, -EIO,
                                 "controller fatal status (CSTS 0x%x) while "
                                 "waiting for %s",
                                 csts, what);
        }
        if (nvme_now_ns() > end) {
            return nvme_drv_fail(d, -ETIMEDOUT,
                                 "%s: not within CAP.TO (%" PRIu64
                                 " ms), CSTS 0x%x",
                                 what, d->cap_to_ms, csts);
        }
        usleep(1000);
    }
}

/* ---- Completions and the timer ------------------------------------------- */

static void reap_vector(struct nvme_drv *d, uint32_t vector, bool all)
{
    if (all || d->admin.vector == vector) {
        nvme_qpair_reap(&d->admin);
    }
    for (unsigned i = 0; i < d->info.nr_queues; i++) {
        if (all || d->io[i].vector == vector) {
            nvme_qpair_reap(&d->io[i]);
        }
    }
}

void nvme_irq_cb(struct vuc_client *c, uint32_t index, uint32_t vector,
                 uint64_t count, void *arg)
{
    struct nvme_drv *d = arg;
    (void)c;
    d->stats.interrupts += count; /* eventfds add up coalesced signals */
    /* INTx is one line for every queue. */
    reap_vector(d, vector, index == VFIO_USER_PCI_INTX_IRQ_INDEX);
}

unsigned nvme_drv_inflight(const struct nvme_drv *d)
{
    unsigned n = d->admin.inflight;
    for (unsigned i = 0; i < d->info.nr_queues; i++) {
        n += d->io[i].inflight;
    }
    return n;
}

void nvme_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct nvme_drv *d = arg;
    (void)fd;
    (void)what;
    d->timer_armed = false;
    uint64_t now = nvme_now_ns();
    nvme_qpair_check_timeouts(&d->admin, now);
    for (unsigned i = 0; i < d->info.nr_queues; i++) {
        nvme_qpair_check_timeouts(&d->io[i], now);
    }
    nvme_drv_arm_timer(d);
}

void nvme_drv_arm_timer(struct nvme_drv *d)
{
    if (d->timer_armed || d->timer == NULL || nvme_drv_inflight(d) == 0) {
        return;
    }
    /* A quarter of the timeout: a late command is noticed within 125%. */
    uint64_t us = d->timeout_ns / 4000;
    struct timeval tv = {.tv_sec = (time_t)(us / 1000000),
                         .tv_usec = (suseconds_t)(us % 1000000)};
    if (evtimer_add(d->timer, &tv) == 0) {
        d->timer_armed = true;
    }
}

void nvme_disconnected(struct vuc_client *c, int result, void *arg)
{
    struct nvme_drv *d = arg;
    (void)c;
    d->lost = true;
    nvme_drv_fail(d, result < 0 ? result : -ECONNRESET,
                  "the connection to the controller was lost (%s)",
                  strerror(result < 0 ? -result : ECONNRESET));
    nvme_qpair_fail_all(&d->admin, -ECONNRESET);
    for (unsigned i = 0; i < d->info.nr_queues; i++) {
        nvme_qpair_fail_all(&d->io[i], -ECONNRESET);
    }
}

int nvme_drv_process(struct nvme_drv *d, bool block)
{
    if (d->lost) {
        return -ECONNRESET;
    }
    bool wait = block && !d->opts.poll;
    event_base_loop(d->base, wait ? EVLOOP_ONCE : EVLOOP_NONBLOCK);
    if (d->opts.poll && !d->lost) {
        reap_vector(d, 0, true);
    }
    return d->lost ? -ECONNRESET : 0;
}

/* ---- Commands ------------------------------------------------------------ */

void nvme_drv_ring_all(struct nvme_drv *d)
{
    nvme_qpair_ring(&d->admin);
    for (unsigned i = 0; i < d->info.nr_queues; i++) {
        nvme_qpair_ring(&d->io[i]);
    }
}

void nvme_drv_plug(struct nvme_drv *d)
{
    d->plugged = true;
}

void nvme_drv_unplug(struct nvme_drv *d)
{
    d->plugged = false;
    if (!d->reaping) {
        nvme_drv_ring_all(d);
    }
}

int nvme_admin_submit(struct nvme_drv *d, const struct nvme_sqe *cmd,
                      uint64_t iova, size_t len, nvme_cmd_cb cb, void *arg)
{
    return nvme_qpair_submit(&d->admin, cmd, iova, len, cb, arg);
}

int nvme_io_submit(struct nvme_drv *d, unsigned q, uint8_t opc, uint64_t slba,
                   uint32_t nlb, uint64_t iova, size_t len, nvme_cmd_cb cb,
                   void *arg)
{
    if (q >= d->info.nr_queues) {
        return nvme_drv_fail(d, -EINVAL, "queue pair %u: there are %u", q,
                             d->info.nr_queues);
    }
    if (len > d->info.max_xfer) {
        return nvme_drv_fail(d, -EINVAL,
                             "%zu bytes exceed the largest transfer (%u)", len,
                             d->info.max_xfer);
    }
    struct nvme_sqe e = {.opc = opc, .nsid = d->info.nsid};
    if (opc != NVME_CMD_FLUSH) {
        if (nlb == 0 || nlb > 65536) {
            return nvme_drv_fail(d, -EINVAL,
                                 "%u blocks: a command moves 1 to 65536", nlb);
        }
        bool data = opc == NVME_CMD_READ || opc == NVME_CMD_WRITE;
        uint64_t want = data ? (uint64_t)nlb * d->info.lba_size : 0;
        if (len != want) {
            return nvme_drv_fail(d, -EINVAL,
                                 "%u blocks of %u bytes: the buffer is %zu "
                                 "bytes, not %llu",
                                 nlb, d->info.lba_size, len,
                                 (unsigned long long)want);
        }
        e.cdw10 = (uint32_t)slba;
        e.cdw11 = (uint32_t)(slba >> 32);
        e.cdw12 = nlb - 1;
    }
    return nvme_qpair_submit(&d->io[q], &e, iova, len, cb, arg);
}

struct sync_wait {
    bool done;
    int err;
    uint16_t status;
    uint32_t dw0;
};

static void sync_done(void *arg, int err, uint16_t status, uint32_t dw0)
{
    struct sync_wait *w = arg;
    w->done = true;
    w->err = err;
    w->status = status;
    w->dw0 = dw0;
}

static int sync_run(struct nvme_drv *d, int rc, struct sync_wait *w,
                    uint16_t *status, uint32_t *dw0, const char *what)
{
    if (rc == -EAGAIN) {
        return nvme_drv_fail(d, rc, "%s: the queue is full", what);
    }
    if (rc < 0) {
        return rc;
    }
    while (!w->done) {
        nvme_drv_process(d, true);
    }
    if (status != NULL) {
        *status = w->status;
    }
    if (dw0 != NULL) {
        *dw0 = w->dw0;
    }
    if (w->err == -ETIMEDOUT) {
        return nvme_drv_fail(d, w->err, "%s: no completion within %u ms; %s",
                             what, d->opts.timeout_ms,
                             w->status != 0
                                 ? "the controller aborted it"
                                 : "Abort did not bring it back either");
    }
    if (w->err < 0) {
        if (!d->lost) {
            nvme_drv_fail(d, w->err, "%s: %s", what, strerror(-w->err));
        }
        return w->err;
    }
    if (w->status != 0) {
        return nvme_drv_fail(d, -EIO, "%s: %s", what,
                             nvme_status_str(w->status));
    }
    return 0;
}

int nvme_admin_sync(struct nvme_drv *d, const struct nvme_sqe *cmd,
                    uint64_t iova, size_t len, uint16_t *status, uint32_t *dw0)
{
    struct sync_wait w = {0};
    char what[48];
    snprintf(what, sizeof(what), "admin command 0x%02x", cmd->opc);
    int rc = nvme_admin_submit(d, cmd, iova, len, sync_done, &w);
    return sync_run(d, rc, &w, status, dw0, what);
}

int nvme_io_sync(struct nvme_drv *d, unsigned q, uint8_t opc, uint64_t slba,
                 uint32_t nlb, uint64_t iova, size_t len, uint16_t *status)
{
    struct sync_wait w = {0};
    char what[80];
    snprintf(what, sizeof(what), "I/O command 0x%02x at LBA %" PRIu64, opc,
             slba);
    int rc = nvme_io_submit(d, q, opc, slba, nlb, iova, len, sync_done, &w);
    return sync_run(d, rc, &w, status, NULL, what);
}

const char *nvme_status_str(uint16_t status)
{
    static __thread char buf[96];
    uint8_t sct = NVME_CQE_SCT(status), sc = NVME_CQE_SC(status);
    const char *name = "status";
    if (sct == NVME_SCT_GENERIC) {
        switch (sc) {
        case NVME_SC_SUCCESS:
            name = "Successful Completion";
            break;
        case NVME_SC_INVALID_OPCODE:
            name = "Invalid Command Opcode";
            break;
        case NVME_SC_INVALID_FIELD:
            name = "Invalid Field in Command";
            break;
        case 0x04:
            name = "Data Transfer Error";
            break;
        case 0x06:
            name = "Internal Error";
            break;
        case NVME_SC_ABORT_REQ:
            name = "Command Abort Requested";
            break;
        case 0x0b:
            name = "Invalid Namespace or Format";
            break;
        case NVME_SC_INVALID_PRP_OFFSET:
            name = "Invalid PRP Offset";
            break;
        case NVME_SC_LBA_RANGE:
            name = "LBA Out of Range";
            break;
        case 0x81:
            name = "Capacity Exceeded";
            break;
        default:
            break;
        }
    } else if (sct == NVME_SCT_CMD_SPECIFIC) {
        switch (sc) {
        case 0x00:
            name = "Completion Queue Invalid";
            break;
        case 0x01:
            name = "Invalid Queue Identifier";
            break;
        case 0x02:
            name = "Invalid Queue Size";
            break;
        case 0x03:
            name = "Abort Command Limit Exceeded";
            break;
        case 0x08:
            name = "Invalid Interrupt Vector";
            break;
        case 0x09:
            name = "Invalid Log Page";
            break;
        case 0x0c:
            name = "Invalid Queue Deletion";
            break;
        default:
            break;
        }
    }
    snprintf(buf, sizeof(buf), "%s (SCT %u, SC 0x%02x%s)", name, sct, sc,
             NVME_CQE_DNR(status) ? ", do not retry" : "");
    return buf;
}

/* ---- DMA buffers --------------------------------------------------------- */

int nvme_buf_alloc(struct nvme_drv *d, size_t size, struct nvme_buf *b)
{
    memset(b, 0, sizeof(*b));
    int rc = vuc_dma_alloc(d->c, size, VUC_IOVA_ANY,
                           VUC_DMA_READ | VUC_DMA_WRITE, &b->map);
    if (rc < 0) {
        return nvme_drv_fail(d, rc, "allocating %zu bytes of DMA memory: %s",
                             size, vuc_strerror(d->c));
    }
    b->va = vuc_dma_vaddr(b->map);
    b->iova = vuc_dma_iova(b->map);
    b->size = vuc_dma_size(b->map);
    return 0;
}

void nvme_buf_free(struct nvme_drv *d, struct nvme_buf *b)
{
    if (b->map != NULL) {
        /* Without a connection libvuc releases the map locally. */
        vuc_dma_unmap(d->c, b->map);
    }
    memset(b, 0, sizeof(*b));
}
