// SPDX-License-Identifier: MIT
//
// The SMMUv3 driver model's own definitions of the architecture: registers,
// Stream Table Entry, Context Descriptor, L1 CD descriptor, command, event
// record and PRI queue entry layouts (Arm SMMUv3 architecture specification,
// sections 5.2-5.4, 4, 6.3, 7.3 and 8).
// Pointer fields use the architectural widths ([55:x]).

#ifndef SVAC_MODELS_SMMUV3_REGS_H
#define SVAC_MODELS_SMMUV3_REGS_H

#include <bit>
#include <cstdint>

namespace arm_smmu {

constexpr uint64_t bit(unsigned n) {
    return uint64_t{1} << n;
}
constexpr uint64_t genmask(unsigned h, unsigned l) {
    return (~uint64_t{0} >> (63 - h)) & (~uint64_t{0} << l);
}
constexpr uint64_t field_prep(uint64_t mask, uint64_t val) {
    return (val << std::countr_zero(mask)) & mask;
}
constexpr uint64_t field_get(uint64_t mask, uint64_t reg) {
    return (reg & mask) >> std::countr_zero(mask);
}

// --- registers ---
constexpr uint32_t ARM_SMMU_CR0 = 0x20;
constexpr uint64_t CR0_SMMUEN = bit(0);
constexpr uint64_t CR0_PRIQEN = bit(1);
constexpr uint64_t CR0_EVTQEN = bit(2);

constexpr uint32_t ARM_SMMU_STRTAB_BASE = 0x80;
constexpr uint64_t STRTAB_BASE_RA = bit(62);
constexpr uint64_t STRTAB_BASE_ADDR_MASK = genmask(51, 6);

constexpr uint32_t ARM_SMMU_STRTAB_BASE_CFG = 0x88;
constexpr uint64_t STRTAB_BASE_CFG_FMT = genmask(17, 16);
constexpr uint64_t STRTAB_BASE_CFG_FMT_LINEAR = 0;
constexpr uint64_t STRTAB_BASE_CFG_FMT_2LVL = 1;
constexpr uint64_t STRTAB_BASE_CFG_SPLIT = genmask(10, 6);
constexpr uint64_t STRTAB_BASE_CFG_LOG2SIZE = genmask(5, 0);

// Output queues (SMMU 6.3): PROD and CONS live in register page 1.
constexpr uint32_t ARM_SMMU_EVTQ_BASE = 0xa0;
constexpr uint32_t ARM_SMMU_EVTQ_PROD = 0x100a8;
constexpr uint32_t ARM_SMMU_EVTQ_CONS = 0x100ac;
constexpr uint32_t ARM_SMMU_PRIQ_BASE = 0xc0;
constexpr uint32_t ARM_SMMU_PRIQ_PROD = 0x100c8;
constexpr uint32_t ARM_SMMU_PRIQ_CONS = 0x100cc;
constexpr uint64_t Q_BASE_ADDR_MASK = genmask(51, 5);
constexpr uint64_t Q_BASE_LOG2SIZE = genmask(4, 0);
constexpr uint64_t Q_OVERFLOW_FLAG = bit(31); // PROD.OVFLG, CONS.OVACKFLG

// --- event queue: 4 qwords per record ---
constexpr unsigned EVTQ_ENT_DWORDS = 4;
constexpr unsigned EVTQ_MAX_SZ_SHIFT = 5;

constexpr uint64_t EVTQ_0_ID = genmask(7, 0);
constexpr uint64_t EVTQ_0_SSV = bit(11);
constexpr uint64_t EVTQ_0_SSID = genmask(31, 12);
constexpr uint64_t EVTQ_0_SID = genmask(63, 32);
constexpr uint64_t EVTQ_1_STAG = genmask(15, 0);
constexpr uint64_t EVTQ_1_STALL = bit(31);
constexpr uint64_t EVTQ_1_PnU = bit(33);
constexpr uint64_t EVTQ_1_InD = bit(34);
constexpr uint64_t EVTQ_1_RnW = bit(35);
constexpr uint64_t EVTQ_1_S2 = bit(39);
constexpr unsigned EVTQ_2_ADDR = 2; // qword index: InputAddr [63:0]

constexpr uint64_t EVT_ID_TRANSLATION_FAULT = 0x10;
constexpr uint64_t EVT_ID_ADDR_SIZE_FAULT = 0x11;
constexpr uint64_t EVT_ID_ACCESS_FAULT = 0x12;
constexpr uint64_t EVT_ID_PERMISSION_FAULT = 0x13;

// --- PRI queue: 2 qwords per entry ---
constexpr unsigned PRIQ_ENT_DWORDS = 2;
constexpr unsigned PRIQ_MAX_SZ_SHIFT = 5;

constexpr uint64_t PRIQ_0_SID = genmask(31, 0);
constexpr uint64_t PRIQ_0_SSID = genmask(51, 32);
constexpr uint64_t PRIQ_0_PERM_PRIV = bit(58);
constexpr uint64_t PRIQ_0_PERM_EXEC = bit(59);
constexpr uint64_t PRIQ_0_PERM_READ = bit(60);
constexpr uint64_t PRIQ_0_PERM_WRITE = bit(61);
constexpr uint64_t PRIQ_0_PRG_LAST = bit(62);
constexpr uint64_t PRIQ_0_SSID_V = bit(63);
constexpr uint64_t PRIQ_1_PRG_IDX = genmask(8, 0);
constexpr uint64_t PRIQ_1_ADDR_MASK = genmask(63, 12);

// --- Stream Table Entry: 8 qwords ---
constexpr unsigned STRTAB_STE_DWORDS = 8;
constexpr uint64_t STRTAB_STE_SIZE = STRTAB_STE_DWORDS * 8;

constexpr uint64_t STRTAB_STE_0_V = bit(0);
constexpr uint64_t STRTAB_STE_0_CFG = genmask(3, 1);
constexpr uint64_t STRTAB_STE_0_CFG_ABORT = 0;
constexpr uint64_t STRTAB_STE_0_CFG_BYPASS = 4;
constexpr uint64_t STRTAB_STE_0_CFG_S1_TRANS = 5;
constexpr uint64_t STRTAB_STE_0_CFG_S2_TRANS = 6;
constexpr uint64_t STRTAB_STE_0_CFG_NESTED = 7;
constexpr uint64_t STRTAB_STE_0_S1FMT = genmask(5, 4);
constexpr uint64_t STRTAB_STE_0_S1FMT_LINEAR = 0;
constexpr uint64_t STRTAB_STE_0_S1FMT_64K_L2 = 2;
constexpr uint64_t STRTAB_STE_0_S1CTXPTR_MASK = genmask(55, 6);
constexpr uint64_t STRTAB_STE_0_S1CDMAX = genmask(63, 59);

constexpr uint64_t STRTAB_STE_1_S1DSS = genmask(1, 0);
constexpr uint64_t STRTAB_STE_1_S1DSS_TERMINATE = 0;
constexpr uint64_t STRTAB_STE_1_S1DSS_BYPASS = 1;
constexpr uint64_t STRTAB_STE_1_S1DSS_SSID0 = 2;
constexpr uint64_t STRTAB_STE_1_S1CIR = genmask(3, 2);
constexpr uint64_t STRTAB_STE_1_S1COR = genmask(5, 4);
constexpr uint64_t STRTAB_STE_1_S1CSH = genmask(7, 6);
constexpr uint64_t STRTAB_STE_1_S1C_CACHE_WBRA = 1;
constexpr uint64_t STRTAB_STE_1_S1C_SH_ISH = 3;
constexpr uint64_t STRTAB_STE_1_MEV = bit(19);
constexpr uint64_t STRTAB_STE_1_S2FWB = bit(25);
constexpr uint64_t STRTAB_STE_1_S1STALLD = bit(27);
constexpr uint64_t STRTAB_STE_1_EATS = genmask(29, 28);
constexpr uint64_t STRTAB_STE_1_EATS_ABT = 0;
constexpr uint64_t STRTAB_STE_1_EATS_TRANS = 1;
constexpr uint64_t STRTAB_STE_1_STRW = genmask(31, 30);
constexpr uint64_t STRTAB_STE_1_STRW_NSEL1 = 0;
constexpr uint64_t STRTAB_STE_1_SHCFG = genmask(45, 44);

constexpr uint64_t STRTAB_STE_2_S2VMID = genmask(15, 0);
constexpr uint64_t STRTAB_STE_2_VTCR = genmask(50, 32);
constexpr uint64_t STRTAB_STE_2_S2AA64 = bit(51);
constexpr uint64_t STRTAB_STE_2_S2ENDI = bit(52);
constexpr uint64_t STRTAB_STE_2_S2PTW = bit(54);
constexpr uint64_t STRTAB_STE_2_S2S = bit(57);
constexpr uint64_t STRTAB_STE_2_S2R = bit(58);

constexpr uint64_t STRTAB_STE_3_S2TTB_MASK = genmask(55, 4);

// --- CD tables ---
constexpr unsigned CTXDESC_CD_DWORDS = 8;
constexpr uint64_t CTXDESC_CD_SIZE = CTXDESC_CD_DWORDS * 8;
constexpr unsigned CTXDESC_SPLIT = 10;
constexpr uint32_t CTXDESC_L2_ENTRIES = 1u << CTXDESC_SPLIT;
constexpr uint64_t CTXDESC_L2_SIZE = CTXDESC_L2_ENTRIES * CTXDESC_CD_SIZE; // 64 KiB leaves
constexpr unsigned CTXDESC_LINEAR_CDMAX = 10;
constexpr uint64_t CTXDESC_L1_DESC_SIZE = 8;
constexpr uint64_t CTXDESC_L1_DESC_V = bit(0);
constexpr uint64_t CTXDESC_L1_DESC_L2PTR_MASK = genmask(55, 12);

// --- Context Descriptor: 8 qwords ---
constexpr uint64_t CTXDESC_CD_0_TCR_T0SZ = genmask(5, 0);
constexpr uint64_t CTXDESC_CD_0_TCR_TG0 = genmask(7, 6);
constexpr uint64_t CTXDESC_CD_0_TCR_IRGN0 = genmask(9, 8);
constexpr uint64_t CTXDESC_CD_0_TCR_ORGN0 = genmask(11, 10);
constexpr uint64_t CTXDESC_CD_0_TCR_SH0 = genmask(13, 12);
constexpr uint64_t CTXDESC_CD_0_TCR_EPD0 = bit(14);
constexpr uint64_t CTXDESC_CD_0_TCR_EPD1 = bit(30);
constexpr uint64_t CTXDESC_CD_0_V = bit(31);
constexpr uint64_t CTXDESC_CD_0_TCR_IPS = genmask(34, 32);
constexpr uint64_t CTXDESC_CD_0_AA64 = bit(41);
constexpr uint64_t CTXDESC_CD_0_S = bit(44);
constexpr uint64_t CTXDESC_CD_0_R = bit(45);
constexpr uint64_t CTXDESC_CD_0_A = bit(46);
constexpr uint64_t CTXDESC_CD_0_ASET = bit(47);
constexpr uint64_t CTXDESC_CD_0_ASID = genmask(63, 48);
// The TTB0 walk controls, ignored while EPD0 is set.
constexpr uint64_t CTXDESC_CD_0_TCR0 = CTXDESC_CD_0_TCR_T0SZ | CTXDESC_CD_0_TCR_TG0 |
                                       CTXDESC_CD_0_TCR_IRGN0 | CTXDESC_CD_0_TCR_ORGN0 |
                                       CTXDESC_CD_0_TCR_SH0;

constexpr uint64_t CTXDESC_CD_1_TTB0_MASK = genmask(55, 4);
constexpr unsigned CTXDESC_CD_3_MAIR = 3; // qword index: MAIR0 [31:0], MAIR1 [63:32]

constexpr uint64_t ARM_LPAE_TCR_TG0_4K = 0;
constexpr uint64_t ARM_LPAE_TCR_RGN_WBWA = 1;
constexpr uint64_t ARM_LPAE_TCR_SH_IS = 3;

// --- command queue: 2 qwords per command ---
constexpr unsigned CMDQ_ENT_DWORDS = 2;

constexpr uint64_t CMDQ_0_OP = genmask(7, 0);
constexpr uint64_t CMDQ_0_SSV = bit(11);

constexpr uint64_t CMDQ_OP_CFGI_STE = 0x03;
constexpr uint64_t CMDQ_OP_CFGI_ALL = 0x04;
constexpr uint64_t CMDQ_OP_CFGI_CD = 0x05;
constexpr uint64_t CMDQ_OP_CFGI_CD_ALL = 0x06;
constexpr uint64_t CMDQ_OP_TLBI_NH_ASID = 0x11;
constexpr uint64_t CMDQ_OP_TLBI_NH_VA = 0x12;
constexpr uint64_t CMDQ_OP_ATC_INV = 0x40;
constexpr uint64_t CMDQ_OP_PRI_RESP = 0x41;
constexpr uint64_t CMDQ_OP_RESUME = 0x44;
constexpr uint64_t CMDQ_OP_CMD_SYNC = 0x46;

constexpr uint64_t CMDQ_CFGI_0_SSID = genmask(31, 12);
constexpr uint64_t CMDQ_CFGI_0_SID = genmask(63, 32);
constexpr uint64_t CMDQ_CFGI_1_LEAF = bit(0);
constexpr uint64_t CMDQ_CFGI_1_RANGE = genmask(4, 0);

constexpr uint64_t CMDQ_TLBI_0_VMID = genmask(47, 32);
constexpr uint64_t CMDQ_TLBI_0_ASID = genmask(63, 48);
constexpr uint64_t CMDQ_TLBI_1_LEAF = bit(0);
constexpr uint64_t CMDQ_TLBI_1_VA_MASK = genmask(63, 12);

constexpr uint64_t CMDQ_ATC_0_GLOBAL = bit(9);
constexpr uint64_t CMDQ_ATC_0_SSID = genmask(31, 12);
constexpr uint64_t CMDQ_ATC_0_SID = genmask(63, 32);
constexpr uint64_t CMDQ_ATC_1_SIZE = genmask(5, 0);
constexpr uint64_t CMDQ_ATC_1_ADDR_MASK = genmask(63, 12);
constexpr uint64_t ATC_INV_SIZE_ALL = 52;

// CMD_PRI_RESP (SMMU 4.5.2): Resp 0b00 ResponseFailure, 0b01 InvalidRequest,
// 0b10 Success; 0b11 is ILLEGAL.
constexpr uint64_t CMDQ_PRI_0_SSID = genmask(31, 12);
constexpr uint64_t CMDQ_PRI_0_SID = genmask(63, 32);
constexpr uint64_t CMDQ_PRI_1_GRPID = genmask(8, 0);
constexpr uint64_t CMDQ_PRI_1_RESP = genmask(13, 12);
constexpr uint64_t PRI_RESP_DENY = 0; // ResponseFailure
constexpr uint64_t PRI_RESP_FAIL = 1; // InvalidRequest
constexpr uint64_t PRI_RESP_SUCC = 2; // Success

// CMD_RESUME (SMMU 4.7.1): Resp bit 12 retries, bit 13 aborts a termination.
constexpr uint64_t CMDQ_RESUME_0_RESP = genmask(13, 12);
constexpr uint64_t CMDQ_RESUME_0_RESP_TERM = 0;
constexpr uint64_t CMDQ_RESUME_0_RESP_RETRY = 1;
constexpr uint64_t CMDQ_RESUME_0_RESP_ABORT = 2;
constexpr uint64_t CMDQ_RESUME_0_SID = genmask(63, 32);
constexpr uint64_t CMDQ_RESUME_1_STAG = genmask(15, 0);

constexpr uint64_t CMDQ_SYNC_0_CS = genmask(13, 12);
constexpr uint64_t CMDQ_SYNC_0_CS_SEV = 2;

} // namespace arm_smmu

#endif // SVAC_MODELS_SMMUV3_REGS_H
