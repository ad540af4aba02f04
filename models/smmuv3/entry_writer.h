// SPDX-License-Identifier: MIT
//
// The SMMUv3 entry writer's plan: how to move an STE or a CD from its
// current value to a target one with 64-bit stores, so that the hardware,
// which may read the entry at any time, sees the old or the new
// configuration on the bits it uses, or an invalid entry only when no
// hitless sequence exists (Linux arm_smmu_write_entry).
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

// The writer is generic over its word type: uint64_t in the driver; a
// solver's bit-vector in the formal checks (properties/formal), which run
// this same code symbolically over every (current, target) pair. Branches
// on entry contents are therefore selects. entry_word_ops<W> supplies what
// the plain operators do not: constants, a boolean type and a select.
template <typename W> struct entry_word_ops;
template <> struct entry_word_ops<uint64_t> {
    using boolean = bool;
    static constexpr uint64_t constant(const uint64_t &, uint64_t v) { return v; }
    static constexpr bool literal(const uint64_t &, bool b) { return b; }
    static constexpr uint64_t select(bool c, uint64_t a, uint64_t b) { return c ? a : b; }
};

template <typename W> using entry_qwords_t = std::array<W, NUM_ENTRY_QWORDS>;
template <typename W> using entry_flags_t = std::array<typename entry_word_ops<W>::boolean, 8>;
using entry_qwords = entry_qwords_t<uint64_t>;
using entry_used_fn = entry_qwords (*)(const entry_qwords &);
using entry_safe_fn = entry_qwords (*)(const entry_qwords &, const entry_qwords &);

// The bits of an STE the SMMU reads, given the STE itself: V alone when
// invalid.
template <typename W>
constexpr entry_qwords_t<W> arm_smmu_get_ste_used(const entry_qwords_t<W> &ent) {
    using O = entry_word_ops<W>;
    auto k = [&](uint64_t v) { return O::constant(ent[0], v); };
    auto when = [&](const typename O::boolean &c, uint64_t m) { return O::select(c, k(m), k(0)); };
    auto get = [&](uint64_t mask, const W &reg) {
        return (reg & k(mask)) >> std::countr_zero(mask);
    };

    const auto valid = (ent[0] & k(STRTAB_STE_0_V)) != k(0);
    const W cfg = get(STRTAB_STE_0_CFG, ent[0]);
    // Config 0b0xx is abort or reserved, and a reserved value behaves as
    // abort (SMMU 5.2): it uses V and Config alone. Linux tests bit 0 and
    // bit 1 by themselves, which would count the stage 1 fields of the
    // reserved Config 1 and 3 as used where the SMMU reads none of them.
    const auto s1 = valid && (cfg & k(5)) == k(5); // stage 1 translates: 0b1x1
    const auto s2 = valid && (cfg & k(6)) == k(6); // stage 2 translates: 0b11x
    const auto s1dss_bypass = s1 && get(STRTAB_STE_1_S1DSS, ent[1]) == k(STRTAB_STE_1_S1DSS_BYPASS);
    const auto bypass = valid && cfg == k(STRTAB_STE_0_CFG_BYPASS);

    entry_qwords_t<W> used;
    used.fill(k(0));
    used[0] = k(STRTAB_STE_0_V) | when(valid, STRTAB_STE_0_CFG) |
              when(s1, STRTAB_STE_0_S1FMT | STRTAB_STE_0_S1CTXPTR_MASK | STRTAB_STE_0_S1CDMAX);
    used[1] =
        when(s1, STRTAB_STE_1_S1DSS | STRTAB_STE_1_S1CIR | STRTAB_STE_1_S1COR | STRTAB_STE_1_S1CSH |
                     STRTAB_STE_1_S1STALLD | STRTAB_STE_1_STRW | STRTAB_STE_1_EATS |
                     STRTAB_STE_1_MEV) |
        when(s1dss_bypass, STRTAB_STE_1_SHCFG) |
        when(s2, STRTAB_STE_1_S2FWB | STRTAB_STE_1_EATS | STRTAB_STE_1_SHCFG | STRTAB_STE_1_MEV) |
        when(bypass, STRTAB_STE_1_SHCFG);
    used[2] = when(s1, STRTAB_STE_2_S2VMID) |
              when(s2, STRTAB_STE_2_S2VMID | STRTAB_STE_2_VTCR | STRTAB_STE_2_S2AA64 |
                           STRTAB_STE_2_S2ENDI | STRTAB_STE_2_S2PTW | STRTAB_STE_2_S2S |
                           STRTAB_STE_2_S2R);
    used[3] = when(s2, STRTAB_STE_3_S2TTB_MASK);
    return used;
}

// The bits of a CD the SMMU reads: V alone when invalid, else everything
// but the TTB0 walk controls and TTB0 when EPD0 disables TTB0 walks.
template <typename W>
constexpr entry_qwords_t<W> arm_smmu_get_cd_used(const entry_qwords_t<W> &ent) {
    using O = entry_word_ops<W>;
    auto k = [&](uint64_t v) { return O::constant(ent[0], v); };
    auto when = [&](const typename O::boolean &c, uint64_t m) { return O::select(c, k(m), k(0)); };

    const auto valid = (ent[0] & k(CTXDESC_CD_0_V)) != k(0);
    const auto epd0 = valid && (ent[0] & k(CTXDESC_CD_0_TCR_EPD0)) != k(0);
    entry_qwords_t<W> used;
    used.fill(when(valid, ~uint64_t{0}));
    used[0] = O::select(valid, ~when(epd0, CTXDESC_CD_0_TCR0), k(CTXDESC_CD_0_V));
    used[1] = used[1] & ~when(epd0, CTXDESC_CD_1_TTB0_MASK);
    return used;
}

// The STE bits that may change in place although both the current and the
// target entry use them (arm_smmu_get_ste_update_safe in Linux's
// drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c, 2025): MEV,
// which only merges event records; and EATS_TRANS unless either end has the
// EATS_S1CHK bit or S2S, since an STE passing through EATS=TRANS with S2S=1
// is ILLEGAL (SMMU 5.2). The CD has no such bits.
template <typename W>
constexpr entry_qwords_t<W> arm_smmu_get_ste_update_safe(const entry_qwords_t<W> &cur,
                                                         const entry_qwords_t<W> &target) {
    using O = entry_word_ops<W>;
    auto k = [&](uint64_t v) { return O::constant(cur[0], v); };
    constexpr uint64_t eats_trans = STRTAB_STE_1_EATS_TRANS << std::countr_zero(STRTAB_STE_1_EATS);
    constexpr uint64_t eats_s1chk = STRTAB_STE_1_EATS & ~eats_trans;
    auto blocks_eats = [&](const entry_qwords_t<W> &e) {
        return (e[1] & k(eats_s1chk)) != k(0) || (e[2] & k(STRTAB_STE_2_S2S)) != k(0);
    };
    entry_qwords_t<W> safe;
    safe.fill(k(0));
    safe[1] = k(STRTAB_STE_1_MEV) |
              O::select(!blocks_eats(cur) && !blocks_eats(target), k(eats_trans), k(0));
    return safe;
}

template <typename W>
constexpr entry_qwords_t<W> arm_smmu_no_update_safe(const entry_qwords_t<W> &cur,
                                                    const entry_qwords_t<W> &) {
    entry_qwords_t<W> safe;
    safe.fill(entry_word_ops<W>::constant(cur[0], 0));
    return safe;
}

// One group of stores followed by one sync; a step that stores nothing has
// no sync.
template <typename W> struct entry_write_step_t {
    entry_flags_t<W> stored{}; // qword i is stored (ascending order)
    entry_qwords_t<W> entry{}; // the whole entry once the step's stores are done
};

template <typename W> struct entry_write_plan_t {
    entry_flags_t<W> diff{}; // qwords whose used bits cannot be updated in place
    typename entry_word_ops<W>::boolean breaking{}; // more than one: V=0 in between
    std::array<entry_write_step_t<W>, 3> steps{};
};

// Qwords that differ in bits the target uses once the bits the current
// entry ignores, and the update-safe bits both ends use, have taken their
// target values (arm_smmu_entry_qword_diff). unused_update gets those
// in-place values.
template <typename W, typename UsedFn, typename SafeFn>
constexpr entry_flags_t<W>
arm_smmu_entry_qword_diff(const UsedFn &get_used, const SafeFn &get_update_safe,
                          const entry_qwords_t<W> &cur, const entry_qwords_t<W> &target,
                          entry_qwords_t<W> &unused_update) {
    entry_qwords_t<W> cur_used = get_used(cur);
    entry_qwords_t<W> target_used = get_used(target);
    entry_qwords_t<W> safe = get_update_safe(cur, target);
    entry_flags_t<W> diff{};
    for (unsigned i = 0; i < NUM_ENTRY_QWORDS; i++) {
        // Safe bits count only where both ends use them; elsewhere the
        // entry that ignores them sequences them.
        safe[i] = safe[i] & target_used[i] & cur_used[i];
        cur_used[i] = cur_used[i] & ~safe[i];
        unused_update[i] = (cur[i] & cur_used[i]) | (target[i] & ~cur_used[i]);
        diff[i] = (unused_update[i] & target_used[i]) != target[i];
    }
    return diff;
}

// entry_set: the qwords in `which` take their values from want; only those
// that change are stored.
template <typename W>
constexpr void arm_smmu_plan_entry_set(entry_write_step_t<W> &step, entry_qwords_t<W> &cur,
                                       const entry_qwords_t<W> &want,
                                       const entry_flags_t<W> &which) {
    using O = entry_word_ops<W>;
    for (unsigned i = 0; i < NUM_ENTRY_QWORDS; i++) {
        step.stored[i] = which[i] && cur[i] != want[i];
        cur[i] = O::select(step.stored[i], want[i], cur[i]);
    }
    step.entry = cur;
}

// arm_smmu_write_entry's plan (Linux arm-smmu-v3.c), as three steps.
template <typename W, typename UsedFn, typename SafeFn>
constexpr entry_write_plan_t<W>
arm_smmu_plan_entry_write_t(const UsedFn &get_used, const SafeFn &get_update_safe,
                            const entry_qwords_t<W> &current, const entry_qwords_t<W> &target) {
    using O = entry_word_ops<W>;
    using B = typename O::boolean;
    auto lit = [&](bool b) { return O::literal(current[0], b); };
    entry_write_plan_t<W> plan;
    entry_qwords_t<W> cur = current;
    entry_qwords_t<W> unused_update = current;
    plan.diff = arm_smmu_entry_qword_diff<W>(get_used, get_update_safe, cur, target, unused_update);

    B any = lit(false), one = lit(false); // popcount(diff) >= 1, == 1
    for (unsigned i = 0; i < NUM_ENTRY_QWORDS; i++) {
        one = (one && !plan.diff[i]) || (!any && plan.diff[i]);
        any = any || plan.diff[i];
    }
    const B hitless = one;
    plan.breaking = any && !one;

    entry_qwords_t<W> want = target;
    entry_flags_t<W> which{};
    // Step 1. Hitless: fill the bits the entry ignores, leaving the one
    // critical qword alone. Breaking: no single store gets there, so q0
    // becomes 0 (V=0). No diff: only bits both entries ignore differ, so
    // the target at once.
    for (unsigned i = 0; i < NUM_ENTRY_QWORDS; i++) {
        want[i] = O::select(
            hitless, O::select(plan.diff[i], cur[i], unused_update[i]),
            O::select(plan.breaking, i == 0 ? O::constant(cur[i], 0) : cur[i], target[i]));
        which[i] = lit(i == 0) || !plan.breaking;
    }
    arm_smmu_plan_entry_set(plan.steps[0], cur, want, which);
    // Step 2. Hitless: the single store that flips the critical qword.
    // Breaking: q1..q7.
    for (unsigned i = 0; i < NUM_ENTRY_QWORDS; i++)
        which[i] = (hitless && plan.diff[i]) || (plan.breaking && lit(i != 0));
    arm_smmu_plan_entry_set(plan.steps[1], cur, target, which);
    // Step 3. Hitless: clear what is no longer used. Breaking: q0, V=1.
    for (unsigned i = 0; i < NUM_ENTRY_QWORDS; i++) which[i] = lit(i == 0) || !plan.breaking;
    arm_smmu_plan_entry_set(plan.steps[2], cur, target, which);
    return plan;
}

// The driver's plan: the steps that store something, in order.
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

constexpr uint8_t arm_smmu_qword_mask(const entry_flags_t<uint64_t> &flags) {
    uint8_t m = 0;
    for (unsigned i = 0; i < NUM_ENTRY_QWORDS; i++)
        if (flags[i]) m |= uint8_t(1u << i);
    return m;
}

constexpr entry_write_plan arm_smmu_plan_entry_write(entry_used_fn get_used,
                                                     entry_safe_fn get_update_safe,
                                                     const entry_qwords &current,
                                                     const entry_qwords &target) {
    entry_write_plan_t<uint64_t> p =
        arm_smmu_plan_entry_write_t<uint64_t>(get_used, get_update_safe, current, target);
    entry_write_plan plan;
    plan.diff = arm_smmu_qword_mask(p.diff);
    plan.breaking = p.breaking;
    for (const entry_write_step_t<uint64_t> &s : p.steps) {
        uint8_t stores = arm_smmu_qword_mask(s.stored);
        if (stores) plan.steps[plan.nr_steps++] = {stores, s.entry};
    }
    return plan;
}

constexpr entry_write_plan arm_smmu_plan_ste_write(const entry_qwords &cur,
                                                   const entry_qwords &target) {
    return arm_smmu_plan_entry_write(arm_smmu_get_ste_used<uint64_t>,
                                     arm_smmu_get_ste_update_safe<uint64_t>, cur, target);
}

constexpr entry_write_plan arm_smmu_plan_cd_write(const entry_qwords &cur,
                                                  const entry_qwords &target) {
    return arm_smmu_plan_entry_write(arm_smmu_get_cd_used<uint64_t>,
                                     arm_smmu_no_update_safe<uint64_t>, cur, target);
}

} // namespace arm_smmu

#endif // SVAC_MODELS_SMMUV3_ENTRY_WRITER_H
