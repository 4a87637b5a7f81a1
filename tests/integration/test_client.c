/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libvuc against vuc-testdev, through the public API only: each test starts
 * the server on a socket in a private temporary directory.
 */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include <vuc/vuc.h>

#include "testdev_fixture.h"
#include "testdev_regs.h"

/* ---- Negotiation and discovery ------------------------------------------- */

static void test_discovery(void **state)
{
    struct fx *f = *state;
    dev_start(f, NULL);
    f->c = client_new(f, true, 0);
    connect_ok(f, f->c);

    const struct vuc_caps *caps = vuc_get_caps(f->c);
    assert_int_equal(caps->major, 0);
    assert_int_equal(caps->minor, 0);
    assert_int_equal(caps->server_max_msg_fds, TESTDEV_DEFAULT_MAX_MSG_FDS);
    assert_int_equal(caps->server_max_data_xfer_size,
                     TESTDEV_DEFAULT_MAX_DATA_XFER_SIZE);

    const struct vuc_device_info *di = vuc_get_device_info(f->c);
    assert_int_equal(di->num_regions, TESTDEV_NUM_REGIONS);
    assert_int_equal(di->num_irqs, TESTDEV_NUM_IRQS);
    assert_int_equal(di->flags,
                     VFIO_USER_DEVICE_FLAGS_RESET | VFIO_USER_DEVICE_FLAGS_PCI);

    const struct vuc_region_info *bar0 = vuc_get_region_info(f->c, 0);
    assert_int_equal(bar0->size, TESTDEV_BAR0_SIZE);
    assert_false(bar0->flags & VFIO_USER_REGION_INFO_FLAG_MMAP);
    assert_int_equal(bar0->nr_mapped, 0);

    const struct vuc_region_info *bar1 = vuc_get_region_info(f->c, 1);
    assert_int_equal(bar1->size, TESTDEV_BAR1_SIZE);
    assert_true(bar1->flags & VFIO_USER_REGION_INFO_FLAG_MMAP);
    assert_true(bar1->has_fd);
    assert_true(bar1->sparse_cap);
    assert_int_equal(bar1->nr_sparse, 1);
    assert_int_equal(bar1->sparse[0].offset, TESTDEV_BAR1_MMAP_OFFSET);
    assert_int_equal(bar1->sparse[0].size, TESTDEV_BAR1_MMAP_SIZE);
    assert_int_equal(bar1->nr_mapped, 1);
    assert_non_null(vuc_region_ptr(f->c, 1, TESTDEV_BAR1_MMAP_OFFSET,
                                   TESTDEV_BAR1_MMAP_SIZE));
    assert_null(vuc_region_ptr(f->c, 1, 0, 4));

    assert_int_equal(vuc_get_region_info(f->c, 7)->size, TESTDEV_CONFIG_SIZE);
    assert_null(vuc_get_region_info(f->c, TESTDEV_NUM_REGIONS));

    assert_int_equal(vuc_get_irq_info(f->c, 0)->count, TESTDEV_INTX_COUNT);
    assert_int_equal(vuc_get_irq_info(f->c, 2)->count, TESTDEV_MSIX_COUNT);
    assert_null(vuc_get_irq_info(f->c, TESTDEV_NUM_IRQS));

    uint32_t id = read32(f->c, VFIO_USER_PCI_CONFIG_REGION_INDEX, 0);
    assert_int_equal(id & 0xffff, TESTDEV_PCI_VENDOR_ID);
    assert_int_equal(id >> 16, TESTDEV_PCI_DEVICE_ID);
    assert_int_equal(read32(f->c, 0, TESTDEV_REG_MAGIC), TESTDEV_MAGIC);
}

static void test_minor_versions(void **state)
{
    struct fx *f = *state;
    dev_start(f, "--minor=2", NULL);

    /* The server answers min(proposed, its own). */
    struct vuc_options *o = vuc_options_new();
    vuc_options_set_version(o, 0, 5);
    f->c = vuc_client_new(f->base, o);
    vuc_options_free(o);
    connect_ok(f, f->c);
    assert_int_equal(vuc_get_caps(f->c)->minor, 2);
}

/* ---- Region I/O ---------------------------------------------------------- */

static void fill(uint8_t *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++) {
        p[i] = (uint8_t)(i * 131 + seed + (i >> 8));
    }
}

static void test_chunked_io(void **state)
{
    struct fx *f = *state;
    dev_start(f, "--max-data-xfer-size=4096", NULL);
    f->c = client_new(f, false, 0);
    connect_ok(f, f->c);
    assert_int_equal(vuc_get_caps(f->c)->server_max_data_xfer_size, 4096);

    /* Odd offset and length: chunks of 4096 that straddle the boundary. */
    size_t len = 3 * 4096 + 123;
    uint8_t *out = malloc(len), *in = malloc(len);
    fill(out, len, 7);
    assert_int_equal(vuc_region_write(f->c, 1, 100, out, len), 0);
    memset(in, 0, len);
    assert_int_equal(vuc_region_read(f->c, 1, 100, in, len), 0);
    assert_memory_equal(in, out, len);

    /* The whole of BAR0 in 4096-byte messages counts as one access each. */
    uint32_t before = read32(f->c, 0, TESTDEV_REG_ACCESS_COUNT);
    uint8_t bar0[TESTDEV_BAR0_SIZE];
    assert_int_equal(vuc_region_read(f->c, 0, 0, bar0, sizeof(bar0)), 0);
    uint32_t after = read32(f->c, 0, TESTDEV_REG_ACCESS_COUNT);
    assert_int_equal(after - before, 2); /* the count read and one chunk */
    free(out);
    free(in);
}

static void test_chunks_counted(void **state)
{
    struct fx *f = *state;
    dev_start(f, "--max-data-xfer-size=1024", NULL);
    f->c = client_new(f, false, 0);
    connect_ok(f, f->c);

    uint32_t before = read32(f->c, 0, TESTDEV_REG_ACCESS_COUNT);
    uint8_t bar0[TESTDEV_BAR0_SIZE];
    assert_int_equal(vuc_region_read(f->c, 0, 0, bar0, sizeof(bar0)), 0);
    uint32_t after = read32(f->c, 0, TESTDEV_REG_ACCESS_COUNT);
    /* One for the first count read, four chunks of 1024. */
    assert_int_equal(after - before, 1 + 4);
    uint32_t magic;
    memcpy(&magic, bar0 + TESTDEV_REG_MAGIC, 4);
    assert_int_equal(magic, TESTDEV_MAGIC);
}

static void test_mmap_matches_messages(void **state)
{
    struct fx *f = *state;
    dev_start(f, NULL);
    f->c = client_new(f, false, 0);
    connect_ok(f, f->c);
    assert_int_equal(vuc_get_region_info(f->c, 1)->nr_mapped, 0);

    size_t len = TESTDEV_BAR1_MMAP_SIZE;
    uint8_t *out = malloc(len), *in = malloc(len);
    fill(out, len, 3);
    /* Unmapped: messages carry it. */
    assert_int_equal(
        vuc_region_write(f->c, 1, TESTDEV_BAR1_MMAP_OFFSET, out, len), 0);
    assert_int_equal(vuc_region_mmap(f->c, 1), 0);
    const uint8_t *p = vuc_region_ptr(f->c, 1, TESTDEV_BAR1_MMAP_OFFSET, len);
    assert_non_null(p);
    assert_memory_equal(p, out, len);

    /* Mapped: the accessors go through the mapping, and messages (after
     * unmapping) see the same bytes. */
    fill(out, len, 99);
    assert_int_equal(
        vuc_region_write(f->c, 1, TESTDEV_BAR1_MMAP_OFFSET, out, len), 0);
    uint32_t w = 0xa5a5f00d;
    assert_int_equal(
        vuc_region_write(f->c, 1, TESTDEV_BAR1_MMAP_OFFSET + 8, &w, 4), 0);
    memcpy(out + 8, &w, 4);
    vuc_region_munmap(f->c, 1);
    assert_null(vuc_region_ptr(f->c, 1, TESTDEV_BAR1_MMAP_OFFSET, 4));
    assert_int_equal(
        vuc_region_read(f->c, 1, TESTDEV_BAR1_MMAP_OFFSET, in, len), 0);
    assert_memory_equal(in, out, len);
    free(out);
    free(in);
}

static void test_registers_and_reset(void **state)
{
    struct fx *f = *state;
    dev_start(f, NULL);
    f->c = client_new(f, true, 0);
    connect_ok(f, f->c);

    write32(f->c, 0, TESTDEV_REG_SCRATCH(3), 0x12345678);
    assert_int_equal(read32(f->c, 0, TESTDEV_REG_SCRATCH(3)), 0x12345678);
    assert_int_equal(read32(f->c, 0, TESTDEV_REG_LAST_WRITE), 0x12345678);
    uint16_t half = 0xbeef;
    assert_int_equal(
        vuc_region_write(f->c, 0, TESTDEV_REG_SCRATCH(4) + 2, &half, 2), 0);
    assert_int_equal(read32(f->c, 0, TESTDEV_REG_SCRATCH(4)), 0xbeef0000);

    assert_int_equal(vuc_device_reset(f->c), 0);
    assert_int_equal(read32(f->c, 0, TESTDEV_REG_ACCESS_COUNT), 0);
    assert_int_equal(read32(f->c, 0, TESTDEV_REG_SCRATCH(3)), 0);
}

static void test_reset_not_advertised(void **state)
{
    struct fx *f = *state;
    dev_start(f, "--no-reset", NULL);
    f->c = client_new(f, true, 0);
    connect_ok(f, f->c);
    assert_int_equal(vuc_device_reset(f->c), -ENOTSUP);
    assert_non_null(strstr(vuc_strerror(f->c), "does not advertise reset"));
}

static void test_state_kept_across_clients(void **state)
{
    struct fx *f = *state;
    dev_start(f, NULL);
    struct vuc_client *a = client_new(f, true, 0);
    connect_ok(f, a);
    write32(a, 0, TESTDEV_REG_SCRATCH(0), 0xfeedface);
    vuc_client_free(a);

    f->c = client_new(f, true, 0);
    connect_ok(f, f->c);
    assert_int_equal(read32(f->c, 0, TESTDEV_REG_SCRATCH(0)), 0xfeedface);
}

static void test_bad_arguments(void **state)
{
    struct fx *f = *state;
    uint32_t v;
    dev_start(f, NULL);
    f->c = client_new(f, true, 0);

    assert_int_equal(vuc_region_read(f->c, 0, 0, &v, 4), -ENOTCONN);
    connect_ok(f, f->c);
    assert_int_equal(vuc_connect_path(f->c, f->sock), -EISCONN);
    assert_int_equal(vuc_region_read(f->c, 42, 0, &v, 4), -ENODEV);
    assert_non_null(strstr(vuc_strerror(f->c), "region 42 does not exist"));
    assert_int_equal(vuc_region_read(f->c, 0, TESTDEV_BAR0_SIZE - 2, &v, 4),
                     -ERANGE);
    assert_int_equal(vuc_region_read(f->c, 0, UINT64_MAX - 1, &v, 4), -ERANGE);
    assert_int_equal(vuc_region_read(f->c, 0, 0, &v, 0), -EINVAL);
    assert_int_equal(vuc_region_read(f->c, 3, 0, &v, 4), -EACCES);
    /* The connection is unharmed by all that. */
    assert_int_equal(read32(f->c, 0, TESTDEV_REG_MAGIC), TESTDEV_MAGIC);
}

static void test_connect_missing_socket(void **state)
{
    struct fx *f = *state;
    f->c = client_new(f, true, 0);
    assert_int_equal(vuc_connect_path(f->c, f->sock), -ENOENT);
    assert_non_null(strstr(vuc_strerror(f->c), f->sock));
}

/* ---- Failures: timeouts, crashes, cancellation --------------------------- */

struct counter {
    int calls;
    int result;
    struct vuc_client *free_me;
};

static void count_cb(struct vuc_client *c, int result, void *arg)
{
    struct counter *k = arg;
    k->calls++;
    k->result = result;
    if (k->free_me != NULL) {
        vuc_client_free(k->free_me);
    }
}

static void run_until(struct fx *f, const int *calls, int want)
{
    for (int i = 0; i < 5000 && *calls < want; i++) {
        event_base_loop(f->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
        if (*calls < want) {
            poll(NULL, 0, 1);
        }
    }
}

static void test_timeout_and_late_reply(void **state)
{
    struct fx *f = *state;
    dev_start(f, NULL);
    f->c = client_new(f, true, 200);
    connect_ok(f, f->c);

    write32(f->c, 0, TESTDEV_REG_SCRATCH(1), 0x11111111);
    write32(f->c, 0, TESTDEV_REG_STALL_MS, 800);
    uint32_t v = 0;
    assert_int_equal(vuc_region_read(f->c, 0, TESTDEV_REG_SCRATCH(1), &v, 4),
                     -ETIMEDOUT);
    assert_non_null(strstr(vuc_strerror(f->c), "did not answer REGION_READ"));

    /* The next read waits long enough: the late reply to the first arrives
     * before it, and must be eaten without confusing the stream. */
    struct counter k = {0};
    uint32_t w = 0;
    assert_int_equal(vuc_region_read_async(f->c, 0, TESTDEV_REG_SCRATCH(1), &w,
                                           4, 5000, count_cb, &k),
                     0);
    run_until(f, &k.calls, 1);
    assert_int_equal(k.calls, 1);
    assert_int_equal(k.result, 0);
    assert_int_equal(w, 0x11111111);
    assert_non_null(strstr(f->log, "dropping the late reply"));
    assert_true(vuc_is_connected(f->c));
    assert_int_equal(read32(f->c, 0, TESTDEV_REG_MAGIC), TESTDEV_MAGIC);
}

static void test_server_killed_mid_request(void **state)
{
    struct fx *f = *state;
    dev_start(f, NULL);
    f->c = client_new(f, true, 0);
    connect_ok(f, f->c);

    write32(f->c, 0, TESTDEV_REG_STALL_MS, 5000);
    struct counter k[4] = {{0}};
    uint32_t v[4];
    for (int i = 0; i < 4; i++) {
        assert_int_equal(vuc_region_read_async(f->c, 0, 0, &v[i], 4,
                                               VUC_TIMEOUT_DEFAULT, count_cb,
                                               &k[i]),
                         0);
    }
    poll(NULL, 0, 50);
    kill(f->dev, SIGKILL);
    waitpid(f->dev, NULL, 0);
    f->dev = 0;
    run_until(f, &k[3].calls, 1);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(k[i].calls, 1);
        assert_int_equal(k[i].result, -ECONNRESET);
    }
    assert_int_equal(f->disconnects, 1);
    assert_int_equal(f->disconnect_result, -ECONNRESET);
    /* Later calls refuse at once. */
    assert_int_equal(vuc_region_read(f->c, 0, 0, v, 4), -ENOTCONN);
    poll(NULL, 0, 20);
    event_base_loop(f->base, EVLOOP_NONBLOCK);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(k[i].calls, 1);
    }
}

static void test_server_vanishes(void **state)
{
    struct fx *f = *state;
    dev_start(f, NULL);
    f->c = client_new(f, true, 0);
    connect_ok(f, f->c);
    uint32_t crash = TESTDEV_CRASH_MAGIC;
    assert_int_equal(vuc_region_write(f->c, 0, TESTDEV_REG_CRASH, &crash, 4),
                     -ECONNRESET);
    assert_int_equal(f->disconnects, 1);
    assert_false(vuc_is_connected(f->c));
}

static void test_free_inside_callback(void **state)
{
    struct fx *f = *state;
    dev_start(f, NULL);
    f->c = client_new(f, true, 0);
    connect_ok(f, f->c);

    struct counter k[8] = {{0}};
    uint32_t v[8];
    k[0].free_me = f->c;
    for (int i = 0; i < 8; i++) {
        assert_int_equal(vuc_region_read_async(f->c, 0, 4 * i, &v[i], 4,
                                               VUC_TIMEOUT_DEFAULT, count_cb,
                                               &k[i]),
                         0);
    }
    /* A mapped read completes on the next iteration; it is cancelled too. */
    struct counter km = {0};
    uint32_t mv;
    assert_int_equal(vuc_region_read_async(f->c, 1, TESTDEV_BAR1_MMAP_OFFSET,
                                           &mv, 4, VUC_TIMEOUT_DEFAULT,
                                           count_cb, &km),
                     0);
    f->c = NULL; /* freed by the first callback */
    run_until(f, &k[7].calls, 1);
    int total = km.calls;
    for (int i = 0; i < 8; i++) {
        assert_int_equal(k[i].calls, 1);
        total += k[i].calls;
    }
    assert_int_equal(km.calls, 1);
    assert_int_equal(total, 9);
    /* Whatever had not completed when the client went was cancelled. */
    assert_true(k[7].result == 0 || k[7].result == -ECANCELED);
    assert_int_equal(f->disconnects, 0);
}

static void test_free_cancels_pending(void **state)
{
    struct fx *f = *state;
    dev_start(f, NULL);
    f->c = client_new(f, true, 0);
    connect_ok(f, f->c);
    write32(f->c, 0, TESTDEV_REG_STALL_MS, 300);
    struct counter k = {0};
    uint32_t v;
    assert_int_equal(vuc_region_read_async(f->c, 0, 0, &v, 4,
                                           VUC_TIMEOUT_DEFAULT, count_cb, &k),
                     0);
    vuc_client_free(f->c);
    f->c = NULL;
    assert_int_equal(k.calls, 1);
    assert_int_equal(k.result, -ECANCELED);
}

static void test_no_fd_leak(void **state)
{
    struct fx *f = *state;
    dev_start(f, NULL);
    int before = count_fds();
    for (int i = 0; i < 20; i++) {
        struct vuc_client *c = client_new(f, i % 2 == 0, 0);
        connect_ok(f, c);
        assert_int_equal(read32(c, 1, TESTDEV_BAR1_MMAP_OFFSET + 4 * i),
                         read32(c, 1, TESTDEV_BAR1_MMAP_OFFSET + 4 * i));
        vuc_client_free(c);
    }
    assert_int_equal(count_fds(), before);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
        T(test_discovery),
        T(test_minor_versions),
        T(test_chunked_io),
        T(test_chunks_counted),
        T(test_mmap_matches_messages),
        T(test_registers_and_reset),
        T(test_reset_not_advertised),
        T(test_state_kept_across_clients),
        T(test_bad_arguments),
        T(test_connect_missing_socket),
        T(test_timeout_and_late_reply),
        T(test_server_killed_mid_request),
        T(test_server_vanishes),
        T(test_free_inside_callback),
        T(test_free_cancels_pending),
        T(test_no_fd_leak),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
