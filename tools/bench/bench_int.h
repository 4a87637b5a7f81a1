/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Inside the benchmark module: the run's context, result rows, sample
 * series, and the services the measurements (bench_phases.c and one file
 * per group of phases) get from the driver (bench.c) and the printers
 * (bench_output.c).
 */
#ifndef VUC_BENCH_INT_H
#define VUC_BENCH_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <vuc/vuc.h>

#include "bench.h"
#include "bench_wire.h"

#define WHY_LEN 200

/* ---- Samples ------------------------------------------------------------- */

static inline uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Durations in nanoseconds: of one operation, or of one batch of a fixed
 * amount of work. Room is reserved before a measurement starts, so that
 * recording a sample never allocates inside a timed window. */
struct series {
    double *v;
    size_t n, cap;
};

int series_reserve(struct series *s, size_t more);
static inline void series_add(struct series *s, double ns)
{
    if (s->n < s->cap)
        s->v[s->n++] = ns;
}
void series_free(struct series *s);

/* ---- Result rows --------------------------------------------------------- */

enum side_state {
    SIDE_NONE, /* not measured, nothing to say (no baseline of this kind) */
    SIDE_OK,
    SIDE_SKIPPED, /* not measured, for the reason in note */
    SIDE_FAILED,  /* measurement broke off; note says why */
};

struct side {
    enum side_state state;
    double median, p99; /* in the row's unit; p99 is the slow tail */
    size_t samples;
    char note[WHY_LEN];
};

struct row {
    const char *id; /* stable key, e.g. "read.sync.latency" */
    char label[96];
    const char *unit;
    bool higher_better;    /* rates; latencies are lower-better */
    const char *base_kind; /* "wire", "memcpy", "eventfd" or NULL */
    struct side lib, base;
};

/* A figure set against a goal from the design (printed, never asserted). */
struct target {
    const char *id;
    char label[96];
    bool valid;
    double value, goal;
    bool at_least; /* value >= goal, else value <= goal */
    char note[WHY_LEN];
};

#define MAX_ROWS 48
#define MAX_TARGETS 12

/* ---- What the probe connection learned about the server ------------------ */

struct server_info {
    struct vuc_caps caps;
    char *json; /* VERSION JSON text, "" if none */
    struct vuc_device_info dev;
    uint32_t nregions;
    struct {
        uint64_t size;
        uint32_t flags;
    } regions[VUC_MAX_REGIONS];
    uint32_t nirqs;
    struct vuc_irq_info irqs[VUC_MAX_IRQ_INDEXES];
    bool testdev; /* BAR0 magic says vuc-testdev */
    uint32_t testdev_version;
    bool dma_engine;   /* its DMA_STATUS register is read-only */
    bool irq_hooks;    /* its IRQ_DELIVERED register is read-only */
    bool cfg_readable; /* config space: libvuc's fences read it */
    /* Whether libvuc posts (No_reply) a write there under the client's
     * policy, seen at the probe; the wire baselines then post too, so
     * that both sides put the same messages on the wire. */
    bool write_posted, bulk_posted, bar0_posted;
    /* Whether the posted policy posts writes to the write region (it never
     * does for config space and I/O BARs). */
    bool write_postable;
};

/* ---- The run ------------------------------------------------------------- */

enum target_mode { MODE_PATH, MODE_FD, MODE_CLIENT };

struct bctx {
    struct vuc_bench_opts o;
    unsigned phases;
    unsigned rounds, iterations;
    FILE *log;

    enum target_mode mode;
    const char *path;
    struct event_base *base;   /* ours (path, fd), else the client's */
    struct vuc_client *client; /* fd and client modes: the one client */
    bool own_client;

    struct server_info srv;
    /* Targets resolved from the options and the server (b->o holds them;
     * a region left at VUC_BENCH_REGION_AUTO means "not available", with
     * the reason here). */
    char read_note[WHY_LEN], write_note[WHY_LEN], bulk_note[WHY_LEN];
    bool wire; /* wire baselines possible (path mode) */
    char wire_note[WHY_LEN];

    struct row rows[MAX_ROWS];
    unsigned nrows;
    struct target targets[MAX_TARGETS];
    unsigned ntargets;

    /* The allocation counter's self-check, for the output. */
    bool alloc_available;
    bool alloc_checked, alloc_counts;

    bool failed; /* some measurement failed */
};

/* bench.c */
struct row *row_new(struct bctx *b, const char *id, const char *unit,
                    bool higher_better, const char *base_kind, const char *fmt,
                    ...) __attribute__((format(printf, 6, 7)));
struct target *target_new(struct bctx *b, const char *id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void side_note(struct side *s, enum side_state st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Per-operation samples (ns) into microseconds. */
void side_latency(struct side *s, const struct series *ns);
/* Batch durations (ns) into a rate: work units per second, divided by
 * scale (1e6 for MB/s); p99 is the rate of the 99th-percentile batch. */
void side_rate(struct side *s, const struct series *ns, double work,
               double scale);
/* A libvuc client for one round: a fresh connection in path mode, else
 * the run's one client. 0, or a negative errno with why filled. */
int lib_open(struct bctx *b, struct vuc_client **c, char *why);
void lib_close(struct bctx *b, struct vuc_client *c);
/* A baseline connection for one round (path mode only); bw_close() it
 * whatever this returns. */
int wire_open(struct bctx *b, struct bw *w, char *why);

/* bench_phases.c: the rounds and the services every measurement uses */
static inline unsigned warmup_ops(unsigned n)
{
    return n / 10 < 10 ? 10 : n / 10;
}

/* The clock of a loop of synchronous operations: started when the warm-up
 * ends, it puts each operation's latency into lat and the time of each run
 * of `batch` operations into per_batch. */
struct op_clock {
    struct series *lat, *per_batch;
    unsigned batch, done;
    uint64_t t, tb;
};

static inline void op_clock_start(struct op_clock *k)
{
    k->t = k->tb = now_ns();
    k->done = 0;
}

static inline void op_clock_tick(struct op_clock *k)
{
    uint64_t t1 = now_ns();

    series_add(k->lat, (double)(t1 - k->t));
    k->t = t1;
    if (++k->done % k->batch == 0) {
        series_add(k->per_batch, (double)(t1 - k->tb));
        k->tb = t1;
    }
}

static inline unsigned at_least(unsigned v, unsigned min)
{
    return v < min ? min : v;
}

#define KIB 1024u
#define MIB (1024u * KIB)
#define GIB (1024ull * MIB)

/* Operations per rate batch of the synchronous measurements. */
#define SYNC_BATCH 100u
/* The deepest pipeline of reads (the pipeline and alloc phases). */
#define PIPE_MAX_DEPTH 64u

/* The reason of a failed call into why (libvuc's words, or the errno's);
 * returns rc. */
int lib_err(struct vuc_client *c, int rc, char *why, const char *what);
int wire_err(struct bw *w, int rc, char *why);

/* What a phase's look at the server found. */
enum setup_result { SETUP_OK, SETUP_SKIP, SETUP_FAIL };

/* One round of a measurement on one side: 0, or a negative errno with the
 * reason in why (which ends that side of the rows). */
typedef int (*wire_round_fn)(struct bctx *b, struct bw *w, void *arg,
                             char *why);
typedef int (*lib_round_fn)(struct bctx *b, struct vuc_client *c, void *arg,
                            char *why);

/* b->rounds rounds, each the wire baseline (when wf and the mode allow it)
 * on a fresh connection, then libvuc on its client. */
void run_rounds(struct bctx *b, struct row **rows, unsigned nrows,
                wire_round_fn wf, lib_round_fn lf, void *arg);
/* Both sides of the rows skipped for why. */
void skip_rows(struct row **rows, unsigned n, const char *why);
/* The wire side, or the libvuc side (with the baselines measured inside
 * its round), of the rows failed for why; the run fails. */
void fail_rows(struct bctx *b, struct row **rows, unsigned n, bool wire_side,
               const char *why);
/* Room for each samples in each of ns series; on failure the rows fail. */
bool reserve_all(struct bctx *b, struct row **rows, unsigned nrows,
                 struct series *s, unsigned ns, size_t each);
void free_all(struct series *s, unsigned n);
/* A target of num's median over den's, at least goal ("not measured"
 * unless both sides were). */
void ratio_target(struct bctx *b, const char *id, const char *label,
                  const struct side *num, const struct side *den, double goal);
/* "4 KiB", "64 KiB" or "1 MiB": the bulk and DMA sizes, for labels. */
const char *size_name(uint64_t s);
/* "64 GiB", "2 MiB", "4096 B": any size, in the largest unit that divides
 * it, in buf. */
const char *size_str(uint64_t v, char *buf, size_t len);
/* The transfer size libvuc uses: the smaller of the client's and the
 * server's. */
uint32_t lib_xfer(const struct bctx *b);
/* A phase's look at the server failed: the libvuc side, and the wire side
 * where there is one, fail for why. */
void setup_failed(struct bctx *b, struct row **rows, unsigned n,
                  const char *why);

/* bench_dma.c: one job of vuc-testdev's DMA engine with DMA_CTRL value ctrl:
 * programmed and rung in one write, then DMA_STATUS read (the job is done by
 * then); posted: the doorbell write goes out as libvuc sends it there. */
int dma_job_lib(struct vuc_client *c, uint64_t src, uint64_t dst, uint32_t len,
                uint32_t ctrl, char *why);
int dma_job_wire(struct bw *w, bool posted, uint64_t src, uint64_t dst,
                 uint32_t len, uint32_t ctrl, char *why);

/* The phases, by file; phase_order[] in bench.c runs them. A new group of
 * measurements is one new file, its phase here, and its line there (and
 * its name and bit in bench.h and phase_table[]). */
void phase_read(struct bctx *b);     /* bench_region.c */
void phase_write(struct bctx *b);    /* bench_region.c */
void phase_pipeline(struct bctx *b); /* bench_pipeline.c */
void phase_alloc(struct bctx *b);    /* bench_pipeline.c */
void phase_bulk(struct bctx *b);     /* bench_bulk.c */
void phase_dma(struct bctx *b);      /* bench_dma.c */
void phase_map(struct bctx *b);      /* bench_dma.c */
void phase_irq(struct bctx *b);      /* bench_irq.c */
void phase_dirty(struct bctx *b);    /* bench_dirty.c */
void phase_mig(struct bctx *b);      /* bench_mig.c */

/* bench_output.c */
int output_text(const struct bctx *b, FILE *out);
int output_json(const struct bctx *b, FILE *out);

#endif /* VUC_BENCH_INT_H */
