/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file testdev_regs.h
 * Register map of vuc-testdev, the vfio-user test device server.
 *
 * Tests include this header so that they never hard-code an offset or an
 * identity value; if the device changes, they change with it. It needs only
 * the preprocessor, so any test (C or not) can use it.
 *
 * All registers and config-space fields are little-endian.
 */
#ifndef VUC_TESTDEV_REGS_H
#define VUC_TESTDEV_REGS_H

/* ---- Regions (VFIO PCI region indexes) ----------------------------------- */

#define TESTDEV_BAR0_SIZE 0x1000u   /* registers, trapped */
#define TESTDEV_BAR1_SIZE 0x10000u  /* memory, memfd-backed */
#define TESTDEV_CONFIG_SIZE 0x1000u /* PCI Express config space */
/* BAR1: the first page is trapped (messages only), the rest may be mmap()ed;
 * this is the one area of its sparse mmap capability. */
#define TESTDEV_BAR1_MMAP_OFFSET 0x1000u
#define TESTDEV_BAR1_MMAP_SIZE (TESTDEV_BAR1_SIZE - TESTDEV_BAR1_MMAP_OFFSET)

#define TESTDEV_NUM_REGIONS 9u
#define TESTDEV_NUM_IRQS 5u
#define TESTDEV_INTX_COUNT 1u
#define TESTDEV_MSI_COUNT 1u
#define TESTDEV_MSIX_COUNT 16u
#define TESTDEV_ERR_COUNT 1u
#define TESTDEV_REQ_COUNT 1u

/* Limits of the test hooks and of what the server negotiates by default. */
#define TESTDEV_DEFAULT_MAX_DATA_XFER_SIZE (1024u * 1024u)
#define TESTDEV_DEFAULT_MAX_MSG_FDS 8u
#define TESTDEV_DEFAULT_MAX_DMA_MAPS 65535u
#define TESTDEV_PGSIZES 4096u

/* ---- BAR0 registers (32-bit) --------------------------------------------- */

/* Any access width and any length works; registers not listed read back
 * what was last written (plain memory). */
#define TESTDEV_REG_MAGIC 0x000u    /* RO */
#define TESTDEV_MAGIC 0x56554344u   /* 'VUCD' */
#define TESTDEV_REG_VERSION 0x004u  /* RO */
#define TESTDEV_VERSION 0x00010000u /* 1.0 */
/* RO: BAR0 REGION_READ/REGION_WRITE messages handled since power-on or the
 * last DEVICE_RESET. A read returns the count *before* the read itself, so
 * the first BAR0 access after a reset reads 0. Rejected messages do not
 * count. */
#define TESTDEV_REG_ACCESS_COUNT 0x008u
/* RO: low 32 bits (little-endian, zero-extended) of the data of the most
 * recent successful BAR0 REGION_WRITE, whatever its offset. 0 after reset. */
#define TESTDEV_REG_LAST_WRITE 0x00cu
#define TESTDEV_REG_SCRATCH0 0x010u /* RW, 8 registers */
#define TESTDEV_NUM_SCRATCH 8u
#define TESTDEV_REG_SCRATCH(n) (TESTDEV_REG_SCRATCH0 + 4u * (n))
/* WO, reads 0: sleep this many milliseconds before handling the next
 * message received after this write, whatever it is (provokes client
 * timeouts). The write itself is answered at once. Values are capped at
 * TESTDEV_STALL_MS_MAX; a disconnection cancels a pending stall. */
#define TESTDEV_REG_STALL_MS 0x030u
#define TESTDEV_STALL_MS_MAX 60000u
/* WO, reads 0: writing TESTDEV_CRASH_MAGIC closes the client connection
 * at once, without replying to that write (the "server vanishes
 * mid-request" case). Other values are ignored. */
#define TESTDEV_REG_CRASH 0x034u
#define TESTDEV_CRASH_MAGIC 0xdeadu

/* 0x100..0x1ff and 0x200..0x2ff are kept free for a DMA engine and an
 * interrupt trigger block; today they are plain memory. */

/* MSI-X table (16 entries of 16 bytes) and pending bit array, in BAR0 as
 * the MSI-X capability says. Plain memory. */
#define TESTDEV_MSIX_TABLE_OFFSET 0x800u
#define TESTDEV_MSIX_ENTRY_SIZE 16u
#define TESTDEV_MSIX_PBA_OFFSET 0xc00u

/* ---- PCI configuration space --------------------------------------------- */

#define TESTDEV_PCI_VENDOR_ID 0x1b36u /* Red Hat */
#define TESTDEV_PCI_DEVICE_ID 0x0005u /* QEMU PCI Test Device */
#define TESTDEV_PCI_SUBSYS_VENDOR_ID 0x1af4u
#define TESTDEV_PCI_SUBSYS_ID 0x1100u
#define TESTDEV_PCI_REVISION 0x01u
#define TESTDEV_PCI_CLASS_CODE 0x00ff00u /* 24-bit, at config 0x09 */
#define TESTDEV_PCI_INTERRUPT_PIN 0x01u  /* INTA# */

/* Writable command register bits: I/O, memory, bus master, INTx disable. */
#define TESTDEV_PCI_COMMAND_WMASK 0x0407u
/* Status bits that are write-1-to-clear (error bits 8 and 11..15). */
#define TESTDEV_PCI_STATUS_W1C 0xf900u

/* BAR register values after sizing (write all ones, read back): size mask
 * plus type bits (32-bit, non-prefetchable memory). */
#define TESTDEV_PCI_BAR0_SIZE_MASK 0xfffff000u
#define TESTDEV_PCI_BAR1_SIZE_MASK 0xffff0000u

/* Capability list, starting at the pointer at config 0x34. */
#define TESTDEV_PCI_CAP_PTR 0x40u
#define TESTDEV_PCI_CAP_PM 0x40u   /* ID 0x01, next MSI */
#define TESTDEV_PCI_CAP_MSI 0x50u  /* ID 0x05, 64-bit, 1 vector, next MSI-X */
#define TESTDEV_PCI_CAP_MSIX 0x70u /* ID 0x11, 16 vectors, next PCIe */
#define TESTDEV_PCI_CAP_EXP 0x90u  /* ID 0x10, v2 endpoint, last */
/* Extended capability list, from 0x100. */
#define TESTDEV_PCI_ECAP_DSN 0x100u /* ID 0x0003, version 1, last */
#define TESTDEV_PCI_DSN 0x1b36000556554344ull

#endif /* VUC_TESTDEV_REGS_H */
