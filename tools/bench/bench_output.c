/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Printing the results: an aligned text table, or one JSON document with
 * every figure, the machine, the date and the server's VERSION JSON.
 */
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "bench_int.h"

/* ---- The machine --------------------------------------------------------- */

struct machine {
    struct utsname un;
    char cpu[128];
    long nproc;
    char affinity[128]; /* the CPUs this process may run on, "0-1,3" */
    char date[32];
};

/* Whether client and server share a CPU changes every round trip (a
 * wake-up on another CPU can cost more than the work), so the output says
 * where the benchmark was allowed to run. */
static void affinity_get(char *out, size_t len)
{
    cpu_set_t set;
    size_t n = 0;

    snprintf(out, len, "unknown");
    if (sched_getaffinity(0, sizeof(set), &set) < 0)
        return;
    out[0] = '\0';
    for (int cpu = 0; cpu < CPU_SETSIZE && n < len; cpu++) {
        int last = cpu;

        if (!CPU_ISSET(cpu, &set))
            continue;
        while (last + 1 < CPU_SETSIZE && CPU_ISSET(last + 1, &set))
            last++;
        n += (size_t)snprintf(out + n, len - n, last > cpu ? "%s%d-%d" : "%s%d",
                              n ? "," : "", cpu, last);
        cpu = last;
    }
}

/* The CPU's name from /proc/cpuinfo: x86's "model name", or the keys
 * other architectures use. */
static void cpu_model(char *out, size_t len)
{
    static const char *const keys[] = {"model name", "Model", "cpu model",
                                       "Hardware", "cpu"};
    char line[256];
    FILE *f = fopen("/proc/cpuinfo", "re");

    snprintf(out, len, "unknown");
    if (f == NULL)
        return;
    for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
        rewind(f);
        while (fgets(line, sizeof(line), f) != NULL) {
            size_t n = strlen(keys[k]);
            char *colon = strchr(line, ':');

            if (colon == NULL || strncmp(line, keys[k], n) != 0 ||
                strspn(line + n, " \t") != (size_t)(colon - line - (long)n))
                continue;
            colon++;
            colon += strspn(colon, " \t");
            colon[strcspn(colon, "\n")] = '\0';
            if (*colon != '\0') {
                snprintf(out, len, "%s", colon);
                fclose(f);
                return;
            }
        }
    }
    fclose(f);
}

static void machine_get(struct machine *m)
{
    time_t now = time(NULL);
    struct tm tm;

    if (uname(&m->un) < 0)
        memset(&m->un, 0, sizeof(m->un));
    cpu_model(m->cpu, sizeof(m->cpu));
    m->nproc = sysconf(_SC_NPROCESSORS_ONLN);
    affinity_get(m->affinity, sizeof(m->affinity));
    gmtime_r(&now, &tm);
    strftime(m->date, sizeof(m->date), "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const char *mode_name(const struct bctx *b)
{
    return b->mode == MODE_PATH ? "path" : b->mode == MODE_FD ? "fd" : "client";
}

static bool have_ratio(const struct row *r)
{
    return r->lib.state == SIDE_OK && r->base.state == SIDE_OK &&
           r->base.median > 0;
}

static bool target_met(const struct target *t)
{
    return t->at_least ? t->value >= t->goal : t->value <= t->goal;
}

/* ---- Text ---------------------------------------------------------------- */

static const char *num(double v, char *buf, size_t len)
{
    double a = fabs(v);

    if (a >= 1e5)
        snprintf(buf, len, "%.0f", v);
    else if (a > 0 && a < 0.001)
        snprintf(buf, len, "%.1e", v); /* a rare allocation stays visible */
    else if (a >= 100)
        snprintf(buf, len, "%.1f", v);
    else if (a >= 1)
        snprintf(buf, len, "%.2f", v);
    else
        snprintf(buf, len, "%.3f", v);
    return buf;
}

static void text_side(FILE *out, const struct side *s)
{
    char m[32], p[32];

    if (s->state == SIDE_OK)
        fprintf(out, " %10s %10s", num(s->median, m, sizeof(m)),
                num(s->p99, p, sizeof(p)));
    else
        fprintf(out, " %10s %10s", "-", "-");
}

static void text_row(const struct bctx *b, FILE *out, const struct row *r,
                     int lw)
{
    char ratio[32] = "";

    if (r->lib.state == SIDE_SKIPPED &&
        (r->base_kind == NULL || r->base.state == SIDE_SKIPPED) &&
        (r->base_kind == NULL || strcmp(r->lib.note, r->base.note) == 0)) {
        fprintf(out, "%-*s  %-9s %s\n", lw, r->label, r->unit, r->lib.note);
        return;
    }
    if (have_ratio(r))
        snprintf(ratio, sizeof(ratio), "%.2f", r->lib.median / r->base.median);
    fprintf(out, "%-*s  %-9s", lw, r->label, r->unit);
    text_side(out, &r->lib);
    if (r->base_kind != NULL)
        text_side(out, &r->base);
    else
        fprintf(out, " %10s %10s", "", "");
    fprintf(out, " %7s  %s\n", ratio, r->base_kind ? r->base_kind : "");
    if (r->lib.note[0] != '\0')
        fprintf(out, "%*s  %s%s\n", lw > 4 ? 4 : lw, "",
                r->lib.state == SIDE_OK ? "" : "libvuc: ", r->lib.note);
    /* A baseline skipped for the run's reason is said once, above. */
    if (r->base_kind != NULL && r->base.note[0] != '\0' &&
        strcmp(r->base.note, b->wire_note) != 0)
        fprintf(out, "%*s  baseline: %s\n", lw > 4 ? 4 : lw, "", r->base.note);
}

int output_text(const struct bctx *b, FILE *out)
{
    const struct server_info *s = &b->srv;
    struct machine m;
    int lw = 20;

    machine_get(&m);
    for (unsigned i = 0; i < b->nrows; i++) {
        int n = (int)strlen(b->rows[i].label);
        if (n > lw)
            lw = n;
    }

    fprintf(out, "vuc-bench: libvuc %s", vuc_version());
    if (b->mode == MODE_PATH)
        fprintf(out, " against %s\n", b->path);
    else
        fprintf(out, " on a %s\n",
                b->mode == MODE_FD ? "connected socket" : "connected client");
    fprintf(out, "machine : %s %s %s; %s; %ld CPUs; vuc-bench on CPU %s\n",
            m.un.sysname, m.un.release, m.un.machine, m.cpu, m.nproc,
            m.affinity);
    fprintf(out, "date    : %s\n", m.date);
    fprintf(out, "server  : vfio-user %u.%u", s->caps.major, s->caps.minor);
    if (s->testdev)
        fprintf(out, "; vuc-testdev %u.%u%s%s", s->testdev_version >> 16,
                s->testdev_version & 0xffff,
                s->dma_engine ? ", DMA engine" : ", no DMA engine",
                s->irq_hooks ? ", interrupt hooks" : ", no interrupt hooks");
    fprintf(out, "\n          VERSION JSON: %s\n",
            s->json[0] ? s->json : "(none)");
    fprintf(out,
            "posting : libvuc's policy posts writes to the write region: %s, "
            "bulk region: %s%s\n",
            s->write_posted ? "yes" : "no", s->bulk_posted ? "yes" : "no",
            s->testdev ? (s->bar0_posted ? ", BAR0: yes" : ", BAR0: no") : "");
    fprintf(out,
            "method  : %u rounds x %u iterations; %s\n"
            "          latency: per-operation samples; rate: per-batch "
            "samples, p99 = rate of the slowest 1%%\n"
            "          MB = 10^6 bytes; ratio = libvuc median / baseline "
            "median (latency: below 1\n"
            "          is better; rate: above 1 is better)\n"
            "          baselines: wire = minimal blocking client sending the "
            "same messages;\n"
            "          memcpy = the same copy in memory; eventfd = eventfd "
            "round trip via a thread\n",
            b->rounds, b->iterations,
            b->wire ? "each round measures the baseline, then libvuc, "
                      "each on a fresh connection"
                    : "libvuc only on the wire");
    if (!b->wire)
        fprintf(out, "          wire baselines %s\n", b->wire_note);
    fputc('\n', out);

    fprintf(out, "%-*s  %-9s %21s %21s %7s\n", lw, "measurement", "unit",
            "libvuc          ", "baseline          ", "ratio");
    fprintf(out, "%-*s  %-9s %10s %10s %10s %10s\n", lw, "", "", "median",
            "p99", "median", "p99");
    for (unsigned i = 0; i < b->nrows; i++)
        text_row(b, out, &b->rows[i], lw);

    if (b->ntargets > 0) {
        int tw = 20;

        for (unsigned i = 0; i < b->ntargets; i++) {
            int n = (int)strlen(b->targets[i].label);
            if (n > tw)
                tw = n;
        }
        fprintf(out, "\ntargets (informative; nothing is asserted)\n");
        for (unsigned i = 0; i < b->ntargets; i++) {
            const struct target *t = &b->targets[i];
            char v[32], g[32];

            num(t->goal, g, sizeof(g));
            if (t->valid)
                fprintf(out, "  %-*s %10s   goal %s %-6s %-6s", tw, t->label,
                        num(t->value, v, sizeof(v)),
                        t->at_least ? ">=" : "<=", g,
                        target_met(t) ? "met" : "missed");
            else
                fprintf(out, "  %-*s %10s   goal %s %-6s %-6s", tw, t->label,
                        "-", t->at_least ? ">=" : "<=", g, "");
            fprintf(out, " %s\n", t->note);
        }
    }
    if (b->alloc_checked)
        fprintf(out, "\nallocation counter: %s\n",
                b->alloc_counts ? "counts (a deliberate malloc was seen)"
                                : "BROKEN (a deliberate malloc was not seen)");
    return ferror(out) ? -EIO : 0;
}

/* ---- JSON ---------------------------------------------------------------- */

static json_t *jnum(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static const char *state_name(enum side_state st)
{
    switch (st) {
    case SIDE_OK:
        return "ok";
    case SIDE_SKIPPED:
        return "skipped";
    case SIDE_FAILED:
        return "failed";
    case SIDE_NONE:
        break;
    }
    return "none";
}

static json_t *json_side(const struct side *s, const char *kind)
{
    json_t *o = json_object();

    if (kind != NULL)
        json_object_set_new(o, "kind", json_string(kind));
    json_object_set_new(o, "state", json_string(state_name(s->state)));
    if (s->state == SIDE_OK) {
        json_object_set_new(o, "median", jnum(s->median));
        json_object_set_new(o, "p99", jnum(s->p99));
        json_object_set_new(o, "samples", json_integer((json_int_t)s->samples));
    }
    if (s->note[0] != '\0')
        json_object_set_new(o, "note", json_string(s->note));
    return o;
}

static json_t *json_caps(const struct vuc_caps *c)
{
    return json_pack(
        "{s:i, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:b, s:b}", "major", c->major,
        "minor", c->minor, "server_max_msg_fds",
        (json_int_t)c->server_max_msg_fds, "server_max_data_xfer_size",
        (json_int_t)c->server_max_data_xfer_size, "client_max_msg_fds",
        (json_int_t)c->client_max_msg_fds, "client_max_data_xfer_size",
        (json_int_t)c->client_max_data_xfer_size, "max_dma_maps",
        (json_int_t)c->max_dma_maps, "pgsizes", (json_int_t)c->pgsizes,
        "write_multiple", c->write_multiple, "twin_socket", c->twin_socket);
}

int output_json(const struct bctx *b, FILE *out)
{
    const struct server_info *s = &b->srv;
    json_t *root, *results, *targets, *server, *vj;
    struct machine m;
    int rc;

    machine_get(&m);
    root = json_object();
    json_object_set_new(root, "tool", json_string("vuc-bench"));
    json_object_set_new(root, "libvuc_version", json_string(vuc_version()));
    json_object_set_new(root, "date", json_string(m.date));
    json_object_set_new(
        root, "machine",
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:s}", "sysname",
                  m.un.sysname, "release", m.un.release, "version",
                  m.un.version, "machine", m.un.machine, "cpu_model", m.cpu,
                  "nproc", (json_int_t)m.nproc, "affinity", m.affinity));

    server = json_object();
    json_object_set_new(server, "mode", json_string(mode_name(b)));
    if (b->path != NULL)
        json_object_set_new(server, "path", json_string(b->path));
    /* The server's own words: parsed when they parse, else as text. */
    vj = s->json[0] ? json_loads(s->json, 0, NULL) : json_null();
    json_object_set_new(server, "version_json", vj ? vj : json_string(s->json));
    json_object_set_new(server, "caps", json_caps(&s->caps));
    json_object_set_new(server, "testdev", json_boolean(s->testdev));
    if (s->testdev) {
        json_object_set_new(server, "testdev_version",
                            json_integer(s->testdev_version));
        json_object_set_new(server, "dma_engine", json_boolean(s->dma_engine));
        json_object_set_new(server, "irq_hooks", json_boolean(s->irq_hooks));
    }
    json_object_set_new(server, "libvuc_posts",
                        json_pack("{s:b, s:b, s:b, s:b}", "write_region",
                                  s->write_posted, "write_region_posted_policy",
                                  s->write_postable, "bulk_region",
                                  s->bulk_posted, "bar0", s->bar0_posted));
    json_object_set_new(root, "server", server);

    json_object_set_new(
        root, "method",
        json_pack("{s:i, s:i, s:b, s:b, s:s, s:s, s:s}", "rounds", b->rounds,
                  "iterations", b->iterations, "quick", b->o.quick,
                  "wire_baselines", b->wire, "wire_baseline_note",
                  b->wire ? "" : b->wire_note, "latency",
                  "per-operation samples; median and p99 over all rounds",
                  "rate",
                  "per-batch samples; p99 is the rate of the slowest 1% of "
                  "batches"));

    results = json_array();
    for (unsigned i = 0; i < b->nrows; i++) {
        const struct row *r = &b->rows[i];
        json_t *o = json_object();

        json_object_set_new(o, "id", json_string(r->id));
        json_object_set_new(o, "label", json_string(r->label));
        json_object_set_new(o, "unit", json_string(r->unit));
        json_object_set_new(o, "better",
                            json_string(r->higher_better ? "higher" : "lower"));
        json_object_set_new(o, "libvuc", json_side(&r->lib, NULL));
        json_object_set_new(o, "baseline",
                            r->base_kind ? json_side(&r->base, r->base_kind)
                                         : json_null());
        json_object_set_new(o, "ratio",
                            have_ratio(r) ? jnum(r->lib.median / r->base.median)
                                          : json_null());
        json_array_append_new(results, o);
    }
    json_object_set_new(root, "results", results);

    targets = json_array();
    for (unsigned i = 0; i < b->ntargets; i++) {
        const struct target *t = &b->targets[i];
        json_t *o = json_object();

        json_object_set_new(o, "id", json_string(t->id));
        json_object_set_new(o, "label", json_string(t->label));
        json_object_set_new(o, "value",
                            t->valid ? jnum(t->value) : json_null());
        json_object_set_new(o, "goal", jnum(t->goal));
        json_object_set_new(o, "comparison",
                            json_string(t->at_least ? ">=" : "<="));
        json_object_set_new(
            o, "met", t->valid ? json_boolean(target_met(t)) : json_null());
        if (t->note[0] != '\0')
            json_object_set_new(o, "note", json_string(t->note));
        json_array_append_new(targets, o);
    }
    json_object_set_new(root, "targets", targets);

    json_object_set_new(
        root, "alloc_counter",
        json_pack("{s:b, s:b, s:o}", "available", b->alloc_available, "checked",
                  b->alloc_checked, "counts",
                  b->alloc_checked ? json_boolean(b->alloc_counts)
                                   : json_null()));

    rc = json_dumpf(root, out, JSON_INDENT(2)) < 0 ? -EIO : 0;
    fputc('\n', out);
    json_decref(root);
    return rc == 0 && ferror(out) ? -EIO : rc;
}
