/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vuc-testdev: options, the listening socket, the accept loop and signals.
 *
 * It follows the specification's "Backend Program Conventions": it never
 * daemonizes, leaves fds 0-2 alone, takes --socket-path or --fd, and exits
 * cleanly (status 0) on SIGTERM.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "testdev.h"

#define EXIT_USAGE 2

bool td_verbose;

static volatile sig_atomic_t stop_signal;
/* The mask ppoll() runs with: ours minus SIGTERM/SIGINT. */
static sigset_t wait_mask;

static void __attribute__((format(printf, 1, 0)))
vlog(const char *fmt, va_list ap)
{
    char line[1024];

    vsnprintf(line, sizeof(line), fmt, ap);
    /* One fprintf per line keeps lines whole when stderr is shared. */
    fprintf(stderr, "vuc-testdev: %s\n", line);
}

void td_log(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vlog(fmt, ap);
    va_end(ap);
}

void td_debug(const char *fmt, ...)
{
    va_list ap;

    if (!td_verbose)
        return;
    va_start(ap, fmt);
    vlog(fmt, ap);
    va_end(ap);
}

static void on_stop_signal(int sig)
{
    stop_signal = sig;
}

bool td_stop_requested(void)
{
    return stop_signal != 0;
}

static int wait_until(struct pollfd *pfd, nfds_t n,
                      const struct timespec *deadline)
{
    for (;;) {
        struct timespec now, left, *timeout = NULL;
        int rc;

        if (stop_signal)
            return -EINTR;
        if (deadline) {
            clock_gettime(CLOCK_MONOTONIC, &now);
            left.tv_sec = deadline->tv_sec - now.tv_sec;
            left.tv_nsec = deadline->tv_nsec - now.tv_nsec;
            if (left.tv_nsec < 0) {
                left.tv_nsec += 1000000000L;
                left.tv_sec--;
            }
            if (left.tv_sec < 0)
                return 0;
            timeout = &left;
        }
        rc = ppoll(pfd, n, timeout, &wait_mask);
        if (rc >= 0)
            return rc;
        if (errno != EINTR) {
            rc = -errno;
            td_log("ppoll: %s", strerror(errno));
            return rc;
        }
    }
}

int td_wait_fd(int fd, short events)
{
    struct pollfd pfd = {.fd = fd, .events = events};
    int rc = wait_until(&pfd, 1, NULL);

    return rc < 0 ? rc : pfd.revents;
}

int td_wait_fds(struct pollfd *pfd, nfds_t n)
{
    return wait_until(pfd, n, NULL);
}

uint64_t td_now_ns(void)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

int td_wait_fds_until(struct pollfd *pfd, nfds_t n, uint64_t deadline_ns)
{
    struct timespec deadline = {
        .tv_sec = (time_t)(deadline_ns / 1000000000u),
        .tv_nsec = (long)(deadline_ns % 1000000000u),
    };

    return wait_until(pfd, n, deadline_ns == UINT64_MAX ? NULL : &deadline);
}

int td_sleep_ms(unsigned int ms, int watch_fd)
{
    /* POLLRDHUP alone: data the peer pipelines must not end the sleep. */
    struct pollfd pfd = {.fd = watch_fd, .events = POLLRDHUP};
    struct timespec deadline;
    int rc;

    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += ms / 1000;
    deadline.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_nsec -= 1000000000L;
        deadline.tv_sec++;
    }
    /* ppoll() returns 0 only at the deadline (the loop re-arms it after
     * EINTR from an unrelated signal). */
    rc = wait_until(&pfd, watch_fd >= 0 ? 1 : 0, &deadline);
    return rc < 0 ? rc : rc > 0;
}

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: vuc-testdev (--socket-path=PATH | --fd=N) [options]\n"
            "\n"
            "A vfio-user test device server: one server core and several\n"
            "devices (personalities), chosen with --device.\n"
            "\n"
            "  --device=NAME            the device to serve (default %s);\n"
            "                           --device=help lists them\n"
            "  --socket-path=PATH       listen on a new UNIX socket at PATH "
            "and serve\n"
            "                           clients one after another\n"
            "  --fd=N                   serve the client already connected "
            "on fd N,\n"
            "                           then exit\n"
            "  --max-data-xfer-size=N   advertised max_data_xfer_size "
            "(default %u)\n"
            "  --max-msg-fds=N          advertised max_msg_fds (default %u, "
            "max %u)\n"
            "  --max-dma-maps=N         max_dma_maps limit (default %u)\n"
            "  --minor=N                highest protocol minor version "
            "(default 0)\n"
            "  --no-reset               do not support DEVICE_RESET\n"
            "  --no-twin                never grant twin-socket mode\n"
            "  --no-write-multiple      refuse write_multiple in VERSION\n"
            "                           (REGION_WRITE_MULTI then fails)\n"
            "  --no-io-fds              answer DEVICE_GET_REGION_IO_FDS "
            "with ENOTSUP\n"
            "                           (no doorbell ioeventfd)\n"
            "  --reply-errors-on-noreply  send the error reply of a failed\n"
            "                           No_reply command anyway\n"
            "  --no-migration           no migration: no \"migration\" in "
            "VERSION,\n"
            "                           its DEVICE_FEATUREs and data "
            "refused\n"
            "  --no-pre-copy            migration without the PRE_COPY "
            "state\n"
            "  --no-dirty               no dirty page logging of any kind\n"
            "  --legacy-dirty           log dirty pages with the 0.9.1\n"
            "                           VFIO_USER_DIRTY_PAGES command "
            "instead of\n"
            "                           the DMA logging features\n"
            "  -v, --verbose            log every message handled\n"
            "  -h, --help               show this help\n"
            "\n"
            "Devices and their own options:\n",
            td_personality_default()->name, TESTDEV_DEFAULT_MAX_DATA_XFER_SIZE,
            TESTDEV_DEFAULT_MAX_MSG_FDS, TD_FDS_CAP,
            TESTDEV_DEFAULT_MAX_DMA_MAPS);
    td_personality_list(out, true);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
usage_error(const char *fmt, ...)
{
    va_list ap;

    fputs("vuc-testdev: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nTry 'vuc-testdev --help'.\n", stderr);
    exit(EXIT_USAGE);
}

int td_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *v)
{
    unsigned long long n;
    char *end;

    if (*s == '\0' || *s == '-' || *s == '+')
        return EINVAL;
    errno = 0;
    n = strtoull(s, &end, 0);
    if (errno || *end != '\0')
        return EINVAL;
    *v = n;
    return n < min || n > max ? ERANGE : 0;
}

/* td_parse_u64(), or a usage error naming --@p opt. */
static uint64_t parse_number(const char *opt, const char *s, uint64_t min,
                             uint64_t max)
{
    uint64_t v = 0;
    int err = td_parse_u64(s, min, max, &v);

    if (err == EINVAL)
        usage_error("--%s: '%s' is not a number", opt, s);
    if (err)
        usage_error("--%s: %llu is out of range [%llu, %llu]", opt,
                    (unsigned long long)v, (unsigned long long)min,
                    (unsigned long long)max);
    return v;
}

/*
 * --device is found before the other options are parsed, because the
 * device's own options join the table getopt reads and their values are
 * kept in its state.
 */
static const struct td_personality *find_device(int argc, char **argv)
{
    const char *name = NULL;
    const struct td_personality *p;
    char names[256];
    int i;

    for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strncmp(argv[i], "--device=", 9) == 0)
            name = argv[i] + 9;
        else if (strcmp(argv[i], "--device") == 0 && i + 1 < argc)
            name = argv[++i];
    }
    if (!name)
        return td_personality_default();
    if (strcmp(name, "help") == 0) {
        printf("Devices (--device=NAME):\n");
        td_personality_list(stdout, false);
        exit(0);
    }
    p = td_personality_find(name);
    if (!p) {
        td_personality_names(names, sizeof(names));
        usage_error("--device: unknown device '%s' (choices: %s)", name, names);
    }
    return p;
}

enum {
    OPT_SOCKET_PATH = 256,
    OPT_FD,
    OPT_MAX_XFER,
    OPT_MAX_FDS,
    OPT_MAX_DMA_MAPS,
    OPT_MINOR,
    OPT_NO_RESET,
    OPT_NO_TWIN,
    OPT_NO_WRITE_MULTIPLE,
    OPT_NO_IO_FDS,
    OPT_REPLY_ERRORS_ON_NOREPLY,
    OPT_NO_MIGRATION,
    OPT_NO_PRE_COPY,
    OPT_NO_DIRTY,
    OPT_LEGACY_DIRTY,
    OPT_DEVICE,
    OPT_PERSONALITY, /* + the index in the personality's options[] */
};

#define NUM_CORE_OPTS 18u /* longopts of the core, the terminator aside */

static void parse_options(int argc, char **argv, struct testdev *td)
{
    static const struct option core_opts[NUM_CORE_OPTS] = {
        {"socket-path", required_argument, NULL, OPT_SOCKET_PATH},
        {"fd", required_argument, NULL, OPT_FD},
        {"max-data-xfer-size", required_argument, NULL, OPT_MAX_XFER},
        {"max-msg-fds", required_argument, NULL, OPT_MAX_FDS},
        {"max-dma-maps", required_argument, NULL, OPT_MAX_DMA_MAPS},
        {"minor", required_argument, NULL, OPT_MINOR},
        {"no-reset", no_argument, NULL, OPT_NO_RESET},
        {"no-twin", no_argument, NULL, OPT_NO_TWIN},
        {"no-write-multiple", no_argument, NULL, OPT_NO_WRITE_MULTIPLE},
        {"no-io-fds", no_argument, NULL, OPT_NO_IO_FDS},
        {"reply-errors-on-noreply", no_argument, NULL,
         OPT_REPLY_ERRORS_ON_NOREPLY},
        {"no-migration", no_argument, NULL, OPT_NO_MIGRATION},
        {"no-pre-copy", no_argument, NULL, OPT_NO_PRE_COPY},
        {"no-dirty", no_argument, NULL, OPT_NO_DIRTY},
        {"legacy-dirty", no_argument, NULL, OPT_LEGACY_DIRTY},
        {"device", required_argument, NULL, OPT_DEVICE},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
    };
    struct td_options *opt = &td->opt;
    const struct td_personality *pers = find_device(argc, argv);
    struct option *longopts;
    bool device_seen = false;
    size_t i;
    int c;

    td->pers = pers;
    td->dev = calloc(1, pers->state_size ? pers->state_size : 1);
    longopts = calloc(NUM_CORE_OPTS + pers->noptions + 1, sizeof(*longopts));
    if (!td->dev || !longopts) {
        td_log("out of memory");
        exit(1);
    }
    memcpy(longopts, core_opts, sizeof(core_opts));
    for (i = 0; i < pers->noptions; i++)
        longopts[NUM_CORE_OPTS + i] = (struct option){
            pers->options[i].name,
            pers->options[i].arg ? required_argument : no_argument,
            NULL,
            OPT_PERSONALITY + (int)i,
        };

    *opt = (struct td_options){
        .fd = -1,
        .max_data_xfer_size = TESTDEV_DEFAULT_MAX_DATA_XFER_SIZE,
        .max_msg_fds = TESTDEV_DEFAULT_MAX_MSG_FDS,
        .max_dma_maps = TESTDEV_DEFAULT_MAX_DMA_MAPS,
    };
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":vh", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_SOCKET_PATH:
            if (opt->socket_path)
                usage_error("--socket-path given twice");
            if (*optarg == '\0')
                usage_error("--socket-path: empty path");
            opt->socket_path = optarg;
            break;
        case OPT_FD:
            if (opt->fd >= 0)
                usage_error("--fd given twice");
            opt->fd = (int)parse_number("fd", optarg, 0, INT_MAX);
            break;
        case OPT_MAX_XFER:
            opt->max_data_xfer_size = (uint32_t)parse_number(
                "max-data-xfer-size", optarg, 1, TD_MAX_DATA_XFER_CAP);
            break;
        case OPT_MAX_FDS:
            opt->max_msg_fds =
                (uint32_t)parse_number("max-msg-fds", optarg, 0, TD_FDS_CAP);
            break;
        case OPT_MAX_DMA_MAPS:
            opt->max_dma_maps = (uint32_t)parse_number(
                "max-dma-maps", optarg, 0, TESTDEV_DEFAULT_MAX_DMA_MAPS);
            break;
        case OPT_MINOR:
            opt->minor = (uint16_t)parse_number("minor", optarg, 0, 0xffff);
            break;
        case OPT_NO_RESET:
            opt->no_reset = true;
            break;
        case OPT_NO_TWIN:
            opt->no_twin = true;
            break;
        case OPT_NO_WRITE_MULTIPLE:
            opt->no_write_multiple = true;
            break;
        case OPT_NO_IO_FDS:
            opt->no_io_fds = true;
            break;
        case OPT_REPLY_ERRORS_ON_NOREPLY:
            opt->reply_errors_on_noreply = true;
            break;
        case OPT_NO_MIGRATION:
            opt->no_migration = true;
            break;
        case OPT_NO_PRE_COPY:
            opt->no_pre_copy = true;
            break;
        case OPT_NO_DIRTY:
            opt->no_dirty = true;
            break;
        case OPT_LEGACY_DIRTY:
            opt->legacy_dirty = true;
            break;
        case OPT_DEVICE:
            /* Chosen by find_device(), which saw only full spellings. */
            if (device_seen)
                usage_error("--device given twice");
            device_seen = true;
            if (td_personality_find(optarg) != pers)
                usage_error("--device: spell it out in full as "
                            "--device=NAME");
            break;
        case 'v':
            td_verbose = true;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        case ':':
            usage_error("option '%s' needs a value", argv[optind - 1]);
        default:
            if (c >= OPT_PERSONALITY &&
                (size_t)(c - OPT_PERSONALITY) < pers->noptions) {
                if (pers->option(td, (size_t)(c - OPT_PERSONALITY), optarg))
                    usage_error("%s", td_fail_reason());
                break;
            }
            usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    free(longopts);
    if (optind < argc)
        usage_error("unexpected argument '%s'", argv[optind]);
    if (!opt->socket_path && opt->fd < 0)
        usage_error("one of --socket-path or --fd is required");
    if (opt->socket_path && opt->fd >= 0)
        usage_error("--socket-path and --fd are mutually exclusive");
    if (opt->no_dirty && opt->legacy_dirty)
        usage_error("--no-dirty and --legacy-dirty are mutually exclusive");
}

static void setup_signals(void)
{
    struct sigaction sa = {.sa_handler = on_stop_signal};
    sigset_t block;

    /* No SA_RESTART: the handler only records the signal; ppoll() is the
     * one place it is delivered and it returns EINTR there. */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    /* A client that closes its end must not kill us; sendmsg() uses
     * MSG_NOSIGNAL, and this also covers eventfd writes. */
    signal(SIGPIPE, SIG_IGN);

    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, &wait_mask);
    sigdelset(&wait_mask, SIGTERM);
    sigdelset(&wait_mask, SIGINT);
}

/* The listening socket and the identity of the file we created, so that
 * at exit we remove our socket and not one another server made since. */
struct listener {
    int fd;
    const char *path;
    dev_t dev;
    ino_t ino;
};

static int bind_listen(const char *path)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    int fd;

    strcpy(addr.sun_path, path); /* callers checked the length */
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        td_log("socket: %s", strerror(errno));
        return -1;
    }
    if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        td_log("bind '%s': %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    if (listen(fd, 16) < 0) {
        td_log("listen '%s': %s", path, strerror(errno));
        unlink(path);
        close(fd);
        return -1;
    }
    return fd;
}

/*
 * The socket is bound under a temporary name and renamed into place once
 * it listens, so the path appears only when a connect() will succeed:
 * callers (tests, scripts) may simply wait for the file to exist.
 */
static int listen_on(const char *path, struct listener *l)
{
    char tmp[sizeof(((struct sockaddr_un *)NULL)->sun_path)];
    struct stat st;
    int fd, n;

    if (strlen(path) >= sizeof(tmp)) {
        td_log("socket path '%s' is longer than %zu bytes", path,
               sizeof(tmp) - 1);
        return -1;
    }
    /* Anything at the path that is not a socket is somebody's file and
     * stays; a socket there is stale (a live server would own it). */
    if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
        td_log("'%s' exists and is not a socket; not replacing it", path);
        return -1;
    }

    n = snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
    if (n > 0 && (size_t)n < sizeof(tmp)) {
        unlink(tmp);
        fd = bind_listen(tmp);
        if (fd < 0)
            return -1;
        if (rename(tmp, path) < 0) {
            td_log("rename '%s' to '%s': %s", tmp, path, strerror(errno));
            unlink(tmp);
            close(fd);
            return -1;
        }
    } else {
        /* No room for a temporary name: bind in place. */
        if (unlink(path) < 0 && errno != ENOENT) {
            td_log("cannot remove stale socket '%s': %s", path,
                   strerror(errno));
            return -1;
        }
        fd = bind_listen(path);
        if (fd < 0)
            return -1;
    }
    if (stat(path, &st) < 0) {
        td_log("stat '%s': %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    l->fd = fd;
    l->path = path;
    l->dev = st.st_dev;
    l->ino = st.st_ino;
    return 0;
}

static void listener_close(struct listener *l)
{
    struct stat st;

    if (lstat(l->path, &st) == 0 && st.st_dev == l->dev && st.st_ino == l->ino)
        unlink(l->path);
    close(l->fd);
}

/* Accepted sockets are not O_NONBLOCK; proto.c uses MSG_DONTWAIT per call
 * so that the same code serves an inherited --fd whose file status flags
 * are shared with our parent and not ours to change. */
static int accept_one(int lfd)
{
    for (;;) {
        int rc = td_wait_fd(lfd, POLLIN);
        int fd;

        if (rc < 0)
            return rc;
        fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd >= 0)
            return fd;
        switch (errno) {
        case EAGAIN:
        case EINTR:
        case ECONNABORTED:
            continue;
        case EMFILE:
        case ENFILE:
        case ENOBUFS:
        case ENOMEM:
            /* Transient: back off instead of spinning on a ready fd. */
            td_log("accept: %s", strerror(errno));
            rc = td_sleep_ms(100, -1);
            if (rc < 0)
                return rc;
            continue;
        default:
            rc = -errno;
            td_log("accept: %s", strerror(errno));
            return rc;
        }
    }
}

static int check_inherited_fd(int fd)
{
    struct stat st;
    int type = 0, domain = 0, listening = 0;
    socklen_t len = sizeof(type);

    if (fstat(fd, &st) < 0) {
        td_log("--fd=%d: %s", fd, strerror(errno));
        return -1;
    }
    if (!S_ISSOCK(st.st_mode)) {
        td_log("--fd=%d is not a socket", fd);
        return -1;
    }
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ||
        type != SOCK_STREAM) {
        td_log("--fd=%d is not a stream socket", fd);
        return -1;
    }
    len = sizeof(listening);
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0 ||
        listening) {
        td_log("--fd=%d is a listening socket; pass a connected one, or "
               "use --socket-path",
               fd);
        return -1;
    }
    len = sizeof(domain);
    if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0 ||
        domain != AF_UNIX) {
        td_log("--fd=%d is not an AF_UNIX socket (file descriptors cannot "
               "be passed)",
               fd);
        return -1;
    }
    /* Nothing we might exec should inherit the client's socket. */
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    return 0;
}

int main(int argc, char **argv)
{
    static struct testdev td; /* ~20 KiB of device state: not on the stack */
    struct listener l = {.fd = -1};
    int status = 0;

    parse_options(argc, argv, &td);
    setup_signals();

    if (td.opt.fd >= 0 && check_inherited_fd(td.opt.fd) < 0)
        return 1;
    if (device_init(&td) < 0)
        return 1;
    irq_init(&td.irqs, td.pers->irqs);
    dma_init(&td.dma);
    mig_init(&td.mig);

    if (td.opt.fd >= 0) {
        td_debug("serving fd %d", td.opt.fd);
        proto_serve(&td, td.opt.fd);
        close(td.opt.fd);
    } else if (listen_on(td.opt.socket_path, &l) < 0) {
        status = 1;
    } else {
        td_debug("listening on %s", td.opt.socket_path);
        for (;;) {
            int fd = accept_one(l.fd);

            if (fd < 0) {
                if (fd != -EINTR)
                    status = 1;
                break;
            }
            td_debug("client connected");
            if (proto_serve(&td, fd) < 0) {
                close(fd);
                break;
            }
            close(fd);
            td_debug("client disconnected; waiting for the next one");
        }
        listener_close(&l);
    }

    if (td_stop_requested())
        td_debug("stopping on signal %d", (int)stop_signal);
    dma_fini(&td.dma);
    irq_release_all(&td.irqs);
    mig_release(&td.mig);
    device_fini(&td);
    free(td.dev);
    return status;
}
