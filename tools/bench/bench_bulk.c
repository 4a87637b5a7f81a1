/* SPDX-License-Identifier: BSD-3-Clause */
/* Bulk region transfers (--only bulk). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "bench_int.h"

/* ---- Bulk transfers ------------------------------------------------------ */

static const uint64_t bulk_sizes[] = {4 * KIB, 64 * KIB, MIB};
#define NBULK (sizeof(bulk_sizes) / sizeof(bulk_sizes[0]))

struct bulk_arg {
    uint32_t region;
    uint64_t offset, piece; /* largest transfer the region takes there */
    bool posted, cfg;       /* libvuc posts writes there; fence by config */
    unsigned count[NBULK];
    bool verify;
    uint8_t *buf, *check;
    /* [size][0 read, 1 write] */
    struct series lib[NBULK][2], base[NBULK][2];
};

/* Transfers per round: as many as fit a budget of 32 KiB times the
 * iterations, within [2, iterations]. */
static unsigned bulk_count(unsigned iterations, uint64_t size)
{
    uint64_t n = (uint64_t)iterations * 32 * KIB / size;

    if (n > iterations)
        n = iterations;
    return at_least((unsigned)n, 2);
}

/* One sample: size bytes, as pieces of at most a->piece from the offset.
 * A write counts once it is known to be done: posted pieces are followed
 * by a fence (which costs nothing when none was posted). */
static int bulk_lib_once(struct bulk_arg *a, struct vuc_client *c, bool write,
                         uint64_t size)
{
    for (uint64_t done = 0; done < size; done += a->piece) {
        size_t n = size - done < a->piece ? size - done : a->piece;
        int rc =
            write ? vuc_region_write(c, a->region, a->offset, a->buf + done, n)
                  : vuc_region_read(c, a->region, a->offset, a->buf + done, n);
        if (rc < 0)
            return rc;
    }
    return write ? vuc_fence(c) : 0;
}

static int bulk_wire_once(struct bulk_arg *a, struct bw *w, bool write,
                          uint64_t size)
{
    for (uint64_t done = 0; done < size; done += a->piece) {
        size_t n = size - done < a->piece ? size - done : a->piece;
        int rc;

        if (!write)
            rc = bw_region_read(w, a->region, a->offset, a->buf + done, n);
        else if (a->posted)
            rc = bw_region_write_posted(w, a->region, a->offset, a->buf + done,
                                        n);
        else
            rc = bw_region_write(w, a->region, a->offset, a->buf + done, n);
        if (rc < 0)
            return rc;
    }
    return write && a->posted ? bw_confirm(w, a->cfg) : 0;
}

static void bulk_pattern(struct bulk_arg *a, uint8_t seed)
{
    for (uint64_t i = 0; i < a->piece; i++)
        a->buf[i] = (uint8_t)(i * 7 + seed);
}

static int bulk_lib(struct bctx *b, struct vuc_client *c, void *arg, char *why)
{
    struct bulk_arg *a = arg;
    const struct vuc_region_info *ri = vuc_get_region_info(c, a->region);
    bool remap = ri != NULL && ri->nr_mapped > 0;
    int rc = 0;

    /* A mapped region would be read through the mapping, not messages. */
    if (remap)
        vuc_region_munmap(c, a->region);
    if (a->verify) {
        bulk_pattern(a, 0x5a);
        rc = vuc_region_write(c, a->region, a->offset, a->buf, a->piece);
        if (rc == 0)
            rc = vuc_fence(c);
        if (rc == 0) {
            memcpy(a->check, a->buf, a->piece);
            memset(a->buf, 0, a->piece);
            rc = vuc_region_read(c, a->region, a->offset, a->buf, a->piece);
        }
        if (rc < 0) {
            lib_err(c, rc, why, "bulk check");
        } else if (memcmp(a->buf, a->check, a->piece) != 0) {
            snprintf(why, WHY_LEN,
                     "libvuc read back other data than it "
                     "wrote to the bulk region");
            rc = -EIO;
        }
    }
    for (unsigned s = 0; s < NBULK && rc == 0; s++) {
        for (int dir = 0; dir < 2 && rc == 0; dir++) {
            rc = bulk_lib_once(a, c, dir, bulk_sizes[s]);
            for (unsigned k = 0; k < a->count[s] && rc == 0; k++) {
                uint64_t t0 = now_ns();
                rc = bulk_lib_once(a, c, dir, bulk_sizes[s]);
                series_add(&a->lib[s][dir], (double)(now_ns() - t0));
            }
            if (rc < 0)
                lib_err(c, rc, why, dir ? "bulk write" : "bulk read");
        }
    }
    if (remap && vuc_region_mmap(c, a->region) < 0 && rc == 0)
        rc = lib_err(c, -EIO, why, "mapping the bulk region again");
    return rc;
}

static int bulk_wire(struct bctx *b, struct bw *w, void *arg, char *why)
{
    struct bulk_arg *a = arg;
    int rc = 0;

    if (a->verify) {
        bulk_pattern(a, 0xa5);
        rc = bw_region_write(w, a->region, a->offset, a->buf, a->piece);
        if (rc == 0) {
            memcpy(a->check, a->buf, a->piece);
            memset(a->buf, 0, a->piece);
            rc = bw_region_read(w, a->region, a->offset, a->buf, a->piece);
        }
        if (rc < 0)
            return wire_err(w, rc, why);
        if (memcmp(a->buf, a->check, a->piece) != 0) {
            snprintf(why, WHY_LEN,
                     "read back other data than it "
                     "wrote to the bulk region");
            return -EIO;
        }
    }
    for (unsigned s = 0; s < NBULK && rc == 0; s++) {
        for (int dir = 0; dir < 2 && rc == 0; dir++) {
            rc = bulk_wire_once(a, w, dir, bulk_sizes[s]);
            for (unsigned k = 0; k < a->count[s] && rc == 0; k++) {
                uint64_t t0 = now_ns();
                rc = bulk_wire_once(a, w, dir, bulk_sizes[s]);
                series_add(&a->base[s][dir], (double)(now_ns() - t0));
            }
        }
    }
    return rc < 0 ? wire_err(w, rc, why) : 0;
}

void phase_bulk(struct bctx *b)
{
    static const char *const ids[NBULK][2] = {
        {"bulk.read.4k", "bulk.write.4k"},
        {"bulk.read.64k", "bulk.write.64k"},
        {"bulk.read.1m", "bulk.write.1m"},
    };
    struct bulk_arg a = {
        .region = b->o.bulk_region,
        .offset = b->o.bulk_offset,
        .verify = b->srv.testdev, /* its bulk region is plain memory */
        .posted = b->srv.bulk_posted,
        .cfg = b->srv.cfg_readable,
    };
    struct row *rows[NBULK * 2];
    bool ok = a.region != VUC_BENCH_REGION_AUTO;

    if (ok) {
        uint64_t avail = b->srv.regions[a.region].size - a.offset;
        a.piece = avail < MIB ? avail : MIB;
    }
    for (unsigned s = 0; s < NBULK; s++) {
        for (int dir = 0; dir < 2; dir++) {
            char how[64] = "", where[64] = "";

            if (ok && a.piece < bulk_sizes[s]) {
                uint64_t pieces = (bulk_sizes[s] + a.piece - 1) / a.piece;
                snprintf(how, sizeof(how), " as %llu x %llu B",
                         (unsigned long long)pieces,
                         (unsigned long long)a.piece);
            }
            if (dir && ok && a.posted)
                snprintf(how + strlen(how), sizeof(how) - strlen(how),
                         " posted + fence");
            if (ok)
                snprintf(where, sizeof(where), " %s+0x%llx",
                         vuc_region_name(a.region),
                         (unsigned long long)a.offset);
            rows[s * 2 + dir] = row_new(b, ids[s][dir], "MB/s", true, "wire",
                                        "%s %s%s%s", dir ? "write" : "read",
                                        size_name(bulk_sizes[s]), where, how);
        }
        a.count[s] = bulk_count(b->iterations, bulk_sizes[s]);
    }
    if (!ok) {
        char why[WHY_LEN];

        snprintf(why, sizeof(why), "skipped: %.180s", b->bulk_note);
        skip_rows(rows, NBULK * 2, why);
        return;
    }
    a.buf = malloc(MIB);
    a.check = malloc(MIB);
    if (a.buf == NULL || a.check == NULL) {
        fail_rows(b, rows, NBULK * 2, false, "out of memory");
        goto out;
    }
    memset(a.buf, 0x3c, MIB);
    for (unsigned s = 0; s < NBULK; s++) {
        for (int dir = 0; dir < 2; dir++) {
            size_t n = (size_t)b->rounds * a.count[s];
            if (!reserve_all(b, rows, NBULK * 2, &a.lib[s][dir], 1, n) ||
                !reserve_all(b, rows, NBULK * 2, &a.base[s][dir], 1, n))
                goto out;
        }
    }
    run_rounds(b, rows, NBULK * 2, bulk_wire, bulk_lib, &a);
    for (unsigned s = 0; s < NBULK; s++) {
        for (int dir = 0; dir < 2; dir++) {
            side_rate(&rows[s * 2 + dir]->lib, &a.lib[s][dir],
                      (double)bulk_sizes[s], 1e6);
            side_rate(&rows[s * 2 + dir]->base, &a.base[s][dir],
                      (double)bulk_sizes[s], 1e6);
        }
    }
    ratio_target(b, "bulk.read.1m", "bulk read 1 MiB, libvuc / baseline",
                 &rows[4]->lib, &rows[4]->base, 0.8);
    ratio_target(b, "bulk.write.1m", "bulk write 1 MiB, libvuc / baseline",
                 &rows[5]->lib, &rows[5]->base, 0.8);
out:
    for (unsigned s = 0; s < NBULK; s++) {
        free_all(a.lib[s], 2);
        free_all(a.base[s], 2);
    }
    free(a.buf);
    free(a.check);
}
