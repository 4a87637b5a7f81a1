/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Interrupts against a scripted server: the shape of every SET_IRQS (fds
 * per message, de-assign runs, NORESIZE regrowth), exact event counts,
 * automatic unmasking, and the configuration sent again after a reset.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include <vuc/vuc.h>

#include "fake_server.h"

#define INTX VFIO_USER_PCI_INTX_IRQ_INDEX
#define MSIX VFIO_USER_PCI_MSIX_IRQ_INDEX

/* A SET_IRQS the client sent, with the fds it carried. */
struct set {
    struct vfio_user_irq_set s;
    uint8_t bools[256];
    int fds[8];
    unsigned nfds;
};

static void recv_set(struct fx *f, struct set *out, struct msg *m)
{
    srv_recv_fds(f, m, VFIO_USER_DEVICE_SET_IRQS, out->fds, &out->nfds);
    assert_true(m->len >= sizeof(out->s));
    memcpy(&out->s, m->payload, sizeof(out->s));
    assert_int_equal(out->s.argsz, m->len);
    memcpy(out->bools, m->payload + sizeof(out->s),
           m->len - sizeof(out->s) < sizeof(out->bools)
               ? m->len - sizeof(out->s)
               : sizeof(out->bools));
}

static void ack(struct fx *f, const struct msg *m)
{
    srv_reply(f, m, VFIO_USER_DEVICE_SET_IRQS, 0, 0, NULL, 0, NULL, 0);
}

/* Connect a device with INTx (automasked, maskable) and 64 MSI-X vectors
 * (NORESIZE), the server taking max_fds fds per message. */
static void connect_irqs(struct fx *f, unsigned max_fds)
{
    char json[128];
    struct msg m;

    snprintf(json, sizeof(json), "{\"capabilities\":{\"max_msg_fds\":%u}}",
             max_fds);
    srv_version(f, 0, 0, json, true, NULL, 0);
    srv_device_info_flags(
        f, VFIO_USER_DEVICE_FLAGS_PCI | VFIO_USER_DEVICE_FLAGS_RESET, 0, 3);
    const struct {
        uint32_t flags, count;
    } info[3] = {
        {VFIO_USER_IRQ_INFO_EVENTFD | VFIO_USER_IRQ_INFO_MASKABLE |
             VFIO_USER_IRQ_INFO_AUTOMASKED,
         1},
        {VFIO_USER_IRQ_INFO_EVENTFD | VFIO_USER_IRQ_INFO_NORESIZE, 1},
        {VFIO_USER_IRQ_INFO_EVENTFD | VFIO_USER_IRQ_INFO_NORESIZE, 64},
    };
    for (uint32_t i = 0; i < 3; i++) {
        srv_recv(f, &m, VFIO_USER_DEVICE_GET_IRQ_INFO);
        struct vfio_user_irq_info r = {16, info[i].flags, i, info[i].count};
        srv_reply(f, &m, VFIO_USER_DEVICE_GET_IRQ_INFO, 0, 0, &r, sizeof(r),
                  NULL, 0);
    }
    pump(f);
    assert_int_equal(f->result, 0);
    f->done = false;
    f->ncalls = 0;
}

static int setup(void **state)
{
    return fx_setup_opts(state, vuc_options_new());
}

static uint64_t events[64];
static int ncb;

static void irq_cb(struct vuc_client *c, uint32_t index, uint32_t vector,
                   uint64_t count, void *arg)
{
    events[vector] += count;
    ncb++;
}

/* Enable vectors [start, start + count) and collect the SET_IRQS messages
 * the client sends until it is done (the server acks each). */
static unsigned enable(struct fx *f, uint32_t start, uint32_t count,
                       struct set *sets, unsigned max_sets)
{
    struct msg m;
    unsigned n = 0;

    f->done = false;
    assert_int_equal(vuc_irq_enable_async(f->c, MSIX, start, count, irq_cb,
                                          NULL, VUC_TIMEOUT_DEFAULT, done_cb,
                                          f),
                     0);
    while (!f->done) {
        struct pollfd p = {f->srv, POLLIN, 0};
        if (poll(&p, 1, 0) == 1) {
            assert_true(n < max_sets);
            recv_set(f, &sets[n], &m);
            ack(f, &m);
            n++;
        } else {
            pump_ms(f, 1);
        }
    }
    assert_int_equal(f->result, 0);
    return n;
}

static void close_sets(struct set *sets, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        for (unsigned k = 0; k < sets[i].nfds; k++) {
            close(sets[i].fds[k]);
        }
    }
}

static void check_chunks(struct fx *f, unsigned max_fds)
{
    struct set sets[80];
    connect_irqs(f, max_fds);
    unsigned n = enable(f, 0, 64, sets, 80);

    /* 64 vectors in messages of at most max_fds fds, in order. */
    assert_int_equal(n, (64 + max_fds - 1) / max_fds);
    uint32_t next = 0;
    for (unsigned i = 0; i < n; i++) {
        assert_int_equal(sets[i].s.flags, VFIO_USER_IRQ_SET_DATA_EVENTFD |
                                              VFIO_USER_IRQ_SET_ACTION_TRIGGER);
        assert_int_equal(sets[i].s.index, MSIX);
        assert_int_equal(sets[i].s.start, next);
        assert_true(sets[i].nfds <= max_fds);
        assert_int_equal(sets[i].nfds, sets[i].s.count);
        next += sets[i].s.count;
    }
    assert_int_equal(next, 64);

    /* Each fd reaches its own vector's callback with exact counts. */
    uint64_t one = 1;
    for (unsigned i = 0; i < n; i++) {
        for (unsigned k = 0; k < sets[i].nfds; k++) {
            assert_int_equal(write(sets[i].fds[k], &one, 8), 8);
        }
    }
    memset(events, 0, sizeof(events));
    for (int i = 0; i < 200; i++) {
        event_base_loop(f->base, EVLOOP_NONBLOCK);
    }
    for (unsigned v = 0; v < 64; v++) {
        assert_int_equal(events[v], 1);
        assert_int_equal(vuc_irq_total(f->c, MSIX, v), 1);
    }
    close_sets(sets, n);
}

static void test_chunk_by_one(void **state)
{
    check_chunks(*state, 1);
}

static void test_chunk_by_eight(void **state)
{
    check_chunks(*state, 8);
}

static void test_burst_counts_exact(void **state)
{
    struct fx *f = *state;
    struct set sets[4];
    connect_irqs(f, 8);
    unsigned n = enable(f, 5, 1, sets, 4);
    assert_int_equal(n, 1);

    /* 100,000 signals, read whenever the loop gets to them: every one is
     * counted, however they coalesce. */
    memset(events, 0, sizeof(events));
    ncb = 0;
    uint64_t one = 1;
    for (int i = 0; i < 100000; i++) {
        assert_int_equal(write(sets[0].fds[0], &one, 8), 8);
        if (i % 997 == 0) {
            event_base_loop(f->base, EVLOOP_NONBLOCK);
        }
    }
    for (int i = 0; i < 10; i++) {
        event_base_loop(f->base, EVLOOP_NONBLOCK);
    }
    assert_int_equal(events[5], 100000);
    assert_int_equal(vuc_irq_total(f->c, MSIX, 5), 100000);
    assert_true(ncb >= 1 && ncb <= 100000);
    close_sets(sets, n);
}

static void test_noresize_regrows(void **state)
{
    struct fx *f = *state;
    struct set a[4], b[8];
    connect_irqs(f, 8);
    unsigned na = enable(f, 0, 4, a, 4);
    assert_int_equal(na, 1);

    /* Growing [0,4) by [4,8) on a NORESIZE index: disable, then all 8. */
    unsigned nb = enable(f, 4, 4, b, 8);
    assert_int_equal(nb, 2);
    assert_int_equal(b[0].s.flags, VFIO_USER_IRQ_SET_DATA_NONE |
                                       VFIO_USER_IRQ_SET_ACTION_TRIGGER);
    assert_int_equal(b[0].s.start, 0);
    assert_int_equal(b[0].s.count, 0);
    assert_int_equal(b[1].s.start, 0);
    assert_int_equal(b[1].s.count, 8);
    assert_int_equal(b[1].nfds, 8);

    /* Re-assigning vectors already enabled is not growth. */
    struct set c[4];
    assert_int_equal(enable(f, 2, 2, c, 4), 1);
    assert_int_equal(c[0].s.start, 2);
    close_sets(a, na);
    close_sets(b, nb);
    close_sets(c, 1);
}

static void test_caller_fds_and_gaps(void **state)
{
    struct fx *f = *state;
    struct set sets[8];
    struct msg m;
    unsigned n = 0;
    connect_irqs(f, 2);

    int mine[2] = {eventfd(0, EFD_CLOEXEC), eventfd(0, EFD_CLOEXEC)};
    /* vectors 10..15: fd, fd, none, none, fd, fd */
    int fds[6] = {mine[0], mine[1], -1, -1, mine[0], mine[1]};
    f->done = false;
    assert_int_equal(vuc_irq_set_eventfds_async(f->c, MSIX, 10, 6, fds,
                                                VUC_TIMEOUT_DEFAULT, done_cb,
                                                f),
                     0);
    while (!f->done) {
        struct pollfd p = {f->srv, POLLIN, 0};
        if (poll(&p, 1, 0) == 1) {
            recv_set(f, &sets[n], &m);
            ack(f, &m);
            n++;
        } else {
            pump_ms(f, 1);
        }
    }
    assert_int_equal(f->result, 0);
    /* Each message: only valid fds, or a pure de-assign run. */
    assert_int_equal(n, 3);
    assert_int_equal(sets[0].s.start, 10);
    assert_int_equal(sets[0].s.count, 2);
    assert_int_equal(sets[0].nfds, 2);
    assert_int_equal(sets[1].s.start, 12);
    assert_int_equal(sets[1].s.count, 2);
    assert_int_equal(sets[1].nfds, 0);
    assert_int_equal(sets[2].s.start, 14);
    assert_int_equal(sets[2].nfds, 2);

    /* The server's copy signals the caller's eventfd: libvuc does not read
     * it. */
    uint64_t one = 1, got = 0;
    assert_int_equal(write(sets[0].fds[1], &one, 8), 8);
    pump_ms(f, 5);
    assert_int_equal(read(mine[1], &got, 8), 8);
    assert_int_equal(got, 1);
    close_sets(sets, n);
    close(mine[0]);
    close(mine[1]);
}

static void test_disable_releases_fds(void **state)
{
    struct fx *f = *state;
    struct set sets[8];
    struct msg m;
    connect_irqs(f, 8);
    int before = count_fds();
    unsigned n = enable(f, 0, 16, sets, 8);
    close_sets(sets, n);
    assert_int_equal(count_fds(), before + 16);
    assert_true(vuc_irq_enabled(f->c, MSIX, 15));
    assert_false(vuc_irq_enabled(f->c, MSIX, 16));
    assert_false(vuc_irq_enabled(f->c, INTX, 0));

    f->done = false;
    assert_int_equal(
        vuc_irq_disable_async(f->c, MSIX, VUC_TIMEOUT_DEFAULT, done_cb, f), 0);
    struct set d;
    recv_set(f, &d, &m);
    assert_int_equal(d.s.count, 0);
    assert_int_equal(d.s.start, 0);
    assert_int_equal(d.s.flags, VFIO_USER_IRQ_SET_DATA_NONE |
                                    VFIO_USER_IRQ_SET_ACTION_TRIGGER);
    ack(f, &m);
    pump(f);
    assert_int_equal(f->result, 0);
    assert_int_equal(count_fds(), before);
    assert_false(vuc_irq_enabled(f->c, MSIX, 0));
}

static void test_refused_enable_rolls_back(void **state)
{
    struct fx *f = *state;
    struct set s;
    struct msg m;
    connect_irqs(f, 8);
    int before = count_fds();

    f->done = false;
    assert_int_equal(vuc_irq_enable_async(f->c, MSIX, 0, 4, irq_cb, NULL,
                                          VUC_TIMEOUT_DEFAULT, done_cb, f),
                     0);
    recv_set(f, &s, &m);
    close_sets(&s, 1);
    srv_reply(f, &m, VFIO_USER_DEVICE_SET_IRQS, VFIO_USER_F_ERROR, EINVAL, NULL,
              0, NULL, 0);
    pump(f);
    assert_int_equal(f->result, -EINVAL);
    assert_int_equal(count_fds(), before);
}

static void test_local_refusals(void **state)
{
    struct fx *f = *state;
    connect_irqs(f, 8);
    assert_int_equal(vuc_irq_enable_async(f->c, 7, 0, 1, irq_cb, NULL,
                                          VUC_TIMEOUT_DEFAULT, done_cb, f),
                     -ENODEV);
    assert_int_equal(vuc_irq_enable_async(f->c, MSIX, 60, 5, irq_cb, NULL,
                                          VUC_TIMEOUT_DEFAULT, done_cb, f),
                     -ERANGE);
    assert_non_null(strstr(vuc_strerror(f->c), "outside MSIX's 64"));
    assert_int_equal(vuc_irq_enable_async(f->c, MSIX, UINT32_MAX, 2, irq_cb,
                                          NULL, VUC_TIMEOUT_DEFAULT, done_cb,
                                          f),
                     -ERANGE);
    assert_int_equal(vuc_irq_action_async(f->c, MSIX, 0, 1,
                                          VFIO_USER_IRQ_SET_ACTION_MASK, NULL,
                                          VUC_TIMEOUT_DEFAULT, done_cb, f),
                     -ENOTSUP);
    assert_int_equal(f->ncalls, 0);
}

static void test_actions_and_bools(void **state)
{
    struct fx *f = *state;
    struct set s;
    struct msg m;
    connect_irqs(f, 8);

    bool which[4] = {true, false, false, true};
    f->done = false;
    assert_int_equal(
        vuc_irq_action_async(f->c, MSIX, 4, 4, VFIO_USER_IRQ_SET_ACTION_TRIGGER,
                             which, VUC_TIMEOUT_DEFAULT, done_cb, f),
        0);
    recv_set(f, &s, &m);
    assert_int_equal(s.s.flags, VFIO_USER_IRQ_SET_DATA_BOOL |
                                    VFIO_USER_IRQ_SET_ACTION_TRIGGER);
    assert_int_equal(s.s.argsz, 20 + 4);
    assert_memory_equal(s.bools, "\1\0\0\1", 4);
    ack(f, &m);
    pump(f);
    assert_int_equal(f->result, 0);

    f->done = false;
    assert_int_equal(vuc_irq_action_async(f->c, INTX, 0, 1,
                                          VFIO_USER_IRQ_SET_ACTION_MASK, NULL,
                                          VUC_TIMEOUT_DEFAULT, done_cb, f),
                     0);
    recv_set(f, &s, &m);
    assert_int_equal(s.s.flags, VFIO_USER_IRQ_SET_DATA_NONE |
                                    VFIO_USER_IRQ_SET_ACTION_MASK);
    assert_int_equal(s.s.argsz, 20);
    ack(f, &m);
    pump(f);

    /* Raw: an eventfd signalled when the device unmasks. */
    int efd = eventfd(0, EFD_CLOEXEC);
    f->done = false;
    assert_int_equal(vuc_irq_set_raw_async(f->c,
                                           VFIO_USER_IRQ_SET_DATA_EVENTFD |
                                               VFIO_USER_IRQ_SET_ACTION_UNMASK,
                                           INTX, 0, 1, NULL, &efd, 1,
                                           VUC_TIMEOUT_DEFAULT, done_cb, f),
                     0);
    close(efd);
    recv_set(f, &s, &m);
    assert_int_equal(s.nfds, 1);
    close(s.fds[0]);
    ack(f, &m);
    pump(f);
    assert_int_equal(f->result, 0);
}

static void test_intx_auto_unmask(void **state)
{
    struct fx *f = *state;
    struct set s;
    struct msg m;
    connect_irqs(f, 8);

    f->done = false;
    assert_int_equal(vuc_irq_enable_async(f->c, INTX, 0, 1, irq_cb, NULL,
                                          VUC_TIMEOUT_DEFAULT, done_cb, f),
                     0);
    recv_set(f, &s, &m);
    ack(f, &m);
    pump(f);
    uint64_t one = 1;
    memset(events, 0, sizeof(events));
    assert_int_equal(write(s.fds[0], &one, 8), 8);

    /* The event is handled, then INTx unmasked. */
    struct set u;
    recv_set(f, &u, &m);
    assert_int_equal(events[0], 1);
    assert_int_equal(u.s.flags, VFIO_USER_IRQ_SET_DATA_NONE |
                                    VFIO_USER_IRQ_SET_ACTION_UNMASK);
    assert_int_equal(u.s.index, INTX);
    ack(f, &m);
    pump_ms(f, 5);

    /* And wait reports it once. */
    struct vuc_irq_event ev;
    assert_int_equal(vuc_irq_wait(f->c, INTX, VUC_IRQ_ANY, 10, &ev), 0);
    assert_int_equal(ev.count, 1);
    assert_int_equal(vuc_irq_wait(f->c, INTX, VUC_IRQ_ANY, 10, &ev),
                     -ETIMEDOUT);
    close(s.fds[0]);
}

static void test_reset_reapplies(void **state)
{
    struct fx *f = *state;
    struct set sets[4], again;
    struct msg m;
    connect_irqs(f, 8);
    unsigned n = enable(f, 0, 3, sets, 4);
    close_sets(sets, n);

    f->done = false;
    f->ncalls = 0;
    assert_int_equal(
        vuc_device_reset_async(f->c, VUC_TIMEOUT_DEFAULT, done_cb, f), 0);
    srv_recv(f, &m, VFIO_USER_DEVICE_RESET);
    assert_int_equal(m.len, 0);
    srv_reply(f, &m, VFIO_USER_DEVICE_RESET, 0, 0, NULL, 0, NULL, 0);

    /* The reset completes only after the same eventfds went out again. */
    recv_set(f, &again, &m);
    assert_false(f->done);
    assert_int_equal(again.s.start, 0);
    assert_int_equal(again.s.count, 3);
    assert_int_equal(again.nfds, 3);
    ack(f, &m);
    pump(f);
    assert_int_equal(f->result, 0);
    assert_int_equal(f->ncalls, 1);

    /* A signal on the re-sent copy still reaches the same callback. */
    uint64_t one = 1;
    memset(events, 0, sizeof(events));
    assert_int_equal(write(again.fds[2], &one, 8), 8);
    pump_ms(f, 5);
    assert_int_equal(events[2], 1);
    close_sets(&again, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, fx_teardown)
        T(test_chunk_by_one),
        T(test_chunk_by_eight),
        T(test_burst_counts_exact),
        T(test_noresize_regrows),
        T(test_caller_fds_and_gaps),
        T(test_disable_releases_fds),
        T(test_refused_enable_rolls_back),
        T(test_local_refusals),
        T(test_actions_and_bools),
        T(test_intx_auto_unmask),
        T(test_reset_reapplies),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
