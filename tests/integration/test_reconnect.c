/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reconnecting against vuc-testdev: after the connection ends (the server
 * drops it, restarts, or the client closes it), vuc_reconnect_*() sets up
 * the DMA maps and the vectors' eventfds again, so the device's DMA engine
 * and interrupts work as before, through the same handles.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include <vuc/vuc.h>

#include "testdev_fixture.h"
#include "testdev_regs.h"

#define BAR0 VFIO_USER_PCI_BAR0_REGION_INDEX
#define MSIX VFIO_USER_PCI_MSIX_IRQ_INDEX

static uint64_t msix_events[32];

static void irq_cb(struct vuc_client *c, uint32_t index, uint32_t vector,
                   uint64_t count, void *arg)
{
    msix_events[vector] += count;
}

static struct vuc_client *open_client(struct fx *f)
{
    struct vuc_client *c = client_new(f, true, 0);
    connect_ok(f, c);
    return c;
}

/* Run the loop until the client has seen its connection end. */
static void wait_disconnect(struct fx *f)
{
    for (int i = 0; i < 500 && vuc_is_connected(f->c); i++) {
        event_base_loop(f->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
        poll(NULL, 0, 2);
    }
    assert_false(vuc_is_connected(f->c));
}

/* The server drops the connection (and with it our maps and eventfds). */
static void server_drops(struct fx *f)
{
    uint32_t magic = TESTDEV_CRASH_MAGIC;
    /* Unanswered by design: the write fails with the connection. */
    assert_int_equal(
        vuc_region_write(f->c, BAR0, TESTDEV_REG_CRASH, &magic, sizeof(magic)),
        -ECONNRESET);
    assert_false(vuc_is_connected(f->c));
}

static void fire(struct vuc_client *c, uint32_t vector)
{
    write32(c, BAR0, TESTDEV_REG_IRQ_SELECT, TESTDEV_IRQ_SELECT(MSIX, vector));
    write32(c, BAR0, TESTDEV_REG_IRQ_FIRE, 1);
}

struct setup {
    struct vuc_dma_map *shared, *noshare;
    int caller_efd; /* the caller's eventfd on MSI-X vector 5 */
};

/* Two maps (one the server may mmap, one it must reach by message), libvuc
 * eventfds on MSI-X 0..3 and the caller's own on vector 5. */
static void set_up(struct fx *f, struct setup *s)
{
    memset(msix_events, 0, sizeof(msix_events));
    assert_int_equal(vuc_dma_alloc(f->c, 8192, VUC_IOVA_ANY,
                                   VUC_DMA_READ | VUC_DMA_WRITE, &s->shared),
                     0);
    assert_int_equal(
        vuc_dma_alloc(f->c, 8192, VUC_IOVA_ANY,
                      VUC_DMA_READ | VUC_DMA_WRITE | VUC_DMA_NOSHARE,
                      &s->noshare),
        0);
    assert_int_equal(vuc_irq_enable(f->c, MSIX, 0, 4, irq_cb, NULL), 0);
    s->caller_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    assert_true(s->caller_efd >= 0);
    assert_int_equal(vuc_irq_set_eventfds(f->c, MSIX, 5, 1, &s->caller_efd), 0);
    fire(f->c, 2);
    assert_int_equal(
        vuc_irq_wait(f->c, MSIX, 2, 1000, &(struct vuc_irq_event){0}), 0);
}

/* What set_up() made works: both maps reach the engine, both kinds of
 * eventfd are signalled, and libvuc's counts went on from before. */
static void check_set_up(struct fx *f, struct setup *s, unsigned seed)
{
    uint8_t *a = vuc_dma_vaddr(s->shared);
    uint8_t out[4096];

    for (unsigned i = 0; i < 4096; i++) {
        a[i] = (uint8_t)(i * 7 + seed);
    }
    assert_int_equal(dma_job(f->c, vuc_dma_iova(s->shared),
                             vuc_dma_iova(s->noshare), 4096, 0),
                     0);
    assert_int_equal(vuc_dma_read(f->c, vuc_dma_iova(s->noshare), out, 4096),
                     0);
    assert_memory_equal(out, a, 4096);
    assert_int_equal(dma_job(f->c, vuc_dma_iova(s->noshare),
                             vuc_dma_iova(s->shared) + 4096, 4096,
                             TESTDEV_DMA_CTRL_FORCE_MSG),
                     0);
    assert_memory_equal(a + 4096, a, 4096);

    uint64_t before = vuc_irq_total(f->c, MSIX, 2);
    fire(f->c, 2);
    struct vuc_irq_event ev;
    assert_int_equal(vuc_irq_wait(f->c, MSIX, 2, 1000, &ev), 0);
    assert_int_equal(vuc_irq_total(f->c, MSIX, 2), before + 1);
    assert_int_equal(msix_events[2], before + 1);

    fire(f->c, 5);
    struct pollfd p = {.fd = s->caller_efd, .events = POLLIN};
    assert_int_equal(poll(&p, 1, 1000), 1);
    uint64_t n;
    assert_int_equal(read(s->caller_efd, &n, sizeof(n)), sizeof(n));
    assert_int_equal(n, 1);
}

/* The server drops the connection but keeps running (and keeps the
 * device's state): a reconnect finds both. */
static void test_reconnect_after_server_drop(void **state)
{
    struct fx *f = *state;
    struct setup s;
    dev_start(f, NULL);
    f->c = open_client(f);
    set_up(f, &s);
    write32(f->c, BAR0, TESTDEV_REG_SCRATCH(3), 0x5eed);
    int fds = count_fds();

    server_drops(f);
    assert_int_equal(f->disconnects, 1);
    assert_int_equal(f->disconnect_result, -ECONNRESET);
    /* Meanwhile the handles and the memory stay ours. */
    assert_int_equal(vuc_dma_count(f->c), 2);
    ((uint8_t *)vuc_dma_vaddr(s.shared))[0] = 1;
    assert_true(vuc_irq_enabled(f->c, MSIX, 3));
    assert_int_equal(vuc_irq_total(f->c, MSIX, 2), 1);

    assert_int_equal(vuc_reconnect_path(f->c, f->sock), 0);
    assert_true(vuc_is_connected(f->c));
    assert_int_equal(read32(f->c, BAR0, TESTDEV_REG_SCRATCH(3)), 0x5eed);
    check_set_up(f, &s, 1);
    assert_int_equal(count_fds(), fds);
    close(s.caller_efd);
}

/* A server that restarts has lost the device's state, but a reconnect still
 * gives it our maps and eventfds. */
static void test_reconnect_after_server_restart(void **state)
{
    struct fx *f = *state;
    struct setup s;
    dev_start(f, NULL);
    f->c = open_client(f);
    set_up(f, &s);

    dev_stop(f);
    wait_disconnect(f);
    assert_int_equal(vuc_reconnect_path(f->c, f->sock), -ENOENT);
    assert_non_null(strstr(vuc_strerror(f->c), "cannot connect to"));
    dev_start(f, NULL);
    assert_int_equal(vuc_reconnect_path(f->c, f->sock), 0);
    check_set_up(f, &s, 2);
    /* Unmapping goes to the server again. */
    assert_int_equal(vuc_dma_unmap(f->c, s.shared), 0);
    assert_int_equal(vuc_dma_count(f->c), 1);
    close(s.caller_efd);
}

/* vuc_disconnect() keeps what a reconnect needs; a fresh connect does not. */
static void test_disconnect_then_reconnect(void **state)
{
    struct fx *f = *state;
    struct setup s;
    dev_start(f, NULL);
    f->c = open_client(f);
    set_up(f, &s);

    assert_int_equal(vuc_disconnect(f->c), 0);
    assert_false(vuc_is_connected(f->c));
    assert_int_equal(f->disconnects, 0); /* the caller's own doing */
    assert_int_equal(vuc_disconnect(f->c), -ENOTCONN);
    assert_int_equal(vuc_reconnect_path(f->c, f->sock), 0);
    assert_int_equal(vuc_reconnect_path(f->c, f->sock), -EISCONN);
    check_set_up(f, &s, 3);

    /* A plain connect starts from nothing: the eventfds go (the maps stay
     * as handles the caller must unmap, now only local). */
    assert_int_equal(vuc_disconnect(f->c), 0);
    int fds = count_fds();
    connect_ok(f, f->c);
    assert_false(vuc_irq_enabled(f->c, MSIX, 0));
    assert_false(vuc_irq_enabled(f->c, MSIX, 5));
    assert_true(count_fds() < fds);
    assert_int_equal(vuc_dma_unmap(f->c, s.shared), 0);
    assert_int_equal(vuc_dma_unmap(f->c, s.noshare), 0);
    close(s.caller_efd);
}

/*
 * The server restarts as something the held state does not fit (opt is
 * its option): the reconnect fails with err and a text naming why, nothing
 * is lost, and a reconnect to the right server afterwards sets it all up.
 */
static void refused_then_restored(struct fx *f, const char *opt, int err,
                                  const char *why, unsigned seed)
{
    struct setup s;
    dev_start(f, NULL);
    f->c = open_client(f);
    set_up(f, &s);

    dev_stop(f);
    wait_disconnect(f);
    dev_start(f, opt, NULL);
    assert_int_equal(vuc_reconnect_path(f->c, f->sock), err);
    if (strstr(vuc_strerror(f->c), why) == NULL) {
        fail_msg("error text \"%s\" lacks \"%s\"", vuc_strerror(f->c), why);
    }
    assert_false(vuc_is_connected(f->c));
    assert_int_equal(vuc_dma_count(f->c), 2);
    assert_true(vuc_irq_enabled(f->c, MSIX, 5));

    dev_stop(f);
    dev_start(f, NULL);
    assert_int_equal(vuc_reconnect_path(f->c, f->sock), 0);
    check_set_up(f, &s, seed);
    close(s.caller_efd);
}

/* Another device behind the socket: refused by name, nothing sent. */
static void test_reconnect_to_another_device(void **state)
{
    refused_then_restored(*state, "--no-reset", -ENODEV,
                          "reconnect: not the same device: its flags were "
                          "0x3, are 0x2",
                          4);
}

/* A server that cannot take every map: refused before anything is sent. */
static void test_reconnect_too_many_maps(void **state)
{
    refused_then_restored(*state, "--max-dma-maps=1", -ENOSPC,
                          "reconnect: 2 DMA maps to set up again, but the "
                          "server takes at most 1",
                          5);
}

/* Without an earlier connection a reconnect is a connect. */
static void test_reconnect_first_time(void **state)
{
    struct fx *f = *state;
    dev_start(f, NULL);
    f->c = client_new(f, true, 0);
    assert_int_equal(vuc_disconnect(f->c), -ENOTCONN);
    assert_int_equal(vuc_reconnect_path(f->c, f->sock), 0);
    assert_int_equal(read32(f->c, BAR0, TESTDEV_REG_MAGIC), TESTDEV_MAGIC);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
        T(test_reconnect_after_server_drop),
        T(test_reconnect_after_server_restart),
        T(test_disconnect_then_reconnect),
        T(test_reconnect_to_another_device),
        T(test_reconnect_too_many_maps),
        T(test_reconnect_first_time),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
