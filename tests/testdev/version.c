/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VFIO_USER_VERSION: protocol version and capability negotiation.
 *
 * The reply's capabilities are a subset of the proposal ("VFIO_USER_VERSION"
 * rules), so each key appears only if the client sent it. twin_socket,
 * write_multiple and migration are not offered by this device and are left
 * out even when proposed, which the client must accept as "not supported".
 * Any failure ends the connection after the error reply: the client cannot
 * send anything else before a successful VERSION.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "testdev.h"

struct proposal {
    bool has_json;
    bool has_max_msg_fds;
    bool has_max_data_xfer_size;
    bool has_max_dma_maps;
    bool has_pgsizes;
    json_int_t max_msg_fds;
    json_int_t max_data_xfer_size;
    json_int_t max_dma_maps;
    json_int_t pgsizes;
};

/* A number capability: absent is fine, anything but an integer >= min is
 * malformed. */
static int get_int_cap(json_t *caps, const char *key, json_int_t min,
                       bool *present, json_int_t *value)
{
    json_t *v = json_object_get(caps, key);

    *present = v != NULL;
    if (!v)
        return 0;
    if (!json_is_integer(v))
        return td_fail(EINVAL, "VERSION: capability \"%s\" is not an integer",
                       key);
    *value = json_integer_value(v);
    if (*value < min)
        return td_fail(EINVAL,
                       "VERSION: capability \"%s\" is %" JSON_INTEGER_FORMAT
                       ", less than %" JSON_INTEGER_FORMAT,
                       key, *value, min);
    return 0;
}

static int parse_proposal(const uint8_t *data, size_t len, struct proposal *p)
{
    json_error_t jerr;
    json_t *root, *caps;
    int err = 0;

    memset(p, 0, sizeof(*p));
    if (len == 0)
        return 0;
    p->has_json = true;
    /* The text is a C string on the wire: exactly one NUL, at the end. */
    if (data[len - 1] != '\0')
        return td_fail(EINVAL, "VERSION: version data is not NUL-terminated");
    if (memchr(data, '\0', len - 1))
        return td_fail(
            EINVAL,
            "VERSION: version data has a NUL at byte %zu "
            "of %zu",
            (size_t)((const uint8_t *)memchr(data, '\0', len - 1) - data), len);

    root =
        json_loadb((const char *)data, len - 1, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return td_fail(EINVAL,
                       "VERSION: malformed JSON at line %d column "
                       "%d: %s",
                       jerr.line, jerr.column, jerr.text);
    if (!json_is_object(root)) {
        err = td_fail(EINVAL, "VERSION: JSON is not an object");
        goto out;
    }
    caps = json_object_get(root, "capabilities");
    if (!caps)
        goto out;
    if (!json_is_object(caps)) {
        err = td_fail(EINVAL, "VERSION: \"capabilities\" is not an object");
        goto out;
    }
    err = get_int_cap(caps, "max_msg_fds", 0, &p->has_max_msg_fds,
                      &p->max_msg_fds);
    if (!err)
        err = get_int_cap(caps, "max_data_xfer_size", 1,
                          &p->has_max_data_xfer_size, &p->max_data_xfer_size);
    if (!err)
        err = get_int_cap(caps, "max_dma_maps", 0, &p->has_max_dma_maps,
                          &p->max_dma_maps);
    if (!err)
        err = get_int_cap(caps, "pgsizes", 1, &p->has_pgsizes, &p->pgsizes);
    if (!err && p->has_pgsizes && !(p->pgsizes & TD_PAGE_SIZE))
        err = td_fail(EINVAL,
                      "VERSION: pgsizes 0x%llx has no page size in common "
                      "with ours (0x1000)",
                      (unsigned long long)p->pgsizes);
out:
    json_decref(root);
    return err;
}

static int build_reply(struct testdev *td, const struct proposal *p,
                       uint16_t minor, struct td_reply *r)
{
    struct vfio_user_version *v;
    json_t *root, *caps;
    char *text = NULL;
    size_t tlen = 0;

    if (p->has_json) {
        caps = json_object();
        root = json_pack("{s:o}", "capabilities", caps);
        if (!root)
            return td_fail(ENOMEM, "VERSION: out of memory");
        if (p->has_max_msg_fds)
            json_object_set_new(caps, "max_msg_fds",
                                json_integer(td->opt.max_msg_fds));
        if (p->has_max_data_xfer_size)
            json_object_set_new(caps, "max_data_xfer_size",
                                json_integer(td->opt.max_data_xfer_size));
        if (p->has_max_dma_maps)
            json_object_set_new(caps, "max_dma_maps",
                                json_integer(td->dma.limit));
        if (p->has_pgsizes)
            json_object_set_new(caps, "pgsizes", json_integer(TD_PAGE_SIZE));
        text = json_dumps(root, JSON_COMPACT);
        json_decref(root);
        if (!text)
            return td_fail(ENOMEM, "VERSION: out of memory");
        tlen = strlen(text) + 1; /* the NUL goes on the wire */
    }

    v = td_reply_alloc(r, sizeof(*v) + tlen);
    if (!v) {
        free(text);
        return td_fail(ENOMEM, "VERSION: out of memory");
    }
    v->major = 0;
    v->minor = minor;
    if (tlen)
        memcpy(v + 1, text, tlen);
    free(text);
    return 0;
}

int handle_version(struct testdev *td, struct td_msg *m, struct td_reply *r)
{
    struct vfio_user_version req;
    struct proposal p;
    uint16_t minor;
    int err;

    /* Whatever happens next, a failed negotiation leaves the client with
     * nothing it may send, so the connection ends after the reply. */
    r->close_after = true;
    if (m->len < sizeof(req))
        return td_fail(EINVAL, "VERSION: payload of %zu bytes, need %zu",
                       m->len, sizeof(req));
    memcpy(&req, m->data, sizeof(req));
    if (req.major != 0)
        return td_fail(EINVAL, "VERSION: major %u is not supported (only 0)",
                       req.major);
    err = parse_proposal(m->data + sizeof(req), m->len - sizeof(req), &p);
    if (err)
        return err;

    minor = req.minor < td->opt.minor ? req.minor : td->opt.minor;
    if (p.has_max_dma_maps && (uint64_t)p.max_dma_maps < td->dma.limit)
        td->dma.limit = (uint32_t)p.max_dma_maps;
    err = build_reply(td, &p, minor, r);
    if (err)
        return err;

    td->conn.negotiated = true;
    td->conn.minor = minor;
    if (p.has_max_msg_fds)
        td->conn.peer_max_msg_fds =
            p.max_msg_fds > TD_FDS_CAP ? TD_FDS_CAP : (uint32_t)p.max_msg_fds;
    if (p.has_max_data_xfer_size)
        td->conn.peer_max_data_xfer_size = (uint64_t)p.max_data_xfer_size;
    r->close_after = false;
    return 0;
}
