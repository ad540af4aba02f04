// sva-conform dump-tables: replay a trace and print the driver's tables as
// the hardware model reads them, decoded, the IOMMU caches, and the
// live-table invariants (reference/invariants.h) evaluated on them.
#include "cli/cli.h"

#include "engine/driver.h"
#include "engine/isolate.h"
#include "reference/invariants.h"
#include "reference/smmuv3_format.h"
#include "reference/vtd_format.h"
#include "reports/escape.h"

#include <fmt/format.h>

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

// The format of a dumped table, if invariants are written over it.
const ref::Format *format_of(const std::string &table) {
    namespace sm = ref::smmuv3;
    namespace v = ref::vtd;
    if (table == "STE") return &sm::ste::kFormat;
    if (table == "L1CD") return &sm::l1cd::kFormat;
    if (table == "CD") return &sm::cd::kFormat;
    if (table == "context") return &v::context::kFormat;
    if (table == "PDE") return &v::pde::kFormat;
    if (table == "PASID") return &v::pasid_entry::kFormat;
    return nullptr;
}

// One formula on the entries of its format in one IOMMU's dump.
struct Verdict {
    const ref::inv::Formula *formula;
    std::size_t entries = 0;             // of its format
    std::vector<std::string> violations; // "CD sid 1 ssid 2: breaks ..."
};

std::vector<Verdict> evaluate(const ref::ModelDump &d) {
    std::vector<Verdict> out;
    for (const ref::inv::Formula &f : ref::inv::all_formulas()) {
        std::vector<const ref::DecodedEntry *> of;
        for (const auto &e : d.entries)
            if (format_of(e.table) == f.format && e.raw.size() >= f.format->qwords)
                of.push_back(&e);
        if (of.empty()) continue;
        Verdict v{&f, of.size(), {}};
        auto name = [](const ref::DecodedEntry *e) { return e->table + " " + e->key; };
        for (std::size_t i = 0; i < of.size(); ++i) {
            const uint64_t *a = of[i]->raw.data();
            if (!f.pairwise()) {
                if (!ref::inv::entry_holds(f, a))
                    v.violations.push_back(name(of[i]) + ": " +
                                           ref::inv::check_entry(*f.format, a)->message());
                continue;
            }
            for (std::size_t j = i + 1; j < of.size(); ++j)
                if (!ref::inv::pair_holds(f, a, of[j]->raw.data()))
                    v.violations.push_back(
                        name(of[i]) + " and " + name(of[j]) + ": " +
                        ref::inv::check_pair(*f.format, a, of[j]->raw.data())->message());
        }
        out.push_back(std::move(v));
    }
    return out;
}

} // namespace

namespace {

int dump_tables_here(const std::string &path, const SelectedDriver &selected, long step,
                     bool as_json, const std::optional<engine::Isolation> &isolate,
                     const std::string &profile) {
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
    auto inspect = [&](engine::DriverInstance &instance) {
        engine::Platform &p = instance.platform();
        for (uint32_t i = 0; i < p.iommu_count(); ++i)
            dumps.emplace_back(i, p.iommu(i).dump(p.memory(), trace.topology));
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
    std::vector<std::vector<Verdict>> verdicts;
    for (const auto &[i, d] : dumps) {
        verdicts.push_back(evaluate(d));
        for (const Verdict &v : verdicts.back()) broken = broken || !v.violations.empty();
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
            for (const Verdict &v : verdicts[out["iommus"].size()])
                io["invariants"].push_back({{"name", v.formula->name},
                                            {"spec", v.formula->spec},
                                            {"clause", ref::clause_id(v.formula->clause)},
                                            {"formula", ref::inv::text(*v.formula)},
                                            {"entries", v.entries},
                                            {"verdict", v.violations.empty() ? "pass" : "fail"},
                                            {"violations", v.violations}});
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
            for (const Verdict &v : verdicts[n]) {
                fmt::print("  {} {} ({} entries)\n", v.violations.empty() ? "pass" : "FAIL",
                           ref::inv::describe(*v.formula), v.entries);
                for (const auto &x : v.violations) fmt::print("    {}\n", x);
            }
        }
        if (finding) fmt::print("stopped at a finding: {}", format_finding(*finding));
    }
    return finding || broken ? kFindings : kConformant;
}

} // namespace

int cmd_dump_tables(const std::string &path, const SelectedDriver &selected, long step,
                    bool as_json, const IsolationFlags &isolation, const std::string &profile) {
    return dump_tables_here(path, selected, step, as_json, isolation.choose(selected), profile);
}

} // namespace svac::cli
