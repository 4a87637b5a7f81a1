/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PCI configuration space, for every personality.
 *
 * Writes go through a per-byte writable mask and a write-1-to-clear mask,
 * which is all it takes to make read-only fields, BAR sizing and status
 * bits behave as on real hardware; the one field a mask cannot express
 * (PM power state) has a fix-up. The image itself is the personality's,
 * built with the helpers here so that BAR types, capability headers and
 * MSI-X are laid out as the specification says in one place.
 */
#include <string.h>

#include "pcicfg.h"
#include "testdev.h"

void pci_set8(uint8_t *a, uint32_t off, uint8_t v)
{
    a[off] = v;
}

void pci_set16(uint8_t *a, uint32_t off, uint16_t v)
{
    a[off] = (uint8_t)v;
    a[off + 1] = (uint8_t)(v >> 8);
}

void pci_set32(uint8_t *a, uint32_t off, uint32_t v)
{
    pci_set16(a, off, (uint16_t)v);
    pci_set16(a, off + 2, (uint16_t)(v >> 16));
}

static uint16_t get16(const uint8_t *a, uint32_t off)
{
    return (uint16_t)(a[off] | a[off + 1] << 8);
}

void pci_header(struct td_pci *pci, uint16_t vendor, uint16_t device,
                uint8_t revision, uint32_t class_code, uint16_t subsys_vendor,
                uint16_t subsys, uint8_t int_pin, uint16_t command_wmask,
                uint16_t status_w1c, uint8_t cap_ptr)
{
    uint8_t *c = pci->cfg, *w = pci->wmask, *w1c = pci->w1cmask;

    pci_set16(c, CFG_VENDOR_ID, vendor);
    pci_set16(c, CFG_DEVICE_ID, device);
    pci_set16(w, CFG_COMMAND, command_wmask);
    pci_set16(c, CFG_STATUS, cap_ptr ? STATUS_CAP_LIST : 0);
    pci_set16(w1c, CFG_STATUS, status_w1c);
    pci_set8(c, CFG_REVISION, revision);
    pci_set8(c, CFG_CLASS_PROG, (uint8_t)class_code);
    pci_set16(c, CFG_CLASS_PROG + 1, (uint16_t)(class_code >> 8));
    pci_set8(w, CFG_CACHE_LINE, 0xff);
    pci_set8(c, CFG_HEADER_TYPE, 0x00);
    pci_set16(c, CFG_SUBSYS_VENDOR, subsys_vendor);
    pci_set16(c, CFG_SUBSYS_ID, subsys);
    pci_set8(c, CFG_CAP_PTR, cap_ptr);
    pci_set8(w, CFG_INT_LINE, 0xff);
    pci_set8(c, CFG_INT_PIN, int_pin);
}

/* The address bits above the size are writable, the size and type bits
 * are not, so writing all ones reads back the size mask (and for a 64-bit
 * BAR, the upper dword the rest of it). */
void pci_bar(struct td_pci *pci, unsigned int bar, uint64_t size, uint32_t type)
{
    uint64_t mask = ~(size - 1) & ~(uint64_t)0xf;

    pci_set32(pci->cfg, CFG_BAR(bar), type);
    pci_set32(pci->wmask, CFG_BAR(bar), (uint32_t)mask);
    if (type & TD_BAR_MEM64)
        pci_set32(pci->wmask, CFG_BAR(bar + 1), (uint32_t)(mask >> 32));
}

void pci_cap(struct td_pci *pci, uint32_t off, uint8_t id, uint8_t next)
{
    pci_set8(pci->cfg, off, id);
    pci_set8(pci->cfg, off + 1, next);
}

void pci_msix(struct td_pci *pci, uint32_t off, uint8_t next, uint16_t count,
              uint8_t table_bir, uint32_t table_off, uint8_t pba_bir,
              uint32_t pba_off)
{
    pci_cap(pci, off, CAP_ID_MSIX, next);
    pci_set16(pci->cfg, off + MSIX_FLAGS, (uint16_t)(count - 1));
    pci_set16(pci->wmask, off + MSIX_FLAGS,
              MSIX_FLAGS_ENABLE | MSIX_FLAGS_MASKALL);
    pci_set32(pci->cfg, off + MSIX_TABLE, table_off | table_bir);
    pci_set32(pci->cfg, off + MSIX_PBA, pba_off | pba_bir);
}

void pci_exp_endpoint(struct td_pci *pci, uint32_t off, uint8_t next)
{
    uint8_t *c = pci->cfg, *w = pci->wmask;

    pci_cap(pci, off, CAP_ID_EXP, next);
    pci_set16(c, off + EXP_FLAGS, EXP_FLAGS_V2_ENDPOINT);
    pci_set32(c, off + EXP_DEVCAP, EXP_DEVCAP_RBER);
    pci_set16(c, off + EXP_DEVCTL, EXP_DEVCTL_DEFAULT);
    pci_set16(w, off + EXP_DEVCTL, EXP_DEVCTL_WMASK);
    pci_set16(pci->w1cmask, off + EXP_DEVSTA, EXP_DEVSTA_W1C);
    pci_set32(c, off + EXP_LNKCAP, EXP_LNK_X1_2_5GT);
    pci_set16(w, off + EXP_LNKCTL, EXP_LNKCTL_WMASK);
    pci_set16(c, off + EXP_LNKSTA, EXP_LNK_X1_2_5GT);
    pci_set32(c, off + EXP_LNKCAP2, EXP_LNKCAP2_2_5GT);
    pci_set16(c, off + EXP_LNKCTL2, 0x0001); /* target speed 2.5 GT/s */
}

void pci_reset(struct testdev *td)
{
    memset(&td->pci, 0, sizeof(td->pci));
    td->pers->pci_init(&td->pci);
}

void pci_read(const struct td_pci *pci, uint32_t off, uint32_t count,
              uint8_t *buf)
{
    memcpy(buf, pci->cfg + off, count);
}

static bool in_access(uint32_t off, uint32_t count, uint32_t at)
{
    return off <= at && off + count > at;
}

void pci_write(struct td_pci *pci, uint32_t off, uint32_t count,
               const uint8_t *buf)
{
    const uint32_t pmcsr = pci->pm_cap + PM_PMCSR;
    uint16_t old_state =
        pci->pm_cap ? get16(pci->cfg, pmcsr) & PMCSR_STATE_MASK : 0;
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
    if (pci->pm_cap && in_access(off, count, pmcsr)) {
        uint16_t v = get16(pci->cfg, pmcsr);
        uint16_t state = v & PMCSR_STATE_MASK;

        if (state == 1 || state == 2)
            pci_set16(pci->cfg, pmcsr,
                      (uint16_t)((v & ~PMCSR_STATE_MASK) | old_state));
    }
}

long pci_image_check(const struct testdev *td,
                     const uint8_t cfg[TD_CONFIG_SIZE])
{
    /* 12 KiB: built once per personality, not on the stack. */
    static struct td_pci fresh;
    static const struct td_personality *ready;
    uint32_t pmcsr;
    uint16_t state;
    uint32_t i;

    if (ready != td->pers) {
        memset(&fresh, 0, sizeof(fresh));
        td->pers->pci_init(&fresh);
        ready = td->pers;
    }
    /* Write-1-to-clear bits are 0 at power-on and no write sets them, so
     * they are covered too. */
    for (i = 0; i < TD_CONFIG_SIZE; i++)
        if ((cfg[i] ^ fresh.cfg[i]) & (uint8_t)~fresh.wmask[i])
            return (long)i;
    if (!fresh.pm_cap)
        return -1;
    pmcsr = fresh.pm_cap + PM_PMCSR;
    state = get16(cfg, pmcsr) & PMCSR_STATE_MASK;
    if (state == 1 || state == 2)
        return (long)pmcsr;
    return -1;
}
