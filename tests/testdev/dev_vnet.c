/* SPDX-License-Identifier: BSD-3-Clause */
/* The virtio-net device's registers, status, features and interrupts. */
#include "dev_vnet.h"

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>

#include "testdev.h"

void vnd_config_defaults(struct vnd_config *cfg)
{
    static const uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
    memset(cfg, 0, sizeof(*cfg));
    cfg->backend = VND_BACKEND_RESPONDER;
    cfg->ip = 0x0a000202; /* 10.0.2.2 */
    memcpy(cfg->mac, mac, 6);
    cfg->queue_size = VND_DEFAULT_QUEUE_SIZE;
}

static int parse_quirks(struct vnd_config *cfg, const char *value)
{
    char buf[128];
    if (strlen(value) >= sizeof(buf)) {
        return td_fail(EINVAL, "--net-quirk: too long");
    }
    strcpy(buf, value);
    for (char *save, *t = strtok_r(buf, ",", &save); t != NULL;
         t = strtok_r(NULL, ",", &save)) {
        if (strcmp(t, "no-used") == 0) {
            cfg->quirks |= VND_QUIRK_NO_USED;
        } else if (strcmp(t, "needs-reset") == 0) {
            cfg->quirks |= VND_QUIRK_NEEDS_RESET;
        } else if (strcmp(t, "link-down") == 0) {
            cfg->quirks |= VND_QUIRK_LINK_DOWN;
        } else if (strcmp(t, "refuse-features") == 0) {
            cfg->quirks |= VND_QUIRK_REFUSE_FEATURES;
        } else {
            return td_fail(EINVAL,
                           "--net-quirk: unknown quirk '%s' (no-used, "
                           "needs-reset, link-down, refuse-features)",
                           t);
        }
    }
    return 0;
}

int vnd_parse_option(struct vnd_config *cfg, const char *name,
                     const char *value)
{
    if (strcmp(name, "net-backend") == 0) {
        if (strcmp(value, "responder") == 0) {
            cfg->backend = VND_BACKEND_RESPONDER;
        } else if (strcmp(value, "loopback") == 0) {
            cfg->backend = VND_BACKEND_LOOPBACK;
        } else if (strcmp(value, "socket") == 0) {
            cfg->backend = VND_BACKEND_SOCKET;
        } else {
            return td_fail(EINVAL,
                           "--net-backend: '%s' is none of responder, "
                           "loopback, socket",
                           value);
        }
    } else if (strcmp(name, "net-ip") == 0) {
        struct in_addr a;
        if (inet_pton(AF_INET, value, &a) != 1) {
            return td_fail(EINVAL, "--net-ip: '%s' is not an IPv4 address",
                           value);
        }
        cfg->ip = ntohl(a.s_addr);
    } else if (strcmp(name, "net-socket") == 0) {
        cfg->socket_path = value;
    } else if (strcmp(name, "net-peer") == 0) {
        cfg->peer_path = value;
    } else if (strcmp(name, "net-mac") == 0) {
        unsigned m[6];
        char end;
        if (sscanf(value, "%2x:%2x:%2x:%2x:%2x:%2x%c", &m[0], &m[1], &m[2],
                   &m[3], &m[4], &m[5], &end) != 6) {
            return td_fail(EINVAL, "--net-mac: '%s' is not a MAC address",
                           value);
        }
        for (int i = 0; i < 6; i++) {
            cfg->mac[i] = (uint8_t)m[i];
        }
    } else if (strcmp(name, "net-queue-size") == 0) {
        uint64_t v;
        if (td_parse_u64(value, 2, VND_MAX_QUEUE_SIZE, &v) != 0 ||
            (v & (v - 1)) != 0) {
            return td_fail(EINVAL,
                           "--net-queue-size: a power of two from 2 to %u",
                           VND_MAX_QUEUE_SIZE);
        }
        cfg->queue_size = (uint16_t)v;
    } else if (strcmp(name, "net-no-event-idx") == 0) {
        cfg->no_event_idx = true;
    } else if (strcmp(name, "net-no-indirect") == 0) {
        cfg->no_indirect = true;
    } else if (strcmp(name, "net-quirk") == 0) {
        return parse_quirks(cfg, value);
    } else {
        return td_fail(EINVAL, "unknown option --%s", name);
    }
    return 0;
}

int vnd_init(struct vnd *d, const struct vnd_config *cfg,
             const struct vnd_host *host)
{
    memset(d, 0, sizeof(*d));
    d->cfg = *cfg;
    d->host = *host;
    d->sock = -1;
    d->offered = 1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_NET_F_MAC |
                 1ull << VIRTIO_NET_F_STATUS;
    if (!cfg->no_event_idx) {
        d->offered |= 1ull << VIRTIO_RING_F_EVENT_IDX;
    }
    if (!cfg->no_indirect) {
        d->offered |= 1ull << VIRTIO_RING_F_INDIRECT_DESC;
    }
    d->backlog = calloc(VND_RX_BACKLOG, sizeof(*d->backlog));
    if (d->backlog == NULL) {
        td_log("virtio-net: out of memory for the receive backlog");
        return -ENOMEM;
    }
    vnd_reset(d);
    int rc = vnd_backend_open(d);
    if (rc < 0) {
        free(d->backlog);
        d->backlog = NULL;
    }
    return rc;
}

void vnd_fini(struct vnd *d)
{
    vnd_backend_close(d);
    free(d->backlog);
    d->backlog = NULL;
}

void vnd_reset(struct vnd *d)
{
    d->dfselect = d->gfselect = 0;
    d->features = 0;
    d->msix_config = VIRTIO_MSI_NO_VECTOR;
    d->status = 0;
    d->queue_select = 0;
    d->isr = 0;
    d->broken[0] = '\0';
    for (unsigned i = 0; i < VND_NUM_QUEUES; i++) {
        d->q[i] = (struct vnd_queue){
            .size = d->cfg.queue_size,
            .msix_vector = VIRTIO_MSI_NO_VECTOR,
        };
    }
    /* Frames from before the reset are gone, as on a real NIC. */
    d->backlog_head = d->backlog_count = 0;
}

bool vnd_has(const struct vnd *d, unsigned feature)
{
    return d->features & (1ull << feature);
}

void vnd_interrupt(struct vnd *d, int q)
{
    uint16_t vec = q < 0 ? d->msix_config : d->q[q].msix_vector;

    d->stats.irqs++;
    if (d->host.msix_enabled(d->host.ctx)) {
        /* "No vector": the driver asked for no interrupt. */
        if (vec != VIRTIO_MSI_NO_VECTOR) {
            d->host.msix(d->host.ctx, vec);
        }
        return;
    }
    d->isr |= q < 0 ? VIRTIO_PCI_ISR_CONFIG : 1u;
    d->host.intx(d->host.ctx);
}

void vnd_needs_reset(struct vnd *d, const char *fmt, ...)
{
    va_list ap;

    if (d->status & VIRTIO_CONFIG_S_NEEDS_RESET) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(d->broken, sizeof(d->broken), fmt, ap);
    va_end(ap);
    td_log("virtio-net: DEVICE_NEEDS_RESET: %s", d->broken);
    d->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
    /* Only a driver past DRIVER_OK is told; before, it reads the status. */
    if (d->status & VIRTIO_CONFIG_S_DRIVER_OK) {
        vnd_interrupt(d, -1);
    }
}

/* ---- Common configuration -------------------------------------------------
 * Accesses of any width and alignment: a read assembles the structure's
 * image and copies the bytes asked for; a write merges its bytes into the
 * image and applies every field it touched. */

struct common_field {
    uint8_t off, size;
};

static const struct common_field common_fields[] = {
    {VIRTIO_PCI_COMMON_DFSELECT, 4},  {VIRTIO_PCI_COMMON_DF, 4},
    {VIRTIO_PCI_COMMON_GFSELECT, 4},  {VIRTIO_PCI_COMMON_GF, 4},
    {VIRTIO_PCI_COMMON_MSIX, 2},      {VIRTIO_PCI_COMMON_NUMQ, 2},
    {VIRTIO_PCI_COMMON_STATUS, 1},    {VIRTIO_PCI_COMMON_CFGGENERATION, 1},
    {VIRTIO_PCI_COMMON_Q_SELECT, 2},  {VIRTIO_PCI_COMMON_Q_SIZE, 2},
    {VIRTIO_PCI_COMMON_Q_MSIX, 2},    {VIRTIO_PCI_COMMON_Q_ENABLE, 2},
    {VIRTIO_PCI_COMMON_Q_NOFF, 2},    {VIRTIO_PCI_COMMON_Q_DESCLO, 4},
    {VIRTIO_PCI_COMMON_Q_DESCHI, 4},  {VIRTIO_PCI_COMMON_Q_AVAILLO, 4},
    {VIRTIO_PCI_COMMON_Q_AVAILHI, 4}, {VIRTIO_PCI_COMMON_Q_USEDLO, 4},
    {VIRTIO_PCI_COMMON_Q_USEDHI, 4},
};

static struct vnd_queue *selected(struct vnd *d)
{
    return d->queue_select < VND_NUM_QUEUES ? &d->q[d->queue_select] : NULL;
}

static void put(uint8_t *img, unsigned off, unsigned size, uint64_t v)
{
    for (unsigned i = 0; i < size; i++) {
        img[off + i] = (uint8_t)(v >> (8 * i));
    }
}

static uint64_t get(const uint8_t *img, unsigned off, unsigned size)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        v |= (uint64_t)img[off + i] << (8 * i);
    }
    return v;
}

static void common_image(struct vnd *d, uint8_t img[VND_COMMON_LEN])
{
    struct vnd_queue *q = selected(d);

    memset(img, 0, VND_COMMON_LEN);
    put(img, VIRTIO_PCI_COMMON_DFSELECT, 4, d->dfselect);
    put(img, VIRTIO_PCI_COMMON_DF, 4,
        d->dfselect < 2 ? (uint32_t)(d->offered >> (32 * d->dfselect)) : 0);
    put(img, VIRTIO_PCI_COMMON_GFSELECT, 4, d->gfselect);
    put(img, VIRTIO_PCI_COMMON_GF, 4,
        d->gfselect < 2 ? (uint32_t)(d->features >> (32 * d->gfselect)) : 0);
    put(img, VIRTIO_PCI_COMMON_MSIX, 2, d->msix_config);
    put(img, VIRTIO_PCI_COMMON_NUMQ, 2, VND_NUM_QUEUES);
    put(img, VIRTIO_PCI_COMMON_STATUS, 1, d->status);
    put(img, VIRTIO_PCI_COMMON_CFGGENERATION, 1, d->generation);
    put(img, VIRTIO_PCI_COMMON_Q_SELECT, 2, d->queue_select);
    if (q == NULL) {
        return; /* a queue that does not exist reads as size 0 */
    }
    put(img, VIRTIO_PCI_COMMON_Q_SIZE, 2, q->size);
    put(img, VIRTIO_PCI_COMMON_Q_MSIX, 2, q->msix_vector);
    put(img, VIRTIO_PCI_COMMON_Q_ENABLE, 2, q->enabled);
    put(img, VIRTIO_PCI_COMMON_Q_NOFF, 2, d->queue_select);
    put(img, VIRTIO_PCI_COMMON_Q_DESCLO, 8, q->desc);
    put(img, VIRTIO_PCI_COMMON_Q_AVAILLO, 8, q->avail);
    put(img, VIRTIO_PCI_COMMON_Q_USEDLO, 8, q->used);
}

static uint16_t valid_vector(uint16_t v)
{
    /* The device answers "no vector" to one it cannot map. */
    return v < VND_MSIX_VECTORS ? v : VIRTIO_MSI_NO_VECTOR;
}

static void write_status(struct vnd *d, uint8_t v)
{
    if (v == 0) {
        vnd_reset(d);
        return;
    }
    uint8_t old = d->status;
    /* NEEDS_RESET is the device's; only a reset clears it. */
    v = (uint8_t)((v & ~VIRTIO_CONFIG_S_NEEDS_RESET) |
                  (old & VIRTIO_CONFIG_S_NEEDS_RESET));
    if ((v & VIRTIO_CONFIG_S_FEATURES_OK) &&
        !(old & VIRTIO_CONFIG_S_FEATURES_OK)) {
        /* Refuse what we did not offer, and a driver without 1.x. */
        if ((d->features & ~d->offered) != 0 ||
            !vnd_has(d, VIRTIO_F_VERSION_1) ||
            (d->cfg.quirks & VND_QUIRK_REFUSE_FEATURES)) {
            td_log("virtio-net: refusing features 0x%016llx (offered "
                   "0x%016llx)",
                   (unsigned long long)d->features,
                   (unsigned long long)d->offered);
            v &= (uint8_t)~VIRTIO_CONFIG_S_FEATURES_OK;
        }
    }
    d->status = v;
    if ((v & VIRTIO_CONFIG_S_DRIVER_OK) && !(old & VIRTIO_CONFIG_S_DRIVER_OK)) {
        /* Buffers the driver added before DRIVER_OK are ours now. */
        for (unsigned i = 0; i < VND_NUM_QUEUES; i++) {
            d->q[i].kicked = true;
        }
    }
}

static void apply_common(struct vnd *d, const uint8_t *img, unsigned off)
{
    struct vnd_queue *q = selected(d);
    bool live = d->status & VIRTIO_CONFIG_S_DRIVER_OK;

    switch (off) {
    case VIRTIO_PCI_COMMON_DFSELECT:
        d->dfselect = (uint32_t)get(img, off, 4);
        break;
    case VIRTIO_PCI_COMMON_GFSELECT:
        d->gfselect = (uint32_t)get(img, off, 4);
        break;
    case VIRTIO_PCI_COMMON_GF:
        /* Features are fixed once FEATURES_OK was accepted. */
        if (d->gfselect < 2 && !(d->status & VIRTIO_CONFIG_S_FEATURES_OK)) {
            unsigned sh = 32 * d->gfselect;
            d->features =
                (d->features & ~(0xffffffffull << sh)) | get(img, off, 4) << sh;
        }
        break;
    case VIRTIO_PCI_COMMON_MSIX:
        d->msix_config = valid_vector((uint16_t)get(img, off, 2));
        break;
    case VIRTIO_PCI_COMMON_STATUS:
        write_status(d, (uint8_t)get(img, off, 1));
        break;
    case VIRTIO_PCI_COMMON_Q_SELECT:
        d->queue_select = (uint16_t)get(img, off, 2);
        break;
    case VIRTIO_PCI_COMMON_Q_SIZE: {
        uint16_t v = (uint16_t)get(img, off, 2);
        /* Split queues: a power of two up to the maximum. */
        if (q != NULL && !q->enabled && v != 0 && (v & (v - 1)) == 0 &&
            v <= d->cfg.queue_size) {
            q->size = v;
        }
        break;
    }
    case VIRTIO_PCI_COMMON_Q_MSIX:
        if (q != NULL) {
            q->msix_vector = valid_vector((uint16_t)get(img, off, 2));
        }
        break;
    case VIRTIO_PCI_COMMON_Q_ENABLE:
        /* Writing 0 is not allowed to a driver; a reset disables. */
        if (q != NULL && get(img, off, 2) == 1 && !q->enabled) {
            q->enabled = true;
            q->last_avail = q->avail_idx = 0;
            q->used_idx = q->used_shown = q->signalled = 0;
            q->kicked = live;
        }
        break;
    case VIRTIO_PCI_COMMON_Q_DESCLO:
    case VIRTIO_PCI_COMMON_Q_DESCHI:
        if (q != NULL && !q->enabled) {
            q->desc = get(img, VIRTIO_PCI_COMMON_Q_DESCLO, 8);
        }
        break;
    case VIRTIO_PCI_COMMON_Q_AVAILLO:
    case VIRTIO_PCI_COMMON_Q_AVAILHI:
        if (q != NULL && !q->enabled) {
            q->avail = get(img, VIRTIO_PCI_COMMON_Q_AVAILLO, 8);
        }
        break;
    case VIRTIO_PCI_COMMON_Q_USEDLO:
    case VIRTIO_PCI_COMMON_Q_USEDHI:
        if (q != NULL && !q->enabled) {
            q->used = get(img, VIRTIO_PCI_COMMON_Q_USEDLO, 8);
        }
        break;
    default:
        break; /* read-only fields */
    }
}

static void common_write(struct vnd *d, uint32_t off, const uint8_t *buf,
                         size_t len)
{
    uint8_t img[VND_COMMON_LEN];

    common_image(d, img);
    memcpy(img + off, buf, len);
    for (size_t i = 0; i < sizeof(common_fields) / sizeof(common_fields[0]);
         i++) {
        const struct common_field *f = &common_fields[i];
        if (f->off < off + len && off < (uint32_t)f->off + f->size) {
            apply_common(d, img, f->off);
        }
    }
}

static void devcfg_image(const struct vnd *d, uint8_t img[VND_DEVCFG_LEN])
{
    memset(img, 0, VND_DEVCFG_LEN);
    memcpy(img, d->cfg.mac, 6);
    put(img, 6, 2,
        d->cfg.quirks & VND_QUIRK_LINK_DOWN ? 0 : VIRTIO_NET_S_LINK_UP);
    put(img, 8, 2, 1); /* max_virtqueue_pairs (only with MQ, which we lack) */
}

/* Which structure [off, off + len) falls in, and where inside it. */
static bool in_window(uint32_t off, size_t len, uint32_t base, uint32_t size,
                      uint32_t *rel)
{
    if (off < base || off - base >= size || len > size - (off - base)) {
        return false;
    }
    *rel = off - base;
    return true;
}

void vnd_bar_read(struct vnd *d, uint32_t off, void *buf, size_t len)
{
    uint8_t img[VND_COMMON_LEN];
    uint32_t rel;

    memset(buf, 0, len);
    if (in_window(off, len, VND_COMMON_OFF, VND_COMMON_LEN, &rel)) {
        common_image(d, img);
        memcpy(buf, img + rel, len);
    } else if (in_window(off, len, VND_ISR_OFF, VND_ISR_LEN, &rel)) {
        /* Reading the ISR acknowledges it. */
        if (rel == 0) {
            *(uint8_t *)buf = d->isr;
            d->isr = 0;
        }
    } else if (in_window(off, len, VND_DEVCFG_OFF, VND_DEVCFG_LEN, &rel)) {
        devcfg_image(d, img);
        memcpy(buf, img + rel, len);
    }
}

void vnd_notify(struct vnd *d, uint16_t queue)
{
    if (queue < VND_NUM_QUEUES) {
        d->q[queue].kicked = true;
        d->stats.kicks++;
    }
}

void vnd_bar_write(struct vnd *d, uint32_t off, const void *buf, size_t len)
{
    uint32_t rel;

    if (in_window(off, len, VND_COMMON_OFF, VND_COMMON_LEN, &rel)) {
        common_write(d, rel, buf, len);
    } else if (in_window(off, len, VND_NOTIFY_OFF, VND_NOTIFY_LEN, &rel)) {
        /* Each queue has its own address; the value written (the queue
         * index, without NOTIFICATION_DATA) says nothing more. */
        vnd_notify(d, (uint16_t)(rel / VND_NOTIFY_MULT));
    }
}

int vnd_run(struct vnd *d)
{
    int rc;

    if (!(d->status & VIRTIO_CONFIG_S_DRIVER_OK) ||
        (d->status & VIRTIO_CONFIG_S_NEEDS_RESET)) {
        return 0;
    }
    if (d->cfg.quirks & VND_QUIRK_NO_USED) {
        /* The quirk: take notifications and never answer them. */
        d->q[0].kicked = d->q[1].kicked = false;
        return 0;
    }
    /* Transmit first: the loopback and the responder fill the backlog
     * that receive then drains. Transmit stops while the backlog is full
     * and keeps its doorbell; it goes on here as long as receive made
     * room, since no new doorbell may come for it (the driver notifies
     * only for entries past avail_event, which a stopped transmit has not
     * moved). */
    for (;;) {
        if ((rc = vnd_ring_tx(d)) < 0 || (rc = vnd_ring_rx(d)) < 0) {
            return rc;
        }
        /* Each round moves at least one frame; a full backlog after
         * receive means no receive buffers, and the driver's next receive
         * doorbell brings us back. */
        if (!d->q[1].kicked || d->backlog_count == VND_RX_BACKLOG ||
            (d->status & VIRTIO_CONFIG_S_NEEDS_RESET)) {
            break;
        }
    }
    return 0;
}

int vnd_backend_fd(const struct vnd *d)
{
    return d->sock;
}
