/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file vuc/pci.h
 * PCI helpers over config space: typed access, capability walks, MSI-X
 * and BAR decoding. They block, like the blocking layer's calls.
 */
#ifndef VUC_VUC_PCI_H
#define VUC_VUC_PCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vuc/client.h>
#include <vuc/irq.h>

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

/* ---- PCI helpers (blocking) ---------------------------------------------- */
/* Each runs the client's event base until done: not from a callback. */

/** @name Config space access
 * Typed config-space access (little-endian, as PCI defines); each returns
 * 0 or the error of the region access.
 * @{ */
/** Read 8 bits. @param client the client. @param off offset in config
 * space. @param val receives the value. @return 0 or a negative errno. */
int vuc_cfg_read8(struct vuc_client *client, uint32_t off, uint8_t *val);
/** Read 16 bits. @param client the client. @param off offset in config
 * space. @param val receives the value. @return 0 or a negative errno. */
int vuc_cfg_read16(struct vuc_client *client, uint32_t off, uint16_t *val);
/** Read 32 bits. @param client the client. @param off offset in config
 * space. @param val receives the value. @return 0 or a negative errno. */
int vuc_cfg_read32(struct vuc_client *client, uint32_t off, uint32_t *val);
/** Write 8 bits. @param client the client. @param off offset in
 * config space. @param val the value. @return 0 or a negative errno. */
int vuc_cfg_write8(struct vuc_client *client, uint32_t off, uint8_t val);
/** Write 16 bits. @param client the client. @param off offset in
 * config space. @param val the value. @return 0 or a negative errno. */
int vuc_cfg_write16(struct vuc_client *client, uint32_t off, uint16_t val);
/** Write 32 bits. @param client the client. @param off offset in
 * config space. @param val the value. @return 0 or a negative errno. */
int vuc_cfg_write32(struct vuc_client *client, uint32_t off, uint32_t val);
/** @} */

/** A PCI capability found in config space. */
struct vuc_pci_cap {
    uint16_t id;     /**< capability id (8-bit for standard ones) */
    uint16_t offset; /**< in config space */
    bool extended;   /**< from the PCI Express extended list (0x100+) */
    uint8_t version; /**< extended capabilities only */
};

/**
 * Walk the standard and extended capability lists into caps (at most max
 * entries). The walk is bounded and stops with -ELOOP on a list that
 * revisits an entry, -EPROTO on a pointer into the header or off the
 * config space.
 * @param client the client.
 * @param caps receives the capabilities.
 * @param max entries of caps.
 * @return the number found (which may exceed max), or a negative errno.
 */
int vuc_pci_caps(struct vuc_client *client, struct vuc_pci_cap *caps,
                 unsigned max);

/**
 * Find a capability.
 * @param client the client.
 * @param id capability id.
 * @param extended look for an extended capability.
 * @return the offset of the first capability with this id, -ENOENT, or
 * another negative errno.
 */
int vuc_pci_find_cap(struct vuc_client *client, uint16_t id, bool extended);

/** The MSI-X capability, decoded. */
struct vuc_pci_msix {
    uint16_t offset;       /**< of the capability */
    uint16_t table_size;   /**< vectors */
    uint8_t table_bar;     /**< BAR of the vector table */
    uint8_t pba_bar;       /**< BAR of the pending bit array */
    uint32_t table_offset; /**< in its BAR */
    uint32_t pba_offset;   /**< in its BAR */
    bool enabled;          /**< MSI-X Enable */
    bool masked;           /**< Function Mask */
};

/**
 * Decode the MSI-X capability.
 * @param client the client.
 * @param out receives it.
 * @return 0, -ENOENT without one, or another negative errno.
 */
int vuc_pci_msix(struct vuc_client *client, struct vuc_pci_msix *out);

/**
 * Enable MSI-X the way a driver does: vectors [0, nvec) through SET_IRQS
 * with library-owned eventfds and cb, then the enable bit in the MSI-X
 * message control register. vuc_pci_msix_disable() undoes both.
 * @param client the client.
 * @param nvec vectors.
 * @param cb called for each signalled vector.
 * @param cb_arg passed to cb.
 * @return 0, or a negative errno.
 */
int vuc_pci_msix_enable(struct vuc_client *client, uint32_t nvec, vuc_irq_cb cb,
                        void *cb_arg);

/**
 * Undo vuc_pci_msix_enable(): clear the enable bit, disable the vectors.
 * @param client the client.
 * @return 0, or a negative errno.
 */
int vuc_pci_msix_disable(struct vuc_client *client);

/** A BAR, decoded. */
struct vuc_pci_bar {
    bool present;      /**< region size > 0 */
    bool io;           /**< I/O space, else memory */
    bool is64;         /**< 64-bit memory BAR (takes this slot and the next) */
    bool prefetchable; /**< prefetchable memory */
    uint64_t address;  /**< what the BAR register(s) hold */
    uint64_t size;     /**< from the region info, not by sizing writes */
};

/**
 * Decode a BAR from config space and region info.
 * @param client the client.
 * @param n the BAR, 0 to 5.
 * @param out receives it.
 * @return 0, -EINVAL, -ENODEV, or the error of the config read.
 */
int vuc_pci_bar(struct vuc_client *client, unsigned n, struct vuc_pci_bar *out);

/** @name PCI command register bits
 * @{ */
#define VUC_PCI_COMMAND_IO 0x0001u           /**< I/O space enable */
#define VUC_PCI_COMMAND_MEMORY 0x0002u       /**< memory space enable */
#define VUC_PCI_COMMAND_MASTER 0x0004u       /**< bus master enable */
#define VUC_PCI_COMMAND_INTX_DISABLE 0x0400u /**< INTx disable */
/** @} */

/**
 * Read-modify-write of the command register: set, then clear, bits.
 * @param client the client.
 * @param set bits to set (VUC_PCI_COMMAND_*).
 * @param clear bits to clear.
 * @param old receives the previous value (may be NULL).
 * @return 0, or the error of the config access.
 */
int vuc_pci_command(struct vuc_client *client, uint16_t set, uint16_t clear,
                    uint16_t *old);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* VUC_VUC_PCI_H */
