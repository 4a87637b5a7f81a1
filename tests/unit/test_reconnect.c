/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reconnecting against a scripted server: what goes out again (every DMA
 * map with its fd, every vector's eventfd), in what order, and what a
 * server that refuses part of it, vanishes half-way, or turns out to be
 * another device leaves behind: a clear error, a closed connection, and
 * everything held for the next try.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include <vuc/vuc.h>

#include "fake_server.h"

#define INTX VFIO_USER_PCI_INTX_IRQ_INDEX
#define MSIX VFIO_USER_PCI_MSIX_IRQ_INDEX
#define JSON "{\"capabilities\":{\"max_msg_fds\":8,\"max_dma_maps\":8}}"

/* The device: no regions; INTx, MSI and 8 MSI-X vectors. */
static const struct {
    uint32_t flags, count;
} irq_info[3] = {
    {VFIO_USER_IRQ_INFO_EVENTFD | VFIO_USER_IRQ_INFO_MASKABLE |
         VFIO_USER_IRQ_INFO_AUTOMASKED,
     1},
    {VFIO_USER_IRQ_INFO_EVENTFD | VFIO_USER_IRQ_INFO_NORESIZE, 1},
    {VFIO_USER_IRQ_INFO_EVENTFD | VFIO_USER_IRQ_INFO_NORESIZE, 8},
};

/* Answer VERSION, DEVICE_GET_INFO and the irq infos; msix is MSI-X's
 * vector count (8 for the same device). */
static void serve_discovery(struct fx *f, uint32_t msix)
{
    struct msg m;

    srv_version(f, 0, 0, JSON, true, NULL, 0);
    srv_device_info_flags(
        f, VFIO_USER_DEVICE_FLAGS_PCI | VFIO_USER_DEVICE_FLAGS_RESET, 0, 3);
    for (uint32_t i = 0; i < 3; i++) {
        srv_recv(f, &m, VFIO_USER_DEVICE_GET_IRQ_INFO);
        struct vfio_user_irq_info r = {16, irq_info[i].flags, i,
                                       i == MSIX ? msix : irq_info[i].count};
        srv_reply(f, &m, VFIO_USER_DEVICE_GET_IRQ_INFO, 0, 0, &r, sizeof(r),
                  NULL, 0);
    }
}

static struct vuc_dma_map *last_map;

static void map_cb(struct vuc_client *c, int result, struct vuc_dma_map *map,
                   void *arg)
{
    last_map = map;
    done_cb(c, result, arg);
}

static void close_fds(int *fds, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        close(fds[i]);
    }
}

/* Map size bytes; the server accepts. */
static struct vuc_dma_map *map(struct fx *f, size_t size, unsigned flags)
{
    struct msg m;
    int fds[8];
    unsigned nfds;

    f->done = false;
    assert_int_equal(vuc_dma_alloc_async(f->c, size, VUC_IOVA_ANY, flags,
                                         VUC_TIMEOUT_DEFAULT, map_cb, f),
                     0);
    srv_recv_fds(f, &m, VFIO_USER_DMA_MAP, fds, &nfds);
    close_fds(fds, nfds);
    srv_reply(f, &m, VFIO_USER_DMA_MAP, 0, 0, NULL, 0, NULL, 0);
    pump(f);
    assert_int_equal(f->result, 0);
    return last_map;
}

/* Enable vectors 0..count-1 of index; the server accepts. */
static void enable(struct fx *f, uint32_t index, uint32_t count)
{
    struct msg m;
    int fds[8];
    unsigned nfds;

    f->done = false;
    assert_int_equal(vuc_irq_enable_async(f->c, index, 0, count, NULL, NULL,
                                          VUC_TIMEOUT_DEFAULT, done_cb, f),
                     0);
    srv_recv_fds(f, &m, VFIO_USER_DEVICE_SET_IRQS, fds, &nfds);
    close_fds(fds, nfds);
    srv_reply(f, &m, VFIO_USER_DEVICE_SET_IRQS, 0, 0, NULL, 0, NULL, 0);
    pump(f);
    assert_int_equal(f->result, 0);
}

/* The maps the fixture made, for the tests to check against. */
static struct vuc_dma_map *shared, *noshare;

/* Connected with two maps and 4 MSI-X vectors; then the server goes. */
static int setup(void **state)
{
    fx_setup_opts(state, vuc_options_new());
    struct fx *f = *state;
    serve_discovery(f, 8);
    pump(f);
    assert_int_equal(f->result, 0);
    shared = map(f, 4096, VUC_DMA_READ | VUC_DMA_WRITE);
    noshare = map(f, 8192, VUC_DMA_READ | VUC_DMA_NOSHARE);
    enable(f, MSIX, 4);
    close(f->srv);
    f->srv = -1;
    pump_ms(f, 5);
    assert_false(vuc_is_connected(f->c));
    assert_int_equal(f->disconnects, 1);
    return 0;
}

/* Start a reconnect on a new socketpair; the server's end is f->srv. */
static void reconnect(struct fx *f)
{
    int sv[2];

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    if (f->srv >= 0) {
        close(f->srv);
    }
    f->srv = sv[0];
    f->done = false;
    f->ncalls = 0;
    assert_int_equal(vuc_reconnect_fd_async(f->c, sv[1], done_cb, f), 0);
}

/* The DMA_MAPs of a restore: each map once, in IOVA order, the shared one
 * with an fd onto its memory, the no-share one without. Replies with errs
 * (0 accepts). */
static void serve_maps(struct fx *f, uint32_t err_shared, uint32_t err_noshare)
{
    struct msg m;
    int fds[8];
    unsigned nfds;
    struct vfio_user_dma_map d;

    srv_recv_fds(f, &m, VFIO_USER_DMA_MAP, fds, &nfds);
    memcpy(&d, m.payload, sizeof(d));
    assert_int_equal(d.address, vuc_dma_iova(shared));
    assert_int_equal(d.size, 4096);
    assert_int_equal(d.flags, VFIO_USER_F_DMA_REGION_READ |
                                  VFIO_USER_F_DMA_REGION_WRITE);
    assert_int_equal(nfds, 1);
    close_fds(fds, nfds);
    srv_reply(f, &m, VFIO_USER_DMA_MAP, err_shared ? VFIO_USER_F_ERROR : 0,
              err_shared, NULL, 0, NULL, 0);

    srv_recv_fds(f, &m, VFIO_USER_DMA_MAP, fds, &nfds);
    memcpy(&d, m.payload, sizeof(d));
    assert_int_equal(d.address, vuc_dma_iova(noshare));
    assert_int_equal(d.size, 8192);
    assert_int_equal(d.flags, VFIO_USER_F_DMA_REGION_READ);
    assert_int_equal(nfds, 0);
    srv_reply(f, &m, VFIO_USER_DMA_MAP, err_noshare ? VFIO_USER_F_ERROR : 0,
              err_noshare, NULL, 0, NULL, 0);
}

/* The SET_IRQS of a restore: MSI-X vectors 0..3 with 4 eventfds. */
static void serve_irqs(struct fx *f, uint32_t err)
{
    struct msg m;
    int fds[8];
    unsigned nfds;
    struct vfio_user_irq_set s;

    srv_recv_fds(f, &m, VFIO_USER_DEVICE_SET_IRQS, fds, &nfds);
    memcpy(&s, m.payload, sizeof(s));
    assert_int_equal(s.index, MSIX);
    assert_int_equal(s.start, 0);
    assert_int_equal(s.count, 4);
    assert_int_equal(s.flags, VFIO_USER_IRQ_SET_DATA_EVENTFD |
                                  VFIO_USER_IRQ_SET_ACTION_TRIGGER);
    assert_int_equal(nfds, 4);
    close_fds(fds, nfds);
    srv_reply(f, &m, VFIO_USER_DEVICE_SET_IRQS, err ? VFIO_USER_F_ERROR : 0,
              err, NULL, 0, NULL, 0);
}

/* A reconnect that the server lets through: everything is set up again. */
static void reconnect_ok(struct fx *f)
{
    reconnect(f);
    serve_discovery(f, 8);
    serve_maps(f, 0, 0);
    serve_irqs(f, 0);
    pump(f);
    assert_int_equal(f->result, 0);
    assert_int_equal(f->ncalls, 1);
    assert_true(vuc_is_connected(f->c));
}

static void test_restores_maps_and_eventfds(void **state)
{
    struct fx *f = *state;

    reconnect_ok(f);
    assert_true(vuc_irq_enabled(f->c, MSIX, 3));
    assert_false(vuc_irq_enabled(f->c, MSIX, 4));
    /* The maps are the server's again: an unmap asks it. */
    struct msg m;
    f->done = false;
    assert_int_equal(
        vuc_dma_unmap_async(f->c, shared, VUC_TIMEOUT_DEFAULT, done_cb, f), 0);
    srv_recv(f, &m, VFIO_USER_DMA_UNMAP);
    srv_reply(f, &m, VFIO_USER_DMA_UNMAP, 0, 0, m.payload, m.len, NULL, 0);
    pump(f);
    assert_int_equal(f->result, 0);
    assert_int_equal(vuc_dma_count(f->c), 1);
}

/* A refused map fails the reconnect and closes the connection; the next
 * reconnect sends everything again. */
static void test_refused_map_then_retry(void **state)
{
    struct fx *f = *state;

    reconnect(f);
    serve_discovery(f, 8);
    serve_maps(f, 0, EINVAL);
    /* The irqs were sent too, in the same round: answer them. */
    serve_irqs(f, 0);
    expect_fail(f, -EINVAL, "reconnect: the server refused DMA_MAP of 0x");
    assert_int_equal(f->disconnects, 1); /* not a lost connection */
    assert_int_equal(vuc_dma_count(f->c), 2);

    reconnect_ok(f);
}

static void test_refused_eventfds(void **state)
{
    struct fx *f = *state;

    reconnect(f);
    serve_discovery(f, 8);
    serve_maps(f, 0, 0);
    serve_irqs(f, EBUSY);
    expect_fail(f, -EBUSY,
                "reconnect: giving the vectors their eventfds again failed: "
                "the server failed DEVICE_SET_IRQS");
    /* Still held: a retry sends the same eventfds. */
    reconnect_ok(f);
}

/* Reconnect as far as the restore's first DMA_MAP, left unanswered. */
static void reconnect_to_first_map(struct fx *f)
{
    struct msg m;
    int fds[8];
    unsigned nfds;

    reconnect(f);
    serve_discovery(f, 8);
    srv_recv_fds(f, &m, VFIO_USER_DMA_MAP, fds, &nfds);
    close_fds(fds, nfds);
}

/* The server vanishes half-way through the restore. */
static void test_server_gone_mid_restore(void **state)
{
    struct fx *f = *state;
    reconnect_to_first_map(f);
    close(f->srv);
    f->srv = -1;
    expect_fail(f, -ECONNRESET, "Connection reset by peer");
    assert_int_equal(vuc_dma_count(f->c), 2);

    reconnect_ok(f);
}

/* Fewer MSI-X vectors: another device. Nothing is sent, it says what
 * differs, and the old state waits for the right one. */
static void test_another_device(void **state)
{
    struct fx *f = *state;

    reconnect(f);
    serve_discovery(f, 4);
    expect_fail(f, -ENODEV,
                "reconnect: not the same device: MSIX had 8 vectors (flags "
                "0x9), has 4 (flags 0x9)");
    /* As before the attempt: the vectors are still held. */
    assert_true(vuc_irq_enabled(f->c, MSIX, 3));
    assert_false(vuc_irq_enabled(f->c, MSIX, 4));
    struct pollfd p = {f->srv, POLLIN, 0};
    assert_int_equal(poll(&p, 1, 0), 1); /* only the close: */
    char byte;
    assert_int_equal(read(f->srv, &byte, 1), 0);

    reconnect_ok(f);
}

/* Freeing the client with a restore in flight, or after a refused
 * reconnect put the old view back, leaks nothing (the teardown counts
 * fds). */
static void test_free_mid_restore(void **state)
{
    struct fx *f = *state;
    reconnect_to_first_map(f);
    vuc_client_free(f->c);
    f->c = NULL;
    assert_int_equal(f->ncalls, 1);
    assert_int_equal(f->result, -ECANCELED);
}

static void test_free_after_refusal(void **state)
{
    struct fx *f = *state;

    reconnect(f);
    serve_discovery(f, 4);
    expect_fail(f, -ENODEV, "not the same device");
}

/* Reconnecting while connected is refused; so is a bad fd. */
static void test_refusals(void **state)
{
    struct fx *f = *state;

    assert_int_equal(vuc_reconnect_fd_async(f->c, -1, done_cb, f), -EBADF);
    reconnect(f);
    assert_int_equal(vuc_disconnect(f->c), 0);
    pump(f);
    assert_int_equal(f->result, -ECANCELED);
    reconnect_ok(f);
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    close(sv[0]);
    assert_int_equal(vuc_reconnect_fd_async(f->c, sv[1], done_cb, f), -EISCONN);
}

/* Connected with INTx (automasked) enabled, masked by the caller when
 * mask is set; then the server goes. */
static void connect_intx(void **state, bool mask)
{
    fx_setup_opts(state, vuc_options_new());
    struct fx *f = *state;
    struct msg m;

    serve_discovery(f, 8);
    pump(f);
    assert_int_equal(f->result, 0);
    enable(f, INTX, 1);
    if (mask) {
        f->done = false;
        assert_int_equal(vuc_irq_action_async(
                             f->c, INTX, 0, 1, VFIO_USER_IRQ_SET_ACTION_MASK,
                             NULL, VUC_TIMEOUT_DEFAULT, done_cb, f),
                         0);
        srv_recv(f, &m, VFIO_USER_DEVICE_SET_IRQS);
        srv_reply(f, &m, VFIO_USER_DEVICE_SET_IRQS, 0, 0, NULL, 0, NULL, 0);
        pump(f);
        assert_int_equal(f->result, 0);
    }
    close(f->srv);
    f->srv = -1;
    pump_ms(f, 5);
    assert_false(vuc_is_connected(f->c));
}

static int setup_intx(void **state)
{
    connect_intx(state, false);
    return 0;
}

static int setup_intx_masked(void **state)
{
    connect_intx(state, true);
    return 0;
}

/* The INTx eventfd again; with unmask, then an UNMASK of vector 0. */
static void serve_intx(struct fx *f, bool unmask)
{
    struct msg m;
    int fds[8];
    unsigned nfds;
    struct vfio_user_irq_set s;

    srv_recv_fds(f, &m, VFIO_USER_DEVICE_SET_IRQS, fds, &nfds);
    memcpy(&s, m.payload, sizeof(s));
    assert_int_equal(s.index, INTX);
    assert_int_equal(s.flags, VFIO_USER_IRQ_SET_DATA_EVENTFD |
                                  VFIO_USER_IRQ_SET_ACTION_TRIGGER);
    assert_int_equal(nfds, 1);
    close_fds(fds, nfds);
    srv_reply(f, &m, VFIO_USER_DEVICE_SET_IRQS, 0, 0, NULL, 0, NULL, 0);
    if (unmask) {
        srv_recv(f, &m, VFIO_USER_DEVICE_SET_IRQS);
        memcpy(&s, m.payload, sizeof(s));
        assert_int_equal(s.index, INTX);
        assert_int_equal(s.start, 0);
        assert_int_equal(s.count, 1);
        assert_int_equal(s.flags, VFIO_USER_IRQ_SET_DATA_NONE |
                                      VFIO_USER_IRQ_SET_ACTION_UNMASK);
        srv_reply(f, &m, VFIO_USER_DEVICE_SET_IRQS, 0, 0, NULL, 0, NULL, 0);
    }
    pump(f);
    assert_int_equal(f->result, 0);
    struct pollfd p = {f->srv, POLLIN, 0};
    assert_int_equal(poll(&p, 1, 0), 0); /* nothing more */
}

/* An automatic unmask lost with the old connection would leave INTx
 * masked for good: a reconnect unmasks it. */
static void test_unmasks_automasked(void **state)
{
    struct fx *f = *state;

    reconnect(f);
    serve_discovery(f, 8);
    serve_intx(f, true);
}

/* What the caller masked stays masked. */
static void test_keeps_caller_mask(void **state)
{
    struct fx *f = *state;

    reconnect(f);
    serve_discovery(f, 8);
    serve_intx(f, false);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, fx_teardown)
        T(test_restores_maps_and_eventfds),
        T(test_refused_map_then_retry),
        T(test_refused_eventfds),
        T(test_server_gone_mid_restore),
        T(test_another_device),
        T(test_free_mid_restore),
        T(test_free_after_refusal),
        T(test_refusals),
#undef T
        cmocka_unit_test_setup_teardown(test_unmasks_automasked, setup_intx,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_keeps_caller_mask,
                                        setup_intx_masked, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
