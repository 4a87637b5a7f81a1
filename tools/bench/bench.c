/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The benchmark module's driver: arguments, the connections each round
 * uses, the probe that learns what the server offers, statistics, and the
 * order of the measurements (phase_order[]; the phases are in bench_*.c by
 * group) and printing (bench_output.c).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "bench_int.h"
#include "testdev_regs.h"

/* ---- Options ------------------------------------------------------------ */

static const struct {
    const char *name;
    unsigned bit;
} phase_table[] = {
    {"read", VUC_BENCH_READ},   {"pipeline", VUC_BENCH_PIPELINE},
    {"write", VUC_BENCH_WRITE}, {"bulk", VUC_BENCH_BULK},
    {"dma", VUC_BENCH_DMA},     {"map", VUC_BENCH_MAP},
    {"irq", VUC_BENCH_IRQ},     {"alloc", VUC_BENCH_ALLOC},
    {"dirty", VUC_BENCH_DIRTY}, {"mig", VUC_BENCH_MIG},
};

#define NPHASES (sizeof(phase_table) / sizeof(phase_table[0]))

void vuc_bench_opts_init(struct vuc_bench_opts *opts)
{
    *opts = (struct vuc_bench_opts){
        .read_region = VUC_BENCH_REGION_AUTO,
        .write_region = VUC_BENCH_REGION_AUTO,
        .bulk_region = VUC_BENCH_REGION_AUTO,
    };
}

const char *vuc_bench_phase_names(void)
{
    return "read,pipeline,write,bulk,dma,map,irq,dirty,mig,alloc";
}

int vuc_bench_parse_phases(const char *list, unsigned *mask, char *err,
                           size_t errlen)
{
    unsigned m = 0;
    const char *p = list;

    if (list == NULL || *list == '\0') {
        if (err != NULL)
            snprintf(err, errlen, "empty list of measurements");
        return -EINVAL;
    }
    while (*p != '\0') {
        size_t n = strcspn(p, ",");
        unsigned i;

        for (i = 0; i < NPHASES; i++) {
            if (strlen(phase_table[i].name) == n &&
                strncmp(phase_table[i].name, p, n) == 0)
                break;
        }
        if (i == NPHASES) {
            if (err != NULL)
                snprintf(err, errlen, "unknown measurement '%.*s' (known: %s)",
                         (int)n, p, vuc_bench_phase_names());
            return -EINVAL;
        }
        m |= phase_table[i].bit;
        p += n;
        if (*p == ',')
            p++;
    }
    *mask = m;
    return 0;
}

/* ---- Samples and statistics ---------------------------------------------- */

int series_reserve(struct series *s, size_t more)
{
    if (s->cap - s->n >= more)
        return 0;
    size_t cap = s->n + more;
    double *v = realloc(s->v, cap * sizeof(*v));
    if (v == NULL)
        return -ENOMEM;
    s->v = v;
    s->cap = cap;
    return 0;
}

void series_free(struct series *s)
{
    free(s->v);
    *s = (struct series){0};
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* Median and 99th percentile (nearest rank) of a copy of the samples. */
static bool percentiles(const struct series *s, double *median, double *p99)
{
    double *v;
    size_t k;

    if (s->n == 0)
        return false;
    v = malloc(s->n * sizeof(*v));
    if (v == NULL)
        return false;
    memcpy(v, s->v, s->n * sizeof(*v));
    qsort(v, s->n, sizeof(*v), cmp_double);
    *median = s->n % 2 ? v[s->n / 2] : (v[s->n / 2 - 1] + v[s->n / 2]) / 2;
    k = (s->n * 99 + 99) / 100; /* ceil(0.99 n), 1-based */
    *p99 = v[k - 1];
    free(v);
    return true;
}

void side_note(struct side *s, enum side_state st, const char *fmt, ...)
{
    va_list ap;

    s->state = st;
    va_start(ap, fmt);
    vsnprintf(s->note, sizeof(s->note), fmt, ap);
    va_end(ap);
}

void side_latency(struct side *s, const struct series *ns)
{
    double med, p99;

    if (s->state != SIDE_NONE)
        return; /* skipped or failed: that stays the answer */
    if (!percentiles(ns, &med, &p99))
        return;
    s->state = SIDE_OK;
    s->median = med / 1e3;
    s->p99 = p99 / 1e3;
    s->samples = ns->n;
}

void side_rate(struct side *s, const struct series *ns, double work,
               double scale)
{
    double med, p99;

    if (s->state != SIDE_NONE)
        return;
    if (!percentiles(ns, &med, &p99) || med <= 0 || p99 <= 0)
        return;
    s->state = SIDE_OK;
    s->median = work / (med / 1e9) / scale;
    /* The slowest 1% of batches: a rate, so the low tail. */
    s->p99 = work / (p99 / 1e9) / scale;
    s->samples = ns->n;
}

struct row *row_new(struct bctx *b, const char *id, const char *unit,
                    bool higher_better, const char *base_kind, const char *fmt,
                    ...)
{
    static struct row spare; /* only if MAX_ROWS were too small */
    struct row *r = b->nrows < MAX_ROWS ? &b->rows[b->nrows++] : &spare;
    va_list ap;

    memset(r, 0, sizeof(*r));
    r->id = id;
    r->unit = unit;
    r->higher_better = higher_better;
    r->base_kind = base_kind;
    va_start(ap, fmt);
    vsnprintf(r->label, sizeof(r->label), fmt, ap);
    va_end(ap);
    return r;
}

struct target *target_new(struct bctx *b, const char *id, const char *fmt, ...)
{
    static struct target spare;
    struct target *t =
        b->ntargets < MAX_TARGETS ? &b->targets[b->ntargets++] : &spare;
    va_list ap;

    memset(t, 0, sizeof(*t));
    t->id = id;
    va_start(ap, fmt);
    vsnprintf(t->label, sizeof(t->label), fmt, ap);
    va_end(ap);
    return t;
}

/* ---- Connections --------------------------------------------------------- */

static void lib_log(void *arg, enum vuc_log_level level, const char *msg)
{
    fprintf((FILE *)arg, "vuc-bench: libvuc: %s\n", msg);
}

/* A client on our event base whose region data travels in messages. */
static struct vuc_client *lib_new(struct bctx *b)
{
    struct vuc_options *opts = vuc_options_new();
    struct vuc_client *c;

    if (opts == NULL)
        return NULL;
    vuc_options_set_auto_mmap(opts, false);
    vuc_options_set_log(opts, lib_log, b->log, VUC_LOG_WARNING);
    c = vuc_client_new(b->base, opts);
    vuc_options_free(opts);
    return c;
}

int lib_open(struct bctx *b, struct vuc_client **cp, char *why)
{
    struct vuc_client *c;
    int rc;

    *cp = NULL;
    if (b->mode != MODE_PATH) {
        if (!vuc_is_connected(b->client)) {
            snprintf(why, WHY_LEN, "the client is no longer connected (%s)",
                     vuc_strerror(b->client));
            return -ENOTCONN;
        }
        *cp = b->client;
        return 0;
    }
    c = lib_new(b);
    if (c == NULL) {
        rc = -errno;
        snprintf(why, WHY_LEN, "cannot create a libvuc client: %s",
                 strerror(errno));
        return rc;
    }
    rc = vuc_connect_path(c, b->path);
    if (rc < 0) {
        snprintf(why, WHY_LEN, "connect '%s': %s", b->path, vuc_strerror(c));
        vuc_client_free(c);
        return rc;
    }
    *cp = c;
    return 0;
}

void lib_close(struct bctx *b, struct vuc_client *c)
{
    /* Writes a measurement posted and nothing confirmed since are
     * confirmed before the client goes (or goes back to its owner). */
    if (vuc_is_connected(c))
        vuc_fence(c);
    if (b->mode == MODE_PATH)
        vuc_client_free(c);
}

int wire_open(struct bctx *b, struct bw *w, char *why)
{
    /* A generous bound: only a server that stopped answering reaches it. */
    int rc = bw_connect(w, b->path, 10000);

    if (rc < 0)
        snprintf(why, WHY_LEN, "connect: %.180s", w->err);
    return rc;
}

/* ---- What the server offers ---------------------------------------------- */

/* A register that ignores writes is one with behaviour: where vuc-testdev
 * has no such register, the offset is plain memory and reads back what was
 * written (which is then put back). */
static bool reg_is_readonly(struct vuc_client *c, uint32_t off)
{
    uint32_t before, probe, after;

    if (vuc_region_read(c, 0, off, &before, 4) < 0)
        return false;
    probe = ~before;
    if (vuc_region_write(c, 0, off, &probe, 4) < 0 ||
        vuc_region_read(c, 0, off, &after, 4) < 0)
        return false;
    if (after == probe) {
        vuc_region_write(c, 0, off, &before, 4);
        return false;
    }
    return true;
}

static void probe_testdev(struct server_info *s, struct vuc_client *c)
{
    const uint32_t rw =
        VFIO_USER_REGION_INFO_FLAG_READ | VFIO_USER_REGION_INFO_FLAG_WRITE;
    uint32_t v;

    if (s->nregions < 1 || s->regions[0].size < TESTDEV_BAR0_SIZE ||
        (s->regions[0].flags & rw) != rw)
        return;
    if (vuc_region_read(c, 0, TESTDEV_REG_MAGIC, &v, 4) < 0 ||
        v != TESTDEV_MAGIC)
        return;
    s->testdev = true;
    if (vuc_region_read(c, 0, TESTDEV_REG_VERSION, &v, 4) == 0)
        s->testdev_version = v;
    s->dma_engine = reg_is_readonly(c, TESTDEV_REG_DMA_STATUS);
    s->irq_hooks = reg_is_readonly(c, TESTDEV_REG_IRQ_DELIVERED);
}

static void resolve_targets(struct bctx *b);

/* Whether a write there goes out posted under the client's policy: write
 * back what is there and see if libvuc counted a posted write; the fence
 * then makes sure it landed. */
static bool lib_posts(struct vuc_client *c, uint32_t region, uint64_t offset,
                      size_t len)
{
    struct vuc_posting_stats s0, s1;
    uint32_t v;

    if (vuc_region_read(c, region, offset, &v, len) < 0)
        return false;
    vuc_get_posting_stats(c, &s0);
    if (vuc_region_write(c, region, offset, &v, len) < 0)
        return false;
    vuc_get_posting_stats(c, &s1);
    vuc_fence(c);
    return s1.posted != s0.posted;
}

static int probe(struct bctx *b)
{
    struct server_info *s = &b->srv;
    struct vuc_client *c;
    char why[WHY_LEN];
    int rc = lib_open(b, &c, why);

    if (rc < 0) {
        fprintf(b->log, "vuc-bench: %s\n", why);
        return rc;
    }
    s->caps = *vuc_get_caps(c);
    s->json = strdup(vuc_server_json(c));
    s->dev = *vuc_get_device_info(c);
    s->nregions = s->dev.num_regions < VUC_MAX_REGIONS ? s->dev.num_regions
                                                       : VUC_MAX_REGIONS;
    for (uint32_t i = 0; i < s->nregions; i++) {
        const struct vuc_region_info *ri = vuc_get_region_info(c, i);
        s->regions[i].size = ri ? ri->size : 0;
        s->regions[i].flags = ri ? ri->flags : 0;
    }
    s->nirqs = s->dev.num_irqs < VUC_MAX_IRQ_INDEXES ? s->dev.num_irqs
                                                     : VUC_MAX_IRQ_INDEXES;
    for (uint32_t i = 0; i < s->nirqs; i++) {
        const struct vuc_irq_info *ii = vuc_get_irq_info(c, i);
        if (ii != NULL)
            s->irqs[i] = *ii;
    }
    probe_testdev(s, c);
    s->cfg_readable = s->nregions > VFIO_USER_PCI_CONFIG_REGION_INDEX &&
                      s->regions[VFIO_USER_PCI_CONFIG_REGION_INDEX].size >= 2 &&
                      (s->regions[VFIO_USER_PCI_CONFIG_REGION_INDEX].flags &
                       VFIO_USER_REGION_INFO_FLAG_READ);
    resolve_targets(b);
    if (b->o.write_region != VUC_BENCH_REGION_AUTO) {
        enum vuc_posting prev = vuc_get_posting(c);

        s->write_posted = lib_posts(c, b->o.write_region, b->o.write_offset, 4);
        if (vuc_set_posting(c, VUC_POSTING_POSTED) == 0)
            s->write_postable =
                lib_posts(c, b->o.write_region, b->o.write_offset, 4);
        vuc_set_posting(c, prev);
    }
    if (b->o.bulk_region != VUC_BENCH_REGION_AUTO)
        s->bulk_posted = lib_posts(c, b->o.bulk_region, b->o.bulk_offset, 1);
    if (s->testdev)
        s->bar0_posted = lib_posts(c, 0, TESTDEV_REG_SCRATCH0, 4);
    lib_close(b, c);
    if (s->json == NULL) {
        fprintf(b->log, "vuc-bench: out of memory\n");
        return -ENOMEM;
    }
    return 0;
}

/* Check a region named in the options: it exists, allows the access, and
 * holds [offset, offset + len). */
static bool region_ok(struct bctx *b, uint32_t region, uint64_t offset,
                      uint64_t len, uint32_t need, char *note)
{
    const struct server_info *s = &b->srv;

    if (region >= s->nregions || s->regions[region].size == 0) {
        snprintf(note, WHY_LEN, "region %u does not exist", region);
        return false;
    }
    if ((s->regions[region].flags & need) != need) {
        snprintf(note, WHY_LEN, "%s is not %s", vuc_region_name(region),
                 need & VFIO_USER_REGION_INFO_FLAG_WRITE
                     ? "readable and writeable"
                     : "readable");
        return false;
    }
    if (offset > s->regions[region].size ||
        len > s->regions[region].size - offset) {
        snprintf(note, WHY_LEN, "%s+0x%llx: beyond the region (size 0x%llx)",
                 vuc_region_name(region), (unsigned long long)offset,
                 (unsigned long long)s->regions[region].size);
        return false;
    }
    return true;
}

static void resolve_targets(struct bctx *b)
{
    const uint32_t r = VFIO_USER_REGION_INFO_FLAG_READ;
    const uint32_t rw = r | VFIO_USER_REGION_INFO_FLAG_WRITE;
    struct vuc_bench_opts *o = &b->o;

    if (o->read_region == VUC_BENCH_REGION_AUTO) {
        o->read_region = VFIO_USER_PCI_CONFIG_REGION_INDEX;
        o->read_offset = 0;
    }
    if (!region_ok(b, o->read_region, o->read_offset, 4, r, b->read_note))
        o->read_region = VUC_BENCH_REGION_AUTO;

    if (o->write_region == VUC_BENCH_REGION_AUTO) {
        if (b->srv.testdev) {
            o->write_region = VFIO_USER_PCI_BAR0_REGION_INDEX;
            o->write_offset = TESTDEV_REG_SCRATCH0;
        } else {
            snprintf(b->write_note, WHY_LEN,
                     "not vuc-testdev: no register is known to be safe to "
                     "write; name one with --write-region/--write-offset");
        }
    }
    if (o->write_region != VUC_BENCH_REGION_AUTO &&
        !region_ok(b, o->write_region, o->write_offset, 4,
                   VFIO_USER_REGION_INFO_FLAG_WRITE, b->write_note))
        o->write_region = VUC_BENCH_REGION_AUTO;

    if (o->bulk_region == VUC_BENCH_REGION_AUTO) {
        if (b->srv.testdev) {
            o->bulk_region = VFIO_USER_PCI_BAR1_REGION_INDEX;
            o->bulk_offset = 0;
        } else {
            snprintf(b->bulk_note, WHY_LEN,
                     "not vuc-testdev: name a memory region with "
                     "--bulk-region/--bulk-offset");
        }
    }
    if (o->bulk_region != VUC_BENCH_REGION_AUTO &&
        !region_ok(b, o->bulk_region, o->bulk_offset, 1, rw, b->bulk_note))
        o->bulk_region = VUC_BENCH_REGION_AUTO;
}

/* ---- The run ------------------------------------------------------------- */

static const struct {
    unsigned bit;
    void (*fn)(struct bctx *b);
} phase_order[] = {
    {VUC_BENCH_READ, phase_read},   {VUC_BENCH_PIPELINE, phase_pipeline},
    {VUC_BENCH_WRITE, phase_write}, {VUC_BENCH_BULK, phase_bulk},
    {VUC_BENCH_DMA, phase_dma},     {VUC_BENCH_MAP, phase_map},
    {VUC_BENCH_IRQ, phase_irq},     {VUC_BENCH_DIRTY, phase_dirty},
    {VUC_BENCH_MIG, phase_mig},     {VUC_BENCH_ALLOC, phase_alloc},
};

static int setup_target(struct bctx *b, struct vuc_client *client,
                        const char *path, int fd)
{
    int rc;

    if (path != NULL) {
        b->mode = MODE_PATH;
        b->path = path;
        b->wire = true;
    } else {
        b->mode = client != NULL ? MODE_CLIENT : MODE_FD;
        snprintf(b->wire_note, WHY_LEN,
                 "skipped: %s; the blocking baseline needs a connection of "
                 "its own",
                 client != NULL ? "measuring a client the caller connected"
                                : "only a connected socket was given");
    }
    if (client != NULL) {
        b->client = client;
        b->base = vuc_client_base(client);
        if (!vuc_is_connected(client)) {
            fprintf(b->log, "vuc-bench: the client is not connected\n");
            return -ENOTCONN;
        }
        return 0;
    }
    b->base = event_base_new();
    if (b->base == NULL) {
        if (fd >= 0)
            close(fd);
        fprintf(b->log, "vuc-bench: cannot create an event base\n");
        return -ENOMEM;
    }
    if (fd < 0)
        return 0;
    b->client = lib_new(b);
    if (b->client == NULL) {
        rc = -errno;
        close(fd);
        fprintf(b->log, "vuc-bench: cannot create a client: %s\n",
                strerror(errno));
        return rc;
    }
    b->own_client = true;
    rc = vuc_connect_fd(b->client, fd);
    if (rc < 0)
        fprintf(b->log, "vuc-bench: connect on fd %d: %s\n", fd,
                vuc_strerror(b->client));
    return rc;
}

int vuc_bench_run(struct vuc_client *client, const char *path, int fd,
                  const struct vuc_bench_opts *opts, FILE *out, bool json)
{
    struct bctx *b;
    int rc;

    if ((client != NULL) + (path != NULL) + (fd >= 0) != 1 || opts == NULL ||
        out == NULL) {
        if (fd >= 0 && client == NULL)
            close(fd);
        return -EINVAL;
    }
    b = calloc(1, sizeof(*b));
    if (b == NULL) {
        if (fd >= 0)
            close(fd);
        return -ENOMEM;
    }
    b->o = *opts;
    b->log = opts->log ? opts->log : stderr;
    b->phases = opts->phases ? opts->phases & VUC_BENCH_ALL : VUC_BENCH_ALL;
    b->rounds = opts->rounds ? opts->rounds : opts->quick ? 2 : 7;
    b->iterations = opts->iterations ? opts->iterations
                    : opts->quick    ? 100
                                     : 5000;
    b->alloc_available = opts->alloc_count != NULL;

    rc = setup_target(b, client, path, fd);
    if (rc == 0)
        rc = probe(b);
    if (rc == 0) {
        for (size_t i = 0; i < sizeof(phase_order) / sizeof(phase_order[0]);
             i++) {
            if (b->phases & phase_order[i].bit)
                phase_order[i].fn(b);
        }
        rc = json ? output_json(b, out) : output_text(b, out);
        if (rc == 0 && b->failed)
            rc = -EIO;
    }

    if (b->own_client)
        vuc_client_free(b->client);
    if (b->base != NULL && b->mode != MODE_CLIENT)
        event_base_free(b->base);
    free(b->srv.json);
    free(b);
    return rc;
}
