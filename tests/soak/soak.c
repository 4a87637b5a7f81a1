/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vuc-soak: many clients on one event base, each against its own
 * vuc-testdev process, running mixed asynchronous traffic (register writes
 * and reads, posted writes with fences, DMA engine jobs through a shared and
 * a message-only map, interrupts) while faults are injected at random from a
 * seed: the server killed and restarted (then vuc_reconnect_path), the
 * connection dropped mid-request (then a reconnect), a stalled server, a
 * rejected posted write.
 *
 * Checked throughout: every callback fires exactly once, data read back is
 * what was written, DMA results match their source, interrupts confirmed by
 * a fence arrive. Checked at the end: no fd, eventfd or heap growth from
 * start to end, no child left. It prints its seed and figures; a failed
 * invariant prints what broke and exits 1. Nothing here is timed: the run
 * ends after --seconds or --ops, whichever comes first, and stalls stay far
 * below the client's timeout.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include <vuc/vuc.h>

#include "testdev_regs.h"

#define BAR0 VFIO_USER_PCI_BAR0_REGION_INDEX
#define MSIX VFIO_USER_PCI_MSIX_IRQ_INDEX
#define MAP_SIZE 65536u
/* Far beyond any stall injected here: an operation that times out is a
 * failure, not load. */
#define CLIENT_TIMEOUT_MS 120000

enum fault { F_KILL, F_DROP, F_STALL, F_REJECT, F_KINDS };
static const char *const fault_names[F_KINDS] = {"kill+restart", "drop",
                                                 "stall", "reject"};

enum phase { P_IDLE, P_BUSY, P_DOWN, P_STOPPED };

struct cl;

/* One asynchronous call's completion: fired exactly once. */
struct tok {
    struct cl *cl;
    void (*then)(struct cl *cl, int result, struct tok *t);
    bool fired;
    uint32_t value, reg;
    int expect; /* the result this call must end with; 1: any */
};

struct cl {
    int idx;
    pid_t pid;
    char sock[160];
    struct vuc_client *c;
    struct vuc_dma_map *shared, *msgonly;
    enum phase phase;
    unsigned pending;       /* tokens of the current step not yet fired */
    bool reconnect_restore; /* a reconnect, not a first connect */
    uint32_t shadow[TESTDEV_NUM_SCRATCH];
    bool known[TESTDEV_NUM_SCRATCH];
    uint64_t irq_seen, irq_confirmed, irq_sent;
    uint8_t pattern[4096];
    uint32_t dma_len, dma_off;
    struct event *retry;
};

static struct {
    struct event_base *base;
    const char *testdev;
    char dir[64];
    unsigned nclients;
    uint64_t seed, max_ops;
    double seconds;
    double start;
    bool stopping;
    uint64_t ops, faults[F_KINDS], tokens, nobufs;
    struct cl *cls;
} g;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void die(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr,
            "vuc-soak: FAILED (seed %llu): ", (unsigned long long)g.seed);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    /* No server outlives the run, whatever failed. */
    for (unsigned i = 0; g.cls != NULL && i < g.nclients; i++) {
        if (g.cls[i].pid > 0) {
            kill(g.cls[i].pid, SIGKILL);
            waitpid(g.cls[i].pid, NULL, 0);
        }
        unlink(g.cls[i].sock);
    }
    rmdir(g.dir);
    exit(1);
}

/* xorshift64*: the whole run follows from the seed. */
static uint64_t rng_state;
static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}
static uint32_t rnd_below(uint32_t n)
{
    return (uint32_t)(rnd() % n);
}

/* ---- Resources counted at the start and the end ------------------------ */

static void count_fds(int *all, int *eventfds)
{
    char link[300], target[128];
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;

    *all = *eventfds = 0;
    while (d != NULL && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') {
            continue;
        }
        (*all)++;
        snprintf(link, sizeof(link), "/proc/self/fd/%s", e->d_name);
        ssize_t n = readlink(link, target, sizeof(target) - 1);
        if (n > 0) {
            target[n] = '\0';
            *eventfds += strstr(target, "eventfd") != NULL;
        }
    }
    if (d != NULL) {
        closedir(d);
    }
}

static size_t heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

/* ---- Servers ------------------------------------------------------------ */

static void server_start(struct cl *cl)
{
    char sockarg[200];
    snprintf(sockarg, sizeof(sockarg), "--socket-path=%s", cl->sock);
    unlink(cl->sock);
    cl->pid = fork();
    if (cl->pid < 0) {
        die("fork: %s", strerror(errno));
    }
    if (cl->pid == 0) {
        /* The servers' own complaints (rejected writes) are expected. */
        int null = open("/dev/null", O_WRONLY);
        dup2(null, STDERR_FILENO);
        execl(g.testdev, g.testdev, sockarg, "--reply-errors-on-noreply",
              (char *)NULL);
        _exit(127);
    }
}

static void server_kill(struct cl *cl)
{
    kill(cl->pid, SIGKILL);
    if (waitpid(cl->pid, NULL, 0) != cl->pid) {
        die("client %d: waitpid: %s", cl->idx, strerror(errno));
    }
    cl->pid = 0;
}

/* ---- Tokens ------------------------------------------------------------- */

static struct tok *tok_new(struct cl *cl, int expect,
                           void (*then)(struct cl *, int, struct tok *))
{
    struct tok *t = calloc(1, sizeof(*t));
    if (t == NULL) {
        die("out of memory");
    }
    t->cl = cl;
    t->then = then;
    t->expect = expect;
    cl->pending++;
    g.tokens++;
    return t;
}

static void step_next(struct cl *cl);

static void tok_fire(struct tok *t, int result)
{
    struct cl *cl = t->cl;
    if (t->fired) {
        die("client %d: a callback fired twice", cl->idx);
    }
    t->fired = true;
    g.ops++;
    if (t->expect != 1 && result != t->expect) {
        die("client %d: a call ended with %d (%s), expected %d", cl->idx,
            result, cl->c ? vuc_strerror(cl->c) : "", t->expect);
    }
    if (t->then != NULL) {
        t->then(cl, result, t);
    }
    free(t);
    if (--cl->pending == 0 && cl->phase == P_BUSY) {
        cl->phase = P_IDLE;
        step_next(cl);
    }
}

static void done_cb(struct vuc_client *c, int result, void *arg)
{
    tok_fire(arg, result);
}

/* A call that did not start: its callback never runs. */
static void not_started(struct cl *cl, struct tok *t, int rc)
{
    if (rc == -ENOBUFS) {
        g.nobufs++;
    } else {
        die("client %d: a call was refused: %d %s", cl->idx, rc,
            vuc_strerror(cl->c));
    }
    free(t);
    cl->pending--;
    g.tokens--;
}

/* A 4-byte BAR0 access; then runs when it completed. */
static void reg_io(struct cl *cl, bool write, uint32_t reg, uint32_t v,
                   int expect, void (*then)(struct cl *, int, struct tok *))
{
    struct tok *t = tok_new(cl, expect, then);
    t->reg = reg;
    t->value = v;
    int rc = write ? vuc_region_write_async(cl->c, BAR0, reg, &t->value, 4,
                                            VUC_TIMEOUT_DEFAULT, done_cb, t)
                   : vuc_region_read_async(cl->c, BAR0, reg, &t->value, 4,
                                           VUC_TIMEOUT_DEFAULT, done_cb, t);
    if (rc < 0) {
        not_started(cl, t, rc);
    }
}

static void write_reg(struct cl *cl, uint32_t reg, uint32_t v, int expect)
{
    reg_io(cl, true, reg, v, expect, NULL);
}

static void read_reg(struct cl *cl, uint32_t reg, int expect,
                     void (*then)(struct cl *, int, struct tok *))
{
    reg_io(cl, false, reg, 0, expect, then);
}

/* A fence; value is then's to read. */
static void fence(struct cl *cl, int expect,
                  void (*then)(struct cl *, int, struct tok *), uint32_t value)
{
    struct tok *t = tok_new(cl, expect, then);
    t->value = value;
    int rc = vuc_fence_async(cl->c, VUC_TIMEOUT_DEFAULT, done_cb, t);
    if (rc < 0) {
        not_started(cl, t, rc);
    }
}

/* ---- Traffic ------------------------------------------------------------ */

static void check_scratch(struct cl *cl, int result, struct tok *t)
{
    unsigned k = (t->reg - TESTDEV_REG_SCRATCH0) / 4;
    if (result == 0 && cl->known[k] && t->value != cl->shadow[k]) {
        die("client %d: SCRATCH%u reads 0x%x, 0x%x was written", cl->idx, k,
            t->value, cl->shadow[k]);
    }
}

/* Posted writes to the scratch registers, a read of one of them, and now
 * and then a fence. */
static void step_registers(struct cl *cl)
{
    unsigned n = 1 + rnd_below(8);
    for (unsigned i = 0; i < n; i++) {
        unsigned k = rnd_below(TESTDEV_NUM_SCRATCH);
        uint32_t v = (uint32_t)rnd();
        write_reg(cl, TESTDEV_REG_SCRATCH(k), v, 0);
        cl->shadow[k] = v;
        cl->known[k] = true;
    }
    read_reg(cl, TESTDEV_REG_SCRATCH(rnd_below(TESTDEV_NUM_SCRATCH)), 0,
             check_scratch);
    if (rnd_below(4) == 0) {
        fence(cl, 0, NULL, 0);
    }
}

static void check_dma(struct cl *cl, int result, struct tok *t)
{
    uint8_t got[sizeof(cl->pattern)];
    if (t->value != TESTDEV_DMA_STATUS_DONE) {
        die("client %d: DMA job status %u", cl->idx, t->value);
    }
    if (vuc_dma_read(cl->c, vuc_dma_iova(cl->msgonly) + cl->dma_off, got,
                     cl->dma_len) != 0) {
        die("client %d: dma read: %s", cl->idx, vuc_strerror(cl->c));
    }
    if (memcmp(got, cl->pattern, cl->dma_len) != 0) {
        die("client %d: DMA copied other bytes than its source", cl->idx);
    }
}

static void dma_started(struct cl *cl, int result, struct tok *t)
{
    read_reg(cl, TESTDEV_REG_DMA_STATUS, 0, check_dma);
}

/* A job of the device's DMA engine from the shared map (which the server
 * reads through its mapping) to the message-only one (written with
 * DMA_WRITE, served by libvuc); the status read is answered after it. */
static void step_dma(struct cl *cl)
{
    cl->dma_len = 1 + rnd_below(sizeof(cl->pattern));
    cl->dma_off = rnd_below(MAP_SIZE - cl->dma_len);
    for (uint32_t i = 0; i < cl->dma_len; i++) {
        cl->pattern[i] = (uint8_t)rnd();
    }
    uint64_t src = vuc_dma_iova(cl->shared) + rnd_below(MAP_SIZE - 4096);
    uint64_t dst = vuc_dma_iova(cl->msgonly) + cl->dma_off;
    if (vuc_dma_write(cl->c, src, cl->pattern, cl->dma_len) != 0) {
        die("client %d: dma write: %s", cl->idx, vuc_strerror(cl->c));
    }
    write_reg(cl, TESTDEV_REG_DMA_SRC_LO, (uint32_t)src, 0);
    write_reg(cl, TESTDEV_REG_DMA_SRC_HI, (uint32_t)(src >> 32), 0);
    write_reg(cl, TESTDEV_REG_DMA_DST_LO, (uint32_t)dst, 0);
    write_reg(cl, TESTDEV_REG_DMA_DST_HI, (uint32_t)(dst >> 32), 0);
    write_reg(cl, TESTDEV_REG_DMA_LEN, cl->dma_len, 0);
    /* START alone is the doorbell's datamatch: the fenced policy fences
     * before ringing it. FORCE_MSG goes through the socket and makes the
     * engine read its source with DMA_READ too. The status read goes once
     * the write completed, so that it cannot overtake the doorbell. */
    uint32_t ctrl = TESTDEV_DMA_CTRL_START;
    if (rnd_below(2)) {
        ctrl |= TESTDEV_DMA_CTRL_FORCE_MSG;
    }
    reg_io(cl, true, TESTDEV_REG_DMA_CTRL, ctrl, 0, dma_started);
}

static void irq_cb(struct vuc_client *c, uint32_t index, uint32_t vector,
                   uint64_t count, void *arg)
{
    ((struct cl *)arg)->irq_seen += count;
}

static void irq_confirmed(struct cl *cl, int result, struct tok *t)
{
    cl->irq_confirmed += t->value;
}

static void step_irq(struct cl *cl)
{
    uint32_t n = 1 + rnd_below(4);
    write_reg(cl, TESTDEV_REG_IRQ_SELECT, TESTDEV_IRQ_SELECT(MSIX, 0), 0);
    write_reg(cl, TESTDEV_REG_IRQ_FIRE, n, 0);
    cl->irq_sent += n;
    fence(cl, 0, irq_confirmed, n);
}

/* ---- Faults ------------------------------------------------------------- */

static void reconnect(struct cl *cl);

static void forget_device(struct cl *cl)
{
    memset(cl->known, 0, sizeof(cl->known));
}

static void fault(struct cl *cl, enum fault f)
{
    uint32_t magic = TESTDEV_CRASH_MAGIC;
    g.faults[f]++;
    switch (f) {
    case F_KILL:
        /* What is queued or in flight fails with the connection. */
        write_reg(cl, TESTDEV_REG_SCRATCH(0), 1, 1);
        read_reg(cl, TESTDEV_REG_SCRATCH(1), 1, NULL);
        server_kill(cl);
        server_start(cl);
        cl->phase = P_DOWN;
        forget_device(cl);
        break;
    case F_DROP:
        /* The crash write is never answered; the read behind it is in
         * flight when the connection goes. */
        write_reg(cl, TESTDEV_REG_CRASH, magic, 1);
        read_reg(cl, TESTDEV_REG_SCRATCH(2), -ECONNRESET, NULL);
        cl->phase = P_DOWN;
        forget_device(cl);
        break;
    case F_STALL:
        write_reg(cl, TESTDEV_REG_STALL_MS, 20 + rnd_below(200), 0);
        step_registers(cl);
        break;
    case F_REJECT:
        write_reg(cl, TESTDEV_REG_REJECT, 1, 0);
        fence(cl, -EIO, NULL, 0);
        fence(cl, 0, NULL, 0);
        break;
    default:
        break;
    }
}

static void step_next(struct cl *cl)
{
    if (g.stopping || (g.max_ops && g.ops >= g.max_ops) ||
        now_s() - g.start >= g.seconds) {
        g.stopping = true;
        cl->phase = P_STOPPED;
        return;
    }
    if (!vuc_is_connected(cl->c)) {
        die("client %d: lost its connection unasked: %s", cl->idx,
            vuc_strerror(cl->c));
    }
    cl->phase = P_BUSY;
    cl->pending++; /* held while the step is issued */
    unsigned roll = rnd_below(1000);
    if (roll < 12) {
        fault(cl, (enum fault)rnd_below(F_KINDS));
    } else if (roll < 400) {
        step_registers(cl);
    } else if (roll < 700) {
        step_dma(cl);
    } else {
        step_irq(cl);
    }
    bool down = cl->phase == P_DOWN;
    if (--cl->pending == 0 && !down) {
        cl->phase = P_IDLE;
        step_next(cl); /* every call was refused: try another step */
    }
}

/* ---- Connecting --------------------------------------------------------- */

static void connected(struct vuc_client *c, int result, void *arg);

static void retry_event(evutil_socket_t fd, short what, void *arg)
{
    reconnect(arg);
}

static void reconnect(struct cl *cl)
{
    struct stat st;
    if (cl->pending > 0 || vuc_is_connected(cl->c) ||
        stat(cl->sock, &st) != 0) {
        /* Calls of the lost connection still completing, or the new
         * server not listening yet. */
        struct timeval tv = {0, 2000};
        evtimer_add(cl->retry, &tv);
        return;
    }
    int rc = cl->reconnect_restore
                 ? vuc_reconnect_path_async(cl->c, cl->sock, connected, cl)
                 : vuc_connect_path_async(cl->c, cl->sock, connected, cl);
    if (rc < 0) {
        die("client %d: connect: %s", cl->idx, vuc_strerror(cl->c));
    }
}

static void map_done(struct vuc_client *c, int result, struct vuc_dma_map *m,
                     void *arg)
{
    struct cl *cl = arg;
    if (result < 0) {
        die("client %d: dma alloc: %s", cl->idx, vuc_strerror(c));
    }
    if (cl->shared == NULL) {
        cl->shared = m;
    } else {
        cl->msgonly = m;
    }
    if (--cl->pending == 0) {
        step_next(cl);
    }
}

static void setup_done(struct vuc_client *c, int result, void *arg)
{
    struct cl *cl = arg;
    if (result < 0) {
        die("client %d: irq enable: %s", cl->idx, vuc_strerror(c));
    }
    if (--cl->pending == 0) {
        step_next(cl);
    }
}

static void connected(struct vuc_client *c, int result, void *arg)
{
    struct cl *cl = arg;
    if (result == -ECONNREFUSED || result == -ECONNRESET) {
        reconnect(cl); /* the restarted server is not serving yet */
        return;
    }
    if (result < 0) {
        die("client %d: connect: %d %s", cl->idx, result, vuc_strerror(c));
    }
    cl->phase = P_IDLE;
    if (cl->reconnect_restore) {
        step_next(cl); /* maps and vectors came back with the reconnect */
        return;
    }
    cl->reconnect_restore = true;
    if (vuc_set_posting(c, VUC_POSTING_FENCED) < 0) {
        die("client %d: posting: %s", cl->idx, vuc_strerror(c));
    }
    cl->pending = 3;
    if (vuc_dma_alloc_async(c, MAP_SIZE, VUC_IOVA_ANY,
                            VUC_DMA_READ | VUC_DMA_WRITE, VUC_TIMEOUT_DEFAULT,
                            map_done, cl) < 0 ||
        vuc_dma_alloc_async(c, MAP_SIZE, VUC_IOVA_ANY,
                            VUC_DMA_READ | VUC_DMA_WRITE | VUC_DMA_NOSHARE,
                            VUC_TIMEOUT_DEFAULT, map_done, cl) < 0 ||
        vuc_irq_enable_async(c, MSIX, 0, 1, irq_cb, cl, VUC_TIMEOUT_DEFAULT,
                             setup_done, cl) < 0) {
        die("client %d: setup: %s", cl->idx, vuc_strerror(c));
    }
}

static void on_disconnect(struct vuc_client *c, int result, void *arg)
{
    struct cl *cl = arg;
    if (cl->phase != P_DOWN) {
        die("client %d: disconnected unasked: %s", cl->idx, vuc_strerror(c));
    }
    reconnect(cl);
}

/* ---- Main --------------------------------------------------------------- */

static bool all_stopped(void)
{
    for (unsigned i = 0; i < g.nclients; i++) {
        if (g.cls[i].phase != P_STOPPED || g.cls[i].pending > 0) {
            return false;
        }
    }
    return true;
}

static void finish(void)
{
    for (unsigned i = 0; i < g.nclients; i++) {
        struct cl *cl = &g.cls[i];
        if (vuc_fence(cl->c) != 0) {
            die("client %d: final fence: %s", cl->idx, vuc_strerror(cl->c));
        }
        /* Fires the device performed are in the eventfd by now. */
        event_base_loop(g.base, EVLOOP_NONBLOCK);
        if (cl->irq_seen < cl->irq_confirmed || cl->irq_seen > cl->irq_sent) {
            die("client %d: %llu interrupts arrived; %llu were confirmed, "
                "%llu sent",
                cl->idx, (unsigned long long)cl->irq_seen,
                (unsigned long long)cl->irq_confirmed,
                (unsigned long long)cl->irq_sent);
        }
        vuc_client_free(cl->c);
        event_free(cl->retry);
        server_kill(cl);
        unlink(cl->sock);
    }
}

static void usage(void)
{
    fputs("usage: vuc-soak --testdev PATH [--clients N] [--seconds S] "
          "[--ops N] [--seed N]\n",
          stderr);
    exit(2);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"testdev", required_argument, NULL, 't'},
        {"clients", required_argument, NULL, 'n'},
        {"seconds", required_argument, NULL, 's'},
        {"ops", required_argument, NULL, 'o'},
        {"seed", required_argument, NULL, 'r'},
        {NULL, 0, NULL, 0},
    };
    g.nclients = 32;
    g.seconds = 30;
    g.seed = (uint64_t)time(NULL);
    for (int o; (o = getopt_long(argc, argv, "", longopts, NULL)) != -1;) {
        switch (o) {
        case 't':
            g.testdev = optarg;
            break;
        case 'n':
            g.nclients = (unsigned)strtoul(optarg, NULL, 0);
            break;
        case 's':
            g.seconds = strtod(optarg, NULL);
            break;
        case 'o':
            g.max_ops = strtoull(optarg, NULL, 0);
            break;
        case 'r':
            g.seed = strtoull(optarg, NULL, 0);
            break;
        default:
            usage();
        }
    }
    if (g.testdev == NULL || g.nclients == 0 || optind != argc) {
        usage();
    }
    rng_state = g.seed * 2 + 1;
    signal(SIGPIPE, SIG_IGN);
    strcpy(g.dir, "/tmp/vuc-soak-XXXXXX");
    if (mkdtemp(g.dir) == NULL) {
        die("mkdtemp: %s", strerror(errno));
    }

    int fds0, efds0;
    g.base = event_base_new();
    count_fds(&fds0, &efds0);
    size_t heap0 = heap_in_use();
    g.cls = calloc(g.nclients, sizeof(*g.cls));
    struct vuc_options *o = vuc_options_new();
    vuc_options_set_timeout(o, CLIENT_TIMEOUT_MS);
    g.start = now_s();
    for (unsigned i = 0; i < g.nclients; i++) {
        struct cl *cl = &g.cls[i];
        cl->idx = (int)i;
        snprintf(cl->sock, sizeof(cl->sock), "%s/dev%u.sock", g.dir, i);
        cl->c = vuc_client_new(g.base, o);
        cl->retry = evtimer_new(g.base, retry_event, cl);
        if (cl->c == NULL || cl->retry == NULL) {
            die("cannot create client %u", i);
        }
        vuc_set_disconnect_cb(cl->c, on_disconnect, cl);
        server_start(cl);
        cl->phase = P_DOWN;
        reconnect(cl);
    }
    vuc_options_free(o);
    while (!all_stopped()) {
        if (event_base_loop(g.base, EVLOOP_ONCE) < 0) {
            die("event loop failed");
        }
    }
    double secs = now_s() - g.start;
    finish();
    free(g.cls);
    /* The base outlives the clients, as in a VMM. */
    int fds1, efds1;
    count_fds(&fds1, &efds1);
    size_t heap1 = heap_in_use();
    event_base_free(g.base);
    rmdir(g.dir);
    uint64_t nfaults = 0;
    for (int f = 0; f < F_KINDS; f++) {
        nfaults += g.faults[f];
    }
    printf("vuc-soak: seed %llu, %u clients, %.1f s: %llu operations "
           "(%.0f/s), %llu faults (",
           (unsigned long long)g.seed, g.nclients, secs,
           (unsigned long long)g.ops, (double)g.ops / secs,
           (unsigned long long)nfaults);
    for (int f = 0; f < F_KINDS; f++) {
        printf("%s%s %llu", f ? ", " : "", fault_names[f],
               (unsigned long long)g.faults[f]);
    }
    printf("), %llu calls refused for a full queue\n",
           (unsigned long long)g.nobufs);
    printf("vuc-soak: fds %d -> %d, eventfds %d -> %d, heap %zu -> %zu bytes\n",
           fds0, fds1, efds0, efds1, heap0, heap1);
    if (g.tokens != g.ops) {
        die("%llu calls started, %llu callbacks ran",
            (unsigned long long)g.tokens, (unsigned long long)g.ops);
    }
    if (fds1 != fds0 || efds1 != efds0) {
        die("fds grew from %d (%d eventfds) to %d (%d)", fds0, efds0, fds1,
            efds1);
    }
    /* The event base keeps what it grew while the clients ran (tables
     * indexed by fd, its timer heap): a few KiB per client, the same
     * after 25 s as after 3 minutes. A leak per operation or per fault
     * would pass this bound within seconds. */
    if (heap1 > heap0 + 2048 * (size_t)g.nclients + 65536) {
        die("the heap grew from %zu to %zu bytes", heap0, heap1);
    }
    return 0;
}
