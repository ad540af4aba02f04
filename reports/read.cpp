// Reading a report back: JSON -> Report, validated, every error located.
#include "reports/json_text.h"
#include "reports/report.h"

#include <algorithm>

namespace svac::reports {

namespace {

// Walks the JSON with its pointer so each error can say where.
class Reader {
public:
    explicit Reader(std::string_view source) : source_(source) {}

    [[noreturn]] void fail(const std::string &where, const std::string &why) const {
        throw ReportError(std::string(source_) + ": " + (where.empty() ? "/" : where) + ": " + why);
    }

    const json &field(const json &obj, const std::string &at, const char *key) const {
        if (!obj.is_object()) fail(at, std::string("expected an object, got ") + obj.type_name());
        auto it = obj.find(key);
        if (it == obj.end()) fail(at, std::string("missing field \"") + key + "\"");
        return *it;
    }

    std::string str(const json &obj, const std::string &at, const char *key) const {
        const json &j = field(obj, at, key);
        if (!j.is_string())
            fail(at + "/" + key, std::string("expected a string, got ") + j.type_name());
        return j.get<std::string>();
    }

    uint64_t count(const json &obj, const std::string &at, const char *key) const {
        const json &j = field(obj, at, key);
        if (!j.is_number_unsigned())
            fail(at + "/" + key, "expected an unsigned integer, got " +
                                     (j.is_number() ? j.dump() : std::string(j.type_name())));
        return j.get<uint64_t>();
    }

    double number(const json &obj, const std::string &at, const char *key) const {
        const json &j = field(obj, at, key);
        if (!j.is_number())
            fail(at + "/" + key, std::string("expected a number, got ") + j.type_name());
        return j.get<double>();
    }

    const json &array(const json &obj, const std::string &at, const char *key) const {
        const json &j = field(obj, at, key);
        if (!j.is_array())
            fail(at + "/" + key, std::string("expected an array, got ") + j.type_name());
        return j;
    }

    std::vector<std::string> strings(const json &obj, const std::string &at,
                                     const char *key) const {
        const json &a = array(obj, at, key);
        std::vector<std::string> out;
        for (std::size_t i = 0; i < a.size(); ++i) {
            if (!a[i].is_string())
                fail(at + "/" + key + "/" + std::to_string(i),
                     std::string("expected a string, got ") + a[i].type_name());
            out.push_back(a[i].get<std::string>());
        }
        return out;
    }

private:
    std::string_view source_;
};

} // namespace

Report parse_report(std::string_view text, std::string_view source) {
    std::string error;
    auto parsed = parse_json_text(text, &error);
    if (!parsed) throw ReportError(std::string(source) + ": " + error);
    json j = std::move(*parsed);
    Reader rd(source);
    if (!j.is_object()) rd.fail("", std::string("expected a report object, got ") + j.type_name());
    const json &format = rd.field(j, "", "format");
    if (format != kReportFormat)
        rd.fail("/format", "expected \"" + std::string(kReportFormat) + "\", got " +
                               excerpt(format) + " (not an sva-conform report)");
    Report r;
    const json &tool = rd.field(j, "", "tool");
    r.tool_name = rd.str(tool, "/tool", "name");
    r.tool_version = rd.str(tool, "/tool", "version");
    r.tool_commit = rd.str(tool, "/tool", "commit");
    const json &driver = rd.field(j, "", "driver");
    r.driver_name = rd.str(driver, "/driver", "name");
    r.driver_version = rd.str(driver, "/driver", "version");
    uint64_t abi = rd.count(driver, "/driver", "abi_version");
    if (abi > UINT32_MAX) rd.fail("/driver/abi_version", "out of range");
    r.abi_version = static_cast<uint32_t>(abi);
    if (driver.contains("library")) { // reports before provenance have none
        const json &lib = driver["library"];
        r.library_kind = rd.str(lib, "/driver/library", "kind");
        r.library_path = rd.str(lib, "/driver/library", "path");
        r.library_sha256 = rd.str(lib, "/driver/library", "sha256");
        if (lib.contains("remote")) r.library_remote = rd.str(lib, "/driver/library", "remote");
    }
    r.profile = rd.str(j, "", "profile");
    r.seed = rd.count(j, "", "seed");
    r.started = rd.str(j, "", "started");
    r.duration_s = rd.number(j, "", "duration_s");
    r.verdict = rd.str(j, "", "verdict");
    if (r.verdict != "conformant" && r.verdict != "nonconformant" && r.verdict != "error" &&
        r.verdict != "incomplete")
        rd.fail("/verdict", "expected \"conformant\", \"nonconformant\", \"error\" or "
                            "\"incomplete\", got " +
                                excerpt(j["verdict"]));
    if (j.contains("invocation")) {
        const json &inv = j["invocation"];
        r.command_line = rd.strings(inv, "/invocation", "command_line");
        r.host = rd.str(inv, "/invocation", "host");
    }
    r.config = rd.field(j, "", "config");
    if (!r.config.is_object())
        rd.fail("/config", std::string("expected an object, got ") + r.config.type_name());

    const json &clauses = rd.array(j, "", "clauses");
    for (std::size_t i = 0; i < clauses.size(); ++i) {
        const std::string at = "/clauses/" + std::to_string(i);
        const json &c = clauses[i];
        ClauseResult cr{rd.str(c, at, "id"), rd.str(c, at, "group"), rd.str(c, at, "title"),
                        rd.str(c, at, "status"), rd.count(c, at, "checks")};
        if (std::find(std::begin(kClauseStatuses), std::end(kClauseStatuses), cr.status) ==
            std::end(kClauseStatuses))
            rd.fail(at + "/status", "expected \"pass\", \"fail\", \"untested\" or "
                                    "\"not-applicable\", got " +
                                        excerpt(json(cr.status)));
        if (c.contains("reason")) cr.reason = rd.str(c, at, "reason");
        if (cr.status == "not-applicable" && cr.reason.empty())
            rd.fail(at + "/reason", "a not-applicable clause says why it cannot apply");
        r.clauses.push_back(std::move(cr));
    }
    const json &findings = rd.array(j, "", "findings");
    for (std::size_t i = 0; i < findings.size(); ++i) {
        const std::string at = "/findings/" + std::to_string(i);
        const json &f = findings[i];
        FindingRecord fr;
        fr.clause = rd.str(f, at, "clause");
        fr.step = rd.count(f, at, "step");
        fr.message = rd.str(f, at, "message");
        fr.expected = rd.field(f, at, "expected");
        fr.actual = rd.field(f, at, "actual");
        fr.occurrences = rd.count(f, at, "occurrences");
        fr.trace = rd.field(f, at, "trace");
        if (!fr.trace.is_object() || !fr.trace.contains("ops") || !fr.trace["ops"].is_array())
            rd.fail(at + "/trace", "expected a trace object with \"ops\"");
        if (f.contains("tables")) fr.tables = f["tables"];
        r.findings.push_back(std::move(fr));
    }
    const json &stats = rd.field(j, "", "stats");
    r.sequences = rd.count(stats, "/stats", "sequences");
    r.steps = rd.count(stats, "/stats", "steps");
    r.errors = rd.strings(j, "", "errors");
    if (j.contains("formal")) r.formal = j["formal"];
    if (j.contains("fuzz")) r.fuzz = j["fuzz"];
    if (j.contains("mutants")) r.mutants = j["mutants"];
    return r;
}

Report load_report(const std::string &path) {
    std::string error;
    auto text = read_json_file(path, &error);
    if (!text) throw ReportError(path + ": " + error);
    return parse_report(*text, path);
}

} // namespace svac::reports
