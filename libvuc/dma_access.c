/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Access to DMA memory: the client's own reads and writes, its record of
 * the pages DMA_WRITE messages wrote, and serving the server's DMA_READ
 * and DMA_WRITE requests from the map table.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "client.h"
#include "conn.h"
#include "dma.h"
#include "dma_map.h"
#include "posting.h"
#include "transport.h"
#include "wire.h"

/* ---- Local access -------------------------------------------------------- */

int vuc_dma_read(struct vuc_client *client, uint64_t iova, void *buf,
                 size_t len)
{
    struct vuc_dma_map *m = vuc_dma_find(client, iova, len);

    vuc_begin(client);
    /* Fenced: what the device wrote after our posted writes is visible
     * only once they were processed. From a callback the loop cannot run;
     * the caller fences there itself. */
    if (client->post.policy == VUC_POSTING_FENCED && client->connected &&
        vuc_posted_pending(client) && client->depth == 0) {
        int rc = vuc_fence(client);
        if (rc < 0) {
            return rc;
        }
    }
    if (m == NULL || len == 0) {
        return vuc_fail(client, -EFAULT,
                        "dma read: [0x%llx, +0x%zx) is not inside one map",
                        (unsigned long long)iova, len);
    }
    /* Pair with the device's writes through its own mapping. */
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    memcpy(buf, m->vaddr + (iova - m->iova), len);
    return 0;
}

int vuc_dma_write(struct vuc_client *client, uint64_t iova, const void *buf,
                  size_t len)
{
    struct vuc_dma_map *m = vuc_dma_find(client, iova, len);

    vuc_begin(client);
    if (m == NULL || len == 0) {
        return vuc_fail(client, -EFAULT,
                        "dma write: [0x%llx, +0x%zx) is not inside one map",
                        (unsigned long long)iova, len);
    }
    memcpy(m->vaddr + (iova - m->iova), buf, len);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    return 0;
}

int vuc_dma_msg_dirty(struct vuc_client *client, const struct vuc_dma_map *map,
                      uint64_t *bitmap, size_t words, bool clear)
{
    size_t need = (map->size / DIRTY_PAGE + 63) / 64;
    if (words < need) {
        return vuc_fail(client, -EINVAL,
                        "dirty bitmap: %zu words given, %zu needed", words,
                        need);
    }
    memcpy(bitmap, map->dirty, need * sizeof(uint64_t));
    memset(bitmap + need, 0, (words - need) * sizeof(uint64_t));
    if (clear && map->dirty_any) {
        memset(map->dirty, 0, need * sizeof(uint64_t));
        ((struct vuc_dma_map *)map)->dirty_any = false;
    }
    return 0;
}

void vuc_dma_msg_dirty_clear(struct vuc_client *c)
{
    for (unsigned i = 0; i < c->dma.n; i++) {
        struct vuc_dma_map *m = c->dma.maps[i];
        if (m->dirty_any) {
            memset(m->dirty, 0, (m->size / DIRTY_PAGE + 63) / 64 * 8);
            m->dirty_any = false;
        }
    }
}

bool vuc_dma_range_unshared(const struct vuc_client *c, uint64_t iova,
                            uint64_t length)
{
    uint64_t end = iova + length;
    bool any = false;

    for (unsigned i = 0; i < c->dma.n; i++) {
        const struct vuc_dma_map *m = c->dma.maps[i];
        if (m->iova >= end || m->iova + m->size <= iova) {
            continue;
        }
        if (m->fd >= 0 && !(m->flags & VUC_DMA_NOSHARE)) {
            return false;
        }
        any = true;
    }
    return any;
}

void vuc_dma_msg_dirty_merge(struct vuc_client *c, uint64_t iova,
                             uint64_t length, uint64_t page_size,
                             uint64_t *bitmap)
{
    uint64_t end = iova + length;

    for (unsigned i = 0; i < c->dma.n; i++) {
        struct vuc_dma_map *m = c->dma.maps[i];
        uint64_t lo = m->iova > iova ? m->iova : iova;
        uint64_t hi = m->iova + m->size < end ? m->iova + m->size : end;
        if (lo >= hi || !m->dirty_any) {
            continue;
        }
        if (lo == m->iova && hi == m->iova + m->size) {
            m->dirty_any = false; /* every bit is taken below */
        }
        /* A word at a time, skipping empty ones: a 64 GiB map is 16 M
         * pages, and most of them are clean. */
        uint64_t first = (lo - m->iova) / DIRTY_PAGE;
        uint64_t last = (hi - m->iova - 1) / DIRTY_PAGE;
        for (uint64_t w = first / 64; w <= last / 64; w++) {
            uint64_t word = m->dirty[w];
            if (word == 0) {
                continue;
            }
            if (w == first / 64) {
                word &= ~0ull << (first % 64);
            }
            if (w == last / 64 && last % 64 != 63) {
                word &= (1ull << (last % 64 + 1)) - 1;
            }
            m->dirty[w] &= ~word;
            while (word != 0) {
                uint64_t p = w * 64 + (uint64_t)__builtin_ctzll(word);
                uint64_t bit = (m->iova + p * DIRTY_PAGE - iova) / page_size;
                bitmap[bit / 64] |= 1ull << (bit % 64);
                word &= word - 1;
            }
        }
    }
}

/* ---- Serving the server's DMA requests ----------------------------------- */

/* Answer on the channel the request came from: the 16-byte address/count
 * head, then data_len bytes of data. Nothing is sent for No_reply. */
static void dma_reply(struct vuc_client *c, struct vuc_chan *ch,
                      const struct vfio_user_header *hdr, uint64_t addr,
                      uint64_t count, const void *data, size_t data_len)
{
    size_t head = VFIO_USER_HDR_SIZE + sizeof(struct vfio_user_dma_access);

    if (hdr->flags & VFIO_USER_F_NO_REPLY) {
        return;
    }
    uint8_t *msg = vuc_chan_reserve(ch, head + data_len);
    if (msg == NULL) {
        vuc_conn_fail(c, -ENOMEM, "out of memory replying to the server");
        return;
    }
    vuc_wire_put_header((struct vfio_user_header *)msg, hdr->msg_id, hdr->cmd,
                        (uint32_t)(head + data_len), VFIO_USER_F_TYPE_REPLY, 0);
    vuc_wire_enc_dma_reply(msg + VFIO_USER_HDR_SIZE,
                           sizeof(struct vfio_user_dma_access), addr, count);
    vuc_chan_commit_data(ch, head, data, data_len);
}

static void mark_dirty(struct vuc_dma_map *m, uint64_t off, uint64_t count)
{
    uint64_t first = off / DIRTY_PAGE, last = (off + count - 1) / DIRTY_PAGE;
    m->dirty_any = true;
    for (uint64_t p = first; p <= last; p++) {
        m->dirty[p / 64] |= 1ull << (p % 64);
    }
}

static void dma_serve(struct vuc_client *c, struct vuc_chan *ch,
                      const struct vfio_user_header *hdr,
                      const uint8_t *payload, size_t len, int *fds,
                      unsigned nfds)
{
    struct vuc_wire_err err;
    uint64_t addr, count;
    const uint8_t *data;
    bool write = hdr->cmd == VFIO_USER_DMA_WRITE;

    int rc = vuc_wire_dec_dma_request(hdr->cmd, payload, len, nfds,
                                      c->opts.max_data_xfer_size, &addr, &count,
                                      &data, &err);
    if (rc < 0) {
        vuc_log(c, VUC_LOG_WARNING, "refusing %s (id %u): %s",
                vuc_wire_cmd_name(hdr->cmd), hdr->msg_id, err.text);
        vuc_conn_reply_error(c, ch, hdr, EINVAL);
        return;
    }
    struct vuc_dma_map *m = vuc_dma_find(c, addr, count);
    if (m == NULL || m->state == MAP_LOCAL) {
        vuc_log(c, VUC_LOG_WARNING,
                "refusing %s (id %u): [0x%llx, +0x%llx) is not inside one "
                "DMA map",
                vuc_wire_cmd_name(hdr->cmd), hdr->msg_id,
                (unsigned long long)addr, (unsigned long long)count);
        vuc_conn_reply_error(c, ch, hdr, EFAULT);
        return;
    }
    unsigned need = write ? VUC_DMA_WRITE : VUC_DMA_READ;
    if (!(m->flags & need)) {
        vuc_log(c, VUC_LOG_WARNING,
                "refusing %s (id %u): the map at 0x%llx is not %s by the "
                "device",
                vuc_wire_cmd_name(hdr->cmd), hdr->msg_id,
                (unsigned long long)m->iova, write ? "writeable" : "readable");
        vuc_conn_reply_error(c, ch, hdr, EPERM);
        return;
    }

    uint8_t *mem = m->vaddr + (addr - m->iova);
    if (write) {
        memcpy(mem, data, count);
        mark_dirty(m, addr - m->iova, count);
        if (!(hdr->flags & VFIO_USER_F_NO_REPLY)) {
            dma_reply(c, ch, hdr, addr, count, NULL, 0);
        }
    } else if (!(hdr->flags & VFIO_USER_F_NO_REPLY) && vuc_chan_tx_full(ch)) {
        /* The server stopped reading: its data would only pile up here. */
        vuc_log(c, VUC_LOG_WARNING,
                "refusing DMA_READ (id %u): %zu bytes already wait for the "
                "server to read them",
                hdr->msg_id, vuc_chan_tx_pending(ch));
        vuc_conn_reply_error(c, ch, hdr, ENOBUFS);
    } else if (!(hdr->flags & VFIO_USER_F_NO_REPLY)) {
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        dma_reply(c, ch, hdr, addr, count, mem, count);
    }
}

const struct vuc_feature vuc_dma_serve_feature = {
    .name = "dma serve",
    .serves = {VFIO_USER_DMA_READ, VFIO_USER_DMA_WRITE},
    .serve = dma_serve,
};
