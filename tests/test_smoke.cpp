#include "engine/campaign.h"
#include "models/registry.h"

#include <gtest/gtest.h>

using namespace svac;

TEST(Smoke, Smmuv3CampaignIsConformant) {
    const auto *ops = models::find_bundled("smmuv3")->entry();
    engine::CampaignConfig cfg;
    cfg.seed = 7;
    cfg.sequences = 2000;
    auto r = engine::run_campaign(*ops, cfg);
    for (const auto &[c, f] : r.findings)
        ADD_FAILURE() << ref::clause_id(c) << ": " << f.message << "\n"
                      << engine::print_trace(f.trace);
    EXPECT_TRUE(r.errors.empty());
    EXPECT_EQ(r.sequences, 2000u);
}
