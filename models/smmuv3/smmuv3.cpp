// SPDX-License-Identifier: MIT
//
// Bundled Arm SMMUv3 SVA driver model (profiles rfc2019, linux-5.3 and
// linux-6.1).
//
// The iommu_ops side of SVA for SMMUv3 masters: the SVA device feature,
// PASID limits, bonds between masters and mms, the mm release path and one
// global PASID space, and the tables behind them: a linear stream table per
// SMMU (bypass STEs for non-PASID traffic), a CD table per SVA master
// (linear, or two levels with 64 KiB leaves), a CD per bond sharing the
// CPU's page table, and the invalidation commands that go with each change.
// It sees the driver ABI only; all state hangs off the instance create()
// returns. The handle-based face (sva_bind, sva_unbind, sva_get_pasid) is
// the v5.3 to v6.1 arm-smmu-v3-sva.c on the same tables: under linux-6.1
// the mm's PASID comes from the core (iommu_sva_alloc_pasid) and the IOPF
// feature comes before SVA.

#include "models/smmuv3/cd_index.h"
#include "models/smmuv3/entry_writer.h"
#include "models/smmuv3/smmuv3_entries.h"
#include "models/smmuv3/smmuv3_regs.h"

#include <svac/driver_abi.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <set>
#include <stdexcept>
#include <utility>
#include <vector>

namespace {

using namespace arm_smmu;

// Seeded bugs (mutants): at most one is on, for the instance's lifetime.
enum arm_smmu_bug : uint32_t {
    BUG_NONE,
#define SVAC_MUTANT(id, ...) BUG_##id,
#include "models/smmuv3/smmuv3_mutants.def"
#undef SVAC_MUTANT
    NR_BUGS
};

static_assert(ARM_SMMU_CR0 == SVAC_SMMU_CR0 && CR0_SMMUEN == SVAC_SMMU_CR0_SMMUEN);
static_assert(ARM_SMMU_STRTAB_BASE == SVAC_SMMU_STRTAB_BASE);
static_assert(ARM_SMMU_STRTAB_BASE_CFG == SVAC_SMMU_STRTAB_BASE_CFG);
static_assert(CR0_PRIQEN == SVAC_SMMU_CR0_PRIQEN && CR0_EVTQEN == SVAC_SMMU_CR0_EVENTQEN);
static_assert(ARM_SMMU_EVTQ_BASE == SVAC_SMMU_EVENTQ_BASE &&
              ARM_SMMU_EVTQ_PROD == SVAC_SMMU_EVENTQ_PROD &&
              ARM_SMMU_EVTQ_CONS == SVAC_SMMU_EVENTQ_CONS);
static_assert(ARM_SMMU_PRIQ_BASE == SVAC_SMMU_PRIQ_BASE &&
              ARM_SMMU_PRIQ_PROD == SVAC_SMMU_PRIQ_PROD &&
              ARM_SMMU_PRIQ_CONS == SVAC_SMMU_PRIQ_CONS);
static_assert(Q_OVERFLOW_FLAG == SVAC_SMMU_Q_OVF);

// An output queue (event or PRI) the SMMU produces and the driver consumes.
struct arm_smmu_queue {
    uint64_t base = 0; // 0: none
    uint32_t max_n_shift = 0;
    uint32_t ent_dwords = 0;
    uint32_t prod_reg = 0;
    uint32_t cons_reg = 0;
    uint32_t cons = 0; // RD, RD_WRAP and OVACKFLG as last written to CONS
};

struct arm_smmu_device {
    uint32_t pasid_bits;
    bool sva;
    bool stalls;     // FEAT_STALLS: a stall-capable master sits behind it
    uint64_t strtab; // linear stream table
    uint32_t strtab_log2size;
    arm_smmu_queue evtq;
    arm_smmu_queue priq;
};

// A master's CD table: linear, or an L1 table of 64 KiB leaves allocated
// on first use.
struct arm_smmu_ctx_desc_cfg {
    uint64_t cdtab = 0; // 0: none
    uint64_t s1fmt = STRTAB_STE_0_S1FMT_LINEAR;
    std::vector<uint64_t> l2; // leaf per L1 index (two-level only), 0: none yet
    uint32_t nr_leaves = 0;   // non-zero entries of l2
};

struct arm_smmu_master {
    uint32_t smmu;
    uint32_t sid;
    uint32_t ssid_bits; // S1CDMax: min(device, SMMU) PASID width
    uint32_t ssid_max;  // the largest PASID: 2^ssid_bits - 1
    bool has_pasid;
    bool pri;
    bool stall;
    bool ats;
    bool sva_enabled;
    bool iopf_enabled;  // linux-6.1: IOMMU_DEV_FEAT_IOPF
    uint32_t param_min; // iommu_sva_set_param limits, both inclusive
    uint32_t param_max;
    uint32_t dev_pasid_max; // 2^pasid_bits - 1 of the device alone
    uint32_t nr_bonds;
    arm_smmu_ctx_desc_cfg cd_table;
};

struct arm_smmu_bond {
    uint64_t refs; // 0: no bond
    svac_mm_exit_fn mm_exit;
    void *cb_ctx;
    uint64_t drvdata;
    uint64_t domain; // the domain-based contract: the SVA domain attached (0: none)
};

// An SVA domain (linux-6.12 on, arm_smmu_sva_domain_alloc): an mm on one
// SMMU, with a private ASID.
struct arm_smmu_domain {
    bool live;
    uint32_t smmu;
    uint32_t mm;
    uint16_t asid;
    uint32_t nr_attached;
    uint32_t first_master; // the master it was allocated for
};

struct arm_smmu_mm {
    uint32_t pasid; // 0: none allocated
    uint32_t nr_bonds;
    bool released;
    svac_mm_info info; // the CPU side, as of the latest new bond
};

// One global PASID space, an IDR in cyclic mode: a new PASID is the first
// free one at or after the cursor, wrapping to the bottom of the range. The
// allocated PASIDs are kept sorted; every mm holds at most one, so the
// storage is reserved once at create and never grows.
struct pasid_allocator {
    struct entry {
        uint32_t pasid;
        uint32_t mm;
    };
    std::vector<entry> ids;
    uint32_t next = 1;

    std::vector<entry>::iterator lookup(uint32_t pasid) {
        return std::lower_bound(ids.begin(), ids.end(), pasid,
                                [](const entry &e, uint32_t p) { return e.pasid < p; });
    }

    // Lowest free PASID in [lo, hi] (lo <= hi), or 0.
    uint32_t first_free(uint32_t lo, uint32_t hi) {
        uint32_t id = lo;
        for (auto it = lookup(lo); it != ids.end() && it->pasid == id; ++it) {
            if (id == hi) return 0;
            ++id;
        }
        return id;
    }

    uint32_t alloc(uint32_t lo, uint32_t hi, uint32_t mm) {
        if (lo == 0 || lo > hi) return 0;
        uint32_t start = std::max(next, lo);
        if (start > hi) start = lo;
        uint32_t id = first_free(start, hi);
        if (!id && start > lo) id = first_free(lo, start - 1);
        if (!id) return 0;
        ids.insert(lookup(id), entry{id, mm});
        next = id + 1;
        return id;
    }

    void free(uint32_t pasid) {
        auto it = lookup(pasid);
        if (it != ids.end() && it->pasid == pasid) ids.erase(it);
    }

    // The mm holding pasid, or -1.
    int64_t find(uint32_t pasid) {
        auto it = lookup(pasid);
        if (it == ids.end() || it->pasid != pasid) return -1;
        return it->mm;
    }
};

struct arm_smmu_sva {
    const svac_platform *platform;
    std::vector<arm_smmu_device> smmus;
    std::vector<arm_smmu_master> masters;
    std::vector<arm_smmu_mm> mms;
    std::vector<arm_smmu_bond> bonds; // [master * n_mms + mm]
    pasid_allocator pasids;           // rfc2019 and linux-5.3: the driver's own
    int cmd_err;                      // the first command an SMMU rejected during the current call
    uint32_t bug;                     // arm_smmu_bug
    uint32_t api;                     // SVAC_API_*: the generation the core plays
    std::vector<arm_smmu_domain> domains; // a domain's name is its slot + 1
    std::set<uint16_t> asids;             // arm_smmu_asid_xa: the SVA domains' ASIDs
};

arm_smmu_sva *to_sva(void *drv) {
    return static_cast<arm_smmu_sva *>(drv);
}

uint32_t pasid_max(uint32_t bits) {
    return bits ? (1u << bits) - 1 : 0;
}

arm_smmu_master *find_master(arm_smmu_sva *sva, uint32_t dev) {
    return dev < sva->masters.size() ? &sva->masters[dev] : nullptr;
}

arm_smmu_bond &master_bond(arm_smmu_sva *sva, uint32_t dev, uint32_t mm) {
    return sva->bonds[size_t(dev) * sva->mms.size() + mm];
}

// The ASID in the CD of (dev, mm): its SVA domain's (linux-6.12 on), else
// the CPU's, shared.
uint16_t arm_smmu_bond_asid(arm_smmu_sva *sva, uint32_t dev, uint32_t mm) {
    const uint64_t domain = master_bond(sva, dev, mm).domain;
    return domain ? sva->domains[domain - 1].asid : uint16_t(sva->mms[mm].info.asid);
}

// --- memory ---

uint64_t arm_smmu_alloc(arm_smmu_sva *sva, uint64_t bytes, uint64_t align) {
    const svac_platform *p = sva->platform;
    return p->alloc(p->ctx, bytes, align);
}

void arm_smmu_free(arm_smmu_sva *sva, uint64_t pa) {
    const svac_platform *p = sva->platform;
    if (pa) p->free(p->ctx, pa);
}

uint64_t arm_smmu_read64(arm_smmu_sva *sva, uint64_t pa) {
    const svac_platform *p = sva->platform;
    return p->read64(p->ctx, pa);
}

void arm_smmu_write64(arm_smmu_sva *sva, uint64_t pa, uint64_t val) {
    const svac_platform *p = sva->platform;
    p->write64(p->ctx, pa, val);
}

void arm_smmu_write_reg(arm_smmu_sva *sva, uint32_t smmu, uint32_t offset, uint64_t val) {
    const svac_platform *p = sva->platform;
    p->write_reg(p->ctx, smmu, offset, val);
}

uint64_t arm_smmu_read_reg(arm_smmu_sva *sva, uint32_t smmu, uint32_t offset) {
    const svac_platform *p = sva->platform;
    return p->read_reg(p->ctx, smmu, offset);
}

// --- command queue ---

using arm_smmu_cmd = std::array<uint64_t, CMDQ_ENT_DWORDS>;

// A rejected command is a driver bug: remember it for the API call to return.
void arm_smmu_cmdq_issue_cmd(arm_smmu_sva *sva, uint32_t smmu, const arm_smmu_cmd &cmd) {
    const svac_platform *p = sva->platform;
    int ret = p->submit_cmd(p->ctx, smmu, cmd.data(), CMDQ_ENT_DWORDS);
    if (ret && !sva->cmd_err) sva->cmd_err = ret;
}

void arm_smmu_cmdq_issue_sync(arm_smmu_sva *sva, uint32_t smmu) {
    arm_smmu_cmd cmd{field_prep(CMDQ_0_OP, CMDQ_OP_CMD_SYNC) |
                         field_prep(CMDQ_SYNC_0_CS, CMDQ_SYNC_0_CS_SEV),
                     0};
    arm_smmu_cmdq_issue_cmd(sva, smmu, cmd);
}

arm_smmu_cmd arm_smmu_cmd_cfgi_ste(uint32_t sid, bool leaf) {
    return {field_prep(CMDQ_0_OP, CMDQ_OP_CFGI_STE) | field_prep(CMDQ_CFGI_0_SID, sid),
            leaf ? CMDQ_CFGI_1_LEAF : 0};
}

arm_smmu_cmd arm_smmu_cmd_cfgi_all() {
    return {field_prep(CMDQ_0_OP, CMDQ_OP_CFGI_ALL), field_prep(CMDQ_CFGI_1_RANGE, 31)};
}

arm_smmu_cmd arm_smmu_cmd_cfgi_cd(uint32_t sid, uint32_t ssid, bool leaf) {
    return {field_prep(CMDQ_0_OP, CMDQ_OP_CFGI_CD) | field_prep(CMDQ_CFGI_0_SSID, ssid) |
                field_prep(CMDQ_CFGI_0_SID, sid),
            leaf ? CMDQ_CFGI_1_LEAF : 0};
}

arm_smmu_cmd arm_smmu_cmd_tlbi_nh_asid(uint16_t asid) {
    return {field_prep(CMDQ_0_OP, CMDQ_OP_TLBI_NH_ASID) | field_prep(CMDQ_TLBI_0_ASID, asid), 0};
}

arm_smmu_cmd arm_smmu_cmd_tlbi_nh_va(uint16_t asid, uint64_t va) {
    return {field_prep(CMDQ_0_OP, CMDQ_OP_TLBI_NH_VA) | field_prep(CMDQ_TLBI_0_ASID, asid),
            va & CMDQ_TLBI_1_VA_MASK};
}

// Invalidates the ATC of (sid, ssid) over the aligned 2^size pages at addr.
arm_smmu_cmd arm_smmu_cmd_atc_inv(uint32_t sid, uint32_t ssid, uint64_t addr, uint64_t size) {
    return {field_prep(CMDQ_0_OP, CMDQ_OP_ATC_INV) | CMDQ_0_SSV |
                field_prep(CMDQ_ATC_0_SSID, ssid) | field_prep(CMDQ_ATC_0_SID, sid),
            field_prep(CMDQ_ATC_1_SIZE, size) | (addr & CMDQ_ATC_1_ADDR_MASK)};
}

// The smallest naturally aligned power-of-two range of pages holding
// [start, end) (end > start), as ATC_INV takes it.
arm_smmu_cmd arm_smmu_atc_inv_to_cmd(uint32_t sid, uint32_t ssid, uint64_t start, uint64_t end) {
    uint64_t page_start = start >> 12;
    uint64_t page_end = (end - 1) >> 12;
    uint64_t log2_span = uint64_t(std::bit_width(page_start ^ page_end));
    if (log2_span >= ATC_INV_SIZE_ALL) return arm_smmu_cmd_atc_inv(sid, ssid, 0, ATC_INV_SIZE_ALL);
    page_start &= ~((uint64_t{1} << log2_span) - 1);
    return arm_smmu_cmd_atc_inv(sid, ssid, page_start << 12, log2_span);
}

// A response goes out at once: no CMD_SYNC follows it, and a rejected one is
// the caller's to report, outside the API call's cmd_err.
int arm_smmu_cmdq_issue_response(arm_smmu_sva *sva, uint32_t smmu, const arm_smmu_cmd &cmd) {
    const svac_platform *p = sva->platform;
    return p->submit_cmd(p->ctx, smmu, cmd.data(), CMDQ_ENT_DWORDS);
}

arm_smmu_cmd arm_smmu_cmd_pri_resp(uint32_t sid, bool ssv, uint32_t ssid, uint32_t grpid,
                                   uint64_t resp) {
    return {field_prep(CMDQ_0_OP, CMDQ_OP_PRI_RESP) | (ssv ? CMDQ_0_SSV : 0) |
                field_prep(CMDQ_PRI_0_SSID, ssv ? ssid : 0) | field_prep(CMDQ_PRI_0_SID, sid),
            field_prep(CMDQ_PRI_1_GRPID, grpid) | field_prep(CMDQ_PRI_1_RESP, resp)};
}

arm_smmu_cmd arm_smmu_cmd_resume(uint32_t sid, uint32_t stag, uint64_t resp) {
    return {field_prep(CMDQ_0_OP, CMDQ_OP_RESUME) | field_prep(CMDQ_RESUME_0_RESP, resp) |
                field_prep(CMDQ_RESUME_0_SID, sid),
            field_prep(CMDQ_RESUME_1_STAG, stag)};
}

// --- entry writer ---

// Where an entry lives and how the SMMU is told it changed.
struct arm_smmu_entry_writer {
    arm_smmu_sva *sva;
    const arm_smmu_master *master;
    entry_used_fn get_used;
    entry_safe_fn get_update_safe;
    bool cd;
    uint32_t ssid; // CDs only
};

void arm_smmu_entry_sync(const arm_smmu_entry_writer &w) {
    const arm_smmu_master *master = w.master;
    arm_smmu_cmd cmd = w.cd ? arm_smmu_cmd_cfgi_cd(master->sid, w.ssid, true)
                            : arm_smmu_cmd_cfgi_ste(master->sid, true);
    if (!(w.cd && w.sva->bug == BUG_CD_NO_CFGI)) arm_smmu_cmdq_issue_cmd(w.sva, master->smmu, cmd);
    arm_smmu_cmdq_issue_sync(w.sva, master->smmu);
}

void arm_smmu_write_entry(const arm_smmu_entry_writer &w, uint64_t pa, const entry_qwords &target) {
    entry_qwords cur;
    for (unsigned i = 0; i < NUM_ENTRY_QWORDS; i++) cur[i] = arm_smmu_read64(w.sva, pa + 8 * i);
    if (w.cd && w.sva->bug == BUG_CD_TORN_WRITE) {
        for (unsigned i = 0; i < NUM_ENTRY_QWORDS; i++)
            if (cur[i] != target[i]) arm_smmu_write64(w.sva, pa + 8 * i, target[i]);
        arm_smmu_entry_sync(w);
        return;
    }
    entry_write_plan plan = arm_smmu_plan_entry_write(w.get_used, w.get_update_safe, cur, target);
    for (unsigned s = 0; s < plan.nr_steps; s++) {
        const entry_write_step &step = plan.steps[s];
        for (unsigned i = 0; i < NUM_ENTRY_QWORDS; i++)
            if (step.stores & (1u << i)) arm_smmu_write64(w.sva, pa + 8 * i, step.entry[i]);
        arm_smmu_entry_sync(w);
    }
}

// --- stream table ---

uint64_t arm_smmu_get_step_for_sid(arm_smmu_sva *sva, const arm_smmu_master *master) {
    return sva->smmus[master->smmu].strtab + STRTAB_STE_SIZE * master->sid;
}

void arm_smmu_write_ste(arm_smmu_sva *sva, const arm_smmu_master *master,
                        const entry_qwords &target) {
    arm_smmu_entry_writer w{sva,   master, arm_smmu_get_ste_used, arm_smmu_get_ste_update_safe,
                            false, 0};
    arm_smmu_write_entry(w, arm_smmu_get_step_for_sid(sva, master), target);
}

// --- CD tables ---

bool arm_smmu_cdtab_is_2lvl(const arm_smmu_master *master) {
    return master->cd_table.s1fmt == STRTAB_STE_0_S1FMT_64K_L2;
}

int arm_smmu_alloc_cd_tables(arm_smmu_sva *sva, arm_smmu_master *master) {
    arm_smmu_ctx_desc_cfg &cfg = master->cd_table;
    const arm_smmu_cd_table_layout layout = arm_smmu_cd_layout(master->ssid_bits);
    uint64_t size, align;
    cfg.s1fmt = layout.s1fmt;
    if (layout.s1fmt == STRTAB_STE_0_S1FMT_LINEAR) {
        size = CTXDESC_CD_SIZE * layout.num_entries;
        align = size; // S1ContextPtr bits below the table size are RES0
    } else {
        size = CTXDESC_L1_DESC_SIZE * cfg.l2.size();
        align = std::max<uint64_t>(size, 64);
    }
    cfg.cdtab = arm_smmu_alloc(sva, size, align);
    return cfg.cdtab ? 0 : -ENOMEM;
}

// Only once no STE points at the table any more.
void arm_smmu_free_cd_tables(arm_smmu_sva *sva, arm_smmu_master *master) {
    arm_smmu_ctx_desc_cfg &cfg = master->cd_table;
    for (size_t i = 0; cfg.nr_leaves && i < cfg.l2.size(); i++) {
        if (!cfg.l2[i]) continue;
        arm_smmu_free(sva, cfg.l2[i]);
        cfg.l2[i] = 0;
        cfg.nr_leaves--;
    }
    arm_smmu_free(sva, cfg.cdtab);
    cfg.cdtab = 0;
}

// Makes sure the leaf holding ssid exists. An invalid L1CD may be cached,
// so installing one takes a non-leaf CFGI_CD.
int arm_smmu_alloc_cd_leaf(arm_smmu_sva *sva, arm_smmu_master *master, uint32_t ssid) {
    arm_smmu_ctx_desc_cfg &cfg = master->cd_table;
    if (!arm_smmu_cdtab_is_2lvl(master)) return 0;
    uint32_t idx = arm_smmu_cdtab_l1_idx(ssid);
    if (idx >= cfg.l2.size()) return -EINVAL;
    if (cfg.l2[idx]) return 0;

    // The leaf reads as zero: every CD in it is invalid.
    uint64_t leaf = arm_smmu_alloc(sva, CTXDESC_L2_SIZE, CTXDESC_L2_SIZE);
    if (!leaf) return -ENOMEM;
    arm_smmu_write64(sva, cfg.cdtab + CTXDESC_L1_DESC_SIZE * idx, arm_smmu_make_l1_cd_desc(leaf));
    cfg.l2[idx] = leaf;
    cfg.nr_leaves++;
    arm_smmu_cmdq_issue_cmd(sva, master->smmu, arm_smmu_cmd_cfgi_cd(master->sid, ssid, false));
    arm_smmu_cmdq_issue_sync(sva, master->smmu);
    return 0;
}

// The CD of ssid; its leaf must exist.
uint64_t arm_smmu_get_cd_ptr(const arm_smmu_master *master, uint32_t ssid) {
    const arm_smmu_ctx_desc_cfg &cfg = master->cd_table;
    if (!arm_smmu_cdtab_is_2lvl(master))
        return cfg.cdtab + CTXDESC_CD_SIZE * arm_smmu_cdtab_linear_idx(ssid);
    uint64_t leaf = cfg.l2[arm_smmu_cdtab_l1_idx(ssid)];
    return leaf + CTXDESC_CD_SIZE * arm_smmu_cdtab_l2_idx(ssid);
}

void arm_smmu_write_cd_entry(arm_smmu_sva *sva, const arm_smmu_master *master, uint32_t ssid,
                             const entry_qwords &target) {
    arm_smmu_entry_writer w{sva, master, arm_smmu_get_cd_used, arm_smmu_no_update_safe, true, ssid};
    arm_smmu_write_entry(w, arm_smmu_get_cd_ptr(master, ssid), target);
}

// --- SVA CDs ---

arm_smmu_sva_cd_cfg arm_smmu_sva_cd_cfg_of(const svac_mm_info &info, bool stall) {
    return {uint16_t(info.asid), info.pgd, info.va_bits, info.pa_bits, info.mair, stall};
}

// The SMMU walks the CPU's tables itself: it takes AArch64 4 KiB ones only.
bool arm_smmu_mm_info_ok(const svac_mm_info &info) {
    return info.pgtable == SVAC_PGTABLE_AARCH64_4K && info.va_bits >= 25 && info.va_bits <= 52 &&
           info.asid != 0 && info.asid <= 0xffff;
}

// The CD of an mm at ssid on a master. The ASID is the CPU's, shared.
arm_smmu_sva_cd_cfg arm_smmu_sva_cd_cfg_for(const arm_smmu_sva *sva, const svac_mm_info &info,
                                            uint32_t ssid, bool stall) {
    arm_smmu_sva_cd_cfg cfg = arm_smmu_sva_cd_cfg_of(info, stall);
    if (sva->bug == BUG_CD_PRIVATE_ASID) cfg.asid = uint16_t(0x100 + ssid);
    return cfg;
}

// After a CD stops pointing at the mm: drop its TLB entries and the
// master's ATC entries for the PASID.
void arm_smmu_sva_inv_master(arm_smmu_sva *sva, const arm_smmu_master *master, uint32_t ssid,
                             uint16_t asid, bool sync = true, bool atc = true) {
    arm_smmu_cmdq_issue_cmd(sva, master->smmu, arm_smmu_cmd_tlbi_nh_asid(asid));
    if (master->ats && atc)
        arm_smmu_cmdq_issue_cmd(sva, master->smmu,
                                arm_smmu_cmd_atc_inv(master->sid, ssid, 0, ATC_INV_SIZE_ALL));
    if (sync) arm_smmu_cmdq_issue_sync(sva, master->smmu);
}

// --- fault queues: events (stalls) and page requests ---

// The master behind a StreamID of an SMMU, or nullptr.
arm_smmu_master *arm_smmu_find_master_by_sid(arm_smmu_sva *sva, uint32_t smmu, uint32_t sid,
                                             uint32_t *dev) {
    for (uint32_t i = 0; i < sva->masters.size(); i++) {
        arm_smmu_master *master = &sva->masters[i];
        if (master->smmu == smmu && master->sid == sid) {
            *dev = i;
            return master;
        }
    }
    return nullptr;
}

// Index and wrap bit of a PROD or CONS value.
uint32_t queue_idx_wrp(const arm_smmu_queue *q, uint32_t val) {
    return val & ((2u << q->max_n_shift) - 1);
}

bool queue_empty(const arm_smmu_queue *q, uint32_t prod) {
    return queue_idx_wrp(q, prod) == queue_idx_wrp(q, q->cons);
}

bool queue_overflowed(const arm_smmu_queue *q, uint32_t prod) {
    return ((prod ^ q->cons) & Q_OVERFLOW_FLAG) != 0;
}

void queue_inc_cons(arm_smmu_queue *q) {
    q->cons = (q->cons & uint32_t(Q_OVERFLOW_FLAG)) | queue_idx_wrp(q, q->cons + 1);
}

void arm_smmu_queue_read(arm_smmu_sva *sva, const arm_smmu_queue *q, uint64_t *ent) {
    uint32_t idx = q->cons & ((1u << q->max_n_shift) - 1);
    uint64_t pa = q->base + uint64_t{idx} * q->ent_dwords * 8;
    for (uint32_t i = 0; i < q->ent_dwords; i++) ent[i] = arm_smmu_read64(sva, pa + 8 * i);
}

// Takes every entry up to PROD, one by one, moving CONS past each before it
// is handled: handling may answer it, and the answer may let the device
// send another (SMMU 8, credits). New entries that arrive meanwhile are
// taken too, up to a bound.
template <typename Handler>
void arm_smmu_queue_drain(arm_smmu_sva *sva, uint32_t smmu, arm_smmu_queue *q, Handler handle) {
    uint64_t ent[EVTQ_ENT_DWORDS];
    uint64_t budget = uint64_t{4} << q->max_n_shift;
    while (budget--) {
        uint32_t prod = uint32_t(arm_smmu_read_reg(sva, smmu, q->prod_reg));
        if (queue_empty(q, prod)) return;
        arm_smmu_queue_read(sva, q, ent);
        queue_inc_cons(q);
        arm_smmu_write_reg(sva, smmu, q->cons_reg, q->cons);
        handle(ent);
    }
}

void arm_smmu_resume(arm_smmu_sva *sva, uint32_t smmu, uint32_t sid, uint32_t stag, uint64_t resp) {
    arm_smmu_cmdq_issue_response(sva, smmu, arm_smmu_cmd_resume(sid, stag, resp));
}

// One event record. Only a stalled transaction (Stall=1) with a stage 1
// translation fault is recoverable; a terminated one is only logged.
void arm_smmu_handle_evt(arm_smmu_sva *sva, uint32_t smmu, const uint64_t *evt) {
    const svac_platform *p = sva->platform;
    uint64_t id = field_get(EVTQ_0_ID, evt[0]);
    bool stall = evt[1] & EVTQ_1_STALL;
    if (!stall && sva->bug != BUG_EVTQ_REPORTS_TERMINATED) return;

    auto sid = uint32_t(field_get(EVTQ_0_SID, evt[0]));
    auto stag = uint32_t(field_get(EVTQ_1_STAG, evt[1]));
    uint32_t dev = 0;
    const arm_smmu_master *master = arm_smmu_find_master_by_sid(sva, smmu, sid, &dev);
    bool translation_fault = id >= EVT_ID_TRANSLATION_FAULT && id <= EVT_ID_PERMISSION_FAULT;
    if (sva->bug == BUG_EVTQ_REPORTS_TERMINATED) translation_fault = true;
    bool recoverable = translation_fault && !(evt[1] & EVTQ_1_S2) && master && p->report_fault;
    if (!recoverable) {
        // Nobody will answer it: terminate the stalled transaction.
        if (stall) arm_smmu_resume(sva, smmu, sid, stag, CMDQ_RESUME_0_RESP_ABORT);
        return;
    }

    svac_fault fault{};
    // A stall is a group of its own: its one request is always the last.
    if (sva->bug != BUG_STALL_REPORTED_NOT_LAST) fault.flags |= SVAC_FAULT_LAST_PAGE;
    if (evt[0] & EVTQ_0_SSV) {
        fault.flags |= SVAC_FAULT_PASID_VALID;
        fault.pasid = uint32_t(field_get(EVTQ_0_SSID, evt[0]));
    }
    fault.grpid = stag;
    if (evt[1] & EVTQ_1_InD) // an instruction fetch: a read (RnW=1) for execution
        fault.perm |= SVAC_FAULT_PERM_READ | SVAC_FAULT_PERM_EXEC;
    else
        fault.perm |= (evt[1] & EVTQ_1_RnW) ? SVAC_FAULT_PERM_READ : SVAC_FAULT_PERM_WRITE;
    if (evt[1] & EVTQ_1_PnU) fault.perm |= SVAC_FAULT_PERM_PRIV;
    fault.addr = evt[EVTQ_2_ADDR];
    // The core answers through page_response, now or later; if it refuses
    // the fault it has already answered it.
    p->report_fault(p->ctx, dev, &fault);
}

// One PRI queue entry: a PCIe page request, or a Stop Marker.
void arm_smmu_handle_ppr(arm_smmu_sva *sva, uint32_t smmu, const uint64_t *evt) {
    const svac_platform *p = sva->platform;
    auto sid = uint32_t(field_get(PRIQ_0_SID, evt[0]));
    auto ssid = uint32_t(field_get(PRIQ_0_SSID, evt[0]));
    bool ssv = evt[0] & PRIQ_0_SSID_V;
    bool last = evt[0] & PRIQ_0_PRG_LAST;
    uint64_t grp_mask = sva->bug == BUG_PRG_INDEX_8BIT ? genmask(7, 0) : PRIQ_1_PRG_IDX;
    auto grpid = uint32_t(field_get(grp_mask, evt[1]));
    bool read = evt[0] & PRIQ_0_PERM_READ, write = evt[0] & PRIQ_0_PERM_WRITE;

    // A Stop Marker (PCIe: L=1, R=W=0, with a PASID) only delimits groups;
    // it needs no response.
    if (last && !read && !write && ssv) {
        if (sva->bug == BUG_ANSWER_STOP_MARKER)
            arm_smmu_cmdq_issue_response(
                sva, smmu, arm_smmu_cmd_pri_resp(sid, ssv, ssid, grpid, PRI_RESP_SUCC));
        return;
    }

    uint32_t dev = 0;
    const arm_smmu_master *master = arm_smmu_find_master_by_sid(sva, smmu, sid, &dev);
    // From linux-6.16 the attach adds the master to the IOPF queue; one
    // attached without it has nobody to take its requests.
    const bool no_iopf =
        master && sva->api == SVAC_API_LINUX_6_16 && master->nr_bonds && !master->iopf_enabled;
    if (!master || !p->report_fault || no_iopf) {
        // No master of ours: nobody else will close the group.
        if (last)
            arm_smmu_cmdq_issue_response(
                sva, smmu, arm_smmu_cmd_pri_resp(sid, ssv, ssid, grpid, PRI_RESP_FAIL));
        return;
    }

    svac_fault fault{};
    if (ssv) {
        fault.flags |= SVAC_FAULT_PASID_VALID | SVAC_FAULT_NEEDS_PASID;
        fault.pasid = ssid;
    }
    if (last) fault.flags |= SVAC_FAULT_LAST_PAGE;
    fault.grpid = grpid;
    if (read) fault.perm |= SVAC_FAULT_PERM_READ;
    if (write) fault.perm |= SVAC_FAULT_PERM_WRITE;
    if (evt[0] & PRIQ_0_PERM_EXEC) fault.perm |= SVAC_FAULT_PERM_EXEC;
    if (evt[0] & PRIQ_0_PERM_PRIV) fault.perm |= SVAC_FAULT_PERM_PRIV;
    fault.addr = evt[1] & PRIQ_1_ADDR_MASK;
    p->report_fault(p->ctx, dev, &fault);

    if (sva->bug == BUG_PRI_RESP_EVERY_REQUEST)
        arm_smmu_cmdq_issue_response(sva, smmu,
                                     arm_smmu_cmd_pri_resp(sid, ssv, ssid, grpid, PRI_RESP_SUCC));
}

// Drains both queues of an SMMU. After a PRI queue overflow the core drops
// the groups whose Last request may have been lost, then the overflow is
// acknowledged (SMMU 8.1.1).
void arm_smmu_drain_queues(arm_smmu_sva *sva, uint32_t smmu) {
    const svac_platform *p = sva->platform;
    arm_smmu_device *dev = &sva->smmus[smmu];

    arm_smmu_queue *q = &dev->evtq;
    if (q->base) {
        arm_smmu_queue_drain(sva, smmu, q,
                             [&](const uint64_t *evt) { arm_smmu_handle_evt(sva, smmu, evt); });
        // Records were lost: nothing to recover, acknowledge.
        uint32_t prod = uint32_t(arm_smmu_read_reg(sva, smmu, q->prod_reg));
        if (queue_overflowed(q, prod)) {
            q->cons ^= uint32_t(Q_OVERFLOW_FLAG);
            arm_smmu_write_reg(sva, smmu, q->cons_reg, q->cons);
        }
    }

    q = &dev->priq;
    if (q->base) {
        arm_smmu_queue_drain(sva, smmu, q,
                             [&](const uint64_t *evt) { arm_smmu_handle_ppr(sva, smmu, evt); });
        uint32_t prod = uint32_t(arm_smmu_read_reg(sva, smmu, q->prod_reg));
        if (queue_overflowed(q, prod)) {
            if (sva->bug != BUG_NO_DISCARD_PARTIAL && p->discard_partial)
                p->discard_partial(p->ctx, smmu);
            if (sva->bug != BUG_PRIQ_OVERFLOW_NOT_ACKED) {
                q->cons ^= uint32_t(Q_OVERFLOW_FLAG);
                arm_smmu_write_reg(sva, smmu, q->cons_reg, q->cons);
            }
        }
    }
}

void arm_smmu_service_irq(void *drv, uint32_t iommu) {
    arm_smmu_sva *sva = to_sva(drv);
    if (iommu >= sva->smmus.size()) return;
    arm_smmu_drain_queues(sva, iommu);
}

// iommu_page_response. A PRI master gets CMD_PRI_RESP, a stall master
// CMD_RESUME (a master with both sends page requests: the SMMU stalls only
// what PRI cannot recover).
int arm_smmu_page_response(void *drv, uint32_t dev, const svac_page_response *resp) {
    arm_smmu_sva *sva = to_sva(drv);
    const arm_smmu_master *master = find_master(sva, dev);
    if (!master || !resp || resp->code > SVAC_RESP_FAILURE) return -EINVAL;

    arm_smmu_cmd cmd;
    if (master->pri) {
        uint64_t code;
        switch (resp->code) {
        case SVAC_RESP_SUCCESS:
            code = PRI_RESP_SUCC;
            break;
        case SVAC_RESP_INVALID:
            code = PRI_RESP_FAIL;
            break;
        default:
            code = PRI_RESP_DENY;
            break;
        }
        if (sva->bug == BUG_PRI_RESP_CORE_CODE_RAW) code = resp->code;
        bool ssv = resp->flags & SVAC_FAULT_PASID_VALID;
        if (sva->bug == BUG_PRI_RESP_DROPS_SSID) ssv = false;
        cmd = arm_smmu_cmd_pri_resp(master->sid, ssv, resp->pasid, resp->grpid, code);
    } else if (master->stall) {
        uint64_t action =
            resp->code == SVAC_RESP_SUCCESS ? CMDQ_RESUME_0_RESP_RETRY : CMDQ_RESUME_0_RESP_ABORT;
        if (sva->bug == BUG_RESUME_RETRY_ALWAYS) action = CMDQ_RESUME_0_RESP_RETRY;
        cmd = arm_smmu_cmd_resume(master->sid, resp->grpid, action);
    } else {
        return -EINVAL; // no recoverable faults on this master
    }
    return arm_smmu_cmdq_issue_response(sva, master->smmu, cmd);
}

// --- device features ---

// Recoverable faults: PRI, or a stall-capable master (SMMUv3 only, which
// every SMMU this driver takes is).
bool arm_smmu_master_sva_supported(const arm_smmu_sva *sva, const arm_smmu_master *master) {
    if (sva->bug == BUG_SVA_WITHOUT_IOPF) return sva->smmus[master->smmu].sva && master->has_pasid;
    return sva->smmus[master->smmu].sva && master->has_pasid && (master->pri || master->stall);
}

// IOMMU_DEV_FEAT_IOPF exists from linux-6.1 on (v5.13).
bool arm_smmu_known_feature(const arm_smmu_sva *sva, uint32_t feat) {
    if (sva->api == SVAC_API_LINUX_6_16) return false; // no feature calls
    return feat == SVAC_FEAT_SVA || (feat == SVAC_FEAT_IOPF && (sva->api == SVAC_API_LINUX_6_1 ||
                                                                sva->api == SVAC_API_LINUX_6_12));
}

int arm_smmu_dev_has_feature(void *drv, uint32_t dev, uint32_t feat) {
    arm_smmu_sva *sva = to_sva(drv);
    arm_smmu_master *master = find_master(sva, dev);
    if (!master || !arm_smmu_known_feature(sva, feat)) return 0;
    return arm_smmu_master_sva_supported(sva, master);
}

int arm_smmu_dev_feature_enabled(void *drv, uint32_t dev, uint32_t feat) {
    arm_smmu_sva *sva = to_sva(drv);
    arm_smmu_master *master = find_master(sva, dev);
    if (!master || !arm_smmu_known_feature(sva, feat)) return 0;
    return feat == SVAC_FEAT_IOPF ? master->iopf_enabled : master->sva_enabled;
}

// The STE moves from bypass to the CD table; non-PASID traffic still
// bypasses stage 1 (S1DSS), so it keeps its identity mapping.
int arm_smmu_master_enable_sva(arm_smmu_sva *sva, arm_smmu_master *master) {
    int ret = arm_smmu_alloc_cd_tables(sva, master);
    if (ret) return ret;
    uint32_t s1cdmax = arm_smmu_cd_layout(master->ssid_bits).s1cdmax;
    if (sva->bug == BUG_S1CDMAX_OFF_BY_ONE) s1cdmax--;
    arm_smmu_write_ste(
        sva, master,
        arm_smmu_make_cdtable_ste(master->cd_table.cdtab, master->cd_table.s1fmt, s1cdmax,
                                  master->ats, sva->smmus[master->smmu].stalls && !master->stall));
    master->sva_enabled = true;
    return 0;
}

void arm_smmu_master_disable_sva(arm_smmu_sva *sva, arm_smmu_master *master) {
    arm_smmu_write_ste(sva, master, arm_smmu_make_bypass_ste());
    arm_smmu_free_cd_tables(sva, master);
    master->sva_enabled = false;
}

// linux-6.1 (arm_smmu_dev_enable_feature): IOPF first, then SVA.
int arm_smmu_master_enable_iopf(arm_smmu_sva *sva, arm_smmu_master *master) {
    if (!arm_smmu_master_sva_supported(sva, master)) return -EINVAL;
    if (master->iopf_enabled) return -EBUSY;
    master->iopf_enabled = true;
    return 0;
}

int arm_smmu_master_disable_iopf(const arm_smmu_sva *sva, arm_smmu_master *master) {
    if (!master->iopf_enabled) return -EINVAL;
    if (master->sva_enabled && sva->bug != BUG_IOPF_DISABLED_UNDER_SVA) return -EBUSY;
    master->iopf_enabled = false;
    return 0;
}

int arm_smmu_dev_enable_feature(void *drv, uint32_t dev, uint32_t feat) {
    arm_smmu_sva *sva = to_sva(drv);
    arm_smmu_master *master = find_master(sva, dev);
    if (!master || !arm_smmu_known_feature(sva, feat)) return -EINVAL;
    if (feat == SVAC_FEAT_IOPF) return arm_smmu_master_enable_iopf(sva, master);
    if (!arm_smmu_master_sva_supported(sva, master)) return -ENODEV;
    if (master->sva_enabled) return 0;
    if ((sva->api == SVAC_API_LINUX_6_1 || sva->api == SVAC_API_LINUX_6_12) &&
        !master->iopf_enabled && sva->bug != BUG_SVA_BEFORE_IOPF)
        return -EINVAL;
    sva->cmd_err = 0;
    int ret = arm_smmu_master_enable_sva(sva, master);
    return ret ? ret : sva->cmd_err;
}

int arm_smmu_dev_disable_feature(void *drv, uint32_t dev, uint32_t feat) {
    arm_smmu_sva *sva = to_sva(drv);
    arm_smmu_master *master = find_master(sva, dev);
    if (!master || !arm_smmu_known_feature(sva, feat)) return -EINVAL;
    if (feat == SVAC_FEAT_IOPF) return arm_smmu_master_disable_iopf(sva, master);
    // Bonds of exited mms still count until they are unbound.
    if (master->nr_bonds && sva->bug != BUG_DISABLE_WHILE_BOUND) return -EBUSY;
    if (!master->sva_enabled) return 0;
    sva->cmd_err = 0;
    arm_smmu_master_disable_sva(sva, master);
    return sva->cmd_err;
}

// The limits kept in the SMMU, shared by all its masters.
int arm_smmu_sva_set_smmu_param(arm_smmu_sva *sva, uint32_t smmu, uint32_t min_pasid,
                                uint32_t max_pasid) {
    for (const arm_smmu_master &m : sva->masters)
        if (m.smmu == smmu && m.nr_bonds) return -EBUSY;
    for (arm_smmu_master &m : sva->masters) {
        if (m.smmu != smmu) continue;
        m.param_min = min_pasid;
        m.param_max = max_pasid;
    }
    return 0;
}

int arm_smmu_sva_set_param(void *drv, uint32_t dev, uint32_t min_pasid, uint32_t max_pasid) {
    arm_smmu_sva *sva = to_sva(drv);
    arm_smmu_master *master = find_master(sva, dev);
    if (!master) return -EINVAL;
    if (min_pasid == 0 || min_pasid > max_pasid || max_pasid > master->dev_pasid_max)
        return -EINVAL;
    if (sva->bug == BUG_PARAM_PER_SMMU)
        return arm_smmu_sva_set_smmu_param(sva, master->smmu, min_pasid, max_pasid);
    if (master->nr_bonds && sva->bug != BUG_PARAM_WHILE_BOUND) return -EBUSY;
    master->param_min = min_pasid;
    master->param_max = max_pasid;
    return 0;
}

// --- bonds ---

void arm_smmu_master_pasid_range(const arm_smmu_master *master, uint32_t *lo, uint32_t *hi) {
    *lo = std::max(1u, master->param_min);
    *hi = std::min(master->ssid_max, master->param_max);
}

void arm_smmu_bond_init(arm_smmu_sva *sva, uint32_t dev, uint32_t mm, svac_mm_exit_fn mm_exit,
                        void *cb_ctx, uint64_t drvdata) {
    master_bond(sva, dev, mm) = arm_smmu_bond{1, mm_exit, cb_ctx, drvdata};
    sva->masters[dev].nr_bonds++;
    sva->mms[mm].nr_bonds++;
}

// The PASID for a new bond: the mm's own, or a fresh one. 0 with *err set
// when there is none.
// From linux-6.1 the mm's PASID is the core's (iommu_sva_alloc_pasid).
bool arm_smmu_core_pasid(const arm_smmu_sva *sva) {
    return sva->api == SVAC_API_LINUX_6_1 && sva->bug != BUG_PASID_FREED_AT_UNBIND;
}

uint32_t arm_smmu_bond_pasid(arm_smmu_sva *sva, const arm_smmu_master *master, uint32_t mm,
                             int *err) {
    uint32_t lo, hi;
    arm_smmu_master_pasid_range(master, &lo, &hi);
    if (sva->bug == BUG_EXCLUSIVE_PASID_MAX) hi--; // as if max were an IDR's exclusive end
    if (arm_smmu_core_pasid(sva)) {                // the mm's for its life
        const svac_platform *p = sva->platform;
        uint32_t id = 0;
        *err = p->alloc_mm_pasid(p->ctx, mm, lo, hi, &id);
        return *err ? 0 : id;
    }
    uint32_t pasid = sva->mms[mm].pasid;
    if (pasid) {
        if (pasid >= lo && pasid <= hi) return pasid;
        if (sva->bug == BUG_SHARED_PASID_UNCHECKED) return pasid;
        *err = -ERANGE;
        return 0;
    }
    pasid = sva->pasids.alloc(lo, hi, mm);
    if (!pasid) *err = -ENOSPC;
    return pasid;
}

// Installs the SVA CD of mm for a new bond. Fails with nothing written.
// asid: the SVA domain's (linux-6.12 on), or 0 for the mm's CPU ASID.
int arm_smmu_sva_set_cd(arm_smmu_sva *sva, arm_smmu_master *master, uint32_t ssid, uint32_t mm,
                        svac_mm_info *info, uint16_t asid = 0) {
    const svac_platform *p = sva->platform;
    int ret = p->mm_info(p->ctx, mm, info);
    if (ret) return ret;
    if (!arm_smmu_mm_info_ok(*info)) return -EINVAL;
    ret = arm_smmu_alloc_cd_leaf(sva, master, ssid);
    if (ret) return ret;
    arm_smmu_sva_cd_cfg cfg = arm_smmu_sva_cd_cfg_for(sva, *info, ssid, master->stall);
    if (asid) cfg.asid = asid;
    arm_smmu_write_cd_entry(sva, master, ssid, arm_smmu_make_sva_cd(cfg));
    return 0;
}

int arm_smmu_sva_bind_new(arm_smmu_sva *sva, uint32_t dev, uint32_t mm, uint32_t *pasid,
                          svac_mm_exit_fn mm_exit, void *cb_ctx, uint64_t drvdata) {
    arm_smmu_master *master = &sva->masters[dev];
    arm_smmu_mm *smmu_mm = &sva->mms[mm];

    int ret = 0;
    uint32_t cursor = sva->pasids.next;
    uint32_t id = arm_smmu_bond_pasid(sva, master, mm, &ret);
    if (!id) {
        if (ret == -ENOSPC && sva->bug == BUG_ERRNO_AS_PASID) {
            *pasid = uint32_t(ret);
            return 0;
        }
        return ret;
    }

    svac_mm_info info{};
    ret = arm_smmu_sva_set_cd(sva, master, id, mm, &info);
    if (ret) {
        if (!smmu_mm->pasid && !arm_smmu_core_pasid(sva)) { // a failed bind consumes no PASID
            sva->pasids.free(id);
            sva->pasids.next = cursor;
        }
        return ret;
    }

    smmu_mm->pasid = id;
    smmu_mm->info = info;
    arm_smmu_bond_init(sva, dev, mm, mm_exit, cb_ctx, drvdata);
    *pasid = id;
    return 0;
}

int arm_smmu_sva_bind(void *drv, uint32_t dev, uint32_t mm, uint32_t *pasid,
                      svac_mm_exit_fn mm_exit, void *cb_ctx, uint64_t drvdata) {
    arm_smmu_sva *sva = to_sva(drv);
    arm_smmu_master *master = find_master(sva, dev);
    if (!master || mm >= sva->mms.size() || !pasid) return -EINVAL;
    if (!master->sva_enabled) return -ENODEV;

    arm_smmu_mm *smmu_mm = &sva->mms[mm];
    if (smmu_mm->released && sva->bug != BUG_REBIND_AFTER_EXIT) return -ESRCH;

    arm_smmu_bond &bond = master_bond(sva, dev, mm);
    if (bond.refs) {
        if (sva->bug != BUG_REBIND_NO_REFERENCE) bond.refs++;
        if (sva->bug == BUG_REBIND_REPLACES_DRVDATA) {
            bond.mm_exit = mm_exit;
            bond.cb_ctx = cb_ctx;
            bond.drvdata = drvdata;
        }
        *pasid = smmu_mm->pasid;
        return 0;
    }
    if (smmu_mm->released) return -ESRCH;

    sva->cmd_err = 0;
    int ret = arm_smmu_sva_bind_new(sva, dev, mm, pasid, mm_exit, cb_ctx, drvdata);
    return ret ? ret : sva->cmd_err;
}

// The last reference of the bond went: the CD goes invalid and nothing
// cached may translate for the PASID any more.
void arm_smmu_sva_unbind_master(arm_smmu_sva *sva, const arm_smmu_master *master,
                                const arm_smmu_mm *smmu_mm) {
    uint32_t ssid = smmu_mm->pasid;
    arm_smmu_write_cd_entry(sva, master, ssid, entry_qwords{});
    if (sva->bug != BUG_UNBIND_NO_TLB_INV)
        arm_smmu_sva_inv_master(sva, master, ssid, uint16_t(smmu_mm->info.asid));
}

// Drops one reference of the live bond of (dev, mm).
int arm_smmu_sva_unbind_bond(arm_smmu_sva *sva, uint32_t dev, uint32_t mm) {
    arm_smmu_master *master = &sva->masters[dev];
    arm_smmu_bond *bond = &master_bond(sva, dev, mm);
    const uint32_t pasid = sva->mms[mm].pasid;
    if (--bond->refs) return 0;
    // The callback goes with the bond: mm release fires only registered ones.
    if (sva->bug != BUG_CALLBACK_AFTER_UNBIND) *bond = arm_smmu_bond{};
    master->nr_bonds--;

    sva->cmd_err = 0;
    arm_smmu_mm *smmu_mm = &sva->mms[size_t(mm)];
    arm_smmu_sva_unbind_master(sva, master, smmu_mm);

    // The master can no longer fault with the PASID: whatever it sent before
    // is in the queues or with the core. Hand the queues' contents to the
    // core, then have it answer every group it holds for the PASID, before
    // the PASID can go to another mm (iopf_queue_flush_dev).
    const svac_platform *p = sva->platform;
    arm_smmu_drain_queues(sva, master->smmu);
    if (sva->bug != BUG_NO_FAULT_FLUSH_AT_UNBIND && p->flush_faults)
        p->flush_faults(p->ctx, dev, pasid);

    // Up to linux-5.3 the PASID belongs to the mm until its last bond on any
    // master goes, whether or not the mm has exited; from linux-6.1 it is the
    // core's, and the mm's until the mm is freed.
    if (--smmu_mm->nr_bonds == 0) {
        if (!arm_smmu_core_pasid(sva)) {
            sva->pasids.free(smmu_mm->pasid);
            smmu_mm->pasid = 0;
        }
    } else if (sva->bug == BUG_PASID_FREED_AT_FIRST_UNBIND) {
        sva->pasids.free(smmu_mm->pasid);
    }
    return sva->cmd_err;
}

int arm_smmu_sva_unbind(void *drv, uint32_t dev, uint32_t pasid) {
    arm_smmu_sva *sva = to_sva(drv);
    arm_smmu_master *master = find_master(sva, dev);
    if (!master) return -EINVAL;

    int64_t mm = sva->pasids.find(pasid);
    arm_smmu_bond *bond = mm < 0 ? nullptr : &master_bond(sva, dev, uint32_t(mm));
    if (!bond || !bond->refs) return sva->bug == BUG_UNBIND_UNBOUND_OK ? 0 : -ESRCH;
    return arm_smmu_sva_unbind_bond(sva, dev, uint32_t(mm));
}

// --- the handle-based contract (linux-5.3, linux-6.1) ---

// A bond's handle: its slot, from 1. A second bind of (dev, mm) gets the same.
uint64_t arm_smmu_bond_handle(const arm_smmu_sva *sva, uint32_t dev, uint32_t mm) {
    return uint64_t(dev) * sva->mms.size() + mm + 1;
}

// The (dev, mm) of a live bond's handle; false for any other value.
bool arm_smmu_handle_bond(arm_smmu_sva *sva, uint64_t handle, uint32_t *dev, uint32_t *mm) {
    if (handle == 0 || (handle > sva->bonds.size() && sva->bug != BUG_REBIND_NEW_HANDLE))
        return false;
    const uint64_t slot = (handle - 1) % sva->bonds.size();
    *dev = uint32_t(slot / sva->mms.size());
    *mm = uint32_t(slot % sva->mms.size());
    return master_bond(sva, *dev, *mm).refs != 0;
}

int arm_smmu_sva_bind_handle(void *drv, uint32_t dev, uint32_t mm, uint64_t drvdata,
                             svac_mm_exit_fn mm_exit, void *cb_ctx, uint64_t *handle) {
    if (!handle) return -EINVAL;
    uint32_t pasid = 0;
    int ret = arm_smmu_sva_bind(drv, dev, mm, &pasid, mm_exit, cb_ctx, drvdata);
    if (ret) return ret;
    arm_smmu_sva *sva = to_sva(drv);
    *handle = arm_smmu_bond_handle(sva, dev, mm);
    if (sva->bug == BUG_REBIND_NEW_HANDLE) // one per reference
        *handle += sva->bonds.size() * (master_bond(sva, dev, mm).refs - 1);
    return 0;
}

void arm_smmu_sva_unbind_handle(void *drv, uint64_t handle) {
    arm_smmu_sva *sva = to_sva(drv);
    uint32_t dev, mm;
    if (arm_smmu_handle_bond(sva, handle, &dev, &mm)) arm_smmu_sva_unbind_bond(sva, dev, mm);
}

uint32_t arm_smmu_sva_get_pasid(void *drv, uint64_t handle) {
    arm_smmu_sva *sva = to_sva(drv);
    uint32_t dev, mm;
    return arm_smmu_handle_bond(sva, handle, &dev, &mm) ? sva->mms[mm].pasid : SVAC_PASID_INVALID;
}

// DMA with the PASID now aborts quietly. The swap is hitless: the release
// CD ignores TTB0 and its walk controls.
void arm_smmu_sva_release_master(arm_smmu_sva *sva, const arm_smmu_master *master,
                                 const arm_smmu_mm *smmu_mm, uint16_t asid) {
    uint32_t ssid = smmu_mm->pasid;
    arm_smmu_sva_cd_cfg cfg = arm_smmu_sva_cd_cfg_for(sva, smmu_mm->info, ssid, false);
    cfg.asid = asid;
    arm_smmu_write_cd_entry(sva, master, ssid, arm_smmu_make_sva_release_cd(cfg));
    arm_smmu_sva_inv_master(sva, master, ssid, asid, sva->bug != BUG_RELEASE_NO_SYNC);
}

bool arm_smmu_mm_bound_on(arm_smmu_sva *sva, uint32_t smmu, uint32_t mm) {
    for (uint32_t dev = 0; dev < sva->masters.size(); dev++)
        if (sva->masters[dev].smmu == smmu && master_bond(sva, dev, mm).refs) return true;
    return false;
}

// mmu_notifier release: the mm is exiting. Bonds stay until unbound; each
// bond's owner hears about it once.
void arm_smmu_mm_release(void *drv, uint32_t mm) {
    arm_smmu_sva *sva = to_sva(drv);
    if (mm >= sva->mms.size()) return;
    arm_smmu_mm *smmu_mm = &sva->mms[mm];
    if (smmu_mm->released) return;
    // Marked first, so a bind from inside a callback fails like any later one.
    smmu_mm->released = true;

    for (uint32_t dev = 0; dev < sva->masters.size(); dev++) {
        arm_smmu_master *master = &sva->masters[dev];
        const uint16_t asid = arm_smmu_bond_asid(sva, dev, mm);
        const bool keeps =
            sva->bug == BUG_RELEASE_KEEPS_CD ||
            (sva->bug == BUG_RELEASE_KEEPS_DOMAIN_CD && master_bond(sva, dev, mm).domain);
        if (master_bond(sva, dev, mm).refs) {
            if (!keeps) arm_smmu_sva_release_master(sva, master, smmu_mm, asid);
        } else if (sva->bug == BUG_RELEASE_CD_ALL_MASTERS && smmu_mm->nr_bonds &&
                   arm_smmu_mm_bound_on(sva, master->smmu, mm)) {
            if (!arm_smmu_alloc_cd_leaf(sva, master, smmu_mm->pasid))
                arm_smmu_sva_release_master(sva, master, smmu_mm, asid);
        }
    }

    // Bond storage never moves, so a callback that unbinds is harmless.
    for (uint32_t dev = 0; dev < sva->masters.size(); dev++) {
        const arm_smmu_bond &bond = master_bond(sva, dev, mm);
        if (!bond.mm_exit) continue;
        uint64_t calls = sva->bug == BUG_CALLBACK_PER_REFERENCE ? bond.refs : 1;
        for (uint64_t i = 0; i < calls; i++)
            bond.mm_exit(bond.cb_ctx, dev, smmu_mm->pasid, bond.drvdata);
    }
    if (sva->bug == BUG_PASID_FREED_AT_EXIT && smmu_mm->nr_bonds) sva->pasids.free(smmu_mm->pasid);
}

// --- mmu notifier: invalidate_range ---

// Beyond this many pages one ASID-wide invalidation is cheaper.
constexpr uint64_t ARM_SMMU_MAX_TLBI_OPS = 64;

void arm_smmu_tlb_inv_range_asid(arm_smmu_sva *sva, uint32_t smmu, uint16_t asid, uint64_t start,
                                 uint64_t end) {
    uint64_t first = start >> 12;
    uint64_t last = (end - 1) >> 12;
    if (last - first >= ARM_SMMU_MAX_TLBI_OPS) {
        arm_smmu_cmdq_issue_cmd(sva, smmu, arm_smmu_cmd_tlbi_nh_asid(asid));
        return;
    }
    for (uint64_t page = first; page <= last; page++) {
        if (page == last && sva->bug == BUG_NOTIFIER_TLBI_SHORT) break; // '<' on an inclusive end
        arm_smmu_cmdq_issue_cmd(sva, smmu, arm_smmu_cmd_tlbi_nh_va(asid, page << 12));
    }
}

void arm_smmu_mm_invalidate_range(void *drv, uint32_t mm, uint64_t start, uint64_t end) {
    arm_smmu_sva *sva = to_sva(drv);
    if (mm >= sva->mms.size() || end <= start) return;
    const arm_smmu_mm *smmu_mm = &sva->mms[mm];
    // After release every CD of the mm ignores its page table.
    if (!smmu_mm->nr_bonds || smmu_mm->released) return;

    for (uint32_t smmu = 0; smmu < sva->smmus.size(); smmu++) {
        // The ASID of the mm here: the CPU's, or its SVA domain's on this SMMU.
        int64_t bound = -1;
        for (uint32_t dev = 0; dev < sva->masters.size() && bound < 0; dev++)
            if (sva->masters[dev].smmu == smmu && master_bond(sva, dev, mm).refs) bound = dev;
        if (bound < 0) continue;
        arm_smmu_tlb_inv_range_asid(sva, smmu, arm_smmu_bond_asid(sva, uint32_t(bound), mm), start,
                                    end);
        for (uint32_t dev = 0; dev < sva->masters.size(); dev++) {
            const arm_smmu_master &master = sva->masters[dev];
            if (master.smmu != smmu || !master.ats || !master_bond(sva, dev, mm).refs) continue;
            if (sva->bug == BUG_NOTIFIER_NO_ATC_INV) continue;
            arm_smmu_cmdq_issue_cmd(
                sva, smmu, arm_smmu_atc_inv_to_cmd(master.sid, smmu_mm->pasid, start, end));
        }
        arm_smmu_cmdq_issue_sync(sva, smmu);
        if (sva->bug == BUG_NOTIFIER_ONE_SMMU) break;
    }
}

// --- the domain-based contract (linux-6.12, linux-6.16) ---

// dev->iommu->max_pasids: 1 << S1CDMax's width (0: no PASID).
uint32_t arm_smmu_probe_device(void *drv, uint32_t dev) {
    const arm_smmu_master *master = find_master(to_sva(drv), dev);
    return master && master->has_pasid ? 1u << master->ssid_bits : 0;
}

arm_smmu_domain *to_smmu_domain(arm_smmu_sva *sva, uint64_t domain) {
    if (domain == 0 || domain > sva->domains.size() || !sva->domains[domain - 1].live)
        return nullptr;
    return &sva->domains[domain - 1];
}

// Until linux-6.12 SVA is the feature's (enabled by the caller); from
// linux-6.16 the master is made ready for it when its first SVA domain is
// attached: the CD table, and I/O page faults if it can take them.
int arm_smmu_master_sva_ready(arm_smmu_sva *sva, arm_smmu_master *master) {
    if (sva->api == SVAC_API_LINUX_6_12) return master->sva_enabled ? 0 : -ENODEV;
    if ((!sva->smmus[master->smmu].sva && sva->bug != BUG_SVA_UNCHECKED_AT_ATTACH) ||
        !master->has_pasid)
        return -EOPNOTSUPP;
    if (!master->sva_enabled) {
        int ret = arm_smmu_master_enable_sva(sva, master);
        if (ret) return ret;
    }
    if (sva->bug != BUG_IOPF_NOT_ENABLED_AT_ATTACH)
        master->iopf_enabled = master->pri || master->stall;
    return 0;
}

// arm_smmu_sva_domain_alloc: a private ASID from the SMMU's ASID space.
int arm_smmu_sva_domain_alloc(void *drv, uint32_t dev, uint32_t mm, uint64_t *domain) {
    arm_smmu_sva *sva = to_sva(drv);
    arm_smmu_master *master = find_master(sva, dev);
    if (!master || mm >= sva->mms.size() || !domain) return -EINVAL;
    if (sva->api == SVAC_API_LINUX_6_12 && !master->sva_enabled) return -ENODEV;
    if ((!sva->smmus[master->smmu].sva && sva->bug != BUG_SVA_UNCHECKED_AT_ATTACH) ||
        !master->has_pasid)
        return -EOPNOTSUPP;
    uint32_t asid = sva->bug == BUG_ASID_ZERO ? 0 : 1;
    for (auto it = sva->asids.begin(); it != sva->asids.end() && *it == asid; ++it) asid++;
    if (asid > 0xffff) return -ENOSPC;
    size_t slot = 0;
    while (slot < sva->domains.size() && sva->domains[slot].live) slot++;
    if (sva->bug == BUG_ASID_BY_COUNT) {
        asid = 1;
        for (const arm_smmu_domain &d : sva->domains) asid += d.live;
    }
    try {
        if (slot == sva->domains.size()) sva->domains.push_back({});
        sva->asids.insert(uint16_t(asid));
    } catch (const std::bad_alloc &) {
        return -ENOMEM;
    }
    sva->domains[slot] = arm_smmu_domain{true, master->smmu, mm, uint16_t(asid), 0, dev};
    *domain = slot + 1;
    return 0;
}

// arm_smmu_sva_domain_free: the ASID leaves the TLBs before it is reused.
void arm_smmu_sva_domain_free(void *drv, uint64_t domain) {
    arm_smmu_sva *sva = to_sva(drv);
    arm_smmu_domain *d = to_smmu_domain(sva, domain);
    if (!d) return;
    sva->cmd_err = 0;
    arm_smmu_cmdq_issue_cmd(sva, d->smmu, arm_smmu_cmd_tlbi_nh_asid(d->asid));
    arm_smmu_cmdq_issue_sync(sva, d->smmu);
    sva->asids.erase(d->asid);
    d->live = false;
}

// The mm whose domain is attached at pasid of dev, or -1.
int64_t arm_smmu_attached_mm(arm_smmu_sva *sva, uint32_t dev, uint32_t pasid) {
    for (uint32_t mm = 0; mm < sva->mms.size(); mm++)
        if (sva->mms[mm].pasid == pasid && master_bond(sva, dev, mm).domain) return mm;
    return -1;
}

// arm_smmu_sva_set_dev_pasid: the CD of the mm with the domain's ASID.
int arm_smmu_sva_attach(arm_smmu_sva *sva, arm_smmu_domain *d, uint64_t domain, uint32_t dev,
                        uint32_t pasid, uint64_t old) {
    arm_smmu_master *master = &sva->masters[dev];
    arm_smmu_mm *smmu_mm = &sva->mms[d->mm];
    if (d->smmu != master->smmu || old != SVAC_DOMAIN_NONE) return -EINVAL;
    if (sva->bug == BUG_DOMAIN_PER_MASTER && d->first_master != dev) return -EINVAL;
    if (pasid == 0 || pasid > master->ssid_max || arm_smmu_attached_mm(sva, dev, pasid) >= 0)
        return -EINVAL;
    // Prevents arm_smmu_mm_release from running during the attach (mmget_not_zero).
    if (smmu_mm->released) return -EINVAL;
    sva->cmd_err = 0;
    int ret = arm_smmu_master_sva_ready(sva, master);
    if (ret) return ret;
    svac_mm_info info{};
    ret = arm_smmu_sva_set_cd(sva, master, pasid, d->mm, &info, d->asid);
    if (ret) return ret;
    smmu_mm->pasid = pasid;
    smmu_mm->info = info;
    arm_smmu_bond_init(sva, dev, d->mm, nullptr, nullptr, 0);
    master_bond(sva, dev, d->mm).domain = domain;
    d->nr_attached++;
    return sva->cmd_err;
}

// The PASID of dev stops translating through the mm's domain: the CD goes
// invalid, the TLB and ATC forget it, and the faults in flight for it are
// answered (arm_smmu_remove_dev_pasid; from linux-6.16 the blocked domain's
// set_dev_pasid).
void arm_smmu_sva_detach(arm_smmu_sva *sva, uint32_t dev, uint32_t pasid, uint64_t domain) {
    const int64_t mm = arm_smmu_attached_mm(sva, dev, pasid);
    if (mm < 0 || master_bond(sva, dev, uint32_t(mm)).domain != domain) return;
    arm_smmu_master *master = &sva->masters[dev];
    arm_smmu_domain *d = &sva->domains[domain - 1];
    sva->cmd_err = 0;
    if (sva->bug == BUG_BLOCKED_NO_CFGI) // V=0, and no CMD_CFGI_CD
        arm_smmu_write64(sva, arm_smmu_get_cd_ptr(master, pasid), 0);
    else
        arm_smmu_write_cd_entry(sva, master, pasid, entry_qwords{});
    arm_smmu_sva_inv_master(sva, master, pasid, d->asid, true, sva->bug != BUG_BLOCKED_NO_ATC_INV);
    const svac_platform *p = sva->platform;
    if (sva->bug != BUG_REMOVE_NO_FAULT_FLUSH) {
        arm_smmu_drain_queues(sva, master->smmu);
        p->flush_faults(p->ctx, dev, pasid);
    }
    master_bond(sva, dev, uint32_t(mm)) = arm_smmu_bond{};
    master->nr_bonds--;
    sva->mms[size_t(mm)].nr_bonds--;
    d->nr_attached--;
    if (sva->api != SVAC_API_LINUX_6_12 && !master->nr_bonds) master->iopf_enabled = false;
}

int arm_smmu_set_dev_pasid(void *drv, uint64_t domain, uint32_t dev, uint32_t pasid, uint64_t old) {
    arm_smmu_sva *sva = to_sva(drv);
    if (!find_master(sva, dev)) return -EINVAL;
    if (domain == SVAC_DOMAIN_BLOCKED) { // arm_smmu_blocking_set_dev_pasid
        if (sva->api == SVAC_API_LINUX_6_12) return -EINVAL;
        if (sva->bug == BUG_BLOCKED_LEAVES_CD) return 0;
        arm_smmu_sva_detach(sva, dev, pasid, old);
        if (sva->bug == BUG_BLOCKED_FAILS && !sva->masters[dev].nr_bonds) return -ENODEV;
        return sva->cmd_err;
    }
    arm_smmu_domain *d = to_smmu_domain(sva, domain);
    return d ? arm_smmu_sva_attach(sva, d, domain, dev, pasid, old) : -EINVAL;
}

void arm_smmu_remove_dev_pasid(void *drv, uint32_t dev, uint32_t pasid, uint64_t domain) {
    arm_smmu_sva *sva = to_sva(drv);
    if (find_master(sva, dev)) arm_smmu_sva_detach(sva, dev, pasid, domain);
}

// --- probe ---

// Bond slots are a flat table, one per (master, mm) pair.
constexpr uint64_t ARM_SMMU_MAX_BOND_SLOTS = 1u << 20;

bool arm_smmu_topology_ok(const svac_topology *t) {
    if ((t->n_iommus && !t->iommus) || (t->n_devices && !t->devices)) return false;
    if (uint64_t(t->n_devices) * t->n_mms > ARM_SMMU_MAX_BOND_SLOTS) return false;
    for (uint32_t i = 0; i < t->n_iommus; i++) {
        const svac_iommu_desc &d = t->iommus[i];
        if (d.arch != SVAC_ARCH_SMMUV3 || d.pasid_bits > SVAC_PASID_BITS_MAX) return false;
    }
    for (uint32_t i = 0; i < t->n_devices; i++) {
        const svac_device_desc &d = t->devices[i];
        if (d.iommu >= t->n_iommus || d.pasid_bits > SVAC_PASID_BITS_MAX) return false;
    }
    return true;
}

// Two masters of one SMMU cannot share a StreamID: each owns its STE.
bool arm_smmu_streams_unique(const svac_topology *t) {
    std::vector<std::pair<uint32_t, uint32_t>> streams;
    streams.reserve(t->n_devices);
    for (uint32_t i = 0; i < t->n_devices; i++)
        streams.emplace_back(t->devices[i].iommu, t->devices[i].sid);
    std::sort(streams.begin(), streams.end());
    return std::adjacent_find(streams.begin(), streams.end()) == streams.end();
}

bool arm_smmu_platform_ok(const svac_platform *p) {
    return p && p->abi_version == SVAC_ABI_VERSION && p->size >= sizeof(svac_platform) &&
           p->alloc && p->free && p->read64 && p->write64 && p->write_reg && p->submit_cmd &&
           p->mm_info && p->api <= SVAC_API_LINUX_6_16 &&
           (p->api != SVAC_API_LINUX_6_1 || p->alloc_mm_pasid);
}

arm_smmu_master arm_smmu_probe_master(const svac_device_desc &d, const arm_smmu_device &smmu) {
    arm_smmu_master master{};
    master.smmu = d.iommu;
    master.sid = d.sid;
    master.ssid_bits = std::min(d.pasid_bits, smmu.pasid_bits);
    master.dev_pasid_max = pasid_max(d.pasid_bits);
    master.ssid_max = pasid_max(master.ssid_bits);
    master.has_pasid = master.ssid_max >= 1; // both the master and the SMMU take SSIDs
    master.pri = d.pri != 0;
    master.stall = d.stall != 0;
    master.ats = d.ats != 0;
    master.param_min = 1;
    master.param_max = UINT32_MAX;
    const arm_smmu_cd_table_layout layout = arm_smmu_cd_layout(master.ssid_bits);
    if (layout.s1fmt == STRTAB_STE_0_S1FMT_64K_L2) master.cd_table.l2.resize(layout.num_entries);
    return master;
}

arm_smmu_sva *arm_smmu_sva_alloc(const svac_platform *p, const svac_topology *t) {
    auto *sva = new arm_smmu_sva{};
    sva->platform = p;
    sva->smmus.reserve(t->n_iommus);
    for (uint32_t i = 0; i < t->n_iommus; i++)
        sva->smmus.push_back({t->iommus[i].pasid_bits, t->iommus[i].sva != 0, false, 0, 0, {}, {}});
    for (uint32_t i = 0; i < t->n_devices; i++)
        if (t->devices[i].stall) sva->smmus[t->devices[i].iommu].stalls = true;
    sva->masters.reserve(t->n_devices);
    for (uint32_t i = 0; i < t->n_devices; i++)
        sva->masters.push_back(
            arm_smmu_probe_master(t->devices[i], sva->smmus[t->devices[i].iommu]));
    sva->mms.resize(t->n_mms);
    sva->bonds.resize(size_t(t->n_devices) * t->n_mms);
    sva->pasids.ids.reserve(t->n_mms);
    return sva;
}

// A linear stream table covering the largest StreamID of the SMMU's masters.
int arm_smmu_init_strtab(arm_smmu_sva *sva, uint32_t smmu) {
    uint32_t max_sid = 0;
    for (const arm_smmu_master &master : sva->masters)
        if (master.smmu == smmu) max_sid = std::max(max_sid, master.sid);
    arm_smmu_device &dev = sva->smmus[smmu];
    dev.strtab_log2size = uint32_t(std::bit_width(max_sid));
    uint64_t size = STRTAB_STE_SIZE << dev.strtab_log2size;
    dev.strtab = arm_smmu_alloc(sva, size, size);
    return dev.strtab ? 0 : -ENOMEM;
}

void arm_smmu_free_strtabs(arm_smmu_sva *sva) {
    for (arm_smmu_device &dev : sva->smmus) {
        arm_smmu_free(sva, dev.strtab);
        dev.strtab = 0;
    }
}

int arm_smmu_init_one_queue(arm_smmu_sva *sva, arm_smmu_queue *q, uint32_t max_n_shift,
                            uint32_t ent_dwords, uint32_t prod_reg, uint32_t cons_reg) {
    uint64_t size = (uint64_t{ent_dwords} * 8) << max_n_shift;
    q->base = arm_smmu_alloc(sva, size, size); // Q_BASE takes a size-aligned base
    if (!q->base) return -ENOMEM;
    q->max_n_shift = max_n_shift;
    q->ent_dwords = ent_dwords;
    q->prod_reg = prod_reg;
    q->cons_reg = cons_reg;
    q->cons = 0;
    return 0;
}

// The event queue (stalls) and the PRI queue (page requests). A platform
// that cannot read registers gets none: the driver could not consume them.
int arm_smmu_init_queues(arm_smmu_sva *sva, uint32_t smmu) {
    if (!sva->platform->read_reg) return 0;
    arm_smmu_device &dev = sva->smmus[smmu];
    int ret = arm_smmu_init_one_queue(sva, &dev.evtq, EVTQ_MAX_SZ_SHIFT, EVTQ_ENT_DWORDS,
                                      ARM_SMMU_EVTQ_PROD, ARM_SMMU_EVTQ_CONS);
    if (ret) return ret;
    return arm_smmu_init_one_queue(sva, &dev.priq, PRIQ_MAX_SZ_SHIFT, PRIQ_ENT_DWORDS,
                                   ARM_SMMU_PRIQ_PROD, ARM_SMMU_PRIQ_CONS);
}

void arm_smmu_free_queues(arm_smmu_sva *sva) {
    for (arm_smmu_device &dev : sva->smmus) {
        arm_smmu_free(sva, dev.evtq.base);
        arm_smmu_free(sva, dev.priq.base);
        dev.evtq.base = dev.priq.base = 0;
    }
}

// Points the SMMU at a queue, empty: CONS = PROD, OVACKFLG included.
uint64_t arm_smmu_reset_queue(arm_smmu_sva *sva, uint32_t smmu, arm_smmu_queue *q,
                              uint32_t base_reg, uint64_t enable) {
    if (!q->base) return 0;
    arm_smmu_write_reg(sva, smmu, base_reg,
                       (q->base & Q_BASE_ADDR_MASK) | field_prep(Q_BASE_LOG2SIZE, q->max_n_shift));
    auto prod = uint32_t(arm_smmu_read_reg(sva, smmu, q->prod_reg));
    q->cons = (prod & uint32_t(Q_OVERFLOW_FLAG)) | queue_idx_wrp(q, prod);
    arm_smmu_write_reg(sva, smmu, q->cons_reg, q->cons);
    return enable;
}

// Every master's STE bypasses (the identity default domain), written while
// the SMMU is off; unused StreamIDs stay invalid.
void arm_smmu_device_reset(arm_smmu_sva *sva, uint32_t smmu) {
    const arm_smmu_device &dev = sva->smmus[smmu];
    arm_smmu_write_reg(sva, smmu, ARM_SMMU_STRTAB_BASE,
                       (dev.strtab & STRTAB_BASE_ADDR_MASK) | STRTAB_BASE_RA);
    arm_smmu_write_reg(sva, smmu, ARM_SMMU_STRTAB_BASE_CFG,
                       field_prep(STRTAB_BASE_CFG_FMT, STRTAB_BASE_CFG_FMT_LINEAR) |
                           field_prep(STRTAB_BASE_CFG_LOG2SIZE, dev.strtab_log2size));

    const entry_qwords ste = arm_smmu_make_bypass_ste();
    for (const arm_smmu_master &master : sva->masters) {
        if (master.smmu != smmu) continue;
        uint64_t pa = arm_smmu_get_step_for_sid(sva, &master);
        for (unsigned i = 0; i < NUM_ENTRY_QWORDS; i++)
            if (ste[i]) arm_smmu_write64(sva, pa + 8 * i, ste[i]);
    }
    arm_smmu_cmdq_issue_cmd(sva, smmu, arm_smmu_cmd_cfgi_all());
    arm_smmu_cmdq_issue_sync(sva, smmu);

    arm_smmu_device *smmu_dev = &sva->smmus[smmu];
    uint64_t enables = 0;
    enables |= arm_smmu_reset_queue(sva, smmu, &smmu_dev->evtq, ARM_SMMU_EVTQ_BASE, CR0_EVTQEN);
    enables |= arm_smmu_reset_queue(sva, smmu, &smmu_dev->priq, ARM_SMMU_PRIQ_BASE, CR0_PRIQEN);
    arm_smmu_write_reg(sva, smmu, ARM_SMMU_CR0, CR0_SMMUEN | enables);
}

void arm_smmu_destroy(void *drv) {
    arm_smmu_sva *sva = to_sva(drv);
    for (uint32_t smmu = 0; smmu < sva->smmus.size(); smmu++)
        if (sva->smmus[smmu].strtab) arm_smmu_write_reg(sva, smmu, ARM_SMMU_CR0, 0);
    for (arm_smmu_master &master : sva->masters) arm_smmu_free_cd_tables(sva, &master);
    arm_smmu_free_queues(sva);
    arm_smmu_free_strtabs(sva);
    delete sva;
}

void *arm_smmu_create_bug(const svac_platform *p, const svac_topology *t, uint32_t bug) {
    if (!arm_smmu_platform_ok(p) || !t || !arm_smmu_topology_ok(t)) return nullptr;
    arm_smmu_sva *sva;
    try {
        if (!arm_smmu_streams_unique(t)) return nullptr;
        sva = arm_smmu_sva_alloc(p, t);
        sva->bug = bug;
        sva->api = p->api;
    } catch (const std::bad_alloc &) {
        return nullptr;
    } catch (const std::length_error &) {
        return nullptr;
    }

    for (uint32_t smmu = 0; smmu < sva->smmus.size(); smmu++) {
        if (arm_smmu_init_strtab(sva, smmu) || arm_smmu_init_queues(sva, smmu)) {
            arm_smmu_free_queues(sva);
            arm_smmu_free_strtabs(sva);
            delete sva;
            return nullptr;
        }
    }
    sva->cmd_err = 0;
    for (uint32_t smmu = 0; smmu < sva->smmus.size(); smmu++) arm_smmu_device_reset(sva, smmu);
    if (sva->cmd_err) {
        arm_smmu_destroy(sva);
        return nullptr;
    }
    return sva;
}

void *arm_smmu_create(const svac_platform *p, const svac_topology *t) {
    return arm_smmu_create_bug(p, t, BUG_NONE);
}

constexpr svac_driver_ops arm_smmu_sva_ops = {
    .abi_version = SVAC_ABI_VERSION,
    .size = sizeof(svac_driver_ops),
    .name = "smmuv3",
    .version = "0.3.0",
    .arch_mask = 1u << SVAC_ARCH_SMMUV3,
    .create = arm_smmu_create,
    .destroy = arm_smmu_destroy,
    .dev_has_feat = arm_smmu_dev_has_feature,
    .dev_enable_feat = arm_smmu_dev_enable_feature,
    .dev_disable_feat = arm_smmu_dev_disable_feature,
    .dev_feat_enabled = arm_smmu_dev_feature_enabled,
    .set_sva_param = arm_smmu_sva_set_param,
    .bind_mm = arm_smmu_sva_bind,
    .unbind_mm = arm_smmu_sva_unbind,
    .mm_release = arm_smmu_mm_release,
    .mm_invalidate_range = arm_smmu_mm_invalidate_range,
    .service_irq = arm_smmu_service_irq,
    .page_response = arm_smmu_page_response,
    .contracts = SVAC_CONTRACT_RFC2019 | SVAC_CONTRACT_HANDLE | SVAC_CONTRACT_DOMAIN,
    .sva_bind = arm_smmu_sva_bind_handle,
    .sva_unbind = arm_smmu_sva_unbind_handle,
    .sva_get_pasid = arm_smmu_sva_get_pasid,
    .probe_device = arm_smmu_probe_device,
    .domain_alloc_sva = arm_smmu_sva_domain_alloc,
    .domain_free = arm_smmu_sva_domain_free,
    .set_dev_pasid = arm_smmu_set_dev_pasid,
    .remove_dev_pasid = arm_smmu_remove_dev_pasid,
};

// --- mutants: one ops table per seeded bug, whose create turns it on ---

constexpr const char *arm_smmu_mutant_names[NR_BUGS] = {
    nullptr,
#define SVAC_MUTANT(id, name, ...) name,
#include "models/smmuv3/smmuv3_mutants.def"
#undef SVAC_MUTANT
};

constexpr const char *arm_smmu_mutant_ops_names[NR_BUGS] = {
    "smmuv3",
#define SVAC_MUTANT(id, name, ...) "smmuv3:" name,
#include "models/smmuv3/smmuv3_mutants.def"
#undef SVAC_MUTANT
};

template <uint32_t B> void *arm_smmu_create_mutant(const svac_platform *p, const svac_topology *t) {
    return arm_smmu_create_bug(p, t, B);
}

template <uint32_t B> constexpr svac_driver_ops arm_smmu_mutant_ops() {
    svac_driver_ops ops = arm_smmu_sva_ops;
    ops.name = arm_smmu_mutant_ops_names[B];
    ops.create = arm_smmu_create_mutant<B>;
    return ops;
}

template <uint32_t... B>
constexpr std::array<svac_driver_ops, sizeof...(B)>
arm_smmu_make_mutants(std::integer_sequence<uint32_t, B...>) {
    return {arm_smmu_mutant_ops<B>()...};
}

constexpr auto arm_smmu_mutants =
    arm_smmu_make_mutants(std::make_integer_sequence<uint32_t, NR_BUGS>());

} // namespace

extern "C" const struct svac_driver_ops *svac_smmuv3_entry(void) {
    return &arm_smmu_sva_ops;
}

extern "C" const struct svac_driver_ops *svac_smmuv3_mutant(const char *name) {
    for (uint32_t b = BUG_NONE + 1; name && b < NR_BUGS; b++)
        if (std::strcmp(name, arm_smmu_mutant_names[b]) == 0) return &arm_smmu_mutants[b];
    return nullptr;
}
