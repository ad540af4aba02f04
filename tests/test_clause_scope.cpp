// Which clauses can apply to a campaign (reference/clauses.h ClauseScope and
// not_applicable): a rule of an architecture the topologies never had, a
// stall rule with no stall device, a PRI rule with no PRI device cannot;
// every other clause can. The campaign records the scope of what it ran.
#include "engine/campaign.h"
#include "models/driver_source.h"
#include "reference/clauses.h"

#include <gtest/gtest.h>

#include <string>

namespace {

using namespace svac;
using ref::ClauseId;

ref::Topology topology(ref::Arch arch, bool pri, bool stall) {
    ref::Topology t;
    t.iommus.push_back({arch, 20, true});
    ref::Device d;
    d.pri = pri;
    d.stall = stall;
    t.devices.push_back(d);
    return t;
}

TEST(ClauseScope, NothingRunNothingKnown) {
    const ref::ClauseScope none;
    for (const auto &c : ref::clause_catalog())
        EXPECT_EQ(ref::not_applicable(c.ident, none), "") << c.id;
}

TEST(ClauseScope, VtdTopologiesRuleOutSmmuClausesAndStallRules) {
    ref::ClauseScope s;
    s.add(topology(ref::Arch::vtd, true, false));
    std::size_t na = 0;
    for (const auto &c : ref::clause_catalog()) {
        const std::string why = ref::not_applicable(c.ident, s);
        if (c.group == ref::ClauseGroup::SMMU) {
            EXPECT_EQ(why, "SMMUv3 rule; the campaign's topologies had VT-d IOMMUs only") << c.id;
        } else if (c.ident == ClauseId::IOPF_8) {
            EXPECT_EQ(why, "stall rule; no device of the campaign's topologies stalls, as only an "
                           "SMMUv3 master without PRI does");
        } else {
            EXPECT_EQ(why, "") << c.id; // VTD-*, the API rules: they can apply
        }
        na += !why.empty();
    }
    EXPECT_EQ(na, 12u); // 11 SMMU-* and IOPF-8
}

TEST(ClauseScope, SmmuTopologiesRuleOutVtdClauses) {
    ref::ClauseScope s;
    s.add(topology(ref::Arch::smmuv3, false, true)); // a stall master
    for (const auto &c : ref::clause_catalog()) {
        const std::string why = ref::not_applicable(c.ident, s);
        if (c.group == ref::ClauseGroup::VTD)
            EXPECT_EQ(why, "VT-d rule; the campaign's topologies had SMMUv3 IOMMUs only") << c.id;
        else if (c.ident == ClauseId::SMMU_CMD_3) // CMD_PRI_RESP: no PRI device
            EXPECT_EQ(why, "PRI rule; no device behind the campaign's SMMUv3 IOMMUs has PRI");
        else
            EXPECT_EQ(why, "") << c.id;
    }
    // A stall flag on a PRI device does not stall (device_stalls): IOPF-8 cannot apply.
    ref::ClauseScope pri;
    pri.add(topology(ref::Arch::smmuv3, true, true));
    EXPECT_NE(ref::not_applicable(ClauseId::SMMU_CMD_4, pri), "");
    EXPECT_EQ(ref::not_applicable(ClauseId::SMMU_CMD_3, pri), "");
}

TEST(ClauseScope, ScopesOfBothArchitecturesLeaveEveryClauseApplicable) {
    ref::ClauseScope a, b;
    a.add(topology(ref::Arch::vtd, true, false));
    b.add(topology(ref::Arch::smmuv3, false, true)); // a stall master
    b.add(topology(ref::Arch::smmuv3, true, false)); // a PRI device
    a |= b;
    EXPECT_EQ(a.topologies, 3u);
    for (const auto &c : ref::clause_catalog()) EXPECT_EQ(ref::not_applicable(c.ident, a), "");
}

TEST(ClauseScope, ACampaignRecordsTheTopologiesItRan) {
    const svac_driver_ops *vtd = models::find_driver("vtd").ops;
    ASSERT_NE(vtd, nullptr);
    engine::CampaignConfig cfg;
    cfg.seed = 5;
    cfg.sequences = 40;
    const engine::CampaignResult r = engine::run_campaign(*vtd, cfg);
    EXPECT_EQ(r.stats.scope.topologies, r.sequences);
    EXPECT_EQ(r.stats.scope.archs, 1u << SVAC_ARCH_VTD);
    EXPECT_EQ(r.stats.scope.stall_archs, 0u);
    EXPECT_EQ(ref::not_applicable(ClauseId::SMMU_STE_1, r.stats.scope),
              "SMMUv3 rule; the campaign's topologies had VT-d IOMMUs only");
}

} // namespace
