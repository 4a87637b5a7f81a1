/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The "testdev" personality, the default device, described for tests by
 * testdev_regs.h: BAR0 registers (with the DMA engine of
 * dev_testdev_dma.c, the interrupt hooks and test quirks), BAR1 memory
 * shared by memfd, the log of BAR0 writes kept in BAR1's last page, its
 * config space, its irq indexes and the DMA_CTRL doorbell ioeventfd.
 *
 * Reset semantics: DEVICE_RESET returns BAR0 (every register, the MSI-X
 * table and the plain memory) and config space to their power-on values,
 * like a PCI function-level reset. BAR1 keeps its contents: it stands for
 * device memory whose contents a reset does not define, clients may have it
 * mapped, and keeping it lets a test tell a reset from a reconnection. Its
 * last page is the exception: it is the write log, which a reset clears so
 * that a test can start counting from a known point.
 * DMA maps and IRQ eventfds belong to the client and are untouched, and so
 * are the INTx mask and pending state, which are part of the client's
 * interrupt setup. The DMA engine and interrupt hook registers are BAR0
 * registers and return to 0 (the engine to IDLE). The migration state
 * machine returns to RUNNING, as a VFIO device reset makes it.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dev_testdev.h"
#include "pcicfg.h"

#define RW (VFIO_USER_REGION_INFO_FLAG_READ | VFIO_USER_REGION_INFO_FLAG_WRITE)

/* testdev_regs.h is what tests see; it must describe this device. */
_Static_assert(TESTDEV_NUM_REGIONS == VFIO_USER_PCI_NUM_REGIONS,
               "region count in testdev_regs.h");
_Static_assert(TESTDEV_BAR1_MMAP_OFFSET % TD_PAGE_SIZE == 0,
               "BAR1 sparse area must be mmap()able");
/* The log must be visible through a client's mapping, fill its page
 * exactly and keep LOG_COUNT naturally aligned for atomic stores. */
_Static_assert(TESTDEV_LOG_OFFSET >= TESTDEV_BAR1_MMAP_OFFSET &&
                   TESTDEV_LOG_OFFSET + TESTDEV_LOG_SIZE == TESTDEV_BAR1_SIZE,
               "the write log is BAR1's last mmap()able page");
_Static_assert(TESTDEV_LOG_OFFSET % TD_PAGE_SIZE == 0 &&
                   TESTDEV_LOG_SIZE == TD_PAGE_SIZE,
               "the write log is one page");
_Static_assert(TESTDEV_LOG_ENTRY(TESTDEV_LOG_RING) ==
                   TESTDEV_LOG_OFFSET + TESTDEV_LOG_SIZE,
               "the log's entries fill its page");
_Static_assert(TESTDEV_LOG_COUNT % 4 == 0, "LOG_COUNT alignment");

static int tdv_init(struct testdev *td)
{
    struct tdv_state *dev = tdv(td);
    struct td_region *bar1 = &td->regions[VFIO_USER_PCI_BAR1_REGION_INDEX];

    dev->bar1_fd =
        memfd_create("vuc-testdev-bar1", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (dev->bar1_fd < 0) {
        td_log("memfd_create: %s", strerror(errno));
        return -errno;
    }
    /* Clients get this fd: sealing its size means no client can truncate
     * it under our mapping and make us die of SIGBUS. */
    if (ftruncate(dev->bar1_fd, TESTDEV_BAR1_SIZE) < 0 ||
        fcntl(dev->bar1_fd, F_ADD_SEALS,
              F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
        td_log("preparing BAR1 memory: %s", strerror(errno));
        close(dev->bar1_fd);
        return -EIO;
    }
    dev->bar1 = mmap(NULL, TESTDEV_BAR1_SIZE, PROT_READ | PROT_WRITE,
                     MAP_SHARED, dev->bar1_fd, 0);
    if (dev->bar1 == MAP_FAILED) {
        td_log("mapping BAR1 memory: %s", strerror(errno));
        close(dev->bar1_fd);
        return -EIO;
    }
    td->regions[VFIO_USER_PCI_BAR0_REGION_INDEX] = (struct td_region){
        .size = TESTDEV_BAR0_SIZE,
        .flags = RW,
        .mmap_fd = -1,
    };
    /* BAR1 is mmap()able but for its first page, which stays trapped so
     * that a client's sparse mmap handling is exercised. */
    *bar1 = (struct td_region){
        .size = TESTDEV_BAR1_SIZE,
        .flags = RW,
        .mmap_fd = dev->bar1_fd,
        .nareas = 1,
        .areas = {{TESTDEV_BAR1_MMAP_OFFSET, TESTDEV_BAR1_MMAP_SIZE}},
    };
    return 0;
}

static void tdv_fini(struct testdev *td)
{
    struct tdv_state *dev = tdv(td);

    munmap(dev->bar1, TESTDEV_BAR1_SIZE);
    close(dev->bar1_fd);
    dev->bar1 = NULL;
    dev->bar1_fd = -1;
}

/* ---- The write log (BAR1's last page) ------------------------------------ */

static uint32_t *log_count_word(struct tdv_state *dev)
{
    return (uint32_t *)(void *)(dev->bar1 + TESTDEV_LOG_COUNT);
}

static void log_clear(struct tdv_state *dev)
{
    /* The count first: a reader that sees 0 looks at no entry. */
    dev->log_count = 0;
    __atomic_store_n(log_count_word(dev), 0, __ATOMIC_RELEASE);
    memset(dev->bar1 + TESTDEV_LOG_OFFSET, 0, TESTDEV_LOG_SIZE);
}

static void put_le32(uint8_t *p, uint32_t v)
{
    v = htole32(v);
    memcpy(p, &v, sizeof(v));
}

/*
 * The entry is complete before the count that publishes it is stored, with
 * release semantics, so a client that reads the count (acquire) through
 * its mapping and then the entries never sees a half-written one.
 */
static void log_append(struct tdv_state *dev, uint32_t off, uint32_t count,
                       const uint8_t *buf)
{
    uint8_t *e =
        dev->bar1 + TESTDEV_LOG_ENTRY(dev->log_count % TESTDEV_LOG_RING);
    uint8_t value[8] = {0};

    memcpy(value, buf, count < sizeof(value) ? count : sizeof(value));
    put_le32(e + TESTDEV_LOG_E_OFFSET, off);
    put_le32(e + TESTDEV_LOG_E_COUNT, count);
    memcpy(e + TESTDEV_LOG_E_VALUE, value, sizeof(value));
    dev->log_count++;
    __atomic_store_n(log_count_word(dev), htole32(dev->log_count),
                     __ATOMIC_RELEASE);
}

static void tdv_reset(struct testdev *td)
{
    struct tdv_state *dev = tdv(td);

    memset(dev->bar0, 0, sizeof(dev->bar0));
    dev->access_count = 0;
    dev->last_write = 0;
    dev->dmae = (struct tdv_dma_engine){.status = TESTDEV_DMA_STATUS_IDLE};
    dev->irqh = (struct tdv_irq_hooks){.select = 0};
    log_clear(dev);
}

/* ---- BAR0 registers ------------------------------------------------------ */

/*
 * The registers with behaviour, in address order (a write that covers
 * several applies them in this order); every other BAR0 byte is plain
 * memory in dev->bar0. Accesses of any width and alignment are split into
 * bytes, so a register straddled by an access behaves the same as one hit
 * exactly.
 */
enum reg_kind {
    REG_RO, /* writes are dropped, as on hardware */
    REG_RW, /* a partial write changes only the bytes written */
    REG_WO, /* a command: the bytes not written count as 0 */
};

static const struct {
    uint32_t off;
    enum reg_kind kind;
} special_regs[] = {
    {TESTDEV_REG_MAGIC, REG_RO},          {TESTDEV_REG_VERSION, REG_RO},
    {TESTDEV_REG_ACCESS_COUNT, REG_RO},   {TESTDEV_REG_LAST_WRITE, REG_RO},
    {TESTDEV_REG_STALL_MS, REG_WO},       {TESTDEV_REG_CRASH, REG_WO},
    {TESTDEV_REG_DMA_SRC_LO, REG_RW},     {TESTDEV_REG_DMA_SRC_HI, REG_RW},
    {TESTDEV_REG_DMA_DST_LO, REG_RW},     {TESTDEV_REG_DMA_DST_HI, REG_RW},
    {TESTDEV_REG_DMA_LEN, REG_RW},        {TESTDEV_REG_DMA_CTRL, REG_RW},
    {TESTDEV_REG_DMA_STATUS, REG_RO},     {TESTDEV_REG_DMA_ERRNO, REG_RO},
    {TESTDEV_REG_DMA_DONE_COUNT, REG_RO}, {TESTDEV_REG_DOORBELL_COUNT, REG_RO},
    {TESTDEV_REG_IRQ_SELECT, REG_RW},     {TESTDEV_REG_IRQ_FIRE, REG_WO},
    {TESTDEV_REG_IRQ_DELIVERED, REG_RO},
};
#define NUM_SPECIAL (sizeof(special_regs) / sizeof(special_regs[0]))

static uint32_t special_read(const struct tdv_state *dev, uint32_t reg)
{
    switch (reg) {
    case TESTDEV_REG_MAGIC:
        return TESTDEV_MAGIC;
    case TESTDEV_REG_VERSION:
        return TESTDEV_VERSION;
    case TESTDEV_REG_ACCESS_COUNT:
        return dev->access_count;
    case TESTDEV_REG_LAST_WRITE:
        return dev->last_write;
    case TESTDEV_REG_DMA_SRC_LO:
        return dev->dmae.src_lo;
    case TESTDEV_REG_DMA_SRC_HI:
        return dev->dmae.src_hi;
    case TESTDEV_REG_DMA_DST_LO:
        return dev->dmae.dst_lo;
    case TESTDEV_REG_DMA_DST_HI:
        return dev->dmae.dst_hi;
    case TESTDEV_REG_DMA_LEN:
        return dev->dmae.len;
    case TESTDEV_REG_DMA_CTRL:
        return dev->dmae.ctrl;
    case TESTDEV_REG_DMA_STATUS:
        return dev->dmae.status;
    case TESTDEV_REG_DMA_ERRNO:
        return dev->dmae.err;
    case TESTDEV_REG_DMA_DONE_COUNT:
        return dev->dmae.done_count;
    case TESTDEV_REG_DOORBELL_COUNT:
        return dev->dmae.doorbells;
    case TESTDEV_REG_IRQ_SELECT:
        return dev->irqh.select;
    case TESTDEV_REG_IRQ_FIRE:
        return dev->irqh.fired;
    case TESTDEV_REG_IRQ_DELIVERED:
        return dev->irqh.delivered;
    default:
        return 0; /* write-only registers */
    }
}

static void special_write(struct testdev *td, uint32_t reg, uint32_t v)
{
    struct tdv_state *dev = tdv(td);
    struct tdv_dma_engine *e = &dev->dmae;

    switch (reg) {
    case TESTDEV_REG_STALL_MS:
        td_quirk_stall(td, v > TESTDEV_STALL_MS_MAX ? TESTDEV_STALL_MS_MAX : v);
        break;
    case TESTDEV_REG_CRASH:
        if (v == TESTDEV_CRASH_MAGIC)
            td_quirk_vanish(td);
        break;
    case TESTDEV_REG_DMA_SRC_LO:
        e->src_lo = v;
        break;
    case TESTDEV_REG_DMA_SRC_HI:
        e->src_hi = v;
        break;
    case TESTDEV_REG_DMA_DST_LO:
        e->dst_lo = v;
        break;
    case TESTDEV_REG_DMA_DST_HI:
        e->dst_hi = v;
        break;
    case TESTDEV_REG_DMA_LEN:
        e->len = v;
        break;
    case TESTDEV_REG_DMA_CTRL:
        e->ctrl = v & ~TESTDEV_DMA_CTRL_START;
        /* The job runs once this write is answered. */
        if (v & TESTDEV_DMA_CTRL_START)
            td_defer(td, "DMA doorbell");
        break;
    case TESTDEV_REG_IRQ_SELECT:
        dev->irqh.select = v;
        break;
    case TESTDEV_REG_IRQ_FIRE:
        /* Fired before the reply, so the client finds every signal in its
         * eventfd as soon as the write completes. A device that migration
         * stopped raises nothing. */
        if (v >= 1 && v <= TESTDEV_IRQ_FIRE_MAX && mig_running(td))
            tdv_irq_fire_n(td, dev->irqh.select >> 16,
                           dev->irqh.select & 0xffffu, v);
        break;
    default:
        break; /* read-only */
    }
}

static uint32_t le32(const uint8_t b[4])
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
           (uint32_t)b[3] << 24;
}

static void bar0_read(struct tdv_state *dev, uint32_t off, uint32_t count,
                      uint8_t *buf)
{
    uint32_t end = off + count;
    size_t i;

    memcpy(buf, dev->bar0 + off, count);
    for (i = 0; i < NUM_SPECIAL; i++) {
        uint32_t reg = special_regs[i].off;
        uint32_t val = special_read(dev, reg);
        uint32_t a = off > reg ? off : reg;
        uint32_t b = end < reg + 4 ? end : reg + 4;

        for (; a < b; a++)
            buf[a - off] = (uint8_t)(val >> (8 * (a - reg)));
    }
    /* Counted after the read, so the read returns the count before it. */
    dev->access_count++;
}

static int special_index(uint32_t addr)
{
    size_t i;

    for (i = 0; i < NUM_SPECIAL; i++)
        if (addr >= special_regs[i].off && addr < special_regs[i].off + 4)
            return (int)i;
    return -1;
}

static void bar0_write(struct testdev *td, uint32_t off, uint32_t count,
                       const uint8_t *buf)
{
    struct tdv_state *dev = tdv(td);
    uint8_t staged[NUM_SPECIAL][4] = {{0}};
    bool hit[NUM_SPECIAL] = {false};
    uint8_t first[4] = {0};
    uint32_t i;

    for (i = 0; i < count; i++) {
        uint32_t a = off + i;
        int s = special_index(a);

        if (s < 0) {
            dev->bar0[a] = buf[i];
            continue;
        }
        if (!hit[s] && special_regs[s].kind == REG_RW) {
            uint32_t cur = special_read(dev, special_regs[s].off);
            unsigned int k;

            for (k = 0; k < 4; k++)
                staged[s][k] = (uint8_t)(cur >> (8 * k));
        }
        staged[s][a - special_regs[s].off] = buf[i];
        hit[s] = true;
    }
    memcpy(first, buf, count < 4 ? count : 4);
    dev->last_write = le32(first);
    dev->access_count++;
    /* Logged before the side effects, so that whatever a side effect lets
     * the client observe (an interrupt) comes after the entry. */
    log_append(dev, off, count, buf);

    for (i = 0; i < NUM_SPECIAL; i++)
        if (hit[i] && special_regs[i].kind != REG_RO)
            special_write(td, special_regs[i].off, le32(staged[i]));
}

/* ---- Regions ------------------------------------------------------------- */

/* A write touching REJECT is refused whole, before any of it applies. */
static int tdv_write_check(struct testdev *td,
                           const struct vfio_user_region_access *a,
                           const char *cmd)
{
    (void)td;
    /* Bounds are checked: offset + count cannot wrap here. */
    if (a->region == VFIO_USER_PCI_BAR0_REGION_INDEX &&
        a->offset < TESTDEV_REG_REJECT + 4 &&
        a->offset + a->count > TESTDEV_REG_REJECT)
        return td_fail(TESTDEV_REJECT_ERRNO,
                       "%s: [0x%llx, +%u) touches the REJECT register "
                       "(0x%x), refused on purpose",
                       cmd, (unsigned long long)a->offset, a->count,
                       TESTDEV_REG_REJECT);
    return 0;
}

static void tdv_region_read(struct testdev *td, uint32_t index, uint64_t off,
                            uint32_t count, uint8_t *buf)
{
    if (index == VFIO_USER_PCI_BAR0_REGION_INDEX)
        bar0_read(tdv(td), (uint32_t)off, count, buf);
    else /* BAR1: the same memory the client may have mmap()ed */
        memcpy(buf, tdv(td)->bar1 + off, count);
}

static void tdv_region_write(struct testdev *td, uint32_t index, uint64_t off,
                             uint32_t count, const uint8_t *buf)
{
    if (index == VFIO_USER_PCI_BAR0_REGION_INDEX)
        bar0_write(td, (uint32_t)off, count, buf);
    else
        memcpy(tdv(td)->bar1 + off, buf, count);
}

/* ---- The doorbell ioeventfd ---------------------------------------------- */

/*
 * BAR0 offers one ioeventfd, on the DMA engine's doorbell (DMA_CTRL with
 * datamatch START): what KVM would signal when a guest writes that value
 * there. Each signal acts exactly as one REGION_WRITE of the value, and
 * as there is no reply to send first, its job runs at once (see "Doorbell
 * ioeventfd" in testdev_regs.h).
 */
static const struct td_ioeventfd_desc tdv_ioeventfds[] = {
    {VFIO_USER_PCI_BAR0_REGION_INDEX, TESTDEV_DOORBELL_OFFSET,
     TESTDEV_DOORBELL_SIZE, true, TESTDEV_DOORBELL_DATA},
};

static int tdv_ioeventfd(struct testdev *td, size_t i, uint64_t n)
{
    static const uint8_t data[TESTDEV_DOORBELL_SIZE] = {
        (uint8_t)TESTDEV_DOORBELL_DATA,
        (uint8_t)(TESTDEV_DOORBELL_DATA >> 8),
        (uint8_t)(TESTDEV_DOORBELL_DATA >> 16),
        (uint8_t)(TESTDEV_DOORBELL_DATA >> 24),
    };
    uint64_t k;

    (void)i; /* the only one */
    if (n > TESTDEV_DOORBELL_BURST_MAX) {
        td_log("doorbell: %llu signals at once; performing %u, dropping the "
               "rest",
               (unsigned long long)n, TESTDEV_DOORBELL_BURST_MAX);
        n = TESTDEV_DOORBELL_BURST_MAX;
    }
    for (k = 0; k < n; k++) {
        int rc;

        tdv(td)->dmae.doorbells++;
        bar0_write(td, TESTDEV_DOORBELL_OFFSET, sizeof(data), data);
        rc = td_run_deferred(td);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* ---- Interrupts ---------------------------------------------------------- */

#define INFO_EVENTFD VFIO_USER_IRQ_INFO_EVENTFD

static const struct td_irq_desc tdv_irqs[VFIO_USER_PCI_NUM_IRQS] = {
    [VFIO_USER_PCI_INTX_IRQ_INDEX] = {TESTDEV_INTX_COUNT,
                                      INFO_EVENTFD |
                                          VFIO_USER_IRQ_INFO_MASKABLE |
                                          VFIO_USER_IRQ_INFO_AUTOMASKED},
    [VFIO_USER_PCI_MSI_IRQ_INDEX] = {TESTDEV_MSI_COUNT,
                                     INFO_EVENTFD |
                                         VFIO_USER_IRQ_INFO_NORESIZE},
    [VFIO_USER_PCI_MSIX_IRQ_INDEX] = {TESTDEV_MSIX_COUNT,
                                      INFO_EVENTFD |
                                          VFIO_USER_IRQ_INFO_NORESIZE},
    [VFIO_USER_PCI_ERR_IRQ_INDEX] = {TESTDEV_ERR_COUNT, INFO_EVENTFD},
    [VFIO_USER_PCI_REQ_IRQ_INDEX] = {TESTDEV_REQ_COUNT, INFO_EVENTFD},
};

_Static_assert(TESTDEV_NUM_IRQS == VFIO_USER_PCI_NUM_IRQS,
               "irq index count in testdev_regs.h");
_Static_assert(TESTDEV_MSIX_COUNT <= TD_IRQ_MAX_VECTORS, "MSI-X vectors");

void tdv_irq_fire_n(struct testdev *td, uint32_t index, uint32_t vector,
                    uint32_t n)
{
    struct tdv_irq_hooks *hooks = &tdv(td)->irqh;
    struct td_irqs *irqs = &td->irqs;
    uint32_t i;

    if (index >= VFIO_USER_PCI_NUM_IRQS || vector >= irqs->index[index].count) {
        td_debug("interrupt hook: irq index %u vector %u does not exist; "
                 "%u fires ignored",
                 index, vector, n);
        return;
    }
    for (i = 0; i < n; i++) {
        int rc = irq_fire(irqs, index, vector);

        hooks->fired++;
        if (rc == 0)
            hooks->delivered++;
        else if (rc < 0)
            break; /* logged; the next write would fail the same way */
    }
    td_debug("%s vector %u: %u of %u fires performed (%u delivered in all)",
             irq_name(index), vector, i < n ? i + 1 : n, n, hooks->delivered);
}

/* ---- PCI configuration space --------------------------------------------- */

/* Real identities and a real capability chain (PM, MSI, MSI-X, PCIe and
 * the Device Serial Number), so that a client's config space parsing meets
 * what it would meet on hardware. */
_Static_assert(TESTDEV_CONFIG_SIZE == TD_CONFIG_SIZE, "config space size");
_Static_assert(TESTDEV_PCI_BAR0_SIZE_MASK ==
                       (uint32_t) ~(TESTDEV_BAR0_SIZE - 1) &&
                   TESTDEV_PCI_BAR1_SIZE_MASK ==
                       (uint32_t) ~(TESTDEV_BAR1_SIZE - 1),
               "BAR size masks in testdev_regs.h");

static void tdv_pci_init(struct td_pci *pci)
{
    uint8_t *c = pci->cfg, *w = pci->wmask;
    const uint32_t pm = TESTDEV_PCI_CAP_PM, msi = TESTDEV_PCI_CAP_MSI;
    const uint32_t msix = TESTDEV_PCI_CAP_MSIX, exp = TESTDEV_PCI_CAP_EXP;
    const uint32_t dsn = TESTDEV_PCI_ECAP_DSN;

    pci_header(pci, TESTDEV_PCI_VENDOR_ID, TESTDEV_PCI_DEVICE_ID,
               TESTDEV_PCI_REVISION, TESTDEV_PCI_CLASS_CODE,
               TESTDEV_PCI_SUBSYS_VENDOR_ID, TESTDEV_PCI_SUBSYS_ID,
               TESTDEV_PCI_INTERRUPT_PIN, TESTDEV_PCI_COMMAND_WMASK,
               TESTDEV_PCI_STATUS_W1C, TESTDEV_PCI_CAP_PTR);
    /* Both BARs are 32-bit non-prefetchable memory; BAR2-5 and the ROM
     * BAR are unimplemented and read as 0. */
    pci_bar(pci, 0, TESTDEV_BAR0_SIZE, TD_BAR_MEM32);
    pci_bar(pci, 1, TESTDEV_BAR1_SIZE, TD_BAR_MEM32);

    /* Power Management: D0 and D3hot only; no PME. */
    pci_cap(pci, pm, CAP_ID_PM, (uint8_t)msi);
    pci->pm_cap = pm;
    pci_set16(c, pm + PM_PMC, PMC_VERSION_1_2);
    pci_set16(c, pm + PM_PMCSR, PMCSR_NO_SOFT_RESET);
    pci_set16(w, pm + PM_PMCSR, PMCSR_STATE_MASK);

    /* MSI: one vector, 64-bit addresses, no per-vector masking. */
    pci_cap(pci, msi, CAP_ID_MSI, (uint8_t)msix);
    pci_set16(c, msi + MSI_FLAGS, MSI_FLAGS_64BIT);
    pci_set16(w, msi + MSI_FLAGS, MSI_FLAGS_ENABLE);
    pci_set32(w, msi + MSI_ADDR_LO, 0xfffffffc); /* dword aligned */
    pci_set32(w, msi + MSI_ADDR_HI, 0xffffffff);
    pci_set16(w, msi + MSI_DATA_64, 0xffff);

    /* MSI-X: table and PBA in BAR0 (BIR 0). */
    pci_msix(pci, msix, (uint8_t)exp, TESTDEV_MSIX_COUNT, 0,
             TESTDEV_MSIX_TABLE_OFFSET, 0, TESTDEV_MSIX_PBA_OFFSET);

    /* PCI Express v2 endpoint, x1 at 2.5 GT/s; the end of the chain. */
    pci_exp_endpoint(pci, exp, 0);

    /* Extended capabilities: Device Serial Number, the only one. */
    pci_set32(c, dsn, ECAP_ID_DSN | (1u << 16) | (0u << 20)); /* v1, next 0 */
    pci_set32(c, dsn + 4, (uint32_t)TESTDEV_PCI_DSN);
    pci_set32(c, dsn + 8, (uint32_t)(TESTDEV_PCI_DSN >> 32));
}

/* ---- The personality ----------------------------------------------------- */

const struct td_personality td_dev_testdev = {
    .name = "testdev",
    .summary = "registers, memory BAR, DMA engine (testdev_regs.h)",
    .state_size = sizeof(struct tdv_state),
    .init = tdv_init,
    .fini = tdv_fini,
    .device_flags = VFIO_USER_DEVICE_FLAGS_RESET,
    .pci_init = tdv_pci_init,
    .irqs = tdv_irqs,
    .reset = tdv_reset,
    .write_check = tdv_write_check,
    .region_read = tdv_region_read,
    .region_write = tdv_region_write,
    .run_deferred = tdv_dmae_run,
    .ioeventfds = tdv_ioeventfds,
    .nioeventfds = sizeof(tdv_ioeventfds) / sizeof(tdv_ioeventfds[0]),
    .ioeventfd = tdv_ioeventfd,
    .mig = &tdv_mig_ops,
};
