// What grows with the input, measured as it grows: check-trace of a trace
// that binds N mms (each bind takes the lowest free PASID: one lookup in
// HeldPasids rather than a scan of every mm for every candidate), and N
// driver allocations freed in the order they were made (SimMemory sweeps the
// freed blocks in bulk rather than erasing each). Both should come out O(N)
// in the Complexity line.
#include "engine/engine.h"
#include "engine/platform.h"
#include "engine/trace.h"
#include "tests/support/big_inputs.h"

#include <benchmark/benchmark.h>

namespace {

using namespace svac;

void BM_CheckBindTrace(benchmark::State &state) {
    const auto n = static_cast<uint32_t>(state.range(0));
    const engine::Trace trace =
        engine::parse_trace(test_support::bind_trace_text(n), "bench-binds.json");
    std::size_t findings = 0;
    for (auto _ : state) {
        engine::RunStats stats;
        findings += engine::check_recorded(trace, stats).has_value();
    }
    state.counters["findings"] = static_cast<double>(findings); // 0: every bind as allowed
    state.SetComplexityN(n);
}
BENCHMARK(BM_CheckBindTrace)
    ->ArgName("binds")
    ->RangeMultiplier(2)
    ->Range(256, 4096)
    ->Unit(benchmark::kMillisecond)
    ->Complexity();

void BM_FreeInAllocationOrder(benchmark::State &state) {
    using Owner = engine::SimMemory::Owner;
    const auto n = static_cast<std::size_t>(state.range(0));
    std::vector<uint64_t> blocks(n);
    for (auto _ : state) {
        engine::SimMemory mem;
        for (auto &pa : blocks) pa = mem.alloc(64, 64, Owner::driver);
        for (uint64_t pa : blocks) benchmark::DoNotOptimize(mem.free(pa, Owner::driver));
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
    state.SetComplexityN(static_cast<int64_t>(n));
}
BENCHMARK(BM_FreeInAllocationOrder)
    ->ArgName("blocks")
    ->Arg(1'000)
    ->Arg(10'000)
    ->Arg(100'000)
    ->Arg(400'000)
    ->Unit(benchmark::kMillisecond)
    ->Complexity();

} // namespace
