/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Requests many checks make on the shared session, each failing the check
 * with what was sent and what came back.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "conform_int.h"

int cf_memory_region(const struct cf_session *s)
{
    const uint32_t want = VFIO_USER_REGION_INFO_FLAG_READ |
                          VFIO_USER_REGION_INFO_FLAG_WRITE |
                          VFIO_USER_REGION_INFO_FLAG_MMAP;

    for (uint32_t i = 0; s->have_info && i < s->info.num_regions; i++) {
        const struct cf_region *r = &s->regions[i];

        if (r->ok && r->ri.size >= 4096 && (r->ri.flags & want) == want &&
            i != VFIO_USER_PCI_CONFIG_REGION_INDEX)
            return (int)i;
    }
    return -1;
}

int cf_readable_region(const struct cf_session *s)
{
    for (uint32_t i = 0; s->have_info && i < s->info.num_regions; i++) {
        const struct cf_region *r = &s->regions[i];

        if (r->ok && r->ri.size >= 8 &&
            (r->ri.flags & VFIO_USER_REGION_INFO_FLAG_READ))
            return (int)i;
    }
    return -1;
}

bool cf_region_read(struct cf_t *t, uint32_t region, uint64_t off, void *buf,
                    uint32_t count)
{
    struct vuc_wire_err werr;
    const uint8_t *data;
    uint8_t req[16];
    struct cf_msg m;
    char what[96];
    int rc;

    snprintf(what, sizeof(what),
             "REGION_READ of %u bytes at 0x%llx of region %u", count,
             (unsigned long long)off, region);
    vuc_wire_enc_region_read(req, sizeof(req), region, off, count);
    if (!cf_req_ok(t, VFIO_USER_REGION_READ, req, sizeof(req), NULL, 0, &m,
                   what))
        return false;
    rc = vuc_wire_dec_region_read_reply(m.data, m.len, m.nfds, region, off,
                                        count, &data, &werr);
    if (rc == 0 && count)
        memcpy(buf, data, count);
    else if (rc)
        cf_fail(t, "%s: %s", what, werr.text);
    cf_msg_free(&m);
    return rc == 0;
}

bool cf_region_write(struct cf_t *t, uint32_t region, uint64_t off,
                     const void *buf, uint32_t count)
{
    struct vuc_wire_err werr;
    uint8_t *req = malloc(16 + (size_t)count);
    struct cf_msg m;
    char what[96];
    int rc;

    if (!req) {
        cf_fail(t, "out of memory");
        return false;
    }
    snprintf(what, sizeof(what),
             "REGION_WRITE of %u bytes at 0x%llx of region %u", count,
             (unsigned long long)off, region);
    vuc_wire_enc_region_write(req, 16 + (size_t)count, region, off, buf, count);
    rc = cf_req_ok(t, VFIO_USER_REGION_WRITE, req, 16 + (size_t)count, NULL, 0,
                   &m, what)
             ? 0
             : -1;
    free(req);
    if (rc)
        return false;
    rc = vuc_wire_dec_region_write_reply(m.data, m.len, m.nfds, region, off,
                                         count, &werr);
    if (rc)
        cf_fail(t, "%s: %s", what, werr.text);
    cf_msg_free(&m);
    return rc == 0;
}

int cf_memfd(struct cf_t *t, size_t size)
{
    int fd = memfd_create("vuc-conform", MFD_CLOEXEC | MFD_ALLOW_SEALING);

    if (fd < 0 || ftruncate(fd, (off_t)size) < 0 ||
        fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
        cf_fail(t, "memfd of %zu bytes: %s", size, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

/* The reply's errno: 0 for success, EIO for an error reply with errno 0. */
static int reply_errno(const struct cf_msg *m)
{
    if (!cf_is_error(m))
        return 0;
    return m->hdr.error_no ? (int)m->hdr.error_no : EIO;
}

int cf_dma_map(struct cf_t *t, int fd, uint64_t iova, uint64_t size)
{
    uint8_t req[32];
    struct cf_msg m;
    char what[96];
    int err;

    snprintf(what, sizeof(what), "DMA_MAP of [0x%llx, +0x%llx)%s",
             (unsigned long long)iova, (unsigned long long)size,
             fd < 0 ? " without an fd" : "");
    vuc_wire_enc_dma_map(req, sizeof(req),
                         VFIO_USER_F_DMA_REGION_READ |
                             VFIO_USER_F_DMA_REGION_WRITE,
                         0, iova, size);
    if (!cf_req(t, VFIO_USER_DMA_MAP, req, sizeof(req), &fd, fd >= 0, &m, what))
        return -1;
    err = reply_errno(&m);
    cf_msg_free(&m);
    return err;
}

int cf_dma_unmap(struct cf_t *t, uint64_t iova, uint64_t size, uint32_t flags)
{
    struct vfio_user_dma_unmap req = {
        .argsz = sizeof(req),
        .flags = flags,
        .address = iova,
        .size = size,
    };
    struct cf_msg m;
    char what[96];
    int err;

    snprintf(what, sizeof(what), "DMA_UNMAP of [0x%llx, +0x%llx) flags 0x%x",
             (unsigned long long)iova, (unsigned long long)size, flags);
    if (!cf_req(t, VFIO_USER_DMA_UNMAP, &req, sizeof(req), NULL, 0, &m, what))
        return -1;
    err = reply_errno(&m);
    cf_msg_free(&m);
    return err;
}

int cf_feature(struct cf_t *t, uint32_t flags, const void *data,
               size_t data_len, uint32_t argsz, struct cf_msg *m)
{
    uint8_t req[256];
    ssize_t n = vuc_wire_enc_device_feature(req, sizeof(req), flags, argsz,
                                            data, data_len);
    char what[64];
    int err;

    if (n < 0) {
        cf_fail(t, "cannot encode DEVICE_FEATURE 0x%x", flags);
        return -1;
    }
    snprintf(what, sizeof(what), "DEVICE_FEATURE flags 0x%x", flags);
    if (!cf_req(t, VFIO_USER_DEVICE_FEATURE, req, (size_t)n, NULL, 0, m, what))
        return -1;
    err = reply_errno(m);
    if (err)
        cf_msg_free(m);
    return err;
}

uint64_t cf_page_size(const struct cf_session *s)
{
    uint64_t p = s->pgsizes & -s->pgsizes; /* lowest bit set */

    return p < 4096 ? 4096 : p;
}

void cf_expect_refusal(struct cf_t *t, int rc, struct cf_msg *m,
                       const char *what)
{
    switch (rc) {
    case 0:
        if (!cf_is_error(m))
            cf_fail(t,
                    "%s: got %s, expected an error reply or a closed "
                    "connection",
                    what, cf_reply_text(m));
        cf_msg_free(m);
        return;
    case -ECONNRESET:
    case -EPIPE:
        return; /* closing the connection is a refusal too */
    case -ETIMEDOUT:
        cf_fail(t, "%s: neither a reply nor a closed connection within %d ms",
                what, t->timeout_ms);
        return;
    default:
        cf_fail(t, "%s: %s", what, cf_io_text(rc));
    }
}
