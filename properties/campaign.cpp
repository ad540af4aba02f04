#include "properties/campaign.h"

#include "engine/clock.h"
#include "engine/driver.h"
#include "engine/interrupt.h"
#include "engine/isolate.h"

namespace svac::properties {

GenConfig gen_config(const svac_driver_ops &driver, const PropertyConfig &cfg) {
    GenConfig g;
    g.ops = cfg.campaign.ops;
    g.arch_mask = driver.arch_mask;
    g.profile = cfg.campaign.profile;
    g.hardware = cfg.hardware;
    g.invalid_pct = cfg.invalid_pct;
    return g;
}

rc::Random case_random(uint64_t seed, uint64_t sequence) {
    return rc::Random(rc::Random::Key{seed, sequence, 0x7376'6163'2d70'726full, 0});
}

// Sizes ramp up over the first hundred cases, as RapidCheck's do, so that
// short sequences find the simple bugs first; after that one case in four
// stays small.
int case_size(uint64_t sequence) {
    constexpr uint64_t n = rc::kNominalSize;
    if (sequence < n) return static_cast<int>(sequence + 1);
    if (sequence % 4 == 0) return static_cast<int>(1 + (sequence / 4) % n);
    return rc::kNominalSize;
}

namespace {

engine::Trace remake_case(const engine::json &recipe) {
    GenConfig cfg;
    cfg.ops = recipe.at("ops").get<uint32_t>();
    cfg.arch_mask = recipe.at("arch_mask").get<uint32_t>();
    cfg.profile = recipe.at("profile").get<std::string>();
    cfg.hardware = recipe.at("hardware").get<bool>();
    cfg.invalid_pct = recipe.at("invalid_pct").get<unsigned>();
    return case_trace(cfg, recipe.at("seed").get<uint64_t>(),
                      recipe.at("sequence").get<uint64_t>());
}

[[maybe_unused]] const bool registered = engine::register_generator("rapidcheck", remake_case);

} // namespace

engine::Trace case_trace(const GenConfig &gen, uint64_t seed, uint64_t sequence) {
    return gen_trace(gen)(case_random(seed, sequence), case_size(sequence)).value();
}

engine::Made case_made(const GenConfig &cfg, uint64_t seed, uint64_t sequence) {
    return {"rapidcheck",
            {{"seed", seed},
             {"sequence", sequence},
             {"ops", cfg.ops},
             {"arch_mask", cfg.arch_mask},
             {"profile", cfg.profile},
             {"hardware", cfg.hardware},
             {"invalid_pct", cfg.invalid_pct}}};
}

engine::Finding shrink_finding(const svac_driver_ops &driver,
                               const rc::Shrinkable<engine::Trace> &tc, engine::Finding found,
                               const PropertyConfig &cfg, FindingOrigin &origin, uint64_t &steps) {
    const auto t0 = engine::Clock::now();
    rc::Shrinkable<engine::Trace> current = tc;
    engine::Finding best = std::move(found);
    origin.minimal = false;
    for (bool moved = true; moved;) {
        moved = false;
        auto candidates = current.shrinks();
        while (auto candidate = candidates.next()) {
            if (origin.shrink_runs >= cfg.shrink_runs ||
                (cfg.shrink_time_s > 0 && engine::seconds_since(t0) >= cfg.shrink_time_s))
                return best;
            ++origin.shrink_runs;
            engine::Trace trace;
            try {
                trace = candidate->value();
            } catch (const std::exception &) {
                continue;
            }
            if (trace.ops.empty()) continue;
            engine::RunStats stats;
            std::optional<engine::Finding> f;
            try {
                f = engine::run_differential(driver, trace, stats, cfg.campaign.options);
            } catch (const engine::DriverError &) {
                f.reset();
            } catch (const engine::Interrupted &) {
                return best; // stopping: the finding as shrunk so far
            } catch (const engine::HostUnreachable &) {
                return best; // no host to shrink in: the finding as shrunk so far
            }
            steps += stats.steps;
            // The same clause, no later: the counterexample for that clause.
            if (f && f->clause == best.clause && f->step <= best.step) {
                best = std::move(*f);
                current = std::move(*candidate);
                ++origin.shrinks;
                moved = true;
                break;
            }
        }
    }
    origin.minimal = true;
    return best;
}

PropertyResult run_property_campaign(const svac_driver_ops &driver, const PropertyConfig &cfg,
                                     const engine::Progress &progress) {
    const auto t0 = engine::Clock::now();
    const engine::CampaignConfig &cc = cfg.campaign;
    const GenConfig gen_cfg = gen_config(driver, cfg);
    const rc::Gen<engine::Trace> gen = gen_trace(gen_cfg);

    PropertyResult out;
    engine::CampaignResult &result = out.campaign;
    const bool isolated = cc.options.isolate.has_value();
    engine::Coming coming(
        cc.sequences, isolated ? engine::kAheadSequences : 0,
        [&](uint64_t k) { return gen(case_random(cc.seed, k), case_size(k)).value(); },
        isolated ? engine::Coming::How([&](uint64_t k) { return case_made(gen_cfg, cc.seed, k); })
                 : nullptr);
    engine::RunOptions options = cc.options;
    for (uint64_t i = 0; i < cc.sequences; ++i) {
        if (cc.time_s > 0 && engine::seconds_since(t0) >= cc.time_s) {
            result.out_of_time = true;
            break;
        }
        if (engine::stop_requested()) {
            result.interrupted = true;
            break;
        }
        const engine::Trace trace = coming.take(i);
        options.ahead = coming.ahead();
        options.made = coming.made();
        ++result.sequences;
        try {
            auto finding = engine::run_differential(driver, trace, result.stats, options);
            if (finding) {
                const ref::ClauseId clause = finding->clause;
                ++result.occurrences[clause];
                if (!result.findings.count(clause)) {
                    FindingOrigin origin;
                    origin.sequence = i;
                    origin.size = case_size(i);
                    origin.found_ops = finding->step + 1;
                    origin.reproduce =
                        "seed=" + std::to_string(cc.seed) + " sequence=" + std::to_string(i);
                    if (cfg.on_found) cfg.on_found({clause, i, cc.seed, origin.found_ops});
                    // A hang's trace already ends at the call that hung, and
                    // every candidate that hangs would cost the step time limit.
                    bool shrink = cfg.shrink && clause != ref::ClauseId::ROBUST_2;
                    engine::Finding f =
                        shrink ? shrink_finding(driver, gen(case_random(cc.seed, i), case_size(i)),
                                                std::move(*finding), cfg, origin, out.shrink_steps)
                               : std::move(*finding);
                    origin.shrunk_ops = f.step + 1;
                    f.message += " [rapidcheck " + origin.reproduce + ": " +
                                 std::to_string(origin.found_ops) + " ops shrunk to " +
                                 std::to_string(origin.shrunk_ops) + " in " +
                                 std::to_string(origin.shrink_runs) + " runs" +
                                 (shrink && !origin.minimal ? ", stopped by the budget" : "") + "]";
                    out.origins.emplace(clause, std::move(origin));
                    result.findings.emplace(clause, std::move(f));
                }
            }
        } catch (const engine::DriverError &e) {
            if (result.errors.size() < engine::kMaxErrors)
                result.errors.push_back("sequence " + std::to_string(i) + ": " + e.what());
        } catch (const engine::HostUnreachable &e) { // no sequence can run now: stop, "error"
            --result.sequences;
            result.errors.push_back("sequence " + std::to_string(i) + ": " + e.what());
            break;
        } catch (const engine::Interrupted &) {
            --result.sequences; // cut short: not run
            result.interrupted = true;
            break;
        }
        if (progress && (i & 1023) == 1023)
            progress(result, cc.sequences, engine::seconds_since(t0));
    }
    if (progress) progress(result, cc.sequences, engine::seconds_since(t0));
    return out;
}

} // namespace svac::properties
