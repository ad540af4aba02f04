#include "cli/cli.h"

#include "engine/driver.h"
#include "engine/engine.h"
#include "engine/host/address.h"
#include "engine/host/link.h"
#include "engine/interrupt.h"
#include "engine/isolate.h"
#include "engine/platform.h"
#include "models/driver_source.h"
#include "reports/escape.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sys/utsname.h>
#include <unistd.h>

namespace svac::cli {

std::string tool_version() {
    return SVAC_VERSION;
}

void check_out_dir(const std::string &dir, const std::string &option) {
    namespace fs = std::filesystem;
    const std::string where = option + ": " + dir + ": ";
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec || !fs::is_directory(dir, ec))
        throw UsageError(where + "cannot create directory" + (ec ? ": " + ec.message() : ""));
    const fs::path probe = fs::path(dir) / fmt::format(".sva-conform-probe.{}", ::getpid());
    const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) throw UsageError(where + "cannot write: " + std::strerror(errno));
    ::close(fd);
    fs::remove(probe, ec);
}

const ref::Profile &profile_option(const std::string &name) {
    if (const ref::Profile *p = ref::find_profile(name)) return *p;
    std::string known;
    for (const auto &p : ref::profiles())
        known += (known.empty() ? "" : ", ") + std::string(p.name);
    throw UsageError("--profile: unknown profile \"" + name + "\" (known: " + known + ")");
}

namespace {

// Seconds a driver host has to answer a connection with its ready frame.
constexpr double kRemoteGreeting_s = 10;

// The ops table of a driver a host serves: what its ready frame says, and
// no entry point (its calls are made only in the host). Kept for the
// process's life, as a plugin's table is.
const svac_driver_ops *remote_ops(const engine::host::RemoteDriver &d) {
    struct Remote {
        std::string name, version;
        svac_driver_ops ops{};
    };
    static std::deque<Remote> served;
    Remote &r = served.emplace_back();
    r.name = d.name;
    r.version = d.version;
    r.ops.abi_version = d.abi_version;
    r.ops.size = sizeof(svac_driver_ops);
    r.ops.name = r.name.c_str();
    r.ops.version = r.version.c_str();
    r.ops.arch_mask = d.arch_mask;
    r.ops.contracts = d.contracts;
    return &r.ops;
}

SelectedDriver remote_driver(const std::string &host) {
    const std::string what = "--driver-host " + host;
    try {
        engine::host::check_address(host);
    } catch (const std::invalid_argument &e) {
        throw UsageError(what + ": " + e.what());
    }
    engine::host::RemoteDriver d;
    try {
        d = engine::host::describe_remote(host, kRemoteGreeting_s);
    } catch (const std::runtime_error &e) {
        throw UsageError("--driver-host " + std::string(e.what()));
    }
    if (d.abi_version < SVAC_ABI_VERSION_MIN || d.abi_version > SVAC_ABI_VERSION)
        throw UsageError(fmt::format("{}: the host serves a driver built for ABI version {}, this "
                                     "sva-conform speaks versions {} to {}",
                                     what, d.abi_version, SVAC_ABI_VERSION_MIN, SVAC_ABI_VERSION));
    if (d.name.empty()) throw UsageError(what + ": the host's ready frame names no driver");
    SelectedDriver s;
    s.ops = remote_ops(d);
    s.remote = host;
    s.library_kind = d.library_kind == "bundled" ? "bundled" : "plugin";
    s.library_path = d.library_path;
    s.library_sha256 = d.library_sha256;
    return s;
}

} // namespace

SelectedDriver select_driver(const std::string &name, const std::string &lib,
                             const std::string &host) {
    if (int(!name.empty()) + int(!lib.empty()) + int(!host.empty()) > 1)
        throw UsageError("--driver, --driver-lib and --driver-host: name one driver, bundled, a "
                         "plugin or served by a host");
    if (lib.empty() && name.empty() && host.empty())
        throw UsageError("--driver, --driver-lib or --driver-host is required");
    if (!host.empty()) return remote_driver(host);
    SelectedDriver d;
    models::DriverLookup found;
    std::string what;
    if (lib.empty()) {
        found = models::find_driver(name);
        what = "--driver " + name;
    } else {
        std::error_code ec;
        std::filesystem::path abs = std::filesystem::absolute(lib, ec);
        d.library_kind = "plugin";
        d.library_path = ec ? lib : abs.lexically_normal().string();
        found = models::load_plugin(lib);
        what = "--driver-lib " + lib;
    }
    if (!found.ops) throw UsageError(what + ": " + found.error);
    std::string why = engine::check_driver_ops(found.ops);
    if (!why.empty()) throw UsageError(what + ": " + why);
    d.ops = found.ops;
    return d;
}

std::optional<engine::Isolation> IsolationFlags::choose(const SelectedDriver &driver) const {
    if (!driver.remote.empty()) {
        if (no_isolate)
            throw UsageError("--no-isolate: a driver served by a host (--driver-host) runs there");
        return engine::Isolation{.step_timeout_s = step_timeout_s,
                                 .memory_limit = memory_limit_mib << 20,
                                 .remote = driver.remote};
    }
    if (no_isolate || (!isolate && !driver.plugin())) return std::nullopt;
    return engine::Isolation{.step_timeout_s = step_timeout_s,
                             .memory_limit = memory_limit_mib << 20};
}

std::string file_sha256(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return "";
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) return "";
    std::vector<char> buf(1 << 16);
    while (in) {
        in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
        if (in.gcount() > 0 &&
            EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<std::size_t>(in.gcount())) != 1)
            return "";
    }
    if (in.bad()) return "";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(ctx.get(), md, &len) != 1) return "";
    std::string hex;
    for (unsigned int i = 0; i < len; ++i) hex += fmt::format("{:02x}", md[i]);
    return hex;
}

namespace {

// This process's command line, word by word (Linux: /proc/self/cmdline).
std::vector<std::string> own_command_line() {
    std::ifstream in("/proc/self/cmdline", std::ios::binary);
    std::vector<std::string> words;
    std::string w;
    while (std::getline(in, w, '\0')) words.push_back(w);
    return words;
}

// "name (Linux 6.1.0, x86_64)".
std::string host_description() {
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) != 0) name[0] = '\0';
    struct utsname u {};
    if (::uname(&u) != 0) return name;
    return fmt::format("{} ({} {}, {})", name, u.sysname, u.release, u.machine);
}

// The driver's tables after op `step` of the trace, decoded as the hardware
// model reads them (as dump-tables shows them); null if the replay fails
// (the driver crashed or hung where it had not). An isolated driver runs in
// its host; the tables are read from the kit's platform, rebuilt from the
// host's account.
reports::json decoded_tables(const SelectedDriver &selected, const engine::CampaignConfig &cfg,
                             const engine::Trace &trace, std::size_t step) {
    constexpr std::size_t kMaxEntries = 256; // per IOMMU: a report stays readable
    reports::json iommus = reports::json::array();
    auto inspect = [&](engine::DriverInstance &instance) {
        engine::Platform &p = instance.platform();
        for (uint32_t i = 0; i < p.iommu_count(); ++i) {
            const ref::ModelDump d = p.iommu(i).dump(p.memory(), trace.topology);
            reports::json entries = reports::json::array();
            for (const auto &e : d.entries) {
                if (entries.size() == kMaxEntries) break;
                entries.push_back(entry_json(e));
            }
            iommus.push_back({{"iommu", i},
                              {"arch", ref::arch_name(trace.topology.iommus[i].arch)},
                              {"entries", entries}});
        }
    };
    engine::RunStats stats;
    engine::RunOptions options;
    options.isolate = cfg.options.isolate;
    // A campaign stopped by a signal still shows its findings' tables: the
    // same report, isolated or not, whenever the signal came.
    const engine::FinishDespiteStop finish;
    try {
        engine::run_differential(*selected, trace, stats, nullptr, inspect, step + 1, options);
    } catch (const engine::DriverError &) {
        return nullptr;
    }
    if (iommus.empty()) return nullptr; // the driver was lost before that step
    return {{"after_step", step}, {"iommus", iommus}};
}

reports::json tables_of(const SelectedDriver &selected, const engine::CampaignConfig &cfg,
                        const engine::Finding &f) {
    return decoded_tables(selected, cfg, f.trace, f.step);
}

// A clause's line in the report: a finding fails it; a check that ran passes
// it; else it is not applicable to the topologies the campaign ran (with
// why), or untested.
reports::ClauseResult clause_result(const ref::Clause &c, const engine::CampaignResult &result) {
    reports::ClauseResult cr{std::string(c.id), std::string(ref::group_name(c.group)),
                             std::string(c.statement), "untested", result.stats.checks[c.ident]};
    if (result.findings.count(c.ident)) {
        cr.status = "fail";
    } else if (cr.checks) {
        cr.status = "pass";
    } else {
        cr.reason = ref::not_applicable(c.ident, result.stats.scope);
        if (!cr.reason.empty()) cr.status = "not-applicable";
    }
    return cr;
}

} // namespace

void set_provenance(reports::Report &r, const SelectedDriver *driver) {
    r.tool_version = tool_version();
    r.tool_commit = SVAC_GIT_COMMIT;
    if (driver && !driver->remote.empty()) { // as the host says
        r.library_kind = driver->library_kind;
        r.library_path = driver->library_path;
        r.library_sha256 = driver->library_sha256;
        r.library_remote = driver->remote;
    } else if (driver && driver->plugin()) {
        r.library_kind = driver->library_kind;
        r.library_path = driver->library_path;
        r.library_sha256 = file_sha256(driver->library_path);
    } else { // bundled drivers are compiled into this executable: it is their library
        std::error_code ec;
        std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
        r.library_kind = "bundled";
        r.library_path = ec ? std::string("bundled") : exe.string();
        r.library_sha256 = ec ? std::string() : file_sha256(exe.string());
    }
    r.command_line = own_command_line();
    r.host = host_description();
}

reports::Report make_report(const SelectedDriver &selected, const engine::CampaignConfig &cfg,
                            const engine::CampaignResult &result, const std::string &started,
                            double duration_s) {
    const svac_driver_ops &driver = *selected;
    reports::Report r;
    set_provenance(r, &selected);
    r.driver_name = driver.name;
    r.driver_version = driver.version ? driver.version : "";
    r.abi_version = driver.abi_version;
    r.profile = cfg.profile;
    r.seed = cfg.seed;
    r.started = started;
    r.duration_s = duration_s;
    r.config = {{"sequences", cfg.sequences},
                {"ops", cfg.ops},
                {"time_s", cfg.time_s},
                {"generator", "plain"}};
    // The clauses of the campaign's profile: the others bind other API generations.
    const ref::Profile *profile = ref::find_profile(cfg.profile);
    for (const auto &c : ref::clause_catalog())
        if (!profile || ref::binds(c.ident, *profile))
            r.clauses.push_back(clause_result(c, result));
    for (const auto &[clause, f] : result.findings) {
        r.findings.push_back({std::string(ref::clause_id(clause)), f.step, f.message, f.expected,
                              f.actual, engine::trace_to_json(engine::finding_trace(f)),
                              result.occurrences.at(clause)});
        // Table and hardware rules: the tables the hardware walked, decoded.
        if (ref::hardware_rule(clause)) r.findings.back().tables = tables_of(selected, cfg, f);
    }
    r.sequences = result.sequences;
    r.steps = result.stats.steps;
    r.errors = result.errors;
    r.verdict = reports::campaign_verdict(result.interrupted, result.sequences,
                                          result.findings.size(), result.errors.size());
    return r;
}

std::string format_finding(const engine::Finding &f) {
    const ref::Clause &c = ref::clause(f.clause);
    return fmt::format("{} at step {}: {}\n    rule: {}\n    expected: {}\n    actual:   {}\n",
                       c.id, f.step, reports::term_escape(f.message), c.statement,
                       reports::term_escape(reports::dump_json(f.expected, -1)),
                       reports::term_escape(reports::dump_json(f.actual, -1)));
}

} // namespace svac::cli
