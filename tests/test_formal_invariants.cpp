// Check 5 of issue 7: the live-table invariants of reference/invariants.h,
// evaluated concretely (the table rules' evaluator) and encoded in Z3
// (properties/formal/invariants.cpp). Each proves on the kit's formulas and
// writer, and a broken table or formula set is a counterexample naming the
// formula.
#include "properties/formal/checks.h"
#include "reference/invariants.h"
#include "reference/smmuv3_format.h"
#include "reference/vtd_format.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using namespace svac::formal;
namespace ref = svac::ref;
namespace inv = svac::ref::inv;
namespace sm = svac::ref::smmuv3;
namespace vt = svac::ref::vtd;

const Options kOpt{30};

std::string all_lines(const CheckResult &r) {
    std::string s;
    for (const auto &l : r.counterexample) s += l + "\n";
    return s;
}

#define EXPECT_PROVED(r)                                                                           \
    EXPECT_EQ((r).verdict, Verdict::proved)                                                        \
        << (r).name << ": " << verdict_name((r).verdict) << " " << (r).reason << "\n"              \
        << all_lines(r)

// A valid SVA CD of an mm: ASID, TTB0.
std::vector<uint64_t> sva_cd(uint64_t asid, uint64_t ttb0) {
    std::vector<uint64_t> e(sm::cd::kFormat.qwords, 0);
    ref::set(e.data(), sm::cd::V, 1);
    ref::set(e.data(), sm::cd::AA64, 1);
    ref::set(e.data(), sm::cd::EPD1, 1);
    ref::set(e.data(), sm::cd::ASID, asid);
    e[sm::cd::TTB0.qword] |= ttb0 & sm::cd::TTB0.mask();
    return e;
}

// A linear CD-table STE: S1CDMax, S1ContextPtr.
std::vector<uint64_t> cd_table_ste(uint64_t cdmax, uint64_t ptr) {
    std::vector<uint64_t> e(sm::ste::kFormat.qwords, 0);
    ref::set(e.data(), sm::ste::V, 1);
    ref::set(e.data(), sm::ste::Config, sm::ste::CONFIG_S1_TRANS);
    ref::set(e.data(), sm::ste::S1CDMax, cdmax);
    e[0] |= ptr & sm::ste::S1ContextPtr.mask();
    return e;
}

TEST(FormalInvariants, EveryFormulaHasANameAClauseAndText) {
    ASSERT_FALSE(inv::all_formulas().empty());
    for (const inv::Formula &f : inv::all_formulas()) {
        EXPECT_EQ(inv::find_formula(f.name), &f);
        EXPECT_FALSE(f.spec.empty()) << f.name;
        EXPECT_NE(inv::describe(f).find(f.name), std::string::npos);
        // formulas_of keeps a format's formulas together.
        bool listed = false;
        for (const inv::Formula &g : inv::formulas_of(*f.format)) listed = listed || &g == &f;
        EXPECT_TRUE(listed) << f.name;
    }
    for (const char *n :
         {"smmuv3.cd.asid-regime", "vtd.pde.ptr-distinct", "smmuv3.ste.reserved-zero",
          "smmuv3.ste.ctxptr-aligned-linear", "smmuv3.l1cd.l2ptr-aligned", "vtd.pasid.pgtt"})
        EXPECT_TRUE(inv::find_formula(n)) << n;
}

TEST(FormalInvariants, KitFormulaSetsAreConsistentAndEachMatters) {
    EXPECT_PROVED(
        check_invariant_set("invariants.smmuv3", "smmuv3", kit_invariants("smmuv3"), kOpt));
    EXPECT_PROVED(check_invariant_set("invariants.vtd", "vtd", kit_invariants("vtd"), kOpt));
}

TEST(FormalInvariants, DriverWriterKeepsThePerEntryFormulas) {
    EXPECT_PROVED(check_invariant_writer("invariants.smmuv3.writer", kit_invariants("smmuv3"),
                                         sva_transitions(), driver_planner, kOpt));
}

// A writer whose first step leaves a reserved bit set in a CD until the
// next step: a state the hardware can read breaks smmuv3.cd.reserved-zero.
TEST(FormalInvariants, WriterLeavingAReservedBitIsACounterexample) {
    unsigned q = 0;
    while (sm::cd::kFormat.reserved_mask(q) == 0) ++q;
    const uint64_t bit = sm::cd::kFormat.reserved_mask(q) & -sm::cd::kFormat.reserved_mask(q);
    auto broken = [q, bit](EntryKind k) -> Planner {
        Planner inner = driver_planner(k);
        if (k != EntryKind::cd) return inner;
        return [inner, q, bit](const Qwords &cur, const Qwords &tgt) {
            EntryPlan p = inner(cur, tgt);
            p.steps[0].entry[q] = p.steps[0].entry[q] | bit;
            return p;
        };
    };
    std::vector<Transition> ts;
    for (const Transition &t : sva_transitions())
        if (t.name == "cd.invalid-to-sva") ts.push_back(t);
    ASSERT_EQ(ts.size(), 1u);
    CheckResult r =
        check_invariant_writer("broken.writer", kit_invariants("smmuv3"), ts, broken, kOpt);
    ASSERT_EQ(r.verdict, Verdict::counterexample) << all_lines(r);
    EXPECT_NE(all_lines(r).find("smmuv3.cd.reserved-zero"), std::string::npos) << all_lines(r);
}

// Two valid CDs with one ASID over different page tables: the concrete
// evaluator and the solver both name smmuv3.cd.asid-regime.
TEST(FormalInvariants, DuplicateAsidTableIsACounterexample) {
    const auto a = sva_cd(5, 0x10000), b = sva_cd(5, 0x20000), c = sva_cd(6, 0x20000);
    auto breach = inv::check_pair(sm::cd::kFormat, a.data(), b.data());
    ASSERT_TRUE(breach);
    EXPECT_EQ(breach->formula->name, "smmuv3.cd.asid-regime");
    EXPECT_EQ(breach->formula->clause, ref::ClauseId::SMMU_ASID_1);
    EXPECT_NE(breach->message().find("TTB0 differs"), std::string::npos) << breach->message();
    EXPECT_FALSE(inv::check_pair(sm::cd::kFormat, a.data(), c.data()));
    EXPECT_FALSE(inv::check_pair(sm::cd::kFormat, b.data(), sva_cd(5, 0x20000).data()));

    CheckResult r = check_invariant_table("table.cd", sm::cd::kFormat, {a, c, b},
                                          kit_invariants("smmuv3"), kOpt);
    ASSERT_EQ(r.verdict, Verdict::counterexample) << all_lines(r);
    EXPECT_NE(all_lines(r).find("violates smmuv3.cd.asid-regime"), std::string::npos)
        << all_lines(r);
    EXPECT_NE(all_lines(r).find("ASID=5"), std::string::npos) << all_lines(r);
    EXPECT_PROVED(
        check_invariant_table("table.cd", sm::cd::kFormat, {a, c}, kit_invariants("smmuv3"), kOpt));
}

// Distinct PASID table pointers (VTD-PDE-1, I3).
TEST(FormalInvariants, AliasedPdeTableIsACounterexample) {
    const std::vector<uint64_t> p0{0x5000 | 1}, p1{0x6000 | 1}, p2{0x5000 | 1}, gone{0x5000};
    CheckResult r = check_invariant_table("table.pde", vt::pde::kFormat, {p0, p1, gone},
                                          kit_invariants("vtd"), kOpt);
    EXPECT_PROVED(r);
    r = check_invariant_table("table.pde", vt::pde::kFormat, {p0, p1, p2}, kit_invariants("vtd"),
                              kOpt);
    ASSERT_EQ(r.verdict, Verdict::counterexample);
    EXPECT_NE(all_lines(r).find("violates vtd.pde.ptr-distinct"), std::string::npos)
        << all_lines(r);
}

TEST(FormalInvariants, ReservedBitAndMisalignedPointerNameTheirFormula) {
    auto ok = cd_table_ste(4, 0x40000); // 16 CDs: 1 KiB aligned
    EXPECT_FALSE(inv::check_entry(sm::ste::kFormat, ok.data()));
    auto reserved = ok;
    reserved[0] |= uint64_t{1} << 56;
    auto b = inv::check_entry(sm::ste::kFormat, reserved.data());
    ASSERT_TRUE(b);
    EXPECT_EQ(b->formula->name, "smmuv3.ste.reserved-zero");
    EXPECT_NE(b->message().find("reserved q0=0x100000000000000"), std::string::npos)
        << b->message();
    auto misaligned = cd_table_ste(4, 0x40000 + 0x200);
    b = inv::check_entry(sm::ste::kFormat, misaligned.data());
    ASSERT_TRUE(b);
    EXPECT_EQ(b->formula->name, "smmuv3.ste.ctxptr-aligned-linear");
    CheckResult r = check_invariant_table("table.ste", sm::ste::kFormat, {ok, misaligned},
                                          kit_invariants("smmuv3"), kOpt);
    ASSERT_EQ(r.verdict, Verdict::counterexample);
    EXPECT_NE(all_lines(r).find("violates smmuv3.ste.ctxptr-aligned-linear"), std::string::npos)
        << all_lines(r);
    // A 64 KiB-leaf 2-level table: 2^(S1CDMax-10) L1 descriptors of 8 bytes.
    auto l2 = cd_table_ste(16, 0x80000 + 0x100); // needs 512 B alignment
    ref::set(l2.data(), sm::ste::S1Fmt, sm::ste::S1FMT_64K_L2);
    b = inv::check_entry(sm::ste::kFormat, l2.data());
    ASSERT_TRUE(b);
    EXPECT_EQ(b->formula->name, "smmuv3.ste.ctxptr-aligned-2level");
    l2[0] += 0x100;
    EXPECT_FALSE(inv::check_entry(sm::ste::kFormat, l2.data()));
}

// The formula-set check catches a formula that says nothing (implied by the
// layout: VT-d table pointers are 4 KiB aligned by construction) and one
// whose guard never holds.
TEST(FormalInvariants, RedundantOrVacuousFormulaIsReported) {
    static constexpr inv::Atom kPresent[] = {{inv::Test::eq, &vt::pde::P, 1}};
    static constexpr inv::Atom kNever[] = {{inv::Test::eq, &vt::pde::P, 1},
                                           {inv::Test::eq, &vt::pde::P, 0}};
    static const inv::Formula redundant{
        "vtd.pde.ptr-aligned", "G4",     ref::ClauseId::VTD_PDE_1,
        &vt::pde::kFormat,     kPresent, inv::Atom{inv::Test::aligned, &vt::pde::PTPTR, 12}};
    static const inv::Formula vacuous{
        "vtd.pde.never",   "G4",   ref::ClauseId::VTD_PDE_1,
        &vt::pde::kFormat, kNever, inv::Atom{inv::Test::ne, &vt::pde::PTPTR, 0}};
    for (const inv::Formula *extra : {&redundant, &vacuous}) {
        std::vector<const inv::Formula *> set = kit_invariants("vtd");
        set.push_back(extra);
        CheckResult r = check_invariant_set("broken.set", "vtd", set, kOpt);
        ASSERT_EQ(r.verdict, Verdict::counterexample) << extra->name;
        EXPECT_NE(all_lines(r).find(std::string(extra->name)), std::string::npos) << all_lines(r);
        EXPECT_NE(all_lines(r).find(extra == &redundant ? "redundant" : "vacuous"),
                  std::string::npos)
            << all_lines(r);
    }
}

} // namespace
