// HW-7, no torn entry: the used-bits and diff functions on hand-made
// entries, judge_update over hand-made tables walked by the real hardware
// models, and the bundled drivers, conformant and with their stores
// reordered, zeroed or reversed by a platform wrapper.
#include "engine/driver.h"
#include "engine/engine.h"
#include "engine/generator.h"
#include "engine/platform.h"
#include "models/registry.h"
#include "models/smmuv3/entry_writer.h"
#include "reference/hitless.h"
#include "reference/smmuv3_format.h"
#include "reference/smmuv3_hw.h"
#include "reference/table_rules.h"
#include "reference/vtd_format.h"
#include "reference/vtd_hw.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

using namespace svac;
using ref::ClauseId;
using ref::hitless::Qwords;
using ref::hitless::Table;
namespace sm = ref::smmuv3;
namespace vt = ref::vtd;

namespace {

// ---- entries ----

struct F {
    const ref::Field &field;
    uint64_t value;
};

Qwords make(std::initializer_list<F> fields) {
    Qwords e{};
    for (const F &f : fields) ref::set(e.data(), f.field, f.value);
    return e;
}

constexpr uint64_t kTtbA = 0x4000'1000, kTtbB = 0x4000'7000, kMair = 0xff44'0c04'0400;

Qwords sva_cd(uint64_t asid, uint64_t ttb0) {
    return make({{sm::cd::V, 1},
                 {sm::cd::T0SZ, 16},
                 {sm::cd::IR0, 1},
                 {sm::cd::OR0, 1},
                 {sm::cd::SH0, 3},
                 {sm::cd::EPD1, 1},
                 {sm::cd::IPS, 5},
                 {sm::cd::AA64, 1},
                 {sm::cd::R, 1},
                 {sm::cd::A, 1},
                 {sm::cd::ASET, 1},
                 {sm::cd::ASID, asid},
                 {sm::cd::TTB0, ttb0 >> 4},
                 {sm::cd::MAIR0, kMair & 0xffffffff},
                 {sm::cd::MAIR1, kMair >> 32}});
}

Qwords release_cd(uint64_t asid) {
    return make({{sm::cd::V, 1},
                 {sm::cd::EPD0, 1},
                 {sm::cd::EPD1, 1},
                 {sm::cd::IPS, 5},
                 {sm::cd::AA64, 1},
                 {sm::cd::A, 1},
                 {sm::cd::ASET, 1},
                 {sm::cd::ASID, asid},
                 {sm::cd::MAIR0, kMair & 0xffffffff},
                 {sm::cd::MAIR1, kMair >> 32}});
}

Qwords cdtable_ste(uint64_t cdtab, uint64_t cdmax) {
    return make({{sm::ste::V, 1},
                 {sm::ste::Config, sm::ste::CONFIG_S1_TRANS},
                 {sm::ste::S1ContextPtr, cdtab >> 6},
                 {sm::ste::S1CDMax, cdmax},
                 {sm::ste::S1DSS, sm::ste::S1DSS_BYPASS},
                 {sm::ste::S1CIR, 1},
                 {sm::ste::S1COR, 1},
                 {sm::ste::S1CSH, 3}});
}

Qwords bypass_ste() {
    return make({{sm::ste::V, 1}, {sm::ste::Config, sm::ste::CONFIG_BYPASS}});
}

Qwords sva_pasid_entry(uint64_t flptr, uint64_t did) {
    return make({{vt::pasid_entry::P, 1},
                 {vt::pasid_entry::AW, 2},
                 {vt::pasid_entry::PGTT, vt::pasid_entry::kPgttFirstStage},
                 {vt::pasid_entry::DID, did},
                 {vt::pasid_entry::FLPTR, flptr >> 12}});
}

// ---- used bits ----

TEST(HitlessUsedBits, InvalidSteUsesVOnly) {
    Qwords e = cdtable_ste(0x8000, 4);
    e[0] &= ~sm::ste::V.mask();
    Qwords u = ref::hitless::used_bits(Table::ste, e.data());
    EXPECT_EQ(u[0], sm::ste::V.mask());
    for (unsigned i = 1; i < 8; ++i) EXPECT_EQ(u[i], 0u) << i;
}

TEST(HitlessUsedBits, AbortSteUsesVAndConfig) {
    Qwords e = make({{sm::ste::V, 1}, {sm::ste::Config, sm::ste::CONFIG_ABORT}});
    Qwords u = ref::hitless::used_bits(Table::ste, e.data());
    EXPECT_EQ(u[0], sm::ste::V.mask() | sm::ste::Config.mask());
    EXPECT_EQ(u[1], 0u);
    // Reserved Config 0b011 behaves as abort: no stage-1 fields.
    ref::set(e.data(), sm::ste::Config, 3);
    EXPECT_EQ(ref::hitless::used_bits(Table::ste, e.data())[0],
              sm::ste::V.mask() | sm::ste::Config.mask());
}

// The bundled writer's used bits (models/smmuv3/entry_writer.h) and the
// judge's (reference/used_bits.h) agree on every Config, the reserved 1, 2
// and 3 included (they behave as abort: V and Config only).
TEST(HitlessUsedBits, WriterAndJudgeAgreeOnEveryConfig) {
    std::mt19937_64 rng(15);
    for (uint64_t config = 0; config < 8; ++config)
        for (int iter = 0; iter < 64; ++iter) {
            arm_smmu::entry_qwords e{};
            for (uint64_t &q : e) q = rng();
            ref::set(e.data(), sm::ste::V, 1);
            ref::set(e.data(), sm::ste::Config, config);
            const arm_smmu::entry_qwords writer = arm_smmu::arm_smmu_get_ste_used<uint64_t>(e);
            const Qwords judge = ref::hitless::used_bits(Table::ste, e.data());
            for (unsigned i = 0; i < 8; ++i)
                ASSERT_EQ(writer[i], judge[i]) << "Config " << config << " qword " << i;
        }
}

TEST(HitlessUsedBits, S1SteUsesTheCdTableFields) {
    Qwords e = cdtable_ste(0x8000, 4);
    Qwords u = ref::hitless::used_bits(Table::ste, e.data());
    EXPECT_EQ(u[0], sm::ste::V.mask() | sm::ste::Config.mask() | sm::ste::S1Fmt.mask() |
                        sm::ste::S1ContextPtr.mask() | sm::ste::S1CDMax.mask());
    EXPECT_TRUE(u[1] & sm::ste::S1DSS.mask());
    EXPECT_TRUE(u[1] & sm::ste::EATS.mask());
    EXPECT_TRUE(u[1] & sm::ste::SHCFG.mask()); // S1DSS = bypass
    EXPECT_EQ(u[2], sm::ste::S2VMID.mask());
    EXPECT_EQ(u[3], 0u);
    ref::set(e.data(), sm::ste::S1DSS, sm::ste::S1DSS_SSID0);
    EXPECT_FALSE(ref::hitless::used_bits(Table::ste, e.data())[1] & sm::ste::SHCFG.mask());
}

TEST(HitlessUsedBits, BypassAndS2Stes) {
    Qwords b = bypass_ste();
    Qwords u = ref::hitless::used_bits(Table::ste, b.data());
    EXPECT_EQ(u[1], sm::ste::SHCFG.mask());
    EXPECT_EQ(u[2], 0u);
    Qwords s2 = make({{sm::ste::V, 1}, {sm::ste::Config, sm::ste::CONFIG_S2_TRANS}});
    u = ref::hitless::used_bits(Table::ste, s2.data());
    EXPECT_EQ(u[3], sm::ste::S2TTB.mask());
    EXPECT_TRUE(u[2] & sm::ste::S2PS.mask());
    EXPECT_FALSE(u[0] & sm::ste::S1ContextPtr.mask());
}

TEST(HitlessUsedBits, CdEpd0DropsTheTtb0Walk) {
    Qwords off{};
    EXPECT_EQ(ref::hitless::used_bits(Table::cd, off.data())[0], sm::cd::V.mask());
    Qwords live = sva_cd(1, kTtbA);
    Qwords u = ref::hitless::used_bits(Table::cd, live.data());
    for (unsigned i = 0; i < 8; ++i) EXPECT_EQ(u[i], ~uint64_t{0}) << i;
    Qwords rel = release_cd(1);
    u = ref::hitless::used_bits(Table::cd, rel.data());
    EXPECT_EQ(u[0] & sm::cd::T0SZ.mask(), 0u);
    EXPECT_EQ(u[0] & sm::cd::SH0.mask(), 0u);
    EXPECT_EQ(u[1], ~sm::cd::TTB0.mask());
    EXPECT_EQ(u[3], ~uint64_t{0});
}

TEST(HitlessUsedBits, VtdEntries) {
    Qwords pe{};
    ref::set(pe.data(), vt::pasid_entry::FPD, 1);
    Qwords u = ref::hitless::used_bits(Table::pasid, pe.data());
    EXPECT_EQ(u[0], vt::pasid_entry::P.mask() | vt::pasid_entry::FPD.mask());
    EXPECT_EQ(u[2], 0u);
    pe = sva_pasid_entry(0x5000, 1);
    u = ref::hitless::used_bits(Table::pasid, pe.data());
    for (unsigned i = 0; i < 8; ++i) EXPECT_EQ(u[i], ~uint64_t{0}) << i;

    Qwords ctx{};
    u = ref::hitless::used_bits(Table::context, ctx.data());
    EXPECT_EQ(u[0], vt::context::P.mask());
    ref::set(ctx.data(), vt::context::P, 1);
    u = ref::hitless::used_bits(Table::context, ctx.data());
    EXPECT_EQ(u[3], ~uint64_t{0});
    EXPECT_EQ(u[4], 0u); // 4 qwords only

    uint64_t l1std = 9 | 0x10000;
    EXPECT_TRUE(ref::hitless::valid(Table::l1std, &l1std));
    l1std = 12; // Span 12..31 behaves as 0
    EXPECT_FALSE(ref::hitless::valid(Table::l1std, &l1std));
}

// ---- diff (Linux arm_smmu_write_entry) ----

TEST(HitlessDiff, CdOnAndOffTakeTheCriticalQword) {
    Qwords off{}, on = sva_cd(1, kTtbA);
    EXPECT_EQ(ref::hitless::qword_diff(Table::cd, off.data(), on.data()), 1u); // A12
    EXPECT_EQ(ref::hitless::qword_diff(Table::cd, on.data(), off.data()), 1u);
    EXPECT_TRUE(ref::hitless::invalid_allowed(Table::cd, off.data(), on.data()));
}

TEST(HitlessDiff, SvaToReleaseCdIsHitless) {
    Qwords on = sva_cd(1, kTtbA), rel = release_cd(1);
    EXPECT_EQ(ref::hitless::qword_diff(Table::cd, on.data(), rel.data()), 1u);
    EXPECT_FALSE(ref::hitless::invalid_allowed(Table::cd, on.data(), rel.data()));
}

TEST(HitlessDiff, NewAsidAndTtb0IsBreaking) {
    Qwords a = sva_cd(1, kTtbA), b = sva_cd(2, kTtbB);
    EXPECT_EQ(ref::hitless::qword_diff(Table::cd, a.data(), b.data()), 0b11u);
    EXPECT_TRUE(ref::hitless::invalid_allowed(Table::cd, a.data(), b.data()));
}

TEST(HitlessDiff, SteBypassToCdTableIsHitless) {
    Qwords b = bypass_ste(), s1 = cdtable_ste(0x8000, 4);
    EXPECT_EQ(ref::hitless::qword_diff(Table::ste, b.data(), s1.data()), 1u);
    Qwords s2 = make({{sm::ste::V, 1},
                      {sm::ste::Config, sm::ste::CONFIG_S2_TRANS},
                      {sm::ste::S2VMID, 3},
                      {sm::ste::S2TTB, 0x9000 >> 4}});
    uint8_t d = ref::hitless::qword_diff(Table::ste, s1.data(), s2.data());
    EXPECT_GE(std::popcount(d), 2);
    EXPECT_TRUE(ref::hitless::invalid_allowed(Table::ste, s1.data(), s2.data()));
}

TEST(HitlessDiff, SteSafeBits) {
    Qwords a = cdtable_ste(0x8000, 4), b = a;
    ref::set(b.data(), sm::ste::EATS, sm::ste::EATS_TRANS);
    ref::set(b.data(), sm::ste::MEV, 1);
    Qwords safe = ref::hitless::update_safe(Table::ste, a.data(), b.data());
    EXPECT_EQ(safe[1], sm::ste::MEV.mask() | (uint64_t{1} << sm::ste::EATS.lo));
    EXPECT_EQ(ref::hitless::qword_diff(Table::ste, a.data(), b.data()), 0u);
    // Not with S1CHK at either end.
    ref::set(b.data(), sm::ste::EATS, sm::ste::EATS_S1CHK);
    safe = ref::hitless::update_safe(Table::ste, a.data(), b.data());
    EXPECT_EQ(safe[1], sm::ste::MEV.mask());
    EXPECT_EQ(ref::hitless::update_safe(Table::cd, a.data(), b.data())[1], 0u);
}

TEST(HitlessDiff, VtdPresentToPresentMayPassThroughNotPresent) {
    Qwords a = sva_pasid_entry(0x5000, 1), b = sva_pasid_entry(0x6000, 1);
    EXPECT_EQ(ref::hitless::qword_diff(Table::pasid, a.data(), b.data()), 0b100u);
    EXPECT_TRUE(ref::hitless::invalid_allowed(Table::pasid, a.data(), b.data())); // I5
    uint64_t l1a = 0x10000 | 1, l1b = 0x20000 | 1;
    EXPECT_FALSE(ref::hitless::invalid_allowed(Table::l1cd, &l1a, &l1b));
}

// ---- judge_update over hand-made tables ----

ref::Topology smmu_topology(uint32_t devices = 1) {
    ref::Topology t;
    t.iommus.push_back(ref::Iommu{});
    for (uint32_t i = 0; i < devices; ++i) t.devices.push_back(ref::Device{});
    return t;
}

// One SMMU, a linear stream table and a memory the test writes as a driver
// would; each call's stores are recorded as the platform records them.
struct SmmuTables {
    ref::Topology topo = smmu_topology();
    engine::SimMemory mem;
    std::unique_ptr<ref::IommuModel> model = ref::make_iommu_model(topo.iommus[0], 0);
    std::vector<const ref::IommuModel *> models{model.get()};
    std::vector<svac_mm_info> mms;
    ref::CallRecord call;
    ref::Reference reference{topo, ref::default_profile()};
    ref::ClauseCounters counters;
    uint64_t strtab = 0, cdtab = 0;

    SmmuTables() {
        strtab = mem.alloc(64 * 4, 64 * 4, engine::SimMemory::Owner::driver);
        cdtab = mem.alloc(64 * 16, 64 * 16, engine::SimMemory::Owner::driver);
        model->write_reg(SVAC_SMMU_STRTAB_BASE, strtab);
        model->write_reg(SVAC_SMMU_STRTAB_BASE_CFG, 2); // linear, 4 STEs
        model->write_reg(SVAC_SMMU_CR0, SVAC_SMMU_CR0_SMMUEN);
        put(strtab, cdtable_ste(cdtab, 4));
    }
    uint64_t cd(uint32_t ssid) const { return cdtab + 64ull * ssid; }
    void store(uint64_t pa, uint64_t val) {
        call.stores.push_back({pa, mem.read64(pa), val});
        mem.write64(pa, val, engine::SimMemory::Owner::driver);
    }
    // Writes an entry outside any call.
    void put(uint64_t pa, const Qwords &e) {
        for (unsigned i = 0; i < 8; ++i)
            mem.write64(pa + 8 * i, e[i], engine::SimMemory::Owner::driver);
    }
    // Stores qwords `order` of e, in that order.
    void write(uint64_t pa, const Qwords &e, std::initializer_list<unsigned> order) {
        for (unsigned i : order) store(pa + 8 * i, e[i]);
    }
    std::optional<ref::Violation> judge() {
        ref::Op op;
        op.kind = ref::OpKind::bind;
        ref::HwView hw{mem, call, models, mms};
        auto v = ref::judge_update(reference, op, hw, &counters);
        call.clear();
        return v;
    }
};

TEST(HitlessJudge, NoStoresNoJudgement) {
    SmmuTables t;
    EXPECT_FALSE(t.judge());
    EXPECT_EQ(t.counters[ClauseId::HW_7], 0u);
}

TEST(HitlessJudge, CdWrittenVLast) {
    SmmuTables t;
    Qwords on = sva_cd(1, kTtbA);
    t.write(t.cd(1), on, {1, 3, 0});
    auto v = t.judge();
    EXPECT_FALSE(v) << v->message;
    EXPECT_EQ(t.counters[ClauseId::HW_7], 1u);
}

TEST(HitlessJudge, CdWrittenVFirstIsTorn) {
    SmmuTables t;
    t.write(t.cd(1), sva_cd(1, kTtbA), {0, 1, 3});
    auto v = t.judge();
    ASSERT_TRUE(v);
    EXPECT_EQ(v->clause, ClauseId::HW_7);
    EXPECT_NE(v->message.find("CD sid 0 ssid 1"), std::string::npos) << v->message;
    EXPECT_NE(v->message.find("after store 1 of 3"), std::string::npos) << v->message;
    EXPECT_NE(v->message.find("q0 stored before q1, q3"), std::string::npos) << v->message;
    EXPECT_NE(v->message.find("TTB0, MAIR0, MAIR1 not yet written"), std::string::npos)
        << v->message;
}

TEST(HitlessJudge, TornReplacementNamesBothEnds) {
    SmmuTables t;
    t.put(t.cd(2), sva_cd(1, kTtbA));
    t.write(t.cd(2), sva_cd(2, kTtbB), {0, 1});
    auto v = t.judge();
    ASSERT_TRUE(v);
    EXPECT_NE(v->message.find("q0 stored before q1: the CD is valid with the old TTB0 and the "
                              "new ASID"),
              std::string::npos)
        << v->message;
}

TEST(HitlessJudge, BreakingPathIsAllowedWhenNeeded) {
    SmmuTables t;
    Qwords a = sva_cd(1, kTtbA), b = sva_cd(2, kTtbB);
    t.put(t.cd(2), a);
    t.store(t.cd(2), 0); // V=0
    t.write(t.cd(2), b, {1, 0});
    auto v = t.judge();
    EXPECT_FALSE(v) << v->message;
}

TEST(HitlessJudge, HitlessChangeThroughInvalidIsCaught) {
    SmmuTables t;
    Qwords a = sva_cd(1, kTtbA), rel = release_cd(1);
    t.put(t.cd(3), a);
    t.store(t.cd(3), 0);
    t.write(t.cd(3), rel, {1, 0});
    auto v = t.judge();
    ASSERT_TRUE(v);
    EXPECT_NE(v->message.find("can be made hitless must be"), std::string::npos) << v->message;
    EXPECT_NE(v->message.find("after store 1 of 3"), std::string::npos) << v->message;

    // The same change done hitlessly: q0 flips, then TTB0 (now unused) clears.
    t.put(t.cd(3), a);
    t.write(t.cd(3), rel, {0, 1});
    v = t.judge();
    EXPECT_FALSE(v) << v->message;
}

TEST(HitlessJudge, UnlinkedMemoryIsNotJudged) {
    SmmuTables t;
    uint64_t fresh = t.mem.alloc(64 * 16, 64 * 16, engine::SimMemory::Owner::driver);
    t.write(fresh + 64, sva_cd(1, kTtbA), {0, 1, 3});
    auto v = t.judge();
    EXPECT_FALSE(v) << v->message;
    EXPECT_EQ(t.counters[ClauseId::HW_7], 0u);
}

TEST(HitlessJudge, TableLinkedDuringTheCall) {
    SmmuTables t;
    t.put(t.strtab, bypass_ste());
    // CDs filled in any order before the STE points at their table ...
    t.write(t.cd(1), sva_cd(1, kTtbA), {0, 3, 1});
    Qwords ste = cdtable_ste(t.cdtab, 4);
    t.write(t.strtab, ste, {1, 0});
    auto v = t.judge();
    EXPECT_FALSE(v) << v->message;
    EXPECT_EQ(t.counters[ClauseId::HW_7], 2u); // the STE and the CD

    // ... but not after.
    t.put(t.strtab, bypass_ste());
    t.put(t.cd(1), Qwords{});
    t.write(t.strtab, ste, {1, 0});
    t.write(t.cd(1), sva_cd(1, kTtbA), {0, 3, 1});
    v = t.judge();
    ASSERT_TRUE(v);
    EXPECT_NE(v->message.find("CD sid 0 ssid 1"), std::string::npos) << v->message;
    EXPECT_NE(v->message.find("after store 3 of 5"), std::string::npos) << v->message;

    // Written partly before the link and finished after: torn when linked.
    t.put(t.strtab, bypass_ste());
    t.put(t.cd(1), Qwords{});
    t.write(t.cd(1), sva_cd(1, kTtbA), {0});
    t.write(t.strtab, ste, {1, 0});
    t.write(t.cd(1), sva_cd(1, kTtbA), {1, 3});
    v = t.judge();
    ASSERT_TRUE(v);
    EXPECT_NE(v->message.find("store 3 of 5 links it while it is torn"), std::string::npos)
        << v->message;
}

TEST(HitlessJudge, PointerRewrittenToTheSameTable) {
    SmmuTables t;
    t.put(t.cd(2), sva_cd(1, kTtbA));
    // The STE changes S1CDMax but keeps the CD table: the CD was reachable
    // all along, so its old value stays a valid state.
    t.write(t.strtab, cdtable_ste(t.cdtab, 3), {0});
    t.store(t.cd(2), 0);
    t.write(t.cd(2), sva_cd(2, kTtbB), {1, 0});
    auto v = t.judge();
    EXPECT_FALSE(v) << v->message;
    EXPECT_EQ(t.counters[ClauseId::HW_7], 2u);
}

TEST(HitlessJudge, SteChangedInOneStoreWithStaleUnusedBits) {
    SmmuTables t;
    // Bypass -> CD table: q1 first (unused by bypass), then q0.
    t.put(t.strtab, bypass_ste());
    Qwords ste = cdtable_ste(t.cdtab, 4);
    t.write(t.strtab, ste, {1, 0});
    EXPECT_FALSE(t.judge());
    // q0 first: a CD-table STE with the bypass q1 (no S1DSS, CIR ...).
    t.put(t.strtab, bypass_ste());
    t.write(t.strtab, ste, {0, 1});
    auto v = t.judge();
    ASSERT_TRUE(v);
    EXPECT_NE(v->message.find("STE sid 0"), std::string::npos) << v->message;
    EXPECT_NE(v->message.find("S1DSS"), std::string::npos) << v->message;
}

// One VT-d IOMMU: root -> context rid 0 -> a 512-entry directory -> one
// PASID table.
struct VtdTables {
    ref::Topology topo = [] {
        ref::Topology t;
        t.iommus.push_back(ref::Iommu{ref::Arch::vtd});
        t.devices.push_back(ref::Device{});
        return t;
    }();
    engine::SimMemory mem;
    std::unique_ptr<ref::IommuModel> model = ref::make_iommu_model(topo.iommus[0], 0);
    std::vector<const ref::IommuModel *> models{model.get()};
    std::vector<svac_mm_info> mms;
    ref::CallRecord call;
    ref::Reference reference{topo, ref::default_profile()};
    ref::ClauseCounters counters;
    uint64_t root = 0, ctx = 0, dir = 0, table = 0;

    VtdTables() {
        for (uint64_t *pa : {&root, &ctx, &dir, &table})
            *pa = mem.alloc(4096, 4096, engine::SimMemory::Owner::driver);
        model->write_reg(SVAC_VTD_RTADDR, root | vt::rtaddr::kTtmScalable << vt::rtaddr::TTM.lo);
        model->write_reg(SVAC_VTD_GCMD, SVAC_VTD_GCMD_TE);
        put(root, ctx | 1);
        Qwords ce = make({{vt::context::P, 1},
                          {vt::context::PASIDE, 1},
                          {vt::context::PDTS, 2},
                          {vt::context::PASIDDIRPTR, dir >> 12}});
        for (unsigned i = 0; i < 4; ++i) put(ctx + 8 * i, ce[i]);
        put(dir, table | 1);
    }
    uint64_t entry(uint32_t pasid) const { return table + 64ull * pasid; }
    void put(uint64_t pa, uint64_t val) { mem.write64(pa, val, engine::SimMemory::Owner::driver); }
    void put(uint64_t pa, const Qwords &e) {
        for (unsigned i = 0; i < 8; ++i) put(pa + 8 * i, e[i]);
    }
    void store(uint64_t pa, uint64_t val) {
        call.stores.push_back({pa, mem.read64(pa), val});
        put(pa, val);
    }
    void write(uint64_t pa, const Qwords &e, std::initializer_list<unsigned> order) {
        for (unsigned i : order) store(pa + 8 * i, e[i]);
    }
    std::optional<ref::Violation> judge() {
        ref::Op op;
        op.kind = ref::OpKind::bind;
        ref::HwView hw{mem, call, models, mms};
        auto v = ref::judge_update(reference, op, hw, &counters);
        call.clear();
        return v;
    }
};

TEST(HitlessJudgeVtd, PresentEntryReplaced) {
    VtdTables t;
    Qwords a = sva_pasid_entry(0x5000, 1), b = sva_pasid_entry(0x6000, 2);
    // In place, two qwords: torn (I5).
    t.put(t.entry(3), a);
    t.write(t.entry(3), b, {1, 2});
    auto v = t.judge();
    ASSERT_TRUE(v);
    EXPECT_NE(v->message.find("PASID entry rid 0 pasid 3"), std::string::npos) << v->message;
    EXPECT_NE(v->message.find("(I5)"), std::string::npos) << v->message;
    EXPECT_NE(v->message.find("the old FLPTR and the new DID"), std::string::npos) << v->message;
    // Through P=0: allowed, the replacement is never hitless.
    t.put(t.entry(3), a);
    t.store(t.entry(3), 0);
    t.write(t.entry(3), b, {1, 2, 0});
    v = t.judge();
    EXPECT_FALSE(v) << v->message;
    // One qword in place: atomic.
    t.put(t.entry(3), a);
    Qwords c = sva_pasid_entry(0x7000, 1);
    t.write(t.entry(3), c, {2});
    v = t.judge();
    EXPECT_FALSE(v) << v->message;
    EXPECT_EQ(t.counters[ClauseId::HW_7], 3u);
}

TEST(HitlessJudgeVtd, PresentDirectoryEntryIsNotThisRules) {
    VtdTables t;
    uint64_t other = t.mem.alloc(4096, 4096, engine::SimMemory::Owner::driver);
    t.store(t.dir, 0);
    t.store(t.dir, other | 1);
    auto v = t.judge();
    EXPECT_FALSE(v) << v->message;
    EXPECT_EQ(t.counters[ClauseId::HW_7], 0u);
    // A new PDE is judged (and a single store is fine).
    t.store(t.dir + 8, other | 1);
    EXPECT_FALSE(t.judge());
    EXPECT_EQ(t.counters[ClauseId::HW_7], 1u);
}

TEST(HitlessJudgeVtd, EntriesOfATableLinkedInTheCall) {
    VtdTables t;
    uint64_t fresh = t.mem.alloc(4096, 4096, engine::SimMemory::Owner::driver);
    // Written P first, but before the PDE links the table: not visible.
    t.write(fresh + 64, sva_pasid_entry(0x5000, 1), {0, 1, 2});
    t.store(t.dir + 8, fresh | 1);
    auto v = t.judge();
    EXPECT_FALSE(v) << v->message;
    EXPECT_EQ(t.counters[ClauseId::HW_7], 2u); // the PDE and PASID 65
    // After the link it is.
    uint64_t fresh2 = t.mem.alloc(4096, 4096, engine::SimMemory::Owner::driver);
    t.store(t.dir + 16, fresh2 | 1);
    t.write(fresh2 + 64, sva_pasid_entry(0x5000, 1), {0, 1, 2});
    v = t.judge();
    ASSERT_TRUE(v);
    EXPECT_NE(v->message.find("PASID entry rid 0 pasid 129"), std::string::npos) << v->message;
    EXPECT_NE(v->message.find("(I4)"), std::string::npos) << v->message;
}

// ---- the bundled drivers ----

enum class Tamper : uint8_t {
    none,
    sorted,   // the call's stores land at its end, by address: q0 first
    reversed, // ... by address, highest first: q0 last
    zero_q0,  // a store that changes a valid CD into another valid one is preceded by q0 = 0
};

// A driver on a platform whose write64 may be tampered with.
class Bench {
public:
    Bench(const char *driver, ref::Topology topo)
        : topo_(std::move(topo)), abi_topo_(topo_), platform_(topo_),
          reference_(topo_, ref::default_profile()) {
        ops_ = models::find_bundled(driver)->entry();
        wrapped_ = *platform_.abi();
        wrapped_.ctx = this;
        wrapped_.read64 = [](void *ctx, uint64_t pa) { return self(ctx).read(pa); };
        wrapped_.write64 = [](void *ctx, uint64_t pa, uint64_t val) { self(ctx).write(pa, val); };
        wrapped_.alloc = [](void *ctx, uint64_t bytes, uint64_t align) {
            const svac_platform *p = self(ctx).platform_.abi();
            return p->alloc(p->ctx, bytes, align);
        };
        wrapped_.free = [](void *ctx, uint64_t pa) {
            const svac_platform *p = self(ctx).platform_.abi();
            p->free(p->ctx, pa);
        };
        wrapped_.write_reg = [](void *ctx, uint32_t iommu, uint32_t offset, uint64_t val) {
            const svac_platform *p = self(ctx).platform_.abi();
            p->write_reg(p->ctx, iommu, offset, val);
        };
        wrapped_.read_reg = [](void *ctx, uint32_t iommu, uint32_t offset) {
            const svac_platform *p = self(ctx).platform_.abi();
            return p->read_reg(p->ctx, iommu, offset);
        };
        wrapped_.submit_cmd = [](void *ctx, uint32_t iommu, const uint64_t *cmd, uint32_t qwords) {
            const svac_platform *p = self(ctx).platform_.abi();
            return p->submit_cmd(p->ctx, iommu, cmd, qwords);
        };
        wrapped_.mm_info = [](void *ctx, uint32_t mm, svac_mm_info *info) {
            const svac_platform *p = self(ctx).platform_.abi();
            return p->mm_info(p->ctx, mm, info);
        };
        wrapped_.report_fault = [](void *ctx, uint32_t dev, const svac_fault *f) {
            const svac_platform *p = self(ctx).platform_.abi();
            return p->report_fault(p->ctx, dev, f);
        };
        wrapped_.flush_faults = [](void *ctx, uint32_t dev, uint32_t pasid) {
            const svac_platform *p = self(ctx).platform_.abi();
            p->flush_faults(p->ctx, dev, pasid);
        };
        wrapped_.discard_partial = [](void *ctx, uint32_t iommu) {
            const svac_platform *p = self(ctx).platform_.abi();
            p->discard_partial(p->ctx, iommu);
        };
        drv_ = ops_->create(&wrapped_, abi_topo_.get());
    }
    ~Bench() {
        if (drv_) ops_->destroy(drv_);
    }
    Bench(const Bench &) = delete;
    Bench &operator=(const Bench &) = delete;

    bool ok() const { return drv_ != nullptr; }
    Tamper tamper = Tamper::none;
    ref::ClauseCounters counters;

    // Runs op on the driver, steps the reference and judges HW-7.
    std::optional<ref::Violation> run(const ref::Op &op) {
        platform_.call_record().clear();
        ref::Observation obs;
        const uint32_t pasid = reference_.resolve(op.pasid);
        switch (op.kind) {
        case ref::OpKind::enable_feature:
            obs.rc = ops_->dev_enable_feat(drv_, op.dev, op.feat);
            break;
        case ref::OpKind::disable_feature:
            obs.rc = ops_->dev_disable_feat(drv_, op.dev, op.feat);
            break;
        case ref::OpKind::bind: {
            uint32_t out = SVAC_PASID_INVALID;
            obs.rc = ops_->bind_mm(drv_, op.dev, op.mm, &out, &on_mm_exit, this, op.drvdata);
            obs.pasid = out;
            break;
        }
        case ref::OpKind::unbind:
            obs.rc = ops_->unbind_mm(drv_, op.dev, pasid);
            break;
        case ref::OpKind::mm_exit:
            ops_->mm_release(drv_, op.mm);
            break;
        default:
            ADD_FAILURE() << "op not driven by the bench";
        }
        flush();
        obs.callbacks = std::move(fired_);
        fired_.clear();
        obs.stray_stores = platform_.take_stray_stores();
        obs.unsynced_commands = platform_.unsynced_commands() + platform_.take_rejected_commands();
        if (auto api = reference_.step(op, obs, nullptr))
            ADD_FAILURE() << "the reference disagrees: " << api->message;
        ref::HwView hw{platform_.memory(), platform_.call_record(), platform_.iommu_models(),
                       platform_.mm_infos()};
        return ref::judge_update(reference_, op, hw, &counters);
    }
    uint32_t pasid_of(uint32_t mm) const { return reference_.pasid_of(mm); }

private:
    static Bench &self(void *ctx) { return *static_cast<Bench *>(ctx); }
    static void on_mm_exit(void *ctx, uint32_t dev, uint32_t pasid, uint64_t drvdata) {
        self(ctx).fired_.push_back({dev, pasid, drvdata});
    }
    const svac_platform &real() const { return *platform_.abi(); }

    uint64_t read(uint64_t pa) const {
        for (auto it = buffer_.rbegin(); it != buffer_.rend(); ++it)
            if (it->first == pa) return it->second;
        return real().read64(real().ctx, pa);
    }
    void write(uint64_t pa, uint64_t val) {
        switch (tamper) {
        case Tamper::none:
            break;
        case Tamper::sorted:
        case Tamper::reversed:
            buffer_.emplace_back(pa, val);
            return;
        case Tamper::zero_q0: {
            const uint64_t v_bit = sm::cd::V.mask();
            uint64_t cur = read(pa);
            if (pa % 64 == 0 && (cur & v_bit) && (val & v_bit) && cur != val)
                real().write64(real().ctx, pa, 0);
            break;
        }
        }
        real().write64(real().ctx, pa, val);
    }
    void flush() {
        auto by_pa = [](const auto &a, const auto &b) { return a.first < b.first; };
        if (tamper == Tamper::sorted) std::stable_sort(buffer_.begin(), buffer_.end(), by_pa);
        if (tamper == Tamper::reversed)
            std::stable_sort(buffer_.begin(), buffer_.end(),
                             [](const auto &a, const auto &b) { return a.first > b.first; });
        for (const auto &[pa, val] : buffer_) real().write64(real().ctx, pa, val);
        buffer_.clear();
    }

    ref::Topology topo_;
    ref::AbiTopology abi_topo_;
    engine::Platform platform_;
    ref::Reference reference_;
    const svac_driver_ops *ops_ = nullptr;
    svac_platform wrapped_{};
    void *drv_ = nullptr;
    std::vector<std::pair<uint64_t, uint64_t>> buffer_;
    std::vector<ref::Callback> fired_;
};

ref::Topology topology(ref::Arch arch, uint32_t devices, uint8_t pasid_bits, uint32_t mms) {
    ref::Topology t;
    t.iommus.push_back(ref::Iommu{arch});
    for (uint32_t i = 0; i < devices; ++i) {
        ref::Device d;
        d.pasid_bits = pasid_bits;
        t.devices.push_back(d);
    }
    t.mms = mms;
    return t;
}

ref::Op op_feature(ref::OpKind kind, uint32_t dev) {
    ref::Op op;
    op.kind = kind;
    op.dev = dev;
    op.feat = SVAC_FEAT_SVA;
    return op;
}
ref::Op op_bind(uint32_t dev, uint32_t mm) {
    ref::Op op;
    op.kind = ref::OpKind::bind;
    op.dev = dev;
    op.mm = mm;
    op.drvdata = 100 + mm;
    return op;
}
ref::Op op_unbind(uint32_t dev, uint32_t mm) {
    ref::Op op;
    op.kind = ref::OpKind::unbind;
    op.dev = dev;
    op.pasid = ref::PasidArg{true, mm};
    return op;
}
ref::Op op_exit(uint32_t mm) {
    ref::Op op;
    op.kind = ref::OpKind::mm_exit;
    op.mm = mm;
    return op;
}

#define EXPECT_NO_HW7(expr)                                                                        \
    do {                                                                                           \
        auto v_ = (expr);                                                                          \
        EXPECT_FALSE(v_) << v_->message;                                                           \
    } while (0)

void lifecycle(const char *driver, ref::Arch arch, uint8_t pasid_bits) {
    SCOPED_TRACE(std::string(driver) + " pasid_bits " + std::to_string(pasid_bits));
    Bench b(driver, topology(arch, 2, pasid_bits, 3));
    ASSERT_TRUE(b.ok());
    using K = ref::OpKind;
    for (uint32_t dev = 0; dev < 2; ++dev) EXPECT_NO_HW7(b.run(op_feature(K::enable_feature, dev)));
    for (uint32_t mm = 0; mm < 3; ++mm) EXPECT_NO_HW7(b.run(op_bind(0, mm)));
    EXPECT_NO_HW7(b.run(op_bind(1, 1)));
    EXPECT_NO_HW7(b.run(op_unbind(0, 0)));
    EXPECT_NO_HW7(b.run(op_exit(1)));
    EXPECT_NO_HW7(b.run(op_unbind(0, 1)));
    EXPECT_NO_HW7(b.run(op_unbind(1, 1)));
    EXPECT_NO_HW7(b.run(op_bind(0, 0)));
    EXPECT_NO_HW7(b.run(op_exit(2)));
    EXPECT_NO_HW7(b.run(op_unbind(0, 2)));
    EXPECT_NO_HW7(b.run(op_unbind(0, 0)));
    EXPECT_NO_HW7(b.run(op_feature(K::disable_feature, 0)));
    EXPECT_NO_HW7(b.run(op_feature(K::disable_feature, 1)));
    EXPECT_GT(b.counters[ClauseId::HW_7], 10u);
}

TEST(HitlessDrivers, Smmuv3LifecycleIsHitless) {
    lifecycle("smmuv3", ref::Arch::smmuv3, 8);  // linear CD table
    lifecycle("smmuv3", ref::Arch::smmuv3, 16); // 2-level CD table
}

TEST(HitlessDrivers, VtdLifecycleIsHitless) {
    lifecycle("vtd", ref::Arch::vtd, 8);
    lifecycle("vtd", ref::Arch::vtd, 20);
}

TEST(HitlessDrivers, Smmuv3CdWrittenQ0FirstIsCaught) {
    Bench b("smmuv3", topology(ref::Arch::smmuv3, 1, 8, 1));
    ASSERT_TRUE(b.ok());
    EXPECT_NO_HW7(b.run(op_feature(ref::OpKind::enable_feature, 0)));
    b.tamper = Tamper::sorted;
    auto v = b.run(op_bind(0, 0));
    ASSERT_TRUE(v);
    EXPECT_EQ(v->clause, ClauseId::HW_7);
    EXPECT_NE(v->message.find("bind(dev 0, mm 0"), std::string::npos) << v->message;
    EXPECT_NE(v->message.find("CD sid 0 ssid 1"), std::string::npos) << v->message;
    EXPECT_NE(v->message.find("q0 stored before q1"), std::string::npos) << v->message;
    EXPECT_NE(v->message.find("TTB0"), std::string::npos) << v->message;
}

TEST(HitlessDrivers, Smmuv3SteWrittenQ0FirstIsCaught) {
    Bench b("smmuv3", topology(ref::Arch::smmuv3, 1, 8, 1));
    ASSERT_TRUE(b.ok());
    b.tamper = Tamper::sorted;
    auto v = b.run(op_feature(ref::OpKind::enable_feature, 0));
    ASSERT_TRUE(v);
    EXPECT_NE(v->message.find("STE sid 0"), std::string::npos) << v->message;
}

TEST(HitlessDrivers, Smmuv3ReleaseCdThroughInvalidIsCaught) {
    Bench b("smmuv3", topology(ref::Arch::smmuv3, 1, 8, 1));
    ASSERT_TRUE(b.ok());
    EXPECT_NO_HW7(b.run(op_feature(ref::OpKind::enable_feature, 0)));
    EXPECT_NO_HW7(b.run(op_bind(0, 0)));
    b.tamper = Tamper::zero_q0;
    auto v = b.run(op_exit(0));
    ASSERT_TRUE(v);
    EXPECT_NE(v->message.find("CD sid 0 ssid 1"), std::string::npos) << v->message;
    EXPECT_NE(v->message.find("a change that can be made hitless must be"), std::string::npos)
        << v->message;
}

TEST(HitlessDrivers, VtdPresentBitFirstIsCaught) {
    Bench b("vtd", topology(ref::Arch::vtd, 1, 8, 1));
    ASSERT_TRUE(b.ok());
    EXPECT_NO_HW7(b.run(op_feature(ref::OpKind::enable_feature, 0)));
    b.tamper = Tamper::sorted;
    auto v = b.run(op_bind(0, 0));
    ASSERT_TRUE(v);
    EXPECT_NE(v->message.find("PASID entry rid 0 pasid 1"), std::string::npos) << v->message;
    EXPECT_NE(v->message.find("P=1 is set before the other qwords are final (I4)"),
              std::string::npos)
        << v->message;
}

TEST(HitlessDrivers, VtdTeardownClearingPLastIsCaught) {
    Bench b("vtd", topology(ref::Arch::vtd, 1, 8, 1));
    ASSERT_TRUE(b.ok());
    EXPECT_NO_HW7(b.run(op_feature(ref::OpKind::enable_feature, 0)));
    EXPECT_NO_HW7(b.run(op_bind(0, 0)));
    b.tamper = Tamper::reversed;
    auto v = b.run(op_unbind(0, 0));
    ASSERT_TRUE(v);
    EXPECT_NE(v->message.find("PASID entry rid 0 pasid 1"), std::string::npos) << v->message;
    EXPECT_NE(v->message.find("P=0 must be the first store (I4)"), std::string::npos) << v->message;
}

// Generated traces, stepped as the engine does, judged after every call.
void random_traces(uint32_t arch_mask, uint64_t seed, int count) {
    const svac_driver_ops &ops =
        *models::find_bundled(arch_mask & (1u << SVAC_ARCH_VTD) ? "vtd" : "smmuv3")->entry();
    ref::ClauseCounters counters;
    for (int n = 0; n < count; ++n) {
        engine::Rng rng(engine::Rng::derive(seed, static_cast<uint64_t>(n)));
        engine::GenConfig cfg;
        cfg.arch_mask = arch_mask;
        cfg.ops = 48;
        engine::Trace trace = engine::generate_trace(rng, cfg);
        ref::Reference reference(trace.topology, ref::default_profile());
        engine::DriverInstance inst(ops, trace.topology);
        engine::Platform &platform = inst.platform();
        for (std::size_t i = 0; i < trace.ops.size(); ++i) {
            const ref::Op &op = trace.ops[i];
            ref::Expectation exp = reference.expect(op);
            platform.call_record().clear();
            auto [obs, committed] = engine::execute(reference, inst, op, exp);
            if (!committed) {
                if (reference.judge(op, exp, obs, nullptr)) break; // not this rule's business
                reference.commit(op, exp, obs);
            }
            ref::HwView hw{platform.memory(), platform.call_record(), platform.iommu_models(),
                           platform.mm_infos()};
            auto v = ref::judge_update(reference, op, hw, &counters);
            ASSERT_FALSE(v) << "trace " << n << " op " << i << ": " << v->message;
        }
    }
    EXPECT_GT(counters[ClauseId::HW_7], static_cast<uint64_t>(count));
}

TEST(HitlessDrivers, Smmuv3RandomTraces) {
    random_traces(1u << SVAC_ARCH_SMMUV3, 7, 300);
}

TEST(HitlessDrivers, VtdRandomTraces) {
    random_traces(1u << SVAC_ARCH_VTD, 11, 300);
}

} // namespace
