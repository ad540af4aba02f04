// Steps per second: the reference alone (the policy choosing every outcome)
// and differential runs against each bundled driver, first on the API ops
// alone (the backbone's mix), then with the hardware ops (mm_map, mm_unmap,
// mm_protect, dma) in the mix. docs/design.md target: >= 1,000,000 differential
// steps/s on one core for smmuv3.
#include "engine/campaign.h"
#include "engine/engine.h"
#include "engine/generator.h"
#include "models/driver_source.h"
#include "models/registry.h"
#include "properties/campaign.h"

#include <benchmark/benchmark.h>

#include <chrono>

namespace {

using namespace svac;

std::vector<engine::Trace> corpus(uint32_t arch_mask, uint32_t ops, bool hardware,
                                  const char *profile = "rfc2019") {
    std::vector<engine::Trace> traces;
    engine::GenConfig gen;
    gen.ops = ops;
    gen.arch_mask = arch_mask;
    gen.hardware = hardware;
    gen.profile = profile;
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

// Each API generation a driver implements, side by side in one run: the same
// seeds, 32-op sequences with the hardware ops, each profile's vocabulary
// (profile 0: rfc2019, 1: linux-5.3, 2: linux-6.1, 3: linux-6.12, 4:
// linux-6.16). The later ones run the kit's part of the core as well
// (handles, the PASID allocator; from 6.12 the domains and the calls).
void BM_ProfileSteps(benchmark::State &state, const char *driver_name) {
    static constexpr const char *kProfiles[] = {"rfc2019", "linux-5.3", "linux-6.1", "linux-6.12",
                                                "linux-6.16"};
    const char *profile = kProfiles[state.range(0)];
    const svac_driver_ops *ops = models::find_bundled(driver_name)->entry();
    auto traces = corpus(ops->arch_mask, 32, true, profile);
    engine::RunStats stats;
    std::size_t i = 0, findings = 0;
    for (auto _ : state) {
        auto f = engine::run_differential(*ops, traces[i++ % traces.size()], stats);
        findings += f.has_value();
    }
    state.SetLabel(profile);
    state.SetItemsProcessed(static_cast<int64_t>(stats.steps));
    state.counters["findings"] = static_cast<double>(findings);
}
BENCHMARK_CAPTURE(BM_ProfileSteps, smmuv3, "smmuv3")->ArgName("profile")->DenseRange(0, 4);
BENCHMARK_CAPTURE(BM_ProfileSteps, vtd, "vtd")->ArgName("profile")->DenseRange(0, 4);

// Isolated against in-process, in one run: a campaign (`run`'s, 32-op
// sequences; RapidCheck's generator, `run`'s default, or the plain one) of
// a driver loaded as a plugin (as a vendor's is), in this process and then
// in a driver host (engine/host/), the same seed and so the same sequences.
// docs/design.md target: isolated >= 0.5 of in-process. Counters:
// sequences/s of each, and their ratio.
engine::CampaignResult campaign(const svac_driver_ops &driver, const engine::CampaignConfig &cfg,
                                bool rapidcheck) {
    if (!rapidcheck) return engine::run_campaign(driver, cfg);
    properties::PropertyConfig p;
    p.campaign = cfg;
    p.shrink = false;
    return properties::run_property_campaign(driver, p).campaign;
}

void BM_IsolatedVsInProcess(benchmark::State &state, const char *plugin, bool rapidcheck) {
    const std::string path = std::string(SVAC_PLUGIN_DIR) + "/" + plugin + ".so";
    const models::DriverLookup lib = models::load_plugin(path);
    if (!lib.ops) {
        state.SkipWithError(lib.error.c_str());
        return;
    }
    engine::CampaignConfig in_process;
    in_process.seed = 42;
    in_process.sequences = 1000;
    engine::CampaignConfig isolated = in_process;
    isolated.options.isolate = engine::Isolation{};
    double in_s = 0, iso_s = 0;
    std::size_t sequences = 0;
    for (auto _ : state) {
        const auto t0 = std::chrono::steady_clock::now();
        const auto a = campaign(*lib.ops, in_process, rapidcheck);
        const auto t1 = std::chrono::steady_clock::now();
        const auto b = campaign(*lib.ops, isolated, rapidcheck);
        const auto t2 = std::chrono::steady_clock::now();
        if (a.stats.steps != b.stats.steps || a.findings.size() != b.findings.size()) {
            state.SkipWithError("the isolated campaign did not run what the in-process one did");
            return;
        }
        in_s += std::chrono::duration<double>(t1 - t0).count();
        iso_s += std::chrono::duration<double>(t2 - t1).count();
        sequences += a.sequences;
    }
    const double in_rate = static_cast<double>(sequences) / in_s;
    const double iso_rate = static_cast<double>(sequences) / iso_s;
    state.counters["in_process_seq/s"] = in_rate;
    state.counters["isolated_seq/s"] = iso_rate;
    state.counters["isolated/in_process"] = iso_rate / in_rate;
}
BENCHMARK_CAPTURE(BM_IsolatedVsInProcess, driver_template, "driver_template", true)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_IsolatedVsInProcess, smmuv3_plugin, "smmuv3_plugin", true)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_IsolatedVsInProcess, driver_template_plain, "driver_template", false)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_IsolatedVsInProcess, smmuv3_plugin_plain, "smmuv3_plugin", false)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

} // namespace
