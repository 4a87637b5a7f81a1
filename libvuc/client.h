/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The client object shared by the library's modules, and the services of
 * the client core every module may use: error text, logging, re-entrancy
 * and deferred completions. Each module's own internals are declared in
 * its header (conn.h, dma.h, posting.h, ...).
 */
#ifndef VUC_CLIENT_H
#define VUC_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <vuc/vuc.h>

#include "dirty.h"
#include "dma.h"
#include "migration.h"
#include "posting.h"
#include "region.h"
#include "transport.h"
#include "wcomb.h"

struct vuc_options {
    bool dma_noshare;
    size_t dma_pool_bytes; /* 0: no pool */
    bool twin_socket;
    bool irq_auto_unmask;
    int timeout_ms;
    uint16_t major, minor;
    unsigned max_msg_fds;
    uint32_t max_data_xfer_size;
    size_t send_low, send_high; /* the outgoing queue's watermarks */
    bool auto_mmap;
    vuc_log_fn log_fn;
    void *log_arg;
    enum vuc_log_level log_level;
    vuc_trace_fn trace_fn;
    void *trace_arg;
};

/* ---- Deferred completions ------------------------------------------------ */

/* Work finished inside a user's call completes on the next loop iteration
 * (callbacks never run inside the call that started them), or with an error
 * when the client is freed first. Embedded in whatever needs it. */
struct vuc_deferred {
    struct vuc_deferred *next;
    /* err is 0 when run, -ECANCELED when cancelled. */
    void (*fn)(struct vuc_client *c, struct vuc_deferred *d, int err);
};

/* ---- The client ---------------------------------------------------------- */

struct vuc_io_op;
struct vuc_connect_op;
struct vuc_dma_map;
struct vuc_irq_state;
struct vuc_fence_op;
struct vuc_held;

struct vuc_region_map {
    uint64_t offset, size; /* within the region */
    void *addr;
};

struct vuc_region {
    struct vuc_region_info info;
    int fd; /* from GET_REGION_INFO, -1 without */
    struct vuc_region_map maps[VUC_MAX_SPARSE_AREAS];
    /* Doorbells from GET_REGION_IO_FDS: ioev[i] is signalled on ioev_fd[i]. */
    struct vuc_ioeventfd *ioev;
    int *ioev_fd;
    unsigned niofds;
};

struct vuc_client {
    struct event_base *base;
    struct vuc_options opts;
    char errbuf[512];

    vuc_disconnect_cb disconnect_cb;
    void *disconnect_arg;
    vuc_writable_cb writable_cb;
    void *writable_arg;

    /* Connection: main carries our requests; twin, when negotiated, the
     * server's requests ("twin-socket mode"). */
    struct vuc_chan main;
    bool chan_open; /* main was opened (and needs destroying) */
    struct vuc_chan twin;
    bool twin_open;
    bool negotiated; /* VERSION done */
    bool connected;  /* negotiated and discovered */
    struct vuc_connect_op *connecting;
    struct vuc_caps caps;
    char *server_json;
    uint32_t xfer_chunk; /* largest REGION_READ/WRITE count we send */

    /* Timeouts: requests ordered by deadline, and one timer that is only
     * moved earlier, never cancelled; when it fires late it re-arms for
     * the head. So a request costs no timer operation of its own. */
    struct vuc_req *tq_head, *tq_tail;
    struct event *timeout_ev;
    bool timeout_armed;
    uint64_t timeout_at;

    /* Requests in flight, found by id: slots[id & (nslots - 1)]. */
    struct vuc_req **slots;
    unsigned nslots;
    unsigned inflight;
    uint16_t next_id;
    struct vuc_req *free_reqs;
    /* No_reply messages queued on main so far (never reset). */
    uint64_t noreply_sent;

    /* Discovery results. */
    struct vuc_device_info dev;
    struct vuc_region *regions;
    struct vuc_irq_info *irqs;
    struct vuc_irq_state *irqst; /* one per irq index */
    /* What a lost connection had, while a reconnect finds the device. */
    struct vuc_held *held;

    /* Each feature's state, in place, so that using it allocates nothing. */
    struct vuc_posting_state post;
    struct vuc_wc_state wc;
    /* A region info reply had flag bits libvuc does not know: said once. */
    bool region_flags_logged;
    struct vuc_mig_state mig;
    struct vuc_dirty_state dirty;
    struct vuc_dma_state dma;
    struct vuc_region_state region;

    struct vuc_deferred *deferred_head, *deferred_tail;
    struct event *defer_ev;

    /* vuc_cork() depth: while above 0, features hold batches until the
     * outermost vuc_uncork() (or until ordering needs them sent). */
    unsigned corked;
    /* The current loop turn completed a blocking call (sync.c): its end
     * returns to that call's caller, not to the loop. */
    bool sync_turn;
    /* vuc_set_busy_poll(): how long a blocking call spins before it sleeps. */
    unsigned busy_poll_us;

    /* Re-entrancy: vuc_client_free() inside a callback is deferred until
     * the outermost library frame returns. */
    unsigned depth;
    bool free_requested;
};

/* ---- client.c ------------------------------------------------------------ */

/* Every public call starts with this: the error text describes the last
 * failure of the current call or of a completion since. */
static inline void vuc_begin(struct vuc_client *c)
{
    c->errbuf[0] = '\0';
}

/* The start of an asynchronous call that needs a connection: clears the
 * error text, then refuses a missing callback or a client not connected,
 * naming `what`. */
int vuc_call_start(struct vuc_client *c, const char *what, vuc_done_cb cb);

/* Record the last error text; returns rc for `return vuc_fail(...)`. */
int vuc_fail(struct vuc_client *c, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

void vuc_log(struct vuc_client *c, enum vuc_log_level level, const char *fmt,
             ...) __attribute__((format(printf, 3, 4)));

/* Bracket every entry from the event loop that may run user callbacks. */
void vuc_enter(struct vuc_client *c);
void vuc_leave(struct vuc_client *c);

/* Resolve a per-call timeout argument to milliseconds (0 = none). */
int vuc_timeout_ms(const struct vuc_client *c, int timeout_ms);

/* Queue d to run on the next loop iteration. */
void vuc_defer(struct vuc_client *c, struct vuc_deferred *d);
/* Run what is queued now, as the next loop iteration would (for a blocking
 * call whose operation completed inside the call); false if nothing was. */
bool vuc_defer_run(struct vuc_client *c);

/* May a feature hold a message back until control returns to the event
 * loop? Inside libvuc's callbacks, where the outermost vuc_leave() flushes
 * (VUC_FLUSH_DISPATCH). A caller's own event callbacks cannot be told from
 * a caller outside the loop (libevent 2.1's event_base_get_running_event()
 * dereferences NULL outside a callback), so their messages leave at once
 * unless the caller corks. */
static inline bool vuc_dispatch_hold(const struct vuc_client *c)
{
    return c->depth > 0;
}
/* Run every queued d with err (client freed). */
void vuc_defer_cancel_all(struct vuc_client *c, int err);

/* A message without reply went into main's queue: the next request's reply
 * confirms it. */
static inline void vuc_conn_noreply_queued(struct vuc_client *c)
{
    c->noreply_sent++;
}

#endif /* VUC_CLIENT_H */
