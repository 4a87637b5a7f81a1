/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pcapng writer: a Section Header Block, one Interface Description Block,
 * and an Enhanced Packet Block per message (the pcapng specification,
 * draft-ietf-opsawg-pcapng). Written in host byte order, which the
 * section's byte-order magic declares.
 */
#include "pcapng.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 0x00000001u
#define BT_EPB 0x00000006u
#define OPT_END 0u
#define OPT_COMMENT 1u
#define OPT_IF_NAME 2u
#define OPT_EPB_FLAGS 2u
/* epb_flags bits 0-1: direction. */
#define EPB_INBOUND 1u
#define EPB_OUTBOUND 2u

static int put(FILE *f, const void *p, size_t n)
{
    return fwrite(p, 1, n, f) == n ? 0 : -EIO;
}

static int put32(FILE *f, uint32_t v)
{
    return put(f, &v, sizeof(v));
}

static size_t pad4(size_t n)
{
    return (n + 3u) & ~(size_t)3u;
}

/* An option: code, length, value, padding to 32 bits. */
static int put_opt(FILE *f, uint16_t code, const void *v, uint16_t len)
{
    static const uint8_t zeros[4];
    uint16_t head[2] = {code, len};
    int rc = put(f, head, sizeof(head));
    if (rc == 0 && len > 0) {
        rc = put(f, v, len);
    }
    if (rc == 0 && pad4(len) > len) {
        rc = put(f, zeros, pad4(len) - len);
    }
    return rc;
}

int pcapng_start(FILE *f)
{
    static const char appl[] = "vuc-trace";
    static const char ifname[] = "vfio-user";
    /* SHB: type, length, byte-order magic, version 1.0, section length
     * unknown (-1), shb_userappl, end of options, length. */
    uint32_t shb_len = 28 + 4 + (uint32_t)pad4(sizeof(appl) - 1) + 4;
    uint16_t ver[2] = {1, 0};
    uint64_t section = UINT64_MAX;
    int rc = put32(f, BT_SHB);
    rc = rc ? rc : put32(f, shb_len);
    rc = rc ? rc : put32(f, 0x1A2B3C4Du);
    rc = rc ? rc : put(f, ver, sizeof(ver));
    rc = rc ? rc : put(f, &section, sizeof(section));
    rc = rc ? rc : put_opt(f, 4 /* shb_userappl */, appl, sizeof(appl) - 1);
    rc = rc ? rc : put_opt(f, OPT_END, NULL, 0);
    rc = rc ? rc : put32(f, shb_len);

    /* IDB: link type, reserved, snap length, if_name; microsecond
     * timestamps (the default resolution). */
    uint32_t idb_len = 20 + 4 + (uint32_t)pad4(sizeof(ifname) - 1) + 4;
    uint16_t lt[2] = {PCAPNG_LINKTYPE_USER0, 0};
    rc = rc ? rc : put32(f, BT_IDB);
    rc = rc ? rc : put32(f, idb_len);
    rc = rc ? rc : put(f, lt, sizeof(lt));
    rc = rc ? rc : put32(f, PCAPNG_SNAPLEN);
    rc = rc ? rc : put_opt(f, OPT_IF_NAME, ifname, sizeof(ifname) - 1);
    rc = rc ? rc : put_opt(f, OPT_END, NULL, 0);
    rc = rc ? rc : put32(f, idb_len);
    if (rc == 0 && fflush(f) != 0) {
        rc = -EIO;
    }
    return rc;
}

int pcapng_message(FILE *f, const struct vuc_trace_msg *msg)
{
    static const uint8_t zeros[4];
    struct timespec ts;
    char comment[64];

    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t us = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
    size_t orig = VFIO_USER_HDR_SIZE + msg->len;
    size_t cap = orig < PCAPNG_SNAPLEN ? orig : PCAPNG_SNAPLEN;
    int clen = snprintf(comment, sizeof(comment), "fds=%u chan=%s", msg->nfds,
                        msg->twin ? "twin" : "main");
    uint32_t flags =
        msg->dir == VUC_TRACE_TO_SERVER ? EPB_OUTBOUND : EPB_INBOUND;
    uint32_t len =
        (uint32_t)(28 + pad4(cap) + 4 + pad4((size_t)clen) + 8 + 4 + 4);
    uint32_t head[5] = {0, (uint32_t)(us >> 32), (uint32_t)us, (uint32_t)cap,
                        (uint32_t)orig};

    int rc = put32(f, BT_EPB);
    rc = rc ? rc : put32(f, len);
    rc = rc ? rc : put(f, head, sizeof(head));
    rc = rc ? rc : put(f, msg->hdr, VFIO_USER_HDR_SIZE);
    rc = rc ? rc : put(f, msg->payload, cap - VFIO_USER_HDR_SIZE);
    if (rc == 0 && pad4(cap) > cap) {
        rc = put(f, zeros, pad4(cap) - cap);
    }
    rc = rc ? rc : put_opt(f, OPT_COMMENT, comment, (uint16_t)clen);
    rc = rc ? rc : put_opt(f, OPT_EPB_FLAGS, &flags, sizeof(flags));
    rc = rc ? rc : put_opt(f, OPT_END, NULL, 0);
    rc = rc ? rc : put32(f, len);
    if (rc == 0 && fflush(f) != 0) {
        rc = -EIO;
    }
    return rc;
}
