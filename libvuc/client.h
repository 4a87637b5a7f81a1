/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The client object shared by the library's modules, and the small set of
 * services each module may use: error text, logging, and the request layer
 * of conn.c.
 */
#ifndef VUC_CLIENT_H
#define VUC_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <vuc/vuc.h>

#include "feature.h"
#include "transport.h"

struct vuc_options {
    bool dma_noshare;
    bool twin_socket;
    bool irq_auto_unmask;
    int timeout_ms;
    uint16_t major, minor;
    unsigned max_msg_fds;
    uint32_t max_data_xfer_size;
    bool auto_mmap;
    vuc_log_fn log_fn;
    void *log_arg;
    enum vuc_log_level log_level;
};

/* ---- Requests (conn.c) --------------------------------------------------- */

struct vuc_req;

/* What ended a request. err is 0 for a good reply; otherwise a negative
 * errno: the server's error reply (hdr set), -ETIMEDOUT, -ECONNRESET or
 * -EPROTO (connection lost), -ECANCELED (client freed). For a good reply the
 * handler owns fds[0..nfds): it keeps one by setting its slot to -1; conn.c
 * closes the rest after the handler returns. */
struct vuc_reply {
    int err;
    const struct vfio_user_header *hdr;
    const uint8_t *payload;
    size_t len;
    int *fds;
    unsigned nfds;
};

/* Runs exactly once per submitted request. */
typedef void (*vuc_req_fn)(struct vuc_client *c, struct vuc_req *req,
                           struct vuc_reply *r);

struct vuc_req {
    struct vuc_client *client;
    uint16_t id, cmd;
    uint8_t state;
    /* Its deadline (0: none) in the client's deadline-ordered list. */
    uint64_t deadline_ns;
    struct vuc_req *tprev, *tnext;
    /* No_reply messages sent before it: its reply confirms them all. */
    uint64_t noreply_mark;
    vuc_req_fn fn;
    struct vuc_req *next_free;
    /* Per-operation context, owned by whoever submitted the request. */
    void *op;
    uint8_t *buf;
    uint64_t offset;
    uint64_t length;
    uint32_t count;
    uint32_t argsz;
    uint32_t index;
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

#define VUC_POSTED_SAFE_MAX 64u
#define VUC_POSTED_RING 256u

struct vuc_safe_range {
    uint32_t index;
    uint64_t offset, len;
};

/* A recent posted message, to name it if the server reports it failed. */
struct vuc_posted_rec {
    uint16_t id, cmd;
    uint32_t region;
    uint64_t offset;
    uint32_t len;
};

struct vuc_client {
    struct event_base *base;
    struct vuc_options opts;
    char errbuf[512];

    vuc_disconnect_cb disconnect_cb;
    void *disconnect_arg;

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

    /* Posted writes. fenced_seq counts the No_reply messages (noreply_sent)
     * a reply confirmed. */
    enum vuc_posting posting;
    bool bar_mem[6]; /* memory BARs (from config space at connect) */
    struct vuc_safe_range safe[VUC_POSTED_SAFE_MAX];
    unsigned nsafe;
    uint64_t fenced_seq;
    int posted_err;
    char posted_errtext[256];
    struct vuc_posted_rec posted_ring[VUC_POSTED_RING];
    unsigned posted_pos;
    struct vfio_user_write_multi_entry batch[VFIO_USER_MULTI_MAX];
    unsigned nbatch;
    struct vuc_posting_stats pstats;
    struct vuc_fence_op *free_fences;

    /* The device's migration flags, once asked (per connection). */
    uint64_t mig_flags;
    bool mig_probed;

    /* Dirty-page logging. */
    enum vuc_dirty_mode dirty_mode;
    uint64_t dirty_pgsize;

    /* DMA maps, sorted by IOVA. */
    struct vuc_dma_map **dma;
    unsigned ndma, dma_cap;

    /* Region operations: pooled, so steady-state I/O allocates nothing. */
    struct vuc_io_op *free_ops;
    struct vuc_deferred *deferred_head, *deferred_tail;
    struct event *defer_ev;

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
/* Run every queued d with err (client freed). */
void vuc_defer_cancel_all(struct vuc_client *c, int err);

/* ---- conn.c -------------------------------------------------------------- */

/* Open the main channel on a connected socket (owned from here on). */
int vuc_conn_open(struct vuc_client *c, int fd);

/*
 * Start a request: reserve its message in the outgoing queue and return the
 * payload space to encode into (payload_len bytes), or NULL with the reason
 * in vuc_strerror() and *rc set (-ENOTCONN, -EBUSY, -ENOMEM).
 */
struct vuc_req *vuc_req_start(struct vuc_client *c, uint16_t cmd,
                              size_t payload_len, void **payload, int *rc);

/* Send a started request with fds the channel will own (closed here on
 * failure, too; refused beyond the peer's max_msg_fds); fn runs once. */
int vuc_req_submit(struct vuc_client *c, struct vuc_req *req,
                   size_t payload_len, int timeout_ms, vuc_req_fn fn, int *fds,
                   unsigned nfds);

/* Answer a server request on the channel it came from: an error, or (for
 * DMA_READ/DMA_WRITE) the 16-byte address/count head followed by data_len
 * bytes of data. Nothing is sent for a request with No_reply. */
void vuc_conn_reply_error(struct vuc_client *c, struct vuc_chan *ch,
                          const struct vfio_user_header *hdr, int err);
void vuc_conn_reply(struct vuc_client *c, struct vuc_chan *ch,
                    const struct vfio_user_header *hdr, uint64_t addr,
                    uint64_t count, const void *data, size_t data_len);

/* Open the server-to-client channel on the socket VERSION passed. */
int vuc_conn_open_twin(struct vuc_client *c, int fd);

/* A message id no request in flight uses, for a message without reply. */
int vuc_conn_free_id(struct vuc_client *c, uint16_t *id);

/*
 * Start and submit in one go a request whose small payload is already
 * encoded (control messages; bulk data goes through vuc_req_start so it is
 * written into the queue once). len may be an encoder's negative errno. op goes
 * to req->op. Returns the request, for fields its handler reads (set them
 * before returning to the loop; the handler never runs earlier), or NULL with
 * *rc set and the fds closed.
 */
struct vuc_req *vuc_req_send(struct vuc_client *c, uint16_t cmd,
                             const void *payload, ssize_t len, int timeout_ms,
                             vuc_req_fn fn, void *op, int *fds, unsigned nfds,
                             int *rc);

/* A message without reply went into main's queue: the next request's reply
 * confirms it. */
static inline void vuc_conn_noreply_queued(struct vuc_client *c)
{
    c->noreply_sent++;
}

/* Give back a started request that will not be submitted. */
void vuc_req_abandon(struct vuc_client *c, struct vuc_req *req);

/* Fail every request and close the connection; -ECONNRESET or -EPROTO
 * reaches the user's disconnect callback when it was connected. */
void vuc_conn_fail(struct vuc_client *c, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Complete every request with err and shut the socket; memory stays. */
void vuc_conn_close(struct vuc_client *c, int err);

/* Release the connection's memory (after vuc_conn_close). */
void vuc_conn_release(struct vuc_client *c);

/* ---- discover.c ---------------------------------------------------------- */

extern const struct vuc_feature vuc_discover_feature;

/* Connect on fd; with restore, set up again what a lost connection had. */
int vuc_connect_begin(struct vuc_client *c, int fd, bool restore,
                      vuc_done_cb cb, void *arg);
/* VERSION finished (negotiate.c): go on discovering, or fail the connect. */
void vuc_connect_negotiated(struct vuc_client *c, int rc);
void vuc_discovery_clear(struct vuc_client *c);
/* Let go of the regions' mappings, fds and doorbells; the infos stay. */
void vuc_regions_release(struct vuc_client *c);

/* ---- reconnect.c --------------------------------------------------------- */

extern const struct vuc_feature vuc_reconnect_feature;

/* Hold the old connection's view of the device (infos, vectors) before a
 * reconnect clears the client. */
int vuc_held_take(struct vuc_client *c);
/* Give the vectors back once discovery found the same device; -ENODEV,
 * naming the difference, when it is another. 0 without a hold. */
int vuc_held_return(struct vuc_client *c);
/* A reconnect failed before the vectors went back: the old view replaces
 * what it found, as if it had not been tried. */
void vuc_held_restore(struct vuc_client *c);

/* ---- region.c ------------------------------------------------------------ */

extern const struct vuc_feature vuc_region_feature;

void vuc_region_unmap_all(struct vuc_client *c);

/* ---- irq.c --------------------------------------------------------------- */

/* Send the irq configuration again (after a reset or a reconnect; with
 * unmask, also unmask automasked vectors the caller did not mask). Returns
 * 1 when there is none (done is not called), 0 when done will follow, or a
 * negative errno. */
int vuc_irq_reapply(struct vuc_client *c, bool unmask, vuc_done_cb done,
                    void *arg);
/* Room for the state of num_irqs indexes (at discovery). */
int vuc_irq_setup(struct vuc_client *c, uint32_t num_irqs);
void vuc_irq_release_all(struct vuc_client *c);
void vuc_irq_state_free(struct vuc_irq_state *irqst,
                        const struct vuc_irq_info *irqs, uint32_t num_irqs);
/* Take the vectors out of the client for a reconnect (libvuc's eventfds are
 * not read meanwhile), and put them back once the device is known to be
 * the same (its irq info in c->irqs then matches theirs). */
struct vuc_irq_state *vuc_irq_hold(struct vuc_client *c);
void vuc_irq_adopt(struct vuc_client *c, struct vuc_irq_state *held);

/* ---- posting.c ----------------------------------------------------------- */

extern const struct vuc_feature vuc_posting_feature;

/* May this write be posted under the current policy? */
bool vuc_may_post(const struct vuc_client *c, uint32_t index, uint64_t offset,
                  size_t len);
/* Posted writes not yet confirmed by a fence (or a failure to report). */
bool vuc_posted_pending(const struct vuc_client *c);
/* Post a write (alone, batched, or through a doorbell); 0 or -errno. */
int vuc_post_write(struct vuc_client *c, uint32_t index, uint64_t offset,
                   const uint8_t *data, size_t len);
/* The ioeventfd entry a write would ring (fenced/posted only), or -1. */
int vuc_doorbell_find(const struct vuc_client *c, uint32_t index,
                      uint64_t offset, const uint8_t *data, size_t len);
/* Send the batch of small posted writes as one REGION_WRITE_MULTI. */
int vuc_post_flush_batch(struct vuc_client *c);
/* Fence, then fn(c, rc, arg) from the loop (at once-deferred when nothing
 * is outstanding). Returns 0 or -errno (fn not called). */
int vuc_fence_then(struct vuc_client *c, int timeout_ms, vuc_done_cb fn,
                   void *arg);

/* ---- migration.c and dirty.c --------------------------------------------- */

extern const struct vuc_feature vuc_dirty_feature;

/* Send DEVICE_FEATURE with flags and data; fn gets the reply, req->op = op,
 * req->index = flags. */
int vuc_feature_send(struct vuc_client *c, uint32_t flags, uint32_t argsz,
                     const void *data, size_t len, int timeout_ms,
                     vuc_req_fn fn, void *op);

/* ---- dma.c --------------------------------------------------------------- */

extern const struct vuc_feature vuc_dma_feature;

/* Forget the pages written by DMA_WRITE so far (logging starts afresh). */
void vuc_dma_msg_dirty_clear(struct vuc_client *c);
/* Whether [iova, iova + length) lies in maps whose fd the server never
 * got (no-share or fd-less), and in at least one map. */
bool vuc_dma_range_unshared(const struct vuc_client *c, uint64_t iova,
                            uint64_t length);
/* OR into bitmap (bit i = page iova + i * page_size) the pages of
 * [iova, iova + length) written by DMA_WRITE messages, and forget them. */
void vuc_dma_msg_dirty_merge(struct vuc_client *c, uint64_t iova,
                             uint64_t length, uint64_t page_size,
                             uint64_t *bitmap);

/* Map every map the connection lost again (a reconnect). Returns 1 when
 * there is none (done is not called), 0 when done will follow with the
 * first failure or 0, or a negative errno when nothing was sent. */
int vuc_dma_restore(struct vuc_client *c, vuc_done_cb done, void *arg);

#endif /* VUC_CLIENT_H */
