/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Controller initialization and shutdown (NVMe Base Specification 1.4,
 * 7.6.1 and 7.6.2), step by step, each step checking what the controller
 * reports before relying on it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <vuc/vuc.h>

#include "../common/pci_setup.h"
#include "nvme_drv_internal.h"

#define BAR0 VFIO_USER_PCI_BAR0_REGION_INDEX
#define NVME_CLASS 0x010802u /* mass storage, NVM, NVM Express */

static void log_stderr(void *arg, enum vuc_log_level level, const char *msg)
{
    (void)arg;
    (void)level;
    fprintf(stderr, "libvuc: %s\n", msg);
}

static int connect_client(struct nvme_drv *d, const char *socket)
{
    struct vuc_options *o = vuc_options_new();
    if (o == NULL) {
        return nvme_drv_fail(d, -ENOMEM, "out of memory");
    }
    vuc_options_set_dma_noshare(o, d->opts.noshare);
    if (d->opts.verbose) {
        vuc_options_set_log(o, log_stderr, NULL, VUC_LOG_WARNING);
    }
    d->c = vuc_client_new(d->base, o);
    vuc_options_free(o);
    if (d->c == NULL) {
        return nvme_drv_fail(d, -errno, "creating a client: %s",
                             strerror(errno));
    }
    int rc = vuc_connect_path(d->c, socket);
    if (rc < 0) {
        return nvme_drv_fail(d, rc, "%s: %s", socket, vuc_strerror(d->c));
    }
    vuc_set_disconnect_cb(d->c, NULL, NULL);
    return 0;
}

/* The device must say it is an NVMe controller, with a BAR0 that holds
 * at least the registers and the admin doorbells. */
static int check_device(struct nvme_drv *d)
{
    uint32_t rev_class;
    int rc = vuc_cfg_read32(d->c, 0x08, &rev_class);
    if (rc < 0) {
        return nvme_drv_fail(d, rc, "reading the class code: %s",
                             vuc_strerror(d->c));
    }
    if ((rev_class >> 8) != NVME_CLASS) {
        return nvme_drv_fail(d, -ENODEV,
                             "class code 0x%06x: not an NVMe controller "
                             "(0x%06x)",
                             rev_class >> 8, NVME_CLASS);
    }
    const struct vuc_region_info *ri = vuc_get_region_info(d->c, BAR0);
    if (ri == NULL || ri->size < NVME_REG_DBS + 8) {
        return nvme_drv_fail(d, -ENODEV,
                             "BAR0 is 0x%" PRIx64 " bytes, too small for the "
                             "controller registers",
                             ri != NULL ? ri->size : 0);
    }
    return 0;
}

/* Disable the controller (a Controller Reset) and wait for it to stop. */
static int reset_controller(struct nvme_drv *d)
{
    uint32_t cc, csts;
    int rc = nvme_reg_read32(d, NVME_REG_CC, &cc);
    if (rc == 0) {
        rc = nvme_reg_read32(d, NVME_REG_CSTS, &csts);
    }
    if (rc < 0) {
        return rc;
    }
    if ((cc & NVME_CC_EN) && !(csts & NVME_CSTS_RDY)) {
        /* Clearing EN while an enable is in progress is undefined
         * (CC.EN's description): let it finish first. */
        rc = nvme_wait_csts(d, NVME_CSTS_RDY, NVME_CSTS_RDY,
                            "the earlier enable to finish");
        if (rc < 0) {
            return rc;
        }
    }
    if (cc & NVME_CC_EN) {
        rc = nvme_reg_write32(d, NVME_REG_CC, cc & ~NVME_CC_EN);
        if (rc < 0) {
            return rc;
        }
    }
    return nvme_wait_csts(d, NVME_CSTS_RDY, 0, "CSTS.RDY to clear");
}

static int setup_interrupts(struct nvme_drv *d, unsigned want)
{
    if (d->opts.poll) {
        return 0;
    }
    struct vuc_pci_msix msix;
    const struct vuc_irq_info *ii =
        vuc_get_irq_info(d->c, VFIO_USER_PCI_MSIX_IRQ_INDEX);
    if (!d->opts.intx && vuc_pci_msix(d->c, &msix) == 0 && ii != NULL &&
        ii->count > 0 && (ii->flags & VFIO_USER_IRQ_INFO_EVENTFD)) {
        unsigned n = want;
        if (n > msix.table_size) {
            n = msix.table_size;
        }
        if (n > ii->count) {
            n = ii->count;
        }
        int rc = vuc_pci_msix_enable(d->c, n, nvme_irq_cb, d);
        if (rc < 0) {
            return nvme_drv_fail(d, rc, "enabling MSI-X: %s",
                                 vuc_strerror(d->c));
        }
        /* Vectors come out of reset masked in the table (PCI 6.8.2.9):
         * give each an address and data, and unmask it. */
        for (unsigned v = 0; v < n && rc == 0; v++) {
            /* DWORD accesses: what PCI guarantees a table takes. */
            uint32_t e[4] = {0xfee00000u, 0, v, 0};
            for (unsigned k = 0; k < 4 && rc == 0; k++) {
                rc = vuc_region_write(d->c, msix.table_bar,
                                      msix.table_offset + 16u * v + 4u * k,
                                      &e[k], sizeof(e[k]));
            }
            if (rc < 0) {
                return nvme_drv_fail(d, rc,
                                     "programming MSI-X table entry %u: %s", v,
                                     vuc_strerror(d->c));
            }
        }
        if ((rc = vuc_fence(d->c)) < 0) {
            return nvme_drv_fail(d, rc, "MSI-X table: %s", vuc_strerror(d->c));
        }
        d->info.nr_vectors = n;
        return 0;
    }
    /* With MSI-X enabled (by an earlier driver: devices keep their state
     * across clients) a function does not use INTx (PCI 6.8.2). */
    if (vuc_pci_msix(d->c, &msix) == 0 && msix.enabled) {
        uint16_t flags;
        int rc = vuc_cfg_read16(d->c, msix.offset + 2, &flags);
        if (rc == 0) {
            rc = vuc_cfg_write16(d->c, msix.offset + 2, flags & ~0x8000u);
        }
        if (rc < 0) {
            return nvme_drv_fail(d, rc, "disabling MSI-X: %s",
                                 vuc_strerror(d->c));
        }
    }
    const struct vuc_irq_info *ix =
        vuc_get_irq_info(d->c, VFIO_USER_PCI_INTX_IRQ_INDEX);
    if (ix == NULL || ix->count == 0) {
        return nvme_drv_fail(d, -ENOTSUP,
                             "the device has neither MSI-X nor INTx; use "
                             "--poll");
    }
    int rc = vuc_irq_enable(d->c, VFIO_USER_PCI_INTX_IRQ_INDEX, 0, 1,
                            nvme_irq_cb, d);
    if (rc == 0) {
        rc = vuc_pci_command(d->c, 0, VUC_PCI_COMMAND_INTX_DISABLE, NULL);
    }
    if (rc < 0) {
        return nvme_drv_fail(d, rc, "enabling INTx: %s", vuc_strerror(d->c));
    }
    d->info.intx = true;
    return 0;
}

static int identify(struct nvme_drv *d, uint8_t cns, uint32_t nsid,
                    uint64_t iova, uint16_t *status)
{
    struct nvme_sqe e = {.opc = NVME_ADM_IDENTIFY, .nsid = nsid, .cdw10 = cns};
    return nvme_admin_sync(d, &e, iova, NVME_PAGE, status, NULL);
}

static uint32_t le32_at(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static uint64_t le64_at(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static int identify_all(struct nvme_drv *d)
{
    uint16_t st;
    int rc = identify(d, NVME_ID_CNS_CTRL, 0, d->id_ctrl_iova, &st);
    if (rc < 0) {
        return rc;
    }
    const uint8_t *id = d->id_ctrl;
    uint8_t sqes = id[NVME_IDC_SQES], cqes = id[NVME_IDC_CQES];
    /* Required (low nibble) <= ours <= maximum (high nibble). */
    if ((sqes & 0xf) > 6 || (sqes >> 4) < 6 || (cqes & 0xf) > 4 ||
        (cqes >> 4) < 4) {
        return nvme_drv_fail(d, -ENOTSUP,
                             "the controller's queue entry sizes (SQES 0x%02x, "
                             "CQES 0x%02x) exclude 64-byte SQ and 16-byte CQ "
                             "entries",
                             sqes, cqes);
    }
    uint8_t mdts = id[NVME_IDC_MDTS];
    uint64_t max = NVME_DRV_MAX_XFER;
    if (mdts != 0 && mdts < 20 && ((uint64_t)NVME_PAGE << mdts) < max) {
        max = (uint64_t)NVME_PAGE << mdts;
    }
    d->info.max_xfer = (uint32_t)max;
    d->info.write_zeroes =
        (le32_at(id + NVME_IDC_ONCS) & NVME_ONCS_WRITE_ZEROES) != 0;

    /* The first active namespace. CNS 2 is mandatory from NVMe 1.1. */
    rc = identify(d, NVME_ID_CNS_NS_LIST, 0, d->scratch_iova, &st);
    if (rc < 0) {
        return rc;
    }
    d->info.nsid = le32_at(d->scratch);
    if (d->info.nsid == 0 || d->info.nsid == UINT32_MAX) {
        return nvme_drv_fail(d, -ENODEV,
                             "the controller has no active "
                             "namespace");
    }
    rc = identify(d, NVME_ID_CNS_NS, d->info.nsid, d->id_ns_iova, &st);
    if (rc < 0) {
        return rc;
    }
    const uint8_t *ns = d->id_ns;
    uint8_t flbas = ns[NVME_IDN_FLBAS] & 0xf;
    if (flbas > ns[NVME_IDN_NLBAF]) {
        return nvme_drv_fail(d, -EPROTO,
                             "namespace %u: FLBAS %u beyond its %u formats",
                             d->info.nsid, flbas, ns[NVME_IDN_NLBAF] + 1u);
    }
    uint32_t lbaf = le32_at(ns + NVME_IDN_LBAF + 4u * flbas);
    uint8_t lbads = (uint8_t)(lbaf >> 16);
    if ((lbaf & 0xffffu) != 0 || lbads < 9 || lbads > 16) {
        return nvme_drv_fail(d, -ENOTSUP,
                             "namespace %u: format %u has %u metadata bytes "
                             "and 2^%u-byte blocks; the driver handles 512 "
                             "to 64 KiB blocks without metadata",
                             d->info.nsid, flbas, lbaf & 0xffffu, lbads);
    }
    d->info.lba_size = 1u << lbads;
    d->info.nsze = le64_at(ns + NVME_IDN_NSZE);
    if (d->info.max_xfer < d->info.lba_size) {
        return nvme_drv_fail(d, -ENOTSUP, "MDTS is smaller than a block");
    }
    return 0;
}

static int create_io_queues(struct nvme_drv *d, uint8_t *va, uint64_t iova)
{
    unsigned want = d->opts.nr_queues;
    uint32_t dw0;
    struct nvme_sqe e = {.opc = NVME_ADM_SET_FEATURES,
                         .cdw10 = NVME_FEAT_NUM_QUEUES,
                         .cdw11 = (want - 1) | ((want - 1) << 16)};
    int rc = nvme_admin_sync(d, &e, 0, 0, NULL, &dw0);
    if (rc < 0) {
        return rc;
    }
    unsigned nsq = (dw0 & 0xffffu) + 1, ncq = (dw0 >> 16) + 1;
    unsigned n = want;
    if (n > nsq) {
        n = nsq;
    }
    if (n > ncq) {
        n = ncq;
    }
    size_t per = nvme_qpair_mem((uint16_t)d->info.qdepth, true);
    for (unsigned i = 0; i < n; i++) {
        struct nvme_qpair *q = &d->io[i];
        uint16_t qid = (uint16_t)(i + 1);
        /* Vector 0 serves the admin queue; I/O queues get their own while
         * there are enough, then share. */
        uint16_t vec = 0;
        if (d->info.nr_vectors > 1) {
            vec = (uint16_t)(1 + i % (d->info.nr_vectors - 1));
        }
        nvme_qpair_init(q, d, qid, (uint16_t)d->info.qdepth, vec, va + i * per,
                        iova + i * per, true);
        uint32_t ien = d->opts.poll ? 0 : NVME_QUEUE_IEN;
        struct nvme_sqe cq = {.opc = NVME_ADM_CREATE_CQ,
                              .cdw10 = qid | ((uint32_t)(q->depth - 1) << 16),
                              .cdw11 =
                                  NVME_QUEUE_PC | ien | ((uint32_t)vec << 16)};
        struct nvme_sqe sq = {.opc = NVME_ADM_CREATE_SQ,
                              .cdw10 = qid | ((uint32_t)(q->depth - 1) << 16),
                              .cdw11 = NVME_QUEUE_PC | ((uint32_t)qid << 16)};
        size_t sq_bytes = (size_t)q->depth * sizeof(struct nvme_sqe);
        size_t cq_bytes = (size_t)q->depth * sizeof(struct nvme_cqe);
        rc = nvme_admin_sync(d, &cq, q->cq_iova, cq_bytes, NULL, NULL);
        if (rc < 0) {
            return rc;
        }
        rc = nvme_admin_sync(d, &sq, q->sq_iova, sq_bytes, NULL, NULL);
        if (rc < 0) {
            /* The CQ exists; deleting it at close needs it counted. */
            d->info.nr_queues = i + 1;
            q->sq = NULL;
            return rc;
        }
        d->info.nr_queues = i + 1;
    }
    return 0;
}

int nvme_drv_open(struct event_base *base, const char *socket,
                  const struct nvme_drv_opts *opts, struct nvme_drv **out,
                  char *err, size_t errlen)
{
    *out = NULL;
    if (opts->nr_queues < 1 || opts->nr_queues > NVME_MAX_QUEUES ||
        opts->qdepth < 2 || opts->qdepth > NVME_MAX_DEPTH) {
        snprintf(err, errlen, "queue pairs must be 1 to %u and depth 2 to %u",
                 NVME_MAX_QUEUES, NVME_MAX_DEPTH);
        return -EINVAL;
    }
    struct nvme_drv *d = calloc(1, sizeof(*d));
    if (d == NULL) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    d->base = base;
    d->opts = *opts;
    if (d->opts.timeout_ms == 0) {
        d->opts.timeout_ms = 5000;
    }
    d->timeout_ns = (uint64_t)d->opts.timeout_ms * 1000000ull;
    d->cap_to_ms = 500; /* until CAP is read */
    d->timer = evtimer_new(base, nvme_timer_cb, d);
    int rc = d->timer == NULL ? nvme_drv_fail(d, -ENOMEM, "out of memory")
                              : connect_client(d, socket);
    if (rc == 0) {
        vuc_set_disconnect_cb(d->c, nvme_disconnected, d);
        rc = check_device(d);
    }
    if (rc == 0) {
        rc = pci_setup_device(d->c, d->err, sizeof(d->err));
    }
    if (rc == 0) {
        rc = vuc_set_posting(d->c, VUC_POSTING_POSTED);
    }
    if (rc == 0) {
        rc = nvme_drv_start(d);
    }
    if (rc < 0) {
        snprintf(err, errlen, "%s", d->err);
        nvme_drv_close(d, NULL, 0);
        return rc;
    }
    *out = d;
    return 0;
}

/* From CAP to I/O queues, once the PCI side is set up. */
int nvme_drv_start(struct nvme_drv *d)
{
    uint64_t cap;
    int rc = nvme_reg_read64(d, NVME_REG_CAP, &cap);
    if (rc == 0) {
        rc = nvme_reg_read32(d, NVME_REG_VS, &d->info.vs);
    }
    if (rc < 0) {
        return rc;
    }
    d->info.cap = cap;
    d->cap_to_ms = (uint64_t)NVME_CAP_TO(cap) * 500u;
    if (d->cap_to_ms == 0) {
        d->cap_to_ms = 500; /* TO 0 is not allowed; be lenient */
    }
    d->dstrd_bytes = 4u << NVME_CAP_DSTRD(cap);
    if (!NVME_CAP_CSS_NVM(cap)) {
        return nvme_drv_fail(d, -ENOTSUP,
                             "CAP 0x%016" PRIx64 ": no NVM command set", cap);
    }
    if (NVME_CAP_MPSMIN(cap) != 0) {
        return nvme_drv_fail(d, -ENOTSUP,
                             "CAP.MPSMIN %u: the controller needs pages of "
                             "%u bytes; the driver uses 4 KiB",
                             NVME_CAP_MPSMIN(cap),
                             4096u << NVME_CAP_MPSMIN(cap));
    }
    d->info.page_size = NVME_PAGE;
    unsigned mqes = NVME_CAP_MQES(cap) + 1u; /* 0's based */
    d->info.qdepth = d->opts.qdepth < mqes ? d->opts.qdepth : mqes;
    uint16_t adepth = NVME_ADMIN_DEPTH < mqes ? NVME_ADMIN_DEPTH : mqes;
    if (d->info.qdepth < 2 || adepth < 2) {
        return nvme_drv_fail(d, -EPROTO, "CAP.MQES %u allows no queue",
                             mqes - 1);
    }
    uint64_t last_db =
        NVME_REG_DBS + (2u * d->opts.nr_queues + 2u) * (uint64_t)d->dstrd_bytes;
    const struct vuc_region_info *ri = vuc_get_region_info(d->c, BAR0);
    if (ri->size < NVME_REG_DBS + 2u * d->dstrd_bytes) {
        return nvme_drv_fail(d, -EPROTO,
                             "BAR0 (0x%" PRIx64 " bytes) ends before the "
                             "admin doorbells at stride %u",
                             ri->size, d->dstrd_bytes);
    }
    if (ri->size < last_db) {
        /* Fewer queue pairs then: those whose doorbells exist. */
        d->opts.nr_queues =
            (unsigned)((ri->size - NVME_REG_DBS) / d->dstrd_bytes / 2u) - 1u;
        if (d->opts.nr_queues == 0) {
            return nvme_drv_fail(d, -EPROTO, "BAR0 has no I/O doorbells");
        }
    }

    rc = reset_controller(d);
    if (rc < 0) {
        return rc;
    }

    /* One allocation for everything the controller reads or writes on its
     * own: admin queues, identify data, I/O queues and PRP lists. */
    size_t admin = nvme_qpair_mem(adepth, false);
    size_t per = nvme_qpair_mem((uint16_t)d->info.qdepth, true);
    size_t total = admin + 3u * NVME_PAGE + per * d->opts.nr_queues;
    d->admin.slots = calloc(adepth, sizeof(struct nvme_slot));
    for (unsigned i = 0; i < d->opts.nr_queues; i++) {
        d->io[i].slots = calloc(d->info.qdepth, sizeof(struct nvme_slot));
        if (d->io[i].slots == NULL) {
            return nvme_drv_fail(d, -ENOMEM, "out of memory");
        }
    }
    if (d->admin.slots == NULL) {
        return nvme_drv_fail(d, -ENOMEM, "out of memory");
    }
    rc = vuc_dma_alloc(d->c, total, VUC_IOVA_ANY, VUC_DMA_READ | VUC_DMA_WRITE,
                       &d->mem);
    if (rc < 0) {
        return nvme_drv_fail(d, rc, "allocating %zu bytes of DMA memory: %s",
                             total, vuc_strerror(d->c));
    }
    uint8_t *va = vuc_dma_vaddr(d->mem);
    uint64_t iova = vuc_dma_iova(d->mem);
    nvme_qpair_init(&d->admin, d, 0, adepth, 0, va, iova, false);
    d->id_ctrl = va + admin;
    d->id_ctrl_iova = iova + admin;
    d->id_ns = d->id_ctrl + NVME_PAGE;
    d->id_ns_iova = d->id_ctrl_iova + NVME_PAGE;
    d->scratch = d->id_ns + NVME_PAGE;
    d->scratch_iova = d->id_ns_iova + NVME_PAGE;
    d->info.id_ctrl = d->id_ctrl;
    d->info.id_ns = d->id_ns;

    rc = setup_interrupts(d, 1u + d->opts.nr_queues);
    if (rc < 0) {
        return rc;
    }
    uint32_t aqa = (uint32_t)(adepth - 1) | ((uint32_t)(adepth - 1) << 16);
    uint32_t cc = NVME_CC_CSS_NVM | NVME_CC_MPS(0) | NVME_CC_AMS_RR |
                  NVME_CC_IOSQES(6) | NVME_CC_IOCQES(4);
    if ((rc = nvme_reg_write32(d, NVME_REG_AQA, aqa)) < 0 ||
        (rc = nvme_reg_write64(d, NVME_REG_ASQ, d->admin.sq_iova)) < 0 ||
        (rc = nvme_reg_write64(d, NVME_REG_ACQ, d->admin.cq_iova)) < 0 ||
        (rc = nvme_reg_write32(d, NVME_REG_CC, cc)) < 0 ||
        (rc = nvme_reg_write32(d, NVME_REG_CC, cc | NVME_CC_EN)) < 0) {
        return rc;
    }
    d->enabled = true;
    rc = nvme_wait_csts(d, NVME_CSTS_RDY, NVME_CSTS_RDY,
                        "CSTS.RDY after "
                        "enabling");
    if (rc < 0) {
        return rc;
    }
    rc = identify_all(d);
    if (rc < 0) {
        return rc;
    }
    return create_io_queues(d, va + admin + 3u * NVME_PAGE,
                            iova + admin + 3u * NVME_PAGE);
}

/* Delete the I/O queues, then CC.SHN (7.6.2). */
static int shutdown_controller(struct nvme_drv *d)
{
    int rc = 0;
    for (unsigned i = d->info.nr_queues; i-- > 0 && rc == 0;) {
        struct nvme_qpair *q = &d->io[i];
        struct nvme_sqe e = {.opc = NVME_ADM_DELETE_SQ, .cdw10 = q->qid};
        if (q->sq != NULL) {
            rc = nvme_admin_sync(d, &e, 0, 0, NULL, NULL);
        }
        e.opc = NVME_ADM_DELETE_CQ;
        if (rc == 0) {
            rc = nvme_admin_sync(d, &e, 0, 0, NULL, NULL);
        }
    }
    d->info.nr_queues = 0;
    uint32_t cc;
    if (rc == 0) {
        rc = nvme_reg_read32(d, NVME_REG_CC, &cc);
    }
    if (rc == 0) {
        cc = (cc & ~NVME_CC_SHN_MASK) | NVME_CC_SHN_NORMAL;
        rc = nvme_reg_write32(d, NVME_REG_CC, cc);
    }
    if (rc == 0) {
        rc = nvme_wait_csts(d, NVME_CSTS_SHST_MASK, NVME_CSTS_SHST_DONE,
                            "shutdown (CSTS.SHST complete)");
    }
    return rc;
}

int nvme_drv_close(struct nvme_drv *d, char *err, size_t errlen)
{
    if (d == NULL) {
        return 0;
    }
    int rc = 0;
    if (d->enabled && !d->lost && nvme_drv_inflight(d) == 0) {
        rc = shutdown_controller(d);
    }
    nvme_qpair_fail_all(&d->admin, -ECANCELED);
    for (unsigned i = 0; i < NVME_MAX_QUEUES; i++) {
        nvme_qpair_fail_all(&d->io[i], -ECANCELED);
    }
    if (d->info.nr_vectors > 0 && !d->lost) {
        /* Leave the function as found: MSI-X off for the next driver. */
        vuc_pci_msix_disable(d->c);
    }
    if (rc < 0 && err != NULL) {
        snprintf(err, errlen, "%s", d->err);
    }
    vuc_client_free(d->c);
    if (d->timer != NULL) {
        event_free(d->timer);
    }
    free(d->admin.slots);
    for (unsigned i = 0; i < NVME_MAX_QUEUES; i++) {
        free(d->io[i].slots);
    }
    free(d);
    return rc;
}
