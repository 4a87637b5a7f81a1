/* SPDX-License-Identifier: BSD-3-Clause */
#include "testdev_fixture.h"

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

#include "testdev_regs.h"

#ifndef VUC_TESTDEV
#error "VUC_TESTDEV must name the vuc-testdev binary"
#endif

static void disconnect_cb(struct vuc_client *c, int result, void *arg)
{
    struct fx *f = arg;
    f->disconnects++;
    f->disconnect_result = result;
}

/* Start vuc-testdev with extra options (NULL-terminated). */
void dev_start(struct fx *f, ...)
{
    const char *argv[16];
    char sockarg[160];
    va_list ap;
    int n = 0;

    snprintf(sockarg, sizeof(sockarg), "--socket-path=%s", f->sock);
    argv[n++] = VUC_TESTDEV;
    argv[n++] = sockarg;
    va_start(ap, f);
    for (const char *a; (a = va_arg(ap, const char *)) != NULL && n < 15;) {
        argv[n++] = a;
    }
    va_end(ap);
    argv[n] = NULL;

    unlink(f->sock);
    f->dev = fork();
    assert_true(f->dev >= 0);
    if (f->dev == 0) {
        execv(argv[0], (char **)argv);
        _exit(127);
    }
    struct stat st;
    for (int i = 0; i < 500 && stat(f->sock, &st) != 0; i++) {
        poll(NULL, 0, 10);
    }
    assert_int_equal(stat(f->sock, &st), 0);
}

void dev_stop(struct fx *f)
{
    if (f->dev > 0) {
        kill(f->dev, SIGTERM);
        waitpid(f->dev, NULL, 0);
        f->dev = 0;
    }
}

struct vuc_client *client_new(struct fx *f, bool auto_mmap, int timeout_ms)
{
    struct vuc_options *o = vuc_options_new();
    assert_non_null(o);
    f->logsink = (struct test_log){f->log, sizeof(f->log)};
    vuc_options_set_log(o, test_log_line, &f->logsink, VUC_LOG_DEBUG);
    vuc_options_set_auto_mmap(o, auto_mmap);
    if (timeout_ms > 0) {
        vuc_options_set_timeout(o, timeout_ms);
    }
    struct vuc_client *c = vuc_client_new(f->base, o);
    vuc_options_free(o);
    assert_non_null(c);
    vuc_set_disconnect_cb(c, disconnect_cb, f);
    return c;
}

void connect_ok(struct fx *f, struct vuc_client *c)
{
    int rc = vuc_connect_path(c, f->sock);
    if (rc != 0) {
        fail_msg("connect: %d %s", rc, vuc_strerror(c));
    }
}

int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    f->fds_before = count_fds();
    strcpy(f->dir, "/tmp/vuc-test-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->sock, sizeof(f->sock), "%s/dev.sock", f->dir);
    f->base = event_base_new();
    *state = f;
    return 0;
}

int fx_teardown(void **state)
{
    struct fx *f = *state;
    vuc_client_free(f->c);
    dev_stop(f);
    unlink(f->sock);
    rmdir(f->dir);
    event_base_free(f->base);
    assert_int_equal(count_fds(), f->fds_before);
    free(f);
    return 0;
}

uint32_t read32(struct vuc_client *c, uint32_t region, uint64_t off)
{
    uint32_t v = 0;
    int rc = vuc_region_read(c, region, off, &v, 4);
    if (rc != 0) {
        fail_msg("read %u+0x%llx: %d %s", region, (unsigned long long)off, rc,
                 vuc_strerror(c));
    }
    return v;
}

void write32(struct vuc_client *c, uint32_t region, uint64_t off, uint32_t v)
{
    int rc = vuc_region_write(c, region, off, &v, 4);
    if (rc != 0) {
        fail_msg("write %u+0x%llx: %d %s", region, (unsigned long long)off, rc,
                 vuc_strerror(c));
    }
}

uint32_t dma_job(struct vuc_client *c, uint64_t src, uint64_t dst, uint32_t len,
                 uint32_t ctrl)
{
    const uint32_t bar0 = VFIO_USER_PCI_BAR0_REGION_INDEX;

    write32(c, bar0, TESTDEV_REG_DMA_SRC_LO, (uint32_t)src);
    write32(c, bar0, TESTDEV_REG_DMA_SRC_HI, (uint32_t)(src >> 32));
    write32(c, bar0, TESTDEV_REG_DMA_DST_LO, (uint32_t)dst);
    write32(c, bar0, TESTDEV_REG_DMA_DST_HI, (uint32_t)(dst >> 32));
    write32(c, bar0, TESTDEV_REG_DMA_LEN, len);
    write32(c, bar0, TESTDEV_REG_DMA_CTRL, ctrl | TESTDEV_DMA_CTRL_START);
    uint32_t st = read32(c, bar0, TESTDEV_REG_DMA_STATUS);
    assert_true(st == TESTDEV_DMA_STATUS_DONE ||
                st == TESTDEV_DMA_STATUS_ERROR);
    return read32(c, bar0, TESTDEV_REG_DMA_ERRNO);
}

uint32_t log_count(struct vuc_client *c)
{
    uint32_t n;
    assert_int_equal(vuc_region_read(c, VFIO_USER_PCI_BAR1_REGION_INDEX,
                                     TESTDEV_LOG_COUNT, &n, 4),
                     0);
    return n;
}

uint64_t log_value(struct vuc_client *c, uint32_t count, uint32_t age)
{
    uint32_t i = TESTDEV_LOG_NEWEST(count - age);
    uint64_t v;
    assert_int_equal(vuc_region_read(c, VFIO_USER_PCI_BAR1_REGION_INDEX,
                                     TESTDEV_LOG_ENTRY(i) + TESTDEV_LOG_E_VALUE,
                                     &v, 8),
                     0);
    return v;
}
