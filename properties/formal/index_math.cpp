// Check 3: PASID index math (X1-X3 of docs/formal.md) of the bundled
// drivers' own index functions (models/smmuv3/cd_index.h,
// models/vtd/pasid_index.h), run on bit-vectors.
#include "models/smmuv3/cd_index.h"
#include "models/vtd/pasid_index.h"
#include "properties/formal/check_support.h"
#include "properties/formal/checks.h"
#include "properties/formal/word_ops.h"
#include "reference/vtd_format.h"

#include <fmt/format.h>

namespace svac::formal {

namespace {

constexpr uint32_t kMaxPasidBits = 20; // PCIe Max PASID Width (PASID capability)

// S1Fmt=2 (64 KiB leaves): the walk splits an SSID at bit 10 (Arm IHI 0070 5.3).
constexpr unsigned kHwCdSplit = 10;

} // namespace

SlotScheme smmuv3_cd_linear_scheme() {
    SlotScheme s;
    s.table = "linear CD table";
    s.slot = [](const Expr &p) {
        return std::pair{arm_smmu::arm_smmu_cdtab_linear_idx(p), p.constant(0)};
    };
    // S1Fmt=0: the CD at S1ContextPtr + 64 * SSID (Arm IHI 0070 5.2).
    s.hw_slot = [](const Expr &p) { return std::pair{p, p.constant(0)}; };
    s.applies = [](uint32_t w) {
        return arm_smmu::arm_smmu_cd_layout(w).s1fmt == arm_smmu::STRTAB_STE_0_S1FMT_LINEAR;
    };
    s.sizes = [](uint32_t w) {
        return std::pair{arm_smmu::arm_smmu_cd_layout(w).num_entries, uint64_t{1}};
    };
    s.hw_reach = [](uint32_t w) { return uint64_t{1} << arm_smmu::arm_smmu_cd_layout(w).s1cdmax; };
    s.hw_first_level = [](uint32_t w) {
        return uint64_t{1} << arm_smmu::arm_smmu_cd_layout(w).s1cdmax;
    };
    return s;
}

SlotScheme smmuv3_cd_2level_scheme() {
    SlotScheme s;
    s.table = "2-level CD table";
    s.slot = [](const Expr &p) {
        return std::pair{arm_smmu::arm_smmu_cdtab_l1_idx(p), arm_smmu::arm_smmu_cdtab_l2_idx(p)};
    };
    s.hw_slot = [](const Expr &p) {
        return std::pair{p.lshr(kHwCdSplit), p & ((uint64_t{1} << kHwCdSplit) - 1)};
    };
    s.applies = [](uint32_t w) {
        return arm_smmu::arm_smmu_cd_layout(w).s1fmt == arm_smmu::STRTAB_STE_0_S1FMT_64K_L2;
    };
    s.sizes = [](uint32_t w) {
        return std::pair{arm_smmu::arm_smmu_cd_layout(w).num_entries,
                         uint64_t{arm_smmu::CTXDESC_L2_ENTRIES}};
    };
    s.hw_reach = [](uint32_t w) { return uint64_t{1} << arm_smmu::arm_smmu_cd_layout(w).s1cdmax; };
    // The L1 table the walk may index: SSID[S1CDMax-1:10].
    s.hw_first_level = [](uint32_t w) {
        return uint64_t{1} << (arm_smmu::arm_smmu_cd_layout(w).s1cdmax - kHwCdSplit);
    };
    return s;
}

SlotScheme vtd_pasid_scheme() {
    SlotScheme s;
    s.table = "PASID directory/table";
    s.slot = [](const Expr &p) {
        return std::pair{vtd::intel_pasid_dir_index(p), vtd::intel_pasid_table_index(p)};
    };
    // The walk: PDE[pasid >> 6], then entry pasid & 63 (VT-d 9.5).
    s.hw_slot = [](const Expr &p) {
        return std::pair{p.lshr(ref::vtd::pde::kPasidShift),
                         p & (ref::vtd::pasid_entry::kPerTable - 1)};
    };
    s.applies = [](uint32_t) { return true; };
    s.sizes = [](uint32_t w) {
        return std::pair{uint64_t{vtd::pasid_dir_entries(w)},
                         uint64_t{ref::vtd::pasid_entry::kPerTable}};
    };
    // 2^(PDTS+7) directory entries of 64 PASIDs each.
    s.hw_first_level = [](uint32_t w) {
        return uint64_t{1} << (vtd::context_pdts(vtd::pasid_dir_entries(w)) + 7);
    };
    s.hw_reach = [](uint32_t w) {
        return (uint64_t{1} << (vtd::context_pdts(vtd::pasid_dir_entries(w)) + 7)) *
               ref::vtd::pasid_entry::kPerTable;
    };
    return s;
}

CheckResult check_index(const std::string &name, const std::string &format,
                        const std::vector<std::string> &clauses, const SlotScheme &scheme,
                        const Options &opt) {
    CheckResult r = start_check(
        name, format, clauses,
        "for every PASID width 1..20 and every [lo, hi] of the " + scheme.table +
            ": each slot in bounds and the one the hardware reads, distinct PASIDs in distinct "
            "slots, the limit the driver writes covering hi and no wider than the table");
    for (uint32_t w = 1; w <= kMaxPasidBits; ++w) {
        if (!scheme.applies(w)) continue;
        const auto [n1, n2] = scheme.sizes(w);
        const uint64_t reach = scheme.hw_reach(w), first = scheme.hw_first_level(w);
        Expr p = Expr::var(fresh_name("pasid"), 32), q = Expr::var(fresh_name("other"), 32);
        Expr lo = Expr::var(fresh_name("lo"), 32), hi = Expr::var(fresh_name("hi"), 32);
        std::vector<Expr> range = {lo.uge(1), lo.ule(hi), hi.ule((uint64_t{1} << w) - 1),
                                   lo.ule(p), p.ule(hi),  lo.ule(q),
                                   q.ule(hi)};
        auto [p1, p2] = scheme.slot(p);
        auto [q1, q2] = scheme.slot(q);
        auto [h1, h2] = scheme.hw_slot(p);
        Expr in_bounds = p1.zext(64).ult(n1) && p2.zext(64).ult(n2);
        Expr distinct = (p != q).implies(p1 != q1 || p2 != q2);
        Expr agrees = p1 == h1 && p2 == h2;
        Expr covers = hi.zext(64).ult(reach);
        Expr fits = Expr::boolean(first <= n1);
        Answer a = prove(in_bounds && distinct && agrees && covers && fits, opt.timeout_s, range);
        if (record(r, a)) continue;
        if (a.verdict == Verdict::counterexample) {
            const Model &m = a.model;
            auto v = [&](const Expr &e) { return m.value(e); };
            r.counterexample.push_back(fmt::format(
                "{}: PASID width {}, range [{:#x}, {:#x}]: table of {} x {} entries, hardware "
                "reach {:#x} PASIDs",
                scheme.table, w, v(lo), v(hi), n1, n2, reach));
            r.counterexample.push_back(
                fmt::format("pasid {:#x} -> slot ({:#x}, {:#x}); the hardware reads ({:#x}, {:#x})",
                            v(p), v(p1), v(p2), v(h1), v(h2)));
            if (!m.truth(in_bounds)) r.counterexample.push_back("the slot is out of bounds (X2)");
            if (!m.truth(distinct))
                r.counterexample.push_back(fmt::format(
                    "pasid {:#x} -> the same slot ({:#x}, {:#x}) (X1)", v(q), v(q1), v(q2)));
            if (!m.truth(agrees))
                r.counterexample.push_back(
                    "the driver's slot is not the one the hardware reads (X1)");
            if (!m.truth(covers))
                r.counterexample.push_back(
                    fmt::format("the limit written lets the hardware index {:#x} PASIDs, hi is "
                                "{:#x} (X2, X3)",
                                reach, v(hi)));
            if (first > n1)
                r.counterexample.push_back(fmt::format(
                    "the hardware may index {} first-level entries, the driver allocated {} (X3)",
                    first, n1));
        }
        return finish(r);
    }
    return finish(r);
}

} // namespace svac::formal
