/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the driver needs of the NVMe Base Specification (revision 1.4):
 * controller registers, queue entry layouts, opcodes and status codes.
 * Everything is little-endian on the wire; the driver runs on
 * little-endian hosts only (checked at build time in nvme_drv.c).
 */
#ifndef VUC_EXAMPLES_NVME_SPEC_H
#define VUC_EXAMPLES_NVME_SPEC_H

#include <stdint.h>

/* ---- Controller registers (3.1) ------------------------------------------ */
#define NVME_REG_CAP 0x00u /* 64-bit */
#define NVME_REG_VS 0x08u
#define NVME_REG_INTMS 0x0cu
#define NVME_REG_INTMC 0x10u
#define NVME_REG_CC 0x14u
#define NVME_REG_CSTS 0x1cu
#define NVME_REG_AQA 0x24u
#define NVME_REG_ASQ 0x28u   /* 64-bit */
#define NVME_REG_ACQ 0x30u   /* 64-bit */
#define NVME_REG_DBS 0x1000u /* doorbells */

#define NVME_CAP_MQES(cap) ((uint32_t)((cap)&0xffffu))
#define NVME_CAP_TO(cap)                                                       \
    ((uint32_t)(((cap) >> 24) & 0xffu)) /* 500 ms units                        \
                                         */
#define NVME_CAP_DSTRD(cap) ((uint32_t)(((cap) >> 32) & 0xfu))
#define NVME_CAP_CSS_NVM(cap) ((((cap) >> 37) & 1u) != 0)
#define NVME_CAP_MPSMIN(cap) ((uint32_t)(((cap) >> 48) & 0xfu))
#define NVME_CAP_MPSMAX(cap) ((uint32_t)(((cap) >> 52) & 0xfu))

#define NVME_CC_EN (1u << 0)
#define NVME_CC_CSS_NVM (0u << 4)
#define NVME_CC_MPS(v) ((uint32_t)(v) << 7) /* page size 2^(12 + v) */
#define NVME_CC_AMS_RR (0u << 11)
#define NVME_CC_SHN_NORMAL (1u << 14)
#define NVME_CC_SHN_MASK (3u << 14)
#define NVME_CC_IOSQES(v) ((uint32_t)(v) << 16)
#define NVME_CC_IOCQES(v) ((uint32_t)(v) << 20)

#define NVME_CSTS_RDY (1u << 0)
#define NVME_CSTS_CFS (1u << 1)
#define NVME_CSTS_SHST_MASK (3u << 2)
#define NVME_CSTS_SHST_DONE (2u << 2)

/* ---- Queue entries (4.2, 4.6) -------------------------------------------- */
struct nvme_sqe {
    uint8_t opc;
    uint8_t flags; /* FUSE, PSDT: 0 = PRPs */
    uint16_t cid;
    uint32_t nsid;
    uint32_t cdw2, cdw3;
    uint64_t mptr;
    uint64_t prp1, prp2;
    uint32_t cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;
};
_Static_assert(sizeof(struct nvme_sqe) == 64, "SQ entry is 64 bytes");

struct nvme_cqe {
    uint32_t dw0;
    uint32_t dw1;
    uint16_t sqhd;
    uint16_t sqid;
    uint16_t cid;
    uint16_t status; /* bit 0 phase, 8:1 SC, 11:9 SCT, 14 M, 15 DNR */
};
_Static_assert(sizeof(struct nvme_cqe) == 16, "CQ entry is 16 bytes");

#define NVME_CQE_PHASE(st) ((st)&1u)
#define NVME_CQE_SC(st) ((uint8_t)(((st) >> 1) & 0xffu))
#define NVME_CQE_SCT(st) ((uint8_t)(((st) >> 9) & 0x7u))
#define NVME_CQE_DNR(st) (((st) >> 15) & 1u)

/* ---- Opcodes (5, 6) ------------------------------------------------------ */
#define NVME_ADM_DELETE_SQ 0x00u
#define NVME_ADM_CREATE_SQ 0x01u
#define NVME_ADM_GET_LOG_PAGE 0x02u
#define NVME_ADM_DELETE_CQ 0x04u
#define NVME_ADM_CREATE_CQ 0x05u
#define NVME_ADM_IDENTIFY 0x06u
#define NVME_ADM_ABORT 0x08u
#define NVME_ADM_SET_FEATURES 0x09u
#define NVME_ADM_GET_FEATURES 0x0au

#define NVME_CMD_FLUSH 0x00u
#define NVME_CMD_WRITE 0x01u
#define NVME_CMD_READ 0x02u
#define NVME_CMD_WRITE_ZEROES 0x08u

#define NVME_ID_CNS_NS 0x00u
#define NVME_ID_CNS_CTRL 0x01u
#define NVME_ID_CNS_NS_LIST 0x02u

#define NVME_FEAT_NUM_QUEUES 0x07u
#define NVME_FEAT_IRQ_COALESCE 0x08u

#define NVME_LOG_ERROR 0x01u
#define NVME_LOG_SMART 0x02u

/* Create I/O queue flags (CDW11). */
#define NVME_QUEUE_PC (1u << 0)
#define NVME_QUEUE_IEN (1u << 1)

/* ---- Status codes (4.6.1.2) ---------------------------------------------- */
#define NVME_SCT_GENERIC 0u
#define NVME_SCT_CMD_SPECIFIC 1u
#define NVME_SC_SUCCESS 0x00u
#define NVME_SC_INVALID_OPCODE 0x01u
#define NVME_SC_INVALID_FIELD 0x02u
#define NVME_SC_ABORT_REQ 0x07u
#define NVME_SC_INVALID_PRP_OFFSET 0x13u
#define NVME_SC_LBA_RANGE 0x80u

/* ---- Identify data (5.15.2) ---------------------------------------------- */
/* Offsets of the fields the driver reads, in the 4 KiB structures. */
#define NVME_IDC_VID 0
#define NVME_IDC_SSVID 2
#define NVME_IDC_SN 4  /* 20 ASCII */
#define NVME_IDC_MN 24 /* 40 ASCII */
#define NVME_IDC_FR 64 /* 8 ASCII */
#define NVME_IDC_MDTS 77
#define NVME_IDC_CNTLID 78
#define NVME_IDC_VER 80
#define NVME_IDC_OACS 256
#define NVME_IDC_ACL 258
#define NVME_IDC_ELPE 262
#define NVME_IDC_SQES 512
#define NVME_IDC_CQES 513
#define NVME_IDC_NN 516
#define NVME_IDC_ONCS 520
#define NVME_IDC_VWC 525
#define NVME_ONCS_WRITE_ZEROES (1u << 3)

#define NVME_IDN_NSZE 0
#define NVME_IDN_NCAP 8
#define NVME_IDN_NUSE 16
#define NVME_IDN_NLBAF 25
#define NVME_IDN_FLBAS 26
#define NVME_IDN_LBAF 128 /* 16 entries of 4 bytes: MS, LBADS, RP */

#endif
