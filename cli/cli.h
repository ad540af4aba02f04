// The sva-conform command: shared pieces of its subcommands.
#pragma once

#include "engine/campaign.h"
#include "reference/hw_model.h"
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

// The driver under test and where its code came from.
struct SelectedDriver {
    const svac_driver_ops *ops = nullptr;
    std::string library_kind = "bundled"; // or "plugin"
    std::string library_path;             // a plugin: the shared object, absolute
    std::string library_sha256;           // a remote host's: as it says
    std::string remote;                   // served by a host at this address (--driver-host)
    bool plugin() const { return library_kind == "plugin"; }
    const svac_driver_ops &operator*() const { return *ops; }
};

// The driver named on the command line, checked against the ABI: a bundled
// driver ("NAME", or "NAME:MUTANT" for a seeded-bug mutant, `--mutant`), or
// with `lib` set a plugin (`--driver-lib PATH.so`), or with `host` set the
// driver a host serves there (`--driver-host ADDR`, `sva-conform host`):
// its name, version, ABI and architectures as the host's ready frame says,
// its calls made only in that host. Exactly one of the three.
SelectedDriver select_driver(const std::string &name, const std::string &lib = {},
                             const std::string &host = {});

// --isolate / --no-isolate / --step-timeout / --memory-limit.
struct IsolationFlags {
    bool isolate = false;
    bool no_isolate = false;
    double step_timeout_s = 10;
    uint64_t memory_limit_mib = 2048;
    // Isolated unless --no-isolate; by default plugins are, bundled drivers
    // not; a driver served by a host always is (--no-isolate: UsageError).
    std::optional<engine::Isolation> choose(const SelectedDriver &driver) const;
};

std::string tool_version();

// An output directory (`option`, e.g. "--out"), checked before any work: it
// is created if need be and a probe file is created in it and removed.
// Throws UsageError naming the option, the directory and the OS's reason.
void check_out_dir(const std::string &dir, const std::string &option = "--out");

// The SHA-256 of a file, in hex ("" if it cannot be read).
std::string file_sha256(const std::string &path);

// The provenance every report carries: tool version and commit, where the
// driver's code came from (a bundled driver: this executable, and its hash),
// the command line and the host. make_report calls it.
void set_provenance(reports::Report &r, const SelectedDriver *driver = nullptr);

// The report of a campaign.
reports::Report make_report(const SelectedDriver &driver, const engine::CampaignConfig &cfg,
                            const engine::CampaignResult &result, const std::string &started,
                            double duration_s);

// A decoded table entry as JSON: table, key, pa, raw qwords, fields by name
// (dump-tables --json, and the tables of a report's finding).
engine::json entry_json(const ref::DecodedEntry &e);

// sva-conform dump-tables (cli/dump_tables.cpp). step < 0: every op.
// profile: read the trace as one of that API generation (empty: its own).
// snapshot_dir: also write each IOMMU's registers and memory as a snapshot
// there (iommu<N>.json), for check-tables.
int cmd_dump_tables(const std::string &path, const SelectedDriver &driver, long step, bool as_json,
                    const IsolationFlags &isolation, const std::string &profile = {},
                    const std::string &snapshot_dir = {});

// sva-conform drivers --mutants, and sva-conform mutants (cli/mutants.cpp).
int cmd_list_mutants();
struct MutantsOptions {
    std::string driver; // empty: every bundled driver
    double budget_s = 10;
    uint64_t max_sequences = 0; // per mutant; 0: no cap
    std::string out = "reports/latest";
    uint64_t seed = 1;
    std::string profile = "rfc2019"; // the mutants hunted under it, and how
};
int cmd_mutants(const MutantsOptions &opt);

// --profile NAME: the profile, or a UsageError naming the known ones.
const ref::Profile &profile_option(const std::string &name);

// sva-conform report render / diff (cli/report_cmd.cpp).
int cmd_report_render(const std::string &path, const std::string &format,
                      const std::string &output);
int cmd_report_diff(const std::string &old_path, const std::string &new_path);

// sva-conform fuzz and fuzz-to-trace (cli/fuzz.cpp).
struct FuzzOptions {
    std::string target;
    std::string driver;     // "NAME" or "NAME:MUTANT"; sva_diff only
    std::string driver_lib; // a plugin (--driver-lib); sva_diff only
    uint64_t time_s = 60;
    uint64_t runs = 0; // executions at most (libFuzzer -runs); 0: no cap
    unsigned jobs = 1;
    std::string corpus; // empty: OUT/corpus
    std::string out = "reports/fuzz";
    std::string fuzzer_dir; // empty: $SVAC_FUZZ_DIR, else the asan build's fuzz/
    uint64_t seed = 1;
    std::string profile = "rfc2019"; // sva_diff: the vocabulary the inputs decode to
};
int cmd_fuzz(const FuzzOptions &opt);
int cmd_fuzz_to_trace(const std::string &input, const SelectedDriver &driver,
                      const std::string &out, const std::string &profile = "rfc2019");

// sva-conform prove (cli/prove.cpp): the Z3 checks of properties/formal.
// Exit 0 all proved, 1 a counterexample, 3 unknown or error.
struct ProveOptions {
    std::string format = "all"; // smmuv3 | vtd | all
    double timeout_s = 10;      // per solver query
    bool as_json = false;
};
int cmd_prove(const ProveOptions &opt);
// The `formal` section of a `run` report, "covers" first: which code the
// checks prove. A bundled driver: the checks of its architecture, without
// their times. A plugin: none (the checks prove the kit's code and the
// bundled drivers', not the plugin's), and "omitted" says so. Null if the
// driver names no architecture.
reports::json formal_section(const SelectedDriver &driver);

// sva-conform failnth (cli/failnth.cpp): the fail-nth allocation sweep.
// Exit 0 every injection point clean, 1 a finding (or the trace not
// conformant without injection), 2 bad usage or input.
struct FailnthOptions {
    std::string driver;      // "NAME" or "NAME:MUTANT"
    std::string driver_lib;  // a plugin (--driver-lib)
    std::string driver_host; // served by a host (--driver-host)
    std::string trace_path;  // empty: the built-in trace of the driver's architecture
    std::string profile;     // the trace read as one of this API generation (built-in: in it)
    std::string out = "reports/failnth";
    bool as_json = false;
    IsolationFlags isolation; // isolated by default for plugins, in-process for bundled drivers
};
int cmd_failnth(const FailnthOptions &opt);

// sva-conform host (cli/host_cmd.cpp): serves `driver` at `listen` until
// SIGINT or SIGTERM. Exit 0, or 2 when it cannot listen there.
int cmd_host(const SelectedDriver &driver, const std::string &listen);

// sva-conform check-tables (cli/check_tables.cpp): a snapshot's tables judged.
// Exit 0 conformant, 1 a breach or a probe that disagrees, 2 bad input.
struct CheckTablesOptions {
    std::string path;
    std::string out = "reports/check-tables"; // the five reports; empty: none
    bool as_json = false;
    bool verbose = false;
    bool probe_mapped = false;       // probe each page the non-PASID paths map
    std::size_t max_probes = 65'536; // ... at most
    std::string write_snapshot;      // the snapshot of what was read, with the probes
};
int cmd_check_tables(const CheckTablesOptions &opt);

// A finding as the command prints it.
std::string format_finding(const engine::Finding &f);

} // namespace svac::cli
