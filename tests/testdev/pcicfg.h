/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Standard PCI configuration space offsets and capability fields (PCI
 * Local Bus 3.0, PCIe 4.0), for the core's pci.c and the personalities'
 * pci_init.
 */
#ifndef VUC_TESTDEV_PCICFG_H
#define VUC_TESTDEV_PCICFG_H

#define CFG_VENDOR_ID 0x00
#define CFG_DEVICE_ID 0x02
#define CFG_COMMAND 0x04
#define CFG_STATUS 0x06
#define CFG_REVISION 0x08
#define CFG_CLASS_PROG 0x09
#define CFG_CACHE_LINE 0x0c
#define CFG_HEADER_TYPE 0x0e
#define CFG_BAR0 0x10
#define CFG_BAR1 0x14
#define CFG_SUBSYS_VENDOR 0x2c
#define CFG_SUBSYS_ID 0x2e
#define CFG_CAP_PTR 0x34
#define CFG_INT_LINE 0x3c
#define CFG_INT_PIN 0x3d

#define STATUS_CAP_LIST 0x0010

#define CAP_ID_PM 0x01
#define CAP_ID_MSI 0x05
#define CAP_ID_EXP 0x10
#define CAP_ID_MSIX 0x11
#define ECAP_ID_DSN 0x0003

#define PM_PMC 2
#define PM_PMCSR 4
#define PMC_VERSION_1_2 0x0003
#define PMCSR_STATE_MASK 0x0003
#define PMCSR_NO_SOFT_RESET 0x0008

#define MSI_FLAGS 2
#define MSI_ADDR_LO 4
#define MSI_ADDR_HI 8
#define MSI_DATA_64 12
#define MSI_FLAGS_ENABLE 0x0001
#define MSI_FLAGS_64BIT 0x0080

#define MSIX_FLAGS 2
#define MSIX_TABLE 4
#define MSIX_PBA 8
#define MSIX_FLAGS_ENABLE 0x8000
#define MSIX_FLAGS_MASKALL 0x4000

#define EXP_FLAGS 2
#define EXP_DEVCAP 4
#define EXP_DEVCTL 8
#define EXP_DEVSTA 10
#define EXP_LNKCAP 12
#define EXP_LNKCTL 16
#define EXP_LNKSTA 18
#define EXP_LNKCAP2 44
#define EXP_LNKCTL2 48
#define EXP_FLAGS_V2_ENDPOINT 0x0002 /* version 2, type 0: endpoint */
#define EXP_DEVCAP_RBER 0x00008000
/* Error reporting enables, relaxed ordering, no snoop, max read request;
 * max payload stays at the only size we support (128 bytes). */
#define EXP_DEVCTL_WMASK 0x781f
#define EXP_DEVCTL_DEFAULT 0x2810 /* 512-byte MRRS, RO and NS enabled */
#define EXP_DEVSTA_W1C 0x000f
#define EXP_LNK_X1_2_5GT 0x0011 /* speed 2.5 GT/s, width x1 */
#define EXP_LNKCTL_WMASK 0x00c0 /* common clock, extended synch */
#define EXP_LNKCAP2_2_5GT 0x00000002
#define CAP_ID_VNDR 0x09 /* vendor-specific (virtio's capabilities) */
#define CFG_BAR(n) (CFG_BAR0 + 4u * (n))
#define CFG_ROM 0x30

#endif /* VUC_TESTDEV_PCICFG_H */
