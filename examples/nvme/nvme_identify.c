/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vuc-nvme identify: the controller and namespace data, printed as
 * nvme-cli's id-ctrl and id-ns print them (a subset), or as JSON. Strings
 * come from the device and are escaped, never printed raw.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "vuc_nvme.h"

/* One output, two shapes: text lines "name : value" or JSON members. */
struct out {
    bool json;
    bool first;
};

static void key(struct out *o, const char *k)
{
    if (o->json) {
        printf("%s\n    \"%s\": ", o->first ? "" : ",", k);
    } else {
        printf("%-9s: ", k);
    }
    o->first = false;
}

static void num(struct out *o, const char *k, uint64_t v, bool hex)
{
    key(o, k);
    if (o->json) {
        printf("%" PRIu64, v);
    } else {
        printf(hex ? "%#" PRIx64 "\n" : "%" PRIu64 "\n", v);
    }
}

/* A space-padded ASCII field, trimmed, anything unprintable escaped. */
static void str(struct out *o, const char *k, const uint8_t *p, size_t n)
{
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == 0)) {
        n--;
    }
    key(o, k);
    if (o->json) {
        putchar('"');
    }
    for (size_t i = 0; i < n; i++) {
        uint8_t ch = p[i];
        if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\') {
            putchar(ch);
        } else if (o->json) {
            printf("\\u%04x", ch);
        } else {
            printf("\\x%02x", ch);
        }
    }
    printf(o->json ? "\"" : "\n");
}

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
    return le32(p) | (uint64_t)le32(p + 4) << 32;
}

int cmd_identify(struct nvme_drv *d, bool json)
{
    const struct nvme_drv_info *in = nvme_drv_info(d);
    const uint8_t *c = in->id_ctrl, *n = in->id_ns;
    struct out o = {.json = json, .first = true};

    if (json) {
        printf("{\n  \"controller\": {");
    } else {
        printf("NVME Identify Controller:\n");
    }
    num(&o, "vid", le16(c + NVME_IDC_VID), true);
    num(&o, "ssvid", le16(c + NVME_IDC_SSVID), true);
    str(&o, "sn", c + NVME_IDC_SN, 20);
    str(&o, "mn", c + NVME_IDC_MN, 40);
    str(&o, "fr", c + NVME_IDC_FR, 8);
    num(&o, "mdts", c[NVME_IDC_MDTS], false);
    num(&o, "cntlid", le16(c + NVME_IDC_CNTLID), true);
    num(&o, "ver", le32(c + NVME_IDC_VER), true);
    num(&o, "oacs", le16(c + NVME_IDC_OACS), true);
    num(&o, "acl", c[NVME_IDC_ACL], false);
    num(&o, "elpe", c[NVME_IDC_ELPE], false);
    num(&o, "sqes", c[NVME_IDC_SQES], true);
    num(&o, "cqes", c[NVME_IDC_CQES], true);
    num(&o, "nn", le32(c + NVME_IDC_NN), false);
    num(&o, "oncs", le16(c + NVME_IDC_ONCS), true);
    num(&o, "vwc", c[NVME_IDC_VWC], true);
    num(&o, "cap", in->cap, true);
    num(&o, "vs", in->vs, true);
    if (json) {
        printf("\n  },\n  \"namespace\": {");
    } else {
        printf("\nNVME Identify Namespace %u:\n", in->nsid);
    }
    o.first = true;
    num(&o, "nsid", in->nsid, false);
    num(&o, "nsze", le64(n + NVME_IDN_NSZE), true);
    num(&o, "ncap", le64(n + NVME_IDN_NCAP), true);
    num(&o, "nuse", le64(n + NVME_IDN_NUSE), true);
    num(&o, "nlbaf", n[NVME_IDN_NLBAF], false);
    num(&o, "flbas", n[NVME_IDN_FLBAS], true);
    num(&o, "lba_size", in->lba_size, false);
    if (json) {
        printf("\n  },\n  \"driver\": {");
        o.first = true;
    }
    num(&o, "queues", in->nr_queues, false);
    num(&o, "qdepth", in->qdepth, false);
    num(&o, "vectors", in->nr_vectors, false);
    num(&o, "max_xfer", in->max_xfer, false);
    if (json) {
        printf("\n  }\n}\n");
    } else {
        for (unsigned i = 0; i <= n[NVME_IDN_NLBAF] && i < 16; i++) {
            uint32_t f = le32(n + NVME_IDN_LBAF + 4 * i);
            printf("lbaf %2u : ms:%-3u lbads:%-3u rp:%#x%s\n", i, f & 0xffff,
                   (f >> 16) & 0xff, (f >> 24) & 3,
                   (n[NVME_IDN_FLBAS] & 0xf) == i ? " (in use)" : "");
        }
    }
    return 0;
}
