/* SPDX-License-Identifier: BSD-3-Clause */
/* vuc-vnet perf: keep the transmit queue full for S seconds against a
 * device that loops frames back, and count what comes back. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <linux/virtio_net.h>

#include "commands.h"

#define PERF_ETHERTYPE 0x88b5u /* IEEE 802 local experimental */
#define PERF_DRAIN_MS 500

struct perf_state {
    uint64_t frames, bytes;
    uint64_t bad; /* frames that are not ours, or not the size sent */
    uint32_t size;
};

static void perf_rx(void *arg, const uint8_t *f, size_t len)
{
    struct perf_state *s = arg;

    if (len != s->size || len < 14 || (f[12] << 8 | f[13]) != PERF_ETHERTYPE) {
        s->bad++;
        return;
    }
    s->frames++;
    s->bytes += len;
}

static void report(const char *what, uint64_t frames, uint64_t bytes,
                   uint64_t ns)
{
    double s = ns / 1e9;
    printf("%s %10" PRIu64 " frames %12.0f frames/s %10.1f Mbit/s\n", what,
           frames, frames / s, bytes * 8 / s / 1e6);
}

int cmd_perf(struct vnet *n, struct cmd_args *a)
{
    uint8_t frame[VNET_MAX_FRAME];
    struct perf_state rx = {.size = a->size};
    uint64_t tx_frames = 0;
    int rc;

    /* To ourselves (the device's MAC, or broadcast without one), a type
     * no stack uses, and a counting pattern. */
    memset(frame, 0xff, 6);
    if (n->features & (1ull << VIRTIO_NET_F_MAC)) {
        memcpy(frame, n->mac, 6);
    }
    memcpy(frame + 6, n->mac, 6);
    frame[12] = PERF_ETHERTYPE >> 8;
    frame[13] = PERF_ETHERTYPE & 0xff;
    for (uint32_t i = 14; i < a->size; i++) {
        frame[i] = (uint8_t)i;
    }
    n->on_rx = perf_rx;
    n->rx_arg = &rx;

    uint64_t start = cmd_now_ns();
    uint64_t end = start + (uint64_t)a->seconds * 1000000000u;
    while (cmd_now_ns() < end && !cmd_interrupted()) {
        while ((rc = vnet_tx_queue(n, frame, a->size)) == 0) {
            tx_frames++;
        }
        if (rc != -EAGAIN || vnet_tx_kick(n) < 0 || vnet_poll(n, 100) < 0) {
            goto fail;
        }
    }
    uint64_t tx_ns = cmd_now_ns() - start;
    /* What is still in flight comes back before we count receive. */
    if (vnet_flush(n) < 0) {
        goto fail;
    }
    uint64_t quiet = cmd_now_ns();
    while (rx.frames + rx.bad < tx_frames &&
           cmd_now_ns() - quiet < PERF_DRAIN_MS * 1000000ull) {
        uint64_t before = rx.frames + rx.bad;
        if (vnet_poll(n, 50) < 0) {
            goto fail;
        }
        if (rx.frames + rx.bad != before) {
            quiet = cmd_now_ns();
        }
    }
    uint64_t rx_ns = cmd_now_ns() - start;
    n->on_rx = NULL;
    printf("frame size %u bytes, %u s, %s, %s\n", a->size, a->seconds,
           n->cfg.poll ? "polling" : "interrupts",
           n->cfg.noshare ? "message DMA" : "fd maps");
    report("tx", tx_frames, tx_frames * a->size, tx_ns);
    report("rx", rx.frames, rx.bytes, rx_ns);
    printf("notifications %" PRIu64 ", interrupts %" PRIu64 "\n", n->notifies,
           n->irqs);
    if (rx.bad > 0 || rx.frames == 0) {
        fprintf(stderr,
                "vuc-vnet: %" PRIu64 " frames came back, %" PRIu64
                " of them not as sent (is the device a loopback?)\n",
                rx.frames + rx.bad, rx.bad);
        return 1;
    }
    return 0;
fail:
    n->on_rx = NULL;
    fprintf(stderr, "vuc-vnet: %s\n", n->err);
    return 1;
}
