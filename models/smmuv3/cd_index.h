// SPDX-License-Identifier: MIT
//
// Where the SMMUv3 driver model puts the CD of an SSID: the CD table format
// and S1CDMax it chooses for a master's SSID width, and the slot of an SSID
// in a linear or 2-level table (Arm IHI 0070 5.2, 5.3). The slot functions are
// generic over the word type: uint32_t in the driver, a solver's bit-vector
// in the formal checks (properties/formal), which prove them in bounds and
// injective for every width.

#ifndef SVAC_MODELS_SMMUV3_CD_INDEX_H
#define SVAC_MODELS_SMMUV3_CD_INDEX_H

#include "models/smmuv3/smmuv3_regs.h"

#include <cstdint>

namespace arm_smmu {

struct arm_smmu_cd_table_layout {
    uint64_t s1fmt;       // STRTAB_STE_0_S1FMT_LINEAR or _64K_L2
    uint32_t s1cdmax;     // STE.S1CDMax: log2 of the CDs the SMMU may index
    uint64_t num_entries; // linear: CDs in the table; 2-level: L1 descriptors
};

// Linear iff the whole table fits CTXDESC_LINEAR_CDMAX (Linux
// arm_smmu_alloc_cd_tables); otherwise 64 KiB leaves of 1024 CDs.
constexpr arm_smmu_cd_table_layout arm_smmu_cd_layout(uint32_t ssid_bits) {
    if (ssid_bits <= CTXDESC_LINEAR_CDMAX)
        return {STRTAB_STE_0_S1FMT_LINEAR, ssid_bits, uint64_t{1} << ssid_bits};
    return {STRTAB_STE_0_S1FMT_64K_L2, ssid_bits, uint64_t{1} << (ssid_bits - CTXDESC_SPLIT)};
}

// Linear table: the CD index is the SSID itself.
template <typename W> constexpr W arm_smmu_cdtab_linear_idx(const W &ssid) {
    return ssid;
}
// 2-level table: the L1 descriptor, then the CD in its leaf.
template <typename W> constexpr W arm_smmu_cdtab_l1_idx(const W &ssid) {
    return ssid >> CTXDESC_SPLIT;
}
template <typename W> constexpr W arm_smmu_cdtab_l2_idx(const W &ssid) {
    return ssid & (CTXDESC_L2_ENTRIES - 1);
}

} // namespace arm_smmu

#endif // SVAC_MODELS_SMMUV3_CD_INDEX_H
