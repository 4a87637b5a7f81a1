/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Connecting to a server that does not accept: a socket bound and
 * listening whose backlog is full. The connect must never block the event
 * loop, must end with -ETIMEDOUT after the client's timeout saying the
 * server did not accept (not that it did not answer VERSION), and must
 * complete from the loop as soon as the server makes room.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include <vuc/vuc.h>

#include "testdev_fixture.h"
#include "testdev_regs.h"

#define BAR0 VFIO_USER_PCI_BAR0_REGION_INDEX
#define TIMEOUT_MS 300

/* A listener that accepts nothing, and the connection that fills its
 * backlog (listen(0) takes one). */
struct jam {
    char path[160];
    int lfd, filler;
};

static void jam_open(struct fx *f, struct jam *j)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};

    snprintf(j->path, sizeof(j->path), "%s/jam.sock", f->dir);
    strcpy(sa.sun_path, j->path);
    j->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(j->lfd >= 0);
    assert_int_equal(bind(j->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(j->lfd, 0), 0);
    j->filler = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    assert_int_equal(connect(j->filler, (struct sockaddr *)&sa, sizeof(sa)), 0);
    /* The backlog is full now: one more connect would wait. */
    int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    assert_int_equal(connect(probe, (struct sockaddr *)&sa, sizeof(sa)), -1);
    assert_int_equal(errno, EAGAIN);
    close(probe);
}

static void jam_close(struct jam *j)
{
    if (j->filler >= 0) {
        close(j->filler);
    }
    close(j->lfd);
    unlink(j->path);
}

struct done {
    int calls;
    int result;
    char text[512];
};

static void done_cb(struct vuc_client *c, int result, void *arg)
{
    struct done *d = arg;
    d->calls++;
    d->result = result;
    snprintf(d->text, sizeof(d->text), "%s", vuc_strerror(c));
}

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
    (*(int *)arg)++;
}

static void run_until(struct fx *f, const struct done *d)
{
    while (d->calls == 0) {
        assert_int_equal(event_base_loop(f->base, EVLOOP_ONCE), 0);
    }
}

static void assert_not_accepted(const struct done *d)
{
    assert_int_equal(d->calls, 1);
    assert_int_equal(d->result, -ETIMEDOUT);
    if (strstr(d->text, "did not accept the connection") == NULL) {
        fail_msg("unexpected text: %s", d->text);
    }
}

/* The async call returns at once and the loop keeps serving other events
 * (a 10 ms ticker) while the connect waits. */
static void test_async_never_blocks(void **state)
{
    struct fx *f = *state;
    struct jam j;
    struct done d = {0};
    int ticks = 0;

    jam_open(f, &j);
    f->c = client_new(f, true, TIMEOUT_MS);
    struct event *tick = event_new(f->base, -1, EV_PERSIST, tick_cb, &ticks);
    struct timeval tv = {0, 10000};
    event_add(tick, &tv);

    assert_int_equal(vuc_connect_path_async(f->c, j.path, done_cb, &d), 0);
    assert_int_equal(d.calls, 0);
    assert_int_equal(vuc_connect_path_async(f->c, j.path, done_cb, &d),
                     -EISCONN);
    run_until(f, &d);
    assert_not_accepted(&d);
    assert_true(ticks > 0);
    assert_false(vuc_is_connected(f->c));
    event_free(tick);
    jam_close(&j);
}

static void test_sync_times_out(void **state)
{
    struct fx *f = *state;
    struct jam j;

    jam_open(f, &j);
    f->c = client_new(f, true, TIMEOUT_MS);
    assert_int_equal(vuc_connect_path(f->c, j.path), -ETIMEDOUT);
    if (strstr(vuc_strerror(f->c), "did not accept the connection") == NULL) {
        fail_msg("unexpected text: %s", vuc_strerror(f->c));
    }
    jam_close(&j);
}

/* The server makes room (accepts the connection ahead of ours) while we
 * wait: the connect goes through from the loop, and what fails next is
 * VERSION, with its own words. */
static void accept_filler(evutil_socket_t fd, short what, void *arg)
{
    struct jam *j = arg;
    int s = accept(j->lfd, NULL, NULL);
    assert_true(s >= 0);
    close(s);
}

static void test_completes_when_accepted(void **state)
{
    struct fx *f = *state;
    struct jam j;
    struct done d = {0};

    jam_open(f, &j);
    f->c = client_new(f, true, TIMEOUT_MS);
    assert_int_equal(vuc_connect_path_async(f->c, j.path, done_cb, &d), 0);
    struct timeval tv = {0, 20000};
    assert_int_equal(
        event_base_once(f->base, -1, EV_TIMEOUT, accept_filler, &j, &tv), 0);
    run_until(f, &d);
    assert_int_equal(d.calls, 1);
    assert_int_equal(d.result, -ETIMEDOUT);
    if (strstr(d.text, "did not answer VERSION") == NULL) {
        fail_msg("unexpected text: %s", d.text);
    }
    jam_close(&j);
}

/* A reconnect that finds the server not accepting fails the same way and
 * keeps what it held, so the next reconnect to the real server works. */
static void test_reconnect(void **state)
{
    struct fx *f = *state;
    struct jam j;
    uint32_t magic = TESTDEV_CRASH_MAGIC;

    dev_start(f, NULL);
    jam_open(f, &j);
    f->c = client_new(f, true, TIMEOUT_MS);
    connect_ok(f, f->c);
    write32(f->c, BAR0, TESTDEV_REG_SCRATCH(0), 0x5a5a1234);
    assert_int_equal(
        vuc_region_write(f->c, BAR0, TESTDEV_REG_CRASH, &magic, sizeof(magic)),
        -ECONNRESET);

    struct done d = {0};
    assert_int_equal(vuc_reconnect_path_async(f->c, j.path, done_cb, &d), 0);
    run_until(f, &d);
    assert_not_accepted(&d);
    assert_int_equal(vuc_reconnect_path(f->c, j.path), -ETIMEDOUT);

    int rc = vuc_reconnect_path(f->c, f->sock);
    if (rc != 0) {
        fail_msg("reconnect: %d %s", rc, vuc_strerror(f->c));
    }
    assert_int_equal(read32(f->c, BAR0, TESTDEV_REG_SCRATCH(0)), 0x5a5a1234);
    jam_close(&j);
}

/* Freed or disconnected while waiting: the callback runs once with
 * -ECANCELED, and the waiting socket is closed (the fixture counts fds). */
static void free_in_cb(struct vuc_client *c, int result, void *arg)
{
    done_cb(c, result, arg);
}

static void test_cancel_while_waiting(void **state)
{
    struct fx *f = *state;
    struct jam j;
    struct done d = {0}, e = {0};

    jam_open(f, &j);
    f->c = client_new(f, true, TIMEOUT_MS);
    assert_int_equal(vuc_connect_path_async(f->c, j.path, done_cb, &d), 0);
    assert_int_equal(vuc_disconnect(f->c), 0);
    assert_int_equal(d.calls, 1);
    assert_int_equal(d.result, -ECANCELED);

    assert_int_equal(vuc_connect_path_async(f->c, j.path, free_in_cb, &e), 0);
    vuc_client_free(f->c);
    f->c = NULL;
    assert_int_equal(e.calls, 1);
    assert_int_equal(e.result, -ECANCELED);
    /* Nothing fires later. */
    assert_int_equal(event_base_loop(f->base, EVLOOP_NONBLOCK), 1);
    assert_int_equal(d.calls, 1);
    jam_close(&j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_async_never_blocks, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_sync_times_out, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_completes_when_accepted, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_reconnect, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_cancel_while_waiting, fx_setup,
                                        fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
