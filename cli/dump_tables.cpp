// sva-conform dump-tables: replay a trace and print the driver's tables as
// the hardware model reads them, decoded, the IOMMU caches, and the
// live-table invariants (reference/invariants.h) evaluated on them.
#include "cli/cli.h"

#include "engine/check_tables.h"
#include "engine/driver.h"
#include "engine/isolate.h"
#include "engine/snapshot.h"
#include "reference/invariants.h"
#include "reports/escape.h"

#include <fmt/format.h>

#include <filesystem>

namespace svac::cli {

engine::json entry_json(const ref::DecodedEntry &e) {
    engine::json j;
    j["table"] = e.table;
    j["key"] = e.key;
    j["pa"] = e.pa;
    j["raw"] = e.raw;
    engine::json fields = engine::json::object();
    for (const auto &[name, value] : e.fields) fields[name] = value;
    j["fields"] = fields;
    return j;
}

namespace {

void print_entry(const ref::DecodedEntry &e) {
    fmt::print("  {} {} @ {:#x}\n   ", e.table, e.key, e.pa);
    for (uint64_t q : e.raw) fmt::print(" {:016x}", q);
    fmt::print("\n   ");
    std::size_t col = 3;
    for (const auto &[name, value] : e.fields) {
        if (value == 0) continue; // zero fields are most of an entry: show what is set
        std::string item = fmt::format(" {}={:#x}", name, value);
        if (col + item.size() > 100) {
            fmt::print("\n   ");
            col = 3;
        }
        fmt::print("{}", item);
        col += item.size();
    }
    fmt::print("\n");
}

} // namespace

namespace {

int dump_tables_here(const std::string &path, const SelectedDriver &selected, long step,
                     bool as_json, const std::optional<engine::Isolation> &isolate,
                     const std::string &profile, const std::string &snapshot_dir) {
    const svac_driver_ops &driver = *selected;
    engine::Trace trace = engine::load_trace(
        path,
        profile.empty() ? std::nullopt : std::optional<std::string>(profile_option(profile).name));
    std::string why = engine::check_driver_trace(driver, trace);
    if (!why.empty()) throw engine::InputError(path + ": " + why);
    if (step >= 0 && static_cast<std::size_t>(step) >= trace.ops.size())
        throw UsageError("--step: the trace has " + std::to_string(trace.ops.size()) + " ops (0.." +
                         std::to_string(trace.ops.size() ? trace.ops.size() - 1 : 0) + ")");
    std::size_t until = step < 0 ? trace.ops.size() : static_cast<std::size_t>(step) + 1;

    engine::json out = engine::json::object();
    std::vector<std::pair<uint32_t, ref::ModelDump>> dumps;
    std::vector<engine::Snapshot> snapshots;
    auto inspect = [&](engine::DriverInstance &instance) {
        engine::Platform &p = instance.platform();
        for (uint32_t i = 0; i < p.iommu_count(); ++i)
            dumps.emplace_back(i, p.iommu(i).dump(p.memory(), trace.topology));
        if (snapshot_dir.empty()) return;
        const auto words = p.memory().nonzero_runs();
        for (uint32_t i = 0; i < p.iommu_count(); ++i) {
            snapshots.push_back(engine::snapshot_of(
                p.iommu(i), trace.topology.iommus[i].arch, words,
                fmt::format("dump-tables {} --driver {}, IOMMU {} after {} op(s)", path,
                            driver.name, i, until)));
            for (uint32_t d = 0; d < trace.topology.devices.size(); ++d)
                if (trace.topology.devices[d].iommu == i)
                    snapshots.back().devices.push_back(
                        {d, trace.topology.devices[d].pasid_bits, fmt::format("device {}", d)});
        }
    };
    engine::RunStats stats;
    engine::RunOptions options;
    options.isolate = isolate; // the driver in its host; the tables read here
    std::optional<engine::Finding> finding;
    try {
        finding = engine::run_differential(driver, trace, stats, nullptr, inspect, until, options);
    } catch (const engine::DriverError &e) {
        fmt::print(stderr, "sva-conform: {}\n", e.what());
        return kFindings;
    }

    bool broken = false;
    std::vector<std::vector<engine::FormulaVerdict>> verdicts;
    for (const auto &[i, d] : dumps) {
        verdicts.push_back(engine::judge_entries(d.entries));
        for (const auto &v : verdicts.back()) broken = broken || !v.breaches.empty();
    }
    // "CD sid 1 ssid 2: breaks ...", and pairs "X and Y: breaks ..."
    auto violations = [&](std::size_t n, const engine::FormulaVerdict &v) {
        std::vector<std::string> lines;
        const auto &entries = dumps[n].second.entries;
        auto name = [&](std::size_t k) { return entries[k].table + " " + entries[k].key; };
        for (const auto &b : v.breaches)
            lines.push_back(name(b.entry) + (b.other ? " and " + name(*b.other) : "") + ": " +
                            b.message);
        return lines;
    };
    for (std::size_t n = 0; n < snapshots.size(); ++n) {
        std::filesystem::create_directories(snapshot_dir);
        const std::string file = snapshot_dir + "/iommu" + std::to_string(n) + ".json";
        reports::write_atomic(file,
                              reports::dump_json(engine::snapshot_to_json(snapshots[n])) + "\n");
        if (!as_json) fmt::print("snapshot of IOMMU {}: {}\n", n, file);
    }

    if (as_json) {
        out["driver"] = driver.name;
        out["steps"] = stats.steps;
        out["iommus"] = engine::json::array();
        for (const auto &[i, d] : dumps) {
            engine::json io;
            io["iommu"] = i;
            io["arch"] = ref::arch_name(trace.topology.iommus[i].arch);
            io["entries"] = engine::json::array();
            for (const auto &e : d.entries) io["entries"].push_back(entry_json(e));
            io["caches"] = d.caches;
            io["invariants"] = engine::json::array();
            const std::size_t n = out["iommus"].size();
            for (const auto &v : verdicts[n])
                io["invariants"].push_back({{"name", v.formula->name},
                                            {"spec", v.formula->spec},
                                            {"clause", ref::clause_id(v.formula->clause)},
                                            {"formula", ref::inv::text(*v.formula)},
                                            {"entries", v.entries},
                                            {"verdict", v.breaches.empty() ? "pass" : "fail"},
                                            {"violations", violations(n, v)}});
            out["iommus"].push_back(io);
        }
        if (finding)
            out["finding"] = {{"clause", ref::clause_id(finding->clause)},
                              {"step", finding->step},
                              {"message", finding->message}};
        fmt::print("{}\n", reports::dump_json(out));
    } else {
        fmt::print("{} after {} step(s) of {} on driver {}\n", reports::term_escape(path),
                   stats.steps, trace.ops.size(), reports::term_escape(driver.name));
        for (std::size_t n = 0; n < dumps.size(); ++n) {
            const auto &[i, d] = dumps[n];
            fmt::print("IOMMU {} ({}):\n", i, ref::arch_name(trace.topology.iommus[i].arch));
            for (const auto &e : d.entries) print_entry(e);
            fmt::print(" caches ({}):\n", d.caches.size());
            for (const auto &c : d.caches) fmt::print("  {}\n", c);
            fmt::print(" invariants ({}):\n", verdicts[n].size());
            for (const auto &v : verdicts[n]) {
                fmt::print("  {} {} ({} entries)\n", v.breaches.empty() ? "pass" : "FAIL",
                           ref::inv::describe(*v.formula), v.entries);
                for (const auto &x : violations(n, v)) fmt::print("    {}\n", x);
            }
        }
        if (finding) fmt::print("stopped at a finding: {}", format_finding(*finding));
    }
    return finding || broken ? kFindings : kConformant;
}

} // namespace

int cmd_dump_tables(const std::string &path, const SelectedDriver &selected, long step,
                    bool as_json, const IsolationFlags &isolation, const std::string &profile,
                    const std::string &snapshot_dir) {
    return dump_tables_here(path, selected, step, as_json, isolation.choose(selected), profile,
                            snapshot_dir);
}

} // namespace svac::cli
