#include "properties/mutants.h"

#include "engine/clock.h"
#include "engine/rng.h"

#include <algorithm>

namespace svac::properties {

PropertyResult campaign_for_hunt(const svac_driver_ops &ops, uint64_t seed, uint64_t sequences,
                                 double time_s, const std::function<void()> &on_found,
                                 const std::string &profile) {
    PropertyConfig cfg;
    cfg.campaign.profile = profile;
    cfg.campaign.ops = kHuntOps;
    cfg.campaign.seed = seed;
    cfg.campaign.sequences = sequences;
    cfg.campaign.time_s = time_s;
    cfg.shrink_time_s = 10;
    cfg.on_found = [&](const FoundEvent &) { on_found(); };
    return run_property_campaign(ops, cfg);
}

Hunt hunt(const svac_driver_ops &ops, uint64_t seed, double budget_s, uint64_t max_sequences,
          const std::string &profile) {
    Hunt h;
    const auto t0 = engine::Clock::now();
    double found_at = -1; // seconds until the first failing case, before its shrink
    const engine::Finding *first = nullptr;
    PropertyResult r;
    for (uint64_t round = 0; !first; ++round) {
        double left = budget_s - engine::seconds_since(t0);
        if (left <= 0 || (max_sequences && h.sequences >= max_sequences)) break;
        uint64_t sequences = std::min<uint64_t>(uint64_t{16} << std::min<uint64_t>(round, 8), 4096);
        if (max_sequences) sequences = std::min(sequences, max_sequences - h.sequences);
        r = campaign_for_hunt(
            ops, engine::Rng::derive(seed, round), sequences, left,
            [&] {
                if (found_at < 0) found_at = engine::seconds_since(t0);
            },
            profile);
        h.sequences += r.campaign.sequences;
        for (const auto &e : r.campaign.errors)
            if (h.errors.size() < 5) h.errors.push_back(e);
        for (const auto &[clause, f] : r.campaign.findings)
            if (!first || f.trace.ops.size() < first->trace.ops.size()) first = &f;
        if (r.campaign.interrupted) {
            h.interrupted = !first; // a finding made before the stop still counts
            break;
        }
    }
    h.seconds = found_at >= 0 ? found_at : engine::seconds_since(t0);
    if (!first) return h;
    h.found = true;
    h.clause = ref::clause_id(first->clause);
    for (const auto &[clause, f] : r.campaign.findings)
        h.clauses.emplace_back(ref::clause_id(clause));
    h.trace_length = r.origins.at(first->clause).found_ops;
    h.shrunk = first->trace;
    return h;
}

} // namespace svac::properties
