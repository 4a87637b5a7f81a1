/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The trace formatter: one line per message, whoever sent it. It frames the
 * line (direction, id, command, fds, latency), pairs replies with their
 * requests, and leaves the fields to the per-command decoders.
 */
#include "trace_fmt.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define PEND_MASK                                                              \
    (sizeof(((struct vuc_tracer *)0)->pend) / sizeof(struct trace_pend) - 1)

#define KNOWN_FLAGS (VUC_TRACER_JSON | VUC_TRACER_NO_TIME)

struct vuc_tracer *vuc_tracer_new(unsigned flags)
{
    if (flags & ~KNOWN_FLAGS) {
        errno = EINVAL;
        return NULL;
    }
    struct vuc_tracer *t = calloc(1, sizeof(*t));
    if (t == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    t->flags = flags;
    return t;
}

void vuc_tracer_free(struct vuc_tracer *tracer)
{
    free(tracer);
}

void vuc_tracer_reset(struct vuc_tracer *tracer)
{
    unsigned flags = tracer->flags;

    memset(tracer, 0, sizeof(*tracer));
    tracer->flags = flags;
}

/* Requests and their replies travel on the same socket in opposite
 * directions; ids are per sender. */
static uint8_t pend_key(bool twin, enum vuc_trace_dir request_dir)
{
    return (uint8_t)((twin ? 2u : 0u) | (request_dir & 1u));
}

static struct trace_pend *pend_slot(struct vuc_tracer *t, uint16_t id,
                                    uint8_t key)
{
    /* A slot per id and key up to 1024 requests in flight; beyond, an older
     * request's entry is overwritten and its reply shown as unpaired. */
    return &t->pend[((size_t)id * 4u + key) & PEND_MASK];
}

static const char *cmd_name(uint16_t cmd)
{
    const char *name = vfio_user_command_name(cmd);
    return name != NULL ? name : "UNKNOWN";
}

static void line_head(struct vuc_tout *o, const struct vuc_trace_msg *m)
{
    const struct vfio_user_header *h = m->hdr;
    bool to_server = m->dir == VUC_TRACE_TO_SERVER;

    if (o->json) {
        vuc_tout_printf(o, "{\"dir\":\"%s\",\"chan\":\"%s\",\"id\":%u",
                        to_server ? "to_server" : "to_client",
                        m->twin ? "twin" : "main", h->msg_id);
        vuc_tout_str(o, "cmd", NULL, cmd_name(h->cmd));
        if (vfio_user_command_name(h->cmd) == NULL) {
            vuc_tout_u64(o, "cmd_code", NULL, h->cmd);
        }
        return;
    }
    vuc_tout_printf(o, "%s%s #%u %s", to_server ? "→" : "←",
                    m->twin ? " twin" : "", h->msg_id, cmd_name(h->cmd));
    if (vfio_user_command_name(h->cmd) == NULL) {
        vuc_tout_printf(o, "(%u)", h->cmd);
    }
}

static void line_kind(struct vuc_tout *o, const char *kind)
{
    if (o->json) {
        vuc_tout_str(o, "kind", NULL, kind);
    } else if (strcmp(kind, "request") != 0) {
        vuc_tout_printf(o, " %s", kind);
    }
}

/* What the message was sent with, and how long its request waited. */
static void line_tail(const struct vuc_tracer *t, struct vuc_tout *o,
                      const struct vuc_trace_msg *m,
                      const struct trace_pend *req)
{
    bool timed = req != NULL && !(t->flags & VUC_TRACER_NO_TIME);
    uint64_t ns =
        timed && m->time_ns > req->time_ns ? m->time_ns - req->time_ns : 0;

    if (o->json) {
        vuc_tout_u64(o, "fds", NULL, m->nfds);
        if (timed) {
            vuc_tout_u64(o, "latency_ns", NULL, ns);
        }
        vuc_tout_raw(o, "}");
        return;
    }
    if (m->nfds > 0) {
        vuc_tout_printf(o, " +%u %s", m->nfds, m->nfds == 1 ? "fd" : "fds");
    }
    if (!timed) {
        return;
    }
    if (ns < 1000000u) {
        vuc_tout_printf(o, " (%.1f µs)", (double)ns / 1e3);
    } else if (ns < 1000000000u) {
        vuc_tout_printf(o, " (%.2f ms)", (double)ns / 1e6);
    } else {
        vuc_tout_printf(o, " (%.2f s)", (double)ns / 1e9);
    }
}

/* Take back what a failed decoder wrote, and say why instead. */
static void line_malformed(struct vuc_tout *o, size_t mark,
                           const struct vuc_trace_msg *m, const char *why)
{
    o->len = mark;
    if (o->cap > 0) {
        o->buf[mark < o->cap ? mark : o->cap - 1] = '\0';
    }
    if (o->json) {
        vuc_tout_str(o, "malformed", NULL, why);
        vuc_tout_data(o, "payload", m->payload, m->len);
        return;
    }
    vuc_tout_raw(o, " malformed:");
    vuc_tout_quoted(o, "malformed", NULL, why, strlen(why), 256);
    if (m->len > 0) {
        vuc_tout_raw(o, " |");
        vuc_tout_data(o, "payload", m->payload, m->len);
    }
}

/* A header that cannot be a vfio-user message (or disagrees with what
 * arrived): nothing past it can be trusted. */
static int check_frame(const struct vuc_trace_msg *m, struct vuc_wire_err *err)
{
    const struct vfio_user_header *h = m->hdr;

    if (vuc_wire_check_header(h, UINT32_MAX, err) < 0) {
        return -EPROTO;
    }
    if ((uint64_t)h->msg_size != (uint64_t)m->len + VFIO_USER_HDR_SIZE) {
        return vuc_wire_fail(
            err, "the header says %" PRIu32 " bytes, the message has %zu",
            h->msg_size, m->len + VFIO_USER_HDR_SIZE);
    }
    return 0;
}

static void format_reply(struct vuc_tracer *t, struct vuc_tout *o,
                         const struct vuc_trace_msg *m)
{
    const struct vfio_user_header *h = m->hdr;
    enum vuc_trace_dir req_dir = m->dir == VUC_TRACE_TO_SERVER
                                     ? VUC_TRACE_TO_CLIENT
                                     : VUC_TRACE_TO_SERVER;
    uint8_t key = pend_key(m->twin, req_dir);
    struct trace_pend *slot = pend_slot(t, h->msg_id, key);
    struct trace_pend req;
    bool seen = slot->used && slot->id == h->msg_id && slot->key == key;
    struct vuc_wire_err err = {{0}};

    if (seen) {
        req = *slot;
        slot->used = false;
    }
    bool is_error = (h->flags & VFIO_USER_F_ERROR) != 0;
    line_kind(o, is_error ? "error" : "reply");
    size_t mark = o->len;
    int rc = 0;

    if (!seen) {
        /* Started before the trace, or an answer to nothing. */
        if (o->json) {
            vuc_tout_raw(o, ",\"request_seen\":false");
        } else {
            vuc_tout_raw(o, " to an unseen request");
        }
    } else if (req.cmd != h->cmd) {
        rc = vuc_wire_fail(&err, "answers %s #%u with a %s reply",
                           cmd_name(req.cmd), req.id, cmd_name(h->cmd));
    }
    mark = o->len;
    if (rc == 0 && is_error) {
        const char *name = vuc_tout_errno_name(h->error_no);
        if (o->json) {
            vuc_tout_u64(o, "errno", NULL, h->error_no);
            if (name != NULL) {
                vuc_tout_str(o, "errno_name", NULL, name);
            }
        } else if (h->error_no == 0) {
            vuc_tout_raw(o, " errno 0 (taken as EIO)");
        } else if (name != NULL) {
            vuc_tout_printf(o, " %s", name);
        } else {
            vuc_tout_printf(o, " errno %" PRIu32, h->error_no);
        }
        if (m->len > 0) {
            /* Clients ignore it; show it so the server's author sees it. */
            vuc_tout_data(o, "ignored_payload", m->payload, m->len);
        }
    } else if (rc == 0) {
        rc = vuc_trace_dec_reply(t, m, seen ? &req : NULL, o, &err);
    }
    if (rc < 0) {
        line_malformed(o, mark, m, err.text);
    }
    line_tail(t, o, m, seen ? &req : NULL);
}

static void format_request(struct vuc_tracer *t, struct vuc_tout *o,
                           const struct vuc_trace_msg *m)
{
    const struct vfio_user_header *h = m->hdr;
    struct trace_pend p = {0};
    struct vuc_wire_err err = {{0}};

    if (h->cmd == VFIO_USER_VERSION && m->dir == VUC_TRACE_TO_SERVER &&
        !m->twin) {
        /* A client starts over: ids are reused, regions described anew. */
        vuc_tracer_reset(t);
    }
    line_kind(o, "request");
    size_t mark = o->len;
    int rc = vuc_trace_dec_request(m, o, &p, &err);
    if (rc < 0) {
        line_malformed(o, mark, m, err.text);
    }
    if (h->flags & VFIO_USER_F_NO_REPLY) {
        vuc_tout_raw(o, o->json ? ",\"no_reply\":true" : " (no reply)");
    } else {
        /* Even a malformed request gets its reply paired, by id. */
        p.used = true;
        p.key = pend_key(m->twin, m->dir);
        p.id = h->msg_id;
        p.cmd = h->cmd;
        p.time_ns = m->time_ns;
        *pend_slot(t, h->msg_id, p.key) = p;
    }
    line_tail(t, o, m, NULL);
}

int vuc_tracer_format(struct vuc_tracer *tracer,
                      const struct vuc_trace_msg *msg, char *buf, size_t cap)
{
    struct vuc_tout o;
    struct vuc_wire_err err = {{0}};

    if (tracer == NULL || msg == NULL || msg->hdr == NULL ||
        (buf == NULL && cap > 0) || (msg->payload == NULL && msg->len > 0)) {
        return -EINVAL;
    }
    vuc_tout_init(&o, buf, cap, (tracer->flags & VUC_TRACER_JSON) != 0);
    line_head(&o, msg);
    if (check_frame(msg, &err) < 0) {
        if (o.json) {
            line_kind(&o, "malformed");
        }
        line_malformed(&o, o.len, msg, err.text);
        line_tail(tracer, &o, msg, NULL);
    } else if ((msg->hdr->flags & VFIO_USER_F_TYPE_MASK) ==
               VFIO_USER_F_TYPE_REPLY) {
        format_reply(tracer, &o, msg);
    } else {
        format_request(tracer, &o, msg);
    }
    return o.len > INT32_MAX ? INT32_MAX : (int)o.len;
}
