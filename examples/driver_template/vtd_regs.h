/* SPDX-License-Identifier: MIT */
/*
 * Intel VT-d scalable-mode layouts this driver writes and reads, as named
 * fields. Section numbers are the VT-d architecture specification's (rev 3.0
 * and later), "PCIe" the PCI Express Base Specification 4.0's. The
 * IOMMU registers themselves (GCMD, RTADDR, PQH, PQT, PQA, PRS) are
 * SVAC_VTD_* in <svac/driver_abi.h>.
 */
#ifndef TEMPLATE_VTD_REGS_H
#define TEMPLATE_VTD_REGS_H

#include <stdint.h>

/* linux/bits.h and linux/bitfield.h, in portable C: a field is its mask. */
#define BIT_ULL(n) (1ull << (n))
#define GENMASK_ULL(h, l) ((~0ull << (l)) & (~0ull >> (63 - (h))))
#define FIELD_UNIT(mask) ((mask) & (~(mask) + 1)) /* the mask's lowest set bit */
#define FIELD_PREP(mask, val) (((uint64_t)(val)*FIELD_UNIT(mask)) & (mask))
#define FIELD_GET(mask, reg) (((uint64_t)(reg) & (mask)) / FIELD_UNIT(mask))

#define VTD_PAGE_SHIFT 12
#define VTD_PAGE_SIZE BIT_ULL(VTD_PAGE_SHIFT)
#define VTD_PAGE_MASK (~(VTD_PAGE_SIZE - 1))

/* Root Table Address register (SVAC_VTD_RTADDR). */
#define RTADDR_TTM GENMASK_ULL(11, 10) /* translation table mode */
#define RTADDR_TTM_SCALABLE 1ull
#define RTADDR_RTA GENMASK_ULL(63, 12)

/* Scalable-mode root entry (VT-d 9.2): 16 bytes per bus. The low
 * qword points at the context table of devfn 0x00-0x7f, the high one at
 * that of devfn 0x80-0xff. */
#define ROOT_ENTRY_NR 256
#define ROOT_ENTRY_SIZE 16
#define ROOT_ENTRY_P BIT_ULL(0) /* LP in the low qword, UP in the high one */
#define ROOT_ENTRY_CTP GENMASK_ULL(63, 12)
#define DEVFN_UPPER 0x80

/* Scalable-mode context entry (VT-d 9.4): 32 bytes, so a 4 KiB
 * context table holds 128 of them. */
#define CONTEXT_SM_SIZE 32
#define CONTEXT_P BIT_ULL(0)
#define CONTEXT_FPD BIT_ULL(1)
#define CONTEXT_DTE BIT_ULL(2)          /* device-TLB (ATS) enable */
#define CONTEXT_PASIDE BIT_ULL(3)       /* requests with a PASID are translated */
#define CONTEXT_PRE BIT_ULL(4)          /* page requests enabled */
#define CONTEXT_PDTS GENMASK_ULL(11, 9) /* 2^(PDTS + 7) directory entries */
#define CONTEXT_PDTS_BIAS 7
#define CONTEXT_PASIDDIRPTR GENMASK_ULL(63, 12)
/* q1: RID_PASID [19:0] stays 0, so requests without a PASID use entry 0. */
#define CONTEXT_RID_PASID GENMASK_ULL(19, 0)

/* PASID directory entry (VT-d 9.5): 8 bytes, one per 64 PASIDs. */
#define PASID_PDE_SIZE 8
#define PASID_PDE_SHIFT 6
#define PASID_PDE_P BIT_ULL(0)
#define PASID_PDE_FPD BIT_ULL(1)
#define PASID_PDE_PTPTR GENMASK_ULL(63, 12)
#define PASID_PTE_MASK 0x3fu
/* The smallest directory is one page (as Linux intel_pasid_alloc_table). */
#define PASID_DIR_MIN_ENTRIES (VTD_PAGE_SIZE / PASID_PDE_SIZE)

/* Scalable-mode PASID table entry (VT-d 9.6): 64 bytes, 8 qwords,
 * 64 per 4 KiB PASID table. Only q0..q2 are ever written. */
#define PASID_ENTRY_SIZE 64
#define PASID_Q0_P BIT_ULL(0)
#define PASID_Q0_FPD BIT_ULL(1)
#define PASID_Q0_AW GENMASK_ULL(4, 2)
#define PASID_AW_48BIT 2 /* 4-level */
#define PASID_Q0_PGTT GENMASK_ULL(8, 6)
#define PASID_PGTT_FL 1 /* first stage only */
#define PASID_PGTT_PT 4 /* pass-through */
#define PASID_Q1_DID GENMASK_ULL(15, 0)
#define PASID_Q2_FLPM GENMASK_ULL(3, 2)
#define PASID_FLPM_4LEVEL 0
#define PASID_Q2_FLPTR GENMASK_ULL(63, 12)

/* Queued-invalidation descriptors (VT-d 6.5.2): 256 bits in
 * scalable mode. qw0 carries the type, and for most types a granularity, a
 * DID and a PASID at the same places. */
#define QI_DESC_QWORDS 4
#define QI_TYPE GENMASK_ULL(3, 0)
#define QI_CC_TYPE 0x1         /* context-cache invalidate, 6.5.2.1 */
#define QI_IWD_TYPE 0x5        /* invalidation wait, 6.5.2.8 */
#define QI_EIOTLB_TYPE 0x6     /* PASID-based IOTLB invalidate, 6.5.2.4 */
#define QI_PC_TYPE 0x7         /* PASID-cache invalidate, 6.5.2.2 */
#define QI_DEV_EIOTLB_TYPE 0x8 /* PASID-based device-TLB invalidate, 6.5.2.6 */
#define QI_PGRP_RESP_TYPE 0x9  /* page group response, 7.7 */
#define QI_GRAN GENMASK_ULL(5, 4)
#define QI_DID GENMASK_ULL(31, 16)
#define QI_PASID GENMASK_ULL(51, 32)

#define QI_CC_GRAN_GLOBAL 1
#define QI_PC_GRAN_ALL_PASIDS 0 /* every PASID of the DID */
#define QI_PC_GRAN_PASID 1      /* one PASID of the DID */
#define QI_EIOTLB_GRAN_PASID 2  /* every address of (DID, PASID) */
#define QI_EIOTLB_GRAN_PSI 3    /* 2^AM pages at ADDR */

/* PASID-based IOTLB qw1. */
#define QI_EIOTLB_AM GENMASK_ULL(5, 0)
#define QI_EIOTLB_IH BIT_ULL(6)
#define QI_EIOTLB_ADDR GENMASK_ULL(63, 12)

/* PASID-based device-TLB: the PF's source ID is split around the SID. */
#define QI_DEV_EIOTLB_QDEP GENMASK_ULL(8, 4) /* 0: the device's full depth */
#define QI_DEV_EIOTLB_PFSID_LO GENMASK_ULL(15, 12)
#define QI_DEV_EIOTLB_SID GENMASK_ULL(31, 16)
#define QI_DEV_EIOTLB_PFSID_HI GENMASK_ULL(63, 52)
/* qw1: the PCIe ATS invalidate request body (PCIe 10.3). With S set, the run
 * of 1s from bit 12 up gives the size; "everything" is bits 62:11 set. */
#define QI_DEV_EIOTLB_G BIT_ULL(0)
#define QI_DEV_EIOTLB_S BIT_ULL(11)
#define QI_DEV_EIOTLB_ADDR GENMASK_ULL(63, 12)
#define QI_DEV_EIOTLB_ADDR_ALL GENMASK_ULL(62, 11)

/* Page group response (VT-d 6.5.2, the scalable-mode layout). */
#define QI_PGRP_PASID_P BIT_ULL(4)
#define QI_PGRP_RESP_CODE GENMASK_ULL(15, 12)
#define QI_PGRP_RID GENMASK_ULL(31, 16)
#define QI_PGRP_PASID GENMASK_ULL(51, 32)
#define QI_PGRP_IDX GENMASK_ULL(11, 3) /* qw1 */
/* Response codes: the PCIe PRG response encoding (PCIe 10.4.2). */
#define QI_RESP_SUCCESS 0x0
#define QI_RESP_INVALID 0x1
#define QI_RESP_FAILURE 0xf

/* Page request queue (VT-d 11.4.10; registers SVAC_VTD_PQ* in the ABI):
 * 2^PQS pages of 32-byte page request descriptors. PQH (software's) and
 * PQT (the hardware's) hold the byte offset of a descriptor. */
#define PQA_PQS GENMASK_ULL(2, 0)
#define PQA_ADDR GENMASK_ULL(63, 12)
#define PQ_OFFSET GENMASK_ULL(18, 5)
#define PRQ_ORDER 0 /* PQS: one page, 128 descriptors */
#define PRQ_SIZE (VTD_PAGE_SIZE << PRQ_ORDER)
#define PRQ_DESC_SIZE 32
#define PRQ_RING_MASK ((PRQ_SIZE - 1) & ~(uint64_t)(PRQ_DESC_SIZE - 1))

/* Page request descriptor (VT-d chapter 7). */
#define PRQ_TYPE GENMASK_ULL(7, 0)
#define PRQ_TYPE_PAGE_REQ 0x1
#define PRQ_PASID_PRESENT BIT_ULL(8)
#define PRQ_RID GENMASK_ULL(31, 16)
#define PRQ_PASID GENMASK_ULL(51, 32)
#define PRQ_EXE_REQ BIT_ULL(52)
#define PRQ_PM_REQ BIT_ULL(53)
#define PRQ_RD_REQ BIT_ULL(0) /* qw1 */
#define PRQ_WR_REQ BIT_ULL(1)
#define PRQ_LPIG BIT_ULL(2) /* last page in group */
#define PRQ_PRG_INDEX GENMASK_ULL(11, 3)
#define PRQ_ADDR GENMASK_ULL(63, 12)

#endif /* TEMPLATE_VTD_REGS_H */
