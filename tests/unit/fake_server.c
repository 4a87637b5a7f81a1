/* SPDX-License-Identifier: BSD-3-Clause */
#include "fake_server.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

void done_cb(struct vuc_client *c, int result, void *arg)
{
    struct fx *f = arg;
    f->done = true;
    f->result = result;
    f->ncalls++;
}

static void disconnect_cb(struct vuc_client *c, int result, void *arg)
{
    struct fx *f = arg;
    f->disconnects++;
}

/* Both forms of each line; the JSON one must be a JSON object. */
static void trace_cb(void *arg, const struct vuc_trace_msg *msg)
{
    struct fx *f = arg;
    char line[VUC_TRACER_LINE_MAX];
    json_error_t jerr;

    int n = vuc_tracer_format(f->trace_text, msg, line, sizeof(line));
    assert_true(n > 0 && (size_t)n < sizeof(line));
    n = vuc_tracer_format(f->trace_json, msg, line, sizeof(line));
    assert_true(n > 0 && (size_t)n < sizeof(line));
    json_t *j = json_loads(line, 0, &jerr);
    if (!json_is_object(j)) {
        fail_msg("trace line is not a JSON object (%s): %s", jerr.text, line);
    }
    json_decref(j);
    f->traced++;
}

int fx_setup_opts(void **state, struct vuc_options *o)
{
    struct fx *f = calloc(1, sizeof(*f));
    int sv[2];

    f->fds_before = count_fds();
    f->base = event_base_new();
    f->logsink = (struct test_log){f->log, sizeof(f->log)};
    vuc_options_set_log(o, test_log_line, &f->logsink, VUC_LOG_DEBUG);
    vuc_options_set_timeout(o, 2000);
    f->trace_text = vuc_tracer_new(0);
    f->trace_json = vuc_tracer_new(VUC_TRACER_JSON);
    vuc_options_set_trace(o, trace_cb, f);
    f->c = vuc_client_new(f->base, o);
    vuc_options_free(o);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    f->srv = sv[0];
    vuc_set_disconnect_cb(f->c, disconnect_cb, f);
    assert_int_equal(vuc_connect_fd_async(f->c, sv[1], done_cb, f), 0);
    *state = f;
    return 0;
}

int fx_teardown(void **state)
{
    struct fx *f = *state;
    vuc_client_free(f->c);
    if (f->srv >= 0) {
        close(f->srv);
    }
    event_base_free(f->base);
    vuc_tracer_free(f->trace_text);
    vuc_tracer_free(f->trace_json);
    /* Whatever the server sent, the client closed every fd it got. */
    assert_int_equal(count_fds(), f->fds_before);
    free(f);
    return 0;
}

/* Run the client's loop until its callback ran or ~2 s passed. */
void pump(struct fx *f)
{
    for (int i = 0; i < 2000 && !f->done; i++) {
        event_base_loop(f->base, EVLOOP_NONBLOCK);
        if (!f->done) {
            poll(NULL, 0, 1);
        }
    }
}

/* Run the loop a little without expecting completion. */
void pump_ms(struct fx *f, int ms)
{
    for (int i = 0; i < ms; i++) {
        event_base_loop(f->base, EVLOOP_NONBLOCK);
        poll(NULL, 0, 1);
    }
}

/* ---- The scripted server ------------------------------------------------ */

/* Read exactly len bytes, running the client's loop while waiting: a
 * client with a backed-up queue sends the rest only from its loop. */
static void read_full(struct fx *f, int fd, void *buf, size_t len)
{
    uint8_t *p = buf;
    for (int waited = 0; len > 0;) {
        struct pollfd pfd = {fd, POLLIN, 0};
        if (poll(&pfd, 1, 0) != 1) {
            assert_true(waited++ < 2000);
            event_base_loop(f->base, EVLOOP_NONBLOCK);
            poll(NULL, 0, 1);
            continue;
        }
        ssize_t n = read(fd, p, len);
        assert_true(n > 0);
        p += n;
        len -= (size_t)n;
    }
}

/* Receive the client's next message; the client sends it from inside the
 * call (or loop iteration) that produced it. */
void srv_recv(struct fx *f, struct msg *m, uint16_t want_cmd)
{
    for (int i = 0; i < 200; i++) {
        struct pollfd pfd = {f->srv, POLLIN, 0};
        if (poll(&pfd, 1, 0) == 1) {
            break;
        }
        event_base_loop(f->base, EVLOOP_NONBLOCK);
        poll(NULL, 0, 1);
    }
    read_full(f, f->srv, &m->hdr, sizeof(m->hdr));
    assert_true(m->hdr.msg_size >= 16);
    m->len = m->hdr.msg_size - 16;
    assert_true(m->len <= sizeof(m->payload));
    read_full(f, f->srv, m->payload, m->len);
    assert_int_equal(m->hdr.cmd, want_cmd);
}

void srv_recv_fds(struct fx *f, struct msg *m, uint16_t want_cmd, int *fds,
                  unsigned *nfds)
{
    char cbuf[CMSG_SPACE(sizeof(int) * 8)];
    struct iovec iov = {&m->hdr, sizeof(m->hdr)};
    struct msghdr mh = {.msg_iov = &iov,
                        .msg_iovlen = 1,
                        .msg_control = cbuf,
                        .msg_controllen = sizeof(cbuf)};
    struct pollfd pfd = {f->srv, POLLIN, 0};

    for (int i = 0; i < 200 && poll(&pfd, 1, 0) != 1; i++) {
        event_base_loop(f->base, EVLOOP_NONBLOCK);
        poll(NULL, 0, 1);
    }
    assert_int_equal(recvmsg(f->srv, &mh, MSG_WAITALL | MSG_CMSG_CLOEXEC),
                     (ssize_t)sizeof(m->hdr));
    *nfds = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL;
         c = CMSG_NXTHDR(&mh, c)) {
        unsigned k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        memcpy(fds + *nfds, CMSG_DATA(c), k * sizeof(int));
        *nfds += k;
    }
    m->len = m->hdr.msg_size - 16;
    assert_true(m->len <= sizeof(m->payload));
    read_full(f, f->srv, m->payload, m->len);
    assert_int_equal(m->hdr.cmd, want_cmd);
}

void srv_send_raw(struct fx *f, const void *buf, size_t len, int *fds,
                  unsigned nfds)
{
    char cbuf[CMSG_SPACE(sizeof(int) * 8)];
    struct iovec iov = {(void *)buf, len};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    if (nfds > 0) {
        mh.msg_control = cbuf;
        mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
    }
    assert_int_equal(sendmsg(f->srv, &mh, MSG_NOSIGNAL), (ssize_t)len);
}

void srv_reply(struct fx *f, const struct msg *req, uint16_t cmd,
               uint32_t flags, uint32_t err, const void *payload, size_t len,
               int *fds, unsigned nfds)
{
    uint8_t buf[8192];
    struct vfio_user_header h = {
        .msg_id = req->hdr.msg_id,
        .cmd = cmd,
        .msg_size = (uint32_t)(16 + len),
        .flags = VFIO_USER_F_TYPE_REPLY | flags,
        .error_no = err,
    };
    memcpy(buf, &h, 16);
    if (len > 0) {
        memcpy(buf + 16, payload, len);
    }
    srv_send_raw(f, buf, 16 + len, fds, nfds);
}

void srv_version(struct fx *f, uint16_t major, uint16_t minor, const char *json,
                 bool with_nul, int *fds, unsigned nfds)
{
    struct msg m;
    uint8_t p[1024];
    size_t len = 4;

    srv_recv(f, &m, VFIO_USER_VERSION);
    memcpy(p, &major, 2);
    memcpy(p + 2, &minor, 2);
    if (json != NULL) {
        memcpy(p + 4, json, strlen(json));
        len += strlen(json);
        if (with_nul) {
            p[len++] = '\0';
        }
    }
    srv_reply(f, &m, VFIO_USER_VERSION, 0, 0, p, len, fds, nfds);
}

void srv_device_info(struct fx *f, uint32_t nregions, uint32_t nirqs, int *fds,
                     unsigned nfds)
{
    struct msg m;
    struct vfio_user_device_info di = {16, VFIO_USER_DEVICE_FLAGS_PCI, nregions,
                                       nirqs};
    srv_recv(f, &m, VFIO_USER_DEVICE_GET_INFO);
    srv_reply(f, &m, VFIO_USER_DEVICE_GET_INFO, 0, 0, &di, sizeof(di), fds,
              nfds);
}

void srv_device_info_flags(struct fx *f, uint32_t flags, uint32_t nregions,
                           uint32_t nirqs)
{
    struct msg m;
    struct vfio_user_device_info di = {16, flags, nregions, nirqs};
    srv_recv(f, &m, VFIO_USER_DEVICE_GET_INFO);
    srv_reply(f, &m, VFIO_USER_DEVICE_GET_INFO, 0, 0, &di, sizeof(di), NULL, 0);
}

void expect_fail(struct fx *f, int err, const char *text)
{
    pump(f);
    assert_true(f->done);
    assert_int_equal(f->ncalls, 1);
    assert_int_equal(f->result, err);
    if (strstr(vuc_strerror(f->c), text) == NULL) {
        fail_msg("error text \"%s\" lacks \"%s\"", vuc_strerror(f->c), text);
    }
    assert_false(vuc_is_connected(f->c));
}
