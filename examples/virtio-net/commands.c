/* SPDX-License-Identifier: BSD-3-Clause */
/* info, send and recv; ping and perf have files of their own. */
#include "commands.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <linux/virtio_net.h>

#include "pcap.h"

/* recv and send wait in slices this long, so an interrupt ends them soon. */
#define CMD_SLICE_MS 100

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

void cmd_install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

bool cmd_interrupted(void)
{
    return interrupted != 0;
}

uint64_t cmd_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void print_features(const char *label, uint64_t f)
{
    printf("%-11s 0x%016" PRIx64, label, f);
    for (unsigned b = 0; b < 64; b++) {
        if (f & (1ull << b)) {
            const char *name = vnet_feature_name(b);
            if (name != NULL) {
                printf(" %s", name);
            } else {
                printf(" bit%u", b);
            }
        }
    }
    printf("\n");
}

static void print_window(const char *name, const struct vpci_window *w)
{
    if (w->present) {
        printf(" %s BAR%u+0x%" PRIx64 "/0x%" PRIx64, name, w->bar, w->off,
               w->len);
    }
}

int cmd_info(struct vnet *n, struct cmd_args *a)
{
    (void)a;
    printf("device      %04x:%04x%s\n", n->vp.vendor, n->vp.device,
           n->vp.device == 0x1000 ? " (transitional)" : "");
    printf("transport  ");
    print_window("common", &n->vp.common);
    print_window("notify", &n->vp.notify);
    printf(" (multiplier %u)", n->vp.notify_mult);
    print_window("isr", &n->vp.isr);
    print_window("device", &n->vp.devcfg);
    printf("\n");
    print_features("offered", n->offered);
    print_features("negotiated", n->features);
    if (n->features & (1ull << VIRTIO_NET_F_MAC)) {
        printf("mac         %02x:%02x:%02x:%02x:%02x:%02x\n", n->mac[0],
               n->mac[1], n->mac[2], n->mac[3], n->mac[4], n->mac[5]);
    } else {
        printf("mac         none offered\n");
    }
    if (n->features & (1ull << VIRTIO_NET_F_STATUS)) {
        printf("link        %s\n",
               n->link_status & VIRTIO_NET_S_LINK_UP ? "up" : "down");
    } else {
        printf("link        up (no status feature)\n");
    }
    printf("queues      %u: rx 0 size %u of max %u, tx 1 size %u of max %u\n",
           n->num_queues, n->rx.size, n->max_queue_size[VNET_RX_QUEUE],
           n->tx.size, n->max_queue_size[VNET_TX_QUEUE]);
    if (n->cfg.poll) {
        printf("interrupts  none (polling)\n");
    } else if (n->nvec > 0) {
        printf("interrupts  MSI-X, %u vector%s\n", n->nvec,
               n->nvec == 1 ? " shared" : "s: config, rx, tx");
    } else {
        printf("interrupts  INTx with ISR\n");
    }
    printf("dma         %s\n",
           n->cfg.noshare ? "messages (no fds)" : "shared memory (fds)");
    return 0;
}

int cmd_send(struct vnet *n, struct cmd_args *a)
{
    static uint8_t frame[VNET_MAX_FRAME + 1];
    FILE *f = fopen(a->file, "rb");
    const char *why = NULL;
    uint64_t frames = 0, bytes = 0;
    int status = 1;

    if (f == NULL) {
        fprintf(stderr, "vuc-vnet: %s: %s\n", a->file, strerror(errno));
        return 1;
    }
    struct pcap_reader r;
    if (pcap_open_reader(&r, f, &why) < 0) {
        /* Not pcap: the whole file is one raw frame. */
        rewind(f);
        size_t len = fread(frame, 1, sizeof(frame), f);
        if (ferror(f) || len > VNET_MAX_FRAME || len < VNET_MIN_FRAME) {
            fprintf(stderr,
                    "vuc-vnet: %s: %s, and not one raw frame either "
                    "(%u to %u bytes)\n",
                    a->file, why, VNET_MIN_FRAME, VNET_MAX_FRAME);
            goto out;
        }
        if (vnet_send(n, frame, len) < 0) {
            goto fail;
        }
        frames = 1;
        bytes = len;
    } else {
        long len;
        while ((len = pcap_read_frame(&r, frame, VNET_MAX_FRAME, &why)) > 0) {
            if (vnet_send(n, frame, (size_t)len) < 0) {
                goto fail;
            }
            frames++;
            bytes += (uint64_t)len;
        }
        if (len < 0) {
            fprintf(stderr, "vuc-vnet: %s: record %" PRIu64 ": %s\n", a->file,
                    frames + 1, why);
            /* What was queued still goes out before we stop. */
            (void)vnet_flush(n);
            goto out;
        }
    }
    /* Every frame handed over before the device is reset at exit. */
    if (vnet_flush(n) < 0) {
        goto fail;
    }
    printf("sent %" PRIu64 " frame%s, %" PRIu64 " bytes\n", frames,
           frames == 1 ? "" : "s", bytes);
    status = 0;
    goto out;
fail:
    fprintf(stderr, "vuc-vnet: %s\n", n->err);
out:
    fclose(f);
    return status;
}

struct recv_state {
    FILE *pcap;
    uint64_t frames;
    uint64_t limit; /* 0: no limit */
    bool write_failed;
};

static void recv_frame(void *arg, const uint8_t *f, size_t len)
{
    struct recv_state *s = arg;

    if (s->limit != 0 && s->frames >= s->limit) {
        return; /* taken from the ring in the last batch, not wanted */
    }
    s->frames++;
    if (len >= 14) {
        printf("%" PRIu64 ": %zu bytes %02x:%02x:%02x:%02x:%02x:%02x > "
               "%02x:%02x:%02x:%02x:%02x:%02x type 0x%04x\n",
               s->frames, len, f[6], f[7], f[8], f[9], f[10], f[11], f[0], f[1],
               f[2], f[3], f[4], f[5], f[12] << 8 | f[13]);
    } else {
        printf("%" PRIu64 ": %zu bytes (runt)\n", s->frames, len);
    }
    if (s->pcap != NULL && pcap_write_frame(s->pcap, f, len) < 0) {
        s->write_failed = true;
    }
}

int cmd_recv(struct vnet *n, struct cmd_args *a)
{
    struct recv_state s = {.limit = a->count};
    int status = 1, rc = 0;

    if (a->out != NULL) {
        if ((s.pcap = fopen(a->out, "wb")) == NULL) {
            fprintf(stderr, "vuc-vnet: %s: %s\n", a->out, strerror(errno));
            return 1;
        }
        if (pcap_write_header(s.pcap) < 0) {
            goto write_failed;
        }
    }
    n->on_rx = recv_frame;
    n->rx_arg = &s;
    /* The device is up with its receive queue full: say so, for whoever
     * waits to send us frames. */
    fprintf(stderr, "vuc-vnet: receiving\n");
    while (!cmd_interrupted() && (a->count == 0 || s.frames < a->count)) {
        if ((rc = vnet_poll(n, CMD_SLICE_MS)) < 0) {
            break;
        }
        fflush(stdout);
        if (s.write_failed) {
            goto write_failed;
        }
    }
    n->on_rx = NULL;
    if (rc < 0) {
        fprintf(stderr, "vuc-vnet: %s\n", n->err);
    } else {
        status = 0;
    }
    if (s.pcap != NULL && fclose(s.pcap) != 0) {
        s.pcap = NULL;
        goto write_failed;
    }
    return status;
write_failed:
    n->on_rx = NULL;
    fprintf(stderr, "vuc-vnet: %s: %s\n", a->out,
            strerror(errno ? errno : EIO));
    if (s.pcap != NULL) {
        fclose(s.pcap);
    }
    return 1;
}
