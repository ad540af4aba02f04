#include "engine/minimise.h"

#include "engine/driver.h"

#include <algorithm>

namespace svac::engine {

namespace {

struct Oracle {
    const svac_driver_ops &driver;
    ref::ClauseId clause;
    const RunOptions &options;
    uint64_t attempts = 0;

    // The finding of `ops` if it is still under `clause`.
    std::optional<Finding> test(const Trace &base, const std::vector<ref::Op> &ops) {
        ++attempts;
        Trace t{base.profile, base.topology, ops};
        RunStats stats;
        try {
            auto f = run_differential(driver, t, stats, options);
            if (f && f->clause == clause) return f;
        } catch (const DriverError &) {
        }
        return std::nullopt;
    }
};

} // namespace

std::optional<MinimiseResult> minimise(const svac_driver_ops &driver, const Trace &trace,
                                       ref::ClauseId clause, uint64_t max_attempts,
                                       const RunOptions &options) {
    Oracle oracle{driver, clause, options};
    Trace bare = trace; // recorded outcomes are the driver's to give again
    for (auto &op : bare.ops) op.recorded = {};
    auto best = oracle.test(bare, bare.ops);
    if (!best) return std::nullopt;
    // Ops after the divergence never matter.
    std::vector<ref::Op> ops(bare.ops.begin(),
                             bare.ops.begin() + static_cast<std::ptrdiff_t>(best->step + 1));
    bool complete = true;
    // ddmin over complements: remove one of n chunks at a time; on success
    // keep the rest and coarsen, else refine, down to single ops.
    std::size_t n = 2;
    while (ops.size() >= 2) {
        if (oracle.attempts >= max_attempts) {
            complete = false;
            break;
        }
        std::size_t chunk = (ops.size() + n - 1) / n;
        bool reduced = false;
        for (std::size_t start = 0; start < ops.size() && oracle.attempts < max_attempts;
             start += chunk) {
            std::vector<ref::Op> rest(ops.begin(),
                                      ops.begin() + static_cast<std::ptrdiff_t>(start));
            rest.insert(rest.end(),
                        ops.begin() +
                            static_cast<std::ptrdiff_t>(std::min(start + chunk, ops.size())),
                        ops.end());
            if (auto f = oracle.test(bare, rest)) {
                ops.assign(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(f->step + 1));
                best = std::move(f);
                n = std::max<std::size_t>(n - 1, 2);
                reduced = true;
                break;
            }
        }
        if (reduced) continue;
        if (chunk == 1) break;
        n = std::min(ops.size(), n * 2);
    }
    return MinimiseResult{std::move(*best), oracle.attempts, complete};
}

} // namespace svac::engine
