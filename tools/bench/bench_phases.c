/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The measurements. Each phase runs b->rounds rounds; in path mode a round
 * first measures the blocking baseline client on a connection of its own,
 * then libvuc on a fresh client, so the two alternate and drift of the
 * machine (frequency, other load) touches both alike.
 *
 * How samples are taken (CLOCK_MONOTONIC, nanoseconds):
 *  - latencies are per-operation samples: one timestamp per operation
 *    boundary, so each sample is one operation including the loop around it;
 *    median and p99 are over every sample of every round;
 *  - rates are per-batch samples: the duration of a batch of fixed work
 *    (100 synchronous operations, N pipelined reads, one bulk transfer, one
 *    DMA job), turned into a rate; the median is the rate of the median
 *    batch and "p99" the rate of the 99th-percentile (slow) batch.
 * Warm-up operations precede every measured window, so pools and buffers
 * are grown before the clock runs. Nothing here compares a time with
 * anything: figures are printed, never judged.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <event2/event.h>

#include "bench_int.h"
#include "testdev_regs.h"

#define KIB 1024u
#define MIB (1024u * 1024u)

/* Operations per rate batch of the synchronous measurements. */
#define SYNC_BATCH 100u
/* Pipelined batches per round and depth. */
#define PIPE_BATCHES 3u
#define PIPE_MAX_DEPTH 64u
/* Operations counted by the allocation measurement, after as many
 * unmeasured ones. */
#define ALLOC_OPS 10000u
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

int lib_err(struct vuc_client *c, int rc, char *why, const char *what)
{
    snprintf(why, WHY_LEN, "%s: %s", what,
             *vuc_strerror(c) ? vuc_strerror(c) : strerror(-rc));
    return rc;
}

int wire_err(struct bw *w, int rc, char *why)
{
    snprintf(why, WHY_LEN, "%.190s", w->err);
    return rc;
}

static const char *size_name(uint64_t s)
{
    return s >= MIB ? "1 MiB" : s >= 64 * KIB ? "64 KiB" : "4 KiB";
}

/* ---- Rounds -------------------------------------------------------------- */

static bool is_wire(const struct row *r)
{
    return r->base_kind != NULL && strcmp(r->base_kind, "wire") == 0;
}

void skip_rows(struct row **rows, unsigned n, const char *why)
{
    for (unsigned i = 0; i < n; i++) {
        side_note(&rows[i]->lib, SIDE_SKIPPED, "%s", why);
        if (rows[i]->base_kind != NULL)
            side_note(&rows[i]->base, SIDE_SKIPPED, "%s", why);
    }
}

/* A failure ends that side of these rows; baselines measured inside the
 * libvuc round (memcpy, eventfd) end with it. */
void fail_rows(struct bctx *b, struct row **rows, unsigned n, bool wire_side,
               const char *why)
{
    for (unsigned i = 0; i < n; i++) {
        if (wire_side) {
            if (is_wire(rows[i]))
                side_note(&rows[i]->base, SIDE_FAILED, "%s", why);
            continue;
        }
        side_note(&rows[i]->lib, SIDE_FAILED, "%s", why);
        if (rows[i]->base_kind != NULL && !is_wire(rows[i]))
            side_note(&rows[i]->base, SIDE_FAILED, "%s", why);
    }
    b->failed = true;
}

void run_rounds(struct bctx *b, struct row **rows, unsigned nrows,
                wire_round_fn wf, lib_round_fn lf, void *arg)
{
    bool wire_on = wf != NULL && b->wire, lib_on = true;
    char why[WHY_LEN];
    int rc;

    if (wf != NULL && !b->wire) {
        for (unsigned i = 0; i < nrows; i++) {
            if (is_wire(rows[i]))
                side_note(&rows[i]->base, SIDE_SKIPPED, "%s", b->wire_note);
        }
    }
    for (unsigned r = 0; r < b->rounds && (wire_on || lib_on); r++) {
        if (wire_on) {
            struct bw w;

            rc = wire_open(b, &w, why);
            if (rc == 0)
                rc = wf(b, &w, arg, why);
            bw_close(&w);
            if (rc < 0) {
                fail_rows(b, rows, nrows, true, why);
                wire_on = false;
            }
        }
        if (lib_on) {
            struct vuc_client *c;

            rc = lib_open(b, &c, why);
            if (rc == 0) {
                rc = lf(b, c, arg, why);
                lib_close(b, c);
            }
            if (rc < 0) {
                fail_rows(b, rows, nrows, false, why);
                lib_on = false;
            }
        }
    }
}

bool reserve_all(struct bctx *b, struct row **rows, unsigned nrows,
                 struct series *s, unsigned ns, size_t each)
{
    for (unsigned i = 0; i < ns; i++) {
        if (series_reserve(&s[i], each) < 0) {
            fail_rows(b, rows, nrows, false, "out of memory for samples");
            fail_rows(b, rows, nrows, true, "out of memory for samples");
            return false;
        }
    }
    return true;
}

void free_all(struct series *s, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        series_free(&s[i]);
}

static void ratio_target(struct bctx *b, const char *id, const char *label,
                         const struct side *num, const struct side *den,
                         double goal)
{
    struct target *t = target_new(b, id, "%s", label);

    t->goal = goal;
    t->at_least = true;
    if (num->state == SIDE_OK && den->state == SIDE_OK && den->median > 0) {
        t->valid = true;
        t->value = num->median / den->median;
    } else {
        snprintf(t->note, sizeof(t->note), "not measured");
    }
}

/* ---- Synchronous 4-byte reads -------------------------------------------- */

struct sync_arg {
    uint32_t region;
    uint64_t offset;
    unsigned n, batch, busy_us;
    /* libvuc latency, batches; baseline the same; libvuc busy polling */
    struct series s[5];
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
    if (a->busy_us == 0)
        return 0;
    /* The same reads, spinning on the socket before sleeping. */
    if ((rc = vuc_set_busy_poll(c, a->busy_us)) < 0)
        return lib_err(c, rc, why, "busy poll");
    for (unsigned i = 0; i < warm + a->n; i++) {
        uint64_t t0 = now_ns();
        rc = vuc_region_read(c, a->region, a->offset, &v, 4);
        if (rc < 0)
            break;
        if (i >= warm)
            series_add(&a->s[4], (double)(now_ns() - t0));
    }
    vuc_set_busy_poll(c, 0);
    return rc < 0 ? lib_err(c, rc, why, "read, busy polling") : 0;
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
        .busy_us = b->o.busy_poll_us,
    };
    char where[64] = "";
    struct row *rows[3];

    if (a.region != VUC_BENCH_REGION_AUTO)
        snprintf(where, sizeof(where), " %s+0x%llx", vuc_region_name(a.region),
                 (unsigned long long)a.offset);
    rows[0] = row_new(b, "read.sync.latency", "us", false, "wire",
                      "read 4 B%s, sync: latency", where);
    rows[1] = row_new(b, "read.sync.rate", "ops/s", true, "wire",
                      "read 4 B%s, sync: rate", where);
    rows[2] = row_new(b, "read.sync.busypoll", "us", false, "wire",
                      "read 4 B%s, sync, busy poll %u us: latency", where,
                      a.busy_us);
    if (a.region == VUC_BENCH_REGION_AUTO) {
        char why[WHY_LEN];

        snprintf(why, sizeof(why), "skipped: %.180s", b->read_note);
        skip_rows(rows, 3, why);
        return;
    }
    if (a.busy_us == 0)
        skip_rows(&rows[2], 1, "skipped: busy polling not asked for");
    if (!reserve_all(b, rows, 3, a.s, 5, (size_t)b->rounds * a.n))
        goto out;
    run_rounds(b, rows, 3, sync_wire, sync_lib, &a);
    side_latency(&rows[0]->lib, &a.s[0]);
    side_rate(&rows[1]->lib, &a.s[1], a.batch, 1);
    side_latency(&rows[0]->base, &a.s[2]);
    side_rate(&rows[1]->base, &a.s[3], a.batch, 1);
    if (a.busy_us > 0) {
        side_latency(&rows[2]->lib, &a.s[4]);
        side_latency(&rows[2]->base, &a.s[2]);
        if (rows[2]->lib.state == SIDE_OK)
            snprintf(rows[2]->lib.note, WHY_LEN,
                     "libvuc spins up to %u us per wait (a CPU kept busy); "
                     "baseline: the blocking client, which sleeps in recv",
                     a.busy_us);
    }
out:
    free_all(a.s, 5);
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
    W_CORK,  /* policy posted, corked: the burst and a fence */
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
    struct vuc_posting_stats cork_stats;  /* and every corked one */
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
    /* The same bursts corked: the caller says they belong together. */
    for (unsigned k = 0; k <= WRITE_BURSTS && rc == 0; k++) {
        uint64_t t0 = now_ns();

        vuc_get_posting_stats(c, &s0);
        rc = vuc_cork(c);
        for (unsigned i = 0; i < a->burst && rc == 0; i++) {
            rc = vuc_region_write(c, a->region, a->offset, &i, 4);
            if (rc < 0)
                lib_err(c, rc, why, "corked posted write");
        }
        if (rc == 0 && (rc = vuc_uncork(c)) < 0)
            lib_err(c, rc, why, "uncork");
        if (rc == 0)
            rc = fence(c, why);
        vuc_get_posting_stats(c, &s1);
        if (k > 0) {
            series_add(&a->lib[W_CORK], (double)(now_ns() - t0));
            stats_add(&a->cork_stats, &s0, &s1);
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
        "write.posted.rate",  "write.multi.rate", "write.corked.rate",
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
    rows[W_CORK] = row_new(b, ids[W_CORK], "ops/s", true, "wire",
                           "same burst corked vs REGION_WRITE_MULTI");
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
        skip_rows(&rows[W_BURST], 3, why);
    }
    for (unsigned k = 0; k < W_N; k++) {
        size_t n = k == W_BURST || k == W_MULTI || k == W_CORK
                       ? (size_t)b->rounds * WRITE_BURSTS
                       : (size_t)b->rounds * a.n;
        if (!reserve_all(b, rows, W_N, &a.lib[k], 1, n) ||
            !reserve_all(b, rows, W_N, &a.base[k], 1, n))
            goto out;
    }
    if (a.postable && !b->srv.caps.write_multiple) {
        side_note(&rows[W_MULTI]->base, SIDE_SKIPPED,
                  "skipped: the server does not offer write_multiple");
        side_note(&rows[W_CORK]->base, SIDE_SKIPPED,
                  "skipped: the server does not offer write_multiple");
    }
    run_rounds(b, rows, W_N, write_wire, write_lib, &a);
    side_latency(&rows[W_LAT]->lib, &a.lib[W_LAT]);
    side_rate(&rows[W_RATE]->lib, &a.lib[W_RATE], a.batch, 1);
    side_latency(&rows[W_CONF]->lib, &a.lib[W_CONF]);
    side_rate(&rows[W_BURST]->lib, &a.lib[W_BURST], a.burst, 1);
    side_rate(&rows[W_MULTI]->lib, &a.lib[W_BURST], a.burst, 1);
    side_rate(&rows[W_CORK]->lib, &a.lib[W_CORK], a.burst, 1);
    side_latency(&rows[W_LAT]->base, &a.base[W_LAT]);
    side_rate(&rows[W_RATE]->base, &a.base[W_RATE], a.batch, 1);
    side_latency(&rows[W_CONF]->base, &a.base[W_CONF]);
    side_rate(&rows[W_BURST]->base, &a.base[W_BURST], a.burst, 1);
    side_rate(&rows[W_MULTI]->base, &a.base[W_MULTI], a.burst, 1);
    side_rate(&rows[W_CORK]->base, &a.base[W_MULTI], a.burst, 1);
    if (rows[W_BURST]->lib.state == SIDE_OK) {
        const struct vuc_posting_stats *s = &a.burst_stats;

        snprintf(
            rows[W_BURST]->lib.note, WHY_LEN,
            "libvuc sent %llu writes posted, %llu of them in %llu "
            "REGION_WRITE_MULTI; %llu fences",
            (unsigned long long)s->posted, (unsigned long long)s->multi_writes,
            (unsigned long long)s->multi_msgs, (unsigned long long)s->fences);
    }
    if (rows[W_CORK]->lib.state == SIDE_OK) {
        const struct vuc_posting_stats *s = &a.cork_stats;

        snprintf(rows[W_CORK]->lib.note, WHY_LEN,
                 "corked: %llu writes posted, %llu of them in %llu "
                 "REGION_WRITE_MULTI",
                 (unsigned long long)s->posted,
                 (unsigned long long)s->multi_writes,
                 (unsigned long long)s->multi_msgs);
    }
out:
    free_all(a.lib, W_N);
    free_all(a.base, W_N);
}

/* ---- Pipelined reads ----------------------------------------------------- */

static const unsigned pipe_depths[] = {1, 8, 64};
#define NDEPTHS (sizeof(pipe_depths) / sizeof(pipe_depths[0]))

struct pipe;

struct pipe_slot {
    struct pipe *p;
    uint32_t val;
};

/* Keeps `depth` reads in flight on the client's event base: each
 * completion starts the next read until `total` were started. */
struct pipe {
    struct vuc_client *c;
    uint32_t region;
    uint64_t offset;
    uint64_t issued, done, total;
    int err;
    char why[WHY_LEN];
    struct pipe_slot slots[PIPE_MAX_DEPTH];
};

static void pipe_done(struct vuc_client *c, int result, void *arg);

static void pipe_issue(struct pipe *p, struct pipe_slot *s)
{
    int rc = vuc_region_read_async(p->c, p->region, p->offset, &s->val, 4,
                                   VUC_TIMEOUT_DEFAULT, pipe_done, s);

    if (rc < 0) {
        if (p->err == 0) {
            p->err = rc;
            lib_err(p->c, rc, p->why, "read (pipelined)");
        }
        return;
    }
    p->issued++;
}

static void pipe_done(struct vuc_client *c, int result, void *arg)
{
    struct pipe_slot *s = arg;
    struct pipe *p = s->p;

    p->done++;
    if (result < 0 && p->err == 0) {
        p->err = result;
        lib_err(c, result, p->why, "read (pipelined)");
    }
    if (p->err == 0 && p->issued < p->total)
        pipe_issue(p, s);
}

static int pipe_run(struct pipe *p, unsigned depth, uint64_t total)
{
    struct event_base *base = vuc_client_base(p->c);

    p->issued = p->done = 0;
    p->total = total;
    p->err = 0;
    for (unsigned i = 0; i < depth && p->issued < total && p->err == 0; i++) {
        p->slots[i].p = p;
        pipe_issue(p, &p->slots[i]);
    }
    while (p->done < p->issued) {
        if (event_base_loop(base, EVLOOP_ONCE) < 0) {
            snprintf(p->why, WHY_LEN, "the event loop failed");
            return -EIO;
        }
    }
    return p->err;
}

static int wire_pipe_run(struct bw *w, uint32_t region, uint64_t offset,
                         unsigned depth, uint64_t total)
{
    uint16_t ids[PIPE_MAX_DEPTH];
    uint64_t issued = 0, done = 0;
    uint32_t v;
    int rc;

    for (; issued < depth && issued < total; issued++) {
        rc = bw_read_send(w, region, offset, 4, &ids[issued % depth]);
        if (rc < 0)
            return rc;
    }
    while (done < issued) {
        rc = bw_read_recv(w, ids[done % depth], &v, 4);
        if (rc < 0)
            return rc;
        done++;
        if (issued < total) {
            rc = bw_read_send(w, region, offset, 4, &ids[issued % depth]);
            if (rc < 0)
                return rc;
            issued++;
        }
    }
    return 0;
}

struct pipeline_arg {
    uint32_t region;
    uint64_t offset;
    unsigned n; /* reads per batch */
    struct series lib[NDEPTHS], base[NDEPTHS];
};

static int pipeline_lib(struct bctx *b, struct vuc_client *c, void *arg,
                        char *why)
{
    struct pipeline_arg *a = arg;
    struct pipe *p = calloc(1, sizeof(*p));
    int rc = 0;

    if (p == NULL) {
        snprintf(why, WHY_LEN, "out of memory");
        return -ENOMEM;
    }
    p->c = c;
    p->region = a->region;
    p->offset = a->offset;
    for (unsigned d = 0; d < NDEPTHS && rc == 0; d++) {
        rc = pipe_run(p, pipe_depths[d], warmup_ops(a->n));
        for (unsigned k = 0; k < PIPE_BATCHES && rc == 0; k++) {
            uint64_t t0 = now_ns();
            rc = pipe_run(p, pipe_depths[d], a->n);
            series_add(&a->lib[d], (double)(now_ns() - t0));
        }
    }
    if (rc < 0)
        snprintf(why, WHY_LEN, "%s", p->why);
    free(p);
    return rc;
}

static int pipeline_wire(struct bctx *b, struct bw *w, void *arg, char *why)
{
    struct pipeline_arg *a = arg;
    int rc = 0;

    for (unsigned d = 0; d < NDEPTHS && rc == 0; d++) {
        rc = wire_pipe_run(w, a->region, a->offset, pipe_depths[d],
                           warmup_ops(a->n));
        for (unsigned k = 0; k < PIPE_BATCHES && rc == 0; k++) {
            uint64_t t0 = now_ns();
            rc = wire_pipe_run(w, a->region, a->offset, pipe_depths[d], a->n);
            series_add(&a->base[d], (double)(now_ns() - t0));
        }
    }
    return rc < 0 ? wire_err(w, rc, why) : 0;
}

static const struct row *find_row(const struct bctx *b, const char *id)
{
    for (unsigned i = 0; i < b->nrows; i++) {
        if (strcmp(b->rows[i].id, id) == 0)
            return &b->rows[i];
    }
    return NULL;
}

void phase_pipeline(struct bctx *b)
{
    static const char *const ids[NDEPTHS] = {"pipeline.1", "pipeline.8",
                                             "pipeline.64"};
    struct pipeline_arg a = {
        .region = b->o.read_region,
        .offset = b->o.read_offset,
        .n = b->iterations,
    };
    struct row *rows[NDEPTHS];
    char where[64] = "";
    const struct row *sync;
    struct target *t;

    if (a.region != VUC_BENCH_REGION_AUTO)
        snprintf(where, sizeof(where), " %s+0x%llx", vuc_region_name(a.region),
                 (unsigned long long)a.offset);
    for (unsigned d = 0; d < NDEPTHS; d++)
        rows[d] = row_new(b, ids[d], "ops/s", true, "wire",
                          "read 4 B%s, %u in flight (async): rate", where,
                          pipe_depths[d]);
    if (a.region == VUC_BENCH_REGION_AUTO) {
        char why[WHY_LEN];

        snprintf(why, sizeof(why), "skipped: %.180s", b->read_note);
        skip_rows(rows, NDEPTHS, why);
        return;
    }
    if (!reserve_all(b, rows, NDEPTHS, a.lib, NDEPTHS,
                     (size_t)b->rounds * PIPE_BATCHES) ||
        !reserve_all(b, rows, NDEPTHS, a.base, NDEPTHS,
                     (size_t)b->rounds * PIPE_BATCHES))
        goto out;
    run_rounds(b, rows, NDEPTHS, pipeline_wire, pipeline_lib, &a);
    for (unsigned d = 0; d < NDEPTHS; d++) {
        side_rate(&rows[d]->lib, &a.lib[d], a.n, 1);
        side_rate(&rows[d]->base, &a.base[d], a.n, 1);
    }

    t = target_new(b, "pipeline.64_vs_sync",
                   "64 reads in flight / synchronous reads (libvuc rate)");
    t->goal = 3;
    t->at_least = true;
    sync = find_row(b, "read.sync.rate");
    if (sync != NULL && sync->lib.state == SIDE_OK &&
        rows[NDEPTHS - 1]->lib.state == SIDE_OK) {
        t->valid = true;
        t->value = rows[NDEPTHS - 1]->lib.median / sync->lib.median;
        if (sync->base.state == SIDE_OK &&
            rows[NDEPTHS - 1]->base.state == SIDE_OK)
            snprintf(t->note, sizeof(t->note),
                     "the blocking client reaches %.2fx",
                     rows[NDEPTHS - 1]->base.median / sync->base.median);
    } else {
        snprintf(t->note, sizeof(t->note),
                 sync == NULL ? "needs the read measurement too"
                              : "not measured");
    }
out:
    free_all(a.lib, NDEPTHS);
    free_all(a.base, NDEPTHS);
}

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
                 "libvuc: dma alloc (a pooled memfd, scrubbed) + DMA_MAP "
                 "with its fd; baseline: DMA_MAP of one reused memfd");
out:
    free_all(a.s, 4);
}

/* ---- Interrupts ---------------------------------------------------------- */

struct irq_state {
    bool fired, wdone;
    int wres;
    uint64_t t_irq, events;
};

static void irq_cb(struct vuc_client *c, uint32_t index, uint32_t vector,
                   uint64_t count, void *arg)
{
    struct irq_state *st = arg;

    st->t_irq = now_ns();
    st->fired = true;
    st->events += count;
}

static void irq_wdone(struct vuc_client *c, int result, void *arg)
{
    struct irq_state *st = arg;

    st->wdone = true;
    st->wres = result;
}

/* Fire once and wait for both the callback and the write's reply. The
 * device signals the eventfd before it answers the write, so the callback
 * comes at the latest with the loop iteration after the reply. */
static int irq_once(struct vuc_client *c, struct irq_state *st, uint64_t *dt,
                    char *why)
{
    struct event_base *base = vuc_client_base(c);
    uint32_t one = 1;
    uint64_t t0, deadline;
    int rc;

    st->fired = st->wdone = false;
    t0 = now_ns();
    rc = vuc_region_write_async(c, 0, TESTDEV_REG_IRQ_FIRE, &one, 4,
                                VUC_TIMEOUT_DEFAULT, irq_wdone, st);
    if (rc < 0)
        return lib_err(c, rc, why, "IRQ_FIRE write");
    while (!st->wdone) {
        if (event_base_loop(base, EVLOOP_ONCE) < 0) {
            snprintf(why, WHY_LEN, "the event loop failed");
            return -EIO;
        }
    }
    if (st->wres < 0)
        return lib_err(c, st->wres, why, "IRQ_FIRE write");
    deadline = now_ns() + 1000000000u;
    while (!st->fired) {
        if (now_ns() > deadline) {
            snprintf(why, WHY_LEN,
                     "the interrupt did not reach the "
                     "callback within 1 s of the write's reply");
            return -ETIMEDOUT;
        }
        event_base_loop(base, EVLOOP_NONBLOCK);
    }
    *dt = st->t_irq - t0;
    return 0;
}

/* The floor of any "message, wake-up, eventfd, wake-up" path: an eventfd
 * round trip through a second thread, the waiting side in epoll_wait() as
 * libevent waits. No server involved. */
struct pingpong {
    int to_thread, to_main;
    int stop;
};

static void *pingpong_thread(void *arg)
{
    struct pingpong *pp = arg;
    uint64_t v;

    for (;;) {
        struct pollfd pfd = {.fd = pp->to_thread, .events = POLLIN};

        if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
            break;
        if (read(pp->to_thread, &v, sizeof(v)) != sizeof(v))
            continue;
        if (__atomic_load_n(&pp->stop, __ATOMIC_ACQUIRE))
            break;
        v = 1;
        if (write(pp->to_main, &v, sizeof(v)) != sizeof(v))
            break;
    }
    return NULL;
}

static int eventfd_pingpong(unsigned warm, unsigned n, struct series *s,
                            char *why)
{
    struct pingpong pp = {
        .to_thread = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK),
        .to_main = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK),
    };
    int ep = epoll_create1(EPOLL_CLOEXEC), rc = 0;
    struct epoll_event ev = {.events = EPOLLIN};
    pthread_t th;
    uint64_t v = 1;

    if (pp.to_thread < 0 || pp.to_main < 0 || ep < 0 ||
        epoll_ctl(ep, EPOLL_CTL_ADD, pp.to_main, &ev) < 0) {
        rc = -errno;
        snprintf(why, WHY_LEN, "eventfd baseline: %s", strerror(errno));
        goto out;
    }
    rc = -pthread_create(&th, NULL, pingpong_thread, &pp);
    if (rc < 0) {
        snprintf(why, WHY_LEN, "eventfd baseline: pthread_create: %s",
                 strerror(-rc));
        goto out;
    }
    for (unsigned i = 0; i < warm + n && rc == 0; i++) {
        uint64_t t0 = now_ns();

        v = 1;
        if (write(pp.to_thread, &v, sizeof(v)) != sizeof(v)) {
            rc = -errno;
            snprintf(why, WHY_LEN, "eventfd baseline: write: %s",
                     strerror(errno));
            break;
        }
        int k;
        do {
            k = epoll_wait(ep, &ev, 1, 5000);
        } while (k < 0 && errno == EINTR);
        if (k <= 0) {
            rc = k < 0 ? -errno : -ETIMEDOUT;
            snprintf(why, WHY_LEN,
                     "eventfd baseline: no answer from the "
                     "thread");
            break;
        }
        if (read(pp.to_main, &v, sizeof(v)) != sizeof(v)) {
            rc = -EIO;
            snprintf(why, WHY_LEN, "eventfd baseline: read failed");
            break;
        }
        if (i >= warm)
            series_add(s, (double)(now_ns() - t0));
    }
    __atomic_store_n(&pp.stop, 1, __ATOMIC_RELEASE);
    v = 1;
    if (write(pp.to_thread, &v, sizeof(v)) != sizeof(v)) {
        /* The thread cannot be woken; it would block join for ever. */
        pthread_cancel(th);
    }
    pthread_join(th, NULL);
out:
    if (ep >= 0)
        close(ep);
    if (pp.to_thread >= 0)
        close(pp.to_thread);
    if (pp.to_main >= 0)
        close(pp.to_main);
    return rc;
}

struct irq_arg {
    unsigned n;
    struct series lib, base, efd;
};

static const uint32_t irq_select =
    TESTDEV_IRQ_SELECT(VFIO_USER_PCI_MSIX_IRQ_INDEX, 0u);

static int irq_lib(struct bctx *b, struct vuc_client *c, void *arg, char *why)
{
    struct irq_arg *a = arg;
    struct irq_state st = {0};
    unsigned warm = warmup_ops(a->n);
    int rc;

    rc = vuc_irq_enable(c, VFIO_USER_PCI_MSIX_IRQ_INDEX, 0, 1, irq_cb, &st);
    if (rc < 0)
        return lib_err(c, rc, why, "irq enable");
    rc = vuc_region_write(c, 0, TESTDEV_REG_IRQ_SELECT, &irq_select, 4);
    if (rc < 0)
        lib_err(c, rc, why, "IRQ_SELECT write");
    for (unsigned i = 0; i < warm + a->n && rc == 0; i++) {
        uint64_t dt;

        rc = irq_once(c, &st, &dt, why);
        if (rc == 0 && i >= warm)
            series_add(&a->lib, (double)dt);
    }
    if (vuc_irq_disable(c, VFIO_USER_PCI_MSIX_IRQ_INDEX) < 0 && rc == 0)
        rc = lib_err(c, -EIO, why, "irq disable");
    if (rc == 0)
        rc = eventfd_pingpong(warm, a->n, &a->efd, why);
    return rc;
}

static int irq_wire(struct bctx *b, struct bw *w, void *arg, char *why)
{
    struct irq_arg *a = arg;
    unsigned warm = warmup_ops(a->n);
    int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), rc;
    uint32_t one = 1;

    if (efd < 0) {
        snprintf(why, WHY_LEN, "eventfd: %s", strerror(errno));
        return -errno;
    }
    rc = bw_irq_set_eventfd(w, VFIO_USER_PCI_MSIX_IRQ_INDEX, 0, efd);
    if (rc == 0)
        rc = bw_region_write(w, 0, TESTDEV_REG_IRQ_SELECT, &irq_select, 4);
    for (unsigned i = 0; i < warm + a->n && rc == 0; i++) {
        struct pollfd pfd = {.fd = efd, .events = POLLIN};
        uint64_t t0 = now_ns(), t1, v;
        uint16_t id;
        int k;

        /* As libvuc sends it: posted, or answered after the eventfd. */
        rc = b->srv.bar0_posted
                 ? bw_write_post(w, 0, TESTDEV_REG_IRQ_FIRE, &one, 4)
                 : bw_write_send(w, 0, TESTDEV_REG_IRQ_FIRE, &one, 4, &id);
        if (rc < 0)
            break;
        do {
            k = poll(&pfd, 1, 5000);
        } while (k < 0 && errno == EINTR);
        t1 = now_ns();
        if (k <= 0 || read(efd, &v, sizeof(v)) != sizeof(v)) {
            snprintf(w->err, sizeof(w->err),
                     "the interrupt's eventfd was not signalled");
            rc = -ETIMEDOUT;
            break;
        }
        if (!b->srv.bar0_posted)
            rc = bw_write_recv(w, id);
        if (rc == 0 && i >= warm)
            series_add(&a->base, (double)(t1 - t0));
    }
    close(efd);
    return rc < 0 ? wire_err(w, rc, why) : 0;
}

void phase_irq(struct bctx *b)
{
    const struct server_info *s = &b->srv;
    const struct vuc_irq_info *msix =
        s->nirqs > VFIO_USER_PCI_MSIX_IRQ_INDEX
            ? &s->irqs[VFIO_USER_PCI_MSIX_IRQ_INDEX]
            : NULL;
    struct irq_arg a = {.n = at_least(b->iterations / 2, 10)};
    struct row *rows[2];

    rows[0] = row_new(b, "irq.fire.latency", "us", false, "wire",
                      "interrupt: IRQ_FIRE write to callback (MSI-X 0)");
    rows[1] = row_new(b, "irq.vs_eventfd", "us", false, "eventfd",
                      "interrupt vs eventfd round trip via a thread");
    if (!s->testdev || !s->irq_hooks) {
        skip_rows(rows, 2,
                  s->testdev ? "skipped: server has no interrupt hooks (this "
                               "vuc-testdev's IRQ_DELIVERED is plain memory)"
                             : "skipped: server has no interrupt hooks (not "
                               "vuc-testdev)");
        return;
    }
    if (msix == NULL || msix->count < 1 ||
        !(msix->flags & VFIO_USER_IRQ_INFO_EVENTFD)) {
        skip_rows(rows, 2,
                  "skipped: the device has no MSI-X vector with "
                  "eventfd support");
        return;
    }
    if (!reserve_all(b, rows, 2, &a.lib, 1, (size_t)b->rounds * a.n) ||
        !reserve_all(b, rows, 2, &a.base, 1, (size_t)b->rounds * a.n) ||
        !reserve_all(b, rows, 2, &a.efd, 1, (size_t)b->rounds * a.n))
        goto out;
    run_rounds(b, rows, 2, irq_wire, irq_lib, &a);
    side_latency(&rows[0]->lib, &a.lib);
    side_latency(&rows[0]->base, &a.base);
    side_latency(&rows[1]->lib, &a.lib);
    side_latency(&rows[1]->base, &a.efd);
out:
    free(a.lib.v);
    free(a.base.v);
    free(a.efd.v);
}

/* ---- Heap allocations per access ----------------------------------------- */

/* Through volatile pointers, so the compiler cannot fold the self-check's
 * malloc/free pair away. */
static void *(*volatile alloc_fn)(size_t) = malloc;
static void (*volatile free_fn)(void *) = free;

/* Counts the allocations of `ops` operations after `ops` unmeasured ones
 * (pools, queues and buffers grow during those); 1 per op when it fails. */
struct alloc_run {
    struct bctx *b;
    struct vuc_client *c;
    struct pipe *p;
    char *why;
};

enum alloc_kind { AK_READ, AK_WRITE, AK_CONFIRMED, AK_PIPE, AK_N };

static int alloc_ops(struct alloc_run *r, enum alloc_kind k, unsigned ops)
{
    const struct vuc_bench_opts *o = &r->b->o;
    uint32_t v = 0;
    int rc = 0;

    switch (k) {
    case AK_READ:
        for (unsigned i = 0; i < ops && rc == 0; i++)
            rc = vuc_region_read(r->c, o->read_region, o->read_offset, &v, 4);
        break;
    case AK_WRITE:
        /* As many writes as the measurement, then their fence. */
        for (unsigned i = 0; i < ops && rc == 0; i++)
            rc =
                vuc_region_write(r->c, o->write_region, o->write_offset, &i, 4);
        if (rc == 0)
            rc = vuc_fence(r->c);
        break;
    case AK_CONFIRMED:
        for (unsigned i = 0; i < ops && rc == 0; i++) {
            rc =
                vuc_region_write(r->c, o->write_region, o->write_offset, &i, 4);
            if (rc == 0)
                rc = vuc_fence(r->c);
        }
        break;
    case AK_PIPE:
        rc = pipe_run(r->p, PIPE_MAX_DEPTH, ops);
        if (rc < 0)
            snprintf(r->why, WHY_LEN, "%s", r->p->why);
        return rc;
    case AK_N:
        break;
    }
    return rc < 0 ? lib_err(r->c, rc, r->why, "allocation run") : 0;
}

void phase_alloc(struct bctx *b)
{
    static const char *const ids[AK_N] = {"alloc.read.sync", "alloc.write.sync",
                                          "alloc.write.confirmed",
                                          "alloc.read.pipeline64"};
    static const char *const what[AK_N] = {"reads", "writes and 1 fence",
                                           "writes each with a fence",
                                           "reads, 64 in flight"};
    struct row *rows[AK_N];
    struct alloc_run r = {.b = b};
    char why[WHY_LEN];
    uint64_t a0, a1;
    void *mem;
    int rc = 0;

    r.why = why;
    rows[AK_READ] = row_new(b, ids[AK_READ], "allocs/op", false, NULL,
                            "heap allocations per region read (sync)");
    rows[AK_WRITE] = row_new(b, ids[AK_WRITE], "allocs/op", false, NULL,
                             "heap allocations per region write (policy)");
    rows[AK_CONFIRMED] = row_new(b, ids[AK_CONFIRMED], "allocs/op", false, NULL,
                                 "heap allocations per write + fence");
    rows[AK_PIPE] = row_new(b, ids[AK_PIPE], "allocs/op", false, NULL,
                            "heap allocations per region read (64 in flight)");
    if (b->o.alloc_count == NULL) {
        skip_rows(rows, AK_N,
                  "skipped: no allocation counter in this program "
                  "(vuc-bench has one, but not in sanitizer "
                  "builds)");
        return;
    }
    /* The counter must see a malloc we make on purpose, or its zeros
     * would mean nothing. */
    a0 = b->o.alloc_count();
    mem = alloc_fn(64);
    a1 = b->o.alloc_count();
    free_fn(mem);
    b->alloc_checked = true;
    b->alloc_counts = a1 - a0 == 1;
    if (!b->alloc_counts) {
        fail_rows(b, rows, AK_N, false,
                  "the allocation counter did not count "
                  "a deliberate malloc");
        return;
    }
    if (b->o.read_region == VUC_BENCH_REGION_AUTO) {
        snprintf(why, sizeof(why), "skipped: %.180s", b->read_note);
        side_note(&rows[AK_READ]->lib, SIDE_SKIPPED, "%s", why);
        side_note(&rows[AK_PIPE]->lib, SIDE_SKIPPED, "%s", why);
    }
    if (b->o.write_region == VUC_BENCH_REGION_AUTO) {
        snprintf(why, sizeof(why), "skipped: %.180s", b->write_note);
        side_note(&rows[AK_WRITE]->lib, SIDE_SKIPPED, "%s", why);
        side_note(&rows[AK_CONFIRMED]->lib, SIDE_SKIPPED, "%s", why);
    }

    rc = lib_open(b, &r.c, why);
    if (rc == 0) {
        r.p = calloc(1, sizeof(*r.p));
        if (r.p == NULL) {
            snprintf(why, sizeof(why), "out of memory");
            rc = -ENOMEM;
        } else {
            r.p->c = r.c;
            r.p->region = b->o.read_region;
            r.p->offset = b->o.read_offset;
        }
    }
    for (unsigned k = 0; k < AK_N && rc == 0; k++) {
        struct row *row = rows[k];

        if (row->lib.state != SIDE_NONE)
            continue;
        rc = alloc_ops(&r, k, ALLOC_OPS);
        a0 = b->o.alloc_count();
        if (rc == 0)
            rc = alloc_ops(&r, k, ALLOC_OPS);
        a1 = b->o.alloc_count();
        if (rc == 0) {
            row->lib.state = SIDE_OK;
            row->lib.median = row->lib.p99 = (double)(a1 - a0) / ALLOC_OPS;
            row->lib.samples = 1;
            snprintf(row->lib.note, WHY_LEN, "%llu allocations in %u %s",
                     (unsigned long long)(a1 - a0), ALLOC_OPS, what[k]);
        }
    }
    if (rc < 0) {
        for (unsigned k = 0; k < AK_N; k++) {
            if (rows[k]->lib.state == SIDE_NONE)
                side_note(&rows[k]->lib, SIDE_FAILED, "%s", why);
        }
        b->failed = true;
    }
    free(r.p);
    if (r.c != NULL)
        lib_close(b, r.c);
    for (unsigned k = 0; k < AK_N; k++) {
        struct target *t =
            target_new(b, ids[k], "%s (steady state)", rows[k]->label);
        t->at_least = false;
        t->goal = 0;
        if (rows[k]->lib.state == SIDE_OK) {
            t->valid = true;
            t->value = rows[k]->lib.median;
        } else {
            snprintf(t->note, sizeof(t->note), "not measured");
        }
    }
}
