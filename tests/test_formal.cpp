// The Z3 checks (properties/formal, issue 7): each proves on the kit's own
// code and finds a decoded counterexample on a deliberately broken variant.
#include "models/smmuv3/entry_writer.h"
#include "properties/formal/checks.h"
#include "reference/smmuv3_format.h"
#include "reference/vtd_format.h"
#include "support/cli_runner.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace {

using namespace svac::formal;
namespace ref = svac::ref;

const Options kOpt{30};

std::string all_lines(const CheckResult &r) {
    std::string s;
    for (const auto &l : r.counterexample) s += l + "\n";
    return s;
}

bool mentions(const CheckResult &r, const std::string &what) {
    return all_lines(r).find(what) != std::string::npos;
}

#define EXPECT_PROVED(r)                                                                           \
    EXPECT_EQ((r).verdict, Verdict::proved)                                                        \
        << (r).name << ": " << verdict_name((r).verdict) << " " << (r).reason << "\n"              \
        << all_lines(r)

// --- the SMT layer ---

TEST(FormalSmt, FourVerdictsAsValues) {
    Expr x = Expr::var("x", 8);
    EXPECT_EQ(prove((x & 0x0f) == (x & 0x0f), 5).verdict, Verdict::proved);
    Answer a = prove(x != 42, 5);
    ASSERT_EQ(a.verdict, Verdict::counterexample);
    EXPECT_EQ(a.model.value(x), 42u);
    // A bit-vector where a boolean belongs is an error, not a crash.
    EXPECT_EQ(prove(x, 5).verdict, Verdict::error);
    EXPECT_STREQ(verdict_name(Verdict::unknown), "unknown");
}

TEST(FormalSmt, CodecOnBitVectorsMatchesTheConcreteOne) {
    const ref::Field &f = ref::smmuv3::cd::ASID;
    std::vector<Expr> e(8, Expr::bv(0));
    ref::set<Expr>(e.data(), f, Expr::bv(0x1234));
    uint64_t concrete[8] = {};
    ref::set(concrete, f, 0x1234);
    EXPECT_EQ(e[0].as_uint(), concrete[0]);
    EXPECT_EQ(ref::get<Expr>(e.data(), f).as_uint(), 0x1234u);
}

// --- 1. layouts ---

TEST(FormalLayouts, BundledFormatsPartitionTheirEntries) {
    const std::vector<const ref::Format *> smmu(std::begin(ref::smmuv3::kAllFormats),
                                                std::end(ref::smmuv3::kAllFormats));
    EXPECT_PROVED(check_layouts("layout.smmuv3", "smmuv3", smmu, kOpt));
    const std::vector<const ref::Format *> vtd(std::begin(ref::vtd::kFormats),
                                               std::end(ref::vtd::kFormats));
    EXPECT_PROVED(check_layouts("layout.vtd", "vtd", vtd, kOpt));
}

TEST(FormalLayouts, OverlappingFieldIsACounterexample) {
    static constexpr ref::Field kFields[] = {{"A", 0, 0, 8}, {"B", 0, 4, 8}, {"C", 1, 0, 64}};
    static constexpr ref::Format kBroken{"broken.overlap", 2, kFields};
    const ref::Format *formats[] = {&kBroken};
    CheckResult r = check_layouts("layout.broken", "test", formats, kOpt);
    ASSERT_EQ(r.verdict, Verdict::counterexample) << all_lines(r);
    // The bit named is one of q0[7:4], both fields' names given.
    EXPECT_TRUE(mentions(r, "claimed by A, B")) << all_lines(r);
    bool in_overlap = false;
    for (int b = 4; b <= 7; ++b) in_overlap |= mentions(r, "q0[" + std::to_string(b) + "]");
    EXPECT_TRUE(in_overlap) << all_lines(r);
}

TEST(FormalLayouts, FieldPastTheEntryIsACounterexample) {
    static constexpr ref::Field kFields[] = {{"A", 0, 0, 8}, {"Far", 1, 0, 4}};
    static constexpr ref::Format kBroken{"broken.far", 1, kFields};
    const ref::Format *formats[] = {&kBroken};
    CheckResult r = check_layouts("layout.broken", "test", formats, kOpt);
    ASSERT_EQ(r.verdict, Verdict::counterexample);
    EXPECT_TRUE(mentions(r, "past the 1-qword entry but is claimed by Far")) << all_lines(r);
}

// --- 2. codecs ---

TEST(FormalCodecs, KitCodecRoundTrips) {
    const std::vector<const ref::Format *> fs = {
        &ref::smmuv3::ste::kFormat, &ref::smmuv3::cd::kFormat, &ref::vtd::pasid_entry::kFormat};
    EXPECT_PROVED(check_codecs("codec", "test", fs, kit_codec(), kOpt));
}

TEST(FormalCodecs, CodecThatDropsABitIsACounterexample) {
    Codec broken = kit_codec();
    // Decoding loses the top bit of ASID.
    broken.get = [](const Expr *e, const ref::Field &f) {
        Expr v = ref::get<Expr>(e, f);
        if (std::string_view(f.name) == "ASID") v = v & ((uint64_t{1} << (f.width - 1)) - 1);
        return v;
    };
    const ref::Format *fs[] = {&ref::smmuv3::cd::kFormat};
    CheckResult r = check_codecs("codec.broken", "test", fs, broken, kOpt);
    ASSERT_EQ(r.verdict, Verdict::counterexample);
    EXPECT_TRUE(mentions(r, "smmuv3.cd: field ASID encoded as 0x")) << all_lines(r);
    // The value named has bit 15 set; what comes back lacks it.
    const std::string &line = r.counterexample.at(0);
    auto hex_after = [&](const std::string &key) {
        return std::stoull(line.substr(line.find(key) + key.size()), nullptr, 16);
    };
    uint64_t v = hex_after("encoded as "), got = hex_after("decodes to ");
    EXPECT_NE(v & 0x8000, 0u) << line;
    EXPECT_EQ(got, v & 0x7fff) << line;
}

// --- 3. index math ---

TEST(FormalIndex, BundledDriversIndexEveryWidth) {
    EXPECT_PROVED(check_index("cd-linear", "smmuv3", {"X1"}, smmuv3_cd_linear_scheme(), kOpt));
    EXPECT_PROVED(check_index("cd-2level", "smmuv3", {"X1"}, smmuv3_cd_2level_scheme(), kOpt));
    EXPECT_PROVED(check_index("pasid", "vtd", {"X1"}, vtd_pasid_scheme(), kOpt));
}

TEST(FormalIndex, DirectoryIndexShiftedByFiveIsACounterexample) {
    SlotScheme broken = vtd_pasid_scheme();
    broken.slot = [](const Expr &p) { return std::pair{p >> 5, p & 63}; };
    CheckResult r = check_index("pasid.broken", "vtd", {"X1"}, broken, kOpt);
    ASSERT_EQ(r.verdict, Verdict::counterexample);
    EXPECT_TRUE(mentions(r, "not the one the hardware reads")) << all_lines(r);
    // The PASID named has bit 5 set, so >> 5 and >> 6 disagree.
    const std::string &line = r.counterexample.at(1);
    ASSERT_EQ(line.rfind("pasid 0x", 0), 0u) << line;
    uint64_t p = std::stoull(line.substr(6), nullptr, 16);
    EXPECT_NE(p >> 5, p >> 6) << line;
}

TEST(FormalIndex, TooFewL2EntriesIsACounterexample) {
    SlotScheme broken = smmuv3_cd_2level_scheme();
    broken.slot = [](const Expr &p) { return std::pair{p >> 9, p & 511}; }; // 32 KiB leaves
    CheckResult r = check_index("cd-2level.broken", "smmuv3", {"X1"}, broken, kOpt);
    ASSERT_EQ(r.verdict, Verdict::counterexample);
    EXPECT_TRUE(mentions(r, "2-level CD table: PASID width 1")) << all_lines(r);
}

// --- 4. hitless plans ---

const Transition &transition(const std::string &name) {
    static const std::vector<Transition> all = sva_transitions();
    auto it =
        std::find_if(all.begin(), all.end(), [&](const Transition &t) { return t.name == name; });
    if (it == all.end()) throw std::runtime_error("no transition " + name);
    return *it;
}

// Every transition class proves in FormalAll; these two on their own.
TEST(FormalHitless, DriverWriterIsHitless) {
    for (const char *name : {"cd.sva-to-release", "ste.bypass-to-cdtable"}) {
        const Transition &t = transition(name);
        EXPECT_PROVED(check_hitless(t.name, t, driver_planner(t.kind), kOpt));
    }
}

// The torn writer: every qword that differs, in ascending order, then one
// sync (q0, holding V, stored first).
Planner q0_first_writer() {
    return [](const Qwords &cur, const Qwords &tgt) {
        EntryPlan p;
        Qwords e = cur;
        for (unsigned i = 0; i < 8; ++i) {
            p.diff[i] = Expr::boolean(false);
            p.steps[0].stored[i] = cur[i] != tgt[i];
            e[i] = tgt[i];
        }
        p.breaking = Expr::boolean(false);
        p.steps[0].entry = e;
        for (unsigned s = 1; s < 3; ++s) {
            p.steps[s].entry = e;
            for (unsigned i = 0; i < 8; ++i) p.steps[s].stored[i] = Expr::boolean(false);
        }
        return p;
    };
}

TEST(FormalHitless, WriterStoringQ0FirstIsACounterexample) {
    CheckResult r =
        check_hitless("q0-first", transition("cd.invalid-to-sva"), q0_first_writer(), kOpt);
    ASSERT_EQ(r.verdict, Verdict::counterexample);
    // Decoded entries: the current one invalid, the target an SVA CD, and
    // the state after the q0 store valid with TTB0 or MAIR still the old.
    EXPECT_TRUE(mentions(r, "target  CD: ")) << all_lines(r);
    EXPECT_TRUE(mentions(r, "ASET=1")) << all_lines(r);
    EXPECT_TRUE(mentions(r, "after the store to q0 in step 1 the hardware reads: "))
        << all_lines(r);
    EXPECT_TRUE(mentions(r, "torn: valid, but neither entry on the bits it uses: "))
        << all_lines(r);
    EXPECT_TRUE(mentions(r, "(from current)")) << all_lines(r);
}

// A CD-table STE whose EATS (0 -> TRANS) or MEV changes together with
// S2VMID: two qwords differ, but the EATS_TRANS and MEV bits may change in
// place (Linux's 2025 arm_smmu_get_ste_update_safe), so the change is
// hitless: q1 in place, then q2 as the one critical store.
Transition safe_bit_change(uint64_t q1_target) {
    Transition t = transition("ste.sva-any");
    t.constraint = [q1_target](const Qwords &c, const Qwords &g) {
        std::vector<Expr> k = {c[0] == 0xb,      g[0] == 0xb, // V=1, Config=5 (S1 translate)
                               c[1] == 0,        g[1] == q1_target, c[2] != g[2],
                               c[2].ule(0xffff), g[2].ule(0xffff)}; // S2VMID
        for (unsigned i = 3; i < 8; ++i) {
            k.push_back(c[i] == 0);
            k.push_back(g[i] == 0);
        }
        return Expr::all(k);
    };
    return t;
}

TEST(FormalHitless, EatsOrMevChangeWithAnotherQwordIsHitless) {
    const uint64_t eats_trans = uint64_t{1} << 28, mev = uint64_t{1} << 19;
    EXPECT_PROVED(
        check_hitless("eats", safe_bit_change(eats_trans), driver_planner(EntryKind::ste), kOpt));
    EXPECT_PROVED(check_hitless("mev", safe_bit_change(mev), driver_planner(EntryKind::ste), kOpt));
}

// The same writer without its update-safe step (as before the 2025 fixes)
// goes through V=0 where it need not: the check says so.
TEST(FormalHitless, WriterWithoutUpdateSafeIsACounterexample) {
    Planner no_safe = [](const Qwords &cur, const Qwords &tgt) {
        return arm_smmu::arm_smmu_plan_entry_write_t<Expr>(
            [](const Qwords &e) { return arm_smmu::arm_smmu_get_ste_used<Expr>(e); },
            [](const Qwords &c, const Qwords &t) {
                return arm_smmu::arm_smmu_no_update_safe<Expr>(c, t);
            },
            cur, tgt);
    };
    CheckResult r = check_hitless("eats", safe_bit_change(uint64_t{1} << 28), no_safe, kOpt);
    ASSERT_EQ(r.verdict, Verdict::counterexample);
    EXPECT_TRUE(mentions(r, "planned as breaking")) << all_lines(r);
    EXPECT_TRUE(mentions(r, "a change that can be made hitless must be")) << all_lines(r);
}

TEST(FormalHitless, VtdPasidEntryPOrdering) {
    EXPECT_PROVED(check_pasid_setup("setup", driver_pasid_setup(), kOpt));
    EXPECT_PROVED(check_pasid_teardown("teardown", driver_pasid_teardown(false), kOpt));
    EXPECT_PROVED(check_pasid_teardown("teardown-fpd", driver_pasid_teardown(true), kOpt));
}

TEST(FormalHitless, VtdSetupStoringQ0FirstIsACounterexample) {
    PasidWriter p_first = [](const Expr &q0, const Expr &q1, const Expr &q2) {
        std::vector<PasidStore> v;
        for (const auto &s : vtd::intel_pasid_install_stores(q0, q1, q2, true))
            v.push_back({s.qword, s.value, s.stored});
        return v;
    };
    CheckResult r = check_pasid_setup("setup.p-first", p_first, kOpt);
    ASSERT_EQ(r.verdict, Verdict::counterexample);
    EXPECT_TRUE(mentions(r, "after store 1: P=1")) << all_lines(r);
    EXPECT_TRUE(mentions(r, "<- breaks I4")) << all_lines(r);
}

// --- all, and the command ---

TEST(FormalAll, EveryCheckProvesWithClausesAndJson) {
    std::vector<CheckResult> rs = run_checks("all", kOpt);
    ASSERT_GE(rs.size(), 20u);
    for (const CheckResult &r : rs) {
        EXPECT_PROVED(r);
        EXPECT_FALSE(r.clauses.empty()) << r.name;
        EXPECT_GE(r.queries, 1u) << r.name;
    }
    json j = results_json(rs, "all");
    EXPECT_EQ(j["verdict"], "proved");
    EXPECT_TRUE(j["checks"][0].contains("seconds"));
    EXPECT_FALSE(results_json(rs, "all", false)["checks"][0].contains("seconds"));
}

class FormalCli : public svac::test_support::CliTest {
protected:
    FormalCli() : CliTest("svac_formal_") {}
};

TEST_F(FormalCli, ProveExitStatuses) {
    auto ok = run("prove --format vtd");
    EXPECT_EQ(ok.status, 0) << ok.all();
    EXPECT_NE(ok.out.find("hitless.vtd.pasid-setup"), std::string::npos) << ok.out;
    EXPECT_NE(ok.out.find("checks proved in"), std::string::npos) << ok.out;

    auto js = run("prove --format vtd --json");
    ASSERT_EQ(js.status, 0) << js.all();
    json j = json::parse(js.out);
    EXPECT_EQ(j["verdict"], "proved");
    EXPECT_GT(j["checks"].size(), 3u);
    EXPECT_TRUE(j["checks"][0]["seconds"].is_number());

    EXPECT_EQ(run("prove --format arm").status, 2);
    // A timeout too short for the hardest checks: unknown, exit 3.
    auto slow = run("prove --format smmuv3 --timeout 0.001");
    EXPECT_EQ(slow.status, 3) << slow.all();
    EXPECT_NE(slow.out.find("unknown"), std::string::npos) << slow.out;
}

TEST_F(FormalCli, RunReportHasTheFormalSection) {
    auto r = run("run --driver vtd --sequences 3 --out A");
    ASSERT_EQ(r.status, 0) << r.all();
    json rep = json::parse(svac::test_support::read_file(dir_ / "A" / "report.json"));
    ASSERT_TRUE(rep.contains("formal")) << rep.dump(2);
    EXPECT_EQ(rep["formal"]["format"], "vtd");
    EXPECT_EQ(rep["formal"]["verdict"], "proved");
    EXPECT_FALSE(rep["formal"]["checks"].empty());
}

} // namespace
