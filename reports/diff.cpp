#include "reports/diff.h"

#include "reports/escape.h"
#include "reports/writers.h"

#include <cstdio>
#include <map>
#include <set>

namespace svac::reports {

namespace {

std::string num(double v, int digits) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

// The scalar leaves of an optional section ("fuzz.executions"), objects only.
void flatten(const json &j, const std::string &prefix, std::map<std::string, std::string> &out) {
    if (j.is_object()) {
        for (auto it = j.begin(); it != j.end(); ++it)
            flatten(it.value(), prefix + "." + it.key(), out);
    } else if (!j.is_array() && !j.is_null()) {
        out[prefix] = j.is_string() ? j.get<std::string>()
                                    : j.dump(-1, ' ', false, json::error_handler_t::replace);
    }
}

std::map<std::string, std::string> statistics(const Report &r) {
    ClauseCounts c = count_clauses(r);
    uint64_t checks = 0;
    for (const auto &cl : r.clauses) checks += cl.checks;
    std::map<std::string, std::string> s = {
        {"01 driver", r.driver_name + " " + r.driver_version},
        {"02 tool", r.tool_version + " (" + r.tool_commit + ")"},
        {"03 verdict", r.verdict},
        {"04 profile", r.profile},
        {"05 seed", std::to_string(r.seed)},
        {"06 clauses pass", std::to_string(c.pass)},
        {"07 clauses fail", std::to_string(c.fail)},
        {"08 clauses untested", std::to_string(c.untested)},
        {"09 clauses not applicable", std::to_string(c.not_applicable)},
        {"10 findings", std::to_string(r.findings.size())},
        {"11 errors", std::to_string(r.errors.size())},
        {"12 sequences", std::to_string(r.sequences)},
        {"13 steps", std::to_string(r.steps)},
        {"14 checks", std::to_string(checks)},
        {"15 duration_s", num(r.duration_s, 2)},
        {"16 steps/s", num(r.duration_s > 0 ? double(r.steps) / r.duration_s : 0, 0)},
    };
    std::map<std::string, std::string> extra;
    flatten(r.config, "config", extra);
    flatten(r.formal, "formal", extra);
    flatten(r.fuzz, "fuzz", extra);
    flatten(r.mutants, "mutants", extra);
    for (auto &[k, v] : extra) s["17 " + k] = v;
    return s;
}

void list(std::string &s, const char *title, const std::vector<std::string> &ids) {
    if (ids.empty()) return;
    s += std::string(title) + " (" + std::to_string(ids.size()) + "):";
    for (const auto &id : ids) s += " " + term_escape(id);
    s += "\n";
}

} // namespace

ReportDiff diff_reports(const Report &before, const Report &after) {
    ReportDiff d;
    std::map<std::string, std::string> old_status;
    for (const auto &c : before.clauses) old_status[c.id] = c.status;
    std::set<std::string> seen;
    for (const auto &c : after.clauses) {
        seen.insert(c.id);
        auto it = old_status.find(c.id);
        if (it == old_status.end()) {
            d.added.push_back(c.id);
            if (c.status == "fail") d.new_failures.push_back(c.id);
            continue;
        }
        const std::string &was = it->second;
        if (c.status == "not-applicable") { // a failure that cannot apply now is not fixed
            if (was != "not-applicable") d.now_not_applicable.push_back(c.id);
            continue;
        }
        if (was == "not-applicable") d.now_applicable.push_back(c.id);
        if (c.status == "fail")
            (was == "fail" ? d.still_failing : d.new_failures).push_back(c.id);
        else if (was == "fail")
            d.fixed.push_back(c.id);
        else if (was == "pass" && c.status == "untested")
            d.lost_coverage.push_back(c.id);
        else if (was == "untested" && c.status == "pass")
            d.new_coverage.push_back(c.id);
    }
    for (const auto &c : before.clauses)
        if (!seen.count(c.id)) {
            d.removed.push_back(c.id);
            // A clause of another profile is not fixed: it does not bind the new one.
            if (c.status == "fail")
                (before.profile == after.profile ? d.fixed : d.now_not_applicable).push_back(c.id);
        }
    std::set<std::string> old_errors(before.errors.begin(), before.errors.end());
    for (const auto &e : after.errors)
        if (!old_errors.count(e)) d.new_errors.push_back(e);

    auto a = statistics(before), b = statistics(after);
    for (const auto &[k, v] : b) {
        auto it = a.find(k);
        std::string was = it == a.end() ? "-" : it->second;
        if (was != v) d.stats.push_back({k.substr(3), was, v});
    }
    for (const auto &[k, v] : a)
        if (!b.count(k)) d.stats.push_back({k.substr(3), v, "-"});
    return d;
}

std::string format_diff(const ReportDiff &d, const Report &after) {
    std::string s;
    s += "new failures (" + std::to_string(d.new_failures.size()) + ")" +
         (d.new_failures.empty() ? "\n" : ":\n");
    for (const auto &id : d.new_failures) {
        const ClauseResult *c = find_clause(after, id);
        s += "  " + term_escape(id) + "  " + (c ? term_escape(c->title) : std::string()) + "\n";
        for (const auto &f : after.findings)
            if (f.clause == id) {
                std::string op = finding_op(f);
                s += "      " + term_escape(f.message) + "\n      at step " +
                     std::to_string(f.step) + (op.empty() ? "" : " (" + term_escape(op) + ")") +
                     ", " + std::to_string(f.occurrences) + " sequence" +
                     (f.occurrences == 1 ? "" : "s") + "\n";
            }
    }
    list(s, "fixed", d.fixed);
    list(s, "still failing", d.still_failing);
    list(s, "no longer tested", d.lost_coverage);
    list(s, "newly tested", d.new_coverage);
    list(s, "no longer applicable", d.now_not_applicable);
    list(s, "now applicable", d.now_applicable);
    list(s, "clauses added", d.added);
    list(s, "clauses removed", d.removed);
    if (!d.new_errors.empty()) {
        s += "new errors (" + std::to_string(d.new_errors.size()) + "):\n";
        for (const auto &e : d.new_errors) s += "  " + term_escape(e) + "\n";
    }
    if (d.stats.empty()) {
        s += "statistics: unchanged\n";
    } else {
        s += "changed:\n";
        for (const auto &c : d.stats)
            s += "  " + term_escape(c.name) + ": " + term_escape(c.before) + " -> " +
                 term_escape(c.after) + "\n";
    }
    s += d.regression() ? "regression: " + std::to_string(d.new_failures.size()) + " new failure" +
                              (d.new_failures.size() == 1 ? "" : "s") +
                              (d.new_errors.empty()
                                   ? std::string()
                                   : ", " + std::to_string(d.new_errors.size()) + " new error" +
                                         (d.new_errors.size() == 1 ? "" : "s")) +
                              "\n"
                        : std::string("no new failure\n");
    return s;
}

} // namespace svac::reports
