/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A virtio-net driver on libvuc: bring-up as the virtio 1.x specification
 * orders it ("Device Initialization"), one receive and one transmit queue,
 * interrupts (one MSI-X vector per queue, INTx with the ISR without MSI-X)
 * or polling, and the checks that turn a misbehaving device into an error
 * message: DEVICE_NEEDS_RESET, buffers never returned, a lost connection,
 * used entries the driver never gave.
 */
#ifndef VNET_VNET_H
#define VNET_VNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "virtio_pci.h"
#include "virtqueue.h"

#define VNET_RX_QUEUE 0
#define VNET_TX_QUEUE 1
#define VNET_HDR_LEN 12u /* struct virtio_net_hdr_v1: always 12 in 1.x */
#define VNET_MAX_FRAME 1514u
#define VNET_MIN_FRAME 14u

struct vnet_config {
    const char *socket;
    bool poll;           /* no interrupts: spin on the used rings */
    bool intx;           /* INTx and the ISR even where MSI-X is offered */
    bool noshare;        /* DMA maps without fds: message DMA only */
    uint16_t queue_size; /* 0: the device's maximum, at most 256 */
    int timeout_ms;      /* for requests, and for buffers to come back */
};

/** Receives one frame, borrowed for the call. */
typedef void (*vnet_rx_fn)(void *arg, const uint8_t *frame, size_t len);

struct vnet {
    struct event_base *base;
    struct vuc_client *c;
    struct vpci vp;
    struct vnet_config cfg;
    uint64_t offered, features;
    uint8_t mac[6];
    uint16_t link_status; /* VIRTIO_NET_S_*; LINK_UP without F_STATUS */
    uint16_t max_queue_size[2];
    uint16_t num_queues;
    uint32_t irq_index; /* MSI-X or INTx; unused when polling */
    uint32_t nvec;      /* MSI-X vectors enabled, 0 with INTx */
    bool queues_ready;
    struct virtqueue rx, tx;
    uint64_t notify_off[2];
    bool lost;
    vnet_rx_fn on_rx;
    void *rx_arg;
    uint64_t notifies, irqs;
    char err[512];
};

/**
 * Connect to @p cfg->socket and bring the device up to DRIVER_OK with its
 * receive queue full of buffers.
 * @return 0, or a negative errno with n->err saying what failed; call
 * vnet_close() in both cases.
 */
int vnet_open(struct vnet *n, const struct vnet_config *cfg);

/** Reset the device (it then stops touching our memory), release the
 * queues, interrupts and the client. */
void vnet_close(struct vnet *n);

/**
 * Queue one frame for transmission without notifying.
 * @return 0, -EAGAIN when every transmit buffer is with the device, or
 * -EINVAL for a frame size outside 14..1514 bytes.
 */
int vnet_tx_queue(struct vnet *n, const void *frame, size_t len);
/** Notify the device of queued frames if it asked to be told. */
int vnet_tx_kick(struct vnet *n);

/** Queue and kick one frame, waiting up to the configured timeout for a
 * transmit buffer to come back when all are in flight. */
int vnet_send(struct vnet *n, const void *frame, size_t len);

/** Wait until the device has returned every transmit buffer. */
int vnet_flush(struct vnet *n);

/**
 * Take what the device returned (frames go to n->on_rx), waiting up to
 * @p timeout_ms for something when nothing is there yet.
 * @return how many buffers came back (0 after the timeout), or a negative
 * errno with n->err set: the device needs a reset, broke the ring
 * protocol, or the connection was lost.
 */
int vnet_poll(struct vnet *n, int timeout_ms);

/** Feature bit names for printing: "VERSION_1", "MAC", ... or NULL. */
const char *vnet_feature_name(unsigned bit);

#endif
