// Delta debugging of a trace against a driver: the smallest op sequence (by
// removal of ops, Zeller's ddmin) that still diverges under the same clause.
// For findings that arrive unshrunk — libFuzzer crashes, hand-written traces;
// the property campaign shrinks its own with RapidCheck.
#pragma once

#include "engine/engine.h"

#include <cstdint>
#include <optional>

namespace svac::engine {

struct MinimiseResult {
    Finding finding;       // the finding of the smallest trace (its trace recorded)
    uint64_t attempts = 0; // differential runs made
    bool complete = true;  // false: stopped by the budget, smaller may exist
};

// `trace` must diverge under `clause` on `driver`; nullopt if it does not.
// Each attempt is one differential run, at most `max_attempts` of them.
// Runs go through run_differential with `options` (isolated when set).
std::optional<MinimiseResult> minimise(const svac_driver_ops &driver, const Trace &trace,
                                       ref::ClauseId clause, uint64_t max_attempts = 4000,
                                       const RunOptions &options = {});

} // namespace svac::engine
