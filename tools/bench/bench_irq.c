/* SPDX-License-Identifier: BSD-3-Clause */
/* Interrupts (--only irq). */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <event2/event.h>

#include "bench_int.h"
#include "testdev_regs.h"

/* ---- Interrupts ---------------------------------------------------------- */

struct irq_state {
    bool fired, wdone;
    int wres;
    uint64_t t_irq, events;
};

static void irq_cb(struct vuc_client *c, uint32_t index, uint32_t vector,
                   uint64_t count, void *arg)
{
    struct irq_state *st = arg;

    st->t_irq = now_ns();
    st->fired = true;
    st->events += count;
}

static void irq_wdone(struct vuc_client *c, int result, void *arg)
{
    struct irq_state *st = arg;

    st->wdone = true;
    st->wres = result;
}

/* Fire once and wait for both the callback and the write's reply. The
 * device signals the eventfd before it answers the write, so the callback
 * comes at the latest with the loop iteration after the reply. */
static int irq_once(struct vuc_client *c, struct irq_state *st, uint64_t *dt,
                    char *why)
{
    struct event_base *base = vuc_client_base(c);
    uint32_t one = 1;
    uint64_t t0, deadline;
    int rc;

    st->fired = st->wdone = false;
    t0 = now_ns();
    rc = vuc_region_write_async(c, 0, TESTDEV_REG_IRQ_FIRE, &one, 4,
                                VUC_TIMEOUT_DEFAULT, irq_wdone, st);
    if (rc < 0)
        return lib_err(c, rc, why, "IRQ_FIRE write");
    while (!st->wdone) {
        if (event_base_loop(base, EVLOOP_ONCE) < 0) {
            snprintf(why, WHY_LEN, "the event loop failed");
            return -EIO;
        }
    }
    if (st->wres < 0)
        return lib_err(c, st->wres, why, "IRQ_FIRE write");
    deadline = now_ns() + 1000000000u;
    while (!st->fired) {
        if (now_ns() > deadline) {
            snprintf(why, WHY_LEN,
                     "the interrupt did not reach the "
                     "callback within 1 s of the write's reply");
            return -ETIMEDOUT;
        }
        event_base_loop(base, EVLOOP_NONBLOCK);
    }
    *dt = st->t_irq - t0;
    return 0;
}

/* The floor of any "message, wake-up, eventfd, wake-up" path: an eventfd
 * round trip through a second thread, the waiting side in epoll_wait() as
 * libevent waits. No server involved. */
struct pingpong {
    int to_thread, to_main;
    int stop;
};

static void *pingpong_thread(void *arg)
{
    struct pingpong *pp = arg;
    uint64_t v;

    for (;;) {
        struct pollfd pfd = {.fd = pp->to_thread, .events = POLLIN};

        if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
            break;
        if (read(pp->to_thread, &v, sizeof(v)) != sizeof(v))
            continue;
        if (__atomic_load_n(&pp->stop, __ATOMIC_ACQUIRE))
            break;
        v = 1;
        if (write(pp->to_main, &v, sizeof(v)) != sizeof(v))
            break;
    }
    return NULL;
}

static int eventfd_pingpong(unsigned warm, unsigned n, struct series *s,
                            char *why)
{
    struct pingpong pp = {
        .to_thread = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK),
        .to_main = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK),
    };
    int ep = epoll_create1(EPOLL_CLOEXEC), rc = 0;
    struct epoll_event ev = {.events = EPOLLIN};
    pthread_t th;
    uint64_t v = 1;

    if (pp.to_thread < 0 || pp.to_main < 0 || ep < 0 ||
        epoll_ctl(ep, EPOLL_CTL_ADD, pp.to_main, &ev) < 0) {
        rc = -errno;
        snprintf(why, WHY_LEN, "eventfd baseline: %s", strerror(errno));
        goto out;
    }
    rc = -pthread_create(&th, NULL, pingpong_thread, &pp);
    if (rc < 0) {
        snprintf(why, WHY_LEN, "eventfd baseline: pthread_create: %s",
                 strerror(-rc));
        goto out;
    }
    for (unsigned i = 0; i < warm + n && rc == 0; i++) {
        uint64_t t0 = now_ns();

        v = 1;
        if (write(pp.to_thread, &v, sizeof(v)) != sizeof(v)) {
            rc = -errno;
            snprintf(why, WHY_LEN, "eventfd baseline: write: %s",
                     strerror(errno));
            break;
        }
        int k;
        do {
            k = epoll_wait(ep, &ev, 1, 5000);
        } while (k < 0 && errno == EINTR);
        if (k <= 0) {
            rc = k < 0 ? -errno : -ETIMEDOUT;
            snprintf(why, WHY_LEN,
                     "eventfd baseline: no answer from the "
                     "thread");
            break;
        }
        if (read(pp.to_main, &v, sizeof(v)) != sizeof(v)) {
            rc = -EIO;
            snprintf(why, WHY_LEN, "eventfd baseline: read failed");
            break;
        }
        if (i >= warm)
            series_add(s, (double)(now_ns() - t0));
    }
    __atomic_store_n(&pp.stop, 1, __ATOMIC_RELEASE);
    v = 1;
    if (write(pp.to_thread, &v, sizeof(v)) != sizeof(v)) {
        /* The thread cannot be woken; it would block join for ever. */
        pthread_cancel(th);
    }
    pthread_join(th, NULL);
out:
    if (ep >= 0)
        close(ep);
    if (pp.to_thread >= 0)
        close(pp.to_thread);
    if (pp.to_main >= 0)
        close(pp.to_main);
    return rc;
}

struct irq_arg {
    unsigned n;
    struct series lib, base, efd;
};

static const uint32_t irq_select =
    TESTDEV_IRQ_SELECT(VFIO_USER_PCI_MSIX_IRQ_INDEX, 0u);

static int irq_lib(struct bctx *b, struct vuc_client *c, void *arg, char *why)
{
    struct irq_arg *a = arg;
    struct irq_state st = {0};
    unsigned warm = warmup_ops(a->n);
    int rc;

    rc = vuc_irq_enable(c, VFIO_USER_PCI_MSIX_IRQ_INDEX, 0, 1, irq_cb, &st);
    if (rc < 0)
        return lib_err(c, rc, why, "irq enable");
    rc = vuc_region_write(c, 0, TESTDEV_REG_IRQ_SELECT, &irq_select, 4);
    if (rc < 0)
        lib_err(c, rc, why, "IRQ_SELECT write");
    for (unsigned i = 0; i < warm + a->n && rc == 0; i++) {
        uint64_t dt = 0;

        rc = irq_once(c, &st, &dt, why);
        if (rc == 0 && i >= warm)
            series_add(&a->lib, (double)dt);
    }
    if (vuc_irq_disable(c, VFIO_USER_PCI_MSIX_IRQ_INDEX) < 0 && rc == 0)
        rc = lib_err(c, -EIO, why, "irq disable");
    if (rc == 0)
        rc = eventfd_pingpong(warm, a->n, &a->efd, why);
    return rc;
}

static int irq_wire(struct bctx *b, struct bw *w, void *arg, char *why)
{
    struct irq_arg *a = arg;
    unsigned warm = warmup_ops(a->n);
    int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), rc;
    uint32_t one = 1;

    if (efd < 0) {
        snprintf(why, WHY_LEN, "eventfd: %s", strerror(errno));
        return -errno;
    }
    rc = bw_irq_set_eventfd(w, VFIO_USER_PCI_MSIX_IRQ_INDEX, 0, efd);
    if (rc == 0)
        rc = bw_region_write(w, 0, TESTDEV_REG_IRQ_SELECT, &irq_select, 4);
    for (unsigned i = 0; i < warm + a->n && rc == 0; i++) {
        struct pollfd pfd = {.fd = efd, .events = POLLIN};
        uint64_t t0 = now_ns(), t1, v;
        uint16_t id;
        int k;

        /* As libvuc sends it: posted, or answered after the eventfd. */
        rc = b->srv.bar0_posted
                 ? bw_write_post(w, 0, TESTDEV_REG_IRQ_FIRE, &one, 4)
                 : bw_write_send(w, 0, TESTDEV_REG_IRQ_FIRE, &one, 4, &id);
        if (rc < 0)
            break;
        do {
            k = poll(&pfd, 1, 5000);
        } while (k < 0 && errno == EINTR);
        t1 = now_ns();
        if (k <= 0 || read(efd, &v, sizeof(v)) != sizeof(v)) {
            snprintf(w->err, sizeof(w->err),
                     "the interrupt's eventfd was not signalled");
            rc = -ETIMEDOUT;
            break;
        }
        if (!b->srv.bar0_posted)
            rc = bw_write_recv(w, id);
        if (rc == 0 && i >= warm)
            series_add(&a->base, (double)(t1 - t0));
    }
    close(efd);
    return rc < 0 ? wire_err(w, rc, why) : 0;
}

void phase_irq(struct bctx *b)
{
    const struct server_info *s = &b->srv;
    const struct vuc_irq_info *msix =
        s->nirqs > VFIO_USER_PCI_MSIX_IRQ_INDEX
            ? &s->irqs[VFIO_USER_PCI_MSIX_IRQ_INDEX]
            : NULL;
    struct irq_arg a = {.n = at_least(b->iterations / 2, 10)};
    struct row *rows[2];

    rows[0] = row_new(b, "irq.fire.latency", "us", false, "wire",
                      "interrupt: IRQ_FIRE write to callback (MSI-X 0)");
    rows[1] = row_new(b, "irq.vs_eventfd", "us", false, "eventfd",
                      "interrupt vs eventfd round trip via a thread");
    if (!s->testdev || !s->irq_hooks) {
        skip_rows(rows, 2,
                  s->testdev ? "skipped: server has no interrupt hooks (this "
                               "vuc-testdev's IRQ_DELIVERED is plain memory)"
                             : "skipped: server has no interrupt hooks (not "
                               "vuc-testdev)");
        return;
    }
    if (msix == NULL || msix->count < 1 ||
        !(msix->flags & VFIO_USER_IRQ_INFO_EVENTFD)) {
        skip_rows(rows, 2,
                  "skipped: the device has no MSI-X vector with "
                  "eventfd support");
        return;
    }
    if (!reserve_all(b, rows, 2, &a.lib, 1, (size_t)b->rounds * a.n) ||
        !reserve_all(b, rows, 2, &a.base, 1, (size_t)b->rounds * a.n) ||
        !reserve_all(b, rows, 2, &a.efd, 1, (size_t)b->rounds * a.n))
        goto out;
    run_rounds(b, rows, 2, irq_wire, irq_lib, &a);
    side_latency(&rows[0]->lib, &a.lib);
    side_latency(&rows[0]->base, &a.base);
    side_latency(&rows[1]->lib, &a.lib);
    side_latency(&rows[1]->base, &a.efd);
out:
    free(a.lib.v);
    free(a.base.v);
    free(a.efd.v);
}
