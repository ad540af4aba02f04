#include "reports/writers.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <set>
#include <stdexcept>

namespace svac::reports {

std::string render(const Report &r, std::string_view format) {
    if (format == "json") return dump_json(to_json(r)) + "\n";
    if (format == "html") return to_html(r);
    if (format == "junit") return to_junit(r);
    if (format == "md") return to_markdown(r);
    if (format == "sarif") return dump_json(to_sarif(r)) + "\n";
    throw std::invalid_argument("unknown report format \"" + std::string(format) + "\"");
}

std::string write_all(const Report &r, const std::string &dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) throw std::runtime_error(dir + ": cannot create directory: " + ec.message());
    std::string html;
    for (const Format &f : kFormats) {
        std::string path = (std::filesystem::path(dir) / f.file).string();
        write_atomic(path, render(r, f.name));
        if (f.name == "html") html = path;
    }
    return html;
}

void ClauseCounts::add(std::string_view status) {
    (status == "pass"             ? pass
     : status == "fail"           ? fail
     : status == "not-applicable" ? not_applicable
                                  : untested)++;
}

ClauseCounts count_clauses(const Report &r) {
    ClauseCounts c;
    for (const auto &cl : r.clauses) c.add(cl.status);
    return c;
}

std::string counts_text(const ClauseCounts &c) {
    return std::to_string(c.pass) + " pass, " + std::to_string(c.fail) + " fail, " +
           std::to_string(c.untested) + " untested, " + std::to_string(c.not_applicable) +
           " not applicable";
}

const ClauseResult *find_clause(const Report &r, std::string_view id) {
    for (const auto &c : r.clauses)
        if (c.id == id) return &c;
    return nullptr;
}

std::vector<std::string> not_applicable_lines(const Report &r) {
    std::vector<std::pair<std::string, std::string>> by_reason; // reason, IDs
    for (const auto &c : r.clauses) {
        if (c.status != "not-applicable") continue;
        auto it = std::find_if(by_reason.begin(), by_reason.end(),
                               [&](const auto &p) { return p.first == c.reason; });
        if (it == by_reason.end())
            by_reason.emplace_back(c.reason, c.id);
        else
            it->second += ", " + c.id;
    }
    std::vector<std::string> lines;
    for (const auto &[reason, ids] : by_reason) lines.push_back(ids + ": " + reason);
    return lines;
}

namespace {

// What a trace op records (README "Traces"), as opposed to its arguments.
const std::set<std::string, std::less<>> kOutcomeKeys = {"rc",
                                                         "result",
                                                         "outcome",
                                                         "pa",
                                                         "reason",
                                                         "outcomes",
                                                         "callbacks",
                                                         "raised",
                                                         "lost",
                                                         "faults",
                                                         "responses",
                                                         "retries",
                                                         "discarded",
                                                         "code",
                                                         "stray_stores",
                                                         "unsynced_commands",
                                                         "bad_frees",
                                                         "refused_commands",
                                                         "register_misuse",
                                                         "pasid_overrun"};

std::string value_text(const std::string &key, const json &v) {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_number_unsigned() && (key == "va" || key == "pa" || key == "addr")) {
        char buf[24];
        std::snprintf(buf, sizeof buf, "0x%llx",
                      static_cast<unsigned long long>(v.get<uint64_t>()));
        return buf;
    }
    return dump_json(v, -1);
}

} // namespace

OpText describe_op(const json &op) {
    OpText t;
    if (!op.is_object()) {
        t.name = "?";
        t.args = dump_json(op, -1);
        return t;
    }
    if (op.contains("op")) t.name = value_text("op", op["op"]);
    for (auto it = op.begin(); it != op.end(); ++it) {
        // "op", and outcomes that are empty lists: nothing to show.
        if (it.key() == "op" || (it.value().is_array() && it.value().empty())) continue;
        bool outcome = kOutcomeKeys.count(it.key()) || (it.key() == "pasid" && t.name == "bind");
        std::string &to = outcome ? t.outcome : t.args;
        to += (to.empty() ? "" : " ") + it.key() + "=" + value_text(it.key(), it.value());
    }
    return t;
}

std::string finding_op(const FindingRecord &f) {
    if (!f.trace.is_object() || !f.trace.contains("ops")) return "";
    const json &ops = f.trace["ops"];
    if (!ops.is_array() || f.step >= ops.size()) return "";
    return describe_op(ops[f.step]).name;
}

std::string fingerprint(const Report &r, const FindingRecord &f) {
    uint64_t h = 0xcbf29ce484222325ull; // FNV-1a 64
    auto mix = [&](std::string_view s) {
        for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
        h = (h ^ 0xff) * 0x100000001b3ull; // separator
    };
    mix("sva-conform/finding/1");
    mix(r.driver_name);
    mix(f.clause);
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
}

std::string formal_text(const Report &r) {
    const json &f = r.formal;
    if (!f.is_object()) return "";
    auto text = [&](const char *key) {
        return f.contains(key) && f[key].is_string() ? f[key].get<std::string>() : std::string();
    };
    const std::string covers = text("covers").empty() ? "" : "; they cover " + text("covers");
    if (f.contains("omitted")) return "left out: " + text("omitted") + covers;
    const std::size_t checks =
        f.contains("checks") && f["checks"].is_array() ? f["checks"].size() : 0;
    return (text("verdict").empty() ? "?" : text("verdict")) + ": " + std::to_string(checks) +
           " Z3 check" + (checks == 1 ? "" : "s") + covers;
}

std::string command_line_text(const Report &r) {
    std::string s;
    for (const auto &w : r.command_line) {
        bool plain =
            !w.empty() && w.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRST"
                                              "UVWXYZ0123456789-_./=:,+@%") == std::string::npos;
        std::string q = plain ? w : "'";
        if (!plain) {
            for (char c : w) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
            q += "'";
        }
        s += (s.empty() ? "" : " ") + q;
    }
    return s;
}

} // namespace svac::reports
