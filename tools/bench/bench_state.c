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
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench_int.h"
#include "testdev_regs.h"

enum setup_result { SETUP_OK, SETUP_SKIP, SETUP_FAIL };

const char *size_str(uint64_t v, char *buf, size_t len)
{
    if (v >= GIB && v % GIB == 0)
        snprintf(buf, len, "%llu GiB", (unsigned long long)(v / GIB));
    else if (v >= MIB && v % MIB == 0)
        snprintf(buf, len, "%llu MiB", (unsigned long long)(v / MIB));
    else if (v >= KIB && v % KIB == 0)
        snprintf(buf, len, "%llu KiB", (unsigned long long)(v / KIB));
    else
        snprintf(buf, len, "%llu B", (unsigned long long)v);
    return buf;
}

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

uint32_t lib_xfer(const struct bctx *b)
{
    const struct vuc_caps *c = &b->srv.caps;

    return c->server_max_data_xfer_size < c->client_max_data_xfer_size
               ? c->server_max_data_xfer_size
               : c->client_max_data_xfer_size;
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

/* A phase's look at the server failed: the libvuc side, and the wire side
 * where there is one, fail for why. */
void setup_failed(struct bctx *b, struct row **rows, unsigned n,
                  const char *why)
{
    fail_rows(b, rows, n, false, why);
    if (b->wire) {
        fail_rows(b, rows, n, true, why);
        return;
    }
    for (unsigned i = 0; i < n; i++) {
        if (rows[i]->base_kind != NULL)
            side_note(&rows[i]->base, SIDE_SKIPPED, "%s", b->wire_note);
    }
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

/* ---- Migration ------------------------------------------------------------
 *
 * The raw rate: from STOP_COPY, MIG_DATA_READs of the size vuc_mig_save()
 * reads (the transfer size less 64 bytes of headers) until a short one;
 * the walks into STOP_COPY and back to RUNNING are outside the clock. The
 * baseline sends the same reads and walks the states itself, one SET per
 * arc. Save and load are the whole calls, which a wire client would have
 * to make of the same pieces: they have no baseline, and the notes say
 * what they include.
 *
 * Rates are per-session samples normalised to 10^6 bytes, as the amount
 * of device state may differ from one session to the next on a server
 * that is running.
 */

/* A device sending more than this is not one this benchmark is for. */
#define MIG_MAX_BYTES (4 * GIB)

enum { M_RLAT, M_RRATE, M_SLAT, M_SRATE, M_LLAT, M_LRATE, M_N };

struct mig_arg {
    uint32_t chunk;    /* per read, both sides (the smaller transfer size) */
    unsigned sessions; /* timed read sessions per round */
    unsigned saves;    /* timed save + load pairs per round */
    uint8_t *buf;      /* chunk bytes */
    /* What the last libvuc session and save saw, for the notes. */
    uint64_t state_bytes, reads, file_bytes;
    uint64_t wire_bytes;
    struct series lib[M_N], base[M_N];
};

static void add_rate(struct series *s, uint64_t ns, uint64_t bytes)
{
    if (bytes > 0)
        series_add(s, (double)ns * 1e6 / (double)bytes);
}

/* Best effort after a failure: the device must not stay stopped. */
static void lib_restore(struct vuc_client *c)
{
    if (vuc_is_connected(c))
        vuc_mig_set_state(c, VFIO_USER_DEVICE_STATE_RUNNING);
}

/* RUNNING -> STOP_COPY, the reads, back to RUNNING. */
static int mig_lib_session(struct vuc_client *c, struct mig_arg *a, bool timed,
                           char *why)
{
    uint64_t total = 0, reads = 0, t0, t;
    uint32_t got = 0;
    int rc = vuc_mig_set_state(c, VFIO_USER_DEVICE_STATE_STOP_COPY);

    if (rc < 0)
        return lib_err(c, rc, why, "migration to STOP_COPY");
    t0 = t = now_ns();
    do {
        rc = vuc_mig_read(c, a->buf, a->chunk, &got);
        if (rc < 0) {
            lib_err(c, rc, why, "MIG_DATA_READ");
            break;
        }
        uint64_t t1 = now_ns();
        if (timed)
            series_add(&a->lib[M_RLAT], (double)(t1 - t));
        t = t1;
        total += got;
        reads++;
        if (total > MIG_MAX_BYTES) {
            snprintf(why, WHY_LEN,
                     "the device sent more than 4 GiB of migration data");
            rc = -EFBIG;
        }
    } while (rc == 0 && got == a->chunk);
    if (rc == 0 && timed)
        add_rate(&a->lib[M_RRATE], t - t0, total);
    if (rc == 0) {
        rc = vuc_mig_set_state(c, VFIO_USER_DEVICE_STATE_RUNNING);
        if (rc < 0)
            lib_err(c, rc, why, "migration back to RUNNING");
    }
    a->state_bytes = total;
    a->reads = reads;
    return rc;
}

/* An unlinked file in $TMPDIR (or /tmp): the save's output. */
static int tmp_fd(char *why)
{
    const char *dir = getenv("TMPDIR");
    char path[PATH_MAX];
    int fd;

    if (dir == NULL || *dir == '\0')
        dir = "/tmp";
    fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0)
        return fd;
    /* File systems without O_TMPFILE: a named file, unlinked at once. */
    snprintf(path, sizeof(path), "%s/vuc-bench-XXXXXX", dir);
    fd = mkostemp(path, O_CLOEXEC);
    if (fd < 0) {
        fd = -errno;
        snprintf(why, WHY_LEN, "temporary file in %.150s: %s", dir,
                 strerror(errno));
        return fd;
    }
    unlink(path);
    return fd;
}

static int mig_lib(struct bctx *b, struct vuc_client *c, void *arg, char *why)
{
    struct mig_arg *a = arg;
    uint32_t state;
    struct stat st;
    int fd = -1, rc;

    rc = mig_lib_session(c, a, false, why);
    for (unsigned k = 0; k < a->sessions && rc == 0; k++)
        rc = mig_lib_session(c, a, true, why);
    if (rc == 0) {
        fd = tmp_fd(why);
        if (fd < 0)
            rc = fd;
    }
    /* Save ends in STOP, load in RUNNING; the first pair warms up. */
    for (unsigned k = 0; k <= a->saves && rc == 0; k++) {
        uint64_t t0 = now_ns(), t1, t2;

        rc = vuc_mig_save(c, fd);
        t1 = now_ns();
        if (rc < 0) {
            lib_err(c, rc, why, "migration save");
            break;
        }
        rc = vuc_mig_load(c, fd);
        t2 = now_ns();
        if (rc < 0) {
            lib_err(c, rc, why, "migration load");
            break;
        }
        if (k == 0)
            continue;
        series_add(&a->lib[M_SLAT], (double)(t1 - t0));
        add_rate(&a->lib[M_SRATE], t1 - t0, a->state_bytes);
        series_add(&a->lib[M_LLAT], (double)(t2 - t1));
        add_rate(&a->lib[M_LRATE], t2 - t1, a->state_bytes);
    }
    if (rc == 0 && fstat(fd, &st) == 0)
        a->file_bytes = (uint64_t)st.st_size;
    if (fd >= 0)
        close(fd);
    if (rc == 0) {
        rc = vuc_mig_get_state(c, &state);
        if (rc < 0)
            lib_err(c, rc, why, "migration state");
        else if (state != VFIO_USER_DEVICE_STATE_RUNNING) {
            snprintf(why, WHY_LEN, "the device ended in %s after the load",
                     vuc_mig_state_name(state));
            rc = -EIO;
        }
    }
    if (rc < 0)
        lib_restore(c);
    return rc;
}

/* The walks the baseline makes by hand, one arc per SET. */
static int wire_walk(struct bw *w, const uint32_t *states, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        int rc = bw_mig_set_state(w, states[i]);

        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Best effort after a failure, from wherever the walk stopped. */
static void wire_restore(struct bw *w)
{
    bw_mig_set_state(w, VFIO_USER_DEVICE_STATE_STOP);
    bw_mig_set_state(w, VFIO_USER_DEVICE_STATE_RUNNING);
}

static int mig_wire_session(struct bw *w, struct mig_arg *a, bool timed)
{
    static const uint32_t in[] = {VFIO_USER_DEVICE_STATE_STOP,
                                  VFIO_USER_DEVICE_STATE_STOP_COPY};
    static const uint32_t out[] = {VFIO_USER_DEVICE_STATE_STOP,
                                   VFIO_USER_DEVICE_STATE_RUNNING};
    uint64_t total = 0, t0, t;
    uint32_t got = 0;
    int rc = wire_walk(w, in, 2);

    t0 = t = now_ns();
    while (rc == 0) {
        rc = bw_mig_read(w, a->buf, a->chunk, &got);
        if (rc < 0)
            break;
        uint64_t t1 = now_ns();
        if (timed)
            series_add(&a->base[M_RLAT], (double)(t1 - t));
        t = t1;
        total += got;
        if (total > MIG_MAX_BYTES) {
            snprintf(w->err, sizeof(w->err),
                     "the device sent more than 4 GiB of migration data");
            rc = -EFBIG;
        }
        if (got < a->chunk)
            break;
    }
    if (rc == 0 && timed)
        add_rate(&a->base[M_RRATE], t - t0, total);
    if (rc == 0)
        rc = wire_walk(w, out, 2);
    a->wire_bytes = total;
    return rc;
}

static int mig_wire(struct bctx *b, struct bw *w, void *arg, char *why)
{
    struct mig_arg *a = arg;
    uint32_t state;
    int rc;

    if (w->xfer < a->chunk + 64u) {
        snprintf(why, WHY_LEN,
                 "the baseline's transfer size %u is below libvuc's %u",
                 w->xfer, a->chunk + 64u);
        return -EPROTO;
    }
    rc = bw_mig_get_state(w, &state);
    if (rc < 0)
        return wire_err(w, rc, why);
    if (state != VFIO_USER_DEVICE_STATE_RUNNING) {
        snprintf(why, WHY_LEN, "the device is in %s, not RUNNING",
                 vuc_mig_state_name(state));
        return -EIO;
    }
    rc = mig_wire_session(w, a, false);
    for (unsigned k = 0; k < a->sessions && rc == 0; k++)
        rc = mig_wire_session(w, a, true);
    if (rc < 0) {
        wire_err(w, rc, why); /* before the restore's own errors */
        wire_restore(w);
    }
    return rc;
}

/* On a connection of its own: migration there, from RUNNING, with
 * STOP_COPY? why says why not. On success a->buf is allocated. */
static enum setup_result mig_setup(struct bctx *b, struct mig_arg *a, char *why)
{
    enum setup_result res = SETUP_OK;
    struct vuc_client *c;
    uint64_t flags;
    uint32_t state;
    int rc = lib_open(b, &c, why);

    if (rc < 0)
        return SETUP_FAIL;
    rc = vuc_mig_probe(c, &flags);
    if (rc == -ENOTSUP) {
        snprintf(why, WHY_LEN, "skipped: server has no migration (%.160s)",
                 vuc_strerror(c));
        res = SETUP_SKIP;
    } else if (rc < 0) {
        lib_err(c, rc, why, "migration probe");
        res = SETUP_FAIL;
    } else if (!(flags & VFIO_USER_MIGRATION_STOP_COPY)) {
        snprintf(why, WHY_LEN, "skipped: the device has no STOP_COPY state");
        res = SETUP_SKIP;
    } else if ((rc = vuc_mig_get_state(c, &state)) < 0) {
        lib_err(c, rc, why, "migration state");
        res = SETUP_FAIL;
    } else if (state != VFIO_USER_DEVICE_STATE_RUNNING) {
        /* It would be left RUNNING, which is not how it was found. */
        snprintf(why, WHY_LEN, "skipped: the device is in %s, not RUNNING",
                 vuc_mig_state_name(state));
        res = SETUP_SKIP;
    } else if (lib_xfer(b) <= 64) {
        snprintf(why, WHY_LEN,
                 "skipped: a transfer size of %u bytes holds no migration "
                 "data",
                 lib_xfer(b));
        res = SETUP_SKIP;
    } else {
        /* One session to see how many reads the device takes. */
        a->chunk = lib_xfer(b) - 64;
        a->buf = malloc(a->chunk);
        if (a->buf == NULL) {
            snprintf(why, WHY_LEN, "out of memory");
            res = SETUP_FAIL;
        } else if (mig_lib_session(c, a, false, why) < 0) {
            lib_restore(c);
            res = SETUP_FAIL;
        }
    }
    lib_close(b, c);
    return res;
}

void phase_mig(struct bctx *b)
{
    static const char *const ids[M_N] = {
        "mig.read.latency", "mig.read.rate",    "mig.save.latency",
        "mig.save.rate",    "mig.load.latency", "mig.load.rate",
    };
    struct mig_arg a = {
        .sessions = at_least(b->iterations / 20, 5),
        .saves = at_least(b->iterations / 100, 3),
    };
    char why[WHY_LEN] = "", ck[32];
    struct row *rows[M_N];
    enum setup_result res = mig_setup(b, &a, why);

    size_str(res == SETUP_OK ? a.chunk + 64u : MIB, ck, sizeof(ck));
    rows[M_RLAT] =
        row_new(b, ids[M_RLAT], "us", false, "wire",
                "migration: MIG_DATA_READ of up to %s - 64 B: latency", ck);
    rows[M_RRATE] = row_new(b, ids[M_RRATE], "MB/s", true, "wire",
                            "migration: all device state by MIG_DATA_READ");
    rows[M_SLAT] = row_new(b, ids[M_SLAT], "us", false, NULL,
                           "migration save to a file: latency");
    rows[M_SRATE] = row_new(b, ids[M_SRATE], "MB/s", true, NULL,
                            "migration save: MB/s of device state");
    rows[M_LLAT] = row_new(b, ids[M_LLAT], "us", false, NULL,
                           "migration load of that file: latency");
    rows[M_LRATE] = row_new(b, ids[M_LRATE], "MB/s", true, NULL,
                            "migration load: MB/s of device state");
    if (res == SETUP_SKIP) {
        skip_rows(rows, M_N, why);
        return;
    }
    if (res == SETUP_FAIL) {
        setup_failed(b, rows, M_N, why);
        goto out;
    }
    /* Room for the reads a session took at the setup and some more (the
     * state of a running device may grow); reads beyond that are not
     * sampled for their latency. */
    for (unsigned k = 0; k < M_N; k++) {
        size_t n = (size_t)b->rounds * (k == M_RLAT
                                            ? a.sessions * (size_t)(a.reads + 2)
                                        : k == M_RRATE ? a.sessions
                                                       : a.saves);
        if (!reserve_all(b, rows, M_N, &a.lib[k], 1, n) ||
            !reserve_all(b, rows, M_N, &a.base[k], 1, n))
            goto out;
    }
    run_rounds(b, rows, M_N, mig_wire, mig_lib, &a);
    side_latency(&rows[M_RLAT]->lib, &a.lib[M_RLAT]);
    side_latency(&rows[M_RLAT]->base, &a.base[M_RLAT]);
    side_rate(&rows[M_RRATE]->lib, &a.lib[M_RRATE], 1e6, 1e6);
    side_rate(&rows[M_RRATE]->base, &a.base[M_RRATE], 1e6, 1e6);
    side_latency(&rows[M_SLAT]->lib, &a.lib[M_SLAT]);
    side_rate(&rows[M_SRATE]->lib, &a.lib[M_SRATE], 1e6, 1e6);
    side_latency(&rows[M_LLAT]->lib, &a.lib[M_LLAT]);
    side_rate(&rows[M_LRATE]->lib, &a.lib[M_LRATE], 1e6, 1e6);
    if (rows[M_RLAT]->lib.state == SIDE_OK)
        snprintf(rows[M_RLAT]->lib.note, WHY_LEN,
                 "%llu bytes of device state in %llu read%s a session; the "
                 "state walks are outside the clock",
                 (unsigned long long)a.state_bytes, (unsigned long long)a.reads,
                 a.reads == 1 ? "" : "s");
    if (rows[M_SLAT]->lib.state == SIDE_OK)
        snprintf(rows[M_SLAT]->lib.note, WHY_LEN,
                 "vuc_mig_save(): probe, PCI ids, walk to STOP_COPY, reads, "
                 "CRC-32, walk to STOP, a file of %llu bytes",
                 (unsigned long long)a.file_bytes);
    if (rows[M_LLAT]->lib.state == SIDE_OK)
        snprintf(rows[M_LLAT]->lib.note, WHY_LEN,
                 "vuc_mig_load(): file read and checked, PCI ids, walk to "
                 "RESUMING, writes, walk to RUNNING");
    if (rows[M_RRATE]->base.state == SIDE_OK && a.wire_bytes != a.state_bytes)
        snprintf(rows[M_RRATE]->base.note, WHY_LEN,
                 "the baseline's last session read %llu bytes, libvuc's %llu",
                 (unsigned long long)a.wire_bytes,
                 (unsigned long long)a.state_bytes);
out:
    free_all(a.lib, M_N);
    free_all(a.base, M_N);
    free(a.buf);
}
