/* SPDX-License-Identifier: BSD-3-Clause */
#include "pcap.h"

#include <errno.h>
#include <string.h>
#include <sys/time.h>

#define PCAP_MAGIC_US 0xa1b2c3d4u
#define PCAP_MAGIC_NS 0xa1b23c4du
#define PCAP_LINKTYPE_ETHERNET 1u
#define PCAP_SNAPLEN 65535u

/* Host byte order, as the format allows: the magic tells readers which. */
struct pcap_file_header {
    uint32_t magic;
    uint16_t version_major, version_minor;
    int32_t thiszone;
    uint32_t sigfigs, snaplen, linktype;
};

struct pcap_record_header {
    uint32_t ts_sec, ts_usec, incl_len, orig_len;
};

int pcap_write_header(FILE *f)
{
    struct pcap_file_header h = {
        .magic = PCAP_MAGIC_US,
        .version_major = 2,
        .version_minor = 4,
        .snaplen = PCAP_SNAPLEN,
        .linktype = PCAP_LINKTYPE_ETHERNET,
    };
    return fwrite(&h, sizeof(h), 1, f) == 1 ? 0 : -EIO;
}

int pcap_write_frame(FILE *f, const uint8_t *frame, size_t len)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct pcap_record_header h = {
        .ts_sec = (uint32_t)tv.tv_sec,
        .ts_usec = (uint32_t)tv.tv_usec,
        .incl_len = (uint32_t)len,
        .orig_len = (uint32_t)len,
    };
    if (fwrite(&h, sizeof(h), 1, f) != 1 ||
        (len > 0 && fwrite(frame, len, 1, f) != 1)) {
        return -EIO;
    }
    return 0;
}

static uint32_t fix32(const struct pcap_reader *r, uint32_t v)
{
    return r->swapped ? __builtin_bswap32(v) : v;
}

int pcap_open_reader(struct pcap_reader *r, FILE *f, const char **why)
{
    struct pcap_file_header h;

    memset(r, 0, sizeof(*r));
    r->f = f;
    if (fread(&h, sizeof(h), 1, f) != 1) {
        *why = "too short for a pcap file header";
        return -EINVAL;
    }
    if (h.magic == PCAP_MAGIC_US || h.magic == PCAP_MAGIC_NS) {
        r->swapped = false;
    } else if (__builtin_bswap32(h.magic) == PCAP_MAGIC_US ||
               __builtin_bswap32(h.magic) == PCAP_MAGIC_NS) {
        r->swapped = true;
    } else {
        *why = "not a pcap file (pcapng is not supported)";
        return -EINVAL;
    }
    uint16_t major =
        r->swapped ? __builtin_bswap16(h.version_major) : h.version_major;
    if (major != 2) {
        *why = "unsupported pcap version";
        return -EINVAL;
    }
    if (fix32(r, h.linktype) != PCAP_LINKTYPE_ETHERNET) {
        *why = "the pcap file does not hold Ethernet frames";
        return -EINVAL;
    }
    r->snaplen = fix32(r, h.snaplen);
    return 0;
}

long pcap_read_frame(struct pcap_reader *r, uint8_t *buf, size_t cap,
                     const char **why)
{
    struct pcap_record_header h;
    size_t got = fread(&h, 1, sizeof(h), r->f);

    if (got == 0 && feof(r->f)) {
        return 0;
    }
    if (got != sizeof(h)) {
        *why = "a truncated record header";
        return -EINVAL;
    }
    uint32_t incl = fix32(r, h.incl_len), orig = fix32(r, h.orig_len);
    if (incl > cap) {
        *why = "a frame larger than an Ethernet frame";
        return -EINVAL;
    }
    if (incl != orig) {
        *why = "a frame cut short by the capture's snapshot length";
        return -EINVAL;
    }
    if (incl > 0 && fread(buf, incl, 1, r->f) != 1) {
        *why = "a truncated frame";
        return -EINVAL;
    }
    return (long)incl;
}
