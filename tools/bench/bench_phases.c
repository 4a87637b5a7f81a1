/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What every measurement shares; the phases themselves are in one file per
 * group (bench_region.c, bench_pipeline.c, ...). Each phase runs b->rounds
 * rounds; in path mode a round first measures the blocking baseline client on a
 * connection of its own, then libvuc on a fresh client, so the two alternate
 * and drift of the machine (frequency, other load) touches both alike.
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
#include <string.h>

#include "bench_int.h"

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

const char *size_name(uint64_t s)
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

void ratio_target(struct bctx *b, const char *id, const char *label,
                  const struct side *num, const struct side *den, double goal)
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

uint32_t lib_xfer(const struct bctx *b)
{
    const struct vuc_caps *c = &b->srv.caps;

    return c->server_max_data_xfer_size < c->client_max_data_xfer_size
               ? c->server_max_data_xfer_size
               : c->client_max_data_xfer_size;
}

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
