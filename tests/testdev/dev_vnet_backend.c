/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Where the virtio-net device's frames go: back to the receive queue
 * (loopback), to a responder that answers ARP and ICMP echo requests for
 * its IPv4 address the way a gateway does, or to a UNIX datagram socket,
 * one frame per datagram, so tests can inject and capture frames.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "testdev.h"
#include "dev_vnet.h"

#define ETHERTYPE_IPV4 0x0800u
#define ETHERTYPE_ARP 0x0806u
/* How long a full peer may keep one frame waiting. */
#define VND_SOCKET_WAIT_MS 1000

/* The responder's own MAC: not the device's, since it stands for another
 * machine on the link. */
static const uint8_t responder_mac[6] = {0x52, 0x55, 0x0a, 0x00, 0x02, 0x02};

bool vnd_backlog_push(struct vnd *d, const uint8_t *frame, size_t len)
{
    if (d->backlog_count == VND_RX_BACKLOG || len > VND_MAX_FRAME) {
        d->stats.rx_dropped++;
        return false;
    }
    struct vnd_frame *f =
        &d->backlog[(d->backlog_head + d->backlog_count) % VND_RX_BACKLOG];
    memcpy(f->data, frame, len);
    f->len = (uint16_t)len;
    d->backlog_count++;
    /* Receive runs at the next vnd_run(). */
    d->q[0].kicked = true;
    return true;
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static uint16_t csum(const uint8_t *p, size_t len)
{
    uint32_t sum = 0;
    for (; len > 1; len -= 2, p += 2) {
        sum += get16(p);
    }
    if (len) {
        sum += (uint32_t)p[0] << 8;
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return (uint16_t)~sum;
}

static void respond_arp(struct vnd *d, const uint8_t *f, size_t len)
{
    const uint8_t *a = f + 14;
    uint8_t r[42];

    /* Ethernet/IPv4 requests for our address only. */
    if (len < 42 || get16(a) != 1 || get16(a + 2) != ETHERTYPE_IPV4 ||
        a[4] != 6 || a[5] != 4 || get16(a + 6) != 1 ||
        get32(a + 24) != d->cfg.ip) {
        return;
    }
    memcpy(r, a + 8, 6); /* to the asker */
    memcpy(r + 6, responder_mac, 6);
    put16(r + 12, ETHERTYPE_ARP);
    memcpy(r + 14, a, 6); /* htype, ptype, hlen, plen */
    put16(r + 20, 2);     /* reply */
    memcpy(r + 22, responder_mac, 6);
    memcpy(r + 28, a + 24, 4); /* our IP */
    memcpy(r + 32, a + 8, 10); /* the asker's MAC and IP */
    vnd_backlog_push(d, r, sizeof(r));
}

static void respond_icmp(struct vnd *d, const uint8_t *f, size_t len)
{
    static uint8_t r[VND_MAX_FRAME];
    const uint8_t *ip = f + 14;

    if (len < 14 + 20 || (ip[0] >> 4) != 4) {
        return;
    }
    size_t ihl = (size_t)(ip[0] & 0xf) * 4, tot = get16(ip + 2);
    if (ihl < 20 || tot < ihl + 8 || 14 + tot > len || ip[9] != 1 ||
        get32(ip + 16) != d->cfg.ip || (get16(ip + 6) & 0x3fff) != 0 ||
        csum(ip, ihl) != 0) {
        return; /* not an unfragmented ICMP packet to us */
    }
    const uint8_t *icmp = ip + ihl;
    if (icmp[0] != 8 || icmp[1] != 0 || csum(icmp, tot - ihl) != 0) {
        return; /* not a valid echo request */
    }
    /* The reply: addresses swapped, type 0, checksums recomputed, the
     * identifier, sequence and payload as they came. */
    memcpy(r, f + 6, 6);
    memcpy(r + 6, responder_mac, 6);
    put16(r + 12, ETHERTYPE_IPV4);
    uint8_t *rip = r + 14;
    memcpy(rip, ip, 20);
    rip[0] = 0x45;
    put16(rip + 2, (uint16_t)(20 + tot - ihl));
    put16(rip + 6, 0);
    rip[8] = 64;
    memcpy(rip + 12, ip + 16, 4);
    memcpy(rip + 16, ip + 12, 4);
    put16(rip + 10, 0);
    put16(rip + 10, csum(rip, 20));
    uint8_t *ricmp = rip + 20;
    memcpy(ricmp, icmp, tot - ihl);
    ricmp[0] = 0;
    put16(ricmp + 2, 0);
    put16(ricmp + 2, csum(ricmp, tot - ihl));
    vnd_backlog_push(d, r, 14 + 20 + tot - ihl);
}

/* One frame to the peer. A peer whose queue is full gets a while to catch
 * up, so that tests see every frame; one that does not read at all (or
 * no peer yet) costs frames, as a wire would. */
static bool socket_send(struct vnd *d, const uint8_t *frame, size_t len)
{
    if (d->peer_len == 0) {
        return false;
    }
    /* poll() cannot tell that an unconnected datagram socket's peer is
     * full, so try again each millisecond. */
    for (int waited = 0;; waited++) {
        ssize_t n = sendto(d->sock, frame, len, MSG_DONTWAIT,
                           (const struct sockaddr *)d->peer_addr, d->peer_len);
        if (n == (ssize_t)len) {
            return true;
        }
        if (n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK) ||
            waited >= VND_SOCKET_WAIT_MS) {
            break;
        }
        nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
    }
    td_debug("virtio-net: socket backend: frame of %zu bytes dropped: %s", len,
             strerror(errno));
    return false;
}

int vnd_backend_tx(struct vnd *d, const uint8_t *frame, size_t len)
{
    d->stats.tx_frames++;
    switch (d->cfg.backend) {
    case VND_BACKEND_LOOPBACK:
        vnd_backlog_push(d, frame, len);
        break;
    case VND_BACKEND_RESPONDER:
        if (len >= 14 && get16(frame + 12) == ETHERTYPE_ARP) {
            respond_arp(d, frame, len);
        } else if (len >= 14 && get16(frame + 12) == ETHERTYPE_IPV4) {
            respond_icmp(d, frame, len);
        }
        break;
    case VND_BACKEND_SOCKET:
        if (!socket_send(d, frame, len)) {
            d->stats.tx_dropped++;
        }
        break;
    }
    return 0;
}

int vnd_backend_input(struct vnd *d)
{
    static uint8_t buf[VND_MAX_FRAME + 1];

    for (;;) {
        struct sockaddr_un from;
        socklen_t flen = sizeof(from);
        ssize_t n = recvfrom(d->sock, buf, sizeof(buf), MSG_DONTWAIT,
                             (struct sockaddr *)&from, &flen);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
                return 0;
            }
            td_log("virtio-net: socket backend: %s", strerror(errno));
            return 0;
        }
        if (d->cfg.peer_path == NULL && flen > sizeof(sa_family_t) &&
            flen <= sizeof(d->peer_addr)) {
            /* Without a fixed peer, answer whoever spoke last. */
            memcpy(d->peer_addr, &from, flen);
            d->peer_len = flen;
        }
        if (n < 14 || n > (ssize_t)VND_MAX_FRAME) {
            d->stats.rx_dropped++;
            continue;
        }
        vnd_backlog_push(d, buf, (size_t)n);
    }
}

static int unix_addr(const char *path, struct sockaddr_un *a, const char *what)
{
    memset(a, 0, sizeof(*a));
    a->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(a->sun_path)) {
        td_log("virtio-net: %s: path too long: %s", what, path);
        return -ENAMETOOLONG;
    }
    strcpy(a->sun_path, path);
    return 0;
}

int vnd_backend_open(struct vnd *d)
{
    struct sockaddr_un a;
    int rc;

    if (d->cfg.backend != VND_BACKEND_SOCKET) {
        return 0;
    }
    if (d->cfg.socket_path == NULL) {
        td_log("virtio-net: --net-backend=socket needs --net-socket=PATH");
        return -EINVAL;
    }
    if ((rc = unix_addr(d->cfg.socket_path, &a, "--net-socket")) < 0) {
        return rc;
    }
    d->sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (d->sock < 0 || bind(d->sock, (struct sockaddr *)&a, sizeof(a)) < 0) {
        rc = -errno;
        td_log("virtio-net: --net-socket=%s: %s", d->cfg.socket_path,
               strerror(errno));
        vnd_backend_close(d);
        return rc;
    }
    if (d->cfg.peer_path != NULL) {
        if ((rc = unix_addr(d->cfg.peer_path, &a, "--net-peer")) < 0) {
            vnd_backend_close(d);
            return rc;
        }
        memcpy(d->peer_addr, &a, sizeof(a));
        d->peer_len = sizeof(a);
    }
    return 0;
}

void vnd_backend_close(struct vnd *d)
{
    if (d->sock >= 0) {
        close(d->sock);
        if (d->cfg.socket_path != NULL) {
            unlink(d->cfg.socket_path);
        }
    }
    d->sock = -1;
}
