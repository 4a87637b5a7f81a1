/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The few Ethernet, ARP, IPv4 and ICMP frames that `vuc-vnet ping` builds
 * and parses. Parsers check every length before reading.
 */
#ifndef VNET_NETPROTO_H
#define VNET_NETPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ETH_ALEN_ 6
#define NETP_ARP_FRAME_LEN 42u /* 14 Ethernet + 28 ARP */

/** The Internet checksum (RFC 1071) of @p len bytes. */
uint16_t netp_csum(const void *data, size_t len);

/** Build an ARP request (op 1) or reply (op 2) into @p out (42 bytes). */
size_t netp_arp(uint8_t *out, uint16_t op, const uint8_t src_mac[6],
                uint32_t src_ip, const uint8_t dst_mac[6], uint32_t dst_ip);

/** A parsed ARP packet for IPv4 over Ethernet. Addresses in host order. */
struct netp_arp_info {
    uint16_t op;
    uint8_t sha[6];
    uint32_t spa;
    uint8_t tha[6];
    uint32_t tpa;
};
bool netp_parse_arp(const uint8_t *f, size_t len, struct netp_arp_info *a);

/**
 * Build an ICMP echo request from @p src to @p dst with @p payload_len
 * bytes of payload (a timestamp first, as ping does, then a pattern).
 * @return the frame length.
 */
size_t netp_echo_request(uint8_t *out, size_t cap, const uint8_t src_mac[6],
                         const uint8_t dst_mac[6], uint32_t src_ip,
                         uint32_t dst_ip, uint16_t id, uint16_t seq,
                         size_t payload_len);

/** An ICMP echo reply addressed to us: whether @p f is one, with its
 * fields (checksums checked). */
struct netp_echo_info {
    uint32_t src_ip;
    uint16_t id, seq;
    uint8_t ttl;
    size_t icmp_len; /* ICMP header and payload */
};
bool netp_parse_echo_reply(const uint8_t *f, size_t len, uint32_t my_ip,
                           struct netp_echo_info *e);

#endif
