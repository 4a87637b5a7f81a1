/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device memory access for DMA, for every personality: what a device's bus
 * master does, against the client's DMA maps.
 *
 * A range is reached through the server's own mapping when its map came
 * with an fd, or else with DMA_READ/DMA_WRITE messages ("VFIO_USER_DMA_READ",
 * "VFIO_USER_DMA_WRITE"), which is what a device must do for memory the
 * client did not share; TD_DMA_FORCE_MSG makes shared memory go the
 * message way too. The client's replies are waited for (proto_request()),
 * with its other commands queued meanwhile.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "testdev.h"

static char why[256];

static int dma_fail(int err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int dma_fail(int err, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    return err;
}

const char *td_dma_error(void)
{
    return why;
}

/* Also gives the map, for the access that follows the check. */
static int check(struct testdev *td, const char *what, uint64_t iova,
                 uint64_t len, bool write, struct td_dma_map **mp)
{
    uint32_t need =
        write ? VFIO_USER_F_DMA_REGION_WRITE : VFIO_USER_F_DMA_REGION_READ;
    int err = dma_lookup(&td->dma, iova, len, mp);

    if (err == ENOENT)
        return dma_fail(ENOENT, "%s 0x%llx is in no DMA map", what,
                        (unsigned long long)iova);
    if (err)
        return dma_fail(err,
                        "%s [0x%llx, +0x%llx) runs past the end of its DMA "
                        "map [0x%llx, +0x%llx)",
                        what, (unsigned long long)iova, (unsigned long long)len,
                        (unsigned long long)(*mp)->address,
                        (unsigned long long)(*mp)->size);
    if (!((*mp)->flags & need))
        return dma_fail(
            EPERM, "%s map [0x%llx, +0x%llx) is not %s", what,
            (unsigned long long)(*mp)->address, (unsigned long long)(*mp)->size,
            write ? "writable by the device" : "readable by the device");
    return 0;
}

int td_dma_check(struct testdev *td, const char *what, uint64_t iova,
                 uint64_t len, bool write, unsigned int flags, bool *direct)
{
    struct td_dma_map *mp = NULL;
    int err = check(td, what, iova, len, write, &mp);

    if (!err && direct)
        *direct = mp->mem && !(flags & TD_DMA_FORCE_MSG);
    return err;
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
            return dma_fail(rc, "DMA_READ [0x%llx, +0x%x) failed",
                            (unsigned long long)req.address, n);
        if (rc < 0)
            return rc;
        if (rep.len != sizeof(req) + n) {
            size_t got = rep.len;

            td_msg_release(&rep);
            return dma_fail(EIO,
                            "DMA_READ [0x%llx, +0x%x): reply of %zu bytes, "
                            "expected %zu",
                            (unsigned long long)req.address, n, got,
                            sizeof(req) + n);
        }
        memcpy(&echo, rep.data, sizeof(echo));
        if (echo.address != req.address || echo.count != req.count) {
            td_msg_release(&rep);
            return dma_fail(EIO,
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
            return dma_fail(rc, "DMA_WRITE [0x%llx, +0x%x) failed",
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
            return dma_fail(EIO,
                            "DMA_WRITE [0x%llx, +0x%x): reply of %zu bytes, "
                            "expected %zu (or %u)",
                            (unsigned long long)req.address, n, got,
                            sizeof(req), VFIO_USER_DMA_WRITE_REPLY_SPEC_SIZE);
        }
        td_msg_release(&rep);
        if (address != req.address || count != req.count)
            return dma_fail(EIO,
                            "DMA_WRITE [0x%llx, +0x%x): the reply is for "
                            "[0x%llx, +0x%llx)",
                            (unsigned long long)req.address, n,
                            (unsigned long long)address,
                            (unsigned long long)count);
    }
    return 0;
}

int td_dma_read(struct testdev *td, const char *what, uint64_t iova, void *buf,
                uint32_t len, unsigned int flags)
{
    struct td_dma_map *mp = NULL;
    int err = check(td, what, iova, len, false, &mp);

    if (err)
        return err;
    if (!mp->mem || (flags & TD_DMA_FORCE_MSG))
        return msg_read(td, iova, buf, len);
    err = dma_mem_read(mp, iova - mp->address, buf, len);
    if (err)
        return dma_fail(err,
                        "reading the %s through our mapping faulted (was the "
                        "file shrunk?)",
                        what);
    return 0;
}

int td_dma_write(struct testdev *td, const char *what, uint64_t iova,
                 const void *buf, uint32_t len, unsigned int flags)
{
    struct td_dma_map *mp = NULL;
    int err = check(td, what, iova, len, true, &mp);

    if (err)
        return err;
    if (!mp->mem || (flags & TD_DMA_FORCE_MSG))
        return msg_write(td, iova, buf, len);
    err = dma_mem_write(&td->dma, mp, iova - mp->address, buf, len);
    if (err == EFAULT)
        return dma_fail(err,
                        "writing the %s through our mapping faulted (was "
                        "the file shrunk?)",
                        what);
    if (err)
        return dma_fail(err, "no memory for the %s's dirty page record", what);
    return 0;
}
