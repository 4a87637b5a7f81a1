/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DMA, interrupts and the PCI helpers against vuc-testdev: its DMA engine
 * copies through an fd mapping or with DMA_READ/DMA_WRITE messages that
 * libvuc serves, with and without twin-socket mode; its interrupt hooks
 * fire vectors on demand.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include <vuc/vuc.h>

#include "testdev_fixture.h"
#include "testdev_regs.h"

#define BAR0 VFIO_USER_PCI_BAR0_REGION_INDEX
#define INTX VFIO_USER_PCI_INTX_IRQ_INDEX
#define MSIX VFIO_USER_PCI_MSIX_IRQ_INDEX

static struct vuc_client *open_client(struct fx *f, bool twin)
{
    struct vuc_options *o = vuc_options_new();
    vuc_options_set_twin_socket(o, twin);
    struct vuc_client *c = vuc_client_new(f->base, o);
    vuc_options_free(o);
    connect_ok(f, c);
    assert_int_equal(vuc_get_caps(c)->twin_socket, twin);
    return c;
}

static void fill(uint8_t *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++) {
        p[i] = (uint8_t)(i * 31 + seed + (i >> 10));
    }
}

/* The same job by fd and by message produces the same bytes. */
static void check_paths(struct fx *f, bool twin)
{
    const size_t len = (1u << 20) + 4096 * 3;
    struct vuc_dma_map *src, *dst_fd, *dst_msg, *dst_noshare;

    dev_start(f, NULL);
    f->c = open_client(f, twin);
    assert_int_equal(vuc_dma_alloc(f->c, len, VUC_IOVA_ANY,
                                   VUC_DMA_READ | VUC_DMA_WRITE, &src),
                     0);
    assert_int_equal(
        vuc_dma_alloc(f->c, len, VUC_IOVA_ANY, VUC_DMA_WRITE, &dst_fd), 0);
    assert_int_equal(
        vuc_dma_alloc(f->c, len, VUC_IOVA_ANY, VUC_DMA_WRITE, &dst_msg), 0);
    assert_int_equal(vuc_dma_alloc(f->c, len, VUC_IOVA_ANY,
                                   VUC_DMA_WRITE | VUC_DMA_NOSHARE,
                                   &dst_noshare),
                     0);
    uint8_t *pattern = malloc(len), *out = malloc(len);
    fill(pattern, len, twin ? 5 : 9);
    assert_int_equal(vuc_dma_write(f->c, vuc_dma_iova(src), pattern, len), 0);

    uint32_t odd = (uint32_t)len - 777;
    assert_int_equal(
        dma_job(f->c, vuc_dma_iova(src), vuc_dma_iova(dst_fd), odd, 0), 0);
    assert_int_equal(dma_job(f->c, vuc_dma_iova(src), vuc_dma_iova(dst_msg),
                             odd, TESTDEV_DMA_CTRL_FORCE_MSG),
                     0);
    assert_int_equal(
        dma_job(f->c, vuc_dma_iova(src), vuc_dma_iova(dst_noshare), odd, 0), 0);
    assert_int_equal(read32(f->c, BAR0, TESTDEV_REG_DMA_DONE_COUNT), 3);
    for (int k = 0; k < 3; k++) {
        struct vuc_dma_map *d = k == 0   ? dst_fd
                                : k == 1 ? dst_msg
                                         : dst_noshare;
        memset(out, 0, len);
        assert_int_equal(vuc_dma_read(f->c, vuc_dma_iova(d), out, len), 0);
        assert_memory_equal(out, pattern, odd);
        for (size_t i = odd; i < len; i++) {
            assert_int_equal(out[i], 0); /* nothing past the job */
        }
    }
    /* Pages written by DMA_WRITE messages are recorded by the client;
     * the fd path's are not (the server knows those). */
    size_t words = (len / 4096 + 63) / 64;
    uint64_t *bits = calloc(words, 8);
    assert_int_equal(vuc_dma_msg_dirty(f->c, dst_msg, bits, words, true), 0);
    assert_int_equal(bits[0], ~0ull);
    assert_int_equal(vuc_dma_msg_dirty(f->c, dst_fd, bits, words, true), 0);
    assert_int_equal(bits[0], 0);
    free(bits);
    free(pattern);
    free(out);
}

static void test_dma_paths_twin(void **state)
{
    check_paths(*state, true);
}

static void test_dma_paths_single_socket(void **state)
{
    check_paths(*state, false);
}

static void test_dma_errors(void **state)
{
    struct fx *f = *state;
    struct vuc_dma_map *ro, *wo;
    dev_start(f, NULL);
    f->c = open_client(f, true);
    assert_int_equal(vuc_dma_alloc(f->c, 8192, VUC_IOVA_ANY, VUC_DMA_READ, &ro),
                     0);
    assert_int_equal(
        vuc_dma_alloc(f->c, 8192, VUC_IOVA_ANY, VUC_DMA_WRITE, &wo), 0);
    /* Outside every map, past a map's end, without permission. */
    assert_int_equal(dma_job(f->c, 0x1000, vuc_dma_iova(wo), 64, 0), ENOENT);
    assert_int_equal(dma_job(f->c, vuc_dma_iova(ro), vuc_dma_iova(wo), 8193,
                             TESTDEV_DMA_CTRL_FORCE_MSG),
                     EFAULT);
    assert_int_equal(dma_job(f->c, vuc_dma_iova(wo), vuc_dma_iova(ro), 64, 0),
                     EPERM);
    /* The connection is unharmed. */
    assert_int_equal(dma_job(f->c, vuc_dma_iova(ro), vuc_dma_iova(wo), 8192,
                             TESTDEV_DMA_CTRL_FORCE_MSG),
                     0);
}

static void unmap_cb(struct vuc_client *c, int result, void *arg)
{
    *(int *)arg = result == 0 ? 1 : result;
}

static void test_unmap_mid_transfer(void **state)
{
    struct fx *f = *state;
    struct vuc_dma_map *src, *dst;
    const uint32_t len = 8u << 20;
    dev_start(f, NULL);
    f->c = open_client(f, false);
    assert_int_equal(vuc_dma_alloc(f->c, len, VUC_IOVA_ANY,
                                   VUC_DMA_READ | VUC_DMA_WRITE, &src),
                     0);
    assert_int_equal(
        vuc_dma_alloc(f->c, len, VUC_IOVA_ANY, VUC_DMA_WRITE, &dst), 0);
    uint64_t dst_iova = vuc_dma_iova(dst);
    write32(f->c, BAR0, TESTDEV_REG_DMA_SRC_LO, (uint32_t)vuc_dma_iova(src));
    write32(f->c, BAR0, TESTDEV_REG_DMA_SRC_HI,
            (uint32_t)(vuc_dma_iova(src) >> 32));
    write32(f->c, BAR0, TESTDEV_REG_DMA_DST_LO, (uint32_t)dst_iova);
    write32(f->c, BAR0, TESTDEV_REG_DMA_DST_HI, (uint32_t)(dst_iova >> 32));
    write32(f->c, BAR0, TESTDEV_REG_DMA_LEN, len);
    write32(f->c, BAR0, TESTDEV_REG_DMA_CTRL,
            TESTDEV_DMA_CTRL_START | TESTDEV_DMA_CTRL_FORCE_MSG);
    /* The job is running (in message mode, on the single socket): unmap
     * the destination now. The map is served until the server's reply. */
    int done = 0;
    assert_int_equal(
        vuc_dma_unmap_async(f->c, dst, VUC_TIMEOUT_DEFAULT, unmap_cb, &done),
        0);
    assert_int_equal(vuc_dma_count(f->c), 2);
    uint32_t st = read32(f->c, BAR0, TESTDEV_REG_DMA_STATUS);
    assert_int_equal(st, TESTDEV_DMA_STATUS_DONE);
    assert_int_equal(done, 1);
    assert_int_equal(vuc_dma_count(f->c), 1);
    assert_null(vuc_dma_find(f->c, dst_iova, 1));
}

static void test_seals_and_cycles(void **state)
{
    struct fx *f = *state;
    struct vuc_dma_map *m;
    dev_start(f, NULL);
    f->c = open_client(f, true);
    assert_int_equal(vuc_dma_alloc(f->c, 4096, VUC_IOVA_ANY, VUC_DMA_WRITE, &m),
                     0);
    assert_int_equal(ftruncate(vuc_dma_fd(m), 0), -1);
    assert_int_equal(errno, EPERM);
    assert_int_equal(vuc_dma_unmap(f->c, m), 0);

    int before = count_fds();
    for (int i = 0; i < 10000; i++) {
        assert_int_equal(vuc_dma_alloc(f->c, 4096, VUC_IOVA_ANY,
                                       VUC_DMA_READ | VUC_DMA_WRITE, &m),
                         0);
        assert_int_equal(vuc_dma_unmap(f->c, m), 0);
    }
    assert_int_equal(count_fds(), before);
    assert_int_equal(vuc_dma_count(f->c), 0);
}

/* ---- Huge pages ---------------------------------------------------------- */

#define HUGE_2M (2u << 20)
#define HUGE_SYSFS "/sys/kernel/mm/hugepages/hugepages-2048kB/"

static long read_long(const char *path)
{
    FILE *fp = fopen(path, "r");
    long v = -1;

    if (fp != NULL) {
        if (fscanf(fp, "%ld", &v) != 1) {
            v = -1;
        }
        fclose(fp);
    }
    return v;
}

/* 2 MiB pages a new mapping can still reserve; -1 without such a pool. */
static long huge_pages_available(void)
{
    long free_pages = read_long(HUGE_SYSFS "free_hugepages");
    long reserved = read_long(HUGE_SYSFS "resv_hugepages");

    return free_pages < 0 || reserved < 0 ? -1 : free_pages - reserved;
}

/* The page size the kernel backs an address of ours with, in KiB. */
static long kernel_page_kib(const void *addr)
{
    FILE *fp = fopen("/proc/self/smaps", "r");
    char line[256];
    long kib = -1;
    bool inside = false;

    assert_non_null(fp);
    while (fgets(line, sizeof(line), fp) != NULL) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') &&
            line[0] != ' ') {
            inside = (uintptr_t)addr >= lo && (uintptr_t)addr < hi;
        } else if (inside &&
                   sscanf(line, "KernelPageSize: %ld kB", &kib) == 1) {
            break;
        }
    }
    fclose(fp);
    return kib;
}

/* Hugetlb memory goes to the device both ways, by fd and by message. CI
 * reserves a few pages for this (.ci/run); without them it is skipped. */
static void test_hugetlb_dma(void **state)
{
    struct fx *f = *state;
    struct vuc_dma_map *src, *dst;

    if (huge_pages_available() < 2) {
        VUC_SKIP_HARDWARE("fewer than 2 free 2 MiB huge pages");
    }
    dev_start(f, NULL);
    f->c = open_client(f, true);
    /* One byte over a page would take two: ask for exactly one each. */
    assert_int_equal(
        vuc_dma_alloc(f->c, HUGE_2M, VUC_IOVA_ANY,
                      VUC_DMA_READ | VUC_DMA_WRITE | VUC_DMA_HUGETLB, &src),
        0);
    assert_int_equal(
        vuc_dma_alloc(f->c, 4096, VUC_IOVA_ANY,
                      VUC_DMA_READ | VUC_DMA_WRITE | VUC_DMA_HUGETLB, &dst),
        0);
    assert_int_equal(vuc_dma_size(dst), HUGE_2M);
    assert_int_equal(vuc_dma_iova(src) % HUGE_2M, 0);
    assert_int_equal(vuc_dma_iova(dst) % HUGE_2M, 0);
    assert_int_equal(kernel_page_kib(vuc_dma_vaddr(src)), 2048);
    assert_int_equal(kernel_page_kib(vuc_dma_vaddr(dst)), 2048);
    /* Sealed like any other allocation. */
    assert_int_equal(ftruncate(vuc_dma_fd(src), 0), -1);
    assert_int_equal(errno, EPERM);

    uint8_t *pattern = malloc(HUGE_2M), *out = malloc(HUGE_2M);
    fill(pattern, HUGE_2M, 3);
    memcpy(vuc_dma_vaddr(src), pattern, HUGE_2M);
    const uint32_t half = HUGE_2M / 2;
    assert_int_equal(
        dma_job(f->c, vuc_dma_iova(src), vuc_dma_iova(dst), half, 0), 0);
    assert_int_equal(dma_job(f->c, vuc_dma_iova(src) + half,
                             vuc_dma_iova(dst) + half, half,
                             TESTDEV_DMA_CTRL_FORCE_MSG),
                     0);
    assert_int_equal(vuc_dma_read(f->c, vuc_dma_iova(dst), out, HUGE_2M), 0);
    assert_memory_equal(out, pattern, HUGE_2M);
    free(pattern);
    free(out);

    long before = huge_pages_available();
    assert_int_equal(vuc_dma_unmap(f->c, src), 0);
    assert_int_equal(vuc_dma_unmap(f->c, dst), 0);
    /* Ours are back (the server's mappings went with its unmap). */
    assert_true(huge_pages_available() >= before + 2);
}

/* Asking for more huge pages than there are fails cleanly: a message that
 * says what is short, no fd or map left behind, and the client goes on. */
static void test_hugetlb_shortage(void **state)
{
    struct fx *f = *state;
    struct vuc_dma_map *m = NULL;
    long avail = huge_pages_available();

    if (avail < 0) {
        VUC_SKIP_HARDWARE("the kernel has no 2 MiB huge page pool");
    }
    if (read_long("/proc/sys/vm/nr_overcommit_hugepages") != 0) {
        VUC_SKIP_HARDWARE("huge page overcommit is on");
    }
    dev_start(f, NULL);
    f->c = open_client(f, true);
    int fds = count_fds();
    size_t size = (size_t)(avail + 1) * HUGE_2M;
    assert_int_equal(
        vuc_dma_alloc(f->c, size, VUC_IOVA_ANY,
                      VUC_DMA_READ | VUC_DMA_WRITE | VUC_DMA_HUGETLB, &m),
        -ENOMEM);
    assert_null(m);
    assert_non_null(
        strstr(vuc_strerror(f->c), "not enough free 2 MiB huge pages"));
    assert_int_equal(count_fds(), fds);
    assert_int_equal(vuc_dma_count(f->c), 0);
    assert_int_equal(vuc_dma_alloc(f->c, 4096, VUC_IOVA_ANY,
                                   VUC_DMA_READ | VUC_DMA_WRITE, &m),
                     0);
    assert_int_equal(vuc_dma_unmap(f->c, m), 0);
}

/* ---- Interrupts ---------------------------------------------------------- */

static uint64_t events[2][32];

static void irq_cb(struct vuc_client *c, uint32_t index, uint32_t vector,
                   uint64_t count, void *arg)
{
    events[index == MSIX][vector] += count;
}

static void fire(struct vuc_client *c, uint32_t index, uint32_t vector,
                 uint32_t n)
{
    write32(c, BAR0, TESTDEV_REG_IRQ_SELECT, TESTDEV_IRQ_SELECT(index, vector));
    write32(c, BAR0, TESTDEV_REG_IRQ_FIRE, n);
}

static void settle(struct fx *f)
{
    for (int i = 0; i < 50; i++) {
        event_base_loop(f->base, EVLOOP_NONBLOCK);
        poll(NULL, 0, 1);
    }
}

static void test_msix_vectors_and_burst(void **state)
{
    struct fx *f = *state;
    dev_start(f, "--max-msg-fds=1", NULL);
    f->c = open_client(f, true);
    memset(events, 0, sizeof(events));
    /* 16 vectors, one fd per message. */
    assert_int_equal(
        vuc_irq_enable(f->c, MSIX, 0, TESTDEV_MSIX_COUNT, irq_cb, NULL), 0);
    for (uint32_t v = 0; v < TESTDEV_MSIX_COUNT; v++) {
        fire(f->c, MSIX, v, v + 1);
    }
    settle(f);
    for (uint32_t v = 0; v < TESTDEV_MSIX_COUNT; v++) {
        assert_int_equal(events[1][v], v + 1);
    }
    /* 100,000 fires: every one counted. */
    fire(f->c, MSIX, 7, 100000);
    settle(f);
    assert_int_equal(vuc_irq_total(f->c, MSIX, 7), 8 + 100000);
    assert_int_equal(events[1][7], 8 + 100000);
}

static void test_intx_automask(void **state)
{
    struct fx *f = *state;
    dev_start(f, NULL);
    f->c = open_client(f, true);
    memset(events, 0, sizeof(events));
    assert_int_equal(vuc_irq_enable(f->c, INTX, 0, 1, irq_cb, NULL), 0);
    /* Five fires: one delivered, the rest latched as one pending that the
     * automatic unmask releases. */
    fire(f->c, INTX, 0, 5);
    settle(f);
    assert_int_equal(read32(f->c, BAR0, TESTDEV_REG_IRQ_DELIVERED), 1);
    settle(f);
    assert_int_equal(events[0][0], 2);

    struct vuc_irq_event ev;
    assert_int_equal(vuc_irq_wait(f->c, INTX, 0, 100, &ev), 0);
    assert_int_equal(ev.count, 2);
    assert_int_equal(vuc_irq_wait(f->c, INTX, 0, 50, &ev), -ETIMEDOUT);
}

/* VUC_TIMEOUT_DEFAULT is the client's request timeout here too: only
 * VUC_TIMEOUT_NONE may wait for ever. */
static void test_irq_wait_default_timeout(void **state)
{
    struct fx *f = *state;
    dev_start(f, NULL);
    struct vuc_options *o = vuc_options_new();
    assert_int_equal(vuc_options_set_timeout(o, 50), 0);
    f->c = vuc_client_new(f->base, o);
    vuc_options_free(o);
    connect_ok(f, f->c);
    assert_int_equal(vuc_irq_enable(f->c, MSIX, 0, 1, NULL, NULL), 0);

    struct vuc_irq_event ev;
    assert_int_equal(vuc_irq_wait(f->c, MSIX, 0, VUC_TIMEOUT_DEFAULT, &ev),
                     -ETIMEDOUT);
    fire(f->c, MSIX, 0, 1);
    assert_int_equal(vuc_irq_wait(f->c, MSIX, 0, VUC_TIMEOUT_DEFAULT, &ev), 0);
    assert_int_equal(ev.count, 1);
}

static void test_dma_completion_irq_and_reset(void **state)
{
    struct fx *f = *state;
    struct vuc_dma_map *a, *b;
    dev_start(f, NULL);
    f->c = open_client(f, false);
    memset(events, 0, sizeof(events));
    assert_int_equal(vuc_irq_enable(f->c, MSIX, 0, 4, irq_cb, NULL), 0);
    assert_int_equal(vuc_dma_alloc(f->c, 4096, VUC_IOVA_ANY,
                                   VUC_DMA_READ | VUC_DMA_WRITE, &a),
                     0);
    assert_int_equal(vuc_dma_alloc(f->c, 4096, VUC_IOVA_ANY,
                                   VUC_DMA_READ | VUC_DMA_WRITE, &b),
                     0);
    assert_int_equal(dma_job(f->c, vuc_dma_iova(a), vuc_dma_iova(b), 4096,
                             TESTDEV_DMA_CTRL_IRQ | TESTDEV_DMA_CTRL_VECTOR(3)),
                     0);
    struct vuc_irq_event ev;
    assert_int_equal(vuc_irq_wait(f->c, MSIX, VUC_IRQ_ANY, 1000, &ev), 0);
    assert_int_equal(ev.vector, 3);

    /* After a reset the interrupts keep working. */
    assert_int_equal(vuc_device_reset(f->c), 0);
    fire(f->c, MSIX, 1, 2);
    assert_int_equal(vuc_irq_wait(f->c, MSIX, 1, 1000, &ev), 0);
    assert_int_equal(ev.count, 2);
}

static void test_every_set_irqs_combination(void **state)
{
    struct fx *f = *state;
    dev_start(f, NULL);
    f->c = open_client(f, true);
    const uint32_t data[] = {VFIO_USER_IRQ_SET_DATA_NONE,
                             VFIO_USER_IRQ_SET_DATA_BOOL,
                             VFIO_USER_IRQ_SET_DATA_EVENTFD};
    const uint32_t action[] = {VFIO_USER_IRQ_SET_ACTION_MASK,
                               VFIO_USER_IRQ_SET_ACTION_UNMASK,
                               VFIO_USER_IRQ_SET_ACTION_TRIGGER};
    int efd = eventfd(0, EFD_CLOEXEC);
    uint8_t yes = 1;
    for (uint32_t index = 0; index < TESTDEV_NUM_IRQS; index++) {
        for (int d = 0; d < 3; d++) {
            for (int a = 0; a < 3; a++) {
                struct sync {
                    bool done;
                    int rc;
                } s = {0};
                bool is_fd = data[d] == VFIO_USER_IRQ_SET_DATA_EVENTFD;
                int rc = vuc_irq_set_raw_async(
                    f->c, data[d] | action[a], index, 0, 1, &yes, &efd,
                    is_fd ? 1 : 0, VUC_TIMEOUT_DEFAULT, unmap_cb, &s.rc);
                assert_int_equal(rc, 0);
                while (s.rc == 0) {
                    event_base_loop(f->base, EVLOOP_ONCE);
                }
                /* The device's rules: masking is INTx's alone, eventfds
                 * only signal triggers; everything else is accepted. */
                bool mask = action[a] != VFIO_USER_IRQ_SET_ACTION_TRIGGER;
                int want = (mask && (index != INTX || is_fd)) ? -EINVAL : 1;
                if (s.rc != want) {
                    fail_msg("index %u data 0x%x action 0x%x: %d, expected "
                             "%d",
                             index, data[d], action[a], s.rc, want);
                }
            }
        }
        assert_int_equal(vuc_irq_disable(f->c, index), 0);
    }
    close(efd);
}

static void test_no_eventfd_leak(void **state)
{
    struct fx *f = *state;
    dev_start(f, NULL);
    f->c = open_client(f, true);
    int before = count_fds();
    for (int i = 0; i < 100; i++) {
        assert_int_equal(
            vuc_irq_enable(f->c, MSIX, 0, TESTDEV_MSIX_COUNT, irq_cb, NULL), 0);
        assert_int_equal(vuc_irq_disable(f->c, MSIX), 0);
    }
    assert_int_equal(count_fds(), before);
}

/* ---- PCI helpers --------------------------------------------------------- */

static void test_pci_helpers(void **state)
{
    struct fx *f = *state;
    dev_start(f, NULL);
    f->c = open_client(f, true);

    struct vuc_pci_cap caps[16];
    int n = vuc_pci_caps(f->c, caps, 16);
    assert_int_equal(n, 5);
    assert_int_equal(caps[0].offset, TESTDEV_PCI_CAP_PM);
    assert_int_equal(caps[1].offset, TESTDEV_PCI_CAP_MSI);
    assert_int_equal(caps[2].offset, TESTDEV_PCI_CAP_MSIX);
    assert_int_equal(caps[3].offset, TESTDEV_PCI_CAP_EXP);
    assert_true(caps[4].extended);
    assert_int_equal(caps[4].offset, TESTDEV_PCI_ECAP_DSN);

    struct vuc_pci_msix x;
    assert_int_equal(vuc_pci_msix(f->c, &x), 0);
    assert_int_equal(x.table_size, TESTDEV_MSIX_COUNT);
    assert_int_equal(x.table_offset, TESTDEV_MSIX_TABLE_OFFSET);
    assert_int_equal(x.pba_offset, TESTDEV_MSIX_PBA_OFFSET);
    assert_false(x.enabled);

    memset(events, 0, sizeof(events));
    assert_int_equal(vuc_pci_msix_enable(f->c, 8, irq_cb, NULL), 0);
    assert_int_equal(vuc_pci_msix(f->c, &x), 0);
    assert_true(x.enabled);
    fire(f->c, MSIX, 6, 1);
    settle(f);
    assert_int_equal(events[1][6], 1);
    assert_int_equal(vuc_pci_msix_disable(f->c), 0);

    struct vuc_pci_bar b;
    assert_int_equal(vuc_pci_bar(f->c, 0, &b), 0);
    assert_true(b.present && !b.io && !b.is64);
    assert_int_equal(b.size, TESTDEV_BAR0_SIZE);
    assert_int_equal(vuc_pci_bar(f->c, 3, &b), 0);
    assert_false(b.present);

    uint16_t old, cmd;
    assert_int_equal(
        vuc_pci_command(f->c, VUC_PCI_COMMAND_MEMORY | VUC_PCI_COMMAND_MASTER,
                        0, &old),
        0);
    assert_int_equal(vuc_cfg_read16(f->c, 4, &cmd), 0);
    assert_int_equal(cmd & 0x6, 0x6);
    assert_int_equal(vuc_pci_command(f->c, 0, VUC_PCI_COMMAND_MASTER, NULL), 0);
    assert_int_equal(vuc_cfg_read16(f->c, 4, &cmd), 0);
    assert_int_equal(cmd & 0x6, 0x2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
        T(test_dma_paths_twin),
        T(test_dma_paths_single_socket),
        T(test_dma_errors),
        T(test_unmap_mid_transfer),
        T(test_seals_and_cycles),
        T(test_hugetlb_dma),
        T(test_hugetlb_shortage),
        T(test_msix_vectors_and_burst),
        T(test_intx_automask),
        T(test_irq_wait_default_timeout),
        T(test_dma_completion_irq_and_reset),
        T(test_every_set_irqs_combination),
        T(test_no_eventfd_leak),
        T(test_pci_helpers),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
