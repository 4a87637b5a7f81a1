/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Options, the client's lifetime, error text, logging and deferred
 * completions.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "client.h"
#include "conn.h"
#include "feature.h"

#define DEFAULT_TIMEOUT_MS 5000
#define DEFAULT_MAX_MSG_FDS 16u
#define MIN_XFER 4096u
#define MAX_XFER (64u << 20)
/* A few times what a Unix socket buffers by default (about 200 KiB), and
 * four of the largest messages we send by default. */
#define DEFAULT_SEND_HIGH (4u << 20)
#define DEFAULT_SEND_LOW (1u << 20)
/* Below this the mark would stop ordinary traffic (one default-sized
 * REGION_WRITE) from ever being queued behind another. */
#define MIN_SEND_HIGH 4096u

#define VUC_STR2(x) #x
#define VUC_STR(x) VUC_STR2(x)

const char *vuc_version(void)
{
    return VUC_STR(VUC_VERSION_MAJOR) "." VUC_STR(
        VUC_VERSION_MINOR) "." VUC_STR(VUC_VERSION_PATCH);
}

/* ---- Options ------------------------------------------------------------ */

static const struct vuc_options default_options = {
    .timeout_ms = DEFAULT_TIMEOUT_MS,
    .major = VUC_PROTO_MAJOR,
    .minor = VUC_PROTO_MINOR,
    .max_msg_fds = DEFAULT_MAX_MSG_FDS,
    .max_data_xfer_size = VFIO_USER_DEFAULT_MAX_DATA_XFER_SIZE,
    .send_low = DEFAULT_SEND_LOW,
    .send_high = DEFAULT_SEND_HIGH,
    .auto_mmap = true,
    .dma_pool_bytes = VUC_DMA_POOL_DEFAULT_BYTES,
    .twin_socket = true,
    .irq_auto_unmask = true,
    .log_level = VUC_LOG_WARNING,
};

struct vuc_options *vuc_options_new(void)
{
    struct vuc_options *o = malloc(sizeof(*o));
    if (o != NULL) {
        *o = default_options;
    }
    return o;
}

void vuc_options_free(struct vuc_options *opts)
{
    free(opts);
}

int vuc_options_set_timeout(struct vuc_options *opts, int ms)
{
    if (ms < 0) {
        return -EINVAL;
    }
    opts->timeout_ms = ms;
    return 0;
}

int vuc_options_set_version(struct vuc_options *opts, uint16_t major,
                            uint16_t minor)
{
    /* Major 0 is the only one the specification defines. */
    if (major != VUC_PROTO_MAJOR) {
        return -EINVAL;
    }
    opts->major = major;
    opts->minor = minor;
    return 0;
}

int vuc_options_set_max_msg_fds(struct vuc_options *opts, unsigned n)
{
    if (n < 1 || n > VUC_SCM_MAX_FD) {
        return -EINVAL;
    }
    opts->max_msg_fds = n;
    return 0;
}

int vuc_options_set_max_data_xfer_size(struct vuc_options *opts, uint32_t bytes)
{
    if (bytes < MIN_XFER || bytes > MAX_XFER) {
        return -EINVAL;
    }
    opts->max_data_xfer_size = bytes;
    return 0;
}

int vuc_options_set_send_watermarks(struct vuc_options *opts, size_t low,
                                    size_t high)
{
    if (high < MIN_SEND_HIGH || low >= high) {
        return -EINVAL;
    }
    opts->send_low = low;
    opts->send_high = high;
    return 0;
}

int vuc_options_set_auto_mmap(struct vuc_options *opts, bool on)
{
    opts->auto_mmap = on;
    return 0;
}

int vuc_options_set_dma_noshare(struct vuc_options *opts, bool on)
{
    opts->dma_noshare = on;
    return 0;
}

int vuc_options_set_dma_pool(struct vuc_options *opts, size_t max_bytes)
{
    opts->dma_pool_bytes = max_bytes;
    return 0;
}

int vuc_options_set_twin_socket(struct vuc_options *opts, bool on)
{
    opts->twin_socket = on;
    return 0;
}

int vuc_options_set_irq_auto_unmask(struct vuc_options *opts, bool on)
{
    opts->irq_auto_unmask = on;
    return 0;
}

int vuc_options_set_log(struct vuc_options *opts, vuc_log_fn fn, void *arg,
                        enum vuc_log_level level)
{
    opts->log_fn = fn;
    opts->log_arg = arg;
    opts->log_level = level;
    return 0;
}

/* ---- Errors and logging ------------------------------------------------ */

int vuc_fail(struct vuc_client *c, int rc, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(c->errbuf, sizeof(c->errbuf), fmt, ap);
    va_end(ap);
    return rc;
}

void vuc_log(struct vuc_client *c, enum vuc_log_level level, const char *fmt,
             ...)
{
    char line[512];
    va_list ap;

    if (c->opts.log_fn == NULL || level > c->opts.log_level) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    c->opts.log_fn(c->opts.log_arg, level, line);
}

int vuc_call_start(struct vuc_client *c, const char *what, vuc_done_cb cb)
{
    vuc_begin(c);
    if (cb == NULL) {
        return vuc_fail(c, -EINVAL, "%s: needs a callback", what);
    }
    if (!c->connected) {
        return vuc_fail(c, -ENOTCONN, "%s: not connected", what);
    }
    return vuc_conn_room(c, what);
}

const char *vuc_strerror(const struct vuc_client *client)
{
    return client->errbuf;
}

int vuc_timeout_ms(const struct vuc_client *c, int timeout_ms)
{
    return timeout_ms < 0 ? c->opts.timeout_ms : timeout_ms;
}

/* ---- Lifetime ------------------------------------------------------------ */

void vuc_defer(struct vuc_client *c, struct vuc_deferred *d)
{
    d->next = NULL;
    if (c->deferred_tail != NULL) {
        c->deferred_tail->next = d;
    } else {
        c->deferred_head = d;
    }
    c->deferred_tail = d;
    event_active(c->defer_ev, EV_TIMEOUT, 0);
}

void vuc_defer_cancel_all(struct vuc_client *c, int err)
{
    while (c->deferred_head != NULL) {
        struct vuc_deferred *d = c->deferred_head;
        c->deferred_head = d->next;
        if (c->deferred_head == NULL) {
            c->deferred_tail = NULL;
        }
        d->fn(c, d, err);
    }
}

bool vuc_defer_run(struct vuc_client *c)
{
    if (c->deferred_head == NULL) {
        return false;
    }
    vuc_enter(c);
    /* Work deferred by these callbacks waits for the next round. */
    struct vuc_deferred *d = c->deferred_head;
    c->deferred_head = c->deferred_tail = NULL;
    while (d != NULL) {
        struct vuc_deferred *next = d->next;
        /* Freed from a callback: the rest complete as cancelled. */
        d->fn(c, d, c->free_requested ? -ECANCELED : 0);
        d = next;
    }
    vuc_leave(c); /* may free c */
    return true;
}

static void defer_event(evutil_socket_t fd, short what, void *arg)
{
    vuc_defer_run(arg);
}

struct vuc_client *vuc_client_new(struct event_base *base,
                                  const struct vuc_options *opts)
{
    if (base == NULL) {
        errno = EINVAL;
        return NULL;
    }
    struct vuc_client *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        return NULL;
    }
    c->base = base;
    c->opts = opts ? *opts : default_options;
    c->main.fd = -1;
    c->twin.fd = -1;
    c->defer_ev = event_new(base, -1, 0, defer_event, c);
    if (c->defer_ev == NULL) {
        free(c);
        errno = ENOMEM;
        return NULL;
    }
    return c;
}

static void client_destroy(struct vuc_client *c)
{
    vuc_conn_release(c);
    vuc_features_release(c);
    event_free(c->defer_ev);
    free(c);
}

void vuc_client_free(struct vuc_client *client)
{
    struct vuc_client *c = client;

    if (c == NULL || c->free_requested) {
        return;
    }
    c->free_requested = true;
    /* Hold the client while the cancelled callbacks run, so a nested free
     * (or the frame we were called from) finds it intact. */
    vuc_enter(c);
    vuc_fail(c, -ECANCELED, "the client was freed");
    vuc_conn_close(c, -ECANCELED);
    vuc_defer_cancel_all(c, -ECANCELED);
    vuc_leave(c);
}

void vuc_enter(struct vuc_client *c)
{
    c->depth++;
}

void vuc_leave(struct vuc_client *c)
{
    if (c->depth == 1 && !c->free_requested) {
        /* Control returns to the loop: what callbacks held back leaves
         * together. Still inside, so a failure cannot free c under us; it
         * is kept for the next fence by the feature that failed. */
        vuc_features_flush(c, VUC_FLUSH_DISPATCH);
    }
    if (--c->depth == 0 && c->free_requested) {
        client_destroy(c);
    }
}

int vuc_cork(struct vuc_client *client)
{
    vuc_begin(client);
    if (client->corked == UINT_MAX) {
        return vuc_fail(client, -EOVERFLOW, "cork: nested too deep");
    }
    client->corked++;
    return 0;
}

int vuc_uncork(struct vuc_client *client)
{
    struct vuc_client *c = client;

    vuc_begin(c);
    if (c->corked == 0) {
        return vuc_fail(c, -EINVAL, "uncork: the client is not corked");
    }
    if (--c->corked > 0) {
        return 0;
    }
    return vuc_features_flush(c, VUC_FLUSH_UNCORK);
}

void vuc_set_disconnect_cb(struct vuc_client *client, vuc_disconnect_cb cb,
                           void *arg)
{
    client->disconnect_cb = cb;
    client->disconnect_arg = arg;
}

void vuc_set_writable_cb(struct vuc_client *client, vuc_writable_cb cb,
                         void *arg)
{
    client->writable_cb = cb;
    client->writable_arg = arg;
}

struct event_base *vuc_client_base(const struct vuc_client *client)
{
    return client->base;
}

bool vuc_is_connected(const struct vuc_client *client)
{
    return client->connected;
}
