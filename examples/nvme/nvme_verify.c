/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vuc-nvme verify: write patterns at every shape of PRP description a
 * command can need (one page, PRP2 as a second page, a PRP list, the
 * largest transfer, each at page-aligned and unaligned buffer offsets), read
 * them back through a separate buffer and compare; then Write Zeroes and
 * Flush when the controller has them. Cases rotate over the queue pairs.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "vuc_nvme.h"

/* Bytes that differ from case to case and from block to block. */
static void fill(uint8_t *p, size_t len, uint32_t seed)
{
    uint32_t x = seed * 2654435761u + 1u;
    for (size_t i = 0; i < len; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = (uint8_t)(x >> 16);
    }
}

static int one_case(struct nvme_drv *d, struct nvme_buf *wb,
                    struct nvme_buf *rb, unsigned q, uint64_t lba, size_t len,
                    size_t off, uint32_t seed)
{
    const struct nvme_drv_info *in = nvme_drv_info(d);
    uint32_t nlb = (uint32_t)(len / in->lba_size);
    uint8_t *w = (uint8_t *)wb->va + off, *r = (uint8_t *)rb->va + off;
    uint16_t st;

    fill(w, len, seed);
    memset(r, 0xa5, len);
    int rc =
        nvme_io_sync(d, q, NVME_CMD_WRITE, lba, nlb, wb->iova + off, len, &st);
    if (rc == 0) {
        rc = nvme_io_sync(d, q, NVME_CMD_READ, lba, nlb, rb->iova + off, len,
                          &st);
    }
    if (rc < 0) {
        fprintf(stderr, "verify: %zu bytes at buffer offset %zu: %s\n", len,
                off, nvme_drv_error(d));
        return rc;
    }
    for (size_t i = 0; i < len; i++) {
        if (w[i] != r[i]) {
            fprintf(stderr,
                    "verify: %zu bytes at LBA %" PRIu64 ", buffer offset "
                    "%zu, queue %u: byte %zu reads 0x%02x, wrote 0x%02x\n",
                    len, lba, off, q, i, r[i], w[i]);
            return -EIO;
        }
    }
    return 0;
}

static int zeroes_and_flush(struct nvme_drv *d, struct nvme_buf *rb)
{
    const struct nvme_drv_info *in = nvme_drv_info(d);
    uint16_t st;
    int rc = 0;

    if (in->write_zeroes) {
        memset(rb->va, 0xa5, 8u * in->lba_size);
        rc = nvme_io_sync(d, 0, NVME_CMD_WRITE_ZEROES, 0, 8, 0, 0, &st);
        if (rc == 0) {
            rc = nvme_io_sync(d, 0, NVME_CMD_READ, 0, 8, rb->iova,
                              8u * in->lba_size, &st);
        }
        for (size_t i = 0; rc == 0 && i < 8u * in->lba_size; i++) {
            if (((uint8_t *)rb->va)[i] != 0) {
                fprintf(stderr,
                        "verify: byte %zu after Write Zeroes reads 0x%02x\n", i,
                        ((uint8_t *)rb->va)[i]);
                return 1;
            }
        }
    }
    if (rc == 0) {
        rc = nvme_io_sync(d, 0, NVME_CMD_FLUSH, 0, 0, 0, 0, &st);
    }
    if (rc < 0) {
        fprintf(stderr, "verify: %s\n", nvme_drv_error(d));
        return 1;
    }
    return 0;
}

int cmd_verify(struct nvme_drv *d)
{
    const struct nvme_drv_info *in = nvme_drv_info(d);
    const uint32_t page = in->page_size;
    /* In blocks' worth of bytes: within a page, two pages (PRP2), a list,
     * the largest transfer (a full list page once it is unaligned). */
    const size_t lens[] = {in->lba_size, page,       2u * page,
                           3u * page,    16u * page, in->max_xfer};
    const size_t offs[] = {0, 4, 512, page - 4};
    struct nvme_buf wb, rb;
    unsigned cases = 0;
    int status = 1;

    if (nvme_buf_alloc(d, in->max_xfer + page, &wb) < 0 ||
        nvme_buf_alloc(d, in->max_xfer + page, &rb) < 0) {
        fprintf(stderr, "verify: %s\n", nvme_drv_error(d));
        return 1;
    }
    uint64_t lba = 0;
    for (size_t li = 0; li < sizeof(lens) / sizeof(lens[0]); li++) {
        size_t len = lens[li] - lens[li] % in->lba_size;
        uint64_t nlb = len / in->lba_size;
        for (size_t oi = 0; oi < sizeof(offs) / sizeof(offs[0]); oi++) {
            if (lba + nlb > in->nsze) {
                lba = 0; /* small namespaces: start over at the front */
            }
            if (len == 0 || nlb > in->nsze) {
                continue;
            }
            if (one_case(d, &wb, &rb, cases % in->nr_queues, lba, len, offs[oi],
                         (uint32_t)cases) < 0) {
                goto out;
            }
            lba += nlb;
            cases++;
        }
    }
    if (zeroes_and_flush(d, &rb) != 0) {
        goto out;
    }
    printf("verify: %u write/read cases passed (up to %u bytes, %u queue "
           "pair%s)%s, flush passed\n",
           cases, in->max_xfer, in->nr_queues, in->nr_queues == 1 ? "" : "s",
           in->write_zeroes ? ", write zeroes" : "");
    status = 0;
out:
    nvme_buf_free(d, &wb);
    nvme_buf_free(d, &rb);
    return status;
}
