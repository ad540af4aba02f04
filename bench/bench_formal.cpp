// Wall time of every Z3 check (`sva-conform prove --format all`, issue 7;
// target < 10 s on 2 cores), and of each format's set. Per-check times are
// in `sva-conform prove --json`.
#include "properties/formal/checks.h"

#include <benchmark/benchmark.h>

#include <string>

namespace {

void BM_ProveAll(benchmark::State &state, const std::string &format) {
    std::size_t proved = 0, checks = 0;
    for (auto _ : state) {
        auto results = svac::formal::run_checks(format, {});
        checks = results.size();
        proved = 0;
        for (const auto &r : results) proved += r.verdict == svac::formal::Verdict::proved;
    }
    state.counters["checks"] = double(checks);
    state.counters["proved"] = double(proved);
}

BENCHMARK_CAPTURE(BM_ProveAll, all, std::string("all"))->Unit(benchmark::kSecond)->Iterations(1);
BENCHMARK_CAPTURE(BM_ProveAll, smmuv3, std::string("smmuv3"))
    ->Unit(benchmark::kSecond)
    ->Iterations(1);
BENCHMARK_CAPTURE(BM_ProveAll, vtd, std::string("vtd"))->Unit(benchmark::kSecond)->Iterations(1);

} // namespace
