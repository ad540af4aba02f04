// Isolation: one sequence run differentially in a forked child process that
// holds the driver and its platform, while the parent watches it. A driver
// that crashes (a signal, an abort, a sanitizer report, an exit), hangs in a
// call past the step time limit, or grows the child past the memory limit
// becomes a finding (ROBUST-1 driver-crash, ROBUST-2 driver-hang, ROBUST-3
// driver-oom) whose trace is ops 0..step, the op during which it happened;
// the parent and the campaign go on.
#pragma once

#include "engine/engine.h"

#include <cstdint>
#include <functional>
#include <string>

namespace svac::engine {

// run_differential(driver, trace, stats, hook, nullptr, ops, options) in a
// child; run_differential(driver, trace, stats, options) comes here when
// options.isolate is set. The hook runs in the child (it may print; the child's stdout is the
// parent's). stats gets the child's counts. Throws DriverError when the
// driver refuses the topology, like run_differential, and Interrupted when a
// stop was requested (engine/interrupt.h) while the child ran: the sequence
// is then not counted.
std::optional<Finding> run_isolated(const svac_driver_ops &driver, const Trace &trace,
                                    RunStats &stats, const Isolation &limits,
                                    const RunOptions &options = {}, const StepHook &hook = nullptr);

// Runs `body` in a child under the same limits and returns what it
// returned: for work on a driver that must not take the caller down (the
// decoded tables of a report, dump-tables). Throws DriverError naming the
// kind (driver-crash, driver-hang, driver-oom) when the child does not come
// back, and Interrupted on a stop request.
std::string run_in_child(const Isolation &limits, const std::function<std::string()> &body);

} // namespace svac::engine
