/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Posted writes against vuc-testdev, whose write log (BAR1's last page,
 * inside the mapped area) shows which writes the device applied and in
 * what order: under every policy a run of writes followed by a read
 * through the mapping, or by an interrupt wait, sees every write.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include <vuc/vuc.h>

#include "testdev_fixture.h"
#include "testdev_regs.h"

#define BAR0 VFIO_USER_PCI_BAR0_REGION_INDEX
#define BAR1 VFIO_USER_PCI_BAR1_REGION_INDEX
#define MSIX VFIO_USER_PCI_MSIX_IRQ_INDEX

static struct vuc_client *open_client(struct fx *f, enum vuc_posting p)
{
    struct vuc_client *c = client_new(f, true, 0);
    connect_ok(f, c);
    assert_int_equal(vuc_set_posting(c, p), 0);
    assert_true(vuc_get_region_info(c, BAR1)->nr_mapped > 0);
    return c;
}

static int wdone_count;

static void wdone(struct vuc_client *c, int result, void *arg)
{
    assert_int_equal(result, 0);
    wdone_count++;
}

/* n writes of 1000 + i to the scratch registers, without waiting. */
static void write_run(struct fx *f, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        uint32_t v = 1000 + i;
        assert_int_equal(
            vuc_region_write_async(f->c, BAR0, TESTDEV_REG_SCRATCH(i % 8), &v,
                                   4, VUC_TIMEOUT_DEFAULT, wdone, NULL),
            0);
    }
}

static void check_policy(struct fx *f, enum vuc_posting p)
{
    dev_start(f, NULL);
    f->c = open_client(f, p);
    uint32_t before = log_count(f->c);
    wdone_count = 0;
    write_run(f, 200);
    /* The writes complete: posted ones on the next loop turn, acknowledged
     * ones (strict, with a mapping) on their replies. Ordering is promised
     * for completed and posted writes, not for requests still in flight. */
    while (wdone_count < 200) {
        event_base_loop(f->base, EVLOOP_ONCE);
    }
    if (p == VUC_POSTING_POSTED) {
        /* Ordering is the caller's job here. */
        assert_int_equal(vuc_fence(f->c), 0);
    }
    /* Strict posted nothing (a mapping exists); fenced fences itself
     * before this read through the mapping. */
    uint32_t after = log_count(f->c);
    assert_int_equal(after - before, 200);
    for (uint32_t age = 0; age < 200; age++) {
        assert_int_equal(log_value(f->c, after, age), 1000 + 199 - age);
    }
    struct vuc_posting_stats st;
    vuc_get_posting_stats(f->c, &st);
    if (p == VUC_POSTING_STRICT) {
        assert_int_equal(st.posted, 0); /* never No_reply while mapped */
    } else {
        assert_int_equal(st.posted, 200);
    }
}

static void test_strict_sees_every_write(void **state)
{
    check_policy(*state, VUC_POSTING_STRICT);
}

static void test_fenced_sees_every_write(void **state)
{
    check_policy(*state, VUC_POSTING_FENCED);
}

static void test_posted_sees_every_write_after_fence(void **state)
{
    check_policy(*state, VUC_POSTING_POSTED);
}

static void test_interrupt_wait_sees_writes(void **state)
{
    struct fx *f = *state;
    dev_start(f, NULL);
    f->c = open_client(f, VUC_POSTING_FENCED);
    assert_int_equal(vuc_irq_enable(f->c, MSIX, 0, 1, NULL, NULL), 0);
    uint32_t before = log_count(f->c);

    write_run(f, 50);
    /* The fire itself is a posted write too. */
    uint32_t sel = TESTDEV_IRQ_SELECT(MSIX, 0), one = 1;
    vuc_region_write(f->c, BAR0, TESTDEV_REG_IRQ_SELECT, &sel, 4);
    vuc_region_write(f->c, BAR0, TESTDEV_REG_IRQ_FIRE, &one, 4);
    struct vuc_irq_event ev;
    assert_int_equal(vuc_irq_wait(f->c, MSIX, 0, 2000, &ev), 0);
    /* Every write before the interrupt was applied, in order. */
    uint32_t after = log_count(f->c);
    assert_int_equal(after - before, 52);
    assert_int_equal(log_value(f->c, after, 2), 1000 + 49);
}

static void test_write_multi_keeps_order(void **state)
{
    struct fx *f = *state;
    dev_start(f, NULL);
    f->c = open_client(f, VUC_POSTING_POSTED);
    assert_true(vuc_get_caps(f->c)->write_multiple);
    uint32_t before = log_count(f->c);
    write_run(f, 5000);
    assert_int_equal(vuc_fence(f->c), 0);
    uint32_t after = log_count(f->c);
    assert_int_equal(after - before, 5000);
    for (uint32_t age = 0; age < TESTDEV_LOG_RING; age++) {
        assert_int_equal(log_value(f->c, after, age), 1000 + 4999 - age);
    }
    struct vuc_posting_stats st;
    vuc_get_posting_stats(f->c, &st);
    assert_int_equal(st.posted, 5000);
    /* The socket backed up, so batches formed: how many depends on the
     * scheduler; that some did is what matters. */
    assert_true(st.multi_msgs > 0);
    assert_true(st.multi_writes <= 5000);
}

static void test_doorbell_runs_the_engine(void **state)
{
    struct fx *f = *state;
    struct vuc_dma_map *a, *b;
    dev_start(f, NULL);
    f->c = open_client(f, VUC_POSTING_FENCED);
    unsigned n;
    const struct vuc_ioeventfd *e = vuc_region_ioeventfds(f->c, BAR0, &n);
    assert_int_equal(n, 1);
    assert_int_equal(e[0].offset, TESTDEV_DOORBELL_OFFSET);

    assert_int_equal(vuc_dma_alloc(f->c, 4096, VUC_IOVA_ANY,
                                   VUC_DMA_READ | VUC_DMA_WRITE, &a),
                     0);
    assert_int_equal(vuc_dma_alloc(f->c, 4096, VUC_IOVA_ANY,
                                   VUC_DMA_WRITE | VUC_DMA_NOSHARE, &b),
                     0);
    assert_int_equal(vuc_dma_write(f->c, vuc_dma_iova(a), "doorbell!", 10), 0);
    /* Program the engine with posted writes, then ring: the fenced policy
     * fences before the eventfd, so the registers are set when it runs. */
    write32(f->c, BAR0, TESTDEV_REG_DMA_SRC_LO, (uint32_t)vuc_dma_iova(a));
    write32(f->c, BAR0, TESTDEV_REG_DMA_SRC_HI,
            (uint32_t)(vuc_dma_iova(a) >> 32));
    write32(f->c, BAR0, TESTDEV_REG_DMA_DST_LO, (uint32_t)vuc_dma_iova(b));
    write32(f->c, BAR0, TESTDEV_REG_DMA_DST_HI,
            (uint32_t)(vuc_dma_iova(b) >> 32));
    write32(f->c, BAR0, TESTDEV_REG_DMA_LEN, 10);
    write32(f->c, BAR0, TESTDEV_REG_DMA_CTRL, TESTDEV_DOORBELL_DATA);
    struct vuc_posting_stats st;
    vuc_get_posting_stats(f->c, &st);
    assert_int_equal(st.doorbells, 1);

    assert_int_equal(read32(f->c, BAR0, TESTDEV_REG_DMA_STATUS),
                     TESTDEV_DMA_STATUS_DONE);
    assert_int_equal(read32(f->c, BAR0, TESTDEV_REG_DOORBELL_COUNT), 1);
    char out[10];
    assert_int_equal(vuc_dma_read(f->c, vuc_dma_iova(b), out, 10), 0);
    assert_string_equal(out, "doorbell!");
}

static void test_failed_posted_write_at_fence(void **state)
{
    struct fx *f = *state;
    dev_start(f, "--reply-errors-on-noreply", NULL);
    f->c = open_client(f, VUC_POSTING_POSTED);
    write32(f->c, BAR0, TESTDEV_REG_SCRATCH(0), 1);
    write32(f->c, BAR0, TESTDEV_REG_REJECT, 1);
    write32(f->c, BAR0, TESTDEV_REG_SCRATCH(1), 2);
    assert_int_equal(vuc_fence(f->c), -EIO);
    assert_non_null(strstr(vuc_strerror(f->c), "BAR0+0x38"));
    /* Reported once; the writes around it were applied. */
    assert_int_equal(vuc_fence(f->c), 0);
    assert_int_equal(read32(f->c, BAR0, TESTDEV_REG_SCRATCH(1)), 2);
}

static void count_turn(evutil_socket_t fd, short what, void *arg)
{
    (*(int *)arg)++;
}

static void test_idle_fence_needs_no_loop_turn(void **state)
{
    struct fx *f = *state;
    dev_start(f, NULL);
    f->c = open_client(f, VUC_POSTING_POSTED);
    int turns = 0;
    struct event *ev = event_new(f->base, -1, 0, count_turn, &turns);
    assert_non_null(ev);

    /* An outstanding posted write: the fence waits for its reply. */
    write32(f->c, BAR0, TESTDEV_REG_SCRATCH(0), 1);
    event_active(ev, 0, 1);
    assert_int_equal(vuc_fence(f->c), 0);
    assert_int_equal(turns, 1);
    /* Nothing outstanding: it returns before the loop runs again. */
    event_active(ev, 0, 1);
    assert_int_equal(vuc_fence(f->c), 0);
    assert_int_equal(turns, 1);
    struct vuc_posting_stats st;
    vuc_get_posting_stats(f->c, &st);
    assert_int_equal(st.fences, 1);
    event_base_loop(f->base, EVLOOP_NONBLOCK);
    assert_int_equal(turns, 2);
    event_free(ev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
        T(test_strict_sees_every_write),
        T(test_fenced_sees_every_write),
        T(test_posted_sees_every_write_after_fence),
        T(test_interrupt_wait_sees_writes),
        T(test_write_multi_keeps_order),
        T(test_doorbell_runs_the_engine),
        T(test_failed_posted_write_at_fence),
        T(test_idle_fence_needs_no_loop_turn),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
