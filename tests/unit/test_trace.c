/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the trace formatter (libvuc/trace_*.c): hand-written
 * messages in, the exact lines out, in text and JSON; malformed input named
 * as such with the codec's reason; and every command with every short
 * payload formatted without reading outside it (payloads are heap copies of
 * exactly their length, so ASan sees an overread).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include <vuc/trace.h>

#define U16(v) (uint8_t)((v)&0xffu), (uint8_t)(((v) >> 8) & 0xffu)
#define U32(v) U16((v)&0xffffu), U16(((v) >> 16) & 0xffffu)
#define U64(v)                                                                 \
    U32((uint64_t)(v)&0xffffffffu), U32(((uint64_t)(v) >> 32) & 0xffffffffu)

#define SKIP_RC 77

struct tr {
    struct vuc_tracer *text, *json;
    char line[VUC_TRACER_LINE_MAX];
    char jline[VUC_TRACER_LINE_MAX];
};

static int setup(void **state)
{
    struct tr *t = calloc(1, sizeof(*t));
    t->text = vuc_tracer_new(0);
    t->json = vuc_tracer_new(VUC_TRACER_JSON);
    assert_non_null(t->text);
    assert_non_null(t->json);
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    struct tr *t = *state;
    vuc_tracer_free(t->text);
    vuc_tracer_free(t->json);
    free(t);
    return 0;
}

/* Format one message through both tracers; the JSON must parse as one
 * object. Returns the text line. */
static const char *fmt(struct tr *t, enum vuc_trace_dir dir, bool twin,
                       uint16_t id, uint16_t cmd, uint32_t flags, uint32_t err,
                       const void *payload, size_t len, unsigned nfds,
                       uint64_t time_ns)
{
    struct vfio_user_header h = {
        .msg_id = id,
        .cmd = cmd,
        .msg_size = (uint32_t)(VFIO_USER_HDR_SIZE + len),
        .flags = flags,
        .error_no = err,
    };
    uint8_t *copy = malloc(len ? len : 1);
    if (len > 0) {
        memcpy(copy, payload, len); /* payload may be NULL when empty */
    }
    struct vuc_trace_msg m = {dir, twin, &h, copy, len, nfds, time_ns};

    int n = vuc_tracer_format(t->text, &m, t->line, sizeof(t->line));
    assert_true(n > 0 && (size_t)n < sizeof(t->line));
    assert_int_equal((size_t)n, strlen(t->line));
    n = vuc_tracer_format(t->json, &m, t->jline, sizeof(t->jline));
    assert_true(n > 0 && (size_t)n < sizeof(t->jline));
    json_error_t jerr;
    json_t *j = json_loads(t->jline, 0, &jerr);
    if (j == NULL) {
        fail_msg("not JSON (%s): %s", jerr.text, t->jline);
    }
    assert_true(json_is_object(j));
    json_decref(j);
    free(copy);
    return t->line;
}

#define TO_S VUC_TRACE_TO_SERVER
#define TO_C VUC_TRACE_TO_CLIENT
#define REPLY VFIO_USER_F_TYPE_REPLY

static void region_read_pair(void **state)
{
    struct tr *t = *state;
    const uint8_t req[] = {U64(0x10), U32(0), U32(4)};
    const uint8_t rep[] = {U64(0x10), U32(0), U32(4), 0x44, 0x43, 0x55, 0x56};

    assert_string_equal(fmt(t, TO_S, false, 12, VFIO_USER_REGION_READ, 0, 0,
                            req, sizeof(req), 0, 1000),
                        "→ #12 REGION_READ BAR0+0x10 count 4");
    assert_string_equal(
        t->jline, "{\"dir\":\"to_server\",\"chan\":\"main\",\"id\":12,"
                  "\"cmd\":\"REGION_READ\",\"kind\":\"request\","
                  "\"region\":\"BAR0\",\"offset\":16,\"count\":4,\"fds\":0}");
    assert_string_equal(fmt(t, TO_C, false, 12, VFIO_USER_REGION_READ, REPLY, 0,
                            rep, sizeof(rep), 0, 6100),
                        "← #12 REGION_READ reply 4 bytes 44 43 55 56 (5.1 µs)");
    assert_string_equal(
        t->jline, "{\"dir\":\"to_client\",\"chan\":\"main\",\"id\":12,"
                  "\"cmd\":\"REGION_READ\",\"kind\":\"reply\",\"data_len\":4,"
                  "\"data\":\"44435556\",\"fds\":0,\"latency_ns\":5100}");
    /* The request was answered: the same reply again answers nothing. */
    assert_string_equal(fmt(t, TO_C, false, 12, VFIO_USER_REGION_READ, REPLY, 0,
                            rep, sizeof(rep), 0, 7000),
                        "← #12 REGION_READ reply to an unseen request 20 bytes "
                        "10 00 00 00 00 00 00 00 00 00 00 00 04 00 00 00 …");
}

static void error_reply_named(void **state)
{
    struct tr *t = *state;
    const uint8_t req[] = {U32(32), U32(0), U32(9), U32(0), U64(0), U64(0)};

    fmt(t, TO_S, false, 3, VFIO_USER_DEVICE_GET_REGION_INFO, 0, 0, req,
        sizeof(req), 0, 0);
    assert_string_equal(fmt(t, TO_C, false, 3, VFIO_USER_DEVICE_GET_REGION_INFO,
                            REPLY | VFIO_USER_F_ERROR, EINVAL, NULL, 0, 0,
                            2500000),
                        "← #3 DEVICE_GET_REGION_INFO error EINVAL (2.50 ms)");
    assert_non_null(strstr(t->jline, "\"kind\":\"error\",\"errno\":22,"
                                     "\"errno_name\":\"EINVAL\""));
    fmt(t, TO_S, false, 4, VFIO_USER_DEVICE_RESET, 0, 0, NULL, 0, 0, 0);
    assert_string_equal(fmt(t, TO_C, false, 4, VFIO_USER_DEVICE_RESET,
                            REPLY | VFIO_USER_F_ERROR, 0, NULL, 0, 0, 0),
                        "← #4 DEVICE_RESET error errno 0 (taken as EIO) "
                        "(0.0 µs)");
}

static void large_data_summarised(void **state)
{
    struct tr *t = *state;
    size_t n = 16 + 4096;
    uint8_t *req = calloc(1, n);
    uint8_t head[] = {U64(0x2000), U32(1), U32(4096)};
    memcpy(req, head, sizeof(head));
    for (size_t i = 16; i < n; i++) {
        req[i] = (uint8_t)i;
    }
    assert_string_equal(
        fmt(t, TO_S, false, 7, VFIO_USER_REGION_WRITE, 0, 0, req, n, 0, 0),
        "→ #7 REGION_WRITE BAR1+0x2000 4096 bytes 10 11 12 13 "
        "14 15 16 17 18 19 1a 1b 1c 1d 1e 1f …");
    assert_non_null(strstr(t->jline,
                           "\"data_len\":4096,"
                           "\"data\":\"101112131415161718191a1b1c1d1e1f\""));
    free(req);
}

static void malformed_reply_gives_codec_reason(void **state)
{
    struct tr *t = *state;
    const uint8_t req[] = {U64(0x10), U32(0), U32(4)};
    /* Echoes count 8 for a 4-byte read. */
    const uint8_t rep[] = {U64(0x10), U32(0), U32(8), 1, 2, 3, 4};

    fmt(t, TO_S, false, 5, VFIO_USER_REGION_READ, 0, 0, req, sizeof(req), 0, 0);
    const char *line = fmt(t, TO_C, false, 5, VFIO_USER_REGION_READ, REPLY, 0,
                           rep, sizeof(rep), 0, 0);
    assert_non_null(strstr(line, "← #5 REGION_READ reply malformed: "));
    assert_non_null(strstr(line, "count 8"));
    assert_non_null(strstr(t->jline, "\"malformed\":\"REGION_READ reply"));

    /* A reply to another command than its request. */
    fmt(t, TO_S, false, 6, VFIO_USER_REGION_READ, 0, 0, req, sizeof(req), 0, 0);
    line = fmt(t, TO_C, false, 6, VFIO_USER_DMA_MAP, REPLY, 0, NULL, 0, 0, 0);
    assert_non_null(strstr(line, "malformed: answers REGION_READ #6 with a "
                                 "DMA_MAP reply"));
}

static void malformed_header(void **state)
{
    struct tr *t = *state;
    struct vfio_user_header h = {
        .msg_id = 1, .cmd = VFIO_USER_REGION_READ, .msg_size = 8};
    struct vuc_trace_msg m = {TO_C, false, &h, NULL, 0, 0, 0};

    assert_true(vuc_tracer_format(t->text, &m, t->line, sizeof(t->line)) > 0);
    assert_non_null(strstr(t->line, "malformed: message size 8"));

    /* The header and what arrived disagree. */
    uint8_t p[4] = {0};
    h.msg_size = 100;
    m.payload = p;
    m.len = sizeof(p);
    assert_true(vuc_tracer_format(t->json, &m, t->jline, sizeof(t->jline)) > 0);
    assert_non_null(strstr(t->jline, "\"kind\":\"malformed\",\"malformed\":"
                                     "\"the header says 100 bytes, the "
                                     "message has 20\""));
    assert_int_equal(vuc_tracer_format(NULL, &m, t->line, sizeof(t->line)),
                     -EINVAL);
    /* A short buffer cuts the line but says how long it is. */
    char small[8];
    int n = vuc_tracer_format(t->text, &m, small, sizeof(small));
    assert_true(n > (int)sizeof(small));
    assert_int_equal(strlen(small), sizeof(small) - 1);
}

static void twin_dma_and_fds(void **state)
{
    struct tr *t = *state;
    const uint8_t req[] = {U64(0x100000000), U64(4)};
    const uint8_t rep[] = {U64(0x100000000), U64(4), 9, 8, 7, 6};
    const uint8_t map[] = {U32(32), U32(3), U64(0), U64(0x100000000),
                           U64(0x1000)};

    /* The server's request on the twin socket, its id separate from the
     * client's ids on main. */
    fmt(t, TO_S, false, 2, VFIO_USER_REGION_READ, 0, 0,
        (const uint8_t[]){U64(0), U32(0), U32(4)}, 16, 0, 0);
    assert_string_equal(
        fmt(t, TO_C, true, 2, VFIO_USER_DMA_READ, 0, 0, req, sizeof(req), 0, 0),
        "← twin #2 DMA_READ iova 0x100000000 count 4");
    assert_string_equal(fmt(t, TO_S, true, 2, VFIO_USER_DMA_READ, REPLY, 0, rep,
                            sizeof(rep), 0, 3000),
                        "→ twin #2 DMA_READ reply 4 bytes 09 08 07 06 "
                        "(3.0 µs)");
    assert_string_equal(
        fmt(t, TO_S, false, 9, VFIO_USER_DMA_MAP, 0, 0, map, sizeof(map), 1, 0),
        "→ #9 DMA_MAP iova 0x100000000 size 0x1000 offset 0 "
        "READ|WRITE +1 fd");
    assert_non_null(strstr(t->jline, "\"fds\":1"));
}

static void version_and_no_reply(void **state)
{
    struct tr *t = *state;
    const char js[] = "{\"a\":\"x\\y\"}";
    uint8_t v[4 + sizeof(js)] = {U16(0), U16(0)};
    memcpy(v + 4, js, sizeof(js));

    assert_string_equal(
        fmt(t, TO_S, false, 0, VFIO_USER_VERSION, 0, 0, v, sizeof(v), 0, 0),
        "→ #0 VERSION 0.0 {\"a\":\"x\\y\"}");
    assert_non_null(
        strstr(t->jline, "\"caps\":\"{\\\"a\\\":\\\"x\\\\y\\\"}\""));
    const uint8_t w[] = {U64(0), U32(0), U32(1), 5};
    assert_string_equal(fmt(t, TO_S, false, 1, VFIO_USER_REGION_WRITE,
                            VFIO_USER_F_NO_REPLY, 0, w, sizeof(w), 0, 0),
                        "→ #1 REGION_WRITE BAR0+0 1 byte 05 (no reply)");
    /* VERSION without its NUL. */
    const uint8_t bad[] = {U16(0), U16(0), '{', '}'};
    assert_non_null(strstr(
        fmt(t, TO_S, false, 1, VFIO_USER_VERSION, 0, 0, bad, sizeof(bad), 0, 0),
        "malformed: VERSION request JSON is not one "
        "NUL-terminated string"));
}

static void no_time_flag(void **state)
{
    (void)state;
    struct vuc_tracer *tr = vuc_tracer_new(VUC_TRACER_NO_TIME);
    struct vfio_user_header h = {
        .msg_id = 1, .cmd = VFIO_USER_DEVICE_RESET, .msg_size = 16};
    struct vuc_trace_msg m = {TO_S, false, &h, NULL, 0, 0, 5};
    char line[256];

    vuc_tracer_format(tr, &m, line, sizeof(line));
    h.flags = REPLY;
    m.dir = TO_C;
    m.time_ns = 900;
    vuc_tracer_format(tr, &m, line, sizeof(line));
    assert_string_equal(line, "← #1 DEVICE_RESET reply");
    vuc_tracer_free(tr);
    assert_null(vuc_tracer_new(0x80));
}

/* Every command, both directions, both types, every payload length up to 80
 * of a few fill patterns, fds or not: formatted in bounds, valid JSON. */
static void any_bytes_are_safe(void **state)
{
    struct tr *t = *state;
    static const uint8_t fills[] = {0x00, 0xff, 0x01, 0x7f, 0x22};

    for (uint16_t cmd = 0; cmd <= VFIO_USER_MAX_COMMAND + 1; cmd++) {
        for (size_t len = 0; len <= 80; len++) {
            for (size_t f = 0; f < sizeof(fills); f++) {
                uint8_t p[80];
                memset(p, fills[f], sizeof(p));
                for (int d = 0; d < 2; d++) {
                    /* A request, then a reply to it. */
                    fmt(t, d, d, 40, cmd, 0, 0, p, len, (unsigned)(len & 1), 0);
                    fmt(t, !d, d, 40, cmd, REPLY, 0, p, len, 0, 1);
                }
            }
        }
    }
}

int main(void)
{
    const uint16_t probe = 1;
    if (*(const uint8_t *)&probe != 1) {
        return SKIP_RC;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(region_read_pair, setup, teardown),
        cmocka_unit_test_setup_teardown(error_reply_named, setup, teardown),
        cmocka_unit_test_setup_teardown(large_data_summarised, setup, teardown),
        cmocka_unit_test_setup_teardown(malformed_reply_gives_codec_reason,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(malformed_header, setup, teardown),
        cmocka_unit_test_setup_teardown(twin_dma_and_fds, setup, teardown),
        cmocka_unit_test_setup_teardown(version_and_no_reply, setup, teardown),
        cmocka_unit_test(no_time_flag),
        cmocka_unit_test_setup_teardown(any_bytes_are_safe, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
