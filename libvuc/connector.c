/* SPDX-License-Identifier: BSD-3-Clause */
#include "connector.h"

#include <errno.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

/* Retries start fast (a busy server usually accepts within a millisecond or
 * two) and back off to a rate that costs nothing while a server is hung. */
#define RETRY_FIRST_MS 1u
#define RETRY_MAX_MS 50u

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* One connect() attempt: 0 when connected, -EAGAIN to try again, or the
 * errno of a failure no retry will mend. */
static int try_connect(struct vuc_connector *k)
{
    for (;;) {
        if (connect(k->fd, (const struct sockaddr *)&k->sa, sizeof(k->sa)) ==
            0) {
            return 0;
        }
        switch (errno) {
        case EINTR:
            continue;
        case EISCONN: /* an earlier attempt finished meanwhile */
            return 0;
        case EAGAIN:      /* the listen backlog is full */
        case EINPROGRESS: /* not on Linux AF_UNIX, but allowed by POSIX */
        case EALREADY:
            return -EAGAIN;
        default:
            return -errno;
        }
    }
}

static void release(struct vuc_connector *k)
{
    if (k->timer != NULL) {
        event_free(k->timer);
        k->timer = NULL;
    }
    if (k->fd >= 0) {
        close(k->fd);
        k->fd = -1;
    }
}

static void schedule(struct vuc_connector *k)
{
    unsigned ms = k->delay_ms;

    if (k->deadline_ns != 0) {
        uint64_t now = now_ns();
        uint64_t left = k->deadline_ns > now ? k->deadline_ns - now : 0;
        if (left / 1000000u < ms) {
            ms = (unsigned)((left + 999999u) / 1000000u);
        }
    }
    struct timeval tv = {(time_t)(ms / 1000u),
                         (suseconds_t)(ms % 1000u) * 1000};
    evtimer_add(k->timer, &tv);
    k->delay_ms =
        k->delay_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : k->delay_ms * 2;
}

static void retry_event(evutil_socket_t unused, short what, void *arg)
{
    struct vuc_connector *k = arg;
    int rc = try_connect(k);

    if (rc == -EAGAIN && (k->deadline_ns == 0 || now_ns() < k->deadline_ns)) {
        schedule(k);
        return;
    }
    int fd = -1;
    if (rc == 0) {
        fd = k->fd;
        k->fd = -1;
    } else if (rc == -EAGAIN) {
        rc = -ETIMEDOUT;
    }
    release(k);
    /* Last: the callee may free the memory k lives in. */
    k->done(k->arg, fd, rc);
}

int vuc_connector_start(struct vuc_connector *k, struct event_base *base,
                        const struct sockaddr_un *sa, int timeout_ms,
                        vuc_connector_fn done, void *arg)
{
    k->timer = NULL;
    k->sa = *sa;
    k->done = done;
    k->arg = arg;
    k->delay_ms = RETRY_FIRST_MS;
    k->deadline_ns =
        timeout_ms > 0 ? now_ns() + (uint64_t)timeout_ms * 1000000u : 0;
    k->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (k->fd < 0) {
        return -errno;
    }
    int rc = try_connect(k);
    if (rc == 0) {
        int fd = k->fd;
        k->fd = -1;
        return fd;
    }
    if (rc == -EAGAIN) {
        k->timer = evtimer_new(base, retry_event, k);
        if (k->timer == NULL) {
            rc = -ENOMEM;
        } else {
            schedule(k);
            return -EINPROGRESS;
        }
    }
    release(k);
    return rc;
}

void vuc_connector_cancel(struct vuc_connector *k)
{
    release(k);
}
