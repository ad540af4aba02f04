// The RapidCheck properties (properties/): both bundled drivers agree with
// the reference on generated traces (RC_GTEST_PROP, fixed seed, bounded
// size); the generators reach what the issue asks of them (topologies, small
// widths, invalid calls at a controlled rate, swarm); shrinking is tested the
// way RapidCheck tests its own: against broken drivers, the shrunk trace is a
// handful of ops and still fails under the same clause; and the unmutated
// drivers pass a long campaign.
#include "engine/driver.h"
#include "engine/generator.h"
#include "models/registry.h"
#include "properties/campaign.h"
#include "tests/support/cli_runner.h"
#include "tests/support/driver_wrap.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <utility>

using namespace svac;
using ref::ClauseId;
using ref::OpKind;

namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

// Sizes of the campaigns: bounded, ten times smaller under the sanitizers.
constexpr uint64_t scaled(uint64_t n) {
    return kSanitized ? std::max<uint64_t>(n / 10, 1) : n;
}

// RC_GTEST_PROP reads its parameters from RC_PARAMS once, at first use: a
// fixed seed and a bounded number of cases unless the caller says otherwise.
const bool kRcParams = [] {
    std::string params = "seed=20190226 max_success=" + std::to_string(scaled(1000)) +
                         " max_size=100 verbose_progress=0";
    ::setenv("RC_PARAMS", params.c_str(), 0);
    return true;
}();

const svac_driver_ops &bundled(const char *name) {
    return *models::find_bundled(name)->entry();
}

properties::GenConfig gen_for(const svac_driver_ops &ops) {
    properties::PropertyConfig cfg;
    return properties::gen_config(ops, cfg);
}

// The property itself, as RapidCheck runs it: the driver agrees with the
// reference on every op of a generated trace.
void agrees_with_reference(const svac_driver_ops &ops) {
    const engine::Trace trace = *properties::gen_trace(gen_for(ops));
    RC_CLASSIFY(trace.topology.devices.size() > 1, "several devices");
    RC_CLASSIFY(trace.topology.iommus.size() > 1, "several IOMMUs");
    engine::RunStats stats;
    auto f = engine::run_differential(ops, trace, stats);
    if (f)
        RC_FAIL(std::string(ref::clause_id(f->clause)) + " at step " + std::to_string(f->step) +
                ": " + f->message + "\n" + engine::trace_to_json(f->trace).dump());
}

} // namespace

RC_GTEST_PROP(Properties, Smmuv3AgreesWithTheReference, ()) {
    agrees_with_reference(bundled("smmuv3"));
}

RC_GTEST_PROP(Properties, VtdAgreesWithTheReference, ()) {
    agrees_with_reference(bundled("vtd"));
}

// Every generated trace, shrunk or not, is one `replay` reads back.
RC_GTEST_PROP(Properties, GeneratedTracesAreValidTraceFiles, ()) {
    const engine::Trace trace = *properties::gen_trace(gen_for(bundled("smmuv3")));
    const engine::Trace back =
        engine::parse_trace(engine::trace_to_json(trace).dump(), "generated.json");
    RC_ASSERT(back == trace);
}

namespace {

// --- what the generators reach ----------------------------------------------

TEST(PropertyGenerators, ShrinkCandidatesAreValidTraces) {
    const auto gen = properties::gen_trace(gen_for(bundled("smmuv3")));
    std::size_t candidates = 0;
    for (uint64_t i = 0; i < scaled(60); ++i) {
        auto tc = gen(properties::case_random(5, i), properties::case_size(i));
        auto shrinks = tc.shrinks();
        for (int k = 0; k < 200; ++k) {
            auto s = shrinks.next();
            if (!s) break;
            engine::Trace t = s->value();
            ++candidates;
            ASSERT_NO_THROW(engine::parse_trace(engine::trace_to_json(t).dump(), "shrunk.json"))
                << engine::print_trace(t);
        }
    }
    EXPECT_GT(candidates, scaled(60) * 20);
}

TEST(PropertyGenerators, SameSeedSameCase) {
    const auto cfg = gen_for(bundled("vtd"));
    for (uint64_t i = 0; i < 50; ++i)
        EXPECT_EQ(properties::case_trace(cfg, 9, i), properties::case_trace(cfg, 9, i));
    EXPECT_NE(properties::case_trace(cfg, 9, 150), properties::case_trace(cfg, 10, 150));
}

TEST(PropertyGenerators, TopologiesCoverTheMixes) {
    auto cfg = gen_for(bundled("smmuv3"));
    cfg.arch_mask = (1u << SVAC_ARCH_SMMUV3) | (1u << SVAC_ARCH_VTD);
    std::set<std::size_t> iommus, devices;
    std::set<uint32_t> mms, widths;
    std::set<ref::Arch> archs;
    std::set<std::array<bool, 3>> flags;
    bool mixed_sva = false, stall_on_vtd = false;
    for (uint64_t i = 0; i < 2000; ++i) {
        const engine::Trace t = properties::case_trace(cfg, 3, i);
        iommus.insert(t.topology.iommus.size());
        devices.insert(t.topology.devices.size());
        mms.insert(t.topology.mms);
        for (const auto &d : t.topology.devices) {
            widths.insert(d.pasid_bits);
            flags.insert({d.pri, d.stall, d.ats});
            stall_on_vtd |= d.stall && t.topology.iommus[d.iommu].arch == ref::Arch::vtd;
        }
        for (const auto &io : t.topology.iommus) archs.insert(io.arch);
        if (t.topology.iommus.size() > 1)
            mixed_sva |= t.topology.iommus[0].sva != t.topology.iommus[1].sva;
    }
    EXPECT_EQ(iommus, (std::set<std::size_t>{1, 2, 3}));
    EXPECT_EQ(devices, (std::set<std::size_t>{1, 2, 3, 4}));
    EXPECT_EQ(mms.size(), properties::kMaxMms);
    for (uint32_t w = 0; w <= 20; ++w) EXPECT_TRUE(widths.count(w)) << "width " << w;
    EXPECT_EQ(archs.size(), 2u);
    EXPECT_GE(flags.size(), 6u); // PRI, stall and ATS combinations
    EXPECT_TRUE(mixed_sva);
    EXPECT_FALSE(stall_on_vtd);
}

TEST(PropertyGenerators, SwarmLeavesKindsOut) {
    properties::GenConfig cfg;
    const auto gen = properties::gen_swarm(cfg);
    const auto base = properties::default_weights();
    std::array<int, properties::kOpKinds> left_out{};
    int full = 0;
    std::set<std::vector<bool>> subsets;
    constexpr int n = 500;
    for (int i = 0; i < n; ++i) {
        properties::Swarm s = gen(properties::case_random(1, i)).value();
        std::vector<bool> used;
        for (std::size_t k = 0; k < properties::kOpKinds; ++k) {
            used.push_back(s.weight[k] != 0);
            left_out[k] += s.weight[k] == 0;
        }
        subsets.insert(used);
        full += s.weight == base;
        EXPECT_LE(s.invalid_pct, 2 * cfg.invalid_pct);
    }
    for (std::size_t k = 0; k < properties::kOpKinds; ++k)
        EXPECT_GT(left_out[k], n / 5) << ref::op_name(static_cast<OpKind>(k));
    EXPECT_GT(full, n / 10);
    EXPECT_GT(subsets.size(), 100u);
}

// Deliberately invalid calls come at the rate asked for, and none without.
TEST(PropertyGenerators, InvalidCallsAtAControlledRate) {
    for (unsigned pct : {0u, 12u, 30u}) {
        properties::GenConfig cfg;
        cfg.invalid_pct = pct;
        const auto swarm = properties::gen_swarm(cfg);
        uint64_t specs = 0, invalid = 0;
        for (uint64_t i = 0; i < 400; ++i) {
            auto s = swarm(properties::case_random(2, i)).value();
            auto list = properties::gen_op_specs(s, cfg)(properties::case_random(3, i)).value();
            for (const auto &spec : list) {
                if (spec.prelude) continue;
                ++specs;
                invalid += spec.invalid;
            }
        }
        double rate = 100.0 * double(invalid) / double(specs);
        EXPECT_NEAR(rate, pct, pct * 0.2 + 0.01) << "invalid_pct " << pct;
    }
}

// Over a campaign on the unmutated driver the contract's invalid calls and
// edges are all exercised: every core clause is checked, and each of the
// invalid calls the issue names is reached.
TEST(PropertyGenerators, CampaignReachesTheEdges) {
    properties::PropertyConfig cfg;
    cfg.campaign.seed = 77;
    cfg.campaign.sequences = scaled(3000);
    auto r = properties::run_property_campaign(bundled("smmuv3"), cfg);
    ASSERT_TRUE(r.campaign.findings.empty());
    const auto &n = r.campaign.stats.checks;
    for (ClauseId c :
         {ClauseId::FEAT_1,   ClauseId::FEAT_2,   ClauseId::FEAT_3,   ClauseId::FEAT_4,
          ClauseId::FEAT_5,   ClauseId::FEAT_6,   ClauseId::FEAT_7,   ClauseId::FEAT_8,
          ClauseId::FEAT_9,   ClauseId::FEAT_10,  ClauseId::PARAM_1,  ClauseId::PARAM_2,
          ClauseId::PARAM_3,  ClauseId::PARAM_4,  ClauseId::BIND_1,   ClauseId::BIND_2,
          ClauseId::BIND_3,   ClauseId::BIND_4,   ClauseId::BIND_5,   ClauseId::BIND_6,
          ClauseId::BIND_7,   ClauseId::BIND_8,   ClauseId::UNBIND_1, ClauseId::UNBIND_3,
          ClauseId::UNBIND_4, ClauseId::UNBIND_5, ClauseId::MMEXIT_1, ClauseId::MMEXIT_3,
          ClauseId::MMEXIT_4, ClauseId::PASID_1,  ClauseId::PASID_2,  ClauseId::PASID_3,
          ClauseId::PASID_4,  ClauseId::PASID_5,  ClauseId::HW_1,     ClauseId::HW_2,
          ClauseId::HW_3,     ClauseId::HW_4,     ClauseId::HW_5,     ClauseId::HW_6})
        EXPECT_GT(n[c], 0u) << ref::clause_id(c) << " never checked";
}

// --- shrinking against broken drivers ---------------------------------------

enum class Mut : uint8_t {
    none,
    bind_enables_sva, // bind enables SVA on the fly
    unbind_always_ok, // unbind of anything returns 0
    callbacks_twice,  // every mm_exit callback fires twice
    two_bonds_max,    // a third live bond fails with -ENOSPC
    exclusive_max,    // the allocator takes the upper end of a range as exclusive
    enabled_12345,    // feature_enabled answers 12345 for true
};

struct Variant {
    const char *name;
    const char *base;
    Mut mut;
    ClauseId clause;     // among the findings
    std::size_t max_ops; // the shrunk trace is at most this long
};

constexpr Variant kVariants[] = {
    {"Smmuv3BindEnablesSva", "smmuv3", Mut::bind_enables_sva, ClauseId::BIND_1, 2},
    {"Smmuv3UnbindAlwaysOk", "smmuv3", Mut::unbind_always_ok, ClauseId::UNBIND_4, 2},
    {"Smmuv3CallbacksTwice", "smmuv3", Mut::callbacks_twice, ClauseId::MMEXIT_1, 4},
    {"Smmuv3TwoBondsMax", "smmuv3", Mut::two_bonds_max, ClauseId::PASID_5, 6},
    {"Smmuv3ExclusiveMax", "smmuv3", Mut::exclusive_max, ClauseId::PASID_3, 6},
    {"Smmuv3EnabledAnswers12345", "smmuv3", Mut::enabled_12345, ClauseId::FEAT_5, 3},
    {"VtdBindEnablesSva", "vtd", Mut::bind_enables_sva, ClauseId::BIND_1, 2},
    {"VtdUnbindAlwaysOk", "vtd", Mut::unbind_always_ok, ClauseId::UNBIND_4, 2},
    {"VtdCallbacksTwice", "vtd", Mut::callbacks_twice, ClauseId::MMEXIT_1, 4},
    {"VtdTwoBondsMax", "vtd", Mut::two_bonds_max, ClauseId::PASID_5, 6},
    {"VtdExclusiveMax", "vtd", Mut::exclusive_max, ClauseId::PASID_3, 6},
    {"VtdEnabledAnswers12345", "vtd", Mut::enabled_12345, ClauseId::FEAT_5, 3},
};
constexpr std::size_t kNumVariants = std::size(kVariants);

// The wrapper: the inner driver and the little the mutation needs.
struct Wrapper {
    const svac_driver_ops *ops;
    void *inner;
    Mut mut;
    svac_mm_exit_fn cb = nullptr;
    void *cb_ctx = nullptr;
    uint32_t bonds = 0; // live bonds, references counted
};

Wrapper *W(void *drv) {
    return static_cast<Wrapper *>(drv);
}

template <std::size_t I> void *wrap_create(const svac_platform *p, const svac_topology *t) {
    const svac_driver_ops &ops = bundled(kVariants[I].base);
    void *inner = ops.create(p, t);
    if (!inner) return nullptr;
    auto *w = new Wrapper{&ops, inner, kVariants[I].mut};
    if (w->mut == Mut::exclusive_max) // the allocator stops below the device's largest PASID
        for (uint32_t d = 0; d < t->n_devices; ++d)
            if (uint32_t top = ref::pasid_width_max(t->devices[d].pasid_bits); top > 1)
                ops.set_sva_param(inner, d, 1, top - 1);
    return w;
}

void wrap_destroy(void *drv) {
    W(drv)->ops->destroy(W(drv)->inner);
    delete W(drv);
}

int wrap_has_feat(void *drv, uint32_t dev, uint32_t feat) {
    return W(drv)->ops->dev_has_feat(W(drv)->inner, dev, feat);
}

int wrap_feat_enabled(void *drv, uint32_t dev, uint32_t feat) {
    int rc = W(drv)->ops->dev_feat_enabled(W(drv)->inner, dev, feat);
    return W(drv)->mut == Mut::enabled_12345 && rc == 1 ? 12345 : rc;
}

int wrap_enable_feat(void *drv, uint32_t dev, uint32_t feat) {
    return W(drv)->ops->dev_enable_feat(W(drv)->inner, dev, feat);
}

int wrap_disable_feat(void *drv, uint32_t dev, uint32_t feat) {
    return W(drv)->ops->dev_disable_feat(W(drv)->inner, dev, feat);
}

int wrap_set_sva_param(void *drv, uint32_t dev, uint32_t min, uint32_t max) {
    Wrapper *w = W(drv);
    int rc = w->ops->set_sva_param(w->inner, dev, min, max);
    if (w->mut == Mut::exclusive_max && rc == 0 && max > min)
        w->ops->set_sva_param(w->inner, dev, min, max - 1);
    return rc;
}

void wrap_callback(void *ctx, uint32_t dev, uint32_t pasid, uint64_t drvdata) {
    Wrapper *w = W(ctx);
    w->cb(w->cb_ctx, dev, pasid, drvdata);
    if (w->mut == Mut::callbacks_twice) w->cb(w->cb_ctx, dev, pasid, drvdata);
}

int wrap_bind(void *drv, uint32_t dev, uint32_t mm, uint32_t *pasid, svac_mm_exit_fn mm_exit,
              void *cb_ctx, uint64_t drvdata) {
    Wrapper *w = W(drv);
    w->cb = mm_exit;
    w->cb_ctx = cb_ctx;
    if (w->mut == Mut::bind_enables_sva &&
        w->ops->dev_feat_enabled(w->inner, dev, SVAC_FEAT_SVA) != 1)
        w->ops->dev_enable_feat(w->inner, dev, SVAC_FEAT_SVA);
    if (w->mut == Mut::two_bonds_max && w->bonds >= 2) return -ENOSPC;
    int rc = w->ops->bind_mm(w->inner, dev, mm, pasid, &wrap_callback, w, drvdata);
    if (rc == 0) ++w->bonds;
    return rc;
}

int wrap_unbind(void *drv, uint32_t dev, uint32_t pasid) {
    Wrapper *w = W(drv);
    int rc = w->ops->unbind_mm(w->inner, dev, pasid);
    if (rc == 0 && w->bonds) --w->bonds;
    return w->mut == Mut::unbind_always_ok ? 0 : rc;
}

void wrap_mm_release(void *drv, uint32_t mm) {
    W(drv)->ops->mm_release(W(drv)->inner, mm);
}

void wrap_invalidate(void *drv, uint32_t mm, uint64_t start, uint64_t end) {
    W(drv)->ops->mm_invalidate_range(W(drv)->inner, mm, start, end);
}

const svac_driver_ops *ops_of(void *drv) {
    return W(drv)->ops;
}
void *inner_of(void *drv) {
    return W(drv)->inner;
}

template <std::size_t I> svac_driver_ops make_ops() {
    svac_driver_ops ops = bundled(kVariants[I].base);
    ops.name = kVariants[I].name;
    ops.create = &wrap_create<I>;
    ops.destroy = &wrap_destroy;
    ops.dev_has_feat = &wrap_has_feat;
    ops.dev_enable_feat = &wrap_enable_feat;
    ops.dev_disable_feat = &wrap_disable_feat;
    ops.dev_feat_enabled = &wrap_feat_enabled;
    ops.set_sva_param = &wrap_set_sva_param;
    ops.bind_mm = &wrap_bind;
    ops.unbind_mm = &wrap_unbind;
    ops.mm_release = &wrap_mm_release;
    ops.mm_invalidate_range = &wrap_invalidate;
    test_support::forward_fault_ops<&ops_of, &inner_of>(ops);
    return ops;
}

const svac_driver_ops &variant_ops(std::size_t i) {
    static const auto all = test_support::ops_table<kNumVariants>(
        [](auto I) { return make_ops<decltype(I)::value>(); });
    return all[i];
}

properties::PropertyConfig shrink_config() {
    properties::PropertyConfig cfg;
    cfg.campaign.seed = 20190226;
    cfg.campaign.sequences = 600; // the sanitizers are fast enough here
    return cfg;
}

std::string found(const properties::PropertyResult &r) {
    std::string s;
    for (const auto &[clause, f] : r.campaign.findings)
        s += "\n  " + std::string(ref::clause_id(clause)) + " (" +
             std::to_string(f.trace.ops.size()) + " ops): " + f.message;
    return s.empty() ? " none" : s;
}

class ShrinkQuality : public ::testing::TestWithParam<std::size_t> {};

TEST_P(ShrinkQuality, ShrunkTraceIsSmallAndFailsTheSameWay) {
    const Variant &v = kVariants[GetParam()];
    const svac_driver_ops &ops = variant_ops(GetParam());
    std::vector<std::string> announced;
    auto cfg = shrink_config();
    cfg.on_found = [&](const properties::FoundEvent &e) {
        announced.push_back(std::string(ref::clause_id(e.clause)));
    };
    auto r = properties::run_property_campaign(ops, cfg);
    EXPECT_TRUE(r.campaign.errors.empty()) << r.campaign.errors.front();
    ASSERT_TRUE(r.campaign.findings.count(v.clause))
        << v.name << ": no " << ref::clause_id(v.clause) << " finding; found:" << found(r);
    EXPECT_EQ(announced.size(), r.campaign.findings.size());

    for (const auto &[clause, f] : r.campaign.findings) {
        const auto &origin = r.origins.at(clause);
        SCOPED_TRACE(std::string(ref::clause_id(clause)) + "\n" + engine::print_trace(f.trace));
        EXPECT_TRUE(origin.minimal);
        EXPECT_EQ(f.trace.ops.size(), f.step + 1);
        EXPECT_EQ(origin.shrunk_ops, f.trace.ops.size());
        EXPECT_LE(origin.shrunk_ops, origin.found_ops);
        if (clause == v.clause) {
            EXPECT_LE(f.trace.ops.size(), v.max_ops);
        }
        // The saved trace (JSON, as `run --out` writes it) replays to the
        // same clause at the same step ...
        engine::Trace saved =
            engine::parse_trace(engine::trace_to_json(f.trace).dump(), "finding.json");
        engine::RunStats stats;
        auto again = engine::run_differential(ops, saved, stats);
        ASSERT_TRUE(again.has_value());
        EXPECT_EQ(again->clause, clause);
        EXPECT_EQ(again->step, f.step);
        // ... the reference alone agrees with what the driver did there ...
        auto recorded = engine::check_recorded(saved, stats);
        ASSERT_TRUE(recorded.has_value());
        EXPECT_EQ(recorded->clause, clause);
        // ... and the unmutated driver passes it.
        EXPECT_FALSE(engine::run_differential(bundled(v.base), saved, stats).has_value());
        // The trace is the case the reproduce string names, shrunk.
        EXPECT_EQ(origin.reproduce, "seed=20190226 sequence=" + std::to_string(origin.sequence));
    }
}

INSTANTIATE_TEST_SUITE_P(Variants, ShrinkQuality, ::testing::Range<std::size_t>(0, kNumVariants),
                         [](const ::testing::TestParamInfo<std::size_t> &p) {
                             return std::string(kVariants[p.param].name);
                         });

// The same seed and driver give the same findings, shrunk the same way.
TEST(PropertyCampaign, Deterministic) {
    const svac_driver_ops &ops = variant_ops(3);
    auto cfg = shrink_config();
    cfg.campaign.sequences = 300;
    auto a = properties::run_property_campaign(ops, cfg);
    auto b = properties::run_property_campaign(ops, cfg);
    ASSERT_FALSE(a.campaign.findings.empty());
    ASSERT_EQ(a.campaign.findings.size(), b.campaign.findings.size());
    for (const auto &[clause, f] : a.campaign.findings) {
        const auto &g = b.campaign.findings.at(clause);
        EXPECT_EQ(f.trace, g.trace);
        EXPECT_EQ(f.message, g.message);
        EXPECT_EQ(a.campaign.occurrences.at(clause), b.campaign.occurrences.at(clause));
    }
    EXPECT_EQ(a.campaign.stats.steps, b.campaign.stats.steps);
}

// No false positive: the unmutated drivers, and the wrapper with no
// mutation, pass a long campaign.
TEST(PropertyCampaign, UnmutatedDriversPassALongCampaign) {
    for (const char *name : {"smmuv3", "vtd"}) {
        properties::PropertyConfig cfg;
        cfg.campaign.seed = 4242;
        cfg.campaign.sequences = scaled(15000);
        auto r = properties::run_property_campaign(bundled(name), cfg);
        EXPECT_EQ(r.campaign.sequences, cfg.campaign.sequences);
        EXPECT_TRUE(r.campaign.errors.empty()) << r.campaign.errors.front();
        EXPECT_TRUE(r.campaign.findings.empty()) << name << " findings:" << found(r);
    }
}

TEST(PropertyCampaign, TimeBudgetStopsIt) {
    properties::PropertyConfig cfg;
    cfg.campaign.sequences = 100'000'000;
    cfg.campaign.time_s = 0.2;
    auto r = properties::run_property_campaign(bundled("smmuv3"), cfg);
    EXPECT_TRUE(r.campaign.out_of_time);
    EXPECT_LT(r.campaign.sequences, cfg.campaign.sequences);
    EXPECT_GT(r.campaign.sequences, 0u);
}

} // namespace

// --- sva-conform run drives the properties ----------------------------------

namespace {

namespace fs = std::filesystem;

using test_support::CliResult;
using test_support::read_file;
using test_support::run_cli;

class PropertyCli : public test_support::CliTest {
protected:
    PropertyCli() : CliTest("svac_prop_cli_") {}
};

TEST_F(PropertyCli, RunUsesRapidCheckByDefault) {
    CliResult a = run_cli(dir_, "run --driver vtd --seed 3 --sequences 300 --out A");
    ASSERT_EQ(a.status, 0) << a.out << a.err;
    auto ra = nlohmann::json::parse(read_file(dir_ / "A" / "report.json"));
    EXPECT_EQ(ra["config"]["generator"], "rapidcheck");
    EXPECT_EQ(ra["config"]["rapidcheck"]["seed"], 3);
    EXPECT_FALSE(fs::exists(dir_ / "A" / "findings" / "BIND-1.json"));
    CliResult p =
        run_cli(dir_, "run --driver vtd --seed 3 --sequences 300 --generator plain --out P");
    ASSERT_EQ(p.status, 0) << p.out << p.err;
    EXPECT_EQ(nlohmann::json::parse(read_file(dir_ / "P" / "report.json"))["config"]["generator"],
              "plain");
    CliResult bad = run_cli(dir_, "run --driver vtd --generator quickcheck");
    EXPECT_EQ(bad.status, 2);
    EXPECT_NE(bad.err.find("--generator"), std::string::npos) << bad.err;
}

// A finding: announced before its shrink, saved as a replayable trace, the
// seed in the report; the same seed gives the same report.
TEST_F(PropertyCli, FindingsAreShrunkSavedAndReplayable) {
    const std::string mutant = "unbind-unbound-ok"; // a seeded bug of models/ (UNBIND-4)
    if (run_cli(dir_, "drivers --mutants").out.find(mutant) == std::string::npos)
        GTEST_SKIP() << "no mutant " << mutant;
    const std::string run =
        "run --driver smmuv3 --mutant " + mutant + " --seed 5 --sequences " + "500 --out ";
    CliResult a = run_cli(dir_, run + "A");
    ASSERT_EQ(a.status, 1) << a.out << a.err;
    EXPECT_NE(a.err.find("found UNBIND-4 at sequence "), std::string::npos) << a.err;
    EXPECT_NE(a.err.find("(seed 5); shrinking..."), std::string::npos) << a.err;
    const fs::path saved = dir_ / "A" / "findings" / "UNBIND-4.json";
    ASSERT_TRUE(fs::exists(saved)) << a.out;
    EXPECT_NE(a.out.find(saved.filename().string()), std::string::npos) << a.out;

    auto report = nlohmann::json::parse(read_file(dir_ / "A" / "report.json"));
    std::size_t findings = 0;
    for (const auto &f : report["findings"]) {
        ++findings;
        const fs::path p = dir_ / "A" / "findings" / (f["clause"].get<std::string>() + ".json");
        ASSERT_TRUE(fs::exists(p)) << p;
        // The saved trace is the report's (shrunk) trace.
        EXPECT_EQ(nlohmann::json::parse(read_file(p)), f["trace"]);
        EXPECT_NE(f["message"].get<std::string>().find("[rapidcheck seed=5 sequence="),
                  std::string::npos)
            << f["message"];
        EXPECT_LE(f["trace"]["ops"].size(), 6u) << f.dump();
    }
    EXPECT_EQ(findings, static_cast<std::size_t>(
                            std::distance(fs::directory_iterator(dir_ / "A" / "findings"), {})));

    CliResult replay =
        run_cli(dir_, "replay A/findings/UNBIND-4.json --driver smmuv3 --mutant " + mutant);
    EXPECT_EQ(replay.status, 1) << replay.out << replay.err;
    EXPECT_NE(replay.out.find("FAIL UNBIND-4"), std::string::npos) << replay.out;
    CliResult clean = run_cli(dir_, "replay A/findings/UNBIND-4.json --driver smmuv3 --quiet");
    EXPECT_EQ(clean.status, 0) << clean.out << clean.err;

    CliResult b = run_cli(dir_, run + "B");
    ASSERT_EQ(b.status, 1);
    auto rb = nlohmann::json::parse(read_file(dir_ / "B" / "report.json"));
    for (auto *r : {&report, &rb}) {
        r->erase("started");
        r->erase("duration_s");
        r->erase("invocation"); // the command line names --out
    }
    EXPECT_EQ(report, rb);
}

} // namespace

// This program makes a case again from how it was made: what a forked
// driver host is sent in place of the trace.
TEST(PropertyGenerators, ACaseIsMadeAgainFromHowItWasMade) {
    for (const char *name : {"smmuv3", "vtd"}) {
        auto cfg = gen_for(bundled(name));
        cfg.hardware = std::string(name) == "vtd";
        cfg.invalid_pct = 30;
        for (uint64_t i = 0; i < scaled(200); i += 7) {
            const auto again = engine::remake(properties::case_made(cfg, 3, i));
            ASSERT_TRUE(again) << name << " case " << i;
            EXPECT_EQ(*again, properties::case_trace(cfg, 3, i)) << name << " case " << i;
        }
    }
    engine::GenConfig gen;
    gen.hardware = false;
    engine::Rng rng(5);
    EXPECT_EQ(engine::remake(engine::plain_made(5, gen)), engine::generate_trace(rng, gen));
    EXPECT_FALSE(engine::remake({"nobody", engine::plain_made(5, gen).recipe}));
    engine::Made broken = engine::plain_made(5, gen);
    broken.recipe.erase("ops");
    EXPECT_THROW(engine::remake(broken), std::runtime_error);
}

// An isolated RapidCheck campaign, its cases sent ahead to the driver host
// as how they were made, finds what the in-process one finds, shrunk the
// same way, step for step.
TEST(PropertyCampaign, IsolatedIsJudgedAsInProcess) {
    std::size_t findings = 0;
    for (const char *name : {"smmuv3", "vtd"}) {
        const models::BundledDriver *d = models::find_bundled(name);
        for (std::size_t m = 0; m < std::min<std::size_t>(2, d->mutants.size()); ++m) {
            const svac_driver_ops &ops = *models::mutant_ops(*d, d->mutants[m]);
            properties::PropertyConfig cfg;
            cfg.campaign.seed = 77;
            cfg.campaign.sequences = 300;
            cfg.shrink_runs = 200;
            cfg.shrink_time_s = 0;
            const auto direct = properties::run_property_campaign(ops, cfg);
            cfg.campaign.options.isolate = engine::Isolation{};
            const auto hosted = properties::run_property_campaign(ops, cfg);
            const std::string what = std::string(name) + ":" + std::string(d->mutants[m].name);
            EXPECT_EQ(found(direct), found(hosted)) << what;
            for (const auto &[clause, f] : direct.campaign.findings) {
                ASSERT_TRUE(hosted.campaign.findings.count(clause)) << what;
                EXPECT_EQ(f.trace, hosted.campaign.findings.at(clause).trace) << what;
                ++findings;
            }
            EXPECT_EQ(direct.campaign.sequences, hosted.campaign.sequences) << what;
            EXPECT_EQ(direct.campaign.stats.steps, hosted.campaign.stats.steps) << what;
            EXPECT_EQ(direct.shrink_steps, hosted.shrink_steps) << what;
        }
    }
    EXPECT_GE(findings, 3u);
}
