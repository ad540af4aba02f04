// The differential executor: runs a trace's ops against the reference and a
// driver, compares each observation, and stops at the first divergence with
// a finding. check_recorded does the same with the outcomes a trace recorded
// in place of a driver.
#pragma once

#include "engine/trace.h"
#include "reference/reference.h"

#include <svac/driver_abi.h>

#include <functional>
#include <optional>
#include <string>

namespace svac::engine {

struct Finding {
    ref::ClauseId clause;
    std::size_t step = 0; // index of the op that diverged
    std::string message;
    json expected; // what the spec allowed
    json actual;   // what the driver (or trace) did
    Trace trace;   // ops 0..step, with the outcomes observed
};

// Which families of rules a differential run judges. All by default; tests
// that show what the DMA checks alone catch turn the table rules off.
// The limits of an isolated run (engine/isolate.h).
struct Isolation {
    double step_timeout_s = 10;                // one op, create or destroy
    uint64_t memory_limit = uint64_t{2} << 30; // the child's resident memory, bytes
};

struct RunOptions {
    bool update_rules = true; // HW-7: how entries were written
    bool table_rules = true;  // SMMU-*, VTD-*: what the tables hold after each call
    // Set: the run goes through run_isolated, in a child process.
    std::optional<Isolation> isolate;
    // Called before op i runs; i == the op count: before destroy.
    std::function<void(std::size_t)> before_step;
};

struct RunStats {
    uint64_t steps = 0;
    ref::ClauseCounters checks;
};

// Called after each step (for `replay`): the op, what was allowed, what happened.
using StepHook = std::function<void(std::size_t index, const ref::Op &op, uint32_t pasid,
                                    const ref::Expectation &exp, const ref::Observation &obs,
                                    const std::optional<ref::Violation> &violation)>;

class DriverInstance;

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

// Runs the trace against a fresh instance of the driver. Throws DriverError
// if the driver refuses the topology.
std::optional<Finding> run_differential(const svac_driver_ops &driver, const Trace &trace,
                                        RunStats &stats, const StepHook &hook = nullptr);

// The same, for ops [0, until) only, handing the live instance to `inspect`
// at the end (or at the divergence) before it is destroyed: dump-tables.
std::optional<Finding> run_differential(const svac_driver_ops &driver, const Trace &trace,
                                        RunStats &stats, const StepHook &hook,
                                        const std::function<void(DriverInstance &)> &inspect,
                                        std::size_t until, const RunOptions &options = {});
// With options and nothing else.
std::optional<Finding> run_differential(const svac_driver_ops &driver, const Trace &trace,
                                        RunStats &stats, const RunOptions &options);

// Judges the outcomes recorded in the trace against the reference alone.
std::optional<Finding> check_recorded(const Trace &trace, RunStats &stats,
                                      const StepHook &hook = nullptr);

json expectation_to_json(const ref::Expectation &exp, ref::OpKind kind);
json observation_to_json(const ref::Observation &obs, ref::OpKind kind);

} // namespace svac::engine
