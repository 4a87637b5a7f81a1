/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Write combining against vuc-testdev's BAR2, a 64-bit prefetchable BAR
 * whose write log (its last page) has one entry per write message the
 * device applied: how the client's writes travelled, and what they wrote.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <event2/event.h>

#include <vuc/vuc.h>

#include "testdev_fixture.h"
#include "testdev_regs.h"

#define BAR0 VFIO_USER_PCI_BAR0_REGION_INDEX
#define BAR1 VFIO_USER_PCI_BAR1_REGION_INDEX
#define BAR2 VFIO_USER_PCI_BAR2_REGION_INDEX
#define CFG VFIO_USER_PCI_CONFIG_REGION_INDEX

static struct vuc_client *open_client(struct fx *f, enum vuc_posting p)
{
    dev_start(f, NULL);
    struct vuc_client *c = client_new(f, true, 0);
    connect_ok(f, c);
    assert_int_equal(vuc_set_posting(c, p), 0);
    return c;
}

/* BAR2's log, read with REGION_READ (a read of BAR2: it flushes first). */
static uint32_t log2_count(struct vuc_client *c)
{
    return read32(c, BAR2, TESTDEV_LOG_COUNT);
}

/* The offset and byte count of the write numbered n (from 0 since reset). */
static void log2_entry(struct vuc_client *c, uint32_t n, uint32_t *off,
                       uint32_t *count)
{
    uint32_t e = TESTDEV_LOG_ENTRY(n % TESTDEV_LOG_RING);
    *off = read32(c, BAR2, e + TESTDEV_LOG_E_OFFSET);
    *count = read32(c, BAR2, e + TESTDEV_LOG_E_COUNT);
}

static void expect_entry(struct vuc_client *c, uint32_t n, uint32_t off,
                         uint32_t count)
{
    uint32_t o, k;
    log2_entry(c, n, &o, &k);
    assert_int_equal(o, off);
    assert_int_equal(k, count);
}

static void test_contiguous_writes_travel_as_one(void **state)
{
    struct fx *f = *state;
    f->c = open_client(f, VUC_POSTING_FENCED);
    assert_true(vuc_write_combines(f->c, BAR2));
    uint32_t before = log2_count(f->c);
    for (uint32_t i = 0; i < 64; i++) {
        write32(f->c, BAR2, 0x1000 + 4 * i, 0xa0000000u + i);
    }
    assert_int_equal(vuc_fence(f->c), 0);
    assert_int_equal(log2_count(f->c), before + 1);
    expect_entry(f->c, before, 0x1000, 256);
    for (uint32_t i = 0; i < 64; i++) {
        assert_int_equal(read32(f->c, BAR2, 0x1000 + 4 * i), 0xa0000000u + i);
    }
    struct vuc_wc_stats st;
    vuc_get_wc_stats(f->c, &st);
    assert_int_equal(st.writes, 64);
    assert_int_equal(st.flushes, 1);
}

static void test_overlapping_writes_keep_the_last_value(void **state)
{
    struct fx *f = *state;
    f->c = open_client(f, VUC_POSTING_POSTED);
    uint32_t before = log2_count(f->c);
    uint8_t a[8], b[4] = {'b', 'b', 'b', 'b'}, got[10];
    memset(a, 'a', sizeof(a));
    assert_int_equal(vuc_region_write(f->c, BAR2, 0x100, a, 8), 0);
    assert_int_equal(vuc_region_write(f->c, BAR2, 0x102, b, 4), 0);
    assert_int_equal(vuc_region_write(f->c, BAR2, 0x0fe, b, 4), 0);
    assert_int_equal(vuc_fence(f->c), 0);
    assert_int_equal(log2_count(f->c), before + 1);
    expect_entry(f->c, before, 0x0fe, 10);
    assert_int_equal(vuc_region_read(f->c, BAR2, 0x0fe, got, 10), 0);
    assert_memory_equal(got, "bbbbbbbbaa", 10);
}

static void test_read_in_between_flushes_first(void **state)
{
    struct fx *f = *state;
    f->c = open_client(f, VUC_POSTING_POSTED);
    uint32_t before = log2_count(f->c);
    write32(f->c, BAR2, 0x200, 0x11111111u);
    /* The read sees the write, which left on its own before it. */
    assert_int_equal(read32(f->c, BAR2, 0x200), 0x11111111u);
    write32(f->c, BAR2, 0x204, 0x22222222u);
    assert_int_equal(vuc_fence(f->c), 0);
    assert_int_equal(log2_count(f->c), before + 2);
    expect_entry(f->c, before, 0x200, 4);
    expect_entry(f->c, before + 1, 0x204, 4);
}

static void test_other_bar_write_in_between_flushes_first(void **state)
{
    struct fx *f = *state;
    f->c = open_client(f, VUC_POSTING_POSTED);
    assert_false(vuc_write_combines(f->c, BAR0));
    uint32_t before = log2_count(f->c);
    uint32_t bar0_before = log_count(f->c);
    write32(f->c, BAR2, 0x300, 1);
    write32(f->c, BAR0, TESTDEV_REG_SCRATCH(0), 2); /* posted, not combined */
    write32(f->c, BAR2, 0x304, 3);
    assert_int_equal(vuc_fence(f->c), 0);
    assert_int_equal(log2_count(f->c), before + 2);
    expect_entry(f->c, before, 0x300, 4);
    expect_entry(f->c, before + 1, 0x304, 4);
    assert_int_equal(log_count(f->c), bar0_before + 1);
}

static void test_config_and_plain_bars_never_combine(void **state)
{
    struct fx *f = *state;
    f->c = open_client(f, VUC_POSTING_POSTED);
    assert_false(vuc_write_combines(f->c, CFG));
    assert_false(vuc_write_combines(f->c, BAR0));
    assert_false(vuc_write_combines(f->c, BAR1));
    /* Two contiguous config writes (the MSI address, writable). */
    write32(f->c, CFG, TESTDEV_PCI_CAP_MSI + 4, 0x1000);
    write32(f->c, CFG, TESTDEV_PCI_CAP_MSI + 8, 0);
    uint32_t bar0_before = log_count(f->c);
    write32(f->c, BAR0, TESTDEV_REG_SCRATCH(0), 1);
    write32(f->c, BAR0, TESTDEV_REG_SCRATCH(1), 2);
    assert_int_equal(vuc_fence(f->c), 0);
    assert_int_equal(log_count(f->c), bar0_before + 2);
    struct vuc_wc_stats st;
    vuc_get_wc_stats(f->c, &st);
    assert_int_equal(st.writes, 0);
}

static void test_strict_and_caller_choice(void **state)
{
    struct fx *f = *state;
    f->c = open_client(f, VUC_POSTING_STRICT);
    assert_false(vuc_write_combines(f->c, BAR2));
    uint32_t before = log2_count(f->c);
    write32(f->c, BAR2, 0x400, 1);
    write32(f->c, BAR2, 0x404, 2);
    assert_int_equal(log2_count(f->c), before + 2);
    /* The caller vouches for BAR2, and for BAR0's scratch registers. */
    assert_int_equal(vuc_set_write_combining(f->c, BAR2, VUC_WC_ON), 0);
    assert_true(vuc_write_combines(f->c, BAR2));
    write32(f->c, BAR2, 0x408, 3);
    write32(f->c, BAR2, 0x40c, 4);
    assert_int_equal(vuc_fence(f->c), 0);
    assert_int_equal(log2_count(f->c), before + 3);
    expect_entry(f->c, before + 2, 0x408, 8);
    assert_int_equal(vuc_set_write_combining(f->c, BAR0, VUC_WC_ON), 0);
    uint32_t bar0_before = log_count(f->c);
    write32(f->c, BAR0, TESTDEV_REG_SCRATCH(0), 5);
    write32(f->c, BAR0, TESTDEV_REG_SCRATCH(1), 6);
    assert_int_equal(vuc_fence(f->c), 0);
    assert_int_equal(log_count(f->c), bar0_before + 1);
    assert_int_equal(read32(f->c, BAR0, TESTDEV_REG_SCRATCH(1)), 6);
    /* A combined write the device refuses fails the fence that sends it,
     * naming it; the next fence has nothing to report. */
    write32(f->c, BAR0, TESTDEV_REG_REJECT - 4, 7);
    write32(f->c, BAR0, TESTDEV_REG_REJECT, 8);
    assert_int_equal(vuc_fence(f->c), -EIO);
    assert_non_null(strstr(vuc_strerror(f->c), "combined posted writes of 8 "
                                               "bytes to BAR0+0x34 failed"));
    assert_int_equal(vuc_fence(f->c), 0);
    /* Off again, and bad arguments. */
    assert_int_equal(
        vuc_set_write_combining(f->c, VUC_WC_ALL_REGIONS, VUC_WC_DEFAULT), 0);
    assert_false(vuc_write_combines(f->c, BAR2));
    assert_int_equal(vuc_set_write_combining(f->c, 99, VUC_WC_ON), -ERANGE);
    assert_int_equal(vuc_set_write_combining(f->c, 20, VUC_WC_ON), -ENODEV);
    assert_int_equal(vuc_set_write_combining(f->c, BAR2, (enum vuc_wc)7),
                     -EINVAL);
    assert_non_null(strstr(vuc_strerror(f->c), "unknown mode"));
    assert_int_equal(vuc_set_wc_limit(f->c, VUC_WC_LIMIT_MAX + 1), -EINVAL);
}

static void test_size_limit_starts_a_new_buffer(void **state)
{
    struct fx *f = *state;
    f->c = open_client(f, VUC_POSTING_FENCED);
    assert_int_equal(vuc_set_wc_limit(f->c, 16), 0);
    uint32_t before = log2_count(f->c);
    for (uint32_t i = 0; i < 8; i++) {
        write32(f->c, BAR2, 0x500 + 4 * i, i);
    }
    write32(f->c, BAR2, 0x600, 9); /* not contiguous: a new buffer */
    assert_int_equal(vuc_fence(f->c), 0);
    assert_int_equal(log2_count(f->c), before + 3);
    expect_entry(f->c, before, 0x500, 16);
    expect_entry(f->c, before + 1, 0x510, 16);
    expect_entry(f->c, before + 2, 0x600, 4);
}

static int done_count;

static void done(struct vuc_client *c, int result, void *arg)
{
    (void)c;
    (void)arg;
    assert_int_equal(result, 0);
    done_count++;
}

static void test_loop_turn_and_uncork_flush(void **state)
{
    struct fx *f = *state;
    f->c = open_client(f, VUC_POSTING_POSTED);
    uint32_t v[4] = {1, 2, 3, 4};
    struct vuc_wc_stats st;
    /* Asynchronous writes leave at the end of the loop turn that
     * completes them, with no fence and no other message. */
    done_count = 0;
    for (int i = 0; i < 4; i++) {
        assert_int_equal(vuc_region_write_async(f->c, BAR2, 0x700 + 4 * i,
                                                &v[i], 4, VUC_TIMEOUT_DEFAULT,
                                                done, NULL),
                         0);
    }
    while (done_count < 4) {
        event_base_loop(f->base, EVLOOP_ONCE);
    }
    vuc_get_wc_stats(f->c, &st);
    assert_int_equal(st.flushes, 1);
    assert_int_equal(vuc_fence(f->c), 0);
    /* Corked, blocking writes wait for the uncork. */
    assert_int_equal(vuc_cork(f->c), 0);
    write32(f->c, BAR2, 0x800, 1);
    write32(f->c, BAR2, 0x804, 2);
    vuc_get_wc_stats(f->c, &st);
    assert_int_equal(st.flushes, 1);
    assert_int_equal(vuc_uncork(f->c), 0);
    vuc_get_wc_stats(f->c, &st);
    assert_int_equal(st.flushes, 2);
    assert_int_equal(read32(f->c, BAR2, 0x804), 2);
}

static void test_blocking_writes_leave_when_the_callers_loop_runs(void **state)
{
    struct fx *f = *state;
    f->c = open_client(f, VUC_POSTING_POSTED);
    struct vuc_wc_stats st;
    /* Blocking writes keep combining from one call to the next... */
    write32(f->c, BAR2, 0x900, 1);
    write32(f->c, BAR2, 0x904, 2);
    vuc_get_wc_stats(f->c, &st);
    assert_int_equal(st.flushes, 0);
    /* ...but a caller that then waits in its own loop (for an interrupt
     * those writes make the device raise, say) must not wait for ever:
     * the first turn of its loop sends them. */
    assert_int_equal(event_base_loop(f->base, EVLOOP_NONBLOCK), 0);
    vuc_get_wc_stats(f->c, &st);
    assert_int_equal(st.flushes, 1);
    assert_int_equal(st.writes, 2);
    assert_int_equal(read32(f->c, BAR2, 0x904), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
        T(test_contiguous_writes_travel_as_one),
        T(test_overlapping_writes_keep_the_last_value),
        T(test_read_in_between_flushes_first),
        T(test_other_bar_write_in_between_flushes_first),
        T(test_config_and_plain_bars_never_combine),
        T(test_strict_and_caller_choice),
        T(test_size_limit_starts_a_new_buffer),
        T(test_loop_turn_and_uncork_flush),
        T(test_blocking_writes_leave_when_the_callers_loop_runs),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
