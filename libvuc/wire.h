/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The vfio-user codec: builds request payloads and validates everything a
 * server sends, with no I/O and no allocation, so it can be unit-tested with
 * hand-written byte vectors and fuzzed on its own.
 *
 * Conventions:
 *  - Encoders write a message *payload* (what follows the 16-byte header)
 *    into buf and return its length, or -ENOSPC when cap is too small,
 *    -EMSGSIZE when the message would not fit the 32-bit msg_size, and
 *    -EINVAL for arguments the wire format cannot carry (an argsz above
 *    4 GiB, a NULL data pointer with a non-zero length, and the cases each
 *    encoder names). They do not judge values a server is meant to judge,
 *    so that conformance tests can send them. The header is written
 *    separately by vuc_wire_put_header().
 *  - Decoders take a payload and its length as received, plus whatever the
 *    request asked for, and either fill *out and return 0, or return a
 *    negative errno (-EPROTO unless stated) with a sentence in err->text that
 *    names the command and the offending value, e.g.
 *    "REGION_READ reply has count 12, expected 20".
 *  - "nfds" is how many fds arrived with the message. A decoder whose message
 *    may not carry fds rejects nfds > 0 ("DEVICE_GET_INFO reply carried 1
 *    fd, none belong"); the caller closes them.
 *  - Decoders never read outside [payload, payload + len), never trust a
 *    length, offset or count from the peer, and are safe from overflow.
 */
#ifndef VUC_WIRE_H
#define VUC_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <vuc/protocol.h>
#include <vuc/vuc.h>

struct vuc_wire_err {
    char text[256];
};

/** printf into err->text; returns -EPROTO so callers can `return`. */
int vuc_wire_fail(struct vuc_wire_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/** The command's name without the VFIO_USER_ prefix ("REGION_READ"), or
 * "UNKNOWN" for a value with no name. Static strings. */
const char *vuc_wire_cmd_name(uint16_t cmd);

/* ---- Header -------------------------------------------------------------- */

/** Fill a 16-byte header. */
void vuc_wire_put_header(struct vfio_user_header *hdr, uint16_t id,
                         uint16_t cmd, uint32_t msg_size, uint32_t flags,
                         uint32_t error_no);

/**
 * Check a received header: msg_size >= 16 and <= max_size, type bits are
 * COMMAND or REPLY, no unknown flag bits. A COMMAND must not have ERROR set.
 * @return 0 or -EPROTO ("message size 8 is below the 16-byte header",
 * "message size 16777232 exceeds the limit of 1052704").
 */
int vuc_wire_check_header(const struct vfio_user_header *hdr, size_t max_size,
                          struct vuc_wire_err *err);

/**
 * For a reply with VFIO_USER_F_ERROR: the negative errno to report. errno 0
 * or one above 4095 becomes -EIO.
 */
int vuc_wire_reply_errno(const struct vfio_user_header *hdr);

/* ---- VERSION ------------------------------------------------------------- */

/** Payload: major, minor, then json (NUL included) when json is non-NULL. */
ssize_t vuc_wire_enc_version(void *buf, size_t cap, uint16_t major,
                             uint16_t minor, const char *json);

struct vuc_wire_version {
    uint16_t major, minor;
    const char *json; /**< into the payload, NUL-terminated; NULL if absent */
    size_t json_len;  /**< strlen(json) */
};

/**
 * Decode a VERSION reply. Checks: payload >= 4; major == want_major;
 * minor <= want_minor; if longer than 4, the last byte is the JSON's NUL and
 * there is no NUL before it. A lone NUL counts as no JSON (json NULL). nfds
 * may be 0 or more (twin-socket passes one); the caller validates fd use.
 */
int vuc_wire_dec_version_reply(const void *payload, size_t len,
                               uint16_t want_major, uint16_t want_minor,
                               struct vuc_wire_version *out,
                               struct vuc_wire_err *err);

/* ---- DMA_MAP / DMA_UNMAP ------------------------------------------------- */

ssize_t vuc_wire_enc_dma_map(void *buf, size_t cap, uint32_t flags,
                             uint64_t offset, uint64_t address, uint64_t size);

/** Checks an empty payload and no fds. Used for every reply that has none
 * (DMA_MAP, SET_IRQS, DEVICE_RESET, MIG_DATA_WRITE). */
int vuc_wire_dec_empty_reply(uint16_t cmd, size_t len, unsigned nfds,
                             struct vuc_wire_err *err);

/** With get_dirty (legacy), appends a vfio_user_bitmap {pgsize, bitmap_size}
 * and sets VFIO_USER_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP; argsz covers the reply
 * including the bitmap bytes (-EINVAL when that exceeds a u32). Without it,
 * argsz is 24 (the echoed entry). */
ssize_t vuc_wire_enc_dma_unmap(void *buf, size_t cap, uint64_t address,
                               uint64_t size, bool get_dirty, uint64_t pgsize,
                               uint64_t bitmap_size);

/**
 * Decode a DMA_UNMAP reply. The server echoes the unmap entry (24 bytes);
 * some servers send an empty payload, which is accepted. If echoed, address
 * and size must match (argsz and flags are not compared). With a legacy
 * bitmap request, the reply must carry entry + vfio_user_bitmap + exactly
 * bitmap_size bytes with matching pgsize and size; *bitmap points at them
 * (NULL otherwise). No fds.
 */
int vuc_wire_dec_dma_unmap_reply(const void *payload, size_t len, unsigned nfds,
                                 uint64_t address, uint64_t size,
                                 bool get_dirty, uint64_t pgsize,
                                 uint64_t bitmap_size, const uint8_t **bitmap,
                                 struct vuc_wire_err *err);

/* ---- DEVICE_GET_INFO ----------------------------------------------------- */

ssize_t vuc_wire_enc_device_info(void *buf, size_t cap);

/** Checks: len >= 16, argsz >= 16, no fds, num_regions <= VUC_MAX_REGIONS,
 * num_irqs <= VUC_MAX_IRQ_INDEXES, no unknown flag bits other than
 * RESET/PCI (unknown bits are kept, not rejected: later VFIO flags exist). */
int vuc_wire_dec_device_info_reply(const void *payload, size_t len,
                                   unsigned nfds, struct vuc_device_info *out,
                                   struct vuc_wire_err *err);

/* ---- DEVICE_GET_REGION_INFO ---------------------------------------------- */

/** argsz is the reply space offered, normally at least 32. */
ssize_t vuc_wire_enc_region_info(void *buf, size_t cap, uint32_t index,
                                 uint32_t argsz);

/**
 * Decode a GET_REGION_INFO reply to a request with `argsz` for `index`.
 * Returns:
 *  - 0 and fills *out (has_fd = nfds == 1) when complete;
 *  - 1 with *need_argsz set when the reply's argsz exceeds what was asked
 *    (the caller closes any fd and asks again with *need_argsz); rejects a
 *    need above VUC_MAX_REGION_INFO_SIZE. Such a reply needs only its 32
 *    fixed bytes: libvfio-user cuts it at the argsz asked for, a server
 *    modelled on the kernel sends the fixed part alone;
 *  - -EPROTO for: payload < 32; index mismatch; reply argsz < 32; a
 *    complete reply shorter than its argsz; more than one fd; an fd without
 *    the MMAP flag; the MMAP flag without an fd (when size > 0); CAPS flag
 *    with cap_offset < 32 or beyond the payload, misaligned (4-byte), a cap
 *    header or body not fitting, a chain that loops or exceeds 64 entries;
 *    a sparse cap whose nr_areas exceeds VUC_MAX_SPARSE_AREAS or the space
 *    left, an area with offset + size overflowing or beyond region size;
 *    a TYPE cap shorter than 8 bytes of body; a second sparse or TYPE cap;
 *    with an fd, mmap offset + size overflowing.
 * The payload may be longer than the reply argsz; bytes past it are ignored
 * and capabilities are parsed only inside it. cap_offset is looked at only
 * with the CAPS flag. A sparse cap with nr_areas 0 gives sparse_cap true and
 * nr_sparse 0: nothing is mappable. Unknown capability ids are skipped.
 * MSIX_MAPPABLE sets msix_mappable. nr_mapped is set to 0.
 * libvfio-user before October 2022 passed one copy of the fd per sparse area;
 * such replies are rejected (more than one fd).
 */
int vuc_wire_dec_region_info_reply(const void *payload, size_t len,
                                   unsigned nfds, uint32_t index,
                                   uint32_t argsz, struct vuc_region_info *out,
                                   uint32_t *need_argsz,
                                   struct vuc_wire_err *err);

/* ---- DEVICE_GET_REGION_IO_FDS -------------------------------------------- */

ssize_t vuc_wire_enc_region_io_fds(void *buf, size_t cap, uint32_t index,
                                   uint32_t argsz);

struct vuc_wire_io_fd {
    uint64_t offset, size;
    uint32_t fd_index, type, flags;
    uint64_t datamatch; /**< or user_data for an ioregionfd */
};

/**
 * Decode a GET_REGION_IO_FDS reply for region `index` of `region_size`.
 * Returns 1 with *need_argsz when more space is needed (as region info;
 * libvfio-user then sends the 16-byte head alone, with the full count). A
 * complete reply must hold its argsz bytes.
 * Entry i is at 16 + i * ((argsz - 16) / count) of the payload: the
 * specification says (argsz - 32) / count, but its own table has a 16-byte
 * fixed part and libvfio-user sends 16 + count * entry; the stride must be
 * >= 40. Checks count <= max_entries, every entry within the payload,
 * fd_index < nfds, type known, offset + size within the region with no
 * overflow, flags known for its type, and nfds >= 1 when count > 0.
 * Also: flags must be 0 (as the specification says); count 0 with fds is
 * rejected; an ioregionfd of size 0 needs POSTED_WRITES; a size-0 entry's
 * offset must lie inside the region. Type 2 (libvfio-user's shadow
 * ioeventfd, not in the specification) is an unknown type.
 * libvfio-user sends 48-byte ioeventfd entries with datamatch at byte 40
 * (shadow fields at 28 and 32); so for an ioeventfd, datamatch is read at
 * byte 40 when the stride is 48 or more, else at byte 32 as the table says.
 * Fills entries[0..*count); *count is 0 unless 0 is returned.
 */
int vuc_wire_dec_region_io_fds_reply(const void *payload, size_t len,
                                     unsigned nfds, uint32_t index,
                                     uint64_t region_size, uint32_t argsz,
                                     struct vuc_wire_io_fd *entries,
                                     uint32_t max_entries, uint32_t *count,
                                     uint32_t *need_argsz,
                                     struct vuc_wire_err *err);

/* ---- DEVICE_GET_IRQ_INFO / DEVICE_SET_IRQS ------------------------------- */

ssize_t vuc_wire_enc_irq_info(void *buf, size_t cap, uint32_t index);

/** Checks: len >= 16, argsz >= 16, index echoed, no fds, count sane
 * (<= 2048, the MSI-X maximum). */
int vuc_wire_dec_irq_info_reply(const void *payload, size_t len, unsigned nfds,
                                uint32_t index, struct vuc_irq_info *out,
                                struct vuc_wire_err *err);

/**
 * SET_IRQS payload. flags must hold exactly one DATA and one ACTION bit.
 * With DATA_BOOL, bools[0..count) follow. With DATA_EVENTFD the eventfds
 * travel as ancillary data (count of them, or none to de-assign). The special
 * "disable all" form is DATA_NONE|ACTION_TRIGGER with start = count = 0.
 * argsz is 20, plus count with DATA_BOOL. Returns -EINVAL for bad flag
 * combinations (or unknown bits), start + count overflowing, and DATA_BOOL
 * with count > 0 but no bools.
 */
ssize_t vuc_wire_enc_set_irqs(void *buf, size_t cap, uint32_t flags,
                              uint32_t index, uint32_t start, uint32_t count,
                              const uint8_t *bools);

/* ---- REGION_READ / REGION_WRITE ------------------------------------------ */

/** REGION_READ request (16 bytes). */
ssize_t vuc_wire_enc_region_read(void *buf, size_t cap, uint32_t region,
                                 uint64_t offset, uint32_t count);

/** REGION_WRITE request: 16 bytes then count bytes of data. */
ssize_t vuc_wire_enc_region_write(void *buf, size_t cap, uint32_t region,
                                  uint64_t offset, const void *data,
                                  uint32_t count);

/**
 * Decode a REGION_READ reply: len == 16 + count, offset/region/count echo
 * the request, no fds. *data points at the count bytes. For count 0 an empty
 * payload is also accepted (libvfio-user sends one), with *data NULL.
 */
int vuc_wire_dec_region_read_reply(const void *payload, size_t len,
                                   unsigned nfds, uint32_t region,
                                   uint64_t offset, uint32_t count,
                                   const uint8_t **data,
                                   struct vuc_wire_err *err);

/** Decode a REGION_WRITE reply: 16 bytes echoing the request, no fds. For
 * count 0 an empty payload is also accepted. */
int vuc_wire_dec_region_write_reply(const void *payload, size_t len,
                                    unsigned nfds, uint32_t region,
                                    uint64_t offset, uint32_t count,
                                    struct vuc_wire_err *err);

/* ---- REGION_WRITE_MULTI -------------------------------------------------- */

/** Payload: wr_cnt then n entries (n in 1..VFIO_USER_MULTI_MAX, each count
 * in 1..8). Returns -EINVAL for a bad entry. */
ssize_t vuc_wire_enc_write_multi(void *buf, size_t cap,
                                 const struct vfio_user_write_multi_entry *e,
                                 unsigned n);

/** Reply: 8 bytes, wr_cnt == n, no fds. */
int vuc_wire_dec_write_multi_reply(const void *payload, size_t len,
                                   unsigned nfds, unsigned n,
                                   struct vuc_wire_err *err);

/* ---- DMA_READ / DMA_WRITE (server requests, client replies) -------------- */

/**
 * Decode a DMA_READ request (exactly 16 bytes) or DMA_WRITE request
 * (16 + count bytes). Checks count > 0, count <= max_xfer, address + count
 * does not overflow, and no fds (-EINVAL: the caller replies with an error
 * rather than tearing down the connection for these). *data points at the
 * written bytes for DMA_WRITE, NULL for DMA_READ. Every check, including
 * the lengths (DMA_READ exactly 16, DMA_WRITE exactly 16 + count) and a cmd
 * that is neither, returns -EINVAL.
 */
int vuc_wire_dec_dma_request(uint16_t cmd, const void *payload, size_t len,
                             unsigned nfds, uint32_t max_xfer,
                             uint64_t *address, uint64_t *count,
                             const uint8_t **data, struct vuc_wire_err *err);

/** DMA_READ reply head (16 bytes; the caller appends count data bytes) or
 * DMA_WRITE reply (16 bytes, see VFIO_USER_DMA_WRITE_REPLY_SPEC_SIZE). */
ssize_t vuc_wire_enc_dma_reply(void *buf, size_t cap, uint64_t address,
                               uint64_t count);

/* ---- DEVICE_FEATURE ------------------------------------------------------ */

/** Payload: argsz, flags, then data_len bytes of data. argsz is the reply
 * space wanted; -EINVAL when it is below 8 + data_len. For SET and PROBE
 * pass exactly 8 + data_len: libvfio-user echoes the request verbatim,
 * argsz included, and the decoder wants argsz <= the reply's length. */
ssize_t vuc_wire_enc_device_feature(void *buf, size_t cap, uint32_t flags,
                                    uint32_t argsz, const void *data,
                                    size_t data_len);

/**
 * Decode a DEVICE_FEATURE reply: len >= 8, flags echo the request's, no fds,
 * 8 <= argsz <= len (bytes past argsz are ignored). *data and *data_len
 * describe the bytes between the 8-byte head and argsz.
 */
int vuc_wire_dec_device_feature_reply(const void *payload, size_t len,
                                      unsigned nfds, uint32_t flags,
                                      const uint8_t **data, size_t *data_len,
                                      struct vuc_wire_err *err);

/** MIGRATION feature data (8 bytes): flags must include STOP_COPY and only
 * known bits. */
int vuc_wire_dec_feature_migration(const uint8_t *data, size_t len,
                                   uint64_t *flags, struct vuc_wire_err *err);

/** MIG_DEVICE_STATE data (8 bytes): device_state < NUM_STATES and not a
 * P2P state. */
int vuc_wire_dec_feature_mig_state(const uint8_t *data, size_t len,
                                   uint32_t *state, struct vuc_wire_err *err);

/** DMA_LOGGING_START/STOP data: control + n ranges. */
ssize_t vuc_wire_enc_dma_logging_control(
    void *buf, size_t cap, uint64_t page_size,
    const struct vfio_user_dma_logging_range *ranges, uint32_t n);

/** DMA_LOGGING_REPORT data: iova, length, page_size (power of two);
 * -EINVAL when vuc_wire_bitmap_size(length, page_size) is 0. */
ssize_t vuc_wire_enc_dma_logging_report(void *buf, size_t cap, uint64_t iova,
                                        uint64_t length, uint64_t page_size);

/**
 * Decode DMA_LOGGING_REPORT reply data: echoes iova, length, page_size, then
 * exactly the bitmap size that length/page_size needs, rounded up to u64
 * words. *bitmap points at it. -EINVAL (not -EPROTO) when length/page_size
 * need no valid bitmap, i.e. the request could not have been sent.
 */
int vuc_wire_dec_dma_logging_report(const uint8_t *data, size_t len,
                                    uint64_t iova, uint64_t length,
                                    uint64_t page_size, const uint8_t **bitmap,
                                    size_t *bitmap_len,
                                    struct vuc_wire_err *err);

/** Bytes of bitmap for length at page_size, rounded up to u64 words; 0 on
 * overflow or a page size that is not a power of two. */
uint64_t vuc_wire_bitmap_size(uint64_t length, uint64_t page_size);

/* ---- MIG_DATA_READ / MIG_DATA_WRITE -------------------------------------- */

/** argsz is 8 + size, the reply that a full read needs. */
ssize_t vuc_wire_enc_mig_data_read(void *buf, size_t cap, uint32_t size);

/** Reply: len >= 8, size <= asked, argsz == 8 + size, no fds, and
 * 8 + size <= len <= 8 + asked (libvfio-user zero-pads a short read up to
 * the size asked). */
int vuc_wire_dec_mig_data_read_reply(const void *payload, size_t len,
                                     unsigned nfds, uint32_t asked,
                                     const uint8_t **data, uint32_t *size,
                                     struct vuc_wire_err *err);

/** argsz is 8 + size: the reply has no payload, but libvfio-user rejects an
 * argsz below the request's size. */
ssize_t vuc_wire_enc_mig_data_write(void *buf, size_t cap, const void *data,
                                    uint32_t size);

/* ---- Legacy DIRTY_PAGES (14) --------------------------------------------- */

/** START or STOP: 8 bytes, argsz 8; -EINVAL for any other flag. */
ssize_t vuc_wire_enc_dirty_pages_ctl(void *buf, size_t cap, uint32_t flag);

/** GET_BITMAP: dirty_pages + bitmap_range (8 + 32 bytes); argsz covers the
 * reply, 40 + bitmap_size (-EINVAL beyond a u32). The 0.9.1 reply table says
 * the range is 40 bytes; libvfio-user, the server that implements this,
 * uses the 32-byte vfio_user_bitmap_range, and so do we. */
ssize_t vuc_wire_enc_dirty_pages_get(void *buf, size_t cap, uint64_t iova,
                                     uint64_t size, uint64_t pgsize,
                                     uint64_t bitmap_size);

/** GET_BITMAP reply: 8 + 32 + bitmap_size bytes, argsz equal to that,
 * flags GET_BITMAP, range and bitmap header echo the request, no fds. */
int vuc_wire_dec_dirty_pages_reply(const void *payload, size_t len,
                                   unsigned nfds, uint64_t iova, uint64_t size,
                                   uint64_t pgsize, uint64_t bitmap_size,
                                   const uint8_t **bitmap,
                                   struct vuc_wire_err *err);

/* ---- Legacy v1 migration region ------------------------------------------ */

/**
 * Validate the v1 migration info read from the start of the migration region
 * (32 bytes): device_state has only the RUNNING/SAVING/RESUMING bits, and is
 * one of the states the 0.9.1 table defines (RESUMING|RUNNING and all three
 * bits set are invalid; RESUMING|SAVING is the error state, accepted and
 * reported as such); when data_size > 0, [data_offset, data_offset +
 * data_size) lies within region_size, after the 32-byte header, with no
 * overflow.
 */
int vuc_wire_dec_migration_info_v1(const void *buf, size_t len,
                                   uint64_t region_size,
                                   struct vfio_user_migration_info_v1 *out,
                                   struct vuc_wire_err *err);

#endif /* VUC_WIRE_H */
