// judge_tables (SMMU-*, VTD-*) over the bundled SMMUv3 and VT-d drivers:
// nothing to find in conformant runs, scripted or generated; and each rule
// caught, under its clause, in a driver whose platform corrupts one store or
// command in a way real drivers have been known to get wrong.
#include "engine/driver.h"
#include "engine/engine.h"
#include "engine/generator.h"
#include "models/registry.h"
#include "reference/invariants.h"
#include "reference/pagetable.h"
#include "reference/smmuv3_format.h"
#include "reference/table_rules.h"
#include "reference/vtd_format.h"
#include "tests/support/driver_wrap.h"
#include "tests/support/ops.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

using namespace svac;
using ref::ClauseId;
using ref::Op;
using ref::OpKind;

namespace {

namespace sm = ref::smmuv3;
namespace vt = ref::vtd;

// ---- ops ----

using test_support::bind;
using test_support::enable;
using test_support::mm_exit;
using test_support::param;
using test_support::unbind;

Op feature_op(OpKind k, uint32_t dev) {
    Op o;
    o.kind = k;
    o.dev = dev;
    o.feat = SVAC_FEAT_SVA;
    return o;
}
Op disable(uint32_t dev) {
    return feature_op(OpKind::disable_feature, dev);
}
Op unbind_pasid(uint32_t dev, uint32_t pasid) {
    Op o;
    o.kind = OpKind::unbind;
    o.dev = dev;
    o.pasid = {false, pasid};
    return o;
}

// ---- topologies ----

// d0: 20-bit PCIe with PRI and ATS (2-level CD table); d1: a stalling
// platform device with 4-bit SSIDs; d2: 8-bit PCIe with PRI, no ATS (a
// linear CD table of 256).
ref::Topology smmu_topology() {
    ref::Topology t;
    t.iommus.push_back({ref::Arch::smmuv3, 20, true});
    t.devices.push_back({0, 20, true, false, true});
    t.devices.push_back({0, 4, false, true, false});
    t.devices.push_back({0, 8, true, false, false});
    t.mms = 3;
    return t;
}

// d0: 20-bit with PRI and ATS; d1: 8-bit with PRI.
ref::Topology vtd_topology() {
    ref::Topology t;
    t.iommus.push_back({ref::Arch::vtd, 20, true});
    t.devices.push_back({0, 20, true, false, true});
    t.devices.push_back({0, 8, true, false, false});
    t.mms = 3;
    return t;
}

// ---- the corrupting wrapper ----

enum class Corrupt : uint8_t {
    none,
    // SMMUv3
    ste_cdmax_short,  // enable: S1CDMax one short of the device's width
    ste_reserved_bit, // enable: STE q0 bit 56 (RES0) set
    ste_misaligned,   // enable: S1ContextPtr 64 bytes past the CD table's base
    cd_wrong_ttb0,    // bind: TTB0 one page off the mm's pgd
    cd_reserved_bit,  // bind: CD q1 bit 56 (RES0) set
    ste_spec_fields,  // enable: the STE gets PARTID, PMG, IMPDEF, VMSPtr and S2POI
    cd_spec_fields,   // bind: the CD gets PnCH, EPAN and HWU059
    pe_spec_fields,   // bind: the PASID entry gets SSEE, CD/EMTE/EMT/PWT/PCD, PAT and SMEP
    cd_borrowed_asid, // bind: the CD takes ASID 1 (mm 0's) for another mm
    cd_shared_aset,   // bind: ASET=0, the ASID set shared with the PEs
    release_skipped,  // mm exit: the CD stays as it was
    unbind_cd_kept,   // unbind: the CD stays valid
    l1cd_invalid,     // bind: the L1CD is written with V=0
    l1cd_no_cfgi,     // bind: no non-leaf CFGI_CD after installing a leaf
    cd0_written,      // bind: every CD store lands in CD[0] too
    disable_abort,    // disable: an abort STE in place of bypass
    drop_cfgi_cd,     // bind: no leaf CFGI_CD
    drop_cfgi_ste,    // enable: no CFGI_STE
    drop_tlbi,        // unbind: no TLBI_NH_ASID
    drop_atc_inv,     // unbind: no ATC_INV
    // VT-d
    ctx_no_pre,     // enable: PRE left clear
    pde_rewritten,  // bind: the PASID table is reallocated and the PDE rewritten
    pde_aliased,    // bind: a new PDE points at PDE 0's table
    pe_pgtt_second, // bind: PGTT=2 (second stage) in the entry
    pe_exit_no_fpd, // mm exit: the entry cleared without FPD
    pe_unbind_kept, // unbind: the entry stays present
    pe_no_wait,     // unbind: no invalidation wait
    pe_no_devtlb,   // unbind: no device-TLB invalidation
    pe_wrong_did,   // unbind: the PASID-cache invalidation names DID + 1
};

struct Wrap {
    const svac_driver_ops *inner_ops = nullptr;
    void *inner = nullptr;
    const svac_platform *p = nullptr; // the harness's
    svac_platform mine{};             // what the inner driver sees
    Corrupt what = Corrupt::none;
    OpKind phase = OpKind::count_; // the API call in progress
    uint32_t dev = 0, mm = 0;
};

// create() takes no argument of ours: the next wrapper's setup.
Corrupt g_corrupt = Corrupt::none;
const svac_driver_ops *g_inner = nullptr;

Wrap &self(void *ctx) {
    return *static_cast<Wrap *>(ctx);
}

struct Phase {
    Wrap &w;
    Phase(Wrap &wrap, OpKind k, uint32_t d, uint32_t m) : w(wrap) {
        w.phase = k;
        w.dev = d;
        w.mm = m;
    }
    ~Phase() { w.phase = OpKind::count_; }
};

uint64_t rd(const Wrap &w, uint64_t pa) {
    return w.p->read64(w.p->ctx, pa);
}
void wr(const Wrap &w, uint64_t pa, uint64_t val) {
    w.p->write64(w.p->ctx, pa, val);
}

// SMMUv3: the STE of dev and the CD table it points at.
uint64_t smmu_ste(const Wrap &w, uint32_t dev) {
    uint64_t base = w.p->read_reg(w.p->ctx, 0, SVAC_SMMU_STRTAB_BASE);
    return (base & sm::reg::STRTAB_ADDR.mask()) + 64ull * dev;
}
uint64_t smmu_cd_table(const Wrap &w, uint32_t dev) {
    return rd(w, smmu_ste(w, dev)) & sm::ste::S1ContextPtr.mask();
}

// VT-d: the PASID directory of dev (bus 0).
uint64_t vtd_dir(const Wrap &w, uint32_t dev) {
    uint64_t rta = w.p->read_reg(w.p->ctx, 0, SVAC_VTD_RTADDR) & vt::rtaddr::RTA.mask();
    uint64_t ctp = rd(w, rta) & vt::root::LCTP.mask();
    return rd(w, ctp + 32ull * dev) & vt::context::PASIDDIRPTR.mask();
}

bool smmu_ste_q0(uint64_t v, uint64_t config) {
    return ref::get(&v, sm::ste::V) && ref::get(&v, sm::ste::Config) == config;
}

// False: the store is dropped.
bool on_store(Wrap &w, uint64_t pa, uint64_t &val) {
    const OpKind ph = w.phase;
    switch (w.what) {
    case Corrupt::ste_cdmax_short:
        if (ph == OpKind::enable_feature && smmu_ste_q0(val, sm::ste::CONFIG_S1_TRANS))
            ref::set(&val, sm::ste::S1CDMax, ref::get(&val, sm::ste::S1CDMax) - 1);
        break;
    case Corrupt::ste_reserved_bit:
        if (ph == OpKind::enable_feature && smmu_ste_q0(val, sm::ste::CONFIG_S1_TRANS))
            val |= uint64_t{1} << 56;
        break;
    case Corrupt::ste_misaligned:
        if (ph == OpKind::enable_feature && smmu_ste_q0(val, sm::ste::CONFIG_S1_TRANS))
            val += uint64_t{1} << sm::ste::S1ContextPtr.lo;
        break;
    case Corrupt::cd_wrong_ttb0:
    case Corrupt::cd_reserved_bit: {
        svac_mm_info info{};
        w.p->mm_info(w.p->ctx, w.mm, &info);
        if (ph == OpKind::bind && val == info.pgd)
            val = w.what == Corrupt::cd_wrong_ttb0 ? val + 0x1000 : val | uint64_t{1} << 56;
        break;
    }
    case Corrupt::ste_spec_fields:
        if (ph == OpKind::enable_feature && smmu_ste_q0(val, sm::ste::CONFIG_S1_TRANS)) {
            uint64_t q[8] = {};
            ref::set(q, sm::ste::IMPDEF, 0xab);
            ref::set(q, sm::ste::PARTID, 5);
            ref::set(q, sm::ste::PMG, 3);
            ref::set(q, sm::ste::VMSPtr, 0x1234);
            ref::set(q, sm::ste::S2POI, 0x77);
            for (unsigned i = 4; i < 8; ++i) wr(w, pa + 8 * i, q[i]);
        }
        break;
    case Corrupt::cd_spec_fields: {
        svac_mm_info info{};
        w.p->mm_info(w.p->ctx, w.mm, &info);
        if (ph == OpKind::bind && val == info.pgd)
            val |= sm::cd::PnCH.mask() | sm::cd::EPAN.mask() | sm::cd::HWU059.mask();
        break;
    }
    case Corrupt::pe_spec_fields:
        if (ph == OpKind::bind && ref::get(&val, vt::pasid_entry::P) &&
            ref::get(&val, vt::pasid_entry::PGTT) == vt::pasid_entry::kPgttFirstStage) {
            // q1 and q2 first, while the entry is not present; q0 last.
            uint64_t q[3] = {val, rd(w, pa + 8), rd(w, pa + 16)};
            ref::set(q, vt::pasid_entry::SSEE, 1);
            for (const ref::Field *f :
                 {&vt::pasid_entry::CD, &vt::pasid_entry::EMTE, &vt::pasid_entry::PWT,
                  &vt::pasid_entry::PCD, &vt::pasid_entry::SMEP})
                ref::set(q, *f, 1);
            ref::set(q, vt::pasid_entry::EMT, 6);
            ref::set(q, vt::pasid_entry::PAT, 0x0007040600070406);
            wr(w, pa + 8, q[1]);
            wr(w, pa + 16, q[2]);
            val = q[0];
        }
        break;
    case Corrupt::cd_borrowed_asid:
        if (ph == OpKind::bind && w.mm != 0 && ref::get(&val, sm::cd::ASID) == w.mm + 1)
            ref::set(&val, sm::cd::ASID, 1);
        break;
    case Corrupt::cd_shared_aset:
        if (ph == OpKind::bind && ref::get(&val, sm::cd::V) &&
            ref::get(&val, sm::cd::ASID) == w.mm + 1)
            ref::set(&val, sm::cd::ASET, 0);
        break;
    case Corrupt::release_skipped:
        return ph != OpKind::mm_exit;
    case Corrupt::unbind_cd_kept:
    case Corrupt::pe_unbind_kept:
        return ph != OpKind::unbind;
    case Corrupt::l1cd_invalid:
        if (ph == OpKind::bind && pa - smmu_cd_table(w, w.dev) < 8 * 1024) val &= ~uint64_t{1};
        break;
    case Corrupt::cd0_written: {
        uint64_t table = smmu_cd_table(w, w.dev);
        if (ph == OpKind::bind && pa - table >= 64 && pa - table < 64 * 256)
            wr(w, table + (pa - table) % 64, val);
        break;
    }
    case Corrupt::disable_abort:
        if (ph == OpKind::disable_feature && smmu_ste_q0(val, sm::ste::CONFIG_BYPASS))
            ref::set(&val, sm::ste::Config, sm::ste::CONFIG_ABORT);
        break;
    case Corrupt::ctx_no_pre:
        if (ph == OpKind::enable_feature && ref::get(&val, vt::context::PASIDE))
            ref::set(&val, vt::context::PRE, 0);
        break;
    case Corrupt::pde_aliased: {
        uint64_t dir = vtd_dir(w, w.dev);
        if (ph == OpKind::bind && pa > dir && pa - dir < 8 * 512 && (val & 1)) val = rd(w, dir);
        break;
    }
    case Corrupt::pe_pgtt_second:
        if (ph == OpKind::bind && ref::get(&val, vt::pasid_entry::P) &&
            ref::get(&val, vt::pasid_entry::PGTT) == vt::pasid_entry::kPgttFirstStage)
            ref::set(&val, vt::pasid_entry::PGTT, vt::pasid_entry::kPgttSecondStage);
        break;
    case Corrupt::pe_exit_no_fpd:
        if (ph == OpKind::mm_exit && val == vt::pasid_entry::FPD.mask()) val = 0;
        break;
    default:
        break;
    }
    return true;
}

// False: the command is dropped.
bool on_cmd(Wrap &w, uint64_t *q) {
    const OpKind ph = w.phase;
    const uint64_t op = ref::get(q, sm::cmd::Opcode);
    const uint64_t type = ref::get(q, vt::inv_cc::Type);
    switch (w.what) {
    case Corrupt::l1cd_no_cfgi:
        return !(ph == OpKind::bind && op == sm::cmd::CFGI_CD && !ref::get(q, sm::cmd::Leaf));
    case Corrupt::drop_cfgi_cd:
        return !(ph == OpKind::bind && op == sm::cmd::CFGI_CD);
    case Corrupt::drop_cfgi_ste:
        return !(ph == OpKind::enable_feature && op == sm::cmd::CFGI_STE);
    case Corrupt::drop_tlbi:
        return !(ph == OpKind::unbind && op == sm::cmd::TLBI_NH_ASID);
    case Corrupt::drop_atc_inv:
        return !(ph == OpKind::unbind && op == sm::cmd::ATC_INV);
    case Corrupt::pe_no_wait:
        return !(ph == OpKind::unbind && type == vt::inv_wait::kType);
    case Corrupt::pe_no_devtlb:
        return !(ph == OpKind::unbind && type == vt::inv_pdevtlb::kType);
    case Corrupt::pe_wrong_did:
        if (ph == OpKind::unbind && type == vt::inv_pc::kType)
            ref::set(q, vt::inv_pc::DID, ref::get(q, vt::inv_pc::DID) + 1);
        return true;
    default:
        return true;
    }
}

// After a bind: the PASID table behind the bond's PDE moves to a fresh copy.
void after_bind(Wrap &w, uint32_t pasid) {
    if (w.what != Corrupt::pde_rewritten) return;
    uint64_t pde_pa = vtd_dir(w, w.dev) + 8ull * (pasid >> 6);
    uint64_t old_table = rd(w, pde_pa) & vt::pde::PTPTR.mask();
    uint64_t table = w.p->alloc(w.p->ctx, 4096, 4096);
    for (unsigned i = 0; i < 512; ++i)
        if (uint64_t v = rd(w, old_table + 8 * i)) wr(w, table + 8 * i, v);
    wr(w, pde_pa, table | 1);
}

const svac_platform *real_of(void *ctx) {
    return self(ctx).p;
}
const svac_driver_ops *ops_of(void *drv) {
    return self(drv).inner_ops;
}
void *inner_of(void *drv) {
    return self(drv).inner;
}

svac_platform wrap_platform(Wrap *w) {
    svac_platform m = *w->p;
    m.ctx = w;
    m.alloc = [](void *c, uint64_t b, uint64_t a) {
        return self(c).p->alloc(self(c).p->ctx, b, a);
    };
    m.free = [](void *c, uint64_t pa) { self(c).p->free(self(c).p->ctx, pa); };
    m.read64 = [](void *c, uint64_t pa) { return rd(self(c), pa); };
    m.write64 = [](void *c, uint64_t pa, uint64_t val) {
        if (on_store(self(c), pa, val)) wr(self(c), pa, val);
    };
    m.write_reg = [](void *c, uint32_t i, uint32_t off, uint64_t val) {
        self(c).p->write_reg(self(c).p->ctx, i, off, val);
    };
    m.read_reg = [](void *c, uint32_t i, uint32_t off) {
        return self(c).p->read_reg(self(c).p->ctx, i, off);
    };
    m.submit_cmd = [](void *c, uint32_t i, const uint64_t *cmd, uint32_t n) -> int {
        uint64_t q[4] = {};
        for (uint32_t k = 0; k < n && k < 4; ++k) q[k] = cmd[k];
        if (!on_cmd(self(c), q)) return 0;
        return self(c).p->submit_cmd(self(c).p->ctx, i, q, n);
    };
    m.mm_info = [](void *c, uint32_t mm, svac_mm_info *info) {
        return self(c).p->mm_info(self(c).p->ctx, mm, info);
    };
    test_support::forward_fault_platform<&real_of>(m);
    return m;
}

void *w_create(const svac_platform *p, const svac_topology *t) {
    auto *w = new Wrap;
    w->inner_ops = g_inner;
    w->p = p;
    w->what = g_corrupt;
    w->mine = wrap_platform(w);
    w->inner = w->inner_ops->create(&w->mine, t);
    if (!w->inner) {
        delete w;
        return nullptr;
    }
    return w;
}
void w_destroy(void *d) {
    self(d).inner_ops->destroy(self(d).inner);
    delete &self(d);
}
int w_has(void *d, uint32_t dev, uint32_t feat) {
    return self(d).inner_ops->dev_has_feat(self(d).inner, dev, feat);
}
int w_enabled(void *d, uint32_t dev, uint32_t feat) {
    return self(d).inner_ops->dev_feat_enabled(self(d).inner, dev, feat);
}
int w_enable(void *d, uint32_t dev, uint32_t feat) {
    Phase ph(self(d), OpKind::enable_feature, dev, 0);
    return self(d).inner_ops->dev_enable_feat(self(d).inner, dev, feat);
}
int w_disable(void *d, uint32_t dev, uint32_t feat) {
    Phase ph(self(d), OpKind::disable_feature, dev, 0);
    return self(d).inner_ops->dev_disable_feat(self(d).inner, dev, feat);
}
int w_param(void *d, uint32_t dev, uint32_t min, uint32_t max) {
    return self(d).inner_ops->set_sva_param(self(d).inner, dev, min, max);
}
int w_bind(void *d, uint32_t dev, uint32_t mm, uint32_t *pasid, svac_mm_exit_fn fn, void *ctx,
           uint64_t drvdata) {
    Phase ph(self(d), OpKind::bind, dev, mm);
    int rc = self(d).inner_ops->bind_mm(self(d).inner, dev, mm, pasid, fn, ctx, drvdata);
    if (rc == 0) after_bind(self(d), *pasid);
    return rc;
}
int w_unbind(void *d, uint32_t dev, uint32_t pasid) {
    Phase ph(self(d), OpKind::unbind, dev, 0);
    return self(d).inner_ops->unbind_mm(self(d).inner, dev, pasid);
}
void w_release(void *d, uint32_t mm) {
    Phase ph(self(d), OpKind::mm_exit, 0, mm);
    self(d).inner_ops->mm_release(self(d).inner, mm);
}
void w_invalidate(void *d, uint32_t mm, uint64_t start, uint64_t end) {
    self(d).inner_ops->mm_invalidate_range(self(d).inner, mm, start, end);
}

svac_driver_ops wrapped_ops(const svac_driver_ops &inner) {
    svac_driver_ops o = inner;
    o.name = "corrupted";
    o.create = w_create;
    o.destroy = w_destroy;
    o.dev_has_feat = w_has;
    o.dev_enable_feat = w_enable;
    o.dev_disable_feat = w_disable;
    o.dev_feat_enabled = w_enabled;
    o.set_sva_param = w_param;
    o.bind_mm = w_bind;
    o.unbind_mm = w_unbind;
    o.mm_release = w_release;
    o.mm_invalidate_range = w_invalidate;
    test_support::forward_fault_ops<&ops_of, &inner_of>(o);
    return o;
}

const svac_driver_ops &bundled(const char *name) {
    return *models::find_bundled(name)->entry();
}

// ---- the world: a driver, its platform and the reference, in step ----

struct Step {
    std::optional<ref::Violation> ref; // the reference's own judgement
    std::optional<ref::Violation> tables;
};

class World {
public:
    World(const svac_driver_ops &ops, ref::Topology t)
        : topo_(std::move(t)), ref_(topo_, ref::default_profile()), inst_(ops, topo_) {}

    Step step(const Op &op) {
        const ref::Expectation exp = ref_.expect(op);
        engine::Platform &plat = inst_.platform();
        plat.call_record().clear();
        auto [obs, committed] = engine::execute(ref_, inst_, op, exp);
        if (overflow_next) plat.call_record().overflow = true;
        overflow_next = false;
        Step s;
        s.ref = ref_.judge(op, exp, obs, nullptr);
        // The reference follows the driver even where it erred, so that the
        // table rules judge the state the driver claims.
        if (!committed) ref_.commit(op, exp, obs);
        ref::HwView hw{plat.memory(), plat.call_record(), plat.iommu_models(), plat.mm_infos()};
        s.tables = ref::judge_tables(ref_, op, hw, &counters_);
        return s;
    }

    const ref::ClauseCounters &counters() const { return counters_; }
    bool overflow_next = false; // the next call's record overflows
    const ref::Reference &reference() const { return ref_; }

private:
    ref::Topology topo_;
    ref::Reference ref_;
    engine::DriverInstance inst_;
    ref::ClauseCounters counters_;
};

std::string show(const Op &op, const std::optional<ref::Violation> &v) {
    return std::string(ref::op_name(op.kind)) + ": " +
           (v ? std::string(ref::clause_id(v->clause)) + " " + v->message : "ok");
}

// Runs ops; every step must be clean (reference and tables).
void expect_clean(World &w, const std::vector<Op> &ops) {
    for (std::size_t i = 0; i < ops.size(); ++i) {
        Step s = w.step(ops[i]);
        EXPECT_FALSE(s.ref) << "step " << i << " " << show(ops[i], s.ref);
        EXPECT_FALSE(s.tables) << "step " << i << " " << show(ops[i], s.tables);
    }
}

// Runs ops against the corrupted driver: the first table violation, or none.
std::optional<ref::Violation> first_table_violation(const char *driver, ref::Topology t,
                                                    Corrupt what, const std::vector<Op> &ops) {
    g_inner = &bundled(driver);
    g_corrupt = what;
    svac_driver_ops wrapped = wrapped_ops(bundled(driver));
    World w(wrapped, std::move(t));
    g_corrupt = Corrupt::none;
    for (const Op &op : ops)
        if (auto v = w.step(op).tables) return v;
    return std::nullopt;
}

// ---- conformant runs ----

std::vector<Op> smmu_script() {
    return {enable(0),    enable(1),    enable(2),    bind(0, 0),   bind(0, 1),   bind(1, 0),
            bind(1, 1),   bind(2, 2),   bind(0, 0),   bind(2, 0),   unbind(0, 0), unbind(0, 0),
            mm_exit(1),   unbind(0, 1), unbind(1, 1), unbind(2, 2), bind(0, 2),   unbind(1, 0),
            unbind(2, 0), unbind(0, 2), unbind(0, 2), disable(0),   disable(1),   disable(2),
            enable(0),    bind(0, 0),   mm_exit(0),   mm_exit(0),   unbind(0, 0), disable(0)};
}

std::vector<Op> vtd_script() {
    return {enable(0),         enable(1),    bind(0, 0),   bind(0, 1),   bind(1, 0),
            bind(1, 1),        bind(0, 0),   unbind(0, 0), unbind(0, 0), mm_exit(1),
            unbind(0, 1),      unbind(1, 1), bind(1, 2),   unbind(1, 0), unbind(1, 2),
            param(0, 64, 200), bind(0, 2),   unbind(0, 2), disable(0),   disable(1),
            enable(0),         bind(0, 0),   mm_exit(0),   unbind(0, 0), disable(0)};
}

TEST(TableRules, ConformantSmmuv3Script) {
    World w(bundled("smmuv3"), smmu_topology());
    expect_clean(w, smmu_script());
    for (ClauseId c : {ClauseId::SMMU_STE_1, ClauseId::SMMU_CD_1, ClauseId::SMMU_CD_2,
                       ClauseId::SMMU_CD_3, ClauseId::SMMU_CD_4, ClauseId::SMMU_CD_5,
                       ClauseId::SMMU_ASID_1, ClauseId::SMMU_CMD_1, ClauseId::SMMU_CMD_2})
        EXPECT_GT(w.counters()[c], 0u) << ref::clause_id(c) << " never evaluated";
}

// Where the CD shares the CPU's ASID (the profiles before linux-6.12), Linux
// writes ASET=0, the set broadcast TLB maintenance reaches (v6.1
// arm_smmu_write_ctx_desc: `cd->mm ? 0 : CTXDESC_CD_0_ASET`); SMMU-CD-1
// allows it. (Under linux-6.12 a private ASID keeps ASET=1: the 6.12 plugin's
// campaign checks SMMU-CD-1 passes.)
TEST(TableRules, SharedAsidCdMayUseTheSharedSet) {
    g_inner = &bundled("smmuv3");
    g_corrupt = Corrupt::cd_shared_aset;
    svac_driver_ops wrapped = wrapped_ops(bundled("smmuv3"));
    World w(wrapped, smmu_topology());
    g_corrupt = Corrupt::none;
    expect_clean(w, smmu_script());
    EXPECT_GT(w.counters()[ClauseId::SMMU_CD_1], 0u);
}

TEST(TableRules, ConformantVtdScript) {
    World w(bundled("vtd"), vtd_topology());
    expect_clean(w, vtd_script());
    for (ClauseId c : {ClauseId::VTD_CTX_1, ClauseId::VTD_PDE_1, ClauseId::VTD_PE_1,
                       ClauseId::VTD_PE_2, ClauseId::VTD_PE_3, ClauseId::VTD_PE_4})
        EXPECT_GT(w.counters()[c], 0u) << ref::clause_id(c) << " never evaluated";
}

TEST(TableRules, OnlyTableOpsAreJudged) {
    World w(bundled("smmuv3"), smmu_topology());
    expect_clean(w, {enable(0), bind(0, 0)});
    ref::ClauseCounters before = w.counters();
    expect_clean(w, {feature_op(OpKind::has_feature, 0), param(1, 1, 3)});
    for (std::size_t i = 0; i < ref::kClauseCount; ++i)
        EXPECT_EQ(w.counters()[static_cast<ClauseId>(i)], before[static_cast<ClauseId>(i)]);
}

TEST(TableRules, UnbindOfUnknownPasidIsClean) {
    World w(bundled("smmuv3"), smmu_topology());
    expect_clean(w, {enable(2), bind(2, 0), unbind_pasid(2, 77), unbind_pasid(2, 0), unbind(2, 0),
                     unbind(2, 0)});
}

void generated_runs(uint32_t arch, uint64_t seeds) {
    engine::GenConfig cfg;
    cfg.arch_mask = 1u << arch;
    cfg.ops = 40;
    const char *driver = arch == SVAC_ARCH_VTD ? "vtd" : "smmuv3";
    for (uint64_t seed = 0; seed < seeds; ++seed) {
        engine::Rng rng(engine::Rng::derive(0x7ab1e5, seed));
        engine::Trace t = engine::generate_trace(rng, cfg);
        World w(bundled(driver), t.topology);
        for (std::size_t i = 0; i < t.ops.size(); ++i) {
            Step s = w.step(t.ops[i]);
            ASSERT_FALSE(s.ref) << "seed " << seed << " step " << i << " " << show(t.ops[i], s.ref)
                                << "\n"
                                << engine::print_trace(t);
            ASSERT_FALSE(s.tables)
                << "seed " << seed << " step " << i << " " << show(t.ops[i], s.tables) << "\n"
                << engine::print_trace(t);
        }
    }
}

TEST(TableRules, GeneratedSmmuv3RunsAreClean) {
    generated_runs(SVAC_ARCH_SMMUV3, 400);
}

TEST(TableRules, GeneratedVtdRunsAreClean) {
    generated_runs(SVAC_ARCH_VTD, 400);
}

// A record that overflowed is judged on the tables alone: a missing
// invalidation goes unseen, a CD left valid does not.
TEST(TableRules, OverflowedRecordJudgesTablesOnly) {
    g_inner = &bundled("smmuv3");
    svac_driver_ops wrapped = wrapped_ops(bundled("smmuv3"));
    for (Corrupt what : {Corrupt::drop_tlbi, Corrupt::unbind_cd_kept}) {
        g_corrupt = what;
        World w(wrapped, smmu_topology());
        g_corrupt = Corrupt::none;
        expect_clean(w, {enable(2), bind(2, 0)});
        w.overflow_next = true;
        Step s = w.step(unbind(2, 0));
        if (what == Corrupt::drop_tlbi) {
            EXPECT_FALSE(s.tables) << show(unbind(2, 0), s.tables);
        } else {
            ASSERT_TRUE(s.tables);
            EXPECT_EQ(s.tables->clause, ClauseId::SMMU_CD_3);
        }
    }
}

// ---- each rule, broken ----

struct Broken {
    const char *name;
    const char *driver;
    Corrupt what;
    ClauseId clause;
    std::vector<Op> ops;
    const char *formula = nullptr; // the invariant (reference/invariants.cpp) the message names
};

std::vector<Broken> broken_variants() {
    return {
        {"SteCdMaxShort", "smmuv3", Corrupt::ste_cdmax_short, ClauseId::SMMU_STE_1, {enable(0)}},
        {"SteReservedBit",
         "smmuv3",
         Corrupt::ste_reserved_bit,
         ClauseId::SMMU_STE_1,
         {enable(2)},
         "smmuv3.ste.reserved-zero"},
        {"SteMisalignedCdTable",
         "smmuv3",
         Corrupt::ste_misaligned,
         ClauseId::SMMU_STE_1,
         {enable(2)},
         "smmuv3.ste.ctxptr-aligned-linear"},
        {"CdWrongTtb0",
         "smmuv3",
         Corrupt::cd_wrong_ttb0,
         ClauseId::SMMU_CD_1,
         {enable(2), bind(2, 1)}},
        {"CdReservedBit",
         "smmuv3",
         Corrupt::cd_reserved_bit,
         ClauseId::SMMU_CD_1,
         {enable(0), bind(0, 0)},
         "smmuv3.cd.reserved-zero"},
        {"ReleaseCdSkipped",
         "smmuv3",
         Corrupt::release_skipped,
         ClauseId::SMMU_CD_2,
         {enable(2), bind(2, 0), mm_exit(0)}},
        {"CdKeptAfterUnbind",
         "smmuv3",
         Corrupt::unbind_cd_kept,
         ClauseId::SMMU_CD_3,
         {enable(2), bind(2, 0), unbind(2, 0)}},
        {"L1cdInvalid",
         "smmuv3",
         Corrupt::l1cd_invalid,
         ClauseId::SMMU_CD_4,
         {enable(0), bind(0, 0)}},
        {"L1cdNotInvalidated",
         "smmuv3",
         Corrupt::l1cd_no_cfgi,
         ClauseId::SMMU_CD_4,
         {enable(0), bind(0, 0)}},
        {"Cd0Written",
         "smmuv3",
         Corrupt::cd0_written,
         ClauseId::SMMU_CD_5,
         {enable(2), bind(2, 0)}},
        {"DisableToAbort",
         "smmuv3",
         Corrupt::disable_abort,
         ClauseId::SMMU_CD_5,
         {enable(2), disable(2)}},
        {"BorrowedAsid",
         "smmuv3",
         Corrupt::cd_borrowed_asid,
         ClauseId::SMMU_ASID_1,
         {enable(2), bind(2, 0), bind(2, 1)},
         "smmuv3.cd.asid-regime"},
        {"NoCfgiCd",
         "smmuv3",
         Corrupt::drop_cfgi_cd,
         ClauseId::SMMU_CMD_1,
         {enable(2), bind(2, 0)}},
        {"NoCfgiSte", "smmuv3", Corrupt::drop_cfgi_ste, ClauseId::SMMU_CMD_1, {enable(1)}},
        {"NoTlbiAtUnbind",
         "smmuv3",
         Corrupt::drop_tlbi,
         ClauseId::SMMU_CMD_2,
         {enable(2), bind(2, 0), unbind(2, 0)}},
        {"NoAtcInvAtUnbind",
         "smmuv3",
         Corrupt::drop_atc_inv,
         ClauseId::SMMU_CMD_2,
         {enable(0), bind(0, 0), bind(0, 1), unbind(0, 1)}},
        {"ContextWithoutPre", "vtd", Corrupt::ctx_no_pre, ClauseId::VTD_CTX_1, {enable(1)}},
        {"PdeRewritten",
         "vtd",
         Corrupt::pde_rewritten,
         ClauseId::VTD_PDE_1,
         {enable(0), bind(0, 0)}},
        {"PdeAliased",
         "vtd",
         Corrupt::pde_aliased,
         ClauseId::VTD_PDE_1,
         {param(0, 64, 100), enable(0), bind(0, 0)},
         "vtd.pde.ptr-distinct"},
        {"PasidEntrySecondStage",
         "vtd",
         Corrupt::pe_pgtt_second,
         ClauseId::VTD_PE_1,
         {enable(1), bind(1, 2)}},
        {"EntryKeptAfterUnbind",
         "vtd",
         Corrupt::pe_unbind_kept,
         ClauseId::VTD_PE_2,
         {enable(1), bind(1, 0), unbind(1, 0)}},
        {"NoWaitAtUnbind",
         "vtd",
         Corrupt::pe_no_wait,
         ClauseId::VTD_PE_2,
         {enable(1), bind(1, 0), unbind(1, 0)}},
        {"NoDevTlbInvAtUnbind",
         "vtd",
         Corrupt::pe_no_devtlb,
         ClauseId::VTD_PE_2,
         {enable(0), bind(0, 0), unbind(0, 0)}},
        {"ExitWithoutFpd",
         "vtd",
         Corrupt::pe_exit_no_fpd,
         ClauseId::VTD_PE_3,
         {enable(0), bind(0, 1), mm_exit(1)}},
        {"WrongDidInvalidated",
         "vtd",
         Corrupt::pe_wrong_did,
         ClauseId::VTD_PE_4,
         {enable(1), bind(1, 0), unbind(1, 0)}},
    };
}

class BrokenDriver : public ::testing::TestWithParam<Broken> {};

TEST_P(BrokenDriver, CaughtUnderItsClause) {
    const Broken &b = GetParam();
    ref::Topology t = std::string(b.driver) == "vtd" ? vtd_topology() : smmu_topology();
    auto v = first_table_violation(b.driver, t, b.what, b.ops);
    ASSERT_TRUE(v) << b.name << ": nothing found";
    EXPECT_EQ(ref::clause_id(v->clause), ref::clause_id(b.clause)) << v->message;
    EXPECT_FALSE(v->message.empty());
    if (b.formula) {
        EXPECT_NE(v->message.find(b.formula), std::string::npos) << v->message;
    }
    // The same ops through the wrapper without corruption are clean.
    EXPECT_FALSE(first_table_violation(b.driver, t, Corrupt::none, b.ops));
}

INSTANTIATE_TEST_SUITE_P(TableRules, BrokenDriver, ::testing::ValuesIn(broken_variants()),
                         [](const ::testing::TestParamInfo<Broken> &i) { return i.param.name; });

// ---- fields the specifications define are not reserved ----

// A driver that sets a field the architecture defines and SVA leaves free
// is not flagged for it: the run is clean under every rule.
TEST(TableRules, SpecFieldsSvaLeavesFreeAreAccepted) {
    EXPECT_FALSE(first_table_violation("smmuv3", smmu_topology(), Corrupt::ste_spec_fields,
                                       {enable(2), bind(2, 0)}));
    EXPECT_FALSE(first_table_violation("smmuv3", smmu_topology(), Corrupt::cd_spec_fields,
                                       {enable(2), bind(2, 0)}));
    EXPECT_FALSE(first_table_violation("vtd", vtd_topology(), Corrupt::pe_spec_fields,
                                       {enable(1), bind(1, 0)}));
}

// The same, entry by entry, against the per-entry formulas; and what stays
// reserved says why.
TEST(TableRules, SpecFieldsPassTheEntryFormulas) {
    uint64_t pe[8] = {};
    ref::set(pe, vt::pasid_entry::P, 1);
    ref::set(pe, vt::pasid_entry::PGTT, vt::pasid_entry::kPgttFirstStage);
    ref::set(pe, vt::pasid_entry::DID, 1);
    for (const ref::Field *f :
         {&vt::pasid_entry::SSEE, &vt::pasid_entry::CD, &vt::pasid_entry::EMTE,
          &vt::pasid_entry::EMT, &vt::pasid_entry::PWT, &vt::pasid_entry::PCD,
          &vt::pasid_entry::PAT, &vt::pasid_entry::SMEP})
        ref::set(pe, *f, 1);
    auto b = ref::inv::check_entry(vt::pasid_entry::kFormat, pe);
    EXPECT_FALSE(b) << b->message();

    uint64_t ste[8] = {};
    ref::set(ste, sm::ste::V, 1);
    ref::set(ste, sm::ste::Config, sm::ste::CONFIG_S1_TRANS);
    ref::set(ste, sm::ste::S1ContextPtr, 0x1000 >> 6);
    ref::set(ste, sm::ste::PARTID, 7);
    ref::set(ste, sm::ste::AssuredOnly, 1);
    b = ref::inv::check_entry(sm::ste::kFormat, ste);
    EXPECT_FALSE(b) << b->message();
    // MECID is RES0 outside the Realm stream table: named, with its reason.
    ref::set(ste, sm::ste::MECID, 1);
    b = ref::inv::check_entry(sm::ste::kFormat, ste);
    ASSERT_TRUE(b);
    EXPECT_EQ(b->formula->name, "smmuv3.ste.mecid-non-secure");

    uint64_t cd[8] = {};
    ref::set(cd, sm::cd::V, 1);
    ref::set(cd, sm::cd::ASID, 1);
    ref::set(cd, sm::cd::EPAN, 1);
    ref::set(cd, sm::cd::PnCH, 1);
    ref::set(cd, sm::cd::HWU16x, 3);
    b = ref::inv::check_entry(sm::cd::kFormat, cd);
    EXPECT_FALSE(b) << b->message();
    cd[1] |= uint64_t{1} << 57; // bits [121:120] are RES0
    b = ref::inv::check_entry(sm::cd::kFormat, cd);
    ASSERT_TRUE(b);
    EXPECT_EQ(b->formula->name, "smmuv3.cd.reserved-zero");
}

// A5: an L1STD Span of 12..31 is reserved (behaves as 0).
TEST(TableRules, L1stdSpanOutOfRange) {
    uint64_t l1 = 0;
    ref::set(&l1, sm::l1std::Span, 11);
    EXPECT_FALSE(ref::inv::check_entry(sm::l1std::kFormat, &l1));
    ref::set(&l1, sm::l1std::Span, 12);
    auto b = ref::inv::check_entry(sm::l1std::kFormat, &l1);
    ASSERT_TRUE(b);
    EXPECT_EQ(b->formula->name, "smmuv3.l1std.span");
    EXPECT_EQ(b->formula->clause, ClauseId::SMMU_STE_1);
}

// I1: where the second stage walks, AW is a width SAGAW lists; a
// first-stage entry's AW is not judged.
TEST(TableRules, PasidEntryAddressWidthAgainstSagaw) {
    uint64_t pe[8] = {};
    ref::set(pe, vt::pasid_entry::P, 1);
    ref::set(pe, vt::pasid_entry::DID, 1);
    ref::set(pe, vt::pasid_entry::PGTT, vt::pasid_entry::kPgttSecondStage);
    ref::set(pe, vt::pasid_entry::AW, vt::pasid_entry::kAw48);
    EXPECT_FALSE(ref::inv::check_entry(vt::pasid_entry::kFormat, pe));
    ref::set(pe, vt::pasid_entry::AW, 1); // 39-bit: not in the model's SAGAW
    auto b = ref::inv::check_entry(vt::pasid_entry::kFormat, pe);
    ASSERT_TRUE(b);
    EXPECT_EQ(b->formula->name, "vtd.pasid.aw-sagaw");
    ref::set(pe, vt::pasid_entry::PGTT, vt::pasid_entry::kPgttFirstStage);
    EXPECT_FALSE(ref::inv::check_entry(vt::pasid_entry::kFormat, pe));
}

} // namespace
