/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VERSION: propose our version and capabilities, and hold the server's reply
 * to the rules of the "VFIO_USER_VERSION" section: same major, minor no
 * higher than proposed, capabilities a subset of the proposal, each of the
 * right type and within bounds a client can live with.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "client.h"
#include "conn.h"
#include "discover.h"
#include "negotiate.h"
#include "wire.h"

/* Bounds on what a server may claim for itself. */
#define SERVER_MAX_MSG_FDS_LIMIT 1024u
#define SERVER_XFER_MIN 1u
#define SERVER_XFER_MAX (1u << 30)
#define SERVER_DMA_MAPS_MAX (1u << 20)
#define MIG_PGSIZE_MAX (1ull << 30)
/* Our own proposal. */
#define OUR_PGSIZES 4096ull
#define OUR_MIGRATION_PGSIZE 4096ull

char *vuc_negotiate_proposal(const struct vuc_options *o)
{
    json_t *root =
        json_pack("{s:{s:I, s:I, s:I, s:I, s:{s:I}}}", "capabilities",
                  "max_msg_fds", (json_int_t)o->max_msg_fds,
                  "max_data_xfer_size", (json_int_t)o->max_data_xfer_size,
                  "max_dma_maps", (json_int_t)VFIO_USER_DEFAULT_MAX_DMA_MAPS,
                  "pgsizes", (json_int_t)OUR_PGSIZES, "migration", "pgsize",
                  (json_int_t)OUR_MIGRATION_PGSIZE);
    if (root == NULL) {
        return NULL;
    }
    if (json_object_set_new(json_object_get(root, "capabilities"),
                            "write_multiple", json_true()) < 0) {
        json_decref(root);
        return NULL;
    }
    if (o->twin_socket &&
        json_object_set_new(json_object_get(root, "capabilities"),
                            "twin_socket",
                            json_pack("{s:b}", "supported", 1)) < 0) {
        json_decref(root);
        return NULL;
    }
    char *text = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(root);
    return text;
}

static int get_uint(json_t *v, const char *name, uint64_t lo, uint64_t hi,
                    uint64_t *out, struct vuc_wire_err *err)
{
    if (!json_is_integer(v)) {
        return vuc_wire_fail(err,
                             "VERSION reply: capability \"%s\" is not an "
                             "integer",
                             name);
    }
    json_int_t n = json_integer_value(v);
    if (n < 0 || (uint64_t)n < lo || (uint64_t)n > hi) {
        return vuc_wire_fail(err,
                             "VERSION reply: capability \"%s\" is %lld, "
                             "outside [%llu, %llu]",
                             name, (long long)n, (unsigned long long)lo,
                             (unsigned long long)hi);
    }
    *out = (uint64_t)n;
    return 0;
}

static bool is_pow2(uint64_t v)
{
    return v != 0 && (v & (v - 1)) == 0;
}

static int parse_migration(json_t *mig, struct vuc_caps *caps,
                           struct vuc_wire_err *err)
{
    const char *key;
    json_t *v;

    if (!json_is_object(mig)) {
        return vuc_wire_fail(err, "VERSION reply: capability \"migration\" "
                                  "is not an object");
    }
    json_object_foreach(mig, key, v)
    {
        if (strcmp(key, "pgsize") != 0) {
            return vuc_wire_fail(err,
                                 "VERSION reply: \"migration.%s\" was not "
                                 "proposed",
                                 key);
        }
        uint64_t pg = 0;
        int rc =
            get_uint(v, "migration.pgsize", 4096, MIG_PGSIZE_MAX, &pg, err);
        if (rc < 0) {
            return rc;
        }
        if (!is_pow2(pg)) {
            return vuc_wire_fail(err,
                                 "VERSION reply: migration.pgsize %llu is "
                                 "not a power of two",
                                 (unsigned long long)pg);
        }
        caps->migration_pgsize = pg;
    }
    return 0;
}

/* "twin_socket": {"supported": bool, "fd_index": number}. */
static int parse_twin(json_t *twin, struct vuc_caps *caps, int *fd_index,
                      struct vuc_wire_err *err)
{
    const char *key;
    json_t *v;

    if (!json_is_object(twin)) {
        return vuc_wire_fail(err, "VERSION reply: capability \"twin_socket\" "
                                  "is not an object");
    }
    json_object_foreach(twin, key, v)
    {
        if (strcmp(key, "supported") == 0) {
            if (!json_is_boolean(v)) {
                return vuc_wire_fail(err, "VERSION reply: "
                                          "twin_socket.supported is not a "
                                          "boolean");
            }
            caps->twin_socket = json_is_true(v);
        } else if (strcmp(key, "fd_index") == 0) {
            uint64_t n = 0;
            int rc = get_uint(v, "twin_socket.fd_index", 0, VUC_SCM_MAX_FD - 1,
                              &n, err);
            if (rc < 0) {
                return rc;
            }
            *fd_index = (int)n;
        } else {
            return vuc_wire_fail(err,
                                 "VERSION reply: \"twin_socket.%s\" was not "
                                 "proposed",
                                 key);
        }
    }
    return 0;
}

int vuc_negotiate_parse(const char *json, size_t len,
                        const struct vuc_options *opts, struct vuc_caps *caps,
                        int *twin_fd_index, struct vuc_wire_err *err)
{
    json_error_t jerr;
    json_t *root, *capobj, *v;
    const char *key;
    int rc = 0;

    caps->server_max_msg_fds = VFIO_USER_DEFAULT_MAX_MSG_FDS;
    caps->server_max_data_xfer_size = VFIO_USER_DEFAULT_MAX_DATA_XFER_SIZE;
    caps->max_dma_maps = VFIO_USER_DEFAULT_MAX_DMA_MAPS;
    caps->pgsizes = VFIO_USER_DEFAULT_PGSIZES;
    caps->migration_pgsize = 0;
    caps->write_multiple = false;
    caps->twin_socket = false;
    *twin_fd_index = -1;
    if (json == NULL) {
        return 0;
    }

    root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        return vuc_wire_fail(err,
                             "VERSION reply: invalid JSON at line %d column "
                             "%d: %s",
                             jerr.line, jerr.column, jerr.text);
    }
    if (!json_is_object(root)) {
        rc = vuc_wire_fail(err, "VERSION reply: the JSON is not an object");
        goto out;
    }
    capobj = json_object_get(root, "capabilities");
    if (capobj == NULL) {
        goto out;
    }
    if (!json_is_object(capobj)) {
        rc = vuc_wire_fail(err, "VERSION reply: \"capabilities\" is not an "
                                "object");
        goto out;
    }
    json_object_foreach(capobj, key, v)
    {
        uint64_t n = 0;

        if (strcmp(key, "max_msg_fds") == 0) {
            rc = get_uint(v, key, 1, SERVER_MAX_MSG_FDS_LIMIT, &n, err);
            caps->server_max_msg_fds = (uint32_t)n;
        } else if (strcmp(key, "max_data_xfer_size") == 0) {
            rc = get_uint(v, key, SERVER_XFER_MIN, SERVER_XFER_MAX, &n, err);
            caps->server_max_data_xfer_size = (uint32_t)n;
        } else if (strcmp(key, "max_dma_maps") == 0) {
            rc = get_uint(v, key, 1, SERVER_DMA_MAPS_MAX, &n, err);
            caps->max_dma_maps = (uint32_t)n;
        } else if (strcmp(key, "pgsizes") == 0) {
            rc = get_uint(v, key, 4096, UINT64_MAX >> 1, &n, err);
            if (rc == 0 && (n & (4096 - 1)) != 0) {
                rc = vuc_wire_fail(err,
                                   "VERSION reply: pgsizes 0x%llx offers "
                                   "pages smaller than 4 KiB",
                                   (unsigned long long)n);
            }
            caps->pgsizes = n;
        } else if (strcmp(key, "migration") == 0) {
            rc = parse_migration(v, caps, err);
        } else if (strcmp(key, "write_multiple") == 0) {
            if (!json_is_boolean(v)) {
                rc = vuc_wire_fail(err, "VERSION reply: capability "
                                        "\"write_multiple\" is not a "
                                        "boolean");
            }
            caps->write_multiple = json_is_true(v);
        } else if (strcmp(key, "twin_socket") == 0 && opts->twin_socket) {
            rc = parse_twin(v, caps, twin_fd_index, err);
        } else {
            rc = vuc_wire_fail(err,
                               "VERSION reply: capability \"%s\" was not "
                               "proposed",
                               key);
        }
        if (rc < 0) {
            goto out;
        }
    }
out:
    json_decref(root);
    return rc;
}

/* ---- The VERSION exchange ---------------------------------------------- */

/*
 * The only fd VERSION may bring is the twin socket. Per "VFIO_USER_VERSION":
 * supported with a valid fd_index enables the mode; supported without one
 * is inconsistent and the connection must be closed; not supported means
 * one socket, and then no fd belongs.
 */
static int take_twin_socket(struct vuc_client *c, struct vuc_reply *r,
                            const struct vuc_caps *caps, int fd_index)
{
    if (!caps->twin_socket) {
        if (r->nfds > 0) {
            return vuc_fail(c, -EPROTO,
                            "VERSION reply carried %u fd(s) without "
                            "twin-socket mode",
                            r->nfds);
        }
        return 0;
    }
    if (fd_index < 0) {
        return vuc_fail(c, -EPROTO,
                        "VERSION reply: twin_socket.supported is true but "
                        "fd_index is missing");
    }
    if ((unsigned)fd_index >= r->nfds || r->nfds != 1) {
        return vuc_fail(c, -EPROTO,
                        "VERSION reply: twin_socket.fd_index %d does not "
                        "name the one fd passed (%u arrived)",
                        fd_index, r->nfds);
    }
    int fd = r->fds[fd_index];
    r->fds[fd_index] = -1;
    return vuc_conn_open_twin(c, fd);
}

static void version_reply(struct vuc_client *c, struct vuc_req *req,
                          struct vuc_reply *r)
{
    struct vuc_wire_version v;
    struct vuc_wire_err err;
    struct vuc_caps caps;
    int twin_fd = -1;
    int rc = r->err;

    if (rc < 0) {
        vuc_connect_negotiated(c, rc);
        return;
    }
    if ((rc = vuc_wire_dec_version_reply(r->payload, r->len, c->opts.major,
                                         c->opts.minor, &v, &err)) < 0 ||
        (rc = vuc_negotiate_parse(v.json, v.json_len, &c->opts, &caps, &twin_fd,
                                  &err)) < 0) {
        rc = vuc_fail(c, rc, "%s", err.text);
    } else if ((rc = take_twin_socket(c, r, &caps, twin_fd)) < 0) {
        /* The text says why. */
    } else {
        caps.major = v.major;
        caps.minor = v.minor;
        caps.client_max_msg_fds = c->opts.max_msg_fds;
        caps.client_max_data_xfer_size = c->opts.max_data_xfer_size;
        free(c->server_json);
        c->server_json = v.json ? strndup(v.json, v.json_len) : NULL;
        if (v.json != NULL && c->server_json == NULL) {
            rc = vuc_fail(c, -ENOMEM, "out of memory");
        } else {
            c->caps = caps;
            c->negotiated = true;
            c->xfer_chunk = caps.server_max_data_xfer_size;
            if (c->xfer_chunk > c->opts.max_data_xfer_size) {
                c->xfer_chunk = c->opts.max_data_xfer_size;
            }
            vuc_log(c, VUC_LOG_DEBUG,
                    "negotiated version %u.%u, server max_msg_fds %u, "
                    "max_data_xfer_size %u",
                    caps.major, caps.minor, caps.server_max_msg_fds,
                    caps.server_max_data_xfer_size);
        }
    }
    vuc_connect_negotiated(c, rc);
}

int vuc_negotiate_start(struct vuc_client *c)
{
    char *json = vuc_negotiate_proposal(&c->opts);
    if (json == NULL) {
        return vuc_fail(c, -ENOMEM, "out of memory building VERSION");
    }
    size_t len = sizeof(struct vfio_user_version) + strlen(json) + 1;
    void *payload;
    int rc;
    struct vuc_req *req =
        vuc_req_start(c, VFIO_USER_VERSION, len, &payload, &rc);
    if (req == NULL) {
        free(json);
        return rc;
    }
    ssize_t n =
        vuc_wire_enc_version(payload, len, c->opts.major, c->opts.minor, json);
    free(json);
    if (n < 0) {
        vuc_req_abandon(c, req);
        return vuc_fail(c, (int)n, "cannot encode VERSION");
    }
    return vuc_req_submit(c, req, (size_t)n, VUC_TIMEOUT_DEFAULT, version_reply,
                          NULL, 0);
}
