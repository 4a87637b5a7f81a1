/* SPDX-License-Identifier: BSD-3-Clause */
/* Pipelined reads, and the heap allocations per access, which run reads
 * through the same pipeline (--only pipeline,alloc). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "bench_int.h"

/* Pipelined batches per round and depth. */
#define PIPE_BATCHES 3u

/* Operations counted by the allocation measurement, after as many
 * unmeasured ones. */
#define ALLOC_OPS 10000u

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
