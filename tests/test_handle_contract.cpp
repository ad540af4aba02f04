// The handle-based driver contract of linux-5.3 and linux-6.1 (driver ABI
// 4): the bundled drivers implement it, the kit plays the core around it
// (handles and their names, set_ops, the core's PASID allocator), and a
// driver of ABI 3 still loads.
#include "engine/campaign.h"
#include "engine/driver.h"
#include "engine/engine.h"
#include "engine/generator.h"
#include "fuzz/trace_codec.h"
#include "models/registry.h"
#include "properties/campaign.h"
#include "properties/generators.h"

#include <svac/driver_abi.h>

#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <vector>

using namespace svac;
using ref::Op;
using ref::OpKind;

namespace {

const svac_driver_ops &bundled(const char *name) {
    return *models::find_bundled(name)->entry();
}

Op op_of(OpKind k, uint32_t dev = 0, uint32_t mm = 0, uint32_t feat = 0) {
    Op o;
    o.kind = k;
    o.dev = dev;
    o.mm = mm;
    o.feat = feat;
    return o;
}

Op unbind_handle(uint32_t name) {
    Op o;
    o.kind = OpKind::unbind;
    o.by_handle = true;
    o.handle = name;
    return o;
}

// One SMMUv3 with a PRI master of 20-bit PASIDs, a second, and `mms` mms.
ref::Topology smmu_topology(uint32_t mms) {
    ref::Topology t;
    t.iommus.push_back({ref::Arch::smmuv3, 20, true});
    for (uint32_t d = 0; d < 2; ++d) {
        ref::Device dev;
        dev.pasid_bits = 20;
        dev.pri = true;
        t.devices.push_back(dev);
    }
    t.mms = mms;
    return t;
}

struct Step {
    std::optional<int> rc;
    std::optional<uint32_t> pasid, handle;
};

// Runs the trace on driver, the steps as the driver answered them.
std::vector<Step> steps_of(const svac_driver_ops &driver, const engine::Trace &trace,
                           std::optional<engine::Finding> *finding = nullptr) {
    std::vector<Step> steps;
    engine::RunStats stats;
    auto f = engine::run_differential(driver, trace, stats,
                                      [&](std::size_t, const Op &, uint32_t,
                                          const ref::Expectation &, const ref::Observation &obs,
                                          const std::optional<ref::Violation> &) {
                                          steps.push_back({obs.rc, obs.pasid, obs.handle});
                                      });
    if (finding)
        *finding = f;
    else if (f)
        ADD_FAILURE() << ref::clause_id(f->clause) << ": " << f->message << "\n"
                      << engine::print_trace(f->trace);
    return steps;
}

} // namespace

TEST(HandleContract, BundledDriversAreConformantUnderEachHandleProfile) {
    for (const char *driver : {"smmuv3", "vtd"})
        for (const char *profile : {"linux-5.3", "linux-6.1"}) {
            SCOPED_TRACE(std::string(driver) + " " + profile);
            engine::CampaignConfig cfg;
            cfg.seed = 5;
            cfg.sequences = 600;
            cfg.profile = profile;
            const auto r = engine::run_campaign(bundled(driver), cfg);
            for (const auto &[c, f] : r.findings)
                ADD_FAILURE() << ref::clause_id(c) << ": " << f.message << "\n"
                              << engine::print_trace(f.trace);
            EXPECT_TRUE(r.errors.empty());
            EXPECT_EQ(r.sequences, 600u);
            // The handle rules were judged, and (linux-6.1) the mm's PASID lifetime.
            EXPECT_GT(r.stats.checks[ref::ClauseId::HANDLE_1], 0u);
            EXPECT_GT(r.stats.checks[ref::ClauseId::HANDLE_2], 0u);
            if (std::string(profile) == "linux-6.1")
                EXPECT_GT(r.stats.checks[ref::ClauseId::PASID_6], 0u);
            else
                EXPECT_GT(r.stats.checks[ref::ClauseId::HANDLE_3], 0u);
        }
}

// linux-6.1: the core gives an mm one PASID at its first bind and frees it at
// the mm's last mmdrop, not at its last unbind; a second bind of the same
// (dev, mm) returns the same handle.
TEST(HandleContract, TheCoresPasidIsTheMmsUntilTheMmIsFreed) {
    engine::Trace t;
    t.profile = "linux-6.1";
    t.topology = smmu_topology(3);
    t.ops = {op_of(OpKind::enable_feature, 0, 0, SVAC_FEAT_IOPF),
             op_of(OpKind::enable_feature, 0, 0, SVAC_FEAT_SVA),
             op_of(OpKind::bind, 0, 0), // 2: PASID 1, handle 0
             op_of(OpKind::bind, 0, 0), // 3: the same handle
             unbind_handle(0),
             unbind_handle(0),          // the last unbind of mm 0
             op_of(OpKind::bind, 0, 1), // 6: mm 0 keeps PASID 1: PASID 2
             op_of(OpKind::mm_exit, 0, 0),
             op_of(OpKind::mm_free, 0, 0), // PASID 1 is free again
             op_of(OpKind::bind, 0, 2)};   // 9: PASID 1
    const auto s = steps_of(bundled("smmuv3"), t);
    ASSERT_EQ(s.size(), t.ops.size());
    EXPECT_EQ(s[0].rc, 0);
    EXPECT_EQ(s[1].rc, 0);
    EXPECT_EQ(s[2].pasid, 1u);
    EXPECT_EQ(s[2].handle, 0u);
    EXPECT_EQ(s[3].handle, 0u);
    EXPECT_EQ(s[6].pasid, 2u);
    EXPECT_EQ(s[6].handle, 0u); // the name of the handle whose last unbind went
    EXPECT_EQ(s[9].pasid, 1u);
    EXPECT_EQ(s[9].handle, 1u);
}

// SVA before IOPF on an SMMUv3 master that faults: -EINVAL (FEAT-11).
TEST(HandleContract, Smmuv3WantsIopfBeforeSvaUnderLinux61) {
    engine::Trace t;
    t.profile = "linux-6.1";
    t.topology = smmu_topology(1);
    t.ops = {op_of(OpKind::enable_feature, 0, 0, SVAC_FEAT_SVA),
             op_of(OpKind::enable_feature, 0, 0, SVAC_FEAT_IOPF),
             op_of(OpKind::enable_feature, 0, 0, SVAC_FEAT_SVA),
             op_of(OpKind::disable_feature, 0, 0, SVAC_FEAT_IOPF)};
    const auto s = steps_of(bundled("smmuv3"), t);
    ASSERT_EQ(s.size(), 4u);
    EXPECT_EQ(s[0].rc, -EINVAL);
    EXPECT_EQ(s[1].rc, 0);
    EXPECT_EQ(s[2].rc, 0);
    EXPECT_EQ(s[3].rc, -EBUSY);
}

namespace {

// smmuv3 with each bind's handle made unique: a second bind of a live bond
// returns a handle of its own (HANDLE-2 broken). The real handle is in the
// low 32 bits.
uint64_t g_binds = 0;
int fresh_handle_bind(void *drv, uint32_t dev, uint32_t mm, uint64_t drvdata,
                      svac_mm_exit_fn mm_exit, void *cb_ctx, uint64_t *handle) {
    int rc = bundled("smmuv3").sva_bind(drv, dev, mm, drvdata, mm_exit, cb_ctx, handle);
    if (rc == 0) *handle |= ++g_binds << 32;
    return rc;
}
void low_unbind(void *drv, uint64_t handle) {
    bundled("smmuv3").sva_unbind(drv, handle & 0xffffffffu);
}
uint32_t low_get_pasid(void *drv, uint64_t handle) {
    return bundled("smmuv3").sva_get_pasid(drv, handle & 0xffffffffu);
}

} // namespace

TEST(HandleContract, ASecondHandleForTheSameBondIsFound) {
    svac_driver_ops ops = bundled("smmuv3");
    ops.name = "smmuv3-fresh-handles";
    ops.sva_bind = fresh_handle_bind;
    ops.sva_unbind = low_unbind;
    ops.sva_get_pasid = low_get_pasid;
    engine::Trace t;
    t.profile = "linux-5.3";
    t.topology = smmu_topology(1);
    t.ops = {op_of(OpKind::enable_feature, 0, 0, SVAC_FEAT_SVA), op_of(OpKind::bind, 0, 0),
             op_of(OpKind::bind, 0, 0)};
    std::optional<engine::Finding> f;
    steps_of(ops, t, &f);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->clause, ref::ClauseId::HANDLE_2) << f->message;
    EXPECT_EQ(f->step, 2u);
}

namespace {

// smmuv3 returning the first bond's handle for every later bond (HANDLE-1
// broken).
uint64_t g_first_handle = 0;
int one_handle_bind(void *drv, uint32_t dev, uint32_t mm, uint64_t drvdata, svac_mm_exit_fn mm_exit,
                    void *cb_ctx, uint64_t *handle) {
    int rc = bundled("smmuv3").sva_bind(drv, dev, mm, drvdata, mm_exit, cb_ctx, handle);
    if (rc == 0 && g_first_handle) *handle = g_first_handle;
    if (rc == 0) g_first_handle = *handle;
    return rc;
}

} // namespace

TEST(HandleContract, AHandleOfAnotherBondIsFound) {
    svac_driver_ops ops = bundled("smmuv3");
    ops.name = "smmuv3-one-handle";
    ops.sva_bind = one_handle_bind;
    g_first_handle = 0;
    engine::Trace t;
    t.profile = "linux-6.1";
    t.topology = smmu_topology(1);
    t.ops = {op_of(OpKind::enable_feature, 0, 0, SVAC_FEAT_IOPF),
             op_of(OpKind::enable_feature, 0, 0, SVAC_FEAT_SVA),
             op_of(OpKind::enable_feature, 1, 0, SVAC_FEAT_IOPF),
             op_of(OpKind::enable_feature, 1, 0, SVAC_FEAT_SVA),
             op_of(OpKind::bind, 0, 0),
             op_of(OpKind::bind, 1, 0)}; // the same PASID, a handle of its own
    std::optional<engine::Finding> f;
    steps_of(ops, t, &f);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->clause, ref::ClauseId::HANDLE_1) << f->message;
    EXPECT_EQ(f->step, 5u);
}

namespace {

// smmuv3 as a driver built for ABI version 3: no `contracts` and no
// handle-based functions in its table, and a platform that must say 3.
uint32_t g_platform_version = 0;
svac_platform g_lent{};
void *v3_create(const svac_platform *p, const svac_topology *t) {
    g_platform_version = p->abi_version;
    if (p->abi_version != 3) return nullptr;
    g_lent = *p;
    g_lent.abi_version = SVAC_ABI_VERSION; // what the model itself checks
    return bundled("smmuv3").create(&g_lent, t);
}

} // namespace

TEST(HandleContract, ADriverOfAbiVersion3StillLoadsAndRuns) {
    svac_driver_ops ops = bundled("smmuv3");
    ops.abi_version = 3;
    ops.size = offsetof(svac_driver_ops, contracts);
    ops.create = v3_create;
    // Garbage where a version 3 table has no members: never read.
    ops.contracts = 0xdead;
    ops.sva_bind = nullptr;
    EXPECT_EQ(engine::check_driver_ops(&ops), "");
    EXPECT_EQ(engine::driver_contracts(ops), SVAC_CONTRACT_RFC2019);
    EXPECT_NE(engine::check_driver_profile(ops, *ref::find_profile("linux-6.1")), "");
    engine::CampaignConfig cfg;
    cfg.seed = 2;
    cfg.sequences = 100;
    const auto r = engine::run_campaign(ops, cfg);
    EXPECT_TRUE(r.findings.empty());
    EXPECT_TRUE(r.errors.empty());
    EXPECT_EQ(g_platform_version, 3u);

    // A table of version 4 names its contracts; one that says the handle
    // contract without its functions is refused, naming the missing one.
    svac_driver_ops v4 = bundled("smmuv3");
    v4.sva_get_pasid = nullptr;
    EXPECT_NE(engine::check_driver_ops(&v4).find("sva_get_pasid"), std::string::npos);
    v4 = bundled("smmuv3");
    v4.contracts = 0;
    EXPECT_NE(engine::check_driver_ops(&v4).find("no contract"), std::string::npos);
}

// What the generators make for a handle profile is a trace of that profile:
// it reads back through the file format (which refuses any op, field or
// handle the generation lacks) as it was made.
TEST(HandleContract, GeneratedTracesOfEachProfileReadBack) {
    for (const char *profile : {"linux-5.3", "linux-6.1", "linux-6.12", "linux-6.16"}) {
        SCOPED_TRACE(profile);
        engine::GenConfig cfg;
        cfg.profile = profile;
        cfg.ops = 48;
        std::size_t by_handle = 0, mm_free = 0, set_ops = 0;
        for (uint64_t s = 0; s < 300; ++s) {
            engine::Rng rng(engine::Rng::derive(9, s));
            cfg.arch_mask = s % 2 ? 1u << SVAC_ARCH_SMMUV3 : 1u << SVAC_ARCH_VTD;
            const engine::Trace t = engine::generate_trace(rng, cfg);
            const std::string text = engine::print_trace(t);
            const engine::Trace back = engine::parse_trace(text, "generated");
            ASSERT_EQ(engine::print_trace(back), text);
            for (const Op &op : t.ops) {
                by_handle += op.by_handle;
                mm_free += op.kind == OpKind::mm_free;
                set_ops += op.kind == OpKind::set_ops;
                EXPECT_TRUE(ref::op_in_profile(op.kind, *ref::find_profile(profile)));
            }
        }
        EXPECT_GT(by_handle, 100u);
        if (std::string(profile) == "linux-5.3")
            EXPECT_GT(set_ops, 10u);
        else
            EXPECT_GT(mm_free, 10u);
    }
}

// The same for RapidCheck's generator, whose shadow reference names handles.
TEST(HandleContract, PropertyTracesOfEachProfileReadBack) {
    for (const char *profile : {"linux-5.3", "linux-6.1", "linux-6.12", "linux-6.16"}) {
        SCOPED_TRACE(profile);
        properties::GenConfig cfg;
        cfg.profile = profile;
        cfg.arch_mask = (1u << SVAC_ARCH_SMMUV3) | (1u << SVAC_ARCH_VTD);
        const auto gen = properties::gen_trace(cfg);
        std::size_t by_handle = 0;
        for (uint64_t s = 0; s < 200; ++s) {
            const engine::Trace t = gen(properties::case_random(4, s)).value();
            EXPECT_EQ(t.profile, profile);
            const std::string text = engine::print_trace(t);
            ASSERT_EQ(engine::print_trace(engine::parse_trace(text, "generated")), text);
            for (const Op &op : t.ops) by_handle += op.by_handle;
        }
        EXPECT_GT(by_handle, 100u);
    }
}

// The sva_diff codec speaks each profile's vocabulary: a generated sequence
// encodes and decodes back to itself, and any bytes decode to a trace of
// the profile that reads back through the file format.
TEST(HandleContract, FuzzInputsDecodeToEachProfilesVocabulary) {
    for (const char *profile : {"rfc2019", "linux-5.3", "linux-6.1", "linux-6.12", "linux-6.16"}) {
        SCOPED_TRACE(profile);
        const uint32_t mask = 1u << SVAC_ARCH_SMMUV3;
        engine::GenConfig cfg;
        cfg.profile = profile;
        cfg.arch_mask = mask;
        std::size_t encoded = 0;
        for (uint64_t s = 0; s < 100; ++s) {
            engine::Rng rng(engine::Rng::derive(21, s));
            const engine::Trace t = engine::generate_trace(rng, cfg);
            const auto bytes = fuzz::encode_trace(t, mask);
            if (!bytes) continue;
            ++encoded;
            const engine::Trace back =
                fuzz::decode_trace(bytes->data(), bytes->size(), mask, profile);
            ASSERT_EQ(engine::print_trace(back), engine::print_trace(t));
        }
        EXPECT_GT(encoded, 80u);
        std::size_t by_handle = 0;
        for (uint64_t s = 0; s < 300; ++s) {
            engine::Rng rng(engine::Rng::derive(22, s));
            std::vector<uint8_t> bytes(64 + rng.below(512));
            for (auto &b : bytes) b = static_cast<uint8_t>(rng.below(256));
            const engine::Trace t = fuzz::decode_trace(bytes.data(), bytes.size(), mask, profile);
            EXPECT_EQ(t.profile, profile);
            const std::string text = engine::print_trace(t);
            ASSERT_EQ(engine::print_trace(engine::parse_trace(text, "decoded")), text);
            for (const Op &op : t.ops) by_handle += op.by_handle;
        }
        if (std::string(profile) != "rfc2019") {
            EXPECT_GT(by_handle, 50u);
        }
    }
}
