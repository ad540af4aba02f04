#include "engine/campaign.h"

#include "engine/clock.h"

#include "engine/driver.h"
#include "engine/interrupt.h"
#include "engine/isolate.h"

#include <algorithm>
#include <chrono>
#include <stdexcept>

namespace svac::engine {

Trace Coming::take(uint64_t i) {
    if (i != next_++) throw std::logic_error("Coming: sequences out of turn");
    if (!made_.empty() && i > 0) made_.erase(made_.begin()); // sequence i - 1's
    for (; built_ < std::min(total_, i + 1 + depth_); ++built_) {
        traces_.push_back(make_(built_));
        if (how_) made_.push_back(how_(built_));
    }
    Trace t = std::move(traces_.front());
    traces_.erase(traces_.begin());
    return t;
}

CampaignResult run_campaign(const svac_driver_ops &driver, const CampaignConfig &cfg,
                            const Progress &progress) {
    const auto start = Clock::now();
    auto elapsed = [&] { return seconds_since(start); };

    CampaignResult result;
    GenConfig gen;
    gen.ops = cfg.ops;
    gen.arch_mask = driver.arch_mask;
    gen.profile = cfg.profile;

    const bool isolated = cfg.options.isolate.has_value();
    Coming coming(
        cfg.sequences, isolated ? kAheadSequences : 0,
        [&](uint64_t k) {
            Rng rng(Rng::derive(cfg.seed, k));
            return generate_trace(rng, gen);
        },
        isolated
            ? Coming::How([&](uint64_t k) { return plain_made(Rng::derive(cfg.seed, k), gen); })
            : nullptr);
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
        const Trace trace = coming.take(i);
        options.ahead = coming.ahead();
        options.made = coming.made();
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
