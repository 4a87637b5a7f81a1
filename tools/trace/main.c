/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vuc-trace: a proxy between any vfio-user client and any server that
 * passes everything on unchanged and prints the decoded conversation, as
 * tcpdump does for a network. It listens on one path, and for each client
 * that connects (one after another, until stopped) connects to the server's
 * path and relays (relay.c), showing every message with libvuc's formatter,
 * and optionally writing it to a pcapng file for Wireshark.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <vuc/vuc.h>

#include "pcapng.h"
#include "relay.h"

#ifndef VUC_TRACE_VERSION
#define VUC_TRACE_VERSION "unknown"
#endif

struct out {
    struct vuc_tracer *tracer;
    bool json;
    FILE *text;
    FILE *pcap;
    int write_err; /* first write error, reported once */
    char line[VUC_TRACER_LINE_MAX];
};

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void out_flush_check(struct out *o, FILE *f, const char *what)
{
    if (fflush(f) != 0 && o->write_err == 0) {
        o->write_err = errno ? errno : EIO;
        fprintf(stderr, "vuc-trace: cannot write the %s: %s\n", what,
                strerror(o->write_err));
    }
}

static void on_msg(void *arg, const struct vuc_trace_msg *msg)
{
    struct out *o = arg;

    if (vuc_tracer_format(o->tracer, msg, o->line, sizeof(o->line)) >= 0) {
        fputs(o->line, o->text);
        fputc('\n', o->text);
        out_flush_check(o, o->text, "trace");
    }
    if (o->pcap != NULL && pcapng_message(o->pcap, msg) < 0 &&
        o->write_err == 0) {
        o->write_err = EIO;
        fputs("vuc-trace: cannot write the pcap file\n", stderr);
    }
}

static void on_undecoded(void *arg, enum vuc_trace_dir dir, bool twin,
                         const struct vfio_user_header *hdr, const char *why)
{
    struct out *o = arg;
    const char *name = hdr ? vfio_user_command_name(hdr->cmd) : NULL;

    if (o->json) {
        fprintf(o->text, "{\"dir\":\"%s\",\"chan\":\"%s\"",
                dir == VUC_TRACE_TO_SERVER ? "to_server" : "to_client",
                twin ? "twin" : "main");
        if (hdr != NULL) {
            fprintf(o->text, ",\"id\":%u,\"cmd\":\"%s\",\"size\":%u",
                    hdr->msg_id, name ? name : "UNKNOWN", hdr->msg_size);
        }
        /* why is our own text: no quotes or control characters. */
        fprintf(o->text, ",\"kind\":\"undecoded\",\"why\":\"%s\"}\n", why);
    } else if (hdr != NULL) {
        fprintf(o->text, "%s%s #%u %s undecoded: %s\n",
                dir == VUC_TRACE_TO_SERVER ? "→" : "←", twin ? " twin" : "",
                hdr->msg_id, name ? name : "UNKNOWN", why);
    } else {
        fprintf(o->text, "%s%s undecoded: %s\n",
                dir == VUC_TRACE_TO_SERVER ? "→" : "←", twin ? " twin" : "",
                why);
    }
    out_flush_check(o, o->text, "trace");
}

static int unix_addr(const char *path, struct sockaddr_un *sa)
{
    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(sa->sun_path)) {
        return -ENAMETOOLONG;
    }
    strcpy(sa->sun_path, path);
    return 0;
}

/* Bound and listening under a temporary name first, then renamed into
 * place: a client that sees the path can connect at once. */
static int listen_on(const char *path)
{
    struct sockaddr_un sa;
    char tmp[sizeof(sa.sun_path)];
    struct stat st;

    if (snprintf(tmp, sizeof(tmp), "%s.%ld", path, (long)getpid()) >=
            (int)sizeof(tmp) ||
        unix_addr(tmp, &sa) < 0) {
        fprintf(stderr, "vuc-trace: --listen %s: path too long\n", path);
        return -1;
    }
    if (lstat(path, &st) == 0) {
        fprintf(stderr,
                "vuc-trace: cannot listen on %s: it exists (remove it, or "
                "choose another path)\n",
                path);
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        listen(fd, 8) < 0 || rename(tmp, path) < 0) {
        fprintf(stderr, "vuc-trace: cannot listen on %s: %s\n", path,
                strerror(errno));
        if (fd >= 0) {
            unlink(tmp);
            close(fd);
        }
        return -1;
    }
    return fd;
}

static int connect_to(const char *path)
{
    struct sockaddr_un sa;
    if (unix_addr(path, &sa) < 0) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int err = errno;
        close(fd);
        errno = err;
        return -1;
    }
    return fd;
}

static void usage(FILE *f)
{
    fputs("usage: vuc-trace --listen PATH --connect PATH [--json] [-o FILE] "
          "[--pcap FILE]\n"
          "vuc-trace: show every vfio-user message between a client and a "
          "server.\n\n"
          "Clients connect to the --listen socket; for each, one after "
          "another,\n"
          "vuc-trace connects to the server's --connect socket and passes "
          "every\n"
          "byte and fd on unchanged, printing one decoded line per "
          "message.\n\n"
          "Options:\n"
          "  -l, --listen=PATH    the socket clients connect to (created)\n"
          "  -c, --connect=PATH   the server's socket\n"
          "  -j, --json           one JSON object per line\n"
          "  -o, --output=FILE    the trace to FILE (default: stdout)\n"
          "  -p, --pcap=FILE      also write a pcapng capture for Wireshark\n"
          "  -h, --help           print this help and exit\n"
          "  -V, --version        print the version and exit\n"
          "\nStop it with SIGINT or SIGTERM. Exit status: 0, or 1 when it "
          "could not start\nor could not write its output, 2 for a usage "
          "error.\n",
          f);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"listen", required_argument, NULL, 'l'},
        {"connect", required_argument, NULL, 'c'},
        {"json", no_argument, NULL, 'j'},
        {"output", required_argument, NULL, 'o'},
        {"pcap", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    const char *listen_path = NULL, *server_path = NULL;
    const char *output = NULL, *pcap = NULL;
    struct out o = {.text = stdout};
    int opt, status = 0;

    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":l:c:jo:p:hV", longopts, NULL)) !=
           -1) {
        switch (opt) {
        case 'l':
            listen_path = optarg;
            break;
        case 'c':
            server_path = optarg;
            break;
        case 'j':
            o.json = true;
            break;
        case 'o':
            output = optarg;
            break;
        case 'p':
            pcap = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("vuc-trace %s (libvuc %s)\n", VUC_TRACE_VERSION,
                   vuc_version());
            return 0;
        case ':':
            fprintf(stderr, "vuc-trace: option '%s' needs an argument\n",
                    argv[optind - 1]);
            return 2;
        default:
            fprintf(stderr, "vuc-trace: unknown option '%s'\n",
                    argv[optind - 1]);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "vuc-trace: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    if (listen_path == NULL || server_path == NULL) {
        fputs("vuc-trace: --listen and --connect are both needed\n"
              "Try 'vuc-trace --help'.\n",
              stderr);
        return 2;
    }
    if (strcmp(listen_path, server_path) == 0) {
        fputs("vuc-trace: --listen and --connect name the same path\n", stderr);
        return 2;
    }

    o.tracer = vuc_tracer_new(o.json ? VUC_TRACER_JSON : 0);
    if (o.tracer == NULL) {
        fputs("vuc-trace: out of memory\n", stderr);
        return 1;
    }
    if (output != NULL && (o.text = fopen(output, "we")) == NULL) {
        fprintf(stderr, "vuc-trace: cannot open %s: %s\n", output,
                strerror(errno));
        vuc_tracer_free(o.tracer);
        return 1;
    }
    if (pcap != NULL &&
        ((o.pcap = fopen(pcap, "wbe")) == NULL || pcapng_start(o.pcap) < 0)) {
        fprintf(stderr, "vuc-trace: cannot write %s: %s\n", pcap,
                strerror(errno ? errno : EIO));
        status = 1;
        goto out;
    }

    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    int lfd = listen_on(listen_path);
    if (lfd < 0) {
        status = 1;
        goto out;
    }
    struct relay_observer obs = {on_msg, on_undecoded, &o};
    unsigned long nclient = 0;
    while (!stop_flag) {
        struct pollfd p = {.fd = lfd, .events = POLLIN};
        if (poll(&p, 1, 200) <= 0) {
            continue;
        }
        int cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (cfd < 0) {
            continue;
        }
        nclient++;
        int sfd = connect_to(server_path);
        if (sfd < 0) {
            fprintf(stderr, "vuc-trace: client %lu: cannot connect to %s: %s\n",
                    nclient, server_path, strerror(errno));
            close(cfd);
            continue;
        }
        fprintf(stderr, "vuc-trace: client %lu connected\n", nclient);
        vuc_tracer_reset(o.tracer);
        char ended[256];
        int rc =
            relay_session(cfd, sfd, &obs, &stop_flag, ended, sizeof(ended));
        fprintf(stderr, "vuc-trace: client %lu: %s\n", nclient, ended);
        if (rc == -ENOMEM) {
            status = 1;
            break;
        }
    }
    close(lfd);
    unlink(listen_path);
out:
    if (o.pcap != NULL && fclose(o.pcap) != 0 && o.write_err == 0) {
        o.write_err = EIO;
    }
    if (o.text != stdout && fclose(o.text) != 0 && o.write_err == 0) {
        o.write_err = EIO;
    }
    vuc_tracer_free(o.tracer);
    return o.write_err ? 1 : status;
}
