// The sva-conform command: shared pieces of its subcommands.
#pragma once

#include "engine/campaign.h"
#include "reports/report.h"

#include <svac/driver_abi.h>

#include <string>

namespace svac::cli {

// Exit statuses (README "Exit status").
enum Exit : int {
    kConformant = 0,
    kFindings = 1,
    kBadInput = 2,
    kInternal = 3
};

// Bad usage or input: printed as is, exit 2.
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// The driver named on the command line, checked against the ABI. "NAME:MUTANT"
// names a seeded-bug mutant of a bundled driver (`--mutant`).
const svac_driver_ops &select_driver(const std::string &name);

std::string tool_version();

// The report of a campaign.
reports::Report make_report(const svac_driver_ops &driver, const engine::CampaignConfig &cfg,
                            const engine::CampaignResult &result, const std::string &started,
                            double duration_s);

// sva-conform dump-tables (cli/dump_tables.cpp). step < 0: every op.
int cmd_dump_tables(const std::string &path, const std::string &driver_name, long step,
                    bool as_json);

// sva-conform drivers --mutants, and sva-conform mutants (cli/mutants.cpp).
int cmd_list_mutants();
struct MutantsOptions {
    std::string driver; // empty: every bundled driver
    double budget_s = 10;
    std::string out = "reports/latest";
    uint64_t seed = 1;
};
int cmd_mutants(const MutantsOptions &opt);

// sva-conform fuzz and fuzz-to-trace (cli/fuzz.cpp).
struct FuzzOptions {
    std::string target;
    std::string driver; // "NAME" or "NAME:MUTANT"; sva_diff only
    uint64_t time_s = 60;
    unsigned jobs = 1;
    std::string corpus; // empty: OUT/corpus
    std::string out = "reports/fuzz";
    std::string fuzzer_dir; // empty: $SVAC_FUZZ_DIR, else the asan build's fuzz/
    uint64_t seed = 1;
};
int cmd_fuzz(const FuzzOptions &opt);
int cmd_fuzz_to_trace(const std::string &input, const std::string &driver_name,
                      const std::string &out);

// A finding as the command prints it.
std::string format_finding(const engine::Finding &f);

} // namespace svac::cli
