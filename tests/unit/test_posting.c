/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Posted writes against a scripted device: which writes each policy posts,
 * No_reply never set while a mapping exists under the strict policy, fences
 * (free when idle, naming a failed write), REGION_WRITE_MULTI batches behind
 * a busy socket, and the ioeventfd doorbell.
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
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include <vuc/vuc.h>

#include "fake_server.h"

#define CFG VFIO_USER_PCI_CONFIG_REGION_INDEX
#define DOORBELL 0x40u

struct dev {
    bool write_multiple;
    bool doorbell;
    int bar1_fd; /* memfd behind the mappable BAR1 */
    int bell;    /* the doorbell's eventfd (server side) */
};

/* Answer discovery: BAR0 4 KiB memory (trapped), BAR1 8 KiB memory
 * (mappable), BAR2 256 bytes of I/O space, config space 256 bytes. */
static void connect_dev(struct fx *f, struct dev *d)
{
    struct msg m;
    srv_version(f, 0, 0,
                d->write_multiple ? "{\"capabilities\":{\"max_msg_fds\":8,"
                                    "\"write_multiple\":true}}"
                                  : "{\"capabilities\":{\"max_msg_fds\":8}}",
                true, NULL, 0);
    srv_device_info_flags(f, VFIO_USER_DEVICE_FLAGS_PCI, 9, 0);
    d->bar1_fd = memfd_create("bar1", MFD_CLOEXEC);
    assert_int_equal(ftruncate(d->bar1_fd, 8192), 0);
    for (uint32_t i = 0; i < 9; i++) {
        struct vfio_user_region_info ri = {32, 0, i, 0, 0, 0};
        const uint32_t rw =
            VFIO_USER_REGION_INFO_FLAG_READ | VFIO_USER_REGION_INFO_FLAG_WRITE;
        srv_recv(f, &m, VFIO_USER_DEVICE_GET_REGION_INFO);
        ri.index = i;
        ri.flags = i == 0 || i == 2 || i == CFG ? rw : 0;
        ri.size = i == 0 ? 4096 : i == 2 ? 256 : i == CFG ? 256 : 0;
        if (i == 1) {
            ri.flags = rw | VFIO_USER_REGION_INFO_FLAG_MMAP;
            ri.size = 8192;
            srv_reply(f, &m, m.hdr.cmd, 0, 0, &ri, sizeof(ri), &d->bar1_fd, 1);
        } else {
            srv_reply(f, &m, m.hdr.cmd, 0, 0, &ri, sizeof(ri), NULL, 0);
        }
    }
    /* Phase 2, in the order sent: BAR registers, then io fds of BAR0-2. */
    srv_recv(f, &m, VFIO_USER_REGION_READ);
    uint8_t bars[16 + 24] = {0};
    memcpy(bars, m.payload, 16);
    uint32_t bar2 = 0xc001; /* I/O */
    memcpy(bars + 16 + 8, &bar2, 4);
    srv_reply(f, &m, m.hdr.cmd, 0, 0, bars, sizeof(bars), NULL, 0);
    for (uint32_t i = 0; i < 3; i++) {
        srv_recv(f, &m, VFIO_USER_DEVICE_GET_REGION_IO_FDS);
        if (i != 0 || !d->doorbell) {
            srv_reply(f, &m, m.hdr.cmd, VFIO_USER_F_ERROR, ENOSYS, NULL, 0,
                      NULL, 0);
            continue;
        }
        uint8_t p[16 + 40] = {0};
        struct vfio_user_region_io_fds_reply h = {sizeof(p), 0, 0, 1};
        struct vfio_user_sub_region_io_fd e = {
            DOORBELL,
            4,
            0,
            VFIO_USER_IO_FD_TYPE_IOEVENTFD,
            VFIO_USER_IOEVENTFD_FLAG_DATAMATCH,
            0,
            0x1};
        memcpy(p, &h, 16);
        memcpy(p + 16, &e, 40);
        d->bell = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        srv_reply(f, &m, m.hdr.cmd, 0, 0, p, sizeof(p), &d->bell, 1);
    }
    pump(f);
    assert_int_equal(f->result, 0);
}

static struct vuc_options *opts_no_mmap(void)
{
    struct vuc_options *o = vuc_options_new();
    vuc_options_set_auto_mmap(o, false);
    return o;
}

static int setup(void **state)
{
    return fx_setup_opts(state, opts_no_mmap());
}

static void cleanup(struct dev *d)
{
    close(d->bar1_fd);
    if (d->doorbell) {
        close(d->bell);
    }
}

/* Start an async write; it completes on the next loop iteration when
 * posted. */
static int writes_done;
static int last_result;

static void wdone(struct vuc_client *c, int result, void *arg)
{
    writes_done++;
    last_result = result;
}

static void post32(struct fx *f, uint32_t region, uint64_t off, uint32_t v)
{
    assert_int_equal(vuc_region_write_async(f->c, region, off, &v, 4,
                                            VUC_TIMEOUT_DEFAULT, wdone, NULL),
                     0);
}

static void test_strict_posts_only_unmapped_memory_bars(void **state)
{
    struct fx *f = *state;
    struct dev d = {0};
    struct msg m;
    connect_dev(f, &d);
    assert_int_equal(vuc_get_posting(f->c), VUC_POSTING_STRICT);

    /* Nothing mapped: a memory-BAR write is posted and done at once. */
    writes_done = 0;
    post32(f, 0, 0x10, 0xaaaa);
    srv_recv(f, &m, VFIO_USER_REGION_WRITE);
    assert_true(m.hdr.flags & VFIO_USER_F_NO_REPLY);
    pump_ms(f, 2);
    assert_int_equal(writes_done, 1);

    /* Config space and I/O BARs are never posted. */
    post32(f, CFG, 0x4, 0x6);
    srv_recv(f, &m, VFIO_USER_REGION_WRITE);
    assert_false(m.hdr.flags & VFIO_USER_F_NO_REPLY);
    srv_reply(f, &m, m.hdr.cmd, 0, 0, m.payload, 16, NULL, 0);
    post32(f, 2, 0x0, 0x1);
    srv_recv(f, &m, VFIO_USER_REGION_WRITE);
    assert_false(m.hdr.flags & VFIO_USER_F_NO_REPLY);
    srv_reply(f, &m, m.hdr.cmd, 0, 0, m.payload, 16, NULL, 0);
    pump_ms(f, 2);
    assert_int_equal(writes_done, 3);

    /* The acknowledged writes' replies confirmed the posted one ("Command
     * Concurrency"): a fence needs no round trip now. */
    f->done = false;
    assert_int_equal(vuc_fence_async(f->c, VUC_TIMEOUT_DEFAULT, done_cb, f), 0);
    pump(f);
    assert_int_equal(f->result, 0);
    struct pollfd p = {f->srv, POLLIN, 0};
    assert_int_equal(poll(&p, 1, 0), 0);

    /* Once a mapping exists no write is posted. */
    assert_int_equal(vuc_region_mmap(f->c, 1), 0);
    post32(f, 0, 0x10, 0xbbbb);
    srv_recv(f, &m, VFIO_USER_REGION_WRITE);
    assert_false(m.hdr.flags & VFIO_USER_F_NO_REPLY);
    srv_reply(f, &m, m.hdr.cmd, 0, 0, m.payload, 16, NULL, 0);
    pump_ms(f, 2);
    assert_int_equal(writes_done, 4);
    cleanup(&d);
}

static void test_fence_is_free_when_idle(void **state)
{
    struct fx *f = *state;
    struct dev d = {0};
    connect_dev(f, &d);
    f->done = false;
    assert_int_equal(vuc_fence_async(f->c, VUC_TIMEOUT_DEFAULT, done_cb, f), 0);
    assert_false(f->done);
    pump(f);
    assert_int_equal(f->result, 0);
    struct pollfd p = {f->srv, POLLIN, 0};
    assert_int_equal(poll(&p, 1, 0), 0); /* no message went out */
    struct vuc_posting_stats st;
    vuc_get_posting_stats(f->c, &st);
    assert_int_equal(st.fences, 0);
    cleanup(&d);
}

static void test_failed_posted_write_reported_at_fence(void **state)
{
    struct fx *f = *state;
    struct dev d = {0};
    struct msg w, fence;
    connect_dev(f, &d);

    post32(f, 0, 0x20, 0x1234);
    srv_recv(f, &w, VFIO_USER_REGION_WRITE);
    assert_true(w.hdr.flags & VFIO_USER_F_NO_REPLY);
    /* This server answers a failed No_reply write anyway. */
    srv_reply(f, &w, w.hdr.cmd, VFIO_USER_F_ERROR, EACCES, NULL, 0, NULL, 0);
    f->done = false;
    assert_int_equal(vuc_fence_async(f->c, VUC_TIMEOUT_DEFAULT, done_cb, f), 0);
    srv_recv(f, &fence, VFIO_USER_REGION_READ);
    uint8_t rep[18] = {0};
    memcpy(rep, fence.payload, 16);
    srv_reply(f, &fence, fence.hdr.cmd, 0, 0, rep, sizeof(rep), NULL, 0);
    pump(f);
    assert_int_equal(f->result, -EACCES);
    assert_non_null(
        strstr(vuc_strerror(f->c), "posted write of 4 bytes to BAR0+0x20"));
    /* Reported once; the next fence is clean (and free). */
    f->done = false;
    assert_int_equal(vuc_fence_async(f->c, VUC_TIMEOUT_DEFAULT, done_cb, f), 0);
    pump(f);
    assert_int_equal(f->result, 0);
    cleanup(&d);
}

static void test_fenced_mapped_read_waits_for_fence(void **state)
{
    struct fx *f = *state;
    struct dev d = {0};
    struct msg w, fence;
    connect_dev(f, &d);
    assert_int_equal(vuc_region_mmap(f->c, 1), 0);
    assert_int_equal(vuc_set_posting(f->c, VUC_POSTING_FENCED), 0);

    /* Mapped now, yet fenced posts. */
    post32(f, 0, 0x30, 0x5555);
    srv_recv(f, &w, VFIO_USER_REGION_WRITE);
    assert_true(w.hdr.flags & VFIO_USER_F_NO_REPLY);

    /* A read through the mapping waits for a fence round trip. */
    uint32_t v = 0;
    int calls = 0;
    writes_done = 0;
    assert_int_equal(vuc_region_read_async(f->c, 1, 0, &v, 4,
                                           VUC_TIMEOUT_DEFAULT, wdone, &calls),
                     0);
    srv_recv(f, &fence, VFIO_USER_REGION_READ);
    pump_ms(f, 5);
    assert_int_equal(writes_done, 1); /* only the posted write so far */
    uint32_t marker = 0xfeed;
    assert_int_equal(pwrite(d.bar1_fd, &marker, 4, 0), 4);
    uint8_t rep[18] = {0};
    memcpy(rep, fence.payload, 16);
    srv_reply(f, &fence, fence.hdr.cmd, 0, 0, rep, sizeof(rep), NULL, 0);
    pump_ms(f, 5);
    assert_int_equal(writes_done, 2);
    assert_int_equal(last_result, 0);
    assert_int_equal(v, 0xfeed);
    cleanup(&d);
}

static void test_doorbell(void **state)
{
    struct fx *f = *state;
    struct dev d = {.doorbell = true};
    struct msg m;
    connect_dev(f, &d);
    unsigned n;
    const struct vuc_ioeventfd *e = vuc_region_ioeventfds(f->c, 0, &n);
    assert_int_equal(n, 1);
    assert_int_equal(e[0].offset, DOORBELL);
    assert_true(e[0].datamatch);

    /* Strict: the doorbell write is an ordinary message. */
    post32(f, 0, DOORBELL, 1);
    srv_recv(f, &m, VFIO_USER_REGION_WRITE);
    /* Posted policy: matching writes signal the eventfd instead. */
    assert_int_equal(vuc_set_posting(f->c, VUC_POSTING_POSTED), 0);
    post32(f, 0, DOORBELL, 1);
    post32(f, 0, DOORBELL, 1);
    post32(f, 0, DOORBELL, 2); /* datamatch differs: a message */
    srv_recv(f, &m, VFIO_USER_REGION_WRITE);
    uint32_t v;
    memcpy(&v, m.payload + 16, 4);
    assert_int_equal(v, 2);
    uint64_t bells = 0;
    assert_int_equal(read(d.bell, &bells, 8), 8);
    assert_int_equal(bells, 2);
    struct vuc_posting_stats st;
    vuc_get_posting_stats(f->c, &st);
    assert_int_equal(st.doorbells, 2);
    cleanup(&d);
}

/* Post 4 MiB of large writes, far more than a socket buffer holds, so the
 * client's queue backs up behind a busy socket. */
static size_t back_up(struct fx *f)
{
    static uint8_t big[4096];
    const size_t n = 1024;

    for (size_t i = 0; i < n; i++) {
        assert_int_equal(vuc_region_write_async(f->c, 0, 0, big, sizeof(big),
                                                VUC_TIMEOUT_DEFAULT, wdone,
                                                NULL),
                         0);
    }
    return n;
}

static void test_write_multi_batches(void **state)
{
    struct fx *f = *state;
    struct dev d = {.write_multiple = true};
    struct msg m;
    connect_dev(f, &d);
    assert_true(vuc_get_caps(f->c)->write_multiple);

    size_t big = back_up(f);
    /* Now the socket is busy: 450 small writes batch up, 200 per message. */
    for (uint32_t i = 0; i < 450; i++) {
        post32(f, 0, 0x100 + 4 * (i % 64), i);
    }
    /* Drain: the big writes first, then the batches, in order. */
    for (size_t i = 0; i < big; i++) {
        srv_recv(f, &m, VFIO_USER_REGION_WRITE);
    }
    uint32_t seen = 0;
    unsigned msgs = 0;
    while (seen < 450) {
        srv_recv(f, &m, VFIO_USER_REGION_WRITE_MULTI);
        assert_true(m.hdr.flags & VFIO_USER_F_NO_REPLY);
        uint64_t cnt;
        memcpy(&cnt, m.payload, 8);
        assert_true(cnt >= 1 && cnt <= 200);
        assert_int_equal(m.len, 8 + cnt * 24);
        for (uint64_t k = 0; k < cnt; k++) {
            struct vfio_user_write_multi_entry e;
            memcpy(&e, m.payload + 8 + 24 * k, 24);
            assert_int_equal(e.region, 0);
            assert_int_equal(e.count, 4);
            uint32_t v;
            memcpy(&v, e.data, 4);
            assert_int_equal(v, seen); /* in order, none lost */
            assert_int_equal(e.offset, 0x100 + 4 * (seen % 64));
            seen++;
        }
        msgs++;
    }
    assert_int_equal(msgs, 3); /* 200 + 200 + 50 */
    struct vuc_posting_stats st;
    vuc_get_posting_stats(f->c, &st);
    assert_int_equal(st.multi_msgs, 3);
    assert_int_equal(st.multi_writes, 450);

    /* A lone write on an idle socket is never held back. */
    pump_ms(f, 5);
    post32(f, 0, 0x10, 0x77);
    srv_recv(f, &m, VFIO_USER_REGION_WRITE);
    cleanup(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, fx_teardown)
        T(test_strict_posts_only_unmapped_memory_bars),
        T(test_fence_is_free_when_idle),
        T(test_failed_posted_write_reported_at_fence),
        T(test_fenced_mapped_read_waits_for_fence),
        T(test_doorbell),
        T(test_write_multi_batches),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
