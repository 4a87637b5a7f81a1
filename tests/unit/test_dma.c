/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DMA maps and the DMA requests a server sends, against a scripted server:
 * what DMA_MAP carries (the sealed memfd, or nothing in no-share mode), and
 * how DMA_READ/DMA_WRITE are served, refused, or answered on a twin socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include <vuc/vuc.h>

#include "fake_server.h"

#define JSON "{\"capabilities\":{\"max_msg_fds\":8,\"max_dma_maps\":3}}"

static struct vuc_dma_map *last_map;

static void map_cb(struct vuc_client *c, int result, struct vuc_dma_map *map,
                   void *arg)
{
    struct fx *f = arg;
    last_map = map;
    done_cb(c, result, f);
}

static void connect_plain(struct fx *f)
{
    srv_version(f, 0, 0, JSON, true, NULL, 0);
    srv_device_info(f, 0, 0, NULL, 0);
    pump(f);
    assert_int_equal(f->result, 0);
    f->done = false;
    f->ncalls = 0;
}

static int setup(void **state)
{
    int rc = fx_setup_opts(state, vuc_options_new());
    connect_plain(*state);
    return rc;
}

static int setup_noshare(void **state)
{
    struct vuc_options *o = vuc_options_new();
    vuc_options_set_dma_noshare(o, true);
    int rc = fx_setup_opts(state, o);
    connect_plain(*state);
    return rc;
}

static int setup_bare(void **state)
{
    return fx_setup_opts(state, vuc_options_new());
}

/* Map size bytes; the server answers the DMA_MAP. fd receives the passed
 * fd (or -1). */
static struct vuc_dma_map *map(struct fx *f, size_t size, unsigned flags,
                               struct vfio_user_dma_map *seen, int *fd)
{
    struct msg m;
    int fds[8];
    unsigned nfds;

    f->done = false;
    f->ncalls = 0;
    last_map = NULL;
    assert_int_equal(vuc_dma_alloc_async(f->c, size, VUC_IOVA_ANY, flags,
                                         VUC_TIMEOUT_DEFAULT, map_cb, f),
                     0);
    srv_recv_fds(f, &m, VFIO_USER_DMA_MAP, fds, &nfds);
    assert_int_equal(m.len, sizeof(*seen));
    memcpy(seen, m.payload, sizeof(*seen));
    assert_true(nfds <= 1);
    *fd = nfds ? fds[0] : -1;
    srv_reply(f, &m, VFIO_USER_DMA_MAP, 0, 0, NULL, 0, NULL, 0);
    pump(f);
    assert_int_equal(f->result, 0);
    assert_int_equal(f->ncalls, 1);
    assert_non_null(last_map);
    return last_map;
}

/* Send a server request and read the client's answer. */
static void request(struct fx *f, int sock, uint16_t cmd, uint32_t flags,
                    uint64_t addr, uint64_t count, const void *data,
                    size_t data_len, int *fds, unsigned nfds, struct msg *r)
{
    static uint16_t id = 0x100;
    uint8_t buf[16 + 16 + 8192];
    struct vfio_user_header h = {++id, cmd, (uint32_t)(16 + 16 + data_len),
                                 VFIO_USER_F_TYPE_COMMAND | flags, 0};
    struct vfio_user_dma_access a = {addr, count};
    memcpy(buf, &h, 16);
    memcpy(buf + 16, &a, 16);
    if (data_len > 0) {
        memcpy(buf + 32, data, data_len);
    }
    int saved = f->srv;
    f->srv = sock;
    srv_send_raw(f, buf, 32 + data_len, fds, nfds);
    if (r != NULL) {
        srv_recv(f, r, cmd);
        assert_int_equal(r->hdr.msg_id, id);
    }
    f->srv = saved;
}

static void expect_refusal(const struct msg *r, uint32_t err)
{
    assert_int_equal(r->hdr.flags, VFIO_USER_F_TYPE_REPLY | VFIO_USER_F_ERROR);
    assert_int_equal(r->hdr.error_no, err);
    assert_int_equal(r->len, 0);
}

/* ---- DMA_MAP ------------------------------------------------------------- */

static void test_map_passes_sealed_memfd(void **state)
{
    struct fx *f = *state;
    struct vfio_user_dma_map seen;
    int fd;
    struct vuc_dma_map *m =
        map(f, 5000, VUC_DMA_READ | VUC_DMA_WRITE, &seen, &fd);

    /* Rounded to the page size, at an IOVA the client chose. */
    assert_int_equal(seen.argsz, 32);
    assert_int_equal(seen.flags, VFIO_USER_F_DMA_REGION_READ |
                                     VFIO_USER_F_DMA_REGION_WRITE);
    assert_int_equal(seen.size, 8192);
    assert_int_equal(seen.offset, 0);
    assert_int_equal(seen.address, vuc_dma_iova(m));
    assert_int_equal(seen.address % 4096, 0);
    assert_int_equal(vuc_dma_size(m), 8192);
    assert_true(fd >= 0);

    /* The seals hold: the server can neither shrink nor grow it. */
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    assert_int_equal(st.st_size, 8192);
    assert_int_equal(fcntl(fd, F_GET_SEALS),
                     F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
    assert_int_equal(ftruncate(fd, 4096), -1);
    assert_int_equal(errno, EPERM);
    assert_int_equal(ftruncate(fd, 1 << 20), -1);
    assert_int_equal(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), -1);

    /* It is the same memory: what the server writes, we read. */
    uint8_t *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    assert_true(p != MAP_FAILED);
    memcpy(p + 4096, "device was here", 16);
    char buf[16];
    assert_int_equal(vuc_dma_read(f->c, seen.address + 4096, buf, 16), 0);
    assert_string_equal(buf, "device was here");
    munmap(p, 8192);
    close(fd);
}

static void test_noshare_passes_no_fd(void **state)
{
    struct fx *f = *state;
    struct vfio_user_dma_map seen;
    int fd;
    struct vuc_dma_map *m = map(f, 4096, VUC_DMA_WRITE, &seen, &fd);

    assert_int_equal(fd, -1);
    assert_int_equal(seen.flags, VFIO_USER_F_DMA_REGION_WRITE);
    assert_true(vuc_dma_map_flags(m) & VUC_DMA_NOSHARE);
}

static void test_local_checks(void **state)
{
    struct fx *f = *state;
    struct vfio_user_dma_map seen;
    int fd;
    struct vuc_dma_map *m = map(f, 4096, VUC_DMA_READ, &seen, &fd);
    close(fd);

    /* Refused before anything is sent. */
    assert_int_equal(vuc_dma_alloc_async(f->c, 4096, seen.address, VUC_DMA_READ,
                                         VUC_TIMEOUT_DEFAULT, map_cb, f),
                     -EEXIST);
    assert_int_equal(vuc_dma_alloc_async(f->c, 4096, 0x1234, VUC_DMA_READ,
                                         VUC_TIMEOUT_DEFAULT, map_cb, f),
                     -EINVAL);
    assert_int_equal(vuc_dma_alloc_async(f->c, 4096, VUC_IOVA_ANY, 0,
                                         VUC_TIMEOUT_DEFAULT, map_cb, f),
                     -EINVAL);
    assert_int_equal(vuc_dma_alloc_async(f->c, 0, VUC_IOVA_ANY, VUC_DMA_READ,
                                         VUC_TIMEOUT_DEFAULT, map_cb, f),
                     -EINVAL);
    assert_int_equal(vuc_dma_alloc_async(f->c, 4096, UINT64_MAX - 4095,
                                         VUC_DMA_READ, VUC_TIMEOUT_DEFAULT,
                                         map_cb, f),
                     -EINVAL);
    /* The server said max_dma_maps 3. */
    map(f, 4096, VUC_DMA_READ, &seen, &fd);
    close(fd);
    map(f, 4096, VUC_DMA_READ, &seen, &fd);
    close(fd);
    assert_int_equal(vuc_dma_alloc_async(f->c, 4096, VUC_IOVA_ANY, VUC_DMA_READ,
                                         VUC_TIMEOUT_DEFAULT, map_cb, f),
                     -ENOSPC);
    assert_non_null(strstr(vuc_strerror(f->c), "limit of 3 maps"));
    assert_int_equal(vuc_dma_count(f->c), 3);
    assert_ptr_equal(vuc_dma_at(f->c, 0), m);
    assert_int_equal(f->ncalls, 1); /* only the last successful map */
}

static void test_map_refused_by_server(void **state)
{
    struct fx *f = *state;
    struct msg m;
    int fds[8];
    unsigned nfds;

    last_map = (struct vuc_dma_map *)1;
    assert_int_equal(vuc_dma_alloc_async(f->c, 4096, VUC_IOVA_ANY, VUC_DMA_READ,
                                         VUC_TIMEOUT_DEFAULT, map_cb, f),
                     0);
    srv_recv_fds(f, &m, VFIO_USER_DMA_MAP, fds, &nfds);
    for (unsigned i = 0; i < nfds; i++) {
        close(fds[i]);
    }
    srv_reply(f, &m, VFIO_USER_DMA_MAP, VFIO_USER_F_ERROR, EEXIST, NULL, 0,
              NULL, 0);
    pump(f);
    assert_int_equal(f->result, -EEXIST);
    assert_null(last_map);
    assert_int_equal(vuc_dma_count(f->c), 0);
}

/* ---- Serving DMA_READ / DMA_WRITE ---------------------------------------- */

static void test_serve_read_write(void **state)
{
    struct fx *f = *state;
    struct vfio_user_dma_map seen;
    struct msg r;
    int fd;
    struct vuc_dma_map *m =
        map(f, 3 * 4096, VUC_DMA_READ | VUC_DMA_WRITE, &seen, &fd);
    close(fd);
    uint64_t iova = seen.address;
    uint8_t data[5000];
    for (size_t i = 0; i < sizeof(data); i++) {
        data[i] = (uint8_t)(i * 7);
    }

    /* A write spanning pages 0 and 1 lands in memory and is recorded. */
    request(f, f->srv, VFIO_USER_DMA_WRITE, 0, iova + 100, sizeof(data), data,
            sizeof(data), NULL, 0, &r);
    assert_int_equal(r.hdr.flags, VFIO_USER_F_TYPE_REPLY);
    assert_int_equal(r.len, 16);
    struct vfio_user_dma_access a;
    memcpy(&a, r.payload, 16);
    assert_int_equal(a.address, iova + 100);
    assert_int_equal(a.count, sizeof(data));
    uint8_t back[5000];
    assert_int_equal(vuc_dma_read(f->c, iova + 100, back, sizeof(back)), 0);
    assert_memory_equal(back, data, sizeof(data));

    uint64_t bits[1] = {~0ull};
    assert_int_equal(vuc_dma_msg_dirty(f->c, m, bits, 1, true), 0);
    assert_int_equal(bits[0], 0x3);
    assert_int_equal(vuc_dma_msg_dirty(f->c, m, bits, 1, false), 0);
    assert_int_equal(bits[0], 0); /* clear-on-read */

    /* A read returns exactly those bytes. */
    request(f, f->srv, VFIO_USER_DMA_READ, 0, iova + 100, sizeof(data), NULL, 0,
            NULL, 0, &r);
    assert_int_equal(r.len, 16 + sizeof(data));
    assert_memory_equal(r.payload + 16, data, sizeof(data));

    /* No_reply: served, not answered; the next request is. */
    uint32_t v = 0xabcd1234;
    request(f, f->srv, VFIO_USER_DMA_WRITE, VFIO_USER_F_NO_REPLY, iova, 4, &v,
            4, NULL, 0, NULL);
    request(f, f->srv, VFIO_USER_DMA_READ, 0, iova, 4, NULL, 0, NULL, 0, &r);
    assert_memory_equal(r.payload + 16, &v, 4);
}

/* A server that sends DMA_READs but stops reading the answers: the data
 * queued for it stays under the outgoing queue's bound (requests past the
 * high mark are refused with ENOBUFS), and once it reads again it is served
 * again. */
#define SMALL_HIGH 16384u
#define BURST 400u

/* n DMA_READs of 4096 bytes at iova, sent on sock in one write: the
 * socket's buffer counts each write's overhead, not only its bytes. */
static void send_reads(struct fx *f, int sock, unsigned n, uint64_t iova)
{
    static uint8_t burst[BURST][32];
    assert_true(n <= BURST);
    for (unsigned i = 0; i < n; i++) {
        struct vfio_user_header h = {(uint16_t)(0x1000 + i), VFIO_USER_DMA_READ,
                                     32, VFIO_USER_F_TYPE_COMMAND, 0};
        struct vfio_user_dma_access a = {iova, 4096};
        memcpy(burst[i], &h, 16);
        memcpy(burst[i] + 16, &a, 16);
    }
    int saved = f->srv;
    f->srv = sock;
    srv_send_raw(f, burst, 32 * n, NULL, 0);
    f->srv = saved;
}

static int setup_small_queue(void **state)
{
    struct vuc_options *o = vuc_options_new();
    assert_int_equal(vuc_options_set_send_watermarks(o, 4096, SMALL_HIGH), 0);
    int rc = fx_setup_opts(state, o);
    connect_plain(*state);
    return rc;
}

static void test_read_answers_bounded(void **state)
{
    struct fx *f = *state;
    struct vfio_user_dma_map seen;
    struct msg r;
    int fd;
    map(f, 4096, VUC_DMA_READ | VUC_DMA_WRITE, &seen, &fd);
    close(fd);

    send_reads(f, f->srv, BURST, seen.address);
    pump_ms(f, 50);
    /* Under the mark plus the one answer that reached it. */
    assert_true(vuc_get_send_queued(f->c) < SMALL_HIGH + 4096 + 32);

    unsigned served = 0, refused = 0;
    for (unsigned i = 0; i < BURST; i++) {
        srv_recv(f, &r, VFIO_USER_DMA_READ);
        if (r.hdr.flags & VFIO_USER_F_ERROR) {
            expect_refusal(&r, ENOBUFS);
            refused++;
        } else {
            assert_int_equal(r.len, 16 + 4096);
            served++;
        }
    }
    assert_true(refused > 0);
    assert_int_equal(served + refused, BURST);
    assert_non_null(strstr(f->log, "refusing DMA_READ"));

    request(f, f->srv, VFIO_USER_DMA_READ, 0, seen.address, 4096, NULL, 0, NULL,
            0, &r);
    assert_int_equal(r.len, 16 + 4096);
    assert_true(vuc_is_connected(f->c));
}

static void test_hostile_requests(void **state)
{
    struct fx *f = *state;
    struct vfio_user_dma_map seen;
    struct msg r;
    int fd;
    map(f, 8192, VUC_DMA_READ | VUC_DMA_WRITE, &seen, &fd);
    close(fd);
    map(f, 4096, VUC_DMA_READ, &seen, &fd); /* read-only */
    close(fd);
    uint64_t ro = seen.address;
    uint64_t iova = vuc_dma_iova(vuc_dma_at(f->c, 0));
    uint8_t zero[64] = {0}, junk[64];
    memset(junk, 0x5a, sizeof(junk));

    /* Out of every map, and straddling the end of one. */
    request(f, f->srv, VFIO_USER_DMA_READ, 0, iova - 4096, 8, NULL, 0, NULL, 0,
            &r);
    expect_refusal(&r, EFAULT);
    request(f, f->srv, VFIO_USER_DMA_WRITE, 0, iova + 8192 - 32, 64, junk, 64,
            NULL, 0, &r);
    expect_refusal(&r, EFAULT);
    /* Wrapping addresses, empty and oversized counts. */
    request(f, f->srv, VFIO_USER_DMA_READ, 0, UINT64_MAX - 3, 8, NULL, 0, NULL,
            0, &r);
    expect_refusal(&r, EINVAL);
    request(f, f->srv, VFIO_USER_DMA_READ, 0, iova, 0, NULL, 0, NULL, 0, &r);
    expect_refusal(&r, EINVAL);
    request(f, f->srv, VFIO_USER_DMA_READ, 0, iova, 64ull << 20, NULL, 0, NULL,
            0, &r);
    expect_refusal(&r, EINVAL);
    /* A write whose data is shorter than its count. */
    request(f, f->srv, VFIO_USER_DMA_WRITE, 0, iova, 64, junk, 32, NULL, 0, &r);
    expect_refusal(&r, EINVAL);
    /* Fds where none belong: refused, and closed. */
    int efd = eventfd(0, EFD_CLOEXEC);
    request(f, f->srv, VFIO_USER_DMA_WRITE, 0, iova, 64, junk, 64, &efd, 1, &r);
    close(efd);
    expect_refusal(&r, EINVAL);
    /* The device may only read the read-only map. */
    request(f, f->srv, VFIO_USER_DMA_WRITE, 0, ro, 64, junk, 64, NULL, 0, &r);
    expect_refusal(&r, EPERM);

    /* None of it touched memory. */
    uint8_t back[64];
    assert_int_equal(vuc_dma_read(f->c, iova, back, 64), 0);
    assert_memory_equal(back, zero, 64);
    assert_int_equal(vuc_dma_read(f->c, iova + 8192 - 32, back, 32), 0);
    assert_memory_equal(back, zero, 32);
    assert_int_equal(vuc_dma_read(f->c, ro, back, 64), 0);
    assert_memory_equal(back, zero, 64);
    assert_int_equal(vuc_dma_read(f->c, iova + 8192 - 32, back, 64), -EFAULT);
}

/* ---- DMA_UNMAP ----------------------------------------------------------- */

static void test_unmap_serves_until_reply(void **state)
{
    struct fx *f = *state;
    struct vfio_user_dma_map seen;
    struct msg m, r;
    int fd;
    struct vuc_dma_map *dm =
        map(f, 4096, VUC_DMA_READ | VUC_DMA_WRITE, &seen, &fd);
    close(fd);

    f->done = false;
    f->ncalls = 0;
    assert_int_equal(
        vuc_dma_unmap_async(f->c, dm, VUC_TIMEOUT_DEFAULT, done_cb, f), 0);
    assert_int_equal(
        vuc_dma_unmap_async(f->c, dm, VUC_TIMEOUT_DEFAULT, done_cb, f), -EBUSY);
    srv_recv(f, &m, VFIO_USER_DMA_UNMAP);
    struct vfio_user_dma_unmap u;
    assert_int_equal(m.len, sizeof(u));
    memcpy(&u, m.payload, sizeof(u));
    assert_int_equal(u.address, seen.address);
    assert_int_equal(u.size, 4096);
    assert_int_equal(u.flags, 0);

    /* Until the reply the server may still DMA, and is served. */
    uint32_t v = 77;
    request(f, f->srv, VFIO_USER_DMA_WRITE, 0, seen.address, 4, &v, 4, NULL, 0,
            &r);
    assert_int_equal(r.hdr.flags, VFIO_USER_F_TYPE_REPLY);
    assert_int_equal(f->ncalls, 0);

    srv_reply(f, &m, VFIO_USER_DMA_UNMAP, 0, 0, &u, sizeof(u), NULL, 0);
    pump(f);
    assert_int_equal(f->result, 0);
    assert_int_equal(vuc_dma_count(f->c), 0);
    request(f, f->srv, VFIO_USER_DMA_READ, 0, seen.address, 4, NULL, 0, NULL, 0,
            &r);
    expect_refusal(&r, EFAULT);
}

static void test_unmap_refused_keeps_map(void **state)
{
    struct fx *f = *state;
    struct vfio_user_dma_map seen;
    struct msg m;
    int fd;
    struct vuc_dma_map *dm = map(f, 4096, VUC_DMA_READ, &seen, &fd);
    close(fd);

    f->done = false;
    assert_int_equal(
        vuc_dma_unmap_async(f->c, dm, VUC_TIMEOUT_DEFAULT, done_cb, f), 0);
    srv_recv(f, &m, VFIO_USER_DMA_UNMAP);
    srv_reply(f, &m, VFIO_USER_DMA_UNMAP, VFIO_USER_F_ERROR, ENOENT, NULL, 0,
              NULL, 0);
    pump(f);
    assert_int_equal(f->result, -ENOENT);
    assert_int_equal(vuc_dma_count(f->c), 1);
    uint32_t v;
    assert_int_equal(vuc_dma_read(f->c, seen.address, &v, 4), 0);
}

static void test_disconnect_keeps_memory(void **state)
{
    struct fx *f = *state;
    struct vfio_user_dma_map seen;
    int fd;
    struct vuc_dma_map *dm =
        map(f, 4096, VUC_DMA_READ | VUC_DMA_WRITE, &seen, &fd);
    close(fd);
    uint32_t v = 0x600d;
    assert_int_equal(vuc_dma_write(f->c, seen.address, &v, 4), 0);

    close(f->srv);
    f->srv = -1;
    pump_ms(f, 20);
    assert_int_equal(f->disconnects, 1);
    /* Our memory outlives the connection, and unmapping needs no server. */
    v = 0;
    assert_int_equal(vuc_dma_read(f->c, seen.address, &v, 4), 0);
    assert_int_equal(v, 0x600d);
    f->done = false;
    assert_int_equal(
        vuc_dma_unmap_async(f->c, dm, VUC_TIMEOUT_DEFAULT, done_cb, f), 0);
    assert_false(f->done); /* never inside the call */
    pump(f);
    assert_int_equal(f->result, 0);
    assert_int_equal(vuc_dma_count(f->c), 0);
}

/* ---- Twin-socket mode ---------------------------------------------------- */

/* Connect, granting twin-socket mode on a socket pair whose server end is
 * sv[0]. */
static void connect_twin(struct fx *f, int sv[2])
{
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    srv_version(f, 0, 0,
                "{\"capabilities\":{\"twin_socket\":{\"supported\":true,"
                "\"fd_index\":0}}}",
                true, &sv[1], 1);
    close(sv[1]);
    srv_device_info(f, 0, 0, NULL, 0);
    pump(f);
    assert_int_equal(f->result, 0);
}

static void test_twin_socket(void **state)
{
    struct fx *f = *state;
    int sv[2];
    connect_twin(f, sv);
    assert_true(vuc_get_caps(f->c)->twin_socket);

    struct vfio_user_dma_map seen;
    struct msg r;
    int fd;
    map(f, 4096, VUC_DMA_READ | VUC_DMA_WRITE, &seen, &fd);
    close(fd);
    /* Server requests go, and are answered, on the twin socket. */
    uint32_t v = 0x7717;
    request(f, sv[0], VFIO_USER_DMA_WRITE, 0, seen.address, 4, &v, 4, NULL, 0,
            &r);
    assert_int_equal(r.hdr.flags, VFIO_USER_F_TYPE_REPLY);
    request(f, sv[0], VFIO_USER_DMA_READ, 0, seen.address, 4, NULL, 0, NULL, 0,
            &r);
    assert_memory_equal(r.payload + 16, &v, 4);

    /* A reply on the twin socket breaks the protocol. */
    struct vfio_user_header h = {1, VFIO_USER_REGION_READ, 16,
                                 VFIO_USER_F_TYPE_REPLY, 0};
    assert_int_equal(write(sv[0], &h, 16), 16);
    pump_ms(f, 20);
    assert_int_equal(f->disconnects, 1);
    assert_non_null(strstr(vuc_strerror(f->c), "server-to-client socket"));
    close(sv[0]);
}

/* On the twin socket, which carries only the server's requests, a full
 * queue also stops reading: requests that come while it is full wait in
 * the socket (the server sees them unread) until the server reads the
 * answers, then are served. */
static int setup_small_queue_bare(void **state)
{
    struct vuc_options *o = vuc_options_new();
    assert_int_equal(vuc_options_set_send_watermarks(o, 4096, SMALL_HIGH), 0);
    return fx_setup_opts(state, o);
}

/* Bytes sock sent that its peer has not read. */
static int unread(int sock)
{
    int n = 0;
    assert_int_equal(ioctl(sock, SIOCOUTQ, &n), 0);
    return n;
}

static void test_twin_pauses_when_full(void **state)
{
    struct fx *f = *state;
    int sv[2];
    connect_twin(f, sv);
    struct vfio_user_dma_map seen;
    int fd;
    map(f, 4096, VUC_DMA_READ | VUC_DMA_WRITE, &seen, &fd);
    close(fd);

    /* Rounds of requests whose answers the server does not read, until
     * the client stops reading them: the socket's buffer fills first. */
    unsigned sent = 0;
    for (int round = 0; round < 400 && unread(sv[0]) == 0; round++) {
        send_reads(f, sv[0], 8, seen.address);
        sent += 8;
        pump_ms(f, 2);
    }
    assert_true(unread(sv[0]) > 0);
    assert_true(vuc_is_connected(f->c));

    /* The server reads: the client reads again and answers everything. */
    struct msg r;
    int saved = f->srv;
    f->srv = sv[0];
    for (unsigned i = 0; i < sent; i++) {
        srv_recv(f, &r, VFIO_USER_DMA_READ);
    }
    f->srv = saved;
    assert_int_equal(unread(sv[0]), 0);
    assert_true(vuc_is_connected(f->c));
    close(sv[0]);
}

static void test_twin_without_index(void **state)
{
    struct fx *f = *state;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    srv_version(f, 0, 0,
                "{\"capabilities\":{\"twin_socket\":{\"supported\":true}}}",
                true, &sv[1], 1);
    close(sv[1]);
    close(sv[0]);
    expect_fail(f, -EPROTO, "fd_index is missing");
}

static void test_twin_bad_index(void **state)
{
    struct fx *f = *state;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    srv_version(f, 0, 0,
                "{\"capabilities\":{\"twin_socket\":{\"supported\":true,"
                "\"fd_index\":1}}}",
                true, &sv[1], 1);
    close(sv[1]);
    close(sv[0]);
    expect_fail(f, -EPROTO, "fd_index 1");
}

static void test_twin_declined(void **state)
{
    struct fx *f = *state;
    srv_version(f, 0, 0,
                "{\"capabilities\":{\"twin_socket\":{\"supported\":false}}}",
                true, NULL, 0);
    srv_device_info(f, 0, 0, NULL, 0);
    pump(f);
    assert_int_equal(f->result, 0);
    assert_false(vuc_get_caps(f->c)->twin_socket);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn, s) cmocka_unit_test_setup_teardown(fn, s, fx_teardown)
        T(test_map_passes_sealed_memfd, setup),
        T(test_noshare_passes_no_fd, setup_noshare),
        T(test_local_checks, setup),
        T(test_map_refused_by_server, setup),
        T(test_serve_read_write, setup),
        T(test_hostile_requests, setup),
        T(test_read_answers_bounded, setup_small_queue),
        T(test_unmap_serves_until_reply, setup),
        T(test_unmap_refused_keeps_map, setup),
        T(test_disconnect_keeps_memory, setup),
        T(test_twin_socket, setup_bare),
        T(test_twin_pauses_when_full, setup_small_queue_bare),
        T(test_twin_without_index, setup_bare),
        T(test_twin_bad_index, setup_bare),
        T(test_twin_declined, setup_bare),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
