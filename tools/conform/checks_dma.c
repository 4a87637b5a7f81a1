/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DMA windows ("VFIO_USER_DMA_MAP", "VFIO_USER_DMA_UNMAP"). Every check
 * unmaps what it mapped, so the shared session stays as it was.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "conform_int.h"

#define SEC_MAP "VFIO_USER_DMA_MAP"
#define SEC_UNMAP "VFIO_USER_DMA_UNMAP"
#define IOVA 0x40000000ull

/* Map [iova, +size) of a new memfd; false after cf_fail. */
static bool map_ok(struct cf_t *t, uint64_t iova, uint64_t size)
{
    int fd = cf_memfd(t, (size_t)size);
    int err;

    if (fd < 0)
        return false;
    err = cf_dma_map(t, fd, iova, size);
    close(fd);
    if (err > 0)
        cf_fail(t, "DMA_MAP of [0x%llx, +0x%llx): error reply (errno %d, %s)",
                (unsigned long long)iova, (unsigned long long)size, err,
                strerror(err));
    return err == 0;
}

static void unmap_quiet(struct cf_t *t, uint64_t iova, uint64_t size)
{
    if (!t->s->dead)
        cf_dma_unmap(t, iova, size, 0);
}

static void map_unmap(struct cf_t *t)
{
    uint64_t p = cf_page_size(t->s);
    int err;

    if (!map_ok(t, IOVA, 2 * p))
        return;
    err = cf_dma_unmap(t, IOVA, 2 * p, 0);
    if (err > 0)
        cf_fail(t, "DMA_UNMAP of the window just mapped: errno %d (%s)", err,
                strerror(err));
}

static void unmap_echo(struct cf_t *t)
{
    uint64_t p = cf_page_size(t->s);
    struct vfio_user_dma_unmap req = {
        .argsz = sizeof(req), .address = IOVA, .size = p};
    struct vfio_user_dma_unmap back;
    struct cf_msg m;

    if (!map_ok(t, IOVA, p) ||
        !cf_req_ok(t, VFIO_USER_DMA_UNMAP, &req, sizeof(req), NULL, 0, &m,
                   "DMA_UNMAP"))
        return;
    if (m.len != sizeof(back)) {
        cf_fail(t,
                "the DMA_UNMAP reply has %zu payload bytes, not the "
                "24-byte entry sent",
                m.len);
    } else {
        memcpy(&back, m.data, sizeof(back));
        if (back.address != req.address || back.size != req.size ||
            back.flags != req.flags)
            cf_fail(t,
                    "the DMA_UNMAP reply's entry (0x%llx, +0x%llx, flags "
                    "0x%x) is not the one sent",
                    (unsigned long long)back.address,
                    (unsigned long long)back.size, back.flags);
    }
    cf_msg_free(&m);
}

static void map_overlap(struct cf_t *t)
{
    uint64_t p = cf_page_size(t->s);
    int fd, err;

    if (!map_ok(t, IOVA, 2 * p))
        return;
    fd = cf_memfd(t, 2 * p);
    if (fd >= 0) {
        err = cf_dma_map(t, fd, IOVA + p, 2 * p);
        close(fd);
        if (err == 0) {
            cf_fail(t,
                    "a map over [0x%llx, +0x%llx), which overlaps a "
                    "mapped window, was accepted",
                    (unsigned long long)(IOVA + p),
                    (unsigned long long)(2 * p));
            unmap_quiet(t, IOVA + p, 2 * p);
        } else if (err > 0 && err != EEXIST) {
            cf_fail(t,
                    "a map over a mapped window was refused with errno %d "
                    "(%s), not EEXIST",
                    err, strerror(err));
        }
    }
    unmap_quiet(t, IOVA, 2 * p);
}

static void map_unaligned(struct cf_t *t)
{
    uint64_t p = cf_page_size(t->s);
    int fd = cf_memfd(t, 2 * p), err;

    if (fd < 0)
        return;
    err = cf_dma_map(t, fd, IOVA + 1, p);
    close(fd);
    if (err == 0) {
        cf_fail(t,
                "a map at 0x%llx, not aligned to the %llu-byte page size, "
                "was accepted",
                (unsigned long long)(IOVA + 1), (unsigned long long)p);
        unmap_quiet(t, IOVA + 1, p);
    }
}

static void map_zero(struct cf_t *t)
{
    int fd = cf_memfd(t, 4096), err;

    if (fd < 0)
        return;
    err = cf_dma_map(t, fd, IOVA, 0);
    close(fd);
    if (err == 0) {
        cf_fail(t, "a map of size 0 was accepted");
        unmap_quiet(t, IOVA, 0);
    }
}

static void unmap_unknown(struct cf_t *t)
{
    int err = cf_dma_unmap(t, IOVA + 0x100000, cf_page_size(t->s), 0);

    if (err == 0)
        cf_fail(t, "DMA_UNMAP of a window never mapped succeeded");
}

static void unmap_partial(struct cf_t *t)
{
    uint64_t p = cf_page_size(t->s);
    int err;

    if (!map_ok(t, IOVA, 2 * p))
        return;
    err = cf_dma_unmap(t, IOVA, p, 0);
    if (err == 0) {
        cf_fail(t, "DMA_UNMAP of the first half of a mapped window "
                   "succeeded");
        unmap_quiet(t, IOVA + p, p);
    }
    unmap_quiet(t, IOVA, 2 * p);
}

static void max_maps(struct cf_t *t)
{
    uint64_t p = cf_page_size(t->s);
    uint32_t max = t->s->max_dma_maps, i;
    int fd, err = 0;

    if (max > 4096) {
        cf_skip(t, "max_dma_maps is %u: too many windows to fill quickly", max);
        return;
    }
    fd = cf_memfd(t, p);
    if (fd < 0)
        return;
    for (i = 0; i <= max; i++) {
        err = cf_dma_map(t, fd, IOVA + 2 * p * i, p);
        if (err)
            break;
    }
    close(fd);
    if (err < 0)
        return;
    if (i > max)
        cf_fail(t, "max_dma_maps is %u, and %u maps were accepted", max,
                max + 1);
    else if (i < max)
        cf_fail(t,
                "max_dma_maps is %u, yet map %u was refused (errno %d, "
                "%s)",
                max, i + 1, err, strerror(err));
    for (uint32_t k = 0; k < i && k <= max && !t->s->dead; k++)
        cf_dma_unmap(t, IOVA + 2 * p * k, p, 0);
}

static void unmap_all(struct cf_t *t)
{
    uint64_t p = cf_page_size(t->s);
    int err;

    if (!map_ok(t, IOVA, p))
        return;
    if (!map_ok(t, IOVA + 4 * p, p)) {
        unmap_quiet(t, IOVA, p);
        return;
    }
    err = cf_dma_unmap(t, 0, 0, CF_DMA_UNMAP_FLAG_ALL);
    if (err < 0)
        return;
    if (err > 0) {
        /* Refusing a flag the text does not define is allowed. */
        unmap_quiet(t, IOVA, p);
        unmap_quiet(t, IOVA + 4 * p, p);
        return;
    }
    err = cf_dma_unmap(t, IOVA + 4 * p, p, 0);
    if (err == 0)
        cf_fail(t, "after an unmap-all that succeeded, a window mapped before "
                   "could still be unmapped: the maps were kept");
    if (err >= 0 && map_ok(t, IOVA, p))
        unmap_quiet(t, IOVA, p);
}

static void map_no_fd(struct cf_t *t)
{
    uint64_t p = cf_page_size(t->s);
    int err = cf_dma_map(t, -1, IOVA, p);

    if (err == 0) {
        err = cf_dma_unmap(t, IOVA, p, 0);
        if (err > 0)
            cf_fail(t,
                    "a map without an fd was accepted, but its unmap was "
                    "refused (errno %d)",
                    err);
    }
}

static void after_reconnect(struct cf_t *t)
{
    struct cf_session *s = cf_open_session(t);
    uint64_t p;

    if (!s)
        return;
    t->s = s;
    p = cf_page_size(s);
    if (!map_ok(t, IOVA, p)) {
        t->s = NULL;
        cf_session_close(s);
        return;
    }
    cf_session_close(s);
    t->s = cf_reopen_session(t);
    if (!t->s)
        return;
    if (map_ok(t, IOVA, p))
        unmap_quiet(t, IOVA, p);
    else if (!cf_failed(t))
        cf_fail(t, "the window mapped by the previous client could not be "
                   "mapped again");
    cf_session_close(t->s);
    t->s = NULL;
}

static const struct cf_check checks[] = {
    {"dma.map-unmap", SEC_MAP, CF_MUST, 0,
     "This command message is sent by the client to the server to inform it "
     "of the memory regions the server can access: a map with an fd and its "
     "unmap succeed.",
     map_unmap},
    {"dma.unmap-echo", SEC_UNMAP, CF_MUST, 0,
     "The server responds with the original DMA entry in the request.",
     unmap_echo},
    {"dma.map-overlap", SEC_MAP, CF_MUST, 0,
     "A command to map over an existing region must be failed by the server "
     "with EEXIST set in error field in the reply.",
     map_overlap},
    {"dma.map-unaligned", "VFIO_USER_VERSION", CF_SHOULD, 0,
     "pgsizes: Page sizes supported in DMA map operations. SHOULD: the text "
     "does not say that a map not aligned to them is refused.",
     map_unaligned},
    {"dma.map-zero-size", SEC_MAP, CF_SHOULD, 0,
     "size is the size of the region. SHOULD: the text does not forbid size "
     "0; a window of no bytes is refused by servers that validate input.",
     map_zero},
    {"dma.unmap-unknown", SEC_UNMAP, CF_MUST, 0,
     "The address and size of the DMA region being unmapped must match "
     "exactly a previous mapping: an unknown window is refused.",
     unmap_unknown},
    {"dma.unmap-partial", SEC_UNMAP, CF_MUST, 0,
     "The address and size of the DMA region being unmapped must match "
     "exactly a previous mapping: half a window is refused.",
     unmap_partial},
    {"dma.max-maps", "VFIO_USER_VERSION", CF_MUST, 0,
     "max_dma_maps: Maximum number DMA map windows that can be valid "
     "simultaneously: that many maps succeed, one more is refused.",
     max_maps},
    {"dma.unmap-all", SEC_UNMAP, CF_SHOULD, 0,
     "flags is unused in this version. SHOULD: an unmap with VFIO's "
     "UNMAP_FLAG_ALL may be refused, but if it succeeds no window remains.",
     unmap_all},
    {"dma.map-without-fd", SEC_MAP, CF_MUST, 0,
     "if the DMA region cannot be directly mapped by the server, no file "
     "descriptor must be sent: such a map is answered, and if accepted its "
     "unmap succeeds.",
     map_no_fd},
    {"dma.unmapped-on-disconnect", "Client Disconnection", CF_SHOULD, CF_FRESH,
     "all client memory regions are unmapped and cleaned up: a window the "
     "previous client left mapped can be mapped again. SHOULD: the text says "
     "the server should.",
     after_reconnect},
};

const struct cf_group cf_dma_checks = {checks,
                                       sizeof(checks) / sizeof(checks[0])};
