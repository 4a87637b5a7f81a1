/* SPDX-License-Identifier: BSD-3-Clause */
/* Region access: synchronous 4-byte reads and writes by policy (--only
 * read,write). */
#include <errno.h>
#include <string.h>

#include <event2/event.h>

#include "bench_int.h"

/* ---- Synchronous 4-byte reads -------------------------------------------- */

struct sync_arg {
    uint32_t region;
    uint64_t offset;
    unsigned n, batch;
    struct series s[4]; /* libvuc latency, batches; baseline the same */
};

static int sync_lib(struct bctx *b, struct vuc_client *c, void *arg, char *why)
{
    struct sync_arg *a = arg;
    unsigned warm = warmup_ops(a->n);
    uint32_t v = 0;
    struct op_clock k = {
        .lat = &a->s[0], .per_batch = &a->s[1], .batch = a->batch};
    int rc;

    for (unsigned i = 0; i < warm + a->n; i++) {
        if (i == warm)
            op_clock_start(&k);
        rc = vuc_region_read(c, a->region, a->offset, &v, 4);
        if (rc < 0)
            return lib_err(c, rc, why, "read");
        if (i < warm)
            continue;
        op_clock_tick(&k);
    }
    return 0;
}

static int sync_wire(struct bctx *b, struct bw *w, void *arg, char *why)
{
    struct sync_arg *a = arg;
    unsigned warm = warmup_ops(a->n);
    uint32_t v = 0;
    struct op_clock k = {
        .lat = &a->s[2], .per_batch = &a->s[3], .batch = a->batch};
    uint16_t id;
    int rc;

    for (unsigned i = 0; i < warm + a->n; i++) {
        if (i == warm)
            op_clock_start(&k);
        rc = bw_read_send(w, a->region, a->offset, 4, &id);
        if (rc == 0)
            rc = bw_read_recv(w, id, &v, 4);
        if (rc < 0)
            return wire_err(w, rc, why);
        if (i < warm)
            continue;
        op_clock_tick(&k);
    }
    return 0;
}

void phase_read(struct bctx *b)
{
    struct sync_arg a = {
        .region = b->o.read_region,
        .offset = b->o.read_offset,
        .n = b->iterations,
        .batch = b->iterations < SYNC_BATCH ? b->iterations : SYNC_BATCH,
    };
    char where[64] = "";
    struct row *rows[2];

    if (a.region != VUC_BENCH_REGION_AUTO)
        snprintf(where, sizeof(where), " %s+0x%llx", vuc_region_name(a.region),
                 (unsigned long long)a.offset);
    rows[0] = row_new(b, "read.sync.latency", "us", false, "wire",
                      "read 4 B%s, sync: latency", where);
    rows[1] = row_new(b, "read.sync.rate", "ops/s", true, "wire",
                      "read 4 B%s, sync: rate", where);
    if (a.region == VUC_BENCH_REGION_AUTO) {
        char why[WHY_LEN];

        snprintf(why, sizeof(why), "skipped: %.180s", b->read_note);
        skip_rows(rows, 2, why);
        return;
    }
    if (!reserve_all(b, rows, 2, a.s, 4, (size_t)b->rounds * a.n))
        goto out;
    run_rounds(b, rows, 2, sync_wire, sync_lib, &a);
    side_latency(&rows[0]->lib, &a.s[0]);
    side_rate(&rows[1]->lib, &a.s[1], a.batch, 1);
    side_latency(&rows[0]->base, &a.s[2]);
    side_rate(&rows[1]->base, &a.s[3], a.batch, 1);
out:
    free_all(a.s, 4);
}

/* ---- Writes -----------------------------------------------------------------
 *
 * Under libvuc's default (strict) policy a write to a memory BAR goes out
 * posted (No_reply) while nothing is mapped, and completes at once; its
 * processing is confirmed by the next fence. So every figure here that is
 * about writes being done includes the fence, and the baseline sends the
 * same messages: posted writes where libvuc posts them (seen at the probe),
 * then the same confirming read libvuc's fence sends.
 */

enum {
    W_LAT,   /* vuc_region_write alone, per op */
    W_RATE,  /* batches of SYNC_BATCH writes and a fence */
    W_CONF,  /* write + fence, per op */
    W_BURST, /* policy posted: a burst of writes and a fence */
    W_MULTI, /* baseline only: the burst as REGION_WRITE_MULTI */
    W_N,
};

#define WRITE_BURSTS 3u

struct write_arg {
    uint32_t region;
    uint64_t offset;
    bool posted, cfg;
    bool postable; /* the posted policy posts there: measure bursts */
    unsigned n, batch, burst;
    struct series lib[W_N], base[W_N];
    struct vuc_posting_stats burst_stats; /* libvuc's, over every burst */
};

static int fence(struct vuc_client *c, char *why)
{
    int rc = vuc_fence(c);

    return rc < 0 ? lib_err(c, rc, why, "fence") : 0;
}

static void stats_add(struct vuc_posting_stats *sum,
                      const struct vuc_posting_stats *s0,
                      const struct vuc_posting_stats *s1)
{
    sum->posted += s1->posted - s0->posted;
    sum->multi_msgs += s1->multi_msgs - s0->multi_msgs;
    sum->multi_writes += s1->multi_writes - s0->multi_writes;
    sum->doorbells += s1->doorbells - s0->doorbells;
    sum->fences += s1->fences - s0->fences;
}

static int write_lib(struct bctx *b, struct vuc_client *c, void *arg, char *why)
{
    struct write_arg *a = arg;
    unsigned warm = warmup_ops(a->n);
    enum vuc_posting prev = vuc_get_posting(c);
    struct vuc_posting_stats s0, s1;
    uint64_t tb = 0;
    int rc = 0;

    /* The client's own policy: each write alone, and batches that end
     * with the fence that confirms them. */
    for (unsigned i = 0; i < warm + a->n && rc == 0; i++) {
        if (i == warm)
            tb = now_ns();
        uint64_t t0 = now_ns();
        rc = vuc_region_write(c, a->region, a->offset, &i, 4);
        uint64_t t1 = now_ns();
        if (rc < 0)
            return lib_err(c, rc, why, "write");
        if (i >= warm)
            series_add(&a->lib[W_LAT], (double)(t1 - t0));
        if (i + 1 == warm || (i >= warm && (i - warm + 1) % a->batch == 0)) {
            rc = fence(c, why);
            if (i >= warm) {
                uint64_t t2 = now_ns();
                series_add(&a->lib[W_RATE], (double)(t2 - tb));
                tb = t2;
            }
        }
    }
    /* Confirmed writes: what a caller waits for to know it was done. */
    for (unsigned i = 0; i < warm + a->n && rc == 0; i++) {
        uint64_t t0 = now_ns();
        rc = vuc_region_write(c, a->region, a->offset, &i, 4);
        if (rc < 0)
            return lib_err(c, rc, why, "write");
        rc = fence(c, why);
        if (i >= warm)
            series_add(&a->lib[W_CONF], (double)(now_ns() - t0));
    }
    /* The posted policy, asked for on purpose: bursts, each confirmed
     * once at its end. Posted writes queue behind a busy socket, where
     * libvuc packs them into REGION_WRITE_MULTI if the server offers it. */
    if (!a->postable)
        return rc;
    if (rc == 0 && vuc_set_posting(c, VUC_POSTING_POSTED) < 0)
        return lib_err(c, -EIO, why, "setting the posted policy");
    for (unsigned k = 0; k <= WRITE_BURSTS && rc == 0; k++) {
        uint64_t t0 = now_ns();

        vuc_get_posting_stats(c, &s0);
        for (unsigned i = 0; i < a->burst && rc == 0; i++) {
            rc = vuc_region_write(c, a->region, a->offset, &i, 4);
            if (rc < 0)
                lib_err(c, rc, why, "posted write");
        }
        if (rc == 0)
            rc = fence(c, why);
        vuc_get_posting_stats(c, &s1);
        if (k > 0) { /* the first burst warms up */
            series_add(&a->lib[W_BURST], (double)(now_ns() - t0));
            stats_add(&a->burst_stats, &s0, &s1);
        }
    }
    if (vuc_set_posting(c, prev) < 0 && rc == 0)
        rc = lib_err(c, -EIO, why, "restoring the posting policy");
    return rc;
}

/* One write as libvuc sends it there: posted, or waiting for its reply. */
static int wire_write(struct write_arg *a, struct bw *w, uint32_t v)
{
    uint16_t id;
    int rc;

    if (a->posted)
        return bw_write_post(w, a->region, a->offset, &v, 4);
    rc = bw_write_send(w, a->region, a->offset, &v, 4, &id);
    return rc < 0 ? rc : bw_write_recv(w, id);
}

static int write_wire(struct bctx *b, struct bw *w, void *arg, char *why)
{
    struct write_arg *a = arg;
    unsigned warm = warmup_ops(a->n);
    struct vfio_user_write_multi_entry e[VFIO_USER_MULTI_MAX];
    uint64_t tb = 0;
    int rc = 0;

    for (unsigned i = 0; i < warm + a->n && rc == 0; i++) {
        if (i == warm)
            tb = now_ns();
        uint64_t t0 = now_ns();
        rc = wire_write(a, w, i);
        uint64_t t1 = now_ns();
        if (rc == 0 && i >= warm)
            series_add(&a->base[W_LAT], (double)(t1 - t0));
        if (rc == 0 &&
            (i + 1 == warm || (i >= warm && (i - warm + 1) % a->batch == 0))) {
            if (a->posted)
                rc = bw_confirm(w, a->cfg);
            if (i >= warm) {
                uint64_t t2 = now_ns();
                series_add(&a->base[W_RATE], (double)(t2 - tb));
                tb = t2;
            }
        }
    }
    for (unsigned i = 0; i < warm + a->n && rc == 0; i++) {
        uint64_t t0 = now_ns();
        rc = wire_write(a, w, i);
        if (rc == 0 && a->posted)
            rc = bw_confirm(w, a->cfg);
        if (i >= warm)
            series_add(&a->base[W_CONF], (double)(now_ns() - t0));
    }
    for (unsigned k = 0; a->postable && k <= WRITE_BURSTS && rc == 0; k++) {
        uint64_t t0 = now_ns();

        for (unsigned i = 0; i < a->burst && rc == 0; i++)
            rc = bw_write_post(w, a->region, a->offset, &i, 4);
        if (rc == 0)
            rc = bw_confirm(w, a->cfg);
        if (k > 0)
            series_add(&a->base[W_BURST], (double)(now_ns() - t0));
    }
    /* The wire's limit for the same burst: as few REGION_WRITE_MULTI
     * messages as it takes. */
    for (unsigned k = 0;
         a->postable && w->write_multiple && k <= WRITE_BURSTS && rc == 0;
         k++) {
        uint64_t t0 = now_ns();

        for (unsigned i = 0; i < a->burst && rc == 0;) {
            unsigned n = 0;

            for (; n < VFIO_USER_MULTI_MAX && i < a->burst; n++, i++) {
                memset(&e[n], 0, sizeof(e[n]));
                e[n].offset = a->offset;
                e[n].region = a->region;
                e[n].count = 4;
                memcpy(e[n].data, &i, 4);
            }
            rc = bw_write_multi_post(w, e, n);
        }
        if (rc == 0)
            rc = bw_confirm(w, a->cfg);
        if (k > 0)
            series_add(&a->base[W_MULTI], (double)(now_ns() - t0));
    }
    return rc < 0 ? wire_err(w, rc, why) : 0;
}

void phase_write(struct bctx *b)
{
    static const char *const ids[W_N] = {
        "write.sync.latency", "write.sync.rate",  "write.confirmed.latency",
        "write.posted.rate",  "write.multi.rate",
    };
    struct write_arg a = {
        .region = b->o.write_region,
        .offset = b->o.write_offset,
        .posted = b->srv.write_posted,
        .cfg = b->srv.cfg_readable,
        .n = b->iterations,
        .batch = b->iterations < SYNC_BATCH ? b->iterations : SYNC_BATCH,
        .burst = at_least(b->iterations, SYNC_BATCH),
    };
    bool ok = a.region != VUC_BENCH_REGION_AUTO;
    const char *how = a.posted ? "posted" : "acknowledged";
    char where[64] = "";
    struct row *rows[W_N];

    if (ok)
        snprintf(where, sizeof(where), " %s+0x%llx", vuc_region_name(a.region),
                 (unsigned long long)a.offset);
    rows[W_LAT] =
        row_new(b, ids[W_LAT], "us", false, "wire", "write 4 B%s%s%s: latency",
                where, ok ? ", by policy " : "", ok ? how : "");
    rows[W_RATE] = row_new(b, ids[W_RATE], "ops/s", true, "wire",
                           "write 4 B%s, %u + fence: rate", where, a.batch);
    rows[W_CONF] = row_new(b, ids[W_CONF], "us", false, "wire",
                           "write 4 B%s + fence (confirmed): latency", where);
    rows[W_BURST] =
        row_new(b, ids[W_BURST], "ops/s", true, "wire",
                "write 4 B, policy posted, %u + fence: rate", a.burst);
    rows[W_MULTI] = row_new(b, ids[W_MULTI], "ops/s", true, "wire",
                            "same burst vs REGION_WRITE_MULTI on the wire");
    if (!ok) {
        char why[WHY_LEN];

        snprintf(why, sizeof(why), "skipped: %.180s", b->write_note);
        skip_rows(rows, W_N, why);
        return;
    }
    /* Where libvuc never posts, a posted burst would compare acknowledged
     * writes with posted ones: not the same messages. */
    a.postable = b->srv.write_postable;
    if (!a.postable) {
        char why[WHY_LEN];

        snprintf(why, sizeof(why),
                 "skipped: libvuc does not post writes to %s under any "
                 "policy (PCI non-posted)",
                 vuc_region_name(a.region));
        skip_rows(&rows[W_BURST], 2, why);
    }
    for (unsigned k = 0; k < W_N; k++) {
        size_t n = k == W_BURST || k == W_MULTI
                       ? (size_t)b->rounds * WRITE_BURSTS
                       : (size_t)b->rounds * a.n;
        if (!reserve_all(b, rows, W_N, &a.lib[k], 1, n) ||
            !reserve_all(b, rows, W_N, &a.base[k], 1, n))
            goto out;
    }
    if (a.postable && !b->srv.caps.write_multiple)
        side_note(&rows[W_MULTI]->base, SIDE_SKIPPED,
                  "skipped: the server does not offer write_multiple");
    run_rounds(b, rows, W_N, write_wire, write_lib, &a);
    side_latency(&rows[W_LAT]->lib, &a.lib[W_LAT]);
    side_rate(&rows[W_RATE]->lib, &a.lib[W_RATE], a.batch, 1);
    side_latency(&rows[W_CONF]->lib, &a.lib[W_CONF]);
    side_rate(&rows[W_BURST]->lib, &a.lib[W_BURST], a.burst, 1);
    side_rate(&rows[W_MULTI]->lib, &a.lib[W_BURST], a.burst, 1);
    side_latency(&rows[W_LAT]->base, &a.base[W_LAT]);
    side_rate(&rows[W_RATE]->base, &a.base[W_RATE], a.batch, 1);
    side_latency(&rows[W_CONF]->base, &a.base[W_CONF]);
    side_rate(&rows[W_BURST]->base, &a.base[W_BURST], a.burst, 1);
    side_rate(&rows[W_MULTI]->base, &a.base[W_MULTI], a.burst, 1);
    if (rows[W_BURST]->lib.state == SIDE_OK) {
        const struct vuc_posting_stats *s = &a.burst_stats;

        snprintf(
            rows[W_BURST]->lib.note, WHY_LEN,
            "libvuc sent %llu writes posted, %llu of them in %llu "
            "REGION_WRITE_MULTI; %llu fences",
            (unsigned long long)s->posted, (unsigned long long)s->multi_writes,
            (unsigned long long)s->multi_msgs, (unsigned long long)s->fences);
    }
out:
    free_all(a.lib, W_N);
    free_all(a.base, W_N);
}
