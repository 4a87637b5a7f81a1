/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The trace callback against vuc-testdev: it sees every message the client
 * sends and receives, on both sockets of twin-socket mode, with the fds that
 * travel with each; it can be turned off on a live client; and the client's
 * own traffic formats without a single "malformed".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testdev_fixture.h"
#include "testdev_regs.h"

#define MAX_SEEN 512

struct seen {
    enum vuc_trace_dir dir;
    bool twin, reply;
    uint16_t id, cmd;
    unsigned nfds;
    uint64_t time_ns;
};

struct rec {
    struct seen m[MAX_SEEN];
    unsigned n;
    struct vuc_tracer *tracer;
    unsigned malformed;
    char last[VUC_TRACER_LINE_MAX];
};

static void record(void *arg, const struct vuc_trace_msg *msg)
{
    struct rec *r = arg;

    assert_int_equal(msg->hdr->msg_size, msg->len + VFIO_USER_HDR_SIZE);
    assert_true(r->n < MAX_SEEN);
    r->m[r->n++] = (struct seen){
        .dir = msg->dir,
        .twin = msg->twin,
        .reply =
            (msg->hdr->flags & VFIO_USER_F_TYPE_MASK) == VFIO_USER_F_TYPE_REPLY,
        .id = msg->hdr->msg_id,
        .cmd = msg->hdr->cmd,
        .nfds = msg->nfds,
        .time_ns = msg->time_ns,
    };
    assert_true(vuc_tracer_format(r->tracer, msg, r->last, sizeof(r->last)) >
                0);
    if (strstr(r->last, "malformed") != NULL) {
        print_message("%s\n", r->last);
        r->malformed++;
    }
}

/* How many messages match. */
static unsigned count(const struct rec *r, enum vuc_trace_dir dir, bool twin,
                      bool reply, uint16_t cmd)
{
    unsigned n = 0;
    for (unsigned i = 0; i < r->n; i++) {
        const struct seen *s = &r->m[i];
        n += s->dir == dir && s->twin == twin && s->reply == reply &&
             s->cmd == cmd;
    }
    return n;
}

static void test_every_message_both_sockets(void **state)
{
    struct fx *f = *state;
    struct rec *r = calloc(1, sizeof(*r));
    const uint32_t bar0 = VFIO_USER_PCI_BAR0_REGION_INDEX;

    r->tracer = vuc_tracer_new(0);
    dev_start(f, NULL);
    struct vuc_options *o = vuc_options_new();
    vuc_options_set_trace(o, record, r);
    f->c = vuc_client_new(f->base, o);
    vuc_options_free(o);
    connect_ok(f, f->c);
    assert_true(vuc_get_caps(f->c)->twin_socket);

    /* VERSION first, its reply carrying the twin socket. */
    assert_true(r->n >= 2);
    assert_int_equal(r->m[0].cmd, VFIO_USER_VERSION);
    assert_int_equal(r->m[0].dir, VUC_TRACE_TO_SERVER);
    assert_int_equal(r->m[1].cmd, VFIO_USER_VERSION);
    assert_int_equal(r->m[1].dir, VUC_TRACE_TO_CLIENT);
    assert_int_equal(r->m[1].nfds, 1);

    assert_int_equal(read32(f->c, bar0, TESTDEV_REG_MAGIC), TESTDEV_MAGIC);
    /* A DMA job by message: the server's DMA_READ and DMA_WRITE come on the
     * twin socket, and the client's replies go back on it. */
    struct vuc_dma_map *src, *dst;
    assert_int_equal(vuc_dma_alloc(f->c, 4096, VUC_IOVA_ANY,
                                   VUC_DMA_READ | VUC_DMA_WRITE, &src),
                     0);
    assert_int_equal(vuc_dma_alloc(f->c, 4096, VUC_IOVA_ANY,
                                   VUC_DMA_READ | VUC_DMA_WRITE, &dst),
                     0);
    assert_int_equal(dma_job(f->c, vuc_dma_iova(src), vuc_dma_iova(dst), 256,
                             TESTDEV_DMA_CTRL_FORCE_MSG),
                     0);
    assert_true(count(r, VUC_TRACE_TO_CLIENT, true, false, VFIO_USER_DMA_READ) >
                0);
    assert_int_equal(
        count(r, VUC_TRACE_TO_CLIENT, true, false, VFIO_USER_DMA_READ),
        count(r, VUC_TRACE_TO_SERVER, true, true, VFIO_USER_DMA_READ));
    assert_true(
        count(r, VUC_TRACE_TO_CLIENT, true, false, VFIO_USER_DMA_WRITE) > 0);
    assert_int_equal(
        count(r, VUC_TRACE_TO_CLIENT, true, false, VFIO_USER_DMA_WRITE),
        count(r, VUC_TRACE_TO_SERVER, true, true, VFIO_USER_DMA_WRITE));
    /* Each DMA_MAP went with its memfd. */
    for (unsigned i = 0; i < r->n; i++) {
        if (r->m[i].cmd == VFIO_USER_DMA_MAP && !r->m[i].reply) {
            assert_int_equal(r->m[i].nfds, 1);
        }
    }
    /* Every request on main has its reply, later, with the same id. */
    for (unsigned i = 0; i < r->n; i++) {
        const struct seen *q = &r->m[i];
        if (q->reply || q->twin || q->dir != VUC_TRACE_TO_SERVER) {
            continue;
        }
        unsigned answers = 0;
        for (unsigned j = i + 1; j < r->n; j++) {
            const struct seen *a = &r->m[j];
            if (a->reply && !a->twin && a->id == q->id && a->cmd == q->cmd) {
                assert_true(a->time_ns >= q->time_ns);
                answers++;
                break;
            }
        }
        assert_int_equal(answers, 1);
    }
    /* A posted write goes from the caller's buffer straight to the socket
     * when nothing is queued: traced, it is still seen whole. */
    uint8_t buf[64];
    memset(buf, 0x5a, sizeof(buf));
    unsigned writes =
        count(r, VUC_TRACE_TO_SERVER, false, false, VFIO_USER_REGION_WRITE);
    assert_int_equal(vuc_set_posting(f->c, VUC_POSTING_POSTED), 0);
    assert_int_equal(vuc_region_write(f->c, VFIO_USER_PCI_BAR1_REGION_INDEX, 0,
                                      buf, sizeof(buf)),
                     0);
    assert_int_equal(vuc_fence(f->c), 0);
    assert_int_equal(
        count(r, VUC_TRACE_TO_SERVER, false, false, VFIO_USER_REGION_WRITE),
        writes + 1);
    assert_int_equal(r->malformed, 0);

    /* Off on the live client: nothing more is seen. */
    unsigned before = r->n;
    assert_int_equal(vuc_set_trace(f->c, NULL, NULL), 0);
    assert_int_equal(read32(f->c, bar0, TESTDEV_REG_MAGIC), TESTDEV_MAGIC);
    assert_int_equal(r->n, before);
    /* And on again. */
    assert_int_equal(vuc_set_trace(f->c, record, r), 0);
    assert_int_equal(read32(f->c, bar0, TESTDEV_REG_MAGIC), TESTDEV_MAGIC);
    assert_int_equal(r->n, before + 2);
    assert_non_null(strstr(r->last, "← #"));
    assert_non_null(
        strstr(r->last, " REGION_READ reply 4 bytes 44 43 55 56 ("));
    vuc_tracer_free(r->tracer);
    free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_every_message_both_sockets,
                                        fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
