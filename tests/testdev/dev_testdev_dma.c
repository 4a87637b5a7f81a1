/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The DMA engine (BAR0 0x100..0x1ff): one job copies DMA_LEN bytes of
 * client memory from DMA_SRC to DMA_DST, as a device's bus master would.
 *
 * Each side is reached through the server's own mapping when its map came
 * with an fd, or else with DMA_READ/DMA_WRITE messages ("VFIO_USER_DMA_READ",
 * "VFIO_USER_DMA_WRITE"), which is what a device must do for memory the
 * client did not share; FORCE_MSG makes shared memory go the message way
 * too, so that a client's serving of those messages can be tested against
 * maps it can also check directly.
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

#include "testdev.h"

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

/* One side of the copy. */
struct side {
    const char *name; /* "source" or "destination" */
    uint64_t iova;
    struct td_dma_map *map;
    bool direct; /* through map->mem, else by messages */
};

static int check_side(struct testdev *td, struct side *s, uint32_t len,
                      uint32_t need, bool force_msg)
{
    int err = dma_lookup(&td->dma, s->iova, len, &s->map);

    if (err == ENOENT)
        return job_fail(ENOENT, "%s 0x%llx is in no DMA map", s->name,
                        (unsigned long long)s->iova);
    if (err)
        return job_fail(err,
                        "%s [0x%llx, +0x%x) runs past the end of its DMA "
                        "map [0x%llx, +0x%llx)",
                        s->name, (unsigned long long)s->iova, len,
                        (unsigned long long)s->map->address,
                        (unsigned long long)s->map->size);
    if (!(s->map->flags & need))
        return job_fail(EPERM, "%s map [0x%llx, +0x%llx) is not %s", s->name,
                        (unsigned long long)s->map->address,
                        (unsigned long long)s->map->size,
                        need == VFIO_USER_F_DMA_REGION_READ
                            ? "readable by the device"
                            : "writable by the device");
    s->direct = s->map->mem && !force_msg;
    return 0;
}

static uint32_t chunk_size(const struct testdev *td, uint32_t left)
{
    uint64_t max = td->conn.peer_max_data_xfer_size;

    return max < left ? (uint32_t)max : left;
}

/* @return 0, a positive errno for the job, or a negative one (fatal). */
static int msg_read(struct testdev *td, uint64_t iova, uint8_t *buf,
                    uint32_t len)
{
    uint32_t done, n;

    for (done = 0; done < len; done += n) {
        struct vfio_user_dma_access req, echo;
        struct iovec iov = {.iov_base = &req, .iov_len = sizeof(req)};
        struct td_msg rep;
        int rc;

        n = chunk_size(td, len - done);
        req = (struct vfio_user_dma_access){.address = iova + done, .count = n};
        rc = proto_request(td, VFIO_USER_DMA_READ, &iov, 1, &rep);
        if (rc > 0)
            return job_fail(rc, "DMA_READ [0x%llx, +0x%x) failed",
                            (unsigned long long)req.address, n);
        if (rc < 0)
            return rc;
        if (rep.len != sizeof(req) + n) {
            size_t got = rep.len;

            td_msg_release(&rep);
            return job_fail(EIO,
                            "DMA_READ [0x%llx, +0x%x): reply of %zu bytes, "
                            "expected %zu",
                            (unsigned long long)req.address, n, got,
                            sizeof(req) + n);
        }
        memcpy(&echo, rep.data, sizeof(echo));
        if (echo.address != req.address || echo.count != req.count) {
            td_msg_release(&rep);
            return job_fail(EIO,
                            "DMA_READ [0x%llx, +0x%x): the reply is for "
                            "[0x%llx, +0x%llx)",
                            (unsigned long long)req.address, n,
                            (unsigned long long)echo.address,
                            (unsigned long long)echo.count);
        }
        memcpy(buf + done, rep.data + sizeof(echo), n);
        td_msg_release(&rep);
    }
    return 0;
}

static int msg_write(struct testdev *td, uint64_t iova, const uint8_t *buf,
                     uint32_t len)
{
    uint32_t done, n;

    for (done = 0; done < len; done += n) {
        struct vfio_user_dma_access req;
        struct iovec iov[2];
        struct td_msg rep;
        uint64_t address, count;
        int rc;

        n = chunk_size(td, len - done);
        req = (struct vfio_user_dma_access){.address = iova + done, .count = n};
        iov[0] = (struct iovec){.iov_base = &req, .iov_len = sizeof(req)};
        iov[1] = (struct iovec){.iov_base = (void *)(buf + done), .iov_len = n};
        rc = proto_request(td, VFIO_USER_DMA_WRITE, iov, 2, &rep);
        if (rc > 0)
            return job_fail(rc, "DMA_WRITE [0x%llx, +0x%x) failed",
                            (unsigned long long)req.address, n);
        if (rc < 0)
            return rc;
        /* The specification's table says a 4-byte count, real clients
         * send the 8-byte one of DMA_READ: accept both (protocol.h). */
        if (rep.len == sizeof(req)) {
            memcpy(&address, rep.data, 8);
            memcpy(&count, rep.data + 8, 8);
        } else if (rep.len == VFIO_USER_DMA_WRITE_REPLY_SPEC_SIZE) {
            uint32_t c32;

            memcpy(&address, rep.data, 8);
            memcpy(&c32, rep.data + 8, 4);
            count = c32;
        } else {
            size_t got = rep.len;

            td_msg_release(&rep);
            return job_fail(EIO,
                            "DMA_WRITE [0x%llx, +0x%x): reply of %zu bytes, "
                            "expected %zu (or %u)",
                            (unsigned long long)req.address, n, got,
                            sizeof(req), VFIO_USER_DMA_WRITE_REPLY_SPEC_SIZE);
        }
        td_msg_release(&rep);
        if (address != req.address || count != req.count)
            return job_fail(EIO,
                            "DMA_WRITE [0x%llx, +0x%x): the reply is for "
                            "[0x%llx, +0x%llx)",
                            (unsigned long long)req.address, n,
                            (unsigned long long)address,
                            (unsigned long long)count);
    }
    return 0;
}

static int run_job(struct testdev *td, const struct td_dma_engine *e)
{
    bool force = e->ctrl & TESTDEV_DMA_CTRL_FORCE_MSG;
    struct side src = {
        .name = "source",
        .iova = (uint64_t)e->src_hi << 32 | e->src_lo,
    };
    struct side dst = {
        .name = "destination",
        .iova = (uint64_t)e->dst_hi << 32 | e->dst_lo,
    };
    uint32_t len = e->len;
    uint8_t *bounce;
    int err;

    if (len == 0 || len > TESTDEV_DMA_MAX_LEN)
        return job_fail(EINVAL, "length %u is outside [1, %u]", len,
                        TESTDEV_DMA_MAX_LEN);
    err = check_side(td, &src, len, VFIO_USER_F_DMA_REGION_READ, force);
    if (err)
        return err;
    err = check_side(td, &dst, len, VFIO_USER_F_DMA_REGION_WRITE, force);
    if (err)
        return err;
    bounce = malloc(len);
    if (!bounce)
        return job_fail(ENOMEM, "no memory for a %u-byte bounce buffer", len);

    if (src.direct) {
        err = dma_mem_read(src.map, src.iova - src.map->address, bounce, len);
        if (err)
            job_fail(err, "reading the source through our mapping faulted "
                          "(was the file shrunk?)");
    } else {
        err = msg_read(td, src.iova, bounce, len);
    }
    if (!err && dst.direct) {
        err = dma_mem_write(&td->dma, dst.map, dst.iova - dst.map->address,
                            bounce, len);
        if (err == EFAULT)
            job_fail(err, "writing the destination through our mapping "
                          "faulted (was the file shrunk?)");
        else if (err)
            job_fail(err, "no memory for the destination's dirty page "
                          "record");
    } else if (!err) {
        err = msg_write(td, dst.iova, bounce, len);
    }
    free(bounce);
    if (!err)
        snprintf(why, sizeof(why), "source by %s, destination by %s",
                 src.direct ? "memory" : "messages",
                 dst.direct ? "memory" : "messages");
    return err;
}

int dmae_run(struct testdev *td)
{
    struct td_dma_engine *e = &td->dev.dmae;
    uint32_t ctrl = e->ctrl;
    unsigned long long src = (uint64_t)e->src_hi << 32 | e->src_lo;
    unsigned long long dst = (uint64_t)e->dst_hi << 32 | e->dst_lo;
    bool running;
    int rc, err;

    e->start = false;
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
        irq_fire_n(&td->irqs, &td->dev.irqh, VFIO_USER_PCI_MSIX_IRQ_INDEX,
                   (ctrl & TESTDEV_DMA_CTRL_VECTOR_MASK) >>
                       TESTDEV_DMA_CTRL_VECTOR_SHIFT,
                   1);
    return rc < 0 ? rc : 0;
}
