// Hunting a seeded bug: the property campaign against one mutant's driver,
// in rounds of growing size until a finding or the budget runs out. The
// `mutants` command and the mutation-score benchmark share it.
#pragma once

#include "engine/trace.h"
#include "models/registry.h"
#include "properties/campaign.h"

#include <svac/driver_abi.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace svac::properties {

// Ops per sequence, at most. Long sequences reach the bugs that need several
// steps lined up (a DMA that fills a TLB, a CPU change, a DMA again) an order
// of magnitude sooner than the 32 of `run`; shrinking then trims the
// reproducer.
inline constexpr uint32_t kHuntOps = 128;

// The one place a hunt runs a campaign: the property campaign, whose
// findings come back shrunk to the same clause.
// profile: the API generation the campaign generates for.
PropertyResult campaign_for_hunt(const svac_driver_ops &ops, uint64_t seed, uint64_t sequences,
                                 double time_s, const std::function<void()> &on_found,
                                 const std::string &profile = "rfc2019");

struct Hunt {
    const models::BundledDriver *driver = nullptr;
    const models::Mutant *mutant = nullptr;
    bool found = false;
    std::string clause; // of the shortest finding
    std::vector<std::string> clauses;
    double seconds = 0; // until the first failing case (before its shrink), or the budget spent
    uint64_t sequences = 0;
    bool interrupted = false;     // a stop request cut the hunt short: not a measurement
    std::size_t trace_length = 0; // ops of the failing case as found
    engine::Trace shrunk;
    std::vector<std::string> errors;
};

// Rounds of growing size, each with its own seed, until a finding, the
// budget runs out, max_sequences have run (0: no cap) or a stop is
// requested (engine/interrupt.h).
// The hunt generates for `profile` (a mutant's own: Mutant::profile).
Hunt hunt(const svac_driver_ops &ops, uint64_t seed, double budget_s, uint64_t max_sequences = 0,
          const std::string &profile = "rfc2019");

} // namespace svac::properties
