// sva-conform drivers --mutants, and sva-conform mutants: campaigns against
// every seeded-bug mutant of the bundled drivers, to measure whether (and
// how fast) the kit finds each bug, and against the unmutated drivers, which
// must stay clean.
#include "cli/cli.h"
#include "properties/campaign.h"

#include "engine/driver.h"
#include "engine/rng.h"
#include "models/registry.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <unistd.h>

namespace svac::cli {

namespace {

using clock_type = std::chrono::steady_clock;

double since(clock_type::time_point t0) {
    return std::chrono::duration<double>(clock_type::now() - t0).count();
}

// Ops per sequence, at most. Long sequences reach the bugs that need several
// steps lined up (a DMA that fills a TLB, a CPU change, a DMA again) an order
// of magnitude sooner than the 32 of `run`; shrinking then trims the
// reproducer.
constexpr uint32_t kHuntOps = 128;

// The one place a mutant hunt runs a campaign: the property campaign, whose
// findings come back shrunk to the same clause.
properties::PropertyResult campaign(const svac_driver_ops &ops, uint64_t seed, uint64_t sequences,
                                    double time_s, const std::function<void()> &on_found) {
    properties::PropertyConfig cfg;
    cfg.campaign.ops = kHuntOps;
    cfg.campaign.seed = seed;
    cfg.campaign.sequences = sequences;
    cfg.campaign.time_s = time_s;
    cfg.shrink_time_s = 10;
    cfg.on_found = [&](const properties::FoundEvent &) { on_found(); };
    return properties::run_property_campaign(ops, cfg);
}

struct Hunt {
    const models::BundledDriver *driver = nullptr;
    const models::Mutant *mutant = nullptr;
    bool found = false;
    std::string clause; // of the shortest finding
    std::vector<std::string> clauses;
    double seconds = 0; // until the first finding, or the budget spent
    uint64_t sequences = 0;
    std::size_t trace_length = 0;
    engine::Trace shrunk;
    std::vector<std::string> errors;
};

// Rounds of growing size, each with its own seed, until a finding or the
// budget runs out.
Hunt hunt(const svac_driver_ops &ops, uint64_t seed, double budget_s) {
    Hunt h;
    const auto t0 = clock_type::now();
    double found_at = -1; // seconds until the first failing case, before its shrink
    const engine::Finding *first = nullptr;
    properties::PropertyResult r;
    for (uint64_t round = 0; !first; ++round) {
        double left = budget_s - since(t0);
        if (left <= 0) break;
        uint64_t sequences = std::min<uint64_t>(uint64_t{16} << std::min<uint64_t>(round, 8), 4096);
        r = campaign(ops, engine::Rng::derive(seed, round), sequences, left, [&] {
            if (found_at < 0) found_at = since(t0);
        });
        h.sequences += r.campaign.sequences;
        for (const auto &e : r.campaign.errors)
            if (h.errors.size() < 5) h.errors.push_back(e);
        for (const auto &[clause, f] : r.campaign.findings)
            if (!first || f.trace.ops.size() < first->trace.ops.size()) first = &f;
    }
    h.seconds = found_at >= 0 ? found_at : since(t0);
    if (!first) return h;
    h.found = true;
    h.clause = ref::clause_id(first->clause);
    for (const auto &[clause, f] : r.campaign.findings)
        h.clauses.emplace_back(ref::clause_id(clause));
    h.trace_length = r.origins.at(first->clause).found_ops;
    h.shrunk = first->trace;
    return h;
}

// Clean means no finding in a bounded campaign.
struct CleanRun {
    const models::BundledDriver *driver = nullptr;
    engine::CampaignResult result;
    double seconds = 0;
};

constexpr uint64_t kCleanSequences = 2000;

reports::json split_clauses(std::string_view list) {
    reports::json a = reports::json::array();
    while (!list.empty()) {
        std::size_t comma = list.find(',');
        a.push_back(std::string(list.substr(0, comma)));
        list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    }
    return a;
}

reports::json hunt_json(const Hunt &h) {
    reports::json j;
    j["driver"] = h.driver->name;
    j["mutant"] = h.mutant->name;
    j["intended_clause"] = h.mutant->clause;
    j["symptoms"] = split_clauses(h.mutant->symptoms);
    j["description"] = h.mutant->description;
    j["found"] = h.found;
    j["clause"] = h.found ? reports::json(h.clause) : reports::json(nullptr);
    j["clauses"] = h.clauses;
    j["seconds"] = h.seconds;
    j["sequences"] = h.sequences;
    if (h.found) {
        j["trace_length"] = h.trace_length;
        j["shrunk_length"] = h.shrunk.ops.size();
        j["trace"] = engine::trace_to_json(h.shrunk);
    }
    j["errors"] = h.errors;
    return j;
}

double median(std::vector<double> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    std::size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

} // namespace

int cmd_list_mutants() {
    for (const auto &d : models::bundled_drivers()) {
        fmt::print("{} ({} mutants)\n", d.name, d.mutants.size());
        for (const auto &m : d.mutants) {
            fmt::print("  {:<30} {:<11} {}\n", m.name, m.clause, m.description);
            if (!m.symptoms.empty())
                fmt::print("  {:<30} {:<11} may show first as {}\n", "", "", m.symptoms);
        }
    }
    return kConformant;
}

int cmd_mutants(const MutantsOptions &opt) {
    std::vector<const models::BundledDriver *> drivers;
    for (const auto &d : models::bundled_drivers())
        if (opt.driver.empty() || d.name == opt.driver) drivers.push_back(&d);
    if (drivers.empty()) select_driver(opt.driver); // throws the usage error naming the drivers
    std::error_code ec;
    std::filesystem::create_directories(opt.out, ec);
    if (ec || !std::filesystem::is_directory(opt.out))
        throw UsageError("--out: " + opt.out + ": cannot create directory" +
                         (ec ? ": " + ec.message() : std::string()));

    const bool live = ::isatty(STDERR_FILENO) && !std::getenv("CI");
    const std::string started = reports::utc_now();
    const auto t0 = clock_type::now();

    std::size_t total = 0;
    for (const auto *d : drivers) total += d->mutants.size();
    std::vector<Hunt> hunts;
    std::vector<CleanRun> clean;
    for (const auto *d : drivers) {
        for (const auto &m : d->mutants) {
            if (live) {
                fmt::print(stderr, "\r[{}/{}] {}:{}\033[K", hunts.size() + 1, total, d->name,
                           m.name);
                std::fflush(stderr);
            }
            const svac_driver_ops &ops =
                select_driver(std::string(d->name) + ":" + std::string(m.name));
            Hunt h = hunt(ops, opt.seed, opt.budget_s);
            h.driver = d;
            h.mutant = &m;
            hunts.push_back(std::move(h));
        }
        if (live) {
            fmt::print(stderr, "\r{} unmutated\033[K", d->name);
            std::fflush(stderr);
        }
        CleanRun c;
        c.driver = d;
        auto c0 = clock_type::now();
        c.result = campaign(select_driver(std::string(d->name)), opt.seed, kCleanSequences,
                            std::max(opt.budget_s, 1.0), [] {})
                       .campaign;
        c.seconds = since(c0);
        clean.push_back(std::move(c));
    }
    if (live) fmt::print(stderr, "\r\033[K");

    std::size_t found = 0;
    std::vector<double> times;
    fmt::print("{:<7} {:<30} {:<11} {:<5} {:<11} {:>8} {:>9} {:>5} {:>6}\n", "driver", "mutant",
               "breaks", "found", "reported", "seconds", "sequences", "trace", "shrunk");
    for (const Hunt &h : hunts) {
        if (h.found) {
            ++found;
            times.push_back(h.seconds);
        }
        fmt::print("{:<7} {:<30} {:<11} {:<5} {:<11} {:>8.3f} {:>9} {:>5} {:>6}\n", h.driver->name,
                   h.mutant->name, h.mutant->clause, h.found ? "yes" : "NO",
                   h.found ? h.clause : "-", h.seconds, h.sequences,
                   h.found ? std::to_string(h.trace_length) : "-",
                   h.found ? std::to_string(h.shrunk.ops.size()) : "-");
    }
    bool all_clean = true;
    reports::json drivers_json = reports::json::array();
    for (const CleanRun &c : clean) {
        bool ok = c.result.findings.empty() && c.result.errors.empty();
        all_clean = all_clean && ok;
        reports::json fj = reports::json::array();
        for (const auto &[clause, f] : c.result.findings) {
            fj.push_back({{"clause", ref::clause_id(clause)},
                          {"message", f.message},
                          {"trace", engine::trace_to_json(f.trace)}});
        }
        drivers_json.push_back({{"driver", c.driver->name},
                                {"sequences", c.result.sequences},
                                {"seconds", c.seconds},
                                {"clean", ok},
                                {"findings", fj},
                                {"errors", c.result.errors}});
        fmt::print("unmutated {}: {} sequences, {}\n", c.driver->name, c.result.sequences,
                   ok ? "no finding" : "FINDINGS");
        for (const auto &[clause, f] : c.result.findings)
            fmt::print("  finding {}", format_finding(f));
        for (const auto &e : c.result.errors) fmt::print("  error: {}\n", e);
    }
    double worst = times.empty() ? 0 : *std::max_element(times.begin(), times.end());
    bool pass = found == hunts.size() && all_clean;
    fmt::print("mutants found: {} of {}; seconds to find: median {:.3f}, worst {:.3f}\n", found,
               hunts.size(), median(times), worst);

    reports::json doc;
    doc["format"] = "sva-mutants/1";
    doc["tool"] = {
        {"name", "sva-conform"}, {"version", tool_version()}, {"commit", SVAC_GIT_COMMIT}};
    doc["seed"] = opt.seed;
    doc["budget_s"] = opt.budget_s;
    doc["ops"] = kHuntOps;
    doc["started"] = started;
    doc["duration_s"] = since(t0);
    doc["summary"] = {{"mutants", hunts.size()},      {"found", found},
                      {"median_s", median(times)},    {"worst_s", worst},
                      {"unmutated_clean", all_clean}, {"pass", pass}};
    doc["drivers"] = drivers_json;
    reports::json rows = reports::json::array();
    for (const Hunt &h : hunts) rows.push_back(hunt_json(h));
    doc["mutants"] = rows;
    std::string path = (std::filesystem::path(opt.out) / "mutants.json").string();
    try {
        reports::write_atomic(path, doc.dump(2) + "\n");
    } catch (const std::runtime_error &e) {
        throw UsageError(std::string("--out: ") + e.what());
    }
    fmt::print("verdict: {}\nreport: {}\n",
               pass ? "every mutant found, unmutated drivers clean" : "FAIL", path);
    return pass ? kConformant : kFindings;
}

} // namespace svac::cli
