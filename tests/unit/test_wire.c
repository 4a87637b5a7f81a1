/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the wire codec (libvuc/wire*.c).
 *
 * One file of 2,000 lines, on purpose: each golden vector below is written
 * once and shared by the encoder tests, the decoder tests and the
 * randomised robustness test, which mutates every reply vector; split by
 * message family, the families' files would have to export some fifty
 * vectors whose sizes the tests take with sizeof.
 *
 * Every expected byte string below was written by hand from the tables of
 * the specification (reference/vfio-user.rst, and the 0.9.1 text for the
 * legacy messages), field by field at the offsets the tables give; none is
 * produced by the encoder under test. Multi-byte fields are spelled out
 * little-endian with the U16/U32/U64 macros, which only split a constant
 * into bytes. The wire format is host-endian, so these vectors describe a
 * little-endian host; on a big-endian one the test reports itself skipped.
 *
 * Decoders are fed buffers allocated with exactly the payload length, so an
 * AddressSanitizer build catches any read past the end.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wire.h"

#define U16(v) (uint8_t)((v)&0xffu), (uint8_t)(((v) >> 8) & 0xffu)
#define U32(v) U16((v)&0xffffu), U16(((v) >> 16) & 0xffffu)
#define U64(v)                                                                 \
    U32((uint64_t)(v)&0xffffffffu), U32(((uint64_t)(v) >> 32) & 0xffffffffu)

#define SKIP_RC 77 /* CTest's SKIP_RETURN_CODE for this test */

/* ---- Helpers ------------------------------------------------------------- */

/* A heap copy of exactly len bytes, so that ASan sees any overread. */
static uint8_t *dup_exact(const void *src, size_t len)
{
    uint8_t *p = malloc(len > 0 ? len : 1);

    assert_non_null(p);
    if (len > 0)
        memcpy(p, src, len);
    return p;
}

static void put16(uint8_t *b, size_t off, uint16_t v)
{
    b[off] = (uint8_t)v;
    b[off + 1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *b, size_t off, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b[off + i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *b, size_t off, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        b[off + i] = (uint8_t)(v >> (8 * i));
}

/* A failing decoder call must give exactly `want` and a text naming what
 * was wrong. */
static void expect_fail(int rc, int want, const struct vuc_wire_err *err,
                        const char *needle)
{
    if (rc != want)
        fail_msg("rc %d, expected %d (text: \"%s\")", rc, want, err->text);
    if (strstr(err->text, needle) == NULL)
        fail_msg("error text \"%s\" lacks \"%s\"", err->text, needle);
    if (strchr(err->text, '\n') != NULL)
        fail_msg("error text \"%s\" has a newline", err->text);
}

/* Check an encoder against its golden bytes, and that one byte less of
 * room gives -ENOSPC. */
#define CHECK_ENC(golden, call_with_cap)                                       \
    do {                                                                       \
        uint8_t out_[512];                                                     \
        size_t cap;                                                            \
        ssize_t n_;                                                            \
        memset(out_, 0xa5, sizeof(out_));                                      \
        cap = sizeof(out_);                                                    \
        n_ = (call_with_cap);                                                  \
        assert_int_equal(n_, sizeof(golden));                                  \
        assert_memory_equal(out_, golden, sizeof(golden));                     \
        cap = sizeof(golden) - 1;                                              \
        n_ = (call_with_cap);                                                  \
        assert_int_equal(n_, -ENOSPC);                                         \
    } while (0)

/*
 * ---- Golden vectors ------------------------------------------------------
 * One row per field group of the specification's tables; kept out of
 * clang-format so that the rows stay as written.
 */
/* clang-format off */

/* -- Requests we send -- */

/* "Header": id 0x1234, REGION_READ (9), size 32, command, errno 0. */
static const uint8_t g_hdr_cmd[] = {
    0x34, 0x12,             /* message id */
    0x09, 0x00,             /* command */
    0x20, 0x00, 0x00, 0x00, /* message size */
    0x00, 0x00, 0x00, 0x00, /* flags: command */
    0x00, 0x00, 0x00, 0x00, /* error */
};

/* id 0x0102, DMA_UNMAP (3), size 16, reply|error (0x21), errno 22. */
static const uint8_t g_hdr_err_reply[] = {
    0x02, 0x01, 0x03, 0x00, 0x10, 0x00, 0x00, 0x00,
    0x21, 0x00, 0x00, 0x00, 0x16, 0x00, 0x00, 0x00,
};

/* VERSION 0.1 with JSON: major, minor, then the text and its NUL. */
static const uint8_t g_version_req[] =
    "\x00\x00" "\x01\x00" "{\"capabilities\":{\"max_msg_fds\":16}}";

/* VERSION 1.2, no JSON. */
static const uint8_t g_version_req_bare[] = {U16(1), U16(2)};

/* DMA_MAP: argsz 32, flags READ|WRITE, offset 0x1000, address 4 GiB,
 * size 2 MiB. Raw bytes, straight from the table's offsets 0/4/8/16/24. */
static const uint8_t g_dma_map[] = {
    0x20, 0x00, 0x00, 0x00,                         /* argsz */
    0x03, 0x00, 0x00, 0x00,                         /* flags */
    0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* offset */
    0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, /* address */
    0x00, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, /* size */
};

/* DMA_UNMAP: argsz 24 (the echoed entry), flags 0. */
static const uint8_t g_dma_unmap[] = {
    U32(24), U32(0),                  /* argsz, flags */
    U64(0x100000000), U64(0x200000),  /* address, size */
};

/* Legacy DMA_UNMAP with GET_DIRTY_BITMAP: 512 pages of 4 KiB need 64 bytes
 * of bitmap; argsz = 24 + 16 + 64. "VFIO Bitmap" follows the entry. */
static const uint8_t g_dma_unmap_dirty[] = {
    U32(104), U32(1),                 /* argsz, flags: get dirty bitmap */
    U64(0x100000000), U64(0x200000),  /* address, size */
    U64(4096), U64(64),               /* bitmap: pgsize, size */
};

/* DEVICE_GET_INFO: argsz 16, the rest zero. */
static const uint8_t g_device_info_req[] = {U32(16), U32(0), U32(0), U32(0)};

/* GET_REGION_INFO for region 7 offering 104 bytes. */
static const uint8_t g_region_info_req[] = {
    U32(104), U32(0),                 /* argsz, flags */
    U32(7), U32(0),                   /* index, cap_offset */
    U64(0), U64(0),                   /* size, offset */
};

/* GET_REGION_IO_FDS for region 2 offering 96 bytes. */
static const uint8_t g_io_fds_req[] = {U32(96), U32(0), U32(2), U32(0)};

/* GET_IRQ_INFO for MSI-X (2). */
static const uint8_t g_irq_info_req[] = {U32(16), U32(0), U32(2), U32(0)};

/* SET_IRQS: DATA_EVENTFD|ACTION_TRIGGER on MSI-X 0..3; fds go as SCM_RIGHTS. */
static const uint8_t g_set_irqs_eventfd[] = {
    U32(20), U32(0x24),               /* argsz, flags */
    U32(2), U32(0), U32(4),           /* index, start, count */
};

/* DATA_BOOL|ACTION_MASK on INTx sub-indexes 1..3: argsz counts the data. */
static const uint8_t g_set_irqs_bool[] = {
    U32(23), U32(0x0a),
    U32(0), U32(1), U32(3),
    1, 0, 1,                          /* data */
};

/* The "disable all" form: DATA_NONE|ACTION_TRIGGER, start 0, count 0. */
static const uint8_t g_set_irqs_disable[] = {
    U32(20), U32(0x21),
    U32(1), U32(0), U32(0),
};

/* REGION_READ of 4 bytes at 0x40 of region 7. */
static const uint8_t g_region_read_req[] = {
    U64(0x40), U32(7), U32(4),        /* offset, region, count */
};

/* REGION_WRITE of de ad be ef at 0x1000 of region 0. */
static const uint8_t g_region_write_req[] = {
    U64(0x1000), U32(0), U32(4),
    0xde, 0xad, 0xbe, 0xef,
};

/* REGION_WRITE_MULTI with two writes; the first one's unused data bytes
 * must be sent as zeros. */
static const uint8_t g_write_multi[] = {
    U64(2),                                               /* wr_cnt */
    U64(0x10),   U32(0), U32(4), 0x11, 0x22, 0x33, 0x44, 0, 0, 0, 0,
    U64(0x2000), U32(2), U32(8), 1, 2, 3, 4, 5, 6, 7, 8,
};

/* DMA_READ reply head / DMA_WRITE reply: address 1 MiB, count 0x200. */
static const uint8_t g_dma_reply[] = {U64(0x100000), U64(0x200)};

/* DEVICE_FEATURE GET MIGRATION (1 | bit 16), reply space 16. */
static const uint8_t g_feature_get_mig[] = {U32(16), U32(0x10001)};

/* DEVICE_FEATURE SET MIG_DEVICE_STATE (2 | bit 17) to STOP_COPY (3). */
static const uint8_t g_feature_set_state[] = {
    U32(16), U32(0x20002),            /* argsz, flags */
    U32(3), U32(0),                   /* device_state, data_fd */
};

/* DMA_LOGGING_START data: page_size 4 KiB, one range. */
static const uint8_t g_logging_control[] = {
    U64(4096), U32(1), U32(0),        /* page_size, num_ranges, reserved */
    U64(0x100000), U64(0x40000),      /* iova, length */
};

/* DMA_LOGGING_REPORT data: 0x41000 bytes at 1 MiB, 4 KiB pages. */
static const uint8_t g_logging_report[] = {
    U64(0x100000), U64(0x41000), U64(4096),
};

/* MIG_DATA_READ of 4 KiB: argsz covers the full reply. */
static const uint8_t g_mig_read_req[] = {U32(0x1008), U32(0x1000)};

/* MIG_DATA_WRITE of "abc". */
static const uint8_t g_mig_write_req[] = {U32(11), U32(3), 'a', 'b', 'c'};

/* Legacy DIRTY_PAGES START and STOP. */
static const uint8_t g_dirty_start[] = {U32(8), U32(1)};
static const uint8_t g_dirty_stop[] = {U32(8), U32(2)};

/* DIRTY_PAGES GET_BITMAP for 64 pages: argsz = 8 + 32 + 8. */
static const uint8_t g_dirty_get[] = {
    U32(48), U32(4),                  /* argsz, flags: GET_BITMAP */
    U64(0x100000), U64(0x40000),      /* iova, size */
    U64(4096), U64(8),                /* bitmap pgsize, size */
};

/* -- What servers send -- */

/* A reply header: id 7, REGION_READ, 24 bytes, REPLY. */
static const uint8_t g_hdr_reply[] = {
    U16(7), U16(9), U32(24), U32(1), U32(0),
};

static const uint8_t g_version_reply[] =
    "\x00\x00" "\x00\x00" "{\"capabilities\":{\"max_msg_fds\":8}}";
static const char g_version_reply_json[] =
    "{\"capabilities\":{\"max_msg_fds\":8}}";

/* RESET|PCI, 9 regions, 5 irq indexes. */
static const uint8_t g_device_info_reply[] = {
    U32(16), U32(3), U32(9), U32(5),
};

/*
 * GET_REGION_INFO reply for BAR0: 64 KiB, READ|WRITE|MMAP|CAPS, mmap offset
 * 0x1000, and a chain of three capabilities:
 *   @32 sparse mmap, 2 areas: [0, +0x1000) and [0x2000, +0xe000), next 80
 *   @80 region type 3/1, next 96
 *   @96 MSIX_MAPPABLE, end
 * argsz = 32 + 48 + 16 + 8 = 104.
 */
#define RI_ARGSZ 0
#define RI_FLAGS 4
#define RI_CAPOFF 12
#define RI_SPARSE_NEXT 36
#define RI_NR_AREAS 40
#define RI_AREA1_OFF 64
#define RI_AREA1_SIZE 72
#define RI_TYPE_NEXT 84
static const uint8_t g_region_info_reply[] = {
    U32(104), U32(0xf),               /*  0: argsz, flags */
    U32(0), U32(32),                  /*  8: index, cap_offset */
    U64(0x10000), U64(0x1000),        /* 16: size, offset */
    U16(1), U16(1), U32(80),          /* 32: sparse mmap cap header */
    U32(2), U32(0),                   /* 40: nr_areas, reserved */
    U64(0), U64(0x1000),              /* 48: area 0 */
    U64(0x2000), U64(0xe000),         /* 64: area 1 */
    U16(2), U16(1), U32(96),          /* 80: type cap header */
    U32(3), U32(1),                   /* 88: type, subtype */
    U16(3), U16(1), U32(0),           /* 96: MSIX_MAPPABLE cap header */
};

/* The config space: 256 bytes, READ|WRITE, no caps, no fd. */
static const uint8_t g_region_info_cfg[] = {
    U32(32), U32(3), U32(7), U32(0), U64(0x100), U64(0),
};

/*
 * GET_REGION_IO_FDS reply for region 0 (64 KiB), argsz 16 + 2 * 40:
 *   0: ioeventfd at 0x1000, 4 bytes, fd 0, DATAMATCH 0x12345678
 *   1: ioregionfd at 0x2000, size 0, fd 1, POSTED_WRITES, user_data
 *      0xdeadbeef
 */
#define IOF_E0 16
#define IOF_E1 56
static const uint8_t g_io_fds_reply[] = {
    U32(96), U32(0), U32(0), U32(2),  /* argsz, flags, index, count */
    U64(0x1000), U64(4),              /* 16: offset, size */
    U32(0), U32(0), U32(1), U32(0),   /* 32: fd_index, type, flags, padding */
    U64(0x12345678),                  /* 48: datamatch */
    U64(0x2000), U64(0),              /* 56: offset, size */
    U32(1), U32(1), U32(2), U32(0),   /* 72: fd_index, type, flags, padding */
    U64(0xdeadbeef),                  /* 88: user_data */
};

/* The same from libvfio-user: 48-byte ioeventfd entries, with shadow fd
 * index at 28, shadow offset at 32 and datamatch at 40. */
static const uint8_t g_io_fds_reply_vfu[] = {
    U32(64), U32(0), U32(0), U32(1),
    U64(0x1000), U64(4),
    U32(0), U32(0), U32(1), U32(0),   /* fd_index, type, flags, shadow fd */
    U64(0), U64(0xabcd),              /* shadow_offset, datamatch */
};

/* INTx: EVENTFD|MASKABLE|AUTOMASKED, one interrupt. */
static const uint8_t g_irq_info_reply[] = {
    U32(16), U32(7), U32(0), U32(1),
};

/* REGION_READ reply: 4 bytes at 0x40 of region 7 (vendor/device id). */
static const uint8_t g_region_read_reply[] = {
    U64(0x40), U32(7), U32(4),
    0x86, 0x80, 0xd3, 0x10,
};

static const uint8_t g_region_write_reply[] = {U64(0x1000), U32(0), U32(4)};

static const uint8_t g_write_multi_reply[] = {U64(2)};

/* Server requests. */
static const uint8_t g_dma_read_req[] = {U64(0x100000), U64(0x200)};
static const uint8_t g_dma_write_req[] = {
    U64(0x2000), U64(4),
    0xaa, 0xbb, 0xcc, 0xdd,
};

/* DEVICE_FEATURE GET MIGRATION reply: STOP_COPY|PRE_COPY. */
static const uint8_t g_feature_mig_reply[] = {
    U32(16), U32(0x10001),
    U64(5),
};

/* DEVICE_FEATURE GET MIG_DEVICE_STATE reply: RUNNING. */
static const uint8_t g_feature_state_reply[] = {
    U32(16), U32(0x10002),
    U32(2), U32(0),
};

/* DMA_LOGGING_REPORT reply data: the request, then 65 pages rounded up to
 * two u64 words. */
static const uint8_t g_logging_report_reply[] = {
    U64(0x100000), U64(0x41000), U64(4096),
    U64(0x8000000000000001), U64(1),
};

/* MIG_DATA_READ reply: 4 bytes. */
static const uint8_t g_mig_read_reply[] = {U32(12), U32(4), 1, 2, 3, 4};

/* DIRTY_PAGES GET_BITMAP reply: the request's 40 bytes and 8 bitmap bytes. */
static const uint8_t g_dirty_reply[] = {
    U32(48), U32(4),
    U64(0x100000), U64(0x40000),
    U64(4096), U64(8),
    0x0f, 0, 0, 0, 0, 0, 0, 0x80,
};

/* v1 migration region header: pre-copy (SAVING|RUNNING), 4 KiB pending,
 * data window [0x1000, +0x800). */
static const uint8_t g_mig_info_v1[] = {
    U32(3), U32(0),                   /* device_state, reserved */
    U64(0x1000),                      /* pending_bytes */
    U64(0x1000), U64(0x800),          /* data_offset, data_size */
};

/* clang-format on */

/* Legacy DMA_UNMAP reply with bitmap: the entry, "VFIO Bitmap", 64 bytes;
 * filled in by setup_globals(). */
static uint8_t g_dma_unmap_dirty_reply[40 + 64];

static int setup_globals(void **state)
{
    (void)state;
    memcpy(g_dma_unmap_dirty_reply, g_dma_unmap_dirty,
           sizeof(g_dma_unmap_dirty));
    memset(g_dma_unmap_dirty_reply + 40, 0, 64);
    g_dma_unmap_dirty_reply[40] = 0x05;
    g_dma_unmap_dirty_reply[103] = 0x80;
    return 0;
}

/* ---- Names and header ---------------------------------------------------- */

static void test_cmd_names(void **state)
{
    static const char *const want[] = {
        NULL,
        "VERSION",
        "DMA_MAP",
        "DMA_UNMAP",
        "DEVICE_GET_INFO",
        "DEVICE_GET_REGION_INFO",
        "DEVICE_GET_REGION_IO_FDS",
        "DEVICE_GET_IRQ_INFO",
        "DEVICE_SET_IRQS",
        "REGION_READ",
        "REGION_WRITE",
        "DMA_READ",
        "DMA_WRITE",
        "DEVICE_RESET",
        "DIRTY_PAGES",
        "REGION_WRITE_MULTI",
        "DEVICE_FEATURE",
        "MIG_DATA_READ",
        "MIG_DATA_WRITE",
    };

    (void)state;
    for (uint16_t i = 1; i < sizeof(want) / sizeof(want[0]); i++)
        assert_string_equal(vuc_wire_cmd_name(i), want[i]);
    assert_string_equal(vuc_wire_cmd_name(0), "UNKNOWN");
    assert_string_equal(vuc_wire_cmd_name(19), "UNKNOWN");
    assert_string_equal(vuc_wire_cmd_name(0xffff), "UNKNOWN");
}

static void test_header_encode(void **state)
{
    struct vfio_user_header h;

    (void)state;
    vuc_wire_put_header(&h, 0x1234, VFIO_USER_REGION_READ, 32,
                        VFIO_USER_F_TYPE_COMMAND, 0);
    assert_memory_equal(&h, g_hdr_cmd, sizeof(g_hdr_cmd));
    vuc_wire_put_header(&h, 0x0102, VFIO_USER_DMA_UNMAP, 16,
                        VFIO_USER_F_TYPE_REPLY | VFIO_USER_F_ERROR, 22);
    assert_memory_equal(&h, g_hdr_err_reply, sizeof(g_hdr_err_reply));
}

static int check_hdr_bytes(const uint8_t *bytes, size_t max,
                           struct vuc_wire_err *err)
{
    struct vfio_user_header h;

    memcpy(&h, bytes, sizeof(h));
    return vuc_wire_check_header(&h, max, err);
}

static void test_header_check(void **state)
{
    struct vuc_wire_err err = {{0}};
    uint8_t b[16];

    (void)state;
    assert_int_equal(check_hdr_bytes(g_hdr_reply, 1052704, &err), 0);
    assert_int_equal(check_hdr_bytes(g_hdr_cmd, 1052704, &err), 0);
    assert_int_equal(check_hdr_bytes(g_hdr_err_reply, 1052704, &err), 0);
    memcpy(b, g_hdr_cmd, 16);
    put32(b, 8, VFIO_USER_F_NO_REPLY);
    assert_int_equal(check_hdr_bytes(b, 1052704, &err), 0);
    /* Exactly at the limit is allowed. */
    memcpy(b, g_hdr_reply, 16);
    put32(b, 4, 1052704);
    assert_int_equal(check_hdr_bytes(b, 1052704, &err), 0);

    memcpy(b, g_hdr_reply, 16);
    put32(b, 4, 8);
    expect_fail(check_hdr_bytes(b, 1052704, &err), -EPROTO, &err,
                "message size 8 is below the 16-byte header");

    memcpy(b, g_hdr_reply, 16);
    put32(b, 4, 16777232);
    expect_fail(check_hdr_bytes(b, 1052704, &err), -EPROTO, &err,
                "message size 16777232 exceeds the limit of 1052704");

    memcpy(b, g_hdr_reply, 16);
    put32(b, 8, 2);
    expect_fail(check_hdr_bytes(b, 1052704, &err), -EPROTO, &err,
                "REGION_READ message 7 has type 2");

    memcpy(b, g_hdr_reply, 16);
    put32(b, 8, 0x41);
    expect_fail(check_hdr_bytes(b, 1052704, &err), -EPROTO, &err,
                "unknown flag bits 0x40");

    memcpy(b, g_hdr_cmd, 16);
    put32(b, 8, VFIO_USER_F_ERROR);
    expect_fail(check_hdr_bytes(b, 1052704, &err), -EPROTO, &err,
                "REGION_READ command 4660 has the error flag set");
}

static void test_reply_errno(void **state)
{
    struct vfio_user_header h;
    uint8_t b[16];

    (void)state;
    memcpy(&h, g_hdr_err_reply, 16);
    assert_int_equal(vuc_wire_reply_errno(&h), -EINVAL);

    memcpy(b, g_hdr_err_reply, 16);
    put32(b, 12, 0);
    memcpy(&h, b, 16);
    assert_int_equal(vuc_wire_reply_errno(&h), -EIO);

    put32(b, 12, 5000);
    memcpy(&h, b, 16);
    assert_int_equal(vuc_wire_reply_errno(&h), -EIO);

    put32(b, 12, 4095);
    memcpy(&h, b, 16);
    assert_int_equal(vuc_wire_reply_errno(&h), -4095);

    memcpy(&h, g_hdr_reply, 16);
    assert_int_equal(vuc_wire_reply_errno(&h), 0);
}

/* ---- Encoders ------------------------------------------------------------ */

static void test_enc_version(void **state)
{
    (void)state;
    CHECK_ENC(g_version_req,
              vuc_wire_enc_version(out_, cap, 0, 1,
                                   "{\"capabilities\":{\"max_msg_fds\":16}}"));
    CHECK_ENC(g_version_req_bare, vuc_wire_enc_version(out_, cap, 1, 2, NULL));
}

static void test_enc_dma(void **state)
{
    uint8_t out[64];

    (void)state;
    CHECK_ENC(g_dma_map, vuc_wire_enc_dma_map(out_, cap, 3, 0x1000, 0x100000000,
                                              0x200000));
    CHECK_ENC(g_dma_unmap, vuc_wire_enc_dma_unmap(out_, cap, 0x100000000,
                                                  0x200000, false, 0, 0));
    CHECK_ENC(g_dma_unmap_dirty,
              vuc_wire_enc_dma_unmap(out_, cap, 0x100000000, 0x200000, true,
                                     4096, 64));
    /* The bitmap would not fit a u32 argsz. */
    assert_int_equal(vuc_wire_enc_dma_unmap(out, sizeof(out), 0, 1 << 20, true,
                                            1, UINT32_MAX - 39),
                     -EINVAL);
    CHECK_ENC(g_dma_reply, vuc_wire_enc_dma_reply(out_, cap, 0x100000, 0x200));
}

static void test_enc_info(void **state)
{
    (void)state;
    CHECK_ENC(g_device_info_req, vuc_wire_enc_device_info(out_, cap));
    CHECK_ENC(g_region_info_req, vuc_wire_enc_region_info(out_, cap, 7, 104));
    CHECK_ENC(g_io_fds_req, vuc_wire_enc_region_io_fds(out_, cap, 2, 96));
    CHECK_ENC(g_irq_info_req, vuc_wire_enc_irq_info(out_, cap, 2));
}

static void test_enc_set_irqs(void **state)
{
    static const uint8_t bools[] = {1, 0, 1};
    uint8_t out[64];

    (void)state;
    CHECK_ENC(g_set_irqs_eventfd,
              vuc_wire_enc_set_irqs(out_, cap, 0x24, 2, 0, 4, NULL));
    CHECK_ENC(g_set_irqs_bool,
              vuc_wire_enc_set_irqs(out_, cap, 0x0a, 0, 1, 3, bools));
    CHECK_ENC(g_set_irqs_disable,
              vuc_wire_enc_set_irqs(out_, cap, 0x21, 1, 0, 0, NULL));

    /* Two data kinds, no action, an unknown bit, two actions. */
    assert_int_equal(
        vuc_wire_enc_set_irqs(out, sizeof(out), 0x26, 0, 0, 1, NULL), -EINVAL);
    assert_int_equal(
        vuc_wire_enc_set_irqs(out, sizeof(out), 0x01, 0, 0, 0, NULL), -EINVAL);
    assert_int_equal(
        vuc_wire_enc_set_irqs(out, sizeof(out), 0x61, 0, 0, 0, NULL), -EINVAL);
    assert_int_equal(
        vuc_wire_enc_set_irqs(out, sizeof(out), 0x19, 0, 0, 0, NULL), -EINVAL);
    /* start + count wraps; DATA_BOOL without bools. */
    assert_int_equal(
        vuc_wire_enc_set_irqs(out, sizeof(out), 0x24, 0, UINT32_MAX, 2, NULL),
        -EINVAL);
    assert_int_equal(
        vuc_wire_enc_set_irqs(out, sizeof(out), 0x22, 0, 0, 2, NULL), -EINVAL);
}

static void test_enc_region_rw(void **state)
{
    static const uint8_t data[] = {0xde, 0xad, 0xbe, 0xef};
    uint8_t out[32];

    (void)state;
    CHECK_ENC(g_region_read_req,
              vuc_wire_enc_region_read(out_, cap, 7, 0x40, 4));
    CHECK_ENC(g_region_write_req,
              vuc_wire_enc_region_write(out_, cap, 0, 0x1000, data, 4));
    assert_int_equal(vuc_wire_enc_region_write(out, sizeof(out), 0, 0, NULL, 4),
                     -EINVAL);
}

static void test_enc_write_multi(void **state)
{
    struct vfio_user_write_multi_entry e[VFIO_USER_MULTI_MAX + 1];
    uint8_t *big;
    size_t big_len = 8 + sizeof(e);

    (void)state;
    memset(e, 0, sizeof(e));
    e[0].offset = 0x10;
    e[0].region = 0;
    e[0].count = 4;
    memcpy(e[0].data, "\x11\x22\x33\x44\xff\xff\xff\xff", 8);
    e[1].offset = 0x2000;
    e[1].region = 2;
    e[1].count = 8;
    memcpy(e[1].data, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    CHECK_ENC(g_write_multi, vuc_wire_enc_write_multi(out_, cap, e, 2));

    big = malloc(big_len);
    assert_non_null(big);
    e[1].count = 9;
    assert_int_equal(vuc_wire_enc_write_multi(big, big_len, e, 2), -EINVAL);
    e[1].count = 0;
    assert_int_equal(vuc_wire_enc_write_multi(big, big_len, e, 2), -EINVAL);
    e[1].count = 8;
    assert_int_equal(vuc_wire_enc_write_multi(big, big_len, e, 0), -EINVAL);
    for (unsigned i = 0; i <= VFIO_USER_MULTI_MAX; i++)
        e[i].count = 1;
    assert_int_equal(
        vuc_wire_enc_write_multi(big, big_len, e, VFIO_USER_MULTI_MAX + 1),
        -EINVAL);
    assert_int_equal(
        vuc_wire_enc_write_multi(big, big_len, e, VFIO_USER_MULTI_MAX),
        8 + 24 * VFIO_USER_MULTI_MAX);
    free(big);
}

static void test_enc_feature(void **state)
{
    static const uint8_t st[] = {U32(3), U32(0)};
    static const struct vfio_user_dma_logging_range range = {
        .iova = 0x100000,
        .length = 0x40000,
    };
    uint8_t out[64];

    (void)state;
    CHECK_ENC(g_feature_get_mig,
              vuc_wire_enc_device_feature(out_, cap, 0x10001, 16, NULL, 0));
    CHECK_ENC(g_feature_set_state, vuc_wire_enc_device_feature(
                                       out_, cap, 0x20002, 16, st, sizeof(st)));
    /* argsz below head + data. */
    assert_int_equal(vuc_wire_enc_device_feature(out, sizeof(out), 0x20002, 8,
                                                 st, sizeof(st)),
                     -EINVAL);
    CHECK_ENC(g_logging_control,
              vuc_wire_enc_dma_logging_control(out_, cap, 4096, &range, 1));
    CHECK_ENC(g_logging_report, vuc_wire_enc_dma_logging_report(
                                    out_, cap, 0x100000, 0x41000, 4096));
    assert_int_equal(
        vuc_wire_enc_dma_logging_report(out, sizeof(out), 0, 0x1000, 3000),
        -EINVAL);
    assert_int_equal(
        vuc_wire_enc_dma_logging_report(out, sizeof(out), 0, 0, 4096), -EINVAL);
}

static void test_enc_migration(void **state)
{
    uint8_t out[16];

    (void)state;
    CHECK_ENC(g_mig_read_req, vuc_wire_enc_mig_data_read(out_, cap, 0x1000));
    CHECK_ENC(g_mig_write_req,
              vuc_wire_enc_mig_data_write(out_, cap, "abc", 3));
    assert_int_equal(
        vuc_wire_enc_mig_data_read(out, sizeof(out), UINT32_MAX - 7), -EINVAL);
    CHECK_ENC(g_dirty_start, vuc_wire_enc_dirty_pages_ctl(
                                 out_, cap, VFIO_USER_DIRTY_PAGES_FLAG_START));
    CHECK_ENC(g_dirty_stop, vuc_wire_enc_dirty_pages_ctl(
                                out_, cap, VFIO_USER_DIRTY_PAGES_FLAG_STOP));
    assert_int_equal(
        vuc_wire_enc_dirty_pages_ctl(out, sizeof(out),
                                     VFIO_USER_DIRTY_PAGES_FLAG_GET_BITMAP),
        -EINVAL);
    CHECK_ENC(g_dirty_get, vuc_wire_enc_dirty_pages_get(out_, cap, 0x100000,
                                                        0x40000, 4096, 8));
}

/* ---- Decoders: good replies ---------------------------------------------- */

static void test_dec_version(void **state)
{
    struct vuc_wire_version v;
    struct vuc_wire_err err = {{0}};
    uint8_t *p;

    (void)state;
    p = dup_exact(g_version_reply, sizeof(g_version_reply));
    assert_int_equal(
        vuc_wire_dec_version_reply(p, sizeof(g_version_reply), 0, 0, &v, &err),
        0);
    assert_int_equal(v.major, 0);
    assert_int_equal(v.minor, 0);
    assert_non_null(v.json);
    assert_string_equal(v.json, g_version_reply_json);
    assert_int_equal(v.json_len, strlen(g_version_reply_json));
    /* The JSON points into the payload. */
    assert_ptr_equal(v.json, (const char *)p + 4);
    free(p);

    /* Without JSON, and with only its NUL. */
    p = dup_exact(g_version_req_bare, 4);
    assert_int_equal(vuc_wire_dec_version_reply(p, 4, 1, 5, &v, &err), 0);
    assert_int_equal(v.minor, 2);
    assert_null(v.json);
    free(p);
    p = dup_exact("\x01\x00\x02\x00", 5);
    assert_int_equal(vuc_wire_dec_version_reply(p, 5, 1, 2, &v, &err), 0);
    assert_null(v.json);
    assert_int_equal(v.json_len, 0);
    free(p);
}

static void test_dec_version_hostile(void **state)
{
    struct vuc_wire_version v;
    struct vuc_wire_err err = {{0}};
    static const uint8_t inner_nul[] = "\x00\x00\x00\x00{\"a\"\x00:1}";
    size_t n = sizeof(g_version_reply);
    uint8_t *p;

    (void)state;
    p = dup_exact(g_version_reply, n);
    expect_fail(vuc_wire_dec_version_reply(p, n, 1, 0, &v, &err), -EPROTO, &err,
                "VERSION reply has major version 0, we proposed 1");
    put16(p, 2, 3);
    expect_fail(vuc_wire_dec_version_reply(p, n, 0, 1, &v, &err), -EPROTO, &err,
                "minor version 3, above the 1 we proposed");
    free(p);

    /* The JSON without its NUL. */
    p = dup_exact(g_version_reply, n - 1);
    expect_fail(vuc_wire_dec_version_reply(p, n - 1, 0, 0, &v, &err), -EPROTO,
                &err, "do not end with a NUL");
    free(p);

    p = dup_exact(inner_nul, sizeof(inner_nul));
    expect_fail(
        vuc_wire_dec_version_reply(p, sizeof(inner_nul), 0, 0, &v, &err),
        -EPROTO, &err, "NUL at byte 4 of 9");
    free(p);

    p = dup_exact(g_version_reply, 3);
    expect_fail(vuc_wire_dec_version_reply(p, 3, 0, 0, &v, &err), -EPROTO, &err,
                "VERSION reply has 3 bytes, expected at least 4");
    free(p);
}

static void test_dec_empty(void **state)
{
    struct vuc_wire_err err = {{0}};

    (void)state;
    assert_int_equal(vuc_wire_dec_empty_reply(VFIO_USER_DMA_MAP, 0, 0, &err),
                     0);
    expect_fail(vuc_wire_dec_empty_reply(VFIO_USER_DMA_MAP, 4, 0, &err),
                -EPROTO, &err,
                "DMA_MAP reply has 4 bytes of payload, expected none");
    expect_fail(vuc_wire_dec_empty_reply(VFIO_USER_DEVICE_SET_IRQS, 0, 1, &err),
                -EPROTO, &err,
                "DEVICE_SET_IRQS reply carried 1 fd, none belong");
    expect_fail(vuc_wire_dec_empty_reply(VFIO_USER_DEVICE_RESET, 0, 3, &err),
                -EPROTO, &err, "DEVICE_RESET reply carried 3 fds");
}

static void test_dec_dma_unmap(void **state)
{
    struct vuc_wire_err err = {{0}};
    const uint8_t *bm = (const uint8_t *)1;
    size_t dn = sizeof(g_dma_unmap_dirty_reply);
    uint8_t *p;

    (void)state;
    p = dup_exact(g_dma_unmap, sizeof(g_dma_unmap));
    assert_int_equal(vuc_wire_dec_dma_unmap_reply(p, 24, 0, 0x100000000,
                                                  0x200000, false, 0, 0, &bm,
                                                  &err),
                     0);
    assert_null(bm);
    expect_fail(vuc_wire_dec_dma_unmap_reply(p, 24, 0, 0x100001000, 0x200000,
                                             false, 0, 0, &bm, &err),
                -EPROTO, &err,
                "DMA_UNMAP reply is for [0x100000000, +0x200000), asked for "
                "[0x100001000, +0x200000)");
    expect_fail(vuc_wire_dec_dma_unmap_reply(p, 24, 1, 0x100000000, 0x200000,
                                             false, 0, 0, &bm, &err),
                -EPROTO, &err, "DMA_UNMAP reply carried 1 fd, none belong");
    expect_fail(vuc_wire_dec_dma_unmap_reply(p, 20, 0, 0x100000000, 0x200000,
                                             false, 0, 0, &bm, &err),
                -EPROTO, &err, "has 20 bytes, expected 24 or none");
    free(p);
    /* An empty payload is what some servers send. */
    assert_int_equal(
        vuc_wire_dec_dma_unmap_reply(NULL, 0, 0, 1, 2, false, 0, 0, &bm, &err),
        0);

    p = dup_exact(g_dma_unmap_dirty_reply, dn);
    assert_int_equal(vuc_wire_dec_dma_unmap_reply(p, dn, 0, 0x100000000,
                                                  0x200000, true, 4096, 64, &bm,
                                                  &err),
                     0);
    assert_ptr_equal(bm, p + 40);
    assert_int_equal(bm[0], 0x05);
    assert_int_equal(bm[63], 0x80);
    /* One bitmap byte short. */
    expect_fail(vuc_wire_dec_dma_unmap_reply(p, dn - 1, 0, 0x100000000,
                                             0x200000, true, 4096, 64, &bm,
                                             &err),
                -EPROTO, &err, "has 103 bytes, expected 24 + 16 + a 64-byte");
    /* The bitmap header does not echo what we asked. */
    put64(p, 32, 32);
    expect_fail(vuc_wire_dec_dma_unmap_reply(p, dn, 0, 0x100000000, 0x200000,
                                             true, 4096, 64, &bm, &err),
                -EPROTO, &err,
                "bitmap of 32 bytes at page size 4096, asked for 64 bytes");
    free(p);
    expect_fail(vuc_wire_dec_dma_unmap_reply(NULL, 0, 0, 0x100000000, 0x200000,
                                             true, 4096, 64, &bm, &err),
                -EPROTO, &err, "has 0 bytes");
}

static void test_dec_device_info(void **state)
{
    struct vuc_device_info di;
    struct vuc_wire_err err = {{0}};
    uint8_t *p;

    (void)state;
    p = dup_exact(g_device_info_reply, 16);
    assert_int_equal(vuc_wire_dec_device_info_reply(p, 16, 0, &di, &err), 0);
    assert_int_equal(di.flags, 3);
    assert_int_equal(di.num_regions, 9);
    assert_int_equal(di.num_irqs, 5);

    expect_fail(vuc_wire_dec_device_info_reply(p, 16, 1, &di, &err), -EPROTO,
                &err, "DEVICE_GET_INFO reply carried 1 fd, none belong");
    expect_fail(vuc_wire_dec_device_info_reply(p, 12, 0, &di, &err), -EPROTO,
                &err, "has 12 bytes, expected at least 16");
    put32(p, 8, VUC_MAX_REGIONS + 1);
    expect_fail(vuc_wire_dec_device_info_reply(p, 16, 0, &di, &err), -EPROTO,
                &err, "has 65 regions, more than the 64");
    put32(p, 8, 9);
    put32(p, 12, 33);
    expect_fail(vuc_wire_dec_device_info_reply(p, 16, 0, &di, &err), -EPROTO,
                &err, "33 irq indexes");
    put32(p, 12, 5);
    put32(p, 0, 8);
    expect_fail(vuc_wire_dec_device_info_reply(p, 16, 0, &di, &err), -EPROTO,
                &err, "argsz 8");
    /* Unknown flag bits are kept. */
    put32(p, 0, 16);
    put32(p, 4, 0x80000003);
    assert_int_equal(vuc_wire_dec_device_info_reply(p, 16, 0, &di, &err), 0);
    assert_int_equal(di.flags, 0x80000003);
    free(p);
}

static int dec_ri(const uint8_t *bytes, size_t len, unsigned nfds,
                  uint32_t index, uint32_t argsz, struct vuc_region_info *ri,
                  uint32_t *need, struct vuc_wire_err *err)
{
    uint8_t *p = dup_exact(bytes, len);
    int rc = vuc_wire_dec_region_info_reply(p, len, nfds, index, argsz, ri,
                                            need, err);

    free(p);
    return rc;
}

static void test_dec_region_info(void **state)
{
    static struct vuc_region_info ri;
    struct vuc_wire_err err = {{0}};
    uint32_t need = 0;
    uint8_t padded[sizeof(g_region_info_reply) + 8];

    (void)state;
    assert_int_equal(dec_ri(g_region_info_reply, sizeof(g_region_info_reply), 1,
                            0, 104, &ri, &need, &err),
                     0);
    assert_int_equal(ri.index, 0);
    assert_int_equal(ri.flags, 0xf);
    assert_int_equal(ri.size, 0x10000);
    assert_int_equal(ri.mmap_offset, 0x1000);
    assert_true(ri.has_fd);
    assert_true(ri.sparse_cap);
    assert_int_equal(ri.nr_sparse, 2);
    assert_int_equal(ri.sparse[0].offset, 0);
    assert_int_equal(ri.sparse[0].size, 0x1000);
    assert_int_equal(ri.sparse[1].offset, 0x2000);
    assert_int_equal(ri.sparse[1].size, 0xe000);
    assert_true(ri.has_type);
    assert_int_equal(ri.type, 3);
    assert_int_equal(ri.subtype, 1);
    assert_true(ri.msix_mappable);
    assert_int_equal(ri.nr_mapped, 0);

    /* Offering more than needed is fine, and so are bytes past argsz. */
    memcpy(padded, g_region_info_reply, sizeof(g_region_info_reply));
    memset(padded + sizeof(g_region_info_reply), 0xee, 8);
    assert_int_equal(
        dec_ri(padded, sizeof(padded), 1, 0, 4096, &ri, &need, &err), 0);
    assert_int_equal(ri.nr_sparse, 2);

    assert_int_equal(dec_ri(g_region_info_cfg, 32, 0, 7, 32, &ri, &need, &err),
                     0);
    assert_int_equal(ri.index, 7);
    assert_int_equal(ri.size, 0x100);
    assert_false(ri.has_fd);
    assert_false(ri.sparse_cap);
    assert_false(ri.has_type);
    assert_false(ri.msix_mappable);
    assert_int_equal(ri.nr_sparse, 0);

    /* Asked with 32 bytes: the server says 104 and sends the first 32. */
    need = 0;
    assert_int_equal(
        dec_ri(g_region_info_reply, 32, 0, 0, 32, &ri, &need, &err), 1);
    assert_int_equal(need, 104);
    /* Asked with 64: cut at 64 (with the fd), or only the fixed part. */
    need = 0;
    assert_int_equal(
        dec_ri(g_region_info_reply, 64, 1, 0, 64, &ri, &need, &err), 1);
    assert_int_equal(need, 104);
    need = 0;
    assert_int_equal(
        dec_ri(g_region_info_reply, 32, 0, 0, 64, &ri, &need, &err), 1);
    assert_int_equal(need, 104);
}

static void test_dec_region_info_hostile(void **state)
{
    static struct vuc_region_info ri;
    struct vuc_wire_err err = {{0}};
    uint32_t need = 0;
    size_t n = sizeof(g_region_info_reply);
    uint8_t b[sizeof(g_region_info_reply)];
    uint8_t many[32 + 65 * 8];

#define RESET() memcpy(b, g_region_info_reply, n)
    (void)state;

    expect_fail(dec_ri(g_region_info_reply, 31, 1, 0, 104, &ri, &need, &err),
                -EPROTO, &err,
                "DEVICE_GET_REGION_INFO reply has 31 bytes, expected at "
                "least 32");
    expect_fail(dec_ri(g_region_info_reply, n, 1, 1, 104, &ri, &need, &err),
                -EPROTO, &err, "is for region 0, asked for region 1");

    RESET();
    put32(b, RI_ARGSZ, 16);
    expect_fail(dec_ri(b, n, 1, 0, 104, &ri, &need, &err), -EPROTO, &err,
                "has argsz 16, below the 32-byte region info");

    /* Reply argsz fits what we asked, but the payload stops short. */
    expect_fail(dec_ri(g_region_info_reply, 100, 1, 0, 104, &ri, &need, &err),
                -EPROTO, &err, "has 100 bytes, but its argsz says 104");

    RESET();
    put32(b, RI_CAPOFF, 112);
    expect_fail(dec_ri(b, n, 1, 0, 104, &ri, &need, &err), -EPROTO, &err,
                "capability at offset 112 lies beyond the reply's 104 bytes");

    RESET();
    put32(b, RI_CAPOFF, 34);
    expect_fail(dec_ri(b, n, 1, 0, 104, &ri, &need, &err), -EPROTO, &err,
                "capability at offset 34 is not 4-byte aligned");

    RESET();
    put32(b, RI_CAPOFF, 16);
    expect_fail(dec_ri(b, n, 1, 0, 104, &ri, &need, &err), -EPROTO, &err,
                "capability at offset 16 lies inside the 32-byte region info");

    /* CAPS flag with no chain at all. */
    RESET();
    put32(b, RI_CAPOFF, 0);
    expect_fail(dec_ri(b, n, 1, 0, 104, &ri, &need, &err), -EPROTO, &err,
                "capability at offset 0 lies inside");

    RESET();
    put32(b, RI_CAPOFF, 100);
    expect_fail(dec_ri(b, n, 1, 0, 104, &ri, &need, &err), -EPROTO, &err,
                "capability header at offset 100 does not fit in the reply's "
                "104 bytes");

    /* A -> B -> A. */
    RESET();
    put32(b, RI_TYPE_NEXT, 32);
    expect_fail(dec_ri(b, n, 1, 0, 104, &ri, &need, &err), -EPROTO, &err,
                "DEVICE_GET_REGION_INFO reply: capability chain loops back "
                "to offset 32");

    /* A -> A. */
    RESET();
    put32(b, RI_SPARSE_NEXT, 32);
    expect_fail(dec_ri(b, n, 1, 0, 104, &ri, &need, &err), -EPROTO, &err,
                "capability chain loops back to offset 32");

    /* A loop that does not come back to the first entry: 32 -> 80 -> 96 ->
     * 80. */
    RESET();
    put32(b, 100, 80);
    expect_fail(dec_ri(b, n, 1, 0, 104, &ri, &need, &err), -EPROTO, &err,
                "loops back to offset 80");

    /* 65 distinct MSIX_MAPPABLE caps in a row. */
    memset(many, 0, sizeof(many));
    put32(many, 0, sizeof(many));
    put32(many, 4, VFIO_USER_REGION_INFO_FLAG_CAPS);
    put32(many, 12, 32);
    put64(many, 16, 0x1000);
    for (unsigned i = 0; i < 65; i++) {
        size_t at = 32 + 8 * i;

        put16(many, at, VFIO_USER_REGION_INFO_CAP_MSIX_MAPPABLE);
        put16(many, at + 2, 1);
        put32(many, at + 4, i < 64 ? (uint32_t)(at + 8) : 0);
    }
    expect_fail(
        dec_ri(many, sizeof(many), 0, 0, sizeof(many), &ri, &need, &err),
        -EPROTO, &err, "capability chain has more than 64 entries");
    /* 64 of them are fine. */
    put32(many, 0, 32 + 64 * 8);
    put32(many, 32 + 63 * 8 + 4, 0);
    assert_int_equal(
        dec_ri(many, 32 + 64 * 8, 0, 0, 32 + 64 * 8, &ri, &need, &err), 0);
    assert_true(ri.msix_mappable);

    RESET();
    put64(b, RI_AREA1_SIZE, 0xf000);
    expect_fail(dec_ri(b, n, 1, 0, 104, &ri, &need, &err), -EPROTO, &err,
                "sparse area 1 [0x2000, +0xf000) lies beyond the region size "
                "0x10000");

    RESET();
    put64(b, RI_AREA1_OFF, 0xfffffffffffff000);
    put64(b, RI_AREA1_SIZE, 0x2000);
    expect_fail(dec_ri(b, n, 1, 0, 104, &ri, &need, &err), -EPROTO, &err,
                "sparse area 1 [0xfffffffffffff000, +0x2000) overflows");

    RESET();
    put32(b, RI_NR_AREAS, 0xffffffff);
    expect_fail(dec_ri(b, n, 1, 0, 104, &ri, &need, &err), -EPROTO, &err,
                "sparse mmap capability has 4294967295 areas, more than the "
                "64");

    /* 56 bytes follow the sparse header: room for 3 areas, not 4. */
    RESET();
    put32(b, RI_NR_AREAS, 4);
    expect_fail(dec_ri(b, n, 1, 0, 104, &ri, &need, &err), -EPROTO, &err,
                "has 4 areas but room for only 3");

    expect_fail(dec_ri(g_region_info_reply, n, 0, 0, 104, &ri, &need, &err),
                -EPROTO, &err, "has the MMAP flag but carried no fd");

    RESET();
    put32(b, RI_FLAGS, 0xb);
    expect_fail(dec_ri(b, n, 1, 0, 104, &ri, &need, &err), -EPROTO, &err,
                "carried an fd but has no MMAP flag");

    expect_fail(dec_ri(g_region_info_reply, n, 2, 0, 104, &ri, &need, &err),
                -EPROTO, &err, "carried 2 fds, at most 1 belongs");

    /* Needs more than we would ever offer. */
    RESET();
    put32(b, RI_ARGSZ, 0x20000);
    expect_fail(dec_ri(b, 32, 0, 0, 32, &ri, &need, &err), -EPROTO, &err,
                "needs argsz 131072, above the limit of 65536");

    /* A type capability with 4 bytes of body. */
    {
        static const uint8_t short_type[] = {
            U32(44), U32(0xb), U32(0), U32(32), U64(0x100),
            U64(0),  U16(2),   U16(1), U32(0),  U32(3),
        };
        expect_fail(
            dec_ri(short_type, sizeof(short_type), 0, 0, 44, &ri, &need, &err),
            -EPROTO, &err,
            "region type capability at offset 32 has 4 bytes of body, "
            "expected 8");
    }

    /* A second sparse capability. */
    RESET();
    put16(b, 80, VFIO_USER_REGION_INFO_CAP_SPARSE_MMAP);
    put32(b, 88, 0);
    expect_fail(dec_ri(b, n, 1, 0, 104, &ri, &need, &err), -EPROTO, &err,
                "second sparse mmap capability at offset 80");

    /* mmap offset + size wraps. */
    RESET();
    put64(b, 24, 0xffffffffffff8000);
    expect_fail(dec_ri(b, n, 1, 0, 104, &ri, &need, &err), -EPROTO, &err,
                "mmap offset 0xffffffffffff8000 + size 0x10000 overflows");
#undef RESET
}

static int dec_iof(const uint8_t *bytes, size_t len, unsigned nfds,
                   uint32_t index, uint64_t region_size, uint32_t argsz,
                   struct vuc_wire_io_fd *e, uint32_t max, uint32_t *count,
                   uint32_t *need, struct vuc_wire_err *err)
{
    uint8_t *p = dup_exact(bytes, len);
    int rc = vuc_wire_dec_region_io_fds_reply(p, len, nfds, index, region_size,
                                              argsz, e, max, count, need, err);

    free(p);
    return rc;
}

static void test_dec_io_fds(void **state)
{
    struct vuc_wire_io_fd e[4];
    struct vuc_wire_err err = {{0}};
    uint32_t count = 99, need = 0;
    static const uint8_t none[] = {U32(16), U32(0), U32(3), U32(0)};

    (void)state;
    assert_int_equal(dec_iof(g_io_fds_reply, sizeof(g_io_fds_reply), 2, 0,
                             0x10000, 96, e, 4, &count, &need, &err),
                     0);
    assert_int_equal(count, 2);
    assert_int_equal(e[0].offset, 0x1000);
    assert_int_equal(e[0].size, 4);
    assert_int_equal(e[0].fd_index, 0);
    assert_int_equal(e[0].type, VFIO_USER_IO_FD_TYPE_IOEVENTFD);
    assert_int_equal(e[0].flags, VFIO_USER_IOEVENTFD_FLAG_DATAMATCH);
    assert_int_equal(e[0].datamatch, 0x12345678);
    assert_int_equal(e[1].offset, 0x2000);
    assert_int_equal(e[1].size, 0);
    assert_int_equal(e[1].fd_index, 1);
    assert_int_equal(e[1].type, VFIO_USER_IO_FD_TYPE_IOREGIONFD);
    assert_int_equal(e[1].flags, VFIO_USER_IOREGIONFD_FLAG_POSTED_WRITES);
    assert_int_equal(e[1].datamatch, 0xdeadbeef);

    assert_int_equal(dec_iof(g_io_fds_reply_vfu, sizeof(g_io_fds_reply_vfu), 1,
                             0, 0x10000, 64, e, 4, &count, &need, &err),
                     0);
    assert_int_equal(count, 1);
    assert_int_equal(e[0].datamatch, 0xabcd);

    assert_int_equal(dec_iof(none, sizeof(none), 0, 3, 0x1000, 16, e, 4, &count,
                             &need, &err),
                     0);
    assert_int_equal(count, 0);

    /* Asked with 16 or 56 bytes: the server wants 96 and sends only the
     * head, as libvfio-user does. */
    assert_int_equal(dec_iof(g_io_fds_reply, 16, 0, 0, 0x10000, 16, e, 4,
                             &count, &need, &err),
                     1);
    assert_int_equal(need, 96);
    assert_int_equal(count, 0);
    need = 0;
    assert_int_equal(dec_iof(g_io_fds_reply, 16, 0, 0, 0x10000, 56, e, 4,
                             &count, &need, &err),
                     1);
    assert_int_equal(need, 96);
}

static void test_dec_io_fds_hostile(void **state)
{
    struct vuc_wire_io_fd e[4];
    struct vuc_wire_err err = {{0}};
    uint32_t count, need;
    size_t n = sizeof(g_io_fds_reply);
    uint8_t b[sizeof(g_io_fds_reply)];

#define RESET() memcpy(b, g_io_fds_reply, n)
    (void)state;

    /* 16 + 2 * 39: entries would overlap. */
    RESET();
    put32(b, 0, 94);
    expect_fail(dec_iof(b, n, 2, 0, 0x10000, 96, e, 4, &count, &need, &err),
                -EPROTO, &err,
                "sub-region stride 39 (argsz 94, count 2) is below the "
                "40-byte entry");

    RESET();
    put32(b, IOF_E1 + 16, 2);
    expect_fail(dec_iof(b, n, 2, 0, 0x10000, 96, e, 4, &count, &need, &err),
                -EPROTO, &err, "sub-region 1 uses fd 2, but only 2 fds came");

    RESET();
    put64(b, IOF_E0, 0xfffe);
    expect_fail(dec_iof(b, n, 2, 0, 0x10000, 96, e, 4, &count, &need, &err),
                -EPROTO, &err,
                "sub-region 0 [0xfffe, +0x4) lies beyond the region size "
                "0x10000");

    RESET();
    put64(b, IOF_E0, 0xfffffffffffffffe);
    expect_fail(dec_iof(b, n, 2, 0, 0x10000, 96, e, 4, &count, &need, &err),
                -EPROTO, &err,
                "sub-region 0 [0xfffffffffffffffe, +0x4) "
                "overflows");

    /* A size-0 entry at the region's end names no address inside it. */
    RESET();
    put64(b, IOF_E1, 0x10000);
    expect_fail(dec_iof(b, n, 2, 0, 0x10000, 96, e, 4, &count, &need, &err),
                -EPROTO, &err, "sub-region 1 [0x10000, +0x0) lies beyond");

    expect_fail(dec_iof(g_io_fds_reply, n, 2, 0, 0x10000, 96, e, 1, &count,
                        &need, &err),
                -EPROTO, &err, "has 2 sub-regions, more than the 1 asked for");

    RESET();
    put32(b, IOF_E1 + 20, 2);
    expect_fail(dec_iof(b, n, 2, 0, 0x10000, 96, e, 4, &count, &need, &err),
                -EPROTO, &err, "sub-region 1 has unknown type 2");

    RESET();
    put32(b, IOF_E0 + 24, 0x9);
    expect_fail(dec_iof(b, n, 2, 0, 0x10000, 96, e, 4, &count, &need, &err),
                -EPROTO, &err,
                "sub-region 0 has unknown flags 0x8 for an ioeventfd");

    RESET();
    put32(b, IOF_E1 + 24, 0);
    expect_fail(dec_iof(b, n, 2, 0, 0x10000, 96, e, 4, &count, &need, &err),
                -EPROTO, &err, "ioregionfd of size 0 without POSTED_WRITES");

    expect_fail(dec_iof(g_io_fds_reply, n, 0, 0, 0x10000, 96, e, 4, &count,
                        &need, &err),
                -EPROTO, &err, "has 2 sub-regions but carried no fd");

    expect_fail(dec_iof(g_io_fds_reply, n, 2, 1, 0x10000, 96, e, 4, &count,
                        &need, &err),
                -EPROTO, &err, "is for region 0, asked for region 1");

    RESET();
    put32(b, 4, 1);
    expect_fail(dec_iof(b, n, 2, 0, 0x10000, 96, e, 4, &count, &need, &err),
                -EPROTO, &err, "has flags 0x1, expected 0");

    RESET();
    put32(b, 0, 0x20000);
    expect_fail(dec_iof(b, 16, 0, 0, 0x10000, 16, e, 4, &count, &need, &err),
                -EPROTO, &err, "needs argsz 131072, above the limit");

    expect_fail(dec_iof(g_io_fds_reply, 90, 2, 0, 0x10000, 96, e, 4, &count,
                        &need, &err),
                -EPROTO, &err, "has 90 bytes, but its argsz says 96");

    {
        static const uint8_t none[] = {U32(16), U32(0), U32(0), U32(0)};
        expect_fail(
            dec_iof(none, 16, 1, 0, 0x10000, 16, e, 4, &count, &need, &err),
            -EPROTO, &err, "lists no sub-regions but carried 1 fd");
    }
#undef RESET
}

static void test_dec_irq_info(void **state)
{
    struct vuc_irq_info q;
    struct vuc_wire_err err = {{0}};
    uint8_t *p;

    (void)state;
    p = dup_exact(g_irq_info_reply, 16);
    assert_int_equal(vuc_wire_dec_irq_info_reply(p, 16, 0, 0, &q, &err), 0);
    assert_int_equal(q.index, 0);
    assert_int_equal(q.flags, 7);
    assert_int_equal(q.count, 1);

    expect_fail(vuc_wire_dec_irq_info_reply(p, 16, 0, 2, &q, &err), -EPROTO,
                &err, "is for irq index 0, asked for 2");
    expect_fail(vuc_wire_dec_irq_info_reply(p, 16, 1, 0, &q, &err), -EPROTO,
                &err, "DEVICE_GET_IRQ_INFO reply carried 1 fd");
    expect_fail(vuc_wire_dec_irq_info_reply(p, 15, 0, 0, &q, &err), -EPROTO,
                &err, "has 15 bytes");
    put32(p, 12, 2048);
    assert_int_equal(vuc_wire_dec_irq_info_reply(p, 16, 0, 0, &q, &err), 0);
    put32(p, 12, 0xffffffff);
    expect_fail(vuc_wire_dec_irq_info_reply(p, 16, 0, 0, &q, &err), -EPROTO,
                &err, "has count 4294967295, above the MSI-X maximum of 2048");
    free(p);
}

static void test_dec_region_rw(void **state)
{
    struct vuc_wire_err err = {{0}};
    const uint8_t *data;
    uint8_t *p;
    uint8_t b[16 + 12];
    size_t n = sizeof(g_region_read_reply);

    (void)state;
    p = dup_exact(g_region_read_reply, n);
    assert_int_equal(
        vuc_wire_dec_region_read_reply(p, n, 0, 7, 0x40, 4, &data, &err), 0);
    assert_ptr_equal(data, p + 16);
    assert_memory_equal(data, "\x86\x80\xd3\x10", 4);

    expect_fail(
        vuc_wire_dec_region_read_reply(p, n, 0, 7, 0x44, 4, &data, &err),
        -EPROTO, &err, "REGION_READ reply is for offset 0x40, asked for 0x44");
    expect_fail(
        vuc_wire_dec_region_read_reply(p, n, 0, 6, 0x40, 4, &data, &err),
        -EPROTO, &err, "is for region 7, asked for region 6");
    expect_fail(
        vuc_wire_dec_region_read_reply(p, n, 1, 7, 0x40, 4, &data, &err),
        -EPROTO, &err, "REGION_READ reply carried 1 fd, none belong");
    free(p);

    /* Short data: count says 4, three bytes came. */
    p = dup_exact(g_region_read_reply, n - 1);
    expect_fail(
        vuc_wire_dec_region_read_reply(p, n - 1, 0, 7, 0x40, 4, &data, &err),
        -EPROTO, &err, "carries 3 data bytes, expected 4");
    free(p);

    /* Extra data: one byte too many. */
    {
        uint8_t extra[sizeof(g_region_read_reply) + 1];

        memcpy(extra, g_region_read_reply, n);
        extra[n] = 0x55;
        p = dup_exact(extra, n + 1);
        expect_fail(vuc_wire_dec_region_read_reply(p, n + 1, 0, 7, 0x40, 4,
                                                   &data, &err),
                    -EPROTO, &err, "carries 5 data bytes, expected 4");
        free(p);
    }

    /* The count echoed differs from what we asked. */
    memset(b, 0, sizeof(b));
    memcpy(b, g_region_read_reply, 16);
    put32(b, 12, 12);
    p = dup_exact(b, sizeof(b));
    expect_fail(vuc_wire_dec_region_read_reply(p, sizeof(b), 0, 7, 0x40, 20,
                                               &data, &err),
                -EPROTO, &err, "REGION_READ reply has count 12, expected 20");
    free(p);

    /* Zero-byte access answered with nothing. */
    assert_int_equal(
        vuc_wire_dec_region_read_reply(NULL, 0, 0, 7, 0, 0, &data, &err), 0);
    assert_null(data);

    p = dup_exact(g_region_write_reply, 16);
    assert_int_equal(
        vuc_wire_dec_region_write_reply(p, 16, 0, 0, 0x1000, 4, &err), 0);
    expect_fail(vuc_wire_dec_region_write_reply(p, 16, 0, 0, 0x1000, 8, &err),
                -EPROTO, &err, "REGION_WRITE reply has count 4, expected 8");
    expect_fail(vuc_wire_dec_region_write_reply(p, 12, 0, 0, 0x1000, 4, &err),
                -EPROTO, &err, "REGION_WRITE reply has 12 bytes, expected 16");
    free(p);
    assert_int_equal(vuc_wire_dec_region_write_reply(NULL, 0, 0, 0, 0, 0, &err),
                     0);
}

static void test_dec_write_multi(void **state)
{
    struct vuc_wire_err err = {{0}};
    uint8_t *p = dup_exact(g_write_multi_reply, 8);

    (void)state;
    assert_int_equal(vuc_wire_dec_write_multi_reply(p, 8, 0, 2, &err), 0);
    expect_fail(vuc_wire_dec_write_multi_reply(p, 8, 0, 3, &err), -EPROTO, &err,
                "completed 2 writes, we sent 3");
    expect_fail(vuc_wire_dec_write_multi_reply(p, 4, 0, 2, &err), -EPROTO, &err,
                "has 4 bytes, expected 8");
    expect_fail(vuc_wire_dec_write_multi_reply(p, 8, 2, 2, &err), -EPROTO, &err,
                "carried 2 fds");
    free(p);
}

static int dec_dma(uint16_t cmd, const uint8_t *bytes, size_t len,
                   unsigned nfds, uint32_t max, uint64_t *addr, uint64_t *count,
                   const uint8_t **data, struct vuc_wire_err *err)
{
    uint8_t *p = dup_exact(bytes, len);
    int rc = vuc_wire_dec_dma_request(cmd, p, len, nfds, max, addr, count, data,
                                      err);

    if (rc == 0 && *data != NULL) {
        /* The pointer must be into the payload; compare then drop it. */
        assert_ptr_equal(*data, p + 16);
        assert_memory_equal(*data, bytes + 16, len - 16);
        *data = bytes + 16;
    }
    free(p);
    return rc;
}

static void test_dec_dma_request(void **state)
{
    struct vuc_wire_err err = {{0}};
    uint64_t addr = 0, count = 0;
    const uint8_t *data = (const uint8_t *)1;
    uint8_t b[20];

    (void)state;
    assert_int_equal(dec_dma(VFIO_USER_DMA_READ, g_dma_read_req, 16, 0, 1 << 20,
                             &addr, &count, &data, &err),
                     0);
    assert_int_equal(addr, 0x100000);
    assert_int_equal(count, 0x200);
    assert_null(data);

    assert_int_equal(dec_dma(VFIO_USER_DMA_WRITE, g_dma_write_req, 20, 0,
                             1 << 20, &addr, &count, &data, &err),
                     0);
    assert_int_equal(addr, 0x2000);
    assert_int_equal(count, 4);
    assert_ptr_equal(data, g_dma_write_req + 16);

    expect_fail(dec_dma(VFIO_USER_DMA_READ, g_dma_read_req, 16, 0, 0x100, &addr,
                        &count, &data, &err),
                -EINVAL, &err,
                "DMA_READ request has count 512, above the "
                "max_data_xfer_size of 256");

    memcpy(b, g_dma_read_req, 16);
    put64(b, 0, 0xfffffffffffff000);
    put64(b, 8, 0x2000);
    expect_fail(dec_dma(VFIO_USER_DMA_READ, b, 16, 0, 1 << 20, &addr, &count,
                        &data, &err),
                -EINVAL, &err,
                "range [0xfffffffffffff000, +0x2000) wraps past the end");

    expect_fail(dec_dma(VFIO_USER_DMA_WRITE, g_dma_write_req, 20, 1, 1 << 20,
                        &addr, &count, &data, &err),
                -EINVAL, &err, "DMA_WRITE request carried 1 fd, none belong");

    expect_fail(dec_dma(VFIO_USER_DMA_WRITE, g_dma_write_req, 19, 0, 1 << 20,
                        &addr, &count, &data, &err),
                -EINVAL, &err,
                "DMA_WRITE request carries 3 data bytes, its "
                "count says 4");

    memcpy(b, g_dma_write_req, 20);
    put64(b, 8, 0);
    expect_fail(dec_dma(VFIO_USER_DMA_WRITE, b, 16, 0, 1 << 20, &addr, &count,
                        &data, &err),
                -EINVAL, &err, "DMA_WRITE request has count 0");

    /* A DMA_READ with data attached. */
    expect_fail(dec_dma(VFIO_USER_DMA_READ, g_dma_write_req, 20, 0, 1 << 20,
                        &addr, &count, &data, &err),
                -EINVAL, &err, "DMA_READ request has 20 bytes, expected 16");

    expect_fail(dec_dma(VFIO_USER_DMA_READ, g_dma_read_req, 12, 0, 1 << 20,
                        &addr, &count, &data, &err),
                -EINVAL, &err, "has 12 bytes, expected at least 16");

    expect_fail(dec_dma(VFIO_USER_REGION_READ, g_dma_read_req, 16, 0, 1 << 20,
                        &addr, &count, &data, &err),
                -EINVAL, &err, "command 9 (REGION_READ) is not a DMA request");
}

static void test_dec_feature(void **state)
{
    struct vuc_wire_err err = {{0}};
    const uint8_t *data;
    size_t data_len;
    uint64_t mflags;
    uint32_t st;
    uint8_t *p;
    uint8_t d[8];

    (void)state;
    p = dup_exact(g_feature_mig_reply, 16);
    assert_int_equal(vuc_wire_dec_device_feature_reply(p, 16, 0, 0x10001, &data,
                                                       &data_len, &err),
                     0);
    assert_ptr_equal(data, p + 8);
    assert_int_equal(data_len, 8);
    assert_int_equal(
        vuc_wire_dec_feature_migration(data, data_len, &mflags, &err), 0);
    assert_int_equal(mflags, VFIO_USER_MIGRATION_STOP_COPY |
                                 VFIO_USER_MIGRATION_PRE_COPY);

    expect_fail(vuc_wire_dec_device_feature_reply(p, 16, 0, 0x10002, &data,
                                                  &data_len, &err),
                -EPROTO, &err,
                "DEVICE_FEATURE reply has flags 0x10001, the request had "
                "0x10002");
    expect_fail(vuc_wire_dec_device_feature_reply(p, 12, 0, 0x10001, &data,
                                                  &data_len, &err),
                -EPROTO, &err, "argsz 16 but only 12 bytes");
    expect_fail(vuc_wire_dec_device_feature_reply(p, 16, 1, 0x10001, &data,
                                                  &data_len, &err),
                -EPROTO, &err, "DEVICE_FEATURE reply carried 1 fd");
    expect_fail(vuc_wire_dec_device_feature_reply(p, 7, 0, 0x10001, &data,
                                                  &data_len, &err),
                -EPROTO, &err, "has 7 bytes, expected at least 8");
    put32(p, 0, 4);
    expect_fail(vuc_wire_dec_device_feature_reply(p, 16, 0, 0x10001, &data,
                                                  &data_len, &err),
                -EPROTO, &err, "argsz 4, below its 8-byte head");
    /* argsz may stop before the end: the rest is ignored. */
    put32(p, 0, 8);
    assert_int_equal(vuc_wire_dec_device_feature_reply(p, 16, 0, 0x10001, &data,
                                                       &data_len, &err),
                     0);
    assert_int_equal(data_len, 0);
    free(p);

    memcpy(d, (const uint8_t[]){U64(4)}, 8);
    expect_fail(vuc_wire_dec_feature_migration(d, 8, &mflags, &err), -EPROTO,
                &err, "MIGRATION flags 0x4 lack STOP_COPY");
    memcpy(d, (const uint8_t[]){U64(9)}, 8);
    expect_fail(vuc_wire_dec_feature_migration(d, 8, &mflags, &err), -EPROTO,
                &err, "have unknown bits 0x8");
    expect_fail(vuc_wire_dec_feature_migration(d, 4, &mflags, &err), -EPROTO,
                &err, "MIGRATION data has 4 bytes, expected 8");

    p = dup_exact(g_feature_state_reply, 16);
    assert_int_equal(vuc_wire_dec_device_feature_reply(p, 16, 0, 0x10002, &data,
                                                       &data_len, &err),
                     0);
    assert_int_equal(vuc_wire_dec_feature_mig_state(data, data_len, &st, &err),
                     0);
    assert_int_equal(st, VFIO_USER_DEVICE_STATE_RUNNING);
    put32(p, 8, 5);
    expect_fail(vuc_wire_dec_feature_mig_state(p + 8, 8, &st, &err), -EPROTO,
                &err, "device state 5 (RUNNING_P2P), which vfio-user does not");
    put32(p, 8, 7);
    expect_fail(vuc_wire_dec_feature_mig_state(p + 8, 8, &st, &err), -EPROTO,
                &err, "(PRE_COPY_P2P)");
    put32(p, 8, 8);
    expect_fail(vuc_wire_dec_feature_mig_state(p + 8, 8, &st, &err), -EPROTO,
                &err, "unknown device state 8");
    put32(p, 8, 0);
    assert_int_equal(vuc_wire_dec_feature_mig_state(p + 8, 8, &st, &err), 0);
    assert_int_equal(st, VFIO_USER_DEVICE_STATE_ERROR);
    expect_fail(vuc_wire_dec_feature_mig_state(p + 8, 7, &st, &err), -EPROTO,
                &err, "has 7 bytes, expected 8");
    free(p);
}

static void test_dec_logging_report(void **state)
{
    struct vuc_wire_err err = {{0}};
    const uint8_t *bm;
    size_t bm_len;
    size_t n = sizeof(g_logging_report_reply);
    uint8_t *p;

    (void)state;
    p = dup_exact(g_logging_report_reply, n);
    assert_int_equal(vuc_wire_dec_dma_logging_report(p, n, 0x100000, 0x41000,
                                                     4096, &bm, &bm_len, &err),
                     0);
    assert_ptr_equal(bm, p + 24);
    assert_int_equal(bm_len, 16);
    assert_int_equal(bm[0], 0x01);
    assert_int_equal(bm[7], 0x80);

    /* 64 pages need one word, not two. */
    expect_fail(vuc_wire_dec_dma_logging_report(p, n, 0x100000, 0x40000, 4096,
                                                &bm, &bm_len, &err),
                -EPROTO, &err, "is for [0x100000, +0x41000) at page size 4096");
    expect_fail(vuc_wire_dec_dma_logging_report(p, n - 8, 0x100000, 0x41000,
                                                4096, &bm, &bm_len, &err),
                -EPROTO, &err, "has a 8-byte bitmap, expected 16");
    expect_fail(vuc_wire_dec_dma_logging_report(p, 20, 0x100000, 0x41000, 4096,
                                                &bm, &bm_len, &err),
                -EPROTO, &err, "data has 20 bytes, expected at least 24");
    expect_fail(vuc_wire_dec_dma_logging_report(p, n, 0x100000, 0x41000, 4000,
                                                &bm, &bm_len, &err),
                -EINVAL, &err, "needs no valid bitmap");
    free(p);

    assert_int_equal(vuc_wire_bitmap_size(0x41000, 4096), 16);
    assert_int_equal(vuc_wire_bitmap_size(0x40000, 4096), 8);
    assert_int_equal(vuc_wire_bitmap_size(1, 4096), 8);
    assert_int_equal(vuc_wire_bitmap_size(0, 4096), 0);
    assert_int_equal(vuc_wire_bitmap_size(0x1000, 0), 0);
    assert_int_equal(vuc_wire_bitmap_size(0x1000, 3000), 0);
    assert_int_equal(vuc_wire_bitmap_size(UINT64_MAX, 1),
                     UINT64_C(0x2000000000000000));
}

static void test_dec_mig_data(void **state)
{
    struct vuc_wire_err err = {{0}};
    const uint8_t *data;
    uint32_t size;
    uint8_t *p;

    (void)state;
    p = dup_exact(g_mig_read_reply, 12);
    assert_int_equal(
        vuc_wire_dec_mig_data_read_reply(p, 12, 0, 0x1000, &data, &size, &err),
        0);
    assert_int_equal(size, 4);
    assert_ptr_equal(data, p + 8);

    expect_fail(
        vuc_wire_dec_mig_data_read_reply(p, 12, 0, 2, &data, &size, &err),
        -EPROTO, &err,
        "MIG_DATA_READ reply has size 4, more than the 2 asked for");
    expect_fail(
        vuc_wire_dec_mig_data_read_reply(p, 11, 0, 0x1000, &data, &size, &err),
        -EPROTO, &err, "carries 3 data bytes, its size says 4");
    expect_fail(
        vuc_wire_dec_mig_data_read_reply(p, 12, 1, 0x1000, &data, &size, &err),
        -EPROTO, &err, "MIG_DATA_READ reply carried 1 fd");
    put32(p, 0, 8);
    expect_fail(
        vuc_wire_dec_mig_data_read_reply(p, 12, 0, 0x1000, &data, &size, &err),
        -EPROTO, &err, "has argsz 8, expected 12");
    free(p);
    /* libvfio-user's short read: 4 bytes of data, padded to the 16 asked. */
    p = dup_exact((const uint8_t[]){U32(12), U32(4), 1, 2, 3, 4, 0, 0, 0, 0, 0,
                                    0,       0,      0, 0, 0, 0, 0, 0, 0, 0, 0},
                  24);
    assert_int_equal(
        vuc_wire_dec_mig_data_read_reply(p, 24, 0, 16, &data, &size, &err), 0);
    assert_int_equal(size, 4);
    expect_fail(
        vuc_wire_dec_mig_data_read_reply(p, 24, 0, 8, &data, &size, &err),
        -EPROTO, &err, "carries 16 data bytes, more than the 8 asked for");
    free(p);
    /* A server with no more data answers with size 0. */
    p = dup_exact((const uint8_t[]){U32(8), U32(0)}, 8);
    assert_int_equal(
        vuc_wire_dec_mig_data_read_reply(p, 8, 0, 0x1000, &data, &size, &err),
        0);
    assert_int_equal(size, 0);
    free(p);
}

static void test_dec_dirty_pages(void **state)
{
    struct vuc_wire_err err = {{0}};
    const uint8_t *bm;
    size_t n = sizeof(g_dirty_reply);
    uint8_t *p;

    (void)state;
    p = dup_exact(g_dirty_reply, n);
    assert_int_equal(vuc_wire_dec_dirty_pages_reply(p, n, 0, 0x100000, 0x40000,
                                                    4096, 8, &bm, &err),
                     0);
    assert_ptr_equal(bm, p + 40);
    assert_int_equal(bm[0], 0x0f);

    expect_fail(vuc_wire_dec_dirty_pages_reply(p, n, 0, 0x200000, 0x40000, 4096,
                                               8, &bm, &err),
                -EPROTO, &err,
                "DIRTY_PAGES reply is for [0x100000, +0x40000), asked for "
                "[0x200000, +0x40000)");
    expect_fail(vuc_wire_dec_dirty_pages_reply(p, n, 0, 0x100000, 0x80000, 4096,
                                               8, &bm, &err),
                -EPROTO, &err, "asked for [0x100000, +0x80000)");
    expect_fail(vuc_wire_dec_dirty_pages_reply(p, n, 0, 0x100000, 0x40000, 8192,
                                               8, &bm, &err),
                -EPROTO, &err, "at page size 4096, asked for 8 bytes at 8192");
    expect_fail(vuc_wire_dec_dirty_pages_reply(p, n - 1, 0, 0x100000, 0x40000,
                                               4096, 8, &bm, &err),
                -EPROTO, &err, "has 47 bytes, expected 8 + 32 + a 8-byte");
    expect_fail(vuc_wire_dec_dirty_pages_reply(p, n, 1, 0x100000, 0x40000, 4096,
                                               8, &bm, &err),
                -EPROTO, &err, "DIRTY_PAGES reply carried 1 fd");
    put32(p, 4, 1);
    expect_fail(vuc_wire_dec_dirty_pages_reply(p, n, 0, 0x100000, 0x40000, 4096,
                                               8, &bm, &err),
                -EPROTO, &err, "has flags 0x1, expected GET_BITMAP");
    put32(p, 4, 4);
    put32(p, 0, 40);
    expect_fail(vuc_wire_dec_dirty_pages_reply(p, n, 0, 0x100000, 0x40000, 4096,
                                               8, &bm, &err),
                -EPROTO, &err, "has argsz 40, expected 48");
    free(p);
}

static void test_dec_migration_v1(void **state)
{
    struct vuc_wire_err err = {{0}};
    struct vfio_user_migration_info_v1 m;
    size_t n = sizeof(g_mig_info_v1);
    uint8_t b[sizeof(g_mig_info_v1)];
    uint8_t *p;

#define DEC(buf_, len_, rs_)                                                   \
    (p = dup_exact(buf_, len_),                                                \
     rc = vuc_wire_dec_migration_info_v1(p, len_, rs_, &m, &err), free(p), rc)
    int rc;

    (void)state;
    assert_int_equal(DEC(g_mig_info_v1, n, 0x2000), 0);
    assert_int_equal(m.device_state, 3);
    assert_int_equal(m.pending_bytes, 0x1000);
    assert_int_equal(m.data_offset, 0x1000);
    assert_int_equal(m.data_size, 0x800);

    /* The error state (RESUMING|SAVING) is reported, not rejected. */
    memcpy(b, g_mig_info_v1, n);
    put32(b, 0, 6);
    assert_int_equal(DEC(b, n, 0x2000), 0);
    assert_int_equal(m.device_state, 6);

    put32(b, 0, 5);
    expect_fail(DEC(b, n, 0x2000), -EPROTO, &err,
                "device_state 0x5 is not a valid state");
    put32(b, 0, 7);
    expect_fail(DEC(b, n, 0x2000), -EPROTO, &err,
                "device_state 0x7 is not a valid state");
    put32(b, 0, 9);
    expect_fail(DEC(b, n, 0x2000), -EPROTO, &err, "has unknown bits 0x8");

    memcpy(b, g_mig_info_v1, n);
    put64(b, 16, 0x1900);
    expect_fail(DEC(b, n, 0x2000), -EPROTO, &err,
                "migration data window [0x1900, +0x800) lies beyond the "
                "region size 0x2000");
    /* Exactly reaching the end is fine. */
    put64(b, 16, 0x1800);
    assert_int_equal(DEC(b, n, 0x2000), 0);
    put64(b, 24, 0x801);
    expect_fail(DEC(b, n, 0x2000), -EPROTO, &err, "lies beyond the region");
    put64(b, 16, 0xffffffffffffff00);
    put64(b, 24, 0x200);
    expect_fail(DEC(b, n, 0x2000), -EPROTO, &err,
                "[0xffffffffffffff00, +0x200) lies beyond");
    put64(b, 16, 0x10);
    expect_fail(DEC(b, n, 0x2000), -EPROTO, &err,
                "overlaps the 32-byte migration header");
    /* With no data, the window is not looked at. */
    put64(b, 24, 0);
    assert_int_equal(DEC(b, n, 0x2000), 0);

    expect_fail(DEC(g_mig_info_v1, 16, 0x2000), -EPROTO, &err,
                "migration region header has 16 bytes, expected 32");
#undef DEC
}

/* ---- Randomised robustness ----------------------------------------------- */

static uint64_t rng_state;

static uint64_t rng(void)
{
    /* xorshift64*: fixed seed, so a failure reproduces. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * UINT64_C(2685821657736338717);
}

/* Either random bytes or a golden vector with a few bytes changed, cut or
 * extended at random, in a buffer of exactly the chosen length. */
static uint8_t *fuzz_input(const uint8_t *seed, size_t seed_len, size_t *len)
{
    uint8_t *p;
    size_t n;

    if (seed != NULL && rng() % 4 != 0) {
        n = seed_len;
        switch (rng() % 4) {
        case 0:
            n = (size_t)(rng() % (seed_len + 1));
            break;
        case 1:
            n = seed_len + (size_t)(rng() % 16);
            break;
        default:
            break;
        }
    } else {
        n = (size_t)(rng() % 301);
        seed = NULL;
    }
    p = malloc(n > 0 ? n : 1);
    assert_non_null(p);
    for (size_t i = 0; i < n; i++)
        p[i] = (seed != NULL && i < seed_len) ? seed[i] : (uint8_t)rng();
    if (seed != NULL && n > 0) {
        unsigned flips = (unsigned)(rng() % 4);

        for (unsigned i = 0; i < flips; i++) {
            size_t at = (size_t)(rng() % n);

            /* Small values and all-ones reach more branches than noise. */
            switch (rng() % 3) {
            case 0:
                p[at] = (uint8_t)rng();
                break;
            case 1:
                p[at] = (uint8_t)(rng() % 4);
                break;
            default:
                p[at] = 0xff;
                break;
            }
        }
    }
    *len = n;
    return p;
}

static void check_rc(int rc, const struct vuc_wire_err *err, bool may_be_1)
{
    if (rc < 0) {
        if (err->text[0] == '\0')
            fail_msg("rc %d without an error text", rc);
        return;
    }
    if (rc == 1 && may_be_1)
        return;
    assert_int_equal(rc, 0);
}

#define FUZZ_ITERATIONS 20000

static void test_fuzz(void **state)
{
    static struct vuc_region_info ri;
    struct vuc_wire_io_fd io[8];
    struct vuc_wire_err err;
    const uint8_t *ptr;
    size_t len, sz;
    uint64_t u64a, u64b;
    uint32_t u32a, u32b, need;
    int rc;
    uint8_t *p;

    (void)state;
    rng_state = UINT64_C(0x9e3779b97f4a7c15);

    for (int it = 0; it < FUZZ_ITERATIONS; it++) {
        unsigned nfds = (unsigned)(rng() % 3);

        /* Header. */
        {
            struct vfio_user_header h;

            p = fuzz_input(g_hdr_reply, 16, &len);
            memset(&h, 0, sizeof(h));
            memcpy(&h, p, len < 16 ? len : 16);
            err.text[0] = '\0';
            check_rc(vuc_wire_check_header(&h, 1 << 20, &err), &err, false);
            rc = vuc_wire_reply_errno(&h);
            assert_true(rc <= 0 && rc >= -4095);
            free(p);
        }

        {
            struct vuc_wire_version v;

            p = fuzz_input(g_version_reply, sizeof(g_version_reply), &len);
            err.text[0] = '\0';
            rc = vuc_wire_dec_version_reply(p, len, 0, 0, &v, &err);
            check_rc(rc, &err, false);
            if (rc == 0 && v.json != NULL)
                assert_int_equal(strlen(v.json), v.json_len);
            free(p);
        }

        p = fuzz_input(g_dma_unmap_dirty_reply, sizeof(g_dma_unmap_dirty_reply),
                       &len);
        err.text[0] = '\0';
        rc = vuc_wire_dec_dma_unmap_reply(p, len, nfds % 2, 0x100000000,
                                          0x200000, rng() % 2, 4096, 64, &ptr,
                                          &err);
        check_rc(rc, &err, false);
        free(p);

        {
            struct vuc_device_info di;

            p = fuzz_input(g_device_info_reply, 16, &len);
            err.text[0] = '\0';
            rc = vuc_wire_dec_device_info_reply(p, len, nfds % 2, &di, &err);
            check_rc(rc, &err, false);
            if (rc == 0) {
                assert_true(di.num_regions <= VUC_MAX_REGIONS);
                assert_true(di.num_irqs <= VUC_MAX_IRQ_INDEXES);
            }
            free(p);
        }

        p = fuzz_input(g_region_info_reply, sizeof(g_region_info_reply), &len);
        err.text[0] = '\0';
        u32a = (uint32_t[]){32, 104, 256, (uint32_t)rng()}[rng() % 4];
        rc = vuc_wire_dec_region_info_reply(p, len, nfds, 0, u32a, &ri, &u32b,
                                            &err);
        check_rc(rc, &err, true);
        if (rc == 0) {
            assert_true(ri.nr_sparse <= VUC_MAX_SPARSE_AREAS);
            for (unsigned i = 0; i < ri.nr_sparse; i++) {
                assert_true(ri.sparse[i].offset <= ri.size);
                assert_true(ri.sparse[i].size <= ri.size - ri.sparse[i].offset);
            }
            assert_true(ri.has_fd == (nfds == 1));
        } else if (rc == 1) {
            assert_true(u32b > u32a);
            assert_true(u32b <= VUC_MAX_REGION_INFO_SIZE);
        }
        free(p);

        if (rng() % 2)
            p = fuzz_input(g_io_fds_reply, sizeof(g_io_fds_reply), &len);
        else
            p = fuzz_input(g_io_fds_reply_vfu, sizeof(g_io_fds_reply_vfu),
                           &len);
        err.text[0] = '\0';
        u32a = (uint32_t[]){16, 64, 96, (uint32_t)rng()}[rng() % 4];
        rc = vuc_wire_dec_region_io_fds_reply(p, len, nfds, 0, 0x10000, u32a,
                                              io, 8, &u32b, &need, &err);
        check_rc(rc, &err, true);
        if (rc == 1) {
            assert_true(need > u32a);
            assert_true(need <= VUC_MAX_REGION_INFO_SIZE);
            assert_int_equal(u32b, 0);
        } else if (rc == 0) {
            assert_true(u32b <= 8);
            for (uint32_t i = 0; i < u32b; i++) {
                assert_true(io[i].fd_index < nfds);
                assert_true(io[i].offset <= 0x10000);
                assert_true(io[i].size <= 0x10000 - io[i].offset);
            }
        }
        free(p);

        {
            struct vuc_irq_info q;

            p = fuzz_input(g_irq_info_reply, 16, &len);
            err.text[0] = '\0';
            rc = vuc_wire_dec_irq_info_reply(p, len, nfds % 2, 0, &q, &err);
            check_rc(rc, &err, false);
            if (rc == 0)
                assert_true(q.count <= 2048);
            free(p);
        }

        p = fuzz_input(g_region_read_reply, sizeof(g_region_read_reply), &len);
        err.text[0] = '\0';
        rc = vuc_wire_dec_region_read_reply(p, len, nfds % 2, 7, 0x40,
                                            (uint32_t)(rng() % 8), &ptr, &err);
        check_rc(rc, &err, false);
        free(p);

        p = fuzz_input(g_region_write_reply, 16, &len);
        err.text[0] = '\0';
        rc = vuc_wire_dec_region_write_reply(p, len, nfds % 2, 0, 0x1000, 4,
                                             &err);
        check_rc(rc, &err, false);
        free(p);

        p = fuzz_input(g_write_multi_reply, 8, &len);
        err.text[0] = '\0';
        rc = vuc_wire_dec_write_multi_reply(p, len, nfds % 2, 2, &err);
        check_rc(rc, &err, false);
        free(p);

        if (rng() % 2)
            p = fuzz_input(g_dma_write_req, sizeof(g_dma_write_req), &len);
        else
            p = fuzz_input(g_dma_read_req, sizeof(g_dma_read_req), &len);
        err.text[0] = '\0';
        rc = vuc_wire_dec_dma_request(
            (uint16_t)(rng() % 2 ? VFIO_USER_DMA_READ : VFIO_USER_DMA_WRITE), p,
            len, nfds % 2, 1 << 20, &u64a, &u64b, &ptr, &err);
        if (rc < 0)
            assert_int_equal(rc, -EINVAL);
        check_rc(rc, &err, false);
        if (rc == 0) {
            assert_true(u64b > 0 && u64b <= (1 << 20));
            if (ptr != NULL)
                assert_int_equal(len, 16 + u64b);
        }
        free(p);

        p = fuzz_input(g_feature_mig_reply, 16, &len);
        err.text[0] = '\0';
        rc = vuc_wire_dec_device_feature_reply(p, len, nfds % 2, 0x10001, &ptr,
                                               &sz, &err);
        check_rc(rc, &err, false);
        if (rc == 0) {
            assert_true(8 + sz <= len);
            err.text[0] = '\0';
            check_rc(vuc_wire_dec_feature_migration(ptr, sz, &u64a, &err), &err,
                     false);
            err.text[0] = '\0';
            check_rc(vuc_wire_dec_feature_mig_state(ptr, sz, &u32a, &err), &err,
                     false);
        }
        free(p);

        p = fuzz_input(g_logging_report_reply, sizeof(g_logging_report_reply),
                       &len);
        err.text[0] = '\0';
        rc = vuc_wire_dec_dma_logging_report(p, len, 0x100000, 0x41000, 4096,
                                             &ptr, &sz, &err);
        check_rc(rc, &err, false);
        if (rc == 0)
            assert_int_equal(sz, 16);
        free(p);

        p = fuzz_input(g_mig_read_reply, sizeof(g_mig_read_reply), &len);
        err.text[0] = '\0';
        rc = vuc_wire_dec_mig_data_read_reply(p, len, nfds % 2, 4, &ptr, &u32a,
                                              &err);
        check_rc(rc, &err, false);
        if (rc == 0)
            assert_int_equal(len, 8 + u32a);
        free(p);

        p = fuzz_input(g_dirty_reply, sizeof(g_dirty_reply), &len);
        err.text[0] = '\0';
        rc = vuc_wire_dec_dirty_pages_reply(p, len, nfds % 2, 0x100000, 0x40000,
                                            4096, 8, &ptr, &err);
        check_rc(rc, &err, false);
        free(p);

        {
            struct vfio_user_migration_info_v1 m;

            p = fuzz_input(g_mig_info_v1, sizeof(g_mig_info_v1), &len);
            err.text[0] = '\0';
            rc = vuc_wire_dec_migration_info_v1(p, len, 0x2000, &m, &err);
            check_rc(rc, &err, false);
            if (rc == 0 && m.data_size > 0)
                assert_true(m.data_offset >= 32 &&
                            m.data_size <= 0x2000 - m.data_offset);
            free(p);
        }

        err.text[0] = '\0';
        check_rc(
            vuc_wire_dec_empty_reply((uint16_t)rng(), rng() % 3, nfds, &err),
            &err, false);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cmd_names),
        cmocka_unit_test(test_header_encode),
        cmocka_unit_test(test_header_check),
        cmocka_unit_test(test_reply_errno),
        cmocka_unit_test(test_enc_version),
        cmocka_unit_test(test_enc_dma),
        cmocka_unit_test(test_enc_info),
        cmocka_unit_test(test_enc_set_irqs),
        cmocka_unit_test(test_enc_region_rw),
        cmocka_unit_test(test_enc_write_multi),
        cmocka_unit_test(test_enc_feature),
        cmocka_unit_test(test_enc_migration),
        cmocka_unit_test(test_dec_version),
        cmocka_unit_test(test_dec_version_hostile),
        cmocka_unit_test(test_dec_empty),
        cmocka_unit_test(test_dec_dma_unmap),
        cmocka_unit_test(test_dec_device_info),
        cmocka_unit_test(test_dec_region_info),
        cmocka_unit_test(test_dec_region_info_hostile),
        cmocka_unit_test(test_dec_io_fds),
        cmocka_unit_test(test_dec_io_fds_hostile),
        cmocka_unit_test(test_dec_irq_info),
        cmocka_unit_test(test_dec_region_rw),
        cmocka_unit_test(test_dec_write_multi),
        cmocka_unit_test(test_dec_dma_request),
        cmocka_unit_test(test_dec_feature),
        cmocka_unit_test(test_dec_logging_report),
        cmocka_unit_test(test_dec_mig_data),
        cmocka_unit_test(test_dec_dirty_pages),
        cmocka_unit_test(test_dec_migration_v1),
        cmocka_unit_test(test_fuzz),
    };

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
    printf("vuc-skip: hardware: golden vectors are little-endian, this host "
           "is not\n");
    return SKIP_RC;
#endif
    return cmocka_run_group_tests(tests, setup_globals, NULL);
}
