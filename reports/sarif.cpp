// The SARIF 2.1.0 report, for code-scanning dashboards (GitHub, GitLab,
// Azure DevOps): one rule per clause (its ID and statement), one result per
// finding, located at the finding's trace file (findings/<CLAUSE>.json beside
// the report) and, logically, at the driver op that diverged; a stable
// partialFingerprints entry per finding so a re-run does not duplicate alerts.
#include "reports/writers.h"

#include <map>

namespace svac::reports {

namespace {

// A path segment percent-encoded (RFC 3986 unreserved characters kept).
std::string uri_segment(std::string_view s) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
    return out == "." || out == ".." ? "%2E" + out.substr(1) : out;
}

json text(const std::string &s) {
    return {{"text", s}};
}

// How many clauses of each status: {"pass", "fail", "untested", "not_applicable"}.
json clause_counts(const Report &r) {
    const ClauseCounts n = count_clauses(r);
    return {{"pass", n.pass},
            {"fail", n.fail},
            {"untested", n.untested},
            {"not_applicable", n.not_applicable}};
}

} // namespace

json to_sarif(const Report &r) {
    json rules = json::array();
    std::map<std::string, std::size_t> rule_index;
    for (const auto &c : r.clauses) {
        if (rule_index.count(c.id)) continue;
        rule_index[c.id] = rules.size();
        json props = {{"group", c.group}, {"tags", {"sva", c.group}}, {"status", c.status}};
        if (!c.reason.empty()) props["reason"] = c.reason;
        rules.push_back({{"id", c.id},
                         {"shortDescription", text(c.title)},
                         {"fullDescription", text(c.title)},
                         {"help", text(c.id + ": " + c.title)},
                         {"defaultConfiguration", {{"level", "error"}}},
                         {"properties", props}});
    }
    json results = json::array();
    for (const auto &f : r.findings) {
        std::string op = finding_op(f);
        json result;
        result["ruleId"] = f.clause;
        if (auto it = rule_index.find(f.clause); it != rule_index.end())
            result["ruleIndex"] = it->second;
        result["level"] = "error";
        result["message"] = text(f.clause + " at step " + std::to_string(f.step) +
                                 (op.empty() ? std::string() : " (" + op + ")") + ": " + f.message);
        json location;
        location["physicalLocation"] = {
            {"artifactLocation",
             {{"uri", "findings/" + uri_segment(f.clause) + ".json"}, {"uriBaseId", "REPORTDIR"}}},
            {"region", {{"startLine", 1}}}};
        location["logicalLocations"] = json::array(
            {{{"name", op.empty() ? std::string("trace") : op},
              {"fullyQualifiedName", r.driver_name + "::" + (op.empty() ? "trace" : op)},
              {"kind", "function"}}});
        result["locations"] = json::array({location});
        result["partialFingerprints"] = {{"svaConformFinding/v1", fingerprint(r, f)}};
        result["properties"] = {{"step", f.step},
                                {"occurrences", f.occurrences},
                                {"expected", f.expected},
                                {"actual", f.actual},
                                {"trace", f.trace}};
        results.push_back(std::move(result));
    }
    json invocation;
    invocation["executionSuccessful"] = r.errors.empty();
    invocation["commandLine"] = command_line_text(r);
    invocation["arguments"] =
        r.command_line.size() > 1
            ? json(std::vector<std::string>(r.command_line.begin() + 1, r.command_line.end()))
            : json::array();
    if (!r.started.empty()) invocation["startTimeUtc"] = r.started;
    invocation["machine"] = r.host;
    invocation["toolExecutionNotifications"] = json::array();
    for (const auto &e : r.errors)
        invocation["toolExecutionNotifications"].push_back(
            {{"level", "error"}, {"message", text(e)}});

    json run;
    run["tool"] = {{"driver",
                    {{"name", r.tool_name},
                     {"version", r.tool_version + "+" + r.tool_commit},
                     {"semanticVersion", r.tool_version},
                     {"rules", rules}}}};
    run["automationDetails"] = {{"id", r.tool_name + "/" + r.driver_name + "/"}};
    run["originalUriBaseIds"] = {
        {"REPORTDIR", {{"description", text("the directory that holds report.sarif")}}}};
    run["invocations"] = json::array({invocation});
    run["results"] = results;
    run["properties"] = {
        {"verdict", r.verdict},
        {"driver",
         {{"name", r.driver_name},
          {"version", r.driver_version},
          {"abi_version", r.abi_version},
          {"library",
           {{"kind", r.library_kind}, {"path", r.library_path}, {"sha256", r.library_sha256}}}}},
        {"profile", r.profile},
        {"seed", r.seed},
        {"duration_s", r.duration_s},
        {"stats", {{"sequences", r.sequences}, {"steps", r.steps}}},
        {"clauses", clause_counts(r)}};
    json log;
    log["$schema"] = "https://json.schemastore.org/sarif-2.1.0.json";
    log["version"] = "2.1.0";
    log["runs"] = json::array({run});
    return log;
}

} // namespace svac::reports
