/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The namespace and its I/O: one namespace (NSID 1) on memory or a file,
 * the NVM commands Read, Write, Flush and Write Zeroes (NVMe 1.4, 6), and
 * the walk of a command's PRP entries and lists (4.3) that moves the data.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nvme_ctrl.h"
#include "nvme_defs.h"

#define PAGE 4096u
#define MAX_XFER (PAGE << NVMEC_MDTS)
#define ST_GEN(sc) NVMEC_ST(SCT_GENERIC, sc)

/* ---- PRPs ---------------------------------------------------------------- */

/* Contiguous pieces are moved together: one DMA_READ/DMA_WRITE message
 * (or one copy) for what the PRPs describe as adjacent pages. */
struct xfer {
    struct nvmec *c;
    struct nvmec_cmd *cmd;
    uint8_t *buf;
    bool to_host;
    uint64_t iova; /* pending piece */
    uint32_t len;
    uint32_t done; /* bytes of buf moved */
};

static uint16_t flush_piece(struct xfer *x)
{
    const struct nvmec_host *h = x->c->host;
    int rc;

    if (x->len == 0) {
        return 0;
    }
    rc = x->to_host ? h->dma_write(h->ctx, x->iova, x->buf + x->done, x->len)
                    : h->dma_read(h->ctx, x->iova, x->buf + x->done, x->len);
    if (rc < 0) {
        x->cmd->fatal = rc;
        return ST_GEN(SC_INTERNAL);
    }
    if (rc > 0) {
        nvmec_log(x->c, "PRP data [0x%llx, +0x%x) is not reachable",
                  (unsigned long long)x->iova, x->len);
        return ST_GEN(SC_DATA_XFER_ERROR);
    }
    x->done += x->len;
    x->len = 0;
    return 0;
}

static uint16_t piece(struct xfer *x, uint64_t iova, uint32_t len)
{
    if (x->len > 0 && x->iova + x->len == iova) {
        x->len += len;
        return 0;
    }
    uint16_t st = flush_piece(x);
    x->iova = iova;
    x->len = len;
    return st;
}

uint16_t nvmec_prp_xfer(struct nvmec *c, struct nvmec_cmd *cmd, uint8_t *buf,
                        uint32_t len, bool to_host)
{
    const struct nvmec_host *h = c->host;
    struct xfer x = {.c = c, .cmd = cmd, .buf = buf, .to_host = to_host};
    uint64_t prp1 = nvmec_qw(cmd, 24), prp2 = nvmec_qw(cmd, 32);
    uint16_t st;

    if ((prp1 & 3u) != 0) {
        return ST_GEN(SC_INVALID_PRP_OFFSET) | NVMEC_DNR;
    }
    uint32_t first = PAGE - (uint32_t)(prp1 & (PAGE - 1));
    if (first > len) {
        first = len;
    }
    if ((st = piece(&x, prp1, first)) != 0) {
        return st;
    }
    uint32_t rest = len - first;
    if (rest > 0 && rest <= PAGE) {
        if ((prp2 & (PAGE - 1)) != 0) {
            return ST_GEN(SC_INVALID_PRP_OFFSET) | NVMEC_DNR;
        }
        if ((st = piece(&x, prp2, rest)) != 0) {
            return st;
        }
        rest = 0;
    }
    uint64_t list = prp2;
    if (rest > 0 && (list & 7u) != 0) {
        return ST_GEN(SC_INVALID_PRP_OFFSET) | NVMEC_DNR;
    }
    while (rest > 0) {
        uint64_t e[PAGE / 8];
        uint32_t room = (PAGE - (uint32_t)(list & (PAGE - 1))) / 8;
        uint32_t need = (rest + PAGE - 1) / PAGE;
        /* Entries of this list page: the data pages it can hold, plus a
         * pointer to the next list page in its last slot if more follow. */
        uint32_t n = need <= room ? need : room;
        int rc = h->dma_read(h->ctx, list, e, n * 8);
        if (rc < 0) {
            cmd->fatal = rc;
            return ST_GEN(SC_INTERNAL);
        }
        if (rc > 0) {
            nvmec_log(c, "PRP list at 0x%llx is not reachable",
                      (unsigned long long)list);
            return ST_GEN(SC_DATA_XFER_ERROR);
        }
        uint32_t data = need <= room ? n : n - 1;
        for (uint32_t i = 0; i < data; i++) {
            uint32_t m = rest < PAGE ? rest : PAGE;
            if ((e[i] & (PAGE - 1)) != 0) {
                return ST_GEN(SC_INVALID_PRP_OFFSET) | NVMEC_DNR;
            }
            if ((st = piece(&x, e[i], m)) != 0) {
                return st;
            }
            rest -= m;
        }
        if (rest > 0) {
            list = e[n - 1];
            if ((list & 7u) != 0) {
                return ST_GEN(SC_INVALID_PRP_OFFSET) | NVMEC_DNR;
            }
        }
    }
    return flush_piece(&x);
}

/* ---- The backing store --------------------------------------------------- */

int nvmec_backing_open(struct nvmec *c, char *err, size_t errlen)
{
    uint64_t size = c->cfg.size;
    uint32_t lba = 1u << c->cfg.lba_shift;

    if (c->cfg.backing != NULL) {
        struct stat st;
        c->backing_fd =
            open(c->cfg.backing, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (c->backing_fd < 0 || fstat(c->backing_fd, &st) < 0) {
            snprintf(err, errlen, "%s: %s", c->cfg.backing, strerror(errno));
            return -errno;
        }
        if (size == 0) {
            size = (uint64_t)st.st_size;
        } else if ((uint64_t)st.st_size < size &&
                   ftruncate(c->backing_fd, (off_t)size) < 0) {
            snprintf(err, errlen, "%s: growing to %llu bytes: %s",
                     c->cfg.backing, (unsigned long long)size, strerror(errno));
            return -errno;
        }
        c->bounce = malloc(MAX_XFER);
        if (c->bounce == NULL) {
            snprintf(err, errlen, "out of memory");
            return -ENOMEM;
        }
    }
    if (size < lba) {
        snprintf(err, errlen,
                 "the namespace needs at least one %u-byte block "
                 "(--nvme-size, or a longer --nvme-backing file)",
                 lba);
        return -EINVAL;
    }
    c->nsze = size >> c->cfg.lba_shift;
    if (c->cfg.backing == NULL) {
        void *m =
            mmap(NULL, c->nsze << c->cfg.lba_shift, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (m == MAP_FAILED) {
            snprintf(err, errlen, "%llu bytes of namespace memory: %s",
                     (unsigned long long)size, strerror(errno));
            return -errno;
        }
        c->mem = m;
    }
    return 0;
}

void nvmec_backing_close(struct nvmec *c)
{
    if (c->mem != NULL) {
        munmap(c->mem, c->nsze << c->cfg.lba_shift);
        c->mem = NULL;
    }
    if (c->backing_fd >= 0) {
        close(c->backing_fd);
        c->backing_fd = -1;
    }
    free(c->bounce);
    c->bounce = NULL;
}

static int file_io(struct nvmec *c, bool write, uint8_t *buf, size_t len,
                   uint64_t off)
{
    for (size_t done = 0; done < len;) {
        ssize_t n = write ? pwrite(c->backing_fd, buf + done, len - done,
                                   (off_t)(off + done))
                          : pread(c->backing_fd, buf + done, len - done,
                                  (off_t)(off + done));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return -errno;
        }
        if (n == 0) {
            memset(buf + done, 0, len - done); /* a file cut short: holes */
            return 0;
        }
        done += (size_t)n;
    }
    return 0;
}

/* ---- Commands ------------------------------------------------------------ */

static uint16_t rw(struct nvmec *c, struct nvmec_cmd *cmd, bool write,
                   uint64_t slba, uint32_t nlb)
{
    size_t len = (size_t)nlb << c->cfg.lba_shift;
    uint64_t off = slba << c->cfg.lba_shift;
    uint16_t st;

    if (len > MAX_XFER) {
        return ST_GEN(SC_INVALID_FIELD) | NVMEC_DNR; /* beyond MDTS */
    }
    if (c->mem != NULL) {
        st = nvmec_prp_xfer(c, cmd, c->mem + off, (uint32_t)len, !write);
    } else if (write) {
        st = nvmec_prp_xfer(c, cmd, c->bounce, (uint32_t)len, false);
        /* With the write cache off (Volatile Write Cache feature), a
         * completed write is on stable storage. */
        if (st == 0 &&
            (file_io(c, true, c->bounce, len, off) < 0 ||
             (!(c->feat[FEAT_VWC] & 1u) && fdatasync(c->backing_fd) < 0))) {
            c->smart.media_errors++;
            st = NVMEC_ST(SCT_MEDIA, 0x80); /* Write Fault */
        }
    } else if (file_io(c, false, c->bounce, len, off) < 0) {
        c->smart.media_errors++;
        st = NVMEC_ST(SCT_MEDIA, 0x81); /* Unrecovered Read Error */
    } else {
        st = nvmec_prp_xfer(c, cmd, c->bounce, (uint32_t)len, true);
    }
    if (st == 0) {
        uint64_t units = (uint64_t)len / 512u;
        if (write) {
            c->smart.host_writes++;
            c->smart.units_written += units;
        } else {
            c->smart.host_reads++;
            c->smart.units_read += units;
        }
    }
    return st;
}

static uint16_t write_zeroes(struct nvmec *c, uint64_t slba, uint32_t nlb)
{
    uint64_t off = slba << c->cfg.lba_shift;
    uint64_t len = (uint64_t)nlb << c->cfg.lba_shift;

    if (c->mem != NULL) {
        memset(c->mem + off, 0, len);
        return 0;
    }
    memset(c->bounce, 0, MAX_XFER);
    for (uint64_t done = 0; done < len;) {
        size_t n = len - done < MAX_XFER ? (size_t)(len - done) : MAX_XFER;
        if (file_io(c, true, c->bounce, n, off + done) < 0) {
            c->smart.media_errors++;
            return NVMEC_ST(SCT_MEDIA, 0x80);
        }
        done += n;
    }
    return 0;
}

uint16_t nvmec_io(struct nvmec *c, struct nvmec_cmd *cmd)
{
    uint8_t opc = cmd->sqe[0];
    uint32_t nsid = nvmec_dw(cmd, 1);
    uint64_t slba = nvmec_qw(cmd, 40);
    uint32_t nlb = (nvmec_dw(cmd, 12) & 0xffffu) + 1u;

    if (opc != IO_FLUSH && opc != IO_WRITE && opc != IO_READ &&
        opc != IO_WRITE_ZEROES) {
        return ST_GEN(SC_INVALID_OPCODE) | NVMEC_DNR;
    }
    if (nsid != 1 && !(opc == IO_FLUSH && nsid == 0xffffffffu)) {
        return ST_GEN(SC_INVALID_NS) | NVMEC_DNR;
    }
    if (c->cfg.quirk != NVMEC_QUIRK_NONE) {
        cmd->hold = true; /* fetched, never completed */
        return 0;
    }
    if (opc == IO_FLUSH) {
        if (c->backing_fd >= 0 && fdatasync(c->backing_fd) < 0) {
            return ST_GEN(SC_INTERNAL);
        }
        return 0;
    }
    cmd->lba = slba;
    if (slba >= c->nsze || nlb > c->nsze - slba) {
        return ST_GEN(SC_LBA_RANGE) | NVMEC_DNR;
    }
    if (opc == IO_WRITE_ZEROES) {
        return write_zeroes(c, slba, nlb);
    }
    return rw(c, cmd, opc == IO_WRITE, slba, nlb);
}
