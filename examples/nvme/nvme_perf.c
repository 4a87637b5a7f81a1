/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vuc-nvme perf: keep qd commands in flight, spread over the queue pairs,
 * for a given time, and report IOPS, MB/s, latency percentiles and the
 * driver process's CPU time per I/O. A completion resubmits at once from
 * its callback; the driver rings each queue's doorbell once per batch of
 * completions, which is what lets a deep queue amortise the round trips.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "vuc_nvme.h"

struct perf;

struct perf_io {
    struct perf *p;
    unsigned q;
    uint64_t iova;
    uint64_t start_ns;
};

struct perf {
    struct nvme_drv *d;
    const struct perf_opts *o;
    uint32_t nlb;
    uint64_t nblocks; /* usable range, in units of bs */
    uint64_t next;    /* sequential cursor, in units of bs */
    uint64_t rng;
    uint64_t end_ns;
    uint64_t *lat; /* ns, one per completed I/O */
    size_t nlat, cap;
    unsigned outstanding;
    int err;
    char why[256];
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t next_rand(struct perf *p)
{
    /* xorshift64*: cheap and good enough to spread LBAs. */
    p->rng ^= p->rng >> 12;
    p->rng ^= p->rng << 25;
    p->rng ^= p->rng >> 27;
    return p->rng * 2685821657736338717ull;
}

static void io_done(void *arg, int err, uint16_t status, uint32_t dw0);

static int submit(struct perf_io *io)
{
    struct perf *p = io->p;
    uint64_t unit;
    if (p->o->rw == PERF_RANDREAD) {
        unit = next_rand(p) % p->nblocks;
    } else {
        unit = p->next++ % p->nblocks;
    }
    uint8_t opc = p->o->rw == PERF_WRITE ? NVME_CMD_WRITE : NVME_CMD_READ;
    io->start_ns = now_ns();
    int rc = nvme_io_submit(p->d, io->q, opc, unit * p->nlb, p->nlb, io->iova,
                            p->o->bs, io_done, io);
    if (rc == 0) {
        p->outstanding++;
    }
    return rc;
}

static void io_done(void *arg, int err, uint16_t status, uint32_t dw0)
{
    struct perf_io *io = arg;
    struct perf *p = io->p;
    uint64_t t = now_ns();
    (void)dw0;

    p->outstanding--;
    if (err < 0 || status != 0) {
        if (p->err == 0) {
            p->err = err < 0 ? err : -EIO;
            snprintf(p->why, sizeof(p->why), "%s",
                     err < 0 ? nvme_drv_error(p->d) : nvme_status_str(status));
        }
        return;
    }
    if (p->nlat == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 65536;
        uint64_t *lat = realloc(p->lat, cap * sizeof(*lat));
        if (lat == NULL) {
            p->err = -ENOMEM;
            snprintf(p->why, sizeof(p->why), "out of memory");
            return;
        }
        p->lat = lat;
        p->cap = cap;
    }
    p->lat[p->nlat++] = t - io->start_ns;
    if (t < p->end_ns && p->err == 0) {
        int rc = submit(io);
        if (rc < 0) {
            p->err = rc;
            snprintf(p->why, sizeof(p->why), "%s", nvme_drv_error(p->d));
        }
    }
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static double pct(const uint64_t *v, size_t n, double q)
{
    size_t i = (size_t)(q * (double)(n - 1) + 0.5);
    return (double)v[i] / 1000.0;
}

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static const char *rw_name(const struct perf_opts *o)
{
    return o->rw == PERF_READ    ? "read"
           : o->rw == PERF_WRITE ? "write"
                                 : "randread";
}

int cmd_perf(struct nvme_drv *d, const struct perf_opts *o)
{
    const struct nvme_drv_info *in = nvme_drv_info(d);
    struct perf p = {.d = d, .o = o, .rng = 0x9e3779b97f4a7c15ull};
    struct nvme_buf buf = {0};
    struct perf_io *ios = NULL;
    int status = 1;

    if (o->bs == 0 || o->bs % in->lba_size != 0 || o->bs > in->max_xfer) {
        fprintf(stderr,
                "perf: --bs %u must be a multiple of the block size (%u) "
                "up to %u\n",
                o->bs, in->lba_size, in->max_xfer);
        return 2;
    }
    unsigned cap = in->nr_queues * (in->qdepth - 1);
    if (o->qd == 0 || o->qd > cap) {
        fprintf(stderr,
                "perf: --qd %u: 1 to %u with %u queue pair(s) of %u entries "
                "(raise --qdepth or --queues)\n",
                o->qd, cap, in->nr_queues, in->qdepth);
        return 2;
    }
    p.nlb = o->bs / in->lba_size;
    p.nblocks = in->nsze / p.nlb;
    if (p.nblocks == 0) {
        fprintf(stderr, "perf: the namespace is smaller than --bs\n");
        return 2;
    }
    ios = calloc(o->qd, sizeof(*ios));
    if (ios == NULL || nvme_buf_alloc(d, (size_t)o->qd * o->bs, &buf) < 0) {
        fprintf(stderr, "perf: %s\n",
                ios == NULL ? "out of memory" : nvme_drv_error(d));
        goto out;
    }
    struct nvme_drv_stats st0, st1;
    nvme_drv_stats(d, &st0);
    double cpu0 = cpu_seconds();
    uint64_t t0 = now_ns();
    p.end_ns = t0 + (uint64_t)(o->seconds * 1e9);
    nvme_drv_plug(d); /* the first qd commands as one batch */
    for (unsigned i = 0; i < o->qd && p.err == 0; i++) {
        ios[i] = (struct perf_io){.p = &p,
                                  .q = i % in->nr_queues,
                                  .iova = buf.iova + (uint64_t)i * o->bs};
        int rc = submit(&ios[i]);
        if (rc < 0) {
            p.err = rc;
            snprintf(p.why, sizeof(p.why), "%s", nvme_drv_error(d));
        }
    }
    nvme_drv_unplug(d);
    while (p.outstanding > 0) {
        if (nvme_drv_process(d, true) < 0) {
            break;
        }
    }
    uint64_t t1 = now_ns();
    double cpu = cpu_seconds() - cpu0;
    nvme_drv_stats(d, &st1);
    if (p.err != 0 || p.outstanding > 0) {
        fprintf(stderr, "perf: %s\n", p.err != 0 ? p.why : nvme_drv_error(d));
        goto out;
    }
    if (p.nlat == 0) {
        fprintf(stderr, "perf: no I/O completed\n");
        goto out;
    }
    qsort(p.lat, p.nlat, sizeof(*p.lat), cmp_u64);
    double secs = (double)(t1 - t0) / 1e9;
    double iops = (double)p.nlat / secs;
    double mbs = iops * o->bs / 1e6;
    double cpu_us = cpu * 1e6 / (double)p.nlat;
    /* How well batching works: doorbell writes and interrupts per I/O. */
    double dbs = (double)(st1.doorbells - st0.doorbells) / (double)p.nlat;
    double irqs = (double)(st1.interrupts - st0.interrupts) / (double)p.nlat;
    if (o->json) {
        printf("{\"rw\": \"%s\", \"bs\": %u, \"qd\": %u, \"queues\": %u, "
               "\"ios\": %zu, \"seconds\": %.3f, \"iops\": %.0f, "
               "\"mb_s\": %.1f, \"p50_us\": %.1f, \"p99_us\": %.1f, "
               "\"p999_us\": %.1f, \"cpu_us_per_io\": %.2f, "
               "\"doorbells_per_io\": %.2f, \"irqs_per_io\": %.2f}\n",
               rw_name(o), o->bs, o->qd, in->nr_queues, p.nlat, secs, iops, mbs,
               pct(p.lat, p.nlat, 0.5), pct(p.lat, p.nlat, 0.99),
               pct(p.lat, p.nlat, 0.999), cpu_us, dbs, irqs);
    } else {
        printf("%s bs=%u qd=%u queues=%u: %zu I/Os in %.2f s\n", rw_name(o),
               o->bs, o->qd, in->nr_queues, p.nlat, secs);
        printf("  IOPS %.0f  MB/s %.1f\n", iops, mbs);
        printf("  latency us: p50 %.1f  p99 %.1f  p99.9 %.1f\n",
               pct(p.lat, p.nlat, 0.5), pct(p.lat, p.nlat, 0.99),
               pct(p.lat, p.nlat, 0.999));
        printf("  driver CPU per I/O: %.2f us; per I/O %.2f doorbells, %.2f "
               "interrupts\n",
               cpu_us, dbs, irqs);
    }
    status = 0;
out:
    if (buf.map != NULL) {
        nvme_buf_free(d, &buf);
    }
    free(ios);
    free(p.lat);
    return status;
}
