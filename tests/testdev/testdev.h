/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internal interfaces of vuc-testdev. The program is split by concern:
 *
 *   main.c     options, sockets, the accept loop, signals, waiting
 *   proto.c    framing (recvmsg/sendmsg with SCM_RIGHTS) and dispatch
 *   version.c  VFIO_USER_VERSION and capability negotiation (jansson)
 *   device.c   regions: BAR0 registers, BAR1 memory, device info, reset
 *   pci.c      PCI configuration space
 *   irq.c      interrupt info, SET_IRQS and eventfd signalling
 *   dma.c      the DMA map table, direct access to mapped client memory
 *              and the record of pages written through it
 *   dev_testdev_dma.c  the DMA engine's jobs (BAR0 0x100..0x1ff)
 *   iofd.c     DEVICE_GET_REGION_IO_FDS and the doorbell ioeventfd
 *   feature.c  DEVICE_FEATURE: what all features share, and dispatch
 *   migration.c  the migration state machine, the migration data stream
 *              (MIG_DATA_READ/WRITE) and its format
 *   dirty.c    dirty page logging: the DMA logging features, the legacy
 *              DIRTY_PAGES command and DMA_UNMAP's legacy bitmap
 *
 * The server depends only on include/vuc/protocol.h, never on libvuc, so
 * that it tests the library rather than agreeing with it by construction.
 */
#ifndef VUC_TESTDEV_H
#define VUC_TESTDEV_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include <vuc/protocol.h>

#include "testdev_regs.h"

/* The kernel's SCM_MAX_FD: no message can carry more, so a control buffer
 * of this size never truncates and we can tell "too many" apart. */
#define TD_FDS_CAP 253u
#define TD_MAX_DATA_XFER_CAP (64u * 1024u * 1024u)
#define TD_PAGE_SIZE TESTDEV_PGSIZES /* the only page size we support */

/* ---- Options and logging (main.c) ---------------------------------------- */

struct td_options {
    const char *socket_path; /* NULL with --fd */
    int fd;                  /* -1 with --socket-path */
    uint32_t max_data_xfer_size;
    uint32_t max_msg_fds;
    uint32_t max_dma_maps;
    uint16_t minor;
    bool no_reset;
    bool no_twin;
    bool no_write_multiple;
    bool no_io_fds;
    bool reply_errors_on_noreply;
    bool no_migration; /* no migration features, no "migration" in VERSION */
    bool no_pre_copy;  /* migration without the PRE_COPY state */
    bool no_dirty;     /* no dirty page logging of either kind */
    bool legacy_dirty; /* dirty pages by the 0.9.1 DIRTY_PAGES, not features */
};

extern bool td_verbose;

void td_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void td_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Every wait goes through these so that SIGTERM/SIGINT, which stay blocked
 * everywhere else, are delivered only inside ppoll() and cannot be lost
 * between a check and a sleep.
 */
/** @return revents (> 0), or -EINTR once a stop was requested. */
int td_wait_fd(int fd, short events);
/** As td_wait_fd() on several fds. @return the number ready (> 0), or
 * -EINTR once a stop was requested. */
int td_wait_fds(struct pollfd *pfd, nfds_t n);
/**
 * Sleep @p ms milliseconds, cut short if @p watch_fd (unless -1) hangs up.
 * @return 0 after the full time, 1 if watch_fd hung up, or -EINTR once a
 * stop was requested.
 */
int td_sleep_ms(unsigned int ms, int watch_fd);
bool td_stop_requested(void);

/* ---- Messages (proto.c) -------------------------------------------------- */

struct td_msg {
    struct vfio_user_header hdr;
    uint8_t *data; /* payload: hdr.msg_size - 16 bytes */
    size_t len;
    int fds[TD_FDS_CAP]; /* a handler that keeps one sets its slot to -1 */
    size_t nfds;
    bool fds_lost; /* more fds came than a message can carry */
};

/** Close the message's fds and free its payload. */
void td_msg_release(struct td_msg *m);

#define TD_REPLY_INLINE 64u

struct td_reply {
    void *data; /* NULL: the payload is in inline_buf */
    size_t len;
    uint8_t inline_buf[TD_REPLY_INLINE];
    int fd;           /* sent with the reply; -1 for none */
    bool close_fd;    /* fd is ours: close it once the reply is gone */
    bool silent;      /* send nothing (the message was not a command) */
    bool close_after; /* close the connection once the reply is sent */
    bool vanish;      /* close the connection without replying */
};

/** Reply payload buffer of @p len bytes (inline or heap), or NULL. */
void *td_reply_alloc(struct td_reply *r, size_t len);

/*
 * Record why a request is refused; the reason is logged with the message it
 * belongs to. Returns @p err so handlers can `return td_fail(EINVAL, ...)`.
 */
int td_fail(int err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Detail for the verbose log line of the message being handled. */
void td_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

const char *td_cmd_name(uint16_t cmd);

/* ---- PCI configuration space (pci.c) ------------------------------------- */

struct td_pci {
    uint8_t cfg[TESTDEV_CONFIG_SIZE];
    uint8_t wmask[TESTDEV_CONFIG_SIZE];   /* bits a write may change */
    uint8_t w1cmask[TESTDEV_CONFIG_SIZE]; /* bits a written 1 clears */
};

void pci_init(struct td_pci *pci);
void pci_read(const struct td_pci *pci, uint32_t off, uint32_t count,
              uint8_t *buf);
void pci_write(struct td_pci *pci, uint32_t off, uint32_t count,
               const uint8_t *buf);
/**
 * Whether @p cfg is a config space this device can have: every bit that
 * writes cannot change as at power-on, no unsupported power state.
 * @return -1 if so, else the offset of the first byte that is not.
 */
long pci_image_check(const uint8_t cfg[TESTDEV_CONFIG_SIZE]);

/* ---- Interrupts (irq.c) -------------------------------------------------- */

#define TD_IRQ_MAX_VECTORS TESTDEV_MSIX_COUNT

struct td_irq_vector {
    int trigger_fd; /* client's eventfd, -1 when unassigned */
    bool masked;
    bool pending; /* fired while masked: delivered on unmask */
};

struct td_irq_index {
    uint32_t count;
    uint32_t info_flags;
    struct td_irq_vector vec[TD_IRQ_MAX_VECTORS];
};

struct td_irqs {
    struct td_irq_index index[VFIO_USER_PCI_NUM_IRQS];
};

/* The interrupt hook registers (BAR0 0x200..0x2ff). */
struct td_irq_hooks {
    uint32_t select; /* (index << 16) | vector */
    uint32_t fired;
    uint32_t delivered;
};

void irq_init(struct td_irqs *irqs);
/** Close every eventfd and forget masks (client disconnection). */
void irq_release_all(struct td_irqs *irqs);
/**
 * Raise one interrupt vector as the device would: signal its eventfd,
 * or latch it as pending while masked; an automasked index masks itself.
 * @return 0 when signalled, 1 when latched or no eventfd is assigned,
 * or a negative errno when the eventfd could not be written.
 */
int irq_fire(struct td_irqs *irqs, uint32_t index, uint32_t vector);
/**
 * Raise a vector @p n times with irq_fire(), as the interrupt hooks and the
 * DMA engine's completion interrupt do, and count the fires in @p hooks.
 * A vector the device does not have is ignored; a failed eventfd write
 * ends the burst.
 */
void irq_fire_n(struct td_irqs *irqs, struct td_irq_hooks *hooks,
                uint32_t index, uint32_t vector, uint32_t n);

/* ---- DMA map table (dma.c) ----------------------------------------------- */

struct td_dma_map {
    uint64_t address;
    uint64_t size;
    uint64_t offset;
    uint32_t flags;
    int fd;      /* -1: message-based access only */
    void *mem;   /* our mapping of fd, or NULL */
    bool sealed; /* fd cannot shrink, so touching mem cannot SIGBUS */
    /* Pages written through mem while dirty page logging ran, one bit per
     * TD_PAGE_SIZE page from the map's start (bit i % 64 of word i / 64);
     * NULL until the first. */
    uint64_t *dirty;
};

struct td_dma {
    struct td_dma_map *maps; /* sorted by address */
    size_t count;
    size_t cap;
    uint32_t limit; /* max_dma_maps negotiated with this client */
    /* Dirty page logging (dirty.c starts and stops it). */
    bool logging;
    uint64_t log_pgsize; /* the page size logging was started with */
    /* The IOVA ranges logged, sorted and disjoint; none: everything. */
    struct vfio_user_dma_logging_range *log_ranges;
    size_t log_nranges;
};

/** Also installs the SIGBUS guard of dma_mem_read()/dma_mem_write(). */
void dma_init(struct td_dma *dma);
/** Unmap and close everything and stop logging (client disconnection). */
void dma_release_all(struct td_dma *dma);
void dma_fini(struct td_dma *dma);
/**
 * The map that holds all of [@p address, @p address + @p len), @p len >= 1.
 * @return 0, ENOENT when no map holds the first byte (*mp NULL), or EFAULT
 * when the map that does (*mp) ends before the range or the range wraps.
 */
int dma_lookup(struct td_dma *dma, uint64_t address, uint64_t len,
               struct td_dma_map **mp);
/**
 * Copy between a map's mapping (mp->mem, which must be set and cover
 * [@p offset, @p offset + @p len)) and @p buf. A fault (the client shrank
 * an unsealed file under us) is caught and reported instead of killing us.
 * While logging runs, writes first record the pages they touch inside the
 * logged ranges in mp->dirty.
 * @return 0, EFAULT on a fault, or ENOMEM when the dirty record cannot be
 * allocated (nothing is written then).
 */
int dma_mem_read(struct td_dma_map *mp, uint64_t offset, void *buf, size_t len);
int dma_mem_write(struct td_dma *dma, struct td_dma_map *mp, uint64_t offset,
                  const void *buf, size_t len);
/**
 * Start logging at @p pgsize with @p n sorted, disjoint @p ranges (taken
 * over; NULL and 0 for everything). Every map's record starts empty.
 */
void dma_log_start(struct td_dma *dma, uint64_t pgsize,
                   struct vfio_user_dma_logging_range *ranges, size_t n);
/** Stop logging and forget every record. */
void dma_log_stop(struct td_dma *dma);
/**
 * Report the pages written through mappings in [@p iova, @p iova +
 * @p length) at @p pgsize (a power of two >= TD_PAGE_SIZE that divides iova
 * and length; the range must not wrap): bit i of @p bitmap (word i / 64,
 * which the caller zeroed) is set when any page of the record inside
 * [iova + i * pgsize, + pgsize) was written. What is reported is then
 * forgotten (clear-on-read). Maps without an fd report nothing.
 * @return 0, or EINVAL (after td_fail(), naming @p cmd) when some byte of
 * the range is in no DMA map; nothing is reported or forgotten then.
 */
int dma_dirty_collect(struct td_dma *dma, const char *cmd, uint64_t iova,
                      uint64_t length, uint64_t pgsize, uint64_t *bitmap);

/* ---- The device (device.c) ----------------------------------------------- */

/* The DMA engine registers (BAR0 0x100..0x1ff). */
struct td_dma_engine {
    uint32_t src_lo, src_hi;
    uint32_t dst_lo, dst_hi;
    uint32_t len;
    uint32_t ctrl; /* as written, START clear */
    uint32_t status;
    uint32_t err;
    uint32_t done_count;
    uint32_t doorbells; /* DOORBELL_COUNT */
    bool start; /* doorbell rung: proto.c runs the job after the reply */
};

struct td_device {
    struct td_pci pci;
    uint8_t bar0[TESTDEV_BAR0_SIZE]; /* backing of plain BAR0 registers */
    uint32_t access_count;
    uint32_t last_write;
    struct td_dma_engine dmae;
    struct td_irq_hooks irqh;
    int bar1_fd;   /* sealed memfd, shared with clients */
    uint8_t *bar1; /* our mapping of it */
    /* Writes logged in BAR1's last page: ours, never read back from the
     * page, which the client may scribble on. */
    uint32_t log_count;
    /* Test hooks armed by BAR0 writes, consumed by proto.c. */
    uint32_t stall_ms;
    bool crash;
};

struct testdev;

int dev_init(struct td_device *dev);
void dev_fini(struct td_device *dev);
void dev_reset(struct td_device *dev);
/** Size of region @p index, 0 for a region the device does not have. */
uint64_t dev_region_size(uint32_t index);
/**
 * Apply a write of @p count bytes at BAR0 offset @p off, which must lie
 * inside BAR0, as a REGION_WRITE would (register side effects, counters,
 * the write log). A DMA doorbell only sets td->dev.dmae.start.
 */
void dev_bar0_write(struct testdev *td, uint32_t off, uint32_t count,
                    const uint8_t *buf);

/* ---- Per-connection state and the whole server --------------------------- */

/* A message being received, a piece at a time, from one socket. */
struct td_rx {
    int fd;     /* -1: no such socket */
    size_t got; /* bytes of m received so far, header included */
    struct td_msg m;
};

/* A client command that arrived while a DMA job waited for a reply. */
struct td_qmsg;

/* Ids of our requests whose replies are still due though we gave up on
 * them: their late replies are dropped quietly. */
#define TD_ABANDONED_MAX 16u

struct td_conn {
    int fd;
    bool negotiated;
    uint16_t minor;
    /* What the client told us about itself in VERSION. */
    uint32_t peer_max_msg_fds;
    uint64_t peer_max_data_xfer_size;
    struct td_rx rx;      /* the main socket (fd) */
    struct td_rx twin_rx; /* the twin socket; fd -1 without twin mode */
    /* Client commands queued during a DMA job, oldest first. */
    struct td_qmsg *queue_head, *queue_tail;
    size_t queue_count, queue_bytes, queue_fds;
    bool write_multiple; /* negotiated: REGION_WRITE_MULTI accepted */
    int doorbell_fd;     /* the BAR0 doorbell's eventfd, -1 until asked */
    uint16_t next_id;    /* of our next server-to-client request */
    uint16_t abandoned[TD_ABANDONED_MAX];
    size_t nabandoned;
};

/* The migration state machine and its data session (migration.c). */
struct td_mig {
    uint32_t state; /* enum vfio_user_device_mig_state */
    /* Saving (PRE_COPY, STOP_COPY): the stream MIG_DATA_READ hands out. */
    uint8_t *out;
    size_t out_len, out_pos;
    bool out_image; /* out begins with a BAR1 image section (PRE_COPY) */
    /* Resuming: what MIG_DATA_WRITE delivered so far. */
    uint8_t *in;
    size_t in_len, in_cap;
};

struct testdev {
    struct td_options opt;
    struct td_device dev;
    struct td_irqs irqs;
    struct td_dma dma;
    struct td_conn conn;
    struct td_mig mig;
};

/** Serve one connected client until it disconnects or a stop is requested.
 * @return 0 on disconnect, -EINTR on stop. Per-client state is released. */
int proto_serve(struct testdev *td, int fd);

/**
 * Send a server-to-client command, its payload in @p iov, and wait for the
 * client's reply: on the twin socket in twin-socket mode, else on the main
 * socket, where client commands arriving meanwhile are queued for the
 * serve loop.
 * @return 0 with the reply (a successful one, no fds) in @p reply, to be
 * released with td_msg_release(); a positive errno when this request
 * failed but the connection goes on (the client's error reply, EIO for an
 * error reply with errno 0 or a reply that breaks the protocol; logged);
 * or a negative errno when the connection must end (-ECONNRESET, -EPROTO,
 * -ENOMEM; logged) or -EINTR on stop.
 */
int proto_request(struct testdev *td, uint16_t cmd, const struct iovec *iov,
                  size_t niov, struct td_msg *reply);

/* ---- The doorbell ioeventfd (iofd.c) ------------------------------------- */

/**
 * Take the signals waiting in the connection's doorbell eventfd, if any,
 * and perform them: each is a DMA_CTRL write of TESTDEV_DOORBELL_DATA and
 * its job, run at once.
 * @return 0 (also when nothing was waiting), or a negative errno from
 * dmae_run() when the connection must end.
 */
int iofd_doorbell(struct testdev *td);
/** Close the connection's doorbell eventfd (client disconnection). */
void iofd_release(struct td_conn *c);

/* ---- The DMA engine (dmaengine.c) ---------------------------------------- */

/**
 * Run the job whose doorbell was rung (td->dev.dmae.start), to completion,
 * and raise its completion interrupt if asked.
 * @return 0, or a negative errno from proto_request() when the connection
 * must end.
 */
int dmae_run(struct testdev *td);

/* Command handlers: return 0 with the reply payload in @p r, or a positive
 * errno (after td_fail()) for an error reply. */
typedef int td_handler(struct testdev *td, struct td_msg *m,
                       struct td_reply *r);

td_handler handle_version;
td_handler handle_dma_map;
td_handler handle_dma_unmap;
td_handler handle_device_get_info;
td_handler handle_region_info;
td_handler handle_irq_info;
td_handler handle_set_irqs;
td_handler handle_region_read;
td_handler handle_region_write;
td_handler handle_region_write_multi;
td_handler handle_region_io_fds;
td_handler handle_device_reset;
td_handler handle_device_feature;
td_handler handle_mig_data_read;
td_handler handle_mig_data_write;
td_handler handle_dirty_pages;

/* ---- DEVICE_FEATURE (feature.c) ------------------------------------------ */

/* A DEVICE_FEATURE request, its head checked, as the feature sees it. */
struct td_feature_req {
    struct vfio_user_device_feature head;
    const uint8_t *data; /* after the 8-byte head */
    size_t len;
    const char *name; /* "DEVICE_FEATURE <feature>", for messages */
};

/* GET: validate, then build the reply with feature_get_reply().
 * SET: validate and act; the reply echoes the request. Both return 0 or a
 * positive errno after td_fail(). */
typedef int td_feature_get(struct testdev *td, const struct td_feature_req *q,
                           struct td_reply *r);
typedef int td_feature_set(struct testdev *td, const struct td_feature_req *q);

/**
 * Check that the client's argsz takes a GET reply of @p dlen data bytes.
 * Features call it before anything with an effect (a clear-on-read).
 * @return 0 or EINVAL (after td_fail()).
 */
int feature_check_get_argsz(const struct td_feature_req *q, size_t dlen);
/** The GET reply: head {argsz 8 + @p dlen, the request's flags}, then
 * @p dlen zeroed bytes, whose address is returned (NULL: out of memory). */
uint8_t *feature_get_reply(struct td_reply *r, const struct td_feature_req *q,
                           size_t dlen);

/* ---- Migration (migration.c) --------------------------------------------- */

void mig_init(struct td_mig *mig);
/** End any data session and return to RUNNING (a disconnection or a
 * DEVICE_RESET), freeing the stream buffers. */
void mig_release(struct td_mig *mig);
/** The device operates (RUNNING, PRE_COPY): else it is quiescent, its DMA
 * engine and interrupt hooks idle. */
bool mig_running(const struct testdev *td);
const char *mig_state_name(uint32_t state);

td_feature_get mig_get_migration;
td_feature_get mig_get_state;
td_feature_set mig_set_state;

/* ---- Dirty page logging (dirty.c) ---------------------------------------- */

td_feature_set dirty_set_start;
td_feature_set dirty_set_stop;
td_feature_get dirty_get_report;
/**
 * DMA_UNMAP's legacy "get dirty page bitmap": check the request's
 * vfio_user_bitmap @p bm against the map @p mp being unmapped and build
 * the reply: the unmap entry @p req, @p bm and the map's bitmap.
 * @return 0 (the caller then unmaps) or a positive errno after td_fail().
 */
int dirty_unmap_bitmap(struct testdev *td,
                       const struct vfio_user_dma_unmap *req,
                       const struct vfio_user_bitmap *bm,
                       const struct td_dma_map *mp, struct td_reply *r);

#endif /* VUC_TESTDEV_H */
