/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Waiting for interrupts: the blocking layer's vuc_irq_wait(), which runs
 * the client's event loop until a vector has events to report.
 */
#include <errno.h>

#include <event2/event.h>

#include "client.h"
#include "irq.h"
#include "posting.h"

static void wait_timeout(evutil_socket_t fd, short what, void *arg)
{
    *(bool *)arg = true;
}

int vuc_irq_wait(struct vuc_client *client, uint32_t index, uint32_t vector,
                 int timeout_ms, struct vuc_irq_event *ev)
{
    struct vuc_client *c = client;
    bool expired = false;
    struct event *timer = NULL;

    vuc_begin(c);
    if (ev == NULL) {
        return vuc_fail(c, -EINVAL, "irq wait: needs an event to fill");
    }
    /* The same convention as every request: negative means the client's
     * default, so that only VUC_TIMEOUT_NONE blocks for ever. */
    timeout_ms = vuc_timeout_ms(c, timeout_ms);
    if (!c->connected) {
        return vuc_irq_take_unseen(c, index, vector, ev)
                   ? 0
                   : vuc_fail(c, -ENOTCONN, "irq wait: not connected");
    }
    /* Fenced: the writes posted before the wait are processed first, so
     * whatever they make the device do comes after them. */
    if (c->connected && c->post.policy == VUC_POSTING_FENCED &&
        vuc_posted_pending(c)) {
        int rc = vuc_fence(c);
        if (rc < 0) {
            return rc;
        }
    }
    if (vuc_irq_take_unseen(c, index, vector, ev)) {
        return 0;
    }
    if (timeout_ms > 0) {
        struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
        timer = evtimer_new(c->base, wait_timeout, &expired);
        if (timer == NULL || evtimer_add(timer, &tv) < 0) {
            if (timer != NULL) {
                event_free(timer);
            }
            return vuc_fail(c, -ENOMEM, "irq wait: out of memory");
        }
    }
    int rc = 0;
    while (!vuc_irq_take_unseen(c, index, vector, ev)) {
        if (expired) {
            rc = vuc_fail(c, -ETIMEDOUT, "irq wait: no interrupt within %d ms",
                          timeout_ms);
            break;
        }
        if (!c->connected) {
            rc = vuc_fail(c, -ENOTCONN, "irq wait: the connection was lost");
            break;
        }
        if (event_base_loop(c->base, EVLOOP_ONCE) < 0) {
            rc = vuc_fail(c, -EIO, "irq wait: the event loop failed");
            break;
        }
    }
    if (timer != NULL) {
        event_free(timer);
    }
    return rc;
}
