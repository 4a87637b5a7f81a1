/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Connecting an AF_UNIX stream socket without ever blocking the event loop.
 * A server that has bound its socket but does not accept() fills its listen
 * backlog; a blocking connect() would then wait for ever, and on Linux a
 * non-blocking one says EAGAIN and offers nothing to wait on (the socket
 * polls writable before it is connected). So the connector retries from a
 * timer, backing off, until the server accepts or the deadline passes.
 */
#ifndef VUC_CONNECTOR_H
#define VUC_CONNECTOR_H

#include <stdint.h>
#include <sys/un.h>

struct event;
struct event_base;

/**
 * The connect finished: fd is the connected socket (owned by the callee)
 * and err 0, or fd is -1 and err is -ETIMEDOUT (the server did not accept in
 * time) or the errno connect() failed with. Runs from the event loop.
 */
typedef void (*vuc_connector_fn)(void *arg, int fd, int err);

struct vuc_connector {
    int fd;
    struct event *timer;
    struct sockaddr_un sa;
    uint64_t deadline_ns; /* 0: none */
    unsigned delay_ms;    /* the next retry's, doubling to a cap */
    vuc_connector_fn done;
    void *arg;
};

/**
 * Start connecting to sa. timeout_ms (0 for none) bounds the wait for a
 * server that does not accept.
 * @return a connected socket (done is not called), -EINPROGRESS when done
 * will run once from the loop (unless cancelled first), or a negative errno
 * (done is not called).
 */
int vuc_connector_start(struct vuc_connector *k, struct event_base *base,
                        const struct sockaddr_un *sa, int timeout_ms,
                        vuc_connector_fn done, void *arg);

/** A connector that was never started, safe to cancel. */
static inline void vuc_connector_init(struct vuc_connector *k)
{
    k->fd = -1;
    k->timer = NULL;
}

/** Stop a connect in progress (done is not called) and release it; also
 * safe on one that finished, failed or was only initialised. */
void vuc_connector_cancel(struct vuc_connector *k);

#endif /* VUC_CONNECTOR_H */
