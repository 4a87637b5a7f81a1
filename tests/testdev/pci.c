/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PCI configuration space of the test device.
 *
 * Real identities and a real capability chain, so that a client's config
 * space parsing meets what it would meet on hardware. Writes go through a
 * per-byte writable mask and a write-1-to-clear mask, which is all it takes
 * to make read-only fields, BAR sizing and status bits behave as on real
 * hardware; the one field a mask cannot express (PM power state) has a
 * fix-up.
 */
#include <string.h>

#include "testdev.h"

/* Standard header offsets and capability ids (PCI Local Bus 3.0, PCIe 4.0). */
#define CFG_VENDOR_ID 0x00
#define CFG_DEVICE_ID 0x02
#define CFG_COMMAND 0x04
#define CFG_STATUS 0x06
#define CFG_REVISION 0x08
#define CFG_CLASS_PROG 0x09
#define CFG_CACHE_LINE 0x0c
#define CFG_HEADER_TYPE 0x0e
#define CFG_BAR0 0x10
#define CFG_BAR1 0x14
#define CFG_SUBSYS_VENDOR 0x2c
#define CFG_SUBSYS_ID 0x2e
#define CFG_CAP_PTR 0x34
#define CFG_INT_LINE 0x3c
#define CFG_INT_PIN 0x3d

#define STATUS_CAP_LIST 0x0010

#define CAP_ID_PM 0x01
#define CAP_ID_MSI 0x05
#define CAP_ID_EXP 0x10
#define CAP_ID_MSIX 0x11
#define ECAP_ID_DSN 0x0003

#define PM_PMC 2
#define PM_PMCSR 4
#define PMC_VERSION_1_2 0x0003
#define PMCSR_STATE_MASK 0x0003
#define PMCSR_NO_SOFT_RESET 0x0008

#define MSI_FLAGS 2
#define MSI_ADDR_LO 4
#define MSI_ADDR_HI 8
#define MSI_DATA_64 12
#define MSI_FLAGS_ENABLE 0x0001
#define MSI_FLAGS_64BIT 0x0080

#define MSIX_FLAGS 2
#define MSIX_TABLE 4
#define MSIX_PBA 8
#define MSIX_FLAGS_ENABLE 0x8000
#define MSIX_FLAGS_MASKALL 0x4000

#define EXP_FLAGS 2
#define EXP_DEVCAP 4
#define EXP_DEVCTL 8
#define EXP_DEVSTA 10
#define EXP_LNKCAP 12
#define EXP_LNKCTL 16
#define EXP_LNKSTA 18
#define EXP_LNKCAP2 44
#define EXP_LNKCTL2 48
#define EXP_FLAGS_V2_ENDPOINT 0x0002 /* version 2, type 0: endpoint */
#define EXP_DEVCAP_RBER 0x00008000
/* Error reporting enables, relaxed ordering, no snoop, max read request;
 * max payload stays at the only size we support (128 bytes). */
#define EXP_DEVCTL_WMASK 0x781f
#define EXP_DEVCTL_DEFAULT 0x2810 /* 512-byte MRRS, RO and NS enabled */
#define EXP_DEVSTA_W1C 0x000f
#define EXP_LNK_X1_2_5GT 0x0011 /* speed 2.5 GT/s, width x1 */
#define EXP_LNKCTL_WMASK 0x00c0 /* common clock, extended synch */
#define EXP_LNKCAP2_2_5GT 0x00000002

static void set8(uint8_t *a, uint32_t off, uint8_t v)
{
    a[off] = v;
}

static void set16(uint8_t *a, uint32_t off, uint16_t v)
{
    a[off] = (uint8_t)v;
    a[off + 1] = (uint8_t)(v >> 8);
}

static void set32(uint8_t *a, uint32_t off, uint32_t v)
{
    set16(a, off, (uint16_t)v);
    set16(a, off + 2, (uint16_t)(v >> 16));
}

static uint16_t get16(const uint8_t *a, uint32_t off)
{
    return (uint16_t)(a[off] | a[off + 1] << 8);
}

void pci_init(struct td_pci *pci)
{
    uint8_t *c = pci->cfg, *w = pci->wmask, *w1c = pci->w1cmask;
    const uint32_t pm = TESTDEV_PCI_CAP_PM, msi = TESTDEV_PCI_CAP_MSI;
    const uint32_t msix = TESTDEV_PCI_CAP_MSIX, exp = TESTDEV_PCI_CAP_EXP;
    const uint32_t dsn = TESTDEV_PCI_ECAP_DSN;

    memset(pci, 0, sizeof(*pci));

    set16(c, CFG_VENDOR_ID, TESTDEV_PCI_VENDOR_ID);
    set16(c, CFG_DEVICE_ID, TESTDEV_PCI_DEVICE_ID);
    set16(w, CFG_COMMAND, TESTDEV_PCI_COMMAND_WMASK);
    set16(c, CFG_STATUS, STATUS_CAP_LIST);
    set16(w1c, CFG_STATUS, TESTDEV_PCI_STATUS_W1C);
    set8(c, CFG_REVISION, TESTDEV_PCI_REVISION);
    set8(c, CFG_CLASS_PROG, (uint8_t)TESTDEV_PCI_CLASS_CODE);
    set16(c, CFG_CLASS_PROG + 1, (uint16_t)(TESTDEV_PCI_CLASS_CODE >> 8));
    set8(w, CFG_CACHE_LINE, 0xff);
    set8(c, CFG_HEADER_TYPE, 0x00);
    /* BARs: the address bits above the size are writable, the size and type
     * bits are not, so writing all ones reads back the size mask. Both BARs
     * are 32-bit non-prefetchable memory (type bits 0); BAR2-5 and the ROM
     * BAR are unimplemented and read as 0. */
    set32(w, CFG_BAR0, TESTDEV_PCI_BAR0_SIZE_MASK);
    set32(w, CFG_BAR1, TESTDEV_PCI_BAR1_SIZE_MASK);
    set16(c, CFG_SUBSYS_VENDOR, TESTDEV_PCI_SUBSYS_VENDOR_ID);
    set16(c, CFG_SUBSYS_ID, TESTDEV_PCI_SUBSYS_ID);
    set8(c, CFG_CAP_PTR, TESTDEV_PCI_CAP_PTR);
    set8(w, CFG_INT_LINE, 0xff);
    set8(c, CFG_INT_PIN, TESTDEV_PCI_INTERRUPT_PIN);

    /* Power Management: D0 and D3hot only; no PME. */
    set8(c, pm, CAP_ID_PM);
    set8(c, pm + 1, (uint8_t)msi);
    set16(c, pm + PM_PMC, PMC_VERSION_1_2);
    set16(c, pm + PM_PMCSR, PMCSR_NO_SOFT_RESET);
    set16(w, pm + PM_PMCSR, PMCSR_STATE_MASK);

    /* MSI: one vector, 64-bit addresses, no per-vector masking. */
    set8(c, msi, CAP_ID_MSI);
    set8(c, msi + 1, (uint8_t)msix);
    set16(c, msi + MSI_FLAGS, MSI_FLAGS_64BIT);
    set16(w, msi + MSI_FLAGS, MSI_FLAGS_ENABLE);
    set32(w, msi + MSI_ADDR_LO, 0xfffffffc); /* dword aligned */
    set32(w, msi + MSI_ADDR_HI, 0xffffffff);
    set16(w, msi + MSI_DATA_64, 0xffff);

    /* MSI-X: table and PBA in BAR0 (BIR 0). */
    set8(c, msix, CAP_ID_MSIX);
    set8(c, msix + 1, (uint8_t)exp);
    set16(c, msix + MSIX_FLAGS, TESTDEV_MSIX_COUNT - 1);
    set16(w, msix + MSIX_FLAGS, MSIX_FLAGS_ENABLE | MSIX_FLAGS_MASKALL);
    set32(c, msix + MSIX_TABLE, TESTDEV_MSIX_TABLE_OFFSET | 0);
    set32(c, msix + MSIX_PBA, TESTDEV_MSIX_PBA_OFFSET | 0);

    /* PCI Express v2 endpoint, x1 at 2.5 GT/s; the end of the chain. */
    set8(c, exp, CAP_ID_EXP);
    set8(c, exp + 1, 0);
    set16(c, exp + EXP_FLAGS, EXP_FLAGS_V2_ENDPOINT);
    set32(c, exp + EXP_DEVCAP, EXP_DEVCAP_RBER);
    set16(c, exp + EXP_DEVCTL, EXP_DEVCTL_DEFAULT);
    set16(w, exp + EXP_DEVCTL, EXP_DEVCTL_WMASK);
    set16(w1c, exp + EXP_DEVSTA, EXP_DEVSTA_W1C);
    set32(c, exp + EXP_LNKCAP, EXP_LNK_X1_2_5GT);
    set16(w, exp + EXP_LNKCTL, EXP_LNKCTL_WMASK);
    set16(c, exp + EXP_LNKSTA, EXP_LNK_X1_2_5GT);
    set32(c, exp + EXP_LNKCAP2, EXP_LNKCAP2_2_5GT);
    set16(c, exp + EXP_LNKCTL2, 0x0001); /* target speed 2.5 GT/s */

    /* Extended capabilities: Device Serial Number, the only one. */
    set32(c, dsn, ECAP_ID_DSN | (1u << 16) | (0u << 20)); /* v1, next 0 */
    set32(c, dsn + 4, (uint32_t)TESTDEV_PCI_DSN);
    set32(c, dsn + 8, (uint32_t)(TESTDEV_PCI_DSN >> 32));
}

void pci_read(const struct td_pci *pci, uint32_t off, uint32_t count,
              uint8_t *buf)
{
    memcpy(buf, pci->cfg + off, count);
}

void pci_write(struct td_pci *pci, uint32_t off, uint32_t count,
               const uint8_t *buf)
{
    const uint32_t pmcsr = TESTDEV_PCI_CAP_PM + PM_PMCSR;
    uint16_t old_state = get16(pci->cfg, pmcsr) & PMCSR_STATE_MASK;
    uint32_t i;

    for (i = 0; i < count; i++) {
        uint32_t a = off + i;
        uint8_t v = pci->cfg[a];

        v = (uint8_t)((v & ~pci->wmask[a]) | (buf[i] & pci->wmask[a]));
        v = (uint8_t)(v & ~(buf[i] & pci->w1cmask[a]));
        pci->cfg[a] = v;
    }

    /* D1 and D2 are not supported: like hardware, ignore a request for
     * them and stay in the current state. */
    if (off <= pmcsr && off + count > pmcsr) {
        uint16_t v = get16(pci->cfg, pmcsr);
        uint16_t state = v & PMCSR_STATE_MASK;

        if (state == 1 || state == 2)
            set16(pci->cfg, pmcsr,
                  (uint16_t)((v & ~PMCSR_STATE_MASK) | old_state));
    }
}

long pci_image_check(const uint8_t cfg[TESTDEV_CONFIG_SIZE])
{
    /* 12 KiB: built once, not on the stack. */
    static struct td_pci fresh;
    static bool ready;
    const uint32_t pmcsr = TESTDEV_PCI_CAP_PM + PM_PMCSR;
    uint16_t state;
    uint32_t i;

    if (!ready) {
        pci_init(&fresh);
        ready = true;
    }
    /* Write-1-to-clear bits are 0 at power-on and no write sets them, so
     * they are covered too. */
    for (i = 0; i < TESTDEV_CONFIG_SIZE; i++)
        if ((cfg[i] ^ fresh.cfg[i]) & (uint8_t)~fresh.wmask[i])
            return (long)i;
    state = get16(cfg, pmcsr) & PMCSR_STATE_MASK;
    if (state == 1 || state == 2)
        return (long)pmcsr;
    return -1;
}
