/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PCI helpers over the config region: typed access, capability walks that a
 * hostile device cannot send round in circles, MSI-X, BARs and the command
 * register. All blocking: they are conveniences for drivers and tools.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "client.h"

#define CFG VFIO_USER_PCI_CONFIG_REGION_INDEX
#define PCI_STATUS 0x06u
#define PCI_STATUS_CAP_LIST 0x10u
#define PCI_COMMAND 0x04u
#define PCI_CAPABILITY_LIST 0x34u
#define PCI_BASE_ADDRESS_0 0x10u
#define PCI_STD_HEADER_END 0x40u
#define PCI_STD_CFG_SIZE 0x100u
#define PCI_EXT_CFG_SIZE 0x1000u
#define PCI_CAP_ID_MSIX 0x11u
#define PCI_MSIX_FLAGS_QSIZE 0x07ffu
#define PCI_MSIX_FLAGS_MASKALL 0x4000u
#define PCI_MSIX_FLAGS_ENABLE 0x8000u
#define PCI_MSIX_BIR 0x7u

int vuc_cfg_read8(struct vuc_client *client, uint32_t off, uint8_t *val)
{
    return vuc_region_read(client, CFG, off, val, 1);
}

int vuc_cfg_read16(struct vuc_client *client, uint32_t off, uint16_t *val)
{
    int rc = vuc_region_read(client, CFG, off, val, 2);
    *val = le16toh(*val);
    return rc;
}

int vuc_cfg_read32(struct vuc_client *client, uint32_t off, uint32_t *val)
{
    int rc = vuc_region_read(client, CFG, off, val, 4);
    *val = le32toh(*val);
    return rc;
}

int vuc_cfg_write8(struct vuc_client *client, uint32_t off, uint8_t val)
{
    return vuc_region_write(client, CFG, off, &val, 1);
}

int vuc_cfg_write16(struct vuc_client *client, uint32_t off, uint16_t val)
{
    val = htole16(val);
    return vuc_region_write(client, CFG, off, &val, 2);
}

int vuc_cfg_write32(struct vuc_client *client, uint32_t off, uint32_t val)
{
    val = htole32(val);
    return vuc_region_write(client, CFG, off, &val, 4);
}

/* ---- Capability lists ---------------------------------------------------- */

static void add_cap(struct vuc_pci_cap *caps, unsigned max, unsigned n,
                    uint16_t id, uint16_t off, bool ext, uint8_t ver)
{
    if (n < max) {
        caps[n] = (struct vuc_pci_cap){id, off, ext, ver};
    }
}

/*
 * Every entry is 4-byte aligned and lies past the header, so a list can
 * visit at most (size - header) / 4 entries; a visited bitmap over those
 * slots catches a loop at its first repeat.
 */
int vuc_pci_caps(struct vuc_client *client, struct vuc_pci_cap *caps,
                 unsigned max)
{
    struct vuc_client *c = client;
    uint8_t seen[PCI_EXT_CFG_SIZE / 4 / 8];
    unsigned n = 0;
    uint16_t status;
    int rc;

    vuc_begin(c);
    const struct vuc_region_info *cfg = vuc_get_region_info(c, CFG);
    if (cfg == NULL || cfg->size < PCI_STD_CFG_SIZE) {
        return vuc_fail(c, -ENODEV, "the device has no PCI config space");
    }
    if ((rc = vuc_cfg_read16(c, PCI_STATUS, &status)) < 0) {
        return rc;
    }
    memset(seen, 0, sizeof(seen));
    if (status & PCI_STATUS_CAP_LIST) {
        uint8_t ptr;
        if ((rc = vuc_cfg_read8(c, PCI_CAPABILITY_LIST, &ptr)) < 0) {
            return rc;
        }
        /* The bottom two bits are reserved ("must be masked"). */
        for (ptr &= 0xfc; ptr != 0; ptr &= 0xfc) {
            if (ptr < PCI_STD_HEADER_END) {
                return vuc_fail(c, -EPROTO,
                                "capability pointer 0x%02x points into the "
                                "config header",
                                ptr);
            }
            if (seen[ptr / 32] & (1u << (ptr / 4 % 8))) {
                return vuc_fail(
                    c, -ELOOP, "the capability list loops back to 0x%02x", ptr);
            }
            seen[ptr / 32] |= 1u << (ptr / 4 % 8);
            uint16_t hdr;
            if ((rc = vuc_cfg_read16(c, ptr, &hdr)) < 0) {
                return rc;
            }
            add_cap(caps, max, n++, hdr & 0xff, ptr, false, 0);
            ptr = hdr >> 8;
        }
    }

    if (cfg->size < PCI_EXT_CFG_SIZE) {
        return (int)n;
    }
    memset(seen, 0, sizeof(seen));
    uint32_t hdr;
    uint16_t off = PCI_STD_CFG_SIZE;
    if ((rc = vuc_cfg_read32(c, off, &hdr)) < 0) {
        return rc;
    }
    /* An all-zero or all-ones header at 0x100 means no extended list. */
    while (hdr != 0 && hdr != UINT32_MAX) {
        if (seen[off / 32] & (1u << (off / 4 % 8))) {
            return vuc_fail(c, -ELOOP,
                            "the extended capability list loops back to "
                            "0x%03x",
                            off);
        }
        seen[off / 32] |= 1u << (off / 4 % 8);
        add_cap(caps, max, n++, hdr & 0xffff, off, true, (hdr >> 16) & 0xf);
        uint16_t next = (hdr >> 20) & 0xffc;
        if (next == 0) {
            break;
        }
        if (next < PCI_STD_CFG_SIZE) {
            return vuc_fail(c, -EPROTO,
                            "extended capability at 0x%03x points to 0x%03x, "
                            "below 0x100",
                            off, next);
        }
        off = next;
        if ((rc = vuc_cfg_read32(c, off, &hdr)) < 0) {
            return rc;
        }
    }
    return (int)n;
}

int vuc_pci_find_cap(struct vuc_client *client, uint16_t id, bool extended)
{
    struct vuc_pci_cap caps[(PCI_EXT_CFG_SIZE - PCI_STD_HEADER_END) / 4];
    int n = vuc_pci_caps(client, caps, sizeof(caps) / sizeof(caps[0]));

    for (int i = 0; i < n && (unsigned)i < sizeof(caps) / sizeof(caps[0]);
         i++) {
        if (caps[i].id == id && caps[i].extended == extended) {
            return caps[i].offset;
        }
    }
    if (n < 0) {
        return n;
    }
    return vuc_fail(client, -ENOENT, "the device has no %scapability 0x%x",
                    extended ? "extended " : "", id);
}

/* ---- MSI-X --------------------------------------------------------------- */

int vuc_pci_msix(struct vuc_client *client, struct vuc_pci_msix *out)
{
    int off = vuc_pci_find_cap(client, PCI_CAP_ID_MSIX, false);
    uint16_t flags;
    uint32_t table, pba;
    int rc;

    if (off < 0) {
        return off;
    }
    if ((rc = vuc_cfg_read16(client, off + 2, &flags)) < 0 ||
        (rc = vuc_cfg_read32(client, off + 4, &table)) < 0 ||
        (rc = vuc_cfg_read32(client, off + 8, &pba)) < 0) {
        return rc;
    }
    out->offset = (uint16_t)off;
    out->table_size = (flags & PCI_MSIX_FLAGS_QSIZE) + 1;
    out->table_bar = table & PCI_MSIX_BIR;
    out->table_offset = table & ~PCI_MSIX_BIR;
    out->pba_bar = pba & PCI_MSIX_BIR;
    out->pba_offset = pba & ~PCI_MSIX_BIR;
    out->enabled = flags & PCI_MSIX_FLAGS_ENABLE;
    out->masked = flags & PCI_MSIX_FLAGS_MASKALL;
    return 0;
}

int vuc_pci_msix_enable(struct vuc_client *client, uint32_t nvec, vuc_irq_cb cb,
                        void *cb_arg)
{
    struct vuc_pci_msix msix;
    uint16_t flags;
    int rc;

    if ((rc = vuc_pci_msix(client, &msix)) < 0) {
        return rc;
    }
    if (nvec == 0 || nvec > msix.table_size) {
        return vuc_fail(client, -ERANGE,
                        "MSI-X: %u vectors asked, the table has %u", nvec,
                        msix.table_size);
    }
    /* Eventfds first, so no vector fires into nothing once enabled. */
    if ((rc = vuc_irq_enable(client, VFIO_USER_PCI_MSIX_IRQ_INDEX, 0, nvec, cb,
                             cb_arg)) < 0 ||
        (rc = vuc_cfg_read16(client, msix.offset + 2, &flags)) < 0) {
        return rc;
    }
    flags = (flags | PCI_MSIX_FLAGS_ENABLE) & ~PCI_MSIX_FLAGS_MASKALL;
    return vuc_cfg_write16(client, msix.offset + 2, flags);
}

int vuc_pci_msix_disable(struct vuc_client *client)
{
    struct vuc_pci_msix msix;
    uint16_t flags;
    int rc;

    if ((rc = vuc_pci_msix(client, &msix)) < 0 ||
        (rc = vuc_cfg_read16(client, msix.offset + 2, &flags)) < 0 ||
        (rc = vuc_cfg_write16(client, msix.offset + 2,
                              flags & ~PCI_MSIX_FLAGS_ENABLE)) < 0) {
        return rc;
    }
    return vuc_irq_disable(client, VFIO_USER_PCI_MSIX_IRQ_INDEX);
}

/* ---- BARs and the command register --------------------------------------- */

int vuc_pci_bar(struct vuc_client *client, unsigned n, struct vuc_pci_bar *out)
{
    uint32_t lo, hi = 0;
    int rc;

    vuc_begin(client);
    if (n > 5) {
        return vuc_fail(client, -EINVAL, "BAR%u: there are six BARs (0-5)", n);
    }
    const struct vuc_region_info *ri = vuc_get_region_info(client, n);
    if (ri == NULL) {
        return vuc_fail(client, -ENODEV, "BAR%u: no such region", n);
    }
    if ((rc = vuc_cfg_read32(client, PCI_BASE_ADDRESS_0 + 4 * n, &lo)) < 0) {
        return rc;
    }
    memset(out, 0, sizeof(*out));
    out->present = ri->size > 0;
    out->size = ri->size;
    out->io = lo & 1;
    if (out->io) {
        out->address = lo & ~3u;
        return 0;
    }
    out->prefetchable = lo & 8;
    out->is64 = ((lo >> 1) & 3) == 2;
    if (out->is64 && n < 5 &&
        (rc = vuc_cfg_read32(client, PCI_BASE_ADDRESS_0 + 4 * (n + 1), &hi)) <
            0) {
        return rc;
    }
    out->address = ((uint64_t)hi << 32) | (lo & ~0xfu);
    return 0;
}

int vuc_pci_command(struct vuc_client *client, uint16_t set, uint16_t clear,
                    uint16_t *old)
{
    uint16_t cmd;
    int rc = vuc_cfg_read16(client, PCI_COMMAND, &cmd);

    if (rc < 0) {
        return rc;
    }
    if (old != NULL) {
        *old = cmd;
    }
    return vuc_cfg_write16(client, PCI_COMMAND,
                           (uint16_t)((cmd | set) & ~clear));
}
