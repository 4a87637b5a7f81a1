/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The trace formatter's decoders of replies. A server's reply goes through
 * the decoder libvuc itself uses, against the request it answers, so that a
 * reply shown as malformed is one libvuc would refuse, for the reason it
 * would give. The client's replies to DMA_READ/DMA_WRITE are checked here.
 */
#include "trace_fmt.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

/* Entries of an io fds reply shown. */
#define IO_FDS_SHOWN 4u
#define JSON_SHOWN 512u

static const struct vuc_tout_flag region_flags[] = {
    {VFIO_USER_REGION_INFO_FLAG_READ, "READ"},
    {VFIO_USER_REGION_INFO_FLAG_WRITE, "WRITE"},
    {VFIO_USER_REGION_INFO_FLAG_MMAP, "MMAP"},
    {VFIO_USER_REGION_INFO_FLAG_CAPS, "CAPS"},
};

static const struct vuc_tout_flag device_flags[] = {
    {VFIO_USER_DEVICE_FLAGS_RESET, "RESET"},
    {VFIO_USER_DEVICE_FLAGS_PCI, "PCI"},
};

static const struct vuc_tout_flag irq_flags[] = {
    {VFIO_USER_IRQ_INFO_EVENTFD, "EVENTFD"},
    {VFIO_USER_IRQ_INFO_MASKABLE, "MASKABLE"},
    {VFIO_USER_IRQ_INFO_AUTOMASKED, "AUTOMASKED"},
    {VFIO_USER_IRQ_INFO_NORESIZE, "NORESIZE"},
};

static const struct vuc_tout_flag migration_flags[] = {
    {VFIO_USER_MIGRATION_STOP_COPY, "STOP_COPY"},
    {VFIO_USER_MIGRATION_P2P, "P2P"},
    {VFIO_USER_MIGRATION_PRE_COPY, "PRE_COPY"},
};

static int rep_version(const struct vuc_trace_msg *m,
                       const struct trace_pend *p, struct vuc_tout *o,
                       struct vuc_wire_err *err)
{
    struct vuc_wire_version v;
    uint16_t major = 0, minor = UINT16_MAX;

    if (p != NULL) {
        major = (uint16_t)p->index;
        minor = (uint16_t)p->count;
    } else if (m->len >= 2) {
        memcpy(&major, m->payload, sizeof(major)); /* judge the rest only */
    }
    int rc =
        vuc_wire_dec_version_reply(m->payload, m->len, major, minor, &v, err);
    if (rc < 0) {
        return rc;
    }
    if (o->json) {
        vuc_tout_u64(o, "major", NULL, v.major);
        vuc_tout_u64(o, "minor", NULL, v.minor);
    } else {
        vuc_tout_printf(o, " %u.%u", v.major, v.minor);
    }
    if (v.json != NULL) {
        vuc_tout_quoted(o, "caps", NULL, v.json, v.json_len, JSON_SHOWN);
    }
    return 0;
}

static int rep_region_info(struct vuc_tracer *t, const struct vuc_trace_msg *m,
                           const struct trace_pend *p, struct vuc_tout *o,
                           struct vuc_wire_err *err)
{
    struct vuc_region_info *ri = &t->region_info;
    uint32_t need_argsz = 0;

    int rc = vuc_wire_dec_region_info_reply(
        m->payload, m->len, m->nfds, p->index, p->argsz, ri, &need_argsz, err);
    if (rc < 0) {
        return rc;
    }
    vuc_tout_region(o, p->index);
    if (rc == 1) {
        vuc_tout_u64(o, "need_argsz", "needs argsz", need_argsz);
        return 0;
    }
    if (ri->index < TRACE_REGIONS) {
        t->region_size[ri->index] = ri->size;
    }
    vuc_tout_hex(o, "size", "size", ri->size);
    vuc_tout_flags(o, "flags", NULL, ri->flags, region_flags,
                   VUC_TOUT_NFLAGS(region_flags));
    if (ri->has_fd) {
        vuc_tout_hex(o, "mmap_offset", "mmap offset", ri->mmap_offset);
    }
    if (ri->sparse_cap) {
        vuc_tout_u64(o, "sparse_areas", "sparse areas", ri->nr_sparse);
    }
    if (ri->has_type) {
        if (o->json) {
            vuc_tout_u64(o, "type", NULL, ri->type);
            vuc_tout_u64(o, "subtype", NULL, ri->subtype);
        } else {
            vuc_tout_printf(o, " type %" PRIu32 "/%" PRIu32, ri->type,
                            ri->subtype);
        }
    }
    if (ri->msix_mappable) {
        vuc_tout_raw(o, o->json ? ",\"msix_mappable\":true" : " MSIX_MAPPABLE");
    }
    return 0;
}

static int rep_io_fds(struct vuc_tracer *t, const struct vuc_trace_msg *m,
                      const struct trace_pend *p, struct vuc_tout *o,
                      struct vuc_wire_err *err)
{
    struct vuc_wire_io_fd *e = t->io_fds;
    uint32_t count = 0, need_argsz = 0;
    uint64_t size = p->index < TRACE_REGIONS && t->region_size[p->index]
                        ? t->region_size[p->index]
                        : UINT64_MAX;

    int rc = vuc_wire_dec_region_io_fds_reply(
        m->payload, m->len, m->nfds, p->index, size, p->argsz, e, TRACE_IO_FDS,
        &count, &need_argsz, err);
    if (rc < 0) {
        return rc;
    }
    if (rc == 1) {
        vuc_tout_u64(o, "need_argsz", "needs argsz", need_argsz);
        return 0;
    }
    vuc_tout_u64(o, "entries", NULL, count);
    if (!o->json) {
        vuc_tout_raw(o, count == 1 ? " entry" : " entries");
    }
    for (uint32_t i = 0; i < count && i < IO_FDS_SHOWN; i++) {
        if (o->json) {
            vuc_tout_printf(o,
                            ",\"e%" PRIu32 "\":{\"fd_index\":%" PRIu32
                            ",\"type\":%" PRIu32,
                            i, e[i].fd_index, e[i].type);
            vuc_tout_u64(o, "offset", NULL, e[i].offset);
            vuc_tout_u64(o, "size", NULL, e[i].size);
            vuc_tout_u64(o, "datamatch", NULL, e[i].datamatch);
            vuc_tout_raw(o, "}");
        } else {
            vuc_tout_printf(
                o, "%s %s +%#" PRIx64 "/%" PRIu64 " fd %" PRIu32, i ? "," : ":",
                e[i].type == VFIO_USER_IO_FD_TYPE_IOEVENTFD ? "ioeventfd"
                                                            : "ioregionfd",
                e[i].offset, e[i].size, e[i].fd_index);
        }
    }
    if (count > IO_FDS_SHOWN && !o->json) {
        vuc_tout_raw(o, " …");
    }
    return 0;
}

static int rep_feature(const struct vuc_trace_msg *m,
                       const struct trace_pend *p, struct vuc_tout *o,
                       struct vuc_wire_err *err)
{
    const uint8_t *data;
    size_t dlen;
    uint32_t feature = p->flags & VFIO_USER_DEVICE_FEATURE_MASK;
    bool get = (p->flags & VFIO_USER_DEVICE_FEATURE_GET) != 0;

    int rc = vuc_wire_dec_device_feature_reply(m->payload, m->len, m->nfds,
                                               p->flags, &data, &dlen, err);
    if (rc < 0) {
        return rc;
    }
    vuc_trace_feature(o, p->flags);
    if (!get) {
        return 0;
    }
    if (feature == VFIO_USER_DEVICE_FEATURE_MIGRATION) {
        uint64_t flags;
        rc = vuc_wire_dec_feature_migration(data, dlen, &flags, err);
        if (rc == 0) {
            vuc_tout_flags(o, "migration", NULL, (uint32_t)flags,
                           migration_flags, VUC_TOUT_NFLAGS(migration_flags));
        }
        return rc;
    }
    if (feature == VFIO_USER_DEVICE_FEATURE_MIG_DEVICE_STATE) {
        uint32_t state;
        rc = vuc_wire_dec_feature_mig_state(data, dlen, &state, err);
        if (rc == 0) {
            vuc_tout_str(o, "state", NULL, vuc_tout_mig_state_name(state));
        }
        return rc;
    }
    if (feature == VFIO_USER_DEVICE_FEATURE_DMA_LOGGING_REPORT) {
        const uint8_t *bitmap;
        size_t blen;
        rc = vuc_wire_dec_dma_logging_report(data, dlen, p->addr, p->size,
                                             p->pgsize, &bitmap, &blen, err);
        if (rc == 0) {
            vuc_tout_data(o, "bitmap", bitmap, blen);
        }
        return rc < 0 ? -EPROTO : 0;
    }
    if (dlen > 0) {
        vuc_tout_data(o, "data", data, dlen);
    }
    return 0;
}

/* The client's answer to the server's DMA_READ or DMA_WRITE: the address
 * and count echoed, then the data for a read. */
static int rep_dma(const struct vuc_trace_msg *m, const struct trace_pend *p,
                   struct vuc_tout *o, struct vuc_wire_err *err)
{
    struct vfio_user_dma_access a = {0};
    bool read = m->hdr->cmd == VFIO_USER_DMA_READ;
    const char *name = vuc_wire_cmd_name(m->hdr->cmd);
    size_t head = read || m->len >= sizeof(a)
                      ? sizeof(a)
                      : VFIO_USER_DMA_WRITE_REPLY_SPEC_SIZE;

    if (m->nfds > 0) {
        return vuc_wire_fail(err, "%s reply carried %u fds, none belong", name,
                             m->nfds);
    }
    if (m->len < head) {
        return vuc_wire_fail(err, "%s reply has %zu bytes, needs %zu", name,
                             m->len, head);
    }
    memcpy(&a, m->payload, head);
    if (a.address != p->addr || a.count != p->size) {
        return vuc_wire_fail(err,
                             "%s reply echoes [0x%" PRIx64 ", +%" PRIu64
                             "), the request asked [0x%" PRIx64 ", +%" PRIu64
                             ")",
                             name, a.address, a.count, p->addr, p->size);
    }
    size_t want = read ? head + (size_t)p->size : head;
    if (m->len != want) {
        return vuc_wire_fail(err, "%s reply has %zu bytes, expected %zu", name,
                             m->len, want);
    }
    if (read) {
        vuc_tout_data(o, "data", m->payload + head, (size_t)p->size);
    }
    return 0;
}

static int rep_seen(struct vuc_tracer *t, const struct vuc_trace_msg *m,
                    const struct trace_pend *p, struct vuc_tout *o,
                    struct vuc_wire_err *err)
{
    const uint8_t *data = NULL;
    uint16_t cmd = m->hdr->cmd;
    int rc;

    switch (cmd) {
    case VFIO_USER_DMA_MAP:
    case VFIO_USER_DEVICE_SET_IRQS:
    case VFIO_USER_DEVICE_RESET:
    case VFIO_USER_MIG_DATA_WRITE:
        return vuc_wire_dec_empty_reply(cmd, m->len, m->nfds, err);
    case VFIO_USER_VERSION:
        return rep_version(m, p, o, err);
    case VFIO_USER_DMA_UNMAP:
        rc = vuc_wire_dec_dma_unmap_reply(m->payload, m->len, m->nfds, p->addr,
                                          p->size, p->dirty, p->pgsize,
                                          p->bmsize, &data, err);
        if (rc == 0 && data != NULL) {
            vuc_tout_data(o, "bitmap", data, p->bmsize);
        }
        return rc;
    case VFIO_USER_DEVICE_GET_INFO: {
        struct vuc_device_info d;
        rc = vuc_wire_dec_device_info_reply(m->payload, m->len, m->nfds, &d,
                                            err);
        if (rc == 0) {
            vuc_tout_flags(o, "flags", NULL, d.flags, device_flags,
                           VUC_TOUT_NFLAGS(device_flags));
            vuc_tout_u64(o, "regions", "regions", d.num_regions);
            vuc_tout_u64(o, "irqs", "irqs", d.num_irqs);
        }
        return rc;
    }
    case VFIO_USER_DEVICE_GET_REGION_INFO:
        return rep_region_info(t, m, p, o, err);
    case VFIO_USER_DEVICE_GET_REGION_IO_FDS:
        return rep_io_fds(t, m, p, o, err);
    case VFIO_USER_DEVICE_GET_IRQ_INFO: {
        struct vuc_irq_info q;
        rc = vuc_wire_dec_irq_info_reply(m->payload, m->len, m->nfds, p->index,
                                         &q, err);
        if (rc == 0) {
            vuc_tout_irq(o, q.index);
            vuc_tout_u64(o, "count", "count", q.count);
            vuc_tout_flags(o, "flags", NULL, q.flags, irq_flags,
                           VUC_TOUT_NFLAGS(irq_flags));
        }
        return rc;
    }
    case VFIO_USER_REGION_READ:
        rc = vuc_wire_dec_region_read_reply(m->payload, m->len, m->nfds,
                                            p->index, p->addr, p->count, &data,
                                            err);
        if (rc == 0) {
            vuc_tout_data(o, "data", data, data != NULL ? p->count : 0);
        }
        return rc;
    case VFIO_USER_REGION_WRITE:
        return vuc_wire_dec_region_write_reply(
            m->payload, m->len, m->nfds, p->index, p->addr, p->count, err);
    case VFIO_USER_REGION_WRITE_MULTI:
        return vuc_wire_dec_write_multi_reply(m->payload, m->len, m->nfds,
                                              p->count, err);
    case VFIO_USER_DEVICE_FEATURE:
        return rep_feature(m, p, o, err);
    case VFIO_USER_MIG_DATA_READ: {
        uint32_t size;
        rc = vuc_wire_dec_mig_data_read_reply(m->payload, m->len, m->nfds,
                                              p->count, &data, &size, err);
        if (rc == 0) {
            vuc_tout_data(o, "data", data, size);
        }
        return rc;
    }
    case VFIO_USER_DIRTY_PAGES:
        if (!(p->flags & VFIO_USER_DIRTY_PAGES_FLAG_GET_BITMAP)) {
            return vuc_wire_dec_empty_reply(cmd, m->len, m->nfds, err);
        }
        rc = vuc_wire_dec_dirty_pages_reply(m->payload, m->len, m->nfds,
                                            p->addr, p->size, p->pgsize,
                                            p->bmsize, &data, err);
        if (rc == 0) {
            vuc_tout_data(o, "bitmap", data, p->bmsize);
        }
        return rc;
    case VFIO_USER_DMA_READ:
    case VFIO_USER_DMA_WRITE:
        return rep_dma(m, p, o, err);
    default:
        if (m->len > 0) {
            vuc_tout_data(o, "payload", m->payload, m->len);
        }
        return 0;
    }
}

int vuc_trace_dec_reply(struct vuc_tracer *t, const struct vuc_trace_msg *m,
                        const struct trace_pend *p, struct vuc_tout *o,
                        struct vuc_wire_err *err)
{
    if (p != NULL) {
        return rep_seen(t, m, p, o, err);
    }
    /* Without its request, only what needs nothing of it is decoded. */
    if (m->hdr->cmd == VFIO_USER_VERSION) {
        return rep_version(m, NULL, o, err);
    }
    if (m->len > 0) {
        vuc_tout_data(o, "payload", m->payload, m->len);
    }
    return 0;
}
