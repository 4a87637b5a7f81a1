/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A negotiated session: VERSION, then DEVICE_GET_INFO, every region's and
 * every irq index's info. Discovery is lenient: a reply the codec rejects
 * is recorded for the checks to report, so one bad region does not hide
 * the rest of the device.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "conform_int.h"

/* Every capability of the specification's table, so that a server never
 * leaves one out for want of being asked. */
const char cf_proposal_json[] =
    "{\"capabilities\":{\"max_msg_fds\":16,\"max_data_xfer_size\":1048576,"
    "\"max_dma_maps\":65535,\"pgsizes\":4096,\"write_multiple\":true}}";

static uint64_t json_u64(json_t *caps, const char *name, uint64_t dflt)
{
    json_t *v = caps ? json_object_get(caps, name) : NULL;

    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return dflt;
    return (uint64_t)json_integer_value(v);
}

static void take_caps(struct cf_session *s, const char *json, size_t len)
{
    json_t *root = json ? json_loadb(json, len, 0, NULL) : NULL;
    json_t *caps = root ? json_object_get(root, "capabilities") : NULL;
    uint64_t v;

    v = json_u64(caps, "max_msg_fds", VFIO_USER_DEFAULT_MAX_MSG_FDS);
    s->max_msg_fds = v > CF_MAX_FDS ? CF_MAX_FDS : (uint32_t)v;
    v = json_u64(caps, "max_data_xfer_size",
                 VFIO_USER_DEFAULT_MAX_DATA_XFER_SIZE);
    s->max_data_xfer_size = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
    v = json_u64(caps, "max_dma_maps", VFIO_USER_DEFAULT_MAX_DMA_MAPS);
    s->max_dma_maps = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
    s->pgsizes = json_u64(caps, "pgsizes", VFIO_USER_DEFAULT_PGSIZES);
    if (!s->pgsizes)
        s->pgsizes = VFIO_USER_DEFAULT_PGSIZES;
    s->write_multiple =
        caps && json_is_true(json_object_get(caps, "write_multiple"));
    json_decref(root);
}

/* VERSION as every session does it; lenient about the reply's details
 * (the version checks judge those). */
static int negotiate(struct cf_session *s, int timeout_ms, char *why,
                     size_t whylen)
{
    uint8_t buf[512];
    struct cf_msg m;
    ssize_t n = vuc_wire_enc_version(buf, sizeof(buf), 0, 0, cf_proposal_json);
    int rc;

    if (n < 0)
        return (int)n;
    rc = cf_send_msg(&s->c, s->c.next_id++, VFIO_USER_VERSION, 0, buf,
                     (size_t)n, NULL, 0);
    if (rc == 0)
        rc = cf_recv(&s->c, timeout_ms, &m);
    if (rc) {
        snprintf(why, whylen, "VERSION: %s", cf_io_text(rc));
        return rc;
    }
    if (cf_is_error(&m) || m.len < 4) {
        snprintf(why, whylen, "VERSION: got %s", cf_reply_text(&m));
        cf_msg_free(&m);
        return -EPROTO;
    }
    memcpy(&s->major, m.data, 2);
    memcpy(&s->minor, m.data + 2, 2);
    s->ver = malloc(m.len);
    if (s->ver) {
        memcpy(s->ver, m.data, m.len);
        s->ver_len = m.len;
    }
    s->ver_nfds = m.nfds;
    if (m.len > 4) {
        /* Up to the first NUL, or all of it when the NUL is missing. */
        size_t jl = strnlen((const char *)m.data + 4, m.len - 4);

        s->json = strndup((const char *)m.data + 4, jl);
    }
    take_caps(s, s->json, s->json ? strlen(s->json) : 0);
    cf_msg_free(&m);
    return 0;
}

static int exchange(struct cf_session *s, int timeout_ms, uint16_t cmd,
                    const void *p, ssize_t n, struct cf_msg *m, char *err,
                    size_t errlen)
{
    int rc;

    if (n < 0)
        return (int)n;
    rc = cf_send_msg(&s->c, s->c.next_id, cmd, 0, p, (size_t)n, NULL, 0);
    if (rc == 0)
        rc = cf_recv(&s->c, timeout_ms, m);
    if (rc == 0 && m->hdr.msg_id != s->c.next_id) {
        cf_msg_free(m);
        rc = -EPROTO;
    }
    s->c.next_id++;
    if (rc) {
        snprintf(err, errlen, "%s: %s", vuc_wire_cmd_name(cmd), cf_io_text(rc));
        s->dead = true;
        return rc;
    }
    if (cf_is_error(m)) {
        snprintf(err, errlen, "%s: got %s", vuc_wire_cmd_name(cmd),
                 cf_reply_text(m));
        cf_msg_free(m);
        return -EIO;
    }
    return 0;
}

/* Asked with room for any reply, so that the session never depends on
 * the argsz retry (region.info-argsz-retry tests that on its own). */
static void discover_region(struct cf_session *s, uint32_t i, int timeout_ms)
{
    struct cf_region *r = &s->regions[i];
    const uint32_t argsz = 4096;
    struct vuc_wire_err werr;
    uint32_t need = 0;
    uint8_t buf[64];
    struct cf_msg m;
    int rc;

    if (exchange(s, timeout_ms, VFIO_USER_DEVICE_GET_REGION_INFO, buf,
                 vuc_wire_enc_region_info(buf, sizeof(buf), i, argsz), &m,
                 r->err, sizeof(r->err)))
        return;
    rc = vuc_wire_dec_region_info_reply(m.data, m.len, m.nfds, i, argsz, &r->ri,
                                        &need, &werr);
    if (rc == 0) {
        r->ok = true;
        memcpy(&r->argsz, m.data, sizeof(r->argsz));
    } else if (rc > 0) {
        snprintf(r->err, sizeof(r->err),
                 "GET_REGION_INFO asks for argsz %u, above the %u offered",
                 need, argsz);
    } else {
        snprintf(r->err, sizeof(r->err), "%s", werr.text);
    }
    cf_msg_free(&m);
}

static void discover(struct cf_session *s, int timeout_ms)
{
    struct vuc_wire_err werr;
    uint8_t buf[64];
    struct cf_msg m;

    if (exchange(s, timeout_ms, VFIO_USER_DEVICE_GET_INFO, buf,
                 vuc_wire_enc_device_info(buf, sizeof(buf)), &m, s->info_err,
                 sizeof(s->info_err)))
        return;
    if (vuc_wire_dec_device_info_reply(m.data, m.len, m.nfds, &s->info,
                                       &werr) == 0)
        s->have_info = true;
    else
        snprintf(s->info_err, sizeof(s->info_err), "%s", werr.text);
    cf_msg_free(&m);
    if (!s->have_info)
        return;
    for (uint32_t i = 0; i < s->info.num_regions && !s->dead; i++)
        discover_region(s, i, timeout_ms);
    for (uint32_t i = 0; i < s->info.num_irqs && !s->dead; i++) {
        struct cf_irq *q = &s->irqs[i];

        if (exchange(s, timeout_ms, VFIO_USER_DEVICE_GET_IRQ_INFO, buf,
                     vuc_wire_enc_irq_info(buf, sizeof(buf), i), &m, q->err,
                     sizeof(q->err)))
            continue;
        if (vuc_wire_dec_irq_info_reply(m.data, m.len, m.nfds, i, &q->ii,
                                        &werr) == 0)
            q->ok = true;
        else
            snprintf(q->err, sizeof(q->err), "%s", werr.text);
        cf_msg_free(&m);
    }
}

struct cf_session *cf_session_open(int fd, int timeout_ms, char *why,
                                   size_t whylen)
{
    struct cf_session *s = calloc(1, sizeof(*s));

    if (!s) {
        snprintf(why, whylen, "out of memory");
        close(fd);
        return NULL;
    }
    s->c.fd = fd;
    s->c.next_id = 1;
    s->c.timeout_ms = timeout_ms;
    if (negotiate(s, timeout_ms, why, whylen)) {
        cf_session_close(s);
        return NULL;
    }
    discover(s, timeout_ms);
    return s;
}

void cf_session_close(struct cf_session *s)
{
    if (!s)
        return;
    cf_conn_close(&s->c);
    free(s->json);
    free(s->ver);
    free(s);
}
