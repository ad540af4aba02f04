// engine::minimise: delta debugging of a finding's trace keeps its clause,
// drops what the divergence does not need, and ends 1-minimal.
#include "engine/driver.h"
#include "engine/generator.h"
#include "engine/minimise.h"
#include "models/registry.h"

#include <gtest/gtest.h>

namespace svac {
namespace {

const svac_driver_ops &mutant(const char *driver, const char *name) {
    const models::BundledDriver *d = models::find_bundled(driver);
    const models::Mutant *m = d ? models::find_mutant(*d, name) : nullptr;
    if (!m) throw std::runtime_error(std::string("no mutant ") + driver + ":" + name);
    return *models::mutant_ops(*d, *m);
}

std::optional<engine::Finding> diverges(const svac_driver_ops &ops, const engine::Trace &t) {
    engine::RunStats stats;
    return engine::run_differential(ops, t, stats);
}

// The first generated trace that diverges on `ops`, with its finding.
std::pair<engine::Trace, engine::Finding> first_finding(const svac_driver_ops &ops,
                                                        uint32_t n_ops) {
    for (uint64_t i = 0; i < 5000; ++i) {
        engine::GenConfig cfg;
        cfg.arch_mask = ops.arch_mask;
        cfg.ops = n_ops;
        cfg.hardware = true;
        engine::Rng rng(engine::Rng::derive(0x3141, i));
        engine::Trace t = engine::generate_trace(rng, cfg);
        try {
            if (auto f = diverges(ops, t)) return {t, *f};
        } catch (const engine::DriverError &) {
        }
    }
    throw std::runtime_error("no finding in 5000 generated traces");
}

TEST(Minimise, AFindingNeedingOneOpEndsAsThatOp) {
    const svac_driver_ops &ops = mutant("smmuv3", "unbind-unbound-ok");
    auto [trace, finding] = first_finding(ops, 48);
    ASSERT_EQ(finding.clause, ref::ClauseId::UNBIND_4);
    auto m = engine::minimise(ops, trace, ref::ClauseId::UNBIND_4);
    ASSERT_TRUE(m);
    EXPECT_TRUE(m->complete);
    EXPECT_GT(m->attempts, 0u);
    EXPECT_EQ(m->finding.clause, ref::ClauseId::UNBIND_4);
    ASSERT_EQ(m->finding.trace.ops.size(), 1u);
    EXPECT_EQ(m->finding.trace.ops[0].kind, ref::OpKind::unbind);
}

// Each minimised trace still diverges under its clause, and removing any one
// of its ops loses that clause (1-minimality).
TEST(Minimise, ResultKeepsTheClauseAndIsOneMinimal) {
    for (auto [drv, name] :
         {std::pair{"vtd", "pasid-dir-index-shift5"}, std::pair{"smmuv3", "rebind-no-reference"}}) {
        SCOPED_TRACE(std::string(drv) + ":" + name);
        const svac_driver_ops &ops = mutant(drv, name);
        auto [trace, finding] = first_finding(ops, 64);
        auto m = engine::minimise(ops, trace, finding.clause);
        ASSERT_TRUE(m);
        ASSERT_TRUE(m->complete);
        const auto &small = m->finding.trace;
        EXPECT_LE(small.ops.size(), finding.step + 1);
        engine::Trace bare = small;
        for (auto &op : bare.ops) op.recorded = {};
        auto again = diverges(ops, bare);
        ASSERT_TRUE(again);
        EXPECT_EQ(again->clause, finding.clause);
        for (std::size_t i = 0; i < bare.ops.size() && bare.ops.size() > 1; ++i) {
            engine::Trace less = bare;
            less.ops.erase(less.ops.begin() + static_cast<std::ptrdiff_t>(i));
            auto f = diverges(ops, less);
            EXPECT_FALSE(f && f->clause == finding.clause) << "op " << i << " is not needed";
        }
    }
}

TEST(Minimise, ATraceThatDoesNotDivergeHasNothingToMinimise) {
    const svac_driver_ops &ops = *models::find_bundled("smmuv3")->entry();
    engine::GenConfig cfg;
    engine::Rng rng(7);
    engine::Trace t = engine::generate_trace(rng, cfg);
    ASSERT_FALSE(diverges(ops, t));
    EXPECT_FALSE(engine::minimise(ops, t, ref::ClauseId::UNBIND_4));
}

TEST(Minimise, TheBudgetBoundsTheRuns) {
    const svac_driver_ops &ops = mutant("vtd", "pasid-dir-index-shift5");
    auto [trace, finding] = first_finding(ops, 64);
    auto m = engine::minimise(ops, trace, finding.clause, 3);
    ASSERT_TRUE(m);
    EXPECT_LE(m->attempts, 3u);
    EXPECT_EQ(m->finding.clause, finding.clause);
}

} // namespace
} // namespace svac
