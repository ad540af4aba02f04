// A property campaign: RapidCheck-generated traces (properties/generators.h)
// run through the one engine against a driver. The property: the driver
// agrees with the reference on every op. A failing case is shrunk with
// RapidCheck's shrink tree to a minimal trace that still fails under the same
// clause; the campaign goes on and keeps, per clause, the first case that
// broke it, shrunk.
#pragma once

#include "engine/campaign.h"
#include "properties/generators.h"

#include <functional>
#include <map>
#include <string>

namespace svac::properties {

// Announced before a shrink starts.
struct FoundEvent {
    ref::ClauseId clause;
    uint64_t sequence = 0; // the test case's index in the campaign
    uint64_t seed = 0;     // the campaign's seed
    std::size_t ops = 0;   // ops up to the divergence, before shrinking
};

struct PropertyConfig {
    engine::CampaignConfig campaign; // seed, sequences, ops per sequence, time budget, profile
    bool hardware = true;            // mm_* and dma ops in the mix
    unsigned invalid_pct = 12;       // mean rate of deliberately invalid calls
    bool shrink = true;
    uint64_t shrink_runs = 20'000; // candidate traces tried per finding, at most
    double shrink_time_s = 60;     // per finding, at most (0: no limit)
    std::function<void(const FoundEvent &)> on_found;
};

// How a finding was found and shrunk.
struct FindingOrigin {
    uint64_t sequence = 0;      // the case that first broke the clause
    int size = 0;               // its RapidCheck generation size
    std::size_t found_ops = 0;  // ops up to the divergence as found
    std::size_t shrunk_ops = 0; // ... and after shrinking
    uint64_t shrink_runs = 0;   // candidates tried
    uint64_t shrinks = 0;       // candidates accepted
    bool minimal = false;       // no candidate left (not stopped by a budget)
    std::string reproduce;      // "seed=S sequence=N": case_trace(cfg, S, N) regenerates it
};

struct PropertyResult {
    engine::CampaignResult campaign; // findings hold the shrunk traces
    std::map<ref::ClauseId, FindingOrigin> origins;
    uint64_t shrink_steps = 0; // steps run while shrinking (not in campaign.stats)
};

// The generator configuration a campaign uses against this driver.
GenConfig gen_config(const svac_driver_ops &driver, const PropertyConfig &cfg);

// Case `sequence` of a campaign seeded `seed`: its RapidCheck random source
// and generation size. Determined by the two numbers alone.
rc::Random case_random(uint64_t seed, uint64_t sequence);
int case_size(uint64_t sequence);
engine::Trace case_trace(const GenConfig &gen, uint64_t seed, uint64_t sequence);
// How case_trace makes it (engine::Made, generator "rapidcheck").
engine::Made case_made(const GenConfig &gen, uint64_t seed, uint64_t sequence);

// Shrinks a failing case: walks RapidCheck's shrink tree, keeping a candidate
// when it fails under the same clause at the same step or earlier. Returns
// the finding of the smallest failing candidate (`found` if none).
engine::Finding shrink_finding(const svac_driver_ops &driver,
                               const rc::Shrinkable<engine::Trace> &tc, engine::Finding found,
                               const PropertyConfig &cfg, FindingOrigin &origin, uint64_t &steps);

PropertyResult run_property_campaign(const svac_driver_ops &driver, const PropertyConfig &cfg,
                                     const engine::Progress &progress = nullptr);

} // namespace svac::properties
