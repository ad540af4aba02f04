// Seeded-bug mutants of the bundled drivers (models/*/..._mutants.def): the
// registry, each mutant found by a bounded campaign under the clause it
// breaks or a symptom its entry lists, the unmutated drivers clean, and the
// command: `drivers --mutants`, `--mutant`, `mutants`.
#include "engine/campaign.h"
#include "engine/rng.h"
#include "models/registry.h"
#include "reference/clauses.h"
#include "tests/support/cli_runner.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

using namespace svac;
namespace fs = std::filesystem;

#if defined(__SANITIZE_ADDRESS__)
#define SVAC_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SVAC_TEST_ASAN 1
#endif
#endif
#ifndef SVAC_TEST_ASAN
#define SVAC_TEST_ASAN 0
#endif

namespace {

// Most mutants fall within milliseconds; the slowest (a stale ATC or IOTLB
// entry, which needs an ATS device, a DMA, a CPU change and a DMA again)
// within a fraction of a second. The budget is a cap, not the expected time.
constexpr double kBudgetS = SVAC_TEST_ASAN ? 60 : 10;
constexpr uint32_t kOps = 128; // as `sva-conform mutants` hunts
constexpr uint64_t kSeed = 1;
constexpr uint64_t kCleanSequences = SVAC_TEST_ASAN ? 1000 : 4000;

struct Case {
    const models::BundledDriver *driver;
    const models::Mutant *mutant;
};

void PrintTo(const Case &c, std::ostream *os) {
    *os << c.driver->name << ":" << c.mutant->name;
}

std::vector<Case> all_mutants() {
    std::vector<Case> v;
    for (const auto &d : models::bundled_drivers())
        for (const auto &m : d.mutants) v.push_back({&d, &m});
    return v;
}

std::vector<std::string> split(std::string_view list) {
    std::vector<std::string> v;
    while (!list.empty()) {
        std::size_t comma = list.find(',');
        v.emplace_back(list.substr(0, comma));
        list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    }
    return v;
}

std::string found_clauses(const engine::CampaignResult &r) {
    std::string s;
    for (const auto &[c, f] : r.findings) s += " " + std::string(ref::clause_id(c));
    return s;
}

// --- the registry ---

TEST(MutantRegistry, AtLeastFifteenPerDriverWithValidClauses) {
    for (const auto &d : models::bundled_drivers()) {
        EXPECT_GE(d.mutants.size(), 15u) << d.name;
        std::set<std::string_view> names;
        for (const auto &m : d.mutants) {
            EXPECT_TRUE(names.insert(m.name).second) << d.name << ": " << m.name << " twice";
            EXPECT_TRUE(ref::find_clause(m.clause)) << m.name << ": " << m.clause;
            for (const auto &s : split(m.symptoms))
                EXPECT_TRUE(ref::find_clause(s)) << m.name << ": symptom " << s;
            EXPECT_FALSE(m.description.empty()) << m.name;
            const svac_driver_ops *ops = models::mutant_ops(d, m);
            ASSERT_NE(ops, nullptr) << m.name;
            EXPECT_EQ(std::string(ops->name), std::string(d.name) + ":" + std::string(m.name));
            EXPECT_EQ(ops->abi_version, d.entry()->abi_version);
            EXPECT_NE(ops->create, d.entry()->create) << m.name;
            EXPECT_EQ(ops->bind_mm, d.entry()->bind_mm) << "the bug lives in the driver's code";
            EXPECT_EQ(models::find_mutant(d, m.name), &m);
        }
        EXPECT_EQ(models::find_mutant(d, "no-such-bug"), nullptr);
        EXPECT_EQ(d.mutant_entry("no-such-bug"), nullptr);
        EXPECT_EQ(d.mutant_entry(nullptr), nullptr);
    }
}

TEST(MutantRegistry, SpreadAcrossTheClauseGroups) {
    const std::vector<std::pair<std::string, std::vector<std::string>>> want = {
        {"smmuv3", {"FEAT", "PARAM", "BIND", "UNBIND", "MMEXIT", "PASID", "HW", "SMMU"}},
        {"vtd", {"FEAT", "PARAM", "BIND", "UNBIND", "MMEXIT", "PASID", "HW", "VTD"}},
    };
    for (const auto &[driver, groups] : want) {
        const models::BundledDriver *d = models::find_bundled(driver);
        ASSERT_NE(d, nullptr);
        std::set<std::string> have;
        for (const auto &m : d->mutants)
            have.emplace(ref::group_name(ref::clause(*ref::find_clause(m.clause)).group));
        for (const auto &g : groups) EXPECT_TRUE(have.count(g)) << driver << ": no " << g;
    }
}

// --- each mutant found ---

class MutantFound : public testing::TestWithParam<Case> {};

TEST_P(MutantFound, ByABoundedCampaign) {
    const auto [driver, mutant] = GetParam();
    const svac_driver_ops &ops = *models::mutant_ops(*driver, *mutant);
    const auto t0 = std::chrono::steady_clock::now();
    auto elapsed = [&] {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    };
    // Rounds of growing size, as `sva-conform mutants` runs them.
    engine::CampaignResult r;
    uint64_t sequences = 0;
    for (uint64_t round = 0; r.findings.empty() && elapsed() < kBudgetS; ++round) {
        engine::CampaignConfig cfg;
        cfg.seed = engine::Rng::derive(kSeed, round);
        cfg.ops = kOps;
        cfg.sequences = std::min<uint64_t>(uint64_t{16} << std::min<uint64_t>(round, 8), 4096);
        cfg.time_s = kBudgetS - elapsed();
        r = engine::run_campaign(ops, cfg);
        sequences += r.sequences;
        ASSERT_TRUE(r.errors.empty()) << ops.name << ": " << r.errors.front();
    }
    ASSERT_FALSE(r.findings.empty()) << ops.name << ": not found in " << kBudgetS << " s";

    const engine::Finding *first = nullptr;
    for (const auto &[c, f] : r.findings)
        if (!first || f.step < first->step) first = &f;
    const std::string reported(ref::clause_id(first->clause));
    const auto symptoms = split(mutant->symptoms);
    const bool exact = reported == mutant->clause;
    const bool symptom = std::find(symptoms.begin(), symptoms.end(), reported) != symptoms.end();
    const bool same_group =
        ref::clause(first->clause).group == ref::clause(*ref::find_clause(mutant->clause)).group;
    std::printf("[ mutant   ] %-40s breaks %-10s reported %-10s (%s) %.3f s, %llu sequences, "
                "%zu ops\n",
                ops.name, std::string(mutant->clause).c_str(), reported.c_str(),
                exact        ? "exact"
                : symptom    ? "listed symptom"
                : same_group ? "same group"
                             : "UNLISTED",
                elapsed(), static_cast<unsigned long long>(sequences), first->trace.ops.size());
    EXPECT_TRUE(exact || symptom || same_group)
        << ops.name << " breaks " << mutant->clause << " but was reported as " << reported
        << ", which its registry entry does not list: " << first->message;

    // The reproducer diverges again on the mutant, at the same step, and
    // not at all on the unmutated driver: the finding is the bug's.
    engine::RunStats stats;
    auto again = engine::run_differential(ops, first->trace, stats);
    ASSERT_TRUE(again.has_value()) << engine::print_trace(first->trace);
    EXPECT_EQ(again->clause, first->clause);
    EXPECT_EQ(again->step, first->step);
    auto base = engine::run_differential(*driver->entry(), first->trace, stats);
    EXPECT_FALSE(base.has_value()) << driver->name << " unmutated: " << base->message << "\n"
                                   << engine::print_trace(first->trace);
}

INSTANTIATE_TEST_SUITE_P(Mutants, MutantFound, testing::ValuesIn(all_mutants()),
                         [](const testing::TestParamInfo<Case> &p) {
                             std::string n = std::string(p.param.driver->name) + "_" +
                                             std::string(p.param.mutant->name);
                             for (char &c : n)
                                 if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                             return n;
                         });

// --- the unmutated drivers ---

TEST(MutantUnmutated, BothDriversClean) {
    for (const auto &d : models::bundled_drivers()) {
        engine::CampaignConfig cfg;
        cfg.seed = kSeed;
        cfg.sequences = kCleanSequences;
        auto r = engine::run_campaign(*d.entry(), cfg);
        EXPECT_EQ(r.sequences, kCleanSequences);
        EXPECT_TRUE(r.errors.empty()) << d.name << ": " << r.errors.front();
        EXPECT_TRUE(r.findings.empty()) << d.name << " found:" << found_clauses(r);
    }
}

// --- the command ---

using Result = test_support::CliResult;
using test_support::quote;
using test_support::read_file;

class MutantCli : public test_support::CliTest {
protected:
    MutantCli() : CliTest("svac_mutants_") {}
};

TEST_F(MutantCli, DriversListsEveryMutantWithItsClause) {
    Result r = run("drivers --mutants");
    ASSERT_EQ(r.status, 0) << r.err;
    for (const auto &d : models::bundled_drivers()) {
        std::size_t listed = 0;
        for (const auto &m : d.mutants) {
            std::string row = "  " + std::string(m.name);
            auto at = r.out.find(row + " ");
            ASSERT_NE(at, std::string::npos) << m.name << "\n" << r.out;
            std::string line = r.out.substr(at, r.out.find('\n', at) - at);
            EXPECT_NE(line.find(" " + std::string(m.clause) + " "), std::string::npos) << line;
            ++listed;
        }
        EXPECT_GE(listed, 15u) << d.name;
    }
    // Without the flag: the drivers only.
    Result plain = run("drivers");
    ASSERT_EQ(plain.status, 0);
    EXPECT_EQ(plain.out.find("exclusive-pasid-max"), std::string::npos);
}

TEST_F(MutantCli, UnknownMutantIsUsageErrorListingTheMutants) {
    for (const char *cmd : {"run --driver smmuv3 --mutant no-such-bug --sequences 1",
                            "replay t.json --driver vtd --mutant no-such-bug",
                            "dump-tables t.json --driver vtd --mutant no-such-bug"}) {
        Result r = run(cmd);
        EXPECT_EQ(r.status, 2) << cmd << "\n" << r.out << r.err;
        EXPECT_NE(r.err.find("no-such-bug"), std::string::npos) << r.err;
        EXPECT_NE(r.err.find("exclusive-pasid-max"), std::string::npos) << r.err;
    }
    Result r = run("mutants --driver nosuch --budget 1");
    EXPECT_EQ(r.status, 2) << r.out << r.err;
    EXPECT_NE(r.err.find("nosuch"), std::string::npos) << r.err;
}

TEST_F(MutantCli, RunWithMutantFindsItAndNamesIt) {
    Result r = run("run --driver vtd --mutant errno-as-pasid --sequences 300 --out rep");
    EXPECT_EQ(r.status, 1) << r.out << r.err;
    auto report = nlohmann::json::parse(read_file(dir_ / "rep" / "report.json"));
    EXPECT_EQ(report["driver"]["name"], "vtd:errno-as-pasid");
    EXPECT_EQ(report["verdict"], "nonconformant");
    bool pasid4 = false;
    for (const auto &f : report["findings"]) pasid4 |= f["clause"] == "PASID-4";
    EXPECT_TRUE(pasid4) << report["findings"].dump(1);
}

// The measurement for one driver, then its reproducers replayed.
TEST_F(MutantCli, MutantsRunFindsEverySmmuv3MutantAndWritesJson) {
    const double budget = SVAC_TEST_ASAN ? 10 : 5;
    Result r = run("mutants --driver smmuv3 --budget " + std::to_string(int(budget)) +
                   " --out out --seed 1");
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    std::printf("%s", r.out.c_str());
    auto doc = nlohmann::json::parse(read_file(dir_ / "out" / "mutants.json"));
    EXPECT_EQ(doc["format"], "sva-mutants/1");
    EXPECT_EQ(doc["summary"]["pass"], true);
    EXPECT_EQ(doc["summary"]["unmutated_clean"], true);
    ASSERT_EQ(doc["drivers"].size(), 1u);
    EXPECT_EQ(doc["drivers"][0]["driver"], "smmuv3");
    const models::BundledDriver *d = models::find_bundled("smmuv3");
    ASSERT_EQ(doc["mutants"].size(), d->mutants.size());
    for (std::size_t i = 0; i < d->mutants.size(); ++i) {
        const auto &row = doc["mutants"][i];
        EXPECT_EQ(row["mutant"], std::string(d->mutants[i].name));
        EXPECT_EQ(row["intended_clause"], std::string(d->mutants[i].clause));
        EXPECT_EQ(row["found"], true) << row.dump();
        EXPECT_TRUE(row["clause"].is_string());
        EXPECT_LE(row["shrunk_length"].get<std::size_t>(), row["trace_length"].get<std::size_t>());
        EXPECT_LE(row["seconds"].get<double>(), budget + 1);
    }

    // A shrunk reproducer replays to its clause with --mutant, and is
    // conformant on the unmutated driver.
    const auto &row = doc["mutants"][0];
    {
        std::ofstream t(dir_ / "repro.json");
        t << row["trace"].dump(2);
    }
    Result mutated =
        run("replay repro.json --driver smmuv3 --mutant " + row["mutant"].get<std::string>());
    EXPECT_EQ(mutated.status, 1) << mutated.out << mutated.err;
    EXPECT_NE(mutated.out.find(row["clause"].get<std::string>()), std::string::npos) << mutated.out;
    Result clean = run("replay repro.json --driver smmuv3 --quiet");
    EXPECT_EQ(clean.status, 0) << clean.out << clean.err;
    Result dump =
        run("dump-tables repro.json --driver smmuv3 --mutant " + row["mutant"].get<std::string>());
    EXPECT_EQ(dump.status, 1) << dump.out << dump.err;
    EXPECT_NE(dump.out.find("stopped at a finding: " + row["clause"].get<std::string>()),
              std::string::npos)
        << dump.out;
}

} // namespace
