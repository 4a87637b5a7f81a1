/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DMA memory: allocation (sealed memfds), the map table (sorted by IOVA, so
 * both overlap checks and the server's DMA requests are a binary search),
 * DMA_MAP/DMA_UNMAP, and mapping again after a reconnect. Access to the
 * memory is dma_access.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <event2/event.h>

#include "client.h"
#include "conn.h"
#include "dma.h"
#include "dma_map.h"
#include "wire.h"

#ifndef MFD_HUGETLB
#define MFD_HUGETLB 0x0004u
#endif
#ifndef MFD_HUGE_2MB
#define MFD_HUGE_2MB (21u << 26)
#endif

/* IOVAs libvuc picks start here: low addresses stay free for callers that
 * want fixed ones, and IOVA 0 (which some servers treat as "none") is never
 * handed out. */
#define IOVA_BASE (1ull << 32)
#define IOVA_LIMIT (1ull << 47)
#define HUGE_PAGE (2ull << 20)
/* ---- The table ----------------------------------------------------------- */

/* Index of the first map whose iova is > iova. */
static unsigned upper_bound(const struct vuc_client *c, uint64_t iova)
{
    unsigned lo = 0, hi = c->dma.n;
    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        if (c->dma.maps[mid]->iova <= iova) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

struct vuc_dma_map *vuc_dma_find(const struct vuc_client *client, uint64_t iova,
                                 size_t len)
{
    unsigned i = upper_bound(client, iova);
    if (i == 0) {
        return NULL;
    }
    struct vuc_dma_map *m = client->dma.maps[i - 1];
    uint64_t off = iova - m->iova;
    if (off >= m->size || len > m->size - off) {
        return NULL;
    }
    return m;
}

/* Would [iova, iova + size) overlap an existing map? */
static bool overlaps(const struct vuc_client *c, uint64_t iova, uint64_t size)
{
    unsigned i = upper_bound(c, iova);
    if (i > 0 && c->dma.maps[i - 1]->iova + c->dma.maps[i - 1]->size > iova) {
        return true;
    }
    return i < c->dma.n && c->dma.maps[i]->iova < iova + size;
}

static int table_insert(struct vuc_client *c, struct vuc_dma_map *m)
{
    if (c->dma.n == c->dma.cap) {
        unsigned cap = c->dma.cap ? c->dma.cap * 2 : 16;
        struct vuc_dma_map **t = realloc(c->dma.maps, cap * sizeof(*t));
        if (t == NULL) {
            return -ENOMEM;
        }
        c->dma.maps = t;
        c->dma.cap = cap;
    }
    unsigned i = upper_bound(c, m->iova);
    memmove(&c->dma.maps[i + 1], &c->dma.maps[i],
            (c->dma.n - i) * sizeof(*c->dma.maps));
    c->dma.maps[i] = m;
    c->dma.n++;
    return 0;
}

static void table_remove(struct vuc_client *c, struct vuc_dma_map *m)
{
    unsigned i = upper_bound(c, m->iova);
    if (i > 0 && c->dma.maps[i - 1] == m) {
        memmove(&c->dma.maps[i - 1], &c->dma.maps[i],
                (c->dma.n - i) * sizeof(*c->dma.maps));
        c->dma.n--;
    }
}

static void map_release(struct vuc_dma_map *m)
{
    if (m->owns_memory && m->vaddr != NULL) {
        munmap(m->vaddr, m->mapped_len);
    }
    if (m->fd >= 0) {
        close(m->fd);
    }
    free(m->dirty);
    free(m);
}

unsigned vuc_dma_count(const struct vuc_client *client)
{
    return client->dma.n;
}

struct vuc_dma_map *vuc_dma_at(const struct vuc_client *client, unsigned i)
{
    return i < client->dma.n ? client->dma.maps[i] : NULL;
}

uint64_t vuc_dma_iova(const struct vuc_dma_map *map)
{
    return map->iova;
}

size_t vuc_dma_size(const struct vuc_dma_map *map)
{
    return map->size;
}

void *vuc_dma_vaddr(const struct vuc_dma_map *map)
{
    return map->vaddr;
}

unsigned vuc_dma_map_flags(const struct vuc_dma_map *map)
{
    return map->flags;
}

int vuc_dma_fd(const struct vuc_dma_map *map)
{
    return map->fd;
}

/* ---- Choosing and checking IOVAs ----------------------------------------- */

/* The smallest page size the server accepts in DMA maps. */
static uint64_t min_pgsize(const struct vuc_client *c)
{
    uint64_t p = c->caps.pgsizes ? c->caps.pgsizes : 4096;
    return p & -p;
}

static int pick_iova(const struct vuc_client *c, uint64_t size, uint64_t align,
                     uint64_t *iova)
{
    uint64_t cand = IOVA_BASE;
    /* First fit; allocation is rare next to the requests served. */
    for (unsigned i = 0; i < c->dma.n; i++) {
        const struct vuc_dma_map *m = c->dma.maps[i];
        if (m->iova + m->size <= cand) {
            continue;
        }
        if (m->iova >= cand + size) {
            break; /* the gap before m fits */
        }
        cand = (m->iova + m->size + align - 1) & ~(align - 1);
    }
    if (cand + size > IOVA_LIMIT || cand + size < cand) {
        return -ENOSPC;
    }
    *iova = cand;
    return 0;
}

static int check_new_map(struct vuc_client *c, uint64_t *iova, uint64_t size,
                         unsigned flags, uint64_t align)
{
    if (!c->connected) {
        return vuc_fail(c, -ENOTCONN, "dma map: not connected");
    }
    if (flags &
        ~(VUC_DMA_READ | VUC_DMA_WRITE | VUC_DMA_NOSHARE | VUC_DMA_HUGETLB)) {
        return vuc_fail(c, -EINVAL, "dma map: unknown flags 0x%x", flags);
    }
    if (!(flags & (VUC_DMA_READ | VUC_DMA_WRITE))) {
        return vuc_fail(c, -EINVAL,
                        "dma map: the device must be allowed to read or "
                        "write");
    }
    if (size == 0 || size % align != 0) {
        return vuc_fail(c, -EINVAL,
                        "dma map: size 0x%llx is not a non-zero multiple of "
                        "the page size 0x%llx",
                        (unsigned long long)size, (unsigned long long)align);
    }
    if (c->dma.n >= c->caps.max_dma_maps) {
        return vuc_fail(c, -ENOSPC,
                        "dma map: the server's limit of %u maps is reached",
                        c->caps.max_dma_maps);
    }
    if (*iova == VUC_IOVA_ANY) {
        if (pick_iova(c, size, align, iova) < 0) {
            return vuc_fail(c, -ENOSPC,
                            "dma map: no free IOVA range of 0x%llx bytes",
                            (unsigned long long)size);
        }
        return 0;
    }
    uint64_t end;
    if (*iova % align != 0 || __builtin_add_overflow(*iova, size, &end)) {
        return vuc_fail(c, -EINVAL,
                        "dma map: IOVA 0x%llx is not aligned to the page size "
                        "0x%llx or the range wraps",
                        (unsigned long long)*iova, (unsigned long long)align);
    }
    if (overlaps(c, *iova, size)) {
        return vuc_fail(c, -EEXIST,
                        "dma map: [0x%llx, +0x%llx) overlaps an existing map",
                        (unsigned long long)*iova, (unsigned long long)size);
    }
    return 0;
}

/* ---- DMA_MAP ------------------------------------------------------------- */

static void map_reply(struct vuc_client *c, struct vuc_req *req,
                      struct vuc_reply *r)
{
    struct vuc_dma_map *m = req->op;
    struct vuc_wire_err err;
    int rc = r->err;

    if (rc == 0) {
        rc = vuc_wire_dec_empty_reply(VFIO_USER_DMA_MAP, r->len, r->nfds, &err);
        if (rc < 0) {
            vuc_fail(c, rc, "%s", err.text);
        }
    }
    vuc_dma_map_cb cb = m->map_cb;
    void *arg = m->arg;
    m->map_cb = NULL;
    if (rc < 0) {
        table_remove(c, m);
        map_release(m);
        cb(c, rc, NULL, arg);
        return;
    }
    m->state = MAP_ACTIVE;
    cb(c, 0, m, arg);
}

static int map_send(struct vuc_client *c, struct vuc_dma_map *m, int timeout_ms,
                    vuc_req_fn reply)
{
    void *payload;
    int rc;
    size_t len = sizeof(struct vfio_user_dma_map);
    bool share = m->fd >= 0 && !(m->flags & VUC_DMA_NOSHARE);
    struct vuc_req *req =
        vuc_req_start(c, VFIO_USER_DMA_MAP, len, &payload, &rc);

    if (req == NULL) {
        return rc;
    }
    uint32_t wflags = 0;
    if (m->flags & VUC_DMA_READ) {
        wflags |= VFIO_USER_F_DMA_REGION_READ;
    }
    if (m->flags & VUC_DMA_WRITE) {
        wflags |= VFIO_USER_F_DMA_REGION_WRITE;
    }
    ssize_t n = vuc_wire_enc_dma_map(
        payload, len, wflags, share ? m->fd_offset : 0, m->iova, m->size);
    if (n < 0) {
        vuc_req_abandon(c, req);
        return vuc_fail(c, (int)n, "cannot encode DMA_MAP");
    }
    int fd = -1;
    if (share && (fd = fcntl(m->fd, F_DUPFD_CLOEXEC, 3)) < 0) {
        vuc_req_abandon(c, req);
        return vuc_fail(c, -errno, "dma map: dup: %s", strerror(errno));
    }
    req->op = m;
    return vuc_req_submit(c, req, (size_t)n, timeout_ms, reply,
                          share ? &fd : NULL, share ? 1 : 0);
}

static int map_start(struct vuc_client *c, struct vuc_dma_map *m,
                     int timeout_ms, vuc_dma_map_cb cb, void *arg)
{
    if (c->opts.dma_noshare) {
        m->flags |= VUC_DMA_NOSHARE;
    }
    size_t words = (m->size / DIRTY_PAGE + 63) / 64;
    m->dirty = calloc(words ? words : 1, sizeof(uint64_t));
    if (m->dirty == NULL || table_insert(c, m) < 0) {
        map_release(m);
        return vuc_fail(c, -ENOMEM, "dma map: out of memory");
    }
    m->state = MAP_MAPPING;
    m->map_cb = cb;
    m->arg = arg;
    int rc = map_send(c, m, timeout_ms, map_reply);
    if (rc < 0) {
        table_remove(c, m);
        map_release(m);
    }
    return rc;
}

int vuc_dma_alloc_async(struct vuc_client *client, size_t size, uint64_t iova,
                        unsigned flags, int timeout_ms, vuc_dma_map_cb cb,
                        void *arg)
{
    struct vuc_client *c = client;

    vuc_begin(c);
    if (cb == NULL) {
        return vuc_fail(c, -EINVAL, "dma alloc: needs a callback");
    }
    int rc = vuc_conn_room(c, "dma alloc");
    if (rc < 0) {
        return rc;
    }
    uint64_t align = min_pgsize(c);
    if ((flags & VUC_DMA_HUGETLB) && align < HUGE_PAGE) {
        align = HUGE_PAGE;
    }
    uint64_t rounded = ((uint64_t)size + align - 1) & ~(align - 1);
    if (size == 0 || rounded < size) {
        return vuc_fail(c, -EINVAL, "dma alloc: bad size 0x%zx", size);
    }
    rc = check_new_map(c, &iova, rounded, flags, align);
    if (rc < 0) {
        return rc;
    }

    struct vuc_dma_map *m = calloc(1, sizeof(*m));
    if (m == NULL) {
        return vuc_fail(c, -ENOMEM, "dma alloc: out of memory");
    }
    m->fd = -1;
    m->iova = iova;
    m->size = rounded;
    m->flags = flags;
    m->owns_memory = true;

    /* Sized, then sealed: from here on no one, the server included, can
     * shrink the file under our mapping (SIGBUS) or grow it. */
    unsigned mfd = MFD_CLOEXEC | MFD_ALLOW_SEALING;
    if (flags & VUC_DMA_HUGETLB) {
        /* 2 MiB pages by name, not the system default, which may be 1 GiB:
         * the size was rounded and the IOVA aligned for 2 MiB. */
        mfd |= MFD_HUGETLB | MFD_HUGE_2MB;
    }
    void *pooled;
    bool share = !(flags & VUC_DMA_NOSHARE) && !c->opts.dma_noshare;
    if (!(flags & VUC_DMA_HUGETLB) &&
        vuc_dma_pool_take(c, rounded, share, &m->fd, &pooled)) {
        m->vaddr = pooled;
        m->mapped_len = rounded;
        return map_start(c, m, timeout_ms, cb, arg);
    }
    m->fd = memfd_create("vuc-dma", mfd);
    if (m->fd < 0 && errno == EINVAL && (flags & VUC_DMA_HUGETLB)) {
        rc = vuc_fail(c, -ENOTSUP,
                      "dma alloc: this kernel has no hugetlb memfd with 2 "
                      "MiB pages");
        goto fail;
    }
    if (m->fd < 0) {
        rc =
            vuc_fail(c, -errno, "dma alloc: memfd_create: %s", strerror(errno));
        goto fail;
    }
    if (ftruncate(m->fd, (off_t)rounded) < 0 ||
        fcntl(m->fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) <
            0) {
        rc = vuc_fail(c, -errno, "dma alloc: sizing and sealing: %s",
                      strerror(errno));
        goto fail;
    }
    m->vaddr =
        mmap(NULL, rounded, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd, 0);
    if (m->vaddr == MAP_FAILED) {
        m->vaddr = NULL;
        /* hugetlbfs reserves the pages at mmap: this is where a pool that
         * is too small shows. */
        if (errno == ENOMEM && (flags & VUC_DMA_HUGETLB)) {
            rc = vuc_fail(c, -ENOMEM,
                          "dma alloc: not enough free 2 MiB huge pages for "
                          "0x%" PRIx64 " bytes (%" PRIu64 " pages; see "
                          "/proc/sys/vm/nr_hugepages)",
                          rounded, (uint64_t)(rounded / HUGE_PAGE));
        } else {
            rc = vuc_fail(c, -errno, "dma alloc: mmap: %s", strerror(errno));
        }
        goto fail;
    }
    m->mapped_len = rounded;
    return map_start(c, m, timeout_ms, cb, arg);
fail:
    map_release(m);
    return rc;
}

int vuc_dma_map_async(struct vuc_client *client, int fd, uint64_t fd_offset,
                      void *vaddr, size_t size, uint64_t iova, unsigned flags,
                      int timeout_ms, vuc_dma_map_cb cb, void *arg)
{
    struct vuc_client *c = client;

    vuc_begin(c);
    if (cb == NULL || vaddr == NULL) {
        return vuc_fail(c, -EINVAL,
                        "dma map: needs the memory's address and a callback");
    }
    if (flags & VUC_DMA_HUGETLB) {
        return vuc_fail(c, -EINVAL,
                        "dma map: VUC_DMA_HUGETLB only applies to dma alloc");
    }
    int room = vuc_conn_room(c, "dma map");
    if (room < 0) {
        return room;
    }
    uint64_t align = min_pgsize(c);
    if (fd >= 0 && fd_offset % align != 0) {
        return vuc_fail(c, -EINVAL,
                        "dma map: fd offset 0x%llx is not page aligned",
                        (unsigned long long)fd_offset);
    }
    int rc = check_new_map(c, &iova, size, flags, align);
    if (rc < 0) {
        return rc;
    }
    struct vuc_dma_map *m = calloc(1, sizeof(*m));
    if (m == NULL) {
        return vuc_fail(c, -ENOMEM, "dma map: out of memory");
    }
    m->fd = -1;
    if (fd >= 0 && (m->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3)) < 0) {
        rc = vuc_fail(c, -errno, "dma map: fd %d: %s", fd, strerror(errno));
        free(m);
        return rc;
    }
    m->iova = iova;
    m->size = size;
    m->vaddr = vaddr;
    m->fd_offset = fd_offset;
    m->flags = flags;
    return map_start(c, m, timeout_ms, cb, arg);
}

/* ---- DMA_UNMAP ----------------------------------------------------------- */

/* released: the server no longer has the map (even when rc reports that
 * something else went wrong). */
static void unmap_finish(struct vuc_client *c, struct vuc_dma_map *m, int rc,
                         bool released)
{
    vuc_done_cb cb = m->unmap_cb;
    void *arg = m->arg;

    m->unmap_cb = NULL;
    m->unmap_bitmap = NULL;
    if (released) {
        table_remove(c, m);
        /* The memory of an allocation may serve the next one. */
        if (m->owns_memory && m->vaddr != NULL && !m->outlived_conn &&
            !(m->flags & VUC_DMA_HUGETLB) &&
            vuc_dma_pool_give(c, m->fd, m->vaddr, m->mapped_len,
                              !(m->flags & VUC_DMA_NOSHARE))) {
            m->fd = -1;
            m->vaddr = NULL;
        }
        map_release(m);
    } else if (m->state == MAP_UNMAPPING) {
        m->state = MAP_ACTIVE; /* the server still has it */
    }
    cb(c, rc, arg);
}

static void unmap_reply(struct vuc_client *c, struct vuc_req *req,
                        struct vuc_reply *r)
{
    struct vuc_dma_map *m = req->op;
    struct vuc_wire_err err;
    bool dirty = m->unmap_bitmap != NULL;
    uint64_t bytes = dirty ? vuc_wire_bitmap_size(m->size, m->unmap_pgsize) : 0;
    int rc = r->err;

    if (rc == 0) {
        const uint8_t *bitmap;
        rc = vuc_wire_dec_dma_unmap_reply(r->payload, r->len, r->nfds, m->iova,
                                          m->size, dirty, m->unmap_pgsize,
                                          bytes, &bitmap, &err);
        if (rc < 0) {
            vuc_fail(c, rc, "%s", err.text);
        } else if (dirty) {
            memcpy(m->unmap_bitmap, bitmap, bytes);
            vuc_dma_msg_dirty_merge(c, m->iova, m->size, m->unmap_pgsize,
                                    m->unmap_bitmap);
        }
        unmap_finish(c, m, rc, rc == 0);
    } else if (r->hdr == NULL &&
               (rc == -ECONNRESET || rc == -EPROTO || rc == -ECANCELED)) {
        /* The server dropped every map with the connection ("Client
         * Disconnection"): the unmap has happened, but a bitmap asked for
         * is lost with it. */
        if (dirty) {
            vuc_fail(c, rc,
                     "dma unmap: the connection ended; the dirty "
                     "bitmap is unknown");
        }
        unmap_finish(c, m, dirty ? rc : 0, true);
    } else {
        unmap_finish(c, m, rc, false);
    }
}

/* An unmap that needs no message completes on the next loop iteration. */
static void local_unmap_run(struct vuc_client *c, struct vuc_deferred *d,
                            int err)
{
    struct vuc_dma_map *m =
        (struct vuc_dma_map *)((char *)d -
                               offsetof(struct vuc_dma_map, deferred));
    unmap_finish(c, m, 0, true);
}

static int unmap_start(struct vuc_client *c, struct vuc_dma_map *m,
                       uint64_t *bitmap, uint64_t pgsize, int timeout_ms,
                       vuc_done_cb cb, void *arg)
{
    if (cb == NULL || m == NULL) {
        return vuc_fail(c, -EINVAL, "dma unmap: needs a map and a callback");
    }
    if (m->state == MAP_UNMAPPING || m->unmap_cb != NULL) {
        return vuc_fail(c, -EBUSY,
                        "dma unmap: 0x%llx is already being "
                        "unmapped",
                        (unsigned long long)m->iova);
    }
    if (m->state == MAP_MAPPING) {
        return vuc_fail(c, -EBUSY, "dma unmap: 0x%llx is still being mapped",
                        (unsigned long long)m->iova);
    }
    if (bitmap != NULL && (m->state == MAP_LOCAL || !c->connected)) {
        return vuc_fail(c, -ENOTCONN,
                        "dma unmap: no server to ask for the "
                        "dirty bitmap");
    }
    m->unmap_cb = cb;
    m->arg = arg;
    if (m->state == MAP_LOCAL || !c->connected) {
        /* Nothing to tell a server that is gone. */
        m->state = MAP_UNMAPPING;
        m->deferred.fn = local_unmap_run;
        vuc_defer(c, &m->deferred);
        return 0;
    }

    void *payload;
    int rc;
    uint64_t bytes = bitmap ? vuc_wire_bitmap_size(m->size, pgsize) : 0;
    size_t len = sizeof(struct vfio_user_dma_unmap) +
                 (bitmap ? sizeof(struct vfio_user_bitmap) : 0);
    struct vuc_req *req =
        vuc_req_start(c, VFIO_USER_DMA_UNMAP, len, &payload, &rc);
    if (req == NULL) {
        m->unmap_cb = NULL;
        return rc;
    }
    ssize_t n = vuc_wire_enc_dma_unmap(payload, len, m->iova, m->size,
                                       bitmap != NULL, pgsize, bytes);
    if (n < 0) {
        vuc_req_abandon(c, req);
        m->unmap_cb = NULL;
        return vuc_fail(c, (int)n, "cannot encode DMA_UNMAP");
    }
    req->op = m;
    rc = vuc_req_submit(c, req, (size_t)n, timeout_ms, unmap_reply, NULL, 0);
    if (rc < 0) {
        m->unmap_cb = NULL;
        return rc;
    }
    m->unmap_bitmap = bitmap;
    m->unmap_pgsize = pgsize;
    m->state = MAP_UNMAPPING;
    return 0;
}

int vuc_dma_unmap_async(struct vuc_client *client, struct vuc_dma_map *map,
                        int timeout_ms, vuc_done_cb cb, void *arg)
{
    vuc_begin(client);
    int rc = vuc_conn_room(client, "dma unmap");
    if (rc < 0) {
        return rc;
    }
    return unmap_start(client, map, NULL, 0, timeout_ms, cb, arg);
}

int vuc_dma_unmap_dirty_async(struct vuc_client *client,
                              struct vuc_dma_map *map, uint64_t page_size,
                              uint64_t *bitmap, size_t words, int timeout_ms,
                              vuc_done_cb cb, void *arg)
{
    struct vuc_client *c = client;

    vuc_begin(c);
    if (map == NULL || bitmap == NULL) {
        return vuc_fail(c, -EINVAL, "dma unmap: needs a map and a bitmap");
    }
    int room = vuc_conn_room(c, "dma unmap");
    if (room < 0) {
        return room;
    }
    if (c->dirty.mode != VUC_DIRTY_LEGACY) {
        return vuc_fail(c, -ENOTSUP,
                        "dma unmap: the dirty bitmap on unmap is the legacy "
                        "(0.9.1) mechanism; with DMA logging, report before "
                        "unmapping");
    }
    uint64_t bytes = vuc_wire_bitmap_size(map->size, page_size);
    if (page_size < 4096 || bytes == 0 || map->size % page_size != 0) {
        return vuc_fail(c, -EINVAL,
                        "dma unmap: page size 0x%llx is not a power of two "
                        "of at least 4 KiB dividing the map",
                        (unsigned long long)page_size);
    }
    if (words * 8 < bytes) {
        return vuc_fail(c, -ENOSPC,
                        "dma unmap: the bitmap needs %llu words, %zu given",
                        (unsigned long long)(bytes / 8), words);
    }
    memset(bitmap, 0, words * 8);
    return unmap_start(c, map, bitmap, page_size, timeout_ms, cb, arg);
}

/* ---- Connection changes -------------------------------------------------- */

/* ---- After a reconnect ----------------------------------------------------
 */

/* Every held map mapped again: one DMA_MAP each, one completion for all. */
struct dma_restore {
    unsigned outstanding;
    int result;
    vuc_done_cb done;
    void *arg;
};

static void restore_step(struct vuc_client *c, struct dma_restore *op, int rc)
{
    if (rc < 0 && op->result == 0) {
        op->result = rc;
    }
    if (--op->outstanding > 0) {
        return;
    }
    vuc_done_cb done = op->done;
    void *arg = op->arg;
    int result = op->result;
    free(op);
    done(c, result, arg);
}

static void restore_reply(struct vuc_client *c, struct vuc_req *req,
                          struct vuc_reply *r)
{
    struct vuc_dma_map *m = req->op;
    struct dma_restore *op = m->arg;
    struct vuc_wire_err err;
    int rc = r->err;

    m->arg = NULL;
    if (rc == 0) {
        rc = vuc_wire_dec_empty_reply(VFIO_USER_DMA_MAP, r->len, r->nfds, &err);
        if (rc < 0) {
            vuc_fail(c, rc, "%s", err.text);
        }
    }
    /* Refused, the map stays ours alone, as it was before. */
    m->state = rc == 0 ? MAP_ACTIVE : MAP_LOCAL;
    if (rc < 0 && r->hdr != NULL) {
        vuc_fail(c, rc,
                 "reconnect: the server refused DMA_MAP of 0x%" PRIx64
                 " (+0x%zx): %s",
                 m->iova, m->size, strerror(-rc));
    }
    restore_step(c, op, rc);
}

int vuc_dma_restore(struct vuc_client *c, vuc_done_cb done, void *arg)
{
    uint64_t align = min_pgsize(c);
    unsigned held = 0;

    /* Refuse what the new server cannot take before sending anything. */
    for (unsigned i = 0; i < c->dma.n; i++) {
        const struct vuc_dma_map *m = c->dma.maps[i];
        if (m->state != MAP_LOCAL) {
            continue;
        }
        held++;
        if (m->iova % align != 0 || m->size % align != 0) {
            return vuc_fail(c, -EINVAL,
                            "reconnect: DMA map 0x%" PRIx64 " (+0x%zx) is not "
                            "aligned to the server's page size 0x%" PRIx64,
                            m->iova, m->size, align);
        }
    }
    if (held == 0) {
        return 1;
    }
    if (c->dma.n > c->caps.max_dma_maps) {
        return vuc_fail(c, -ENOSPC,
                        "reconnect: %u DMA maps to set up again, but the "
                        "server takes at most %u",
                        c->dma.n, c->caps.max_dma_maps);
    }
    struct dma_restore *op = calloc(1, sizeof(*op));
    if (op == NULL) {
        return vuc_fail(c, -ENOMEM, "reconnect: out of memory");
    }
    op->done = done;
    op->arg = arg;
    op->outstanding = 1; /* held while sending */
    for (unsigned i = 0; i < c->dma.n; i++) {
        struct vuc_dma_map *m = c->dma.maps[i];
        if (m->state != MAP_LOCAL) {
            continue;
        }
        /* The map is MAPPING until the reply: nothing else uses its arg
         * (an unmap is refused meanwhile). */
        m->state = MAP_MAPPING;
        m->arg = op;
        int rc = map_send(c, m, VUC_TIMEOUT_DEFAULT, restore_reply);
        if (rc < 0) {
            m->state = MAP_LOCAL;
            m->arg = NULL;
            op->result = rc;
            break;
        }
        op->outstanding++;
    }
    if (op->outstanding == 1 && op->result < 0) {
        /* Nothing went out: fail the call itself, done is not called. */
        int rc = op->result;
        free(op);
        return rc;
    }
    restore_step(c, op, 0);
    return 0;
}

static void dma_conn_lost(struct vuc_client *c)
{
    vuc_dma_pool_drop_shared(c);
    /* The server dropped them all; what remains is only our memory. */
    for (unsigned i = 0; i < c->dma.n; i++) {
        c->dma.maps[i]->outlived_conn = true;
        if (c->dma.maps[i]->state == MAP_ACTIVE) {
            c->dma.maps[i]->state = MAP_LOCAL;
        }
    }
}

static void dma_release_all(struct vuc_client *c)
{
    for (unsigned i = 0; i < c->dma.n; i++) {
        map_release(c->dma.maps[i]);
    }
    free(c->dma.maps);
    c->dma.maps = NULL;
    c->dma.n = c->dma.cap = 0;
    vuc_dma_pool_release(c);
}

const struct vuc_feature vuc_dma_feature = {
    .name = "dma",
    .conn_lost = dma_conn_lost,
    .release = dma_release_all,
};
