/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The trace formatter's decoders of requests: what a client asks of a server,
 * and DMA_READ/DMA_WRITE that a server asks of its client. libvuc only
 * encodes the client's requests, so they are decoded here, with the codec's
 * rules: every length is checked before the bytes are looked at, and fixed
 * parts are copied out, as the payload may sit at any alignment.
 */
#include "trace_fmt.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

/* Shown of a VERSION JSON, of the WRITE_MULTI entries. */
#define JSON_SHOWN 512u
#define MULTI_SHOWN 4u

static int need(const struct vuc_trace_msg *m, size_t n,
                struct vuc_wire_err *err)
{
    if (m->len >= n) {
        return 0;
    }
    return vuc_wire_fail(err, "%s request has %zu bytes, needs %zu",
                         vuc_wire_cmd_name(m->hdr->cmd), m->len, n);
}

static int no_fds(const struct vuc_trace_msg *m, struct vuc_wire_err *err)
{
    if (m->nfds == 0) {
        return 0;
    }
    return vuc_wire_fail(err, "%s request carried %u fds, none belong",
                         vuc_wire_cmd_name(m->hdr->cmd), m->nfds);
}

static const struct vuc_tout_flag dma_flags[] = {
    {VFIO_USER_F_DMA_REGION_READ, "READ"},
    {VFIO_USER_F_DMA_REGION_WRITE, "WRITE"},
};

static const struct vuc_tout_flag irq_set_flags[] = {
    {VFIO_USER_IRQ_SET_DATA_NONE, "DATA_NONE"},
    {VFIO_USER_IRQ_SET_DATA_BOOL, "DATA_BOOL"},
    {VFIO_USER_IRQ_SET_DATA_EVENTFD, "DATA_EVENTFD"},
    {VFIO_USER_IRQ_SET_ACTION_MASK, "MASK"},
    {VFIO_USER_IRQ_SET_ACTION_UNMASK, "UNMASK"},
    {VFIO_USER_IRQ_SET_ACTION_TRIGGER, "TRIGGER"},
};

static const struct vuc_tout_flag dirty_flags[] = {
    {VFIO_USER_DIRTY_PAGES_FLAG_START, "START"},
    {VFIO_USER_DIRTY_PAGES_FLAG_STOP, "STOP"},
    {VFIO_USER_DIRTY_PAGES_FLAG_GET_BITMAP, "GET_BITMAP"},
};

static const struct vuc_tout_flag feature_ops[] = {
    {VFIO_USER_DEVICE_FEATURE_GET, "GET"},
    {VFIO_USER_DEVICE_FEATURE_SET, "SET"},
    {VFIO_USER_DEVICE_FEATURE_PROBE, "PROBE"},
};

static int dec_version(const struct vuc_trace_msg *m, struct vuc_tout *o,
                       struct trace_pend *p, struct vuc_wire_err *err)
{
    struct vfio_user_version v;

    if (need(m, sizeof(v), err) < 0 || no_fds(m, err) < 0) {
        return -EPROTO;
    }
    memcpy(&v, m->payload, sizeof(v));
    const char *json = (const char *)m->payload + sizeof(v);
    size_t jlen = m->len - sizeof(v);
    if (jlen > 0 && (json[jlen - 1] != '\0' || memchr(json, 0, jlen - 1))) {
        return vuc_wire_fail(err, "VERSION request JSON is not one "
                                  "NUL-terminated string");
    }
    p->index = v.major;
    p->count = v.minor;
    if (o->json) {
        vuc_tout_u64(o, "major", NULL, v.major);
        vuc_tout_u64(o, "minor", NULL, v.minor);
    } else {
        vuc_tout_printf(o, " %u.%u", v.major, v.minor);
    }
    if (jlen > 1) {
        vuc_tout_quoted(o, "caps", NULL, json, jlen - 1, JSON_SHOWN);
    }
    return 0;
}

static int dec_dma_map(const struct vuc_trace_msg *m, struct vuc_tout *o,
                       struct vuc_wire_err *err)
{
    struct vfio_user_dma_map d;

    if (need(m, sizeof(d), err) < 0) {
        return -EPROTO;
    }
    if (m->nfds > 1) {
        return vuc_wire_fail(err,
                             "DMA_MAP request carried %u fds, at most "
                             "1 belongs",
                             m->nfds);
    }
    memcpy(&d, m->payload, sizeof(d));
    vuc_tout_hex(o, "iova", "iova", d.address);
    vuc_tout_hex(o, "size", "size", d.size);
    if (m->nfds > 0 || d.offset != 0) {
        vuc_tout_hex(o, "fd_offset", "offset", d.offset);
    }
    vuc_tout_flags(o, "flags", NULL, d.flags, dma_flags,
                   VUC_TOUT_NFLAGS(dma_flags));
    return 0;
}

static int dec_dma_unmap(const struct vuc_trace_msg *m, struct vuc_tout *o,
                         struct trace_pend *p, struct vuc_wire_err *err)
{
    struct vfio_user_dma_unmap u;
    struct vfio_user_bitmap b = {0};

    if (need(m, sizeof(u), err) < 0 || no_fds(m, err) < 0) {
        return -EPROTO;
    }
    memcpy(&u, m->payload, sizeof(u));
    p->dirty = (u.flags & VFIO_USER_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP) != 0;
    if (p->dirty) {
        if (need(m, sizeof(u) + sizeof(b), err) < 0) {
            return -EPROTO;
        }
        memcpy(&b, m->payload + sizeof(u), sizeof(b));
    }
    p->addr = u.address;
    p->size = u.size;
    p->pgsize = b.pgsize;
    p->bmsize = b.size;
    vuc_tout_hex(o, "iova", "iova", u.address);
    vuc_tout_hex(o, "size", "size", u.size);
    if (p->dirty) {
        vuc_tout_hex(o, "dirty_pgsize", "get dirty bitmap pgsize", b.pgsize);
        vuc_tout_u64(o, "bitmap_size", "bitmap", b.size);
    }
    return 0;
}

/* Requests that are an argsz (and for some an index) the reply fills. */
static int dec_info(const struct vuc_trace_msg *m, struct vuc_tout *o,
                    struct trace_pend *p, struct vuc_wire_err *err)
{
    struct vfio_user_region_info r;
    uint16_t cmd = m->hdr->cmd;
    size_t want = cmd == VFIO_USER_DEVICE_GET_INFO ? 4u : 12u;

    if (need(m, want, err) < 0 || no_fds(m, err) < 0) {
        return -EPROTO;
    }
    memset(&r, 0, sizeof(r));
    memcpy(&r, m->payload, m->len < sizeof(r) ? m->len : sizeof(r));
    p->argsz = r.argsz;
    p->index = r.index;
    if (cmd == VFIO_USER_DEVICE_GET_IRQ_INFO) {
        vuc_tout_irq(o, r.index);
        return 0;
    }
    if (cmd != VFIO_USER_DEVICE_GET_INFO) {
        vuc_tout_region(o, r.index);
    }
    vuc_tout_u64(o, "argsz", "argsz", r.argsz);
    return 0;
}

static int dec_set_irqs(const struct vuc_trace_msg *m, struct vuc_tout *o,
                        struct vuc_wire_err *err)
{
    struct vfio_user_irq_set s;

    if (need(m, sizeof(s), err) < 0) {
        return -EPROTO;
    }
    memcpy(&s, m->payload, sizeof(s));
    vuc_tout_irq(o, s.index);
    vuc_tout_flags(o, "flags", NULL, s.flags, irq_set_flags,
                   VUC_TOUT_NFLAGS(irq_set_flags));
    vuc_tout_u64(o, "start", "start", s.start);
    vuc_tout_u64(o, "count", "count", s.count);
    if (s.flags & VFIO_USER_IRQ_SET_DATA_BOOL) {
        vuc_tout_data(o, "bools", m->payload + sizeof(s), m->len - sizeof(s));
    }
    return 0;
}

static int dec_region_access(const struct vuc_trace_msg *m, struct vuc_tout *o,
                             struct trace_pend *p, struct vuc_wire_err *err)
{
    struct vfio_user_region_access a;
    bool write = m->hdr->cmd == VFIO_USER_REGION_WRITE;

    if (need(m, sizeof(a), err) < 0 || no_fds(m, err) < 0) {
        return -EPROTO;
    }
    memcpy(&a, m->payload, sizeof(a));
    size_t data = m->len - sizeof(a);
    if (write ? data != a.count : data != 0) {
        return vuc_wire_fail(err,
                             "%s request carries %zu data bytes, its count "
                             "says %" PRIu32,
                             vuc_wire_cmd_name(m->hdr->cmd), data,
                             write ? a.count : 0);
    }
    p->index = a.region;
    p->addr = a.offset;
    p->count = a.count;
    vuc_tout_region_off(o, a.region, a.offset);
    if (write) {
        vuc_tout_data(o, "data", m->payload + sizeof(a), data);
    } else {
        vuc_tout_u64(o, "count", "count", a.count);
    }
    return 0;
}

static int dec_dma_request(const struct vuc_trace_msg *m, struct vuc_tout *o,
                           struct trace_pend *p, struct vuc_wire_err *err)
{
    uint64_t addr, count;
    const uint8_t *data;

    /* The transfer limit is the client's to judge; any size decodes. */
    int rc = vuc_wire_dec_dma_request(m->hdr->cmd, m->payload, m->len, m->nfds,
                                      UINT32_MAX, &addr, &count, &data, err);
    if (rc < 0) {
        return rc;
    }
    p->addr = addr;
    p->size = count;
    vuc_tout_hex(o, "iova", "iova", addr);
    if (data != NULL) {
        vuc_tout_data(o, "data", data, (size_t)count);
    } else {
        vuc_tout_u64(o, "count", "count", count);
    }
    return 0;
}

static int dec_dirty_pages(const struct vuc_trace_msg *m, struct vuc_tout *o,
                           struct trace_pend *p, struct vuc_wire_err *err)
{
    struct vfio_user_dirty_pages d;
    struct vfio_user_bitmap_range r;

    if (need(m, sizeof(d), err) < 0 || no_fds(m, err) < 0) {
        return -EPROTO;
    }
    memcpy(&d, m->payload, sizeof(d));
    p->flags = d.flags;
    if (d.flags & VFIO_USER_DIRTY_PAGES_FLAG_GET_BITMAP) {
        if (need(m, sizeof(d) + sizeof(r), err) < 0) {
            return -EPROTO;
        }
        memcpy(&r, m->payload + sizeof(d), sizeof(r));
        p->addr = r.iova;
        p->size = r.size;
        p->pgsize = r.bitmap.pgsize;
        p->bmsize = r.bitmap.size;
    }
    vuc_tout_flags(o, "flags", NULL, d.flags, dirty_flags,
                   VUC_TOUT_NFLAGS(dirty_flags));
    if (d.flags & VFIO_USER_DIRTY_PAGES_FLAG_GET_BITMAP) {
        vuc_tout_hex(o, "iova", "iova", r.iova);
        vuc_tout_hex(o, "size", "size", r.size);
        vuc_tout_hex(o, "pgsize", "pgsize", r.bitmap.pgsize);
        vuc_tout_u64(o, "bitmap_size", "bitmap", r.bitmap.size);
    }
    return 0;
}

static int dec_write_multi(const struct vuc_trace_msg *m, struct vuc_tout *o,
                           struct trace_pend *p, struct vuc_wire_err *err)
{
    struct vfio_user_write_multi w;
    struct vfio_user_write_multi_entry e;

    if (need(m, sizeof(w), err) < 0 || no_fds(m, err) < 0) {
        return -EPROTO;
    }
    memcpy(&w, m->payload, sizeof(w));
    size_t room = (m->len - sizeof(w)) / sizeof(e);
    if (w.wr_cnt != room || (m->len - sizeof(w)) % sizeof(e) != 0) {
        return vuc_wire_fail(err,
                             "REGION_WRITE_MULTI request has wr_cnt %" PRIu64
                             " but %zu bytes of entries",
                             w.wr_cnt, m->len - sizeof(w));
    }
    for (size_t i = 0; i < room; i++) {
        memcpy(&e, m->payload + sizeof(w) + i * sizeof(e), sizeof(e));
        if (e.count > VFIO_USER_MULTI_DATA) {
            return vuc_wire_fail(err,
                                 "REGION_WRITE_MULTI entry %zu has count "
                                 "%" PRIu32 ", at most %u fit",
                                 i, e.count, VFIO_USER_MULTI_DATA);
        }
    }
    p->count = (uint32_t)(room > UINT32_MAX ? UINT32_MAX : room);
    vuc_tout_u64(o, "writes", NULL, w.wr_cnt);
    if (!o->json) {
        vuc_tout_raw(o, w.wr_cnt == 1 ? " write:" : " writes:");
    }
    for (size_t i = 0; i < room && i < MULTI_SHOWN; i++) {
        memcpy(&e, m->payload + sizeof(w) + i * sizeof(e), sizeof(e));
        if (o->json) {
            /* Numbered members keep the line one flat object. */
            vuc_tout_printf(o, ",\"w%zu\":{\"region\":%" PRIu32, i, e.region);
            vuc_tout_u64(o, "offset", NULL, e.offset);
            vuc_tout_data(o, "data", e.data, e.count);
            vuc_tout_raw(o, "}");
        } else {
            vuc_tout_region_off(o, e.region, e.offset);
            vuc_tout_raw(o, " =");
            for (uint32_t b = 0; b < e.count; b++) {
                vuc_tout_printf(o, " %02x", e.data[b]);
            }
            vuc_tout_raw(o, i + 1 < room ? "," : "");
        }
    }
    if (room > MULTI_SHOWN && !o->json) {
        vuc_tout_raw(o, " …");
    }
    return 0;
}

const char *vuc_trace_feature_name(uint32_t feature)
{
    switch (feature) {
    case VFIO_USER_DEVICE_FEATURE_MIGRATION:
        return "MIGRATION";
    case VFIO_USER_DEVICE_FEATURE_MIG_DEVICE_STATE:
        return "MIG_DEVICE_STATE";
    case VFIO_USER_DEVICE_FEATURE_DMA_LOGGING_START:
        return "DMA_LOGGING_START";
    case VFIO_USER_DEVICE_FEATURE_DMA_LOGGING_STOP:
        return "DMA_LOGGING_STOP";
    case VFIO_USER_DEVICE_FEATURE_DMA_LOGGING_REPORT:
        return "DMA_LOGGING_REPORT";
    default:
        return NULL;
    }
}

void vuc_trace_feature(struct vuc_tout *o, uint32_t flags)
{
    uint32_t feature = flags & VFIO_USER_DEVICE_FEATURE_MASK;
    const char *name = vuc_trace_feature_name(feature);

    vuc_tout_flags(o, "op", NULL, flags & ~VFIO_USER_DEVICE_FEATURE_MASK,
                   feature_ops, VUC_TOUT_NFLAGS(feature_ops));
    if (name != NULL) {
        vuc_tout_str(o, "feature", NULL, name);
    } else {
        vuc_tout_u64(o, "feature", "feature", feature);
    }
}

static int dec_feature(const struct vuc_trace_msg *m, struct vuc_tout *o,
                       struct trace_pend *p, struct vuc_wire_err *err)
{
    struct vfio_user_device_feature f;

    if (need(m, sizeof(f), err) < 0 || no_fds(m, err) < 0) {
        return -EPROTO;
    }
    memcpy(&f, m->payload, sizeof(f));
    const uint8_t *data = m->payload + sizeof(f);
    size_t dlen = m->len - sizeof(f);
    uint32_t feature = f.flags & VFIO_USER_DEVICE_FEATURE_MASK;
    bool set = (f.flags & VFIO_USER_DEVICE_FEATURE_SET) != 0;
    bool get = (f.flags & VFIO_USER_DEVICE_FEATURE_GET) != 0;

    p->flags = f.flags;
    vuc_trace_feature(o, f.flags);
    if (set && feature == VFIO_USER_DEVICE_FEATURE_MIG_DEVICE_STATE &&
        dlen >= sizeof(struct vfio_user_device_feature_mig_state)) {
        struct vfio_user_device_feature_mig_state s;
        memcpy(&s, data, sizeof(s));
        vuc_tout_str(o, "state", NULL, vuc_tout_mig_state_name(s.device_state));
    } else if (set &&
               (feature == VFIO_USER_DEVICE_FEATURE_DMA_LOGGING_START ||
                feature == VFIO_USER_DEVICE_FEATURE_DMA_LOGGING_STOP) &&
               dlen >= sizeof(struct vfio_user_dma_logging_control)) {
        struct vfio_user_dma_logging_control c;
        memcpy(&c, data, sizeof(c));
        vuc_tout_hex(o, "page_size", "pgsize", c.page_size);
        vuc_tout_u64(o, "ranges", "ranges", c.num_ranges);
    } else if (get && feature == VFIO_USER_DEVICE_FEATURE_DMA_LOGGING_REPORT) {
        struct vfio_user_dma_logging_report r;
        if (dlen < sizeof(r)) {
            return vuc_wire_fail(err,
                                 "DEVICE_FEATURE DMA_LOGGING_REPORT "
                                 "request has %zu bytes of data, needs "
                                 "%zu",
                                 dlen, sizeof(r));
        }
        memcpy(&r, data, sizeof(r));
        p->addr = r.iova;
        p->size = r.length;
        p->pgsize = r.page_size;
        vuc_tout_hex(o, "iova", "iova", r.iova);
        vuc_tout_hex(o, "length", "length", r.length);
        vuc_tout_hex(o, "page_size", "pgsize", r.page_size);
    } else if (dlen > 0) {
        vuc_tout_data(o, "data", data, dlen);
    }
    return 0;
}

static int dec_mig_data(const struct vuc_trace_msg *m, struct vuc_tout *o,
                        struct trace_pend *p, struct vuc_wire_err *err)
{
    struct vfio_user_mig_data d;

    if (need(m, sizeof(d), err) < 0 || no_fds(m, err) < 0) {
        return -EPROTO;
    }
    memcpy(&d, m->payload, sizeof(d));
    p->count = d.size;
    if (m->hdr->cmd == VFIO_USER_MIG_DATA_READ) {
        vuc_tout_u64(o, "size", "size", d.size);
        return 0;
    }
    if (m->len - sizeof(d) != d.size) {
        return vuc_wire_fail(err,
                             "MIG_DATA_WRITE request carries %zu bytes, its "
                             "size says %" PRIu32,
                             m->len - sizeof(d), d.size);
    }
    vuc_tout_data(o, "data", m->payload + sizeof(d), d.size);
    return 0;
}

int vuc_trace_dec_request(const struct vuc_trace_msg *m, struct vuc_tout *o,
                          struct trace_pend *p, struct vuc_wire_err *err)
{
    switch (m->hdr->cmd) {
    case VFIO_USER_VERSION:
        return dec_version(m, o, p, err);
    case VFIO_USER_DMA_MAP:
        return dec_dma_map(m, o, err);
    case VFIO_USER_DMA_UNMAP:
        return dec_dma_unmap(m, o, p, err);
    case VFIO_USER_DEVICE_GET_INFO:
    case VFIO_USER_DEVICE_GET_REGION_INFO:
    case VFIO_USER_DEVICE_GET_REGION_IO_FDS:
    case VFIO_USER_DEVICE_GET_IRQ_INFO:
        return dec_info(m, o, p, err);
    case VFIO_USER_DEVICE_SET_IRQS:
        return dec_set_irqs(m, o, err);
    case VFIO_USER_REGION_READ:
    case VFIO_USER_REGION_WRITE:
        return dec_region_access(m, o, p, err);
    case VFIO_USER_DMA_READ:
    case VFIO_USER_DMA_WRITE:
        return dec_dma_request(m, o, p, err);
    case VFIO_USER_DEVICE_RESET:
        return m->len == 0 ? no_fds(m, err)
                           : vuc_wire_fail(err,
                                           "DEVICE_RESET request has %zu "
                                           "bytes, expected none",
                                           m->len);
    case VFIO_USER_DIRTY_PAGES:
        return dec_dirty_pages(m, o, p, err);
    case VFIO_USER_REGION_WRITE_MULTI:
        return dec_write_multi(m, o, p, err);
    case VFIO_USER_DEVICE_FEATURE:
        return dec_feature(m, o, p, err);
    case VFIO_USER_MIG_DATA_READ:
    case VFIO_USER_MIG_DATA_WRITE:
        return dec_mig_data(m, o, p, err);
    default:
        if (m->len > 0) {
            vuc_tout_data(o, "payload", m->payload, m->len);
        }
        return 0;
    }
}
