/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The message layer ("Header", "Command Concurrency"): ids, reply flags,
 * No_reply, pipelining, and malformed framing sent as raw bytes, after
 * which the server must still serve a new connection.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conform_int.h"

#define SEC "Header"

/* Send on the shared session with a chosen id and flags. */
static bool send_raw(struct cf_t *t, uint16_t id, uint16_t cmd, uint32_t flags,
                     const void *p, size_t len)
{
    int rc = cf_send_msg(&t->s->c, id, cmd, flags, p, len, NULL, 0);

    if (rc) {
        t->s->dead = true;
        cf_fail(t, "sending %s: %s", vuc_wire_cmd_name(cmd), cf_io_text(rc));
    }
    return rc == 0;
}

static bool recv_one(struct cf_t *t, struct cf_msg *m, const char *what)
{
    int rc = cf_recv(&t->s->c, t->timeout_ms, m);

    if (rc) {
        t->s->dead = true;
        cf_fail(t, "%s: %s", what, cf_io_text(rc));
    }
    return rc == 0;
}

static size_t device_info_req(uint8_t *buf)
{
    return (size_t)vuc_wire_enc_device_info(buf, 16);
}

static void unknown_command(struct cf_t *t)
{
    uint8_t buf[16];
    struct cf_msg m;

    if (cf_req_refused(t, 0x7e57, NULL, 0, NULL, 0, "command 0x7e57") &&
        cf_req_ok(t, VFIO_USER_DEVICE_GET_INFO, buf, device_info_req(buf), NULL,
                  0, &m, "DEVICE_GET_INFO after the unknown command"))
        cf_msg_free(&m);
}

static void id_echo(struct cf_t *t)
{
    static const uint16_t ids[] = {0xbeef, 0xffff, 0x0000, 0x8000};
    uint8_t buf[16];
    struct cf_msg m;

    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]) && !cf_failed(t); i++) {
        if (!send_raw(t, ids[i], VFIO_USER_DEVICE_GET_INFO, 0, buf,
                      device_info_req(buf)) ||
            !recv_one(t, &m, "DEVICE_GET_INFO"))
            return;
        if (m.hdr.msg_id != ids[i]) {
            t->s->dead = true;
            cf_fail(t, "sent id 0x%04x, the reply has id 0x%04x", ids[i],
                    m.hdr.msg_id);
        }
        cf_msg_free(&m);
    }
}

/* The reply header of a success and of an error reply. */
static void check_headers(struct cf_t *t,
                          void (*judge)(struct cf_t *, const struct cf_msg *,
                                        uint16_t cmd))
{
    int r = cf_readable_region(t->s);
    uint8_t buf[16];
    struct cf_msg m;

    if (!cf_req(t, VFIO_USER_DEVICE_GET_INFO, buf, device_info_req(buf), NULL,
                0, &m, "DEVICE_GET_INFO"))
        return;
    judge(t, &m, VFIO_USER_DEVICE_GET_INFO);
    cf_msg_free(&m);
    if (r < 0 || cf_failed(t))
        return;
    vuc_wire_enc_region_read(buf, sizeof(buf), (uint32_t)r,
                             t->s->regions[r].ri.size, 4);
    if (!cf_req(t, VFIO_USER_REGION_READ, buf, sizeof(buf), NULL, 0, &m,
                "REGION_READ past the region's end"))
        return;
    if (cf_is_error(&m))
        judge(t, &m, VFIO_USER_REGION_READ);
    cf_msg_free(&m);
}

static void judge_cmd(struct cf_t *t, const struct cf_msg *m, uint16_t cmd)
{
    if (m->hdr.cmd != cmd)
        cf_fail(t, "the %s to %s has command %u", cf_reply_text(m),
                vuc_wire_cmd_name(cmd), m->hdr.cmd);
}

static void judge_type(struct cf_t *t, const struct cf_msg *m, uint16_t cmd)
{
    uint32_t known = VFIO_USER_F_TYPE_MASK | VFIO_USER_F_ERROR;

    if ((m->hdr.flags & VFIO_USER_F_TYPE_MASK) != VFIO_USER_F_TYPE_REPLY ||
        (m->hdr.flags & ~known))
        cf_fail(t,
                "the reply to %s has flags 0x%x (type must be Reply, no "
                "No_reply)",
                vuc_wire_cmd_name(cmd), m->hdr.flags);
}

static void judge_error_size(struct cf_t *t, const struct cf_msg *m,
                             uint16_t cmd)
{
    if (cf_is_error(m) && m->hdr.msg_size != VFIO_USER_HDR_SIZE)
        cf_fail(t,
                "the error reply to %s is %u bytes, not the bare 16-byte "
                "header",
                vuc_wire_cmd_name(cmd), m->hdr.msg_size);
}

static void cmd_echo(struct cf_t *t)
{
    check_headers(t, judge_cmd);
}

static void reply_type(struct cf_t *t)
{
    check_headers(t, judge_type);
}

static void error_header_only(struct cf_t *t)
{
    if (cf_readable_region(t->s) < 0)
        cf_skip(t, "no readable region to provoke an error reply with");
    else
        check_headers(t, judge_error_size);
}

/* A command sent with No_reply, then @p next: the first reply must be
 * next's (id 0x2222). */
static void no_reply_then(struct cf_t *t, uint16_t cmd, const void *p,
                          size_t len, const char *what)
{
    uint8_t buf[16];
    struct cf_msg m;

    if (!send_raw(t, 0x1111, cmd, VFIO_USER_F_NO_REPLY, p, len) ||
        !send_raw(t, 0x2222, VFIO_USER_DEVICE_GET_INFO, 0, buf,
                  device_info_req(buf)) ||
        !recv_one(t, &m, "DEVICE_GET_INFO after a No_reply command"))
        return;
    if (m.hdr.msg_id != 0x2222) {
        t->s->dead = true; /* the other reply may follow */
        cf_fail(t,
                "%s with No_reply (id 0x1111) was answered: the first "
                "reply has id 0x%04x",
                what, m.hdr.msg_id);
    }
    cf_msg_free(&m);
}

static void no_reply(struct cf_t *t)
{
    uint8_t buf[16];

    no_reply_then(t, VFIO_USER_DEVICE_GET_INFO, buf, device_info_req(buf),
                  "DEVICE_GET_INFO");
}

static void no_reply_error(struct cf_t *t)
{
    int r = cf_readable_region(t->s);
    uint8_t buf[16];

    if (r < 0) {
        cf_skip(t, "no readable region to provoke an error with");
        return;
    }
    vuc_wire_enc_region_read(buf, sizeof(buf), (uint32_t)r,
                             t->s->regions[r].ri.size, 4);
    no_reply_then(t, VFIO_USER_REGION_READ, buf, sizeof(buf),
                  "a failing REGION_READ");
}

static void no_reply_ordered(struct cf_t *t)
{
    int r = cf_memory_region(t->s);
    uint8_t req[16 + 8], orig[8], back[8];
    uint64_t off;

    if (r < 0) {
        cf_skip(t, "no region is plain memory");
        return;
    }
    off = t->s->regions[r].ri.size / 2 + 512;
    if (!cf_region_read(t, (uint32_t)r, off, orig, 8))
        return;
    memset(back, 0xc3, 8);
    vuc_wire_enc_region_write(req, sizeof(req), (uint32_t)r, off, back, 8);
    if (!send_raw(t, t->s->c.next_id++, VFIO_USER_REGION_WRITE,
                  VFIO_USER_F_NO_REPLY, req, sizeof(req)) ||
        !cf_region_read(t, (uint32_t)r, off, back, 8))
        return;
    for (int i = 0; i < 8; i++)
        if (back[i] != 0xc3) {
            cf_fail(t, "a REGION_READ after a No_reply REGION_WRITE of the "
                       "same bytes did not see the write");
            break;
        }
    cf_region_write(t, (uint32_t)r, off, orig, 8);
}

static void pipelined(struct cf_t *t, bool same_id)
{
    enum { N = 32 };
    uint8_t buf[16];
    struct cf_msg m;
    uint16_t base = 0x4000;

    for (int i = 0; i < N; i++) {
        uint16_t id = same_id ? base : (uint16_t)(base + i);

        if (!send_raw(t, id, VFIO_USER_DEVICE_GET_INFO, 0, buf,
                      device_info_req(buf)))
            return;
    }
    for (int i = 0; i < N; i++) {
        uint16_t id = same_id ? base : (uint16_t)(base + i);

        if (!recv_one(t, &m, "pipelined DEVICE_GET_INFO"))
            return;
        if (m.hdr.msg_id != id || cf_is_error(&m)) {
            t->s->dead = true;
            cf_fail(t,
                    "reply %d of %d pipelined requests: id 0x%04x, %s "
                    "(expected id 0x%04x, success)",
                    i + 1, N, m.hdr.msg_id, cf_reply_text(&m), id);
            cf_msg_free(&m);
            return;
        }
        cf_msg_free(&m);
    }
}

static void pipelined_distinct(struct cf_t *t)
{
    pipelined(t, false);
}

static void pipelined_same_id(struct cf_t *t)
{
    pipelined(t, true);
}

static void client_dma_read(struct cf_t *t)
{
    struct vfio_user_dma_access a = {.address = 0, .count = 8};

    cf_req_refused(t, VFIO_USER_DMA_READ, &a, sizeof(a), NULL, 0,
                   "DMA_READ sent by the client");
}

/* ---- Malformed framing on connections of their own ----------------------- */

/* A negotiated raw connection of the check's own, or false. */
static struct cf_session *own(struct cf_t *t)
{
    return cf_open_session(t);
}

/* Send @p len raw bytes on a fresh session; judge the reaction; survival. */
static void malformed(struct cf_t *t, const void *bytes, size_t len,
                      bool half_close, const char *what)
{
    struct cf_session *s = own(t);
    struct cf_msg m;
    int rc;

    if (!s)
        return;
    rc = cf_send_bytes(&s->c, bytes, len, NULL, 0);
    if (rc == 0 && half_close)
        shutdown(s->c.fd, SHUT_WR);
    if (rc == 0)
        rc = cf_recv(&s->c, t->timeout_ms, &m);
    if (half_close && rc == -ETIMEDOUT) {
        /* Waiting for the rest of a message that never ends is fine as
         * long as our leaving is noticed. */
        rc = -ECONNRESET;
    }
    cf_expect_refusal(t, rc, &m, what);
    cf_expect_survival(t, &s->c);
    cf_session_close(s);
}

static void size_below_header(struct cf_t *t)
{
    struct vfio_user_header h;

    vuc_wire_put_header(&h, 7, VFIO_USER_DEVICE_GET_INFO, 8, 0, 0);
    malformed(t, &h, sizeof(h), false, "a header with msg_size 8");
}

static void size_huge(struct cf_t *t)
{
    struct vfio_user_header h;

    vuc_wire_put_header(&h, 7, VFIO_USER_REGION_WRITE, 0xfffffff0u, 0, 0);
    malformed(t, &h, sizeof(h), false, "a header with msg_size 0xfffffff0");
}

static void truncated(struct cf_t *t)
{
    uint8_t buf[16 + 8];

    vuc_wire_put_header((struct vfio_user_header *)buf, 7, VFIO_USER_DMA_MAP,
                        16 + 32, 0, 0);
    memset(buf + 16, 0, 8);
    malformed(t, buf, sizeof(buf), true,
              "DMA_MAP cut off after 8 of its 32 payload bytes");
}

static void half_header(struct cf_t *t)
{
    struct vfio_user_header h;

    vuc_wire_put_header(&h, 7, VFIO_USER_DEVICE_GET_INFO, 32, 0, 0);
    malformed(t, &h, 7, true, "7 bytes of a header, then end of stream");
}

static void write_oversized(struct cf_t *t)
{
    struct cf_session *s = own(t);
    uint64_t count;
    uint8_t *req;
    struct cf_msg m;
    int r, rc;

    if (!s)
        return;
    r = cf_memory_region(s);
    count = (uint64_t)s->max_data_xfer_size + 8;
    if (r < 0 || count > 64u * 1024 * 1024) {
        cf_skip(t, r < 0 ? "no region is plain memory"
                         : "max_data_xfer_size too large to exceed");
        cf_session_close(s);
        return;
    }
    req = calloc(1, 16 + count);
    if (!req) {
        cf_fail(t, "out of memory");
        cf_session_close(s);
        return;
    }
    vuc_wire_enc_region_write(req, 16 + count, (uint32_t)r, 0, req + 16,
                              (uint32_t)count);
    rc = cf_call(t, &s->c, VFIO_USER_REGION_WRITE, 0, req, 16 + count, NULL, 0,
                 &m);
    free(req);
    cf_expect_refusal(t, rc, &m,
                      "REGION_WRITE of max_data_xfer_size + 8 bytes");
    cf_expect_survival(t, &s->c);
    cf_session_close(s);
}

static void reply_flag(struct cf_t *t)
{
    struct cf_session *s = own(t);
    uint8_t req[16 + 8], orig[8], back[8];
    struct cf_msg m;
    uint64_t off;
    int r, rc;

    if (!s)
        return;
    cf_msg_init(&m);
    t->s = s;
    r = cf_memory_region(s);
    if (r < 0) {
        cf_skip(t, "no region is plain memory");
        goto out;
    }
    off = s->regions[r].ri.size / 2 + 768;
    if (!cf_region_read(t, (uint32_t)r, off, orig, 8))
        goto out;
    memset(back, (uint8_t)~orig[0], 8);
    vuc_wire_enc_region_write(req, sizeof(req), (uint32_t)r, off, back, 8);
    rc = cf_send_msg(&s->c, 0x3333, VFIO_USER_REGION_WRITE,
                     VFIO_USER_F_TYPE_REPLY, req, sizeof(req), NULL, 0);
    vuc_wire_enc_region_read(req, 16, (uint32_t)r, off, 8);
    if (rc == 0)
        rc = cf_send_msg(&s->c, 0x3334, VFIO_USER_REGION_READ, 0, req, 16, NULL,
                         0);
    if (rc == 0)
        rc = cf_recv(&s->c, t->timeout_ms, &m);
    if (rc == 0 && m.hdr.msg_id == 0x3333 && cf_is_error(&m)) {
        /* Refusing it with an error is fair; the read's reply follows. */
        cf_msg_free(&m);
        rc = cf_recv(&s->c, t->timeout_ms, &m);
    }
    if (rc == -ECONNRESET || rc == -EPIPE) {
        cf_expect_survival(t, &s->c); /* closing on it is a fair answer */
        goto out;
    }
    if (rc) {
        cf_fail(t, "REGION_READ after a message typed Reply: %s",
                cf_io_text(rc));
    } else if (m.hdr.msg_id == 0x3333) {
        cf_fail(t,
                "a REGION_WRITE typed Reply (id 0x3333) was answered "
                "like a command (%s)",
                cf_reply_text(&m));
    } else if (m.hdr.msg_id != 0x3334) {
        cf_fail(t,
                "after a REGION_WRITE typed Reply (id 0x3333), a reply "
                "with id 0x%04x came (%s), not the REGION_READ's 0x3334: "
                "the server lost the framing of the stream",
                m.hdr.msg_id, cf_reply_text(&m));
    } else if (!cf_is_error(&m) && m.len == 16 + 8 &&
               memcmp(m.data + 16, orig, 8)) {
        cf_fail(t, "a REGION_WRITE typed Reply was performed as a command");
    }
    cf_msg_free(&m);
    if (!cf_failed(t))
        cf_region_write(t, (uint32_t)r, off, orig, 8);
out:
    t->s = NULL;
    cf_session_close(s);
}

static void unexpected_fd(struct cf_t *t)
{
    struct cf_session *s = own(t);
    struct pollfd p;
    uint8_t buf[16];
    struct cf_msg m;
    int pipefd[2], rc;

    if (!s)
        return;
    if (pipe2(pipefd, O_CLOEXEC) < 0) {
        cf_fail(t, "pipe: %s", strerror(errno));
        cf_session_close(s);
        return;
    }
    rc = cf_call(t, &s->c, VFIO_USER_DEVICE_GET_INFO, 0, buf,
                 device_info_req(buf), &pipefd[1], 1, &m);
    close(pipefd[1]);
    cf_expect_refusal(t, rc, &m, "DEVICE_GET_INFO carrying an fd");
    /* Our copy is closed: EOF on the read end once the server closed its. */
    p = (struct pollfd){.fd = pipefd[0], .events = POLLIN};
    if (!cf_failed(t) && poll(&p, 1, t->timeout_ms) != 1)
        cf_fail(t,
                "the fd sent with DEVICE_GET_INFO was still open in the "
                "server %d ms later",
                t->timeout_ms);
    close(pipefd[0]);
    cf_expect_survival(t, &s->c);
    cf_session_close(s);
}

static void too_many_fds(struct cf_t *t)
{
    struct cf_session *s = own(t);
    int fds[CF_MAX_FDS];
    uint32_t n, idx = 0;
    uint8_t buf[sizeof(struct vfio_user_irq_set)];
    struct cf_msg m;
    int rc;

    if (!s)
        return;
    n = s->max_msg_fds + 1;
    if (n > CF_MAX_FDS) {
        cf_skip(t, "max_msg_fds %u leaves no count above it to send",
                s->max_msg_fds);
        cf_session_close(s);
        return;
    }
    for (uint32_t i = 0; s->have_info && i < s->info.num_irqs; i++)
        if (s->irqs[i].ok && s->irqs[i].ii.count >= n)
            idx = i;
    vuc_wire_enc_set_irqs(buf, sizeof(buf),
                          VFIO_USER_IRQ_SET_DATA_EVENTFD |
                              VFIO_USER_IRQ_SET_ACTION_TRIGGER,
                          idx, 0, n, NULL);
    for (uint32_t i = 0; i < n; i++)
        fds[i] = eventfd(0, EFD_CLOEXEC);
    rc = cf_call(t, &s->c, VFIO_USER_DEVICE_SET_IRQS, 0, buf, sizeof(buf), fds,
                 n, &m);
    for (uint32_t i = 0; i < n; i++)
        close(fds[i]);
    cf_expect_refusal(t, rc, &m, "SET_IRQS with max_msg_fds + 1 eventfds");
    cf_expect_survival(t, &s->c);
    cf_session_close(s);
}

static const struct cf_check checks[] = {
    {"msg.unknown-command", "Commands", CF_MUST, 0,
     "Each command message in Commands must be replied to with a reply "
     "message: an unknown command gets an error reply, and the connection "
     "goes on.",
     unknown_command},
    {"msg.id-echo", SEC, CF_MUST, 0,
     "Message ID identifies the message, and is echoed in the command's "
     "reply message (ids 0xbeef, 0xffff, 0, 0x8000).",
     id_echo},
    {"msg.cmd-echo", SEC, CF_MUST, 0,
     "Command specifies the command to be executed [...] It is also set in "
     "the reply header (success and error replies).",
     cmd_echo},
    {"msg.reply-type", SEC, CF_MUST, 0,
     "The reply consists of the header with the Reply bit set.", reply_type},
    {"msg.error-header-only", SEC, CF_MUST, 0,
     "If an error occurs, the reply message must only include the reply "
     "header.",
     error_header_only},
    {"msg.no-reply", SEC, CF_MUST, 0,
     "No_reply in a command message indicates that no reply is needed for "
     "this command.",
     no_reply},
    {"msg.no-reply-error", SEC, CF_SHOULD, 0,
     "must be replied to with a reply message, unless the message sets the "
     "No_Reply bit. SHOULD: the text does not say whether a failed No_reply "
     "command gets its error reply.",
     no_reply_error},
    {"msg.no-reply-ordered", "Command Concurrency", CF_MUST, 0,
     "if a client issues a command with the No_reply bit, then subsequently "
     "issues a command without No_reply, the older command will have been "
     "processed before the reply to the younger command is sent.",
     no_reply_ordered},
    {"msg.pipelined", "Command Concurrency", CF_MUST, 0,
     "A client may pipeline multiple commands without waiting for previous "
     "command replies. The server will process commands in the order they "
     "are received (32 requests).",
     pipelined_distinct},
    {"msg.ids-reused", SEC, CF_MUST, 0,
     "Message IDs belong entirely to the sender, can be re-used (even "
     "concurrently) and the receiver must not make any assumptions about "
     "their uniqueness.",
     pipelined_same_id},
    {"msg.client-dma-read", "Commands", CF_SHOULD, 0,
     "VFIO_USER_DMA_READ: request direction server -> client. SHOULD: the "
     "text does not say how a server answers it from a client; we expect an "
     "error reply.",
     client_dma_read},
    {"msg.size-below-header", SEC, CF_MUST, CF_FRESH,
     "Message size contains the size of the entire message, including the "
     "header: a size of 8 gets an error reply or a closed connection, and "
     "the server goes on serving.",
     size_below_header},
    {"msg.size-huge", "Security Considerations", CF_SHOULD, CF_FRESH,
     "Standard tools and mechanisms should be used on both sides to [...] "
     "prevent against denial of service: a 4 GiB message size is refused "
     "(error reply or closed connection).",
     size_huge},
    {"msg.truncated-payload", SEC, CF_MUST, CF_FRESH,
     "Message size contains the size of the entire message: a message cut "
     "short by the end of the stream leaves the server serving.",
     truncated},
    {"msg.partial-header", SEC, CF_MUST, CF_FRESH,
     "All messages [...] are preceded by a 16-byte header: 7 bytes and the "
     "end of the stream leave the server serving.",
     half_header},
    {"msg.reply-flag-on-request", SEC, CF_MUST, CF_FRESH,
     "Reply (value 0x1) indicates a reply message acknowledging a previous "
     "command with the same message ID: a client message typed Reply is not "
     "performed as a command.",
     reply_flag},
    {"msg.unexpected-fd", "Security Considerations", CF_SHOULD, CF_FRESH,
     "vfio-user clients should not trust servers, and vice versa: an fd "
     "with a command that takes none is refused and closed. SHOULD: the "
     "text does not say so for fds.",
     unexpected_fd},
    {"msg.too-many-fds", "VFIO_USER_VERSION", CF_MUST, CF_FRESH,
     "max_msg_fds: Maximum number of file descriptors that can be received "
     "by the sender in one message: one more gets an error reply or a "
     "closed connection.",
     too_many_fds},
    {"region.write-oversized", "Read and Write Operations", CF_MUST, CF_FRESH,
     "The count field must not exceed the value of max_data_xfer_size of the "
     "peer: a larger write gets an error reply or a closed connection.",
     write_oversized},
};

const struct cf_group cf_msg_checks = {checks,
                                       sizeof(checks) / sizeof(checks[0])};
