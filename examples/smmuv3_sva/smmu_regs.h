/* SPDX-License-Identifier: MIT */
/*
 * Arm SMMUv3 bit layouts the template uses, each a named field (Arm IHI 0070,
 * the SMMU architecture specification: registers chapter 6, Stream Table
 * Entry 5.2, Context Descriptor 5.4, L1 CD descriptor 5.3, commands 4, event
 * records 7.3, PRI queue entries 8.1). Names follow Linux
 * drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.h.
 */
#ifndef SMMU_REGS_H
#define SMMU_REGS_H

#include <stdint.h>

#define BIT_ULL(n) (1ull << (n))
#define GENMASK_ULL(h, l) ((~0ull >> (63 - (h))) & (~0ull << (l)))
#define FIELD_PREP(mask, val) (((uint64_t)(val) << __builtin_ctzll(mask)) & (mask))
#define FIELD_GET(mask, reg) (((reg) & (mask)) >> __builtin_ctzll(mask))

/* Registers (6.3). PROD and CONS of the output queues are in page 1. */
#define ARM_SMMU_CR0 0x20u
#define CR0_SMMUEN BIT_ULL(0)
#define CR0_PRIQEN BIT_ULL(1)
#define CR0_EVTQEN BIT_ULL(2)
#define ARM_SMMU_STRTAB_BASE 0x80u
#define STRTAB_BASE_RA BIT_ULL(62)
#define STRTAB_BASE_ADDR_MASK GENMASK_ULL(51, 6)
#define ARM_SMMU_STRTAB_BASE_CFG 0x88u
#define STRTAB_BASE_CFG_FMT GENMASK_ULL(17, 16)
#define STRTAB_BASE_CFG_FMT_LINEAR 0
#define STRTAB_BASE_CFG_LOG2SIZE GENMASK_ULL(5, 0)
#define ARM_SMMU_EVTQ_BASE 0xa0u
#define ARM_SMMU_EVTQ_PROD 0x100a8u
#define ARM_SMMU_EVTQ_CONS 0x100acu
#define ARM_SMMU_PRIQ_BASE 0xc0u
#define ARM_SMMU_PRIQ_PROD 0x100c8u
#define ARM_SMMU_PRIQ_CONS 0x100ccu
#define Q_BASE_ADDR_MASK GENMASK_ULL(51, 5)
#define Q_BASE_LOG2SIZE GENMASK_ULL(4, 0)
#define Q_OVERFLOW_FLAG (1u << 31) /* PROD.OVFLG, CONS.OVACKFLG */

/* Event records: 4 qwords (7.3). */
#define EVTQ_ENT_DWORDS 4u
#define EVTQ_MAX_SZ_SHIFT 5u
#define EVTQ_0_ID GENMASK_ULL(7, 0)
#define EVTQ_0_SSV BIT_ULL(11)
#define EVTQ_0_SSID GENMASK_ULL(31, 12)
#define EVTQ_0_SID GENMASK_ULL(63, 32)
#define EVTQ_1_STAG GENMASK_ULL(15, 0)
#define EVTQ_1_STALL BIT_ULL(31)
#define EVTQ_1_PnU BIT_ULL(33)
#define EVTQ_1_InD BIT_ULL(34)
#define EVTQ_1_RnW BIT_ULL(35)
#define EVTQ_1_S2 BIT_ULL(39)
#define EVT_ID_TRANSLATION_FAULT 0x10u
#define EVT_ID_PERMISSION_FAULT 0x13u

/* PRI queue entries: 2 qwords (8.1). */
#define PRIQ_ENT_DWORDS 2u
#define PRIQ_MAX_SZ_SHIFT 5u
#define PRIQ_0_SID GENMASK_ULL(31, 0)
#define PRIQ_0_SSID GENMASK_ULL(51, 32)
#define PRIQ_0_PERM_PRIV BIT_ULL(58)
#define PRIQ_0_PERM_EXEC BIT_ULL(59)
#define PRIQ_0_PERM_READ BIT_ULL(60)
#define PRIQ_0_PERM_WRITE BIT_ULL(61)
#define PRIQ_0_PRG_LAST BIT_ULL(62)
#define PRIQ_0_SSID_V BIT_ULL(63)
#define PRIQ_1_PRG_IDX GENMASK_ULL(8, 0)
#define PRIQ_1_ADDR_MASK GENMASK_ULL(63, 12)

/* Stream Table Entry: 8 qwords (5.2). */
#define STRTAB_STE_DWORDS 8u
#define STRTAB_STE_SIZE 64u
#define STRTAB_STE_0_V BIT_ULL(0)
#define STRTAB_STE_0_CFG GENMASK_ULL(3, 1)
#define STRTAB_STE_0_CFG_BYPASS 4u
#define STRTAB_STE_0_CFG_S1_TRANS 5u
#define STRTAB_STE_0_S1FMT GENMASK_ULL(5, 4)
#define STRTAB_STE_0_S1FMT_LINEAR 0u
#define STRTAB_STE_0_S1FMT_64K_L2 2u
#define STRTAB_STE_0_S1CTXPTR_MASK GENMASK_ULL(55, 6)
#define STRTAB_STE_0_S1CDMAX GENMASK_ULL(63, 59)
#define STRTAB_STE_1_S1DSS GENMASK_ULL(1, 0)
#define STRTAB_STE_1_S1DSS_BYPASS 1u
#define STRTAB_STE_1_S1CIR GENMASK_ULL(3, 2)
#define STRTAB_STE_1_S1COR GENMASK_ULL(5, 4)
#define STRTAB_STE_1_S1CSH GENMASK_ULL(7, 6)
#define STRTAB_STE_1_S1C_CACHE_WBRA 1u
#define STRTAB_STE_1_S1C_SH_ISH 3u
#define STRTAB_STE_1_MEV BIT_ULL(19)
#define STRTAB_STE_1_S1STALLD BIT_ULL(27)
#define STRTAB_STE_1_EATS GENMASK_ULL(29, 28)
#define STRTAB_STE_1_EATS_TRANS 1u
#define STRTAB_STE_1_STRW GENMASK_ULL(31, 30)
#define STRTAB_STE_1_SHCFG GENMASK_ULL(45, 44)
#define STRTAB_STE_2_S2VMID GENMASK_ULL(15, 0)

/* CD tables (5.3, 5.4): linear up to 2^10 CDs, else 64 KiB leaves. */
#define CTXDESC_CD_DWORDS 8u
#define CTXDESC_CD_SIZE 64u
#define CTXDESC_SPLIT 10u
#define CTXDESC_L2_ENTRIES (1u << CTXDESC_SPLIT)
#define CTXDESC_L2_SIZE (CTXDESC_L2_ENTRIES * CTXDESC_CD_SIZE)
#define CTXDESC_LINEAR_CDMAX 10u
#define CTXDESC_L1_DESC_SIZE 8u
#define CTXDESC_L1_DESC_V BIT_ULL(0)
#define CTXDESC_L1_DESC_L2PTR_MASK GENMASK_ULL(55, 12)

/* Context Descriptor: 8 qwords (5.4). */
#define CTXDESC_CD_0_TCR_T0SZ GENMASK_ULL(5, 0)
#define CTXDESC_CD_0_TCR_TG0 GENMASK_ULL(7, 6)
#define CTXDESC_CD_0_TCR_IRGN0 GENMASK_ULL(9, 8)
#define CTXDESC_CD_0_TCR_ORGN0 GENMASK_ULL(11, 10)
#define CTXDESC_CD_0_TCR_SH0 GENMASK_ULL(13, 12)
#define CTXDESC_CD_0_TCR_EPD0 BIT_ULL(14)
#define CTXDESC_CD_0_TCR_EPD1 BIT_ULL(30)
#define CTXDESC_CD_0_V BIT_ULL(31)
#define CTXDESC_CD_0_TCR_IPS GENMASK_ULL(34, 32)
#define CTXDESC_CD_0_AA64 BIT_ULL(41)
#define CTXDESC_CD_0_S BIT_ULL(44)
#define CTXDESC_CD_0_R BIT_ULL(45)
#define CTXDESC_CD_0_A BIT_ULL(46)
#define CTXDESC_CD_0_ASET BIT_ULL(47)
#define CTXDESC_CD_0_ASID GENMASK_ULL(63, 48)
/* The TTB0 walk controls, ignored while EPD0 is set. */
#define CTXDESC_CD_0_TCR0                                                                          \
    (CTXDESC_CD_0_TCR_T0SZ | CTXDESC_CD_0_TCR_TG0 | CTXDESC_CD_0_TCR_IRGN0 |                       \
     CTXDESC_CD_0_TCR_ORGN0 | CTXDESC_CD_0_TCR_SH0)
#define CTXDESC_CD_1_TTB0_MASK GENMASK_ULL(55, 4)
#define CTXDESC_CD_3_MAIR 3u /* qword index */
#define ARM_LPAE_TCR_TG0_4K 0u
#define ARM_LPAE_TCR_RGN_WBWA 1u
#define ARM_LPAE_TCR_SH_IS 3u

/* Commands: 2 qwords (4). */
#define CMDQ_ENT_DWORDS 2u
#define CMDQ_0_OP GENMASK_ULL(7, 0)
#define CMDQ_0_SSV BIT_ULL(11)
#define CMDQ_OP_CFGI_STE 0x03u
#define CMDQ_OP_CFGI_ALL 0x04u
#define CMDQ_OP_CFGI_CD 0x05u
#define CMDQ_OP_TLBI_NH_ASID 0x11u
#define CMDQ_OP_TLBI_NH_VA 0x12u
#define CMDQ_OP_ATC_INV 0x40u
#define CMDQ_OP_PRI_RESP 0x41u
#define CMDQ_OP_RESUME 0x44u
#define CMDQ_OP_CMD_SYNC 0x46u
#define CMDQ_CFGI_0_SSID GENMASK_ULL(31, 12)
#define CMDQ_CFGI_0_SID GENMASK_ULL(63, 32)
#define CMDQ_CFGI_1_LEAF BIT_ULL(0)
#define CMDQ_CFGI_1_RANGE GENMASK_ULL(4, 0)
#define CMDQ_TLBI_0_ASID GENMASK_ULL(63, 48)
#define CMDQ_TLBI_1_VA_MASK GENMASK_ULL(63, 12)
#define CMDQ_ATC_0_SSID GENMASK_ULL(31, 12)
#define CMDQ_ATC_0_SID GENMASK_ULL(63, 32)
#define CMDQ_ATC_1_SIZE GENMASK_ULL(5, 0)
#define CMDQ_ATC_1_ADDR_MASK GENMASK_ULL(63, 12)
#define ATC_INV_SIZE_ALL 52u
#define CMDQ_PRI_0_SSID GENMASK_ULL(31, 12)
#define CMDQ_PRI_0_SID GENMASK_ULL(63, 32)
#define CMDQ_PRI_1_GRPID GENMASK_ULL(8, 0)
#define CMDQ_PRI_1_RESP GENMASK_ULL(13, 12)
#define PRI_RESP_DENY 0u /* ResponseFailure */
#define PRI_RESP_FAIL 1u /* InvalidRequest */
#define PRI_RESP_SUCC 2u /* Success */
#define CMDQ_RESUME_0_RESP GENMASK_ULL(13, 12)
#define CMDQ_RESUME_0_RESP_RETRY 1u
#define CMDQ_RESUME_0_RESP_ABORT 2u
#define CMDQ_RESUME_0_SID GENMASK_ULL(63, 32)
#define CMDQ_RESUME_1_STAG GENMASK_ULL(15, 0)
#define CMDQ_SYNC_0_CS GENMASK_ULL(13, 12)
#define CMDQ_SYNC_0_CS_SEV 2u

#endif /* SMMU_REGS_H */
