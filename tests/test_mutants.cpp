// Seeded-bug mutants of the bundled drivers (models/*/..._mutants.def): the
// registry, each mutant found by a bounded campaign under the clause it
// breaks or a symptom its entry lists, the unmutated drivers clean, and the
// command: `drivers --mutants`, `--mutant`, `mutants`.
#include "engine/campaign.h"
#include "engine/rng.h"
#include "models/registry.h"
#include "reference/clauses.h"
#include "tests/support/cli_runner.h"
#include "tests/support/cli_spawn.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
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

// Most mutants fall within a few sequences; the slowest (a stale ATC or
// IOTLB entry, which needs an ATS device, a DMA, a CPU change and a DMA
// again) within a few hundred. The budget is a number of sequences, not of
// seconds, so a loaded machine changes how long a test takes, never its
// verdict; it is a cap, not the expected count.
constexpr uint64_t kMaxSequences = 20000;
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
    for (uint64_t round = 0; r.findings.empty() && sequences < kMaxSequences; ++round) {
        engine::CampaignConfig cfg;
        cfg.seed = engine::Rng::derive(kSeed, round);
        cfg.ops = kOps;
        cfg.sequences = std::min<uint64_t>(uint64_t{16} << std::min<uint64_t>(round, 8), 4096);
        cfg.sequences = std::min(cfg.sequences, kMaxSequences - sequences);
        cfg.profile = mutant->profile; // hunted with sequences of its API generation
        r = engine::run_campaign(ops, cfg);
        sequences += r.sequences;
        ASSERT_TRUE(r.errors.empty()) << ops.name << ": " << r.errors.front();
    }
    ASSERT_FALSE(r.findings.empty())
        << ops.name << ": not found in " << kMaxSequences << " sequences";

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
    EXPECT_EQ(first->trace.profile, mutant->profile);
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
    for (const auto &d : models::bundled_drivers())
        for (const char *profile :
             {"rfc2019", "linux-6.1", "linux-6.12", "linux-6.16"}) { // every profile with mutants
            ASSERT_FALSE(models::mutants_of(d, profile).empty()) << d.name << " " << profile;
            engine::CampaignConfig cfg;
            cfg.seed = kSeed;
            cfg.sequences = kCleanSequences;
            cfg.profile = profile;
            auto r = engine::run_campaign(*d.entry(), cfg);
            EXPECT_EQ(r.sequences, kCleanSequences);
            EXPECT_TRUE(r.errors.empty()) << d.name << ": " << r.errors.front();
            EXPECT_TRUE(r.findings.empty())
                << d.name << " " << profile << " found:" << found_clauses(r);
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

// The measurement for one driver, then its reproducers replayed. Its budget
// is --max-sequences; the seconds of --budget are only a hang guard.
TEST_F(MutantCli, MutantsRunFindsEverySmmuv3MutantAndWritesJson) {
    constexpr uint64_t kCap = 5000;
    Result r = run("mutants --driver smmuv3 --budget 3600 --max-sequences " + std::to_string(kCap) +
                   " --out out --seed 1");
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    std::printf("%s", r.out.c_str());
    auto doc = nlohmann::json::parse(read_file(dir_ / "out" / "mutants.json"));
    EXPECT_EQ(doc["format"], "sva-mutants/1");
    EXPECT_EQ(doc["complete"], true);
    EXPECT_EQ(doc["max_sequences"], kCap);
    EXPECT_EQ(doc["summary"]["pass"], true);
    EXPECT_EQ(doc["summary"]["unmutated_clean"], true);
    ASSERT_EQ(doc["drivers"].size(), 1u);
    EXPECT_EQ(doc["drivers"][0]["driver"], "smmuv3");
    const models::BundledDriver *d = models::find_bundled("smmuv3");
    const auto hunted = models::mutants_of(*d, "rfc2019"); // the default profile's
    ASSERT_EQ(doc["mutants"].size(), hunted.size());
    EXPECT_EQ(doc["profile"], "rfc2019");
    for (std::size_t i = 0; i < hunted.size(); ++i) {
        const auto &row = doc["mutants"][i];
        EXPECT_EQ(row["mutant"], std::string(hunted[i]->name));
        EXPECT_EQ(row["intended_clause"], std::string(hunted[i]->clause));
        EXPECT_EQ(row["found"], true) << row.dump();
        EXPECT_TRUE(row["clause"].is_string());
        EXPECT_LE(row["shrunk_length"].get<std::size_t>(), row["trace_length"].get<std::size_t>());
        EXPECT_GE(row["sequences"].get<uint64_t>(), 1u) << row.dump();
        EXPECT_LE(row["sequences"].get<uint64_t>(), kCap) << row.dump();
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

// The mutants of a later API generation are hunted under it, with sequences
// of its vocabulary: every one found, the unmutated drivers clean under it.
TEST_F(MutantCli, ProfileHuntsThatGenerationsMutants) {
    Result r = run("mutants --profile linux-6.1 --budget 60 --max-sequences 5000 --out out");
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    auto doc = nlohmann::json::parse(read_file(dir_ / "out" / "mutants.json"));
    EXPECT_EQ(doc["profile"], "linux-6.1");
    EXPECT_EQ(doc["summary"]["pass"], true) << doc["summary"].dump();
    std::size_t want = 0;
    for (const auto &d : models::bundled_drivers())
        want += models::mutants_of(d, "linux-6.1").size();
    EXPECT_GE(want, 7u);
    ASSERT_EQ(doc["mutants"].size(), want);
    for (const auto &row : doc["mutants"]) {
        EXPECT_EQ(row["profile"], "linux-6.1");
        EXPECT_EQ(row["found"], true) << row.dump();
        EXPECT_EQ(row["trace"]["profile"], "linux-6.1") << row.dump();
    }
    EXPECT_EQ(doc["drivers"].size(), 2u);

    // A generation without mutants, or none at all, is a usage error.
    Result none = run("mutants --profile linux-5.3 --out out2");
    EXPECT_EQ(none.status, 2) << none.all();
    EXPECT_NE(none.err.find("no mutant is hunted under profile \"linux-5.3\""), std::string::npos)
        << none.err;
    EXPECT_NE(none.err.find("rfc2019, linux-6.1"), std::string::npos) << none.err;
    Result bad = run("mutants --profile linux-9 --out out3");
    EXPECT_EQ(bad.status, 2) << bad.all();
    EXPECT_NE(bad.err.find("unknown profile"), std::string::npos) << bad.err;
}

// --max-sequences caps each hunt in sequences: with one, most mutants stay
// hidden, and no row ran more.
TEST_F(MutantCli, MaxSequencesCapsEachHunt) {
    Result r = run("mutants --driver vtd --budget 3600 --max-sequences 1 --out out");
    EXPECT_EQ(r.status, 1) << r.out << r.err;
    auto doc = nlohmann::json::parse(read_file(dir_ / "out" / "mutants.json"));
    EXPECT_EQ(doc["complete"], true);
    ASSERT_EQ(doc["mutants"].size(),
              models::mutants_of(*models::find_bundled("vtd"), "rfc2019").size());
    std::size_t found = 0;
    for (const auto &row : doc["mutants"]) {
        EXPECT_EQ(row["sequences"], 1u) << row.dump();
        found += row["found"].get<bool>();
    }
    EXPECT_LT(found, doc["mutants"].size());
    EXPECT_EQ(doc["summary"]["pass"], false);
}

// --- stopping ---

using test_support::describe_status;
using test_support::spawn_cli;
using test_support::Spawned;
using test_support::wait_exit;
using test_support::wait_until;

// mutants.json as it is on disk now, or null (absent, or not JSON).
nlohmann::json read_doc(const fs::path &path) {
    return nlohmann::json::parse(read_file(path), nullptr, false);
}

std::size_t rows(const nlohmann::json &doc) {
    return doc.is_object() && doc.contains("mutants") ? doc["mutants"].size() : 0;
}

class MutantStop : public MutantCli, public testing::WithParamInterface<int> {};

// A signal once the first mutant is measured (mutants.json holds its row):
// the command ends by itself with the rows measured so far, marked
// incomplete, and says so.
TEST_P(MutantStop, WritesWhatWasMeasuredMarkedIncomplete) {
    const int sig = GetParam();
    const fs::path file = dir_ / "out" / "mutants.json";
    Spawned s = spawn_cli(dir_, {"mutants", "--seed", "1", "--budget", "3600", "--out", "out"});
    ASSERT_GT(s.pid, 0);
    ASSERT_TRUE(wait_until(s, [&] { return rows(read_doc(file)) >= 1; }))
        << "ended (" << describe_status(*s.status) << ") before a mutant was measured\n"
        << read_file(dir_ / "stderr.txt");
    const std::size_t seen = rows(read_doc(file));
    ::kill(s.pid, sig);
    const int status = wait_exit(s);
    const std::string out = read_file(dir_ / "stdout.txt"), err = read_file(dir_ / "stderr.txt");
    ASSERT_TRUE(WIFEXITED(status)) << describe_status(status) << "\n" << out << err;
    EXPECT_TRUE(WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 1) << out << err;
    auto doc = read_doc(file);
    ASSERT_TRUE(doc.is_object()) << read_file(file);
    EXPECT_EQ(doc["format"], "sva-mutants/1");
    EXPECT_EQ(doc["complete"], false) << out;
    EXPECT_EQ(doc["summary"]["pass"], false);
    std::size_t total = 0;
    for (const auto &d : models::bundled_drivers())
        total += models::mutants_of(d, "rfc2019").size();
    EXPECT_GE(rows(doc), seen);
    EXPECT_LT(rows(doc), total);
    EXPECT_EQ(doc["summary"]["mutants"], rows(doc));
    for (const auto &row : doc["mutants"]) {
        EXPECT_TRUE(row["found"].is_boolean()) << row.dump();
        EXPECT_GE(row["sequences"].get<uint64_t>(), 1u) << row.dump();
    }
    EXPECT_NE(out.find("verdict: incomplete"), std::string::npos) << out;
}

INSTANTIATE_TEST_SUITE_P(Signals, MutantStop, testing::Values(SIGINT, SIGTERM),
                         [](const testing::TestParamInfo<int> &p) {
                             return std::string(p.param == SIGINT ? "SIGINT" : "SIGTERM");
                         });

// An earlier run's mutants.json is replaced as a run starts: a run killed
// outright (no chance to write) leaves a file marked incomplete, never the
// earlier results looking current.
TEST_F(MutantCli, AKilledRunNeverLeavesAnEarlierFileLookingCurrent) {
    const fs::path file = dir_ / "out" / "mutants.json";
    fs::create_directories(file.parent_path());
    nlohmann::json stale = {{"format", "sva-mutants/1"},
                            {"complete", true},
                            {"summary", {{"mutants", 1}, {"found", 1}, {"pass", true}}},
                            {"mutants", {{{"mutant", "stale-row"}, {"found", true}}}}};
    {
        std::ofstream f(file);
        f << stale.dump(2) << "\n";
    }
    const std::string before = read_file(file);
    Spawned s = spawn_cli(dir_, {"mutants", "--seed", "1", "--budget", "3600", "--out", "out"});
    ASSERT_GT(s.pid, 0);
    ASSERT_TRUE(wait_until(s, [&] { return read_file(file) != before; }))
        << "ended (" << describe_status(*s.status) << ") with the earlier file in place\n"
        << read_file(dir_ / "stderr.txt");
    ::kill(s.pid, SIGKILL);
    wait_exit(s);
    auto doc = read_doc(file);
    ASSERT_TRUE(doc.is_object()) << read_file(file);
    EXPECT_EQ(doc["complete"], false) << doc.dump(1);
    EXPECT_EQ(doc["summary"]["pass"], false);
    EXPECT_EQ(doc.dump().find("stale-row"), std::string::npos) << doc.dump(1);
}

} // namespace
