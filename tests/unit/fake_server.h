/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A scripted vfio-user server for unit tests: the test plays the server on
 * one end of a socketpair, writing exactly the bytes it wants (hostile ones
 * included), and drives the client's event loop in the same thread.
 */
#ifndef VUC_TEST_FAKE_SERVER_H
#define VUC_TEST_FAKE_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include <vuc/vuc.h>

#include "test_support.h"

struct fx {
    struct event_base *base;
    struct vuc_client *c;
    int srv; /* the server's end */
    int fds_before;
    bool done;
    int result;
    int ncalls;
    struct test_log logsink;
    char log[8192];
    int disconnects;
    /* Every message of every test is traced, hostile ones included: the
     * formatter must take whatever a scripted server sends. */
    struct vuc_tracer *trace_text, *trace_json;
    unsigned traced;
};

/* One message the client sent. */
struct msg {
    struct vfio_user_header hdr;
    uint8_t payload[16384];
    size_t len;
};

/* cmocka setup: a client (made with o, which this frees) connecting on a
 * socketpair; the server end is f->srv. */
int fx_setup_opts(void **state, struct vuc_options *o);
/* cmocka teardown: frees everything and checks no fd leaked. */
int fx_teardown(void **state);

/* The completion callback tests pass with f as arg. */
void done_cb(struct vuc_client *c, int result, void *arg);

/* Run the client's loop until f->done or about 2 s; or for ms. */
void pump(struct fx *f);
void pump_ms(struct fx *f, int ms);

/* Receive the client's next message, which must be want_cmd. */
void srv_recv(struct fx *f, struct msg *m, uint16_t want_cmd);
/* As srv_recv(), also collecting fds sent with the message (up to 8). */
void srv_recv_fds(struct fx *f, struct msg *m, uint16_t want_cmd, int *fds,
                  unsigned *nfds);
void srv_send_raw(struct fx *f, const void *buf, size_t len, int *fds,
                  unsigned nfds);
/* Reply to m with cmd, extra header flags and errno, payload and fds. */
void srv_reply(struct fx *f, const struct msg *req, uint16_t cmd,
               uint32_t flags, uint32_t err, const void *payload, size_t len,
               int *fds, unsigned nfds);
/* Answer VERSION / DEVICE_GET_INFO. */
void srv_version(struct fx *f, uint16_t major, uint16_t minor, const char *json,
                 bool with_nul, int *fds, unsigned nfds);
void srv_device_info(struct fx *f, uint32_t nregions, uint32_t nirqs, int *fds,
                     unsigned nfds);
/* As srv_device_info() with VFIO_USER_DEVICE_FLAGS_* of our choosing. */
void srv_device_info_flags(struct fx *f, uint32_t flags, uint32_t nregions,
                           uint32_t nirqs);
/* The connect (or operation) failed with err and a text containing text. */
void expect_fail(struct fx *f, int err, const char *text);

#endif /* VUC_TEST_FAKE_SERVER_H */
