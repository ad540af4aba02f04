// sva-conform drivers --mutants, and sva-conform mutants: campaigns against
// every seeded-bug mutant of the bundled drivers, to measure whether (and
// how fast) the kit finds each bug, and against the unmutated drivers, which
// must stay clean.
#include "properties/mutants.h"
#include "cli/cli.h"
#include "cli/progress.h"
#include "engine/interrupt.h"
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
    j["profile"] = h.mutant->profile;
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

bool is_clean(const CleanRun &c) {
    return c.result.findings.empty() && c.result.errors.empty();
}

reports::json clean_json(const CleanRun &c) {
    reports::json fj = reports::json::array();
    for (const auto &[clause, f] : c.result.findings) {
        fj.push_back({{"clause", ref::clause_id(clause)},
                      {"message", f.message},
                      {"trace", engine::trace_to_json(engine::finding_trace(f))}});
    }
    return {{"driver", c.driver->name}, {"sequences", c.result.sequences},
            {"seconds", c.seconds},     {"clean", is_clean(c)},
            {"findings", fj},           {"errors", c.result.errors}};
}

// What has been measured so far: the hunts and unmutated runs that ran to
// their end. `complete` is false until all of them have, so a run stopped by
// a signal (or killed) leaves a file that says it is partial.
struct Measured {
    std::vector<Hunt> hunts;
    std::vector<CleanRun> clean;
    bool complete = false;

    std::vector<double> times() const {
        std::vector<double> t;
        for (const Hunt &h : hunts)
            if (h.found) t.push_back(h.seconds);
        return t;
    }
    bool all_clean() const { return std::all_of(clean.begin(), clean.end(), is_clean); }
    // Every mutant found and the unmutated drivers clean, of what ran.
    bool none_failed() const { return times().size() == hunts.size() && all_clean(); }
    bool pass() const { return complete && none_failed(); }
};

reports::json mutants_doc(const MutantsOptions &opt, const std::string &started,
                          engine::Clock::time_point t0, const Measured &m) {
    const std::vector<double> times = m.times();
    reports::json doc;
    doc["format"] = "sva-mutants/1";
    doc["tool"] = {
        {"name", "sva-conform"}, {"version", tool_version()}, {"commit", SVAC_GIT_COMMIT}};
    doc["seed"] = opt.seed;
    doc["profile"] = opt.profile;
    doc["budget_s"] = opt.budget_s;
    doc["max_sequences"] = opt.max_sequences;
    doc["ops"] = kHuntOps;
    doc["started"] = started;
    doc["duration_s"] = engine::seconds_since(t0);
    doc["complete"] = m.complete;
    doc["summary"] = {
        {"mutants", m.hunts.size()},
        {"found", times.size()},
        {"median_s", median(times)},
        {"worst_s", times.empty() ? 0 : *std::max_element(times.begin(), times.end())},
        {"unmutated_clean", m.all_clean()},
        {"pass", m.pass()}};
    doc["drivers"] = reports::json::array();
    for (const CleanRun &c : m.clean) doc["drivers"].push_back(clean_json(c));
    doc["mutants"] = reports::json::array();
    for (const Hunt &h : m.hunts) doc["mutants"].push_back(hunt_json(h));
    return doc;
}

void write_doc(const std::string &path, const reports::json &doc) {
    try {
        reports::write_atomic(path, reports::dump_json(doc) + "\n");
    } catch (const std::runtime_error &e) {
        throw UsageError(std::string("--out: ") + e.what());
    }
}

void print_table(const Measured &m) {
    fmt::print("{:<7} {:<30} {:<11} {:<5} {:<11} {:>8} {:>9} {:>5} {:>6}\n", "driver", "mutant",
               "breaks", "found", "reported", "seconds", "sequences", "trace", "shrunk");
    for (const Hunt &h : m.hunts)
        fmt::print("{:<7} {:<30} {:<11} {:<5} {:<11} {:>8.3f} {:>9} {:>5} {:>6}\n", h.driver->name,
                   h.mutant->name, h.mutant->clause, h.found ? "yes" : "NO",
                   h.found ? h.clause : "-", h.seconds, h.sequences,
                   h.found ? std::to_string(h.trace_length) : "-",
                   h.found ? std::to_string(h.shrunk.ops.size()) : "-");
    for (const CleanRun &c : m.clean) {
        fmt::print("unmutated {}: {} sequences, {}\n", c.driver->name, c.result.sequences,
                   is_clean(c) ? "no finding" : "FINDINGS");
        for (const auto &[clause, f] : c.result.findings)
            fmt::print("  finding {}", format_finding(f));
        for (const auto &e : c.result.errors) fmt::print("  error: {}\n", e);
    }
}

} // namespace

int cmd_list_mutants() {
    for (const auto &d : models::bundled_drivers()) {
        fmt::print("{} ({} mutants)\n", d.name, d.mutants.size());
        for (const auto &m : d.mutants) {
            // The first wave's mutants are rfc2019's; a later one says its profile.
            const std::string under =
                m.profile == "rfc2019" ? "" : "[" + std::string(m.profile) + "] ";
            fmt::print("  {:<30} {:<11} {}{}\n", m.name, m.clause, under, m.description);
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
    const ref::Profile *profile = ref::find_profile(opt.profile);
    std::size_t total = 0;
    for (const auto *d : drivers) total += models::mutants_of(*d, opt.profile).size();
    if (!profile || total == 0) {
        std::string with;
        for (const auto &p : ref::profiles())
            for (const auto *d : drivers)
                if (!models::mutants_of(*d, p.name).empty()) {
                    with += (with.empty() ? "" : ", ") + std::string(p.name);
                    break;
                }
        throw UsageError(
            "--profile: " +
            std::string(profile ? "no mutant is hunted under profile \"" : "unknown profile \"") +
            opt.profile + "\" (mutants are hunted under " + with + ")");
    }
    for (const auto *d : drivers)
        if (std::string why = engine::check_driver_profile(*d->entry(), *profile); !why.empty())
            throw UsageError("--profile: " + why);
    check_out_dir(opt.out); // now, not after the hunts

    const std::string path = (std::filesystem::path(opt.out) / "mutants.json").string();
    const std::string started = reports::utc_now();
    const auto t0 = engine::Clock::now();
    Measured m;
    // Now, not at the end: an earlier run's file never stands for this one.
    write_doc(path, mutants_doc(opt, started, t0, m));
    engine::install_stop_handlers(); // a signal: what was measured, "complete": false

    ProgressLine line; // live on a terminal only
    auto show = [&](const std::string &note) {
        line.update({.done = m.hunts.size(),
                     .total = total,
                     .unit = "mutants",
                     .work_unit = "",
                     .findings = m.times().size(),
                     .elapsed_s = engine::seconds_since(t0),
                     .note = note},
                    true);
    };
    auto measure = [&]() -> bool { // false: stopped
        for (const auto *d : drivers) {
            for (const models::Mutant *mutant : models::mutants_of(*d, opt.profile)) {
                show(std::string(d->name) + ":" + std::string(mutant->name));
                const svac_driver_ops &ops =
                    *select_driver(std::string(d->name) + ":" + std::string(mutant->name));
                Hunt h = hunt(ops, opt.seed, opt.budget_s, opt.max_sequences, opt.profile);
                if (h.interrupted) return false;
                h.driver = d;
                h.mutant = mutant;
                m.hunts.push_back(std::move(h));
                write_doc(path, mutants_doc(opt, started, t0, m));
            }
            show(std::string(d->name) + " unmutated");
            CleanRun c;
            c.driver = d;
            auto c0 = engine::Clock::now();
            c.result = campaign_for_hunt(
                           *select_driver(std::string(d->name)), opt.seed, kCleanSequences,
                           std::max(opt.budget_s, 1.0), [] {}, opt.profile)
                           .campaign;
            c.seconds = engine::seconds_since(c0);
            if (c.result.interrupted) return false;
            m.clean.push_back(std::move(c));
            write_doc(path, mutants_doc(opt, started, t0, m));
        }
        return true;
    };
    m.complete = measure();
    line.clear();

    print_table(m);
    const std::vector<double> times = m.times();
    fmt::print("mutants found: {} of {}; seconds to find: median {:.3f}, worst {:.3f}\n",
               times.size(), m.hunts.size(), median(times),
               times.empty() ? 0 : *std::max_element(times.begin(), times.end()));
    write_doc(path, mutants_doc(opt, started, t0, m));
    if (!m.complete) {
        fmt::print("stopped by a signal after {} of {} mutants: mutants.json holds what was "
                   "measured (\"complete\": false)\nverdict: incomplete{}\nreport: {}\n",
                   m.hunts.size(), total, m.none_failed() ? "" : " (FAIL so far)", path);
        return m.none_failed() ? kConformant : kFindings;
    }
    fmt::print("verdict: {}\nreport: {}\n",
               m.pass() ? "every mutant found, unmutated drivers clean" : "FAIL", path);
    return m.pass() ? kConformant : kFindings;
}

} // namespace svac::cli
