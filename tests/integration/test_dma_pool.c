/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The DMA memory pool against vuc-testdev: an unmapped allocation's memfd
 * serves the next allocation of its size (the same inode), scrubbed; memory
 * a server received never serves a no-share map nor outlives the
 * connection; the bound and 0 (off) are kept.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <event2/event.h>

#include <vuc/vuc.h>

#include "testdev_fixture.h"

#define SIZE (64u * 1024u)

/* Allocate a map of size bytes and return its memfd's inode. */
static ino_t alloc_ino_of(struct vuc_client *c, size_t size, unsigned flags,
                          struct vuc_dma_map **m)
{
    struct stat st;
    assert_int_equal(vuc_dma_alloc(c, size, VUC_IOVA_ANY,
                                   VUC_DMA_READ | VUC_DMA_WRITE | flags, m),
                     0);
    assert_int_equal(fstat(vuc_dma_fd(*m), &st), 0);
    return st.st_ino;
}

static ino_t alloc_ino(struct vuc_client *c, unsigned flags,
                       struct vuc_dma_map **m)
{
    return alloc_ino_of(c, SIZE, flags, m);
}

static struct vuc_client *pool_client(struct fx *f, size_t bound)
{
    struct vuc_options *o = vuc_options_new();
    assert_non_null(o);
    assert_int_equal(vuc_options_set_dma_pool(o, bound), 0);
    struct vuc_client *c = vuc_client_new(f->base, o);
    vuc_options_free(o);
    assert_non_null(c);
    assert_int_equal(vuc_connect_path(c, f->sock), 0);
    return c;
}

/* Small pieces are cleared in place, larger ones by a punched hole. */
static void check_scrubbed(struct fx *f, size_t size)
{
    struct vuc_dma_map *m;

    ino_t ino = alloc_ino_of(f->c, size, 0, &m);
    memset(vuc_dma_vaddr(m), 0xa5, size);
    assert_int_equal(vuc_dma_unmap(f->c, m), 0);
    assert_int_equal(alloc_ino_of(f->c, size, 0, &m), ino);
    const uint8_t *p = vuc_dma_vaddr(m);
    for (size_t i = 0; i < size; i++) {
        if (p[i] != 0) {
            fail_msg("byte %zu of a reused %zu-byte piece is 0x%x", i, size,
                     p[i]);
        }
    }
    /* The server sees the same zeros through its own mapping. */
    uint8_t back[16] = {1};
    assert_int_equal(vuc_dma_read(f->c, vuc_dma_iova(m), back, sizeof(back)),
                     0);
    assert_int_equal(back[0], 0);
    assert_int_equal(vuc_dma_unmap(f->c, m), 0);
}

static void test_reused_memory_is_scrubbed(void **state)
{
    struct fx *f = *state;
    dev_start(f, NULL);
    f->c = client_new(f, true, 0);
    connect_ok(f, f->c);

    check_scrubbed(f, 4096);
    check_scrubbed(f, SIZE);
    check_scrubbed(f, 1024 * 1024);
}

static void test_shared_memory_serves_no_noshare_map(void **state)
{
    struct fx *f = *state;
    struct vuc_dma_map *m;
    dev_start(f, NULL);
    f->c = client_new(f, true, 0);
    connect_ok(f, f->c);

    ino_t shared = alloc_ino(f->c, 0, &m);
    assert_int_equal(vuc_dma_unmap(f->c, m), 0);
    ino_t own = alloc_ino(f->c, VUC_DMA_NOSHARE, &m);
    assert_true(own != shared);
    assert_int_equal(vuc_dma_unmap(f->c, m), 0);
    /* Memory the server never had may serve either kind. */
    assert_int_equal(alloc_ino(f->c, VUC_DMA_NOSHARE, &m), own);
    assert_int_equal(vuc_dma_unmap(f->c, m), 0);
    /* The shared piece is still there for a shared map. */
    struct vuc_dma_map *a, *b;
    ino_t x = alloc_ino(f->c, 0, &a), y = alloc_ino(f->c, 0, &b);
    assert_true((x == shared && y == own) || (x == own && y == shared));
    assert_int_equal(vuc_dma_unmap(f->c, a), 0);
    assert_int_equal(vuc_dma_unmap(f->c, b), 0);
}

static void test_shared_memory_ends_with_the_connection(void **state)
{
    struct fx *f = *state;
    struct vuc_dma_map *m;
    dev_start(f, NULL);
    f->c = client_new(f, true, 0);
    connect_ok(f, f->c);

    ino_t ino = alloc_ino(f->c, 0, &m);
    assert_int_equal(vuc_dma_unmap(f->c, m), 0);
    assert_int_equal(vuc_disconnect(f->c), 0);
    event_base_loop(f->base, EVLOOP_NONBLOCK);
    assert_int_equal(vuc_reconnect_path(f->c, f->sock), 0);
    assert_true(alloc_ino(f->c, 0, &m) != ino);
    assert_int_equal(vuc_dma_unmap(f->c, m), 0);
}

static void test_bound_and_off(void **state)
{
    struct fx *f = *state;
    struct vuc_dma_map *m;
    dev_start(f, NULL);

    /* Too small a bound for the piece: not kept. */
    f->c = pool_client(f, SIZE - 1);
    ino_t ino = alloc_ino(f->c, 0, &m);
    assert_int_equal(vuc_dma_unmap(f->c, m), 0);
    assert_true(alloc_ino(f->c, 0, &m) != ino);
    assert_int_equal(vuc_dma_unmap(f->c, m), 0);
    vuc_client_free(f->c);

    f->c = pool_client(f, 0);
    ino = alloc_ino(f->c, 0, &m);
    assert_int_equal(vuc_dma_unmap(f->c, m), 0);
    assert_true(alloc_ino(f->c, 0, &m) != ino);
    assert_int_equal(vuc_dma_unmap(f->c, m), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
        T(test_reused_memory_is_scrubbed),
        T(test_shared_memory_serves_no_noshare_map),
        T(test_shared_memory_ends_with_the_connection),
        T(test_bound_and_off),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
