// Shared by tests/test_reports*.cpp: a report model built by hand, and the
// Python checks (tests/reports/check_reports.py) run as a command.
#pragma once

#include "reports/report.h"
#include "tests/support/cli_runner.h"

#include <filesystem>
#include <string>

namespace svac::test_support {

// Debian's python3 (with python3-jsonschema) when it is there.
inline std::string python3() {
    return std::filesystem::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
}

struct CheckResult {
    int status = -1;
    std::string out; // stdout and stderr
};

// Runs tests/reports/check_reports.py with `args` (shell-quoted).
inline CheckResult run_check(const std::filesystem::path &dir, const std::string &args) {
    const std::filesystem::path out = dir / "check_out.txt";
    const std::string cmd =
        python3() + " " + quote(std::string(SVAC_SOURCE_DIR) + "/tests/reports/check_reports.py") +
        " " + args + " >" + quote(out.string()) + " 2>&1";
    int raw = std::system(cmd.c_str());
    CheckResult r;
    r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
    r.out = read_file(out);
    return r;
}

// A small report with one failing clause, a pass, an untested one, and a
// finding whose trace has two ops (the second diverges).
inline reports::Report sample_report(const std::string &driver = "smmuv3",
                                     const std::string &message = "unbind returned 0") {
    reports::Report r;
    r.tool_version = "0.1.0";
    r.tool_commit = "0123456789ab";
    r.driver_name = driver;
    r.driver_version = "0.3.0";
    r.abi_version = 3;
    r.library_kind = "bundled";
    r.library_path = "/usr/bin/sva-conform";
    r.library_sha256 = std::string(64, 'a');
    r.command_line = {"sva-conform", "run", "--driver", driver, "--out", "dir with space"};
    r.host = "host (Linux 6.1, x86_64)";
    r.profile = "rfc2019";
    r.seed = 7;
    r.started = "2026-11-24T01:02:03Z";
    r.duration_s = 1.5;
    r.verdict = "nonconformant";
    r.config = {{"sequences", 100}, {"ops", 32}, {"time_s", 0.0}, {"generator", "plain"}};
    r.clauses = {{"FEAT-1", "FEAT", "has_feature is true iff ...", "pass", 12},
                 {"UNBIND-4", "UNBIND", "unbind with no bond returns -ESRCH or -EINVAL", "fail", 3},
                 {"HW-9", "HW", "every command is synced", "untested", 0}};
    reports::FindingRecord f;
    f.clause = "UNBIND-4";
    f.step = 1;
    f.message = message;
    f.expected = {{"rc", {-22, -3}}, {"rc_names", "{-EINVAL, -ESRCH}"}};
    f.actual = {{"rc", 0}, {"rc_name", "0"}};
    f.occurrences = 4;
    f.trace = {
        {"format", "sva-trace/1"},
        {"profile", "rfc2019"},
        {"topology",
         {{"iommus", {{{"arch", "smmuv3"}, {"pasid_bits", 20}, {"sva", true}}}},
          {"devices",
           {{{"iommu", 0}, {"pasid_bits", 20}, {"pri", true}, {"stall", false}, {"ats", false}}}},
          {"mms", 1}}},
        {"ops",
         {{{"op", "enable_feature"}, {"dev", 0}, {"feat", "sva"}, {"rc", 0}},
          {{"op", "unbind"}, {"dev", 0}, {"pasid", 5}, {"rc", 0}}}}};
    r.findings.push_back(f);
    r.sequences = 100;
    r.steps = 3200;
    return r;
}

} // namespace svac::test_support
