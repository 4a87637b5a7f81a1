/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fds a personality watches (a backend socket) and its timers, which
 * the serve loop (proto.c) waits on beside the client's socket. Both run
 * between client messages and never while a DMA request waits, so a
 * handler sees the device exactly as message handlers do and may itself
 * use td_dma_read()/td_dma_write() and irq_fire().
 *
 * Small fixed tables: a device has a handful of each, and the serve loop
 * must not allocate.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>

#include "testdev.h"

int td_watch_fd(struct testdev *td, int fd, td_event_fn *fn, void *arg)
{
    struct td_events *ev = &td->ev;

    if (ev->nwatch == TD_MAX_WATCHES)
        return -ENOSPC;
    ev->watch[ev->nwatch++] = (struct td_watch){fd, fn, arg};
    return 0;
}

void td_unwatch_fd(struct testdev *td, int fd)
{
    struct td_events *ev = &td->ev;
    size_t i;

    for (i = 0; i < ev->nwatch; i++) {
        if (ev->watch[i].fd == fd) {
            ev->watch[i] = ev->watch[--ev->nwatch];
            return;
        }
    }
}

static struct td_timer *timer_find(struct td_events *ev, td_event_fn *fn,
                                   void *arg)
{
    size_t i;

    for (i = 0; i < TD_MAX_TIMERS; i++)
        if (ev->timer[i].fn == fn && ev->timer[i].arg == arg)
            return &ev->timer[i];
    return NULL;
}

int td_timer_set(struct testdev *td, uint64_t deadline_ns, td_event_fn *fn,
                 void *arg)
{
    struct td_timer *t = timer_find(&td->ev, fn, arg);

    if (!t)
        t = timer_find(&td->ev, NULL, NULL);
    if (!t)
        return -ENOSPC;
    *t = (struct td_timer){deadline_ns, fn, arg};
    return 0;
}

void td_timer_cancel(struct testdev *td, td_event_fn *fn, void *arg)
{
    struct td_timer *t = timer_find(&td->ev, fn, arg);

    if (t && fn)
        *t = (struct td_timer){0, NULL, NULL};
}

uint64_t events_next_deadline(const struct testdev *td)
{
    uint64_t next = UINT64_MAX;
    size_t i;

    for (i = 0; i < TD_MAX_TIMERS; i++)
        if (td->ev.timer[i].fn && td->ev.timer[i].deadline_ns < next)
            next = td->ev.timer[i].deadline_ns;
    return next;
}

/* Readable watched fds, found without waiting; their count. */
static int poll_watches(struct testdev *td, struct pollfd *pfd)
{
    size_t i;

    for (i = 0; i < td->ev.nwatch; i++)
        pfd[i] = (struct pollfd){.fd = td->ev.watch[i].fd, .events = POLLIN};
    return td->ev.nwatch ? poll(pfd, td->ev.nwatch, 0) : 0;
}

bool events_ready(struct testdev *td)
{
    struct pollfd pfd[TD_MAX_WATCHES];
    uint64_t next = events_next_deadline(td);

    if (next != UINT64_MAX && next <= td_now_ns())
        return true;
    return poll_watches(td, pfd) > 0;
}

int events_run(struct testdev *td)
{
    struct td_watch ready[TD_MAX_WATCHES];
    struct pollfd pfd[TD_MAX_WATCHES];
    uint64_t now = td_now_ns();
    size_t i, n = 0;
    int rc;

    for (i = 0; i < TD_MAX_TIMERS; i++) {
        struct td_timer t = td->ev.timer[i];

        if (!t.fn || t.deadline_ns > now)
            continue;
        /* Freed first: the handler may set it again. */
        td->ev.timer[i] = (struct td_timer){0, NULL, NULL};
        rc = t.fn(td, t.arg);
        if (rc < 0)
            return rc;
    }
    if (poll_watches(td, pfd) <= 0)
        return 0;
    /* Copied first: a handler may unwatch fds. */
    for (i = 0; i < td->ev.nwatch; i++)
        if (pfd[i].revents)
            ready[n++] = td->ev.watch[i];
    for (i = 0; i < n; i++) {
        rc = ready[i].fn(td, ready[i].arg);
        if (rc < 0)
            return rc;
    }
    return 0;
}
