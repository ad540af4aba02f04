// sva-conform dump-tables: replay a trace and print the driver's tables as
// the hardware model reads them, decoded, and the IOMMU caches.
#include "cli/cli.h"

#include "engine/driver.h"

#include <fmt/format.h>

namespace svac::cli {

namespace {

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

int cmd_dump_tables(const std::string &path, const std::string &driver_name, long step,
                    bool as_json) {
    const svac_driver_ops &driver = select_driver(driver_name);
    engine::Trace trace = engine::load_trace(path);
    std::string why = engine::check_driver_topology(driver, trace.topology);
    if (!why.empty()) throw engine::InputError(path + ": /topology: " + why);
    if (step >= 0 && static_cast<std::size_t>(step) >= trace.ops.size())
        throw UsageError("--step: the trace has " + std::to_string(trace.ops.size()) + " ops (0.." +
                         std::to_string(trace.ops.size() ? trace.ops.size() - 1 : 0) + ")");
    std::size_t until = step < 0 ? trace.ops.size() : static_cast<std::size_t>(step) + 1;

    engine::json out = engine::json::object();
    std::vector<std::pair<uint32_t, ref::ModelDump>> dumps;
    auto inspect = [&](engine::DriverInstance &instance) {
        engine::Platform &p = instance.platform();
        for (uint32_t i = 0; i < p.iommu_count(); ++i)
            dumps.emplace_back(i, p.iommu(i).dump(p.memory(), trace.topology));
    };
    engine::RunStats stats;
    std::optional<engine::Finding> finding;
    try {
        finding = engine::run_differential(driver, trace, stats, nullptr, inspect, until);
    } catch (const engine::DriverError &e) {
        fmt::print(stderr, "sva-conform: {}\n", e.what());
        return kFindings;
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
            out["iommus"].push_back(io);
        }
        if (finding)
            out["finding"] = {{"clause", ref::clause_id(finding->clause)},
                              {"step", finding->step},
                              {"message", finding->message}};
        fmt::print("{}\n", out.dump(2));
    } else {
        fmt::print("{} after {} step(s) of {} on driver {}\n", path, stats.steps, trace.ops.size(),
                   driver.name);
        for (const auto &[i, d] : dumps) {
            fmt::print("IOMMU {} ({}):\n", i, ref::arch_name(trace.topology.iommus[i].arch));
            for (const auto &e : d.entries) print_entry(e);
            fmt::print(" caches ({}):\n", d.caches.size());
            for (const auto &c : d.caches) fmt::print("  {}\n", c);
        }
        if (finding) fmt::print("stopped at a finding: {}", format_finding(*finding));
    }
    return finding ? kFindings : kConformant;
}

} // namespace svac::cli
