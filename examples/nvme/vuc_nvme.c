/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vuc-nvme: a userspace NVMe driver for controllers served over
 * vfio-user, on libvuc.
 *
 *   vuc-nvme [OPTIONS] SOCKET identify [--json]
 *   vuc-nvme [OPTIONS] SOCKET read LBA COUNT [-o FILE]
 *   vuc-nvme [OPTIONS] SOCKET write LBA FILE
 *   vuc-nvme [OPTIONS] SOCKET verify
 *   vuc-nvme [OPTIONS] SOCKET perf --qd N --bs SIZE --rw read|write|randread
 *                                  --seconds S [--json]
 *
 * Options: --queues N (I/O queue pairs, 1), --qdepth N (entries per queue,
 * 64), --poll (no interrupts), --intx (INTx, not MSI-X), --noshare (DMA
 * by messages only),
 * --timeout MS (per command, 5000), -v (libvuc's warnings).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <event2/event.h>

#include "vuc_nvme.h"

static const char *prog = "vuc-nvme";

static void usage(FILE *f)
{
    fprintf(f,
            "usage: %s [OPTIONS] SOCKET identify [--json]\n"
            "       %s [OPTIONS] SOCKET read LBA COUNT [-o FILE]\n"
            "       %s [OPTIONS] SOCKET write LBA FILE\n"
            "       %s [OPTIONS] SOCKET verify\n"
            "       %s [OPTIONS] SOCKET perf --qd N --bs SIZE "
            "--rw read|write|randread --seconds S [--json]\n"
            "options: --queues N  --qdepth N  --poll  --intx  --noshare  "
            "--timeout MS  -v\n",
            prog, prog, prog, prog, prog);
}

/* A number with an optional k/m/g (binary) suffix. */
static int parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno != 0 || end == s || *s == '-') {
        return -1;
    }
    unsigned shift = 0;
    if (*end == 'k' || *end == 'K') {
        shift = 10;
    } else if (*end == 'm' || *end == 'M') {
        shift = 20;
    } else if (*end == 'g' || *end == 'G') {
        shift = 30;
    }
    if (shift != 0) {
        end++;
    }
    if (*end != '\0' || (shift != 0 && v > (UINT64_MAX >> shift))) {
        return -1;
    }
    *out = (uint64_t)v << shift;
    return 0;
}

static int parse_uint(const char *s, unsigned min, unsigned max, unsigned *out,
                      const char *what)
{
    uint64_t v;
    if (parse_size(s, &v) < 0 || v < min || v > max) {
        fprintf(stderr, "%s: %s: '%s' is not a number from %u to %u\n", prog,
                what, s, min, max);
        return -1;
    }
    *out = (unsigned)v;
    return 0;
}

/* Check LBA and COUNT against the namespace before touching anything. */
static int lba_range(struct nvme_drv *d, const char *lba_s, uint64_t count,
                     uint64_t *lba)
{
    const struct nvme_drv_info *in = nvme_drv_info(d);
    if (parse_size(lba_s, lba) < 0) {
        fprintf(stderr, "%s: LBA '%s' is not a number\n", prog, lba_s);
        return 2;
    }
    if (count == 0 || count > UINT64_MAX / in->lba_size) {
        fprintf(stderr, "%s: COUNT must be at least 1\n", prog);
        return 2;
    }
    return 0;
}

/* Move COUNT blocks from LBA in commands of at most max_xfer bytes. */
static int transfer(struct nvme_drv *d, bool write, uint64_t lba,
                    uint64_t count, FILE *f, const char *name)
{
    const struct nvme_drv_info *in = nvme_drv_info(d);
    uint32_t per = in->max_xfer / in->lba_size;
    struct nvme_buf b;
    int status = 1;

    if (nvme_buf_alloc(d, in->max_xfer, &b) < 0) {
        fprintf(stderr, "%s: %s\n", prog, nvme_drv_error(d));
        return 1;
    }
    for (uint64_t done = 0; done < count;) {
        uint32_t n = count - done < per ? (uint32_t)(count - done) : per;
        size_t len = (size_t)n * in->lba_size;
        uint16_t st;
        if (write) {
            memset(b.va, 0, len);
            size_t got = fread(b.va, 1, len, f);
            if (ferror(f)) {
                fprintf(stderr, "%s: reading %s: %s\n", prog, name,
                        strerror(errno));
                goto out;
            }
            (void)got; /* the last block is padded with zeroes */
        }
        int rc = nvme_io_sync(d, 0, write ? NVME_CMD_WRITE : NVME_CMD_READ,
                              lba + done, n, b.iova, len, &st);
        if (rc < 0) {
            fprintf(stderr, "%s: %s\n", prog, nvme_drv_error(d));
            goto out;
        }
        if (!write && fwrite(b.va, 1, len, f) != len) {
            fprintf(stderr, "%s: writing %s: %s\n", prog, name,
                    strerror(errno));
            goto out;
        }
        done += n;
    }
    status = 0;
out:
    nvme_buf_free(d, &b);
    return status;
}

static int cmd_read(struct nvme_drv *d, const char *lba_s, const char *count_s,
                    const char *out)
{
    uint64_t lba, count;
    if (parse_size(count_s, &count) < 0) {
        fprintf(stderr, "%s: COUNT '%s' is not a number\n", prog, count_s);
        return 2;
    }
    int rc = lba_range(d, lba_s, count, &lba);
    if (rc != 0) {
        return rc;
    }
    FILE *f = out != NULL ? fopen(out, "wb") : stdout;
    if (f == NULL) {
        fprintf(stderr, "%s: %s: %s\n", prog, out, strerror(errno));
        return 1;
    }
    rc = transfer(d, false, lba, count, f, out != NULL ? out : "stdout");
    if (out != NULL && fclose(f) != 0 && rc == 0) {
        fprintf(stderr, "%s: %s: %s\n", prog, out, strerror(errno));
        rc = 1;
    }
    return rc;
}

static int cmd_write(struct nvme_drv *d, const char *lba_s, const char *path)
{
    const struct nvme_drv_info *in = nvme_drv_info(d);
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (f == NULL || fstat(fileno(f), &st) < 0) {
        fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
        if (f != NULL) {
            fclose(f);
        }
        return 1;
    }
    uint64_t count = ((uint64_t)st.st_size + in->lba_size - 1) / in->lba_size;
    uint64_t lba;
    int rc = count == 0 ? (fprintf(stderr, "%s: %s is empty\n", prog, path), 2)
                        : lba_range(d, lba_s, count, &lba);
    if (rc == 0) {
        rc = transfer(d, true, lba, count, f, path);
    }
    fclose(f);
    if (rc == 0) {
        printf("wrote %" PRIu64 " blocks at LBA %" PRIu64 "\n", count, lba);
    }
    return rc;
}

enum {
    OPT_QUEUES = 256,
    OPT_QDEPTH,
    OPT_POLL,
    OPT_INTX,
    OPT_NOSHARE,
    OPT_TIMEOUT,
    OPT_JSON,
    OPT_QD,
    OPT_BS,
    OPT_RW,
    OPT_SECONDS,
};

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"queues", required_argument, NULL, OPT_QUEUES},
        {"qdepth", required_argument, NULL, OPT_QDEPTH},
        {"poll", no_argument, NULL, OPT_POLL},
        {"intx", no_argument, NULL, OPT_INTX},
        {"noshare", no_argument, NULL, OPT_NOSHARE},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"json", no_argument, NULL, OPT_JSON},
        {"qd", required_argument, NULL, OPT_QD},
        {"bs", required_argument, NULL, OPT_BS},
        {"rw", required_argument, NULL, OPT_RW},
        {"seconds", required_argument, NULL, OPT_SECONDS},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct nvme_drv_opts dopts = {.nr_queues = 1, .qdepth = 64};
    struct perf_opts popts = {
        .qd = 1, .bs = 4096, .rw = PERF_RANDREAD, .seconds = 1.0};
    const char *out = NULL;
    bool json = false;
    int ch;

    while ((ch = getopt_long(argc, argv, "o:vh", longopts, NULL)) != -1) {
        uint64_t v;
        int bad = 0;
        switch (ch) {
        case OPT_QUEUES:
            bad = parse_uint(optarg, 1, 64, &dopts.nr_queues, "--queues");
            break;
        case OPT_QDEPTH:
            bad = parse_uint(optarg, 2, 1024, &dopts.qdepth, "--qdepth");
            break;
        case OPT_POLL:
            dopts.poll = true;
            break;
        case OPT_INTX:
            dopts.intx = true;
            break;
        case OPT_NOSHARE:
            dopts.noshare = true;
            break;
        case OPT_TIMEOUT:
            bad =
                parse_uint(optarg, 1, 3600000, &dopts.timeout_ms, "--timeout");
            break;
        case OPT_JSON:
            json = popts.json = true;
            break;
        case OPT_QD:
            bad = parse_uint(optarg, 1, 65536, &popts.qd, "--qd");
            break;
        case OPT_BS:
            if (parse_size(optarg, &v) < 0 || v == 0 || v > UINT32_MAX) {
                fprintf(stderr, "%s: --bs: '%s' is not a size\n", prog, optarg);
                bad = -1;
            }
            popts.bs = (uint32_t)v;
            break;
        case OPT_RW:
            if (strcmp(optarg, "read") == 0) {
                popts.rw = PERF_READ;
            } else if (strcmp(optarg, "write") == 0) {
                popts.rw = PERF_WRITE;
            } else if (strcmp(optarg, "randread") == 0) {
                popts.rw = PERF_RANDREAD;
            } else {
                fprintf(stderr,
                        "%s: --rw: '%s' is not read, write or "
                        "randread\n",
                        prog, optarg);
                bad = -1;
            }
            break;
        case OPT_SECONDS: {
            char *end;
            popts.seconds = strtod(optarg, &end);
            if (end == optarg || *end != '\0' || !(popts.seconds > 0) ||
                popts.seconds > 86400) {
                fprintf(stderr, "%s: --seconds: '%s' is not a duration\n", prog,
                        optarg);
                bad = -1;
            }
            break;
        }
        case 'o':
            out = optarg;
            break;
        case 'v':
            dopts.verbose = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
        if (bad) {
            return 2;
        }
    }
    int nargs = argc - optind;
    char **a = argv + optind;
    if (nargs < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = a[1];
    bool ok = (strcmp(cmd, "identify") == 0 && nargs == 2) ||
              (strcmp(cmd, "read") == 0 && nargs == 4) ||
              (strcmp(cmd, "write") == 0 && nargs == 4) ||
              (strcmp(cmd, "verify") == 0 && nargs == 2) ||
              (strcmp(cmd, "perf") == 0 && nargs == 2);
    if (!ok) {
        usage(stderr);
        return 2;
    }

    struct event_base *base = event_base_new();
    if (base == NULL) {
        fprintf(stderr, "%s: cannot create an event base\n", prog);
        return 1;
    }
    struct nvme_drv *d;
    char err[512];
    int status = 1;
    if (nvme_drv_open(base, a[0], &dopts, &d, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s: %s\n", prog, err);
        event_base_free(base);
        return 1;
    }
    if (strcmp(cmd, "identify") == 0) {
        status = cmd_identify(d, json);
    } else if (strcmp(cmd, "read") == 0) {
        status = cmd_read(d, a[2], a[3], out);
    } else if (strcmp(cmd, "write") == 0) {
        status = cmd_write(d, a[2], a[3]);
    } else if (strcmp(cmd, "verify") == 0) {
        status = cmd_verify(d);
    } else {
        status = cmd_perf(d, &popts);
    }
    if (nvme_drv_close(d, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s: shutdown: %s\n", prog, err);
        if (status == 0) {
            status = 1;
        }
    }
    event_base_free(base);
    return status;
}
