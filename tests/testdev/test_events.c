/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * events.c on its own: the timers and watched fds that personalities use
 * (none of the default device's tests reaches them), against a clock the
 * test moves by hand.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>

#include "testdev.h"

static uint64_t fake_now;

uint64_t td_now_ns(void)
{
    return fake_now;
}

static struct testdev td;
static int calls[4];
static int watched_fd = -1;

static int on_event(struct testdev *t, void *arg)
{
    int *n = arg;

    assert_ptr_equal(t, &td);
    (*n)++;
    return 0;
}

static int on_event_fail(struct testdev *t, void *arg)
{
    (void)t;
    (void)arg;
    return -ECONNRESET;
}

/* Drains its pipe and stops watching it from inside the handler. */
static int on_readable(struct testdev *t, void *arg)
{
    char b;

    assert_int_equal(read(watched_fd, &b, 1), 1);
    td_unwatch_fd(t, watched_fd);
    return on_event(t, arg);
}

static int setup(void **state)
{
    (void)state;
    td = (struct testdev){.pers = NULL};
    fake_now = 1000;
    for (size_t i = 0; i < 4; i++)
        calls[i] = 0;
    return 0;
}

static void test_timer_fires_once_at_deadline(void **state)
{
    (void)state;
    assert_int_equal(events_next_deadline(&td), UINT64_MAX);
    assert_int_equal(td_timer_set(&td, 1500, on_event, &calls[0]), 0);
    assert_int_equal(events_next_deadline(&td), 1500);
    assert_false(events_ready(&td));
    assert_int_equal(events_run(&td), 0);
    assert_int_equal(calls[0], 0);

    fake_now = 1500;
    assert_true(events_ready(&td));
    assert_int_equal(events_run(&td), 0);
    assert_int_equal(calls[0], 1);
    /* Gone once run. */
    assert_int_equal(events_next_deadline(&td), UINT64_MAX);
    assert_int_equal(events_run(&td), 0);
    assert_int_equal(calls[0], 1);
}

static void test_timer_moves_and_cancels(void **state)
{
    (void)state;
    assert_int_equal(td_timer_set(&td, 5000, on_event, &calls[0]), 0);
    assert_int_equal(td_timer_set(&td, 3000, on_event, &calls[1]), 0);
    /* Same fn and arg: moved, not added. */
    assert_int_equal(td_timer_set(&td, 2000, on_event, &calls[0]), 0);
    assert_int_equal(events_next_deadline(&td), 2000);
    td_timer_cancel(&td, on_event, &calls[0]);
    assert_int_equal(events_next_deadline(&td), 3000);
    fake_now = 10000;
    assert_int_equal(events_run(&td), 0);
    assert_int_equal(calls[0], 0);
    assert_int_equal(calls[1], 1);
}

static void test_timer_table_full(void **state)
{
    static int args[TD_MAX_TIMERS + 1];
    size_t i;

    (void)state;
    for (i = 0; i < TD_MAX_TIMERS; i++)
        assert_int_equal(td_timer_set(&td, 2000, on_event, &args[i]), 0);
    assert_int_equal(td_timer_set(&td, 2000, on_event, &args[i]), -ENOSPC);
}

static void test_timer_error_ends_run(void **state)
{
    (void)state;
    assert_int_equal(td_timer_set(&td, 1000, on_event_fail, NULL), 0);
    assert_int_equal(events_run(&td), -ECONNRESET);
}

static void test_watched_fd(void **state)
{
    int p[2];

    (void)state;
    assert_int_equal(pipe(p), 0);
    watched_fd = p[0];
    assert_int_equal(td_watch_fd(&td, p[0], on_readable, &calls[2]), 0);
    assert_false(events_ready(&td));
    assert_int_equal(write(p[1], "x", 1), 1);
    assert_true(events_ready(&td));
    assert_int_equal(events_run(&td), 0);
    assert_int_equal(calls[2], 1);
    /* The handler unwatched it: more data calls nobody. */
    assert_int_equal(write(p[1], "y", 1), 1);
    assert_false(events_ready(&td));
    assert_int_equal(events_run(&td), 0);
    assert_int_equal(calls[2], 1);
    close(p[0]);
    close(p[1]);
}

static void test_watch_table_full(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < TD_MAX_WATCHES; i++)
        assert_int_equal(td_watch_fd(&td, (int)i + 100, on_event, NULL), 0);
    assert_int_equal(td_watch_fd(&td, 99, on_event, NULL), -ENOSPC);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_timer_fires_once_at_deadline, setup),
        cmocka_unit_test_setup(test_timer_moves_and_cancels, setup),
        cmocka_unit_test_setup(test_timer_table_full, setup),
        cmocka_unit_test_setup(test_timer_error_ends_run, setup),
        cmocka_unit_test_setup(test_watched_fd, setup),
        cmocka_unit_test_setup(test_watch_table_full, setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
