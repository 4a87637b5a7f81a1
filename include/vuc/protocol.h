/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file vuc/protocol.h
 * The vfio-user wire format: message layouts and constants.
 *
 * This header is self-contained (it needs only <stdint.h>) so that servers,
 * fuzzers and tools can use it without the rest of libvuc. Layouts follow the
 * vfio-user specification, text 0.9.2 ("Protocol Specification" and the
 * per-command sections), plus the legacy pieces of the 0.9.1 text that older
 * servers still speak (VFIO_USER_DIRTY_PAGES and the v1 migration region).
 *
 * All fields are in host byte order, as the specification requires. Every
 * struct is packed and its size is checked at compile time, so a struct can
 * be overlaid on a received buffer only after its length has been checked.
 *
 * Constants that mirror <linux/vfio.h> carry a VFIO_USER_ prefix so that this
 * header can be included next to the kernel's without clashes.
 */
#ifndef VUC_PROTOCOL_H
#define VUC_PROTOCOL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Commands ("Commands" table) ---------------------------------------- */

enum vfio_user_command {
    VFIO_USER_VERSION = 1,
    VFIO_USER_DMA_MAP = 2,
    VFIO_USER_DMA_UNMAP = 3,
    VFIO_USER_DEVICE_GET_INFO = 4,
    VFIO_USER_DEVICE_GET_REGION_INFO = 5,
    VFIO_USER_DEVICE_GET_REGION_IO_FDS = 6,
    VFIO_USER_DEVICE_GET_IRQ_INFO = 7,
    VFIO_USER_DEVICE_SET_IRQS = 8,
    VFIO_USER_REGION_READ = 9,
    VFIO_USER_REGION_WRITE = 10,
    VFIO_USER_DMA_READ = 11,
    VFIO_USER_DMA_WRITE = 12,
    VFIO_USER_DEVICE_RESET = 13,
    VFIO_USER_DIRTY_PAGES = 14, /* legacy, 0.9.1 text only */
    VFIO_USER_REGION_WRITE_MULTI = 15,
    VFIO_USER_DEVICE_FEATURE = 16,
    VFIO_USER_MIG_DATA_READ = 17,
    VFIO_USER_MIG_DATA_WRITE = 18,
    VFIO_USER_MAX_COMMAND = 19,
};

/** A command's name without the VFIO_USER_ prefix ("REGION_READ"), or
 * NULL for a number the protocol does not define. Static strings. */
static inline const char *vfio_user_command_name(uint16_t cmd)
{
    switch (cmd) {
    case VFIO_USER_VERSION:
        return "VERSION";
    case VFIO_USER_DMA_MAP:
        return "DMA_MAP";
    case VFIO_USER_DMA_UNMAP:
        return "DMA_UNMAP";
    case VFIO_USER_DEVICE_GET_INFO:
        return "DEVICE_GET_INFO";
    case VFIO_USER_DEVICE_GET_REGION_INFO:
        return "DEVICE_GET_REGION_INFO";
    case VFIO_USER_DEVICE_GET_REGION_IO_FDS:
        return "DEVICE_GET_REGION_IO_FDS";
    case VFIO_USER_DEVICE_GET_IRQ_INFO:
        return "DEVICE_GET_IRQ_INFO";
    case VFIO_USER_DEVICE_SET_IRQS:
        return "DEVICE_SET_IRQS";
    case VFIO_USER_REGION_READ:
        return "REGION_READ";
    case VFIO_USER_REGION_WRITE:
        return "REGION_WRITE";
    case VFIO_USER_DMA_READ:
        return "DMA_READ";
    case VFIO_USER_DMA_WRITE:
        return "DMA_WRITE";
    case VFIO_USER_DEVICE_RESET:
        return "DEVICE_RESET";
    case VFIO_USER_DIRTY_PAGES:
        return "DIRTY_PAGES";
    case VFIO_USER_REGION_WRITE_MULTI:
        return "REGION_WRITE_MULTI";
    case VFIO_USER_DEVICE_FEATURE:
        return "DEVICE_FEATURE";
    case VFIO_USER_MIG_DATA_READ:
        return "MIG_DATA_READ";
    case VFIO_USER_MIG_DATA_WRITE:
        return "MIG_DATA_WRITE";
    default:
        return 0;
    }
}

/* ---- Header ("Header") --------------------------------------------------- */

struct vfio_user_header {
    uint16_t msg_id;
    uint16_t cmd;
    uint32_t msg_size; /* whole message, header included */
    uint32_t flags;
    uint32_t error_no; /* valid in a reply with VFIO_USER_F_ERROR */
} __attribute__((packed));

#define VFIO_USER_HDR_SIZE 16u

#define VFIO_USER_F_TYPE_MASK 0xfu
#define VFIO_USER_F_TYPE_COMMAND 0x0u
#define VFIO_USER_F_TYPE_REPLY 0x1u
#define VFIO_USER_F_NO_REPLY 0x10u
#define VFIO_USER_F_ERROR 0x20u

/* ---- VERSION ("VFIO_USER_VERSION") --------------------------------------- */

/* Followed by optional NUL-terminated UTF-8 JSON. */
struct vfio_user_version {
    uint16_t major;
    uint16_t minor;
} __attribute__((packed));

/* Defaults a peer must assume when a capability is absent. */
#define VFIO_USER_DEFAULT_MAX_MSG_FDS 1u
#define VFIO_USER_DEFAULT_MAX_DATA_XFER_SIZE (1024u * 1024u)
#define VFIO_USER_DEFAULT_MAX_DMA_MAPS 65535u
#define VFIO_USER_DEFAULT_PGSIZES 4096ull

/* ---- DMA_MAP / DMA_UNMAP ------------------------------------------------- */

struct vfio_user_dma_map {
    uint32_t argsz; /* 32: size of this structure */
    uint32_t flags;
    uint64_t offset; /* file offset into the passed fd, 0 without one */
    uint64_t address;
    uint64_t size;
} __attribute__((packed));

#define VFIO_USER_F_DMA_REGION_READ (1u << 0)
#define VFIO_USER_F_DMA_REGION_WRITE (1u << 1)

struct vfio_user_dma_unmap {
    uint32_t argsz;
    uint32_t flags;
    uint64_t address;
    uint64_t size;
} __attribute__((packed));

/* Legacy (0.9.1): ask for the dirty bitmap of the range being unmapped. */
#define VFIO_USER_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP (1u << 0)

/* Legacy (0.9.1) "VFIO Bitmap": follows the unmap entry when the flag is set,
 * and in a DIRTY_PAGES bitmap range; the bitmap bytes follow it in a reply. */
struct vfio_user_bitmap {
    uint64_t pgsize;
    uint64_t size; /* bytes of bitmap, excluding this header */
} __attribute__((packed));

/* ---- DEVICE_GET_INFO ----------------------------------------------------- */

struct vfio_user_device_info {
    uint32_t argsz;
    uint32_t flags;
    uint32_t num_regions;
    uint32_t num_irqs;
} __attribute__((packed));

#define VFIO_USER_DEVICE_FLAGS_RESET (1u << 0)
#define VFIO_USER_DEVICE_FLAGS_PCI (1u << 1)

/* ---- DEVICE_GET_REGION_INFO ---------------------------------------------- */

struct vfio_user_region_info {
    uint32_t argsz;
    uint32_t flags;
    uint32_t index;
    uint32_t cap_offset; /* from the start of this structure */
    uint64_t size;
    uint64_t offset; /* mmap() offset into the passed fd */
} __attribute__((packed));

#define VFIO_USER_REGION_INFO_FLAG_READ (1u << 0)
#define VFIO_USER_REGION_INFO_FLAG_WRITE (1u << 1)
#define VFIO_USER_REGION_INFO_FLAG_MMAP (1u << 2)
#define VFIO_USER_REGION_INFO_FLAG_CAPS (1u << 3)

/* "VFIO cap header format" */
struct vfio_user_info_cap_header {
    uint16_t id;
    uint16_t version;
    uint32_t next; /* from the start of the region info structure; 0 ends */
} __attribute__((packed));

#define VFIO_USER_REGION_INFO_CAP_SPARSE_MMAP 1u
#define VFIO_USER_REGION_INFO_CAP_TYPE 2u
#define VFIO_USER_REGION_INFO_CAP_MSIX_MAPPABLE 3u

struct vfio_user_region_sparse_mmap_area {
    uint64_t offset; /* from the start of the region */
    uint64_t size;
} __attribute__((packed));

/* Follows its cap header; nr_areas areas follow it. */
struct vfio_user_region_info_cap_sparse_mmap {
    uint32_t nr_areas;
    uint32_t reserved;
} __attribute__((packed));

/* Follows its cap header. */
struct vfio_user_region_info_cap_type {
    uint32_t type;
    uint32_t subtype;
} __attribute__((packed));

/* Region type of the v1 (0.9.1) migration region. */
#define VFIO_USER_REGION_TYPE_MIGRATION 3u
#define VFIO_USER_REGION_SUBTYPE_MIGRATION 1u

/* VFIO-PCI region indexes. */
enum vfio_user_pci_region {
    VFIO_USER_PCI_BAR0_REGION_INDEX = 0,
    VFIO_USER_PCI_BAR1_REGION_INDEX = 1,
    VFIO_USER_PCI_BAR2_REGION_INDEX = 2,
    VFIO_USER_PCI_BAR3_REGION_INDEX = 3,
    VFIO_USER_PCI_BAR4_REGION_INDEX = 4,
    VFIO_USER_PCI_BAR5_REGION_INDEX = 5,
    VFIO_USER_PCI_ROM_REGION_INDEX = 6,
    VFIO_USER_PCI_CONFIG_REGION_INDEX = 7,
    VFIO_USER_PCI_VGA_REGION_INDEX = 8,
    VFIO_USER_PCI_NUM_REGIONS = 9,
};

/* VFIO-PCI irq indexes. */
enum vfio_user_pci_irq {
    VFIO_USER_PCI_INTX_IRQ_INDEX = 0,
    VFIO_USER_PCI_MSI_IRQ_INDEX = 1,
    VFIO_USER_PCI_MSIX_IRQ_INDEX = 2,
    VFIO_USER_PCI_ERR_IRQ_INDEX = 3,
    VFIO_USER_PCI_REQ_IRQ_INDEX = 4,
    VFIO_USER_PCI_NUM_IRQS = 5,
};

/* ---- DEVICE_GET_REGION_IO_FDS -------------------------------------------- */

struct vfio_user_region_io_fds_request {
    uint32_t argsz;
    uint32_t flags;
    uint32_t index;
    uint32_t count;
} __attribute__((packed));

/* The reply is the same 16 bytes followed by count sub-regions. */
struct vfio_user_region_io_fds_reply {
    uint32_t argsz;
    uint32_t flags;
    uint32_t index;
    uint32_t count;
} __attribute__((packed));

#define VFIO_USER_IO_FD_TYPE_IOEVENTFD 0u
#define VFIO_USER_IO_FD_TYPE_IOREGIONFD 1u

/* Both sub-region layouts share this shape; the last field is datamatch for
 * an ioeventfd and user_data for an ioregionfd. */
struct vfio_user_sub_region_io_fd {
    uint64_t offset;
    uint64_t size;
    uint32_t fd_index;
    uint32_t type;
    uint32_t flags;
    uint32_t padding;
    uint64_t datamatch_or_user_data;
} __attribute__((packed));

/* KVM_IOEVENTFD / ioregionfd flag values used by sub-regions. */
#define VFIO_USER_IOEVENTFD_FLAG_DATAMATCH (1u << 0)
#define VFIO_USER_IOEVENTFD_FLAG_PIO (1u << 1)
#define VFIO_USER_IOEVENTFD_FLAG_VIRTIO_CCW_NOTIFY (1u << 2)
#define VFIO_USER_IOREGIONFD_FLAG_PIO (1u << 0)
#define VFIO_USER_IOREGIONFD_FLAG_POSTED_WRITES (1u << 1)

/* ---- DEVICE_GET_IRQ_INFO / DEVICE_SET_IRQS ------------------------------- */

struct vfio_user_irq_info {
    uint32_t argsz;
    uint32_t flags;
    uint32_t index;
    uint32_t count;
} __attribute__((packed));

#define VFIO_USER_IRQ_INFO_EVENTFD (1u << 0)
#define VFIO_USER_IRQ_INFO_MASKABLE (1u << 1)
#define VFIO_USER_IRQ_INFO_AUTOMASKED (1u << 2)
#define VFIO_USER_IRQ_INFO_NORESIZE (1u << 3)

/* Followed by count bool bytes with DATA_BOOL; eventfds travel as SCM_RIGHTS.
 */
struct vfio_user_irq_set {
    uint32_t argsz;
    uint32_t flags;
    uint32_t index;
    uint32_t start;
    uint32_t count;
} __attribute__((packed));

#define VFIO_USER_IRQ_SET_DATA_NONE (1u << 0)
#define VFIO_USER_IRQ_SET_DATA_BOOL (1u << 1)
#define VFIO_USER_IRQ_SET_DATA_EVENTFD (1u << 2)
#define VFIO_USER_IRQ_SET_ACTION_MASK (1u << 3)
#define VFIO_USER_IRQ_SET_ACTION_UNMASK (1u << 4)
#define VFIO_USER_IRQ_SET_ACTION_TRIGGER (1u << 5)
#define VFIO_USER_IRQ_SET_DATA_TYPE_MASK                                       \
    (VFIO_USER_IRQ_SET_DATA_NONE | VFIO_USER_IRQ_SET_DATA_BOOL |               \
     VFIO_USER_IRQ_SET_DATA_EVENTFD)
#define VFIO_USER_IRQ_SET_ACTION_TYPE_MASK                                     \
    (VFIO_USER_IRQ_SET_ACTION_MASK | VFIO_USER_IRQ_SET_ACTION_UNMASK |         \
     VFIO_USER_IRQ_SET_ACTION_TRIGGER)

/* ---- REGION_READ / REGION_WRITE ------------------------------------------ */

/* Request and reply; data follows for a write request and a read reply. */
struct vfio_user_region_access {
    uint64_t offset;
    uint32_t region;
    uint32_t count;
} __attribute__((packed));

/* ---- DMA_READ / DMA_WRITE (server -> client) ----------------------------- */

/* DMA_READ request and reply, DMA_WRITE request; data follows for a read
 * reply and a write request. */
struct vfio_user_dma_access {
    uint64_t address;
    uint64_t count;
} __attribute__((packed));

/* The spec's DMA_WRITE reply table gives count 4 bytes; libvfio-user and QEMU
 * send and expect the same 16-byte structure as DMA_READ. We send 16 and
 * accept either. */
#define VFIO_USER_DMA_WRITE_REPLY_SPEC_SIZE 12u

/* ---- REGION_WRITE_MULTI -------------------------------------------------- */

#define VFIO_USER_MULTI_DATA 8u
#define VFIO_USER_MULTI_MAX 200u /* entries per message (QEMU's limit) */

struct vfio_user_write_multi_entry {
    uint64_t offset;
    uint32_t region;
    uint32_t count; /* at most VFIO_USER_MULTI_DATA */
    uint8_t data[VFIO_USER_MULTI_DATA];
} __attribute__((packed));

/* Request header; wr_cnt entries follow. The reply is this alone. */
struct vfio_user_write_multi {
    uint64_t wr_cnt;
} __attribute__((packed));

/* ---- DEVICE_FEATURE ------------------------------------------------------ */

struct vfio_user_device_feature {
    uint32_t argsz;
    uint32_t flags;
} __attribute__((packed));

#define VFIO_USER_DEVICE_FEATURE_MASK 0xffffu
#define VFIO_USER_DEVICE_FEATURE_GET (1u << 16)
#define VFIO_USER_DEVICE_FEATURE_SET (1u << 17)
#define VFIO_USER_DEVICE_FEATURE_PROBE (1u << 18)

#define VFIO_USER_DEVICE_FEATURE_MIGRATION 1u
#define VFIO_USER_DEVICE_FEATURE_MIG_DEVICE_STATE 2u
#define VFIO_USER_DEVICE_FEATURE_DMA_LOGGING_START 6u
#define VFIO_USER_DEVICE_FEATURE_DMA_LOGGING_STOP 7u
#define VFIO_USER_DEVICE_FEATURE_DMA_LOGGING_REPORT 8u

struct vfio_user_device_feature_migration {
    uint64_t flags;
} __attribute__((packed));

#define VFIO_USER_MIGRATION_STOP_COPY (1u << 0)
#define VFIO_USER_MIGRATION_P2P (1u << 1)
#define VFIO_USER_MIGRATION_PRE_COPY (1u << 2)

struct vfio_user_device_feature_mig_state {
    uint32_t device_state;
    uint32_t data_fd; /* unused in vfio-user */
} __attribute__((packed));

enum vfio_user_device_mig_state {
    VFIO_USER_DEVICE_STATE_ERROR = 0,
    VFIO_USER_DEVICE_STATE_STOP = 1,
    VFIO_USER_DEVICE_STATE_RUNNING = 2,
    VFIO_USER_DEVICE_STATE_STOP_COPY = 3,
    VFIO_USER_DEVICE_STATE_RESUMING = 4,
    VFIO_USER_DEVICE_STATE_RUNNING_P2P = 5,
    VFIO_USER_DEVICE_STATE_PRE_COPY = 6,
    VFIO_USER_DEVICE_STATE_PRE_COPY_P2P = 7,
    VFIO_USER_DEVICE_NUM_STATES = 8,
};

struct vfio_user_dma_logging_range {
    uint64_t iova;
    uint64_t length;
} __attribute__((packed));

/* DMA_LOGGING_START/STOP data; num_ranges ranges follow. */
struct vfio_user_dma_logging_control {
    uint64_t page_size;
    uint32_t num_ranges;
    uint32_t reserved;
} __attribute__((packed));

/* DMA_LOGGING_REPORT data; the reply appends the bitmap (u64 words). */
struct vfio_user_dma_logging_report {
    uint64_t iova;
    uint64_t length;
    uint64_t page_size;
} __attribute__((packed));

/* ---- MIG_DATA_READ / MIG_DATA_WRITE -------------------------------------- */

/* Request of a read; reply of a read and request of a write carry data. */
struct vfio_user_mig_data {
    uint32_t argsz;
    uint32_t size;
} __attribute__((packed));

/* ---- Legacy DIRTY_PAGES (0.9.1 text, command 14) ------------------------- */

struct vfio_user_dirty_pages {
    uint32_t argsz;
    uint32_t flags;
} __attribute__((packed));

#define VFIO_USER_DIRTY_PAGES_FLAG_START (1u << 0)
#define VFIO_USER_DIRTY_PAGES_FLAG_STOP (1u << 1)
#define VFIO_USER_DIRTY_PAGES_FLAG_GET_BITMAP (1u << 2)

/* Follows vfio_user_dirty_pages for GET_BITMAP, in request and reply; the
 * reply appends bitmap.size bytes of bitmap. */
struct vfio_user_bitmap_range {
    uint64_t iova;
    uint64_t size;
    struct vfio_user_bitmap bitmap;
} __attribute__((packed));

/* ---- Legacy v1 migration region (0.9.1 "VFIO Device Migration Info") ----- */

struct vfio_user_migration_info_v1 {
    uint32_t device_state;
    uint32_t reserved;
    uint64_t pending_bytes;
    uint64_t data_offset;
    uint64_t data_size;
} __attribute__((packed));

#define VFIO_USER_DEVICE_STATE_V1_STOP 0u
#define VFIO_USER_DEVICE_STATE_V1_RUNNING (1u << 0)
#define VFIO_USER_DEVICE_STATE_V1_SAVING (1u << 1)
#define VFIO_USER_DEVICE_STATE_V1_RESUMING (1u << 2)
#define VFIO_USER_DEVICE_STATE_V1_MASK 0x7u

/* ---- Layout checks ------------------------------------------------------- */

#ifndef __cplusplus
#define VUC_PROTO_SIZE(t, n) _Static_assert(sizeof(struct t) == (n), #t " size")
#else
#define VUC_PROTO_SIZE(t, n) static_assert(sizeof(struct t) == (n), #t " size")
#endif
VUC_PROTO_SIZE(vfio_user_header, 16);
VUC_PROTO_SIZE(vfio_user_version, 4);
VUC_PROTO_SIZE(vfio_user_dma_map, 32);
VUC_PROTO_SIZE(vfio_user_dma_unmap, 24);
VUC_PROTO_SIZE(vfio_user_bitmap, 16);
VUC_PROTO_SIZE(vfio_user_device_info, 16);
VUC_PROTO_SIZE(vfio_user_region_info, 32);
VUC_PROTO_SIZE(vfio_user_info_cap_header, 8);
VUC_PROTO_SIZE(vfio_user_region_sparse_mmap_area, 16);
VUC_PROTO_SIZE(vfio_user_region_info_cap_sparse_mmap, 8);
VUC_PROTO_SIZE(vfio_user_region_info_cap_type, 8);
VUC_PROTO_SIZE(vfio_user_region_io_fds_request, 16);
VUC_PROTO_SIZE(vfio_user_sub_region_io_fd, 40);
VUC_PROTO_SIZE(vfio_user_irq_info, 16);
VUC_PROTO_SIZE(vfio_user_irq_set, 20);
VUC_PROTO_SIZE(vfio_user_region_access, 16);
VUC_PROTO_SIZE(vfio_user_dma_access, 16);
VUC_PROTO_SIZE(vfio_user_write_multi_entry, 24);
VUC_PROTO_SIZE(vfio_user_write_multi, 8);
VUC_PROTO_SIZE(vfio_user_device_feature, 8);
VUC_PROTO_SIZE(vfio_user_device_feature_migration, 8);
VUC_PROTO_SIZE(vfio_user_device_feature_mig_state, 8);
VUC_PROTO_SIZE(vfio_user_dma_logging_range, 16);
VUC_PROTO_SIZE(vfio_user_dma_logging_control, 16);
VUC_PROTO_SIZE(vfio_user_dma_logging_report, 24);
VUC_PROTO_SIZE(vfio_user_mig_data, 8);
VUC_PROTO_SIZE(vfio_user_dirty_pages, 8);
VUC_PROTO_SIZE(vfio_user_bitmap_range, 32);
VUC_PROTO_SIZE(vfio_user_migration_info_v1, 32);
#undef VUC_PROTO_SIZE

#ifdef __cplusplus
}
#endif

#endif /* VUC_PROTOCOL_H */
