// check-trace and the findings agree (README, "check-trace"): the trace of a
// finding, judged from its recorded outcomes alone, shows the same clause at
// the same op, or records a clause that a trace cannot show (the tables, the
// stores in order, the driver's process), which check-trace says instead of
// passing the trace as conformant.
#include "engine/campaign.h"
#include "engine/engine.h"
#include "engine/trace.h"
#include "models/registry.h"

#include "tests/support/cli_runner.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace {

using namespace svac;

// Every finding of every bundled mutant that a short seeded campaign finds.
struct Found {
    std::string mutant;
    engine::Finding finding;
};

void add_findings(std::vector<Found> &all, const models::BundledDriver &d,
                  const models::Mutant &m) {
    engine::CampaignConfig cfg;
    cfg.seed = 1;
    cfg.sequences = 400;
    cfg.profile = m.profile;
    engine::CampaignResult r = engine::run_campaign(*models::mutant_ops(d, m), cfg);
    for (const auto &[clause, f] : r.findings)
        all.push_back({std::string(d.name) + ":" + std::string(m.name), f});
}

std::vector<Found> mutant_findings() {
    std::vector<Found> all;
    for (const auto &d : models::bundled_drivers())
        for (const auto &m : d.mutants) add_findings(all, d, m);
    return all;
}

// The findings of one mutant, "DRIVER:MUTANT".
std::vector<Found> findings_of(std::string_view driver, std::string_view mutant) {
    std::vector<Found> all;
    const models::BundledDriver *d = models::find_bundled(driver);
    const models::Mutant *m = d ? models::find_mutant(*d, mutant) : nullptr;
    if (m) add_findings(all, *d, *m);
    return all;
}

TEST(CheckTraceAgrees, WithEveryFindingOfTheMutants) {
    std::set<std::string> judged, not_judged;
    for (const Found &x : mutant_findings()) {
        const engine::Finding &f = x.finding;
        const std::string id(ref::clause_id(f.clause));
        // Through the file format, as check-trace reads it.
        const engine::Trace t =
            engine::parse_trace(engine::print_trace(engine::finding_trace(f)), x.mutant);
        ASSERT_TRUE(t.finding) << x.mutant;
        EXPECT_EQ(t.finding->clause, f.clause) << x.mutant;
        EXPECT_EQ(t.finding->step, f.step) << x.mutant;
        engine::RunStats stats;
        const auto g = engine::check_recorded(t, stats);
        EXPECT_EQ(t.finding->judged_from, f.judged_from) << x.mutant;
        if (f.judged_from == engine::Evidence::outcomes) {
            judged.insert(id);
            ASSERT_TRUE(g) << x.mutant << ": " << id << " at step " << f.step
                           << " is not in the recorded outcomes";
            EXPECT_EQ(ref::clause_id(g->clause), id) << x.mutant << ": " << g->message;
            EXPECT_EQ(g->step, f.step) << x.mutant;
        } else {
            not_judged.insert(id);
            EXPECT_FALSE(g) << x.mutant << ": " << id << ", yet check_recorded finds "
                            << ref::clause_id(g->clause) << ": " << g->message;
        }
    }
    // Both kinds were exercised.
    EXPECT_GE(judged.size(), 5u);
    EXPECT_GE(not_judged.size(), 2u);
}

class CheckTraceCli : public test_support::CliTest {
protected:
    CheckTraceCli() : CliTest("svac_check_trace_") {}
    test_support::CliResult run(const std::string &args) {
        return test_support::run_cli(dir_, args);
    }
};

// A finding whose clause a trace cannot show: check-trace says which and why,
// and exits 2, not 0.
TEST_F(CheckTraceCli, SaysWhatItCannotJudge) {
    // A DID that is not the entry's: found from the commands issued (VTD-PE-4).
    std::optional<Found> table;
    for (Found &x : findings_of("vtd", "inv-wrong-did"))
        if (x.finding.judged_from != engine::Evidence::outcomes) {
            table = std::move(x);
            break;
        }
    ASSERT_TRUE(table);
    const std::string id(ref::clause_id(table->finding.clause));
    {
        std::ofstream out(dir_ / "finding.json");
        out << engine::print_trace(engine::finding_trace(table->finding));
    }
    test_support::CliResult r = run("check-trace finding.json");
    EXPECT_EQ(r.status, 2) << r.all();
    EXPECT_NE(r.out.find("not judged: the trace records a finding of " + id), std::string::npos)
        << r.all();
    EXPECT_NE(r.out.find("replay it with the driver"), std::string::npos) << r.all();
    // The same ops without the recorded finding: conformant on what a trace
    // records, and the output says what that leaves out.
    engine::Trace plain = table->finding.trace;
    {
        std::ofstream out(dir_ / "plain.json");
        out << engine::print_trace(plain);
    }
    r = run("check-trace plain.json");
    EXPECT_EQ(r.status, 0) << r.all();
    EXPECT_NE(r.out.find("need the driver"), std::string::npos) << r.all();
}

// A recorded finding names a known clause and one of the trace's ops.
TEST_F(CheckTraceCli, RecordedFindingIsChecked) {
    const std::string head =
        R"({"format": "sva-trace/1", "topology": {"iommus": [{"arch": "smmuv3"}], "devices": [{"iommu": 0, "pasid_bits": 8}], "mms": 1}, )";
    const std::string ops = R"("ops": [{"op": "has_feature", "dev": 0, "feat": "sva"}]})";
    for (const auto &[finding, place] : std::vector<std::pair<std::string, std::string>>{
             {R"({"clause": "NOPE-1", "step": 0})", "/finding/clause"},
             {R"({"clause": "HW-7", "step": 1})", "/finding/step"},
             {R"({"clause": "HW-7"})", "/finding"},
             {R"({"clause": "HW-7", "step": 0, "x": 1})", "/finding/x"}}) {
        {
            std::ofstream out(dir_ / "t.json");
            out << head << R"("finding": )" << finding << ", " << ops;
        }
        test_support::CliResult r = run("check-trace t.json");
        EXPECT_EQ(r.status, 2) << finding << "\n" << r.all();
        EXPECT_NE(r.err.find(place), std::string::npos) << finding << "\n" << r.all();
    }
}

} // namespace
