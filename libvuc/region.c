/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Region access: through a mapping when the whole range lies in one mapped
 * area, else through REGION_READ/REGION_WRITE messages split at the
 * negotiated transfer size. Also the mappings themselves, and DEVICE_RESET.
 *
 * The hot path allocates nothing once warm: operations come from a pool,
 * requests from conn.c's pool, message space from the channel's queue.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "client.h"
#include "conn.h"
#include "irq.h"
#include "posting.h"
#include "region.h"
#include "wire.h"

struct vuc_io_op {
    struct vuc_deferred deferred; /* first: ops are found from it */
    struct vuc_io_op *next_free;
    vuc_done_cb cb;
    void *arg;
    unsigned outstanding; /* chunks in flight */
    int result;           /* the first failure */
    /* An access that waits for a fence (fenced policy). A write's data is
     * copied here, since the caller may reuse its buffer at once. */
    bool write;
    uint32_t index;
    uint64_t offset;
    size_t len;
    void *mapped;
    uint8_t *buf;
    uint8_t small[64];
};

/* ---- Operation pool ------------------------------------------------------ */

static struct vuc_io_op *op_get(struct vuc_client *c, vuc_done_cb cb, void *arg)
{
    struct vuc_io_op *op = c->region.free_ops;
    if (op != NULL) {
        c->region.free_ops = op->next_free;
    } else if ((op = malloc(sizeof(*op))) == NULL) {
        return NULL;
    }
    op->next_free = NULL;
    op->cb = cb;
    op->arg = arg;
    op->outstanding = 0;
    op->result = 0;
    op->buf = NULL;
    return op;
}

static void op_put(struct vuc_client *c, struct vuc_io_op *op)
{
    if (op->buf != NULL && op->buf != op->small && op->write) {
        free(op->buf);
    }
    op->buf = NULL;
    op->next_free = c->region.free_ops;
    c->region.free_ops = op;
}

/* Complete an op: recycle it first, so the callback may start another. */
static void op_finish(struct vuc_client *c, struct vuc_io_op *op)
{
    vuc_done_cb cb = op->cb;
    void *arg = op->arg;
    int result = op->result;

    op_put(c, op);
    cb(c, result, arg);
}

static void op_deferred(struct vuc_client *c, struct vuc_deferred *d, int err)
{
    struct vuc_io_op *op = (struct vuc_io_op *)d;

    if (err < 0) {
        op->result = err;
    }
    op_finish(c, op);
}

/* Callbacks never run inside the call that started the operation: an op
 * finished on the spot waits for the next loop iteration. */
static void op_defer(struct vuc_client *c, struct vuc_io_op *op)
{
    op->deferred.fn = op_deferred;
    vuc_defer(c, &op->deferred);
}

static void io_ops_release(struct vuc_client *c)
{
    while (c->region.free_ops != NULL) {
        struct vuc_io_op *op = c->region.free_ops;
        c->region.free_ops = op->next_free;
        free(op);
    }
}

/* ---- Mappings ------------------------------------------------------------ */

void *vuc_region_ptr(const struct vuc_client *client, uint32_t index,
                     uint64_t offset, uint64_t len)
{
    const struct vuc_client *c = client;

    if (c->regions == NULL || index >= c->dev.num_regions) {
        return NULL;
    }
    const struct vuc_region *reg = &c->regions[index];
    for (unsigned i = 0; i < reg->info.nr_mapped; i++) {
        const struct vuc_region_map *m = &reg->maps[i];
        if (offset >= m->offset && len <= m->size &&
            offset - m->offset <= m->size - len) {
            return (uint8_t *)m->addr + (offset - m->offset);
        }
    }
    return NULL;
}

void vuc_region_munmap(struct vuc_client *client, uint32_t index)
{
    struct vuc_client *c = client;

    if (c->regions == NULL || index >= c->dev.num_regions) {
        return;
    }
    struct vuc_region *reg = &c->regions[index];
    for (unsigned i = 0; i < reg->info.nr_mapped; i++) {
        munmap(reg->maps[i].addr, reg->maps[i].size);
    }
    reg->info.nr_mapped = 0;
}

void vuc_region_unmap_all(struct vuc_client *c)
{
    for (uint32_t i = 0; c->regions != NULL && i < c->dev.num_regions; i++) {
        vuc_region_munmap(c, i);
    }
}

int vuc_region_mmap(struct vuc_client *client, uint32_t index)
{
    struct vuc_client *c = client;
    const char *name = vuc_region_name(index);

    vuc_begin(c);
    if (!c->connected && c->connecting == NULL) {
        return vuc_fail(c, -ENOTCONN, "mmap %s: not connected", name);
    }
    if (c->regions == NULL || index >= c->dev.num_regions) {
        return vuc_fail(c, -ENODEV, "mmap: region %u does not exist", index);
    }
    /* Writes posted while nothing was mapped must land before a read
     * through the new mapping can overtake them. */
    if (vuc_posted_pending(c)) {
        if (c->depth > 0) {
            return vuc_fail(c, -EBUSY,
                            "mmap %s: posted writes are unconfirmed; fence "
                            "first",
                            name);
        }
        int rc = vuc_fence(c);
        if (rc < 0) {
            return rc;
        }
    }
    struct vuc_region *reg = &c->regions[index];
    const struct vuc_region_info *ri = &reg->info;
    if (!(ri->flags & VFIO_USER_REGION_INFO_FLAG_MMAP) || reg->fd < 0 ||
        ri->size == 0) {
        return vuc_fail(c, -ENOTSUP, "mmap %s: the server offers no mapping",
                        name);
    }
    if (ri->nr_mapped > 0) {
        return 0;
    }

    struct vuc_sparse_area whole = {0, ri->size};
    const struct vuc_sparse_area *areas = ri->sparse_cap ? ri->sparse : &whole;
    unsigned n = ri->sparse_cap ? ri->nr_sparse : 1;
    long page = sysconf(_SC_PAGESIZE);
    struct stat st;

    if (n == 0) {
        return vuc_fail(c, -ENOTSUP,
                        "mmap %s: its sparse mmap capability lists no area",
                        name);
    }
    /* A mapping beyond the end of the server's file would fault on first
     * touch; refuse it up front. */
    if (fstat(reg->fd, &st) < 0) {
        return vuc_fail(c, -errno, "mmap %s: fstat of the server's fd: %s",
                        name, strerror(errno));
    }
    if (!S_ISREG(st.st_mode)) {
        return vuc_fail(c, -EINVAL,
                        "mmap %s: the server's fd is not a regular file or "
                        "memfd (mode 0%o)",
                        name, st.st_mode & S_IFMT);
    }
    for (unsigned i = 0; i < n; i++) {
        uint64_t start = ri->mmap_offset + areas[i].offset;
        uint64_t end;
        if (areas[i].size == 0) {
            continue;
        }
        if (__builtin_add_overflow(start, areas[i].size, &end) ||
            end > (uint64_t)st.st_size) {
            return vuc_fail(c, -EINVAL,
                            "mmap %s: area %u [0x%llx, +0x%llx) lies beyond "
                            "the %lld bytes of the server's file",
                            name, i, (unsigned long long)start,
                            (unsigned long long)areas[i].size,
                            (long long)st.st_size);
        }
        if (start % (uint64_t)page != 0 || areas[i].offset % (uint64_t)page) {
            return vuc_fail(c, -EINVAL,
                            "mmap %s: area %u at 0x%llx is not page aligned",
                            name, i, (unsigned long long)areas[i].offset);
        }
    }

    int prot = 0;
    if (ri->flags & VFIO_USER_REGION_INFO_FLAG_READ) {
        prot |= PROT_READ;
    }
    if (ri->flags & VFIO_USER_REGION_INFO_FLAG_WRITE) {
        prot |= PROT_WRITE;
    }
    for (unsigned i = 0; i < n; i++) {
        if (areas[i].size == 0) {
            continue;
        }
        void *addr = mmap(NULL, areas[i].size, prot, MAP_SHARED, reg->fd,
                          (off_t)(ri->mmap_offset + areas[i].offset));
        if (addr == MAP_FAILED) {
            int err = errno;
            vuc_region_munmap(c, index);
            return vuc_fail(c, -err, "mmap %s area %u: %s", name, i,
                            strerror(err));
        }
        struct vuc_region_map *m = &reg->maps[reg->info.nr_mapped++];
        m->offset = areas[i].offset;
        m->size = areas[i].size;
        m->addr = addr;
    }
    return 0;
}

/* Device registers want one access of the natural width, not a byte loop. */
static void mapped_read(void *dst, const volatile void *src, size_t len)
{
    uintptr_t a = (uintptr_t)src;
    if (len == 1) {
        *(uint8_t *)dst = *(const volatile uint8_t *)src;
    } else if (len == 2 && a % 2 == 0) {
        uint16_t v = *(const volatile uint16_t *)src;
        memcpy(dst, &v, 2);
    } else if (len == 4 && a % 4 == 0) {
        uint32_t v = *(const volatile uint32_t *)src;
        memcpy(dst, &v, 4);
    } else if (len == 8 && a % 8 == 0) {
        uint64_t v = *(const volatile uint64_t *)src;
        memcpy(dst, &v, 8);
    } else {
        memcpy(dst, (const void *)src, len);
    }
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
}

static void mapped_write(volatile void *dst, const void *src, size_t len)
{
    uintptr_t a = (uintptr_t)dst;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    if (len == 1) {
        *(volatile uint8_t *)dst = *(const uint8_t *)src;
    } else if (len == 2 && a % 2 == 0) {
        uint16_t v;
        memcpy(&v, src, 2);
        *(volatile uint16_t *)dst = v;
    } else if (len == 4 && a % 4 == 0) {
        uint32_t v;
        memcpy(&v, src, 4);
        *(volatile uint32_t *)dst = v;
    } else if (len == 8 && a % 8 == 0) {
        uint64_t v;
        memcpy(&v, src, 8);
        *(volatile uint64_t *)dst = v;
    } else {
        memcpy((void *)dst, src, len);
    }
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* ---- Messages ------------------------------------------------------------ */

static void chunk_done(struct vuc_client *c, struct vuc_io_op *op, int rc)
{
    if (rc < 0 && op->result == 0) {
        op->result = rc;
    }
    if (--op->outstanding == 0) {
        op_finish(c, op);
    }
}

static void read_reply(struct vuc_client *c, struct vuc_req *req,
                       struct vuc_reply *r)
{
    struct vuc_io_op *op = req->op;
    struct vuc_wire_err err;
    const uint8_t *data;
    int rc = r->err;

    if (rc == 0) {
        rc = vuc_wire_dec_region_read_reply(r->payload, r->len, r->nfds,
                                            req->index, req->offset, req->count,
                                            &data, &err);
        if (rc < 0) {
            if (op->result == 0) {
                vuc_fail(c, rc, "%s", err.text);
            }
        } else {
            memcpy(req->buf, data, req->count);
        }
    }
    chunk_done(c, op, rc);
}

static void write_reply(struct vuc_client *c, struct vuc_req *req,
                        struct vuc_reply *r)
{
    struct vuc_io_op *op = req->op;
    struct vuc_wire_err err;
    int rc = r->err;

    if (rc == 0) {
        rc = vuc_wire_dec_region_write_reply(r->payload, r->len, r->nfds,
                                             req->index, req->offset,
                                             req->count, &err);
        if (rc < 0 && op->result == 0) {
            vuc_fail(c, rc, "%s", err.text);
        }
    }
    chunk_done(c, op, rc);
}

static int send_chunk(struct vuc_client *c, struct vuc_io_op *op, bool write,
                      uint32_t index, uint64_t offset, uint8_t *buf,
                      uint32_t count, int timeout_ms)
{
    uint16_t cmd = write ? VFIO_USER_REGION_WRITE : VFIO_USER_REGION_READ;
    size_t len = sizeof(struct vfio_user_region_access) + (write ? count : 0);
    void *payload;
    int rc;
    struct vuc_req *req = vuc_req_start(c, cmd, len, &payload, &rc);

    if (req == NULL) {
        return rc;
    }
    ssize_t n =
        write
            ? vuc_wire_enc_region_write(payload, len, index, offset, buf, count)
            : vuc_wire_enc_region_read(payload, len, index, offset, count);
    if (n < 0) {
        vuc_req_abandon(c, req);
        return vuc_fail(c, (int)n, "cannot encode %s", vuc_wire_cmd_name(cmd));
    }
    req->op = op;
    req->buf = buf;
    req->index = index;
    req->offset = offset;
    req->count = count;
    rc = vuc_req_submit(c, req, (size_t)n, timeout_ms,
                        write ? write_reply : read_reply, NULL, 0);
    if (rc == 0) {
        op->outstanding++;
    }
    return rc;
}

static int region_check(struct vuc_client *c, uint32_t index, uint64_t offset,
                        size_t len, bool write)
{
    const char *what = write ? "write" : "read";

    if (!c->connected) {
        return vuc_fail(c, -ENOTCONN, "%s: not connected", what);
    }
    if (index >= c->dev.num_regions) {
        return vuc_fail(c, -ENODEV,
                        "%s: region %u does not exist (the device "
                        "has %u)",
                        what, index, c->dev.num_regions);
    }
    const struct vuc_region_info *ri = &c->regions[index].info;
    uint32_t need = write ? VFIO_USER_REGION_INFO_FLAG_WRITE
                          : VFIO_USER_REGION_INFO_FLAG_READ;
    if (!(ri->flags & need)) {
        return vuc_fail(c, -EACCES, "%s: %s is not %s", what,
                        vuc_region_name(index),
                        write ? "writeable" : "readable");
    }
    if (len == 0 || offset > ri->size || len > ri->size - offset) {
        return vuc_fail(c, len == 0 ? -EINVAL : -ERANGE,
                        "%s: [0x%llx, +0x%zx) is outside %s (size 0x%llx)",
                        what, (unsigned long long)offset, len,
                        vuc_region_name(index), (unsigned long long)ri->size);
    }
    return 0;
}

/* The fence an access waited for is done: do the access. */
static void after_fence(struct vuc_client *c, int rc, void *arg)
{
    struct vuc_io_op *op = arg;

    if (rc == 0 && op->mapped != NULL) {
        if (op->write) {
            mapped_write(op->mapped, op->buf, op->len);
        } else {
            mapped_read(op->buf, op->mapped, op->len);
        }
    } else if (rc == 0) {
        rc = vuc_post_write(c, op->index, op->offset, op->buf, op->len);
    }
    op->result = rc;
    op_finish(c, op);
}

static int fence_first(struct vuc_client *c, struct vuc_io_op *op, bool write,
                       uint32_t index, uint64_t offset, uint8_t *buf,
                       size_t len, void *mapped, int timeout_ms)
{
    op->write = write;
    op->index = index;
    op->offset = offset;
    op->len = len;
    op->mapped = mapped;
    if (!write) {
        op->buf = buf;
    } else if (len <= sizeof(op->small)) {
        op->buf = op->small;
        memcpy(op->buf, buf, len);
    } else if ((op->buf = malloc(len)) != NULL) {
        memcpy(op->buf, buf, len);
    } else {
        op_put(c, op);
        return vuc_fail(c, -ENOMEM, "out of memory");
    }
    int rc = vuc_fence_then(c, timeout_ms, after_fence, op);
    if (rc < 0) {
        op_put(c, op);
    }
    return rc;
}

/* An access whose work was done inside the call (rc 0): its callback runs
 * on the next loop iteration; else the op goes back and rc is returned. */
static int done_at_once(struct vuc_client *c, struct vuc_io_op *op, int rc)
{
    if (rc < 0) {
        op_put(c, op);
        return rc;
    }
    op_defer(c, op);
    return 0;
}

/* Whether a write rings one of the server's ioeventfd doorbells: only one
 * outside every mapping can, since a mapped write goes to memory. */
static bool rings_doorbell(const struct vuc_client *c, uint32_t index,
                           uint64_t offset, const uint8_t *buf, size_t len,
                           const void *mapped)
{
    return mapped == NULL && vuc_doorbell_find(c, index, offset, buf, len) >= 0;
}

/* Whether a write joins the combining buffer: the one rule region_io() and
 * vuc_region_write_now() share. Mapped writes and doorbells never do. */
static bool joins_buffer(const struct vuc_client *c, uint32_t index,
                         const void *mapped, bool bell)
{
    return mapped == NULL && !bell && vuc_wc_applies(c, index);
}

static int region_io(struct vuc_client *c, bool write, uint32_t index,
                     uint64_t offset, uint8_t *buf, size_t len, int timeout_ms,
                     vuc_done_cb cb, void *arg)
{
    vuc_begin(c);
    if (cb == NULL || buf == NULL) {
        return vuc_fail(c, -EINVAL, "%s: needs a buffer and a callback",
                        write ? "write" : "read");
    }
    int rc = region_check(c, index, offset, len, write);
    if (rc < 0) {
        return rc;
    }
    struct vuc_io_op *op = op_get(c, cb, arg);
    if (op == NULL) {
        return vuc_fail(c, -ENOMEM, "out of memory");
    }

    void *mapped = vuc_region_ptr(c, index, offset, len);
    bool bell = write && rings_doorbell(c, index, offset, buf, len, mapped);
    /* A combining write joins the buffer; anything else leaves it behind
     * only once the buffer went out: a mapping or a doorbell would
     * overtake it, and a read must see it. */
    if (write && joins_buffer(c, index, mapped, bell)) {
        return done_at_once(c, op, vuc_wc_write(c, index, offset, buf, len));
    }
    rc = vuc_wc_flush(c);
    if (rc < 0) {
        op_put(c, op);
        return rc;
    }
    bool post = write && mapped == NULL && vuc_may_post(c, index, offset, len);
    /* Under the fenced policy, anything that reaches the device other than
     * through the socket waits until earlier posted writes are processed:
     * a mapped access, and a doorbell's eventfd. */
    if (c->post.policy == VUC_POSTING_FENCED && vuc_posted_pending(c) &&
        (mapped != NULL || (post && bell))) {
        return fence_first(c, op, write, index, offset, buf, len, mapped,
                           timeout_ms);
    }
    if (mapped != NULL) {
        if (write) {
            mapped_write(mapped, buf, len);
        } else {
            mapped_read(buf, mapped, len);
        }
        op_defer(c, op);
        return 0;
    }
    /* Whole or not at all: nothing is queued once the room is checked. */
    if (!post || !bell) {
        rc = vuc_conn_room(c, write ? "region write" : "region read");
        if (rc < 0) {
            op_put(c, op);
            return rc;
        }
    }
    if (post) {
        return done_at_once(c, op, vuc_post_write(c, index, offset, buf, len));
    }

    size_t done = 0;
    while (done < len) {
        uint32_t n =
            len - done > c->xfer_chunk ? c->xfer_chunk : (uint32_t)(len - done);
        rc = send_chunk(c, op, write, index, offset + done, buf + done, n,
                        timeout_ms);
        if (rc < 0) {
            break;
        }
        done += n;
    }
    if (rc < 0) {
        if (op->outstanding == 0) {
            op_put(c, op);
            return rc;
        }
        /* Chunks already sent will complete the op, with this failure. */
        op->result = rc;
    }
    return 0;
}

int vuc_region_write_now(struct vuc_client *c, uint32_t index, uint64_t offset,
                         const void *buf, size_t len)
{
    /* Only a write that joins the combining buffer is done here, by the
     * same rules as region_io(); anything else goes the usual way. */
    if (buf == NULL || !c->connected || !vuc_wc_applies(c, index)) {
        return 1;
    }
    vuc_begin(c);
    int rc = region_check(c, index, offset, len, true);
    if (rc < 0) {
        return rc;
    }
    void *mapped = vuc_region_ptr(c, index, offset, len);
    if (!joins_buffer(c, index, mapped,
                      rings_doorbell(c, index, offset, buf, len, mapped))) {
        return 1;
    }
    return vuc_wc_write_for_caller(c, index, offset, buf, len);
}

int vuc_region_read_async(struct vuc_client *client, uint32_t index,
                          uint64_t offset, void *buf, size_t len,
                          int timeout_ms, vuc_done_cb cb, void *arg)
{
    return region_io(client, false, index, offset, buf, len, timeout_ms, cb,
                     arg);
}

int vuc_region_write_async(struct vuc_client *client, uint32_t index,
                           uint64_t offset, const void *buf, size_t len,
                           int timeout_ms, vuc_done_cb cb, void *arg)
{
    /* The data is copied into the outgoing queue (or the mapping) before
     * this returns; the const is only cast away for the shared op fields. */
    return region_io(client, true, index, offset, (uint8_t *)buf, len,
                     timeout_ms, cb, arg);
}

/* ---- Reset --------------------------------------------------------------- */

static void reset_reapplied(struct vuc_client *c, int rc, void *arg)
{
    struct vuc_io_op *op = arg;

    if (rc < 0) {
        vuc_fail(c, rc,
                 "reset: the device was reset, but setting its "
                 "interrupts up again failed: %s",
                 strerror(-rc));
    }
    chunk_done(c, op, rc);
}

static void reset_reply(struct vuc_client *c, struct vuc_req *req,
                        struct vuc_reply *r)
{
    struct vuc_io_op *op = req->op;
    struct vuc_wire_err err;
    int rc = r->err;

    if (rc == 0) {
        rc = vuc_wire_dec_empty_reply(VFIO_USER_DEVICE_RESET, r->len, r->nfds,
                                      &err);
        if (rc < 0) {
            vuc_fail(c, rc, "%s", err.text);
        }
    }
    op->outstanding = 1;
    if (rc == 0) {
        /* Servers differ in what a reset does to eventfds; sending ours
         * again makes every one agree with the library. */
        rc = vuc_irq_reapply(c, false, reset_reapplied, op);
        if (rc == 0) {
            return;
        }
        rc = rc > 0 ? 0 : rc;
    }
    chunk_done(c, op, rc);
}

int vuc_device_reset_async(struct vuc_client *client, int timeout_ms,
                           vuc_done_cb cb, void *arg)
{
    struct vuc_client *c = client;
    int rc = vuc_call_start(c, "reset", cb);

    if (rc < 0) {
        return rc;
    }
    if (!(c->dev.flags & VFIO_USER_DEVICE_FLAGS_RESET)) {
        return vuc_fail(c, -ENOTSUP,
                        "reset: the device does not advertise reset "
                        "support (VFIO_DEVICE_FLAGS_RESET)");
    }
    struct vuc_io_op *op = op_get(c, cb, arg);
    if (op == NULL) {
        return vuc_fail(c, -ENOMEM, "out of memory");
    }
    /* A reset may take arbitrarily long ("Command Concurrency"): no timeout
     * unless the caller asks for one. */
    if (timeout_ms == VUC_TIMEOUT_DEFAULT) {
        timeout_ms = VUC_TIMEOUT_NONE;
    }
    if (vuc_req_send(c, VFIO_USER_DEVICE_RESET, NULL, 0, timeout_ms,
                     reset_reply, op, NULL, 0, &rc) == NULL) {
        op_put(c, op);
    }
    return rc;
}

const struct vuc_feature vuc_region_feature = {
    .name = "region",
    .release = io_ops_release,
};
