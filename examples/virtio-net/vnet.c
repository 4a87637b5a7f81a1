/* SPDX-License-Identifier: BSD-3-Clause */
#include "vnet.h"

#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_pci.h>

#include "../common/pci_setup.h"

#define VNET_DEFAULT_QUEUE_SIZE 256u
#define VNET_PCI_VENDOR 0x1af4u
#define VNET_PCI_MODERN 0x1041u       /* 0x1040 + device type 1 */
#define VNET_PCI_TRANSITIONAL 0x1000u /* network, transitional */
#define VNET_PCI_SUBSYS_ID 0x2eu
#define VNET_VIRTIO_ID_NET 1u
#define VNET_RESET_TIMEOUT_MS 1000
/* How often a wait with nothing arriving looks at the device status. */
#define VNET_STATUS_CHECK_MS 100

/* The features this driver understands. Everything else stays off. */
#define VNET_WANTED                                                            \
    ((1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_F_ACCESS_PLATFORM) |       \
     (1ull << VIRTIO_F_ORDER_PLATFORM) | (1ull << VIRTIO_NET_F_MAC) |          \
     (1ull << VIRTIO_NET_F_STATUS) | (1ull << VIRTIO_RING_F_EVENT_IDX) |       \
     (1ull << VIRTIO_RING_F_INDIRECT_DESC))

static int vnet_fail(struct vnet *n, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int vnet_fail(struct vnet *n, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(n->err, sizeof(n->err), fmt, ap);
    va_end(ap);
    return rc;
}

/* A transport call failed: its message says what. A lost connection says
 * so first, since every later failure follows from it. */
static int vnet_fail_vp(struct vnet *n, int rc)
{
    if (n->lost) {
        return vnet_fail(n, -ECONNRESET, "lost the connection to the device");
    }
    return vnet_fail(n, rc, "%s", n->vp.err);
}

static int vnet_fail_vuc(struct vnet *n, int rc, const char *what)
{
    if (n->lost) {
        return vnet_fail(n, -ECONNRESET, "lost the connection to the device");
    }
    return vnet_fail(n, rc, "%s: %s", what, vuc_strerror(n->c));
}

static void on_disconnect(struct vuc_client *c, int result, void *arg)
{
    struct vnet *n = arg;
    (void)c;
    (void)result; /* the client's error text says why */
    n->lost = true;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *vnet_feature_name(unsigned bit)
{
    static const char *const names[64] = {
        [VIRTIO_NET_F_CSUM] = "CSUM",
        [VIRTIO_NET_F_GUEST_CSUM] = "GUEST_CSUM",
        [VIRTIO_NET_F_CTRL_GUEST_OFFLOADS] = "CTRL_GUEST_OFFLOADS",
        [VIRTIO_NET_F_MTU] = "MTU",
        [VIRTIO_NET_F_MAC] = "MAC",
        [VIRTIO_NET_F_GSO] = "GSO",
        [VIRTIO_NET_F_GUEST_TSO4] = "GUEST_TSO4",
        [VIRTIO_NET_F_GUEST_TSO6] = "GUEST_TSO6",
        [VIRTIO_NET_F_GUEST_ECN] = "GUEST_ECN",
        [VIRTIO_NET_F_GUEST_UFO] = "GUEST_UFO",
        [VIRTIO_NET_F_HOST_TSO4] = "HOST_TSO4",
        [VIRTIO_NET_F_HOST_TSO6] = "HOST_TSO6",
        [VIRTIO_NET_F_HOST_ECN] = "HOST_ECN",
        [VIRTIO_NET_F_HOST_UFO] = "HOST_UFO",
        [VIRTIO_NET_F_MRG_RXBUF] = "MRG_RXBUF",
        [VIRTIO_NET_F_STATUS] = "STATUS",
        [VIRTIO_NET_F_CTRL_VQ] = "CTRL_VQ",
        [VIRTIO_NET_F_CTRL_RX] = "CTRL_RX",
        [VIRTIO_NET_F_CTRL_VLAN] = "CTRL_VLAN",
        [VIRTIO_NET_F_CTRL_RX_EXTRA] = "CTRL_RX_EXTRA",
        [VIRTIO_NET_F_GUEST_ANNOUNCE] = "GUEST_ANNOUNCE",
        [VIRTIO_NET_F_MQ] = "MQ",
        [VIRTIO_NET_F_CTRL_MAC_ADDR] = "CTRL_MAC_ADDR",
        [VIRTIO_F_NOTIFY_ON_EMPTY] = "NOTIFY_ON_EMPTY",
        [VIRTIO_F_ANY_LAYOUT] = "ANY_LAYOUT",
        [VIRTIO_RING_F_INDIRECT_DESC] = "RING_INDIRECT_DESC",
        [VIRTIO_RING_F_EVENT_IDX] = "RING_EVENT_IDX",
        [VIRTIO_F_VERSION_1] = "VERSION_1",
        [VIRTIO_F_ACCESS_PLATFORM] = "ACCESS_PLATFORM",
        [VIRTIO_F_RING_PACKED] = "RING_PACKED",
        [VIRTIO_F_IN_ORDER] = "IN_ORDER",
        [VIRTIO_F_ORDER_PLATFORM] = "ORDER_PLATFORM",
        [VIRTIO_F_SR_IOV] = "SR_IOV",
        [VIRTIO_F_RING_RESET] = "RING_RESET",
        [VIRTIO_NET_F_HASH_REPORT] = "HASH_REPORT",
        [VIRTIO_NET_F_RSS] = "RSS",
        [VIRTIO_NET_F_STANDBY] = "STANDBY",
        [VIRTIO_NET_F_SPEED_DUPLEX] = "SPEED_DUPLEX",
    };
    return bit < 64 ? names[bit] : NULL;
}

/* The device status, and an error when the device gave up: NEEDS_RESET
 * (it hit something it cannot go on from) or FAILED. */
static int vnet_check_status(struct vnet *n)
{
    uint8_t status;

    if (n->lost) {
        return vnet_fail(n, -ECONNRESET, "lost the connection to the device");
    }
    if (vpci_get_status(&n->vp, &status) < 0) {
        return vnet_fail_vp(n, -EIO);
    }
    if (status & VIRTIO_CONFIG_S_NEEDS_RESET) {
        return vnet_fail(n, -EIO,
                         "the device needs a reset (DEVICE_NEEDS_RESET set, "
                         "status 0x%02x)",
                         status);
    }
    if (status == 0 && n->queues_ready) {
        return vnet_fail(n, -EIO, "the device reset itself (status 0)");
    }
    return 0;
}

static int common_write16(struct vnet *n, uint32_t off, uint16_t v)
{
    v = htole16(v);
    return vpci_common_write(&n->vp, off, &v, 2) < 0 ? vnet_fail_vp(n, -EIO)
                                                     : 0;
}

static int common_read16(struct vnet *n, uint32_t off, uint16_t *v)
{
    if (vpci_common_read(&n->vp, off, v, 2) < 0) {
        return vnet_fail_vp(n, -EIO);
    }
    *v = le16toh(*v);
    return 0;
}

static int common_write64(struct vnet *n, uint32_t lo_off, uint64_t v)
{
    uint32_t half[2] = {htole32((uint32_t)v), htole32((uint32_t)(v >> 32))};
    if (vpci_common_write(&n->vp, lo_off, &half[0], 4) < 0 ||
        vpci_common_write(&n->vp, lo_off + 4, &half[1], 4) < 0) {
        return vnet_fail_vp(n, -EIO);
    }
    return 0;
}

/* Give a vector to a queue or the configuration and check that the device
 * took it: it answers VIRTIO_MSI_NO_VECTOR when it could not. */
static int set_vector(struct vnet *n, uint32_t off, uint16_t vec,
                      const char *what)
{
    uint16_t back;
    int rc;

    if ((rc = common_write16(n, off, vec)) < 0 ||
        (rc = common_read16(n, off, &back)) < 0) {
        return rc;
    }
    if (back != vec) {
        return vnet_fail(n, -EIO,
                         "the device did not take MSI-X vector %u for %s "
                         "(reads back 0x%x)",
                         vec, what, back);
    }
    return 0;
}

/* Vectors come out of reset masked in the MSI-X table (PCI's rule), and a
 * device that follows it holds their interrupts pending: clear the Mask
 * bit of each vector we use. Over vfio-user the address and data are not
 * used (the eventfds are the messages), so they stay as they are. */
static int unmask_vectors(struct vnet *n, const struct vuc_pci_msix *msix)
{
    for (uint32_t v = 0; v < n->nvec; v++) {
        uint64_t off = (uint64_t)msix->table_offset + 16u * v + 12u;
        uint32_t ctrl;
        int rc;

        if ((rc = vuc_region_read(n->c, msix->table_bar, off, &ctrl, 4)) < 0) {
            return vnet_fail_vuc(n, rc, "reading an MSI-X vector's control");
        }
        ctrl = htole32(le32toh(ctrl) & ~1u);
        if ((rc = vuc_region_write(n->c, msix->table_bar, off, &ctrl, 4)) < 0) {
            return vnet_fail_vuc(n, rc, "unmasking an MSI-X vector");
        }
    }
    return 0;
}

/* Interrupts: MSI-X with a vector for configuration changes and one per
 * queue when the table has them (fewer: all share vector 0), else INTx
 * with the ISR telling the causes apart. */
static int setup_irqs(struct vnet *n)
{
    struct vuc_pci_msix msix;
    int rc = n->cfg.intx ? -ENOENT : vuc_pci_msix(n->c, &msix);

    if (rc == 0 && msix.table_size > 0) {
        const struct vuc_irq_info *ii =
            vuc_get_irq_info(n->c, VFIO_USER_PCI_MSIX_IRQ_INDEX);
        uint32_t avail = msix.table_size;
        if (ii != NULL && ii->count < avail) {
            avail = ii->count;
        }
        if (avail > 0) {
            n->nvec = avail >= 3 ? 3 : 1;
            n->irq_index = VFIO_USER_PCI_MSIX_IRQ_INDEX;
            if ((rc = vuc_pci_msix_enable(n->c, n->nvec, NULL, NULL)) < 0) {
                n->nvec = 0;
                return vnet_fail_vuc(n, rc, "enabling MSI-X");
            }
            if ((rc = unmask_vectors(n, &msix)) < 0) {
                return rc;
            }
            return set_vector(n, VIRTIO_PCI_COMMON_MSIX, 0,
                              "configuration changes");
        }
    } else if (rc < 0 && rc != -ENOENT) {
        return vnet_fail_vuc(n, rc, "reading the MSI-X capability");
    }
    const struct vuc_irq_info *ii =
        vuc_get_irq_info(n->c, VFIO_USER_PCI_INTX_IRQ_INDEX);
    if (ii == NULL || ii->count == 0) {
        return vnet_fail(n, -ENOTSUP,
                         "the device has neither MSI-X nor INTx; use --poll");
    }
    n->irq_index = VFIO_USER_PCI_INTX_IRQ_INDEX;
    if ((rc = vuc_pci_command(n->c, 0, VUC_PCI_COMMAND_INTX_DISABLE, NULL)) <
            0 ||
        (rc = vuc_irq_enable(n->c, VFIO_USER_PCI_INTX_IRQ_INDEX, 0, 1, NULL,
                             NULL)) < 0) {
        return vnet_fail_vuc(n, rc, "enabling INTx");
    }
    return 0;
}

static int setup_queue(struct vnet *n, struct virtqueue *vq, uint16_t q)
{
    uint16_t max, size;
    int rc;

    if ((rc = common_write16(n, VIRTIO_PCI_COMMON_Q_SELECT, q)) < 0 ||
        (rc = common_read16(n, VIRTIO_PCI_COMMON_Q_SIZE, &max)) < 0) {
        return rc;
    }
    n->max_queue_size[q] = max;
    if (max == 0) {
        return vnet_fail(n, -ENODEV, "queue %u does not exist (size 0)", q);
    }
    /* Split queues have power-of-two sizes, the device's maximum too; it
     * may offer more than we want to spend memory on. */
    size = n->cfg.queue_size ? n->cfg.queue_size : VNET_DEFAULT_QUEUE_SIZE;
    while (size > max) {
        size /= 2;
    }
    if (size < 2) {
        return vnet_fail(n, -ENOTSUP, "queue %u is too small (%u)", q, max);
    }
    bool tx = q == VNET_TX_QUEUE;
    rc = vq_init(vq, n->c, q, size, tx,
                 n->features & (1ull << VIRTIO_RING_F_EVENT_IDX),
                 n->features & (1ull << VIRTIO_RING_F_INDIRECT_DESC),
                 n->cfg.noshare ? VUC_DMA_NOSHARE : 0);
    if (rc < 0) {
        return vnet_fail_vuc(n, rc, "allocating queue memory");
    }
    if ((rc = common_write16(n, VIRTIO_PCI_COMMON_Q_SIZE, size)) < 0 ||
        (rc = common_write64(n, VIRTIO_PCI_COMMON_Q_DESCLO, vq->desc_iova)) <
            0 ||
        (rc = common_write64(n, VIRTIO_PCI_COMMON_Q_AVAILLO, vq->avail_iova)) <
            0 ||
        (rc = common_write64(n, VIRTIO_PCI_COMMON_Q_USEDLO, vq->used_iova)) <
            0) {
        return rc;
    }
    if (n->nvec > 0 &&
        (rc = set_vector(
             n, VIRTIO_PCI_COMMON_Q_MSIX, n->nvec >= 3 ? (uint16_t)(q + 1) : 0,
             tx ? "the transmit queue" : "the receive queue")) < 0) {
        return rc;
    }
    if (vpci_queue_notify_addr(&n->vp, q, &n->notify_off[q]) < 0) {
        return vnet_fail_vp(n, -EPROTO);
    }
    if (n->cfg.poll) {
        vq_disable_cb(vq);
    }
    return common_write16(n, VIRTIO_PCI_COMMON_Q_ENABLE, 1);
}

static int read_config(struct vnet *n)
{
    struct virtio_net_config cfg;
    /* Read only the fields the features make exist: a device without
     * STATUS may end its configuration after the MAC. */
    size_t want = n->features & (1ull << VIRTIO_NET_F_STATUS)
                      ? offsetof(struct virtio_net_config, status) + 2
                      : sizeof(cfg.mac);

    memset(n->mac, 0, sizeof(n->mac));
    n->link_status = VIRTIO_NET_S_LINK_UP;
    if (!(n->features &
          ((1ull << VIRTIO_NET_F_MAC) | (1ull << VIRTIO_NET_F_STATUS)))) {
        return 0;
    }
    if (vpci_devcfg_read_stable(&n->vp, 0, &cfg, want) < 0) {
        return vnet_fail_vp(n, -EIO);
    }
    if (n->features & (1ull << VIRTIO_NET_F_MAC)) {
        memcpy(n->mac, cfg.mac, sizeof(n->mac));
    }
    if (n->features & (1ull << VIRTIO_NET_F_STATUS)) {
        n->link_status = le16toh(cfg.status);
    }
    return 0;
}

static int kick(struct vnet *n, struct virtqueue *vq)
{
    if (!vq_kick_prepare(vq)) {
        return 0;
    }
    n->notifies++;
    if (vpci_notify(&n->vp, n->notify_off[vq->index], vq->index) < 0) {
        return vnet_fail_vp(n, -EIO);
    }
    return 0;
}

/* A network device by the specification's ids: 1af4:1041, or a
 * transitional 1af4:1000 whose subsystem device id is the device type. */
static int check_ids(struct vnet *n)
{
    uint16_t vendor, device, subsys;
    int rc;

    if ((rc = vuc_cfg_read16(n->c, 0x00, &vendor)) < 0 ||
        (rc = vuc_cfg_read16(n->c, 0x02, &device)) < 0 ||
        (rc = vuc_cfg_read16(n->c, VNET_PCI_SUBSYS_ID, &subsys)) < 0) {
        return vnet_fail_vuc(n, rc, "reading the PCI ids");
    }
    if (vendor == VNET_PCI_VENDOR && device == VNET_PCI_MODERN) {
        return 0;
    }
    if (vendor == VNET_PCI_VENDOR && device == VNET_PCI_TRANSITIONAL) {
        if (subsys == VNET_VIRTIO_ID_NET) {
            return 0;
        }
        return vnet_fail(n, -ENODEV,
                         "device 1af4:1000 is a transitional virtio device "
                         "of type %u, not a network device (1)",
                         subsys);
    }
    return vnet_fail(n, -ENODEV,
                     "device %04x:%04x is not a virtio network device "
                     "(1af4:1041, or 1af4:1000 with subsystem id 1)",
                     vendor, device);
}

static int bring_up(struct vnet *n)
{
    uint8_t status;
    int rc;

    /* The ids first: nothing is touched on a device that is not ours. */
    if ((rc = check_ids(n)) < 0) {
        return rc;
    }
    if ((rc = pci_setup_device(n->c, n->err, sizeof(n->err))) < 0) {
        return n->lost ? vnet_fail(n, -ECONNRESET,
                                   "lost the connection to the device")
                       : rc;
    }
    if ((rc = vpci_probe(&n->vp, n->c)) < 0) {
        return vnet_fail_vp(n, rc);
    }
    if ((rc = vpci_reset(&n->vp, VNET_RESET_TIMEOUT_MS)) < 0 ||
        (rc = vpci_set_status(&n->vp, VIRTIO_CONFIG_S_ACKNOWLEDGE)) < 0 ||
        (rc = vpci_set_status(&n->vp, VIRTIO_CONFIG_S_ACKNOWLEDGE |
                                          VIRTIO_CONFIG_S_DRIVER)) < 0 ||
        (rc = vpci_device_features(&n->vp, &n->offered)) < 0) {
        return vnet_fail_vp(n, rc);
    }
    if (!(n->offered & (1ull << VIRTIO_F_VERSION_1))) {
        return vnet_fail(n, -ENOTSUP,
                         "the device does not offer VIRTIO_F_VERSION_1 "
                         "(features 0x%016llx): legacy devices are not "
                         "supported",
                         (unsigned long long)n->offered);
    }
    n->features = n->offered & VNET_WANTED;
    if ((rc = vpci_negotiate(&n->vp, n->features)) < 0) {
        return vnet_fail_vp(n, rc);
    }
    if ((rc = read_config(n)) < 0 ||
        (rc = common_read16(n, VIRTIO_PCI_COMMON_NUMQ, &n->num_queues)) < 0) {
        return rc;
    }
    if (n->num_queues < 2) {
        return vnet_fail(n, -ENODEV, "the device has %u queues, needs 2",
                         n->num_queues);
    }
    if (!n->cfg.poll && (rc = setup_irqs(n)) < 0) {
        return rc;
    }
    if ((rc = setup_queue(n, &n->rx, VNET_RX_QUEUE)) < 0 ||
        (rc = setup_queue(n, &n->tx, VNET_TX_QUEUE)) < 0) {
        return rc;
    }
    /* The receive queue full before DRIVER_OK; the device uses nothing
     * until then, and we notify after. */
    for (int s; (s = vq_get_slot(&n->rx)) >= 0;) {
        vq_add_rx(&n->rx, (uint16_t)s);
    }
    if (vpci_get_status(&n->vp, &status) < 0 ||
        vpci_set_status(&n->vp, status | VIRTIO_CONFIG_S_DRIVER_OK) < 0) {
        return vnet_fail_vp(n, -EIO);
    }
    n->queues_ready = true;
    if ((rc = kick(n, &n->rx)) < 0) {
        return rc;
    }
    return vnet_check_status(n);
}

int vnet_open(struct vnet *n, const struct vnet_config *cfg)
{
    struct vuc_options *opts = NULL;
    int rc;

    memset(n, 0, sizeof(*n));
    n->cfg = *cfg;
    n->base = event_base_new();
    if (n->base == NULL || (opts = vuc_options_new()) == NULL) {
        vuc_options_free(opts);
        return vnet_fail(n, -ENOMEM, "out of memory");
    }
    vuc_options_set_timeout(opts, cfg->timeout_ms);
    vuc_options_set_dma_noshare(opts, cfg->noshare);
    n->c = vuc_client_new(n->base, opts);
    vuc_options_free(opts);
    if (n->c == NULL) {
        return vnet_fail(n, -errno, "cannot create a client: %s",
                         strerror(errno));
    }
    vuc_set_disconnect_cb(n->c, on_disconnect, n);
    if ((rc = vuc_connect_path(n->c, cfg->socket)) < 0) {
        return vnet_fail(n, rc, "%s: %s", cfg->socket, vuc_strerror(n->c));
    }
    rc = bring_up(n);
    if (rc < 0 && !n->lost) {
        /* Tell the device we gave up, as the specification asks. */
        uint8_t status;
        if (vpci_get_status(&n->vp, &status) == 0) {
            (void)vpci_set_status(&n->vp, status | VIRTIO_CONFIG_S_FAILED);
        }
    }
    return rc;
}

void vnet_close(struct vnet *n)
{
    if (n->c != NULL && !n->lost && vuc_is_connected(n->c) &&
        n->vp.common.present) {
        /* After the reset the device no longer touches the queues, so
         * their memory can go. */
        if (vpci_reset(&n->vp, VNET_RESET_TIMEOUT_MS) < 0) {
            fprintf(stderr, "vuc-vnet: %s\n", n->vp.err);
        }
        if (n->nvec > 0) {
            (void)vuc_pci_msix_disable(n->c);
        } else if (n->irq_index == VFIO_USER_PCI_INTX_IRQ_INDEX) {
            (void)vuc_irq_disable(n->c, VFIO_USER_PCI_INTX_IRQ_INDEX);
        }
    }
    if (n->c != NULL) {
        vq_fini(&n->rx, n->c);
        vq_fini(&n->tx, n->c);
    }
    vuc_client_free(n->c);
    if (n->base != NULL) {
        event_base_free(n->base);
    }
    n->c = NULL;
    n->base = NULL;
}

int vnet_tx_queue(struct vnet *n, const void *frame, size_t len)
{
    if (len < VNET_MIN_FRAME || len > VNET_MAX_FRAME) {
        return vnet_fail(n, -EINVAL,
                         "a frame of %zu bytes (Ethernet frames are %u to "
                         "%u bytes)",
                         len, VNET_MIN_FRAME, VNET_MAX_FRAME);
    }
    int s = vq_get_slot(&n->tx);
    if (s < 0) {
        return -EAGAIN;
    }
    uint8_t *buf = vq_buf(&n->tx, (uint16_t)s);
    /* No offloads negotiated: the header is all zero (GSO_NONE). */
    memset(buf, 0, VNET_HDR_LEN);
    memcpy(buf + VNET_HDR_LEN, frame, len);
    vq_add_tx(&n->tx, (uint16_t)s, VNET_HDR_LEN, (uint32_t)len);
    return 0;
}

int vnet_tx_kick(struct vnet *n)
{
    return kick(n, &n->tx);
}

/* Wait until at most @p most transmit buffers are with the device. */
static int wait_tx(struct vnet *n, unsigned most)
{
    int64_t deadline = now_ms() + n->cfg.timeout_ms;
    int rc;

    while (n->tx.in_flight > most) {
        int64_t left = deadline - now_ms();
        if (left <= 0) {
            return vnet_fail(n, -ETIMEDOUT,
                             "the device has not returned %u transmit "
                             "buffer(s) within %d ms",
                             n->tx.in_flight, n->cfg.timeout_ms);
        }
        if ((rc = vnet_poll(n, (int)left)) < 0) {
            return rc;
        }
    }
    return 0;
}

int vnet_send(struct vnet *n, const void *frame, size_t len)
{
    int rc = vnet_tx_queue(n, frame, len);

    if (rc == -EAGAIN) {
        /* Every buffer is with the device: wait for one to come back. */
        if ((rc = wait_tx(n, n->tx.nslots - 1u)) < 0) {
            return rc;
        }
        rc = vnet_tx_queue(n, frame, len);
    }
    return rc < 0 ? rc : vnet_tx_kick(n);
}

int vnet_flush(struct vnet *n)
{
    return wait_tx(n, 0);
}

/* Take every used buffer: transmit slots back to the pool, frames to the
 * caller and their buffers back to the device. */
static int reap(struct vnet *n)
{
    uint16_t slot;
    uint32_t len;
    int rc, got = 0;

    while ((rc = vq_get_used(&n->tx, &slot, &len)) > 0) {
        vq_put_slot(&n->tx, slot);
        got++;
    }
    if (rc < 0) {
        return vnet_fail(n, -EPROTO,
                         "the device returned transmit buffer id %u, which "
                         "it does not hold",
                         slot);
    }
    int rx = 0;
    while ((rc = vq_get_used(&n->rx, &slot, &len)) > 0) {
        if (len < VNET_HDR_LEN || len > VQ_BUF_SIZE) {
            return vnet_fail(n, -EPROTO,
                             "the device wrote %u bytes into a %u-byte "
                             "receive buffer (a frame needs at least the "
                             "%u-byte header)",
                             len, VQ_BUF_SIZE, VNET_HDR_LEN);
        }
        if (n->on_rx != NULL && len > VNET_HDR_LEN) {
            n->on_rx(n->rx_arg, vq_buf(&n->rx, slot) + VNET_HDR_LEN,
                     len - VNET_HDR_LEN);
        }
        vq_add_rx(&n->rx, slot);
        rx++;
    }
    if (rc < 0) {
        return vnet_fail(n, -EPROTO,
                         "the device returned receive buffer id %u, which "
                         "it does not hold",
                         slot);
    }
    if (rx > 0 && (rc = kick(n, &n->rx)) < 0) {
        return rc;
    }
    return got + rx;
}

/* Wait for one interrupt, up to ms. A configuration interrupt (MSI-X
 * vector 0, or ISR bit 1 with INTx) makes us look at the status, and so
 * does a quiet wait. @return 1 after an interrupt, 0 after a quiet wait,
 * or a negative errno. */
static int wait_irq(struct vnet *n, int ms)
{
    struct vuc_irq_event ev;
    int rc = vuc_irq_wait(n->c, n->irq_index, VUC_IRQ_ANY, ms, &ev);

    if (rc == -ETIMEDOUT) {
        return vnet_check_status(n);
    }
    if (rc < 0) {
        return vnet_fail_vuc(n, rc, "waiting for an interrupt");
    }
    n->irqs++;
    bool config = ev.vector == 0;
    if (n->irq_index == VFIO_USER_PCI_INTX_IRQ_INDEX) {
        uint8_t isr;
        /* Reading the ISR acknowledges it and lowers the line. */
        if (vpci_read_isr(&n->vp, &isr) < 0) {
            return vnet_fail_vp(n, -EIO);
        }
        config = isr & VIRTIO_PCI_ISR_CONFIG;
    }
    if (config && (rc = vnet_check_status(n)) < 0) {
        return rc;
    }
    return 1;
}

int vnet_poll(struct vnet *n, int timeout_ms)
{
    int64_t start = now_ms(), last_check = start;
    bool look = true; /* at the rings: on entry and after an interrupt */
    int rc;

    for (;;) {
        if (n->lost) {
            return vnet_fail(n, -ECONNRESET,
                             "lost the connection to the device");
        }
        if (look && (rc = reap(n)) != 0) {
            return rc;
        }
        int64_t now = now_ms();
        if (now - start >= timeout_ms) {
            return 0;
        }
        int left = (int)(timeout_ms - (now - start));
        if (left > VNET_STATUS_CHECK_MS) {
            left = VNET_STATUS_CHECK_MS;
        }
        if (!n->cfg.poll) {
            if (look) {
                /* Ask for the next interrupt, and look again in case a
                 * buffer came back before the device could see that we
                 * asked. */
                bool pending = vq_enable_cb(&n->rx);
                pending |= vq_enable_cb(&n->tx);
                if (pending) {
                    continue;
                }
            }
            /* Asked: from now on only an interrupt sends us back to the
             * rings, as in a driver that sleeps. A quiet wait only looks
             * at the status, so a device that does not interrupt shows. */
            if ((rc = wait_irq(n, left)) < 0) {
                return rc;
            }
            look = rc > 0;
            continue;
        }
        /* Polling: serve the event loop (message DMA arrives through it)
         * and look at the status now and then. */
        if (event_base_loop(n->base, EVLOOP_NONBLOCK) < 0) {
            return vnet_fail(n, -EIO, "the event loop failed");
        }
        if (now - last_check >= VNET_STATUS_CHECK_MS) {
            last_check = now;
            if ((rc = vnet_check_status(n)) < 0) {
                return rc;
            }
        }
    }
}
