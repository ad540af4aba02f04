// Which clauses can apply to a campaign (reference/clauses.h ClauseScope and
// not_applicable): a rule of an architecture the topologies never had, a
// stall rule with no stall device, a PRI rule with no PRI device cannot;
// every other clause can. The campaign records the scope of what it ran.
#include "engine/campaign.h"
#include "models/driver_source.h"
#include "reference/clauses.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <string_view>

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
        if (c.group == ref::ClauseGroup::SMMU || c.ident == ClauseId::FEAT_11) {
            EXPECT_EQ(why, "SMMUv3 rule; the campaign's topologies had VT-d IOMMUs only") << c.id;
        } else if (c.ident == ClauseId::IOPF_8) {
            EXPECT_EQ(why, "stall rule; no device of the campaign's topologies stalls, as only an "
                           "SMMUv3 master without PRI does");
        } else {
            EXPECT_EQ(why, "") << c.id; // VTD-*, the API rules: they can apply
        }
        na += !why.empty();
    }
    EXPECT_EQ(na, 18u); // 16 SMMU-*, FEAT-11 (SMMUv3's IOPF before SVA) and IOPF-8
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

// Profiles: each clause binds the API generations its catalog entry names;
// a campaign of one profile cannot apply the others' clauses.
namespace {

std::set<std::string> ids_binding(std::string_view profile) {
    std::set<std::string> ids;
    for (const auto &c : ref::clause_catalog())
        if (ref::binds(c.ident, *ref::find_profile(profile))) ids.insert(std::string(c.id));
    return ids;
}

} // namespace

TEST(ClauseProfiles, EveryClauseBindsAProfileAndEveryProfileHasClauses) {
    for (const auto &c : ref::clause_catalog()) EXPECT_NE(c.profiles, 0u) << c.id;
    for (const auto &p : ref::profiles()) EXPECT_GT(ids_binding(p.name).size(), 40u) << p.name;
}

TEST(ClauseProfiles, Rfc2019IsTheFirstWaveCatalogAndNoModernRule) {
    const auto rfc = ids_binding("rfc2019");
    for (const char *id : {"FEAT-1", "FEAT-5", "PARAM-1", "BIND-4", "UNBIND-4", "UNBIND-5",
                           "MMEXIT-1", "MMEXIT-4", "IOPF-9", "SMMU-CD-1", "ROBUST-6"})
        EXPECT_TRUE(rfc.count(id)) << id;
    for (const char *id :
         {"FEAT-11", "HANDLE-1", "HANDLE-2", "HANDLE-3", "ATTACH-1", "ATTACH-5", "DOMAIN-1",
          "DOMAIN-3", "PASID-6", "IOPF-12", "SMMU-CD-6", "SMMU-ASID-2"})
        EXPECT_FALSE(rfc.count(id)) << id;
    // The catalog before the later generations joined it (81), and the rules
    // of the SMMUv3 (3) and VT-d (2) register interfaces, which bind every
    // generation.
    EXPECT_EQ(rfc.size(), 86u);
}

TEST(ClauseProfiles, Linux616HasNoFeatureCallsAndTheModernRules) {
    const auto l616 = ids_binding("linux-6.16");
    for (const auto &id : l616) {
        EXPECT_NE(id.rfind("FEAT-", 0), 0u) << id;
        EXPECT_NE(id.rfind("PARAM-", 0), 0u) << id;
        EXPECT_NE(id.rfind("MMEXIT-1", 0), 0u) << id;
    }
    for (const char *id : {"ATTACH-1", "ATTACH-3", "ATTACH-5", "DOMAIN-1", "DOMAIN-3", "PASID-6",
                           "HANDLE-2", "IOPF-12", "SMMU-ASID-2"})
        EXPECT_TRUE(l616.count(id)) << id;
    // linux-6.12 has the feature calls (IOPF before SVA) and remove_dev_pasid.
    const auto l612 = ids_binding("linux-6.12");
    EXPECT_TRUE(l612.count("FEAT-11"));
    EXPECT_FALSE(l612.count("DOMAIN-3"));
    EXPECT_FALSE(l612.count("FEAT-6")); // 6.12 SMMUv3 disables SVA with bonds: 0
    // The PASID's lifetime: bonds up to linux-5.3, the mm's from linux-6.1.
    EXPECT_TRUE(ids_binding("linux-5.3").count("UNBIND-3"));
    EXPECT_FALSE(ids_binding("linux-5.3").count("PASID-6"));
    EXPECT_FALSE(ids_binding("linux-6.1").count("UNBIND-3"));
    EXPECT_TRUE(ids_binding("linux-6.1").count("PASID-6"));
}

TEST(ClauseProfiles, AClauseOfAnotherProfileIsNotApplicableWhateverRan) {
    ref::ClauseScope s;
    s.profile = ref::find_profile("linux-6.16")->bit;
    EXPECT_EQ(ref::not_applicable(ClauseId::ATTACH_1, s), "");
    const std::string why = ref::not_applicable(ClauseId::FEAT_3, s);
    EXPECT_NE(why.find("not a clause of profile linux-6.16"), std::string::npos) << why;
    EXPECT_NE(why.find("linux-6.12"), std::string::npos) << why; // the profiles it binds
    s.add(topology(ref::Arch::vtd, true, false));
    EXPECT_NE(ref::not_applicable(ClauseId::PARAM_1, s).find("not a clause"), std::string::npos);
    EXPECT_NE(ref::not_applicable(ClauseId::SMMU_ASID_2, s).find("SMMUv3 rule"), std::string::npos);
}
