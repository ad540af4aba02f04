// SPDX-License-Identifier: MIT
//
// The SMMUv3 entry writer's plan: how to move an STE or a CD from its
// current value to a target one with 64-bit stores, so that the hardware,
// which may read the entry at any time, sees the old or the new
// configuration on the bits it uses, or an invalid entry only when no
// hitless sequence exists (table-formats.md 1.6 and 1.7).
//
// A pure function of (current, target): no platform, no memory, constexpr,
// so a checker can replay or enumerate it. Executing a plan means, for each
// step in order: store every qword in `stores` (ascending index, one 64-bit
// store each, value from `entry`), then issue the entry's sync once.

#ifndef SVAC_MODELS_SMMUV3_ENTRY_WRITER_H
#define SVAC_MODELS_SMMUV3_ENTRY_WRITER_H

#include "models/smmuv3/smmuv3_regs.h"

#include <array>
#include <bit>
#include <cstdint>

namespace arm_smmu {

constexpr unsigned NUM_ENTRY_QWORDS = 8;
using entry_qwords = std::array<uint64_t, NUM_ENTRY_QWORDS>;
using entry_used_fn = entry_qwords (*)(const entry_qwords &);

// The bits of an STE the SMMU reads, given the STE itself.
constexpr entry_qwords arm_smmu_get_ste_used(const entry_qwords &ent) {
    entry_qwords used{};
    used[0] = STRTAB_STE_0_V;
    if (!(ent[0] & STRTAB_STE_0_V)) return used;

    used[0] |= STRTAB_STE_0_CFG;
    uint64_t cfg = field_get(STRTAB_STE_0_CFG, ent[0]);
    if (cfg & 1) { // stage 1 translates
        used[0] |= STRTAB_STE_0_S1FMT | STRTAB_STE_0_S1CTXPTR_MASK | STRTAB_STE_0_S1CDMAX;
        used[1] |= STRTAB_STE_1_S1DSS | STRTAB_STE_1_S1CIR | STRTAB_STE_1_S1COR |
                   STRTAB_STE_1_S1CSH | STRTAB_STE_1_S1STALLD | STRTAB_STE_1_STRW |
                   STRTAB_STE_1_EATS | STRTAB_STE_1_MEV;
        used[2] |= STRTAB_STE_2_S2VMID;
        if (field_get(STRTAB_STE_1_S1DSS, ent[1]) == STRTAB_STE_1_S1DSS_BYPASS)
            used[1] |= STRTAB_STE_1_SHCFG;
    }
    if (cfg & 2) { // stage 2 translates
        used[1] |= STRTAB_STE_1_S2FWB | STRTAB_STE_1_EATS | STRTAB_STE_1_SHCFG | STRTAB_STE_1_MEV;
        used[2] |= STRTAB_STE_2_S2VMID | STRTAB_STE_2_VTCR | STRTAB_STE_2_S2AA64 |
                   STRTAB_STE_2_S2ENDI | STRTAB_STE_2_S2PTW | STRTAB_STE_2_S2S | STRTAB_STE_2_S2R;
        used[3] |= STRTAB_STE_3_S2TTB_MASK;
    }
    if (cfg == STRTAB_STE_0_CFG_BYPASS) used[1] |= STRTAB_STE_1_SHCFG;
    return used;
}

// The bits of a CD the SMMU reads: V alone when invalid, else everything
// but the TTB0 walk controls and TTB0 when EPD0 disables TTB0 walks.
constexpr entry_qwords arm_smmu_get_cd_used(const entry_qwords &ent) {
    entry_qwords used{};
    used[0] = CTXDESC_CD_0_V;
    if (!(ent[0] & CTXDESC_CD_0_V)) return used;

    used.fill(~uint64_t{0});
    if (ent[0] & CTXDESC_CD_0_TCR_EPD0) {
        used[0] &= ~CTXDESC_CD_0_TCR0;
        used[1] &= ~CTXDESC_CD_1_TTB0_MASK;
    }
    return used;
}

// One group of stores followed by one sync.
struct entry_write_step {
    uint8_t stores = 0;   // bit i: qword i is stored
    entry_qwords entry{}; // the whole entry once the step's stores are done
};

struct entry_write_plan {
    uint8_t diff = 0;      // qwords whose used bits cannot be updated in place
    bool breaking = false; // more than one such qword: V=0 in between
    uint8_t nr_steps = 0;  // steps that store anything: the number of syncs
    std::array<entry_write_step, 3> steps{};
};

// Qwords that differ in bits the target uses once the bits the current
// entry ignores have taken their target values (arm_smmu_entry_qword_diff).
// unused_update gets those in-place values.
constexpr uint8_t arm_smmu_entry_qword_diff(entry_used_fn get_used, const entry_qwords &cur,
                                            const entry_qwords &target,
                                            entry_qwords &unused_update) {
    entry_qwords cur_used = get_used(cur);
    entry_qwords target_used = get_used(target);
    uint8_t diff = 0;
    for (unsigned i = 0; i < NUM_ENTRY_QWORDS; i++) {
        unused_update[i] = (cur[i] & cur_used[i]) | (target[i] & ~cur_used[i]);
        if ((unused_update[i] & target_used[i]) != target[i]) diff |= uint8_t(1u << i);
    }
    return diff;
}

// entry_set: qwords [start, start + len) take their values from want; the
// step is kept only when a stored value differs from what is there.
constexpr void arm_smmu_plan_entry_set(entry_write_plan &plan, entry_qwords &cur,
                                       const entry_qwords &want, unsigned start, unsigned len) {
    entry_write_step step;
    for (unsigned i = start; i < start + len; i++) {
        if (cur[i] == want[i]) continue;
        cur[i] = want[i];
        step.stores |= uint8_t(1u << i);
    }
    if (!step.stores) return;
    step.entry = cur;
    plan.steps[plan.nr_steps++] = step;
}

constexpr entry_write_plan arm_smmu_plan_entry_write(entry_used_fn get_used,
                                                     const entry_qwords &current,
                                                     const entry_qwords &target) {
    entry_write_plan plan;
    entry_qwords cur = current;
    entry_qwords unused_update{};
    plan.diff = arm_smmu_entry_qword_diff(get_used, cur, target, unused_update);

    if (std::popcount(plan.diff) == 1) {
        // Hitless: fill the bits the entry ignores, flip the one critical
        // qword with a single store, then clear what is no longer used.
        unsigned critical = unsigned(std::countr_zero(plan.diff));
        unused_update[critical] = cur[critical];
        arm_smmu_plan_entry_set(plan, cur, unused_update, 0, NUM_ENTRY_QWORDS);
        arm_smmu_plan_entry_set(plan, cur, target, critical, 1);
        arm_smmu_plan_entry_set(plan, cur, target, 0, NUM_ENTRY_QWORDS);
    } else if (plan.diff) {
        // Breaking: no single store gets there, so pass through V=0.
        plan.breaking = true;
        unused_update[0] = 0;
        arm_smmu_plan_entry_set(plan, cur, unused_update, 0, 1);
        arm_smmu_plan_entry_set(plan, cur, target, 1, NUM_ENTRY_QWORDS - 1);
        arm_smmu_plan_entry_set(plan, cur, target, 0, 1);
    } else {
        // Only bits both entries ignore differ.
        arm_smmu_plan_entry_set(plan, cur, target, 0, NUM_ENTRY_QWORDS);
    }
    return plan;
}

constexpr entry_write_plan arm_smmu_plan_ste_write(const entry_qwords &cur,
                                                   const entry_qwords &target) {
    return arm_smmu_plan_entry_write(arm_smmu_get_ste_used, cur, target);
}

constexpr entry_write_plan arm_smmu_plan_cd_write(const entry_qwords &cur,
                                                  const entry_qwords &target) {
    return arm_smmu_plan_entry_write(arm_smmu_get_cd_used, cur, target);
}

} // namespace arm_smmu

#endif // SVAC_MODELS_SMMUV3_ENTRY_WRITER_H
