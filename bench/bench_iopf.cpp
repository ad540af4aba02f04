// Page faults served per second, end to end: a device touches a page the mm
// has mapped but not populated; the hardware raises a page request (or a
// stall), the driver drains its queue and reports it, the core's handler
// populates the page, the driver sends the answer as the architecture's
// command, and the device retries and translates. One fault is one dma op
// and one page_response op of a differential run, judged like any other.
#include "engine/engine.h"
#include "models/registry.h"
#include "tests/support/ops.h"

#include <benchmark/benchmark.h>

namespace {

using namespace svac;
using namespace svac::test_support;

constexpr uint32_t kFaults = 4096;
constexpr uint64_t kVa = 0x10'0000;

// One device (PRI, or an SMMUv3 stall master), one mm mapped lazily, and
// kFaults faults, each served before the next.
engine::Trace fault_trace(ref::Arch arch, bool stall, uint32_t pages_per_dma) {
    engine::Trace t;
    t.topology.iommus = {ref::Iommu{arch, 20, true}};
    ref::Device d;
    d.pri = !stall;
    d.stall = stall;
    t.topology.devices = {d};
    t.topology.mms = 1;
    t.ops = {enable(0), dev_op(ref::OpKind::register_fault_handler, 0), bind(0, 0),
             mm_map(0, kVa, kFaults, ref::kRead | ref::kWrite, true)};
    for (uint32_t i = 0; i < kFaults; i += pages_per_dma) {
        t.ops.push_back(dma(0, 0, kVa + uint64_t{i} * ref::kPageSize, ref::kWrite, pages_per_dma));
        // A stall is one group per page; a PRI DMA raises one group.
        for (uint32_t g = 0; g < (stall ? pages_per_dma : 1); ++g)
            t.ops.push_back(page_response(0));
    }
    return t;
}

void BM_FaultsServed(benchmark::State &state, const char *driver, ref::Arch arch, bool stall) {
    const svac_driver_ops *ops = models::find_bundled(driver)->entry();
    auto pages = static_cast<uint32_t>(state.range(0));
    engine::Trace trace = fault_trace(arch, stall, pages);
    engine::RunStats stats;
    std::size_t findings = 0;
    for (auto _ : state) findings += engine::run_differential(*ops, trace, stats).has_value();
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kFaults);
    state.counters["findings"] = static_cast<double>(findings);
}
BENCHMARK_CAPTURE(BM_FaultsServed, smmuv3_pri, "smmuv3", ref::Arch::smmuv3, false)
    ->ArgName("pages")
    ->Arg(1)
    ->Arg(4);
BENCHMARK_CAPTURE(BM_FaultsServed, smmuv3_stall, "smmuv3", ref::Arch::smmuv3, true)
    ->ArgName("pages")
    ->Arg(1);
BENCHMARK_CAPTURE(BM_FaultsServed, vtd_pri, "vtd", ref::Arch::vtd, false)
    ->ArgName("pages")
    ->Arg(1)
    ->Arg(4);

} // namespace
