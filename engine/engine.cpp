#include "engine/engine.h"

#include "engine/isolate.h"

#include "engine/driver.h"
#include "engine/driver_calls.h"
#include "reference/table_rules.h"

#include <fmt/format.h>

#include <algorithm>

namespace svac::engine {

namespace {

json callbacks_json(const std::vector<ref::Callback> &cbs) {
    json a = json::array();
    for (const auto &c : cbs)
        a.push_back({{"dev", c.dev}, {"pasid", c.pasid}, {"drvdata", c.drvdata}});
    return a;
}

// A finding under `clause` whose trace has the run's topology, profile and
// injection point, and no ops yet.
Finding finding_of(ref::ClauseId clause, const Trace &trace, uint64_t fail_nth) {
    Finding f;
    f.clause = clause;
    f.trace.profile = trace.profile;
    f.trace.topology = trace.topology;
    f.trace.fail_alloc_nth = fail_nth;
    return f;
}

Finding make_finding(const Trace &trace, std::size_t step, const ref::Violation &v,
                     const ref::Expectation &exp, const ref::Observation &obs, uint64_t fail_nth) {
    Finding f = finding_of(v.clause, trace, fail_nth);
    f.step = step;
    f.message = v.message;
    f.expected = expectation_to_json(exp, trace.ops[step].kind);
    f.actual = observation_to_json(obs, trace.ops[step].kind);
    if (!v.due.empty()) f.expected["due"] = v.due;
    return f;
}

// "3 platform allocations (12288 bytes)"
std::string allocations(SimMemory::Usage left) {
    return std::to_string(left.blocks) + " platform allocation" + (left.blocks == 1 ? "" : "s") +
           " (" + std::to_string(left.bytes) + " bytes)";
}

// Does the op's range hold a page the mm has mapped now?
bool maps_any(const ref::Reference &reference, const ref::Op &op) {
    const auto &pages = reference.pages(op.mm);
    uint64_t first = op.va >> ref::kPageShift;
    for (auto it = pages.lower_bound(first); it != pages.end() && it->first < first + op.pages;
         ++it)
        if (it->second.present) return true;
    return false;
}

json page_json(const ref::PageExpectation &p) {
    json o = json::array();
    for (unsigned k = 0; k < 5; ++k)
        if (p.kinds & (1u << k))
            o.push_back(ref::dma_kind_name(static_cast<ref::DmaResult::Kind>(k)));
    json j = {{"outcome", o}};
    if (p.kinds == 1u << static_cast<unsigned>(ref::DmaResult::Kind::translated)) j["pa"] = p.pa;
    j["clause"] = ref::clause_id(p.clause);
    return j;
}

json fault_json(const ref::FaultRecord &f, bool with_group) {
    json j = {{"dev", f.dev}};
    if (f.flags & SVAC_FAULT_PASID_VALID) j["pasid"] = f.pasid;
    if (with_group) j["group"] = f.grpid;
    j["last"] = (f.flags & SVAC_FAULT_LAST_PAGE) != 0;
    j["access"] = ref::perms_name(static_cast<uint8_t>(f.perm & 7));
    j["addr"] = f.addr;
    return j;
}

json dma_json(const ref::DmaObservation &d) {
    auto k = static_cast<ref::DmaResult::Kind>(d.kind);
    json j = {{"outcome", ref::dma_kind_name(k)}};
    if (k == ref::DmaResult::Kind::translated)
        j["pa"] = d.pa;
    else
        j["reason"] = ref::dma_reason_name(static_cast<ref::DmaResult::Reason>(d.reason));
    return j;
}

// The ops that ran (`ran`: their indices in trace), with what each did.
void append_ran(Finding &f, const Trace &trace, const std::vector<std::size_t> &ran,
                const std::vector<ref::Observation> &seen) {
    for (std::size_t k = 0; k < ran.size(); ++k) {
        f.trace.ops.push_back(trace.ops[ran[k]]);
        f.trace.ops.back().recorded = seen[k];
    }
}

// ROBUST-5 at the last op run: destroy left driver-owned platform memory.
Finding leak_finding(const Trace &trace, const std::vector<std::size_t> &ran,
                     const std::vector<ref::Observation> &seen, SimMemory::Usage left,
                     uint64_t fail_nth) {
    Finding f = finding_of(ref::ClauseId::ROBUST_5, trace, fail_nth);
    f.step = ran.size() - 1;
    f.judged_from = Evidence::memory;
    f.message = "destroy left " + allocations(left) + " unfreed";
    f.expected = {{"platform_allocations", 0}, {"clause", ref::clause_id(f.clause)}};
    f.actual = {{"platform_allocations", left.blocks}, {"bytes", left.bytes}};
    append_ran(f, trace, ran, seen);
    return f;
}

// ROBUST-5 for a create that returned NULL when refused memory: what it left.
// Step 0 of a trace with no ops (and the injection, so that it replays).
Finding create_leak_finding(const Trace &trace, uint64_t fail_nth, SimMemory::Usage left) {
    Finding f = finding_of(ref::ClauseId::ROBUST_5, trace, fail_nth);
    f.judged_from = Evidence::memory;
    f.message = "create returned NULL when the platform refused allocation " +
                std::to_string(fail_nth) + ", and left " + allocations(left) + " unfreed";
    f.expected = {{"platform_allocations", 0}, {"clause", ref::clause_id(f.clause)}};
    f.actual = {{"create", "NULL"}, {"platform_allocations", left.blocks}, {"bytes", left.bytes}};
    return f;
}

} // namespace

json expectation_to_json(const ref::Expectation &exp, ref::OpKind kind) {
    json j;
    if (exp.query) {
        j["result"] = exp.result;
    } else if (ref::op_returns(kind)) {
        j["rc"] = json::array();
        exp.rc.for_each([&](int c) { j["rc"].push_back(c); });
        j["rc_names"] = exp.rc.to_string();
    }
    if (exp.pasid_rule == ref::Expectation::Pasid::exact) j["pasid"] = exp.pasid;
    if (exp.pasid_rule == ref::Expectation::Pasid::fresh)
        j["pasid"] = {{"free_in", {exp.lo, exp.hi}}};
    if (exp.handle_rule == ref::Expectation::Handle::same) j["handle"] = exp.handle;
    if (exp.handle_rule == ref::Expectation::Handle::fresh) j["handle"] = "a new one";
    if (kind == ref::OpKind::dma) {
        j["outcomes"] = json::array();
        for (const auto &p : exp.dma) j["outcomes"].push_back(page_json(p));
    } else if (!exp.retries.empty()) {
        j["retries"] = json::array();
        for (const auto &p : exp.retries) j["retries"].push_back(page_json(p));
    }
    if (!exp.raise.empty()) {
        j["raise"] = json::array();
        for (const auto &f : exp.raise) j["raise"].push_back(fault_json(f, exp.raise_grpid));
    }
    if (!exp.answers.empty()) {
        j["answers"] = json::array();
        for (const auto &a : exp.answers) {
            json x = {{"dev", a.dev}, {"group", a.grpid}, {"code", a.code}};
            if (a.has_pasid) x["pasid"] = a.pasid;
            if (a.stall) x["stall"] = true;
            x["clause"] = ref::clause_id(a.clause);
            j["answers"].push_back(x);
        }
    }
    if (exp.discard) j["discard_partial"] = true;
    if (ref::op_returns(kind) && !ref::op_is_fault_core(kind) && kind != ref::OpKind::page_response)
        j["callbacks"] = callbacks_json(exp.callbacks);
    j["clause"] = ref::clause_id(exp.rc_clause);
    return j;
}

json observation_to_json(const ref::Observation &obs, ref::OpKind kind) {
    json j = json::object();
    if (obs.rc && ref::op_returns(kind)) {
        j["rc"] = *obs.rc;
        j["rc_name"] = ref::errno_name(*obs.rc);
    }
    if (obs.pasid && kind == ref::OpKind::bind) j["pasid"] = *obs.pasid;
    if (obs.handle && kind == ref::OpKind::bind) j["handle"] = *obs.handle;
    if (obs.callbacks) j["callbacks"] = callbacks_json(*obs.callbacks);
    if (obs.dma) {
        j["outcomes"] = json::array();
        for (const auto &d : *obs.dma) j["outcomes"].push_back(dma_json(d));
    }
    if (obs.raised && !obs.raised->empty()) {
        j["raised"] = json::array();
        for (const auto &f : *obs.raised) j["raised"].push_back(fault_json(f, true));
    }
    if (obs.lost) j["lost"] = *obs.lost;
    if (obs.faults && !obs.faults->empty()) {
        j["faults"] = json::array();
        for (const auto &f : *obs.faults) j["faults"].push_back(fault_json(f, true));
    }
    if (obs.code) j["code"] = *obs.code;
    if (obs.responses && !obs.responses->empty()) {
        j["responses"] = json::array();
        for (const auto &r : *obs.responses) {
            json x = {{"dev", r.dev}, {"group", r.group}, {"code", r.code}, {"raw", r.raw}};
            if (r.has_pasid) x["pasid"] = r.pasid;
            if (r.stall) x["stall"] = true;
            if (r.automatic) x["automatic"] = true;
            j["responses"].push_back(x);
        }
    }
    if (obs.retries && !obs.retries->empty()) {
        j["retries"] = json::array();
        for (const auto &d : *obs.retries) j["retries"].push_back(dma_json(d));
    }
    if (obs.discarded) j["discarded"] = *obs.discarded;
    if (obs.stray_stores && *obs.stray_stores) j["stray_stores"] = *obs.stray_stores;
    if (obs.unsynced_commands && *obs.unsynced_commands)
        j["unsynced_commands"] = *obs.unsynced_commands;
    if (obs.bad_frees && *obs.bad_frees) j["bad_frees"] = *obs.bad_frees;
    if (obs.refused_commands && *obs.refused_commands)
        j["refused_commands"] = *obs.refused_commands;
    if (obs.register_misuse && !obs.register_misuse->empty())
        j["register_misuse"] = misuse_json(*obs.register_misuse);
    if (obs.pasid_overrun) j["pasid_overrun"] = true;
    if (obs.alloc_failed) j["alloc_failed"] = true;
    return j;
}

json call_to_json(const ref::CallRecord &call, const std::vector<const ref::IommuModel *> &iommus,
                  std::size_t max) {
    json stores = json::array(), commands = json::array();
    std::size_t more_stores = 0, more_commands = 0;
    for (const ref::Store &st : call.stores) {
        if (st.old_val == st.new_val) continue; // changed nothing the hardware could see
        if (stores.size() == max) {
            ++more_stores;
            continue;
        }
        stores.push_back(fmt::format("{:#x}: {:#x} -> {:#x}", st.pa, st.old_val, st.new_val));
    }
    for (const ref::Command &c : call.commands) {
        if (commands.size() == max) {
            ++more_commands;
            continue;
        }
        const ref::IommuModel *m = c.iommu < iommus.size() ? iommus[c.iommu] : nullptr;
        std::string text = m ? m->describe_command(c.q.data(), c.qwords) : "?";
        if (iommus.size() > 1) text = fmt::format("iommu {}: {}", c.iommu, text);
        if (c.rc) text += fmt::format(" (refused: {})", c.rc);
        commands.push_back(std::move(text));
    }
    if (more_stores) stores.push_back(fmt::format("... {} more", more_stores));
    if (more_commands) commands.push_back(fmt::format("... {} more", more_commands));
    json j = json::object();
    if (!stores.empty()) j["stores"] = std::move(stores);
    if (!commands.empty()) j["commands"] = std::move(commands);
    return j;
}

std::string_view finding_kind(ref::ClauseId c) {
    switch (c) {
    case ref::ClauseId::ROBUST_1:
        return "driver-crash";
    case ref::ClauseId::ROBUST_2:
        return "driver-hang";
    case ref::ClauseId::ROBUST_3:
        return "driver-oom";
    case ref::ClauseId::ROBUST_6:
        return "host-account";
    default:
        return "";
    }
}

namespace {

// Where in the sequence the driver was: "create", "bind (step 3)", "destroy".
std::string where(const Trace &trace, const std::optional<uint64_t> &step) {
    if (!step) return "create";
    if (*step >= trace.ops.size()) return "destroy";
    return fmt::format("{} (step {})", ref::op_name(trace.ops[*step].kind), *step);
}

} // namespace

Finding robust_finding(ref::ClauseId clause, const Trace &trace,
                       const std::optional<uint64_t> &step, const std::string &what,
                       const std::string &detail) {
    Finding f = finding_of(clause, trace, trace.fail_alloc_nth);
    f.judged_from = clause == ref::ClauseId::ROBUST_5 ? Evidence::memory : Evidence::process;
    std::size_t last = trace.ops.empty() ? 0 : trace.ops.size() - 1;
    f.step = step ? std::min<std::size_t>(*step, last) : 0;
    f.message = fmt::format("{}: {} during {}{}", finding_kind(clause), what, where(trace, step),
                            detail.empty() ? "" : ": " + detail);
    f.expected = {{"clause", ref::clause_id(clause)}, {"rule", ref::clause(clause).statement}};
    f.actual = {{"kind", finding_kind(clause)}, {"what", what}, {"during", where(trace, step)}};
    if (!detail.empty()) f.actual["detail"] = detail;
    for (std::size_t i = 0; i <= f.step && i < trace.ops.size(); ++i)
        f.trace.ops.push_back(trace.ops[i]);
    return f;
}

Executed execute(ref::Reference &reference, DriverInstance &instance, const ref::Op &op,
                 const ref::Expectation &exp) {
    Executed e;
    Platform &platform = instance.platform();
    uint32_t pasid = reference.resolve(op.pasid);
    // The core's fault state and handles, lent to the driver for the call.
    CoreContext ctx{&reference.fault_core(), exp.respond ? &exp.answers[0] : nullptr,
                    &reference.handles()};
    if (ref::op_is_mm_change(op.kind)) {
        // The CPU changes its page table first; the driver's mmu notifier
        // runs for a change to pages that were mapped (not for a fresh map).
        bool notify = op.kind != ref::OpKind::mm_map || maps_any(reference, op);
        reference.commit(op, exp, e.obs);
        e.committed = true;
        platform.mms().sync(op.mm, op.va >> ref::kPageShift, op.pages, reference.pages(op.mm));
        if (notify) e.obs = instance.call(op, pasid, ctx);
        return e;
    }
    if (exp.respond && !exp.populate.empty() && exp.answers[0].code == SVAC_RESP_SUCCESS) {
        // The IOPF handler populates the pages before it answers.
        reference.populate(exp);
        for (uint64_t vpn : exp.populate)
            platform.mms().sync(exp.populate_mm, vpn, 1, reference.pages(exp.populate_mm));
    }
    e.obs = instance.call(op, pasid, ctx);
    return e;
}

std::optional<Finding> run_differential(const svac_driver_ops &driver, const Trace &trace,
                                        RunStats &stats, const StepHook &hook) {
    return run_differential(driver, trace, stats, hook, nullptr, trace.ops.size());
}

std::optional<Finding> run_differential(const svac_driver_ops &driver, const Trace &trace,
                                        RunStats &stats, const StepHook &hook,
                                        const std::function<void(DriverInstance &)> &inspect,
                                        std::size_t until, const RunOptions &options) {
    if (options.isolate)
        return run_isolated(driver, trace, stats, *options.isolate, options, hook, inspect, until);
    return run_differential([&] { return abi_calls(driver); }, trace, stats, hook, inspect, until,
                            options);
}

namespace {
std::optional<Finding> run_sequence(const MakeCalls &make, const Trace &trace, RunStats &stats,
                                    const StepHook &hook,
                                    const std::function<void(DriverInstance &)> &inspect,
                                    std::size_t until, const RunOptions &options,
                                    std::optional<uint64_t> &at, std::vector<std::size_t> &ran);

// The ops of trace that ran, in a trace of their own; `step` (an index in
// trace) becomes its index there (past the end: destroy).
Trace ran_only(const Trace &trace, const std::vector<std::size_t> &ran,
               std::optional<uint64_t> &step) {
    Trace t = trace;
    t.ops.clear();
    for (std::size_t k : ran) t.ops.push_back(trace.ops[k]);
    if (step)
        step = *step >= trace.ops.size()
                   ? t.ops.size()
                   : static_cast<uint64_t>(std::lower_bound(ran.begin(), ran.end(), *step) -
                                           ran.begin());
    return t;
}
} // namespace

std::optional<Finding> run_differential(const MakeCalls &make, const Trace &trace, RunStats &stats,
                                        const StepHook &hook,
                                        const std::function<void(DriverInstance &)> &inspect,
                                        std::size_t until, const RunOptions &options) {
    // Where the driver was when its call was lost (none: create), and the
    // ops that ran: a generated op that names a handle no live bind returned
    // does not (a bind the generator took for granted failed).
    std::optional<uint64_t> at;
    std::vector<std::size_t> ran;
    try {
        return run_sequence(make, trace, stats, hook, inspect, until, options, at, ran);
    } catch (const CallLost &lost) {
        std::optional<uint64_t> step = lost.located ? std::optional<uint64_t>(lost.step) : at;
        if (step && *step < trace.ops.size() &&
            std::find(ran.begin(), ran.end(), *step) == ran.end())
            ran.push_back(*step); // the op the call was lost in
        const bool none_skipped = ran.empty() || ran.back() + 1 == ran.size();
        const Trace shown = none_skipped ? trace : ran_only(trace, ran, step);
        Finding f = robust_finding(lost.clause, shown, step, lost.what(), lost.detail);
        if (options.fail_alloc_nth) f.trace.fail_alloc_nth = options.fail_alloc_nth;
        return f;
    }
}

namespace {

std::optional<Finding> run_sequence(const MakeCalls &make, const Trace &trace, RunStats &stats,
                                    const StepHook &hook,
                                    const std::function<void(DriverInstance &)> &inspect,
                                    std::size_t until, const RunOptions &options,
                                    std::optional<uint64_t> &at, std::vector<std::size_t> &ran) {
    stats.scope.add(trace.topology);
    stats.scope.profile |= profile_of(trace).bit;
    ref::Reference reference(trace.topology, profile_of(trace));
    // A fail-nth sweep's injection point (ROBUST-4): the options', else the trace's.
    const uint64_t fail_nth =
        options.fail_alloc_nth ? options.fail_alloc_nth : trace.fail_alloc_nth;
    std::optional<DriverInstance> created;
    try {
        created.emplace(make(), trace.topology, fail_nth, profile_of(trace));
    } catch (const CreateFailed &e) {
        if (!e.alloc_refused) throw;
        // create gave up for want of memory: it must leave nothing (ROBUST-5).
        stats.driver_allocs += e.allocs;
        stats.alloc_failed_step = RunStats::kAllocInCreate;
        stats.create_refused = true;
        stats.leaked_blocks = e.left.blocks;
        stats.leaked_bytes = e.left.bytes;
        stats.checks.hit(ref::ClauseId::ROBUST_5);
        if (e.left.blocks == 0) return std::nullopt;
        return create_leak_finding(trace, fail_nth, e.left);
    }
    DriverInstance &instance = *created;
    if (instance.create_alloc_refused()) stats.alloc_failed_step = RunStats::kAllocInCreate;
    std::vector<ref::Observation> seen;
    seen.reserve(trace.ops.size());
    until = std::min(until, trace.ops.size());
    for (std::size_t i = 0; i < until; ++i) {
        const ref::Op &op = trace.ops[i];
        ref::Expectation exp = reference.expect(op);
        // A generated op may name a handle that only a bind that failed would
        // have returned: its caller holds no such handle and makes no call.
        if (!exp.invalid.empty()) continue;
        at = i;
        if (options.before_step) options.before_step(i);
        uint32_t pasid = reference.resolve(op.pasid);
        // The table rules name the bond by device and mm, as it was before the op.
        const ref::Op bonded = op.by_handle ? reference.by_bond(op) : op;
        Platform &platform = instance.platform();
        platform.call_record().clear();
        auto [obs, committed] = execute(reference, instance, op, exp);
        if (obs.alloc_failed) { // the injection point: ROBUST-4 judges the call
            stats.alloc_failed_step = static_cast<int64_t>(i);
            if (ref::op_returns(op.kind)) stats.alloc_failed_rc = obs.rc;
        }
        if (options.after_call)
            options.after_call(i, call_to_json(platform.call_record(), platform.iommu_models()));
        auto violation = reference.judge(op, exp, obs, &stats.checks);
        // How the tables were written (HW-7), then what they hold now that the
        // op is done (SMMU-*, VTD-*).
        ref::HwView hw{platform.memory(), platform.call_record(), platform.iommu_models(),
                       platform.mm_infos()};
        Evidence evidence = Evidence::outcomes;
        if (!violation && options.update_rules) {
            violation = ref::judge_update(reference, bonded, hw, &stats.checks);
            evidence = Evidence::stores;
        }
        if (!violation && !committed) reference.commit(op, exp, obs);
        if (!violation && options.table_rules) {
            violation = ref::judge_tables(reference, bonded, hw, &stats.checks);
            evidence = Evidence::tables;
            // What a call refused memory left in its tables (ROBUST-4).
            if (violation && obs.alloc_failed) ref::blame_alloc_failure(bonded, obs, *violation);
        }
        ++stats.steps;
        if (hook) hook(i, op, pasid, exp, obs, violation);
        if (violation) {
            Finding f = make_finding(trace, i, *violation, exp, obs, fail_nth);
            f.step = ran.size();
            f.judged_from = evidence;
            // A hardware rule: what the call stored and which commands it issued.
            if (ref::hardware_rule(violation->clause))
                f.actual.update(call_to_json(platform.call_record(), platform.iommu_models()));
            append_ran(f, trace, ran, seen);
            f.trace.ops.push_back(op);
            f.trace.ops.back().recorded = obs;
            if (inspect) inspect(instance);
            at = trace.ops.size();
            if (options.before_step) options.before_step(trace.ops.size()); // destroy
            stats.driver_allocs += platform.allocs();
            return f;
        }
        ran.push_back(i);
        seen.push_back(std::move(obs));
    }
    if (inspect) inspect(instance);
    at = trace.ops.size();
    if (options.before_step) options.before_step(trace.ops.size()); // destroy
    // ROBUST-5: destroy frees every platform allocation the driver made.
    Platform &platform = instance.platform();
    instance.destroy();
    // MMEXIT-4: a callback is the mm's exit's to fire, never destroy's.
    const std::vector<ref::Callback> fired = instance.take_fired();
    if (!ran.empty()) stats.checks.hit(ref::ClauseId::MMEXIT_4);
    if (!ran.empty() && !fired.empty()) {
        Finding f = finding_of(ref::ClauseId::MMEXIT_4, trace, fail_nth);
        f.step = ran.size() - 1;
        f.judged_from = Evidence::memory;
        const ref::Callback &c = fired.front();
        f.message = fmt::format("destroy fired mm_exit callback (dev {}, pasid {}, drvdata {:#x}) "
                                "outside an mm exit",
                                c.dev, c.pasid, c.drvdata);
        f.expected = {{"callbacks", json::array()}, {"clause", ref::clause_id(f.clause)}};
        f.actual = {{"callbacks_in_destroy", fired.size()}};
        append_ran(f, trace, ran, seen);
        return f;
    }
    if (platform.take_alloc_refused())
        stats.alloc_failed_step = static_cast<int64_t>(trace.ops.size());
    stats.driver_allocs += platform.allocs();
    const SimMemory::Usage left = platform.memory().owned(SimMemory::Owner::driver);
    stats.leaked_blocks = left.blocks;
    stats.leaked_bytes = left.bytes;
    if (ran.empty()) return std::nullopt;
    stats.checks.hit(ref::ClauseId::ROBUST_5);
    if (left.blocks == 0) return std::nullopt;
    return leak_finding(trace, ran, seen, left, fail_nth);
}

} // namespace

std::optional<Finding> run_differential(const svac_driver_ops &driver, const Trace &trace,
                                        RunStats &stats, const RunOptions &options) {
    return run_differential(driver, trace, stats, nullptr, nullptr, trace.ops.size(), options);
}

std::optional<Finding> check_recorded(const Trace &trace, RunStats &stats, const StepHook &hook) {
    ref::Reference reference(trace.topology, profile_of(trace));
    for (std::size_t i = 0; i < trace.ops.size(); ++i) {
        const ref::Op &op = trace.ops[i];
        uint32_t pasid = reference.resolve(op.pasid);
        ref::Expectation exp = reference.expect(op);
        if (!exp.invalid.empty())
            throw InputError("/ops/" + std::to_string(i) + ": " + exp.invalid);
        auto violation = reference.judge(op, exp, op.recorded, &stats.checks);
        ++stats.steps;
        if (hook) hook(i, op, pasid, exp, op.recorded, violation);
        if (violation) {
            Finding f = make_finding(trace, i, *violation, exp, op.recorded, trace.fail_alloc_nth);
            f.trace.ops.assign(trace.ops.begin(), trace.ops.begin() + static_cast<long>(i) + 1);
            return f;
        }
        reference.commit(op, exp, op.recorded);
    }
    return std::nullopt;
}

Trace finding_trace(const Finding &f) {
    Trace t = f.trace;
    if (f.step < t.ops.size()) t.finding = RecordedFinding{f.clause, f.step, f.judged_from};
    return t;
}

} // namespace svac::engine
