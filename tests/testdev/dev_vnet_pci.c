/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The virtio-net personality (--device=virtio-net): what makes the device
 * of dev_vnet.c a PCI function served over vfio-user. Its identity and
 * BARs follow what QEMU's virtio-net-pci offers to a modern driver:
 *
 *   config  1af4:1041, class 0x020000, revision 1; MSI-X, then the virtio
 *           vendor capabilities (common, notify, ISR, device)
 *   BAR1    32-bit memory, 4 KiB: the MSI-X table (3 vectors) and PBA
 *   BAR4    64-bit prefetchable memory, 16 KiB: the virtio structures
 *   irqs    INTx (with the ISR) and MSI-X
 *
 * Accesses to the BARs while memory decoding is off read as all ones and
 * writes are dropped, and the device does no DMA while bus mastering is
 * off: as on a real bus, so drivers that forget to enable them fail here.
 */
#include <errno.h>
#include <string.h>

#include <linux/virtio_pci.h>

#include "dev_vnet.h"
#include "pcicfg.h"
#include "testdev.h"

#define VNP_MSIX_BAR 1u
#define VNP_MSIX_BAR_SIZE 0x1000u
#define VNP_MSIX_TABLE 0x000u
#define VNP_MSIX_PBA 0x800u
#define VNP_VIRTIO_BAR 4u

/* Config space: where each capability sits. */
#define VNP_CAP_MSIX 0x40u
#define VNP_CAP_COMMON 0x50u
#define VNP_CAP_NOTIFY 0x60u /* 20 bytes: with notify_off_multiplier */
#define VNP_CAP_ISR 0x74u
#define VNP_CAP_DEVICE 0x84u

#define VNP_COMMAND_WMASK                                                      \
    (0x0002u /* memory */ | 0x0004u /* bus master */ | 0x0400u /* INTx off */)

struct vnp_state {
    struct testdev *td;
    struct vnd dev;
    struct vnd_config cfg;
    bool cfg_ready; /* defaults applied */
    uint8_t msix_table[VNP_MSIX_PBA];
    uint32_t msix_pending; /* the PBA: vectors raised while masked */
};

static struct vnp_state *vnp(struct testdev *td)
{
    return td->dev;
}

static uint16_t command(const struct testdev *td)
{
    return (uint16_t)(td->pci.cfg[CFG_COMMAND] | td->pci.cfg[CFG_COMMAND + 1]
                                                     << 8);
}

/* ---- What the device gets from us ---------------------------------------- */

static const char *dma_reason;

static int host_dma(void *ctx, const char *what, uint64_t iova, void *rbuf,
                    const void *wbuf, size_t len)
{
    struct testdev *td = ctx;

    if (!(command(td) & 0x0004u)) {
        dma_reason = "bus mastering is off (PCI COMMAND bit 2): no DMA";
        return EPERM;
    }
    int rc = rbuf ? td_dma_read(td, what, iova, rbuf, (uint32_t)len, 0)
                  : td_dma_write(td, what, iova, wbuf, (uint32_t)len, 0);
    dma_reason = rc > 0 ? td_dma_error() : NULL;
    return rc;
}

static int host_dma_read(void *ctx, const char *what, uint64_t iova, void *buf,
                         size_t len)
{
    return host_dma(ctx, what, iova, buf, NULL, len);
}

static int host_dma_write(void *ctx, const char *what, uint64_t iova,
                          const void *buf, size_t len)
{
    return host_dma(ctx, what, iova, NULL, buf, len);
}

static const char *host_dma_error(void *ctx)
{
    return dma_reason ? dma_reason : "DMA failed";
}

static bool host_msix_enabled(void *ctx)
{
    const struct testdev *td = ctx;
    return td->pci.cfg[VNP_CAP_MSIX + MSIX_FLAGS + 1] &
           (MSIX_FLAGS_ENABLE >> 8);
}

static bool vector_masked(const struct vnp_state *s, uint16_t vector)
{
    return s->msix_table[16u * vector + 12] & 1u;
}

/* MSI-X as PCI defines it: a vector masked by its table entry or by the
 * function mask is held pending (the PBA) and sent once unmasked. Over
 * vfio-user, sending is signalling the vector's eventfd. */
static void host_msix(void *ctx, uint16_t vector)
{
    struct testdev *td = ctx;
    struct vnp_state *s = vnp(td);

    if (vector >= VND_MSIX_VECTORS) {
        return;
    }
    if (vector_masked(s, vector) ||
        (td->pci.cfg[VNP_CAP_MSIX + MSIX_FLAGS + 1] &
         (MSIX_FLAGS_MASKALL >> 8))) {
        s->msix_pending |= 1u << vector;
        return;
    }
    irq_fire(&td->irqs, VFIO_USER_PCI_MSIX_IRQ_INDEX, vector);
}

/* After a table write: send what an unmask released. */
static void msix_release(struct testdev *td)
{
    struct vnp_state *s = vnp(td);

    for (uint16_t v = 0; v < VND_MSIX_VECTORS; v++) {
        if ((s->msix_pending & (1u << v)) && !vector_masked(s, v) &&
            !(td->pci.cfg[VNP_CAP_MSIX + MSIX_FLAGS + 1] &
              (MSIX_FLAGS_MASKALL >> 8))) {
            s->msix_pending &= ~(1u << v);
            irq_fire(&td->irqs, VFIO_USER_PCI_MSIX_IRQ_INDEX, v);
        }
    }
}

static void host_intx(void *ctx)
{
    struct testdev *td = ctx;
    if (!(command(td) & 0x0400u)) {
        irq_fire(&td->irqs, VFIO_USER_PCI_INTX_IRQ_INDEX, 0);
    }
}

/* ---- Options ---------------------------------------------------------------
 */

static const struct td_option_desc vnp_options[] = {
    {"net-backend", "responder|loopback|socket",
     "where frames go (default responder)"},
    {"net-ip", "IP", "the responder's IPv4 address (default 10.0.2.2)"},
    {"net-socket", "PATH", "socket backend: the datagram socket to bind"},
    {"net-peer", "PATH",
     "socket backend: where frames go (default: the last sender)"},
    {"net-mac", "MAC", "the device's MAC (default 52:54:00:12:34:56)"},
    {"net-queue-size", "N", "the largest queue size offered (default 256)"},
    {"net-no-event-idx", NULL, "do not offer VIRTIO_RING_F_EVENT_IDX"},
    {"net-no-indirect", NULL, "do not offer VIRTIO_RING_F_INDIRECT_DESC"},
    {"net-quirk", "LIST",
     "misbehave: no-used, needs-reset, link-down, refuse-features (comma "
     "separated)"},
};

static void config_ready(struct vnp_state *s)
{
    if (!s->cfg_ready) {
        vnd_config_defaults(&s->cfg);
        s->cfg_ready = true;
    }
}

static int vnp_option(struct testdev *td, size_t i, const char *arg)
{
    config_ready(vnp(td));
    return vnd_parse_option(&vnp(td)->cfg, vnp_options[i].name, arg);
}

/* ---- Lifetime
 * ---------------------------------------------------------------- */

static int on_backend_input(struct testdev *td, void *arg)
{
    struct vnp_state *s = vnp(td);
    int rc = vnd_backend_input(&s->dev);
    return rc < 0 ? rc : vnd_run(&s->dev);
}

static int vnp_init(struct testdev *td)
{
    static const struct vnd_host host_ops = {
        .dma_read = host_dma_read,
        .dma_write = host_dma_write,
        .dma_error = host_dma_error,
        .msix_enabled = host_msix_enabled,
        .msix = host_msix,
        .intx = host_intx,
    };
    struct vnp_state *s = vnp(td);
    struct vnd_host host = host_ops;
    int rc;

    config_ready(s);
    s->td = td;
    host.ctx = td;
    if ((rc = vnd_init(&s->dev, &s->cfg, &host)) < 0) {
        return rc;
    }
    td->regions[VNP_MSIX_BAR] = (struct td_region){
        .size = VNP_MSIX_BAR_SIZE,
        .flags =
            VFIO_USER_REGION_INFO_FLAG_READ | VFIO_USER_REGION_INFO_FLAG_WRITE,
        .mmap_fd = -1,
    };
    td->regions[VNP_VIRTIO_BAR] = (struct td_region){
        .size = VND_BAR_SIZE,
        .flags =
            VFIO_USER_REGION_INFO_FLAG_READ | VFIO_USER_REGION_INFO_FLAG_WRITE,
        .mmap_fd = -1,
    };
    if (vnd_backend_fd(&s->dev) >= 0 &&
        (rc = td_watch_fd(td, vnd_backend_fd(&s->dev), on_backend_input,
                          NULL)) < 0) {
        vnd_fini(&s->dev);
        return rc;
    }
    return 0;
}

static void vnp_fini(struct testdev *td)
{
    struct vnp_state *s = vnp(td);
    if (vnd_backend_fd(&s->dev) >= 0) {
        td_unwatch_fd(td, vnd_backend_fd(&s->dev));
    }
    vnd_fini(&s->dev);
}

static void vnp_reset(struct testdev *td)
{
    struct vnp_state *s = vnp(td);
    vnd_reset(&s->dev);
    memset(s->msix_table, 0, sizeof(s->msix_table));
    s->msix_pending = 0;
    /* Every vector masked at power-on, as PCI says. */
    for (unsigned v = 0; v < VND_MSIX_VECTORS; v++) {
        s->msix_table[16 * v + 12] = 1;
    }
}

/* ---- Regions
 * ------------------------------------------------------------------ */

static void vnp_region_read(struct testdev *td, uint32_t index, uint64_t off,
                            uint32_t count, uint8_t *buf)
{
    struct vnp_state *s = vnp(td);

    if (!(command(td) & 0x0002u)) {
        memset(buf, 0xff, count); /* no memory decoding: a master abort */
        return;
    }
    if (index == VNP_VIRTIO_BAR) {
        vnd_bar_read(&s->dev, (uint32_t)off, buf, count);
    } else if (off + count <= VNP_MSIX_PBA) {
        memcpy(buf, s->msix_table + off, count);
    } else {
        /* The PBA: one bit per vector, the rest reads 0. */
        uint8_t pba[8] = {(uint8_t)s->msix_pending};
        for (uint32_t i = 0; i < count; i++) {
            uint64_t at = off - VNP_MSIX_PBA + i;
            buf[i] = at < sizeof(pba) ? pba[at] : 0;
        }
    }
}

static void vnp_region_write(struct testdev *td, uint32_t index, uint64_t off,
                             uint32_t count, const uint8_t *buf)
{
    struct vnp_state *s = vnp(td);

    if (!(command(td) & 0x0002u)) {
        td_debug("virtio-net: BAR%u write dropped: memory decoding is off",
                 index);
        return;
    }
    if (index == VNP_VIRTIO_BAR) {
        vnd_bar_write(&s->dev, (uint32_t)off, buf, count);
        /* Doorbells and DRIVER_OK are acted on after the reply. */
        td_defer(td, "virtio-net queues");
    } else if (off + count <= VNP_MSIX_PBA) {
        memcpy(s->msix_table + off, buf, count);
        msix_release(td);
    }
}

static int vnp_run_deferred(struct testdev *td)
{
    return vnd_run(&vnp(td)->dev);
}

/* One ioeventfd per queue, on its notification address: any 2-byte write
 * there is the doorbell (the value is the queue index). */
static const struct td_ioeventfd_desc vnp_ioeventfds[VND_NUM_QUEUES] = {
    {VNP_VIRTIO_BAR, VND_NOTIFY_OFF + 0 * VND_NOTIFY_MULT, 2, false, 0},
    {VNP_VIRTIO_BAR, VND_NOTIFY_OFF + 1 * VND_NOTIFY_MULT, 2, false, 0},
};

static int vnp_ioeventfd(struct testdev *td, size_t i, uint64_t n)
{
    /* Signals add up in the eventfd: one look at the ring takes them all. */
    vnd_notify(&vnp(td)->dev, (uint16_t)i);
    return vnd_run(&vnp(td)->dev);
}

/* ---- Config space and interrupts
 * --------------------------------------------- */

static void vendor_cap(struct td_pci *pci, uint32_t at, uint8_t next,
                       uint8_t len, uint8_t type, uint32_t off, uint32_t size)
{
    pci_cap(pci, at, CAP_ID_VNDR, next);
    pci_set8(pci->cfg, at + 2, len);
    pci_set8(pci->cfg, at + 3, type);
    pci_set8(pci->cfg, at + 4, VNP_VIRTIO_BAR);
    pci_set32(pci->cfg, at + 8, off);
    pci_set32(pci->cfg, at + 12, size);
}

static void vnp_pci_init(struct td_pci *pci)
{
    /* Modern-only virtio devices are 0x1040 + device type (1: network),
     * revision 1 or more; the subsystem ids are free. */
    pci_header(pci, 0x1af4, 0x1041, 1, 0x020000, 0x1af4, 0x1100, 1,
               VNP_COMMAND_WMASK, 0, VNP_CAP_MSIX);
    pci_bar(pci, VNP_MSIX_BAR, VNP_MSIX_BAR_SIZE, TD_BAR_MEM32);
    pci_bar(pci, VNP_VIRTIO_BAR, VND_BAR_SIZE, TD_BAR_MEM64 | TD_BAR_PREFETCH);
    pci_msix(pci, VNP_CAP_MSIX, VNP_CAP_COMMON, VND_MSIX_VECTORS, VNP_MSIX_BAR,
             VNP_MSIX_TABLE, VNP_MSIX_BAR, VNP_MSIX_PBA);
    vendor_cap(pci, VNP_CAP_COMMON, VNP_CAP_NOTIFY, 16,
               VIRTIO_PCI_CAP_COMMON_CFG, VND_COMMON_OFF, VND_COMMON_LEN);
    vendor_cap(pci, VNP_CAP_NOTIFY, VNP_CAP_ISR, 20, VIRTIO_PCI_CAP_NOTIFY_CFG,
               VND_NOTIFY_OFF, VND_NOTIFY_LEN);
    pci_set32(pci->cfg, VNP_CAP_NOTIFY + 16, VND_NOTIFY_MULT);
    vendor_cap(pci, VNP_CAP_ISR, VNP_CAP_DEVICE, 16, VIRTIO_PCI_CAP_ISR_CFG,
               VND_ISR_OFF, VND_ISR_LEN);
    vendor_cap(pci, VNP_CAP_DEVICE, 0, 16, VIRTIO_PCI_CAP_DEVICE_CFG,
               VND_DEVCFG_OFF, VND_DEVCFG_LEN);
}

static const struct td_irq_desc vnp_irqs[VFIO_USER_PCI_NUM_IRQS] = {
    [VFIO_USER_PCI_INTX_IRQ_INDEX] = {1, VFIO_USER_IRQ_INFO_EVENTFD |
                                             VFIO_USER_IRQ_INFO_MASKABLE |
                                             VFIO_USER_IRQ_INFO_AUTOMASKED},
    [VFIO_USER_PCI_MSIX_IRQ_INDEX] = {VND_MSIX_VECTORS,
                                      VFIO_USER_IRQ_INFO_EVENTFD |
                                          VFIO_USER_IRQ_INFO_NORESIZE},
};

_Static_assert(VNP_CAP_NOTIFY + 20 <= VNP_CAP_ISR &&
                   VNP_CAP_DEVICE + 16 <= 0x100,
               "vendor capabilities overlap");

const struct td_personality td_dev_virtio_net = {
    .name = "virtio-net",
    .summary = "virtio 1.x network device: loopback, responder or socket",
    .state_size = sizeof(struct vnp_state),
    .options = vnp_options,
    .noptions = sizeof(vnp_options) / sizeof(vnp_options[0]),
    .option = vnp_option,
    .init = vnp_init,
    .fini = vnp_fini,
    .device_flags = VFIO_USER_DEVICE_FLAGS_RESET,
    .pci_init = vnp_pci_init,
    .irqs = vnp_irqs,
    .reset = vnp_reset,
    .region_read = vnp_region_read,
    .region_write = vnp_region_write,
    .run_deferred = vnp_run_deferred,
    .ioeventfds = vnp_ioeventfds,
    .nioeventfds = VND_NUM_QUEUES,
    .ioeventfd = vnp_ioeventfd,
    .mig = NULL,
};
