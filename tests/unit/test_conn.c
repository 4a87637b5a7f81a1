/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The connection core against a scripted, hostile server: the test plays the
 * server on one end of a socketpair, writing exactly the bytes it wants, and
 * drives the client's event loop in the same thread. Every case checks the
 * result code, the error text, and that no fd leaked.
 */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include <vuc/vuc.h>

#include "fake_server.h"

static int setup(void **state)
{
    return fx_setup_opts(state, vuc_options_new());
}

#define teardown fx_teardown

static const char *good_json = "{\"capabilities\":{\"max_msg_fds\":8}}";

/* ---- Negotiation --------------------------------------------------------- */

static void test_ok_minimal(void **state)
{
    struct fx *f = *state;
    srv_version(f, 0, 0, good_json, true, NULL, 0);
    srv_device_info(f, 0, 0, NULL, 0);
    pump(f);
    assert_int_equal(f->result, 0);
    assert_true(vuc_is_connected(f->c));
    const struct vuc_caps *caps = vuc_get_caps(f->c);
    assert_int_equal(caps->server_max_msg_fds, 8);
    /* Absent capabilities take the spec's defaults. */
    assert_int_equal(caps->server_max_data_xfer_size, 1048576);
    assert_int_equal(caps->max_dma_maps, 65535);
    assert_int_equal(caps->pgsizes, 4096);
    assert_string_equal(vuc_server_json(f->c), good_json);
}

static void test_version_no_json(void **state)
{
    struct fx *f = *state;
    srv_version(f, 0, 0, NULL, false, NULL, 0);
    srv_device_info(f, 0, 0, NULL, 0);
    pump(f);
    assert_int_equal(f->result, 0);
    /* max_msg_fds defaults to 1 when the peer does not say. */
    assert_int_equal(vuc_get_caps(f->c)->server_max_msg_fds, 1);
}

static void test_json_without_nul(void **state)
{
    struct fx *f = *state;
    srv_version(f, 0, 0, good_json, false, NULL, 0);
    expect_fail(f, -EPROTO, "NUL");
}

static void test_json_not_object(void **state)
{
    struct fx *f = *state;
    srv_version(f, 0, 0, "[1,2]", true, NULL, 0);
    expect_fail(f, -EPROTO, "not an object");
}

static void test_json_garbage(void **state)
{
    struct fx *f = *state;
    srv_version(f, 0, 0, "{\"capabilities\":", true, NULL, 0);
    expect_fail(f, -EPROTO, "invalid JSON");
}

static void test_json_wrong_type(void **state)
{
    struct fx *f = *state;
    srv_version(f, 0, 0, "{\"capabilities\":{\"max_msg_fds\":\"8\"}}", true,
                NULL, 0);
    expect_fail(f, -EPROTO, "\"max_msg_fds\" is not an integer");
}

static void test_json_caps_wrong_type(void **state)
{
    struct fx *f = *state;
    srv_version(f, 0, 0, "{\"capabilities\":true}", true, NULL, 0);
    expect_fail(f, -EPROTO, "\"capabilities\" is not an object");
}

static void test_json_out_of_bounds(void **state)
{
    struct fx *f = *state;
    srv_version(f, 0, 0, "{\"capabilities\":{\"max_data_xfer_size\":0}}", true,
                NULL, 0);
    expect_fail(f, -EPROTO, "\"max_data_xfer_size\" is 0, outside");
}

static void test_json_negative(void **state)
{
    struct fx *f = *state;
    srv_version(f, 0, 0, "{\"capabilities\":{\"max_dma_maps\":-5}}", true, NULL,
                0);
    expect_fail(f, -EPROTO, "\"max_dma_maps\" is -5");
}

static void test_json_pgsizes_small(void **state)
{
    struct fx *f = *state;
    srv_version(f, 0, 0, "{\"capabilities\":{\"pgsizes\":6144}}", true, NULL,
                0);
    expect_fail(f, -EPROTO, "smaller than 4 KiB");
}

static void test_json_not_proposed(void **state)
{
    struct fx *f = *state;
    srv_version(f, 0, 0, "{\"capabilities\":{\"doorbells\":true}}", true, NULL,
                0);
    expect_fail(f, -EPROTO, "\"doorbells\" was not proposed");
}

static void test_json_migration_bad(void **state)
{
    struct fx *f = *state;
    srv_version(f, 0, 0, "{\"capabilities\":{\"migration\":{\"pgsize\":5000}}}",
                true, NULL, 0);
    expect_fail(f, -EPROTO, "not a power of two");
}

static void test_json_duplicate_key(void **state)
{
    struct fx *f = *state;
    srv_version(f, 0, 0,
                "{\"capabilities\":{\"max_msg_fds\":1,\"max_msg_fds\":9}}",
                true, NULL, 0);
    expect_fail(f, -EPROTO, "invalid JSON");
}

static void test_major_mismatch(void **state)
{
    struct fx *f = *state;
    srv_version(f, 1, 0, good_json, true, NULL, 0);
    expect_fail(f, -EPROTO, "major");
}

static void test_minor_above_proposed(void **state)
{
    struct fx *f = *state;
    srv_version(f, 0, 7, good_json, true, NULL, 0);
    expect_fail(f, -EPROTO, "minor");
}

static void test_version_fd(void **state)
{
    struct fx *f = *state;
    int efd = eventfd(0, EFD_CLOEXEC);
    srv_version(f, 0, 0, good_json, true, &efd, 1);
    close(efd);
    expect_fail(f, -EPROTO, "fd");
}

/* ---- Replies ------------------------------------------------------------- */

static void test_error_errno_zero(void **state)
{
    struct fx *f = *state;
    struct msg m;
    srv_recv(f, &m, VFIO_USER_VERSION);
    srv_reply(f, &m, VFIO_USER_VERSION, VFIO_USER_F_ERROR, 0, NULL, 0, NULL, 0);
    expect_fail(f, -EIO, "VERSION");
}

static void test_error_errno_passed(void **state)
{
    struct fx *f = *state;
    struct msg m;
    srv_recv(f, &m, VFIO_USER_VERSION);
    /* An error reply with a payload and an fd: both ignored, fd closed. */
    int efd = eventfd(0, EFD_CLOEXEC);
    uint8_t junk[24] = {0};
    srv_reply(f, &m, VFIO_USER_VERSION, VFIO_USER_F_ERROR, EINVAL, junk,
              sizeof(junk), &efd, 1);
    close(efd);
    expect_fail(f, -EINVAL, "Invalid argument");
}

static void test_wrong_command_echoed(void **state)
{
    struct fx *f = *state;
    struct msg m;
    uint8_t p[4] = {0};
    srv_recv(f, &m, VFIO_USER_VERSION);
    srv_reply(f, &m, VFIO_USER_DEVICE_GET_INFO, 0, 0, p, sizeof(p), NULL, 0);
    expect_fail(f, -EPROTO, "with a DEVICE_GET_INFO reply");
}

static void test_unknown_id_dropped(void **state)
{
    struct fx *f = *state;
    struct msg m, bogus;
    srv_recv(f, &m, VFIO_USER_VERSION);
    /* A reply nobody asked for comes first, with an fd: dropped, closed. */
    bogus = m;
    bogus.hdr.msg_id = (uint16_t)(m.hdr.msg_id + 0x777);
    int efd = eventfd(0, EFD_CLOEXEC);
    uint8_t p[16] = {0};
    srv_reply(f, &bogus, VFIO_USER_REGION_READ, 0, 0, p, sizeof(p), &efd, 1);
    close(efd);
    uint8_t v[4 + 64];
    uint16_t zero = 0;
    memcpy(v, &zero, 2);
    memcpy(v + 2, &zero, 2);
    memcpy(v + 4, good_json, strlen(good_json) + 1);
    srv_reply(f, &m, VFIO_USER_VERSION, 0, 0, v, 4 + strlen(good_json) + 1,
              NULL, 0);
    srv_device_info(f, 0, 0, NULL, 0);
    pump(f);
    assert_int_equal(f->result, 0);
    assert_non_null(strstr(f->log, "answers no request"));
}

static void test_header_too_small(void **state)
{
    struct fx *f = *state;
    struct msg m;
    srv_recv(f, &m, VFIO_USER_VERSION);
    struct vfio_user_header h = {m.hdr.msg_id, VFIO_USER_VERSION, 8,
                                 VFIO_USER_F_TYPE_REPLY, 0};
    srv_send_raw(f, &h, sizeof(h), NULL, 0);
    expect_fail(f, -EPROTO, "16");
}

static void test_size_over_limit(void **state)
{
    struct fx *f = *state;
    struct msg m;
    srv_recv(f, &m, VFIO_USER_VERSION);
    struct vfio_user_header h = {m.hdr.msg_id, VFIO_USER_VERSION, 0x40000000u,
                                 VFIO_USER_F_TYPE_REPLY, 0};
    srv_send_raw(f, &h, sizeof(h), NULL, 0);
    expect_fail(f, -EPROTO, "exceeds");
}

static void test_peer_closes(void **state)
{
    struct fx *f = *state;
    struct msg m;
    srv_recv(f, &m, VFIO_USER_VERSION);
    close(f->srv);
    f->srv = -1;
    expect_fail(f, -ECONNRESET, "closed");
    /* It never got connected, so no disconnect callback. */
    assert_int_equal(f->disconnects, 0);
}

static void test_device_info_fd(void **state)
{
    struct fx *f = *state;
    int efd = eventfd(0, EFD_CLOEXEC);
    srv_version(f, 0, 0, good_json, true, NULL, 0);
    srv_device_info(f, 0, 0, &efd, 1);
    close(efd);
    expect_fail(f, -EPROTO, "fd");
}

static void test_device_info_too_many_regions(void **state)
{
    struct fx *f = *state;
    srv_version(f, 0, 0, good_json, true, NULL, 0);
    srv_device_info(f, 100000, 0, NULL, 0);
    expect_fail(f, -EPROTO, "100000");
}

static void test_byte_by_byte(void **state)
{
    struct fx *f = *state;
    struct msg m;
    uint8_t buf[128];
    srv_recv(f, &m, VFIO_USER_VERSION);
    struct vfio_user_header h = {m.hdr.msg_id, VFIO_USER_VERSION, 0,
                                 VFIO_USER_F_TYPE_REPLY, 0};
    size_t len = 16 + 4 + strlen(good_json) + 1;
    h.msg_size = (uint32_t)len;
    memset(buf, 0, sizeof(buf));
    memcpy(buf, &h, 16);
    memcpy(buf + 20, good_json, strlen(good_json) + 1);
    /* Partial reads at every boundary keep the stream in sync. */
    for (size_t i = 0; i < len; i++) {
        srv_send_raw(f, buf + i, 1, NULL, 0);
        event_base_loop(f->base, EVLOOP_NONBLOCK);
    }
    srv_device_info(f, 0, 0, NULL, 0);
    pump(f);
    assert_int_equal(f->result, 0);
}

/* ---- Region info --------------------------------------------------------- */

static void connect_one_region(struct fx *f, struct msg *m)
{
    srv_version(f, 0, 0, good_json, true, NULL, 0);
    srv_device_info(f, 1, 0, NULL, 0);
    srv_recv(f, m, VFIO_USER_DEVICE_GET_REGION_INFO);
}

static void test_region_mmap_without_fd(void **state)
{
    struct fx *f = *state;
    struct msg m;
    connect_one_region(f, &m);
    struct vfio_user_region_info ri = {
        32,   VFIO_USER_REGION_INFO_FLAG_READ | VFIO_USER_REGION_INFO_FLAG_MMAP,
        0,    0,
        4096, 0};
    srv_reply(f, &m, VFIO_USER_DEVICE_GET_REGION_INFO, 0, 0, &ri, sizeof(ri),
              NULL, 0);
    expect_fail(f, -EPROTO, "fd");
}

static void test_region_retry_closes_short_fd(void **state)
{
    struct fx *f = *state;
    struct msg m;
    uint8_t full[32 + 8 + 8 + 16];
    connect_one_region(f, &m);
    uint32_t asked;
    memcpy(&asked, m.payload, 4);

    /* A full reply larger than asked: argsz says how much, and the short
     * reply still carries an fd that the client must close. */
    uint32_t need = asked + 100;
    struct vfio_user_region_info ri = {
        need, VFIO_USER_REGION_INFO_FLAG_READ, 0, 0, 4096, 0};
    int efd = eventfd(0, EFD_CLOEXEC);
    srv_reply(f, &m, VFIO_USER_DEVICE_GET_REGION_INFO, 0, 0, &ri, sizeof(ri),
              &efd, 1);
    close(efd);

    srv_recv(f, &m, VFIO_USER_DEVICE_GET_REGION_INFO);
    memcpy(&asked, m.payload, 4);
    assert_int_equal(asked, need);
    memset(full, 0, sizeof(full));
    ri.argsz = sizeof(full);
    memcpy(full, &ri, sizeof(ri));
    srv_reply(f, &m, VFIO_USER_DEVICE_GET_REGION_INFO, 0, 0, full, sizeof(full),
              NULL, 0);
    /* A server without ioeventfds says so; that is not a failure. */
    srv_recv(f, &m, VFIO_USER_DEVICE_GET_REGION_IO_FDS);
    srv_reply(f, &m, VFIO_USER_DEVICE_GET_REGION_IO_FDS, VFIO_USER_F_ERROR,
              ENOSYS, NULL, 0, NULL, 0);
    pump(f);
    assert_int_equal(f->result, 0);
    assert_int_equal(vuc_get_region_info(f->c, 0)->size, 4096);
}

static void test_region_cap_loop(void **state)
{
    struct fx *f = *state;
    struct msg m;
    uint8_t p[64] = {0};
    connect_one_region(f, &m);
    struct vfio_user_region_info ri = {
        sizeof(p),
        VFIO_USER_REGION_INFO_FLAG_READ | VFIO_USER_REGION_INFO_FLAG_CAPS,
        0,
        32,
        4096,
        0};
    memcpy(p, &ri, sizeof(ri));
    struct vfio_user_info_cap_header a = {99, 1, 48}, b = {98, 1, 32};
    memcpy(p + 32, &a, 8);
    memcpy(p + 48, &b, 8);
    srv_reply(f, &m, VFIO_USER_DEVICE_GET_REGION_INFO, 0, 0, p, sizeof(p), NULL,
              0);
    expect_fail(f, -EPROTO, "loop");
}

/* ---- Server requests and disconnects ------------------------------------- */

static void test_server_request_refused(void **state)
{
    struct fx *f = *state;
    struct msg m;
    srv_version(f, 0, 0, good_json, true, NULL, 0);
    srv_device_info(f, 0, 0, NULL, 0);
    pump(f);
    assert_int_equal(f->result, 0);

    /* DMA_READ of memory that was never mapped: an EFAULT error reply... */
    uint8_t req[16 + 16];
    struct vfio_user_header h = {0x42, VFIO_USER_DMA_READ, sizeof(req),
                                 VFIO_USER_F_TYPE_COMMAND, 0};
    struct vfio_user_dma_access a = {0x1000, 8};
    memcpy(req, &h, 16);
    memcpy(req + 16, &a, 16);
    srv_send_raw(f, req, sizeof(req), NULL, 0);
    /* No reply when it asks for none; the next one is answered. */
    h.msg_id = 0x43;
    h.flags |= VFIO_USER_F_NO_REPLY;
    memcpy(req, &h, 16);
    srv_send_raw(f, req, sizeof(req), NULL, 0);
    h.msg_id = 0x44;
    h.cmd = 200;
    h.flags = VFIO_USER_F_TYPE_COMMAND;
    memcpy(req, &h, 16);
    srv_send_raw(f, req, sizeof(req), NULL, 0);

    srv_recv(f, &m, VFIO_USER_DMA_READ);
    assert_int_equal(m.hdr.msg_id, 0x42);
    assert_int_equal(m.hdr.flags, VFIO_USER_F_TYPE_REPLY | VFIO_USER_F_ERROR);
    assert_int_equal(m.hdr.error_no, EFAULT);
    assert_int_equal(m.len, 0);
    /* ...and a command we do not serve at all: ENOSYS. */
    srv_recv(f, &m, 200);
    assert_int_equal(m.hdr.msg_id, 0x44);
    assert_int_equal(m.hdr.error_no, ENOSYS);
}

static void test_disconnect_after_connect(void **state)
{
    struct fx *f = *state;
    srv_version(f, 0, 0, good_json, true, NULL, 0);
    srv_device_info(f, 0, 0, NULL, 0);
    pump(f);
    assert_int_equal(f->result, 0);
    close(f->srv);
    f->srv = -1;
    pump_ms(f, 20);
    assert_int_equal(f->disconnects, 1);
    assert_false(vuc_is_connected(f->c));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        T(test_ok_minimal),
        T(test_version_no_json),
        T(test_json_without_nul),
        T(test_json_not_object),
        T(test_json_garbage),
        T(test_json_wrong_type),
        T(test_json_caps_wrong_type),
        T(test_json_out_of_bounds),
        T(test_json_negative),
        T(test_json_pgsizes_small),
        T(test_json_not_proposed),
        T(test_json_migration_bad),
        T(test_json_duplicate_key),
        T(test_major_mismatch),
        T(test_minor_above_proposed),
        T(test_version_fd),
        T(test_error_errno_zero),
        T(test_error_errno_passed),
        T(test_wrong_command_echoed),
        T(test_unknown_id_dropped),
        T(test_header_too_small),
        T(test_size_over_limit),
        T(test_peer_closes),
        T(test_device_info_fd),
        T(test_device_info_too_many_regions),
        T(test_byte_by_byte),
        T(test_region_mmap_without_fd),
        T(test_region_retry_closes_short_fd),
        T(test_region_cap_loop),
        T(test_server_request_refused),
        T(test_disconnect_after_connect),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
