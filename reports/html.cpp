// The HTML report: one self-contained page (inline CSS, no script, no
// external asset; its Content-Security-Policy forbids fetching anything),
// readable on a laptop and printable.
#include "reports/escape.h"
#include "reports/writers.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <vector>

namespace svac::reports {

namespace {

constexpr const char *kStyle = R"(
:root { --pass: #1a7f37; --fail: #cf222e; --untested: #6e7781; --na: #8c959f; --err: #9a6700; --line: #d0d7de; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2328;
       margin: 0 auto; padding: 1.2em 2em 3em; max-width: 1280px; }
h1 { font-size: 1.6em; margin: 0.2em 0; }
h2 { font-size: 1.25em; border-bottom: 1px solid var(--line); padding-bottom: 0.2em; margin-top: 1.6em; }
h3 { font-size: 1.05em; margin: 0.4em 0; }
code, pre, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 12.5px; }
pre { background: #f6f8fa; padding: 0.6em; overflow-x: auto; white-space: pre-wrap; word-break: break-all; margin: 0.3em 0; }
table { border-collapse: collapse; width: 100%; margin: 0.4em 0; }
table.narrow { width: auto; min-width: 40%; }
th, td { border: 1px solid var(--line); padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.verdict { display: inline-block; padding: 0.25em 0.8em; border-radius: 4px; color: #fff; font-weight: 700;
           text-transform: uppercase; letter-spacing: 0.04em; }
.verdict.conformant { background: var(--pass); }
.verdict.nonconformant { background: var(--fail); }
.verdict.error { background: var(--err); }
.verdict.incomplete { background: var(--err); }
.status { font-weight: 600; white-space: nowrap; }
.status.pass { color: var(--pass); } .status.fail { color: var(--fail); } .status.untested { color: var(--untested); }
.status.not-applicable { color: var(--na); font-weight: 400; font-style: italic; }
tr.not-applicable td { color: var(--na); }
tr.fail td { background: #ffebe9; }
tr.group th { background: #eaeef2; font-size: 1.02em; }
.summary { font-size: 1.05em; margin: 0.5em 0 1em; }
.finding { border: 1px solid var(--line); border-left: 4px solid var(--fail); padding: 0.5em 1em; margin: 1em 0;
           break-inside: avoid; }
.finding summary { cursor: pointer; }
.trace tr.diverged td { background: #ffebe9; }
.trace tr.notrun td { color: var(--untested); }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 0.8em; }
.muted { color: var(--untested); }
dl.kv { display: grid; grid-template-columns: max-content 1fr; gap: 2px 1em; margin: 0.4em 0; }
dl.kv dt { font-weight: 600; } dl.kv dd { margin: 0; overflow-wrap: break-word; min-width: 0; }
nav a { margin-right: 1em; }
@media print {
  body { max-width: none; padding: 0; font-size: 11px; }
  nav { display: none; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  pre { white-space: pre-wrap; }
  h2 { break-after: avoid; }
  tr { break-inside: avoid; }
}
)";

std::string e(std::string_view s) {
    return html_escape(s);
}

std::string dump(const json &j, int indent = -1) {
    return j.dump(indent, ' ', false, json::error_handler_t::replace);
}

// An object one member a line, each value compact: short, and still JSON.
std::string json_lines(const json &j) {
    if (!j.is_object() || j.empty()) return dump(j);
    std::string s = "{";
    for (auto it = j.begin(); it != j.end(); ++it)
        s += std::string(it == j.begin() ? "\n" : ",\n") + "  " + dump(json(it.key())) + ": " +
             dump(it.value());
    return s + "\n}";
}

std::string fixed(double v, int digits) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

// An unsigned number in hex, zero-padded to `width` digits; anything else as JSON.
std::string hex_text(const json &j, int width) {
    if (!j.is_number_unsigned() && !(j.is_number_integer() && j.get<int64_t>() >= 0))
        return dump(j);
    char buf[24];
    std::snprintf(buf, sizeof buf, "%0*llx", width,
                  static_cast<unsigned long long>(j.get<uint64_t>()));
    return buf;
}

std::string scalar(const json &j) {
    if (j.is_string()) return e(j.get<std::string>());
    if (j.is_boolean()) return j.get<bool>() ? "yes" : "no";
    if (j.is_null()) return "<span class=\"muted\">none</span>";
    return "<code>" + e(dump(j)) + "</code>";
}

// Any JSON section (formal, fuzz, mutants, config): objects as key/value
// lists, arrays of objects as tables, scalars as text; deeper than `depth`
// as compact JSON.
void json_block(std::string &h, const json &j, int depth) {
    constexpr std::size_t kMaxRows = 500;
    if (j.is_object() && depth > 0 && !j.empty()) {
        h += "<dl class=\"kv\">";
        for (auto it = j.begin(); it != j.end(); ++it) {
            h += "<dt>" + e(it.key()) + "</dt><dd>";
            json_block(h, it.value(), depth - 1);
            h += "</dd>";
        }
        h += "</dl>";
    } else if (j.is_array() && depth > 0 && !j.empty() &&
               std::all_of(j.begin(), j.end(), [](const json &x) { return x.is_object(); })) {
        std::vector<std::string> cols;
        for (const auto &row : j)
            for (auto it = row.begin(); it != row.end(); ++it)
                if (std::find(cols.begin(), cols.end(), it.key()) == cols.end())
                    cols.push_back(it.key());
        h += "<table><tr>";
        for (const auto &c : cols) h += "<th>" + e(c) + "</th>";
        h += "</tr>";
        std::size_t n = 0;
        for (const auto &row : j) {
            if (++n > kMaxRows) break;
            h += "<tr>";
            for (const auto &c : cols) {
                h += "<td>";
                if (row.contains(c)) {
                    const json &v = row[c];
                    if (v.is_array() && std::none_of(v.begin(), v.end(), [](const json &x) {
                            return x.is_structured();
                        }))
                        for (std::size_t k = 0; k < v.size(); ++k)
                            h += (k ? ", " : "") + scalar(v[k]);
                    else if (v.is_structured())
                        h += "<code>" + e(dump(v)) + "</code>";
                    else
                        h += scalar(v);
                }
                h += "</td>";
            }
            h += "</tr>";
        }
        h += "</table>";
        if (j.size() > kMaxRows)
            h += "<p class=\"muted\">" + std::to_string(j.size() - kMaxRows) +
                 " more rows in report.json</p>";
    } else if (j.is_array() && !j.empty() &&
               std::none_of(j.begin(), j.end(), [](const json &x) { return x.is_structured(); })) {
        for (std::size_t i = 0; i < j.size(); ++i) h += (i ? ", " : "") + scalar(j[i]);
    } else if (j.is_structured()) {
        h += "<code>" + e(dump(j)) + "</code>";
    } else {
        h += scalar(j);
    }
}

void row(std::string &h, std::string_view key, const std::string &value_html) {
    h += "<tr><th>" + e(key) + "</th><td>" + value_html + "</td></tr>\n";
}

void provenance(std::string &h, const Report &r) {
    h += "<section id=\"provenance\"><h2>Provenance</h2>\n<table class=\"provenance\">\n";
    row(h, "Tool",
        e(r.tool_name + " " + r.tool_version) + " (commit <code>" + e(r.tool_commit) + "</code>)");
    row(h, "Driver",
        "<strong>" + e(r.driver_name) + "</strong> version " + e(r.driver_version) +
            ", driver ABI " + std::to_string(r.abi_version));
    row(h, "Library",
        r.library_path.empty()
            ? std::string("<span class=\"muted\">not recorded</span>")
            : e(r.library_kind) + ": <code>" + e(r.library_path) + "</code><br>sha256 <code>" +
                  e(r.library_sha256) + "</code>" +
                  (r.library_remote.empty() ? std::string()
                                            : "<br>run by the driver host at <code>" +
                                                  e(r.library_remote) + "</code>, as it says"));
    row(h, "Profile", e(r.profile));
    row(h, "Seed", std::to_string(r.seed));
    std::string cfg;
    json_block(cfg, r.config, 2);
    row(h, "Campaign settings", cfg);
    row(h, "Command line",
        r.command_line.empty() ? std::string("<span class=\"muted\">not recorded</span>")
                               : "<code>" + e(command_line_text(r)) + "</code>");
    row(h, "Host", e(r.host));
    row(h, "Started", e(r.started));
    row(h, "Duration", fixed(r.duration_s, 2) + " s");
    h += "</table></section>\n";
}

void clause_matrix(std::string &h, const Report &r) {
    // Groups in the order the catalog lists them.
    std::vector<std::string> groups;
    std::map<std::string, std::vector<const ClauseResult *>> by_group;
    for (const auto &c : r.clauses) {
        if (!by_group.count(c.group)) groups.push_back(c.group);
        by_group[c.group].push_back(&c);
    }
    h += "<section id=\"clauses\"><h2>Clause matrix</h2>\n";
    h += "<table id=\"group-summary\" class=\"narrow\"><tr><th>Group</th><th "
         "class=\"num\">pass</th><th "
         "class=\"num\">fail</th><th class=\"num\">untested</th><th class=\"num\">not "
         "applicable</th><th class=\"num\">checks</th></tr>\n";
    for (const auto &g : groups) {
        ClauseCounts c;
        uint64_t checks = 0;
        for (const auto *cl : by_group[g]) {
            c.add(cl->status);
            checks += cl->checks;
        }
        h += "<tr" + std::string(c.fail ? " class=\"fail\"" : "") + "><td><a href=\"#group-" +
             e(g) + "\">" + e(g) + "</a></td><td class=\"num\">" + std::to_string(c.pass) +
             "</td><td class=\"num\">" + std::to_string(c.fail) + "</td><td class=\"num\">" +
             std::to_string(c.untested) + "</td><td class=\"num\">" +
             std::to_string(c.not_applicable) + "</td><td class=\"num\">" + std::to_string(checks) +
             "</td></tr>\n";
    }
    h += "</table>\n<table id=\"clause-matrix\" class=\"matrix\">\n<thead><tr><th>Clause</th><th>"
         "Status</th><th class=\"num\">Checks</th><th>Statement</th></tr></thead>\n";
    for (const auto &g : groups) {
        h += "<tbody id=\"group-" + e(g) + "\"><tr class=\"group\"><th colspan=\"4\">" + e(g) +
             "</th></tr>\n";
        for (const auto *c : by_group[g]) {
            std::string id = e(c->id);
            std::string label = c->status == "fail" ? "<a href=\"#finding-" + id + "\">fail</a>"
                                : c->status == "not-applicable" ? std::string("not applicable")
                                                                : e(c->status);
            std::string why = c->reason.empty()
                                  ? std::string()
                                  : "<br><span class=\"reason\">" + e(c->reason) + "</span>";
            h += "<tr id=\"clause-" + id + "\" class=\"" + e(c->status) + "\"><td><code>" + id +
                 "</code></td><td class=\"status " + e(c->status) + "\">" + label +
                 "</td><td class=\"num\">" + std::to_string(c->checks) + "</td><td>" + e(c->title) +
                 why + "</td></tr>\n";
        }
        h += "</tbody>\n";
    }
    h += "</table></section>\n";
}

// The decoded table entries a finding carries (FindingRecord::tables).
void tables_block(std::string &h, const json &t) {
    if (!t.is_object() || !t.contains("iommus") || !t["iommus"].is_array()) {
        json_block(h, t, 3);
        return;
    }
    h += "<h4>Tables after step " + (t.contains("after_step") ? scalar(t["after_step"]) : "?") +
         ", as the hardware model reads them</h4>\n";
    for (const auto &io : t["iommus"]) {
        h += "<p>IOMMU " + (io.contains("iommu") ? scalar(io["iommu"]) : "?") + " (" +
             (io.contains("arch") ? scalar(io["arch"]) : "?") + ")</p>\n";
        if (!io.contains("entries") || !io["entries"].is_array() || io["entries"].empty()) {
            h += "<p class=\"muted\">no entries</p>\n";
            continue;
        }
        h += "<table class=\"entries\"><tr><th>Table</th><th>Entry</th><th>Address</th><th>Raw</th>"
             "<th>Fields (non-zero)</th></tr>\n";
        for (const auto &en : io["entries"]) {
            auto get = [&](const char *k) { return en.contains(k) ? en[k] : json(); };
            std::string raw, fields;
            if (get("raw").is_array())
                for (const auto &q : en["raw"]) raw += hex_text(q, 16) + " ";
            if (get("fields").is_object())
                for (auto it = en["fields"].begin(); it != en["fields"].end(); ++it)
                    if (it.value() != 0)
                        fields += (fields.empty() ? "" : " ") + it.key() + "=0x" +
                                  hex_text(it.value(), 0);
            std::string pa = "0x" + hex_text(get("pa"), 0);
            h += "<tr><td>" + scalar(get("table")) + "</td><td>" + scalar(get("key")) +
                 "</td><td class=\"mono\">" + e(pa) + "</td><td class=\"mono\">" + e(raw) +
                 "</td><td class=\"mono\">" + e(fields) + "</td></tr>\n";
        }
        h += "</table>\n";
    }
}

void finding_block(std::string &h, const Report &r, const FindingRecord &f) {
    const ClauseResult *c = find_clause(r, f.clause);
    std::string id = e(f.clause);
    h += "<details open class=\"finding\" id=\"finding-" + id +
         "\"><summary><h3 "
         "style=\"display:inline\"><code>" +
         id + "</code> " + (c ? e(c->title) : std::string()) + "</h3></summary>\n";
    h += "<p class=\"message\">" + e(f.message) + "</p>\n";
    h += "<p>Diverged at step " + std::to_string(f.step) + " of the trace below; " +
         std::to_string(f.occurrences) + " sequence" + (f.occurrences == 1 ? "" : "s") +
         " broke this clause.</p>\n";
    h += "<div class=\"pair\"><div><strong>Expected</strong> (what the spec allows)<pre "
         "class=\"expected\">" +
         e(json_lines(f.expected)) +
         "</pre></div><div><strong>Actual</strong> (what the driver did)<pre class=\"actual\">" +
         e(json_lines(f.actual)) + "</pre></div></div>\n";

    h += "<table class=\"trace\"><thead><tr><th class=\"num\">Step</th><th>Op</th><th>Arguments</"
         "th><th>Driver's outcome</th><th>Check</th></tr></thead><tbody>\n";
    const json empty = json::array();
    const json &ops = f.trace.is_object() && f.trace.contains("ops") && f.trace["ops"].is_array()
                          ? f.trace["ops"]
                          : empty;
    for (std::size_t i = 0; i < ops.size(); ++i) {
        OpText t = describe_op(ops[i]);
        std::string cls = "step", check;
        if (i < f.step) {
            check = "<span class=\"status pass\">as allowed</span>";
        } else if (i == f.step) {
            cls = "step diverged";
            check = "<span class=\"status fail\">" + id + "</span><br>expected <code>" +
                    e(dump(f.expected)) + "</code><br>actual <code>" + e(dump(f.actual)) +
                    "</code>";
        } else {
            cls = "step notrun";
            check = "not run";
        }
        h += "<tr class=\"" + cls + "\"><td class=\"num\">" + std::to_string(i) +
             "</td><td><code>" + e(t.name) + "</code></td><td class=\"mono\">" + e(t.args) +
             "</td><td class=\"mono\">" + e(t.outcome) + "</td><td>" + check + "</td></tr>\n";
    }
    h += "</tbody></table>\n";
    if (!f.tables.is_null()) tables_block(h, f.tables);
    h += "<details><summary>Trace JSON (save as a file for <code>sva-conform replay</code> or "
         "<code>check-trace</code>)</summary><pre class=\"trace-json\">" +
         e(dump(f.trace, 2)) + "</pre></details>\n</details>\n";
}

void section(std::string &h, const char *id, const char *title, const json &j) {
    if (j.is_null()) return;
    h += std::string("<section id=\"") + id + "\"><h2>" + title + "</h2>\n";
    json_block(h, j, 3);
    h += "</section>\n";
}

} // namespace

std::string to_html(const Report &r) {
    std::string h;
    h.reserve(64 * 1024);
    const std::string verdict = e(r.verdict);
    h += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src "
         "'unsafe-inline'\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
         "<meta name=\"generator\" content=\"" +
         e(r.tool_name + " " + r.tool_version) + "\">\n<title>" +
         e("sva-conform report: " + r.driver_name + " — " + r.verdict) + "</title>\n<style>" +
         kStyle + "</style>\n</head>\n<body>\n";
    h += "<header><h1>Conformance report: " + e(r.driver_name) + " " + e(r.driver_version) +
         "</h1>\n<p><span id=\"verdict\" class=\"verdict " + verdict + "\">" + verdict +
         "</span></p>\n";
    ClauseCounts n = count_clauses(r);
    double rate = r.duration_s > 0 ? double(r.steps) / r.duration_s : 0;
    h += "<p class=\"summary\" id=\"summary\">" + std::to_string(r.clauses.size()) +
         " clauses: <span class=\"status pass\">" + std::to_string(n.pass) +
         " pass</span>, <span class=\"status fail\">" + std::to_string(n.fail) +
         " fail</span>, <span class=\"status untested\">" + std::to_string(n.untested) +
         " untested</span>, <span class=\"status not-applicable\">" +
         std::to_string(n.not_applicable) + " not applicable</span> · " +
         std::to_string(r.findings.size()) + " finding" + (r.findings.size() == 1 ? "" : "s") +
         " · " + std::to_string(r.sequences) + " sequences, " + std::to_string(r.steps) +
         " steps in " + fixed(r.duration_s, 2) + " s · profile " + e(r.profile) + ", seed " +
         std::to_string(r.seed) + "</p>\n";
    h += "<nav><a href=\"#findings\">Findings</a><a href=\"#clauses\">Clauses</a><a "
         "href=\"#provenance\">Provenance</a><a href=\"#statistics\">Statistics</a>";
    if (!r.formal.is_null()) h += "<a href=\"#formal\">Formal</a>";
    if (!r.fuzz.is_null()) h += "<a href=\"#fuzz\">Fuzzing</a>";
    if (!r.mutants.is_null()) h += "<a href=\"#mutants\">Mutants</a>";
    h += "</nav></header>\n<main>\n";

    // Findings first, then the clause matrix (one row per clause) and the rest.
    h += "<section id=\"findings\"><h2>Findings</h2>\n";
    if (r.findings.empty()) h += "<p>No finding: every check the campaign ran passed.</p>\n";
    for (const auto &f : r.findings) finding_block(h, r, f);
    if (!r.errors.empty()) {
        h += "<h3>Errors</h3><ul id=\"errors\">\n";
        for (const auto &err : r.errors) h += "<li>" + e(err) + "</li>\n";
        h += "</ul>\n";
    }
    h += "</section>\n";
    clause_matrix(h, r);
    provenance(h, r);

    h += "<section id=\"statistics\"><h2>Campaign statistics</h2>\n<table class=\"narrow\">\n";
    row(h, "Sequences", std::to_string(r.sequences));
    row(h, "Steps", std::to_string(r.steps));
    row(h, "Duration", fixed(r.duration_s, 2) + " s");
    row(h, "Steps per second", fixed(rate, 0));
    row(h, "Findings", std::to_string(r.findings.size()));
    row(h, "Errors", std::to_string(r.errors.size()));
    h += "</table></section>\n";
    section(h, "formal", "Formal results", r.formal);
    section(h, "fuzz", "Fuzzing campaign", r.fuzz);
    section(h, "mutants", "Mutants", r.mutants);
    h += "</main>\n<footer><p class=\"muted\">Written by " + e(r.tool_name) + " " +
         e(r.tool_version) + " from report.json (" + e(kReportFormat) +
         "). This page runs no script and loads nothing.</p></footer>\n</body>\n</html>\n";
    return h;
}

} // namespace svac::reports
