/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VFIO_USER_VERSION: protocol version and capability negotiation.
 *
 * The reply's capabilities are a subset of the proposal ("VFIO_USER_VERSION"
 * rules), so each key appears only if the client sent it. write_multiple is
 * answered whenever proposed: true if the client proposed true and
 * --no-write-multiple is not given, else false. "migration" is answered
 * with {"pgsize": 4096} whenever proposed, unless --no-migration leaves it
 * out (which the client must take as "not supported"); like libvfio-user
 * we log dirty pages at 4096 bytes only, and a proposal of another page
 * size fails the negotiation.
 *
 * Twin-socket mode is granted whenever the client supports it, can take
 * the socket's fd (max_msg_fds >= 1) and wants a reply to carry it, unless
 * --no-twin: the server keeps one end of a fresh socket pair for its DMA
 * requests and passes the other as fd 0 of the reply.
 *
 * Any failure ends the connection after the error reply: the client cannot
 * send anything else before a successful VERSION.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>

#include "testdev.h"

struct proposal {
    bool has_json;
    bool has_max_msg_fds;
    bool has_max_data_xfer_size;
    bool has_max_dma_maps;
    bool has_pgsizes;
    bool twin_supported;
    bool has_write_multiple;
    bool write_multiple;
    bool has_migration;
    bool has_mig_pgsize;
    json_int_t max_msg_fds;
    json_int_t max_data_xfer_size;
    json_int_t max_dma_maps;
    json_int_t pgsizes;
    json_int_t mig_pgsize;
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

/* "twin_socket": {"supported": bool}; fd_index belongs in a reply only. */
static int get_twin_cap(json_t *caps, bool *supported)
{
    json_t *twin = json_object_get(caps, "twin_socket"), *v;

    *supported = false;
    if (!twin)
        return 0;
    if (!json_is_object(twin))
        return td_fail(EINVAL, "VERSION: capability \"twin_socket\" is not "
                               "an object");
    if (json_object_get(twin, "fd_index"))
        return td_fail(EINVAL, "VERSION: \"twin_socket.fd_index\" is only "
                               "valid in the reply");
    v = json_object_get(twin, "supported");
    if (v && !json_is_boolean(v))
        return td_fail(EINVAL, "VERSION: \"twin_socket.supported\" is not "
                               "a boolean");
    *supported = v && json_is_true(v);
    return 0;
}

/* "migration": {"pgsize": N}, the 0.9.1 text's capability that clients
 * still send; the page size of dirty page bitmaps. */
static int get_migration_cap(json_t *caps, struct proposal *p)
{
    json_t *mig = json_object_get(caps, "migration"), *v;

    if (!mig)
        return 0;
    if (!json_is_object(mig))
        return td_fail(EINVAL, "VERSION: capability \"migration\" is not "
                               "an object");
    p->has_migration = true;
    v = json_object_get(mig, "pgsize");
    if (!v)
        return 0;
    if (!json_is_integer(v))
        return td_fail(EINVAL, "VERSION: \"migration.pgsize\" is not an "
                               "integer");
    p->has_mig_pgsize = true;
    p->mig_pgsize = json_integer_value(v);
    return 0;
}

/* A flag capability: absent is fine, anything but a boolean is malformed. */
static int get_bool_cap(json_t *caps, const char *key, bool *present,
                        bool *value)
{
    json_t *v = json_object_get(caps, key);

    *present = v != NULL;
    *value = false;
    if (!v)
        return 0;
    if (!json_is_boolean(v))
        return td_fail(EINVAL, "VERSION: capability \"%s\" is not a boolean",
                       key);
    *value = json_is_true(v);
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
    if (!err)
        err = get_twin_cap(caps, &p->twin_supported);
    if (!err)
        err = get_bool_cap(caps, "write_multiple", &p->has_write_multiple,
                           &p->write_multiple);
    if (!err)
        err = get_migration_cap(caps, p);
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
                       uint16_t minor, bool twin, bool multi,
                       struct td_reply *r)
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
        if (p->has_write_multiple)
            json_object_set_new(caps, "write_multiple", json_boolean(multi));
        if (p->has_migration && !mig_unavailable(td) &&
            json_object_set_new(
                caps, "migration",
                json_pack("{s:i}", "pgsize", (int)TESTDEV_MIG_PGSIZE)) < 0) {
            json_decref(root);
            return td_fail(ENOMEM, "VERSION: out of memory");
        }
        /* The socket is the reply's only fd, so its index is 0. */
        if (twin && json_object_set_new(caps, "twin_socket",
                                        json_pack("{s:b, s:i}", "supported", 1,
                                                  "fd_index", 0)) < 0) {
            json_decref(root);
            return td_fail(ENOMEM, "VERSION: out of memory");
        }
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
    uint32_t peer_fds = VFIO_USER_DEFAULT_MAX_MSG_FDS;
    int sv[2] = {-1, -1};
    bool twin, multi;
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
    if (p.has_mig_pgsize && !mig_unavailable(td) &&
        p.mig_pgsize != TESTDEV_MIG_PGSIZE) {
        json_int_t pg = p.mig_pgsize;

        if (pg < 4096 || (pg & (pg - 1)))
            return td_fail(EINVAL,
                           "VERSION: migration.pgsize %" JSON_INTEGER_FORMAT
                           " is not a power of two of at least 4096",
                           pg);
        return td_fail(EINVAL,
                       "VERSION: migration.pgsize %" JSON_INTEGER_FORMAT
                       ": this device logs dirty pages at %u bytes only",
                       pg, TESTDEV_MIG_PGSIZE);
    }

    minor = req.minor < td->opt.minor ? req.minor : td->opt.minor;
    if (p.has_max_dma_maps && (uint64_t)p.max_dma_maps < td->dma.limit)
        td->dma.limit = (uint32_t)p.max_dma_maps;
    if (p.has_max_msg_fds)
        peer_fds =
            p.max_msg_fds > TD_FDS_CAP ? TD_FDS_CAP : (uint32_t)p.max_msg_fds;

    /* Without a reply the client would never get its end. */
    twin = p.twin_supported && peer_fds >= 1 && !td->opt.no_twin &&
           !(m->hdr.flags & VFIO_USER_F_NO_REPLY);
    if (twin && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        /* Declining is always allowed; the client falls back or leaves. */
        td_log("VERSION: socketpair for the twin socket: %s; replying "
               "without twin-socket mode",
               strerror(errno));
        twin = false;
    }
    multi = p.write_multiple && !td->opt.no_write_multiple;
    err = build_reply(td, &p, minor, twin, multi, r);
    if (err) {
        if (twin) {
            close(sv[0]);
            close(sv[1]);
        }
        return err;
    }

    td->conn.negotiated = true;
    td->conn.minor = minor;
    td->conn.peer_max_msg_fds = peer_fds;
    td->conn.write_multiple = multi;
    if (twin) {
        /* proto.c reads the twin socket with td_rx from here on. */
        td->conn.twin_rx.fd = sv[0];
        r->fds[0] = sv[1];
        r->nfds = 1;
        r->close_fd = true;
        td_note("twin socket granted");
    }
    if (p.has_max_data_xfer_size)
        td->conn.peer_max_data_xfer_size = (uint64_t)p.max_data_xfer_size;
    r->close_after = false;
    return 0;
}
