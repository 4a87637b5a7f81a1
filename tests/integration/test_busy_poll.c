/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Busy polling of blocking calls against vuc-testdev: results are those of
 * the sleeping client, a blocking call spins (burns CPU) while it waits and
 * still times out, and the bound is enforced.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <event2/event.h>

#include <vuc/vuc.h>

#include "testdev_fixture.h"
#include "testdev_regs.h"

#define BAR0 VFIO_USER_PCI_BAR0_REGION_INDEX

static uint64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void test_busy_poll_reads_and_writes(void **state)
{
    struct fx *f = *state;
    dev_start(f, NULL);
    f->c = client_new(f, false, 0);
    connect_ok(f, f->c);

    assert_int_equal(vuc_set_busy_poll(f->c, VUC_BUSY_POLL_MAX_US + 1),
                     -EINVAL);
    assert_non_null(strstr(vuc_strerror(f->c), "busy poll"));
    assert_int_equal(vuc_set_busy_poll(f->c, 200), 0);
    for (uint32_t i = 0; i < 200; i++) {
        write32(f->c, BAR0, TESTDEV_REG_SCRATCH(i % 8), i);
        assert_int_equal(read32(f->c, BAR0, TESTDEV_REG_SCRATCH(i % 8)), i);
    }
    assert_int_equal(vuc_set_busy_poll(f->c, 0), 0);
    assert_int_equal(read32(f->c, BAR0, TESTDEV_REG_SCRATCH(0)), 192);
}

/* A reply that comes late: the call spins while it waits (CPU time is
 * spent, where a sleeping call spends next to none), then sleeps, and its
 * timeout still works. */
static void test_busy_poll_spins_then_times_out(void **state)
{
    struct fx *f = *state;
    dev_start(f, NULL);
    f->c = client_new(f, false, 300);
    connect_ok(f, f->c);
    assert_int_equal(vuc_set_busy_poll(f->c, 100000), 0);

    write32(f->c, BAR0, TESTDEV_REG_STALL_MS, 1000);
    uint64_t t0 = cpu_ns();
    uint32_t v;
    assert_int_equal(vuc_region_read(f->c, BAR0, TESTDEV_REG_SCRATCH(0), &v, 4),
                     -ETIMEDOUT);
    /* 100 ms of spinning; even a loaded machine gives it a few. */
    assert_true(cpu_ns() - t0 >= 5000000u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
        T(test_busy_poll_reads_and_writes),
        T(test_busy_poll_spins_then_times_out),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
