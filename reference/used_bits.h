// The bits of an SMMUv3 STE or CD the hardware reads, the STE bits that may
// change in place, and the qword diff of the hitless algorithm
// (Linux arm_smmu_get_ste_used, arm_smmu_write_entry), written once and generic over the word type
// like the codec: the hitless judge (reference/hitless.cpp) executes them on
// uint64_t, the formal checks (properties/formal) encode them for Z3.
#pragma once

#include "reference/codec.h"
#include "reference/smmuv3_format.h"

#include <array>
#include <cstdint>

namespace svac::ref::used {

template <typename W> using Qwords = std::array<W, 8>;

template <typename W> typename WordOps<W>::boolean ste_valid(const W *e) {
    return get(e, smmuv3::ste::V) != WordOps<W>::constant(e[0], 0);
}

template <typename W> typename WordOps<W>::boolean cd_valid(const W *e) {
    return get(e, smmuv3::cd::V) != WordOps<W>::constant(e[0], 0);
}

template <typename W> Qwords<W> ste(const W *e) {
    namespace ste = smmuv3::ste;
    using O = WordOps<W>;
    auto k = [&](uint64_t v) { return O::constant(e[0], v); };
    auto when = [&](const typename O::boolean &c, uint64_t m) { return O::select(c, k(m), k(0)); };
    const auto valid = ste_valid(e);
    const W config = get(e, ste::Config);
    // Config 0b0xx (abort, and the reserved values that behave as abort)
    // uses V and Config only; the stage bits count for 0b1xx.
    const auto s1 = valid && (config & k(5)) == k(5);
    const auto s2 = valid && (config & k(6)) == k(6);
    const auto bypass = valid && config == k(ste::CONFIG_BYPASS);
    const auto dss_bypass = s1 && get(e, ste::S1DSS) == k(ste::S1DSS_BYPASS);
    Qwords<W> u;
    u.fill(k(0));
    u[0] = k(ste::V.mask()) | when(valid, ste::Config.mask()) |
           when(s1, ste::S1Fmt.mask() | ste::S1ContextPtr.mask() | ste::S1CDMax.mask());
    u[1] =
        when(s1, ste::S1DSS.mask() | ste::S1CIR.mask() | ste::S1COR.mask() | ste::S1CSH.mask() |
                     ste::S1STALLD.mask() | ste::STRW.mask() | ste::EATS.mask() | ste::MEV.mask()) |
        when(dss_bypass, ste::SHCFG.mask()) |
        when(s2, ste::S2FWB.mask() | ste::EATS.mask() | ste::SHCFG.mask() | ste::MEV.mask()) |
        when(bypass, ste::SHCFG.mask());
    u[2] = when(s1, ste::S2VMID.mask()) |
           when(s2, ste::S2VMID.mask() | ste::S2T0SZ.mask() | ste::S2SL0.mask() |
                        ste::S2IR0.mask() | ste::S2OR0.mask() | ste::S2SH0.mask() |
                        ste::S2TG.mask() | ste::S2PS.mask() | ste::S2AA64.mask() |
                        ste::S2ENDI.mask() | ste::S2PTW.mask() | ste::S2S.mask() | ste::S2R.mask());
    u[3] = when(s2, ste::S2TTB.mask());
    return u;
}

template <typename W> Qwords<W> cd(const W *e) {
    namespace cd = smmuv3::cd;
    using O = WordOps<W>;
    auto k = [&](uint64_t v) { return O::constant(e[0], v); };
    auto when = [&](const typename O::boolean &c, uint64_t m) { return O::select(c, k(m), k(0)); };
    const auto valid = cd_valid(e);
    const auto epd0 = valid && get(e, cd::EPD0) != k(0);
    Qwords<W> u;
    u.fill(when(valid, ~uint64_t{0}));
    u[0] = O::select(valid,
                     ~when(epd0, cd::T0SZ.mask() | cd::TG0.mask() | cd::IR0.mask() |
                                     cd::OR0.mask() | cd::SH0.mask()),
                     k(cd::V.mask()));
    u[1] = u[1] & ~when(epd0, cd::TTB0.mask());
    return u;
}

// STE bits that may change in place although both ends use them: MEV, and
// EATS_TRANS unless an end has EATS_S1CHK or S2S (an intermediate EATS=TRANS
// with S2S=1 is ILLEGAL).
template <typename W> Qwords<W> ste_update_safe(const W *cur, const W *target) {
    namespace ste = smmuv3::ste;
    using O = WordOps<W>;
    auto k = [&](uint64_t v) { return O::constant(cur[0], v); };
    auto blocks_eats = [&](const W *e) {
        return (get(e, ste::EATS) & k(ste::EATS_S1CHK)) != k(0) || get(e, ste::S2S) != k(0);
    };
    const auto eats_safe = !blocks_eats(cur) && !blocks_eats(target);
    Qwords<W> safe;
    safe.fill(k(0));
    safe[1] = k(ste::MEV.mask()) | O::select(eats_safe, k(ste::EATS_TRANS << ste::EATS.lo), k(0));
    Qwords<W> cu = used::ste(cur), tu = used::ste(target);
    for (unsigned i = 0; i < 8; ++i) safe[i] = safe[i] & cu[i] & tu[i];
    return safe;
}

// Whether qword i differs in bits target uses once the bits cur ignores
// (minus the safe ones) have taken their target values: `diff` of
// Linux arm_smmu_entry_qword_diff. n is the entry's size in qwords.
template <typename W>
std::array<typename WordOps<W>::boolean, 8>
qword_diff(const Qwords<W> &cur_used_in, const Qwords<W> &target_used, const Qwords<W> &safe,
           const W *cur, const W *target, unsigned n) {
    std::array<typename WordOps<W>::boolean, 8> diff{};
    for (unsigned i = 0; i < 8; ++i) diff[i] = WordOps<W>::literal(cur[0], false);
    for (unsigned i = 0; i < n; ++i) {
        W cur_used = cur_used_in[i] & ~safe[i];
        W unused_update = (cur[i] & cur_used) | (target[i] & ~cur_used);
        diff[i] = (unused_update & target_used[i]) != target[i];
    }
    return diff;
}

} // namespace svac::ref::used
