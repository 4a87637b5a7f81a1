/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vuc-testdev's virtio-net device facing a driver that gets things wrong:
 * every misprogrammed ring (a head or next index out of bounds, a chain
 * that loops, an IOVA that is not mapped, an avail index that runs ahead,
 * a bad indirect table, a buffer of the wrong direction) must set
 * DEVICE_NEEDS_RESET and leave the device serving, and a reset must bring
 * it back. Feature negotiation must refuse what was not offered. The
 * driver here is these tests, through libvuc's public API, with the
 * layout the device documents in dev_vnet.h.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <event2/event.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>
#include <vuc/vuc.h>

#include "dev_vnet.h"
#include "testdev_fixture.h"

#define BAR4 4u
#define CONFIG VFIO_USER_PCI_CONFIG_REGION_INDEX
#define QSIZE 8u
#define TXQ 1u

/* The memory of one queue: descriptors, avail ring, used ring, data. */
#define OFF_DESC 0x0000u
#define OFF_AVAIL 0x1000u
#define OFF_USED 0x2000u
#define OFF_DATA 0x3000u
#define OFF_INDIRECT 0x4000u

struct q {
    struct vuc_dma_map *map;
    uint8_t *mem;
    uint64_t iova;
};

static uint8_t status(struct fx *f)
{
    uint8_t s;
    assert_int_equal(vuc_region_read(f->c, BAR4,
                                     VND_COMMON_OFF + VIRTIO_PCI_COMMON_STATUS,
                                     &s, 1),
                     0);
    return s;
}

static void set_status(struct fx *f, uint8_t s)
{
    assert_int_equal(vuc_region_write(f->c, BAR4,
                                      VND_COMMON_OFF + VIRTIO_PCI_COMMON_STATUS,
                                      &s, 1),
                     0);
}

static void common16(struct fx *f, uint32_t off, uint16_t v)
{
    assert_int_equal(vuc_region_write(f->c, BAR4, VND_COMMON_OFF + off, &v, 2),
                     0);
}

static void common32(struct fx *f, uint32_t off, uint32_t v)
{
    assert_int_equal(vuc_region_write(f->c, BAR4, VND_COMMON_OFF + off, &v, 4),
                     0);
}

static void common64(struct fx *f, uint32_t off, uint64_t v)
{
    common32(f, off, (uint32_t)v);
    common32(f, off + 4, (uint32_t)(v >> 32));
}

/* Reset, negotiate @p features (FEATURES_OK must stick), set up the
 * transmit queue in fresh DMA memory and go to DRIVER_OK. */
static void bring_up(struct fx *f, struct q *q, uint64_t features)
{
    /* A 64-bit prefetchable BAR below 4 GiB. */
    uint32_t bar_lo = 0x80000000u | 0xcu;

    dev_start(f, "--device=virtio-net", "--net-backend=loopback", NULL);
    f->c = client_new(f, false, 0);
    connect_ok(f, f->c);
    write32(f->c, CONFIG, 0x10 + 4 * BAR4, bar_lo);
    assert_int_equal(
        vuc_pci_command(f->c, VUC_PCI_COMMAND_MEMORY | VUC_PCI_COMMAND_MASTER,
                        0, NULL),
        0);
    set_status(f, 0);
    assert_int_equal(status(f), 0);
    set_status(f, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
    common32(f, VIRTIO_PCI_COMMON_GFSELECT, 0);
    common32(f, VIRTIO_PCI_COMMON_GF, (uint32_t)features);
    common32(f, VIRTIO_PCI_COMMON_GFSELECT, 1);
    common32(f, VIRTIO_PCI_COMMON_GF, (uint32_t)(features >> 32));
    set_status(f, status(f) | VIRTIO_CONFIG_S_FEATURES_OK);
    assert_true(status(f) & VIRTIO_CONFIG_S_FEATURES_OK);

    assert_int_equal(vuc_dma_alloc(f->c, 0x10000, VUC_IOVA_ANY,
                                   VUC_DMA_READ | VUC_DMA_WRITE, &q->map),
                     0);
    q->mem = vuc_dma_vaddr(q->map);
    q->iova = vuc_dma_iova(q->map);
    common16(f, VIRTIO_PCI_COMMON_Q_SELECT, TXQ);
    common16(f, VIRTIO_PCI_COMMON_Q_SIZE, QSIZE);
    common64(f, VIRTIO_PCI_COMMON_Q_DESCLO, q->iova + OFF_DESC);
    common64(f, VIRTIO_PCI_COMMON_Q_AVAILLO, q->iova + OFF_AVAIL);
    common64(f, VIRTIO_PCI_COMMON_Q_USEDLO, q->iova + OFF_USED);
    common16(f, VIRTIO_PCI_COMMON_Q_ENABLE, 1);
    set_status(f, status(f) | VIRTIO_CONFIG_S_DRIVER_OK);
    assert_int_equal(status(f) & VIRTIO_CONFIG_S_NEEDS_RESET, 0);
}

static struct vring_desc *desc(struct q *q, unsigned i)
{
    return (struct vring_desc *)(q->mem + OFF_DESC) + i;
}

static void set_desc(struct vring_desc *d, uint64_t addr, uint32_t len,
                     uint16_t flags, uint16_t next)
{
    d->addr = addr;
    d->len = len;
    d->flags = flags;
    d->next = next;
}

/* Offer head @p head as avail entry 0 with avail->idx @p idx, ring the
 * doorbell, and say whether the device then needs a reset. The doorbell's
 * work runs after its reply, before the status read is answered. */
static bool kick(struct fx *f, struct q *q, uint16_t head, uint16_t idx)
{
    struct vring_avail *avail = (struct vring_avail *)(q->mem + OFF_AVAIL);
    uint16_t which = TXQ;

    avail->ring[0] = head;
    avail->idx = idx;
    assert_int_equal(vuc_region_write(f->c, BAR4,
                                      VND_NOTIFY_OFF + TXQ * VND_NOTIFY_MULT,
                                      &which, 2),
                     0);
    return status(f) & VIRTIO_CONFIG_S_NEEDS_RESET;
}

/* After NEEDS_RESET: the device still answers, and a reset clears it. */
static void reset_recovers(struct fx *f)
{
    set_status(f, 0);
    assert_int_equal(status(f), 0);
}

static const uint64_t V1 = 1ull << VIRTIO_F_VERSION_1;

static void test_good_frame_is_used(void **state)
{
    struct fx *f = *state;
    struct q q;
    bring_up(f, &q, V1);
    /* Header and a 60-byte frame in one descriptor: the used ring moves
     * and the device stays well. The check that the tests below fail for
     * the reason they name, not for a broken setup. */
    set_desc(desc(&q, 0), q.iova + OFF_DATA, VND_HDR_LEN + 60, 0, 0);
    assert_false(kick(f, &q, 0, 1));
    struct vring_used *used = (struct vring_used *)(q.mem + OFF_USED);
    assert_int_equal(used->idx, 1);
    assert_int_equal(used->ring[0].id, 0);
}

static void test_head_out_of_bounds(void **state)
{
    struct fx *f = *state;
    struct q q;
    bring_up(f, &q, V1);
    /* As below: entry QSIZE holds a good frame, past the table's end. */
    set_desc(desc(&q, QSIZE), q.iova + OFF_DATA, VND_HDR_LEN + 60, 0, 0);
    assert_true(kick(f, &q, QSIZE, 1));
    reset_recovers(f);
}

static void test_next_out_of_bounds(void **state)
{
    struct fx *f = *state;
    struct q q;
    bring_up(f, &q, V1);
    set_desc(desc(&q, 0), q.iova + OFF_DATA, VND_HDR_LEN, VRING_DESC_F_NEXT,
             200);
    /* Entry 200 exists in our memory and is a good frame: only the bound
     * of the queue's table can refuse it. */
    set_desc(desc(&q, 200), q.iova + OFF_DATA, 60, 0, 0);
    assert_true(kick(f, &q, 0, 1));
    reset_recovers(f);
}

static void test_chain_loop(void **state)
{
    struct fx *f = *state;
    struct q q;
    bring_up(f, &q, V1);
    set_desc(desc(&q, 0), q.iova + OFF_DATA, 8, VRING_DESC_F_NEXT, 1);
    set_desc(desc(&q, 1), q.iova + OFF_DATA, 8, VRING_DESC_F_NEXT, 0);
    assert_true(kick(f, &q, 0, 1));
    reset_recovers(f);
}

static void test_unmapped_iova(void **state)
{
    struct fx *f = *state;
    struct q q;
    bring_up(f, &q, V1);
    set_desc(desc(&q, 0), 0xdead00000000ull, VND_HDR_LEN + 60, 0, 0);
    assert_true(kick(f, &q, 0, 1));
    reset_recovers(f);
}

static void test_avail_runs_ahead(void **state)
{
    struct fx *f = *state;
    struct q q;
    bring_up(f, &q, V1);
    set_desc(desc(&q, 0), q.iova + OFF_DATA, VND_HDR_LEN + 60, 0, 0);
    assert_true(kick(f, &q, 0, QSIZE + 1));
    reset_recovers(f);
}

static void test_writable_transmit_buffer(void **state)
{
    struct fx *f = *state;
    struct q q;
    bring_up(f, &q, V1);
    set_desc(desc(&q, 0), q.iova + OFF_DATA, VND_HDR_LEN + 60,
             VRING_DESC_F_WRITE, 0);
    assert_true(kick(f, &q, 0, 1));
    reset_recovers(f);
}

static void test_indirect_not_negotiated(void **state)
{
    struct fx *f = *state;
    struct q q;
    bring_up(f, &q, V1);
    set_desc(desc(&q, 0), q.iova + OFF_INDIRECT, 32, VRING_DESC_F_INDIRECT, 0);
    assert_true(kick(f, &q, 0, 1));
    reset_recovers(f);
}

static void test_indirect_bad_length(void **state)
{
    struct fx *f = *state;
    struct q q;
    bring_up(f, &q, V1 | 1ull << VIRTIO_RING_F_INDIRECT_DESC);
    set_desc(desc(&q, 0), q.iova + OFF_INDIRECT, 20, VRING_DESC_F_INDIRECT, 0);
    assert_true(kick(f, &q, 0, 1));
    reset_recovers(f);
}

static void test_indirect_nested(void **state)
{
    struct fx *f = *state;
    struct q q;
    bring_up(f, &q, V1 | 1ull << VIRTIO_RING_F_INDIRECT_DESC);
    struct vring_desc *t = (struct vring_desc *)(q.mem + OFF_INDIRECT);
    set_desc(&t[0], q.iova + OFF_INDIRECT, 16, VRING_DESC_F_INDIRECT, 0);
    set_desc(desc(&q, 0), q.iova + OFF_INDIRECT, 16, VRING_DESC_F_INDIRECT, 0);
    assert_true(kick(f, &q, 0, 1));
    reset_recovers(f);
}

static void test_indirect_loop(void **state)
{
    struct fx *f = *state;
    struct q q;
    bring_up(f, &q, V1 | 1ull << VIRTIO_RING_F_INDIRECT_DESC);
    struct vring_desc *t = (struct vring_desc *)(q.mem + OFF_INDIRECT);
    set_desc(&t[0], q.iova + OFF_DATA, 8, VRING_DESC_F_NEXT, 1);
    set_desc(&t[1], q.iova + OFF_DATA, 8, VRING_DESC_F_NEXT, 0);
    set_desc(desc(&q, 0), q.iova + OFF_INDIRECT, 32, VRING_DESC_F_INDIRECT, 0);
    assert_true(kick(f, &q, 0, 1));
    reset_recovers(f);
}

static void test_features_not_offered(void **state)
{
    struct fx *f = *state;
    dev_start(f, "--device=virtio-net", NULL);
    f->c = client_new(f, false, 0);
    connect_ok(f, f->c);
    write32(f->c, CONFIG, 0x10 + 4 * BAR4, 0x80000000u | 0xc);
    assert_int_equal(vuc_pci_command(f->c, VUC_PCI_COMMAND_MEMORY, 0, NULL), 0);
    set_status(f, 0);
    set_status(f, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
    /* Bit 40 (RING_RESET) is not offered. */
    common32(f, VIRTIO_PCI_COMMON_GFSELECT, 1);
    common32(f, VIRTIO_PCI_COMMON_GF, 1u | 1u << 8);
    set_status(f, status(f) | VIRTIO_CONFIG_S_FEATURES_OK);
    assert_false(status(f) & VIRTIO_CONFIG_S_FEATURES_OK);
    /* Without VERSION_1 the device refuses as well. */
    set_status(f, 0);
    set_status(f, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
    common32(f, VIRTIO_PCI_COMMON_GFSELECT, 0);
    common32(f, VIRTIO_PCI_COMMON_GF, 1u << 5);
    set_status(f, status(f) | VIRTIO_CONFIG_S_FEATURES_OK);
    assert_false(status(f) & VIRTIO_CONFIG_S_FEATURES_OK);
}

/* MSI-X as PCI has it: a vector masked in the table holds its interrupt
 * pending in the PBA, and unmasking sends it. */
static void test_msix_mask_holds_pending(void **state)
{
    struct fx *f = *state;
    struct q q;
    struct vuc_pci_msix msix;
    struct vuc_irq_event ev;
    uint32_t ctrl, pba;

    bring_up(f, &q, V1);
    write32(f->c, CONFIG, 0x10 + 4 * 1, 0x90000000u); /* the table's BAR */
    assert_int_equal(vuc_pci_msix(f->c, &msix), 0);
    assert_int_equal(vuc_pci_msix_enable(f->c, VND_MSIX_VECTORS, NULL, NULL),
                     0);
    common16(f, VIRTIO_PCI_COMMON_Q_SELECT, TXQ);
    common16(f, VIRTIO_PCI_COMMON_Q_MSIX, 2);
    set_desc(desc(&q, 0), q.iova + OFF_DATA, VND_HDR_LEN + 60, 0, 0);
    assert_false(kick(f, &q, 0, 1));
    /* Masked at power-on: nothing came, the PBA says vector 2. */
    assert_int_equal(
        vuc_irq_wait(f->c, VFIO_USER_PCI_MSIX_IRQ_INDEX, 2, 200, &ev),
        -ETIMEDOUT);
    pba = read32(f->c, msix.pba_bar, msix.pba_offset);
    assert_int_equal(pba, 1u << 2);
    ctrl = read32(f->c, msix.table_bar, msix.table_offset + 16 * 2 + 12);
    write32(f->c, msix.table_bar, msix.table_offset + 16 * 2 + 12, ctrl & ~1u);
    assert_int_equal(
        vuc_irq_wait(f->c, VFIO_USER_PCI_MSIX_IRQ_INDEX, 2, 5000, &ev), 0);
    assert_int_equal(ev.count, 1);
    assert_int_equal(read32(f->c, msix.pba_bar, msix.pba_offset), 0);
}

/* Without memory decoding the BAR reads as all ones, as on a bus. */
static void test_memory_decoding_off(void **state)
{
    struct fx *f = *state;
    dev_start(f, "--device=virtio-net", NULL);
    f->c = client_new(f, false, 0);
    connect_ok(f, f->c);
    assert_int_equal(read32(f->c, BAR4, VND_COMMON_OFF), 0xffffffffu);
    assert_int_equal(vuc_pci_command(f->c, VUC_PCI_COMMAND_MEMORY, 0, NULL), 0);
    assert_int_equal(read32(f->c, BAR4, VND_COMMON_OFF), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
        T(test_good_frame_is_used),
        T(test_head_out_of_bounds),
        T(test_next_out_of_bounds),
        T(test_chain_loop),
        T(test_unmapped_iova),
        T(test_avail_runs_ahead),
        T(test_writable_transmit_buffer),
        T(test_indirect_not_negotiated),
        T(test_indirect_bad_length),
        T(test_indirect_nested),
        T(test_indirect_loop),
        T(test_features_not_offered),
        T(test_msix_mask_holds_pending),
        T(test_memory_decoding_off),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
