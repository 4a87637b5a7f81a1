/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internal interfaces of vuc-testdev: one server core and device
 * personalities, split by concern. The core never names a device; each device
 * is a const struct td_personality at the end of its dev_*.c file, listed once
 * in personality.c and chosen by --device.
 *
 * The core:
 *   main.c     options, sockets, the accept loop, signals, waiting
 *   personality.c  the list of personalities, --device and their options
 *   proto.c    framing (recvmsg/sendmsg with SCM_RIGHTS), dispatch, the
 *              serve loop and its events (ioeventfds, watched fds, timers)
 *   events.c   fds a personality watches and its timers
 *   version.c  VFIO_USER_VERSION and capability negotiation (jansson)
 *   device.c   regions, device info, region info, REGION_READ/WRITE(_MULTI),
 *              DEVICE_RESET, all through the personality's ops
 *   pci.c      PCI configuration space: masks, BAR and capability builders
 *   pcicfg.h   standard config space offsets and capability fields
 *   irq.c      interrupt info, SET_IRQS and eventfd signalling
 *   dma.c      the DMA map table, direct access to mapped client memory
 *              and the record of pages written through it
 *   dma_access.c  td_dma_read/td_dma_write: device memory access by the
 *              map's fd or by DMA_READ/DMA_WRITE messages
 *   iofd.c     DEVICE_GET_REGION_IO_FDS and the personality's ioeventfds
 *   feature.c  DEVICE_FEATURE: what all features share, and dispatch
 *   migration.c  the migration state machine and the migration data stream
 *              (MIG_DATA_READ/WRITE); the stream's contents are the
 *              personality's
 *   dirty.c    dirty page logging: the DMA logging features, the legacy
 *              DIRTY_PAGES command and DMA_UNMAP's legacy bitmap
 *
 * The personality "testdev" (the default), described by testdev_regs.h:
 *   dev_testdev.h      its state, shared by its files
 *   dev_testdev.c      BAR0 registers, BAR1 memory, the write log, the
 *                      interrupt hooks, config space, doorbell; its ops
 *   dev_testdev_dma.c  the DMA engine's jobs (BAR0 0x100..0x1ff)
 *   dev_testdev_mig.c  its migration data format
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
#include <stdio.h>
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

/**
 * Decimal or 0x-hex, the whole string, within [@p min, @p max], for the
 * core's and the personalities' options alike.
 * @return 0, EINVAL (not a number) or ERANGE.
 */
int td_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *v);

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
/** As td_wait_fds(), but also returns 0 at CLOCK_MONOTONIC @p deadline_ns
 * (UINT64_MAX: none), which is how timers wake the serve loop. */
int td_wait_fds_until(struct pollfd *pfd, nfds_t n, uint64_t deadline_ns);
/** CLOCK_MONOTONIC in nanoseconds: the clock of timers and deadlines. */
uint64_t td_now_ns(void);
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
/* Enough for every ioeventfd of one region in one reply. */
#define TD_REPLY_MAX_FDS 16u

struct td_reply {
    void *data; /* NULL: the payload is in inline_buf */
    size_t len;
    uint8_t inline_buf[TD_REPLY_INLINE];
    int fds[TD_REPLY_MAX_FDS]; /* sent with the reply */
    size_t nfds;
    bool close_fd;    /* the fds are ours: close them once the reply is gone */
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

/** The reason the last td_fail() recorded. */
const char *td_fail_reason(void);

/* Detail for the verbose log line of the message being handled. */
void td_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

const char *td_cmd_name(uint16_t cmd);

/* ---- PCI configuration space (pci.c) ------------------------------------- */

/* PCI Express config space: the config region of every personality. */
#define TD_CONFIG_SIZE 0x1000u

/*
 * Config space is an image and two masks, so that read-only fields, BAR
 * sizing (all ones read back the size mask), COMMAND's memory-space and
 * bus-master bits and write-1-to-clear status bits behave as PCI says
 * without code per field. A personality builds the power-on image with
 * the helpers below in its pci_init op; the core keeps it and rebuilds it
 * on DEVICE_RESET.
 */
struct td_pci {
    uint8_t cfg[TD_CONFIG_SIZE];
    uint8_t wmask[TD_CONFIG_SIZE];   /* bits a write may change */
    uint8_t w1cmask[TD_CONFIG_SIZE]; /* bits a written 1 clears */
    uint32_t pm_cap; /* the PM capability, 0 for none: D1/D2 are refused */
};

struct testdev;

/** Rebuild config space at power-on values (the personality's pci_init). */
void pci_reset(struct testdev *td);
void pci_read(const struct td_pci *pci, uint32_t off, uint32_t count,
              uint8_t *buf);
void pci_write(struct td_pci *pci, uint32_t off, uint32_t count,
               const uint8_t *buf);
/**
 * Whether @p cfg is a config space this device can have: every bit that
 * writes cannot change as at power-on, no unsupported power state.
 * @return -1 if so, else the offset of the first byte that is not.
 */
long pci_image_check(const struct testdev *td,
                     const uint8_t cfg[TD_CONFIG_SIZE]);

/* Builders for a personality's pci_init. Little-endian stores. */
void pci_set8(uint8_t *a, uint32_t off, uint8_t v);
void pci_set16(uint8_t *a, uint32_t off, uint16_t v);
void pci_set32(uint8_t *a, uint32_t off, uint32_t v);
/** Ids, revision, 24-bit class code, subsystem ids, interrupt pin (0 for
 * none), the writable COMMAND bits (memory space, bus master, INTx
 * disable...), the STATUS W1C bits, and the first capability (0: none). */
void pci_header(struct td_pci *pci, uint16_t vendor, uint16_t device,
                uint8_t revision, uint32_t class_code, uint16_t subsys_vendor,
                uint16_t subsys, uint8_t int_pin, uint16_t command_wmask,
                uint16_t status_w1c, uint8_t cap_ptr);

#define TD_BAR_MEM32 0x0u
#define TD_BAR_MEM64 0x4u /* takes BAR n and n + 1 */
#define TD_BAR_PREFETCH 0x8u
/** Memory BAR @p bar of @p size bytes (a power of two >= 16) with @p type
 * (TD_BAR_* bits): the address bits above the size are writable. */
void pci_bar(struct td_pci *pci, unsigned int bar, uint64_t size,
             uint32_t type);
/** A capability header at @p off: @p id and the next pointer. */
void pci_cap(struct td_pci *pci, uint32_t off, uint8_t id, uint8_t next);
/** The MSI-X capability at @p off with @p count vectors, its table and PBA
 * at the given BAR indicator and offset. Enable and function mask are
 * writable; the vectors themselves live in the personality's BAR. */
void pci_msix(struct td_pci *pci, uint32_t off, uint8_t next, uint16_t count,
              uint8_t table_bir, uint32_t table_off, uint8_t pba_bir,
              uint32_t pba_off);
/** A PCI Express v2 endpoint capability at @p off, x1 at 2.5 GT/s: the
 * device and link control bits a driver may set are writable. */
void pci_exp_endpoint(struct td_pci *pci, uint32_t off, uint8_t next);

/* ---- Interrupts (irq.c) -------------------------------------------------- */

#define TD_IRQ_MAX_VECTORS 64u

/* A personality's irq index: its vector count and DEVICE_GET_IRQ_INFO
 * flags (EVENTFD, MASKABLE, AUTOMASKED, NORESIZE). Count 0: no such index. */
struct td_irq_desc {
    uint32_t count;
    uint32_t flags;
};

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

/** @p desc: VFIO_USER_PCI_NUM_IRQS entries, counts <= TD_IRQ_MAX_VECTORS. */
void irq_init(struct td_irqs *irqs, const struct td_irq_desc *desc);
/** Close every eventfd and forget masks (client disconnection). */
void irq_release_all(struct td_irqs *irqs);
/**
 * Raise one interrupt vector as the device would: signal its eventfd,
 * or latch it as pending while masked; an automasked index masks itself.
 * This is how a personality fires an interrupt (MSI-X vector n is index
 * VFIO_USER_PCI_MSIX_IRQ_INDEX, vector n); a device that migration
 * stopped should not call it (see mig_running()).
 * @return 0 when signalled, 1 when latched or no eventfd is assigned,
 * -EINVAL for a vector the device does not have, or another negative
 * errno when the eventfd could not be written (logged).
 */
int irq_fire(struct td_irqs *irqs, uint32_t index, uint32_t vector);
/** "INTx", "MSI", "MSI-X", "ERR", "REQ", for messages. */
const char *irq_name(uint32_t index);

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

/* ---- Device memory access for DMA (dma_access.c) ------------------------ */

/* Go by DMA_READ/DMA_WRITE messages even where the map has an fd, so that
 * a client's serving of those messages can be tested on memory it can also
 * check directly. */
#define TD_DMA_FORCE_MSG 0x1u

/**
 * Check that [@p iova, + @p len) lies in one DMA map that the device may
 * read (@p write false) or write, without moving data; @p what names the
 * range in the reason ("source", "PRP entry"). *@p direct (unless NULL)
 * tells whether td_dma_read()/td_dma_write() would use our mapping.
 * @return 0, or ENOENT (no map), EFAULT (runs past the map's end or wraps)
 * or EPERM (the map forbids it), the reason in td_dma_error().
 */
int td_dma_check(struct testdev *td, const char *what, uint64_t iova,
                 uint64_t len, bool write, unsigned int flags, bool *direct);
/**
 * Copy @p len bytes of client memory at @p iova into @p buf, as the
 * device's bus master would: through the map's fd when the client shared
 * one, else with DMA_READ messages (in pieces of the client's
 * max_data_xfer_size), which waits for the client's replies. td_dma_write()
 * is the mirror; writes through our mapping feed dirty page logging.
 * @return 0; a positive errno when this access failed (td_dma_check()'s,
 * EFAULT for a fault in a mapping, the client's error reply, EIO for a
 * reply that breaks the protocol), the reason in td_dma_error(); or a
 * negative errno when the connection must end (from proto_request()).
 */
int td_dma_read(struct testdev *td, const char *what, uint64_t iova, void *buf,
                uint32_t len, unsigned int flags);
int td_dma_write(struct testdev *td, const char *what, uint64_t iova,
                 const void *buf, uint32_t len, unsigned int flags);
/** Why the last td_dma_* call failed, in words for a log line. */
const char *td_dma_error(void);

/* ---- Device personalities (personality.c) -------------------------------- */

#define TD_MAX_SPARSE_AREAS 4u
#define TD_MAX_IOEVENTFDS 16u
#define TD_MAX_WATCHES 8u
#define TD_MAX_TIMERS 8u

/*
 * One region as DEVICE_GET_REGION_INFO tells it. The personality fills
 * td->regions[] in init; the config region is the core's (struct td_pci).
 * A region with an mmap_fd is offered for mmap() to clients that accept
 * fds (whole, or only its sparse areas when nareas > 0); the fd stays the
 * personality's, which must seal its size so that no client can make us
 * fault. Accesses that arrive by message still go to region_read/write.
 */
struct td_region {
    uint64_t size;  /* 0: the device has no such region */
    uint32_t flags; /* VFIO_USER_REGION_INFO_FLAG_READ | _WRITE */
    int mmap_fd;    /* -1: trapped only */
    uint32_t nareas;
    struct vfio_user_region_sparse_mmap_area areas[TD_MAX_SPARSE_AREAS];
};

/* A doorbell offered as an ioeventfd through GET_REGION_IO_FDS: a signal
 * stands for a write of size bytes at offset of region (of data when
 * datamatch). */
struct td_ioeventfd_desc {
    uint32_t region;
    uint64_t offset;
    uint32_t size;
    bool datamatch;
    uint64_t data;
};

/* A personality's option, --NAME or --NAME=ARG, shown in --help. Its name
 * should start with the personality's own (--nvme-size), so that the
 * options of two devices cannot collide. */
struct td_option_desc {
    const char *name;
    const char *arg;  /* "FILE", "N"...; NULL: takes no value */
    const char *help; /* one line */
};

/*
 * Migration of a personality's state. The core runs the state machine and
 * the data session (migration.c); what the stream holds is the
 * personality's, appended to td->mig.out with mig_out_reserve() and
 * mig_out_commit(). Each returns 0 or a positive errno after td_fail().
 */
struct td_mig_ops {
    /* RUNNING -> PRE_COPY: the data sent while the device still runs. */
    int (*save_pre_copy)(struct testdev *td);
    /* Entering STOP_COPY (from STOP or PRE_COPY): the rest, a snapshot. */
    int (*save_stop_copy)(struct testdev *td);
    /* RESUMING -> STOP: check all of @p buf, then load it; a refused
     * stream leaves the device as it was. */
    int (*load)(struct testdev *td, const uint8_t *buf, size_t len);
};

/*
 * A device personality: all that makes vuc-testdev one device rather than
 * another. One const instance per device, at the end of its dev_*.c file,
 * listed once in personality.c. The core calls these ops and nothing else
 * of a device, so a new device is new files plus one line there, and the
 * protocol's checks (framing, bounds, fds, negotiation) stay in one place
 * that every device gets for free.
 *
 * Ops that can fail return 0 or a positive errno after td_fail() (the
 * client gets an error reply) unless they say otherwise; a negative errno
 * means the connection must end. Optional ops may be NULL.
 *
 * The device state (state_size bytes, zeroed, at td->dev) outlives its
 * clients, as the specification expects of a server across a reconnect:
 * when a client leaves the core releases its DMA maps, irq eventfds and
 * ioeventfds and calls conn_lost for whatever else was the client's.
 */
struct td_personality {
    const char *name;    /* --device=NAME */
    const char *summary; /* one line for --device=help */
    size_t state_size;

    /* Options: called while parsing, before init, with td->dev allocated
     * and zeroed; @p i indexes options[]. A positive errno after td_fail()
     * is a usage error (exit 2) that prints td_fail_reason(). */
    const struct td_option_desc *options;
    size_t noptions;
    int (*option)(struct testdev *td, size_t i, const char *arg);

    /* Power on: fill td->regions[] (BARs, ROM, VGA; not config), make
     * backing fds, check the options together. Logs and returns a negative
     * errno on failure. reset runs after it. */
    int (*init)(struct testdev *td);
    void (*fini)(struct testdev *td);
    /* DEVICE_GET_INFO flags beyond PCI: VFIO_USER_DEVICE_FLAGS_RESET when
     * DEVICE_RESET is supported (--no-reset still takes it away). */
    uint32_t device_flags;
    /* Power-on config space, built with the pci_* helpers. */
    void (*pci_init)(struct td_pci *pci);
    /* VFIO_USER_PCI_NUM_IRQS entries. */
    const struct td_irq_desc *irqs;
    /* DEVICE_RESET (after config space is rebuilt) and power-on. */
    void (*reset)(struct testdev *td);
    /* The client left: drop what else was the client's (optional). */
    void (*conn_lost)(struct testdev *td);

    /*
     * Trapped accesses to regions other than config, already checked
     * against the region's size and flags and max_data_xfer_size.
     * write_check (optional) may refuse a write before anything is
     * applied: REGION_WRITE_MULTI checks every entry first. region_write
     * cannot fail. Work that must follow the reply to the write (a
     * doorbell whose job sends DMA_READ to the client, which waits for
     * the client) is deferred with td_defer(); the core calls
     * run_deferred once the reply is sent, or at once where no reply is
     * due. Posted (No_reply) writes take the same path: whether a reply
     * is sent is the core's business alone.
     */
    int (*write_check)(struct testdev *td,
                       const struct vfio_user_region_access *a,
                       const char *cmd);
    void (*region_read)(struct testdev *td, uint32_t index, uint64_t off,
                        uint32_t count, uint8_t *buf);
    void (*region_write)(struct testdev *td, uint32_t index, uint64_t off,
                         uint32_t count, const uint8_t *buf);
    int (*run_deferred)(struct testdev *td); /* 0 or a negative errno */

    /* Doorbells offered as ioeventfds (at most TD_MAX_IOEVENTFDS). The
     * handler performs @p n >= 1 signals of ioeventfds[i], typically as n
     * region_writes, each followed by td_run_deferred(): there is no reply
     * to wait for. 0 or a negative errno. */
    const struct td_ioeventfd_desc *ioeventfds;
    size_t nioeventfds;
    int (*ioeventfd)(struct testdev *td, size_t i, uint64_t n);

    /* NULL: the device does not migrate (no "migration" capability in
     * VERSION, no migration features). Dirty page logging is the core's
     * and does not depend on it. */
    const struct td_mig_ops *mig;
};

/** The personality called @p name, or NULL. */
const struct td_personality *td_personality_find(const char *name);
/** The default: the first of the list. */
const struct td_personality *td_personality_default(void);
/** "NAME  SUMMARY" lines; with @p with_options each one's options too. */
void td_personality_list(FILE *out, bool with_options);
/** "a, b, c": the names, for a usage error, cut to @p len. */
void td_personality_names(char *buf, size_t len);

/** Defer work to run_deferred, after the reply to the message being
 * handled; @p what names it in the verbose log. */
void td_defer(struct testdev *td, const char *what);
/** Run deferred work now, if any was deferred. @return 0 or the negative
 * errno of run_deferred. */
int td_run_deferred(struct testdev *td);
/** Test quirks any personality may arm from a register write: stall the
 * handling of the next message by @p ms, or end the connection instead of
 * replying to the message being handled (its deferred work dropped). */
void td_quirk_stall(struct testdev *td, uint32_t ms);
void td_quirk_vanish(struct testdev *td);

/* ---- Watched fds and timers (events.c) ----------------------------------- */

/* 0, or a negative errno when the connection must end. */
typedef int td_event_fn(struct testdev *td, void *arg);

/**
 * Call @p fn when @p fd is readable (a backend socket), between client
 * messages while a client is connected. The fd stays the caller's.
 * @return 0 or -ENOSPC (more than TD_MAX_WATCHES).
 */
int td_watch_fd(struct testdev *td, int fd, td_event_fn *fn, void *arg);
void td_unwatch_fd(struct testdev *td, int fd);
/**
 * Call @p fn once at CLOCK_MONOTONIC @p deadline_ns (td_now_ns() plus a
 * delay), between client messages while a client is connected; setting
 * the same fn and arg again moves the timer. A device that only needs to
 * know whether a delay has passed (a ready bit) may instead compare
 * td_now_ns() with a stored deadline when the register is read.
 * @return 0 or -ENOSPC (more than TD_MAX_TIMERS).
 */
int td_timer_set(struct testdev *td, uint64_t deadline_ns, td_event_fn *fn,
                 void *arg);
void td_timer_cancel(struct testdev *td, td_event_fn *fn, void *arg);

struct td_watch {
    int fd;
    td_event_fn *fn;
    void *arg;
};

struct td_timer {
    uint64_t deadline_ns;
    td_event_fn *fn; /* NULL: a free slot */
    void *arg;
};

struct td_events {
    struct td_watch watch[TD_MAX_WATCHES];
    size_t nwatch;
    struct td_timer timer[TD_MAX_TIMERS];
};

/** The earliest timer's deadline, UINT64_MAX for none. */
uint64_t events_next_deadline(const struct testdev *td);
/** Whether a timer is due or a watched fd readable, without waiting. */
bool events_ready(struct testdev *td);
/** Run due timers and the handlers of readable watched fds.
 * @return 0 or a handler's negative errno. */
int events_run(struct testdev *td);

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
    /* The personality's ioeventfds, by index; -1 until the client asks. */
    int iofd[TD_MAX_IOEVENTFDS];
    uint16_t next_id; /* of our next server-to-client request */
    uint16_t abandoned[TD_ABANDONED_MAX];
    size_t nabandoned;
};

/* The migration state machine and its data session (migration.c). */
struct td_mig {
    uint32_t state; /* enum vfio_user_device_mig_state */
    /* Saving (PRE_COPY, STOP_COPY): the stream MIG_DATA_READ hands out. */
    uint8_t *out;
    size_t out_len, out_pos;
    bool out_pre_copy; /* out begins with pre-copy data (PRE_COPY) */
    /* Resuming: what MIG_DATA_WRITE delivered so far. */
    uint8_t *in;
    size_t in_len, in_cap;
};

struct testdev {
    struct td_options opt;
    const struct td_personality *pers;
    void *dev; /* the personality's state, pers->state_size bytes */
    struct td_region regions[VFIO_USER_PCI_NUM_REGIONS];
    struct td_pci pci;
    struct td_irqs irqs;
    struct td_dma dma;
    struct td_conn conn;
    struct td_mig mig;
    struct td_events ev;
    /* Deferred work and test quirks, for the message being handled. */
    bool deferred;
    const char *deferred_what;
    uint32_t stall_ms;
    bool vanish;
};

/** Power on the device: the personality's init, then a reset.
 * @return 0 or a negative errno (logged). */
int device_init(struct testdev *td);
void device_fini(struct testdev *td);
/** Config space and the personality's state to power-on values. */
void device_reset(struct testdev *td);

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

/* ---- ioeventfds (iofd.c) ------------------------------------------------- */

/**
 * Take the signals waiting in the connection's ioeventfds, if any, and
 * hand them to the personality's ioeventfd handler.
 * @return 0 (also when nothing was waiting), or the handler's negative
 * errno when the connection must end.
 */
int iofd_take(struct testdev *td);
/** Close the connection's ioeventfds (client disconnection). */
void iofd_release(struct td_conn *c);

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
/** NULL when the device migrates, else why not (for messages). */
const char *mig_unavailable(const struct testdev *td);
/** Room for @p len more bytes at the end of the outgoing stream, zeroed;
 * they count once mig_out_commit() says so. @return NULL: out of memory. */
uint8_t *mig_out_reserve(struct td_mig *mig, size_t len);
void mig_out_commit(struct td_mig *mig, size_t len);
/** End any data session and return to RUNNING (a disconnection or a
 * DEVICE_RESET), freeing the stream buffers. */
void mig_release(struct td_mig *mig);
/** The device operates (RUNNING, PRE_COPY): else it is quiescent, and a
 * personality moves no data and raises no interrupt. */
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
