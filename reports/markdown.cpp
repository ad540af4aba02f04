// The Markdown report: a short summary for a pull-request comment (GitHub
// Flavored Markdown): verdict, counts, the findings, then folded away the
// clause table (what was checked, what could not apply and why) and the
// provenance.
#include "reports/escape.h"
#include "reports/writers.h"

#include <cstdio>

namespace svac::reports {

namespace {

std::string m(std::string_view s) {
    return md_escape(s);
}

std::string fixed(double v, int digits) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

constexpr std::size_t kMaxFindings = 20;

// Every clause, folded: its status, checks and statement; why one cannot apply.
void clause_table(std::string &s, const Report &r) {
    s += "<details><summary>Clauses: " + counts_text(count_clauses(r)) +
         "</summary>\n\n| clause | status | checks | statement |\n| --- | --- | ---: | --- |\n";
    for (const auto &c : r.clauses)
        s += "| " + m(c.id) + " | " +
             (c.status == "not-applicable" ? "not applicable" : m(c.status)) + " | " +
             std::to_string(c.checks) + " | " + m(c.title) +
             (c.reason.empty() ? std::string() : " (" + m(c.reason) + ")") + " |\n";
    s += "\n</details>\n\n";
}

} // namespace

std::string to_markdown(const Report &r) {
    const char *mark = r.verdict == "conformant"      ? "✅"
                       : r.verdict == "nonconformant" ? "❌"
                                                      : "⚠️";
    ClauseCounts n = count_clauses(r);
    std::string s = "### " + std::string(mark) + " sva-conform: " + m(r.driver_name) + " " +
                    m(r.driver_version) + " is **" + m(r.verdict) + "**\n\n";
    s +=
        "| clauses | pass | fail | untested | not applicable | findings | sequences | steps | time "
        "|\n| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n";
    s += "| " + std::to_string(r.clauses.size()) + " | " + std::to_string(n.pass) + " | " +
         std::to_string(n.fail) + " | " + std::to_string(n.untested) + " | " +
         std::to_string(n.not_applicable) + " | " + std::to_string(r.findings.size()) + " | " +
         std::to_string(r.sequences) + " | " + std::to_string(r.steps) + " | " +
         fixed(r.duration_s, 1) + " s |\n\n";
    if (!r.findings.empty()) {
        s += "**Findings**\n\n";
        std::size_t shown = 0;
        for (const auto &f : r.findings) {
            if (++shown > kMaxFindings) {
                s += "- and " + std::to_string(r.findings.size() - kMaxFindings) +
                     " more (see the HTML report)\n";
                break;
            }
            const ClauseResult *c = find_clause(r, f.clause);
            std::string op = finding_op(f);
            s += "- **" + m(f.clause) + "**" + (c ? " " + m(c->title) : std::string()) + "  \n  " +
                 m(f.message) + "  \n  step " + std::to_string(f.step) +
                 (op.empty() ? std::string() : " (" + m(op) + ")") + " of a " +
                 std::to_string(
                     f.trace.is_object() && f.trace.contains("ops") ? f.trace["ops"].size() : 0) +
                 "-op trace; " + std::to_string(f.occurrences) + " sequence" +
                 (f.occurrences == 1 ? "" : "s") + "\n";
        }
        s += "\n";
    }
    if (!r.errors.empty()) {
        s += "**Errors**\n\n";
        for (const auto &e : r.errors) s += "- " + m(e) + "\n";
        s += "\n";
    }
    if (const std::string formal = formal_text(r); !formal.empty())
        s += "**Formal results** " + m(formal) + "\n\n";
    clause_table(s, r);
    s += "<details><summary>Provenance</summary>\n\n";
    s += "- tool: " + m(r.tool_name + " " + r.tool_version + " (commit " + r.tool_commit + ")") +
         "\n";
    s += "- driver: " + m(r.driver_name) + " " + m(r.driver_version) + ", ABI " +
         std::to_string(r.abi_version) + "; " + m(r.library_kind) + " " + m(r.library_path) +
         ", sha256 " + m(r.library_sha256) +
         (r.library_remote.empty()
              ? std::string()
              : "; run by the driver host at " + m(r.library_remote) + ", as it says") +
         "\n";
    s += "- profile " + m(r.profile) + ", seed " + std::to_string(r.seed) + "\n";
    s += "- command line: " + m(command_line_text(r)) + "\n";
    s += "- host " + m(r.host) + ", started " + m(r.started) + ", " + fixed(r.duration_s, 2) +
         " s\n\n</details>\n";
    return s;
}

} // namespace svac::reports
