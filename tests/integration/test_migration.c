/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Migration and dirty pages against vuc-testdev: a device saved from one
 * server process and loaded into a fresh one comes out identical; the
 * dirty bitmaps name exactly the pages its DMA engine wrote, by fd and by
 * message; bad transitions and bad files are refused.
 */
#include <errno.h>
#include <fcntl.h>
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

static int tmpfile_fd(void)
{
    char path[] = "/tmp/vuc-mig-test-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    return fd;
}

/* A fresh vuc-testdev on the same socket path. */
static void restart(struct fx *f)
{
    vuc_client_free(f->c);
    f->c = NULL;
    dev_stop(f);
    dev_start(f, NULL);
    f->c = client_new(f, false, 0);
    connect_ok(f, f->c);
}

static void test_save_load_identical(void **state)
{
    struct fx *f = *state;
    const size_t bar1 = TESTDEV_BAR1_SIZE;
    uint8_t *mem = malloc(bar1), *back = malloc(bar1);
    uint32_t regs[TESTDEV_NUM_SCRATCH];

    dev_start(f, NULL);
    f->c = client_new(f, false, 0);
    connect_ok(f, f->c);
    uint64_t flags;
    assert_int_equal(vuc_mig_probe(f->c, &flags), 0);
    assert_true(flags & VFIO_USER_MIGRATION_STOP_COPY);

    for (unsigned i = 0; i < TESTDEV_NUM_SCRATCH; i++) {
        regs[i] = 0x5a5a0000u + i * 7;
        write32(f->c, BAR0, TESTDEV_REG_SCRATCH(i), regs[i]);
    }
    for (size_t i = 0; i < bar1; i++) {
        mem[i] = (uint8_t)(i * 13 + (i >> 9));
    }
    /* Everything but the write log page, which the device itself owns. */
    assert_int_equal(vuc_region_write(f->c, BAR1, 0, mem, TESTDEV_LOG_OFFSET),
                     0);
    assert_int_equal(vuc_region_read(f->c, BAR1, 0, mem, bar1), 0);

    int fd = tmpfile_fd();
    assert_int_equal(vuc_mig_save(f->c, fd), 0);
    uint32_t st;
    assert_int_equal(vuc_mig_get_state(f->c, &st), 0);
    assert_int_equal(st, VFIO_USER_DEVICE_STATE_STOP);

    /* A fresh process starts from power-on values. */
    restart(f);
    assert_int_equal(read32(f->c, BAR0, TESTDEV_REG_SCRATCH(0)), 0);
    assert_int_equal(vuc_mig_load(f->c, fd), 0);
    assert_int_equal(vuc_mig_get_state(f->c, &st), 0);
    assert_int_equal(st, VFIO_USER_DEVICE_STATE_RUNNING);
    for (unsigned i = 0; i < TESTDEV_NUM_SCRATCH; i++) {
        assert_int_equal(read32(f->c, BAR0, TESTDEV_REG_SCRATCH(i)), regs[i]);
    }
    assert_int_equal(vuc_region_read(f->c, BAR1, 0, back, bar1), 0);
    assert_memory_equal(back, mem, TESTDEV_LOG_OFFSET);
    close(fd);
    free(mem);
    free(back);
}

static void test_refusals(void **state)
{
    struct fx *f = *state;
    dev_start(f, NULL);
    f->c = client_new(f, false, 0);
    connect_ok(f, f->c);

    assert_int_equal(vuc_mig_set_state(f->c, VFIO_USER_DEVICE_STATE_ERROR),
                     -EINVAL);
    assert_int_equal(vuc_mig_set_state(f->c, VFIO_USER_DEVICE_STATE_STOP_COPY),
                     0);
    assert_int_equal(vuc_mig_set_state(f->c, VFIO_USER_DEVICE_STATE_PRE_COPY),
                     -EPERM);
    assert_non_null(strstr(vuc_strerror(f->c), "STOP_COPY to PRE_COPY"));
    assert_int_equal(vuc_mig_set_state(f->c, VFIO_USER_DEVICE_STATE_RUNNING),
                     0);

    /* Truncated and foreign files never reach the device. */
    int good = tmpfile_fd();
    assert_int_equal(vuc_mig_save(f->c, good), 0);
    assert_int_equal(vuc_mig_set_state(f->c, VFIO_USER_DEVICE_STATE_RUNNING),
                     0);
    off_t size = lseek(good, 0, SEEK_END);
    uint8_t *bytes = malloc((size_t)size);
    assert_int_equal(pread(good, bytes, (size_t)size, 0), size);

    int cut = tmpfile_fd();
    assert_int_equal(write(cut, bytes, (size_t)size - 100), size - 100);
    assert_int_equal(vuc_mig_load(f->c, cut), -EINVAL);
    assert_non_null(strstr(vuc_strerror(f->c), "truncated"));

    int flip = tmpfile_fd();
    bytes[size / 2] ^= 0x40;
    assert_int_equal(write(flip, bytes, (size_t)size), size);
    assert_int_equal(vuc_mig_load(f->c, flip), -EINVAL);
    assert_non_null(strstr(vuc_strerror(f->c), "CRC"));

    /* The device is still running, untouched. */
    uint32_t st;
    assert_int_equal(vuc_mig_get_state(f->c, &st), 0);
    assert_int_equal(st, VFIO_USER_DEVICE_STATE_RUNNING);
    free(bytes);
    close(good);
    close(cut);
    close(flip);
}

static void test_dirty_bitmaps(void **state)
{
    struct fx *f = *state;
    struct vuc_dma_map *src, *by_fd, *by_msg;
    const size_t size = 64 * 4096;

    dev_start(f, NULL);
    f->c = client_new(f, false, 0);
    connect_ok(f, f->c);
    assert_int_equal(vuc_dma_alloc(f->c, size, VUC_IOVA_ANY,
                                   VUC_DMA_READ | VUC_DMA_WRITE, &src),
                     0);
    assert_int_equal(
        vuc_dma_alloc(f->c, size, VUC_IOVA_ANY, VUC_DMA_WRITE, &by_fd), 0);
    assert_int_equal(vuc_dma_alloc(f->c, size, VUC_IOVA_ANY,
                                   VUC_DMA_WRITE | VUC_DMA_NOSHARE, &by_msg),
                     0);
    assert_int_equal(vuc_dirty_start(f->c, NULL, 0, 4096), 0);
    assert_int_equal(vuc_dirty_get_mode(f->c), VUC_DIRTY_LOGGING);

    /* Pages 3 and 10..11 of each destination. */
    uint64_t s = vuc_dma_iova(src);
    for (int k = 0; k < 2; k++) {
        uint64_t d = vuc_dma_iova(k ? by_msg : by_fd);
        assert_int_equal(dma_job(f->c, s, d + 3 * 4096 + 100, 16, 0), 0);
        assert_int_equal(dma_job(f->c, s, d + 10 * 4096, 2 * 4096, 0), 0);
    }
    const uint64_t want = (1ull << 3) | (3ull << 10);
    uint64_t bits[1];
    assert_int_equal(
        vuc_dirty_report(f->c, vuc_dma_iova(by_fd), size, 4096, bits, 1), 0);
    assert_int_equal(bits[0], want); /* the server's log */
    assert_int_equal(
        vuc_dirty_report(f->c, vuc_dma_iova(by_msg), size, 4096, bits, 1), 0);
    assert_int_equal(bits[0], want); /* the client's record */
    /* Clear-on-read, both sides. */
    assert_int_equal(
        vuc_dirty_report(f->c, vuc_dma_iova(by_fd), size, 4096, bits, 1), 0);
    assert_int_equal(bits[0], 0);
    assert_int_equal(
        vuc_dirty_report(f->c, vuc_dma_iova(by_msg), size, 4096, bits, 1), 0);
    assert_int_equal(bits[0], 0);
    /* A coarser page: 16 KiB pages 0 (page 3) and 2 (pages 10..11). */
    assert_int_equal(dma_job(f->c, s, vuc_dma_iova(by_fd) + 3 * 4096, 8, 0), 0);
    assert_int_equal(dma_job(f->c, s, vuc_dma_iova(by_fd) + 10 * 4096, 8192, 0),
                     0);
    assert_int_equal(
        vuc_dirty_report(f->c, vuc_dma_iova(by_fd), size, 16384, bits, 1), 0);
    assert_int_equal(bits[0], 0x5);
    assert_int_equal(vuc_dirty_stop(f->c), 0);
    assert_int_equal(vuc_dirty_get_mode(f->c), VUC_DIRTY_OFF);
}

static void test_legacy_dirty(void **state)
{
    struct fx *f = *state;
    struct vuc_dma_map *src, *dst;
    dev_start(f, "--legacy-dirty", NULL);
    f->c = client_new(f, false, 0);
    connect_ok(f, f->c);
    assert_int_equal(vuc_dma_alloc(f->c, 8 * 4096, VUC_IOVA_ANY,
                                   VUC_DMA_READ | VUC_DMA_WRITE, &src),
                     0);
    assert_int_equal(
        vuc_dma_alloc(f->c, 8 * 4096, VUC_IOVA_ANY, VUC_DMA_WRITE, &dst), 0);
    assert_int_equal(vuc_dirty_start(f->c, NULL, 0, 4096), 0);
    assert_int_equal(vuc_dirty_get_mode(f->c), VUC_DIRTY_LEGACY);
    assert_int_equal(
        dma_job(f->c, vuc_dma_iova(src), vuc_dma_iova(dst) + 5 * 4096, 64, 0),
        0);
    uint64_t bits[1];
    assert_int_equal(
        vuc_dirty_report(f->c, vuc_dma_iova(dst), 8 * 4096, 4096, bits, 1), 0);
    assert_int_equal(bits[0], 1u << 5);

    /* Unmapping with the legacy bitmap: the pages written since. */
    assert_int_equal(dma_job(f->c, vuc_dma_iova(src),
                             vuc_dma_iova(dst) + 2 * 4096, 4096 + 1, 0),
                     0);
    uint64_t dst_iova = vuc_dma_iova(dst);
    assert_int_equal(vuc_dma_unmap_dirty(f->c, dst, 4096, bits, 1), 0);
    assert_int_equal(bits[0], 3u << 2);
    assert_null(vuc_dma_find(f->c, dst_iova, 1));
    /* Outside the legacy mode it is refused. */
    assert_int_equal(vuc_dirty_stop(f->c), 0);
    assert_int_equal(vuc_dma_unmap_dirty(f->c, src, 4096, bits, 1), -ENOTSUP);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
        T(test_save_load_identical),
        T(test_refusals),
        T(test_dirty_bitmaps),
        T(test_legacy_dirty),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
