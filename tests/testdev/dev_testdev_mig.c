/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The "testdev" personality's migration data: the format of "Migration"
 * in testdev_regs.h, which the core's state machine (migration.c) hands
 * out and takes in.
 *
 * Sections of the stream are built whole when a state is entered, so a
 * save is a snapshot of that moment and reads are mere copies. A PRE_COPY
 * session sends BAR1 early (the bulk of the state, as a real device sends
 * its memory) and then only the pages that changed, found by comparing
 * with the image it sent: BAR1 is the client's to write through its
 * mapping, so no write of it can be trapped.
 *
 * A stream is checked completely before any of it is loaded: a bad one
 * leaves the device as it was (though in ERROR), never half loaded.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dev_testdev.h"

#define PAGE TESTDEV_MIG_BAR1_PAGE_SIZE
#define NPAGES TESTDEV_MIG_BAR1_NPAGES
#define HDR TESTDEV_MIG_HDR_SIZE
#define CRC TESTDEV_MIG_CRC_SIZE
#define NDMA 10u /* u32 DMA engine registers in a DEVICE section */
#define NIRQ 3u  /* u32 interrupt hook registers */

_Static_assert(TESTDEV_MIG_D_DMA + 4 * NDMA == TESTDEV_MIG_D_IRQ &&
                   TESTDEV_MIG_D_IRQ + 4 * NIRQ == TESTDEV_MIG_D_INTX_MASKED &&
                   TESTDEV_MIG_D_INTX_PENDING < TESTDEV_MIG_D_BAR0 &&
                   TESTDEV_MIG_D_BAR0 + TESTDEV_BAR0_SIZE ==
                       TESTDEV_MIG_D_CONFIG &&
                   TESTDEV_MIG_D_CONFIG + TESTDEV_CONFIG_SIZE ==
                       TESTDEV_MIG_D_PAGES,
               "DEVICE section layout in testdev_regs.h");
_Static_assert(NPAGES *PAGE == TESTDEV_BAR1_SIZE && NPAGES <= 32,
               "BAR1 pages fit the page mask");

/* ---- Little-endian fields and the checksum ------------------------------- */

static void put16(uint8_t *p, uint16_t v)
{
    v = htole16(v);
    memcpy(p, &v, sizeof(v));
}

static void put32(uint8_t *p, uint32_t v)
{
    v = htole32(v);
    memcpy(p, &v, sizeof(v));
}

static uint16_t get16(const uint8_t *p)
{
    uint16_t v;

    memcpy(&v, p, sizeof(v));
    return le16toh(v);
}

static uint32_t get32(const uint8_t *p)
{
    uint32_t v;

    memcpy(&v, p, sizeof(v));
    return le32toh(v);
}

/* CRC-32 of IEEE 802.3 (reflected polynomial 0xedb88320), the one zlib
 * and most tools compute, so a test can check a section with anything. */
static uint32_t crc32_ieee(const uint8_t *p, size_t n)
{
    static uint32_t table[256];
    static bool ready;
    uint32_t crc = 0xffffffffu;

    if (!ready) {
        uint32_t i, k;

        for (i = 0; i < 256; i++) {
            uint32_t c = i;

            for (k = 0; k < 8; k++)
                c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        ready = true;
    }
    while (n--)
        crc = table[(crc ^ *p++) & 0xffu] ^ (crc >> 8);
    return ~crc;
}

/* ---- Saving -------------------------------------------------------------- */

/* Room for a section with @p len bytes of payload at the end of the
 * stream; its payload's address, or NULL. */
static uint8_t *section_begin(struct td_mig *mig, uint16_t type, uint32_t len)
{
    uint8_t *s = mig_out_reserve(mig, TESTDEV_MIG_SECTION((size_t)len));

    if (!s)
        return NULL;
    put32(s + TESTDEV_MIG_H_MAGIC, TESTDEV_MIG_MAGIC);
    put16(s + TESTDEV_MIG_H_VERSION, TESTDEV_MIG_VERSION);
    put16(s + TESTDEV_MIG_H_TYPE, type);
    put32(s + TESTDEV_MIG_H_LENGTH, len);
    return s + HDR;
}

/* Seal the section section_begin() made, now that its payload is in. */
static void section_end(struct td_mig *mig, uint32_t len)
{
    uint8_t *s = mig->out + mig->out_len;

    put32(s + HDR + len, crc32_ieee(s, HDR + (size_t)len));
    mig_out_commit(mig, TESTDEV_MIG_SECTION((size_t)len));
}

/* RUNNING -> PRE_COPY: the pre-copy data is an image of BAR1. */
static int tdv_save_pre_copy(struct testdev *td)
{
    uint8_t *p =
        section_begin(&td->mig, TESTDEV_MIG_SEC_IMAGE, TESTDEV_BAR1_SIZE);

    if (!p)
        return td_fail(ENOMEM, "MIG_DEVICE_STATE: no memory for the "
                               "pre-copy data");
    memcpy(p, tdv(td)->bar1, TESTDEV_BAR1_SIZE);
    section_end(&td->mig, TESTDEV_BAR1_SIZE);
    td->mig.out_pre_copy = true;
    return 0;
}

/* Entering STOP_COPY: the rest of the state, a snapshot of this moment. */
static int tdv_save_stop_copy(struct testdev *td)
{
    /* Our copy: the client may write BAR1 through its mapping meanwhile,
     * and what is compared must be what is sent. */
    static uint8_t bar1[TESTDEV_BAR1_SIZE];
    struct tdv_state *dev = tdv(td);
    const struct td_irq_vector *intx =
        &td->irqs.index[VFIO_USER_PCI_INTX_IRQ_INDEX].vec[0];
    const uint8_t *image = td->mig.out_pre_copy ? td->mig.out + HDR : NULL;
    const uint32_t dma[NDMA] = {
        dev->dmae.src_lo,    dev->dmae.src_hi, dev->dmae.dst_lo,
        dev->dmae.dst_hi,    dev->dmae.len,    dev->dmae.ctrl,
        dev->dmae.status,    dev->dmae.err,    dev->dmae.done_count,
        dev->dmae.doorbells,
    };
    const uint32_t irq[NIRQ] = {dev->irqh.select, dev->irqh.fired,
                                dev->irqh.delivered};
    uint32_t pages = 0, len, n = 0, i;
    uint8_t *p, *at;

    memcpy(bar1, dev->bar1, sizeof(bar1));
    for (i = 0; i < NPAGES; i++)
        if (!image || memcmp(image + i * PAGE, bar1 + i * PAGE, PAGE)) {
            pages |= 1u << i;
            n++;
        }
    len = TESTDEV_MIG_DEVICE_SIZE(n);
    /* section_begin() may move the stream, and with it the image. */
    p = section_begin(&td->mig, TESTDEV_MIG_SEC_DEVICE, len);
    if (!p)
        return td_fail(ENOMEM, "MIG_DEVICE_STATE: no memory for the "
                               "device state");
    put32(p + TESTDEV_MIG_D_BAR1_PAGES, pages);
    put32(p + TESTDEV_MIG_D_LOG_COUNT, dev->log_count);
    put32(p + TESTDEV_MIG_D_ACCESS_COUNT, dev->access_count);
    put32(p + TESTDEV_MIG_D_LAST_WRITE, dev->last_write);
    for (i = 0; i < NDMA; i++)
        put32(p + TESTDEV_MIG_D_DMA + 4 * i, dma[i]);
    for (i = 0; i < NIRQ; i++)
        put32(p + TESTDEV_MIG_D_IRQ + 4 * i, irq[i]);
    p[TESTDEV_MIG_D_INTX_MASKED] = intx->masked;
    p[TESTDEV_MIG_D_INTX_PENDING] = intx->pending;
    memcpy(p + TESTDEV_MIG_D_BAR0, dev->bar0, TESTDEV_BAR0_SIZE);
    memcpy(p + TESTDEV_MIG_D_CONFIG, td->pci.cfg, TESTDEV_CONFIG_SIZE);
    at = p + TESTDEV_MIG_D_PAGES;
    for (i = 0; i < NPAGES; i++)
        if (pages & (1u << i)) {
            memcpy(at, bar1 + i * PAGE, PAGE);
            at += PAGE;
        }
    section_end(&td->mig, len);
    td_note("%s -> STOP_COPY: device state saved with %u of %u BAR1 "
            "pages%s; %zu bytes to read",
            mig_state_name(td->mig.state), n, NPAGES,
            image ? " (the others are in the pre-copy image)" : "",
            td->mig.out_len - td->mig.out_pos);
    return 0;
}

/* ---- Loading ------------------------------------------------------------- */

struct stream {
    const uint8_t *image; /* IMAGE payload, or NULL */
    const uint8_t *dev;   /* DEVICE payload */
    uint32_t pages;
};

/* One section at @p pos of @p len bytes: its type and payload. */
static int parse_section(const uint8_t *buf, size_t len, size_t pos,
                         uint16_t *type, const uint8_t **payload,
                         uint32_t *plen)
{
    const uint8_t *s = buf + pos;
    uint32_t magic, crc, want;
    uint16_t version;

    if (len - pos < HDR)
        return td_fail(EINVAL,
                       "RESUMING -> STOP: the data ends inside a section "
                       "header (byte %zu of %zu)",
                       pos, len);
    magic = get32(s + TESTDEV_MIG_H_MAGIC);
    version = get16(s + TESTDEV_MIG_H_VERSION);
    *type = get16(s + TESTDEV_MIG_H_TYPE);
    *plen = get32(s + TESTDEV_MIG_H_LENGTH);
    if (magic != TESTDEV_MIG_MAGIC)
        return td_fail(EINVAL,
                       "RESUMING -> STOP: magic 0x%08x at byte %zu: not "
                       "vuc-testdev migration data",
                       magic, pos);
    if (version != TESTDEV_MIG_VERSION)
        return td_fail(EINVAL,
                       "RESUMING -> STOP: format version %u at byte %zu; "
                       "this device reads version %u",
                       version, pos, TESTDEV_MIG_VERSION);
    if (*type != TESTDEV_MIG_SEC_IMAGE && *type != TESTDEV_MIG_SEC_DEVICE)
        return td_fail(EINVAL,
                       "RESUMING -> STOP: unknown section type %u at byte %zu",
                       *type, pos);
    if (len - pos - HDR < (size_t)*plen + CRC)
        return td_fail(EINVAL,
                       "RESUMING -> STOP: the section at byte %zu needs %u "
                       "bytes of payload and 4 of checksum after its "
                       "header; the data has %zu",
                       pos, *plen, len - pos - HDR);
    crc = get32(s + HDR + *plen);
    want = crc32_ieee(s, HDR + (size_t)*plen);
    if (crc != want)
        return td_fail(EINVAL,
                       "RESUMING -> STOP: checksum of the section at byte %zu "
                       "is 0x%08x, its contents give 0x%08x",
                       pos, crc, want);
    *payload = s + HDR;
    return 0;
}

/* The section structure: [IMAGE] DEVICE, sizes exact. */
static int parse_stream(const uint8_t *buf, size_t len, struct stream *st)
{
    size_t pos = 0;

    memset(st, 0, sizeof(*st));
    while (pos < len) {
        /* Set whenever parse_section() succeeds. */
        const uint8_t *payload = NULL;
        uint32_t plen = 0;
        uint16_t type = 0;
        int err;

        if (st->dev)
            return td_fail(EINVAL,
                           "RESUMING -> STOP: %zu bytes after the device "
                           "section, which must be last",
                           len - pos);
        err = parse_section(buf, len, pos, &type, &payload, &plen);
        if (err)
            return err;
        if (type == TESTDEV_MIG_SEC_IMAGE) {
            if (pos != 0)
                return td_fail(EINVAL,
                               "RESUMING -> STOP: an image section at byte "
                               "%zu; it may only come first",
                               pos);
            if (plen != TESTDEV_BAR1_SIZE)
                return td_fail(EINVAL,
                               "RESUMING -> STOP: image section of %u bytes, "
                               "BAR1 has %u",
                               plen, TESTDEV_BAR1_SIZE);
            st->image = payload;
        } else {
            uint32_t pages;

            if (plen < TESTDEV_MIG_D_PAGES)
                return td_fail(EINVAL,
                               "RESUMING -> STOP: device section of %u "
                               "bytes, less than the %u of its fixed part",
                               plen, TESTDEV_MIG_D_PAGES);
            pages = get32(payload + TESTDEV_MIG_D_BAR1_PAGES);
            if (pages & ~TESTDEV_MIG_BAR1_ALL)
                return td_fail(EINVAL,
                               "RESUMING -> STOP: BAR1 page mask 0x%x names "
                               "pages BAR1 does not have",
                               pages);
            if (plen !=
                TESTDEV_MIG_DEVICE_SIZE((uint32_t)__builtin_popcount(pages)))
                return td_fail(EINVAL,
                               "RESUMING -> STOP: device section of %u bytes "
                               "for %d BAR1 pages, expected %u",
                               plen, __builtin_popcount(pages),
                               TESTDEV_MIG_DEVICE_SIZE(
                                   (uint32_t)__builtin_popcount(pages)));
            st->dev = payload;
            st->pages = pages;
        }
        pos += TESTDEV_MIG_SECTION((size_t)plen);
    }
    if (!st->dev)
        return td_fail(EINVAL,
                       "RESUMING -> STOP: %zu bytes of data hold no device "
                       "section",
                       len);
    if (!st->image && st->pages != TESTDEV_MIG_BAR1_ALL)
        return td_fail(EINVAL,
                       "RESUMING -> STOP: the device section holds BAR1 pages "
                       "0x%x only, and no image precedes it",
                       st->pages);
    return 0;
}

/* Values the device itself could never have had. */
static int check_device(const struct testdev *td, const uint8_t *d)
{
    uint32_t status = get32(d + TESTDEV_MIG_D_DMA + 4 * 6);
    long bad;
    uint32_t i;

    if (status != TESTDEV_DMA_STATUS_IDLE &&
        status != TESTDEV_DMA_STATUS_DONE && status != TESTDEV_DMA_STATUS_ERROR)
        return td_fail(EINVAL,
                       "RESUMING -> STOP: DMA_STATUS %u is not a state a "
                       "saved engine can be in",
                       status);
    if (d[TESTDEV_MIG_D_INTX_MASKED] > 1 || d[TESTDEV_MIG_D_INTX_PENDING] > 1)
        return td_fail(EINVAL,
                       "RESUMING -> STOP: INTx masked %u / pending %u are "
                       "not booleans",
                       d[TESTDEV_MIG_D_INTX_MASKED],
                       d[TESTDEV_MIG_D_INTX_PENDING]);
    for (i = TESTDEV_MIG_D_INTX_PENDING + 1; i < TESTDEV_MIG_D_BAR0; i++)
        if (d[i])
            return td_fail(EINVAL,
                           "RESUMING -> STOP: reserved byte 0x%x of the "
                           "device section is not 0",
                           i);
    bad = pci_image_check(td, d + TESTDEV_MIG_D_CONFIG);
    if (bad >= 0)
        return td_fail(EINVAL,
                       "RESUMING -> STOP: config space byte 0x%lx is 0x%02x, "
                       "which this device cannot have (data of another "
                       "device?)",
                       bad, d[TESTDEV_MIG_D_CONFIG + bad]);
    return 0;
}

static void load(struct testdev *td, const struct stream *st)
{
    struct tdv_state *dev = tdv(td);
    struct td_irq_vector *intx =
        &td->irqs.index[VFIO_USER_PCI_INTX_IRQ_INDEX].vec[0];
    const uint8_t *d = st->dev, *page = d + TESTDEV_MIG_D_PAGES;
    uint32_t *dma[NDMA] = {
        &dev->dmae.src_lo,    &dev->dmae.src_hi, &dev->dmae.dst_lo,
        &dev->dmae.dst_hi,    &dev->dmae.len,    &dev->dmae.ctrl,
        &dev->dmae.status,    &dev->dmae.err,    &dev->dmae.done_count,
        &dev->dmae.doorbells,
    };
    uint32_t *irq[NIRQ] = {&dev->irqh.select, &dev->irqh.fired,
                           &dev->irqh.delivered};
    uint32_t i;

    dev->log_count = get32(d + TESTDEV_MIG_D_LOG_COUNT);
    dev->access_count = get32(d + TESTDEV_MIG_D_ACCESS_COUNT);
    dev->last_write = get32(d + TESTDEV_MIG_D_LAST_WRITE);
    for (i = 0; i < NDMA; i++)
        *dma[i] = get32(d + TESTDEV_MIG_D_DMA + 4 * i);
    for (i = 0; i < NIRQ; i++)
        *irq[i] = get32(d + TESTDEV_MIG_D_IRQ + 4 * i);
    intx->masked = d[TESTDEV_MIG_D_INTX_MASKED];
    intx->pending = d[TESTDEV_MIG_D_INTX_PENDING];
    memcpy(dev->bar0, d + TESTDEV_MIG_D_BAR0, TESTDEV_BAR0_SIZE);
    /* Only the values: the write masks are the device's, not the data's. */
    memcpy(td->pci.cfg, d + TESTDEV_MIG_D_CONFIG, TESTDEV_CONFIG_SIZE);
    /* BAR1 as the client saw it, write log page included, byte for byte. */
    if (st->image)
        memcpy(dev->bar1, st->image, TESTDEV_BAR1_SIZE);
    for (i = 0; i < NPAGES; i++)
        if (st->pages & (1u << i)) {
            memcpy(dev->bar1 + i * PAGE, page, PAGE);
            page += PAGE;
        }
}

/* RESUMING -> STOP: all of it or nothing. */
static int tdv_load(struct testdev *td, const uint8_t *buf, size_t len)
{
    struct stream st;
    int err = parse_stream(buf, len, &st);

    if (!err)
        err = check_device(td, st.dev);
    if (err)
        return err;
    load(td, &st);
    td_note("RESUMING -> STOP: loaded %zu bytes of device state (%s%d "
            "BAR1 pages)",
            len, st.image ? "an image and " : "", __builtin_popcount(st.pages));
    return 0;
}

const struct td_mig_ops tdv_mig_ops = {
    .save_pre_copy = tdv_save_pre_copy,
    .save_stop_copy = tdv_save_stop_copy,
    .load = tdv_load,
};
