// sva-conform drivers --mutants, and sva-conform mutants: campaigns against
// every seeded-bug mutant of the bundled drivers, to measure whether (and
// how fast) the kit finds each bug, and against the unmutated drivers, which
// must stay clean.
#include "properties/mutants.h"
#include "cli/cli.h"
#include "cli/progress.h"
#include "properties/campaign.h"

#include "engine/clock.h"
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

using properties::campaign_for_hunt;
using properties::hunt;
using properties::Hunt;
using properties::kHuntOps;

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
    check_out_dir(opt.out);                         // now, not after the hunts

    ProgressLine line; // live on a terminal only
    const std::string started = reports::utc_now();
    const auto t0 = engine::Clock::now();

    std::size_t total = 0, found_so_far = 0;
    for (const auto *d : drivers) total += d->mutants.size();
    std::vector<Hunt> hunts;
    std::vector<CleanRun> clean;
    auto show = [&](const std::string &note) {
        line.update({.done = hunts.size(),
                     .total = total,
                     .unit = "mutants",
                     .work_unit = "",
                     .findings = found_so_far,
                     .elapsed_s = engine::seconds_since(t0),
                     .note = note},
                    true);
    };
    for (const auto *d : drivers) {
        for (const auto &m : d->mutants) {
            const std::string name = std::string(d->name) + ":" + std::string(m.name);
            show(name);
            const svac_driver_ops &ops = *select_driver(name);
            Hunt h = hunt(ops, opt.seed, opt.budget_s);
            found_so_far += h.found;
            h.driver = d;
            h.mutant = &m;
            hunts.push_back(std::move(h));
        }
        show(std::string(d->name) + " unmutated");
        CleanRun c;
        c.driver = d;
        auto c0 = engine::Clock::now();
        c.result = campaign_for_hunt(*select_driver(std::string(d->name)), opt.seed,
                                     kCleanSequences, std::max(opt.budget_s, 1.0), [] {})
                       .campaign;
        c.seconds = engine::seconds_since(c0);
        clean.push_back(std::move(c));
    }
    line.clear();

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
    doc["duration_s"] = engine::seconds_since(t0);
    doc["summary"] = {{"mutants", hunts.size()},      {"found", found},
                      {"median_s", median(times)},    {"worst_s", worst},
                      {"unmutated_clean", all_clean}, {"pass", pass}};
    doc["drivers"] = drivers_json;
    reports::json rows = reports::json::array();
    for (const Hunt &h : hunts) rows.push_back(hunt_json(h));
    doc["mutants"] = rows;
    std::string path = (std::filesystem::path(opt.out) / "mutants.json").string();
    try {
        reports::write_atomic(path, reports::dump_json(doc) + "\n");
    } catch (const std::runtime_error &e) {
        throw UsageError(std::string("--out: ") + e.what());
    }
    fmt::print("verdict: {}\nreport: {}\n",
               pass ? "every mutant found, unmutated drivers clean" : "FAIL", path);
    return pass ? kConformant : kFindings;
}

} // namespace svac::cli
