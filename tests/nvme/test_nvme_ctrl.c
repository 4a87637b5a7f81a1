/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The test device's NVMe controller on its own, through its host
 * interface: a fake host whose "client memory" is one buffer, registers
 * written as a driver would, and every completion checked field by field
 * against the NVMe Base Specification (phase tags, SQ head, status codes,
 * queue-full behaviour, PRP lists, Abort, MSI-X masking).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nvme_ctrl.h"
#include "nvme_defs.h"

#define MEM_BASE 0x100000ull
#define MEM_SIZE (8u << 20)
#define ASQ_AT (MEM_BASE + 0x0000)
#define ACQ_AT (MEM_BASE + 0x1000)
#define ID_AT (MEM_BASE + 0x2000)
#define SQ1_AT (MEM_BASE + 0x10000)
#define CQ1_AT (MEM_BASE + 0x20000)
#define PRP_AT (MEM_BASE + 0x30000)   /* PRP list pages */
#define DATA_AT (MEM_BASE + 0x100000) /* 3 MiB of data buffers */

struct fake {
    uint8_t *mem;
    struct nvmec_pci_state pci;
    unsigned irqs[NVMEC_MSIX_VECTORS];
    unsigned intx;
    uint64_t now;
    struct nvmec c;
    struct nvmec_host host;
    uint16_t sq_tail[NVMEC_NQ], cq_head[NVMEC_NQ], phase[NVMEC_NQ];
    uint16_t qsize[NVMEC_NQ];
};

static struct fake *F;

static uint8_t *at(struct fake *f, uint64_t iova, uint32_t len)
{
    if (iova < MEM_BASE || iova + len > MEM_BASE + MEM_SIZE) {
        return NULL;
    }
    return f->mem + (iova - MEM_BASE);
}

static int h_read(void *ctx, uint64_t iova, void *buf, uint32_t len)
{
    uint8_t *p = at(ctx, iova, len);
    if (p == NULL) {
        return 14; /* EFAULT: this access fails, the connection goes on */
    }
    memcpy(buf, p, len);
    return 0;
}

static int h_write(void *ctx, uint64_t iova, const void *buf, uint32_t len)
{
    uint8_t *p = at(ctx, iova, len);
    if (p == NULL) {
        return 14;
    }
    memcpy(p, buf, len);
    return 0;
}

static bool h_direct(void *ctx, uint64_t iova, uint32_t len)
{
    return at(ctx, iova, len) != NULL;
}

static void h_irq(void *ctx, bool msix, uint32_t vector)
{
    struct fake *f = ctx;
    if (msix) {
        assert_true(vector < NVMEC_MSIX_VECTORS);
        f->irqs[vector]++;
    } else {
        f->intx++;
    }
}

static void h_pci(void *ctx, struct nvmec_pci_state *st)
{
    *st = ((struct fake *)ctx)->pci;
}

static uint64_t h_now(void)
{
    return F->now;
}

/* ---- Register and queue helpers, as a driver does them ------------------- */

static uint32_t rd(struct fake *f, uint32_t off)
{
    uint32_t v;
    nvme_bar_read(&f->c, off, 4, (uint8_t *)&v);
    return v;
}

static void wr(struct fake *f, uint32_t off, uint32_t v)
{
    if (nvme_bar_write(&f->c, off, 4, (const uint8_t *)&v)) {
        assert_int_equal(nvme_ctrl_run(&f->c), 0);
    }
}

static uint32_t stride(struct fake *f)
{
    return 4u << f->c.cfg.dstrd;
}

static void submit(struct fake *f, uint16_t q, const struct nvmec_cmd *cmd,
                   uint16_t cid)
{
    uint64_t base = q == 0 ? ASQ_AT : SQ1_AT + (q - 1) * 0x2000ull;
    uint8_t e[64];
    memcpy(e, cmd->sqe, 64);
    memcpy(e + 2, &cid, 2);
    memcpy(at(f, base + f->sq_tail[q] * 64u, 64), e, 64);
    f->sq_tail[q] = (uint16_t)((f->sq_tail[q] + 1) % f->qsize[q]);
    wr(f, NVR_DOORBELLS + 2u * q * stride(f), f->sq_tail[q]);
}

struct cqe {
    uint32_t dw0;
    uint16_t sqhd, sqid, cid, status;
};

/* The next completion of CQ q, or false when its phase says none. */
static bool reap(struct fake *f, uint16_t q, struct cqe *out, bool ring)
{
    uint64_t base = q == 0 ? ACQ_AT : CQ1_AT + (q - 1) * 0x1000ull;
    uint8_t *e = at(f, base + f->cq_head[q] * 16u, 16);
    uint16_t st;
    memcpy(&st, e + 14, 2);
    if ((st & 1u) != f->phase[q]) {
        return false;
    }
    memcpy(&out->dw0, e, 4);
    memcpy(&out->sqhd, e + 8, 2);
    memcpy(&out->sqid, e + 10, 2);
    memcpy(&out->cid, e + 12, 2);
    out->status = st & 0xfffeu;
    if (++f->cq_head[q] == f->qsize[q]) {
        f->cq_head[q] = 0;
        f->phase[q] ^= 1u;
    }
    if (ring) {
        wr(f, NVR_DOORBELLS + (2u * q + 1) * stride(f), f->cq_head[q]);
    }
    return true;
}

static struct nvmec_cmd mk(uint8_t opc, uint32_t nsid)
{
    struct nvmec_cmd c = {0};
    c.sqe[0] = opc;
    memcpy(c.sqe + 4, &nsid, 4);
    return c;
}

static void set_dw(struct nvmec_cmd *c, unsigned n, uint32_t v)
{
    memcpy(c->sqe + 4 * n, &v, 4);
}

static void set_prp(struct nvmec_cmd *c, uint64_t p1, uint64_t p2)
{
    memcpy(c->sqe + 24, &p1, 8);
    memcpy(c->sqe + 32, &p2, 8);
}

/* One command on queue q and its completion's status. */
static uint16_t run(struct fake *f, uint16_t q, struct nvmec_cmd cmd,
                    uint32_t *dw0)
{
    static uint16_t cid = 100;
    struct cqe e;
    submit(f, q, &cmd, ++cid);
    assert_true(reap(f, q, &e, true));
    assert_int_equal(e.cid, cid);
    assert_int_equal(e.sqid, q);
    assert_int_equal(e.sqhd, f->sq_tail[q]);
    if (dw0 != NULL) {
        *dw0 = e.dw0;
    }
    return e.status;
}

#define ST(sct, sc) NVMEC_ST(sct, sc)
#define NODNR(st) ((uint16_t)((st)&0x7fffu))

static int setup_cfg(void **state, const struct nvmec_config *cfg)
{
    struct fake *f = calloc(1, sizeof(*f));
    char err[128];
    f->mem = calloc(1, MEM_SIZE);
    f->host = (struct nvmec_host){.ctx = f,
                                  .dma_read = h_read,
                                  .dma_write = h_write,
                                  .dma_direct = h_direct,
                                  .irq = h_irq,
                                  .pci_state = h_pci,
                                  .now_ns = h_now};
    f->pci = (struct nvmec_pci_state){
        .memory = true, .bus_master = true, .msix_enable = true};
    F = f;
    assert_int_equal(nvme_ctrl_init(&f->c, cfg, &f->host, err, sizeof(err)), 0);
    *state = f;
    return 0;
}

static int setup(void **state)
{
    struct nvmec_config cfg = {
        .size = 4u << 20, .lba_shift = 9, .dstrd = 1, .ready_ms = 10};
    return setup_cfg(state, &cfg);
}

static int teardown(void **state)
{
    struct fake *f = *state;
    nvme_ctrl_fini(&f->c);
    free(f->mem);
    free(f);
    return 0;
}

/* CC.EN with a 32-entry admin pair, RDY after the ready delay. */
static void enable(struct fake *f)
{
    f->qsize[0] = 32;
    f->phase[0] = 1;
    wr(f, NVR_AQA, 31u | 31u << 16);
    wr(f, NVR_ASQ, (uint32_t)ASQ_AT);
    wr(f, NVR_ASQ + 4, 0);
    wr(f, NVR_ACQ, (uint32_t)ACQ_AT);
    wr(f, NVR_ACQ + 4, 0);
    wr(f, NVMEC_MSIX_TABLE + 12, 0); /* unmask vectors 0 and 1 */
    wr(f, NVMEC_MSIX_TABLE + 16 + 12, 0);
    wr(f, NVR_CC, CC_EN | 6u << 16 | 4u << 20);
    assert_int_equal(rd(f, NVR_CSTS) & CSTS_RDY, 0); /* not yet */
    f->now += 10000000;
    assert_int_equal(rd(f, NVR_CSTS), CSTS_RDY);
}

static void create_pair(struct fake *f, uint16_t q, uint16_t size, uint16_t vec)
{
    struct nvmec_cmd cq = mk(ADM_CREATE_CQ, 0), sq = mk(ADM_CREATE_SQ, 0);
    set_dw(&cq, 10, q | (uint32_t)(size - 1) << 16);
    set_dw(&cq, 11, 3u | (uint32_t)vec << 16);
    set_prp(&cq, CQ1_AT + (q - 1) * 0x1000ull, 0);
    set_dw(&sq, 10, q | (uint32_t)(size - 1) << 16);
    set_dw(&sq, 11, 1u | (uint32_t)q << 16);
    set_prp(&sq, SQ1_AT + (q - 1) * 0x2000ull, 0);
    assert_int_equal(run(f, 0, cq, NULL), 0);
    assert_int_equal(run(f, 0, sq, NULL), 0);
    f->qsize[q] = size;
    f->phase[q] = 1;
}

/* ---- Tests --------------------------------------------------------------- */

static void test_registers(void **state)
{
    struct fake *f = *state;
    uint32_t cap_lo = rd(f, NVR_CAP), cap_hi = rd(f, NVR_CAP + 4);
    assert_int_equal(cap_lo & 0xffff, NVMEC_MQES);
    assert_true(cap_lo & (1u << 16));           /* CQR */
    assert_int_equal((cap_lo >> 24) & 0xff, 1); /* TO covers 10 ms */
    assert_int_equal(cap_hi & 0xf, 1);          /* DSTRD */
    assert_true(cap_hi & (1u << 5));            /* CSS: NVM */
    assert_int_equal(rd(f, NVR_VS), 0x00010400u);
    /* Widths the controller does not decode are refused. */
    assert_non_null(nvme_bar_check(&f->c, NVR_CC, 2));
    assert_non_null(nvme_bar_check(&f->c, NVR_CC, 8));
    assert_null(nvme_bar_check(&f->c, NVR_ASQ, 8));
    /* Without memory decoding BAR0 reads all ones. */
    f->pci.memory = false;
    assert_int_equal(rd(f, NVR_VS), 0xffffffffu);
    f->pci.memory = true;
    enable(f);
    /* CC.SHN reports shutdown complete; CC.EN 0 clears RDY and SHST. */
    wr(f, NVR_CC, rd(f, NVR_CC) | 1u << 14);
    assert_int_equal(rd(f, NVR_CSTS), CSTS_RDY | CSTS_SHST_DONE);
    wr(f, NVR_CC, 0);
    assert_int_equal(rd(f, NVR_CSTS), 0);
}

static void test_identify(void **state)
{
    struct fake *f = *state;
    enable(f);
    struct nvmec_cmd id = mk(ADM_IDENTIFY, 0);
    set_dw(&id, 10, 1);
    set_prp(&id, ID_AT, 0);
    assert_int_equal(run(f, 0, id, NULL), 0);
    uint8_t *d = at(f, ID_AT, 4096);
    assert_int_equal(d[512], 0x66);
    assert_int_equal(d[513], 0x44);
    assert_int_equal(d[77], NVMEC_MDTS);
    /* Active namespace list, then the namespace. */
    set_dw(&id, 10, 2);
    assert_int_equal(run(f, 0, id, NULL), 0);
    assert_int_equal(d[0], 1);
    assert_int_equal(d[4], 0);
    id = mk(ADM_IDENTIFY, 1);
    set_prp(&id, ID_AT, 0);
    assert_int_equal(run(f, 0, id, NULL), 0);
    uint64_t nsze;
    memcpy(&nsze, d, 8);
    assert_int_equal(nsze, (4u << 20) / 512);
    assert_int_equal(d[128 + 2], 9); /* LBADS */
    /* An unknown CNS, an inactive namespace, an unknown opcode. */
    id = mk(ADM_IDENTIFY, 0);
    set_dw(&id, 10, 0x55);
    set_prp(&id, ID_AT, 0);
    assert_int_equal(NODNR(run(f, 0, id, NULL)),
                     ST(SCT_GENERIC, SC_INVALID_FIELD));
    id = mk(ADM_IDENTIFY, 7);
    set_prp(&id, ID_AT, 0);
    assert_int_equal(NODNR(run(f, 0, id, NULL)),
                     ST(SCT_GENERIC, SC_INVALID_NS));
    assert_int_equal(NODNR(run(f, 0, mk(0x7f, 0), NULL)),
                     ST(SCT_GENERIC, SC_INVALID_OPCODE));
    /* PRP1 not dword aligned. */
    id = mk(ADM_IDENTIFY, 0);
    set_dw(&id, 10, 1);
    set_prp(&id, ID_AT + 2, 0);
    assert_int_equal(NODNR(run(f, 0, id, NULL)),
                     ST(SCT_GENERIC, SC_INVALID_PRP_OFFSET));
    /* Memory the host never gave. */
    set_prp(&id, 0x10, 0);
    assert_int_equal(NODNR(run(f, 0, id, NULL)),
                     ST(SCT_GENERIC, SC_DATA_XFER_ERROR));
    /* Every failure is in the error log, newest first. */
    struct nvmec_cmd log = mk(ADM_GET_LOG_PAGE, 0);
    set_dw(&log, 10, LOG_ERROR | (64u / 4 - 1) << 16);
    set_prp(&log, ID_AT, 0);
    assert_int_equal(run(f, 0, log, NULL), 0);
    uint64_t count;
    uint16_t st;
    memcpy(&count, d, 8);
    memcpy(&st, d + 12, 2);
    assert_int_equal(count, 5);
    assert_int_equal(NODNR(st), ST(SCT_GENERIC, SC_DATA_XFER_ERROR));
    set_dw(&log, 10, 0x7e | (64u / 4 - 1) << 16);
    assert_int_equal(NODNR(run(f, 0, log, NULL)),
                     ST(SCT_CMD, SC_INVALID_LOG_PAGE));
}

static void test_queues(void **state)
{
    struct fake *f = *state;
    enable(f);
    uint32_t dw0;
    struct nvmec_cmd nq = mk(ADM_SET_FEATURES, 0);
    set_dw(&nq, 10, FEAT_NUM_QUEUES);
    set_dw(&nq, 11, 3u | 3u << 16);
    assert_int_equal(run(f, 0, nq, &dw0), 0);
    assert_int_equal(dw0, 3u | 3u << 16);
    /* Beyond the allocated queues, a missing CQ, a bad size and vector. */
    struct nvmec_cmd sq = mk(ADM_CREATE_SQ, 0);
    set_dw(&sq, 10, 5u | 15u << 16);
    set_dw(&sq, 11, 1u | 1u << 16);
    set_prp(&sq, SQ1_AT, 0);
    assert_int_equal(NODNR(run(f, 0, sq, NULL)), ST(SCT_CMD, SC_INVALID_QID));
    set_dw(&sq, 10, 1u | 15u << 16);
    assert_int_equal(NODNR(run(f, 0, sq, NULL)), ST(SCT_CMD, SC_CQ_INVALID));
    struct nvmec_cmd cq = mk(ADM_CREATE_CQ, 0);
    set_dw(&cq, 10, 1u);
    set_dw(&cq, 11, 3u);
    set_prp(&cq, CQ1_AT, 0);
    assert_int_equal(NODNR(run(f, 0, cq, NULL)), ST(SCT_CMD, SC_INVALID_QSIZE));
    set_dw(&cq, 10, 1u | 15u << 16);
    set_dw(&cq, 11, 3u | 40u << 16);
    assert_int_equal(NODNR(run(f, 0, cq, NULL)),
                     ST(SCT_CMD, SC_INVALID_VECTOR));
    set_dw(&cq, 11, 3u | 1u << 16);
    set_prp(&cq, CQ1_AT + 8, 0);
    assert_int_equal(NODNR(run(f, 0, cq, NULL)),
                     ST(SCT_GENERIC, SC_INVALID_PRP_OFFSET));
    create_pair(f, 1, 16, 1);
    /* Number of Queues once queues exist is a sequence error. */
    assert_int_equal(NODNR(run(f, 0, nq, NULL)),
                     ST(SCT_GENERIC, SC_CMD_SEQ_ERROR));
    /* A CQ with an SQ on it cannot go first. */
    struct nvmec_cmd del = mk(ADM_DELETE_CQ, 0);
    set_dw(&del, 10, 1);
    assert_int_equal(NODNR(run(f, 0, del, NULL)),
                     ST(SCT_CMD, SC_INVALID_QUEUE_DELETION));
    struct nvmec_cmd dsq = mk(ADM_DELETE_SQ, 0);
    set_dw(&dsq, 10, 1);
    assert_int_equal(run(f, 0, dsq, NULL), 0);
    assert_int_equal(run(f, 0, del, NULL), 0);
    assert_int_equal(NODNR(run(f, 0, del, NULL)), ST(SCT_CMD, SC_INVALID_QID));
    /* The admin CQ's interrupt is vector 0, once per command here. */
    assert_true(f->irqs[0] >= 10);
}

/* Write 'len' bytes at buffer offset 'off' through PRPs, read them back;
 * a PRP list, if needed, starts 'loff' bytes into its page. */
static void roundtrip(struct fake *f, uint64_t lba, uint32_t len, uint32_t off,
                      uint32_t loff)
{
    uint64_t wbuf = DATA_AT + off, rbuf = DATA_AT + 0x280000 + off;
    uint8_t *w = at(f, wbuf, len), *r = at(f, rbuf, len);
    for (uint32_t i = 0; i < len; i++) {
        w[i] = (uint8_t)(i * 7 + len + off);
    }
    memset(r, 0, len);
    for (int pass = 0; pass < 2; pass++) {
        uint64_t buf = pass == 0 ? wbuf : rbuf;
        struct nvmec_cmd io = mk(pass == 0 ? IO_WRITE : IO_READ, 1);
        uint32_t first = 4096 - (uint32_t)(buf & 4095);
        uint64_t prp2 = 0;
        if (len > first && len - first <= 4096) {
            prp2 = buf + first;
        } else if (len > first) {
            /* A list, chained when it needs more than one page. */
            uint64_t *list = (uint64_t *)at(f, PRP_AT + loff, 8192 - loff);
            uint32_t n = (len - first + 4095) / 4096, slot = 0;
            uint32_t room = (4096 - loff) / 8;
            for (uint32_t i = 0; i < n; i++) {
                if (slot == room - 1 && i + 1 < n) {
                    list[slot] = PRP_AT + 4096;
                    list = (uint64_t *)at(f, PRP_AT + 4096, 4096);
                    room = 512;
                    slot = 0;
                }
                list[slot++] = buf + first + 4096ull * i;
            }
            prp2 = PRP_AT + loff;
        }
        set_prp(&io, buf, prp2);
        memcpy(io.sqe + 40, &lba, 8);
        set_dw(&io, 12, len / 512 - 1);
        assert_int_equal(run(f, 1, io, NULL), 0);
    }
    assert_memory_equal(w, r, len);
}

static void test_io(void **state)
{
    struct fake *f = *state;
    enable(f);
    create_pair(f, 1, 64, 1);
    roundtrip(f, 0, 512, 0, 0);
    roundtrip(f, 3, 4096, 512, 0);      /* PRP2 as a second page */
    roundtrip(f, 10, 8192, 4092, 0);    /* a list of two */
    roundtrip(f, 100, 65536, 0, 0);     /* a list */
    roundtrip(f, 200, 65536, 0, 4080);  /* a list chained after one entry */
    roundtrip(f, 0, 2u << 20, 4092, 8); /* 2 MiB unaligned, chained */
    /* Read past the end, and at the last block. */
    struct nvmec_cmd io = mk(IO_READ, 1);
    uint64_t lba = (4u << 20) / 512 - 1;
    set_prp(&io, DATA_AT, 0);
    memcpy(io.sqe + 40, &lba, 8);
    set_dw(&io, 12, 1);
    assert_int_equal(NODNR(run(f, 1, io, NULL)), ST(SCT_GENERIC, SC_LBA_RANGE));
    set_dw(&io, 12, 0);
    assert_int_equal(run(f, 1, io, NULL), 0);
    /* Beyond MDTS. */
    lba = 0;
    memcpy(io.sqe + 40, &lba, 8);
    set_dw(&io, 12, 4096);
    assert_int_equal(NODNR(run(f, 1, io, NULL)),
                     ST(SCT_GENERIC, SC_INVALID_FIELD));
    /* A list entry with an offset. */
    uint64_t bad[2] = {DATA_AT + 8192 + 4, DATA_AT + 12288};
    memcpy(at(f, PRP_AT, 16), bad, 16);
    set_dw(&io, 12, 23); /* 12 KiB */
    set_prp(&io, DATA_AT, PRP_AT);
    assert_int_equal(NODNR(run(f, 1, io, NULL)),
                     ST(SCT_GENERIC, SC_INVALID_PRP_OFFSET));
    /* Wrong namespace, unknown opcode, Write Zeroes, Flush. */
    assert_int_equal(NODNR(run(f, 1, mk(IO_READ, 2), NULL)),
                     ST(SCT_GENERIC, SC_INVALID_NS));
    assert_int_equal(NODNR(run(f, 1, mk(0x7f, 1), NULL)),
                     ST(SCT_GENERIC, SC_INVALID_OPCODE));
    struct nvmec_cmd wz = mk(IO_WRITE_ZEROES, 1);
    set_dw(&wz, 12, 7);
    assert_int_equal(run(f, 1, wz, NULL), 0);
    assert_int_equal(run(f, 1, mk(IO_FLUSH, 0xffffffffu), NULL), 0);
    assert_int_equal(f->c.mem[0], 0);
    assert_int_equal(f->c.mem[8 * 512],
                     (uint8_t)(8 * 512 * 7 + (2u << 20) + 4092));
}

static void test_phase_and_full(void **state)
{
    struct fake *f = *state;
    enable(f);
    create_pair(f, 1, 4, 1);
    struct cqe e;
    /* Three commands fit a 4-entry CQ; a fourth waits for room. */
    for (uint16_t i = 0; i < 4; i++) {
        submit(f, 1, &(struct nvmec_cmd){.sqe = {IO_FLUSH, 0, 0, 0, 1}}, i);
    }
    for (uint16_t i = 0; i < 3; i++) {
        assert_true(reap(f, 1, &e, false));
        assert_int_equal(e.cid, i);
        assert_int_equal(e.sqhd, i + 1);
    }
    assert_false(reap(f, 1, &e, false));
    wr(f, NVR_DOORBELLS + 3 * stride(f), f->cq_head[1]);
    assert_true(reap(f, 1, &e, true));
    assert_int_equal(e.cid, 3);
    assert_int_equal(e.sqhd, 0); /* the SQ wrapped */
    /* Many more: phases flip on every pass of the CQ. */
    for (uint16_t i = 10; i < 30; i++) {
        submit(f, 1, &(struct nvmec_cmd){.sqe = {IO_FLUSH, 0, 0, 0, 1}}, i);
        assert_true(reap(f, 1, &e, true));
        assert_int_equal(e.cid, i);
    }
    /* Doorbells beyond the queue or for no queue change nothing. */
    wr(f, NVR_DOORBELLS + 2 * stride(f), 9);
    wr(f, NVR_DOORBELLS + 6 * stride(f), 1);
    assert_false(reap(f, 1, &e, false));
}

static void test_abort(void **state)
{
    struct fake *f = *state;
    enable(f);
    create_pair(f, 1, 16, 1);
    f->c.cfg.quirk = NVMEC_QUIRK_STALL_IO;
    submit(f, 1, &(struct nvmec_cmd){.sqe = {IO_FLUSH, 0, 0, 0, 1}}, 7);
    struct cqe e;
    assert_false(reap(f, 1, &e, false));
    struct nvmec_cmd ab = mk(ADM_ABORT, 0);
    set_dw(&ab, 10, 1u | 7u << 16);
    uint32_t dw0;
    assert_int_equal(run(f, 0, ab, &dw0), 0);
    assert_int_equal(dw0 & 1, 0); /* aborted */
    assert_true(reap(f, 1, &e, true));
    assert_int_equal(e.cid, 7);
    assert_int_equal(NODNR(e.status), ST(SCT_GENERIC, SC_ABORT_REQ));
    /* Nothing left to abort. */
    assert_int_equal(run(f, 0, ab, &dw0), 0);
    assert_int_equal(dw0 & 1, 1);
}

static void test_msix_mask(void **state)
{
    struct fake *f = *state;
    enable(f);
    create_pair(f, 1, 16, 2);
    /* Vector 2 is masked at reset: the completion is held in the PBA. */
    submit(f, 1, &(struct nvmec_cmd){.sqe = {IO_FLUSH, 0, 0, 0, 1}}, 1);
    assert_int_equal(f->irqs[2], 0);
    assert_int_equal(rd(f, NVMEC_MSIX_PBA), 1u << 2);
    wr(f, NVMEC_MSIX_TABLE + 2 * 16 + 12, 0); /* unmask */
    assert_int_equal(f->irqs[2], 1);
    assert_int_equal(rd(f, NVMEC_MSIX_PBA), 0);
    /* The function mask holds it too. */
    f->pci.msix_fmask = true;
    submit(f, 1, &(struct nvmec_cmd){.sqe = {IO_FLUSH, 0, 0, 0, 1}}, 2);
    assert_int_equal(f->irqs[2], 1);
    f->pci.msix_fmask = false;
    assert_int_equal(nvme_ctrl_run(&f->c), 0);
    assert_int_equal(f->irqs[2], 2);
    /* Without MSI-X: INTx, which INTMS masks. */
    f->pci.msix_enable = false;
    wr(f, NVR_INTMS, 1);
    submit(f, 1, &(struct nvmec_cmd){.sqe = {IO_FLUSH, 0, 0, 0, 1}}, 3);
    assert_int_equal(f->intx, 0);
    wr(f, NVR_INTMC, 1);
    assert_int_equal(f->intx, 1);
}

static void test_no_bus_master(void **state)
{
    struct fake *f = *state;
    f->pci.bus_master = false;
    enable(f);
    struct nvmec_cmd id = mk(ADM_IDENTIFY, 0);
    set_dw(&id, 10, 1);
    set_prp(&id, ID_AT, 0);
    submit(f, 0, &id, 1);
    struct cqe e;
    assert_false(reap(f, 0, &e, false)); /* nothing fetched */
    f->pci.bus_master = true;
    assert_int_equal(nvme_ctrl_run(&f->c), 0);
    assert_true(reap(f, 0, &e, true));
    assert_int_equal(e.status, 0);
}

static uint16_t feature(struct fake *f, uint8_t opc, uint32_t dw10,
                        uint32_t dw11, uint32_t *dw0)
{
    struct nvmec_cmd cmd = mk(opc, 0);
    set_dw(&cmd, 10, dw10);
    set_dw(&cmd, 11, dw11);
    return NODNR(run(f, 0, cmd, dw0));
}

static void test_features(void **state)
{
    struct fake *f = *state;
    uint32_t dw0;
    enable(f);
    /* Every mandatory feature answers Get Features. */
    for (uint32_t fid = 1; fid <= 0x0b; fid++) {
        if (fid == 3) {
            continue; /* LBA Range Type: optional, not here */
        }
        assert_int_equal(feature(f, ADM_GET_FEATURES, fid, 0, &dw0), 0);
    }
    assert_int_equal(feature(f, ADM_GET_FEATURES, 0x0c, 0, &dw0),
                     ST(SCT_GENERIC, SC_INVALID_FIELD));
    /* Volatile Write Cache: on by default, changeable, not saveable. */
    assert_int_equal(feature(f, ADM_GET_FEATURES, FEAT_VWC, 0, &dw0), 0);
    assert_int_equal(dw0, 1);
    assert_int_equal(feature(f, ADM_SET_FEATURES, FEAT_VWC, 0, NULL), 0);
    assert_int_equal(feature(f, ADM_GET_FEATURES, FEAT_VWC, 0, &dw0), 0);
    assert_int_equal(dw0, 0);
    assert_int_equal(feature(f, ADM_GET_FEATURES, FEAT_VWC | 1u << 8, 0, &dw0),
                     0);
    assert_int_equal(dw0, 1); /* the default */
    assert_int_equal(feature(f, ADM_GET_FEATURES, FEAT_VWC | 3u << 8, 0, &dw0),
                     0);
    assert_int_equal(dw0, 4); /* changeable */
    assert_int_equal(feature(f, ADM_SET_FEATURES, FEAT_VWC | 1u << 31, 1, NULL),
                     ST(SCT_CMD, SC_FEATURE_NOT_SAVEABLE));
    /* Power state 1 does not exist; temperature thresholds per sensor. */
    assert_int_equal(feature(f, ADM_SET_FEATURES, FEAT_POWER_MGMT, 1, NULL),
                     ST(SCT_GENERIC, SC_INVALID_FIELD));
    assert_int_equal(
        feature(f, ADM_SET_FEATURES, FEAT_TEMP_THRESH, 0x150, NULL), 0);
    assert_int_equal(feature(f, ADM_GET_FEATURES, FEAT_TEMP_THRESH, 0, &dw0),
                     0);
    assert_int_equal(dw0, 0x150);
    assert_int_equal(
        feature(f, ADM_GET_FEATURES, FEAT_TEMP_THRESH, 1u << 16, &dw0),
        ST(SCT_GENERIC, SC_INVALID_FIELD));
    /* Interrupt Vector Configuration, per vector. */
    assert_int_equal(
        feature(f, ADM_SET_FEATURES, FEAT_IRQ_CONFIG, 1u | 1u << 16, NULL), 0);
    assert_int_equal(feature(f, ADM_GET_FEATURES, FEAT_IRQ_CONFIG, 1, &dw0), 0);
    assert_int_equal(dw0, 0x10001);
    assert_int_equal(feature(f, ADM_SET_FEATURES, FEAT_IRQ_CONFIG, 99, NULL),
                     ST(SCT_GENERIC, SC_INVALID_FIELD));
    /* An Arbitration Burst of one command still runs every command. */
    assert_int_equal(feature(f, ADM_SET_FEATURES, FEAT_ARBITRATION, 0, NULL),
                     0);
    create_pair(f, 1, 8, 1);
    struct cqe e;
    for (uint16_t i = 0; i < 5; i++) {
        submit(f, 1, &(struct nvmec_cmd){.sqe = {IO_FLUSH, 0, 0, 0, 1}}, i);
    }
    for (uint16_t i = 0; i < 5; i++) {
        assert_true(reap(f, 1, &e, true));
        assert_int_equal(e.cid, i);
    }
    /* The firmware slot log. */
    struct nvmec_cmd log = mk(ADM_GET_LOG_PAGE, 0);
    set_dw(&log, 10, LOG_FW_SLOT | (512u / 4 - 1) << 16);
    set_prp(&log, ID_AT, 0);
    assert_int_equal(run(f, 0, log, NULL), 0);
    assert_int_equal(*at(f, ID_AT, 1), 1);
    assert_memory_equal(at(f, ID_AT + 8, 3), "1.0", 3);
}

static void test_async_events(void **state)
{
    struct fake *f = *state;
    struct cqe e;
    enable(f);
    for (uint16_t cid = 1; cid <= 4; cid++) {
        submit(f, 0, &(struct nvmec_cmd){.sqe = {ADM_ASYNC_EVENT}}, cid);
    }
    assert_false(reap(f, 0, &e, false)); /* held for an event */
    submit(f, 0, &(struct nvmec_cmd){.sqe = {ADM_ASYNC_EVENT}}, 5);
    assert_true(reap(f, 0, &e, true));
    assert_int_equal(e.cid, 5);
    assert_int_equal(NODNR(e.status), ST(SCT_CMD, SC_AER_LIMIT));
    /* A doorbell for a queue that does not exist. */
    wr(f, NVR_DOORBELLS + 2 * 5 * stride(f), 1);
    assert_true(reap(f, 0, &e, true));
    assert_int_equal(e.status, 0);
    assert_int_equal(e.dw0, LOG_ERROR << 16 | AEN_INVALID_DB_REG << 8 |
                                AEN_TYPE_ERROR);
    /* The next error waits until the error log is read... */
    wr(f, NVR_DOORBELLS, 999);
    assert_false(reap(f, 0, &e, false));
    struct nvmec_cmd log = mk(ADM_GET_LOG_PAGE, 0);
    set_dw(&log, 10, LOG_ERROR | (64u / 4 - 1) << 16);
    set_prp(&log, ID_AT, 0);
    assert_int_equal(run(f, 0, log, NULL), 0);
    wr(f, NVR_DOORBELLS, 999); /* a value beyond the admin SQ */
    assert_true(reap(f, 0, &e, true));
    assert_int_equal(e.dw0, LOG_ERROR << 16 | AEN_INVALID_DB_VALUE << 8 |
                                AEN_TYPE_ERROR);
    /* A controller reset drops the outstanding requests. */
    wr(f, NVR_CC, 0);
    assert_int_equal(f->c.nheld, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_registers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_identify, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queues, setup, teardown),
        cmocka_unit_test_setup_teardown(test_io, setup, teardown),
        cmocka_unit_test_setup_teardown(test_phase_and_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_abort, setup, teardown),
        cmocka_unit_test_setup_teardown(test_msix_mask, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_bus_master, setup, teardown),
        cmocka_unit_test_setup_teardown(test_features, setup, teardown),
        cmocka_unit_test_setup_teardown(test_async_events, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
