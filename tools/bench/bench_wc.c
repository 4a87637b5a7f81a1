/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Write combining: 64 consecutive 4-byte writes to a prefetchable memory
 * BAR, then a fence, with combining on and off, each beside the wire
 * sending the messages libvuc sends: with combining, one 256-byte
 * REGION_WRITE awaiting its reply (libvuc's fence is the combined write's
 * own reply); without, 64 posted writes and the confirming read.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bench_int.h"

#define WC_WRITES 64u
#define WC_BYTES (4u * WC_WRITES)
#define WC_BURSTS 20u /* per round, after one to warm up */

enum { WC_ON, WC_OFF, WC_N };

struct wc_arg {
    uint32_t region;
    bool cfg;
    struct series lib[WC_N], base[WC_N];
    struct vuc_wc_stats on_stats;
};

static int lib_bursts(struct vuc_client *c, struct wc_arg *a, bool on,
                      struct series *out, char *why)
{
    uint32_t v[WC_WRITES];
    int rc = vuc_set_write_combining(c, a->region, on ? VUC_WC_ON : VUC_WC_OFF);

    if (rc < 0)
        return lib_err(c, rc, why, "setting write combining");
    for (unsigned k = 0; k <= WC_BURSTS; k++) {
        uint64_t t0 = now_ns();

        for (unsigned i = 0; i < WC_WRITES; i++) {
            v[i] = k << 16 | i;
            rc = vuc_region_write(c, a->region, 4 * i, &v[i], 4);
            if (rc < 0)
                return lib_err(c, rc, why, "write");
        }
        if ((rc = vuc_fence(c)) < 0)
            return lib_err(c, rc, why, "fence");
        if (k > 0)
            series_add(out, (double)(now_ns() - t0));
    }
    return 0;
}

static int wc_lib(struct bctx *b, struct vuc_client *c, void *arg, char *why)
{
    struct wc_arg *a = arg;
    enum vuc_posting prev = vuc_get_posting(c);
    struct vuc_wc_stats s0, s1;
    int rc;

    (void)b;
    /* The fenced policy, under which prefetchable BARs combine unless the
     * caller says otherwise. */
    if ((rc = vuc_set_posting(c, VUC_POSTING_FENCED)) < 0)
        return lib_err(c, rc, why, "setting the fenced policy");
    vuc_get_wc_stats(c, &s0);
    rc = lib_bursts(c, a, true, &a->lib[WC_ON], why);
    vuc_get_wc_stats(c, &s1);
    a->on_stats.writes += s1.writes - s0.writes;
    a->on_stats.flushes += s1.flushes - s0.flushes;
    if (rc == 0)
        rc = lib_bursts(c, a, false, &a->lib[WC_OFF], why);
    vuc_set_write_combining(c, a->region, VUC_WC_DEFAULT);
    if (vuc_set_posting(c, prev) < 0 && rc == 0)
        rc = lib_err(c, -EIO, why, "restoring the posting policy");
    return rc;
}

static int wc_wire(struct bctx *b, struct bw *w, void *arg, char *why)
{
    struct wc_arg *a = arg;
    uint32_t v[WC_WRITES];
    int rc = 0;

    (void)b;
    for (unsigned k = 0; k <= WC_BURSTS && rc == 0; k++) {
        uint64_t t0 = now_ns();

        for (unsigned i = 0; i < WC_WRITES; i++)
            v[i] = k << 16 | i;
        uint16_t id;
        rc = bw_write_send(w, a->region, 0, v, WC_BYTES, &id);
        if (rc == 0)
            rc = bw_write_recv(w, id);
        if (k > 0)
            series_add(&a->base[WC_ON], (double)(now_ns() - t0));
    }
    for (unsigned k = 0; k <= WC_BURSTS && rc == 0; k++) {
        uint64_t t0 = now_ns();

        for (unsigned i = 0; i < WC_WRITES && rc == 0; i++) {
            v[i] = k << 16 | i;
            rc = bw_write_post(w, a->region, 4 * i, &v[i], 4);
        }
        if (rc == 0)
            rc = bw_confirm(w, a->cfg);
        if (k > 0)
            series_add(&a->base[WC_OFF], (double)(now_ns() - t0));
    }
    return rc < 0 ? wire_err(w, rc, why) : 0;
}

void phase_wc(struct bctx *b)
{
    static const char *const ids[WC_N] = {"wc.on.rate", "wc.off.rate"};
    struct wc_arg a = {.cfg = b->srv.cfg_readable};
    struct row *rows[WC_N];
    char where[32] = "";

    a.region = b->srv.prefetch_bar;
    if (a.region != UINT32_MAX && b->srv.regions[a.region].size < WC_BYTES)
        a.region = UINT32_MAX;
    if (a.region != UINT32_MAX)
        snprintf(where, sizeof(where), " to %s", vuc_region_name(a.region));
    rows[WC_ON] = row_new(b, ids[WC_ON], "ops/s", true, "wire",
                          "%u x 4 B writes%s + fence, combining on, vs one "
                          "%u B write",
                          WC_WRITES, where, WC_BYTES);
    rows[WC_OFF] =
        row_new(b, ids[WC_OFF], "ops/s", true, "wire",
                "same, combining off, vs %u posted writes", WC_WRITES);
    if (a.region == UINT32_MAX) {
        skip_rows(rows, WC_N,
                  "skipped: no writable prefetchable memory BAR of 256 "
                  "bytes or more");
        return;
    }
    if (!reserve_all(b, rows, WC_N, a.lib, WC_N,
                     (size_t)b->rounds * WC_BURSTS) ||
        !reserve_all(b, rows, WC_N, a.base, WC_N,
                     (size_t)b->rounds * WC_BURSTS))
        goto out;
    run_rounds(b, rows, WC_N, wc_wire, wc_lib, &a);
    for (unsigned k = 0; k < WC_N; k++) {
        side_rate(&rows[k]->lib, &a.lib[k], WC_WRITES, 1);
        side_rate(&rows[k]->base, &a.base[k], WC_WRITES, 1);
    }
    if (rows[WC_ON]->lib.state == SIDE_OK)
        snprintf(rows[WC_ON]->lib.note, WHY_LEN,
                 "libvuc combined %llu writes into %llu REGION_WRITEs",
                 (unsigned long long)a.on_stats.writes,
                 (unsigned long long)a.on_stats.flushes);
    ratio_target(b, "wc.on_vs_off", "combining on / off (libvuc rate)",
                 &rows[WC_ON]->lib, &rows[WC_OFF]->lib, 10);
    /* Within 1.2x of the wire: its rate over ours at most 1.2, i.e. ours
     * over its at least 1 / 1.2. */
    ratio_target(b, "wc.on_vs_wire",
                 "combining on / the wire's one 256 B write (rate)",
                 &rows[WC_ON]->lib, &rows[WC_ON]->base, 1 / 1.2);
out:
    free_all(a.lib, WC_N);
    free_all(a.base, WC_N);
}
