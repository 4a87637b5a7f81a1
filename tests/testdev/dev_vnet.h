/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The virtio-net personality of vuc-testdev (--device=virtio-net): a
 * virtio 1.x network device on the modern PCI transport, with its
 * backends. The device itself knows nothing of vfio-user: the personality
 * (dev_vnet_pci.c) gives it DMA and interrupts through struct vnd_host,
 * forwards accesses to the virtio BAR and doorbells, and calls vnd_run()
 * after each reply to do the work those accesses asked for.
 *
 *   dev_vnet.c          registers: common, ISR, device and notify
 *                       structures; status, features, reset, interrupts;
 *                       options
 *   dev_vnet_ring.c     split virtqueues: chains, indirect tables, the used
 *                       ring, EVENT_IDX, and every check that ends in
 *                       DEVICE_NEEDS_RESET
 *   dev_vnet_backend.c  where transmitted frames go and received ones come
 *                       from: loopback, responder (ARP, ICMP echo), UNIX
 *                       datagram socket
 *   dev_vnet_pci.c      the personality: config space with the vendor
 *                       capabilities, BARs, MSI-X, INTx, DMA, ioeventfds
 *
 * The layout of the virtio BAR is ours; drivers find it through the vendor
 * capabilities.
 */
#ifndef VUC_TESTDEV_DEV_VNET_H
#define VUC_TESTDEV_DEV_VNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VND_BAR_SIZE 0x4000u
#define VND_COMMON_OFF 0x0000u
#define VND_COMMON_LEN 0x38u
#define VND_ISR_OFF 0x1000u
#define VND_ISR_LEN 0x4u
#define VND_DEVCFG_OFF 0x2000u
#define VND_DEVCFG_LEN 0x10u
#define VND_NOTIFY_OFF 0x3000u
#define VND_NOTIFY_MULT 4u
#define VND_NUM_QUEUES 2u
#define VND_NOTIFY_LEN (VND_NUM_QUEUES * VND_NOTIFY_MULT)
#define VND_MAX_QUEUE_SIZE 1024u
#define VND_DEFAULT_QUEUE_SIZE 256u
#define VND_MSIX_VECTORS 3u /* configuration, receive, transmit */
#define VND_MAX_FRAME 1514u
#define VND_HDR_LEN 12u /* struct virtio_net_hdr_v1 */
/* Frames waiting for receive buffers (loopback, responder, socket). */
#define VND_RX_BACKLOG 512u

enum vnd_backend_kind {
    VND_BACKEND_RESPONDER = 0,
    VND_BACKEND_LOOPBACK,
    VND_BACKEND_SOCKET,
};

/* Misbehaviours on request, for testing drivers' error paths. */
#define VND_QUIRK_NO_USED (1u << 0)         /* never return a buffer */
#define VND_QUIRK_NEEDS_RESET (1u << 1)     /* fail at the first transmit */
#define VND_QUIRK_LINK_DOWN (1u << 2)       /* report the link down */
#define VND_QUIRK_REFUSE_FEATURES (1u << 3) /* never accept FEATURES_OK */

struct vnd_config {
    enum vnd_backend_kind backend;
    uint32_t ip;             /* responder: our IPv4 address, host order */
    const char *socket_path; /* socket: bound by the device */
    const char *peer_path;   /* socket: where frames go; NULL: last sender */
    uint8_t mac[6];
    uint16_t queue_size; /* the maximum offered */
    bool no_event_idx, no_indirect;
    unsigned quirks;
};

/* What the hosting server provides. */
struct vnd_host {
    void *ctx;
    /* Copy from/to driver memory at IOVA (@p what names it for messages).
     * 0; a positive errno when the access failed (not mapped, not allowed:
     * the driver's doing, so the device needs a reset), with the reason in
     * dma_error(); or a negative errno when the connection must end. */
    int (*dma_read)(void *ctx, const char *what, uint64_t iova, void *buf,
                    size_t len);
    int (*dma_write)(void *ctx, const char *what, uint64_t iova,
                     const void *buf, size_t len);
    const char *(*dma_error)(void *ctx);
    /* Whether the driver enabled MSI-X in config space. */
    bool (*msix_enabled)(void *ctx);
    /* Raise an MSI-X vector, or INTx (the ISR already says why). */
    void (*msix)(void *ctx, uint16_t vector);
    void (*intx)(void *ctx);
};

struct vnd_queue {
    uint16_t size;
    uint16_t msix_vector;
    bool enabled;
    uint64_t desc, avail, used;
    uint16_t last_avail; /* next avail entry to take */
    uint16_t avail_idx;  /* avail->idx as last read (checked) */
    uint16_t used_idx;   /* used entries written */
    uint16_t used_shown; /* used->idx as last written */
    uint16_t signalled;  /* used_idx at the last interrupt decision */
    bool kicked;         /* notified since we last looked */
};

struct vnd_frame {
    uint16_t len;
    uint8_t data[VND_MAX_FRAME];
};

struct vnd_stats {
    uint64_t tx_frames, rx_frames, tx_dropped, rx_dropped, kicks, irqs;
};

struct vnd {
    struct vnd_config cfg;
    struct vnd_host host;
    uint64_t offered;
    /* Transport state. */
    uint32_t dfselect, gfselect;
    uint64_t features;
    uint16_t msix_config;
    uint8_t status;
    uint8_t generation;
    uint16_t queue_select;
    uint8_t isr;
    struct vnd_queue q[VND_NUM_QUEUES];
    char broken[160]; /* why NEEDS_RESET was set, for the log */
    /* Frames for the receive queue, oldest first. */
    struct vnd_frame *backlog;
    unsigned backlog_head, backlog_count;
    int sock; /* socket backend, -1 otherwise */
    /* Where the socket backend sends: the peer or the last sender. */
    uint8_t peer_addr[128];
    unsigned peer_len;
    struct vnd_stats stats;
};

/** Apply option --@p name (=@p value, NULL without one) to @p cfg.
 * @return 0, or EINVAL after td_fail() saying why. */
int vnd_parse_option(struct vnd_config *cfg, const char *name,
                     const char *value);
void vnd_config_defaults(struct vnd_config *cfg);

/** Set the device up (and the socket backend's socket). @return 0 or a
 * negative errno, logged. */
int vnd_init(struct vnd *d, const struct vnd_config *cfg,
             const struct vnd_host *host);
void vnd_fini(struct vnd *d);

/** Reset, as writing 0 to device_status does, and DEVICE_RESET. A client
 * that goes away leaves the device as it was, for a reconnect, as the
 * vfio-user specification expects; the next driver resets it. */
void vnd_reset(struct vnd *d);

/**
 * An access to the virtio BAR: [@p off, @p off + @p len) inside
 * VND_BAR_SIZE. Reads of what is not a register return zeros, writes to it
 * are ignored. Doorbells only mark their queue: vnd_run() does the work.
 */
void vnd_bar_read(struct vnd *d, uint32_t off, void *buf, size_t len);
void vnd_bar_write(struct vnd *d, uint32_t off, const void *buf, size_t len);
/** A doorbell rung through its ioeventfd. */
void vnd_notify(struct vnd *d, uint16_t queue);

/**
 * Do what doorbells and the backend asked for: transmit, receive, used
 * buffers, interrupts.
 * @return 0, or a negative errno from the host's DMA when the connection
 * must end.
 */
int vnd_run(struct vnd *d);

/** The backend's fd to poll for input (-1: none), and its handler, to be
 * called when it is readable; vnd_run() then delivers what came. */
int vnd_backend_fd(const struct vnd *d);
int vnd_backend_input(struct vnd *d);

/* ---- Inside the device (dev_vnet_ring.c, dev_vnet_backend.c) ------------ */

/** Set DEVICE_NEEDS_RESET, say why in the log, and interrupt the driver
 * with a configuration change. */
void vnd_needs_reset(struct vnd *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/** Raise the queue's interrupt, or the configuration interrupt (q < 0). */
void vnd_interrupt(struct vnd *d, int q);
bool vnd_has(const struct vnd *d, unsigned feature);

/** Transmit what the driver made available (until the backlog is full,
 * for the backends that answer into it), or fill receive buffers from the
 * backlog. @return 0, or a negative errno when the connection must end. */
int vnd_ring_tx(struct vnd *d);
int vnd_ring_rx(struct vnd *d);

/** A transmitted frame (without the virtio header) goes to the backend. */
int vnd_backend_tx(struct vnd *d, const uint8_t *frame, size_t len);
/** Queue a frame for the receive queue; false when the backlog is full. */
bool vnd_backlog_push(struct vnd *d, const uint8_t *frame, size_t len);
int vnd_backend_open(struct vnd *d);
void vnd_backend_close(struct vnd *d);

#endif
