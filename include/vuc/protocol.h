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

/** Command numbers: the cmd field of struct vfio_user_header. */
enum vfio_user_command {
    VFIO_USER_VERSION = 1,         /**< negotiate version and capabilities */
    VFIO_USER_DMA_MAP = 2,         /**< client memory for device DMA */
    VFIO_USER_DMA_UNMAP = 3,       /**< withdraw a DMA map */
    VFIO_USER_DEVICE_GET_INFO = 4, /**< device flags, region and irq counts */
    VFIO_USER_DEVICE_GET_REGION_INFO = 5,   /**< one region's layout */
    VFIO_USER_DEVICE_GET_REGION_IO_FDS = 6, /**< ioeventfds of a region */
    VFIO_USER_DEVICE_GET_IRQ_INFO = 7,      /**< one irq index's flags */
    VFIO_USER_DEVICE_SET_IRQS = 8,     /**< eventfds, mask, unmask, trigger */
    VFIO_USER_REGION_READ = 9,         /**< read device memory */
    VFIO_USER_REGION_WRITE = 10,       /**< write device memory */
    VFIO_USER_DMA_READ = 11,           /**< server reads client memory */
    VFIO_USER_DMA_WRITE = 12,          /**< server writes client memory */
    VFIO_USER_DEVICE_RESET = 13,       /**< reset the device */
    VFIO_USER_DIRTY_PAGES = 14,        /**< legacy, 0.9.1 text only */
    VFIO_USER_REGION_WRITE_MULTI = 15, /**< several small writes at once */
    VFIO_USER_DEVICE_FEATURE = 16,     /**< migration and DMA logging */
    VFIO_USER_MIG_DATA_READ = 17,      /**< read migration data */
    VFIO_USER_MIG_DATA_WRITE = 18,     /**< write migration data */
    VFIO_USER_MAX_COMMAND = 19,        /**< one past the highest command */
};

/**
 * A command's name without the VFIO_USER_ prefix.
 * @param cmd a command number (enum vfio_user_command).
 * @return a static string such as "REGION_READ", or NULL for a number the
 * protocol does not define.
 */
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

/** The header that starts every message, command or reply. */
struct vfio_user_header {
    uint16_t msg_id;   /**< chosen by the sender; a reply repeats it */
    uint16_t cmd;      /**< enum vfio_user_command */
    uint32_t msg_size; /**< whole message, header included */
    uint32_t flags;    /**< VFIO_USER_F_* */
    uint32_t error_no; /**< valid in a reply with VFIO_USER_F_ERROR */
} __attribute__((packed));

/** Size of struct vfio_user_header on the wire. */
#define VFIO_USER_HDR_SIZE 16u

/** @name Header flags (vfio_user_header.flags)
 * @{ */
#define VFIO_USER_F_TYPE_MASK 0xfu    /**< bits that hold the message type */
#define VFIO_USER_F_TYPE_COMMAND 0x0u /**< type: a command */
#define VFIO_USER_F_TYPE_REPLY 0x1u   /**< type: a reply */
#define VFIO_USER_F_NO_REPLY 0x10u    /**< command: send no reply */
#define VFIO_USER_F_ERROR 0x20u       /**< reply: error_no holds an errno */
/** @} */

/* ---- VERSION ("VFIO_USER_VERSION") --------------------------------------- */

/** VERSION request and reply; optional NUL-terminated UTF-8 JSON (the
 * capabilities) follows. */
struct vfio_user_version {
    uint16_t major; /**< protocol major version */
    uint16_t minor; /**< protocol minor version */
} __attribute__((packed));

/** @name Capability defaults
 * What a peer must assume when a capability is absent from VERSION.
 * @{ */
#define VFIO_USER_DEFAULT_MAX_MSG_FDS 1u                     /**< max_msg_fds */
#define VFIO_USER_DEFAULT_MAX_DATA_XFER_SIZE (1024u * 1024u) /**< bytes */
#define VFIO_USER_DEFAULT_MAX_DMA_MAPS 65535u /**< max_dma_maps */
#define VFIO_USER_DEFAULT_PGSIZES 4096ull     /**< pgsizes */
/** @} */

/* ---- DMA_MAP / DMA_UNMAP ------------------------------------------------- */

/** DMA_MAP request; the memory's fd, if any, travels as SCM_RIGHTS. */
struct vfio_user_dma_map {
    uint32_t argsz;   /**< 32: size of this structure */
    uint32_t flags;   /**< VFIO_USER_F_DMA_REGION_READ / _WRITE */
    uint64_t offset;  /**< file offset into the passed fd, 0 without one */
    uint64_t address; /**< IOVA where the device sees the memory */
    uint64_t size;    /**< bytes */
} __attribute__((packed));

/** @name DMA map flags (vfio_user_dma_map.flags)
 * @{ */
#define VFIO_USER_F_DMA_REGION_READ (1u << 0)  /**< the device may read */
#define VFIO_USER_F_DMA_REGION_WRITE (1u << 1) /**< the device may write */
/** @} */

/** DMA_UNMAP request and reply. */
struct vfio_user_dma_unmap {
    uint32_t argsz;   /**< size of this structure (and a bitmap) */
    uint32_t flags;   /**< VFIO_USER_DMA_UNMAP_FLAG_* */
    uint64_t address; /**< IOVA of the map */
    uint64_t size;    /**< bytes; the whole map */
} __attribute__((packed));

/** Legacy (0.9.1): ask for the dirty bitmap of the range being unmapped. */
#define VFIO_USER_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP (1u << 0)

/** Legacy (0.9.1) "VFIO Bitmap": follows the unmap entry when the flag is set,
 * and in a DIRTY_PAGES bitmap range; the bitmap bytes follow it in a reply. */
struct vfio_user_bitmap {
    uint64_t pgsize; /**< bytes of memory per bit */
    uint64_t size;   /**< bytes of bitmap, excluding this header */
} __attribute__((packed));

/* ---- DEVICE_GET_INFO ----------------------------------------------------- */

/** DEVICE_GET_INFO request and reply. */
struct vfio_user_device_info {
    uint32_t argsz;       /**< size of this structure */
    uint32_t flags;       /**< VFIO_USER_DEVICE_FLAGS_* */
    uint32_t num_regions; /**< region indexes 0 .. num_regions - 1 */
    uint32_t num_irqs;    /**< irq indexes 0 .. num_irqs - 1 */
} __attribute__((packed));

/** @name Device flags (vfio_user_device_info.flags)
 * @{ */
#define VFIO_USER_DEVICE_FLAGS_RESET (1u << 0) /**< DEVICE_RESET works */
#define VFIO_USER_DEVICE_FLAGS_PCI (1u << 1)   /**< a PCI device */
/** @} */

/* ---- DEVICE_GET_REGION_INFO ---------------------------------------------- */

/** DEVICE_GET_REGION_INFO request and reply; capabilities follow in a
 * reply with VFIO_USER_REGION_INFO_FLAG_CAPS. */
struct vfio_user_region_info {
    uint32_t argsz;      /**< size of this structure and its capabilities */
    uint32_t flags;      /**< VFIO_USER_REGION_INFO_FLAG_* */
    uint32_t index;      /**< region index */
    uint32_t cap_offset; /**< from the start of this structure */
    uint64_t size;       /**< bytes */
    uint64_t offset;     /**< mmap() offset into the passed fd */
} __attribute__((packed));

/** @name Region flags (vfio_user_region_info.flags)
 * @{ */
#define VFIO_USER_REGION_INFO_FLAG_READ (1u << 0)  /**< readable */
#define VFIO_USER_REGION_INFO_FLAG_WRITE (1u << 1) /**< writeable */
#define VFIO_USER_REGION_INFO_FLAG_MMAP (1u << 2)  /**< mappable by its fd */
#define VFIO_USER_REGION_INFO_FLAG_CAPS (1u << 3)  /**< capabilities follow */
/** @} */

/** The header that starts each region info capability ("VFIO cap header
 * format"). */
struct vfio_user_info_cap_header {
    uint16_t id;      /**< VFIO_USER_REGION_INFO_CAP_* */
    uint16_t version; /**< capability version */
    uint32_t next;    /**< from the start of the region info; 0 ends */
} __attribute__((packed));

/** @name Region info capability ids (vfio_user_info_cap_header.id)
 * @{ */
#define VFIO_USER_REGION_INFO_CAP_SPARSE_MMAP 1u /**< mappable areas */
#define VFIO_USER_REGION_INFO_CAP_TYPE 2u        /**< region type */
#define VFIO_USER_REGION_INFO_CAP_MSIX_MAPPABLE                                \
    3u /**< MSI-X table mappable                                               \
        */
/** @} */

/** One mappable area of a sparse region. */
struct vfio_user_region_sparse_mmap_area {
    uint64_t offset; /**< from the start of the region */
    uint64_t size;   /**< bytes */
} __attribute__((packed));

/** Follows its cap header; nr_areas areas follow it. */
struct vfio_user_region_info_cap_sparse_mmap {
    uint32_t nr_areas; /**< struct vfio_user_region_sparse_mmap_area count */
    uint32_t reserved; /**< zero */
} __attribute__((packed));

/** Follows its cap header. */
struct vfio_user_region_info_cap_type {
    uint32_t type;    /**< region type */
    uint32_t subtype; /**< region subtype */
} __attribute__((packed));

/** Region type of the v1 (0.9.1) migration region. */
#define VFIO_USER_REGION_TYPE_MIGRATION 3u
/** Region subtype of the v1 (0.9.1) migration region. */
#define VFIO_USER_REGION_SUBTYPE_MIGRATION 1u

/** VFIO-PCI region indexes. */
enum vfio_user_pci_region {
    VFIO_USER_PCI_BAR0_REGION_INDEX = 0,   /**< BAR 0 */
    VFIO_USER_PCI_BAR1_REGION_INDEX = 1,   /**< BAR 1 */
    VFIO_USER_PCI_BAR2_REGION_INDEX = 2,   /**< BAR 2 */
    VFIO_USER_PCI_BAR3_REGION_INDEX = 3,   /**< BAR 3 */
    VFIO_USER_PCI_BAR4_REGION_INDEX = 4,   /**< BAR 4 */
    VFIO_USER_PCI_BAR5_REGION_INDEX = 5,   /**< BAR 5 */
    VFIO_USER_PCI_ROM_REGION_INDEX = 6,    /**< expansion ROM */
    VFIO_USER_PCI_CONFIG_REGION_INDEX = 7, /**< PCI config space */
    VFIO_USER_PCI_VGA_REGION_INDEX = 8,    /**< legacy VGA ranges */
    VFIO_USER_PCI_NUM_REGIONS = 9,         /**< how many VFIO-PCI defines */
};

/** VFIO-PCI irq indexes. */
enum vfio_user_pci_irq {
    VFIO_USER_PCI_INTX_IRQ_INDEX = 0, /**< legacy INTx */
    VFIO_USER_PCI_MSI_IRQ_INDEX = 1,  /**< MSI */
    VFIO_USER_PCI_MSIX_IRQ_INDEX = 2, /**< MSI-X */
    VFIO_USER_PCI_ERR_IRQ_INDEX = 3,  /**< error reporting */
    VFIO_USER_PCI_REQ_IRQ_INDEX = 4,  /**< device release request */
    VFIO_USER_PCI_NUM_IRQS = 5,       /**< how many VFIO-PCI defines */
};

/* ---- DEVICE_GET_REGION_IO_FDS -------------------------------------------- */

/** DEVICE_GET_REGION_IO_FDS request. */
struct vfio_user_region_io_fds_request {
    uint32_t argsz; /**< room for the reply, sub-regions included */
    uint32_t flags; /**< zero */
    uint32_t index; /**< region index */
    uint32_t count; /**< zero in a request */
} __attribute__((packed));

/** DEVICE_GET_REGION_IO_FDS reply: the same 16 bytes, followed by count
 * sub-regions (struct vfio_user_sub_region_io_fd). */
struct vfio_user_region_io_fds_reply {
    uint32_t argsz; /**< size the whole reply needs */
    uint32_t flags; /**< zero */
    uint32_t index; /**< region index */
    uint32_t count; /**< sub-regions that follow */
} __attribute__((packed));

/** @name Sub-region types (vfio_user_sub_region_io_fd.type)
 * @{ */
#define VFIO_USER_IO_FD_TYPE_IOEVENTFD 0u  /**< an ioeventfd */
#define VFIO_USER_IO_FD_TYPE_IOREGIONFD 1u /**< an ioregionfd */
/** @} */

/** Both sub-region layouts share this shape; the last field is datamatch for
 * an ioeventfd and user_data for an ioregionfd. */
struct vfio_user_sub_region_io_fd {
    uint64_t offset;   /**< from the start of the region */
    uint64_t size;     /**< access width; 0 for any */
    uint32_t fd_index; /**< into the fds passed with the reply */
    uint32_t type;     /**< VFIO_USER_IO_FD_TYPE_* */
    uint32_t flags;    /**< VFIO_USER_IOEVENTFD_FLAG_* or _IOREGIONFD_ */
    uint32_t padding;  /**< zero */
    uint64_t datamatch_or_user_data; /**< value to match, or user data */
} __attribute__((packed));

/** @name Sub-region flags (vfio_user_sub_region_io_fd.flags)
 * The KVM_IOEVENTFD and ioregionfd flag values.
 * @{ */
#define VFIO_USER_IOEVENTFD_FLAG_DATAMATCH (1u << 0) /**< only that value */
#define VFIO_USER_IOEVENTFD_FLAG_PIO (1u << 1)       /**< port I/O */
#define VFIO_USER_IOEVENTFD_FLAG_VIRTIO_CCW_NOTIFY (1u << 2) /**< s390 */
#define VFIO_USER_IOREGIONFD_FLAG_PIO (1u << 0)              /**< port I/O */
#define VFIO_USER_IOREGIONFD_FLAG_POSTED_WRITES (1u << 1)    /**< no replies */
/** @} */

/* ---- DEVICE_GET_IRQ_INFO / DEVICE_SET_IRQS ------------------------------- */

/** DEVICE_GET_IRQ_INFO request and reply. */
struct vfio_user_irq_info {
    uint32_t argsz; /**< size of this structure */
    uint32_t flags; /**< VFIO_USER_IRQ_INFO_* */
    uint32_t index; /**< irq index */
    uint32_t count; /**< vectors */
} __attribute__((packed));

/** @name Irq index flags (vfio_user_irq_info.flags)
 * @{ */
#define VFIO_USER_IRQ_INFO_EVENTFD (1u << 0)    /**< signals eventfds */
#define VFIO_USER_IRQ_INFO_MASKABLE (1u << 1)   /**< mask and unmask work */
#define VFIO_USER_IRQ_INFO_AUTOMASKED (1u << 2) /**< masked on each event */
#define VFIO_USER_IRQ_INFO_NORESIZE (1u << 3)   /**< no growing while on */
/** @} */

/** DEVICE_SET_IRQS request: followed by count bool bytes with DATA_BOOL;
 * eventfds travel as SCM_RIGHTS. */
struct vfio_user_irq_set {
    uint32_t argsz; /**< size of this structure and its data */
    uint32_t flags; /**< one VFIO_USER_IRQ_SET_DATA_* and one _ACTION_* */
    uint32_t index; /**< irq index */
    uint32_t start; /**< first vector */
    uint32_t count; /**< vectors; 0 with DATA_NONE disables the index */
} __attribute__((packed));

/** @name SET_IRQS flags (vfio_user_irq_set.flags)
 * One DATA type and one ACTION.
 * @{ */
#define VFIO_USER_IRQ_SET_DATA_NONE (1u << 0)      /**< every vector */
#define VFIO_USER_IRQ_SET_DATA_BOOL (1u << 1)      /**< one byte per vector */
#define VFIO_USER_IRQ_SET_DATA_EVENTFD (1u << 2)   /**< one fd per vector */
#define VFIO_USER_IRQ_SET_ACTION_MASK (1u << 3)    /**< mask */
#define VFIO_USER_IRQ_SET_ACTION_UNMASK (1u << 4)  /**< unmask */
#define VFIO_USER_IRQ_SET_ACTION_TRIGGER (1u << 5) /**< signal, or set fds */
/** the DATA bits */
#define VFIO_USER_IRQ_SET_DATA_TYPE_MASK                                       \
    (VFIO_USER_IRQ_SET_DATA_NONE | VFIO_USER_IRQ_SET_DATA_BOOL |               \
     VFIO_USER_IRQ_SET_DATA_EVENTFD)
/** the ACTION bits */
#define VFIO_USER_IRQ_SET_ACTION_TYPE_MASK                                     \
    (VFIO_USER_IRQ_SET_ACTION_MASK | VFIO_USER_IRQ_SET_ACTION_UNMASK |         \
     VFIO_USER_IRQ_SET_ACTION_TRIGGER)
/** @} */

/* ---- REGION_READ / REGION_WRITE ------------------------------------------ */

/** REGION_READ and REGION_WRITE, request and reply; data follows for a
 * write request and a read reply. */
struct vfio_user_region_access {
    uint64_t offset; /**< from the start of the region */
    uint32_t region; /**< region index */
    uint32_t count;  /**< bytes */
} __attribute__((packed));

/* ---- DMA_READ / DMA_WRITE (server -> client) ----------------------------- */

/** DMA_READ request and reply, DMA_WRITE request; data follows for a read
 * reply and a write request. */
struct vfio_user_dma_access {
    uint64_t address; /**< IOVA */
    uint64_t count;   /**< bytes */
} __attribute__((packed));

/** The size of a DMA_WRITE reply in the specification's table, which gives
 * count 4 bytes; libvfio-user and QEMU send and expect the same 16-byte
 * structure as DMA_READ. libvuc sends 16 and accepts either. */
#define VFIO_USER_DMA_WRITE_REPLY_SPEC_SIZE 12u

/* ---- REGION_WRITE_MULTI -------------------------------------------------- */

/** Data bytes in one REGION_WRITE_MULTI entry. */
#define VFIO_USER_MULTI_DATA 8u
/** Entries per REGION_WRITE_MULTI message (QEMU's limit). */
#define VFIO_USER_MULTI_MAX 200u

/** One write of a REGION_WRITE_MULTI request. */
struct vfio_user_write_multi_entry {
    uint64_t offset; /**< from the start of the region */
    uint32_t region; /**< region index */
    uint32_t count;  /**< bytes, at most VFIO_USER_MULTI_DATA */
    uint8_t data[VFIO_USER_MULTI_DATA]; /**< the bytes, then padding */
} __attribute__((packed));

/** REGION_WRITE_MULTI request header; wr_cnt entries follow. The reply is
 * this alone. */
struct vfio_user_write_multi {
    uint64_t wr_cnt; /**< entries */
} __attribute__((packed));

/* ---- DEVICE_FEATURE ------------------------------------------------------ */

/** DEVICE_FEATURE request and reply; the feature's data follows. */
struct vfio_user_device_feature {
    uint32_t argsz; /**< size of this structure and the data */
    uint32_t flags; /**< a feature number and GET, SET or PROBE */
} __attribute__((packed));

/** @name DEVICE_FEATURE flags (vfio_user_device_feature.flags)
 * @{ */
#define VFIO_USER_DEVICE_FEATURE_MASK 0xffffu     /**< the feature number */
#define VFIO_USER_DEVICE_FEATURE_GET (1u << 16)   /**< read the feature */
#define VFIO_USER_DEVICE_FEATURE_SET (1u << 17)   /**< write the feature */
#define VFIO_USER_DEVICE_FEATURE_PROBE (1u << 18) /**< ask if supported */
/** @} */

/** @name Device features (VFIO_USER_DEVICE_FEATURE_MASK bits)
 * @{ */
#define VFIO_USER_DEVICE_FEATURE_MIGRATION 1u          /**< migration flags */
#define VFIO_USER_DEVICE_FEATURE_MIG_DEVICE_STATE 2u   /**< migration state */
#define VFIO_USER_DEVICE_FEATURE_DMA_LOGGING_START 6u  /**< dirty logging on */
#define VFIO_USER_DEVICE_FEATURE_DMA_LOGGING_STOP 7u   /**< dirty logging off */
#define VFIO_USER_DEVICE_FEATURE_DMA_LOGGING_REPORT 8u /**< dirty bitmap */
/** @} */

/** Data of the MIGRATION feature. */
struct vfio_user_device_feature_migration {
    uint64_t flags; /**< VFIO_USER_MIGRATION_* */
} __attribute__((packed));

/** @name Migration flags (vfio_user_device_feature_migration.flags)
 * @{ */
#define VFIO_USER_MIGRATION_STOP_COPY (1u << 0) /**< STOP_COPY supported */
#define VFIO_USER_MIGRATION_P2P (1u << 1)       /**< the P2P states */
#define VFIO_USER_MIGRATION_PRE_COPY (1u << 2)  /**< the PRE_COPY states */
/** @} */

/** Data of the MIG_DEVICE_STATE feature. */
struct vfio_user_device_feature_mig_state {
    uint32_t device_state; /**< enum vfio_user_device_mig_state */
    uint32_t data_fd;      /**< unused in vfio-user */
} __attribute__((packed));

/** Migration states of the current specification. */
enum vfio_user_device_mig_state {
    VFIO_USER_DEVICE_STATE_ERROR = 0,        /**< failed; reset to leave */
    VFIO_USER_DEVICE_STATE_STOP = 1,         /**< not running */
    VFIO_USER_DEVICE_STATE_RUNNING = 2,      /**< running normally */
    VFIO_USER_DEVICE_STATE_STOP_COPY = 3,    /**< stopped, state readable */
    VFIO_USER_DEVICE_STATE_RESUMING = 4,     /**< stopped, state writeable */
    VFIO_USER_DEVICE_STATE_RUNNING_P2P = 5,  /**< running, no P2P DMA */
    VFIO_USER_DEVICE_STATE_PRE_COPY = 6,     /**< running, state readable */
    VFIO_USER_DEVICE_STATE_PRE_COPY_P2P = 7, /**< PRE_COPY, no P2P DMA */
    VFIO_USER_DEVICE_NUM_STATES = 8,         /**< how many states there are */
};

/** One range of DMA_LOGGING_START. */
struct vfio_user_dma_logging_range {
    uint64_t iova;   /**< start */
    uint64_t length; /**< bytes */
} __attribute__((packed));

/** DMA_LOGGING_START/STOP data; num_ranges ranges follow. */
struct vfio_user_dma_logging_control {
    uint64_t page_size;  /**< bytes of memory per bitmap bit */
    uint32_t num_ranges; /**< struct vfio_user_dma_logging_range count */
    uint32_t reserved;   /**< zero */
} __attribute__((packed));

/** DMA_LOGGING_REPORT data; the reply appends the bitmap (u64 words). */
struct vfio_user_dma_logging_report {
    uint64_t iova;      /**< start of the range */
    uint64_t length;    /**< bytes */
    uint64_t page_size; /**< bytes of memory per bitmap bit */
} __attribute__((packed));

/* ---- MIG_DATA_READ / MIG_DATA_WRITE -------------------------------------- */

/** MIG_DATA_READ request and reply, MIG_DATA_WRITE request; the reply of a
 * read and the request of a write carry data after it. */
struct vfio_user_mig_data {
    uint32_t argsz; /**< size of this structure and the data */
    uint32_t size;  /**< bytes of data asked for or carried */
} __attribute__((packed));

/* ---- Legacy DIRTY_PAGES (0.9.1 text, command 14) ------------------------- */

/** Legacy DIRTY_PAGES request and reply (0.9.1). */
struct vfio_user_dirty_pages {
    uint32_t argsz; /**< size of this structure and what follows */
    uint32_t flags; /**< one VFIO_USER_DIRTY_PAGES_FLAG_* */
} __attribute__((packed));

/** @name Legacy DIRTY_PAGES flags (vfio_user_dirty_pages.flags)
 * @{ */
#define VFIO_USER_DIRTY_PAGES_FLAG_START (1u << 0)      /**< start logging */
#define VFIO_USER_DIRTY_PAGES_FLAG_STOP (1u << 1)       /**< stop logging */
#define VFIO_USER_DIRTY_PAGES_FLAG_GET_BITMAP (1u << 2) /**< report pages */
/** @} */

/** Follows vfio_user_dirty_pages for GET_BITMAP, in request and reply; the
 * reply appends bitmap.size bytes of bitmap. */
struct vfio_user_bitmap_range {
    uint64_t iova;                  /**< start of the range */
    uint64_t size;                  /**< bytes */
    struct vfio_user_bitmap bitmap; /**< page size and bitmap size */
} __attribute__((packed));

/* ---- Legacy v1 migration region (0.9.1 "VFIO Device Migration Info") ----- */

/** The start of the v1 (0.9.1) migration region. */
struct vfio_user_migration_info_v1 {
    uint32_t device_state;  /**< VFIO_USER_DEVICE_STATE_V1_* bits */
    uint32_t reserved;      /**< zero */
    uint64_t pending_bytes; /**< state data still to read */
    uint64_t data_offset;   /**< where the data window starts */
    uint64_t data_size;     /**< bytes in the data window */
} __attribute__((packed));

/** @name Legacy v1 device state bits (vfio_user_migration_info_v1)
 * @{ */
#define VFIO_USER_DEVICE_STATE_V1_STOP 0u            /**< none: stopped */
#define VFIO_USER_DEVICE_STATE_V1_RUNNING (1u << 0)  /**< running */
#define VFIO_USER_DEVICE_STATE_V1_SAVING (1u << 1)   /**< state readable */
#define VFIO_USER_DEVICE_STATE_V1_RESUMING (1u << 2) /**< state writeable */
#define VFIO_USER_DEVICE_STATE_V1_MASK 0x7u          /**< the valid bits */
/** @} */

/* ---- Layout checks ------------------------------------------------------- */
/** @cond */

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
/** @endcond */

#ifdef __cplusplus
}
#endif

#endif /* VUC_PROTOCOL_H */
