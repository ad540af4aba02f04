#include "engine/campaign.h"

#include "engine/clock.h"

#include "engine/driver.h"
#include "engine/interrupt.h"
#include "engine/isolate.h"

#include <algorithm>
#include <chrono>
#include <vector>

namespace svac::engine {

CampaignResult run_campaign(const svac_driver_ops &driver, const CampaignConfig &cfg,
                            const Progress &progress) {
    const auto start = Clock::now();
    auto elapsed = [&] { return seconds_since(start); };

    CampaignResult result;
    GenConfig gen;
    gen.ops = cfg.ops;
    gen.arch_mask = driver.arch_mask;
    gen.profile = cfg.profile;

    // Isolated, the sequences to come are made ahead of their turn, so that
    // the driver host runs them while the kit judges (RunOptions::ahead).
    // Sequence i is the same whenever it is made.
    const uint64_t depth = cfg.options.isolate ? kAheadSequences : 0;
    std::vector<Trace> coming;
    uint64_t made = 0;
    RunOptions options = cfg.options;

    for (uint64_t i = 0; i < cfg.sequences; ++i) {
        if (cfg.time_s > 0 && elapsed() >= cfg.time_s) {
            result.out_of_time = true;
            break;
        }
        if (stop_requested()) {
            result.interrupted = true;
            break;
        }
        for (; made < std::min(cfg.sequences, i + 1 + depth); ++made) {
            Rng rng(Rng::derive(cfg.seed, made));
            coming.push_back(generate_trace(rng, gen));
        }
        const Trace trace = std::move(coming.front());
        coming.erase(coming.begin());
        options.ahead = coming;
        ++result.sequences;
        try {
            auto finding = run_differential(driver, trace, result.stats, options);
            if (finding) {
                ++result.occurrences[finding->clause];
                auto it = result.findings.find(finding->clause);
                if (it == result.findings.end() || finding->step < it->second.step)
                    result.findings.insert_or_assign(finding->clause, std::move(*finding));
            }
        } catch (const DriverError &e) {
            if (result.errors.size() < kMaxErrors)
                result.errors.push_back("sequence " + std::to_string(i) + ": " + e.what());
        } catch (const HostUnreachable &e) { // no sequence can run now: stop, verdict "error"
            --result.sequences;
            result.errors.push_back("sequence " + std::to_string(i) + ": " + e.what());
            break;
        } catch (const Interrupted &) {
            --result.sequences; // cut short: not run
            result.interrupted = true;
            break;
        }
        if (progress && (i & 1023) == 1023) progress(result, cfg.sequences, elapsed());
    }
    if (progress) progress(result, cfg.sequences, elapsed());
    return result;
}

} // namespace svac::engine
