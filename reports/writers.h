// The report writers: one report, five formats (report.json, report.html,
// report.xml (JUnit), report.md, report.sarif), and the pieces they share.
// They know only the report model.
#pragma once

#include "reports/report.h"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace svac::reports {

std::string to_html(const Report &r);     // reports/html.cpp
std::string to_junit(const Report &r);    // reports/junit.cpp
std::string to_markdown(const Report &r); // reports/markdown.cpp
json to_sarif(const Report &r);           // reports/sarif.cpp

// The formats `report render` takes, and the file each goes to in a run.
struct Format {
    std::string_view name;
    std::string_view file;
};
inline constexpr Format kFormats[] = {{"json", "report.json"},
                                      {"html", "report.html"},
                                      {"junit", "report.xml"},
                                      {"md", "report.md"},
                                      {"sarif", "report.sarif"}};

// The report in one format (a name of kFormats); throws std::invalid_argument
// for another name.
std::string render(const Report &r, std::string_view format);

// Creates dir if needed and writes the five files, each atomically; returns
// the HTML file's path.
std::string write_all(const Report &r, const std::string &dir);

// Shared by the writers.
struct ClauseCounts {
    std::size_t pass = 0, fail = 0, untested = 0, not_applicable = 0;
    void add(std::string_view status);
};
ClauseCounts count_clauses(const Report &r);
// "80 pass, 1 fail, 3 untested, 11 not applicable": the summary every format gives.
std::string counts_text(const ClauseCounts &c);
const ClauseResult *find_clause(const Report &r, std::string_view id);
// The not-applicable clauses grouped by their reason, in catalog order:
// "SMMU-STE-1, SMMU-CD-1: SMMUv3 rule; ..." one line per reason.
std::vector<std::string> not_applicable_lines(const Report &r);

// One op of a trace as a person reads it: its name, its arguments
// ("dev=0 mm=1") and the outcome recorded for it ("rc=0 pasid=1").
struct OpText {
    std::string name, args, outcome;
};
OpText describe_op(const json &op);
// The name of the op at which the finding diverged ("" if the trace has none).
std::string finding_op(const FindingRecord &f);

// A stable fingerprint of a finding (driver and clause), for dashboards
// that must not count one finding twice: 16 hex digits.
std::string fingerprint(const Report &r, const FindingRecord &f);

// The formal section in one line: "proved: 12 checks; they cover <which
// code>", or "left out: <why>; they cover <which code>"; "" if the report has none.
std::string formal_text(const Report &r);

// The command line as one shell-quoted string.
std::string command_line_text(const Report &r);

} // namespace svac::reports
