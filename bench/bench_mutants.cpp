// The mutation score: every seeded bug of both bundled drivers hunted with the
// property campaign (properties/mutants.h, as `sva-conform mutants` does),
// once, with a 10 s budget each. Counters: mutants found of the total, the
// median and worst seconds to the first failing case, the median and
// longest shrunk reproducer. Targets (issue 5): every mutant found, median
// under 1 s, worst under 60 s on one core.
#include "models/registry.h"
#include "properties/mutants.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <vector>

namespace {

using namespace svac;

double median(std::vector<double> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

void BM_MutationScore(benchmark::State &state) {
    constexpr double kBudget = 10;
    std::vector<double> seconds, shrunk;
    std::size_t total = 0, found = 0;
    for (auto _ : state)
        for (const models::BundledDriver &d : models::bundled_drivers())
            for (const models::Mutant &m : d.mutants) {
                // Each under its own API generation.
                properties::Hunt h = properties::hunt(*models::mutant_ops(d, m), 1, kBudget, 0,
                                                      std::string(m.profile));
                ++total;
                if (!h.found) continue;
                ++found;
                seconds.push_back(h.seconds);
                shrunk.push_back(static_cast<double>(h.shrunk.ops.size()));
            }
    state.counters["mutants"] = static_cast<double>(total);
    state.counters["found"] = static_cast<double>(found);
    state.counters["median_s"] = median(seconds);
    state.counters["worst_s"] =
        seconds.empty() ? 0 : *std::max_element(seconds.begin(), seconds.end());
    state.counters["median_shrunk_ops"] = median(shrunk);
    state.counters["max_shrunk_ops"] =
        shrunk.empty() ? 0 : *std::max_element(shrunk.begin(), shrunk.end());
}
BENCHMARK(BM_MutationScore)->Iterations(1)->Unit(benchmark::kSecond);

} // namespace
