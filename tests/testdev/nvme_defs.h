/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NVMe Base Specification's numbers that vuc-testdev's controller
 * uses (revision 1.4). Written for the device alone: the driver in
 * examples/nvme has its own, so that the two check each other against the
 * specification instead of agreeing by sharing a mistake.
 */
#ifndef VUC_TESTDEV_NVME_DEFS_H
#define VUC_TESTDEV_NVME_DEFS_H

/* Registers (3.1). */
#define NVR_CAP 0x00u
#define NVR_VS 0x08u
#define NVR_INTMS 0x0cu
#define NVR_INTMC 0x10u
#define NVR_CC 0x14u
#define NVR_CSTS 0x1cu
#define NVR_NSSR 0x20u
#define NVR_AQA 0x24u
#define NVR_ASQ 0x28u
#define NVR_ACQ 0x30u
#define NVR_DOORBELLS 0x1000u

#define CC_EN 0x1u
#define CC_CSS(cc) (((cc) >> 4) & 7u)
#define CC_MPS(cc) (((cc) >> 7) & 0xfu)
#define CC_AMS(cc) (((cc) >> 11) & 7u)
#define CC_SHN(cc) (((cc) >> 14) & 3u)
#define CC_IOSQES(cc) (((cc) >> 16) & 0xfu)
#define CC_IOCQES(cc) (((cc) >> 20) & 0xfu)
#define CSTS_RDY 0x1u
#define CSTS_CFS 0x2u
#define CSTS_SHST_DONE (2u << 2)

/* Admin opcodes (5). */
#define ADM_DELETE_SQ 0x00u
#define ADM_CREATE_SQ 0x01u
#define ADM_GET_LOG_PAGE 0x02u
#define ADM_DELETE_CQ 0x04u
#define ADM_CREATE_CQ 0x05u
#define ADM_IDENTIFY 0x06u
#define ADM_ABORT 0x08u
#define ADM_SET_FEATURES 0x09u
#define ADM_GET_FEATURES 0x0au
#define ADM_ASYNC_EVENT 0x0cu

/* NVM opcodes (6). */
#define IO_FLUSH 0x00u
#define IO_WRITE 0x01u
#define IO_READ 0x02u
#define IO_WRITE_ZEROES 0x08u

/* Status code types and codes (4.6.1.2). */
#define SCT_GENERIC 0u
#define SCT_CMD 1u
#define SCT_MEDIA 2u

#define SC_SUCCESS 0x00u
#define SC_INVALID_OPCODE 0x01u
#define SC_INVALID_FIELD 0x02u
#define SC_DATA_XFER_ERROR 0x04u
#define SC_INTERNAL 0x06u
#define SC_ABORT_REQ 0x07u
#define SC_ABORT_SQ_DELETED 0x08u
#define SC_INVALID_NS 0x0bu
#define SC_CMD_SEQ_ERROR 0x0cu
#define SC_INVALID_PRP_OFFSET 0x13u
#define SC_LBA_RANGE 0x80u

#define SC_CQ_INVALID 0x00u /* command specific */
#define SC_INVALID_QID 0x01u
#define SC_INVALID_QSIZE 0x02u
#define SC_INVALID_VECTOR 0x08u
#define SC_INVALID_LOG_PAGE 0x09u
#define SC_INVALID_QUEUE_DELETION 0x0cu
#define SC_FEATURE_NOT_SAVEABLE 0x0du
#define SC_AER_LIMIT 0x05u

#define FEAT_ARBITRATION 0x01u
#define FEAT_POWER_MGMT 0x02u
#define FEAT_TEMP_THRESH 0x04u
#define FEAT_ERR_RECOVERY 0x05u
#define FEAT_VWC 0x06u
#define FEAT_NUM_QUEUES 0x07u
#define FEAT_IRQ_COALESCING 0x08u
#define FEAT_IRQ_CONFIG 0x09u
#define FEAT_WRITE_ATOMICITY 0x0au
#define FEAT_ASYNC_EVENT_CFG 0x0bu

#define LOG_ERROR 0x01u
#define LOG_SMART 0x02u
#define LOG_FW_SLOT 0x03u

/* Asynchronous events (5.2): type Error, its information. */
#define AEN_TYPE_ERROR 0x0u
#define AEN_INVALID_DB_REG 0x00u
#define AEN_INVALID_DB_VALUE 0x01u

#endif
