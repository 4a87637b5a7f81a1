/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench: the benchmark module of tools/bench (bench.h), run against the
 * server vuctl is connected to. Built only when that module is.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <vuc/vuc.h>

#include "bench.h"
#include "conn.h"
#include "args.h"
#include "cmds.h"
#include "output.h"
#include "vuctl.h"

/* Bounds of --rounds and --iterations: as vuc-bench takes them. */
#define MAX_ROUNDS 1000u
#define MAX_ITERATIONS 10000000u

static int bench_options(struct vuctl *v, int argc, char **argv,
                         struct vuc_bench_opts *o, bool *connected)
{
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        char err[256];
        uint64_t n;
        int rc;

        if (!strcmp(opt, "--connected")) {
            *connected = true;
            continue;
        }
        if (!strcmp(opt, "--quick")) {
            o->quick = true;
            continue;
        }
        if (strcmp(opt, "--rounds") && strcmp(opt, "--iterations") &&
            strcmp(opt, "--only"))
            return vuctl_fail(v, VUCTL_USAGE, EINVAL,
                              "unknown option '%s' (expected --connected, "
                              "--quick, --rounds, --iterations or --only)",
                              opt);
        if (++i >= argc)
            return vuctl_fail(v, VUCTL_USAGE, EINVAL, "%s needs a value", opt);
        if (!strcmp(opt, "--only")) {
            if (vuc_bench_parse_phases(argv[i], &o->phases, err, sizeof(err)))
                return vuctl_fail(v, VUCTL_USAGE, EINVAL, "--only: %s", err);
            continue;
        }
        rc = vuctl_arg_u64(
            v, argv[i], strcmp(opt, "--rounds") ? MAX_ITERATIONS : MAX_ROUNDS,
            &n);
        if (rc)
            return rc;
        if (n == 0)
            return vuctl_fail(v, VUCTL_USAGE, EINVAL, "%s must be at least 1",
                              opt);
        if (!strcmp(opt, "--rounds"))
            o->rounds = (unsigned)n;
        else
            o->iterations = (unsigned)n;
    }
    return 0;
}

/*
 * The module prints one pretty-printed JSON document; vuctl's rule is one
 * object per command on one line, so it is read back and wrapped.
 */
static int run_json(struct vuctl *v, const char *path,
                    const struct vuc_bench_opts *o, int *result)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    json_t *doc = NULL, *obj;

    if (!mem)
        return vuctl_fail(v, VUCTL_FAIL, ENOMEM, "out of memory");
    *result = vuc_bench_run(path ? NULL : v->client, path, -1, o, mem, true);
    if (fclose(mem) == 0 && text && len)
        doc = json_loads(text, 0, NULL);
    free(text);
    if (!doc)
        return *result < 0 ? 0
                           : vuctl_fail(v, VUCTL_FAIL, EIO,
                                        "the benchmark's JSON did not parse");
    obj = json_pack("{s:s,s:o}", "cmd", "bench", "result", doc);
    if (obj && json_dumpf(obj, stdout, JSON_COMPACT) == 0)
        fputc('\n', stdout);
    json_decref(obj);
    return 0;
}

static int cmd_bench(struct vuctl *v, int argc, char **argv)
{
    struct vuc_bench_opts o;
    bool connected = false, noshare = v->noshare, twin = v->twin;
    char *label = NULL, *path = NULL;
    int rc, result = 0;

    vuc_bench_opts_init(&o);
    o.log = stderr;
    if ((rc = bench_options(v, argc, argv, &o, &connected)) ||
        (rc = vuctl_need_client(v, true)))
        return rc;

    /* With a socket path the module measures its own connections beside a
     * blocking baseline client; a server that serves one client at a time
     * would never answer them while vuctl holds its own, so that one is
     * closed for the run and made again after. */
    if (!connected && v->sock) {
        label = strdup(v->path);
        path = strdup(v->sock);
        if (!label || !path) {
            free(label);
            free(path);
            return vuctl_fail(v, VUCTL_FAIL, ENOMEM, "out of memory");
        }
        vuctl_disconnect(v);
    }
    fflush(stdout);
    if (v->json)
        rc = run_json(v, path, &o, &result);
    else
        result =
            vuc_bench_run(path ? NULL : v->client, path, -1, &o, stdout, false);
    fflush(stdout);
    if (path) {
        int status = vuctl_connect_quiet(v, label, path, noshare, twin);

        free(label);
        free(path);
        if (status != VUCTL_OK)
            return status;
    } else if (!o.phases || o.phases & VUC_BENCH_IRQ) {
        /* Its irq phase disabled MSI-X, whatever vuctl had enabled. */
        vuctl_irq_forget(v, VFIO_USER_PCI_MSIX_IRQ_INDEX);
    }
    if (rc)
        return rc;
    if (result == -EIO)
        return vuctl_fail(v, VUCTL_FAIL, EIO,
                          "some measurements failed (the output says which "
                          "and why)");
    if (result < 0)
        return vuctl_fail(v, vuctl_status_of(result), -result,
                          "the benchmark could not run: %s", strerror(-result));
    return VUCTL_OK;
}

/* The benchmark. */
static const struct vuctl_cmd bench_cmds[] = {
    {
        .name = "bench",
        .args = "[--connected] [--quick] [--rounds N] [--iterations N] "
                "[--only LIST]",
        .summary = "measure libvuc against the server",
        .help = "Run the libvuc benchmark (as vuc-bench does) against the\n"
                "server and print each figure beside a baseline measured in\n"
                "the same run: a minimal blocking client, memcpy, an eventfd\n"
                "round trip. Nothing is asserted; --quick makes it short.\n"
                "LIST names measurements, comma-separated: read, pipeline,\n"
                "write, bulk, dma, map, irq, alloc (alloc needs vuc-bench's\n"
                "allocation counter, so vuctl reports it unavailable).\n"
                "Connected by a socket path, vuctl closes its connection for\n"
                "the run, since a server may serve one client at a time, and\n"
                "connects again after: DMA maps, enabled interrupts and the\n"
                "posting policy start afresh. With --connected, or when\n"
                "connected by fd (--spawn with {fd}), it measures on vuctl's\n"
                "own connection instead, without the blocking-client\n"
                "baselines; its irq phase then leaves MSI-X disabled. In\n"
                "JSON the benchmark's document is \"result\".\n",
        .example = "bench --quick\nbench --only read,write --rounds 3\n"
                   "bench --connected --quick --only irq\n",
        .fn = cmd_bench,
        .min_args = 0,
        .max_args = 9,
        .words = "--connected --quick --rounds --iterations --only",
    },
};

const struct vuctl_cmd_table vuctl_bench_table = {
    bench_cmds, sizeof(bench_cmds) / sizeof(bench_cmds[0])};
