// The fail-nth sweep (`sva-conform failnth`): a trace re-run against fresh
// instances of a driver, the platform refusing the driver's 1st, 2nd, ...
// allocation (create's included), until a run asks for fewer. At each
// injection point the call that was refused memory must fail cleanly or
// succeed (ROBUST-4), later ops must conform, and destroy must free every
// allocation (ROBUST-5); a create that gives up must leave none. Each run is
// an ordinary differential run (run_differential with
// RunOptions::fail_alloc_nth), isolated in a child when the options say so.
#pragma once

#include "engine/engine.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

namespace svac::engine {

struct FailnthPoint {
    uint64_t n = 0; // the allocation refused, 1-based
    enum class Where : uint8_t {
        create,  // during create
        op,      // during op `step`
        destroy, // during destroy
        none,    // no-hit: the run asked for fewer than n allocations
        unknown, // the run ended without saying (an isolated child that crashed)
    } where = Where::none;
    std::size_t step = 0;           // Where::op: the op's index
    std::optional<int> rc;          // Where::op: what the call returned, if it returns a code
    bool create_null = false;       // Where::create: create returned NULL
    std::optional<Finding> finding; // empty: clean
    bool clean() const { return !finding; }
};

struct FailnthResult {
    // The trace run without injection: a finding here and the sweep does not run.
    std::optional<Finding> baseline;
    bool baseline_run = false;        // false: stopped before the baseline ended
    uint64_t allocs = 0;              // the allocations the baseline run asked for
    std::vector<FailnthPoint> points; // one per injection point, then the no-hit (if reached)
    bool capped = false;              // stopped at max_points before a run hit none
    bool interrupted = false;         // stopped by a stop request (engine/interrupt.h)
    std::size_t hit() const;          // the injection points (no-hit excluded)
    std::size_t not_clean() const;
};

// Sweeps n = 1, 2, ... until a run hits none (or max_points, or a stop
// request: the points judged so far, `interrupted`). `options` as
// for run_differential (isolation, rule families); its fail_alloc_nth is
// set per run. on_point is called as each point is judged. Throws
// DriverError if the driver refuses the topology without injection.
FailnthResult sweep_failnth(const svac_driver_ops &driver, const Trace &trace,
                            const RunOptions &options = {},
                            const std::function<void(const FailnthPoint &)> &on_point = nullptr,
                            uint64_t max_points = 100'000);

// The built-in trace of an architecture: one that reaches every allocation
// site of the bundled drivers and exercises the API around them. Two IOMMUs
// (create's tables twice), two devices on the first (a PRI endpoint with
// ATS and, on SMMUv3, a stall master; on VT-d a second PRI endpoint) and one
// with a narrow PASID width on the second (a linear CD table on SMMUv3);
// SVA enabled on each, PASID limits that put one mm's PASID far from the
// others' (a second CD leaf, PASID table), binds of three mms (a new PASID,
// an mm's PASID on another device, a second reference), DMA, page requests
// and stalls answered by the core, an unmap, unbinds, a disable and every mm
// exiting, one of them while bound. Conformant on the bundled drivers. For a
// profile after rfc2019, the same in its vocabulary (handles, IOPF before
// SVA, mm_free; no set_sva_param, and from linux-6.16 no feature calls).
Trace failnth_trace(ref::Arch arch, const ref::Profile &profile = ref::default_profile());

} // namespace svac::engine
