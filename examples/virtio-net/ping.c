/* SPDX-License-Identifier: BSD-3-Clause */
/* vuc-vnet ping: resolve the target with ARP, then ICMP echo requests with
 * round-trip times, printed the way ping(8) prints them. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/virtio_net.h>

#include "commands.h"
#include "netproto.h"

#define PING_PAYLOAD 56u
#define PING_ARP_TRIES 3
#define PING_ARP_WAIT_MS 1000
#define PING_REPLY_WAIT_MS 1000
#define PING_ID 0x5643 /* 'VC' */

struct ping_state {
    struct vnet *n;
    const uint8_t *mac;
    uint32_t my_ip, target_ip;
    bool have_target_mac;
    uint8_t target_mac[6];
    uint16_t want_seq; /* the echo we wait for */
    bool got_reply;
    uint64_t sent_ns, rtt_ns;
    struct netp_echo_info echo;
    bool arp_reply_due; /* someone asked for our address */
    uint8_t asker_mac[6];
    uint32_t asker_ip;
};

static void ping_rx(void *arg, const uint8_t *f, size_t len)
{
    struct ping_state *p = arg;
    struct netp_arp_info arp;
    struct netp_echo_info e;

    if (netp_parse_arp(f, len, &arp)) {
        if (arp.op == 2 && arp.spa == p->target_ip) {
            memcpy(p->target_mac, arp.sha, 6);
            p->have_target_mac = true;
        } else if (arp.op == 1 && arp.tpa == p->my_ip) {
            /* Answer after the poll returns: no transmitting from inside
             * the receive path. */
            p->arp_reply_due = true;
            memcpy(p->asker_mac, arp.sha, 6);
            p->asker_ip = arp.spa;
        }
        return;
    }
    if (netp_parse_echo_reply(f, len, p->my_ip, &e) && e.id == PING_ID &&
        e.src_ip == p->target_ip && e.seq == p->want_seq && !p->got_reply) {
        p->got_reply = true;
        p->rtt_ns = cmd_now_ns() - p->sent_ns;
        p->echo = e;
    }
}

/* Send a frame and wait until the device has taken it: a device that
 * never returns transmit buffers is reported here, not as lost replies. */
static int ping_xmit(struct ping_state *p, const uint8_t *frame, size_t len)
{
    if (vnet_send(p->n, frame, len) < 0 || vnet_flush(p->n) < 0) {
        fprintf(stderr, "vuc-vnet: %s\n", p->n->err);
        return -1;
    }
    return 0;
}

/* Poll up to ms, answering ARP requests for our address, until done()
 * says so. @return 1 when done, 0 on timeout, -1 on error. */
static int ping_wait(struct ping_state *p, uint32_t ms,
                     bool (*done)(const struct ping_state *))
{
    uint64_t end = cmd_now_ns() + (uint64_t)ms * 1000000u;

    for (;;) {
        if (done(p)) {
            return 1;
        }
        uint64_t now = cmd_now_ns();
        if (now >= end || cmd_interrupted()) {
            return 0;
        }
        if (vnet_poll(p->n, (int)((end - now + 999999) / 1000000)) < 0) {
            fprintf(stderr, "vuc-vnet: %s\n", p->n->err);
            return -1;
        }
        if (p->arp_reply_due) {
            uint8_t f[NETP_ARP_FRAME_LEN];
            p->arp_reply_due = false;
            netp_arp(f, 2, p->mac, p->my_ip, p->asker_mac, p->asker_ip);
            if (ping_xmit(p, f, sizeof(f)) < 0) {
                return -1;
            }
        }
    }
}

static bool have_mac(const struct ping_state *p)
{
    return p->have_target_mac;
}

static bool have_reply(const struct ping_state *p)
{
    return p->got_reply;
}

/* For sleeping out an interval while still answering ARP. */
static bool never(const struct ping_state *p)
{
    (void)p;
    return false;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static const char *ip_str(uint32_t ip, char buf[INET_ADDRSTRLEN])
{
    struct in_addr a = {.s_addr = htonl(ip)};
    return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

int cmd_ping(struct vnet *n, struct cmd_args *a)
{
    struct ping_state p = {
        .n = n, .my_ip = a->my_ip, .target_ip = a->target_ip};
    char tip[INET_ADDRSTRLEN];
    uint8_t mac[6], frame[VNET_MAX_FRAME];
    int rc;

    if (!(n->link_status & VIRTIO_NET_S_LINK_UP)) {
        fprintf(stderr, "vuc-vnet: the link is down\n");
        return 1;
    }
    if (n->features & (1ull << VIRTIO_NET_F_MAC)) {
        memcpy(mac, n->mac, 6);
    } else {
        /* No address from the device: a locally administered one. */
        uint64_t t = cmd_now_ns();
        mac[0] = 0x02;
        for (int i = 1; i < 6; i++) {
            mac[i] = (uint8_t)(t >> (8 * i));
        }
    }
    p.mac = mac;
    n->on_rx = ping_rx;
    n->rx_arg = &p;
    ip_str(a->target_ip, tip);

    for (int i = 0; i < PING_ARP_TRIES && !p.have_target_mac; i++) {
        size_t len = netp_arp(frame, 1, mac, a->my_ip, NULL, a->target_ip);
        if (ping_xmit(&p, frame, len) < 0 ||
            (rc = ping_wait(&p, PING_ARP_WAIT_MS, have_mac)) < 0) {
            return 1;
        }
        if (cmd_interrupted()) {
            return 1;
        }
    }
    if (!p.have_target_mac) {
        fprintf(stderr, "vuc-vnet: no ARP reply from %s after %d requests\n",
                tip, PING_ARP_TRIES);
        return 1;
    }

    printf("PING %s (%s) %u(%u) bytes of data.\n", tip, tip, PING_PAYLOAD,
           PING_PAYLOAD + 28);
    uint64_t *rtts = calloc(a->count ? a->count : 1, sizeof(*rtts));
    if (rtts == NULL) {
        fprintf(stderr, "vuc-vnet: out of memory\n");
        return 1;
    }
    uint32_t sent = 0, got = 0;
    uint64_t start = cmd_now_ns();
    int status = 1;
    for (uint32_t seq = 1; seq <= a->count && !cmd_interrupted(); seq++) {
        uint64_t t0 = cmd_now_ns();
        size_t len = netp_echo_request(frame, sizeof(frame), mac, p.target_mac,
                                       a->my_ip, a->target_ip, PING_ID,
                                       (uint16_t)seq, PING_PAYLOAD);
        p.want_seq = (uint16_t)seq;
        p.got_reply = false;
        p.sent_ns = cmd_now_ns();
        if (ping_xmit(&p, frame, len) < 0) {
            goto out;
        }
        sent++;
        uint32_t wait = a->interval_ms > PING_REPLY_WAIT_MS
                            ? a->interval_ms
                            : PING_REPLY_WAIT_MS;
        if ((rc = ping_wait(&p, wait, have_reply)) < 0) {
            goto out;
        }
        if (rc == 1) {
            rtts[got++] = p.rtt_ns;
            printf("%zu bytes from %s: icmp_seq=%u ttl=%u time=%.3f ms\n",
                   p.echo.icmp_len, tip, seq, p.echo.ttl, p.rtt_ns / 1e6);
        }
        fflush(stdout);
        /* Keep the interval from send to send, as ping does. */
        uint64_t next = t0 + (uint64_t)a->interval_ms * 1000000u;
        uint64_t now = cmd_now_ns();
        if (seq < a->count && now < next &&
            ping_wait(&p, (uint32_t)((next - now + 999999) / 1000000u), never) <
                0) {
            goto out;
        }
    }
    uint64_t elapsed = cmd_now_ns() - start;
    printf("\n--- %s ping statistics ---\n", tip);
    printf("%u packets transmitted, %u received, %u%% packet loss, time "
           "%" PRIu64 "ms\n",
           sent, got, sent ? (sent - got) * 100 / sent : 0, elapsed / 1000000u);
    if (got > 0) {
        double min = 1e300, max = 0, sum = 0, sq = 0;
        for (uint32_t i = 0; i < got; i++) {
            double v = rtts[i] / 1e6;
            min = v < min ? v : min;
            max = v > max ? v : max;
            sum += v;
            sq += v * v;
        }
        double avg = sum / got, mdev = sqrt(sq / got - avg * avg);
        qsort(rtts, got, sizeof(*rtts), cmp_u64);
        double median = got % 2 ? rtts[got / 2] / 1e6
                                : (rtts[got / 2 - 1] + rtts[got / 2]) / 2e6;
        printf("rtt min/avg/max/mdev = %.3f/%.3f/%.3f/%.3f ms\n", min, avg, max,
               isnan(mdev) ? 0.0 : mdev);
        printf("rtt median = %.3f ms\n", median);
        status = 0;
    }
out:
    n->on_rx = NULL;
    free(rtts);
    return status;
}
