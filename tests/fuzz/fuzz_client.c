/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: a client connecting to a "server" that sends the fuzzer's
 * bytes. Whatever they are, the client must end in a connection or a clean
 * error: no crash, no overread, no leak, no hang. The input is cut into
 * writes at every 0xff byte, so partial messages and split headers are
 * explored too. Every message is traced in text and JSON on the way: the
 * formatter must take the same bytes without fault.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include <vuc/vuc.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void done(struct vuc_client *c, int result, void *arg)
{
    *(int *)arg = result == 0 ? 1 : 2;
}

struct tracers {
    struct vuc_tracer *text, *json;
};

static void trace(void *arg, const struct vuc_trace_msg *msg)
{
    struct tracers *t = arg;
    char line[VUC_TRACER_LINE_MAX];

    if (vuc_tracer_format(t->text, msg, line, sizeof(line)) <= 0 ||
        vuc_tracer_format(t->json, msg, line, sizeof(line)) <= 0) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int sv[2];
    struct event_base *base = event_base_new();
    struct vuc_options *o = vuc_options_new();
    vuc_options_set_timeout(o, 50);
    struct tracers tr = {vuc_tracer_new(0), vuc_tracer_new(VUC_TRACER_JSON)};
    vuc_options_set_trace(o, trace, &tr);
    struct vuc_client *c = vuc_client_new(base, o);
    vuc_options_free(o);
    int state = 0;

    if (c == NULL || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
        abort();
    }
    if (vuc_connect_fd_async(c, sv[1], done, &state) < 0) {
        abort();
    }
    size_t at = 0;
    while (at < size) {
        size_t end = at;
        while (end < size && data[end] != 0xff) {
            end++;
        }
        if (end > at && send(sv[0], data + at, end - at, MSG_NOSIGNAL) < 0) {
            break;
        }
        event_base_loop(base, EVLOOP_NONBLOCK);
        at = end + 1;
    }
    /* Then the server goes away: everything must end. */
    close(sv[0]);
    for (int i = 0; i < 100 && state == 0; i++) {
        event_base_loop(base, EVLOOP_ONCE);
    }
    if (state == 0) {
        abort(); /* a hang */
    }
    vuc_client_free(c);
    event_base_free(base);
    vuc_tracer_free(tr.text);
    vuc_tracer_free(tr.json);
    return 0;
}
