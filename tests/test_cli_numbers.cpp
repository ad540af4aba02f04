// The numeric options of every subcommand, checked against their meaning: a
// value out of range, not a number, NaN or infinite is exit 2 at once, with
// one short line naming the option; and a campaign that ran no sequence is
// never "conformant".
#include "reports/report.h"

#include "tests/support/cli_runner.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <string>

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using svac::test_support::CliResult;
using svac::test_support::read_file;

class CliNumbers : public svac::test_support::CliTest {
protected:
    CliNumbers() : CliTest("svac_numbers_") {}
};

struct BadValue {
    const char *args;
    const char *option; // the message names it
};

// Every numeric option of every subcommand, and the names that must not be
// empty. None of these may start any work: a trace file need not exist.
const BadValue kBadValues[] = {
    {"run --driver smmuv3 --sequences -5", "--sequences"},
    {"run --driver smmuv3 --sequences 0", "--sequences"},
    {"run --driver smmuv3 --sequences 18446744073709551616", "--sequences"},
    {"run --driver smmuv3 --sequences 1000000001", "--sequences"},
    {"run --driver smmuv3 --sequences 1.5", "--sequences"},
    {"run --driver smmuv3 --seed 18446744073709551616", "--seed"},
    {"run --driver smmuv3 --seed -1", "--seed"},
    {"run --driver smmuv3 --seed 010", "--seed"}, // CLI11 would read octal 8
    {"run --driver smmuv3 --ops 010", "--ops"},
    {"run --driver smmuv3 --ops 100001", "--ops"},
    {"run --driver smmuv3 --time nan", "--time"},
    {"run --driver smmuv3 --time inf", "--time"},
    {"run --driver smmuv3 --time -1", "--time"},
    {"run --driver smmuv3 --time 604801", "--time"},
    {"run --driver smmuv3 --step-timeout 1e10", "--step-timeout"},
    {"run --driver smmuv3 --step-timeout nan", "--step-timeout"},
    {"run --driver smmuv3 --step-timeout 0", "--step-timeout"},
    {"run --driver smmuv3 --memory-limit 15", "--memory-limit"},
    {"run --driver smmuv3 --memory-limit 1048577", "--memory-limit"},
    {"run --driver smmuv3 --mutant ''", "--mutant"},
    {"run --driver ''", "--driver"},
    {"run --driver-lib ''", "--driver-lib"},
    {"run --driver smmuv3 --out ''", "--out"},
    {"replay t.json --driver smmuv3 --step-timeout -inf", "--step-timeout"},
    {"replay t.json --driver smmuv3 --mutant ''", "--mutant"},
    {"dump-tables t.json --driver smmuv3 --step -1", "--step"},
    {"dump-tables t.json --driver smmuv3 --step 10000000", "--step"},
    {"dump-tables t.json --driver smmuv3 --memory-limit 0", "--memory-limit"},
    {"mutants --budget 0", "--budget"},
    {"mutants --budget nan", "--budget"},
    {"mutants --budget 1e10", "--budget"},
    {"mutants --seed 18446744073709551616", "--seed"},
    {"mutants --driver ''", "--driver"},
    {"fuzz --target sva_diff --time 0", "--time"},
    {"fuzz --target sva_diff --time 604801", "--time"},
    {"fuzz --target sva_diff --jobs 0", "--jobs"},
    {"fuzz --target sva_diff --jobs 257", "--jobs"},
    {"fuzz --target sva_diff --seed 0", "--seed"},
    {"fuzz --target sva_diff --seed 4294967296", "--seed"},
    {"fuzz --target sva_diff --mutant ''", "--mutant"},
    {"prove --timeout 4294968", "--timeout"}, // beyond 2^32 ms
    {"prove --timeout nan", "--timeout"},
    {"prove --timeout 0", "--timeout"},
    {"failnth --driver smmuv3 --step-timeout 1e10", "--step-timeout"},
    {"failnth --driver smmuv3 --memory-limit 2e3", "--memory-limit"},
    {"failnth --driver smmuv3 --mutant ''", "--mutant"},
    {"failnth --driver smmuv3 --out ''", "--out"},
};

TEST_F(CliNumbers, BadValuesExitTwoAtOnceWithOneShortLine) {
    for (const BadValue &c : kBadValues) {
        CliResult r = run(c.args);
        EXPECT_EQ(r.status, 2) << "sva-conform " << c.args << "\n" << r.all();
        EXPECT_EQ(r.err.rfind(std::string("sva-conform: ") + c.option + ": must ", 0), 0u)
            << "sva-conform " << c.args << "\nstderr: " << r.err;
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1)
            << "sva-conform " << c.args << "\nstderr: " << r.err;
        EXPECT_LT(r.err.size(), 120u) << "sva-conform " << c.args << "\nstderr: " << r.err;
        EXPECT_EQ(r.out, "") << "sva-conform " << c.args;
        EXPECT_FALSE(fs::exists(dir_ / "reports")) << "sva-conform " << c.args;
    }
}

TEST_F(CliNumbers, MessagesSayTheMeaningAndTheRange) {
    CliResult t = run("run --driver smmuv3 --step-timeout 1e10");
    EXPECT_EQ(t.err, "sva-conform: --step-timeout: must be a number of seconds in (0, 86400], not "
                     "1e10\n");
    CliResult s = run("run --driver smmuv3 --sequences -5");
    EXPECT_EQ(s.err, "sva-conform: --sequences: must be a whole number of sequences in [1, "
                     "1000000000], not -5\n");
    // What was typed is quoted short and terminal-safe.
    CliResult l = run("run --driver smmuv3 --seed " + std::string(400, '9'));
    EXPECT_NE(l.err.find(", not " + std::string(24, '9') + "...\n"), std::string::npos) << l.err;
    CliResult e = run("run --driver smmuv3 --time \"$(printf '1\\033[2J')\"");
    EXPECT_EQ(e.err.find('\x1b'), std::string::npos) << e.err;
    EXPECT_NE(e.err.find("not 1?[2J"), std::string::npos) << e.err;
}

TEST_F(CliNumbers, HelpShowsTheRanges) {
    CliResult r = run("run --help");
    ASSERT_EQ(r.status, 0) << r.all();
    for (const char *range : {"[1, 1000000000]", "[0, 604800]", "(0, 86400]", "[16, 1048576]",
                              "[0, 18446744073709551615]"})
        EXPECT_NE(r.out.find(range), std::string::npos) << range << "\n" << r.out;
    CliResult p = run("prove --help");
    EXPECT_NE(p.out.find("(0, 86400]"), std::string::npos) << p.out;
    CliResult f = run("fuzz --help");
    EXPECT_NE(f.out.find("[1, 4294967295]"), std::string::npos) << f.out;
}

TEST_F(CliNumbers, ValuesAtTheBoundsAreTakenAsWritten) {
    // The largest seed.
    CliResult a = run("run --driver smmuv3 --generator plain --sequences 1 --ops 1 "
                      "--seed 18446744073709551615 --out A");
    ASSERT_EQ(a.status, 0) << a.all();
    EXPECT_EQ(json::parse(read_file(dir_ / "A" / "report.json"))["seed"].get<uint64_t>(),
              18446744073709551615ull);
}

TEST(CampaignVerdict, NoSequenceIsNeverConformant) {
    using svac::reports::campaign_verdict;
    EXPECT_EQ(campaign_verdict(false, 0, 0, 0), "incomplete");
    EXPECT_EQ(campaign_verdict(false, 1, 0, 0), "conformant");
    EXPECT_EQ(campaign_verdict(false, 0, 1, 0), "nonconformant");
    EXPECT_EQ(campaign_verdict(false, 5, 1, 1), "nonconformant");
    EXPECT_EQ(campaign_verdict(false, 5, 0, 1), "error");
    EXPECT_EQ(campaign_verdict(true, 5, 0, 0), "incomplete");
    EXPECT_EQ(campaign_verdict(true, 5, 1, 0), "incomplete");
}

TEST_F(CliNumbers, CampaignThatRanNoSequenceIsIncomplete) {
    // A time budget of a nanosecond is spent before the first sequence.
    CliResult r = run("run --driver smmuv3 --time 0.000000001 --out A");
    EXPECT_EQ(r.status, 1) << r.all();
    EXPECT_NE(r.out.find("no sequence ran: nothing was tested"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("verdict: incomplete"), std::string::npos) << r.out;
    json report = json::parse(read_file(dir_ / "A" / "report.json"));
    EXPECT_EQ(report["stats"]["sequences"], 0);
    EXPECT_EQ(report["verdict"], "incomplete");
}

} // namespace
