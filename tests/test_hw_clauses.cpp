// The HW clauses against broken variants of both bundled drivers (smmuv3 and
// vtd). Each variant wraps the driver's ops and interposes a platform of its
// own between the driver and the harness, so that it can drop or alter the
// stores and commands the driver makes in one kind of call: the invalidations
// of unbind, the identity set-up of create, the last sync, the notifier... A
// hand-written trace shows each bug to the hardware model and must be found
// under the HW clause it breaks, at the DMA (or call) that reveals it; a
// seeded campaign must find it too. The unmutated drivers, and the wrapper
// with no mutation, find nothing and exercise every HW clause.
#include "engine/campaign.h"
#include "models/registry.h"
#include "reference/smmuv3_format.h"
#include "reference/vtd_format.h"
#include "tests/support/driver_wrap.h"
#include "tests/support/ops.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

using namespace svac;
using ref::ClauseId;
using ref::Op;
using ref::OpKind;

namespace {

namespace sm = ref::smmuv3;
namespace vt = ref::vtd;

enum class Mut : uint8_t {
    none,
    unbind_no_tlb_inv,    // unbind: TLBI_NH_ASID + ATC_INV / P_IOTLB + P_DEVTLB dropped
    unbind_no_cfg_inv,    // unbind: CFGI_CD / PASID-cache invalidation dropped
    notifier_noop,        // mm_invalidate_range does nothing
    release_keeps_entry,  // mm_release: callbacks fire, every store and command dropped
    create_no_identity,   // create: STE abort instead of bypass / RID_PASID entry not present
    stray_store_random,   // bind also stores to an address nobody allocated
    stray_store_pgd,      // bind also stores into the mm's page table
    unbind_no_final_sync, // unbind: the last CMD_SYNC / wait descriptor dropped
    bind_wrong_pgd,       // bind: the CD / PASID entry gets another mm's page-table root
};

struct Variant {
    const char *name;
    const char *driver; // "smmuv3" or "vtd"
    Mut mut;
    // The clauses a campaign may report for the bug (the hand traces below pin
    // the one reference/clauses.def names); ClauseId::count_ fills unused slots.
    std::array<ClauseId, 3> campaign;
};

constexpr ClauseId kNone = ClauseId::count_;
// A TLB entry left behind at unbind shows wherever the PASID or the ASID is
// next used: right after the unbind through the ATC (HW-3), at a rebind of
// the same mm through a page the CPU changed meanwhile (HW-4), or when the
// PASID goes to another mm (HW-1; HW-4 when that mm's page was remapped).
constexpr std::array<ClauseId, 3> kStaleTlb = {ClauseId::HW_3, ClauseId::HW_4, ClauseId::HW_1};

constexpr Variant kVariants[] = {
    {"SmmuTransparent", "smmuv3", Mut::none, {kNone, kNone, kNone}},
    {"VtdTransparent", "vtd", Mut::none, {kNone, kNone, kNone}},
    {"SmmuUnbindNoTlbInv", "smmuv3", Mut::unbind_no_tlb_inv, kStaleTlb},
    {"VtdUnbindNoTlbInv", "vtd", Mut::unbind_no_tlb_inv, kStaleTlb},
    {"SmmuUnbindNoCfgiCd", "smmuv3", Mut::unbind_no_cfg_inv, {ClauseId::HW_3, kNone, kNone}},
    {"VtdUnbindNoPasidCacheInv", "vtd", Mut::unbind_no_cfg_inv, {ClauseId::HW_3, kNone, kNone}},
    {"SmmuNotifierNoop", "smmuv3", Mut::notifier_noop, {ClauseId::HW_4, kNone, kNone}},
    {"VtdNotifierNoop", "vtd", Mut::notifier_noop, {ClauseId::HW_4, kNone, kNone}},
    {"SmmuReleaseKeepsCd", "smmuv3", Mut::release_keeps_entry, {ClauseId::HW_5, kNone, kNone}},
    {"VtdReleaseKeepsPasidEntry", "vtd", Mut::release_keeps_entry, {ClauseId::HW_5, kNone, kNone}},
    {"SmmuSteAbortNotBypass", "smmuv3", Mut::create_no_identity, {ClauseId::HW_6, kNone, kNone}},
    {"VtdRidPasidNotPresent", "vtd", Mut::create_no_identity, {ClauseId::HW_6, kNone, kNone}},
    {"SmmuStrayStore", "smmuv3", Mut::stray_store_random, {ClauseId::HW_8, kNone, kNone}},
    {"VtdStrayStore", "vtd", Mut::stray_store_random, {ClauseId::HW_8, kNone, kNone}},
    {"SmmuStoreIntoPgd", "smmuv3", Mut::stray_store_pgd, {ClauseId::HW_8, kNone, kNone}},
    {"VtdStoreIntoPgd", "vtd", Mut::stray_store_pgd, {ClauseId::HW_8, kNone, kNone}},
    {"SmmuUnbindNoFinalSync", "smmuv3", Mut::unbind_no_final_sync, {ClauseId::HW_9, kNone, kNone}},
    {"VtdUnbindNoFinalWait", "vtd", Mut::unbind_no_final_sync, {ClauseId::HW_9, kNone, kNone}},
    {"SmmuBindWrongPgd", "smmuv3", Mut::bind_wrong_pgd, {ClauseId::HW_1, kNone, kNone}},
    {"VtdBindWrongPgd", "vtd", Mut::bind_wrong_pgd, {ClauseId::HW_1, kNone, kNone}},
};
constexpr std::size_t kNumVariants = std::size(kVariants);

constexpr std::size_t variant_index(const char *name) {
    for (std::size_t i = 0; i < kNumVariants; ++i)
        if (std::string_view(kVariants[i].name) == name) return i;
    return kNumVariants;
}

const svac_driver_ops &base(std::string_view driver) {
    return *models::find_bundled(driver)->entry();
}

// --- the wrapper: the inner driver, the platform it sees, the current call ---

enum class Phase : uint8_t {
    idle,
    create,
    bind,
    unbind,
    release,
    invalidate
};

// What a command does, in words both architectures share.
enum class CmdKind : uint8_t {
    other,
    tlb_inv, // SMMU TLBI_NH_ASID; VT-d PASID-based IOTLB invalidation
    atc_inv, // SMMU ATC_INV; VT-d PASID-based device-TLB invalidation
    cfg_inv, // SMMU CFGI_CD; VT-d PASID-cache invalidation
    sync,    // SMMU CMD_SYNC; VT-d invalidation wait
};

CmdKind classify(bool vtd, const uint64_t *cmd) {
    if (vtd) {
        switch (ref::get(cmd, vt::inv_cc::Type) | ref::get(cmd, vt::kTypeHi) << 4) {
        case vt::inv_piotlb::kType:
            return CmdKind::tlb_inv;
        case vt::inv_pdevtlb::kType:
            return CmdKind::atc_inv;
        case vt::inv_pc::kType:
            return CmdKind::cfg_inv;
        case vt::inv_wait::kType:
            return CmdKind::sync;
        default:
            return CmdKind::other;
        }
    }
    switch (ref::get(cmd, sm::cmd::Opcode)) {
    case sm::cmd::TLBI_NH_ASID:
        return CmdKind::tlb_inv;
    case sm::cmd::ATC_INV:
        return CmdKind::atc_inv;
    case sm::cmd::CFGI_CD:
        return CmdKind::cfg_inv;
    case sm::cmd::SYNC:
        return CmdKind::sync;
    default:
        return CmdKind::other;
    }
}

struct Wrapper {
    Mut mut = Mut::none;
    bool vtd = false;
    const svac_driver_ops *base = nullptr;
    const svac_platform *real = nullptr; // the harness's platform
    svac_platform plat{};                // what the inner driver sees
    void *inner = nullptr;
    uint32_t n_mms = 0;
    std::vector<uint32_t> sid, iommu; // per device
    Phase phase = Phase::idle;
    std::vector<uint64_t> stores; // where the driver stored during the current call
    // unbind_no_final_sync: the latest sync, held back until another command follows it.
    bool held = false;
    uint32_t held_iommu = 0, held_qwords = 0;
    std::array<uint64_t, 4> held_cmd{};

    uint64_t rd(uint64_t pa) const { return real->read64(real->ctx, pa); }
    void wr(uint64_t pa, uint64_t v) const { real->write64(real->ctx, pa, v); }
    int submit(uint32_t i, const uint64_t *cmd, uint32_t qwords) const {
        return real->submit_cmd(real->ctx, i, cmd, qwords);
    }
    void flush_held() {
        if (held) submit(held_iommu, held_cmd.data(), held_qwords);
        held = false;
    }
};

Wrapper *W(void *p) {
    return static_cast<Wrapper *>(p);
}

// The kind of call the inner driver is in; at its end a held sync is dropped.
class PhaseScope {
public:
    PhaseScope(Wrapper *w, Phase p) : w_(w) {
        w_->phase = p;
        w_->stores.clear();
    }
    ~PhaseScope() {
        w_->held = false; // the final sync of the call: never submitted
        w_->phase = Phase::idle;
    }
    PhaseScope(const PhaseScope &) = delete;
    PhaseScope &operator=(const PhaseScope &) = delete;

private:
    Wrapper *w_;
};

// The STE qword 0 of a bypass STE (V=1, Config=bypass), and of an abort one.
uint64_t ste0(uint64_t config) {
    uint64_t q = 0;
    ref::set(&q, sm::ste::V, 1);
    ref::set(&q, sm::ste::Config, config);
    return q;
}

void p_write64(void *ctx, uint64_t pa, uint64_t val) {
    Wrapper *w = W(ctx);
    if (w->phase == Phase::release && w->mut == Mut::release_keeps_entry) return;
    if (w->phase == Phase::create && w->mut == Mut::create_no_identity) {
        if (!w->vtd && val == ste0(sm::ste::CONFIG_BYPASS)) val = ste0(sm::ste::CONFIG_ABORT);
        // q0 of the RID_PASID pass-through entry: the entry stays not present.
        if (w->vtd && ref::get(&val, vt::pasid_entry::P) &&
            ref::get(&val, vt::pasid_entry::PGTT) == vt::pasid_entry::kPgttPassThrough)
            return;
    }
    w->stores.push_back(pa);
    w->wr(pa, val);
}

bool dropped(const Wrapper *w, CmdKind k) {
    switch (w->mut) {
    case Mut::unbind_no_tlb_inv:
        return w->phase == Phase::unbind && (k == CmdKind::tlb_inv || k == CmdKind::atc_inv);
    case Mut::unbind_no_cfg_inv:
        return w->phase == Phase::unbind && k == CmdKind::cfg_inv;
    case Mut::release_keeps_entry:
        return w->phase == Phase::release;
    default:
        return false;
    }
}

int p_submit(void *ctx, uint32_t iommu, const uint64_t *cmd, uint32_t qwords) {
    Wrapper *w = W(ctx);
    if (!cmd || qwords < 2 || qwords > 4) return w->submit(iommu, cmd, qwords);
    CmdKind k = classify(w->vtd, cmd);
    if (dropped(w, k)) return 0; // as if the IOMMU took it
    if (w->mut == Mut::unbind_no_final_sync && w->phase == Phase::unbind) {
        w->flush_held();
        if (k == CmdKind::sync) {
            w->held = true;
            w->held_iommu = iommu;
            w->held_qwords = qwords;
            for (uint32_t i = 0; i < qwords; ++i) w->held_cmd[i] = cmd[i];
            return 0;
        }
    }
    return w->submit(iommu, cmd, qwords);
}

int p_mm_info(void *ctx, uint32_t mm, svac_mm_info *info) {
    Wrapper *w = W(ctx);
    int rc = w->real->mm_info(w->real->ctx, mm, info);
    if (rc == 0 && info && w->mut == Mut::bind_wrong_pgd && w->phase == Phase::bind &&
        w->n_mms > 1) {
        svac_mm_info other{};
        if (w->real->mm_info(w->real->ctx, (mm + 1) % w->n_mms, &other) == 0) info->pgd = other.pgd;
    }
    return rc;
}

const svac_platform *real_of(void *ctx) {
    return W(ctx)->real;
}
const svac_driver_ops *ops_of(void *drv) {
    return W(drv)->base;
}
void *inner_of(void *drv) {
    return W(drv)->inner;
}

void fill_platform(Wrapper *w) {
    w->plat = *w->real;
    w->plat.ctx = w;
    w->plat.alloc = [](void *ctx, uint64_t bytes, uint64_t align) {
        return W(ctx)->real->alloc(W(ctx)->real->ctx, bytes, align);
    };
    w->plat.free = [](void *ctx, uint64_t pa) { W(ctx)->real->free(W(ctx)->real->ctx, pa); };
    w->plat.read64 = [](void *ctx, uint64_t pa) { return W(ctx)->rd(pa); };
    w->plat.write64 = &p_write64;
    w->plat.write_reg = [](void *ctx, uint32_t iommu, uint32_t offset, uint64_t val) {
        W(ctx)->real->write_reg(W(ctx)->real->ctx, iommu, offset, val);
    };
    w->plat.read_reg = [](void *ctx, uint32_t iommu, uint32_t offset) {
        return W(ctx)->real->read_reg(W(ctx)->real->ctx, iommu, offset);
    };
    w->plat.submit_cmd = &p_submit;
    w->plat.mm_info = &p_mm_info;
    test_support::forward_fault_platform<&real_of>(w->plat);
}

void *create_wrapper(const Variant &v, const svac_platform *p, const svac_topology *t) {
    if (!p || !t) return nullptr;
    auto w = std::make_unique<Wrapper>();
    w->mut = v.mut;
    w->base = &base(v.driver);
    w->vtd = std::string_view(v.driver) == "vtd";
    w->real = p;
    w->n_mms = t->n_mms;
    for (uint32_t d = 0; d < t->n_devices; ++d) {
        w->sid.push_back(t->devices[d].sid);
        w->iommu.push_back(t->devices[d].iommu);
    }
    fill_platform(w.get());
    {
        PhaseScope s(w.get(), Phase::create);
        w->inner = w->base->create(&w->plat, t);
    }
    return w->inner ? w.release() : nullptr;
}

template <std::size_t I> void *wrap_create(const svac_platform *p, const svac_topology *t) {
    return create_wrapper(kVariants[I], p, t);
}

void wrap_destroy(void *drv) {
    Wrapper *w = W(drv);
    w->base->destroy(w->inner);
    delete w;
}

// An address no block of simulated memory holds.
constexpr uint64_t kNowhere = 0x8;

int wrap_bind(void *drv, uint32_t dev, uint32_t mm, uint32_t *pasid, svac_mm_exit_fn cb,
              void *cb_ctx, uint64_t drvdata) {
    Wrapper *w = W(drv);
    PhaseScope s(w, Phase::bind);
    int rc = w->base->bind_mm(w->inner, dev, mm, pasid, cb, cb_ctx, drvdata);
    if (rc != 0 || !pasid) return rc;
    switch (w->mut) {
    case Mut::stray_store_random:
        w->wr(kNowhere, 0);
        break;
    case Mut::stray_store_pgd: {
        svac_mm_info info{};
        if (w->real->mm_info(w->real->ctx, mm, &info) == 0) w->wr(info.pgd + 8 * 511, 0);
        break;
    }
    default:
        break;
    }
    return rc;
}

int wrap_unbind(void *drv, uint32_t dev, uint32_t pasid) {
    Wrapper *w = W(drv);
    PhaseScope s(w, Phase::unbind);
    return w->base->unbind_mm(w->inner, dev, pasid);
}

void wrap_mm_release(void *drv, uint32_t mm) {
    Wrapper *w = W(drv);
    PhaseScope s(w, Phase::release);
    w->base->mm_release(w->inner, mm);
}

void wrap_invalidate(void *drv, uint32_t mm, uint64_t start, uint64_t end) {
    Wrapper *w = W(drv);
    if (w->mut == Mut::notifier_noop) return;
    PhaseScope s(w, Phase::invalidate);
    w->base->mm_invalidate_range(w->inner, mm, start, end);
}

template <std::size_t I> svac_driver_ops make_ops() {
    svac_driver_ops ops = base(kVariants[I].driver);
    ops.name = kVariants[I].name;
    ops.create = &wrap_create<I>;
    ops.destroy = &wrap_destroy;
    ops.dev_has_feat = [](void *d, uint32_t dev, uint32_t f) {
        return W(d)->base->dev_has_feat(W(d)->inner, dev, f);
    };
    ops.dev_enable_feat = [](void *d, uint32_t dev, uint32_t f) {
        return W(d)->base->dev_enable_feat(W(d)->inner, dev, f);
    };
    ops.dev_disable_feat = [](void *d, uint32_t dev, uint32_t f) {
        return W(d)->base->dev_disable_feat(W(d)->inner, dev, f);
    };
    ops.dev_feat_enabled = [](void *d, uint32_t dev, uint32_t f) {
        return W(d)->base->dev_feat_enabled(W(d)->inner, dev, f);
    };
    ops.set_sva_param = [](void *d, uint32_t dev, uint32_t lo, uint32_t hi) {
        return W(d)->base->set_sva_param(W(d)->inner, dev, lo, hi);
    };
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

// --- hand-written traces ---

constexpr uint64_t kVa = 0x40'0000;
constexpr uint32_t kPasid = 1; // the first PASID either driver hands out

ref::Topology topology(const char *driver, uint32_t devices = 1, uint32_t mms = 1,
                       bool ats = false) {
    ref::Topology t;
    ref::Iommu iommu;
    iommu.arch = std::string_view(driver) == "vtd" ? ref::Arch::vtd : ref::Arch::smmuv3;
    t.iommus.push_back(iommu);
    for (uint32_t d = 0; d < devices; ++d) {
        ref::Device dev;
        dev.pri = true;
        dev.ats = ats;
        t.devices.push_back(dev);
    }
    t.mms = mms;
    return t;
}

using test_support::bind;
using test_support::enable;
using test_support::mm_exit;
using test_support::param;
using test_support::unbind;

Op mm_change(OpKind kind, uint32_t mm, uint8_t perms, uint32_t pages = 1, uint64_t va = kVa) {
    Op op;
    op.kind = kind;
    op.mm = mm;
    op.va = va;
    op.pages = pages;
    op.perms = perms;
    return op;
}

// A DMA with a literal PASID (it stays valid after the unbind that frees it).
Op dma(uint32_t dev, uint32_t pasid, uint8_t access, uint64_t va = kVa) {
    Op op;
    op.kind = OpKind::dma;
    op.dev = dev;
    op.pasid = {false, pasid};
    op.va = va;
    op.perms = access;
    return op;
}

// A DMA with the PASID mm holds when it runs.
Op dma_of(uint32_t dev, uint32_t mm, uint8_t access, uint64_t va = kVa) {
    Op op = dma(dev, 0, access, va);
    op.pasid = {true, mm};
    return op;
}

Op dma_no_pasid(uint32_t dev, uint8_t access, uint64_t va = kVa) {
    Op op = dma(dev, 0, access, va);
    op.no_pasid = true;
    return op;
}

engine::Trace trace(ref::Topology t, std::vector<Op> ops) {
    engine::Trace tr;
    tr.topology = std::move(t);
    tr.ops = std::move(ops);
    return tr;
}

constexpr uint8_t kR = ref::kRead, kW = ref::kWrite, kRW = ref::kRead | ref::kWrite;

// These tests show what the hardware's behaviour alone (DMA through the
// hardware model, stores, syncs) catches: the table rules (SMMU-*, VTD-*),
// which often name the same bug earlier, are off here and tested in
// test_table_rules.cpp.
const engine::RunOptions kDynamicOnly{true, false};

// The variant's finding on the trace is `clause` at op `step`; the unmutated
// driver and the transparent wrapper find nothing on it.
void expect_finding(std::size_t variant, const engine::Trace &t, ClauseId clause,
                    std::size_t step) {
    ASSERT_LT(variant, kNumVariants);
    const Variant &v = kVariants[variant];
    engine::RunStats stats;
    auto f = engine::run_differential(variant_ops(variant), t, stats, kDynamicOnly);
    ASSERT_TRUE(f.has_value()) << v.name << ": no finding on\n" << engine::print_trace(t);
    EXPECT_EQ(f->clause, clause) << v.name << ": " << ref::clause_id(f->clause) << " at step "
                                 << f->step << ": " << f->message;
    EXPECT_EQ(f->step, step) << v.name << ": " << f->message;
    // Against the unmutated driver the trace is conformant, so the finding is the mutation's.
    EXPECT_FALSE(engine::run_differential(base(v.driver), t, stats).has_value());
    const std::size_t clean = std::string_view(v.driver) == "vtd"
                                  ? variant_index("VtdTransparent")
                                  : variant_index("SmmuTransparent");
    EXPECT_FALSE(engine::run_differential(variant_ops(clean), t, stats).has_value());
}

// --- campaigns ---

std::string found(const engine::CampaignResult &r) {
    std::string s;
    for (const auto &[clause, f] : r.findings)
        s += "\n  " + std::string(ref::clause_id(clause)) + " x" +
             std::to_string(r.occurrences.at(clause)) + " (step " + std::to_string(f.step) +
             "): " + f.message;
    return s.empty() ? " none" : s;
}

engine::CampaignResult campaign(const svac_driver_ops &ops, uint64_t sequences, uint32_t n_ops,
                                double &seconds) {
    engine::CampaignConfig cfg;
    cfg.seed = 20190226;
    cfg.sequences = sequences;
    cfg.ops = n_ops;
    cfg.options = kDynamicOnly;
    auto start = std::chrono::steady_clock::now();
    auto r = engine::run_campaign(ops, cfg);
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return r;
}

// --- (a) no TLB/ATC invalidation at unbind ---

// With ATS the device's ATC answers before the SMMU looks at the (invalid) CD:
// a DMA right after unbind still translates.
TEST(HwUnbindNoTlbInv, SmmuAtcStaleAfterUnbindIsHw3) {
    expect_finding(variant_index("SmmuUnbindNoTlbInv"),
                   trace(topology("smmuv3", 1, 1, true),
                         {enable(0), mm_change(OpKind::mm_map, 0, kRW), bind(0, 0),
                          dma(0, kPasid, kR), unbind(0, 0), dma(0, kPasid, kR)}),
                   ClauseId::HW_3, 5);
}

TEST(HwUnbindNoTlbInv, VtdDevTlbStaleAfterUnbindIsHw3) {
    expect_finding(variant_index("VtdUnbindNoTlbInv"),
                   trace(topology("vtd", 1, 1, true),
                         {enable(0), mm_change(OpKind::mm_map, 0, kRW), bind(0, 0),
                          dma(0, kPasid, kR), unbind(0, 0), dma(0, kPasid, kR)}),
                   ClauseId::HW_3, 5);
}

// Without ATS the walk meets the invalidated CD / PASID entry before the
// TLB, so the stale entry shows only once the mm is bound again: the
// rebind's DMA translates through a page the CPU unmapped meanwhile (HW-4).
TEST(HwUnbindNoTlbInv, SmmuStaleTlbWithoutAtsShowsAtRebindAsHw4) {
    expect_finding(variant_index("SmmuUnbindNoTlbInv"),
                   trace(topology("smmuv3"),
                         {enable(0), mm_change(OpKind::mm_map, 0, kRW), bind(0, 0),
                          dma(0, kPasid, kR), unbind(0, 0), dma(0, kPasid, kR),
                          mm_change(OpKind::mm_unmap, 0, 0), bind(0, 0), dma_of(0, 0, kR)}),
                   ClauseId::HW_4, 8);
}

TEST(HwUnbindNoTlbInv, VtdStaleIotlbWithoutAtsShowsAtRebindAsHw4) {
    expect_finding(
        variant_index("VtdUnbindNoTlbInv"),
        trace(topology("vtd"), {enable(0), mm_change(OpKind::mm_map, 0, kRW), bind(0, 0),
                                dma(0, kPasid, kR), unbind(0, 0), dma(0, kPasid, kR),
                                mm_change(OpKind::mm_unmap, 0, 0), bind(0, 0), dma(0, kPasid, kR)}),
        ClauseId::HW_4, 8);
}

// --- (b) no configuration-cache invalidation at unbind ---

// The cached CD / PASID entry still points at the mm; the TLB was dropped,
// so the DMA after unbind walks the mm's table afresh and translates.
TEST(HwUnbindNoCfgInv, SmmuCachedCdAfterUnbindIsHw3) {
    expect_finding(
        variant_index("SmmuUnbindNoCfgiCd"),
        trace(topology("smmuv3"), {enable(0), mm_change(OpKind::mm_map, 0, kRW), bind(0, 0),
                                   dma(0, kPasid, kR), unbind(0, 0), dma(0, kPasid, kW)}),
        ClauseId::HW_3, 5);
}

TEST(HwUnbindNoCfgInv, VtdCachedPasidEntryAfterUnbindIsHw3) {
    expect_finding(variant_index("VtdUnbindNoPasidCacheInv"),
                   trace(topology("vtd"), {enable(0), mm_change(OpKind::mm_map, 0, kRW), bind(0, 0),
                                           dma(0, kPasid, kR), unbind(0, 0), dma(0, kPasid, kW)}),
                   ClauseId::HW_3, 5);
}

// --- (c) the notifier does nothing ---

std::vector<Op> notifier_ops(OpKind change) {
    return {enable(0),
            mm_change(OpKind::mm_map, 0, kRW),
            bind(0, 0),
            dma_of(0, 0, kW),
            mm_change(change, 0, change == OpKind::mm_protect ? kR : 0),
            dma_of(0, 0, change == OpKind::mm_protect ? kW : kR)};
}

TEST(HwNotifierNoop, SmmuWriteAfterWriteProtectIsHw4) {
    expect_finding(variant_index("SmmuNotifierNoop"),
                   trace(topology("smmuv3"), notifier_ops(OpKind::mm_protect)), ClauseId::HW_4, 5);
}

TEST(HwNotifierNoop, SmmuReadAfterUnmapIsHw4) {
    expect_finding(variant_index("SmmuNotifierNoop"),
                   trace(topology("smmuv3"), notifier_ops(OpKind::mm_unmap)), ClauseId::HW_4, 5);
}

TEST(HwNotifierNoop, VtdWriteAfterWriteProtectIsHw4) {
    expect_finding(variant_index("VtdNotifierNoop"),
                   trace(topology("vtd"), notifier_ops(OpKind::mm_protect)), ClauseId::HW_4, 5);
}

TEST(HwNotifierNoop, VtdReadAfterUnmapWithAtsIsHw4) {
    expect_finding(variant_index("VtdNotifierNoop"),
                   trace(topology("vtd", 1, 1, true), notifier_ops(OpKind::mm_unmap)),
                   ClauseId::HW_4, 5);
}

// --- (d) mm_release fires the callbacks but leaves the entry walking the mm ---

std::vector<Op> release_ops() {
    return {enable(0),  mm_change(OpKind::mm_map, 0, kRW),
            bind(0, 0), dma_of(0, 0, kR),
            mm_exit(0), dma_of(0, 0, kR)};
}

TEST(HwReleaseKeepsEntry, SmmuDmaAfterExitTranslatesIsHw5) {
    expect_finding(variant_index("SmmuReleaseKeepsCd"), trace(topology("smmuv3"), release_ops()),
                   ClauseId::HW_5, 5);
}

TEST(HwReleaseKeepsEntry, VtdDmaAfterExitTranslatesIsHw5) {
    expect_finding(variant_index("VtdReleaseKeepsPasidEntry"),
                   trace(topology("vtd"), release_ops()), ClauseId::HW_5, 5);
}

// Nothing cached: the walk meets the torn-down page table and the device
// asks for the page (a page request is not a quiet abort).
TEST(HwReleaseKeepsEntry, SmmuPageRequestAfterExitIsHw5) {
    expect_finding(variant_index("SmmuReleaseKeepsCd"),
                   trace(topology("smmuv3"), {enable(0), mm_change(OpKind::mm_map, 0, kRW),
                                              bind(0, 0), mm_exit(0), dma_of(0, 0, kR)}),
                   ClauseId::HW_5, 4);
}

// --- (e) non-PASID traffic not identity after create ---

TEST(HwCreateNoIdentity, SmmuAbortSteIsHw6) {
    expect_finding(variant_index("SmmuSteAbortNotBypass"),
                   trace(topology("smmuv3"), {dma_no_pasid(0, kR)}), ClauseId::HW_6, 0);
}

TEST(HwCreateNoIdentity, VtdRidPasidNotPresentIsHw6) {
    expect_finding(variant_index("VtdRidPasidNotPresent"),
                   trace(topology("vtd"), {dma_no_pasid(0, kW)}), ClauseId::HW_6, 0);
}

// --- (f) stores outside the driver's memory ---

TEST(HwStrayStore, SmmuStoreToUnallocatedAddressIsHw8) {
    expect_finding(variant_index("SmmuStrayStore"),
                   trace(topology("smmuv3"), {enable(0), bind(0, 0)}), ClauseId::HW_8, 1);
}

TEST(HwStrayStore, VtdStoreToUnallocatedAddressIsHw8) {
    expect_finding(variant_index("VtdStrayStore"), trace(topology("vtd"), {enable(0), bind(0, 0)}),
                   ClauseId::HW_8, 1);
}

TEST(HwStrayStore, SmmuStoreIntoPageTableIsHw8) {
    expect_finding(variant_index("SmmuStoreIntoPgd"),
                   trace(topology("smmuv3"), {enable(0), bind(0, 0)}), ClauseId::HW_8, 1);
}

TEST(HwStrayStore, VtdStoreIntoPageTableIsHw8) {
    expect_finding(variant_index("VtdStoreIntoPgd"),
                   trace(topology("vtd"), {enable(0), bind(0, 0)}), ClauseId::HW_8, 1);
}

// --- (g) commands left without a sync ---

TEST(HwUnbindNoFinalSync, SmmuIsHw9) {
    expect_finding(variant_index("SmmuUnbindNoFinalSync"),
                   trace(topology("smmuv3"),
                         {enable(0), mm_change(OpKind::mm_map, 0, kRW), bind(0, 0), unbind(0, 0)}),
                   ClauseId::HW_9, 3);
}

TEST(HwUnbindNoFinalSync, VtdIsHw9) {
    expect_finding(variant_index("VtdUnbindNoFinalWait"),
                   trace(topology("vtd"),
                         {enable(0), mm_change(OpKind::mm_map, 0, kRW), bind(0, 0), unbind(0, 0)}),
                   ClauseId::HW_9, 3);
}

// --- (h) the entry walks another mm's page table ---

std::vector<Op> wrong_pgd_ops() {
    return {enable(0), mm_change(OpKind::mm_map, 0, kRW), mm_change(OpKind::mm_map, 1, kRW),
            bind(0, 0), dma_of(0, 0, kR)};
}

TEST(HwBindWrongPgd, SmmuCdTtb0OfAnotherMmIsHw1) {
    expect_finding(variant_index("SmmuBindWrongPgd"),
                   trace(topology("smmuv3", 1, 2), wrong_pgd_ops()), ClauseId::HW_1, 4);
}

TEST(HwBindWrongPgd, VtdFlptrOfAnotherMmIsHw1) {
    expect_finding(variant_index("VtdBindWrongPgd"), trace(topology("vtd", 1, 2), wrong_pgd_ops()),
                   ClauseId::HW_1, 4);
}

// --- campaigns: each variant found by generated sequences too ---

class HwVariantCampaign : public ::testing::TestWithParam<std::size_t> {};

TEST_P(HwVariantCampaign, FindsItsClause) {
    const Variant &v = kVariants[GetParam()];
    double s = 0;
    auto r = campaign(variant_ops(GetParam()), 3000, 48, s);
    std::printf("[ campaign ] %s: %.3f s, found:%s\n", v.name, s, found(r).c_str());
    EXPECT_TRUE(r.errors.empty()) << r.errors.front();
    if (v.mut == Mut::none) {
        EXPECT_TRUE(r.findings.empty()) << v.name << " found:" << found(r);
        return;
    }
    std::size_t expected = 0;
    for (const auto &[clause, f] : r.findings) {
        // A hardware bug never shows as an API clause; a DMA that a served
        // fault retries is a DMA too (IOPF-1, IOPF-7).
        EXPECT_TRUE(ref::clause(clause).group == ref::ClauseGroup::HW ||
                    clause == ClauseId::IOPF_1 || clause == ClauseId::IOPF_7)
            << v.name << ": " << ref::clause_id(clause) << ": " << f.message;
        if (std::find(v.campaign.begin(), v.campaign.end(), clause) == v.campaign.end()) continue;
        ++expected;
        // The reproducer replays to the same clause at the same step, and is
        // conformant on the unmutated driver.
        engine::RunStats stats;
        auto again =
            engine::run_differential(variant_ops(GetParam()), f.trace, stats, kDynamicOnly);
        ASSERT_TRUE(again.has_value()) << v.name;
        EXPECT_EQ(again->clause, clause);
        EXPECT_EQ(again->step, f.step);
        EXPECT_FALSE(engine::run_differential(base(v.driver), f.trace, stats).has_value())
            << engine::print_trace(f.trace);
    }
    EXPECT_GT(expected, 0u) << v.name << ": none of its clauses found; found:" << found(r);
}

INSTANTIATE_TEST_SUITE_P(Variants, HwVariantCampaign,
                         ::testing::Range<std::size_t>(0, kNumVariants),
                         [](const ::testing::TestParamInfo<std::size_t> &p) {
                             return std::string(kVariants[p.param].name);
                         });

// --- the unmutated drivers: conformant, and every HW clause exercised ---

void expect_clean_and_exercised(const svac_driver_ops &ops) {
    double s = 0;
    auto r = campaign(ops, 3000, 48, s);
    std::printf("[ campaign ] %s unmutated: %.3f s, %llu steps\n", ops.name, s,
                static_cast<unsigned long long>(r.stats.steps));
    EXPECT_EQ(r.sequences, 3000u);
    EXPECT_TRUE(r.errors.empty()) << r.errors.front();
    EXPECT_TRUE(r.findings.empty()) << ops.name << " found:" << found(r);
    for (ClauseId c :
         {ClauseId::HW_1, ClauseId::HW_2, ClauseId::HW_3, ClauseId::HW_5, ClauseId::HW_6,
          ClauseId::HW_8, ClauseId::HW_9, ClauseId::MMEXIT_2, ClauseId::UNBIND_2})
        EXPECT_GT(r.stats.checks[c], 0u)
            << ops.name << ": " << ref::clause_id(c) << " never checked";
}

TEST(HwUnmutated, SmmuConformantAndHwClausesExercised) {
    expect_clean_and_exercised(base("smmuv3"));
}

TEST(HwUnmutated, VtdConformantAndHwClausesExercised) {
    expect_clean_and_exercised(base("vtd"));
}

// A DMA to a bound page the CPU changed since mapping it counts as an HW-4
// check (besides HW-1).
TEST(HwUnmutated, Hw4ChecksAreCounted) {
    for (const char *d : {"smmuv3", "vtd"}) {
        double s = 0;
        auto r = campaign(base(d), 3000, 48, s);
        EXPECT_GT(r.stats.checks[ClauseId::HW_4], 0u) << d;
    }
}

} // namespace
