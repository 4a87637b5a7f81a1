/* SPDX-License-Identifier: BSD-3-Clause */
#include "netproto.h"

#include <string.h>

#define ETHERTYPE_IPV4 0x0800u
#define ETHERTYPE_ARP 0x0806u
#define IP_HDR_LEN 20u
#define ICMP_HDR_LEN 8u
#define ICMP_ECHO_REPLY 0u
#define ICMP_ECHO_REQUEST 8u

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)get16(p) << 16 | get16(p + 2);
}

uint16_t netp_csum(const void *data, size_t len)
{
    const uint8_t *p = data;
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

static void eth_header(uint8_t *out, const uint8_t dst[6], const uint8_t src[6],
                       uint16_t type)
{
    memcpy(out, dst, 6);
    memcpy(out + 6, src, 6);
    put16(out + 12, type);
}

size_t netp_arp(uint8_t *out, uint16_t op, const uint8_t src_mac[6],
                uint32_t src_ip, const uint8_t dst_mac[6], uint32_t dst_ip)
{
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    static const uint8_t zero[6];
    uint8_t *a = out + 14;

    eth_header(out, op == 1 ? bcast : dst_mac, src_mac, ETHERTYPE_ARP);
    put16(a, 1); /* hardware: Ethernet */
    put16(a + 2, ETHERTYPE_IPV4);
    a[4] = 6;
    a[5] = 4;
    put16(a + 6, op);
    memcpy(a + 8, src_mac, 6);
    put32(a + 14, src_ip);
    memcpy(a + 18, op == 1 ? zero : dst_mac, 6);
    put32(a + 24, dst_ip);
    return NETP_ARP_FRAME_LEN;
}

bool netp_parse_arp(const uint8_t *f, size_t len, struct netp_arp_info *a)
{
    if (len < NETP_ARP_FRAME_LEN || get16(f + 12) != ETHERTYPE_ARP) {
        return false;
    }
    const uint8_t *p = f + 14;
    if (get16(p) != 1 || get16(p + 2) != ETHERTYPE_IPV4 || p[4] != 6 ||
        p[5] != 4) {
        return false;
    }
    a->op = get16(p + 6);
    memcpy(a->sha, p + 8, 6);
    a->spa = get32(p + 14);
    memcpy(a->tha, p + 18, 6);
    a->tpa = get32(p + 24);
    return true;
}

size_t netp_echo_request(uint8_t *out, size_t cap, const uint8_t src_mac[6],
                         const uint8_t dst_mac[6], uint32_t src_ip,
                         uint32_t dst_ip, uint16_t id, uint16_t seq,
                         size_t payload_len)
{
    size_t total = 14 + IP_HDR_LEN + ICMP_HDR_LEN + payload_len;
    if (total > cap) {
        return 0;
    }
    uint8_t *ip = out + 14, *icmp = ip + IP_HDR_LEN;

    eth_header(out, dst_mac, src_mac, ETHERTYPE_IPV4);
    memset(ip, 0, IP_HDR_LEN);
    ip[0] = 0x45; /* version 4, 20-byte header */
    put16(ip + 2, (uint16_t)(IP_HDR_LEN + ICMP_HDR_LEN + payload_len));
    put16(ip + 4, seq);    /* identification */
    put16(ip + 6, 0x4000); /* don't fragment */
    ip[8] = 64;            /* TTL */
    ip[9] = 1;             /* ICMP */
    put32(ip + 12, src_ip);
    put32(ip + 16, dst_ip);
    put16(ip + 10, netp_csum(ip, IP_HDR_LEN));

    icmp[0] = ICMP_ECHO_REQUEST;
    icmp[1] = 0;
    put16(icmp + 2, 0);
    put16(icmp + 4, id);
    put16(icmp + 6, seq);
    for (size_t i = 0; i < payload_len; i++) {
        icmp[ICMP_HDR_LEN + i] = (uint8_t)(0x10 + i);
    }
    put16(icmp + 2, netp_csum(icmp, ICMP_HDR_LEN + payload_len));
    return total;
}

bool netp_parse_echo_reply(const uint8_t *f, size_t len, uint32_t my_ip,
                           struct netp_echo_info *e)
{
    if (len < 14 + IP_HDR_LEN + ICMP_HDR_LEN ||
        get16(f + 12) != ETHERTYPE_IPV4) {
        return false;
    }
    const uint8_t *ip = f + 14;
    size_t ihl = (size_t)(ip[0] & 0xf) * 4;
    size_t tot = get16(ip + 2);
    if ((ip[0] >> 4) != 4 || ihl < IP_HDR_LEN || tot < ihl + ICMP_HDR_LEN ||
        14 + tot > len || ip[9] != 1 || get32(ip + 16) != my_ip ||
        netp_csum(ip, ihl) != 0) {
        return false;
    }
    const uint8_t *icmp = ip + ihl;
    size_t icmp_len = tot - ihl;
    if (icmp[0] != ICMP_ECHO_REPLY || icmp[1] != 0 ||
        netp_csum(icmp, icmp_len) != 0) {
        return false;
    }
    e->src_ip = get32(ip + 12);
    e->ttl = ip[8];
    e->id = get16(icmp + 4);
    e->seq = get16(icmp + 6);
    e->icmp_len = icmp_len;
    return true;
}
