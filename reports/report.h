// The report model ("sva-report/1") and its JSON writer. Knows nothing of
// the engine: the command fills it in.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace svac::reports {

using json = nlohmann::ordered_json;

inline constexpr const char *kReportFormat = "sva-report/1";

struct ClauseResult {
    std::string id;
    std::string group;
    std::string title;
    // "pass" | "fail" | "untested" (the clause can apply; no check of it ran)
    // | "not-applicable" (it cannot apply to what the campaign ran: an SMMUv3
    // rule on VT-d topologies; `reason` says why)
    std::string status;
    uint64_t checks = 0;
    std::string reason; // not-applicable only
};

// The clause statuses, in the order reports count them.
inline constexpr const char *kClauseStatuses[] = {"pass", "fail", "untested", "not-applicable"};

struct FindingRecord {
    std::string clause;
    uint64_t step = 0;
    std::string message;
    json expected;
    json actual;
    json trace;
    uint64_t occurrences = 1; // sequences that hit this clause
    // Optional: the driver's tables decoded as the hardware model read them
    // after the step that diverged ({"after_step", "iommus": [{"iommu",
    // "arch", "entries": [{"table", "key", "pa", "raw", "fields"}]}]}),
    // written only when set.
    json tables;
};

struct Report {
    std::string tool_name = "sva-conform";
    std::string tool_version;
    std::string tool_commit;
    std::string driver_name;
    std::string driver_version;
    uint32_t abi_version = 0;
    // Where the driver's code came from: "bundled" (compiled into the
    // sva-conform executable; path and hash are the executable's) or
    // "plugin" (a shared object, --driver-lib).
    std::string library_kind;
    std::string library_path;
    std::string library_sha256;
    std::string library_remote; // the driver host's address (--driver-host), or empty
    // How the report was produced: the command line, word by word, and the
    // host ("name (OS release, machine)").
    std::vector<std::string> command_line;
    std::string host;
    std::string profile;
    uint64_t seed = 0;
    std::string started; // ISO 8601, UTC
    double duration_s = 0;
    // "conformant" | "nonconformant" | "error" | "incomplete" (stopped by a
    // signal, or no sequence ran: what ran is in the report); see
    // campaign_verdict
    std::string verdict;
    std::vector<ClauseResult> clauses;
    std::vector<FindingRecord> findings;
    uint64_t sequences = 0;
    uint64_t steps = 0;
    json config = json::object(); // the campaign's settings
    std::vector<std::string> errors;
    // Optional sections, written only when set (not null): the results of
    // `prove` (formal), a fuzzing campaign's statistics (fuzz) and a mutant
    // sweep (mutants). Each command that produces one fills it in.
    json formal;
    json fuzz;
    json mutants;
};

json to_json(const Report &r);

// The verdict of a campaign: "incomplete" if it was stopped before its end
// (a signal) or ran no sequence (nothing was tested), else "nonconformant"
// with a finding, "error" with an error (a topology refused, ...), else
// "conformant". A finding is reported even when no sequence completed.
std::string campaign_verdict(bool stopped, uint64_t sequences, std::size_t findings,
                             std::size_t errors);

// JSON text of j (indent as nlohmann's dump). Text from outside (a driver's
// name, a path, a message) may be invalid UTF-8, on which nlohmann's dump
// throws: here each bad byte becomes U+FFFD. Every JSON the command writes
// or prints goes through it.
std::string dump_json(const json &j, int indent = 2);

// Bad input to parse_report: the message names the source, the place (line
// and column for broken JSON, else a JSON pointer) and the reason.
struct ReportError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Reads and validates a report written by to_json (reports/read.cpp);
// `source` names it in errors. load_report reads a file.
Report parse_report(std::string_view text, std::string_view source);
Report load_report(const std::string &path);

// Writes `content` to `path` through a temporary file and a rename, so a
// reader never sees half a file. Throws std::runtime_error naming the path.
void write_atomic(const std::string &path, const std::string &content);

// Creates `dir` if needed and writes dir/report.json; returns its path.
std::string write_json_report(const Report &r, const std::string &dir);

// The current time as "2026-11-23T21:43:06Z".
std::string utc_now();

} // namespace svac::reports
