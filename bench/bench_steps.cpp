// Steps per second: the reference alone (the policy choosing every outcome)
// and differential runs against each bundled driver, first on the API ops
// alone (the backbone's mix), then with the hardware ops (mm_map, mm_unmap,
// mm_protect, dma) in the mix. docs/design.md target: >= 1,000,000 differential
// steps/s on one core for smmuv3.
#include "engine/engine.h"
#include "engine/generator.h"
#include "models/registry.h"

#include <benchmark/benchmark.h>

namespace {

using namespace svac;

std::vector<engine::Trace> corpus(uint32_t arch_mask, uint32_t ops, bool hardware) {
    std::vector<engine::Trace> traces;
    engine::GenConfig gen;
    gen.ops = ops;
    gen.arch_mask = arch_mask;
    gen.hardware = hardware;
    for (uint64_t i = 0; i < 512; ++i) {
        engine::Rng rng(engine::Rng::derive(42, i));
        traces.push_back(engine::generate_trace(rng, gen));
    }
    return traces;
}

void BM_ReferenceSteps(benchmark::State &state) {
    auto traces =
        corpus(1u << SVAC_ARCH_SMMUV3, static_cast<uint32_t>(state.range(0)), state.range(1) != 0);
    engine::RunStats stats;
    std::size_t i = 0;
    for (auto _ : state) {
        auto f = engine::check_recorded(traces[i++ % traces.size()], stats);
        benchmark::DoNotOptimize(f);
    }
    state.SetItemsProcessed(static_cast<int64_t>(stats.steps));
}
BENCHMARK(BM_ReferenceSteps)->ArgNames({"ops", "hw"})->Args({32, 0})->Args({32, 1});

void BM_DifferentialSteps(benchmark::State &state, const char *driver_name) {
    const svac_driver_ops *ops = models::find_bundled(driver_name)->entry();
    auto traces =
        corpus(ops->arch_mask, static_cast<uint32_t>(state.range(0)), state.range(1) != 0);
    engine::RunStats stats;
    std::size_t i = 0, findings = 0;
    for (auto _ : state) {
        auto f = engine::run_differential(*ops, traces[i++ % traces.size()], stats);
        findings += f.has_value();
    }
    state.SetItemsProcessed(static_cast<int64_t>(stats.steps));
    state.counters["findings"] = static_cast<double>(findings);
}
BENCHMARK_CAPTURE(BM_DifferentialSteps, smmuv3, "smmuv3")
    ->ArgNames({"ops", "hw"})
    ->Args({32, 0})
    ->Args({256, 0})
    ->Args({32, 1})
    ->Args({256, 1});
BENCHMARK_CAPTURE(BM_DifferentialSteps, vtd, "vtd")
    ->ArgNames({"ops", "hw"})
    ->Args({32, 0})
    ->Args({32, 1})
    ->Args({256, 1});

// The same runs, each sequence in a forked child (engine/isolate.h), as
// plugins run by default: what isolation costs per sequence.
void BM_IsolatedSequences(benchmark::State &state) {
    const svac_driver_ops *ops = models::find_bundled("smmuv3")->entry();
    auto traces = corpus(ops->arch_mask, static_cast<uint32_t>(state.range(0)), true);
    engine::RunOptions options;
    options.isolate = engine::Isolation{};
    engine::RunStats stats;
    std::size_t i = 0;
    for (auto _ : state) {
        auto f = engine::run_differential(*ops, traces[i++ % traces.size()], stats, options);
        benchmark::DoNotOptimize(f);
    }
    state.SetItemsProcessed(static_cast<int64_t>(stats.steps));
    state.counters["sequences/s"] =
        benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_IsolatedSequences)->ArgNames({"ops"})->Arg(32)->UseRealTime();

} // namespace
