/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The device-state measurements: dirty-page reports of a large DMA range,
 * and migration data (save, load, raw MIG_DATA_READ). Both run rounds as
 * every other phase does (bench_phases.c): the blocking wire client on a
 * connection of its own, then libvuc on a fresh client.
 *
 * Each phase first looks, on a connection of its own, at what the server
 * offers (no DMA logging, no migration: the rows are skipped and say so)
 * and at the sizes the rounds will use, so that both sides of a round
 * measure the same work.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <event2/event.h>

#include "bench_int.h"
#include "testdev_regs.h"

/* ---- Dirty pages ----------------------------------------------------------
 *
 * A VMM that migrates a 64 GiB guest asks for the dirty bitmap of all of it
 * in every pass: 2 MiB of bitmap at 4 KiB pages, in pieces that fit a
 * message. libvuc's figure is one vuc_dirty_report() of the whole range;
 * the baseline sends the same DMA_LOGGING_REPORT pieces, several in flight
 * as libvuc has them, and receives each bitmap straight into place. The
 * memory is a sparse memfd: the server maps it and nothing touches it, so
 * it costs no memory.
 */

#define DIRTY_SIZE (64 * GIB)
/* The smallest map tried when the system refuses larger ones. */
#define DIRTY_MIN_SIZE (2 * MIB)
#define DIRTY_PAGE 4096u
/* Pages the device writes before a "written" report. */
#define DIRTY_WRITTEN_PAGES 256u
/* Report pieces the baseline keeps in flight: all of them for the usual
 * transfer sizes, and few enough that a blocking client never fills both
 * socket buffers. */
#define REPORT_WINDOW 64u
/* The baseline's map: an IOVA no other measurement uses. */
#define WIRE_IOVA_DIRTY (1ull << 40)

enum { D_REPORT, D_WRITTEN, D_N };

struct dirty_arg {
    uint64_t size;  /* of the map, and of every report */
    uint64_t page;  /* of the reports: what the device chose */
    uint64_t wlen;  /* bytes the device writes before a D_WRITTEN report */
    size_t bytes;   /* of the bitmap of one report */
    unsigned n, nw; /* reports per round: plain, after writes */
    bool written;   /* vuc-testdev's DMA engine writes the pages */
    uint8_t *bm;    /* bytes */
    struct series lib[D_N], base[D_N];
};

/* The IOVA length of one report piece, as libvuc cuts a report (dirty.c):
 * a bitmap of whole 64-bit words that leaves 64 bytes of a message of the
 * transfer size for the headers. */
static uint64_t dirty_piece(uint32_t xfer, uint64_t page)
{
    uint64_t room = xfer > 4096 ? xfer - 64 : 4096 - 64;

    return room / 8 * 64 * page;
}

/* The report that follows the device's write of [off, off + len) of the
 * map holds exactly the pages it touched. Checked outside the clock. */
static int check_written(const struct dirty_arg *a, uint64_t off,
                         const char *who, char *why)
{
    const uint64_t *bm = (const uint64_t *)a->bm;
    uint64_t first = off / a->page, last = (off + a->wlen - 1) / a->page;
    uint64_t set = 0;
    bool ok;

    for (size_t i = 0; i < a->bytes / 8; i++)
        set += (uint64_t)__builtin_popcountll(bm[i]);
    ok = set == last - first + 1;
    for (uint64_t p = first; ok && p <= last; p++)
        ok = (bm[p / 64] >> (p % 64)) & 1;
    if (ok)
        return 0;
    snprintf(why, WHY_LEN,
             "%s: after the device wrote pages %llu..%llu the report has "
             "%llu pages set, not exactly those",
             who, (unsigned long long)first, (unsigned long long)last,
             (unsigned long long)set);
    return -EIO;
}

static int dirty_lib(struct bctx *b, struct vuc_client *c, void *arg, char *why)
{
    struct dirty_arg *a = arg;
    const size_t words = a->bytes / 8;
    struct vuc_dma_map *m = NULL;
    struct vuc_dirty_range r;
    bool started = false;
    int rc;

    rc = vuc_dma_alloc(c, a->size, VUC_IOVA_ANY, VUC_DMA_READ | VUC_DMA_WRITE,
                       &m);
    if (rc < 0)
        return lib_err(c, rc, why, "DMA alloc");
    r.iova = vuc_dma_iova(m);
    r.length = a->size;
    rc = vuc_dirty_start(c, &r, 1, DIRTY_PAGE);
    if (rc < 0) {
        lib_err(c, rc, why, "dirty start");
        goto out;
    }
    started = true;
    if (vuc_dirty_page_size(c) != a->page) {
        snprintf(why, WHY_LEN,
                 "the device chose %llu-byte pages, %llu-byte ones before",
                 (unsigned long long)vuc_dirty_page_size(c),
                 (unsigned long long)a->page);
        rc = -EIO;
        goto out;
    }
    /* The first report warms up (and empties what the map's setup left). */
    for (unsigned i = 0; i <= a->n && rc == 0; i++) {
        uint64_t t0 = now_ns();

        rc = vuc_dirty_report(c, r.iova, a->size, a->page, (uint64_t *)a->bm,
                              words);
        if (rc < 0)
            lib_err(c, rc, why, "dirty report");
        else if (i > 0)
            series_add(&a->lib[D_REPORT], (double)(now_ns() - t0));
    }
    for (unsigned i = 0; a->written && i < a->nw && rc == 0; i++) {
        uint64_t t0;

        rc = dma_job_lib(c, r.iova, r.iova + a->size / 2, (uint32_t)a->wlen,
                         TESTDEV_DMA_CTRL_START, why);
        if (rc < 0)
            break;
        t0 = now_ns();
        rc = vuc_dirty_report(c, r.iova, a->size, a->page, (uint64_t *)a->bm,
                              words);
        if (rc < 0) {
            lib_err(c, rc, why, "dirty report");
            break;
        }
        series_add(&a->lib[D_WRITTEN], (double)(now_ns() - t0));
        rc = check_written(a, a->size / 2, "libvuc", why);
    }
out:
    if (started && vuc_dirty_stop(c) < 0 && rc == 0)
        rc = lib_err(c, -EIO, why, "dirty stop");
    if (vuc_dma_unmap(c, m) < 0 && rc == 0)
        rc = lib_err(c, -EIO, why, "DMA unmap");
    return rc;
}

/* One report of the whole map, in libvuc's pieces, up to REPORT_WINDOW of
 * them in flight; each bitmap lands where libvuc would put it. */
static int wire_report(struct bw *w, const struct dirty_arg *a, uint64_t piece)
{
    uint64_t npieces = (a->size + piece - 1) / piece, sent = 0, done = 0;
    uint16_t ids[REPORT_WINDOW];
    int rc = 0;

    while (done < npieces && rc == 0) {
        if (sent < npieces && sent - done < REPORT_WINDOW) {
            uint64_t off = sent * piece;
            uint64_t len = a->size - off < piece ? a->size - off : piece;

            rc = bw_dirty_report_send(w, WIRE_IOVA_DIRTY + off, len, a->page,
                                      &ids[sent % REPORT_WINDOW]);
            sent++;
            continue;
        }
        uint64_t off = done * piece;
        uint64_t len = a->size - off < piece ? a->size - off : piece;
        size_t bytes = (size_t)((len / a->page + 63) / 64 * 8);

        rc = bw_dirty_report_recv(w, ids[done % REPORT_WINDOW],
                                  a->bm + off / a->page / 8, bytes);
        done++;
    }
    return rc;
}

static int dirty_wire(struct bctx *b, struct bw *w, void *arg, char *why)
{
    struct dirty_arg *a = arg;
    const uint32_t rw =
        VFIO_USER_F_DMA_REGION_READ | VFIO_USER_F_DMA_REGION_WRITE;
    uint64_t piece = dirty_piece(w->xfer, a->page);
    bool mapped = false, started = false;
    int fd, rc;

    /* What libvuc maps, without the client's own mapping: the baseline
     * never touches the memory. */
    fd = memfd_create("vuc-bench-dirty", MFD_CLOEXEC);
    if (fd < 0 || ftruncate(fd, (off_t)a->size) < 0) {
        rc = -errno;
        snprintf(why, WHY_LEN, "memfd of %llu bytes: %s",
                 (unsigned long long)a->size, strerror(errno));
        if (fd >= 0)
            close(fd);
        return rc;
    }
    rc = bw_dma_map(w, fd, WIRE_IOVA_DIRTY, a->size, rw);
    mapped = rc == 0;
    if (rc == 0)
        rc = bw_dirty_start(w, a->page, WIRE_IOVA_DIRTY, a->size);
    started = rc == 0;
    for (unsigned i = 0; i <= a->n && rc == 0; i++) {
        uint64_t t0 = now_ns();

        rc = wire_report(w, a, piece);
        if (rc == 0 && i > 0)
            series_add(&a->base[D_REPORT], (double)(now_ns() - t0));
    }
    if (rc < 0)
        wire_err(w, rc, why);
    for (unsigned i = 0; a->written && i < a->nw && rc == 0; i++) {
        uint64_t t0;

        rc = dma_job_wire(w, b->srv.bar0_posted, WIRE_IOVA_DIRTY,
                          WIRE_IOVA_DIRTY + a->size / 2, (uint32_t)a->wlen,
                          TESTDEV_DMA_CTRL_START, why);
        if (rc < 0)
            break;
        t0 = now_ns();
        rc = wire_report(w, a, piece);
        if (rc < 0) {
            wire_err(w, rc, why);
            break;
        }
        series_add(&a->base[D_WRITTEN], (double)(now_ns() - t0));
        rc = check_written(a, a->size / 2, "baseline", why);
    }
    if (started && bw_dirty_stop(w, a->page) < 0 && rc == 0)
        rc = wire_err(w, -EIO, why);
    if (mapped && bw_dma_unmap(w, WIRE_IOVA_DIRTY, a->size) < 0 && rc == 0)
        rc = wire_err(w, -EIO, why);
    close(fd);
    return rc;
}

/*
 * On a connection of its own: the largest map (64 GiB, else the largest
 * power of two the system takes, with the first refusal in refused), and
 * whether and how the server logs. why says why not.
 */
static enum setup_result dirty_setup(struct bctx *b, struct dirty_arg *a,
                                     bool *legacy, bool *noshare, char *refused,
                                     char *why)
{
    enum setup_result res = SETUP_OK;
    struct vuc_dma_map *m = NULL;
    struct vuc_dirty_range r;
    struct vuc_client *c;
    int rc = lib_open(b, &c, why);

    if (rc < 0)
        return SETUP_FAIL;
    for (a->size = DIRTY_SIZE; a->size >= DIRTY_MIN_SIZE; a->size /= 2) {
        rc = vuc_dma_alloc(c, a->size, VUC_IOVA_ANY,
                           VUC_DMA_READ | VUC_DMA_WRITE, &m);
        if (rc == 0)
            break;
        if (refused[0] == '\0')
            snprintf(refused, WHY_LEN, "the system refused 64 GiB: %.170s",
                     *vuc_strerror(c) ? vuc_strerror(c) : strerror(-rc));
        if (!vuc_is_connected(c))
            break;
    }
    if (rc < 0) {
        snprintf(why, WHY_LEN,
                 "no DMA map of 2 MiB to 64 GiB was accepted; the last: %.110s",
                 *vuc_strerror(c) ? vuc_strerror(c) : strerror(-rc));
        res = SETUP_FAIL;
        goto out;
    }
    *noshare = (vuc_dma_map_flags(m) & VUC_DMA_NOSHARE) != 0;
    r.iova = vuc_dma_iova(m);
    r.length = a->size;
    rc = vuc_dirty_start(c, &r, 1, DIRTY_PAGE);
    if (rc == -EBUSY) {
        snprintf(why, WHY_LEN,
                 "skipped: dirty logging already runs on this client");
        res = SETUP_SKIP;
    } else if (rc == -ENOTSUP) {
        snprintf(why, WHY_LEN, "skipped: server has no DMA logging (%.150s)",
                 vuc_strerror(c));
        res = SETUP_SKIP;
    } else if (rc < 0) {
        lib_err(c, rc, why, "dirty start");
        res = SETUP_FAIL;
    } else {
        a->page = vuc_dirty_page_size(c);
        *legacy = vuc_dirty_get_mode(c) == VUC_DIRTY_LEGACY;
        rc = vuc_dirty_stop(c);
        if (rc < 0) {
            lib_err(c, rc, why, "dirty stop");
            res = SETUP_FAIL;
        } else if (a->size % a->page != 0 || a->size / a->page < 64) {
            snprintf(why, WHY_LEN,
                     "skipped: the device chose %llu-byte pages, too large "
                     "for the map",
                     (unsigned long long)a->page);
            res = SETUP_SKIP;
        }
    }
out:
    if (m != NULL && vuc_dma_unmap(c, m) < 0 && res == SETUP_OK) {
        lib_err(c, -EIO, why, "DMA unmap");
        res = SETUP_FAIL;
    }
    lib_close(b, c);
    return res;
}

enum { R_LAT, R_RATE, R_WRITTEN, R_N };

void phase_dirty(struct bctx *b)
{
    struct dirty_arg a = {
        .n = at_least(b->iterations / 250, 3),
        .nw = at_least(b->iterations / 500, 2),
        .written = b->srv.testdev && b->srv.dma_engine,
    };
    char why[WHY_LEN] = "", refused[WHY_LEN] = "", sz[32], pg[32], bm[32];
    bool legacy = false, noshare = false;
    struct row *rows[R_N], *act[R_N];
    unsigned npieces = 0, nact = 0;
    enum setup_result res;

    res = dirty_setup(b, &a, &legacy, &noshare, refused, why);
    if (res == SETUP_OK) {
        uint64_t piece = dirty_piece(lib_xfer(b), a.page);

        a.bytes = (size_t)((a.size / a.page + 63) / 64 * 8);
        /* Within half the map and one job of the engine. */
        a.wlen = DIRTY_WRITTEN_PAGES * a.page;
        if (a.wlen > a.size / 2)
            a.wlen = a.size / 2;
        if (a.wlen > TESTDEV_DMA_MAX_LEN)
            a.wlen = TESTDEV_DMA_MAX_LEN;
        npieces = (unsigned)((a.size + piece - 1) / piece);
    } else {
        /* For the labels: the map found, else what was asked for. */
        if (a.size < DIRTY_MIN_SIZE)
            a.size = DIRTY_SIZE;
        a.page = DIRTY_PAGE;
        a.bytes = (size_t)(a.size / DIRTY_PAGE / 8);
        a.wlen = DIRTY_WRITTEN_PAGES * DIRTY_PAGE;
    }
    size_str(a.size, sz, sizeof(sz));
    size_str(a.page, pg, sizeof(pg));
    size_str(a.bytes, bm, sizeof(bm));
    rows[R_LAT] = row_new(b, "dirty.report.latency", "us", false, "wire",
                          "dirty report %s%s, %s pages: latency", sz,
                          refused[0] ? " (64 GiB refused)" : "", pg);
    if (npieces > 0)
        rows[R_RATE] =
            row_new(b, "dirty.report.rate", "MB/s", true, "wire",
                    "dirty report %s: MB/s of bitmap (%s in %u piece%s)", sz,
                    bm, npieces, npieces == 1 ? "" : "s");
    else
        rows[R_RATE] = row_new(b, "dirty.report.rate", "MB/s", true, "wire",
                               "dirty report %s: MB/s of bitmap (%s)", sz, bm);
    rows[R_WRITTEN] =
        row_new(b, "dirty.report.written", "us", false, "wire",
                "dirty report %s after the device wrote %llu pages", sz,
                (unsigned long long)((a.wlen + a.page - 1) / a.page));
    if (res == SETUP_SKIP) {
        skip_rows(rows, R_N, why);
        return;
    }
    if (res == SETUP_FAIL) {
        setup_failed(b, rows, R_N, why);
        return;
    }
    act[nact++] = rows[R_LAT];
    act[nact++] = rows[R_RATE];
    if (a.written)
        act[nact++] = rows[R_WRITTEN];
    else
        skip_rows(&rows[R_WRITTEN], 1,
                  b->srv.testdev ? "skipped: no DMA engine to write pages "
                                   "(this vuc-testdev's DMA_STATUS is plain "
                                   "memory)"
                                 : "skipped: no DMA engine to write pages "
                                   "(not vuc-testdev)");
    if (legacy) {
        for (unsigned i = 0; i < nact; i++)
            side_note(&act[i]->base, SIDE_SKIPPED,
                      "skipped: the server logs with the legacy DIRTY_PAGES "
                      "(0.9.1); the baseline speaks DMA logging only");
    }
    a.bm = malloc(a.bytes);
    if (a.bm == NULL) {
        setup_failed(b, act, nact, "out of memory for the bitmap");
        return;
    }
    if (!reserve_all(b, act, nact, &a.lib[D_REPORT], 1,
                     (size_t)b->rounds * a.n) ||
        !reserve_all(b, act, nact, &a.base[D_REPORT], 1,
                     (size_t)b->rounds * a.n) ||
        !reserve_all(b, act, nact, &a.lib[D_WRITTEN], 1,
                     (size_t)b->rounds * a.nw) ||
        !reserve_all(b, act, nact, &a.base[D_WRITTEN], 1,
                     (size_t)b->rounds * a.nw))
        goto out;
    run_rounds(b, act, nact, legacy ? NULL : dirty_wire, dirty_lib, &a);
    side_latency(&rows[R_LAT]->lib, &a.lib[D_REPORT]);
    side_latency(&rows[R_LAT]->base, &a.base[D_REPORT]);
    side_rate(&rows[R_RATE]->lib, &a.lib[D_REPORT], (double)a.bytes, 1e6);
    side_rate(&rows[R_RATE]->base, &a.base[D_REPORT], (double)a.bytes, 1e6);
    side_latency(&rows[R_WRITTEN]->lib, &a.lib[D_WRITTEN]);
    side_latency(&rows[R_WRITTEN]->base, &a.base[D_WRITTEN]);
    if (rows[R_LAT]->lib.state == SIDE_OK) {
        if (refused[0] != '\0')
            snprintf(rows[R_LAT]->lib.note, WHY_LEN, "%s", refused);
        else if (noshare)
            snprintf(rows[R_LAT]->lib.note, WHY_LEN,
                     "the map has no fd (noshare): libvuc answers from its "
                     "own record, without a message");
    }
    if (rows[R_WRITTEN]->lib.state == SIDE_OK) {
        char w[32];

        snprintf(rows[R_WRITTEN]->lib.note, WHY_LEN,
                 "the DMA engine copied %s within the map first; each report "
                 "held exactly the pages written",
                 size_str(a.wlen, w, sizeof(w)));
    }
out:
    for (unsigned i = 0; i < D_N; i++) {
        series_free(&a.lib[i]);
        series_free(&a.base[i]);
    }
    free(a.bm);
}
