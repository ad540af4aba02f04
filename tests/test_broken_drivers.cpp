// Differential campaigns against broken drivers: the bundled SMMUv3 driver
// wrapped so that one call misbehaves. Each variant must be found under the
// clause it breaks, and the same campaign against the unmutated driver (and
// against the wrapper with no mutation) must find nothing.
#include "engine/campaign.h"
#include "models/registry.h"
#include "tests/support/driver_wrap.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

using namespace svac;
using ref::ClauseId;

namespace {

enum class Mut : uint8_t {
    none,
    // FEAT
    has_feature_always_true, // has_feature answers 1 for every device
    enable_incapable_ok,     // enable on an incapable device returns 0
    enable_twice_einval,     // a repeated enable returns -EINVAL
    enable_noop,             // enable returns 0 but does not enable
    query_disables,          // has_feature turns SVA off on an unbound device
    enabled_12345,           // feature_enabled answers 12345 for true
    disable_bound_ok,        // disable with bonds returns 0
    disable_disabled_ebusy,  // disabling a disabled feature returns -EBUSY
    disable_noop,            // disable returns 0 but leaves SVA on
    unknown_feature_enable,  // enabling an unknown feature returns 0
    // PARAM
    param_ignored,           // set_sva_param returns 0 and keeps the old limits
    param_min0_ok,           // min == 0 accepted
    param_bound_ok,          // set_sva_param with bonds returns 0 (and changes nothing)
    param_busy_other_device, // -EBUSY when any device is bound
    exclusive_max,           // the allocator takes the upper end of a range as exclusive
    // BIND
    bind_without_sva,         // bind enables SVA on the fly
    bind_other_device_fresh,  // a second device gets a fresh PASID for the mm
    bind_rebind_fresh,        // a rebind returns a fresh PASID
    bind_rebind_no_reference, // a rebind takes no reference
    bind_pasid_of_live_mm,    // a new mm gets the PASID of another live mm
    bind_exhausted_ebusy,     // -EBUSY in place of -ENOSPC
    bind_failed_keeps_ref,    // a failed bind of a bound mm leaves a reference
    bind_exited_ebusy,        // an exited mm's bind returns -EBUSY
    bind_pasid_zero,          // a new mm gets PASID 0
    bind_errno_pasid,         // a new mm gets (uint32_t)-EINVAL with rc 0
    bind_enospc_stored,       // -ENOSPC stored as the PASID, rc 0
    bind_two_pasids_max,      // the driver holds at most two PASIDs
    // UNBIND
    unbind_live_einval,  // unbind of a live bond returns -EINVAL (having unbound)
    unbind_frees_early,  // the PASID goes at the first device's unbind
    unbind_second_ok,    // a second unbind returns 0
    unbind_exited_esrch, // unbind after exit returns -ESRCH and keeps the bond
    // MMEXIT
    release_twice,            // every callback fires twice
    release_latest_drvdata,   // callbacks carry the drvdata of the latest bind
    release_frees_pasid,      // the PASID goes at exit
    release_unbound_callback, // callbacks also for bonds already unbound
};

struct Variant {
    const char *name;
    Mut mut;
    ClauseId clause; // where reference/clauses.def puts the bug
};

constexpr Variant kVariants[] = {
    {"HasFeatureAlwaysTrue", Mut::has_feature_always_true, ClauseId::FEAT_1},
    {"EnableIncapableSucceeds", Mut::enable_incapable_ok, ClauseId::FEAT_3},
    {"RepeatedEnableEinval", Mut::enable_twice_einval, ClauseId::FEAT_4},
    {"EnableDoesNotEnable", Mut::enable_noop, ClauseId::FEAT_5},
    {"QueryDisables", Mut::query_disables, ClauseId::FEAT_2},
    {"FeatureEnabledAnswers12345", Mut::enabled_12345, ClauseId::FEAT_5},
    {"DisableWithBondsSucceeds", Mut::disable_bound_ok, ClauseId::FEAT_6},
    {"DisableDisabledEbusy", Mut::disable_disabled_ebusy, ClauseId::FEAT_7},
    {"DisableDoesNotDisable", Mut::disable_noop, ClauseId::FEAT_10},
    {"UnknownFeatureEnables", Mut::unknown_feature_enable, ClauseId::FEAT_8},
    {"ParamIgnored", Mut::param_ignored, ClauseId::PARAM_1},
    {"ParamMinZeroAccepted", Mut::param_min0_ok, ClauseId::PARAM_2},
    {"ParamWhileBoundSucceeds", Mut::param_bound_ok, ClauseId::PARAM_3},
    {"ParamBusyForOtherDevice", Mut::param_busy_other_device, ClauseId::PARAM_4},
    {"ExclusiveUpperBound", Mut::exclusive_max, ClauseId::PASID_3},
    {"BindWithoutSva", Mut::bind_without_sva, ClauseId::BIND_1},
    {"BindFreshPasidOnOtherDevice", Mut::bind_other_device_fresh, ClauseId::BIND_3},
    {"RebindFreshPasid", Mut::bind_rebind_fresh, ClauseId::BIND_4},
    {"RebindTakesNoReference", Mut::bind_rebind_no_reference, ClauseId::BIND_4},
    {"BindPasidOfLiveMm", Mut::bind_pasid_of_live_mm, ClauseId::BIND_5},
    {"ExhaustedEbusy", Mut::bind_exhausted_ebusy, ClauseId::BIND_6},
    {"FailedBindKeepsReference", Mut::bind_failed_keeps_ref, ClauseId::BIND_7},
    {"BindExitedEbusy", Mut::bind_exited_ebusy, ClauseId::BIND_8},
    {"BindPasidZero", Mut::bind_pasid_zero, ClauseId::PASID_2},
    {"BindErrnoAsPasid", Mut::bind_errno_pasid, ClauseId::PASID_4},
    {"BindEnospcStoredAsPasid", Mut::bind_enospc_stored, ClauseId::PASID_4},
    {"TwoPasidsAtMost", Mut::bind_two_pasids_max, ClauseId::PASID_5},
    {"UnbindLiveEinval", Mut::unbind_live_einval, ClauseId::UNBIND_1},
    {"UnbindFreesPasidEarly", Mut::unbind_frees_early, ClauseId::UNBIND_3},
    {"SecondUnbindSucceeds", Mut::unbind_second_ok, ClauseId::UNBIND_4},
    {"UnbindAfterExitEsrch", Mut::unbind_exited_esrch, ClauseId::UNBIND_5},
    {"CallbacksTwice", Mut::release_twice, ClauseId::MMEXIT_1},
    {"CallbackLatestDrvdata", Mut::release_latest_drvdata, ClauseId::BIND_4},
    {"ReleaseFreesPasid", Mut::release_frees_pasid, ClauseId::MMEXIT_3},
    {"CallbackForUnboundBond", Mut::release_unbound_callback, ClauseId::MMEXIT_4},
};
constexpr std::size_t kNumVariants = std::size(kVariants);

const svac_driver_ops &base() {
    return *models::find_bundled("smmuv3")->entry();
}

// --- the wrapper: the inner driver plus a shadow of what it holds ------------

struct Wrapper {
    Mut mut;
    void *inner;
    uint32_t n_devs, n_mms;
    std::vector<uint32_t> width_max;         // per device: min(device, IOMMU) largest PASID
    std::vector<uint32_t> dev_width_max;     // per device: the device's own
    std::vector<uint32_t> lo, hi;            // per device: the limits the inner driver holds
    std::vector<uint32_t> refs;              // [dev * n_mms + mm], as the inner driver counts
    std::vector<uint64_t> latest_drvdata;    // [dev * n_mms + mm]
    std::vector<uint32_t> ever_pasid;        // [dev * n_mms + mm]: the PASID of its last bond
    std::vector<uint32_t> mm_pasid;          // per mm, 0: none
    std::vector<uint32_t> mm_bonds;          // per mm
    std::vector<bool> mm_exited, mm_partial; // per mm
    std::vector<uint32_t> early_freed;       // PASIDs the broken driver handed back too soon
    std::vector<std::pair<uint32_t, uint32_t>> ghosts;  // (dev, pasid): references left behind
    std::vector<std::pair<uint32_t, uint32_t>> unbound; // (dev, pasid) whose bond went
    svac_mm_exit_fn cb = nullptr;                       // the harness's callback
    void *cb_ctx = nullptr;
    uint32_t releasing = 0; // the mm in mm_release

    std::size_t slot(uint32_t dev, uint32_t mm) const { return std::size_t{dev} * n_mms + mm; }
    // The mm whose bond on dev has this PASID, or -1.
    int64_t bond_mm(uint32_t dev, uint32_t pasid) const {
        for (uint32_t mm = 0; mm < n_mms; ++mm)
            if (pasid && mm_pasid[mm] == pasid && refs[slot(dev, mm)]) return mm;
        return -1;
    }
    int64_t holder(uint32_t pasid) const {
        for (uint32_t mm = 0; mm < n_mms; ++mm)
            if (pasid && mm_pasid[mm] == pasid) return mm;
        return -1;
    }
    uint32_t range_lo(uint32_t dev) const { return std::max(1u, lo[dev]); }
    uint32_t range_hi(uint32_t dev) const { return std::min(width_max[dev], hi[dev]); }
    uint32_t dev_bonds(uint32_t dev) const {
        uint32_t n = 0;
        for (uint32_t mm = 0; mm < n_mms; ++mm) n += refs[slot(dev, mm)] > 0;
        return n;
    }
    bool any_bond() const {
        return std::any_of(refs.begin(), refs.end(), [](uint32_t r) { return r > 0; });
    }
};

Wrapper *W(void *drv) {
    return static_cast<Wrapper *>(drv);
}

uint32_t width(uint32_t bits) {
    return bits ? (1u << bits) - 1 : 0;
}

void *create_wrapper(Mut mut, const svac_platform *p, const svac_topology *t) {
    void *inner = base().create(p, t);
    if (!inner) return nullptr;
    auto *w = new Wrapper{};
    w->mut = mut;
    w->inner = inner;
    w->n_devs = t->n_devices;
    w->n_mms = t->n_mms;
    for (uint32_t d = 0; d < t->n_devices; ++d) {
        const svac_device_desc &dev = t->devices[d];
        w->dev_width_max.push_back(width(dev.pasid_bits));
        w->width_max.push_back(
            std::min(width(dev.pasid_bits), width(t->iommus[dev.iommu].pasid_bits)));
    }
    w->lo.assign(w->n_devs, 1);
    w->hi.assign(w->n_devs, UINT32_MAX);
    w->refs.assign(std::size_t{w->n_devs} * w->n_mms, 0);
    w->latest_drvdata.assign(w->refs.size(), 0);
    w->ever_pasid.assign(w->refs.size(), 0);
    w->mm_pasid.assign(w->n_mms, 0);
    w->mm_bonds.assign(w->n_mms, 0);
    w->mm_exited.assign(w->n_mms, false);
    w->mm_partial.assign(w->n_mms, false);
    if (mut == Mut::exclusive_max) // the allocator stops below the device's largest PASID
        for (uint32_t d = 0; d < w->n_devs; ++d)
            if (w->dev_width_max[d] > 1 &&
                base().set_sva_param(inner, d, 1, w->dev_width_max[d] - 1) == 0)
                w->hi[d] = w->dev_width_max[d] - 1;
    return w;
}

template <std::size_t I> void *wrap_create(const svac_platform *p, const svac_topology *t) {
    return create_wrapper(kVariants[I].mut, p, t);
}

void wrap_destroy(void *drv) {
    Wrapper *w = W(drv);
    base().destroy(w->inner);
    delete w;
}

int wrap_has_feat(void *drv, uint32_t dev, uint32_t feat) {
    Wrapper *w = W(drv);
    int rc = base().dev_has_feat(w->inner, dev, feat);
    if (w->mut == Mut::has_feature_always_true) return 1;
    if (w->mut == Mut::query_disables && feat == SVAC_FEAT_SVA && w->dev_bonds(dev) == 0)
        base().dev_disable_feat(w->inner, dev, feat);
    return rc;
}

int wrap_feat_enabled(void *drv, uint32_t dev, uint32_t feat) {
    Wrapper *w = W(drv);
    int rc = base().dev_feat_enabled(w->inner, dev, feat);
    if (w->mut == Mut::enabled_12345 && rc == 1) return 12345;
    return rc;
}

int wrap_enable_feat(void *drv, uint32_t dev, uint32_t feat) {
    Wrapper *w = W(drv);
    bool was_enabled = base().dev_feat_enabled(w->inner, dev, feat) == 1;
    bool capable = base().dev_has_feat(w->inner, dev, feat) == 1;
    if (w->mut == Mut::enable_noop && capable && !was_enabled) return 0;
    if (w->mut == Mut::enable_twice_einval && was_enabled) return -EINVAL;
    int rc = base().dev_enable_feat(w->inner, dev, feat);
    if (w->mut == Mut::enable_incapable_ok && feat == SVAC_FEAT_SVA && rc != 0) return 0;
    if (w->mut == Mut::unknown_feature_enable && feat != SVAC_FEAT_SVA) return 0;
    return rc;
}

int wrap_disable_feat(void *drv, uint32_t dev, uint32_t feat) {
    Wrapper *w = W(drv);
    bool was_enabled = base().dev_feat_enabled(w->inner, dev, feat) == 1;
    if (w->mut == Mut::disable_disabled_ebusy && feat == SVAC_FEAT_SVA && !was_enabled)
        return -EBUSY;
    if (w->mut == Mut::disable_noop && was_enabled && w->dev_bonds(dev) == 0) return 0;
    int rc = base().dev_disable_feat(w->inner, dev, feat);
    if (w->mut == Mut::disable_bound_ok && rc == -EBUSY) return 0;
    return rc;
}

int wrap_set_sva_param(void *drv, uint32_t dev, uint32_t min, uint32_t max) {
    Wrapper *w = W(drv);
    if (w->mut == Mut::param_busy_other_device && w->any_bond()) return -EBUSY;
    uint32_t inner_min = min, inner_max = max;
    if (w->mut == Mut::param_min0_ok && min == 0) inner_min = 1;
    int rc = base().set_sva_param(w->inner, dev, inner_min, inner_max);
    if (rc == 0) {
        if (w->mut == Mut::exclusive_max && max > min) { // the allocator stops below max
            inner_max = max - 1;
            base().set_sva_param(w->inner, dev, inner_min, inner_max);
        }
        w->lo[dev] = inner_min;
        w->hi[dev] = inner_max;
        if (w->mut == Mut::param_ignored) { // put the defaults back
            base().set_sva_param(w->inner, dev, 1, w->dev_width_max[dev]);
            w->lo[dev] = 1;
            w->hi[dev] = w->dev_width_max[dev];
        }
    }
    if (w->mut == Mut::param_bound_ok && rc == -EBUSY) return 0;
    return rc;
}

void wrap_callback(void *ctx, uint32_t dev, uint32_t pasid, uint64_t drvdata) {
    Wrapper *w = W(ctx);
    if (w->mut == Mut::release_latest_drvdata)
        drvdata = w->latest_drvdata[w->slot(dev, w->releasing)];
    w->cb(w->cb_ctx, dev, pasid, drvdata);
    if (w->mut == Mut::release_twice) w->cb(w->cb_ctx, dev, pasid, drvdata);
}

// A PASID the broken driver believes free though an mm still holds it, in
// dev's range.
uint32_t early_freed_pasid(const Wrapper *w, uint32_t dev, uint32_t mm) {
    for (uint32_t p : w->early_freed) {
        int64_t h = w->holder(p);
        if (h >= 0 && h != mm && p >= w->range_lo(dev) && p <= w->range_hi(dev)) return p;
    }
    return 0;
}

int wrap_bind(void *drv, uint32_t dev, uint32_t mm, uint32_t *pasid, svac_mm_exit_fn mm_exit,
              void *cb_ctx, uint64_t drvdata) {
    Wrapper *w = W(drv);
    w->cb = mm_exit;
    w->cb_ctx = cb_ctx;
    const std::size_t s = w->slot(dev, mm);
    const bool rebind = w->refs[s] > 0;
    const bool new_mm = w->mm_pasid[mm] == 0;
    const bool enabled = base().dev_feat_enabled(w->inner, dev, SVAC_FEAT_SVA) == 1;

    if (w->mut == Mut::bind_without_sva && !enabled)
        base().dev_enable_feat(w->inner, dev, SVAC_FEAT_SVA);
    if (w->mut == Mut::bind_two_pasids_max && new_mm && enabled && !w->mm_exited[mm] &&
        std::count_if(w->mm_pasid.begin(), w->mm_pasid.end(), [](uint32_t p) { return p; }) >= 2)
        return -ENOSPC;

    int rc = base().bind_mm(w->inner, dev, mm, pasid, &wrap_callback, w, drvdata);
    if (rc != 0) {
        if (w->mut == Mut::bind_failed_keeps_ref && !new_mm)
            w->ghosts.push_back({dev, w->mm_pasid[mm]});
        if (w->mut == Mut::bind_exhausted_ebusy && rc == -ENOSPC) return -EBUSY;
        if (w->mut == Mut::bind_exited_ebusy && rc == -ESRCH) return -EBUSY;
        if (w->mut == Mut::bind_enospc_stored && rc == -ENOSPC) {
            *pasid = static_cast<uint32_t>(-ENOSPC);
            return 0;
        }
        return rc;
    }

    // The shadow follows the inner driver.
    if (!rebind) {
        ++w->mm_bonds[mm];
        std::erase(w->unbound, std::pair{dev, *pasid});
    }
    ++w->refs[s];
    w->mm_pasid[mm] = *pasid;
    w->latest_drvdata[s] = drvdata;
    w->ever_pasid[s] = *pasid;

    switch (w->mut) {
    case Mut::bind_rebind_fresh:
        if (rebind) *pasid += 1;
        break;
    case Mut::bind_rebind_no_reference:
        if (rebind) { // drop the reference just taken
            base().unbind_mm(w->inner, dev, *pasid);
            --w->refs[s];
        }
        break;
    case Mut::bind_other_device_fresh:
        if (!rebind && !new_mm) *pasid += 1;
        break;
    case Mut::bind_pasid_of_live_mm:
        if (new_mm)
            for (uint32_t other = 0; other < w->n_mms; ++other) {
                uint32_t p = w->mm_pasid[other];
                if (other != mm && p && !w->mm_exited[other] && !w->mm_partial[other] &&
                    p >= w->range_lo(dev) && p <= w->range_hi(dev)) {
                    *pasid = p;
                    break;
                }
            }
        break;
    case Mut::bind_pasid_zero:
        if (new_mm) *pasid = 0;
        break;
    case Mut::bind_errno_pasid:
        if (new_mm) *pasid = static_cast<uint32_t>(-EINVAL);
        break;
    case Mut::unbind_frees_early:
    case Mut::release_frees_pasid:
        if (new_mm)
            if (uint32_t p = early_freed_pasid(w, dev, mm)) *pasid = p;
        break;
    default:
        break;
    }
    return 0;
}

int wrap_unbind(void *drv, uint32_t dev, uint32_t pasid) {
    Wrapper *w = W(drv);
    const int64_t mm = w->bond_mm(dev, pasid);
    if (w->mut == Mut::unbind_exited_esrch && mm >= 0 && w->mm_exited[mm]) return -ESRCH;

    int rc = base().unbind_mm(w->inner, dev, pasid);
    if (rc != 0) {
        auto ghost = std::find(w->ghosts.begin(), w->ghosts.end(), std::pair{dev, pasid});
        if (w->mut == Mut::bind_failed_keeps_ref && ghost != w->ghosts.end()) {
            w->ghosts.erase(ghost);
            return 0;
        }
        if (w->mut == Mut::unbind_second_ok && std::find(w->unbound.begin(), w->unbound.end(),
                                                         std::pair{dev, pasid}) != w->unbound.end())
            return 0;
        return rc;
    }
    if (mm >= 0) {
        const std::size_t s = w->slot(dev, static_cast<uint32_t>(mm));
        if (--w->refs[s] == 0) {
            w->unbound.push_back({dev, pasid});
            if (--w->mm_bonds[mm] == 0) {
                w->mm_pasid[mm] = 0;
                w->mm_partial[mm] = false;
                std::erase_if(w->ghosts, [&](const auto &g) { return g.second == pasid; });
            } else {
                w->mm_partial[mm] = true;
                if (w->mut == Mut::unbind_frees_early) w->early_freed.push_back(pasid);
            }
        }
    }
    if (w->mut == Mut::unbind_live_einval && mm >= 0 && !w->mm_exited[mm]) return -EINVAL;
    return 0;
}

void wrap_mm_release(void *drv, uint32_t mm) {
    Wrapper *w = W(drv);
    w->releasing = mm;
    base().mm_release(w->inner, mm);
    if (mm >= w->n_mms || w->mm_exited[mm]) return;
    w->mm_exited[mm] = true;
    if (w->mut == Mut::release_frees_pasid && w->mm_pasid[mm])
        w->early_freed.push_back(w->mm_pasid[mm]);
    if (w->mut == Mut::release_unbound_callback && w->cb)
        for (uint32_t dev = 0; dev < w->n_devs; ++dev) {
            std::size_t s = w->slot(dev, mm);
            if (w->refs[s] == 0 && w->ever_pasid[s])
                w->cb(w->cb_ctx, dev, w->ever_pasid[s], w->latest_drvdata[s]);
        }
}

const svac_driver_ops *ops_of(void *) {
    return &base();
}
void *inner_of(void *drv) {
    return W(drv)->inner;
}

// Ops appended to the ABI after version 1 are forwarded as they are.
void forward_later_ops(svac_driver_ops &ops) {
    ops.mm_invalidate_range = [](void *drv, uint32_t mm, uint64_t start, uint64_t end) {
        base().mm_invalidate_range(W(drv)->inner, mm, start, end);
    };
    test_support::forward_fault_ops<&ops_of, &inner_of>(ops);
}

template <std::size_t I> svac_driver_ops make_ops() {
    svac_driver_ops ops = base();
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
    forward_later_ops(ops);
    return ops;
}

const svac_driver_ops &variant_ops(std::size_t i) {
    static const auto all = test_support::ops_table<kNumVariants>(
        [](auto I) { return make_ops<decltype(I)::value>(); });
    return all[i];
}

// The wrapper with no mutation.
void *transparent_create(const svac_platform *p, const svac_topology *t) {
    return create_wrapper(Mut::none, p, t);
}

// The API clauses as the API shows them: with the table rules on, a bug
// such as an enable that does not enable is named earlier, by the STE it
// did not write (SMMU-STE-1; see test_table_rules.cpp).
const engine::RunOptions kApiAndDma{true, false};

engine::CampaignConfig config() {
    engine::CampaignConfig cfg;
    cfg.seed = 20190226;
    cfg.sequences = 2000;
    cfg.ops = 32;
    cfg.options = kApiAndDma;
    return cfg;
}

std::string found(const engine::CampaignResult &r) {
    std::string s;
    for (const auto &[clause, f] : r.findings)
        s += "\n  " + std::string(ref::clause_id(clause)) + " x" +
             std::to_string(r.occurrences.at(clause)) + " (step " + std::to_string(f.step) +
             "): " + f.message;
    return s.empty() ? " none" : s;
}

void expect_conformant(const svac_driver_ops &ops) {
    auto r = engine::run_campaign(ops, config());
    EXPECT_EQ(r.sequences, config().sequences);
    EXPECT_TRUE(r.errors.empty()) << r.errors.front();
    EXPECT_TRUE(r.findings.empty()) << "findings:" << found(r);
    EXPECT_GT(r.stats.steps, config().sequences);
}

TEST(BrokenDriverBaseline, UnmutatedDriverHasNoFinding) {
    expect_conformant(base());
}

TEST(BrokenDriverBaseline, WrapperWithoutMutationHasNoFinding) {
    svac_driver_ops ops = variant_ops(0);
    ops.name = "Transparent";
    ops.create = &transparent_create;
    expect_conformant(ops);
}

class BrokenDriver : public ::testing::TestWithParam<std::size_t> {};

TEST_P(BrokenDriver, FoundUnderItsClause) {
    const Variant &v = kVariants[GetParam()];
    const svac_driver_ops &ops = variant_ops(GetParam());
    auto r = engine::run_campaign(ops, config());
    EXPECT_TRUE(r.errors.empty()) << r.errors.front();
    auto it = r.findings.find(v.clause);
    ASSERT_NE(it, r.findings.end())
        << v.name << ": no " << ref::clause_id(v.clause) << " finding; found:" << found(r);
    // The reproducer replays: the same trace against the same driver gives
    // the same clause at the same step.
    engine::RunStats stats;
    auto again = engine::run_differential(ops, it->second.trace, stats, kApiAndDma);
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(again->clause, v.clause);
    EXPECT_EQ(again->step, it->second.step);
    // ... and against the unmutated driver it is conformant.
    EXPECT_FALSE(engine::run_differential(base(), it->second.trace, stats).has_value())
        << engine::print_trace(it->second.trace);
}

INSTANTIATE_TEST_SUITE_P(Variants, BrokenDriver, ::testing::Range<std::size_t>(0, kNumVariants),
                         [](const ::testing::TestParamInfo<std::size_t> &p) {
                             return std::string(kVariants[p.param].name);
                         });

// An errno stored as the PASID with rc 0 where the space is exhausted (the
// `ret < min` bug that PASID-4 is written for) is PASID-4,
// although the rc is wrong too (BIND-6).
TEST(BrokenDriverAttribution, EnospcStoredAsPasidIsPasid4) {
    std::size_t i = 0;
    while (kVariants[i].mut != Mut::bind_enospc_stored) ++i;
    auto r = engine::run_campaign(variant_ops(i), config());
    EXPECT_TRUE(r.findings.count(ClauseId::PASID_4)) << "found:" << found(r);
}

} // namespace
