/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vuc-vnet: a userspace virtio-net driver on libvuc, for any virtio 1.x
 * network device served over vfio-user.
 *
 *   vuc-vnet [OPTIONS] SOCKET info
 *   vuc-vnet [OPTIONS] SOCKET ping IP [--count N] [--my-ip IP]
 *                                     [--interval MS]
 *   vuc-vnet [OPTIONS] SOCKET send FILE
 *   vuc-vnet [OPTIONS] SOCKET recv [--count N] [-o FILE.pcap]
 *   vuc-vnet [OPTIONS] SOCKET perf --seconds S [--size N]
 *
 * OPTIONS: --poll (no interrupts), --intx (no MSI-X), --noshare (DMA maps
 * without fds, so the device uses DMA_READ/DMA_WRITE messages), --timeout MS,
 * --queue-size N.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_net.h>

#include <vuc/vuc.h>

#include "commands.h"

static const char usage[] =
    "usage: vuc-vnet [OPTIONS] SOCKET COMMAND [ARGS]\n"
    "commands:\n"
    "  info                          features, MAC, link, queues\n"
    "  ping IP [--count N] [--my-ip IP] [--interval MS]\n"
    "                                ARP, then ICMP echo requests\n"
    "  send FILE                     transmit the frames of a pcap file\n"
    "                                (or one raw frame)\n"
    "  recv [--count N] [-o FILE]    print received frames, write pcap\n"
    "  perf --seconds S [--size N]   transmit and receive as fast as\n"
    "                                possible (loopback devices)\n"
    "options:\n"
    "  --poll          poll the rings instead of using interrupts\n"
    "  --intx          INTx and the ISR, even where MSI-X is offered\n"
    "  --noshare       DMA memory without fds (message-based DMA)\n"
    "  --timeout MS    request and buffer timeout (default 5000)\n"
    "  --queue-size N  queue entries, a power of two (default: the\n"
    "                  device's maximum, at most 256)\n"
    "  -h, --help      print this help and exit\n"
    "  -V, --version   print the version and exit\n";

static int parse_uint(const char *s, const char *what, uint64_t max,
                      uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v > max) {
        fprintf(stderr,
                "vuc-vnet: %s must be a number from 0 to %" PRIu64
                ", not '%s'\n",
                what, max, s);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_ip(const char *s, const char *what, uint32_t *out)
{
    struct in_addr a;
    if (inet_pton(AF_INET, s, &a) != 1) {
        fprintf(stderr, "vuc-vnet: %s must be an IPv4 address, not '%s'\n",
                what, s);
        return -1;
    }
    *out = ntohl(a.s_addr);
    return 0;
}

enum opt_id {
    OPT_POLL = 256,
    OPT_INTX,
    OPT_NOSHARE,
    OPT_TIMEOUT,
    OPT_QSIZE,
    OPT_COUNT,
    OPT_MYIP,
    OPT_INTERVAL,
    OPT_SECONDS,
    OPT_SIZE,
    OPT_HELP,
};

/* Which command takes which option; an option given to another is an
 * error rather than silently ignored. */
struct opt_use {
    int id;
    const char *name;
    const char *cmds;
};
static const struct opt_use opt_uses[] = {
    {OPT_COUNT, "--count", "ping recv"},  {OPT_MYIP, "--my-ip", "ping"},
    {OPT_INTERVAL, "--interval", "ping"}, {'o', "-o", "recv"},
    {OPT_SECONDS, "--seconds", "perf"},   {OPT_SIZE, "--size", "perf"},
};

static bool cmd_in(const char *cmd, const char *list)
{
    size_t n = strlen(cmd);
    for (const char *p = list; (p = strstr(p, cmd)) != NULL; p += n) {
        if ((p == list || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' ')) {
            return true;
        }
    }
    return false;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"poll", no_argument, NULL, OPT_POLL},
        {"intx", no_argument, NULL, OPT_INTX},
        {"noshare", no_argument, NULL, OPT_NOSHARE},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"queue-size", required_argument, NULL, OPT_QSIZE},
        {"count", required_argument, NULL, OPT_COUNT},
        {"my-ip", required_argument, NULL, OPT_MYIP},
        {"interval", required_argument, NULL, OPT_INTERVAL},
        {"seconds", required_argument, NULL, OPT_SECONDS},
        {"size", required_argument, NULL, OPT_SIZE},
        {"help", no_argument, NULL, OPT_HELP},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    struct vnet_config cfg = {.timeout_ms = 5000};
    struct cmd_args a = {
        .count = 0,
        .my_ip = 0x0a00020f, /* 10.0.2.15 */
        .interval_ms = 1000,
        .size = 64,
    };
    bool given[OPT_HELP + 1] = {false};
    uint64_t v;
    int opt;

    while ((opt = getopt_long(argc, argv, "o:hV", longopts, NULL)) != -1) {
        if (opt >= 0 && opt <= OPT_HELP) {
            given[opt] = true;
        }
        switch (opt) {
        case OPT_POLL:
            cfg.poll = true;
            break;
        case OPT_INTX:
            cfg.intx = true;
            break;
        case OPT_NOSHARE:
            cfg.noshare = true;
            break;
        case OPT_TIMEOUT:
            if (parse_uint(optarg, "--timeout", 3600000, &v) < 0 || v == 0) {
                if (v == 0) {
                    fprintf(stderr, "vuc-vnet: --timeout must be > 0\n");
                }
                return 2;
            }
            cfg.timeout_ms = (int)v;
            break;
        case OPT_QSIZE:
            if (parse_uint(optarg, "--queue-size", 32768, &v) < 0) {
                return 2;
            }
            if (v < 2 || (v & (v - 1)) != 0) {
                fprintf(stderr, "vuc-vnet: --queue-size must be a power of "
                                "two from 2 to 32768\n");
                return 2;
            }
            cfg.queue_size = (uint16_t)v;
            break;
        case OPT_COUNT:
            if (parse_uint(optarg, "--count", UINT32_MAX, &v) < 0) {
                return 2;
            }
            a.count = (uint32_t)v;
            break;
        case OPT_MYIP:
            if (parse_ip(optarg, "--my-ip", &a.my_ip) < 0) {
                return 2;
            }
            break;
        case OPT_INTERVAL:
            if (parse_uint(optarg, "--interval", 3600000, &v) < 0) {
                return 2;
            }
            a.interval_ms = (uint32_t)v;
            break;
        case OPT_SECONDS:
            if (parse_uint(optarg, "--seconds", 3600, &v) < 0 || v == 0) {
                if (v == 0) {
                    fprintf(stderr, "vuc-vnet: --seconds must be > 0\n");
                }
                return 2;
            }
            a.seconds = (uint32_t)v;
            break;
        case OPT_SIZE:
            if (parse_uint(optarg, "--size", VNET_MAX_FRAME, &v) < 0) {
                return 2;
            }
            if (v < VNET_MIN_FRAME) {
                fprintf(stderr, "vuc-vnet: --size must be %u to %u bytes\n",
                        VNET_MIN_FRAME, VNET_MAX_FRAME);
                return 2;
            }
            a.size = (uint32_t)v;
            break;
        case 'o':
            a.out = optarg;
            break;
        case 'h':
        case OPT_HELP:
            fputs(usage, stdout);
            return 0;
        case 'V':
            /* Released with the library it is built from. */
            printf("vuc-vnet %d.%d.%d (libvuc %s, vfio-user %d.%d)\n",
                   VUC_VERSION_MAJOR, VUC_VERSION_MINOR, VUC_VERSION_PATCH,
                   vuc_version(), VUC_PROTO_MAJOR, VUC_PROTO_MINOR);
            return 0;
        default:
            fputs(usage, stderr);
            return 2;
        }
    }
    if (argc - optind < 2) {
        fputs(usage, stderr);
        return 2;
    }
    cfg.socket = argv[optind];
    const char *cmd = argv[optind + 1];
    char **rest = argv + optind + 2;
    int nrest = argc - optind - 2;

    static const struct {
        const char *name;
        int nargs;
        int (*run)(struct vnet *n, struct cmd_args *a);
    } cmds[] = {
        {"info", 0, cmd_info}, {"ping", 1, cmd_ping}, {"send", 1, cmd_send},
        {"recv", 0, cmd_recv}, {"perf", 0, cmd_perf},
    };
    int ci = -1;
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        if (strcmp(cmd, cmds[i].name) == 0) {
            ci = (int)i;
        }
    }
    if (ci < 0) {
        fprintf(stderr, "vuc-vnet: unknown command '%s'\n%s", cmd, usage);
        return 2;
    }
    if (nrest != cmds[ci].nargs) {
        fprintf(stderr, "vuc-vnet: %s takes %d argument%s\n%s", cmd,
                cmds[ci].nargs, cmds[ci].nargs == 1 ? "" : "s", usage);
        return 2;
    }
    for (size_t i = 0; i < sizeof(opt_uses) / sizeof(opt_uses[0]); i++) {
        if (given[opt_uses[i].id] && !cmd_in(cmd, opt_uses[i].cmds)) {
            fprintf(stderr, "vuc-vnet: %s is not an option of %s\n",
                    opt_uses[i].name, cmd);
            return 2;
        }
    }
    if (strcmp(cmd, "ping") == 0 &&
        parse_ip(rest[0], "the address to ping", &a.target_ip) < 0) {
        return 2;
    }
    if (strcmp(cmd, "perf") == 0 && a.seconds == 0) {
        fprintf(stderr, "vuc-vnet: perf needs --seconds S\n");
        return 2;
    }
    if (strcmp(cmd, "ping") == 0 && !given[OPT_COUNT]) {
        a.count = 4;
    }
    a.file = nrest > 0 ? rest[0] : NULL;

    /* SIGINT and SIGTERM end recv and ping cleanly: the device is reset
     * and the pcap file complete. */
    cmd_install_signals();
    /* A server that goes away must not kill us on a write. */
    signal(SIGPIPE, SIG_IGN);

    struct vnet n;
    int rc = vnet_open(&n, &cfg);
    int status = 1;
    if (rc < 0) {
        fprintf(stderr, "vuc-vnet: %s\n", n.err);
    } else {
        status = cmds[ci].run(&n, &a);
    }
    vnet_close(&n);
    return status;
}
