#include "reports/report.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <stdexcept>
#include <unistd.h>

namespace svac::reports {

json to_json(const Report &r) {
    json j;
    j["format"] = kReportFormat;
    j["tool"] = {{"name", r.tool_name}, {"version", r.tool_version}, {"commit", r.tool_commit}};
    j["driver"] = {
        {"name", r.driver_name}, {"version", r.driver_version}, {"abi_version", r.abi_version}};
    j["driver"]["library"] = {
        {"kind", r.library_kind}, {"path", r.library_path}, {"sha256", r.library_sha256}};
    if (!r.library_remote.empty()) j["driver"]["library"]["remote"] = r.library_remote;
    j["profile"] = r.profile;
    j["seed"] = r.seed;
    j["started"] = r.started;
    j["duration_s"] = r.duration_s;
    j["verdict"] = r.verdict;
    j["invocation"] = {{"command_line", r.command_line}, {"host", r.host}};
    j["config"] = r.config;
    j["clauses"] = json::array();
    for (const auto &c : r.clauses) {
        json cj = {{"id", c.id},
                   {"group", c.group},
                   {"title", c.title},
                   {"status", c.status},
                   {"checks", c.checks}};
        if (!c.reason.empty()) cj["reason"] = c.reason;
        j["clauses"].push_back(std::move(cj));
    }
    j["findings"] = json::array();
    for (const auto &f : r.findings) {
        json fj = {{"clause", f.clause},     {"step", f.step},     {"message", f.message},
                   {"expected", f.expected}, {"actual", f.actual}, {"occurrences", f.occurrences},
                   {"trace", f.trace}};
        if (!f.tables.is_null()) fj["tables"] = f.tables;
        j["findings"].push_back(std::move(fj));
    }
    j["stats"] = {{"sequences", r.sequences}, {"steps", r.steps}};
    j["errors"] = r.errors;
    if (!r.formal.is_null()) j["formal"] = r.formal;
    if (!r.fuzz.is_null()) j["fuzz"] = r.fuzz;
    if (!r.mutants.is_null()) j["mutants"] = r.mutants;
    return j;
}

std::string campaign_verdict(bool stopped, uint64_t sequences, std::size_t findings,
                             std::size_t errors) {
    if (stopped) return "incomplete";
    if (findings > 0) return "nonconformant";
    if (errors > 0) return "error";
    return sequences == 0 ? "incomplete" : "conformant";
}

std::string dump_json(const json &j, int indent) {
    return j.dump(indent, ' ', false, json::error_handler_t::replace);
}

void write_atomic(const std::string &path, const std::string &content) {
    std::string tmp = path + ".tmp." + std::to_string(::getpid());
    std::FILE *f = std::fopen(tmp.c_str(), "wb");
    if (!f) throw std::runtime_error(path + ": cannot write: " + std::strerror(errno));
    bool ok = std::fwrite(content.data(), 1, content.size(), f) == content.size();
    ok = std::fflush(f) == 0 && ok;
    ok = ::fsync(::fileno(f)) == 0 && ok;
    ok = std::fclose(f) == 0 && ok;
    if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
        int err = errno;
        std::remove(tmp.c_str());
        throw std::runtime_error(path + ": cannot write: " + std::strerror(err));
    }
}

std::string write_json_report(const Report &r, const std::string &dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) throw std::runtime_error(dir + ": cannot create directory: " + ec.message());
    std::string path = (std::filesystem::path(dir) / "report.json").string();
    write_atomic(path, dump_json(to_json(r)) + "\n");
    return path;
}

std::string utc_now() {
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

} // namespace svac::reports
