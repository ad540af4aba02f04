// SPDX-License-Identifier: MIT
//
// Bundled Arm SMMUv3 SVA driver model (profile rfc2019).
//
// The iommu_ops side of SVA for SMMUv3 masters: the SVA device feature,
// PASID limits, bonds between masters and mms, the mm release path and one
// global PASID space. It sees the driver ABI only; all state hangs off the
// instance create() returns.

#include <svac/driver_abi.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <new>
#include <stdexcept>
#include <vector>

namespace {

struct arm_smmu_device {
    uint32_t pasid_bits;
    bool sva;
};

struct arm_smmu_master {
    uint32_t smmu;
    uint32_t ssid_max; // min(device, SMMU) PASID width, as the largest PASID
    bool has_pasid;
    bool pri;
    bool stall;
    bool ats;
    bool sva_enabled;
    uint32_t param_min; // iommu_sva_set_param limits, both inclusive
    uint32_t param_max;
    uint32_t dev_pasid_max; // 2^pasid_bits - 1 of the device alone
    uint32_t nr_bonds;
};

struct arm_smmu_bond {
    uint64_t refs; // 0: no bond
    svac_mm_exit_fn mm_exit;
    void *cb_ctx;
    uint64_t drvdata;
};

struct arm_smmu_mm {
    uint32_t pasid; // 0: none allocated
    uint32_t nr_bonds;
    bool released;
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
    pasid_allocator pasids;
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

// Recoverable faults: PRI, or a stall-capable master (SMMUv3 only, which
// every SMMU this driver takes is).
bool arm_smmu_master_sva_supported(const arm_smmu_sva *sva, const arm_smmu_master *master) {
    return sva->smmus[master->smmu].sva && master->has_pasid && (master->pri || master->stall);
}

// --- device features ---

int arm_smmu_dev_has_feature(void *drv, uint32_t dev, uint32_t feat) {
    arm_smmu_sva *sva = to_sva(drv);
    arm_smmu_master *master = find_master(sva, dev);
    if (!master || feat != SVAC_FEAT_SVA) return 0;
    return arm_smmu_master_sva_supported(sva, master);
}

int arm_smmu_dev_feature_enabled(void *drv, uint32_t dev, uint32_t feat) {
    arm_smmu_master *master = find_master(to_sva(drv), dev);
    if (!master || feat != SVAC_FEAT_SVA) return 0;
    return master->sva_enabled;
}

int arm_smmu_dev_enable_feature(void *drv, uint32_t dev, uint32_t feat) {
    arm_smmu_sva *sva = to_sva(drv);
    arm_smmu_master *master = find_master(sva, dev);
    if (!master || feat != SVAC_FEAT_SVA) return -EINVAL;
    if (!arm_smmu_master_sva_supported(sva, master)) return -ENODEV;
    master->sva_enabled = true;
    return 0;
}

int arm_smmu_dev_disable_feature(void *drv, uint32_t dev, uint32_t feat) {
    arm_smmu_master *master = find_master(to_sva(drv), dev);
    if (!master || feat != SVAC_FEAT_SVA) return -EINVAL;
    // Bonds of exited mms still count until they are unbound.
    if (master->nr_bonds) return -EBUSY;
    master->sva_enabled = false;
    return 0;
}

int arm_smmu_sva_set_param(void *drv, uint32_t dev, uint32_t min_pasid, uint32_t max_pasid) {
    arm_smmu_master *master = find_master(to_sva(drv), dev);
    if (!master) return -EINVAL;
    if (min_pasid == 0 || min_pasid > max_pasid || max_pasid > master->dev_pasid_max)
        return -EINVAL;
    if (master->nr_bonds) return -EBUSY;
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

int arm_smmu_sva_bind(void *drv, uint32_t dev, uint32_t mm, uint32_t *pasid,
                      svac_mm_exit_fn mm_exit, void *cb_ctx, uint64_t drvdata) {
    arm_smmu_sva *sva = to_sva(drv);
    arm_smmu_master *master = find_master(sva, dev);
    if (!master || mm >= sva->mms.size() || !pasid) return -EINVAL;
    if (!master->sva_enabled) return -ENODEV;

    arm_smmu_mm *smmu_mm = &sva->mms[mm];
    if (smmu_mm->released) return -ESRCH;

    arm_smmu_bond &bond = master_bond(sva, dev, mm);
    if (bond.refs) {
        bond.refs++;
        *pasid = smmu_mm->pasid;
        return 0;
    }

    uint32_t lo, hi;
    arm_smmu_master_pasid_range(master, &lo, &hi);
    if (smmu_mm->pasid) {
        if (smmu_mm->pasid < lo || smmu_mm->pasid > hi) return -ERANGE;
    } else {
        uint32_t id = sva->pasids.alloc(lo, hi, mm);
        if (!id) return -ENOSPC;
        smmu_mm->pasid = id;
    }

    arm_smmu_bond_init(sva, dev, mm, mm_exit, cb_ctx, drvdata);
    *pasid = smmu_mm->pasid;
    return 0;
}

int arm_smmu_sva_unbind(void *drv, uint32_t dev, uint32_t pasid) {
    arm_smmu_sva *sva = to_sva(drv);
    arm_smmu_master *master = find_master(sva, dev);
    if (!master) return -EINVAL;

    int64_t mm = sva->pasids.find(pasid);
    if (mm < 0) return -ESRCH;
    arm_smmu_bond &bond = master_bond(sva, dev, uint32_t(mm));
    if (!bond.refs) return -ESRCH;

    if (--bond.refs) return 0;
    bond = arm_smmu_bond{};
    master->nr_bonds--;

    // The PASID belongs to the mm until its last bond on any master goes,
    // whether or not the mm has exited.
    arm_smmu_mm *smmu_mm = &sva->mms[size_t(mm)];
    if (--smmu_mm->nr_bonds == 0) {
        sva->pasids.free(smmu_mm->pasid);
        smmu_mm->pasid = 0;
    }
    return 0;
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

    // Bond storage never moves, so a callback that unbinds is harmless.
    for (uint32_t dev = 0; dev < sva->masters.size(); dev++) {
        const arm_smmu_bond &bond = master_bond(sva, dev, mm);
        if (bond.refs && bond.mm_exit) bond.mm_exit(bond.cb_ctx, dev, smmu_mm->pasid, bond.drvdata);
    }
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

arm_smmu_master arm_smmu_probe_master(const svac_device_desc &d, const arm_smmu_device &smmu) {
    arm_smmu_master master{};
    master.smmu = d.iommu;
    master.dev_pasid_max = pasid_max(d.pasid_bits);
    master.ssid_max = std::min(master.dev_pasid_max, pasid_max(smmu.pasid_bits));
    master.has_pasid = master.ssid_max >= 1; // both the master and the SMMU take SSIDs
    master.pri = d.pri != 0;
    master.stall = d.stall != 0;
    master.ats = d.ats != 0;
    master.param_min = 1;
    master.param_max = UINT32_MAX;
    return master;
}

arm_smmu_sva *arm_smmu_sva_alloc(const svac_platform *p, const svac_topology *t) {
    auto *sva = new arm_smmu_sva{};
    sva->platform = p;
    sva->smmus.reserve(t->n_iommus);
    for (uint32_t i = 0; i < t->n_iommus; i++)
        sva->smmus.push_back({t->iommus[i].pasid_bits, t->iommus[i].sva != 0});
    sva->masters.reserve(t->n_devices);
    for (uint32_t i = 0; i < t->n_devices; i++)
        sva->masters.push_back(
            arm_smmu_probe_master(t->devices[i], sva->smmus[t->devices[i].iommu]));
    sva->mms.resize(t->n_mms);
    sva->bonds.resize(size_t(t->n_devices) * t->n_mms);
    sva->pasids.ids.reserve(t->n_mms);
    return sva;
}

void *arm_smmu_create(const svac_platform *p, const svac_topology *t) {
    if (!p || p->abi_version != SVAC_ABI_VERSION || p->size < sizeof(svac_platform) || !t)
        return nullptr;
    if (!arm_smmu_topology_ok(t)) return nullptr;
    try {
        return arm_smmu_sva_alloc(p, t);
    } catch (const std::bad_alloc &) {
        return nullptr;
    } catch (const std::length_error &) {
        return nullptr;
    }
}

void arm_smmu_destroy(void *drv) {
    delete to_sva(drv);
}

const svac_driver_ops arm_smmu_sva_ops = {
    .abi_version = SVAC_ABI_VERSION,
    .size = sizeof(svac_driver_ops),
    .name = "smmuv3",
    .version = "0.1.0",
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
};

} // namespace

extern "C" const struct svac_driver_ops *svac_smmuv3_entry(void) {
    return &arm_smmu_sva_ops;
}
