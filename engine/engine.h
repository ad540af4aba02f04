// The differential executor: runs a trace's ops against the reference and a
// driver, compares each observation, and stops at the first divergence with
// a finding. check_recorded does the same with the outcomes a trace recorded
// in place of a driver.
#pragma once

#include "engine/trace.h"
#include "reference/hw_model.h"
#include "reference/hw_view.h"
#include "reference/reference.h"

#include <svac/driver_abi.h>

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

namespace svac::engine {

struct Finding {
    ref::ClauseId clause;
    std::size_t step = 0; // index of the op that diverged
    std::string message;
    json expected; // what the spec allowed
    json actual;   // what the driver (or trace) did
    Trace trace;   // ops 0..step, with the outcomes observed
    Evidence judged_from = Evidence::outcomes;
};

// Which families of rules a differential run judges. All by default; tests
// that show what the DMA checks alone catch turn the table rules off.
// The limits of an isolated run (engine/isolate.h).
struct Isolation {
    double step_timeout_s = 10;                // one op, create or destroy
    uint64_t memory_limit = uint64_t{2} << 30; // the child's resident memory, bytes
    bool leak_check = false; // sanitizer builds: LeakSanitizer after destroy (ROBUST-5)
    // Set: the driver is served there (`sva-conform host --listen`), not
    // forked here (engine/host/address.h).
    std::string remote;
};

struct RunOptions {
    bool update_rules = true; // HW-7: how entries were written
    bool table_rules = true;  // SMMU-*, VTD-*: what the tables hold after each call
    // Set: the run goes through run_isolated, in a child process.
    std::optional<Isolation> isolate;
    // Called before op i runs; i == the op count: before destroy.
    std::function<void(std::size_t)> before_step;
    // Called after op i ran, before it is judged, with what the call did to
    // the hardware (call_to_json): `replay --hw`.
    std::function<void(std::size_t, const json &)> after_call;
    // The platform refuses the driver's Nth allocation (1-based, counted over
    // the instance's life, create's included): a fail-nth sweep (ROBUST-4).
    // 0: none, unless the trace names one (Trace::fail_alloc_nth).
    uint64_t fail_alloc_nth = 0;
    // The sequences that run next, in order, with these same options (a
    // campaign's): a driver host starts on them while this one is judged.
    std::span<const Trace> ahead;
    // How a campaign made this sequence, then those ahead (engine/generator.h):
    // a forked driver host, which is this program, is sent these in place of
    // the traces. Empty: the traces go. Each must make its trace exactly.
    std::span<const Made> made;
};

struct RunStats {
    uint64_t steps = 0;
    ref::ClauseCounters checks;
    // The topologies run: which clauses can apply (ref::not_applicable).
    ref::ClauseScope scope;
    // Platform allocations the driver asked for, create's and destroy's
    // included (a refused one too): a sweep is done once N exceeds them.
    uint64_t driver_allocs = 0;
    // Where the refused allocation (fail_alloc_nth) was asked for: the op's
    // index, the op count for destroy, kAllocInCreate, or kNoAllocFailed.
    static constexpr int64_t kNoAllocFailed = -1, kAllocInCreate = -2;
    int64_t alloc_failed_step = kNoAllocFailed;
    std::optional<int> alloc_failed_rc; // what that op returned, if it returns a code
    // create() returned NULL when refused memory: the run ends there, a
    // ROBUST-5 finding (step 0, no ops) if create left platform memory.
    bool create_refused = false;
    // Driver-owned platform memory after destroy, or after that NULL create.
    uint64_t leaked_blocks = 0, leaked_bytes = 0;
};

// Called after each step (for `replay`): the op, what was allowed, what happened.
using StepHook = std::function<void(std::size_t index, const ref::Op &op, uint32_t pasid,
                                    const ref::Expectation &exp, const ref::Observation &obs,
                                    const std::optional<ref::Violation> &violation)>;

class DriverInstance;
class DriverCalls;

// A driver call that came back with no account the judge can use: thrown
// from inside a DriverInstance by a transport (engine/host/) when the host
// running the driver ended, hung or grew past its memory limit (ROBUST-1..3)
// or its account of the call broke (ROBUST-6). run_differential makes it a
// finding at the op of the call (create: step 0; destroy: the last op).
struct CallLost : std::runtime_error {
    CallLost(ref::ClauseId c, std::string what_happened, std::string detail_)
        : std::runtime_error(std::move(what_happened)), clause(c), detail(std::move(detail_)) {}
    ref::ClauseId clause;
    std::string detail; // the host's last words, what was received
    // Where the driver was, when the transport knows it better than the
    // replay does (the host ran ahead of it): none for create.
    bool located = false;
    std::optional<uint64_t> step;
};

// The finding kind of a ROBUST clause ("driver-crash", "driver-hang",
// "driver-oom", "host-account"), or "" for any other clause.
std::string_view finding_kind(ref::ClauseId c);

// A ROBUST finding: `what` happened during op `step` (none: create; the op
// count: destroy), with `detail` (a stderr summary); its trace is ops
// 0..step.
Finding robust_finding(ref::ClauseId clause, const Trace &trace,
                       const std::optional<uint64_t> &step, const std::string &what,
                       const std::string &detail);

// One op against a live driver instance, with the reference's side of the
// world prepared: a CPU page-table change applied first (and committed to
// the reference), the fault core lent for the call, the handler's pages
// populated before a page_response. The caller judges what happened, then
// commits unless `committed`.
struct Executed {
    ref::Observation obs;
    bool committed = false;
};
Executed execute(ref::Reference &reference, DriverInstance &instance, const ref::Op &op,
                 const ref::Expectation &exp);

// Runs the trace against a fresh instance of the driver, then destroys it:
// destroy must free every platform allocation (ROBUST-5, a finding at the
// last op). Throws DriverError if the driver refuses the topology (but for a
// create that gave up when refused memory by fail_alloc_nth: RunStats).
std::optional<Finding> run_differential(const svac_driver_ops &driver, const Trace &trace,
                                        RunStats &stats, const StepHook &hook = nullptr);

// The same, for ops [0, until) only, handing the live instance to `inspect`
// at the end (or at the divergence) before it is destroyed: dump-tables.
// With options.isolate the driver runs in a driver host (engine/isolate.h)
// and `hook` and `inspect` run here, on the kit's instance.
std::optional<Finding> run_differential(const svac_driver_ops &driver, const Trace &trace,
                                        RunStats &stats, const StepHook &hook,
                                        const std::function<void(DriverInstance &)> &inspect,
                                        std::size_t until, const RunOptions &options = {});
// The same, on the driver `make` gives: its entry points called through a
// transport (engine/host/), the judge here.
using MakeCalls = std::function<std::unique_ptr<DriverCalls>()>;
std::optional<Finding> run_differential(const MakeCalls &make, const Trace &trace, RunStats &stats,
                                        const StepHook &hook,
                                        const std::function<void(DriverInstance &)> &inspect,
                                        std::size_t until, const RunOptions &options);
// With options and nothing else; isolated in a child when options.isolate
// is set (engine/isolate.h).
std::optional<Finding> run_differential(const svac_driver_ops &driver, const Trace &trace,
                                        RunStats &stats, const RunOptions &options);

// Judges the outcomes recorded in the trace against the reference alone.
std::optional<Finding> check_recorded(const Trace &trace, RunStats &stats,
                                      const StepHook &hook = nullptr);

// The trace a finding is written as (findings/<CLAUSE>.json, a report's
// finding): its ops with the finding recorded (Trace::finding).
Trace finding_trace(const Finding &f);

json expectation_to_json(const ref::Expectation &exp, ref::OpKind kind);
json observation_to_json(const ref::Observation &obs, ref::OpKind kind);

// What one driver call did to the hardware, short: {"stores": ["0x10008:
// 0x0 -> 0x1", ...] (the stores that changed memory), "commands":
// ["CMD_CFGI_CD sid=0 ssid=1 leaf=1", ...]} decoded by each IOMMU's model, at
// most `max` of each (then "... N more"); a key only when the call made any.
json call_to_json(const ref::CallRecord &call, const std::vector<const ref::IommuModel *> &iommus,
                  std::size_t max = 32);

} // namespace svac::engine
