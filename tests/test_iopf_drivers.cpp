// The page-fault path against the bundled drivers and their IOPF mutants, on
// hand-written traces: each trace shows one bug to the hardware, and the
// differential run must stop at the op that reveals it, under the clause the
// bug breaks; the unmutated driver runs the same trace clean. Between them
// they break every driver-side IOPF clause (the core's own rules are judged
// on recorded traces in test_iopf_recorded.cpp).
#include "engine/engine.h"
#include "models/registry.h"
#include "tests/support/ops.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace svac;
using namespace svac::test_support;
using ref::ClauseId;
using ref::Op;
using ref::OpKind;

namespace {

constexpr uint64_t kVa = 0x10'0000;
constexpr uint8_t kR = ref::kRead, kW = ref::kWrite;

enum class Dev : uint8_t {
    pri,
    stall
};

engine::Trace trace(const char *driver, Dev dev, std::vector<Op> ops) {
    engine::Trace t;
    bool vtd = std::string(driver) == "vtd";
    t.topology.iommus = {ref::Iommu{vtd ? ref::Arch::vtd : ref::Arch::smmuv3, 20, true}};
    ref::Device d;
    d.pri = dev == Dev::pri;
    d.stall = dev == Dev::stall;
    t.topology.devices = {d, d};
    t.topology.mms = 2;
    t.ops = std::move(ops);
    return t;
}

// SVA on, the IOPF handler registered, mm 0 bound, four pages mapped lazily.
std::vector<Op> setup() {
    return {enable(0), dev_op(OpKind::register_fault_handler, 0), bind(0, 0),
            mm_map(0, kVa, 4, kR | kW, true)};
}
std::vector<Op> plus(std::vector<Op> a, const std::vector<Op> &b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

struct Case {
    const char *name;
    const char *driver;
    const char *mutant;
    Dev dev;
    std::vector<Op> ops;
    ClauseId clause;
    std::size_t step;
};

Op stop_marker(uint32_t group) {
    Op op = page_request(0, 0, kVa, 0, group, true);
    op.stop = true;
    return op;
}

std::vector<Case> cases() {
    // A two-page DMA: one group of two requests, answered by the handler.
    const auto group = plus(setup(), {dma(0, 0, kVa, kW, 2), page_response(0)});
    // A fault pending at unbind; the PASID goes to mm 1; the old group is answered.
    const auto stale = plus(setup(), {dma(0, 0, kVa, kW), unbind(0, 0), bind(0, 1),
                                      mm_map(1, kVa, 1, kR | kW, false), page_response(0)});
    const auto overflow = plus(setup(), {dev_op(OpKind::queue_overflow, 0), dma(0, 0, kVa, kW)});
    // A partial group open when the queue overflows, then a fresh group reusing its index.
    const auto partial = plus(
        setup(), {page_request(0, 0, 0x90'0000, kR, 0, false), dev_op(OpKind::queue_overflow, 0)});
    return {
        // Answering each request of a group, the non-last one included (IOPF-3).
        {"SmmuAnswersEveryRequest", "smmuv3", "pri-resp-every-request", Dev::pri, group,
         ClauseId::IOPF_3, 4},
        {"VtdAnswersEveryRequest", "vtd", "resp-every-request", Dev::pri, group, ClauseId::IOPF_3,
         4},
        // The core's SUCCESS written raw into CMD_PRI_RESP: 0b00 is ResponseFailure.
        {"SmmuCoreCodeRaw", "smmuv3", "pri-resp-core-code-raw", Dev::pri, group,
         ClauseId::SMMU_CMD_3, 5},
        // The core's FAILURE (2) sent raw in a VT-d response instead of 0xF.
        {"VtdFailureSentRaw", "vtd", "resp-core-code-raw", Dev::pri,
         plus(setup(), {dma(0, 0, kVa, kW), page_response(0, ref::Op::Answer::failure)}),
         ClauseId::VTD_PRQ_1, 5},
        // A stall resumed with RETRY after INVALID (an unmapped address).
        {"SmmuStallRetriedAfterInvalid", "smmuv3", "resume-retry-always", Dev::stall,
         plus(setup(), {dma(0, 0, 0x90'0000, kR), page_response(0)}), ClauseId::SMMU_CMD_4, 5},
        // A stall reported without LAST_PAGE: the core would hold it forever.
        {"SmmuStallNotLast", "smmuv3", "stall-reported-not-last", Dev::stall,
         plus(setup(), {dma(0, 0, kVa, kW)}), ClauseId::IOPF_8, 4},
        // A pending group left unanswered across unbind (UNBIND-6).
        {"SmmuNoFlushAtUnbind", "smmuv3", "no-fault-flush-at-unbind", Dev::pri, stale,
         ClauseId::UNBIND_6, 5},
        {"VtdNoFlushAtUnbind", "vtd", "no-fault-flush-at-unbind", Dev::pri, stale,
         ClauseId::UNBIND_6, 5},
        // A response without the PASID the request carried.
        {"SmmuResponseWithoutSsid", "smmuv3", "pri-resp-drops-ssid", Dev::pri, group,
         ClauseId::SMMU_CMD_3, 5},
        {"VtdResponseWithoutPasid", "vtd", "resp-drops-pasid", Dev::pri, group, ClauseId::VTD_PRQ_1,
         5},
        // A Stop Marker answered (IOPF-11).
        {"SmmuAnswersStopMarker", "smmuv3", "answer-stop-marker", Dev::pri,
         plus(setup(), {stop_marker(3)}), ClauseId::IOPF_11, 4},
        {"VtdAnswersStopMarker", "vtd", "answer-stop-marker", Dev::pri,
         plus(setup(), {stop_marker(3)}), ClauseId::IOPF_11, 4},
        // The overflow never acknowledged: the next page request is lost (IOPF-1).
        {"SmmuOverflowNotAcked", "smmuv3", "priq-overflow-not-acked", Dev::pri, overflow,
         ClauseId::IOPF_1, 5},
        {"VtdOverflowNotCleared", "vtd", "prq-overflow-not-cleared", Dev::pri, overflow,
         ClauseId::IOPF_1, 5},
        // The overflow acknowledged but the core's partial groups kept (IOPF-3).
        {"SmmuNoDiscardPartial", "smmuv3", "no-discard-partial", Dev::pri, partial,
         ClauseId::IOPF_3, 5},
        {"VtdNoDiscardPartial", "vtd", "no-discard-partial", Dev::pri, partial, ClauseId::IOPF_3,
         5},
        // The PRG index read with 8 bits: group 300 reported as 44 (IOPF-3).
        // A VT-d response sent to another requester ID (VTD-PRQ-1).
        {"VtdResponseToAnotherRid", "vtd", "resp-wrong-rid", Dev::pri,
         plus(setup(), {enable(1), dev_op(OpKind::register_fault_handler, 1), bind(1, 0),
                        dma(1, 0, kVa, kW), page_response(1)}),
         ClauseId::VTD_PRQ_1, 8},
        {"SmmuPrgIndex8Bit", "smmuv3", "prg-index-8bit", Dev::pri,
         plus(setup(), {page_request(0, 0, kVa, kR, 300, true)}), ClauseId::IOPF_3, 4},
    };
}

class IopfDriverCase : public ::testing::TestWithParam<std::size_t> {};

TEST_P(IopfDriverCase, MutantCaughtUnderItsClauseAndDriverClean) {
    const Case c = cases()[GetParam()];
    const models::BundledDriver *d = models::find_bundled(c.driver);
    ASSERT_NE(d, nullptr);
    const models::Mutant *m = models::find_mutant(*d, c.mutant);
    ASSERT_NE(m, nullptr) << c.mutant;
    engine::Trace t = trace(c.driver, c.dev, c.ops);
    engine::RunStats stats;
    auto clean = engine::run_differential(*d->entry(), t, stats);
    EXPECT_FALSE(clean.has_value()) << ref::clause_id(clean->clause) << ": " << clean->message;
    auto f = engine::run_differential(*models::mutant_ops(*d, *m), t, stats);
    ASSERT_TRUE(f.has_value()) << c.name << ": not found";
    EXPECT_EQ(f->clause, c.clause) << f->message;
    EXPECT_EQ(f->step, c.step) << f->message;
    // The finding's trace is a reproducer: check-trace names the same clause.
    auto again = engine::check_recorded(f->trace, stats);
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(again->clause, c.clause) << again->message;
}

INSTANTIATE_TEST_SUITE_P(Iopf, IopfDriverCase, ::testing::Range<std::size_t>(0, cases().size()),
                         [](const ::testing::TestParamInfo<std::size_t> &p) {
                             return std::string(cases()[p.param].name);
                         });

// Runs t on the bundled driver, keeping what each op made visible.
std::optional<engine::Finding> run_seen(const char *driver, const engine::Trace &t,
                                        engine::RunStats &stats,
                                        std::vector<ref::Observation> &seen) {
    return engine::run_differential(
        *models::find_bundled(driver)->entry(), t, stats,
        [&](std::size_t, const Op &, uint32_t, const ref::Expectation &,
            const ref::Observation &obs,
            const std::optional<ref::Violation> &) { seen.push_back(obs); });
}

// Faults served end to end on both drivers: the DMA raises, the handler
// answers SUCCESS, the retry translates to the page the handler populated.
TEST(IopfDrivers, FaultServedAndRetried) {
    for (const char *driver : {"smmuv3", "vtd"})
        for (Dev dev : {Dev::pri, Dev::stall}) {
            if (dev == Dev::stall && std::string(driver) == "vtd") continue;
            engine::Trace t = trace(driver, dev,
                                    plus(setup(), {dma(0, 0, kVa + 0x10, kW), page_response(0),
                                                   dma(0, 0, kVa + 0x10, kW)}));
            engine::RunStats stats;
            std::vector<ref::Observation> seen;
            auto f = run_seen(driver, t, stats, seen);
            ASSERT_FALSE(f.has_value()) << driver << ": " << f->message;
            ASSERT_EQ(seen.size(), t.ops.size());
            const auto &raised = seen[4], &answered = seen[5], &after = seen[6];
            using Kind = ref::DmaResult::Kind;
            EXPECT_EQ(raised.dma->front().kind, uint8_t(Kind::page_request)) << driver;
            ASSERT_EQ(raised.faults->size(), 1u) << driver;
            ASSERT_EQ(answered.responses->size(), 1u) << driver;
            EXPECT_EQ(answered.responses->front().code, dev == Dev::stall ? 1 : 0) << driver;
            ASSERT_EQ(answered.retries->size(), 1u) << driver;
            EXPECT_EQ(answered.retries->front().kind, uint8_t(Kind::translated)) << driver;
            // A stall retries the transaction; a PRI device the page its request named.
            EXPECT_EQ(answered.retries->front().pa,
                      ref::Reference::kFrameBase | (dev == Dev::stall ? 0x10 : 0))
                << driver;
            EXPECT_EQ(after.dma->front().kind, uint8_t(Kind::translated)) << driver;
            EXPECT_GT(stats.checks[ClauseId::IOPF_7], 0u);
        }
}

} // namespace

// Found by sva_diff: a request with Last and neither R nor W is a Stop
// Marker on the wire (IOPF-11) even when the op did not ask for one, so the
// device opens no group for it; the next group at that index is answered
// and retried normally (before the fix, the device matched the answer to the
// marker and the retry went missing: a false IOPF-9).
TEST(IopfDrivers, AnUntaggedStopMarkerOpensNoGroupAtTheDevice) {
    for (const char *driver : {"smmuv3", "vtd"}) {
        engine::Trace t =
            trace(driver, Dev::pri,
                  plus(setup(), {page_request(0, 0, kVa, 0, 7, true),
                                 page_request(0, 0, kVa, kR, 7, true), page_response(0)}));
        engine::RunStats stats;
        std::vector<ref::Observation> seen;
        auto f = run_seen(driver, t, stats, seen);
        ASSERT_FALSE(f.has_value()) << driver << ": " << f->message;
        ASSERT_EQ(seen.size(), t.ops.size());
        const auto &answered = seen.back();
        ASSERT_TRUE(answered.retries) << driver;
        ASSERT_EQ(answered.retries->size(), 1u) << driver;
        EXPECT_EQ(answered.retries->front().kind, uint8_t(ref::DmaResult::Kind::translated))
            << driver;
    }
}
