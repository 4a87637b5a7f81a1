/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The emulated device: its regions (BAR0 registers, BAR1 memory, config
 * space), DEVICE_GET_INFO, DEVICE_GET_REGION_INFO, REGION_READ/WRITE,
 * REGION_WRITE_MULTI, DEVICE_RESET and the log of BAR0 writes kept in
 * BAR1's last page.
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

#include "testdev.h"

struct region_desc {
    uint64_t size;
    uint32_t flags;
};

#define RW (VFIO_USER_REGION_INFO_FLAG_READ | VFIO_USER_REGION_INFO_FLAG_WRITE)

/* Indexes not listed (BAR2-5, ROM, VGA) are absent: size 0, flags 0. */
static const struct region_desc regions[VFIO_USER_PCI_NUM_REGIONS] = {
    [VFIO_USER_PCI_BAR0_REGION_INDEX] = {TESTDEV_BAR0_SIZE, RW},
    [VFIO_USER_PCI_BAR1_REGION_INDEX] = {TESTDEV_BAR1_SIZE, RW},
    [VFIO_USER_PCI_CONFIG_REGION_INDEX] = {TESTDEV_CONFIG_SIZE, RW},
};

/* Full BAR1 region info: the structure and one sparse mmap capability. */
struct bar1_info {
    struct vfio_user_region_info info;
    struct vfio_user_info_cap_header cap;
    struct vfio_user_region_info_cap_sparse_mmap sparse;
    struct vfio_user_region_sparse_mmap_area area;
} __attribute__((packed));

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

uint64_t dev_region_size(uint32_t index)
{
    return index < VFIO_USER_PCI_NUM_REGIONS ? regions[index].size : 0;
}

int dev_init(struct td_device *dev)
{
    memset(dev, 0, sizeof(*dev));
    dev->bar1_fd =
        memfd_create("vuc-testdev-bar1", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (dev->bar1_fd < 0) {
        td_log("memfd_create: %s", strerror(errno));
        return -1;
    }
    /* Clients get this fd: sealing its size means no client can truncate
     * it under our mapping and make us die of SIGBUS. */
    if (ftruncate(dev->bar1_fd, TESTDEV_BAR1_SIZE) < 0 ||
        fcntl(dev->bar1_fd, F_ADD_SEALS,
              F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
        td_log("preparing BAR1 memory: %s", strerror(errno));
        close(dev->bar1_fd);
        return -1;
    }
    dev->bar1 = mmap(NULL, TESTDEV_BAR1_SIZE, PROT_READ | PROT_WRITE,
                     MAP_SHARED, dev->bar1_fd, 0);
    if (dev->bar1 == MAP_FAILED) {
        td_log("mapping BAR1 memory: %s", strerror(errno));
        close(dev->bar1_fd);
        return -1;
    }
    dev_reset(dev);
    return 0;
}

void dev_fini(struct td_device *dev)
{
    munmap(dev->bar1, TESTDEV_BAR1_SIZE);
    close(dev->bar1_fd);
    dev->bar1 = NULL;
    dev->bar1_fd = -1;
}

/* ---- The write log (BAR1's last page) ------------------------------------ */

static uint32_t *log_count_word(struct td_device *dev)
{
    return (uint32_t *)(void *)(dev->bar1 + TESTDEV_LOG_COUNT);
}

static void log_clear(struct td_device *dev)
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
static void log_append(struct td_device *dev, uint32_t off, uint32_t count,
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

void dev_reset(struct td_device *dev)
{
    pci_init(&dev->pci);
    memset(dev->bar0, 0, sizeof(dev->bar0));
    dev->access_count = 0;
    dev->last_write = 0;
    dev->dmae = (struct td_dma_engine){.status = TESTDEV_DMA_STATUS_IDLE};
    dev->irqh = (struct td_irq_hooks){.select = 0};
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

static uint32_t special_read(const struct td_device *dev, uint32_t reg)
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
    struct td_device *dev = &td->dev;
    struct td_dma_engine *e = &dev->dmae;

    switch (reg) {
    case TESTDEV_REG_STALL_MS:
        dev->stall_ms = v > TESTDEV_STALL_MS_MAX ? TESTDEV_STALL_MS_MAX : v;
        break;
    case TESTDEV_REG_CRASH:
        if (v == TESTDEV_CRASH_MAGIC)
            dev->crash = true;
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
        /* proto.c runs the job once this write is answered. */
        if (v & TESTDEV_DMA_CTRL_START)
            e->start = true;
        break;
    case TESTDEV_REG_IRQ_SELECT:
        dev->irqh.select = v;
        break;
    case TESTDEV_REG_IRQ_FIRE:
        /* Fired before the reply, so the client finds every signal in its
         * eventfd as soon as the write completes. A device that migration
         * stopped raises nothing. */
        if (v >= 1 && v <= TESTDEV_IRQ_FIRE_MAX && mig_running(td))
            irq_fire_n(&td->irqs, &dev->irqh, dev->irqh.select >> 16,
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

static void bar0_read(struct td_device *dev, uint32_t off, uint32_t count,
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

void dev_bar0_write(struct testdev *td, uint32_t off, uint32_t count,
                    const uint8_t *buf)
{
    struct td_device *dev = &td->dev;
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

/* ---- Region access ------------------------------------------------------- */

/* @p cmd names the access in the error: the command, or an entry of one. */
static int check_access(const struct testdev *td,
                        const struct vfio_user_region_access *a, bool write,
                        const char *cmd)
{
    uint32_t need = write ? VFIO_USER_REGION_INFO_FLAG_WRITE
                          : VFIO_USER_REGION_INFO_FLAG_READ;
    const struct region_desc *rd;

    if (a->region >= VFIO_USER_PCI_NUM_REGIONS)
        return td_fail(EINVAL, "%s: region %u does not exist (%u regions)", cmd,
                       a->region, VFIO_USER_PCI_NUM_REGIONS);
    rd = &regions[a->region];
    if (!(rd->flags & need))
        return td_fail(EINVAL, "%s: region %u is not %s", cmd, a->region,
                       write ? "writable" : "readable");
    if (a->count == 0)
        return td_fail(EINVAL, "%s: count is 0", cmd);
    if (a->count > td->opt.max_data_xfer_size)
        return td_fail(EINVAL, "%s: count %u exceeds max_data_xfer_size %u",
                       cmd, a->count, td->opt.max_data_xfer_size);
    if (a->offset > rd->size || a->count > rd->size - a->offset)
        return td_fail(EINVAL,
                       "%s: offset 0x%llx + count %u is beyond the end of "
                       "region %u (size 0x%llx)",
                       cmd, (unsigned long long)a->offset, a->count, a->region,
                       (unsigned long long)rd->size);
    /* Only after the bounds: offset + count cannot wrap here. */
    if (write && a->region == VFIO_USER_PCI_BAR0_REGION_INDEX &&
        a->offset < TESTDEV_REG_REJECT + 4 &&
        a->offset + a->count > TESTDEV_REG_REJECT)
        return td_fail(TESTDEV_REJECT_ERRNO,
                       "%s: [0x%llx, +%u) touches the REJECT register "
                       "(0x%x), refused on purpose",
                       cmd, (unsigned long long)a->offset, a->count,
                       TESTDEV_REG_REJECT);
    return 0;
}

/* Only called after check_access(): offset and count fit the region. */
static void region_access(struct testdev *td,
                          const struct vfio_user_region_access *a, uint8_t *buf,
                          bool write)
{
    struct td_device *dev = &td->dev;
    uint32_t off = (uint32_t)a->offset;

    switch (a->region) {
    case VFIO_USER_PCI_BAR0_REGION_INDEX:
        if (write)
            dev_bar0_write(td, off, a->count, buf);
        else
            bar0_read(dev, off, a->count, buf);
        break;
    case VFIO_USER_PCI_BAR1_REGION_INDEX:
        /* The same memory the client may have mmap()ed. */
        if (write)
            memcpy(dev->bar1 + off, buf, a->count);
        else
            memcpy(buf, dev->bar1 + off, a->count);
        break;
    case VFIO_USER_PCI_CONFIG_REGION_INDEX:
        if (write)
            pci_write(&dev->pci, off, a->count, buf);
        else
            pci_read(&dev->pci, off, a->count, buf);
        break;
    }
}

int handle_region_read(struct testdev *td, struct td_msg *m, struct td_reply *r)
{
    struct vfio_user_region_access a;
    uint32_t past = 0; /* read-past-end: zeros after the region's end */
    uint8_t *out;
    int err;

    if (m->len != sizeof(a))
        return td_fail(EINVAL,
                       "REGION_READ: payload of %zu bytes, expected "
                       "%zu",
                       m->len, sizeof(a));
    memcpy(&a, m->data, sizeof(a));
    if (td_quirk(TD_QUIRK_READ_PAST_END) && a.region < TESTDEV_NUM_REGIONS &&
        (regions[a.region].flags & VFIO_USER_REGION_INFO_FLAG_READ) &&
        a.offset <= regions[a.region].size &&
        a.count > regions[a.region].size - a.offset &&
        a.count <= td->opt.max_data_xfer_size) {
        past = (uint32_t)(a.count - (regions[a.region].size - a.offset));
        a.count -= past;
    }
    err = a.count || !past ? check_access(td, &a, false, "REGION_READ") : 0;
    if (err)
        return err;
    out = td_reply_alloc(r, sizeof(a) + a.count + past);
    if (!out)
        return td_fail(ENOMEM, "REGION_READ: out of memory for %u bytes",
                       a.count);
    if (a.count)
        region_access(td, &a, out + sizeof(a), false);
    a.count += past;
    memset(out + sizeof(a) + a.count - past, 0, past);
    memcpy(out, &a, sizeof(a));
    return 0;
}

int handle_region_write(struct testdev *td, struct td_msg *m,
                        struct td_reply *r)
{
    struct vfio_user_region_access a;
    int err;

    if (m->len < sizeof(a))
        return td_fail(EINVAL,
                       "REGION_WRITE: payload of %zu bytes, less "
                       "than %zu",
                       m->len, sizeof(a));
    memcpy(&a, m->data, sizeof(a));
    if (m->len - sizeof(a) != a.count)
        return td_fail(EINVAL, "REGION_WRITE: count %u but %zu data bytes",
                       a.count, m->len - sizeof(a));
    err = check_access(td, &a, true, "REGION_WRITE");
    if (err)
        return err;
    if (!(td_quirk(TD_QUIRK_DROP_BAR1_WRITES) &&
          a.region == VFIO_USER_PCI_BAR1_REGION_INDEX))
        region_access(td, &a, m->data + sizeof(a), true);

    if (td->dev.crash) {
        /* No reply, and so no doorbell job either: the connection ends. */
        td->dev.crash = false;
        td->dev.dmae.start = false;
        r->vanish = true;
        return 0;
    }
    if (td->dev.dmae.start)
        td_note("DMA doorbell: the job runs after this reply");
    memcpy(td_reply_alloc(r, sizeof(a)), &a, sizeof(a));
    return 0;
}

#define ENTRY_SIZE sizeof(struct vfio_user_write_multi_entry)

/*
 * Validation is all-or-nothing: every entry is checked before any is
 * applied, so that a refused message leaves the device exactly as it was
 * and the client's error (when it gets one) covers the whole message.
 */
static int check_multi(const struct testdev *td, const struct td_msg *m,
                       uint64_t *wr_cnt)
{
    struct vfio_user_write_multi h;
    size_t want;
    uint64_t i;

    if (!td->conn.write_multiple)
        return td_fail(EINVAL,
                       "REGION_WRITE_MULTI: write_multiple was not "
                       "negotiated%s",
                       td->opt.no_write_multiple ? " (--no-write-multiple)"
                                                 : "");
    if (m->len < sizeof(h))
        return td_fail(EINVAL,
                       "REGION_WRITE_MULTI: payload of %zu bytes, less "
                       "than %zu",
                       m->len, sizeof(h));
    memcpy(&h, m->data, sizeof(h));
    if (h.wr_cnt == 0 || h.wr_cnt > VFIO_USER_MULTI_MAX)
        return td_fail(EINVAL,
                       "REGION_WRITE_MULTI: wr_cnt %llu is outside [1, %u]",
                       (unsigned long long)h.wr_cnt, VFIO_USER_MULTI_MAX);
    want = sizeof(h) + (size_t)h.wr_cnt * ENTRY_SIZE;
    if (m->len != want)
        return td_fail(EINVAL,
                       "REGION_WRITE_MULTI: payload of %zu bytes, expected "
                       "%zu for wr_cnt %llu",
                       m->len, want, (unsigned long long)h.wr_cnt);
    for (i = 0; i < h.wr_cnt; i++) {
        struct vfio_user_write_multi_entry e;
        struct vfio_user_region_access a;
        char what[64];
        int err;

        memcpy(&e, m->data + sizeof(h) + i * sizeof(e), sizeof(e));
        snprintf(what, sizeof(what), "REGION_WRITE_MULTI entry %llu",
                 (unsigned long long)i);
        if (e.count > VFIO_USER_MULTI_DATA)
            return td_fail(EINVAL, "%s: count %u is above %u", what, e.count,
                           VFIO_USER_MULTI_DATA);
        a = (struct vfio_user_region_access){
            .offset = e.offset,
            .region = e.region,
            .count = e.count,
        };
        err = check_access(td, &a, true, what);
        if (err)
            return err;
    }
    *wr_cnt = h.wr_cnt;
    return 0;
}

int handle_region_write_multi(struct testdev *td, struct td_msg *m,
                              struct td_reply *r)
{
    struct vfio_user_write_multi *out;
    uint64_t wr_cnt = 0, i;
    int err = check_multi(td, m, &wr_cnt);

    if (err)
        return err;
    for (i = 0; i < wr_cnt; i++) {
        struct vfio_user_write_multi_entry e;
        struct vfio_user_region_access a;

        /* A doorbell in an earlier entry runs its job before this one, as
         * it would between two REGION_WRITEs; the last entry's job runs
         * after the reply, like a REGION_WRITE's. */
        if (td->dev.dmae.start) {
            int rc = dmae_run(td);

            if (rc < 0) {
                td_note("the DMA job of entry %llu broke the connection; "
                        "entries %llu.. not applied",
                        (unsigned long long)(i - 1), (unsigned long long)i);
                r->vanish = true;
                return 0;
            }
        }
        memcpy(&e,
               m->data + sizeof(struct vfio_user_write_multi) + i * sizeof(e),
               sizeof(e));
        a = (struct vfio_user_region_access){
            .offset = e.offset,
            .region = e.region,
            .count = e.count,
        };
        region_access(td, &a, e.data, true);
        if (td->dev.crash) {
            td->dev.crash = false;
            td->dev.dmae.start = false;
            td_note("entry %llu crashed the device; entries after it not "
                    "applied",
                    (unsigned long long)i);
            r->vanish = true;
            return 0;
        }
    }
    if (td->dev.dmae.start)
        td_note("DMA doorbell in the last entry: the job runs after this "
                "reply");
    out = td_reply_alloc(r, sizeof(*out));
    out->wr_cnt = wr_cnt;
    return 0;
}

/* ---- Device and region information --------------------------------------- */

int handle_device_get_info(struct testdev *td, struct td_msg *m,
                           struct td_reply *r)
{
    struct vfio_user_device_info req, *info;

    if (m->len != sizeof(req))
        return td_fail(EINVAL,
                       "DEVICE_GET_INFO: payload of %zu bytes, "
                       "expected %zu",
                       m->len, sizeof(req));
    memcpy(&req, m->data, sizeof(req));
    if (req.argsz < sizeof(req))
        return td_fail(EINVAL,
                       "DEVICE_GET_INFO: argsz %u is smaller than "
                       "the %zu-byte reply",
                       req.argsz, sizeof(req));
    if (req.flags || req.num_regions || req.num_irqs)
        return td_fail(EINVAL, "DEVICE_GET_INFO: flags, num_regions and "
                               "num_irqs must be zero in a request");

    info = td_reply_alloc(r, sizeof(*info));
    info->argsz = sizeof(*info);
    info->flags = VFIO_USER_DEVICE_FLAGS_PCI;
    if (!td->opt.no_reset)
        info->flags |= VFIO_USER_DEVICE_FLAGS_RESET;
    info->num_regions = VFIO_USER_PCI_NUM_REGIONS;
    info->num_irqs = VFIO_USER_PCI_NUM_IRQS;
    return 0;
}

int handle_region_info(struct testdev *td, struct td_msg *m, struct td_reply *r)
{
    struct vfio_user_region_info req;
    struct bar1_info full;
    size_t full_len = sizeof(full.info), reply_len;
    bool mappable;

    if (m->len != sizeof(req))
        return td_fail(EINVAL,
                       "DEVICE_GET_REGION_INFO: payload of %zu "
                       "bytes, expected %zu",
                       m->len, sizeof(req));
    memcpy(&req, m->data, sizeof(req));
    if (req.argsz < sizeof(req))
        return td_fail(EINVAL,
                       "DEVICE_GET_REGION_INFO: argsz %u is smaller "
                       "than the %zu-byte region info",
                       req.argsz, sizeof(req));
    if (req.flags || req.cap_offset || req.size || req.offset)
        return td_fail(EINVAL, "DEVICE_GET_REGION_INFO: fields other than "
                               "argsz and index must be zero");
    if (req.index >= VFIO_USER_PCI_NUM_REGIONS)
        return td_fail(EINVAL,
                       "DEVICE_GET_REGION_INFO: region %u does not "
                       "exist (%u regions)",
                       req.index, VFIO_USER_PCI_NUM_REGIONS);

    /* A client that takes no fds cannot map anything: BAR1 is then offered
     * as a trapped region rather than sending it an fd it did not allow. */
    mappable = req.index == VFIO_USER_PCI_BAR1_REGION_INDEX &&
               td->conn.peer_max_msg_fds >= 1;

    memset(&full, 0, sizeof(full));
    full.info.flags = regions[req.index].flags;
    full.info.index = req.index;
    full.info.size = regions[req.index].size;
    if (mappable) {
        full_len = sizeof(full);
        full.info.flags |=
            VFIO_USER_REGION_INFO_FLAG_MMAP | VFIO_USER_REGION_INFO_FLAG_CAPS;
        full.info.offset = 0;
        full.cap.id = VFIO_USER_REGION_INFO_CAP_SPARSE_MMAP;
        full.cap.version = 1;
        full.cap.next = 0;
        full.sparse.nr_areas = 1;
        full.area.offset = TESTDEV_BAR1_MMAP_OFFSET;
        full.area.size = TESTDEV_BAR1_MMAP_SIZE;
        if (td_quirk(TD_QUIRK_SPARSE_PAST_END))
            full.area.size += TD_PAGE_SIZE;
        r->fd = td->dev.bar1_fd;
    }
    full.info.argsz = (uint32_t)full_len;
    /* "Message sizes": when argsz is too small, the reply says in argsz how
     * much is needed and is cut to the client's argsz. The capability is
     * then left out (zeros, cap_offset 0, as vfio-pci does) rather than
     * sent in part, but the fd still comes along: the client must close it
     * before retrying. */
    if (req.argsz < full_len && td_quirk(TD_QUIRK_NO_ARGSZ_RETRY)) {
        r->fd = -1;
        return td_fail(EINVAL,
                       "DEVICE_GET_REGION_INFO: argsz %u is too "
                       "small (no-argsz-retry)",
                       req.argsz);
    }
    if (req.argsz >= full_len) {
        if (full_len > sizeof(full.info))
            full.info.cap_offset = sizeof(full.info);
        reply_len = full_len;
    } else {
        memset(&full.cap, 0, full_len - sizeof(full.info));
        reply_len = req.argsz;
    }
    memcpy(td_reply_alloc(r, reply_len), &full, reply_len);
    return 0;
}

int handle_device_reset(struct testdev *td, struct td_msg *m,
                        struct td_reply *r)
{
    if (m->len)
        return td_fail(EINVAL, "DEVICE_RESET: unexpected %zu-byte payload",
                       m->len);
    if (td->opt.no_reset)
        return td_fail(ENOTSUP, "DEVICE_RESET: this device does not "
                                "support reset (--no-reset)");
    dev_reset(&td->dev);
    /* As a VFIO device reset does: any migration data session ends and the
     * device runs again, which is also the one way out of ERROR. */
    if (td->mig.state != VFIO_USER_DEVICE_STATE_RUNNING)
        td_note("migration state %s -> RUNNING", mig_state_name(td->mig.state));
    mig_release(&td->mig);
    td_reply_alloc(r, 0);
    return 0;
}
