/* SPDX-License-Identifier: BSD-3-Clause */
/* DMA: jobs of vuc-testdev's engine, and map/unmap pairs (--only dma,map). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <event2/event.h>

#include "bench_int.h"
#include "testdev_regs.h"

/* The blocking client's DMA memory, at IOVAs no libvuc map uses (they are
 * never on the same connection anyway). */
#define WIRE_IOVA_SRC 0x40000000ull
#define WIRE_IOVA_DST 0x80000000ull
#define WIRE_IOVA_MAP 0xc0000000ull

_Static_assert(TESTDEV_REG_DMA_SRC_HI == TESTDEV_REG_DMA_SRC_LO + 4 &&
                   TESTDEV_REG_DMA_DST_LO == TESTDEV_REG_DMA_SRC_LO + 8 &&
                   TESTDEV_REG_DMA_DST_HI == TESTDEV_REG_DMA_SRC_LO + 12 &&
                   TESTDEV_REG_DMA_LEN == TESTDEV_REG_DMA_SRC_LO + 16 &&
                   TESTDEV_REG_DMA_CTRL == TESTDEV_REG_DMA_SRC_LO + 20,
               "one 24-byte write programs the DMA engine and rings it");

/* ---- Message-based DMA through vuc-testdev's engine ---------------------- */

static const uint64_t dma_sizes[] = {4 * KIB, MIB};
#define NDMA (sizeof(dma_sizes) / sizeof(dma_sizes[0]))

struct dma_arg {
    unsigned count[NDMA];
    struct series lib[NDMA], base[NDMA], mcpy[NDMA];
};

static void dma_regs(uint32_t regs[6], uint64_t src, uint64_t dst, uint32_t len,
                     uint32_t ctrl)
{
    regs[0] = (uint32_t)src;
    regs[1] = (uint32_t)(src >> 32);
    regs[2] = (uint32_t)dst;
    regs[3] = (uint32_t)(dst >> 32);
    regs[4] = len;
    regs[5] = ctrl;
}

static int dma_status_why(uint32_t st, uint32_t err, uint32_t len, char *why)
{
    snprintf(why, WHY_LEN,
             "DMA job of %u bytes ended with status %u, errno "
             "%u (%s)",
             len, st, err, err ? strerror((int)err) : "none");
    return -EIO;
}

/* One job: program and ring in one write, then read DMA_STATUS. The engine
 * runs the job before it handles the read, so the read's reply means done;
 * meanwhile libvuc serves the engine's DMA_READ/DMA_WRITE requests from
 * inside the blocking call's loop. */
int dma_job_lib(struct vuc_client *c, uint64_t src, uint64_t dst, uint32_t len,
                uint32_t ctrl, char *why)
{
    uint32_t regs[6], st, err = 0;
    int rc;

    dma_regs(regs, src, dst, len, ctrl);
    rc = vuc_region_write(c, 0, TESTDEV_REG_DMA_SRC_LO, regs, sizeof(regs));
    if (rc == 0)
        rc = vuc_region_read(c, 0, TESTDEV_REG_DMA_STATUS, &st, 4);
    if (rc < 0)
        return lib_err(c, rc, why, "DMA job");
    if (st != TESTDEV_DMA_STATUS_DONE) {
        vuc_region_read(c, 0, TESTDEV_REG_DMA_ERRNO, &err, 4);
        return dma_status_why(st, err, len, why);
    }
    return 0;
}

/* The same messages as libvuc's job: the doorbell write posted when libvuc
 * posts it. */
int dma_job_wire(struct bw *w, bool posted, uint64_t src, uint64_t dst,
                 uint32_t len, uint32_t ctrl, char *why)
{
    uint32_t regs[6], st, err = 0;
    int rc;

    dma_regs(regs, src, dst, len, ctrl);
    rc =
        posted
            ? bw_write_post(w, 0, TESTDEV_REG_DMA_SRC_LO, regs, sizeof(regs))
            : bw_region_write(w, 0, TESTDEV_REG_DMA_SRC_LO, regs, sizeof(regs));
    if (rc == 0)
        rc = bw_region_read(w, 0, TESTDEV_REG_DMA_STATUS, &st, 4);
    if (rc < 0)
        return wire_err(w, rc, why);
    if (st != TESTDEV_DMA_STATUS_DONE) {
        bw_region_read(w, 0, TESTDEV_REG_DMA_ERRNO, &err, 4);
        return dma_status_why(st, err, len, why);
    }
    return 0;
}

/* NOSHARE maps make the engine use messages anyway; FORCE_MSG keeps it so
 * should a map ever come with an fd. */
static const uint32_t msg_ctrl =
    TESTDEV_DMA_CTRL_START | TESTDEV_DMA_CTRL_FORCE_MSG;

static void fill_pattern(uint8_t *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(i * 131 + seed);
}

static int dma_lib(struct bctx *b, struct vuc_client *c, void *arg, char *why)
{
    struct dma_arg *a = arg;
    const unsigned flags = VUC_DMA_READ | VUC_DMA_WRITE | VUC_DMA_NOSHARE;
    struct vuc_dma_map *src = NULL, *dst = NULL;
    uint8_t *sv, *dv;
    int rc;

    rc = vuc_dma_alloc(c, MIB, VUC_IOVA_ANY, flags, &src);
    if (rc == 0)
        rc = vuc_dma_alloc(c, MIB, VUC_IOVA_ANY, flags, &dst);
    if (rc < 0) {
        lib_err(c, rc, why, "DMA alloc");
        goto out;
    }
    sv = vuc_dma_vaddr(src);
    dv = vuc_dma_vaddr(dst);
    fill_pattern(sv, MIB, 17);
    for (unsigned s = 0; s < NDMA && rc == 0; s++) {
        uint32_t len = (uint32_t)dma_sizes[s];

        /* The warm-up job is checked: the figures are of real copies. */
        memset(dv, 0, len);
        rc = dma_job_lib(c, vuc_dma_iova(src), vuc_dma_iova(dst), len, msg_ctrl,
                         why);
        if (rc == 0 && memcmp(dv, sv, len) != 0) {
            snprintf(why, WHY_LEN,
                     "the DMA engine's copy did not arrive "
                     "intact in libvuc's memory");
            rc = -EIO;
        }
        for (unsigned k = 0; k < a->count[s] && rc == 0; k++) {
            uint64_t t0 = now_ns();
            rc = dma_job_lib(c, vuc_dma_iova(src), vuc_dma_iova(dst), len,
                             msg_ctrl, why);
            series_add(&a->lib[s], (double)(now_ns() - t0));
        }
        /* memcpy() of the same bytes between the same two buffers. */
        for (unsigned k = 0; k < a->count[s] && rc == 0; k++) {
            uint64_t t0 = now_ns();
            memcpy(dv, sv, len);
            __asm__ volatile("" ::: "memory");
            series_add(&a->mcpy[s], (double)(now_ns() - t0));
        }
    }
out:
    if (src != NULL && vuc_dma_unmap(c, src) < 0 && rc == 0)
        rc = lib_err(c, -EIO, why, "DMA unmap");
    if (dst != NULL && vuc_dma_unmap(c, dst) < 0 && rc == 0)
        rc = lib_err(c, -EIO, why, "DMA unmap");
    return rc;
}

static int dma_wire(struct bctx *b, struct bw *w, void *arg, char *why)
{
    struct dma_arg *a = arg;
    const uint32_t rw =
        VFIO_USER_F_DMA_REGION_READ | VFIO_USER_F_DMA_REGION_WRITE;
    uint8_t *sv = aligned_alloc(4096, MIB), *dv = aligned_alloc(4096, MIB);
    int rc = 0;

    if (sv == NULL || dv == NULL) {
        snprintf(why, WHY_LEN, "out of memory");
        rc = -ENOMEM;
        goto out;
    }
    fill_pattern(sv, MIB, 29);
    rc = bw_add_area(w, WIRE_IOVA_SRC, sv, MIB);
    if (rc == 0)
        rc = bw_add_area(w, WIRE_IOVA_DST, dv, MIB);
    if (rc == 0)
        rc = bw_dma_map(w, -1, WIRE_IOVA_SRC, MIB, rw);
    if (rc == 0)
        rc = bw_dma_map(w, -1, WIRE_IOVA_DST, MIB, rw);
    if (rc < 0) {
        wire_err(w, rc, why);
        goto out;
    }
    for (unsigned s = 0; s < NDMA && rc == 0; s++) {
        uint32_t len = (uint32_t)dma_sizes[s];

        memset(dv, 0, len);
        rc = dma_job_wire(w, b->srv.bar0_posted, WIRE_IOVA_SRC, WIRE_IOVA_DST,
                          len, msg_ctrl, why);
        if (rc == 0 && memcmp(dv, sv, len) != 0) {
            snprintf(why, WHY_LEN,
                     "the DMA engine's copy did not arrive "
                     "intact in the baseline's memory");
            rc = -EIO;
        }
        for (unsigned k = 0; k < a->count[s] && rc == 0; k++) {
            uint64_t t0 = now_ns();
            rc = dma_job_wire(w, b->srv.bar0_posted, WIRE_IOVA_SRC,
                              WIRE_IOVA_DST, len, msg_ctrl, why);
            series_add(&a->base[s], (double)(now_ns() - t0));
        }
    }
    /* Not measured: the connection's end would drop the maps anyway, but
     * a client that maps also unmaps. */
    if (rc == 0) {
        rc = bw_dma_unmap(w, WIRE_IOVA_SRC, MIB);
        if (rc == 0)
            rc = bw_dma_unmap(w, WIRE_IOVA_DST, MIB);
        if (rc < 0)
            wire_err(w, rc, why);
    }
out:
    free(sv);
    free(dv);
    return rc;
}

void phase_dma(struct bctx *b)
{
    static const char *const ids[NDMA][2] = {
        {"dma.msg.4k", "dma.memcpy.4k"},
        {"dma.msg.1m", "dma.memcpy.1m"},
    };
    struct dma_arg a = {0};
    struct row *rows[NDMA * 2];

    for (unsigned s = 0; s < NDMA; s++) {
        rows[s * 2] = row_new(b, ids[s][0], "MB/s", true, "wire",
                              "message DMA copy %s (doorbell to status)",
                              size_name(dma_sizes[s]));
        rows[s * 2 + 1] =
            row_new(b, ids[s][1], "MB/s", true, "memcpy",
                    "message DMA copy %s vs memcpy()", size_name(dma_sizes[s]));
    }
    a.count[0] = at_least(b->iterations / 10, 2);
    a.count[1] = at_least(b->iterations / 100, 2);
    if (!b->srv.testdev || !b->srv.dma_engine) {
        skip_rows(rows, NDMA * 2,
                  b->srv.testdev ? "skipped: server has no DMA engine "
                                   "(this vuc-testdev's DMA_STATUS is plain "
                                   "memory)"
                                 : "skipped: server has no DMA engine (not "
                                   "vuc-testdev)");
        return;
    }
    for (unsigned s = 0; s < NDMA; s++) {
        size_t n = (size_t)b->rounds * a.count[s];
        if (!reserve_all(b, rows, NDMA * 2, &a.lib[s], 1, n) ||
            !reserve_all(b, rows, NDMA * 2, &a.base[s], 1, n) ||
            !reserve_all(b, rows, NDMA * 2, &a.mcpy[s], 1, n))
            goto out;
    }
    run_rounds(b, rows, NDMA * 2, dma_wire, dma_lib, &a);
    for (unsigned s = 0; s < NDMA; s++) {
        double bytes = (double)dma_sizes[s];

        side_rate(&rows[s * 2]->lib, &a.lib[s], bytes, 1e6);
        side_rate(&rows[s * 2]->base, &a.base[s], bytes, 1e6);
        side_rate(&rows[s * 2 + 1]->lib, &a.lib[s], bytes, 1e6);
        side_rate(&rows[s * 2 + 1]->base, &a.mcpy[s], bytes, 1e6);
    }
    ratio_target(b, "dma.1m_vs_memcpy", "message DMA 1 MiB / memcpy()",
                 &rows[3]->lib, &rows[3]->base, 0.5);
    if (rows[2]->base.state == SIDE_OK && rows[3]->base.state == SIDE_OK)
        snprintf(b->targets[b->ntargets - 1].note, WHY_LEN,
                 "the blocking client reaches %.2fx memcpy()",
                 rows[2]->base.median / rows[3]->base.median);
out:
    free_all(a.lib, NDMA);
    free_all(a.base, NDMA);
    free_all(a.mcpy, NDMA);
}

/* ---- DMA map/unmap pairs ------------------------------------------------- */

struct map_arg {
    unsigned n, batch;
    struct series s[4];
};

static int map_lib(struct bctx *b, struct vuc_client *c, void *arg, char *why)
{
    struct map_arg *a = arg;
    unsigned warm = warmup_ops(a->n);
    struct op_clock k = {
        .lat = &a->s[0], .per_batch = &a->s[1], .batch = a->batch};

    for (unsigned i = 0; i < warm + a->n; i++) {
        struct vuc_dma_map *m;
        int rc;

        if (i == warm)
            op_clock_start(&k);
        rc = vuc_dma_alloc(c, 4 * KIB, VUC_IOVA_ANY,
                           VUC_DMA_READ | VUC_DMA_WRITE, &m);
        if (rc < 0)
            return lib_err(c, rc, why, "DMA alloc");
        rc = vuc_dma_unmap(c, m);
        if (rc < 0)
            return lib_err(c, rc, why, "DMA unmap");
        if (i < warm)
            continue;
        op_clock_tick(&k);
    }
    return 0;
}

static int map_wire(struct bctx *b, struct bw *w, void *arg, char *why)
{
    struct map_arg *a = arg;
    const uint32_t rw =
        VFIO_USER_F_DMA_REGION_READ | VFIO_USER_F_DMA_REGION_WRITE;
    unsigned warm = warmup_ops(a->n);
    struct op_clock k = {
        .lat = &a->s[2], .per_batch = &a->s[3], .batch = a->batch};
    int fd = memfd_create("vuc-bench", MFD_CLOEXEC), rc = 0;

    if (fd < 0 || ftruncate(fd, 4 * KIB) < 0) {
        snprintf(why, WHY_LEN, "memfd: %s", strerror(errno));
        if (fd >= 0)
            close(fd);
        return -errno;
    }
    for (unsigned i = 0; i < warm + a->n && rc == 0; i++) {
        if (i == warm)
            op_clock_start(&k);
        rc = bw_dma_map(w, fd, WIRE_IOVA_MAP, 4 * KIB, rw);
        if (rc == 0)
            rc = bw_dma_unmap(w, WIRE_IOVA_MAP, 4 * KIB);
        if (rc < 0 || i < warm)
            continue;
        op_clock_tick(&k);
    }
    close(fd);
    return rc < 0 ? wire_err(w, rc, why) : 0;
}

void phase_map(struct bctx *b)
{
    struct map_arg a = {.n = at_least(b->iterations / 5, 10)};
    struct row *rows[2];

    a.batch = a.n < SYNC_BATCH ? a.n : SYNC_BATCH;
    rows[0] = row_new(b, "map.pair.latency", "us", false, "wire",
                      "DMA map + unmap 4 KiB: latency");
    rows[1] = row_new(b, "map.pair.rate", "pairs/s", true, "wire",
                      "DMA map + unmap 4 KiB: rate");
    if (!reserve_all(b, rows, 2, a.s, 4, (size_t)b->rounds * a.n))
        goto out;
    run_rounds(b, rows, 2, map_wire, map_lib, &a);
    side_latency(&rows[0]->lib, &a.s[0]);
    side_rate(&rows[1]->lib, &a.s[1], a.batch, 1);
    side_latency(&rows[0]->base, &a.s[2]);
    side_rate(&rows[1]->base, &a.s[3], a.batch, 1);
    if (rows[0]->lib.state == SIDE_OK)
        snprintf(rows[0]->lib.note, WHY_LEN,
                 "libvuc: memfd + seals + mmap + DMA_MAP with its fd; "
                 "baseline: DMA_MAP of one reused memfd");
out:
    free_all(a.s, 4);
}
