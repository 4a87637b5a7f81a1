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

size_t dma_dirty_words(const struct td_dma_map *mp)
{
    uint64_t pages = mp->size / TD_PAGE_SIZE; /* sizes are page multiples */

    return (size_t)((pages + 63) / 64);
}

int dma_mem_read(struct td_dma_map *mp, uint64_t offset, void *buf, size_t len)
{
    return guarded_copy(buf, (uint8_t *)mp->mem + offset, len);
}

int dma_mem_write(struct td_dma_map *mp, uint64_t offset, const void *buf,
                  size_t len)
{
    uint64_t page, last;

    if (!len)
        return 0;
    if (!mp->dirty) {
        mp->dirty = calloc(dma_dirty_words(mp), sizeof(*mp->dirty));
        if (!mp->dirty)
            return ENOMEM;
    }
    /* Recorded first: a write cut short by a fault may still have changed
     * some of the pages, and a record may say too much, never too little. */
    last = (offset + len - 1) / TD_PAGE_SIZE;
    for (page = offset / TD_PAGE_SIZE; page <= last; page++)
        mp->dirty[page / 64] |= 1ull << (page % 64);
    return guarded_copy((uint8_t *)mp->mem + offset, buf, len);
}

long dma_dirty_get(struct td_dma_map *mp, uint64_t *bitmap, size_t words,
                   bool clear)
{
    size_t need = dma_dirty_words(mp), i;
    long pages = 0;

    if (words < need)
        return -EINVAL;
    memset(bitmap, 0, words * sizeof(*bitmap));
    if (!mp->dirty)
        return 0;
    for (i = 0; i < need; i++) {
        bitmap[i] = mp->dirty[i];
        pages += __builtin_popcountll(mp->dirty[i]);
    }
    if (clear)
        memset(mp->dirty, 0, need * sizeof(*mp->dirty));
    return pages;
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
    struct td_dma *dma = &td->dma;
    struct vfio_user_dma_unmap req;
    size_t pos;
    int err;

    if (m->len < sizeof(req))
        return td_fail(EINVAL,
                       "DMA_UNMAP: payload of %zu bytes, less than "
                       "%zu",
                       m->len, sizeof(req));
    memcpy(&req, m->data, sizeof(req));
    if (req.flags & VFIO_USER_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP)
        return td_fail(ENOTSUP, "DMA_UNMAP: this device does not track "
                                "dirty pages");
    if (req.flags)
        return td_fail(EINVAL, "DMA_UNMAP: unknown flags 0x%x", req.flags);
    if (m->len != sizeof(req))
        return td_fail(EINVAL, "DMA_UNMAP: payload of %zu bytes, expected %zu",
                       m->len, sizeof(req));
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

    /* No DMA job can be using it: a job ends before the next message. */
    map_release(&dma->maps[pos]);
    memmove(&dma->maps[pos], &dma->maps[pos + 1],
            (dma->count - pos - 1) * sizeof(*dma->maps));
    dma->count--;
    td_note("[0x%llx, +0x%llx), %zu mapped", (unsigned long long)req.address,
            (unsigned long long)req.size, dma->count);
    memcpy(td_reply_alloc(r, sizeof(req)), &req, sizeof(req));
    return 0;
}
