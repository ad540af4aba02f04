// Isolation: a sequence run differentially with the driver in a driver host
// (engine/host/), a process of its own, while the kit judges and watches
// it. A driver that crashes (a signal, an abort, a sanitizer report, an
// exit), hangs in a call past the step time limit, or grows its host past
// the memory limit becomes a finding (ROBUST-1 driver-crash, ROBUST-2
// driver-hang, ROBUST-3 driver-oom) whose trace is ops 0..step, the op
// during which it happened; the kit and the campaign go on.
#pragma once

#include "engine/engine.h"

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>

namespace svac::engine {

// No host can be had for the driver: a remote host cannot be reached, or
// no process can be forked. The campaign stops with what it has, and says
// why in its errors.
struct HostUnreachable : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// run_differential(driver, trace, stats, hook, inspect, until, options)
// with the driver in a driver host (engine/host/): the host of this driver
// kept from one sequence to the next, replaced when it was lost. The hook
// and `inspect` run here, on the instance rebuilt from the host's account.
// Throws DriverError when the driver refuses the topology, like
// run_differential, and Interrupted when a stop was requested (engine/
// interrupt.h) while the host ran: the sequence is then not counted;
// HostUnreachable when no host can be had.
std::optional<Finding> run_isolated(const svac_driver_ops &driver, const Trace &trace,
                                    RunStats &stats, const Isolation &limits,
                                    const RunOptions &options = {}, const StepHook &hook = nullptr,
                                    const std::function<void(DriverInstance &)> &inspect = nullptr,
                                    std::optional<std::size_t> until = std::nullopt);

} // namespace svac::engine
