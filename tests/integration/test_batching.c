/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Batching of small posted writes into REGION_WRITE_MULTI against
 * vuc-testdev: cork/uncork, the end of a dispatch turn, and the messages a
 * batch must leave before. The write log in BAR1 shows what the device
 * applied and in which order; the posting statistics show how it travelled.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <event2/event.h>

#include <vuc/vuc.h>

#include "testdev_fixture.h"
#include "testdev_regs.h"

#define BAR0 VFIO_USER_PCI_BAR0_REGION_INDEX
#define BAR1 VFIO_USER_PCI_BAR1_REGION_INDEX
#define MSIX VFIO_USER_PCI_MSIX_IRQ_INDEX

static struct vuc_client *posted_client(struct fx *f)
{
    struct vuc_client *c = client_new(f, true, 0);
    connect_ok(f, c);
    assert_int_equal(vuc_set_posting(c, VUC_POSTING_POSTED), 0);
    assert_true(vuc_get_caps(c)->write_multiple);
    return c;
}

static struct vuc_posting_stats stats(struct vuc_client *c)
{
    struct vuc_posting_stats s;
    vuc_get_posting_stats(c, &s);
    return s;
}

/* Blocking posted writes of 1000 + i to the scratch registers. */
static void write_run(struct vuc_client *c, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        write32(c, BAR0, TESTDEV_REG_SCRATCH(i % 8), 1000 + i);
    }
}

static void test_cork_batches_to_the_limit(void **state)
{
    struct fx *f = *state;
    dev_start(f, NULL);
    f->c = posted_client(f);
    assert_int_equal(vuc_fence(f->c), 0);
    uint32_t before = log_count(f->c);

    assert_int_equal(vuc_cork(f->c), 0);
    write_run(f->c, 150);
    /* Held: nothing travelled yet. */
    assert_int_equal(stats(f->c).multi_msgs, 0);
    write_run(f->c, 300);
    /* Two full batches of 200 left as soon as they filled. */
    assert_int_equal(stats(f->c).multi_msgs, 2);
    assert_int_equal(stats(f->c).multi_writes, 400);
    assert_int_equal(vuc_uncork(f->c), 0);
    struct vuc_posting_stats s = stats(f->c);
    assert_int_equal(s.multi_msgs, 3);
    assert_int_equal(s.multi_writes, 450);
    assert_int_equal(s.posted, 450);

    assert_int_equal(vuc_fence(f->c), 0);
    uint32_t after = log_count(f->c);
    assert_int_equal(after - before, 450);
    for (uint32_t age = 0; age < TESTDEV_LOG_RING; age++) {
        uint32_t i = 299 - age; /* the second run's writes, newest first */
        assert_int_equal(log_value(f->c, after, age), 1000 + i);
    }
}

static void test_cork_nests_and_refuses_extra_uncork(void **state)
{
    struct fx *f = *state;
    dev_start(f, NULL);
    f->c = posted_client(f);

    assert_int_equal(vuc_uncork(f->c), -EINVAL);
    assert_non_null(strstr(vuc_strerror(f->c), "not corked"));
    assert_int_equal(vuc_cork(f->c), 0);
    assert_int_equal(vuc_cork(f->c), 0);
    write_run(f->c, 3);
    assert_int_equal(vuc_uncork(f->c), 0);
    assert_int_equal(stats(f->c).multi_msgs, 0); /* still corked once */
    assert_int_equal(vuc_uncork(f->c), 0);
    assert_int_equal(stats(f->c).multi_msgs, 1);
    assert_int_equal(vuc_uncork(f->c), -EINVAL);
}

/* A message ordered after the batch makes it leave first. */
static void test_read_leaves_after_the_batch(void **state)
{
    struct fx *f = *state;
    dev_start(f, NULL);
    f->c = posted_client(f);

    assert_int_equal(vuc_cork(f->c), 0);
    write32(f->c, BAR0, TESTDEV_REG_SCRATCH(0), 7);
    write32(f->c, BAR0, TESTDEV_REG_SCRATCH(0), 8);
    assert_int_equal(read32(f->c, BAR0, TESTDEV_REG_SCRATCH(0)), 8);
    assert_int_equal(stats(f->c).multi_msgs, 1);
    /* A write too large to batch goes after the batch too. */
    write32(f->c, BAR0, TESTDEV_REG_SCRATCH(1), 9);
    uint32_t wide[3] = {0xa, 0xb, 0xc};
    assert_int_equal(vuc_region_write(f->c, BAR0, TESTDEV_REG_SCRATCH(1), wide,
                                      sizeof(wide)),
                     0);
    assert_int_equal(stats(f->c).multi_msgs, 2);
    assert_int_equal(vuc_uncork(f->c), 0);
    assert_int_equal(stats(f->c).multi_msgs, 2);
    assert_int_equal(read32(f->c, BAR0, TESTDEV_REG_SCRATCH(1)), 0xa);
}

/* A corked write that fires an interrupt is sent before the wait. */
static void test_irq_wait_sends_corked_writes(void **state)
{
    struct fx *f = *state;
    dev_start(f, NULL);
    f->c = posted_client(f);
    assert_int_equal(vuc_irq_enable(f->c, MSIX, 0, 1, NULL, NULL), 0);

    assert_int_equal(vuc_cork(f->c), 0);
    write32(f->c, BAR0, TESTDEV_REG_IRQ_SELECT, TESTDEV_IRQ_SELECT(MSIX, 0));
    write32(f->c, BAR0, TESTDEV_REG_IRQ_FIRE, 1);
    struct vuc_irq_event ev;
    assert_int_equal(vuc_irq_wait(f->c, MSIX, 0, 5000, &ev), 0);
    assert_int_equal(stats(f->c).multi_msgs, 1);
    assert_int_equal(vuc_uncork(f->c), 0);
}

struct dispatch {
    struct vuc_client *c;
    uint32_t v;
    uint64_t msgs_inside;
    int done;
};

static void dispatch_read_done(struct vuc_client *c, int result, void *arg)
{
    struct dispatch *d = arg;
    assert_int_equal(result, 0);
    for (uint32_t i = 0; i < 10; i++) {
        uint32_t v = 2000 + i;
        assert_int_equal(
            vuc_region_write(c, BAR0, TESTDEV_REG_SCRATCH(2), &v, sizeof(v)),
            0);
    }
    d->msgs_inside = stats(c).multi_msgs;
    d->done = 1;
}

/* Writes issued inside a callback leave together when it returns. */
static void test_writes_in_a_callback_leave_together(void **state)
{
    struct fx *f = *state;
    dev_start(f, NULL);
    f->c = posted_client(f);
    struct dispatch d = {.c = f->c};

    assert_int_equal(vuc_region_read_async(f->c, BAR0, TESTDEV_REG_SCRATCH(2),
                                           &d.v, 4, VUC_TIMEOUT_DEFAULT,
                                           dispatch_read_done, &d),
                     0);
    while (!d.done) {
        event_base_loop(f->base, EVLOOP_ONCE);
    }
    assert_int_equal(d.msgs_inside, 0);
    struct vuc_posting_stats s = stats(f->c);
    assert_int_equal(s.multi_msgs, 1);
    assert_int_equal(s.multi_writes, 10);
    assert_int_equal(read32(f->c, BAR0, TESTDEV_REG_SCRATCH(2)), 2009);
    /* Outside the loop a blocking caller's write leaves alone, at once. */
    write32(f->c, BAR0, TESTDEV_REG_SCRATCH(2), 1);
    s = stats(f->c);
    assert_int_equal(s.multi_msgs, 1);
    assert_int_equal(s.posted, 11);
}

/* Writes still held when the connection ends are reported, not lost
 * silently. */
static void test_held_writes_on_connection_loss(void **state)
{
    struct fx *f = *state;
    dev_start(f, NULL);
    f->c = posted_client(f);

    assert_int_equal(vuc_cork(f->c), 0);
    write_run(f->c, 5);
    dev_stop(f);
    while (vuc_is_connected(f->c)) {
        event_base_loop(f->base, EVLOOP_ONCE);
    }
    assert_non_null(strstr(f->log, "5 posted writes held"));
    assert_int_equal(vuc_fence(f->c), -ENOTCONN);
    assert_non_null(strstr(vuc_strerror(f->c), "5 posted writes held"));
    assert_int_equal(vuc_uncork(f->c), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
        T(test_cork_batches_to_the_limit),
        T(test_cork_nests_and_refuses_extra_uncork),
        T(test_read_leaves_after_the_batch),
        T(test_irq_wait_sends_corked_writes),
        T(test_writes_in_a_callback_leave_together),
        T(test_held_writes_on_connection_loss),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
