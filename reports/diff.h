// Two reports compared: the nightly regression gate (`sva-conform report diff`).
#pragma once

#include "reports/report.h"

#include <string>
#include <vector>

namespace svac::reports {

struct StatChange {
    std::string name, before, after;
};

struct ReportDiff {
    std::vector<std::string> new_failures;  // fail now, not before (clause IDs)
    std::vector<std::string> fixed;         // failed before, not now
    std::vector<std::string> still_failing; // failed in both
    std::vector<std::string> lost_coverage; // passed before, untested now
    std::vector<std::string> new_coverage;  // untested before, passes now
    // The campaign's scope changed (another architecture, no stall device):
    std::vector<std::string> now_not_applicable; // could apply before, cannot now
    std::vector<std::string> now_applicable;     // could not apply before, can now
    std::vector<std::string> added, removed;     // clauses only in one of the reports
    std::vector<std::string> new_errors;         // campaign errors not in the old report
    std::vector<StatChange> stats;               // statistics and settings that changed
    // A new failure or a new campaign error: the gate fails.
    bool regression() const { return !new_failures.empty() || !new_errors.empty(); }
};

ReportDiff diff_reports(const Report &before, const Report &after);

// The diff as a terminal reads it; every string from a report is escaped
// for the terminal.
std::string format_diff(const ReportDiff &d, const Report &after);

} // namespace svac::reports
