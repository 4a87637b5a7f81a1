/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The outgoing queue's bound: a server that stops reading (vuc-testdev's
 * stall register) while a client keeps posting writes. Asynchronous calls
 * are refused with -ENOBUFS at the high mark and told when there is room
 * again; blocking calls wait for room or time out naming the queue; the
 * queue, and with it the process's memory, stays under the bound; and once
 * the stall ends every write arrives, in order, and the fence reports the
 * result.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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
#define HIGH (4u << 20) /* the default high mark */
#define LOW (1u << 20)
#define CHUNK 4096u
/* BAR1's pages below the write log, written round robin. */
#define SLOTS (TESTDEV_LOG_OFFSET / CHUNK)
/* What one admitted call may add beyond the mark: a 4 KiB write and its
 * header, and a batch of small posted writes flushed before it. */
#define CALL_MAX (CHUNK + 64u * 1024u)
/* Memory the process may use beyond the queue's bound: the queue's buffer
 * is grown by doubling, and allocators keep some of what was freed. */
#define RSS_SLACK (16u << 20)

static size_t rss_bytes(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%ld %ld", &pages, &resident), 2);
    fclose(f);
    return (size_t)resident * (size_t)sysconf(_SC_PAGESIZE);
}

struct feed {
    int writable; /* writable callbacks */
    uint64_t completed, failed;
};

static void on_writable(struct vuc_client *c, void *arg)
{
    ((struct feed *)arg)->writable++;
}

static void on_write(struct vuc_client *c, int result, void *arg)
{
    struct feed *fd = arg;
    if (result == 0) {
        fd->completed++;
    } else {
        fd->failed++;
    }
}

static struct vuc_client *open_client(struct fx *f, int timeout_ms)
{
    /* No mapping: every BAR1 write goes through the socket. */
    struct vuc_client *c = client_new(f, false, timeout_ms);
    connect_ok(f, c);
    assert_int_equal(vuc_set_posting(c, VUC_POSTING_POSTED), 0);
    return c;
}

static void stall(struct vuc_client *c, uint32_t ms)
{
    write32(c, BAR0, TESTDEV_REG_STALL_MS, ms);
}

/* Write number i: even ones fill a BAR1 page with i/2, odd ones put i/2
 * into SCRATCH0 (logged by the device, so their order can be read back). */
static int post(struct vuc_client *c, uint64_t i, uint32_t *page,
                struct feed *fd)
{
    uint32_t seq = (uint32_t)(i / 2);
    if (i % 2 == 0) {
        for (unsigned k = 0; k < CHUNK / 4; k++) {
            page[k] = seq;
        }
        return vuc_region_write_async(c, BAR1, (uint64_t)(seq % SLOTS) * CHUNK,
                                      page, CHUNK, VUC_TIMEOUT_DEFAULT,
                                      on_write, fd);
    }
    return vuc_region_write_async(c, BAR0, TESTDEV_REG_SCRATCH(0), &seq, 4,
                                  VUC_TIMEOUT_DEFAULT, on_write, fd);
}

static void test_stalled_server_bounded(void **state)
{
    struct fx *f = *state;
    const char *mb = getenv("VUC_SEND_BOUND_MB");
    uint64_t pages = (mb ? strtoull(mb, NULL, 0) : 1024) * (1u << 20) / CHUNK;
    uint64_t total = 2 * pages;
    static uint32_t page[CHUNK / 4];
    struct feed fd = {0};
    uint64_t nobufs = 0;
    size_t max_queued = 0, max_rss = 0;

    dev_start(f, "--reply-errors-on-noreply", NULL);
    f->c = open_client(f, 60000);
    vuc_set_writable_cb(f->c, on_writable, &fd);
    uint32_t count0 = read32(f->c, BAR0, TESTDEV_REG_ACCESS_COUNT);
    uint32_t log0 = log_count(f->c);
    size_t rss0 = rss_bytes();

    stall(f->c, 2000);
    for (uint64_t i = 0; i < total;) {
        int rc = post(f->c, i, page, &fd);
        if (rc == 0) {
            i++;
            size_t q = vuc_get_send_queued(f->c);
            max_queued = q > max_queued ? q : max_queued;
            if (i % 256 == 0) {
                size_t rss = rss_bytes();
                max_rss = rss > max_rss ? rss : max_rss;
            }
            continue;
        }
        if (rc != -ENOBUFS) {
            fail_msg("write %llu: %d %s", (unsigned long long)i, rc,
                     vuc_strerror(f->c));
        }
        if (nobufs++ == 0 &&
            strstr(vuc_strerror(f->c), "outgoing queue") == NULL) {
            fail_msg("unexpected text: %s", vuc_strerror(f->c));
        }
        size_t rss = rss_bytes();
        max_rss = rss > max_rss ? rss : max_rss;
        /* Refused whole: nothing of it was queued, and the writable
         * callback says when to try again. */
        int before = fd.writable;
        while (fd.writable == before && vuc_get_send_queued(f->c) > 0) {
            assert_int_equal(event_base_loop(f->base, EVLOOP_ONCE), 0);
        }
        assert_int_equal(fd.writable, before + 1);
    }
    int rc = vuc_fence(f->c);
    if (rc != 0) {
        fail_msg("fence: %d %s", rc, vuc_strerror(f->c));
    }
    event_base_loop(f->base, EVLOOP_NONBLOCK);
    assert_int_equal(fd.completed, total);
    assert_int_equal(fd.failed, 0);
    print_message("%llu MiB posted in %llu writes; %llu refused; queue max "
                  "%zu bytes; RSS %zu -> max %zu KiB\n",
                  (unsigned long long)(pages * CHUNK >> 20),
                  (unsigned long long)total, (unsigned long long)nobufs,
                  max_queued, rss0 >> 10, max_rss >> 10);
    assert_true(nobufs > 0);
    assert_true(max_queued < HIGH + CALL_MAX);
#ifndef __SANITIZE_ADDRESS__
    /* AddressSanitizer keeps freed memory resident (its quarantine), so
     * RSS says nothing there; the queue's own bound above still holds. */
    assert_true(max_rss < rss0 + HIGH + RSS_SLACK);
#endif

    /* Every write arrived, in order: the device counted each SCRATCH0
     * write, its log holds the newest in sequence, and each BAR1 page holds
     * the last value written to it. */
    uint32_t count = read32(f->c, BAR0, TESTDEV_REG_ACCESS_COUNT);
    /* Beyond the writes: the first read itself and the STALL_MS write. */
    assert_int_equal(count - count0 - 2, (uint32_t)pages);
    uint32_t logn = log_count(f->c);
    assert_int_equal(logn - log0 - 1, (uint32_t)pages); /* and STALL_MS */
    for (uint32_t age = 0; age < TESTDEV_LOG_RING - 1; age++) {
        uint64_t v = 0;
        uint32_t e = TESTDEV_LOG_NEWEST(logn - age);
        assert_int_equal(
            vuc_region_read(f->c, BAR1,
                            TESTDEV_LOG_ENTRY(e) + TESTDEV_LOG_E_VALUE, &v, 8),
            0);
        assert_int_equal(v, pages - 1 - age);
    }
    for (uint32_t s = 0; s < SLOTS; s++) {
        uint32_t want = (uint32_t)(pages - 1 - ((pages - 1 - s) % SLOTS));
        assert_int_equal(
            vuc_region_read(f->c, BAR1, (uint64_t)s * CHUNK, page, CHUNK), 0);
        assert_int_equal(page[0], want);
        assert_int_equal(page[CHUNK / 4 - 1], want);
    }
    /* A posted write the server fails is reported by the next fence. */
    write32(f->c, BAR0, TESTDEV_REG_REJECT, 1);
    assert_int_equal(vuc_fence(f->c), -EIO);
}

/* A blocking call waits for room; when the server does not read for longer
 * than the client's timeout, it fails naming the queue. */
static void test_blocking_call_waits(void **state)
{
    struct fx *f = *state;
    static uint32_t page[CHUNK / 4];
    struct feed fd = {0};

    dev_start(f, NULL);
    f->c = open_client(f, 300);
    stall(f->c, 3000);
    uint64_t i = 0, limit = 4 * HIGH / CHUNK;
    while (i < limit && post(f->c, 2 * i, page, &fd) == 0) {
        i++;
    }
    assert_true(vuc_get_send_queued(f->c) >= HIGH);
    uint32_t v = 7;
    assert_int_equal(
        vuc_region_write(f->c, BAR0, TESTDEV_REG_SCRATCH(1), &v, 4),
        -ETIMEDOUT);
    if (strstr(vuc_strerror(f->c), "outgoing queue") == NULL) {
        fail_msg("unexpected text: %s", vuc_strerror(f->c));
    }
    /* Nothing was queued by the refused calls; with a longer patience the
     * same call goes through once the stall ends. */
    vuc_client_free(f->c);
    f->c = open_client(f, 10000);
    stall(f->c, 500);
    for (uint64_t n = 0; n < limit && post(f->c, 2 * i, page, &fd) == 0;) {
        i++;
        n++;
    }
    assert_true(vuc_get_send_queued(f->c) >= HIGH);
    assert_int_equal(
        vuc_region_write(f->c, BAR0, TESTDEV_REG_SCRATCH(1), &v, 4), 0);
    assert_int_equal(vuc_fence(f->c), 0);
    assert_int_equal(read32(f->c, BAR0, TESTDEV_REG_SCRATCH(1)), 7);
}

/* The watermarks are the caller's to choose, within reason. */
static void test_options(void **state)
{
    struct vuc_options *o = vuc_options_new();
    assert_int_equal(vuc_options_set_send_watermarks(o, 8192, 8192), -EINVAL);
    assert_int_equal(vuc_options_set_send_watermarks(o, 0, 1024), -EINVAL);
    assert_int_equal(vuc_options_set_send_watermarks(o, 0, 65536), 0);
    vuc_options_free(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_options),
        cmocka_unit_test_setup_teardown(test_blocking_call_waits, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_stalled_server_bounded, fx_setup,
                                        fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
