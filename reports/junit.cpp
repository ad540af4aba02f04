// The JUnit XML report: one test suite per clause group, one test case per
// clause that can apply (a failure carries the finding, an untested clause is
// skipped), in the shape GitLab's and Jenkins' parsers read. A clause that
// cannot apply to the campaign is no test case (CI would count it skipped):
// the property "clauses.not_applicable" lists them with the reason. Campaign
// errors are one more test case, with an <error>.
#include "reports/escape.h"
#include "reports/writers.h"

#include <cstdio>
#include <map>
#include <vector>

namespace svac::reports {

namespace {

std::string x(std::string_view s) {
    return xml_escape(s);
}

std::string dump(const json &j, int indent = -1) {
    return j.dump(indent, ' ', false, json::error_handler_t::replace);
}

std::string seconds(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", s);
    return buf;
}

std::string property(std::string_view name, std::string_view value) {
    return "      <property name=\"" + x(name) + "\" value=\"" + x(value) + "\"/>\n";
}

std::string properties(const Report &r) {
    std::string p = "    <properties>\n";
    p += property("tool", r.tool_name + " " + r.tool_version);
    p += property("tool.commit", r.tool_commit);
    p += property("driver", r.driver_name);
    p += property("driver.version", r.driver_version);
    p += property("driver.abi_version", std::to_string(r.abi_version));
    p += property("driver.library", r.library_kind + ": " + r.library_path);
    p += property("driver.library.sha256", r.library_sha256);
    p += property("profile", r.profile);
    p += property("seed", std::to_string(r.seed));
    p += property("command_line", command_line_text(r));
    p += property("host", r.host);
    p += property("verdict", r.verdict);
    p += property("clauses", counts_text(count_clauses(r)));
    std::string na;
    for (const auto &line : not_applicable_lines(r)) na += (na.empty() ? "" : " | ") + line;
    if (!na.empty()) p += property("clauses.not_applicable", na);
    if (const std::string formal = formal_text(r); !formal.empty()) p += property("formal", formal);
    p += "    </properties>\n";
    return p;
}

std::string failure_text(const FindingRecord &f) {
    std::string t = f.message + "\n\ndiverged at step " + std::to_string(f.step) + " (" +
                    std::to_string(f.occurrences) +
                    " sequences broke this clause)\nexpected: " + dump(f.expected) +
                    "\nactual:   " + dump(f.actual) + "\n\ntrace:\n";
    if (f.trace.is_object() && f.trace.contains("ops") && f.trace["ops"].is_array()) {
        const json &ops = f.trace["ops"];
        for (std::size_t i = 0; i < ops.size(); ++i) {
            OpText o = describe_op(ops[i]);
            t += (i == f.step ? "  > " : "    ") + std::to_string(i) + " " + o.name + " " + o.args +
                 (o.outcome.empty() ? "" : " -> " + o.outcome) + "\n";
        }
    }
    t += "\ntrace JSON (replay with sva-conform replay):\n" + dump(f.trace) + "\n";
    return t;
}

} // namespace

std::string to_junit(const Report &r) {
    std::vector<std::string> groups;
    std::map<std::string, std::vector<const ClauseResult *>> by_group;
    for (const auto &c : r.clauses) {
        if (c.status == "not-applicable") continue;
        if (!by_group.count(c.group)) groups.push_back(c.group);
        by_group[c.group].push_back(&c);
    }
    std::map<std::string, const FindingRecord *> findings;
    for (const auto &f : r.findings) findings.emplace(f.clause, &f);

    ClauseCounts n = count_clauses(r);
    const std::size_t errors = r.errors.empty() ? 0 : 1;
    const std::string suite_prefix = "sva-conform." + r.driver_name + ".";
    std::string s = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    s += "<testsuites name=\"" + x("sva-conform: " + r.driver_name) + "\" tests=\"" +
         std::to_string(r.clauses.size() - n.not_applicable + errors) + "\" failures=\"" +
         std::to_string(n.fail) + "\" errors=\"" + std::to_string(errors) + "\" skipped=\"" +
         std::to_string(n.untested) + "\" time=\"" + seconds(r.duration_s) + "\" timestamp=\"" +
         x(r.started) + "\">\n";
    std::size_t id = 0;
    for (const auto &g : groups) {
        ClauseCounts c;
        for (const auto *cl : by_group[g]) c.add(cl->status);
        s += "  <testsuite id=\"" + std::to_string(id++) + "\" name=\"" + x(suite_prefix + g) +
             "\" tests=\"" + std::to_string(by_group[g].size()) + "\" failures=\"" +
             std::to_string(c.fail) + "\" errors=\"0\" skipped=\"" + std::to_string(c.untested) +
             "\" time=\"0\" timestamp=\"" + x(r.started) + "\" hostname=\"" + x(r.host) + "\">\n";
        s += properties(r);
        for (const auto *cl : by_group[g]) {
            s += "    <testcase classname=\"" + x(suite_prefix + g) + "\" name=\"" + x(cl->id) +
                 "\" time=\"0\">\n";
            if (cl->status == "fail") {
                auto it = findings.find(cl->id);
                if (it != findings.end())
                    s += "      <failure type=\"" + x(cl->id) + "\" message=\"" +
                         x(it->second->message) + "\">" + x(failure_text(*it->second)) +
                         "</failure>\n";
                else
                    s += "      <failure type=\"" + x(cl->id) +
                         "\" message=\"failed (no finding recorded)\"/>\n";
            } else if (cl->status == "untested") {
                s += "      <skipped message=\"untested: no check of this clause ran\"/>\n";
            }
            s += "      <system-out>" + x(cl->id + ": " + cl->title) +
                 "\nchecks: " + std::to_string(cl->checks) + "</system-out>\n    </testcase>\n";
        }
        s += "  </testsuite>\n";
    }
    if (errors) {
        std::string all;
        for (const auto &err : r.errors) all += err + "\n";
        s += "  <testsuite id=\"" + std::to_string(id) + "\" name=\"" +
             x(suite_prefix + "campaign") + "\" tests=\"1\" failures=\"0\" errors=\"1\" " +
             "skipped=\"0\" time=\"" + seconds(r.duration_s) + "\" timestamp=\"" + x(r.started) +
             "\" hostname=\"" + x(r.host) + "\">\n" + properties(r) + "    <testcase classname=\"" +
             x(suite_prefix + "campaign") + "\" name=\"campaign\" time=\"" + seconds(r.duration_s) +
             "\">\n      <error type=\"error\" message=\"" + x(r.errors.front()) + "\">" + x(all) +
             "</error>\n    </testcase>\n  </testsuite>\n";
    }
    s += "</testsuites>\n";
    return s;
}

} // namespace svac::reports
