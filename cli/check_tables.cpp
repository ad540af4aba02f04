// sva-conform check-tables: a snapshot of an IOMMU's tables (sva-snapshot/1)
// judged by the hardware model and the live-table invariants, walked from
// its registers (engine/check_tables.h); its probes walked through the
// model; a report in the five formats.
#include "cli/cli.h"

#include "engine/check_tables.h"
#include "engine/trace.h"
#include "reports/escape.h"
#include "reports/writers.h"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <map>

namespace svac::cli {

namespace {

using engine::json;

// Why a clause the invariants do not carry cannot be judged from a snapshot.
std::string not_judged(const ref::Clause &c, ref::Arch arch) {
    if ((c.group == ref::ClauseGroup::SMMU && arch != ref::Arch::smmuv3) ||
        (c.group == ref::ClauseGroup::VTD && arch != ref::Arch::vtd))
        return fmt::format("{} rule; the snapshot is of {}",
                           c.group == ref::ClauseGroup::SMMU ? "SMMUv3" : "VT-d",
                           ref::arch_name(arch));
    if (ref::hardware_rule(c.ident))
        return "needs bond state (which mm each PASID is bound to, what the driver was asked to "
               "do), which a snapshot of tables does not hold";
    return "a rule of the driver's calls; a snapshot holds only tables";
}

// The clauses a probe's expectation judges: DMA without a PASID keeps its
// own translation (HW-6); with one, it translates as its page table (HW-1).
ref::ClauseId probe_clause(const engine::Probe &p) {
    return p.pasid ? ref::ClauseId::HW_1 : ref::ClauseId::HW_6;
}

json entry_table(const ref::DecodedEntry &e, ref::Arch arch) {
    json t;
    t["after_step"] = 0;
    t["iommus"] = json::array({{{"iommu", 0},
                                {"arch", ref::arch_name(arch)},
                                {"entries", json::array({entry_json(e)})}}});
    return t;
}

// A finding's trace: the snapshot has no ops; the trace names the
// architecture, so that every report reader takes it.
json empty_trace(ref::Arch arch) {
    engine::Trace t;
    t.topology.iommus.push_back(ref::Iommu{arch, 20, true});
    return engine::trace_to_json(t);
}

reports::Report make_tables_report(const std::string &path, const engine::Snapshot &s,
                                   const engine::TablesCheck &c, const std::string &started,
                                   double duration_s) {
    reports::Report r;
    set_provenance(r);
    r.library_kind = "snapshot";
    std::error_code ec;
    r.library_path = std::filesystem::absolute(path, ec).string();
    r.library_sha256 = file_sha256(path);
    r.driver_name = s.source.empty() ? "snapshot " + path : s.source;
    r.profile = "rfc2019";
    r.started = started;
    r.duration_s = duration_s;
    r.steps = c.entries.size();
    r.config = {{"command", "check-tables"},
                {"arch", ref::arch_name(s.arch)},
                {"ids_walked", c.sids.size()},
                {"entries_judged", c.entries.size()},
                {"entries_invalid", c.invalid_entries},
                {"probes", c.probes.size()},
                {"words_missing", c.missing.size()},
                {"reads_missing", c.missing_reads},
                {"extents_unreached", c.unreached.size()},
                {"notes", c.notes}};

    std::map<ref::ClauseId, uint64_t> checks, fails;
    for (const engine::FormulaVerdict &v : c.formulas) {
        const ref::ClauseId id = v.formula->clause;
        checks[id] += v.formula->pairwise() ? v.entries * (v.entries - 1) / 2 : v.entries;
        for (const auto &b : v.breaches) {
            ++fails[id];
            const ref::DecodedEntry &e = c.entries[b.entry];
            std::string where = engine::entry_name(e);
            if (b.other) where += " and " + engine::entry_name(c.entries[*b.other]);
            reports::FindingRecord f;
            f.clause = std::string(ref::clause_id(id));
            f.message = where + ": " + b.message;
            f.expected = ref::inv::describe(*v.formula);
            f.actual = {{"entry", engine::entry_name(e)}, {"pa", e.pa}, {"raw", e.raw}};
            f.trace = empty_trace(s.arch);
            f.tables = entry_table(e, s.arch);
            if (b.other)
                f.tables["iommus"][0]["entries"].push_back(entry_json(c.entries[*b.other]));
            r.findings.push_back(std::move(f));
        }
    }
    for (const engine::ProbeOutcome &o : c.probes) {
        if (!o.probe.expect_kind) continue;
        const ref::ClauseId id = probe_clause(o.probe);
        ++checks[id];
        if (o.disagreement.empty()) continue;
        ++fails[id];
        reports::FindingRecord f;
        f.clause = std::string(ref::clause_id(id));
        f.message = fmt::format("probe sid {:#x}{} {:#x}: {}", o.probe.sid,
                                o.probe.pasid ? fmt::format(" pasid {}", *o.probe.pasid) : "",
                                o.probe.address, o.disagreement);
        f.expected = o.probe.expect_pa
                         ? json(fmt::format("translated to {:#x}", *o.probe.expect_pa))
                         : json(ref::dma_kind_name(*o.probe.expect_kind));
        f.actual = {{"outcome", ref::dma_kind_name(o.result.kind)},
                    {"pa", o.result.pa},
                    {"why", o.result.why}};
        f.trace = empty_trace(s.arch);
        r.findings.push_back(std::move(f));
    }
    // One finding per clause in the summary counts, as a campaign's: the
    // occurrences say how many entries broke it.
    std::map<std::string, std::size_t> first;
    std::vector<reports::FindingRecord> merged;
    for (reports::FindingRecord &f : r.findings) {
        auto [it, fresh] = first.emplace(f.clause, merged.size());
        if (fresh) {
            merged.push_back(std::move(f));
            continue;
        }
        ++merged[it->second].occurrences;
    }
    // Every breach is kept in the report's config, by address: nothing found is lost.
    json all = json::array();
    for (const engine::FormulaVerdict &v : c.formulas)
        for (const auto &b : v.breaches)
            all.push_back({{"clause", ref::clause_id(v.formula->clause)},
                           {"formula", v.formula->name},
                           {"pa", c.entries[b.entry].pa},
                           {"entry", engine::entry_name(c.entries[b.entry])},
                           {"message", b.message}});
    r.config["breaches"] = all;
    r.findings = std::move(merged);

    for (const auto &cl : ref::clause_catalog()) {
        if (!ref::binds(cl.ident, *ref::find_profile("rfc2019"))) continue;
        reports::ClauseResult cr{std::string(cl.id),
                                 std::string(ref::group_name(cl.group)),
                                 std::string(cl.statement),
                                 "not-applicable",
                                 0,
                                 ""};
        if (checks.count(cl.ident)) {
            cr.checks = checks[cl.ident];
            cr.status = fails.count(cl.ident) ? "fail" : "pass";
        } else {
            cr.reason = not_judged(cl, s.arch);
        }
        r.clauses.push_back(std::move(cr));
    }
    r.verdict = c.conformant() ? "conformant" : "nonconformant";
    return r;
}

void print_check(const std::string &path, const engine::TablesCheck &c, bool verbose) {
    fmt::print("{}: {} ({} IDs walked)\n", reports::term_escape(path), ref::arch_name(c.arch),
               c.sids.size());
    for (const std::string &n : c.notes) fmt::print("  note: {}\n", n);
    std::map<std::string, std::size_t> per_table;
    for (const ref::DecodedEntry &e : c.entries) ++per_table[e.table];
    std::string kinds;
    for (const auto &[t, n] : per_table)
        kinds += fmt::format("{}{} {}", kinds.empty() ? "" : ", ", n, t);
    fmt::print("entries judged: {} ({}); {} marked invalid, not judged\n", c.entries.size(),
               kinds.empty() ? "none" : kinds, c.invalid_entries);
    if (verbose)
        for (const ref::DecodedEntry &e : c.entries) fmt::print("  {}\n", engine::entry_name(e));
    fmt::print("invariants ({}):\n", c.formulas.size());
    for (const engine::FormulaVerdict &v : c.formulas) {
        fmt::print("  {} {} [{}] ({} entries)\n", v.breaches.empty() ? "pass" : "FAIL",
                   ref::inv::describe(*v.formula), ref::clause_id(v.formula->clause), v.entries);
        for (const auto &b : v.breaches) {
            std::string where = engine::entry_name(c.entries[b.entry]);
            if (b.other) where += " and " + engine::entry_name(c.entries[*b.other]);
            fmt::print("    {} {}: {}\n", ref::clause_id(v.formula->clause), where, b.message);
        }
    }
    if (!c.probes.empty()) {
        std::size_t shown = 0;
        fmt::print("probes ({}, {} disagree):\n", c.probes.size(), c.failed_probes());
        for (const engine::ProbeOutcome &o : c.probes) {
            const bool bad = !o.disagreement.empty();
            if (!verbose && !bad && shown >= 20) continue;
            ++shown;
            const ref::DmaResult &r = o.result;
            fmt::print("  {} sid {:#x}{} {:#x}: {}{}\n", bad ? "FAIL" : "ok  ", o.probe.sid,
                       o.probe.pasid ? fmt::format(" pasid {}", *o.probe.pasid) : "",
                       o.probe.address,
                       r.kind == ref::DmaResult::Kind::translated
                           ? fmt::format("translated to {:#x}", r.pa)
                           : fmt::format("{} ({})", ref::dma_kind_name(r.kind), r.why),
                       bad ? " - " + o.disagreement : "");
        }
        if (shown < c.probes.size())
            fmt::print("  ... {} more that agree (--verbose lists them)\n",
                       c.probes.size() - shown);
    }
    if (!c.missing.empty())
        fmt::print("words the walk read that the snapshot does not hold (read as 0): {}{} (first "
                   "{:#x}), {} read(s)\n",
                   c.missing.size(),
                   c.missing.size() >= engine::SnapshotMemory::kMissingKept ? "+" : "",
                   c.missing.front(), c.missing_reads);
    if (!c.unreached.empty())
        fmt::print("extents not reached from the registers, not judged: {}\n", c.unreached.size());
}

} // namespace

int cmd_check_tables(const CheckTablesOptions &opt) {
    const auto t0 = std::chrono::steady_clock::now();
    const std::string started = reports::utc_now();
    if (!opt.out.empty()) check_out_dir(opt.out);
    engine::Snapshot s = engine::load_snapshot(opt.path);
    engine::TablesCheck c;
    try {
        c = engine::check_tables(s);
        if (opt.probe_mapped) {
            std::vector<engine::Probe> more = engine::mapped_page_probes(s, c, opt.max_probes);
            s.probes.insert(s.probes.end(), more.begin(), more.end());
            c = engine::check_tables(s);
        }
    } catch (const engine::InputError &e) {
        throw engine::InputError(opt.path + ": " + e.what());
    }
    const double took =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    reports::Report r = make_tables_report(opt.path, s, c, started, took);
    if (opt.as_json) {
        fmt::print("{}\n", reports::dump_json(reports::to_json(r)));
    } else {
        print_check(opt.path, c, opt.verbose);
        fmt::print("{}: {} entries judged, {} breach(es); {} probe(s), {} disagree\n", r.verdict,
                   c.entries.size(), c.breaches(), c.probes.size(), c.failed_probes());
    }
    if (!opt.write_snapshot.empty()) {
        reports::write_atomic(
            opt.write_snapshot,
            reports::dump_json(engine::snapshot_to_json(engine::trimmed_snapshot(s, c))) + "\n");
        if (!opt.as_json) fmt::print("snapshot of what was read: {}\n", opt.write_snapshot);
    }
    if (!opt.out.empty()) {
        const std::string html = reports::write_all(r, opt.out);
        if (!opt.as_json) fmt::print("report: {}\n", html);
    }
    return c.conformant() ? kConformant : kFindings;
}

} // namespace svac::cli
