/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vuc-testdev --device=nvme: the NVMe controller of nvme_ctrl.h bound to
 * the server core as a personality. This file is only the binding: PCI
 * identity and capabilities, regions, interrupts, options, and the host
 * interface the controller calls (DMA through td_dma_read/td_dma_write,
 * so by the map's fd or by DMA_READ/DMA_WRITE messages, interrupts
 * through irq_fire).
 *
 * The controller keeps its state when a client leaves, as the
 * specification expects of a server: a client that reconnects and maps
 * its memory again finds its queues where it left them.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "nvme_ctrl.h"
#include "pcicfg.h"
#include "testdev.h"

#define NVME_PCI_DEVICE_ID 0x5643u /* 'VC', in the test device's vendor */
#define NVME_PCI_CLASS 0x010802u   /* mass storage, NVM, NVM Express */
#define CAP_PM 0x40u
#define CAP_MSIX 0x50u
#define CAP_EXP 0x60u
#define DEFAULT_SIZE (64ull << 20)

struct nvme_pers {
    struct testdev *td;
    struct nvmec_config cfg;
    struct nvmec_host host;
    struct nvmec ctrl;
};

static struct nvme_pers *np(struct testdev *td)
{
    return td->dev;
}

/* ---- The controller's host ----------------------------------------------- */

static int h_dma_read(void *ctx, uint64_t iova, void *buf, uint32_t len)
{
    int rc = td_dma_read(ctx, "NVMe DMA read", iova, buf, len, 0);
    if (rc > 0) {
        td_debug("%s", td_dma_error());
    }
    return rc;
}

static int h_dma_write(void *ctx, uint64_t iova, const void *buf, uint32_t len)
{
    int rc = td_dma_write(ctx, "NVMe DMA write", iova, buf, len, 0);
    if (rc > 0) {
        td_debug("%s", td_dma_error());
    }
    return rc;
}

static bool h_dma_direct(void *ctx, uint64_t iova, uint32_t len)
{
    bool direct = false;
    return td_dma_check(ctx, "CQ entry", iova, len, true, 0, &direct) == 0 &&
           direct;
}

static void h_irq(void *ctx, bool msix, uint32_t vector)
{
    struct testdev *td = ctx;
    irq_fire(&td->irqs,
             msix ? VFIO_USER_PCI_MSIX_IRQ_INDEX : VFIO_USER_PCI_INTX_IRQ_INDEX,
             vector);
}

static uint16_t cfg16(const struct testdev *td, uint32_t off)
{
    return (uint16_t)(td->pci.cfg[off] | td->pci.cfg[off + 1] << 8);
}

static void h_pci_state(void *ctx, struct nvmec_pci_state *st)
{
    const struct testdev *td = ctx;
    uint16_t cmd = cfg16(td, CFG_COMMAND);
    uint16_t msix = cfg16(td, CAP_MSIX + MSIX_FLAGS);

    st->memory = (cmd & 0x0002u) != 0;
    st->bus_master = (cmd & 0x0004u) != 0;
    st->intx_disable = (cmd & 0x0400u) != 0;
    st->msix_enable = (msix & MSIX_FLAGS_ENABLE) != 0;
    st->msix_fmask = (msix & MSIX_FLAGS_MASKALL) != 0;
}

static void h_log(void *ctx, const char *msg)
{
    (void)ctx;
    td_debug("nvme: %s", msg);
}

/* ---- Options ------------------------------------------------------------- */

static const struct td_option_desc nvme_options[] = {
    {"nvme-size", "BYTES",
     "namespace size (default 64 MiB; with a file: "
     "grow it to this)"},
    {"nvme-backing", "FILE", "keep the namespace in FILE, not in memory"},
    {"nvme-lba-size", "N", "block size, 512 (default) or 4096"},
    {"nvme-dstrd", "N", "CAP.DSTRD: doorbells 4 << N bytes apart (0-4)"},
    {"nvme-ready-ms", "MS", "CC.EN to CSTS.RDY delay (default 5)"},
    {"nvme-quirk", "NAME",
     "stall-io: I/O never completes, Abort finds it; "
     "lose-io: Abort does not"},
};

/* A size: a number with an optional K, M or G (binary) suffix. */
static int parse_size(const char *arg, uint64_t *v)
{
    char num[32];
    size_t n = strlen(arg);
    unsigned shift = 0;

    if (n == 0 || n >= sizeof(num))
        return EINVAL;
    memcpy(num, arg, n + 1);
    switch (num[n - 1]) {
    case 'k':
    case 'K':
        shift = 10;
        break;
    case 'm':
    case 'M':
        shift = 20;
        break;
    case 'g':
    case 'G':
        shift = 30;
        break;
    default:
        break;
    }
    if (shift)
        num[n - 1] = '\0';
    if (td_parse_u64(num, 1, (1ull << 40) >> shift, v) != 0)
        return EINVAL;
    *v <<= shift;
    return *v >= 512 ? 0 : EINVAL;
}

static int nvme_option(struct testdev *td, size_t i, const char *arg)
{
    struct nvme_pers *p = np(td);
    uint64_t v;

    switch (i) {
    case 0:
        if (parse_size(arg, &v) != 0)
            return td_fail(EINVAL,
                           "--nvme-size: '%s' is not 512 to 1T "
                           "(a K, M or G suffix allowed)",
                           arg);
        p->cfg.size = v;
        return 0;
    case 1:
        p->cfg.backing = arg;
        return 0;
    case 2:
        if (strcmp(arg, "512") != 0 && strcmp(arg, "4096") != 0)
            return td_fail(EINVAL, "--nvme-lba-size: '%s' is not 512 or 4096",
                           arg);
        p->cfg.lba_shift = arg[0] == '5' ? 9 : 12;
        return 0;
    case 3:
        if (td_parse_u64(arg, 0, NVMEC_MAX_DSTRD, &v) != 0)
            return td_fail(EINVAL, "--nvme-dstrd: '%s' is not 0 to %u", arg,
                           NVMEC_MAX_DSTRD);
        p->cfg.dstrd = (uint32_t)v;
        return 0;
    case 4:
        if (td_parse_u64(arg, 0, 60000, &v) != 0)
            return td_fail(EINVAL, "--nvme-ready-ms: '%s' is not 0 to 60000",
                           arg);
        p->cfg.ready_ms = (uint32_t)v;
        p->cfg.ready_ms++; /* stored + 1: 0 means "not given" */
        return 0;
    default:
        if (strcmp(arg, "stall-io") == 0)
            p->cfg.quirk = NVMEC_QUIRK_STALL_IO;
        else if (strcmp(arg, "lose-io") == 0)
            p->cfg.quirk = NVMEC_QUIRK_LOSE_IO;
        else
            return td_fail(EINVAL,
                           "--nvme-quirk: '%s' is not stall-io or "
                           "lose-io",
                           arg);
        return 0;
    }
}

/* ---- Lifetime ------------------------------------------------------------ */

static int nvme_init(struct testdev *td)
{
    struct nvme_pers *p = np(td);
    char err[256];

    p->td = td;
    p->host = (struct nvmec_host){.ctx = td,
                                  .dma_read = h_dma_read,
                                  .dma_write = h_dma_write,
                                  .dma_direct = h_dma_direct,
                                  .irq = h_irq,
                                  .pci_state = h_pci_state,
                                  .now_ns = td_now_ns,
                                  .log = h_log};
    if (p->cfg.lba_shift == 0)
        p->cfg.lba_shift = 9;
    p->cfg.ready_ms = p->cfg.ready_ms ? p->cfg.ready_ms - 1 : 5;
    if (p->cfg.size == 0 && p->cfg.backing == NULL)
        p->cfg.size = DEFAULT_SIZE;
    int rc = nvme_ctrl_init(&p->ctrl, &p->cfg, &p->host, err, sizeof(err));
    if (rc < 0) {
        td_log("nvme: %s", err);
        return rc;
    }
    td->regions[VFIO_USER_PCI_BAR0_REGION_INDEX] = (struct td_region){
        .size = NVMEC_BAR0_SIZE,
        .flags =
            VFIO_USER_REGION_INFO_FLAG_READ | VFIO_USER_REGION_INFO_FLAG_WRITE,
        .mmap_fd = -1,
    };
    return 0;
}

static void nvme_fini(struct testdev *td)
{
    nvme_ctrl_fini(&np(td)->ctrl);
}

static void nvme_reset(struct testdev *td)
{
    nvme_ctrl_reset(&np(td)->ctrl);
}

/* ---- Regions ------------------------------------------------------------- */

static int nvme_write_check(struct testdev *td,
                            const struct vfio_user_region_access *a,
                            const char *cmd)
{
    const char *why = nvme_bar_check(&np(td)->ctrl, a->offset, a->count);

    if (why != NULL)
        return td_fail(EINVAL, "%s: [0x%llx, +%u): %s", cmd,
                       (unsigned long long)a->offset, a->count, why);
    return 0;
}

static void nvme_region_read(struct testdev *td, uint32_t index, uint64_t off,
                             uint32_t count, uint8_t *buf)
{
    (void)index; /* BAR0 is the only region besides config */
    nvme_bar_read(&np(td)->ctrl, off, count, buf);
}

static void nvme_region_write(struct testdev *td, uint32_t index, uint64_t off,
                              uint32_t count, const uint8_t *buf)
{
    (void)index;
    if (nvme_bar_write(&np(td)->ctrl, off, count, buf))
        td_defer(td, "NVMe queues");
}

static int nvme_run(struct testdev *td)
{
    return nvme_ctrl_run(&np(td)->ctrl);
}

/* ---- PCI ----------------------------------------------------------------- */

static const struct td_irq_desc nvme_irqs[VFIO_USER_PCI_NUM_IRQS] = {
    [VFIO_USER_PCI_INTX_IRQ_INDEX] = {1, VFIO_USER_IRQ_INFO_EVENTFD |
                                             VFIO_USER_IRQ_INFO_MASKABLE |
                                             VFIO_USER_IRQ_INFO_AUTOMASKED},
    [VFIO_USER_PCI_MSIX_IRQ_INDEX] = {NVMEC_MSIX_VECTORS,
                                      VFIO_USER_IRQ_INFO_EVENTFD |
                                          VFIO_USER_IRQ_INFO_NORESIZE},
};

_Static_assert(NVMEC_MSIX_VECTORS <= TD_IRQ_MAX_VECTORS, "MSI-X vectors");

/* What an NVMe controller on PCI Express has: PM, MSI-X with its table
 * and PBA in BAR0, the PCI Express capability; BAR0 is 64-bit. */
static void nvme_pci_init(struct td_pci *pci)
{
    uint8_t *c = pci->cfg, *w = pci->wmask;

    pci_header(pci, 0x1b36, NVME_PCI_DEVICE_ID, 0x01, NVME_PCI_CLASS, 0x1b36,
               0x0001, 1 /* INTA */, 0x0406 /* MSE, BME, INTx disable */,
               0xf900, CAP_PM);
    pci_bar(pci, 0, NVMEC_BAR0_SIZE, TD_BAR_MEM64);

    pci_cap(pci, CAP_PM, CAP_ID_PM, CAP_MSIX);
    pci->pm_cap = CAP_PM;
    pci_set16(c, CAP_PM + PM_PMC, PMC_VERSION_1_2);
    pci_set16(c, CAP_PM + PM_PMCSR, PMCSR_NO_SOFT_RESET);
    pci_set16(w, CAP_PM + PM_PMCSR, PMCSR_STATE_MASK);

    pci_msix(pci, CAP_MSIX, CAP_EXP, NVMEC_MSIX_VECTORS, 0, NVMEC_MSIX_TABLE, 0,
             NVMEC_MSIX_PBA);

    pci_exp_endpoint(pci, CAP_EXP, 0);
}

const struct td_personality td_dev_nvme = {
    .name = "nvme",
    .summary = "NVMe 1.4 controller, one namespace (memory or a file)",
    .state_size = sizeof(struct nvme_pers),
    .options = nvme_options,
    .noptions = sizeof(nvme_options) / sizeof(nvme_options[0]),
    .option = nvme_option,
    .init = nvme_init,
    .fini = nvme_fini,
    .device_flags = VFIO_USER_DEVICE_FLAGS_RESET,
    .pci_init = nvme_pci_init,
    .irqs = nvme_irqs,
    .reset = nvme_reset,
    .write_check = nvme_write_check,
    .region_read = nvme_region_read,
    .region_write = nvme_region_write,
    .run_deferred = nvme_run,
};
