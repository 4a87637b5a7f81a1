/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The PCI helpers against a scripted device whose config space the test
 * writes byte by byte, hostile capability lists included.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include <vuc/vuc.h>

#include "fake_server.h"

#define CFG VFIO_USER_PCI_CONFIG_REGION_INDEX

static uint8_t cfg[4096];

static void put16(uint32_t off, uint16_t v)
{
    cfg[off] = v & 0xff;
    cfg[off + 1] = v >> 8;
}

static void put32(uint32_t off, uint32_t v)
{
    put16(off, v & 0xffff);
    put16(off + 2, v >> 16);
}

/*
 * The device runs in a child process: it answers discovery for 9 regions
 * (config space of cfg_size bytes) and then serves config reads and writes
 * from cfg[] until the client hangs up. The client side stays single
 * threaded and blocking.
 */
/* Blocking receive for the device process, which must never run the
 * client's event loop (it inherited a copy of it). */
static bool child_recv(int fd, struct msg *m)
{
    if (read(fd, &m->hdr, 16) != 16 || m->hdr.msg_size < 16 ||
        m->hdr.msg_size - 16 > sizeof(m->payload)) {
        return false;
    }
    m->len = m->hdr.msg_size - 16;
    for (size_t got = 0; got < m->len;) {
        ssize_t n = read(fd, m->payload + got, m->len - got);
        if (n <= 0) {
            return false;
        }
        got += (size_t)n;
    }
    return true;
}

/*
 * The device runs in a child process: it answers discovery for 9 regions
 * (config space of cfg_size bytes) and then serves config reads and writes
 * from cfg[] until the client hangs up. The client side stays single
 * threaded and uses the blocking helpers.
 */
/* Region info flag bits the device sets beyond the four the spec defines. */
static uint32_t extra_region_flags;

static pid_t serve(struct fx *f, uint32_t cfg_size)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid > 0) {
        close(f->srv);
        f->srv = -1;
        return pid;
    }
    /* Only the server end: with a copy of the client's end open here, the
     * device would never see the client hang up. */
    for (int fd = 3; fd < 1024; fd++) {
        if (fd != f->srv) {
            close(fd);
        }
    }
    struct msg m;
    while (child_recv(f->srv, &m)) {
        struct vfio_user_region_access a;
        uint8_t out[16 + 4096];
        memcpy(&a, m.payload, m.len >= 16 ? 16 : m.len);
        switch (m.hdr.cmd) {
        case VFIO_USER_VERSION:
            srv_reply(f, &m, m.hdr.cmd, 0, 0, "\0\0\0\0", 4, NULL, 0);
            break;
        case VFIO_USER_DEVICE_GET_INFO: {
            struct vfio_user_device_info di = {16, VFIO_USER_DEVICE_FLAGS_PCI,
                                               9, 0};
            srv_reply(f, &m, m.hdr.cmd, 0, 0, &di, sizeof(di), NULL, 0);
            break;
        }
        case VFIO_USER_DEVICE_GET_REGION_INFO: {
            uint32_t i;
            memcpy(&i, m.payload + 8, 4);
            struct vfio_user_region_info ri = {
                32, 0, i, 0, i == CFG ? cfg_size : (i == 0 ? 4096 : 0), 0};
            if (i == CFG || i == 0) {
                ri.flags = VFIO_USER_REGION_INFO_FLAG_READ |
                           VFIO_USER_REGION_INFO_FLAG_WRITE;
            }
            ri.flags |= extra_region_flags;
            srv_reply(f, &m, m.hdr.cmd, 0, 0, &ri, sizeof(ri), NULL, 0);
            break;
        }
        case VFIO_USER_REGION_READ:
            memcpy(out, &a, 16);
            memcpy(out + 16, cfg + a.offset, a.count);
            srv_reply(f, &m, m.hdr.cmd, 0, 0, out, 16 + a.count, NULL, 0);
            break;
        case VFIO_USER_REGION_WRITE:
            memcpy(cfg + a.offset, m.payload + 16, a.count);
            srv_reply(f, &m, m.hdr.cmd, 0, 0, &a, 16, NULL, 0);
            break;
        default:
            srv_reply(f, &m, m.hdr.cmd, VFIO_USER_F_ERROR, ENOSYS, NULL, 0,
                      NULL, 0);
        }
    }
    _exit(0);
}

static int setup(void **state)
{
    extra_region_flags = 0;
    memset(cfg, 0, sizeof(cfg));
    put16(0, 0x1b36);
    put16(2, 0x0005);
    put16(0x06, 0x0010); /* capability list present */
    cfg[0x34] = 0x40;
    return fx_setup_opts(state, vuc_options_new());
}

static void finish(struct fx *f, pid_t pid)
{
    vuc_client_free(f->c);
    f->c = NULL;
    int status;
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status));
}

static void connected(struct fx *f)
{
    pump(f);
    assert_int_equal(f->result, 0);
}

/* Unknown flag bits in every region's info: the connection goes on, the
 * regions keep the bits they know, and one log line names the others. */
static void test_unknown_region_flags_logged_once(void **state)
{
    struct fx *f = *state;
    extra_region_flags = (1u << 4) | (1u << 31);
    pid_t pid = serve(f, 4096);
    connected(f);
    const struct vuc_region_info *ri = vuc_get_region_info(f->c, 0);
    assert_non_null(ri);
    assert_true(ri->flags & VFIO_USER_REGION_INFO_FLAG_WRITE);
    const char *hit = strstr(f->log, "flags 0x80000010 are unknown");
    assert_non_null(hit);
    assert_null(strstr(hit + strlen("flags 0x80000010 are unknown"),
                       "are unknown"));
    finish(f, pid);
}

static void test_walk(void **state)
{
    struct fx *f = *state;
    /* PM -> MSI-X -> end; extended: DSN (v1) -> AER (v2) -> end */
    put16(0x40, 0x5001);
    put16(0x50, 0x0011);
    put16(0x52, 0x8000 | 15); /* enabled, 16 vectors */
    put32(0x54, 0x800 | 0);   /* table in BAR0 */
    put32(0x58, 0xc00 | 0);
    put32(0x100, 0x0003 | (1u << 16) | (0x140u << 20));
    put32(0x140, 0x0001 | (2u << 16));
    put32(0x10, 0xfe000000 | 0x8 | 0x4); /* BAR0: 64-bit prefetchable */
    put32(0x14, 0x1);
    pid_t pid = serve(f, 4096);
    connected(f);

    struct vuc_pci_cap caps[8];
    int n = vuc_pci_caps(f->c, caps, 8);
    assert_int_equal(n, 4);
    assert_int_equal(caps[0].id, 0x01);
    assert_int_equal(caps[0].offset, 0x40);
    assert_int_equal(caps[1].id, 0x11);
    assert_int_equal(caps[2].id, 0x0003);
    assert_true(caps[2].extended);
    assert_int_equal(caps[2].version, 1);
    assert_int_equal(caps[3].offset, 0x140);
    assert_int_equal(caps[3].version, 2);
    assert_int_equal(vuc_pci_find_cap(f->c, 0x11, false), 0x50);
    assert_int_equal(vuc_pci_find_cap(f->c, 0x05, false), -ENOENT);
    assert_int_equal(vuc_pci_find_cap(f->c, 0x0001, true), 0x140);

    struct vuc_pci_msix x;
    assert_int_equal(vuc_pci_msix(f->c, &x), 0);
    assert_int_equal(x.table_size, 16);
    assert_int_equal(x.table_offset, 0x800);
    assert_int_equal(x.pba_offset, 0xc00);
    assert_true(x.enabled);

    struct vuc_pci_bar b;
    assert_int_equal(vuc_pci_bar(f->c, 0, &b), 0);
    assert_true(b.is64 && b.prefetchable && !b.io);
    assert_int_equal(b.address, 0x1fe000000ull);
    assert_int_equal(b.size, 4096);

    uint16_t old;
    assert_int_equal(
        vuc_pci_command(f->c, VUC_PCI_COMMAND_MEMORY | VUC_PCI_COMMAND_MASTER,
                        0, &old),
        0);
    assert_int_equal(old, 0);
    uint16_t cmd;
    assert_int_equal(vuc_cfg_read16(f->c, 0x04, &cmd), 0);
    assert_int_equal(cmd, 0x6);
    finish(f, pid);
}

static void test_standard_loop(void **state)
{
    struct fx *f = *state;
    put16(0x40, 0x5001);
    put16(0x50, 0x4005); /* MSI pointing back at PM */
    pid_t pid = serve(f, 256);
    connected(f);
    struct vuc_pci_cap caps[8];
    assert_int_equal(vuc_pci_caps(f->c, caps, 8), -ELOOP);
    assert_non_null(strstr(vuc_strerror(f->c), "loops back to 0x40"));
    finish(f, pid);
}

static void test_self_loop(void **state)
{
    struct fx *f = *state;
    put16(0x40, 0x4001); /* points at itself */
    pid_t pid = serve(f, 256);
    connected(f);
    struct vuc_pci_cap caps[8];
    assert_int_equal(vuc_pci_caps(f->c, caps, 8), -ELOOP);
    finish(f, pid);
}

static void test_pointer_into_header(void **state)
{
    struct fx *f = *state;
    put16(0x40, 0x1001);
    pid_t pid = serve(f, 256);
    connected(f);
    struct vuc_pci_cap caps[8];
    assert_int_equal(vuc_pci_caps(f->c, caps, 8), -EPROTO);
    assert_non_null(strstr(vuc_strerror(f->c), "into the config header"));
    finish(f, pid);
}

static void test_extended_loop(void **state)
{
    struct fx *f = *state;
    cfg[0x34] = 0;
    put16(0x06, 0);
    put32(0x100, 0x0003 | (1u << 16) | (0x180u << 20));
    put32(0x180, 0x0001 | (1u << 16) | (0x100u << 20));
    pid_t pid = serve(f, 4096);
    connected(f);
    struct vuc_pci_cap caps[8];
    assert_int_equal(vuc_pci_caps(f->c, caps, 8), -ELOOP);
    finish(f, pid);
}

static void test_extended_below_0x100(void **state)
{
    struct fx *f = *state;
    put16(0x06, 0);
    put32(0x100, 0x0003 | (1u << 16) | (0x040u << 20));
    pid_t pid = serve(f, 4096);
    connected(f);
    struct vuc_pci_cap caps[8];
    assert_int_equal(vuc_pci_caps(f->c, caps, 8), -EPROTO);
    finish(f, pid);
}

static void test_long_list_bounded(void **state)
{
    struct fx *f = *state;
    /* 48 entries fill 0x40..0xfc, each pointing at the next: the longest
     * honest list; the walk returns all of them. */
    for (uint32_t off = 0x40; off < 0x100; off += 4) {
        put16(off, (uint16_t)(0x09 | ((off + 4 < 0x100 ? off + 4 : 0) << 8)));
    }
    pid_t pid = serve(f, 256);
    connected(f);
    struct vuc_pci_cap caps[4];
    assert_int_equal(vuc_pci_caps(f->c, caps, 4), 48);
    finish(f, pid);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, fx_teardown)
        T(test_unknown_region_flags_logged_once),
        T(test_walk),
        T(test_standard_loop),
        T(test_self_loop),
        T(test_pointer_into_header),
        T(test_extended_loop),
        T(test_extended_below_0x100),
        T(test_long_list_bounded),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
