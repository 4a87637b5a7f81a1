/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The DMA memory pool: sealed memfds (and their mappings) of unmapped
 * allocations, kept by size so that the next allocation of that size costs
 * no memfd_create, ftruncate, sealing, mmap, munmap and close.
 *
 * Nothing may leak from one map to the next, hence:
 *  - memory is scrubbed when it is taken, so the new owner reads zeros
 *    whatever the last owner or a late server write left: small pieces are
 *    cleared in place (cheaper than a syscall), larger ones get a hole
 *    punched over the whole file, which drops every page from every
 *    mapping and returns the memory;
 *  - memory whose fd a server received is reused only for maps that share
 *    their fd with the same connection (that server could still be mapping
 *    it), and is dropped when the connection ends; memory never shared may
 *    serve any map.
 *
 * Huge pages are never kept: they come from a fixed reservation the whole
 * system shares (nr_hugepages), and one client must not sit on them
 * unseen; an unmapped hugetlb allocation gives its pages back at once.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "client.h"
#include "dma.h"

/* Up to this size memset() is cheaper than punching a hole. */
#define SCRUB_IN_PLACE_MAX (64u * 1024u)

static void slot_drop(struct vuc_dma_pool *p, unsigned i)
{
    struct vuc_dma_pool_slot *s = &p->slots[i];

    munmap(s->vaddr, s->size);
    close(s->fd);
    p->bytes -= s->size;
    p->slots[i] = p->slots[--p->n];
}

bool vuc_dma_pool_take(struct vuc_client *c, size_t size, bool share, int *fd,
                       void **vaddr)
{
    struct vuc_dma_pool *p = &c->dma.pool;

    for (unsigned i = 0; i < p->n; i++) {
        struct vuc_dma_pool_slot *s = &p->slots[i];
        if (s->size != size || (s->shared && !share)) {
            continue;
        }
        if (size <= SCRUB_IN_PLACE_MAX) {
            memset(s->vaddr, 0, size);
        } else if (fallocate(s->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                             0, (off_t)size) < 0) {
            /* Memory that cannot be scrubbed is never handed out again. */
            slot_drop(p, i);
            return false;
        }
        *fd = s->fd;
        *vaddr = s->vaddr;
        p->bytes -= s->size;
        p->slots[i] = p->slots[--p->n];
        return true;
    }
    return false;
}

bool vuc_dma_pool_give(struct vuc_client *c, int fd, void *vaddr, size_t size,
                       bool shared)
{
    struct vuc_dma_pool *p = &c->dma.pool;

    /* Shared memory is kept only for the connection that received it. */
    if (size > c->opts.dma_pool_bytes || (shared && !c->connected)) {
        return false;
    }
    /* Make room: the oldest slots go first. */
    while (p->n > 0 && (p->n == VUC_DMA_POOL_SLOTS ||
                        p->bytes + size > c->opts.dma_pool_bytes)) {
        slot_drop(p, 0);
    }
    p->slots[p->n++] = (struct vuc_dma_pool_slot){fd, vaddr, size, shared};
    p->bytes += size;
    return true;
}

void vuc_dma_pool_drop_shared(struct vuc_client *c)
{
    struct vuc_dma_pool *p = &c->dma.pool;

    for (unsigned i = p->n; i-- > 0;) {
        if (p->slots[i].shared) {
            slot_drop(p, i);
        }
    }
}

void vuc_dma_pool_release(struct vuc_client *c)
{
    while (c->dma.pool.n > 0) {
        slot_drop(&c->dma.pool, 0);
    }
}
