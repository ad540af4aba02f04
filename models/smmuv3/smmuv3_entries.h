// SPDX-License-Identifier: MIT
//
// The STEs, CDs and L1 CD descriptors the SMMUv3 driver model builds
// (as Linux arm_smmu_make_cdtable_ste, arm_smmu_make_sva_cd build them). Pure and constexpr: every
// builder starts from zero and sets only bits its entry uses.

#ifndef SVAC_MODELS_SMMUV3_ENTRIES_H
#define SVAC_MODELS_SMMUV3_ENTRIES_H

#include "models/smmuv3/entry_writer.h"
#include "models/smmuv3/smmuv3_regs.h"

#include <cstdint>

namespace arm_smmu {

// Non-PASID traffic is identity.
constexpr entry_qwords arm_smmu_make_bypass_ste() {
    entry_qwords ste{};
    ste[0] = STRTAB_STE_0_V | field_prep(STRTAB_STE_0_CFG, STRTAB_STE_0_CFG_BYPASS);
    return ste;
}

// Stage 1 through the master's CD table; without a PASID the stream
// bypasses stage 1, so CD[0] is never used. S1STALLD as Linux sets it: on
// an SMMU with stalls (FEAT_STALLS), for every master that does not stall.
constexpr entry_qwords arm_smmu_make_cdtable_ste(uint64_t cdtab, uint64_t s1fmt, uint32_t s1cdmax,
                                                 bool ats, bool s1stalld) {
    entry_qwords ste{};
    ste[0] = STRTAB_STE_0_V | field_prep(STRTAB_STE_0_CFG, STRTAB_STE_0_CFG_S1_TRANS) |
             field_prep(STRTAB_STE_0_S1FMT, s1fmt) | (cdtab & STRTAB_STE_0_S1CTXPTR_MASK) |
             field_prep(STRTAB_STE_0_S1CDMAX, s1cdmax);
    ste[1] = field_prep(STRTAB_STE_1_S1DSS, STRTAB_STE_1_S1DSS_BYPASS) |
             field_prep(STRTAB_STE_1_S1CIR, STRTAB_STE_1_S1C_CACHE_WBRA) |
             field_prep(STRTAB_STE_1_S1COR, STRTAB_STE_1_S1C_CACHE_WBRA) |
             field_prep(STRTAB_STE_1_S1CSH, STRTAB_STE_1_S1C_SH_ISH) |
             field_prep(STRTAB_STE_1_EATS, ats ? STRTAB_STE_1_EATS_TRANS : STRTAB_STE_1_EATS_ABT) |
             field_prep(STRTAB_STE_1_STRW, STRTAB_STE_1_STRW_NSEL1) |
             (s1stalld ? STRTAB_STE_1_S1STALLD : 0);
    return ste;
}

constexpr uint64_t arm_smmu_make_l1_cd_desc(uint64_t l2) {
    return (l2 & CTXDESC_L1_DESC_L2PTR_MASK) | CTXDESC_L1_DESC_V;
}

// What an SVA CD is made of: the CPU side of the mm and the master's stall.
struct arm_smmu_sva_cd_cfg {
    uint16_t asid;
    uint64_t pgd;
    uint32_t va_bits;
    uint32_t pa_bits;
    uint64_t mair;
    bool stall;
};

// ID_AA64MMFR0_EL1.PARANGE encoding of a physical address size, rounded up.
constexpr uint64_t arm_smmu_ips(uint32_t pa_bits) {
    constexpr uint32_t sizes[] = {32, 36, 40, 42, 44, 48};
    for (uint64_t ips = 0; ips < 6; ips++)
        if (pa_bits <= sizes[ips]) return ips;
    return 6; // 52 bits
}

// The bits an SVA CD and its release CD share.
constexpr uint64_t arm_smmu_sva_cd_0_common(const arm_smmu_sva_cd_cfg &cfg) {
    return CTXDESC_CD_0_TCR_EPD1 | CTXDESC_CD_0_V |
           field_prep(CTXDESC_CD_0_TCR_IPS, arm_smmu_ips(cfg.pa_bits)) | CTXDESC_CD_0_AA64 |
           CTXDESC_CD_0_A | CTXDESC_CD_0_ASET | field_prep(CTXDESC_CD_0_ASID, cfg.asid);
}

constexpr entry_qwords arm_smmu_make_sva_cd(const arm_smmu_sva_cd_cfg &cfg) {
    entry_qwords cd{};
    cd[0] = arm_smmu_sva_cd_0_common(cfg) | field_prep(CTXDESC_CD_0_TCR_T0SZ, 64 - cfg.va_bits) |
            field_prep(CTXDESC_CD_0_TCR_TG0, ARM_LPAE_TCR_TG0_4K) |
            field_prep(CTXDESC_CD_0_TCR_IRGN0, ARM_LPAE_TCR_RGN_WBWA) |
            field_prep(CTXDESC_CD_0_TCR_ORGN0, ARM_LPAE_TCR_RGN_WBWA) |
            field_prep(CTXDESC_CD_0_TCR_SH0, ARM_LPAE_TCR_SH_IS) | CTXDESC_CD_0_R |
            (cfg.stall ? CTXDESC_CD_0_S : 0);
    cd[1] = cfg.pgd & CTXDESC_CD_1_TTB0_MASK;
    cd[CTXDESC_CD_3_MAIR] = cfg.mair;
    return cd;
}

// The mm is gone: keep the CD valid, so DMA does not raise C_BAD_CD, but
// stop TTB0 walks and fault quietly (no stall, no record).
constexpr entry_qwords arm_smmu_make_sva_release_cd(const arm_smmu_sva_cd_cfg &cfg) {
    entry_qwords cd{};
    cd[0] = arm_smmu_sva_cd_0_common(cfg) | CTXDESC_CD_0_TCR_EPD0;
    cd[CTXDESC_CD_3_MAIR] = cfg.mair;
    return cd;
}

} // namespace arm_smmu

#endif // SVAC_MODELS_SMMUV3_ENTRIES_H
