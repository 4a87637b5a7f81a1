/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Migration and dirty-page tracking against a scripted server: the paths
 * the state walk takes, refusals, DMA logging with its legacy fallback,
 * report pieces and the merge with the client's record, and save files
 * refused before anything is sent.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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

#include "fake_server.h"

#define GET VFIO_USER_DEVICE_FEATURE_GET
#define SET VFIO_USER_DEVICE_FEATURE_SET
#define PROBE VFIO_USER_DEVICE_FEATURE_PROBE

static int setup(void **state)
{
    int rc = fx_setup_opts(state, vuc_options_new());
    struct fx *f = *state;
    srv_version(f, 0, 0,
                "{\"capabilities\":{\"max_msg_fds\":8,"
                "\"max_data_xfer_size\":4096,\"migration\":{\"pgsize\":4096}}}",
                true, NULL, 0);
    srv_device_info(f, 0, 0, NULL, 0);
    pump(f);
    assert_int_equal(f->result, 0);
    f->done = false;
    f->ncalls = 0;
    return rc;
}

/* Expect a DEVICE_FEATURE with these flags; return its data. */
static void recv_feature(struct fx *f, struct msg *m, uint32_t flags)
{
    struct vfio_user_device_feature h;
    srv_recv(f, m, VFIO_USER_DEVICE_FEATURE);
    memcpy(&h, m->payload, sizeof(h));
    if (h.flags != flags) {
        fail_msg("DEVICE_FEATURE flags 0x%x, expected 0x%x", h.flags, flags);
    }
}

/* Answer a GET with data, a SET/PROBE with the echo. */
static void reply_feature(struct fx *f, struct msg *m, const void *data,
                          size_t len)
{
    uint8_t out[8192];
    struct vfio_user_device_feature h;
    memcpy(&h, m->payload, sizeof(h));
    if (data == NULL) {
        srv_reply(f, m, m->hdr.cmd, 0, 0, m->payload, m->len, NULL, 0);
        return;
    }
    h.argsz = (uint32_t)(sizeof(h) + len);
    memcpy(out, &h, sizeof(h));
    memcpy(out + sizeof(h), data, len);
    srv_reply(f, m, m->hdr.cmd, 0, 0, out, sizeof(h) + len, NULL, 0);
}

static void answer_probe(struct fx *f, uint64_t flags)
{
    struct msg m;
    recv_feature(f, &m, GET | VFIO_USER_DEVICE_FEATURE_MIGRATION);
    reply_feature(f, &m, &flags, sizeof(flags));
}

static void answer_state(struct fx *f, uint32_t state)
{
    struct msg m;
    struct vfio_user_device_feature_mig_state s = {state, 0};
    recv_feature(f, &m, GET | VFIO_USER_DEVICE_FEATURE_MIG_DEVICE_STATE);
    reply_feature(f, &m, &s, sizeof(s));
}

/* The next step of a walk must be `to`; answer with errno err (0: ok). */
static void answer_step(struct fx *f, uint32_t to, int err)
{
    struct msg m;
    struct vfio_user_device_feature_mig_state s;
    recv_feature(f, &m, SET | VFIO_USER_DEVICE_FEATURE_MIG_DEVICE_STATE);
    memcpy(&s, m.payload + 8, sizeof(s));
    if (s.device_state != to) {
        fail_msg("walked to %s, expected %s",
                 vuc_mig_state_name(s.device_state), vuc_mig_state_name(to));
    }
    if (err) {
        srv_reply(f, &m, m.hdr.cmd, VFIO_USER_F_ERROR, (uint32_t)err, NULL, 0,
                  NULL, 0);
    } else {
        reply_feature(f, &m, NULL, 0);
    }
}

static void walk(struct fx *f, uint32_t target)
{
    f->done = false;
    f->ncalls = 0;
    assert_int_equal(
        vuc_mig_set_state_async(f->c, target, VUC_TIMEOUT_DEFAULT, done_cb, f),
        0);
}

static void test_walks(void **state)
{
    struct fx *f = *state;
    const uint64_t both =
        VFIO_USER_MIGRATION_STOP_COPY | VFIO_USER_MIGRATION_PRE_COPY;

    /* RUNNING -> STOP_COPY goes through STOP, never through PRE_COPY: a
     * saving state is never an interior step. The first walk asks which
     * states exist; later ones on the connection know. */
    walk(f, VFIO_USER_DEVICE_STATE_STOP_COPY);
    answer_probe(f, both);
    answer_state(f, VFIO_USER_DEVICE_STATE_RUNNING);
    answer_step(f, VFIO_USER_DEVICE_STATE_STOP, 0);
    answer_step(f, VFIO_USER_DEVICE_STATE_STOP_COPY, 0);
    pump(f);
    assert_int_equal(f->result, 0);

    /* RESUMING -> RUNNING goes through STOP. */
    walk(f, VFIO_USER_DEVICE_STATE_RUNNING);
    answer_state(f, VFIO_USER_DEVICE_STATE_RESUMING);
    answer_step(f, VFIO_USER_DEVICE_STATE_STOP, 0);
    answer_step(f, VFIO_USER_DEVICE_STATE_RUNNING, 0);
    pump(f);
    assert_int_equal(f->result, 0);

    /* PRE_COPY -> STOP_COPY is one arc. */
    walk(f, VFIO_USER_DEVICE_STATE_STOP_COPY);
    answer_state(f, VFIO_USER_DEVICE_STATE_PRE_COPY);
    answer_step(f, VFIO_USER_DEVICE_STATE_STOP_COPY, 0);
    pump(f);
    assert_int_equal(f->result, 0);

    /* Already there: no SET at all. */
    walk(f, VFIO_USER_DEVICE_STATE_STOP);
    answer_state(f, VFIO_USER_DEVICE_STATE_STOP);
    pump(f);
    assert_int_equal(f->result, 0);
}

static void test_invalid_transitions(void **state)
{
    struct fx *f = *state;

    /* Refused before anything is sent. */
    assert_int_equal(vuc_mig_set_state_async(f->c, VFIO_USER_DEVICE_STATE_ERROR,
                                             VUC_TIMEOUT_DEFAULT, done_cb, f),
                     -EINVAL);
    assert_int_equal(vuc_mig_set_state_async(f->c,
                                             VFIO_USER_DEVICE_STATE_RUNNING_P2P,
                                             VUC_TIMEOUT_DEFAULT, done_cb, f),
                     -EINVAL);
    assert_int_equal(
        vuc_mig_set_state_async(f->c, 99, VUC_TIMEOUT_DEFAULT, done_cb, f),
        -EINVAL);

    /* STOP_COPY -> PRE_COPY is not allowed. */
    walk(f, VFIO_USER_DEVICE_STATE_PRE_COPY);
    answer_probe(f,
                 VFIO_USER_MIGRATION_STOP_COPY | VFIO_USER_MIGRATION_PRE_COPY);
    answer_state(f, VFIO_USER_DEVICE_STATE_STOP_COPY);
    pump(f);
    assert_int_equal(f->result, -EPERM);
    assert_non_null(strstr(vuc_strerror(f->c),
                           "no allowed way from STOP_COPY to PRE_COPY"));

    /* The device refuses a step: the walk stops, naming the arc. */
    walk(f, VFIO_USER_DEVICE_STATE_STOP_COPY);
    answer_state(f, VFIO_USER_DEVICE_STATE_RUNNING);
    answer_step(f, VFIO_USER_DEVICE_STATE_STOP, EBUSY);
    pump(f);
    assert_int_equal(f->result, -EBUSY);
    assert_non_null(strstr(vuc_strerror(f->c), "refused RUNNING -> STOP"));

    /* A device in ERROR only leaves it by reset. */
    walk(f, VFIO_USER_DEVICE_STATE_RUNNING);
    answer_state(f, VFIO_USER_DEVICE_STATE_ERROR);
    pump(f);
    assert_int_equal(f->result, -EIO);
}

static void test_no_pre_copy(void **state)
{
    struct fx *f = *state;
    walk(f, VFIO_USER_DEVICE_STATE_PRE_COPY);
    answer_probe(f, VFIO_USER_MIGRATION_STOP_COPY);
    pump(f);
    assert_int_equal(f->result, -EINVAL);
    assert_non_null(strstr(vuc_strerror(f->c), "no PRE_COPY"));
}

static void test_no_migration(void **state)
{
    struct fx *f = *state;
    struct msg m;
    walk(f, VFIO_USER_DEVICE_STATE_STOP);
    recv_feature(f, &m, GET | VFIO_USER_DEVICE_FEATURE_MIGRATION);
    srv_reply(f, &m, m.hdr.cmd, VFIO_USER_F_ERROR, EINVAL, NULL, 0, NULL, 0);
    pump(f);
    assert_int_equal(f->result, -ENOTSUP);
}

static void test_data_read_padded(void **state)
{
    struct fx *f = *state;
    struct msg m;
    uint8_t buf[64];
    uint32_t got = 99;

    assert_int_equal(vuc_mig_read_async(f->c, buf, 16, &got,
                                        VUC_TIMEOUT_DEFAULT, done_cb, f),
                     0);
    srv_recv(f, &m, VFIO_USER_MIG_DATA_READ);
    struct vfio_user_mig_data req;
    memcpy(&req, m.payload, 8);
    assert_int_equal(req.size, 16);
    /* libvfio-user's short read: 3 bytes, zero-padded to 16. */
    uint8_t rep[8 + 16] = {0};
    struct vfio_user_mig_data h = {8 + 3, 3};
    memcpy(rep, &h, 8);
    memcpy(rep + 8, "abc", 3);
    srv_reply(f, &m, m.hdr.cmd, 0, 0, rep, sizeof(rep), NULL, 0);
    pump(f);
    assert_int_equal(f->result, 0);
    assert_int_equal(got, 3);
    assert_memory_equal(buf, "abc", 3);
    assert_int_equal(vuc_mig_read_async(f->c, buf, 5000, &got,
                                        VUC_TIMEOUT_DEFAULT, done_cb, f),
                     -EINVAL);
}

/* ---- Dirty pages --------------------------------------------------------- */

static void test_logging_and_report_pieces(void **state)
{
    struct fx *f = *state;
    struct msg m;
    struct vuc_dirty_range r = {0x100000000ull, 1ull << 30};

    assert_int_equal(
        vuc_dirty_start_async(f->c, &r, 1, 0, VUC_TIMEOUT_DEFAULT, done_cb, f),
        0);
    recv_feature(f, &m,
                 PROBE | SET | VFIO_USER_DEVICE_FEATURE_DMA_LOGGING_START);
    reply_feature(f, &m, NULL, 0);
    recv_feature(f, &m, SET | VFIO_USER_DEVICE_FEATURE_DMA_LOGGING_START);
    struct vfio_user_dma_logging_control ctl;
    memcpy(&ctl, m.payload + 8, sizeof(ctl));
    assert_int_equal(ctl.page_size, 4096);
    assert_int_equal(ctl.num_ranges, 1);
    reply_feature(f, &m, NULL, 0);
    pump(f);
    assert_int_equal(f->result, 0);
    assert_int_equal(vuc_dirty_get_mode(f->c), VUC_DIRTY_LOGGING);
    assert_int_equal(vuc_dirty_page_size(f->c), 4096);

    /* 1 GiB at 4 KiB is 32 KiB of bitmap: with 4 KiB transfers it comes
     * in pieces, each for a 64-page-aligned sub-range. */
    size_t words = (1u << 18) / 64;
    uint64_t *bits = calloc(words, 8);
    f->done = false;
    assert_int_equal(vuc_dirty_report_async(f->c, r.iova, r.length, 4096, bits,
                                            words, VUC_TIMEOUT_DEFAULT, done_cb,
                                            f),
                     0);
    uint64_t covered = 0, starts[64];
    unsigned pieces = 0;
    while (covered < r.length) {
        assert_true(pieces < 64);
        starts[pieces] = covered / 4096;
        recv_feature(f, &m, GET | VFIO_USER_DEVICE_FEATURE_DMA_LOGGING_REPORT);
        struct vfio_user_dma_logging_report rep;
        memcpy(&rep, m.payload + 8, sizeof(rep));
        assert_int_equal(rep.iova, r.iova + covered);
        assert_int_equal(rep.page_size, 4096);
        size_t bm = (rep.length / 4096 + 63) / 64 * 8;
        assert_true(8 + 24 + bm <= 4096);
        uint8_t data[4096] = {0};
        memcpy(data, &rep, sizeof(rep));
        /* Mark the first page of every piece. */
        data[24] = 1;
        reply_feature(f, &m, data, 24 + bm);
        covered += rep.length;
        pieces++;
    }
    pump(f);
    assert_int_equal(f->result, 0);
    assert_true(pieces > 1);
    unsigned set = 0;
    for (size_t w = 0; w < words; w++) {
        set += (unsigned)__builtin_popcountll(bits[w]);
    }
    assert_int_equal(set, pieces); /* exactly one page per piece */
    for (unsigned i = 0; i < pieces; i++) {
        uint64_t bit = starts[i];
        assert_int_equal(bit % 64, 0);
        assert_true(bits[bit / 64] & 1);
    }
    free(bits);

    /* A reply with the wrong bitmap size is refused. */
    uint64_t small[1];
    f->done = false;
    assert_int_equal(vuc_dirty_report_async(f->c, r.iova, 64 * 4096, 4096,
                                            small, 1, VUC_TIMEOUT_DEFAULT,
                                            done_cb, f),
                     0);
    recv_feature(f, &m, GET | VFIO_USER_DEVICE_FEATURE_DMA_LOGGING_REPORT);
    uint8_t data[24 + 16] = {0};
    memcpy(data, m.payload + 8, 24);
    reply_feature(f, &m, data, sizeof(data));
    pump(f);
    assert_int_equal(f->result, -EPROTO);
    /* Bad arguments never reach the server. */
    assert_int_equal(vuc_dirty_report_async(f->c, r.iova, 64 * 4096, 2048,
                                            small, 1, VUC_TIMEOUT_DEFAULT,
                                            done_cb, f),
                     -EINVAL);
    assert_int_equal(vuc_dirty_report_async(f->c, r.iova, 65 * 4096, 4096,
                                            small, 1, VUC_TIMEOUT_DEFAULT,
                                            done_cb, f),
                     -ENOSPC);
}

/* Dirty logging on through the legacy command: the server refuses the DMA
 * logging feature, then accepts DIRTY_PAGES START. */
static void legacy_logging_on(struct fx *f)
{
    struct msg m;
    struct vfio_user_dirty_pages dp;

    assert_int_equal(vuc_dirty_start_async(f->c, NULL, 0, 0,
                                           VUC_TIMEOUT_DEFAULT, done_cb, f),
                     0);
    recv_feature(f, &m,
                 PROBE | SET | VFIO_USER_DEVICE_FEATURE_DMA_LOGGING_START);
    srv_reply(f, &m, m.hdr.cmd, VFIO_USER_F_ERROR, EINVAL, NULL, 0, NULL, 0);
    srv_recv(f, &m, VFIO_USER_DIRTY_PAGES);
    memcpy(&dp, m.payload, sizeof(dp));
    assert_int_equal(dp.flags, VFIO_USER_DIRTY_PAGES_FLAG_START);
    srv_reply(f, &m, m.hdr.cmd, 0, 0, NULL, 0, NULL, 0);
    pump(f);
    assert_int_equal(f->result, 0);
    assert_int_equal(vuc_dirty_get_mode(f->c), VUC_DIRTY_LEGACY);
}

static void test_legacy_fallback(void **state)
{
    struct fx *f = *state;
    struct msg m;

    legacy_logging_on(f);

    uint64_t bits[1];
    f->done = false;
    assert_int_equal(vuc_dirty_report_async(f->c, 0x10000, 8 * 4096, 4096, bits,
                                            1, VUC_TIMEOUT_DEFAULT, done_cb, f),
                     0);
    srv_recv(f, &m, VFIO_USER_DIRTY_PAGES);
    struct vfio_user_bitmap_range br;
    memcpy(&br, m.payload + 8, sizeof(br));
    assert_int_equal(br.iova, 0x10000);
    assert_int_equal(br.size, 8 * 4096);
    assert_int_equal(br.bitmap.pgsize, 4096);
    uint8_t rep[8 + 32 + 8] = {0};
    struct vfio_user_dirty_pages h = {sizeof(rep),
                                      VFIO_USER_DIRTY_PAGES_FLAG_GET_BITMAP};
    memcpy(rep, &h, 8);
    memcpy(rep + 8, &br, sizeof(br));
    rep[40] = 0x81;
    srv_reply(f, &m, m.hdr.cmd, 0, 0, rep, sizeof(rep), NULL, 0);
    pump(f);
    assert_int_equal(f->result, 0);
    assert_int_equal(bits[0], 0x81);

    f->done = false;
    assert_int_equal(
        vuc_dirty_stop_async(f->c, VUC_TIMEOUT_DEFAULT, done_cb, f), 0);
    srv_recv(f, &m, VFIO_USER_DIRTY_PAGES);
    struct vfio_user_dirty_pages dp;
    memcpy(&dp, m.payload, sizeof(dp));
    assert_int_equal(dp.flags, VFIO_USER_DIRTY_PAGES_FLAG_STOP);
    srv_reply(f, &m, m.hdr.cmd, 0, 0, NULL, 0, NULL, 0);
    pump(f);
    assert_int_equal(f->result, 0);
    assert_int_equal(vuc_dirty_get_mode(f->c), VUC_DIRTY_OFF);
}

static void map_cb(struct vuc_client *c, int result, struct vuc_dma_map *map,
                   void *arg)
{
    done_cb(c, result, arg);
}

static void test_report_of_unshared_map_is_local(void **state)
{
    struct fx *f = *state;
    struct msg m;

    /* Logging on (legacy, to keep the script short). */
    legacy_logging_on(f);

    f->done = false;
    assert_int_equal(vuc_dma_alloc_async(f->c, 8192, 0x40000,
                                         VUC_DMA_WRITE | VUC_DMA_NOSHARE,
                                         VUC_TIMEOUT_DEFAULT, map_cb, f),
                     0);
    srv_recv(f, &m, VFIO_USER_DMA_MAP);
    srv_reply(f, &m, m.hdr.cmd, 0, 0, NULL, 0, NULL, 0);
    pump(f);
    assert_int_equal(f->result, 0);

    /* The server writes the second page by message... */
    uint8_t w[32 + 4] = {0};
    struct vfio_user_header h = {0x99, VFIO_USER_DMA_WRITE, sizeof(w),
                                 VFIO_USER_F_TYPE_COMMAND, 0};
    struct vfio_user_dma_access a = {0x41000, 4};
    memcpy(w, &h, 16);
    memcpy(w + 16, &a, 16);
    srv_send_raw(f, w, sizeof(w), NULL, 0);
    srv_recv(f, &m, VFIO_USER_DMA_WRITE);

    /* ...and the report comes from the client's record alone. */
    uint64_t bits[1] = {~0ull};
    f->done = false;
    assert_int_equal(vuc_dirty_report_async(f->c, 0x40000, 8192, 4096, bits, 1,
                                            VUC_TIMEOUT_DEFAULT, done_cb, f),
                     0);
    assert_false(f->done);
    pump(f);
    assert_int_equal(f->result, 0);
    assert_int_equal(bits[0], 0x2);
    struct pollfd p = {f->srv, POLLIN, 0};
    assert_int_equal(poll(&p, 1, 0), 0);
}

/* ---- Save files ---------------------------------------------------------- */

static void refuse_file(struct fx *f, const void *bytes, size_t len,
                        const char *text)
{
    char path[] = "/tmp/vuc-mig-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    assert_int_equal(write(fd, bytes, len), (ssize_t)len);
    assert_int_equal(vuc_mig_load(f->c, fd), -EINVAL);
    close(fd);
    if (strstr(vuc_strerror(f->c), text) == NULL) {
        fail_msg("\"%s\" lacks \"%s\"", vuc_strerror(f->c), text);
    }
    /* Nothing was sent. */
    struct pollfd p = {f->srv, POLLIN, 0};
    assert_int_equal(poll(&p, 1, 0), 0);
}

static void test_bad_files_refused_before_sending(void **state)
{
    struct fx *f = *state;
    uint8_t hdr[64] = {'V', 'U', 'C', 'M', 'I', 'G', 0, 1};

    refuse_file(f, "", 0, "bad magic");
    refuse_file(f, "not a migration file at all, just text", 38, "bad magic");
    refuse_file(f, hdr, 10, "bad magic");
    hdr[8] = 7; /* version */
    hdr[12] = 64;
    refuse_file(f, hdr, sizeof(hdr), "file format 7");
    hdr[8] = 1;
    refuse_file(f, hdr, sizeof(hdr), "CRC mismatch");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, fx_teardown)
        T(test_walks),
        T(test_invalid_transitions),
        T(test_no_pre_copy),
        T(test_no_migration),
        T(test_data_read_padded),
        T(test_logging_and_report_pieces),
        T(test_legacy_fallback),
        T(test_report_of_unshared_map_is_local),
        T(test_bad_files_refused_before_sending),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
