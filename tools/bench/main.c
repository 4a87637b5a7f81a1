/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vuc-bench: command line around the benchmark module (bench.h), with the
 * allocation counter that only an executable can provide.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <vuc/vuc.h>

#include "alloc_count.h"
#include "bench.h"

#define EXIT_USAGE 2

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: vuc-bench [options] SOCKET\n"
            "       vuc-bench [options] --fd N\n"
            "\n"
            "Measure libvuc against a vfio-user server, each figure beside a\n"
            "baseline measured in the same run (a minimal blocking client,\n"
            "memcpy, an eventfd round trip) and the ratio libvuc/baseline.\n"
            "\n"
            "  --json                 one JSON document instead of a table\n"
            "  --quick                few rounds and iterations (CI smoke "
            "runs)\n"
            "  --rounds N             rounds, each baseline then libvuc "
            "(default 7)\n"
            "  --iterations N         operations per round of a latency "
            "measurement\n"
            "                         (default 5000; others scale from it)\n"
            "  --only LIST            measurements to run, comma-separated:\n"
            "                         %s\n"
            "  --read-region R        region of the 4-byte reads (default "
            "CONFIG)\n"
            "  --read-offset OFF\n"
            "  --write-region R       region of the 4-byte writes (default "
            "vuc-testdev's\n"
            "  --write-offset OFF     BAR0 scratch register 0x10)\n"
            "  --bulk-region R        region of bulk transfers (default "
            "vuc-testdev's BAR1)\n"
            "  --bulk-offset OFF\n"
            "  --busy-poll US         also time sync reads with libvuc's busy "
            "polling\n"
            "                         of US microseconds (default 100, 0: "
            "skip); meant\n"
            "                         for client and server on different "
            "CPUs\n"
            "  --fd N                 use a connected socket instead of "
            "SOCKET\n"
            "                         (no blocking-client baselines then)\n"
            "  -h, --help             show this help\n"
            "  -V, --version          print the version and exit\n"
            "\n"
            "R is a number or a name (BAR0..BAR5, ROM, CONFIG, VGA). Nothing "
            "is written\n"
            "to a server that is not vuc-testdev unless a region is named.\n",
            vuc_bench_phase_names());
}

static void __attribute__((noreturn, format(printf, 1, 2)))
usage_error(const char *fmt, ...)
{
    va_list ap;

    fputs("vuc-bench: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nTry 'vuc-bench --help'.\n", stderr);
    exit(EXIT_USAGE);
}

static uint64_t parse_u64(const char *opt, const char *s, uint64_t max)
{
    unsigned long long v;
    char *end;

    if (*s == '\0' || *s == '-' || *s == '+')
        usage_error("--%s: '%s' is not a number", opt, s);
    errno = 0;
    v = strtoull(s, &end, 0);
    if (errno || *end != '\0')
        usage_error("--%s: '%s' is not a number", opt, s);
    if (v > max)
        usage_error("--%s: %llu is too large (at most %llu)", opt, v,
                    (unsigned long long)max);
    return v;
}

static uint32_t parse_region(const char *opt, const char *s)
{
    for (uint32_t i = 0; i < VFIO_USER_PCI_NUM_REGIONS; i++) {
        if (strcasecmp(s, vuc_region_name(i)) == 0)
            return i;
    }
    return (uint32_t)parse_u64(opt, s, VUC_MAX_REGIONS - 1);
}

enum {
    OPT_JSON = 256,
    OPT_QUICK,
    OPT_ROUNDS,
    OPT_ITERATIONS,
    OPT_ONLY,
    OPT_READ_REGION,
    OPT_READ_OFFSET,
    OPT_WRITE_REGION,
    OPT_WRITE_OFFSET,
    OPT_BULK_REGION,
    OPT_BULK_OFFSET,
    OPT_FD,
    OPT_BUSY_POLL,
};

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"json", no_argument, NULL, OPT_JSON},
        {"quick", no_argument, NULL, OPT_QUICK},
        {"rounds", required_argument, NULL, OPT_ROUNDS},
        {"iterations", required_argument, NULL, OPT_ITERATIONS},
        {"only", required_argument, NULL, OPT_ONLY},
        {"read-region", required_argument, NULL, OPT_READ_REGION},
        {"read-offset", required_argument, NULL, OPT_READ_OFFSET},
        {"write-region", required_argument, NULL, OPT_WRITE_REGION},
        {"write-offset", required_argument, NULL, OPT_WRITE_OFFSET},
        {"bulk-region", required_argument, NULL, OPT_BULK_REGION},
        {"bulk-offset", required_argument, NULL, OPT_BULK_OFFSET},
        {"fd", required_argument, NULL, OPT_FD},
        {"busy-poll", required_argument, NULL, OPT_BUSY_POLL},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    struct vuc_bench_opts o;
    bool json = false, read_off = false, write_off = false, bulk_off = false;
    const char *path = NULL;
    char err[256];
    int fd = -1, c, rc;

    vuc_bench_opts_init(&o);
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":hV", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_JSON:
            json = true;
            break;
        case OPT_QUICK:
            o.quick = true;
            break;
        case OPT_ROUNDS:
            o.rounds = (unsigned)parse_u64("rounds", optarg, 1000);
            if (o.rounds == 0)
                usage_error("--rounds: must be at least 1");
            break;
        case OPT_BUSY_POLL:
            o.busy_poll_us =
                (unsigned)parse_u64("busy-poll", optarg, VUC_BUSY_POLL_MAX_US);
            break;
        case OPT_ITERATIONS:
            o.iterations = (unsigned)parse_u64("iterations", optarg, 10000000);
            if (o.iterations == 0)
                usage_error("--iterations: must be at least 1");
            break;
        case OPT_ONLY:
            if (vuc_bench_parse_phases(optarg, &o.phases, err, sizeof(err)) < 0)
                usage_error("--only: %s", err);
            break;
        case OPT_READ_REGION:
            o.read_region = parse_region("read-region", optarg);
            break;
        case OPT_READ_OFFSET:
            o.read_offset = parse_u64("read-offset", optarg, UINT64_MAX);
            read_off = true;
            break;
        case OPT_WRITE_REGION:
            o.write_region = parse_region("write-region", optarg);
            break;
        case OPT_WRITE_OFFSET:
            o.write_offset = parse_u64("write-offset", optarg, UINT64_MAX);
            write_off = true;
            break;
        case OPT_BULK_REGION:
            o.bulk_region = parse_region("bulk-region", optarg);
            break;
        case OPT_BULK_OFFSET:
            o.bulk_offset = parse_u64("bulk-offset", optarg, UINT64_MAX);
            bulk_off = true;
            break;
        case OPT_FD:
            fd = (int)parse_u64("fd", optarg, INT_MAX);
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            /* The program is released with the library it is built from. */
            printf("vuc-bench %d.%d.%d (libvuc %s, API %d.%d.%d, "
                   "vfio-user %d.%d)\n",
                   VUC_VERSION_MAJOR, VUC_VERSION_MINOR, VUC_VERSION_PATCH,
                   vuc_version(), VUC_VERSION_MAJOR, VUC_VERSION_MINOR,
                   VUC_VERSION_PATCH, VUC_PROTO_MAJOR, VUC_PROTO_MINOR);
            return 0;
        case ':':
            usage_error("option '%s' needs a value", argv[optind - 1]);
        default:
            usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    /* An offset means something only in a region the user chose. */
    if (read_off && o.read_region == VUC_BENCH_REGION_AUTO)
        usage_error("--read-offset needs --read-region");
    if (write_off && o.write_region == VUC_BENCH_REGION_AUTO)
        usage_error("--write-offset needs --write-region");
    if (bulk_off && o.bulk_region == VUC_BENCH_REGION_AUTO)
        usage_error("--bulk-offset needs --bulk-region");
    if (optind < argc)
        path = argv[optind++];
    if (optind < argc)
        usage_error("unexpected argument '%s'", argv[optind]);
    if ((path == NULL) == (fd < 0))
        usage_error(fd < 0 ? "no SOCKET given"
                           : "SOCKET and --fd are mutually exclusive");

    if (bench_alloc_counter_available())
        o.alloc_count = bench_alloc_count;
    rc = vuc_bench_run(NULL, path, fd, &o, stdout, json);
    if (fflush(stdout) != 0 && rc == 0)
        rc = -EIO;
    if (rc == -EIO)
        fprintf(stderr, "vuc-bench: some measurements failed (see the "
                        "output)\n");
    return rc < 0 ? 1 : 0;
}
