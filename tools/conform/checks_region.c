/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Region access ("VFIO_USER_REGION_READ", "VFIO_USER_REGION_WRITE",
 * "VFIO_USER_REGION_WRITE_MULTI"): round trips where a region is plain
 * memory, and the accesses a server must refuse.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conform_int.h"

#define SEC_RD "VFIO_USER_REGION_READ"
#define SEC_WR "VFIO_USER_REGION_WRITE"

static int memory_region(struct cf_t *t)
{
    int r = cf_memory_region(t->s);

    if (r < 0)
        cf_skip(t, "no region is plain memory (readable, writable and "
                   "mappable, 4 KiB or more)");
    return r;
}

static void roundtrip(struct cf_t *t)
{
    int r = memory_region(t);
    uint8_t orig[64], pat[64], back[64];
    uint64_t off;

    if (r < 0)
        return;
    off = t->s->regions[r].ri.size / 2;
    for (size_t i = 0; i < sizeof(pat); i++)
        pat[i] = (uint8_t)(0xa5 ^ (i * 7));
    if (!cf_region_read(t, (uint32_t)r, off, orig, sizeof(orig)) ||
        !cf_region_write(t, (uint32_t)r, off, pat, sizeof(pat)) ||
        !cf_region_read(t, (uint32_t)r, off, back, sizeof(back)))
        return;
    if (memcmp(pat, back, sizeof(pat)))
        cf_fail(t,
                "region %d: wrote 64 bytes at 0x%llx, read back different "
                "bytes",
                r, (unsigned long long)off);
    cf_region_write(t, (uint32_t)r, off, orig, sizeof(orig));
}

/* A REGION_READ the server must refuse. */
static void bad_read(struct cf_t *t, uint32_t region, uint64_t off,
                     uint32_t count, const char *what)
{
    uint8_t req[16];
    char text[160];

    snprintf(text, sizeof(text),
             "REGION_READ of %u bytes at 0x%llx of region %u (%s)", count,
             (unsigned long long)off, region, what);
    vuc_wire_enc_region_read(req, sizeof(req), region, off, count);
    cf_req_refused(t, VFIO_USER_REGION_READ, req, sizeof(req), NULL, 0, text);
}

static void bad_write(struct cf_t *t, uint32_t region, uint64_t off,
                      uint32_t count, const char *what)
{
    uint8_t *req = calloc(1, 16 + (size_t)count);
    char text[160];

    if (!req) {
        cf_fail(t, "out of memory");
        return;
    }
    snprintf(text, sizeof(text),
             "REGION_WRITE of %u bytes at 0x%llx of region %u (%s)", count,
             (unsigned long long)off, region, what);
    vuc_wire_enc_region_write(req, 16 + (size_t)count, region, off, req + 16,
                              count);
    cf_req_refused(t, VFIO_USER_REGION_WRITE, req, 16 + (size_t)count, NULL, 0,
                   text);
    free(req);
}

static int readable(struct cf_t *t)
{
    int r = cf_readable_region(t->s);

    if (r < 0)
        cf_skip(t, "no readable region");
    return r;
}

static int writable(struct cf_t *t)
{
    int r = cf_memory_region(t->s);

    for (uint32_t i = 0; r < 0 && t->s->have_info && i < t->s->info.num_regions;
         i++)
        if (t->s->regions[i].ok && t->s->regions[i].ri.size >= 8 &&
            (t->s->regions[i].ri.flags & VFIO_USER_REGION_INFO_FLAG_WRITE))
            r = (int)i;
    if (r < 0)
        cf_skip(t, "no writable region");
    return r;
}

static void read_oob(struct cf_t *t)
{
    int r = readable(t);

    if (r >= 0)
        bad_read(t, (uint32_t)r, t->s->regions[r].ri.size, 4,
                 "starts at the region's end");
}

static void read_straddle(struct cf_t *t)
{
    int r = readable(t);

    if (r >= 0)
        bad_read(t, (uint32_t)r, t->s->regions[r].ri.size - 4, 8,
                 "crosses the region's end");
}

static void read_overflow(struct cf_t *t)
{
    int r = readable(t);

    if (r >= 0)
        bad_read(t, (uint32_t)r, UINT64_MAX - 3, 8, "offset + count overflows");
}

static void write_oob(struct cf_t *t)
{
    int r = writable(t);

    if (r >= 0)
        bad_write(t, (uint32_t)r, t->s->regions[r].ri.size, 4,
                  "starts at the region's end");
}

static void write_straddle(struct cf_t *t)
{
    int r = writable(t);

    if (r >= 0)
        bad_write(t, (uint32_t)r, t->s->regions[r].ri.size - 4, 8,
                  "crosses the region's end");
}

static void read_bad_index(struct cf_t *t)
{
    if (t->s->have_info)
        bad_read(t, t->s->info.num_regions + 3, 0, 4, "no such region");
    else
        cf_skip(t, "no device info");
}

static void read_oversized(struct cf_t *t)
{
    int r = readable(t);
    uint64_t max = t->s->max_data_xfer_size;

    if (r < 0)
        return;
    if (max >= UINT32_MAX) {
        cf_skip(t, "max_data_xfer_size leaves no count above it");
        return;
    }
    bad_read(t, (uint32_t)r, 0, (uint32_t)max + 8,
             "count above the server's max_data_xfer_size");
}

/* A zero-length access: refused, or answered with a well-formed empty
 * transfer. */
static void zero_length(struct cf_t *t, bool write)
{
    int r = write ? writable(t) : readable(t);
    struct vuc_wire_err werr;
    const uint8_t *data;
    uint8_t req[16];
    struct cf_msg m;
    int rc;

    if (r < 0)
        return;
    if (write)
        vuc_wire_enc_region_write(req, sizeof(req), (uint32_t)r, 0, NULL, 0);
    else
        vuc_wire_enc_region_read(req, sizeof(req), (uint32_t)r, 0, 0);
    if (!cf_req(t, write ? VFIO_USER_REGION_WRITE : VFIO_USER_REGION_READ, req,
                sizeof(req), NULL, 0, &m, "a zero-length access"))
        return;
    if (!cf_is_error(&m)) {
        rc = write ? vuc_wire_dec_region_write_reply(m.data, m.len, m.nfds,
                                                     (uint32_t)r, 0, 0, &werr)
                   : vuc_wire_dec_region_read_reply(m.data, m.len, m.nfds,
                                                    (uint32_t)r, 0, 0, &data,
                                                    &werr);
        if (rc)
            cf_fail(t,
                    "a zero-length %s was answered with a malformed reply: "
                    "%s",
                    write ? "write" : "read", werr.text);
    }
    cf_msg_free(&m);
}

static void read_zero(struct cf_t *t)
{
    zero_length(t, false);
}

static void write_zero(struct cf_t *t)
{
    zero_length(t, true);
}

static void write_readonly(struct cf_t *t)
{
    for (uint32_t i = 0; t->s->have_info && i < t->s->info.num_regions; i++) {
        const struct cf_region *r = &t->s->regions[i];

        if (r->ok && r->ri.size >= 4 &&
            (r->ri.flags & VFIO_USER_REGION_INFO_FLAG_READ) &&
            !(r->ri.flags & VFIO_USER_REGION_INFO_FLAG_WRITE)) {
            bad_write(t, i, 0, 4, "the region lacks the WRITE flag");
            return;
        }
    }
    cf_skip(t, "no region is readable but not writable");
}

static void read_truncated(struct cf_t *t)
{
    int r = readable(t);
    uint8_t req[16];

    if (r < 0)
        return;
    vuc_wire_enc_region_read(req, sizeof(req), (uint32_t)r, 0, 4);
    cf_req_refused(t, VFIO_USER_REGION_READ, req, 12, NULL, 0,
                   "REGION_READ with a 12-byte payload");
}

static void write_count_mismatch(struct cf_t *t)
{
    int r = writable(t);
    uint8_t req[16 + 8] = {0};

    if (r < 0)
        return;
    vuc_wire_enc_region_write(req, sizeof(req), (uint32_t)r, 0, req + 16, 8);
    cf_req_refused(t, VFIO_USER_REGION_WRITE, req, 16 + 4, NULL, 0,
                   "REGION_WRITE whose count is 8 with 4 data bytes");
}

static void write_multi(struct cf_t *t)
{
    int r = memory_region(t);
    struct vfio_user_write_multi_entry e[2] = {0};
    struct vuc_wire_err werr;
    uint8_t req[sizeof(struct vfio_user_write_multi) + sizeof(e)];
    uint8_t orig[16], back[16];
    uint64_t off;
    struct cf_msg m;
    ssize_t n;

    if (r < 0)
        return;
    if (!t->s->write_multiple) {
        cf_skip(t, "the server did not offer write_multiple");
        return;
    }
    off = t->s->regions[r].ri.size / 2 + 256;
    for (int i = 0; i < 2; i++) {
        e[i].offset = off + 8 * (uint64_t)i;
        e[i].region = (uint32_t)r;
        e[i].count = 8;
        memset(e[i].data, 0x3c + i, 8);
    }
    n = vuc_wire_enc_write_multi(req, sizeof(req), e, 2);
    if (!cf_region_read(t, (uint32_t)r, off, orig, sizeof(orig)) ||
        !cf_req_ok(t, VFIO_USER_REGION_WRITE_MULTI, req, (size_t)n, NULL, 0, &m,
                   "REGION_WRITE_MULTI of two 8-byte writes"))
        return;
    if (vuc_wire_dec_write_multi_reply(m.data, m.len, m.nfds, 2, &werr))
        cf_fail(t, "REGION_WRITE_MULTI: %s", werr.text);
    cf_msg_free(&m);
    if (cf_failed(t) || !cf_region_read(t, (uint32_t)r, off, back, 16))
        return;
    if (memcmp(back, e[0].data, 8) || memcmp(back + 8, e[1].data, 8))
        cf_fail(t,
                "after REGION_WRITE_MULTI, region %d reads back other "
                "bytes",
                r);
    cf_region_write(t, (uint32_t)r, off, orig, sizeof(orig));
}

static const struct cf_check checks[] = {
    {"region.read-write-roundtrip", SEC_WR, CF_MUST, 0,
     "data is the data to write / data is the data that was read from the "
     "device region: on a plain memory region, what was written reads back.",
     roundtrip},
    {"region.read-out-of-bounds", SEC_RD, CF_MUST, 0,
     "offset into the region being accessed; clients and servers validate "
     "input (Security Considerations): a read past the region is refused.",
     read_oob},
    {"region.read-straddling", SEC_RD, CF_MUST, 0,
     "A read crossing the region's end is refused (Security "
     "Considerations: prevent buffer overflow).",
     read_straddle},
    {"region.read-overflowing", SEC_RD, CF_MUST, 0,
     "A read whose offset + count overflows 64 bits is refused (Security "
     "Considerations).",
     read_overflow},
    {"region.write-out-of-bounds", SEC_WR, CF_MUST, 0,
     "A write past the region is refused (Security Considerations).",
     write_oob},
    {"region.write-straddling", SEC_WR, CF_MUST, 0,
     "A write crossing the region's end is refused (Security "
     "Considerations).",
     write_straddle},
    {"region.read-bad-index", SEC_RD, CF_MUST, 0,
     "region is the index of the region being accessed: a region the device "
     "does not have is refused.",
     read_bad_index},
    {"region.read-oversized", "Read and Write Operations", CF_MUST, 0,
     "The count field must not exceed the value of max_data_xfer_size of the "
     "peer, for both reads and writes: a larger read is refused.",
     read_oversized},
    {"region.read-zero-length", SEC_RD, CF_SHOULD, 0,
     "count is the size of the data to be transferred. SHOULD: the text does "
     "not say whether 0 is valid; an error reply or a well-formed empty "
     "reply passes.",
     read_zero},
    {"region.write-zero-length", SEC_WR, CF_SHOULD, 0,
     "count is the size of the data to be transferred. SHOULD: as for reads, "
     "an error reply or a well-formed empty reply passes.",
     write_zero},
    {"region.write-readonly", "VFIO_USER_DEVICE_GET_REGION_INFO", CF_MUST, 0,
     "VFIO_REGION_INFO_FLAG_WRITE allows client write access to the region: "
     "a write to a region without it is refused.",
     write_readonly},
    {"region.read-truncated", SEC_RD, CF_MUST, 0,
     "A REGION_READ request whose payload is shorter than its 16-byte "
     "structure gets an error reply.",
     read_truncated},
    {"region.write-count-mismatch", SEC_WR, CF_MUST, 0,
     "count is the size of the data to be transferred: a write whose count "
     "exceeds the data sent gets an error reply.",
     write_count_mismatch},
    {"region.write-multi", "VFIO_USER_REGION_WRITE_MULTI", CF_MUST, 0,
     "wr_cnt is the number of device writes completed: with write_multiple "
     "offered, two writes are both done and counted.",
     write_multi},
};

const struct cf_group cf_region_checks = {checks,
                                          sizeof(checks) / sizeof(checks[0])};
