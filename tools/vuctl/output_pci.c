/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Output of cfg: the config header and capabilities decoded (what PCI and
 * PCI Express define for the fields we know, everything else named or
 * shown as a number), and the raw bytes in the layout `lspci -F` reads.
 *
 * Each field is written once, through a sink that makes it "Label+" or
 * "label=value" in text and a member of an object in JSON, so that the two
 * cannot tell different stories.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vuc/vuc.h>

#include "cfg.h"
#include "output.h"
#include "output_int.h"
#include "vuctl.h"

/* ---- Sinks -------------------------------------------------------------- */

struct sink {
    bool json;
    json_t *o;    /* where fields go in JSON */
    bool started; /* text: the ':' before the first field is out */
};

/* Text: a capability's name gets a ':' only when fields follow. */
static void start(struct sink *s)
{
    if (!s->json && !s->started)
        fputc(':', stdout);
    s->started = true;
}

/* A nested object named key (JSON); text goes on as it was. */
static struct sink sub(struct sink *s, const char *key)
{
    struct sink n = {s->json, NULL, true};

    if (s->json && s->o) {
        n.o = json_object();
        json_object_set_new(s->o, key, n.o);
    }
    return n;
}

static void flag(struct sink *s, const char *key, const char *label, bool on)
{
    if (s->json) {
        if (s->o)
            json_object_set_new(s->o, key, json_boolean(on));
        return;
    }
    start(s);
    printf(" %s%c", label, on ? '+' : '-');
}

/* digits: 0 for decimal, else hex with at least that many digits. With a
 * NULL label the field is for JSON only. */
static void num(struct sink *s, const char *key, const char *label, uint64_t v,
                int digits)
{
    if (s->json) {
        if (s->o)
            json_object_set_new(s->o, key, json_u64(v));
        return;
    }
    if (!label)
        return;
    start(s);
    if (digits)
        printf(" %s=0x%0*" PRIx64, label, digits, v);
    else
        printf(" %s=%" PRIu64, label, v);
}

/* With a NULL label the text is the bare value. */
static void str(struct sink *s, const char *key, const char *label,
                const char *v)
{
    if (s->json) {
        if (s->o)
            json_object_set_new(s->o, key, json_str(v));
        return;
    }
    start(s);
    if (label)
        printf(" %s=%s", label, v);
    else
        printf(" %s", v);
}

static void text(struct sink *s, const char *t)
{
    if (!s->json)
        fputs(t, stdout);
}

/* ---- Reading the snapshot ------------------------------------------------ */

static bool has(const struct vuctl_cfg *c, size_t off, size_t n)
{
    return off <= c->len && n <= c->len - off;
}

static uint8_t rd8(const struct vuctl_cfg *c, size_t off)
{
    return c->data[off];
}

static uint16_t rd16(const struct vuctl_cfg *c, size_t off)
{
    return (uint16_t)(c->data[off] | c->data[off + 1] << 8);
}

static uint32_t rd32(const struct vuctl_cfg *c, size_t off)
{
    return (uint32_t)rd16(c, off) | (uint32_t)rd16(c, off + 2) << 16;
}

/* ---- The header -----------------------------------------------------------
 */

static const char *class_name(uint8_t base)
{
    static const char *const names[] = {
        "unclassified device",
        "mass storage controller",
        "network controller",
        "display controller",
        "multimedia controller",
        "memory controller",
        "bridge",
        "communication controller",
        "generic system peripheral",
        "input device controller",
        "docking station",
        "processor",
        "serial bus controller",
        "wireless controller",
        "intelligent controller",
        "satellite communications controller",
        "encryption controller",
        "signal processing controller",
        "processing accelerator",
        "non-essential instrumentation",
    };

    if (base < sizeof(names) / sizeof(names[0]))
        return names[base];
    if (base == 0x40)
        return "coprocessor";
    if (base == 0xff)
        return "unassigned class";
    return "reserved class";
}

static const char *header_name(uint8_t type)
{
    switch (type & 0x7f) {
    case 0:
        return "endpoint";
    case 1:
        return "PCI-to-PCI bridge";
    case 2:
        return "CardBus bridge";
    default:
        return "unknown";
    }
}

static void command_reg(struct sink *s, uint16_t cmd)
{
    struct sink o = sub(s, "command");

    if (!s->json)
        printf("  command 0x%04x:", cmd);
    num(&o, "value", NULL, cmd, 0);
    flag(&o, "io", "I/O", cmd & 0x0001);
    flag(&o, "memory", "Mem", cmd & 0x0002);
    flag(&o, "bus_master", "BusMaster", cmd & 0x0004);
    flag(&o, "special_cycles", "SpecCycle", cmd & 0x0008);
    flag(&o, "mwi", "MemWINV", cmd & 0x0010);
    flag(&o, "vga_snoop", "VGASnoop", cmd & 0x0020);
    flag(&o, "parity_error_response", "ParErr", cmd & 0x0040);
    flag(&o, "serr", "SERR", cmd & 0x0100);
    flag(&o, "fast_b2b", "FastB2B", cmd & 0x0200);
    flag(&o, "intx_disable", "DisINTx", cmd & 0x0400);
    text(s, "\n");
}

static void status_reg(struct sink *s, uint16_t st)
{
    static const char *const devsel[] = {"fast", "medium", "slow", "reserved"};
    struct sink o = sub(s, "status");

    if (!s->json)
        printf("  status 0x%04x:", st);
    num(&o, "value", NULL, st, 0);
    flag(&o, "intx", "INTx", st & 0x0008);
    flag(&o, "cap_list", "Cap", st & 0x0010);
    flag(&o, "66mhz", "66MHz", st & 0x0020);
    flag(&o, "fast_b2b", "FastB2B", st & 0x0080);
    flag(&o, "master_parity_error", "ParErr", st & 0x0100);
    str(&o, "devsel", "DEVSEL", devsel[(st >> 9) & 3]);
    flag(&o, "signaled_target_abort", ">TAbort", st & 0x0800);
    flag(&o, "received_target_abort", "<TAbort", st & 0x1000);
    flag(&o, "received_master_abort", "<MAbort", st & 0x2000);
    flag(&o, "signaled_system_error", ">SERR", st & 0x4000);
    flag(&o, "detected_parity_error", "<PERR", st & 0x8000);
    text(s, "\n");
}

static void bars(struct sink *s, const struct vuctl_cfg *c)
{
    json_t *arr = s->json ? json_array() : NULL;

    for (unsigned i = 0; i < c->nbars; i++) {
        const struct vuc_pci_bar *b = &c->bars[i];

        /* Absent BARs (no region, or a region of size 0) are left out, as
         * is the slot above a 64-bit BAR. */
        if (c->bar_rc[i] < 0 || !b->present)
            continue;
        if (arr) {
            json_t *o =
                json_pack("{s:I,s:s,s:o,s:o}", "bar", (json_int_t)i, "type",
                          b->io ? "io" : "memory", "address",
                          json_u64(b->address), "size", json_u64(b->size));

            if (o && !b->io) {
                json_object_set_new(o, "is64", json_boolean(b->is64));
                json_object_set_new(o, "prefetchable",
                                    json_boolean(b->prefetchable));
            }
            json_array_append_new(arr, o);
        } else if (!s->json && b->io) {
            printf("  BAR%u: I/O at 0x%08" PRIx64 ", size 0x%" PRIx64 "\n", i,
                   b->address, b->size);
        } else if (!s->json) {
            printf(
                "  BAR%u: memory at 0x%0*" PRIx64 ", %s, %s, size 0x%" PRIx64
                "\n",
                i, b->is64 ? 16 : 8, b->address, b->is64 ? "64-bit" : "32-bit",
                b->prefetchable ? "prefetchable" : "non-prefetchable", b->size);
        }
    }
    if (s->json && s->o)
        json_object_set_new(s->o, "bars", arr ? arr : json_array());
}

/* ---- Capabilities ---------------------------------------------------------
 */

static const char *cap_name(uint16_t id)
{
    static const char *const names[] = {
        [0x01] = "PM",
        [0x02] = "AGP",
        [0x03] = "VPD",
        [0x04] = "Slot ID",
        [0x05] = "MSI",
        [0x06] = "CompactPCI Hot Swap",
        [0x07] = "PCI-X",
        [0x08] = "HyperTransport",
        [0x09] = "Vendor Specific",
        [0x0a] = "Debug Port",
        [0x0b] = "CompactPCI Resource Control",
        [0x0c] = "PCI Hot-Plug",
        [0x0d] = "Bridge Subsystem Vendor ID",
        [0x0e] = "AGP 8x",
        [0x0f] = "Secure Device",
        [0x10] = "PCI Express",
        [0x11] = "MSI-X",
        [0x12] = "SATA",
        [0x13] = "Advanced Features",
        [0x14] = "Enhanced Allocation",
        [0x15] = "Flattening Portal Bridge",
    };

    return id < sizeof(names) / sizeof(names[0]) ? names[id] : NULL;
}

static const char *ecap_name(uint16_t id)
{
    static const char *const names[] = {
        [0x01] = "AER",
        [0x02] = "Virtual Channel",
        [0x03] = "DSN",
        [0x04] = "Power Budgeting",
        [0x05] = "Root Complex Link Declaration",
        [0x06] = "Root Complex Internal Link Control",
        [0x07] = "Root Complex Event Collector Association",
        [0x08] = "MFVC",
        [0x09] = "Virtual Channel (MFVC)",
        [0x0a] = "RCRB Header",
        [0x0b] = "Vendor Specific",
        [0x0c] = "Configuration Access Correlation",
        [0x0d] = "ACS",
        [0x0e] = "ARI",
        [0x0f] = "ATS",
        [0x10] = "SR-IOV",
        [0x11] = "MR-IOV",
        [0x12] = "Multicast",
        [0x13] = "Page Request",
        [0x15] = "Resizable BAR",
        [0x16] = "DPA",
        [0x17] = "TPH",
        [0x18] = "LTR",
        [0x19] = "Secondary PCI Express",
        [0x1a] = "PMUX",
        [0x1b] = "PASID",
        [0x1c] = "LNR",
        [0x1d] = "DPC",
        [0x1e] = "L1 PM Substates",
        [0x1f] = "PTM",
        [0x20] = "M-PCIe",
        [0x21] = "FRS Queueing",
        [0x22] = "Readiness Time Reporting",
        [0x23] = "DVSEC",
        [0x24] = "VF Resizable BAR",
        [0x25] = "Data Link Feature",
        [0x26] = "Physical Layer 16 GT/s",
        [0x27] = "Lane Margining at the Receiver",
        [0x28] = "Hierarchy ID",
        [0x29] = "NPEM",
        [0x2a] = "Physical Layer 32 GT/s",
        [0x2b] = "Alternate Protocol",
        [0x2c] = "SFI",
    };

    return id < sizeof(names) / sizeof(names[0]) ? names[id] : NULL;
}

static void cap_pm(struct sink *s, const struct vuctl_cfg *c, size_t off)
{
    static const char *const states[] = {"D0", "D1", "D2", "D3hot"};
    uint16_t pmc = rd16(c, off + 2), csr = rd16(c, off + 4);

    num(s, "version", "version", pmc & 7, 0);
    flag(s, "d1", "D1", pmc & 0x0200);
    flag(s, "d2", "D2", pmc & 0x0400);
    num(s, "pme_support", "PMESupport", pmc >> 11, 2);
    str(s, "state", "state", states[csr & 3]);
    flag(s, "no_soft_reset", "NoSoftRst", csr & 0x0008);
    flag(s, "pme_enable", "PME-Enable", csr & 0x0100);
    flag(s, "pme_status", "PMEStatus", csr & 0x8000);
}

static void cap_msi(struct sink *s, const struct vuctl_cfg *c, size_t off)
{
    uint16_t ctl = rd16(c, off + 2);
    bool is64 = ctl & 0x0080, maskable = ctl & 0x0100;
    size_t data_off = off + (is64 ? 12 : 8);
    uint64_t addr;

    num(s, "control", "control", ctl, 4);
    flag(s, "enable", "Enable", ctl & 1);
    if (!s->json) {
        start(s);
        printf(" vectors=%u/%u", 1u << ((ctl >> 4) & 7),
               1u << ((ctl >> 1) & 7));
    }
    num(s, "vectors", NULL, 1u << ((ctl >> 4) & 7), 0);
    num(s, "vectors_capable", NULL, 1u << ((ctl >> 1) & 7), 0);
    flag(s, "maskable", "Maskable", maskable);
    flag(s, "64bit", "64bit", is64);
    if (!has(c, data_off, 2))
        return;
    addr = rd32(c, off + 4);
    if (is64)
        addr |= (uint64_t)rd32(c, off + 8) << 32;
    num(s, "address", "address", addr, is64 ? 16 : 8);
    num(s, "data", "data", rd16(c, data_off), 4);
    if (maskable && has(c, data_off + 4, 8)) {
        num(s, "mask", "mask", rd32(c, data_off + 4), 8);
        num(s, "pending", "pending", rd32(c, data_off + 8), 8);
    }
}

static void cap_msix(struct sink *s, const struct vuctl_cfg *c, size_t off)
{
    const struct vuc_pci_msix *m = &c->msix;
    char where[48];

    /* vuc_pci_msix() decodes the first MSI-X capability; a second one (a
     * broken device) is shown raw. */
    if (!c->have_msix || m->offset != off) {
        num(s, "control", "control", rd16(c, off + 2), 4);
        return;
    }
    flag(s, "enable", "Enable", m->enabled);
    flag(s, "masked", "Masked", m->masked);
    num(s, "table_size", "vectors", m->table_size, 0);
    if (s->json) {
        num(s, "table_bar", NULL, m->table_bar, 0);
        num(s, "table_offset", NULL, m->table_offset, 0);
        num(s, "pba_bar", NULL, m->pba_bar, 0);
        num(s, "pba_offset", NULL, m->pba_offset, 0);
        return;
    }
    snprintf(where, sizeof(where), "BAR%u+0x%" PRIx32, m->table_bar,
             m->table_offset);
    str(s, NULL, "table", where);
    snprintf(where, sizeof(where), "BAR%u+0x%" PRIx32, m->pba_bar,
             m->pba_offset);
    str(s, NULL, "PBA", where);
}

static const char *exp_type(unsigned t)
{
    switch (t) {
    case 0:
        return "Endpoint";
    case 1:
        return "Legacy Endpoint";
    case 4:
        return "Root Port";
    case 5:
        return "Upstream Port";
    case 6:
        return "Downstream Port";
    case 7:
        return "PCI Express to PCI/PCI-X Bridge";
    case 8:
        return "PCI/PCI-X to PCI Express Bridge";
    case 9:
        return "Root Complex Integrated Endpoint";
    case 10:
        return "Root Complex Event Collector";
    default:
        return "unknown type";
    }
}

static void link(struct sink *s, const char *key, const char *label,
                 uint16_t reg)
{
    static const char *const speeds[] = {"?",      "2.5GT/s", "5GT/s",  "8GT/s",
                                         "16GT/s", "32GT/s",  "64GT/s", "?"};
    unsigned speed = reg & 0xf, width = (reg >> 4) & 0x3f;
    char t[32];

    snprintf(t, sizeof(t), "%s x%u", speeds[speed < 8 ? speed : 7], width);
    if (!s->json) {
        str(s, NULL, label, t);
        return;
    }
    if (s->o)
        json_object_set_new(s->o, key,
                            json_pack("{s:s,s:i}", "speed",
                                      speeds[speed < 8 ? speed : 7], "width",
                                      (int)width));
}

static void cap_exp(struct sink *s, const struct vuctl_cfg *c, size_t off)
{
    uint16_t flags = rd16(c, off + 2);
    unsigned type = (flags >> 4) & 0xf;

    num(s, "version", "version", flags & 0xf, 0);
    str(s, "type", "type", exp_type(type));
    if (!has(c, off + 0x14, 0))
        return;
    num(s, "max_payload_supported", "MaxPayloadSupported",
        128u << (rd32(c, off + 4) & 7), 0);
    num(s, "max_payload", "MaxPayload", 128u << ((rd16(c, off + 8) >> 5) & 7),
        0);
    num(s, "max_read_request", "MaxReadReq",
        128u << ((rd16(c, off + 8) >> 12) & 7), 0);
    /* Integrated endpoints and event collectors have no link. */
    if (type != 9 && type != 10) {
        link(s, "link_capable", "LnkCap", (uint16_t)rd32(c, off + 12));
        link(s, "link", "LnkSta", rd16(c, off + 18));
    }
}

static void cap_aer(struct sink *s, const struct vuctl_cfg *c, size_t off)
{
    if (!has(c, off + 4, 0x18))
        return;
    num(s, "uncorrectable_status", "UESta", rd32(c, off + 4), 8);
    num(s, "uncorrectable_mask", "UEMsk", rd32(c, off + 8), 8);
    num(s, "uncorrectable_severity", "UESvrt", rd32(c, off + 12), 8);
    num(s, "correctable_status", "CESta", rd32(c, off + 16), 8);
    num(s, "correctable_mask", "CEMsk", rd32(c, off + 20), 8);
    num(s, "first_error_pointer", "FirstErr", rd32(c, off + 24) & 0x1f, 2);
}

static void cap_dsn(struct sink *s, const struct vuctl_cfg *c, size_t off)
{
    uint64_t sn;
    char t[32];

    if (!has(c, off + 4, 8))
        return;
    sn = (uint64_t)rd32(c, off + 8) << 32 | rd32(c, off + 4);
    /* Most significant byte first, as the serial number is written. */
    snprintf(t, sizeof(t), "%02x-%02x-%02x-%02x-%02x-%02x-%02x-%02x",
             (unsigned)(sn >> 56) & 0xff, (unsigned)(sn >> 48) & 0xff,
             (unsigned)(sn >> 40) & 0xff, (unsigned)(sn >> 32) & 0xff,
             (unsigned)(sn >> 24) & 0xff, (unsigned)(sn >> 16) & 0xff,
             (unsigned)(sn >> 8) & 0xff, (unsigned)sn & 0xff);
    str(s, "serial", "serial", t);
}

static void cap_vsec(struct sink *s, const struct vuctl_cfg *c, size_t off)
{
    uint32_t h;

    if (!has(c, off + 4, 4))
        return;
    h = rd32(c, off + 4);
    num(s, "vsec_id", "id", h & 0xffff, 4);
    num(s, "vsec_rev", "rev", (h >> 16) & 0xf, 0);
    num(s, "vsec_length", "length", h >> 20, 0);
}

/* The bytes a decoder reads of a capability (0: only its header). */
static size_t cap_size(const struct vuc_pci_cap *cap)
{
    if (cap->extended) {
        switch (cap->id) {
        case 0x01:
            return 0x1c; /* AER up to the capabilities and control */
        case 0x03:
            return 12;
        case 0x0b:
            return 8;
        default:
            return 0;
        }
    }
    switch (cap->id) {
    case 0x01:
        return 8;
    case 0x05:
        return 10; /* 32-bit, no masking; cap_msi() checks the rest */
    case 0x09:
        return 3;
    case 0x10:
        return 4; /* flags; cap_exp() checks the rest */
    case 0x11:
        return 12;
    default:
        return 0;
    }
}

static void cap_one(struct sink *s, json_t *arr, const struct vuctl_cfg *c,
                    const struct vuc_pci_cap *cap)
{
    const char *name = cap->extended ? ecap_name(cap->id) : cap_name(cap->id);
    struct sink o = {s->json, NULL, false};
    char unknown[40];
    size_t need;

    if (!name) {
        snprintf(unknown, sizeof(unknown),
                 cap->extended ? "extended capability 0x%04x"
                               : "capability 0x%02x",
                 cap->id);
        name = unknown;
    }
    if (arr) {
        o.o = json_pack("{s:I,s:I,s:s,s:b}", "offset", (json_int_t)cap->offset,
                        "id", (json_int_t)cap->id, "name", name, "extended",
                        (int)cap->extended);
        if (o.o && cap->extended)
            json_object_set_new(o.o, "version", json_integer(cap->version));
        json_array_append_new(arr, o.o);
    } else if (cap->extended) {
        printf("    [%03x v%u] %s", cap->offset, cap->version, name);
    } else {
        printf("    [%02x] %s", cap->offset, name);
    }
    /* The walk bounded every offset by the config space, not the body
     * behind it: each decoder gets only a body that is all there. */
    need = cap_size(cap);
    if (need && !has(c, cap->offset, need))
        flag(&o, "truncated", "Truncated", true);
    else if (!cap->extended && cap->id == 0x01)
        cap_pm(&o, c, cap->offset);
    else if (!cap->extended && cap->id == 0x05)
        cap_msi(&o, c, cap->offset);
    else if (!cap->extended && cap->id == 0x11)
        cap_msix(&o, c, cap->offset);
    else if (!cap->extended && cap->id == 0x10)
        cap_exp(&o, c, cap->offset);
    else if (!cap->extended && cap->id == 0x09)
        num(&o, "length", "length", rd8(c, cap->offset + 2), 0);
    else if (cap->extended && cap->id == 0x01)
        cap_aer(&o, c, cap->offset);
    else if (cap->extended && cap->id == 0x03)
        cap_dsn(&o, c, cap->offset);
    else if (cap->extended && cap->id == 0x0b)
        cap_vsec(&o, c, cap->offset);
    text(s, "\n");
}

static void capabilities(struct sink *s, const struct vuctl_cfg *c)
{
    json_t *arr = s->json ? json_array() : NULL;

    if (!s->json)
        printf("  capabilities:%s\n", c->caps_rc < 0 ? " a broken list"
                                      : c->ncaps     ? ""
                                                     : " none");
    for (unsigned i = 0; i < c->ncaps; i++)
        cap_one(s, arr, c, &c->caps[i]);
    if (s->json && s->o)
        json_object_set_new(s->o, "capabilities", arr ? arr : json_array());
}

/* ---- cfg ---------------------------------------------------------------- */

void out_cfg(struct vuctl *v, const struct vuctl_cfg *c)
{
    struct sink s = {v->json, NULL, true};
    uint8_t htype = rd8(c, 0x0e), pin = rd8(c, 0x3d);
    uint32_t class = rd32(c, 0x08) >> 8;
    char t[64];

    /* A failed walk fails the command: its error is the JSON object then,
     * and text keeps what was decoded before it. */
    if (v->json && c->caps_rc < 0)
        return;
    if (v->json)
        s.o = json_pack(
            "{s:s,s:I,s:I,s:I,s:I,s:I,s:s,s:I,s:s,s:b}", "cmd", "cfg", "size",
            (json_int_t)c->len, "vendor", (json_int_t)rd16(c, 0), "device",
            (json_int_t)rd16(c, 2), "revision", (json_int_t)rd8(c, 8), "class",
            (json_int_t) class, "class_name",
            class_name((uint8_t)(class >> 16)), "header_type",
            (json_int_t)(htype & 0x7f), "header_name", header_name(htype),
            "multifunction", (htype & 0x80) != 0);
    else
        printf("device %04x:%04x rev 0x%02x, class 0x%06" PRIx32 " (%s)\n",
               rd16(c, 0), rd16(c, 2), rd8(c, 8), class,
               class_name((uint8_t)(class >> 16)));
    if ((htype & 0x7f) == 0) {
        if (v->json && s.o) {
            json_object_set_new(s.o, "subsystem_vendor",
                                json_integer(rd16(c, 0x2c)));
            json_object_set_new(s.o, "subsystem", json_integer(rd16(c, 0x2e)));
        } else if (!v->json) {
            printf("  subsystem %04x:%04x\n", rd16(c, 0x2c), rd16(c, 0x2e));
        }
    }
    if (!v->json)
        printf("  header type 0x%02x: %s, %s\n", htype, header_name(htype),
               htype & 0x80 ? "multi-function" : "single function");
    command_reg(&s, rd16(c, 0x04));
    status_reg(&s, rd16(c, 0x06));
    if (v->json) {
        if (s.o)
            json_object_set_new(s.o, "interrupt",
                                json_pack("{s:i,s:i}", "pin", (int)pin, "line",
                                          (int)rd8(c, 0x3c)));
    } else if (pin == 0) {
        printf("  interrupt: none\n");
    } else {
        if (pin <= 4)
            snprintf(t, sizeof(t), "%c", 'A' + pin - 1);
        else
            snprintf(t, sizeof(t), "0x%02x (invalid)", pin);
        printf("  interrupt: pin %s, line 0x%02x\n", t, rd8(c, 0x3c));
    }
    bars(&s, c);
    if (c->len >= VUCTL_CFG_PCI)
        capabilities(&s, c);
    if (v->json)
        emit(s.o);
}

/* ---- cfg --raw ------------------------------------------------------------
 */

void out_cfg_raw(struct vuctl *v, const uint8_t *data, size_t len)
{
    char *hex;

    if (!v->json) {
        /* A device line with a bus address, then offsets of two hex digits
         * below 0x100 and three above, as lspci -x, -xxx and -xxxx write
         * them and lspci -F reads them back. vfio-user has no bus address,
         * so the device is 00:00.0. */
        printf("00:00.0 Class %04x: Device %04x:%04x (rev %02x)\n",
               (unsigned)(data[0x0b] << 8 | data[0x0a]),
               (unsigned)(data[0] | data[1] << 8),
               (unsigned)(data[2] | data[3] << 8), data[8]);
        for (size_t off = 0; off < len; off += 16) {
            printf(off < 0x100 ? "%02zx:" : "%03zx:", off);
            for (size_t i = 0; i < 16 && off + i < len; i++)
                printf(" %02x", data[off + i]);
            fputc('\n', stdout);
        }
        fputc('\n', stdout);
        return;
    }
    hex = hex_string(data, len);
    if (!hex) {
        fputs("vuctl: cfg: out of memory\n", stderr);
        return;
    }
    emit(json_pack("{s:s,s:b,s:I,s:s}", "cmd", "cfg", "raw", 1, "size",
                   (json_int_t)len, "data", hex));
    free(hex);
}
