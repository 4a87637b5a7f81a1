/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The blocking layer: each call is its asynchronous twin plus "run the
 * caller's event base until that one operation completes". There is no
 * second implementation of any operation.
 */
#include <errno.h>
#include <time.h>

#include <event2/event.h>

#include "client.h"
#include "transport.h"

#include "conn.h"
#include "region.h"

struct sync_wait {
    bool done;
    int result;
};

static void sync_done(struct vuc_client *c, int result, void *arg)
{
    struct sync_wait *w = arg;

    c->sync_turn = true;
    w->done = true;
    w->result = result;
}

int vuc_set_busy_poll(struct vuc_client *client, unsigned usec)
{
    vuc_begin(client);
    if (usec > VUC_BUSY_POLL_MAX_US) {
        return vuc_fail(client, -EINVAL,
                        "busy poll: %u us is longer than the %u allowed", usec,
                        VUC_BUSY_POLL_MAX_US);
    }
    client->busy_poll_us = usec;
    return 0;
}

static uint64_t mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Spin for up to busy_poll_us until a socket has something for the loop to
 * dispatch: true then, false when the time ran out (the loop may sleep). */
static bool busy_poll(struct vuc_client *c)
{
    uint64_t end = mono_ns() + (uint64_t)c->busy_poll_us * 1000u;

    do {
        if (vuc_chan_rx_ready(&c->main) ||
            (c->twin_open && vuc_chan_rx_ready(&c->twin))) {
            return true;
        }
    } while (mono_ns() < end);
    return false;
}

static int sync_run(struct vuc_client *c, int started, struct sync_wait *w)
{
    struct event_base *base = c->base;

    if (started < 0) {
        return started;
    }
    bool spun = false;

    while (!w->done) {
        /* An operation done inside the call (a posted write, an access
         * through a mapping) waits only for the deferred queue, which the
         * loop would run next: run it without polling first. */
        if (vuc_defer_run(c)) {
            continue;
        }
        /* EVLOOP_ONCE blocks for the next event; every operation in flight
         * has its socket (or deferred event) registered, so one comes. A
         * busy poll that saw the reply arrive dispatches it without
         * sleeping. */
        int flags = EVLOOP_ONCE;
        /* Never two spins in a row: should the loop not consume what the
         * spin saw, the next turn sleeps instead of spinning for ever. */
        spun = !spun && c->busy_poll_us > 0 && c->connected && busy_poll(c);
        if (spun) {
            flags |= EVLOOP_NONBLOCK;
        }
        int rc = event_base_loop(base, flags);
        if (rc < 0) {
            return -EIO;
        }
        if (rc == 1 && !w->done) {
            /* Nothing left to wait for, yet no completion: only possible if
             * the operation's events were removed behind our back. */
            return -EIO;
        }
    }
    return w->result;
}

static void room_expired(evutil_socket_t fd, short what, void *arg)
{
    *(bool *)arg = true;
}

/*
 * A blocking call queues nothing while the outgoing queue is at its high
 * mark: it runs the loop until the queue falls below the mark, for at most
 * the client's timeout. Inside a callback the loop cannot run: there the
 * call is refused like an asynchronous one.
 */
static int sync_room(struct vuc_client *c)
{
    if (!vuc_conn_full(c)) {
        return 0;
    }
    if (c->depth > 0) {
        return vuc_conn_room(c, "blocking call");
    }
    bool expired = false;
    struct event *timer = NULL;
    int ms = c->opts.timeout_ms;
    if (ms > 0) {
        struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
        timer = evtimer_new(c->base, room_expired, &expired);
        if (timer == NULL || evtimer_add(timer, &tv) < 0) {
            if (timer != NULL) {
                event_free(timer);
            }
            return vuc_fail(c, -ENOMEM, "out of memory");
        }
    }
    while (vuc_conn_full(c) && !expired) {
        if (event_base_loop(c->base, EVLOOP_ONCE) < 0) {
            break;
        }
    }
    if (timer != NULL) {
        event_free(timer);
    }
    if (vuc_conn_full(c)) {
        return vuc_fail(c, -ETIMEDOUT,
                        "the outgoing queue to the server stayed full "
                        "(%zu bytes) for %d ms: the server is not reading "
                        "(stalled?)",
                        vuc_get_send_queued(c), ms);
    }
    return 0;
}

/* Every blocking call that queues something starts with this. */
#define WAIT_FOR_ROOM(c)                                                       \
    do {                                                                       \
        int room_ = sync_room(c);                                              \
        if (room_ < 0) {                                                       \
            return room_;                                                      \
        }                                                                      \
    } while (0)

int vuc_connect_path(struct vuc_client *client, const char *path)
{
    struct sync_wait w = {0};
    return sync_run(client, vuc_connect_path_async(client, path, sync_done, &w),
                    &w);
}

int vuc_connect_fd(struct vuc_client *client, int fd)
{
    struct sync_wait w = {0};
    return sync_run(client, vuc_connect_fd_async(client, fd, sync_done, &w),
                    &w);
}

int vuc_reconnect_path(struct vuc_client *client, const char *path)
{
    struct sync_wait w = {0};
    return sync_run(client,
                    vuc_reconnect_path_async(client, path, sync_done, &w), &w);
}

int vuc_reconnect_fd(struct vuc_client *client, int fd)
{
    struct sync_wait w = {0};
    return sync_run(client, vuc_reconnect_fd_async(client, fd, sync_done, &w),
                    &w);
}

int vuc_region_read(struct vuc_client *client, uint32_t index, uint64_t offset,
                    void *buf, size_t len)
{
    WAIT_FOR_ROOM(client);
    struct sync_wait w = {0};
    return sync_run(client,
                    vuc_region_read_async(client, index, offset, buf, len,
                                          VUC_TIMEOUT_DEFAULT, sync_done, &w),
                    &w);
}

int vuc_region_write(struct vuc_client *client, uint32_t index, uint64_t offset,
                     const void *buf, size_t len)
{
    int now = vuc_region_write_now(client, index, offset, buf, len);
    if (now <= 0) {
        return now;
    }
    WAIT_FOR_ROOM(client);
    struct sync_wait w = {0};
    return sync_run(client,
                    vuc_region_write_async(client, index, offset, buf, len,
                                           VUC_TIMEOUT_DEFAULT, sync_done, &w),
                    &w);
}

struct sync_map_wait {
    struct sync_wait w;
    struct vuc_dma_map *map;
};

static void sync_map_done(struct vuc_client *c, int result,
                          struct vuc_dma_map *map, void *arg)
{
    struct sync_map_wait *w = arg;

    w->map = map;
    sync_done(c, result, &w->w);
}

int vuc_dma_alloc(struct vuc_client *client, size_t size, uint64_t iova,
                  unsigned flags, struct vuc_dma_map **map)
{
    *map = NULL;
    WAIT_FOR_ROOM(client);
    struct sync_map_wait w = {{0}, NULL};
    int rc =
        sync_run(client,
                 vuc_dma_alloc_async(client, size, iova, flags,
                                     VUC_TIMEOUT_DEFAULT, sync_map_done, &w),
                 &w.w);
    *map = w.map;
    return rc;
}

int vuc_dma_map(struct vuc_client *client, int fd, uint64_t fd_offset,
                void *vaddr, size_t size, uint64_t iova, unsigned flags,
                struct vuc_dma_map **map)
{
    *map = NULL;
    WAIT_FOR_ROOM(client);
    struct sync_map_wait w = {{0}, NULL};
    int rc = sync_run(client,
                      vuc_dma_map_async(client, fd, fd_offset, vaddr, size,
                                        iova, flags, VUC_TIMEOUT_DEFAULT,
                                        sync_map_done, &w),
                      &w.w);
    *map = w.map;
    return rc;
}

int vuc_dma_unmap(struct vuc_client *client, struct vuc_dma_map *map)
{
    WAIT_FOR_ROOM(client);
    struct sync_wait w = {0};
    return sync_run(
        client,
        vuc_dma_unmap_async(client, map, VUC_TIMEOUT_DEFAULT, sync_done, &w),
        &w);
}

int vuc_irq_enable(struct vuc_client *client, uint32_t index, uint32_t start,
                   uint32_t count, vuc_irq_cb cb, void *cb_arg)
{
    WAIT_FOR_ROOM(client);
    struct sync_wait w = {0};
    return sync_run(client,
                    vuc_irq_enable_async(client, index, start, count, cb,
                                         cb_arg, VUC_TIMEOUT_DEFAULT, sync_done,
                                         &w),
                    &w);
}

int vuc_irq_set_eventfds(struct vuc_client *client, uint32_t index,
                         uint32_t start, uint32_t count, const int *fds)
{
    WAIT_FOR_ROOM(client);
    struct sync_wait w = {0};
    return sync_run(client,
                    vuc_irq_set_eventfds_async(client, index, start, count, fds,
                                               VUC_TIMEOUT_DEFAULT, sync_done,
                                               &w),
                    &w);
}

int vuc_irq_disable(struct vuc_client *client, uint32_t index)
{
    WAIT_FOR_ROOM(client);
    struct sync_wait w = {0};
    return sync_run(client,
                    vuc_irq_disable_async(client, index, VUC_TIMEOUT_DEFAULT,
                                          sync_done, &w),
                    &w);
}

int vuc_irq_action(struct vuc_client *client, uint32_t index, uint32_t start,
                   uint32_t count, uint32_t action, const bool *which)
{
    WAIT_FOR_ROOM(client);
    struct sync_wait w = {0};
    return sync_run(client,
                    vuc_irq_action_async(client, index, start, count, action,
                                         which, VUC_TIMEOUT_DEFAULT, sync_done,
                                         &w),
                    &w);
}

int vuc_dma_unmap_dirty(struct vuc_client *client, struct vuc_dma_map *map,
                        uint64_t page_size, uint64_t *bitmap, size_t words)
{
    WAIT_FOR_ROOM(client);
    struct sync_wait w = {0};
    return sync_run(client,
                    vuc_dma_unmap_dirty_async(client, map, page_size, bitmap,
                                              words, VUC_TIMEOUT_DEFAULT,
                                              sync_done, &w),
                    &w);
}

int vuc_fence(struct vuc_client *client)
{
    WAIT_FOR_ROOM(client);
    struct sync_wait w = {0};

    /* The asynchronous fence completes from the next loop turn even when it
     * has nothing to confirm; a blocking caller need not wait for that. */
    if (vuc_fence_idle(client)) {
        return 0;
    }
    return sync_run(client,
                    vuc_fence_async(client, VUC_TIMEOUT_DEFAULT, sync_done, &w),
                    &w);
}

int vuc_dirty_start(struct vuc_client *client,
                    const struct vuc_dirty_range *ranges, unsigned n,
                    uint64_t page_size)
{
    WAIT_FOR_ROOM(client);
    struct sync_wait w = {0};
    return sync_run(client,
                    vuc_dirty_start_async(client, ranges, n, page_size,
                                          VUC_TIMEOUT_DEFAULT, sync_done, &w),
                    &w);
}

int vuc_dirty_stop(struct vuc_client *client)
{
    WAIT_FOR_ROOM(client);
    struct sync_wait w = {0};
    return sync_run(
        client,
        vuc_dirty_stop_async(client, VUC_TIMEOUT_DEFAULT, sync_done, &w), &w);
}

int vuc_dirty_report(struct vuc_client *client, uint64_t iova, uint64_t length,
                     uint64_t page_size, uint64_t *bitmap, size_t words)
{
    WAIT_FOR_ROOM(client);
    struct sync_wait w = {0};
    return sync_run(client,
                    vuc_dirty_report_async(client, iova, length, page_size,
                                           bitmap, words, VUC_TIMEOUT_DEFAULT,
                                           sync_done, &w),
                    &w);
}

int vuc_mig_probe(struct vuc_client *client, uint64_t *flags)
{
    WAIT_FOR_ROOM(client);
    struct sync_wait w = {0};
    return sync_run(
        client,
        vuc_mig_probe_async(client, flags, VUC_TIMEOUT_DEFAULT, sync_done, &w),
        &w);
}

int vuc_mig_get_state(struct vuc_client *client, uint32_t *state)
{
    WAIT_FOR_ROOM(client);
    struct sync_wait w = {0};
    return sync_run(client,
                    vuc_mig_get_state_async(client, state, VUC_TIMEOUT_DEFAULT,
                                            sync_done, &w),
                    &w);
}

int vuc_mig_set_state(struct vuc_client *client, uint32_t target)
{
    WAIT_FOR_ROOM(client);
    struct sync_wait w = {0};
    return sync_run(client,
                    vuc_mig_set_state_async(client, target, VUC_TIMEOUT_DEFAULT,
                                            sync_done, &w),
                    &w);
}

int vuc_mig_read(struct vuc_client *client, void *buf, uint32_t size,
                 uint32_t *got)
{
    WAIT_FOR_ROOM(client);
    struct sync_wait w = {0};
    return sync_run(client,
                    vuc_mig_read_async(client, buf, size, got,
                                       VUC_TIMEOUT_DEFAULT, sync_done, &w),
                    &w);
}

int vuc_mig_write(struct vuc_client *client, const void *buf, size_t len)
{
    WAIT_FOR_ROOM(client);
    struct sync_wait w = {0};
    return sync_run(client,
                    vuc_mig_write_async(client, buf, len, VUC_TIMEOUT_DEFAULT,
                                        sync_done, &w),
                    &w);
}

int vuc_device_reset(struct vuc_client *client)
{
    WAIT_FOR_ROOM(client);
    struct sync_wait w = {0};
    return sync_run(
        client,
        vuc_device_reset_async(client, VUC_TIMEOUT_DEFAULT, sync_done, &w), &w);
}
