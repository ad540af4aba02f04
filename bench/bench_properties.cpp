// Sequences per second of the property campaign (properties/): RapidCheck
// generation of the topology, the swarm and the op list, resolution against
// the shadow reference, and the differential run, per bundled driver; and
// generation alone, to show its share. Items are sequences.
#include "models/registry.h"
#include "properties/campaign.h"

#include <benchmark/benchmark.h>

namespace {

using namespace svac;

properties::PropertyConfig config(uint64_t sequences) {
    properties::PropertyConfig cfg;
    cfg.campaign.seed = 42;
    cfg.campaign.sequences = sequences;
    cfg.campaign.ops = 32;
    return cfg;
}

void BM_PropertyCampaign(benchmark::State &state, const char *driver_name) {
    const svac_driver_ops *ops = models::find_bundled(driver_name)->entry();
    const auto cfg = config(static_cast<uint64_t>(state.range(0)));
    uint64_t sequences = 0, steps = 0, findings = 0;
    for (auto _ : state) {
        auto r = properties::run_property_campaign(*ops, cfg);
        sequences += r.campaign.sequences;
        steps += r.campaign.stats.steps;
        findings += r.campaign.findings.size();
    }
    state.SetItemsProcessed(static_cast<int64_t>(sequences));
    state.counters["steps/s"] =
        benchmark::Counter(static_cast<double>(steps), benchmark::Counter::kIsRate);
    state.counters["findings"] = static_cast<double>(findings);
}
BENCHMARK_CAPTURE(BM_PropertyCampaign, smmuv3, "smmuv3")
    ->ArgName("sequences")
    ->Arg(2000)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_PropertyCampaign, vtd, "vtd")
    ->ArgName("sequences")
    ->Arg(2000)
    ->Unit(benchmark::kMillisecond);

void BM_PropertyGeneration(benchmark::State &state) {
    const svac_driver_ops *ops = models::find_bundled("smmuv3")->entry();
    const auto gen = properties::gen_trace(properties::gen_config(*ops, config(1)));
    uint64_t i = 0, op_count = 0;
    for (auto _ : state) {
        engine::Trace t = gen(properties::case_random(42, i), properties::case_size(i)).value();
        op_count += t.ops.size();
        ++i;
    }
    state.SetItemsProcessed(static_cast<int64_t>(i));
    state.counters["ops/seq"] = static_cast<double>(op_count) / static_cast<double>(i);
}
BENCHMARK(BM_PropertyGeneration);

} // namespace
