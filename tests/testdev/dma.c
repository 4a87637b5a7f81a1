/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The DMA map table: DMA_MAP and DMA_UNMAP, lookups for the DMA engine,
 * direct access to the client memory of maps that came with an fd, and the
 * record of pages written that way (for dirty page logging).
 *
 * Maps are kept sorted by address so that overlap checks and lookups only
 * ever look at neighbours. A map with an fd is mmap()ed at once, so that a
 * bad fd, offset or size is refused when the client can still be told, not
 * when the device first touches the memory.
 *
 * The table changes only while a client message is handled, and the DMA
 * engine runs its job to completion before the next one is, so a map the
 * engine found stays valid for the whole job: an unmap sent mid-job is
 * handled after it ("DMA_UNMAP" lets the server finish its accesses
 * before it replies).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testdev.h"

#define DMA_RW (VFIO_USER_F_DMA_REGION_READ | VFIO_USER_F_DMA_REGION_WRITE)

/*
 * A client may shrink the file behind an unsealed map under our mapping;
 * touching the lost pages then raises SIGBUS. Direct accesses run with a
 * jump buffer set so the handler can turn that into EFAULT for the job.
 * Anywhere else SIGBUS is a bug of ours and keeps its default action.
 */
static sigjmp_buf *volatile bus_jump;

static void on_sigbus(int sig, siginfo_t *si, void *ctx)
{
    struct sigaction dfl = {.sa_handler = SIG_DFL};

    (void)si;
    (void)ctx;
    if (bus_jump)
        siglongjmp(*bus_jump, 1);
    /* Returning re-executes the access, which now kills us. */
    sigemptyset(&dfl.sa_mask);
    sigaction(sig, &dfl, NULL);
}

static int guarded_copy(void *dst, const void *src, size_t len)
{
    sigjmp_buf jump;

    /* Saving the mask restores it on the jump: SIGBUS is blocked while
     * its handler runs. */
    if (sigsetjmp(jump, 1)) {
        bus_jump = NULL;
        return EFAULT;
    }
    bus_jump = &jump;
    memcpy(dst, src, len);
    bus_jump = NULL;
    return 0;
}

void dma_init(struct td_dma *dma)
{
    struct sigaction sa = {.sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO};

    memset(dma, 0, sizeof(*dma));
    dma->limit = TESTDEV_DEFAULT_MAX_DMA_MAPS;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGBUS, &sa, NULL);
}

static void map_release(struct td_dma_map *mp)
{
    if (mp->mem)
        munmap(mp->mem, (size_t)mp->size);
    if (mp->fd >= 0)
        close(mp->fd);
    free(mp->dirty);
    mp->mem = NULL;
    mp->fd = -1;
    mp->dirty = NULL;
}

void dma_release_all(struct td_dma *dma)
{
    size_t i;

    /* Logging belongs to the client's session like its maps. */
    dma_log_stop(dma);
    for (i = 0; i < dma->count; i++)
        map_release(&dma->maps[i]);
    dma->count = 0;
}

void dma_fini(struct td_dma *dma)
{
    dma_release_all(dma);
    free(dma->maps);
    dma->maps = NULL;
    dma->cap = 0;
}

/* Index of the first map that ends after @p address. */
static size_t first_ending_after(const struct td_dma *dma, uint64_t address)
{
    size_t lo = 0, hi = dma->count;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct td_dma_map *mp = &dma->maps[mid];

        if (mp->address + (mp->size - 1) < address)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static bool overlaps(const struct td_dma_map *mp, uint64_t address,
                     uint64_t size)
{
    /* Inclusive ends: a range may end at 2^64 - 1. */
    return mp->address <= address + (size - 1) &&
           address <= mp->address + (mp->size - 1);
}

static int check_range(const char *cmd, uint64_t address, uint64_t size)
{
    if (size == 0)
        return td_fail(EINVAL, "%s: size is 0", cmd);
    if ((address | size) & (TD_PAGE_SIZE - 1))
        return td_fail(EINVAL,
                       "%s: address 0x%llx and size 0x%llx must be multiples "
                       "of the 4096-byte page size",
                       cmd, (unsigned long long)address,
                       (unsigned long long)size);
    if (size - 1 > UINT64_MAX - address)
        return td_fail(EINVAL, "%s: address 0x%llx + size 0x%llx wraps", cmd,
                       (unsigned long long)address, (unsigned long long)size);
    return 0;
}

int dma_lookup(struct td_dma *dma, uint64_t address, uint64_t len,
               struct td_dma_map **mp)
{
    size_t pos = first_ending_after(dma, address);
    struct td_dma_map *m;

    *mp = NULL;
    if (pos >= dma->count || dma->maps[pos].address > address)
        return ENOENT;
    m = &dma->maps[pos];
    /* Inclusive ends again; len >= 1 is the caller's. */
    *mp = m;
    if (len - 1 > UINT64_MAX - address ||
        address + (len - 1) > m->address + (m->size - 1))
        return EFAULT;
    return 0;
}

/* Words of a map's dirty record: sizes are page multiples. */
static size_t dirty_words(const struct td_dma_map *mp)
{
    return (size_t)((mp->size / TD_PAGE_SIZE + 63) / 64);
}

int dma_mem_read(struct td_dma_map *mp, uint64_t offset, void *buf, size_t len)
{
    /* A sealed file cannot shrink, so its pages cannot go: the guard, two
     * sigprocmask calls, is only for unsealed ones (a device's data path
     * copies on every command). */
    if (mp->sealed) {
        memcpy(buf, (uint8_t *)mp->mem + offset, len);
        return 0;
    }
    return guarded_copy(buf, (uint8_t *)mp->mem + offset, len);
}

/* Pages @p first..@p last (inclusive) of the map. */
static void record_pages(struct td_dma_map *mp, uint64_t first, uint64_t last)
{
    uint64_t page;

    for (page = first; page <= last; page++)
        mp->dirty[page / 64] |= 1ull << (page % 64);
}

/* The pages of [offset, offset + len) of the map that lie in a logged
 * range; len >= 1 and the bytes are inside the map. */
static void record_write(const struct td_dma *dma, struct td_dma_map *mp,
                         uint64_t offset, size_t len)
{
    uint64_t a = mp->address + offset, b = a + (len - 1);
    size_t i;

    if (!dma->log_nranges) {
        record_pages(mp, offset / TD_PAGE_SIZE,
                     (offset + len - 1) / TD_PAGE_SIZE);
        return;
    }
    for (i = 0; i < dma->log_nranges; i++) {
        const struct vfio_user_dma_logging_range *rg = &dma->log_ranges[i];
        /* Inclusive ends: dirty.c made sure a range does not wrap. */
        uint64_t lo = rg->iova > a ? rg->iova : a;
        uint64_t end = rg->iova + (rg->length - 1);
        uint64_t hi = end < b ? end : b;

        if (lo <= hi)
            record_pages(mp, (lo - mp->address) / TD_PAGE_SIZE,
                         (hi - mp->address) / TD_PAGE_SIZE);
    }
}

int dma_mem_write(struct td_dma *dma, struct td_dma_map *mp, uint64_t offset,
                  const void *buf, size_t len)
{
    if (!len)
        return 0;
    if (dma->logging) {
        if (!mp->dirty) {
            mp->dirty = calloc(dirty_words(mp), sizeof(*mp->dirty));
            if (!mp->dirty)
                return ENOMEM;
        }
        /* Recorded first: a write cut short by a fault may still have
         * changed some of the pages, and a record may say too much, never
         * too little. */
        record_write(dma, mp, offset, len);
    }
    if (mp->sealed) {
        memcpy((uint8_t *)mp->mem + offset, buf, len);
        return 0;
    }
    return guarded_copy((uint8_t *)mp->mem + offset, buf, len);
}

static void forget_records(struct td_dma *dma)
{
    size_t i;

    for (i = 0; i < dma->count; i++) {
        free(dma->maps[i].dirty);
        dma->maps[i].dirty = NULL;
    }
}

void dma_log_start(struct td_dma *dma, uint64_t pgsize,
                   struct vfio_user_dma_logging_range *ranges, size_t n)
{
    dma_log_stop(dma);
    dma->logging = true;
    dma->log_pgsize = pgsize;
    dma->log_ranges = ranges;
    dma->log_nranges = n;
}

void dma_log_stop(struct td_dma *dma)
{
    forget_records(dma);
    free(dma->log_ranges);
    dma->log_ranges = NULL;
    dma->log_nranges = 0;
    dma->log_pgsize = 0;
    dma->logging = false;
}

/*
 * Every byte of [iova, last] must be in some map: maps may be adjacent,
 * so the range may span several. @return 0 or EINVAL.
 */
static int check_covered(struct td_dma *dma, const char *cmd, uint64_t iova,
                         uint64_t last)
{
    size_t pos = first_ending_after(dma, iova);
    uint64_t at = iova;

    for (;;) {
        const struct td_dma_map *mp = pos < dma->count ? &dma->maps[pos] : NULL;
        uint64_t end;

        if (!mp || mp->address > at)
            return td_fail(EINVAL,
                           "%s: [0x%llx, 0x%llx] is not all mapped: nothing "
                           "is mapped at 0x%llx",
                           cmd, (unsigned long long)iova,
                           (unsigned long long)last, (unsigned long long)at);
        end = mp->address + (mp->size - 1);
        if (end >= last)
            return 0;
        at = end + 1;
        pos++;
    }
}

int dma_dirty_collect(struct td_dma *dma, const char *cmd, uint64_t iova,
                      uint64_t length, uint64_t pgsize, uint64_t *bitmap)
{
    uint64_t last = iova + (length - 1);
    size_t pos;
    int err = check_covered(dma, cmd, iova, last);

    if (err)
        return err;
    for (pos = first_ending_after(dma, iova);
         pos < dma->count && dma->maps[pos].address <= last; pos++) {
        struct td_dma_map *mp = &dma->maps[pos];
        /* The map's pages inside the range; ranges and maps are page
         * aligned. */
        uint64_t lo = mp->address > iova ? mp->address : iova;
        uint64_t end = mp->address + (mp->size - 1);
        uint64_t first = (lo - mp->address) / TD_PAGE_SIZE;
        uint64_t lastp =
            ((end < last ? end : last) - mp->address) / TD_PAGE_SIZE;
        uint64_t page;

        if (!mp->dirty)
            continue;
        /* Word by word: a record is mostly zeros. */
        for (page = first; page <= lastp;) {
            uint64_t w = page / 64, bits = mp->dirty[w];
            uint64_t stop = (w + 1) * 64 - 1 < lastp ? (w + 1) * 64 - 1 : lastp;

            if (bits) {
                uint64_t p;

                for (p = page; p <= stop; p++) {
                    uint64_t bit = 1ull << (p % 64), i;

                    if (!(bits & bit))
                        continue;
                    i = (mp->address + p * TD_PAGE_SIZE - iova) / pgsize;
                    bitmap[i / 64] |= 1ull << (i % 64);
                    mp->dirty[w] &= ~bit;
                }
            }
            page = stop + 1;
        }
    }
    return 0;
}

/* Check the client's fd against the request and map it. */
static int map_fd(struct td_dma_map *mp, int fd)
{
    int prot = 0, seals;
    struct stat st;

    if (fstat(fd, &st) < 0)
        return td_fail(errno, "DMA_MAP: fstat of the fd failed");
    if (!S_ISREG(st.st_mode))
        return td_fail(EINVAL, "DMA_MAP: the fd is not a regular file or "
                               "memfd");
    if (mp->offset & (TD_PAGE_SIZE - 1))
        return td_fail(EINVAL, "DMA_MAP: offset 0x%llx is not page aligned",
                       (unsigned long long)mp->offset);
    if (mp->offset > (uint64_t)st.st_size ||
        mp->size > (uint64_t)st.st_size - mp->offset)
        return td_fail(EINVAL,
                       "DMA_MAP: offset 0x%llx + size 0x%llx is beyond the "
                       "end of the file (0x%llx bytes)",
                       (unsigned long long)mp->offset,
                       (unsigned long long)mp->size,
                       (unsigned long long)st.st_size);
    if (mp->size > SIZE_MAX)
        return td_fail(ENOMEM, "DMA_MAP: size does not fit our address "
                               "space");
    if (mp->flags & VFIO_USER_F_DMA_REGION_READ)
        prot |= PROT_READ;
    if (mp->flags & VFIO_USER_F_DMA_REGION_WRITE)
        prot |= PROT_WRITE;
    mp->mem =
        mmap(NULL, (size_t)mp->size, prot, MAP_SHARED, fd, (off_t)mp->offset);
    if (mp->mem == MAP_FAILED) {
        mp->mem = NULL;
        return td_fail(errno, "DMA_MAP: mmap of the fd failed (is it opened "
                              "for the access the flags ask for?)");
    }
    /* An unsealed file may be truncated by the client under our mapping;
     * a DMA engine must then expect SIGBUS on access. */
    seals = fcntl(fd, F_GET_SEALS);
    mp->sealed = seals >= 0 && (seals & F_SEAL_SHRINK);
    mp->fd = fd;
    return 0;
}

int handle_dma_map(struct testdev *td, struct td_msg *m, struct td_reply *r)
{
    struct td_dma *dma = &td->dma;
    struct vfio_user_dma_map req;
    struct td_dma_map map;
    size_t pos;
    int err;

    if (m->len != sizeof(req))
        return td_fail(EINVAL, "DMA_MAP: payload of %zu bytes, expected %zu",
                       m->len, sizeof(req));
    memcpy(&req, m->data, sizeof(req));
    if (req.argsz != sizeof(req))
        return td_fail(EINVAL, "DMA_MAP: argsz %u, expected %zu", req.argsz,
                       sizeof(req));
    if (req.flags & ~DMA_RW)
        return td_fail(EINVAL, "DMA_MAP: unknown flags 0x%x",
                       req.flags & ~DMA_RW);
    if (!(req.flags & DMA_RW))
        return td_fail(EINVAL, "DMA_MAP: region is neither readable nor "
                               "writable");
    err = check_range("DMA_MAP", req.address, req.size);
    if (err)
        return err;
    if (m->nfds > 1)
        return td_fail(EINVAL, "DMA_MAP: %zu fds, at most 1", m->nfds);
    if (!m->nfds && req.offset)
        return td_fail(EINVAL, "DMA_MAP: offset 0x%llx without an fd",
                       (unsigned long long)req.offset);

    pos = first_ending_after(dma, req.address);
    if (pos < dma->count && overlaps(&dma->maps[pos], req.address, req.size))
        return td_fail(EEXIST,
                       "DMA_MAP: [0x%llx, +0x%llx) overlaps the mapping at "
                       "0x%llx (+0x%llx)",
                       (unsigned long long)req.address,
                       (unsigned long long)req.size,
                       (unsigned long long)dma->maps[pos].address,
                       (unsigned long long)dma->maps[pos].size);
    if (dma->count >= dma->limit)
        return td_fail(ENOSPC,
                       "DMA_MAP: already %zu mappings, the "
                       "max_dma_maps limit",
                       dma->count);
    if (dma->count == dma->cap) {
        size_t cap = dma->cap ? dma->cap * 2 : 16;
        struct td_dma_map *maps = realloc(dma->maps, cap * sizeof(*maps));

        if (!maps)
            return td_fail(ENOMEM, "DMA_MAP: out of memory");
        dma->maps = maps;
        dma->cap = cap;
    }

    map = (struct td_dma_map){
        .address = req.address,
        .size = req.size,
        .offset = req.offset,
        .flags = req.flags,
        .fd = -1,
    };
    if (m->nfds) {
        err = map_fd(&map, m->fds[0]);
        if (err)
            return err;
        m->fds[0] = -1; /* the table owns it now */
    }
    memmove(&dma->maps[pos + 1], &dma->maps[pos],
            (dma->count - pos) * sizeof(*dma->maps));
    dma->maps[pos] = map;
    dma->count++;
    td_note("[0x%llx, +0x%llx) %s%s, %s, %zu mapped",
            (unsigned long long)map.address, (unsigned long long)map.size,
            map.flags & VFIO_USER_F_DMA_REGION_READ ? "r" : "",
            map.flags & VFIO_USER_F_DMA_REGION_WRITE ? "w" : "",
            map.fd < 0 ? "message-based"
                       : (map.sealed ? "sealed fd" : "unsealed fd"),
            dma->count);
    td_reply_alloc(r, 0);
    return 0;
}

int handle_dma_unmap(struct testdev *td, struct td_msg *m, struct td_reply *r)
{
    const uint32_t get_dirty = VFIO_USER_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP;
    struct td_dma *dma = &td->dma;
    struct vfio_user_dma_unmap req;
    struct vfio_user_bitmap bm;
    size_t pos, want;
    int err;

    if (m->len < sizeof(req))
        return td_fail(EINVAL,
                       "DMA_UNMAP: payload of %zu bytes, less than "
                       "%zu",
                       m->len, sizeof(req));
    memcpy(&req, m->data, sizeof(req));
    if (req.flags & ~get_dirty)
        return td_fail(EINVAL, "DMA_UNMAP: unknown flags 0x%x",
                       req.flags & ~get_dirty);
    /* The bitmap belongs to the 0.9.1 dirty page tracking; the current
     * specification's DMA logging has no such thing. */
    if ((req.flags & get_dirty) && !td->opt.legacy_dirty)
        return td_fail(ENOTSUP, "DMA_UNMAP: \"get dirty page bitmap\" is "
                                "only served with --legacy-dirty");
    want = sizeof(req) + (req.flags & get_dirty ? sizeof(bm) : 0);
    if (m->len != want)
        return td_fail(EINVAL, "DMA_UNMAP: payload of %zu bytes, expected %zu",
                       m->len, want);
    if (req.argsz < sizeof(req))
        return td_fail(EINVAL,
                       "DMA_UNMAP: argsz %u is smaller than the "
                       "%zu-byte reply",
                       req.argsz, sizeof(req));
    err = check_range("DMA_UNMAP", req.address, req.size);
    if (err)
        return err;

    pos = first_ending_after(dma, req.address);
    if (pos >= dma->count || !overlaps(&dma->maps[pos], req.address, req.size))
        return td_fail(ENOENT,
                       "DMA_UNMAP: nothing is mapped in [0x%llx, "
                       "+0x%llx)",
                       (unsigned long long)req.address,
                       (unsigned long long)req.size);
    /* "DMA_UNMAP": address and size must match a mapping exactly; we do
     * not split mappings. */
    if (dma->maps[pos].address != req.address ||
        dma->maps[pos].size != req.size)
        return td_fail(EINVAL,
                       "DMA_UNMAP: [0x%llx, +0x%llx) does not match the "
                       "mapping [0x%llx, +0x%llx) exactly",
                       (unsigned long long)req.address,
                       (unsigned long long)req.size,
                       (unsigned long long)dma->maps[pos].address,
                       (unsigned long long)dma->maps[pos].size);

    if (req.flags & get_dirty) {
        /* The map's last pages are reported before it goes. */
        memcpy(&bm, m->data + sizeof(req), sizeof(bm));
        err = dirty_unmap_bitmap(td, &req, &bm, &dma->maps[pos], r);
        if (err)
            return err;
    } else {
        void *out = td_reply_alloc(r, sizeof(req));

        memcpy(out, &req, sizeof(req));
    }
    /* No DMA job can be using it: a job ends before the next message. */
    map_release(&dma->maps[pos]);
    memmove(&dma->maps[pos], &dma->maps[pos + 1],
            (dma->count - pos - 1) * sizeof(*dma->maps));
    dma->count--;
    td_note("[0x%llx, +0x%llx)%s, %zu mapped", (unsigned long long)req.address,
            (unsigned long long)req.size,
            req.flags & get_dirty ? " with its dirty bitmap" : "", dma->count);
    return 0;
}
