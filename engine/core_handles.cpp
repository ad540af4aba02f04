// The IOMMU core's side of the handle-based contract (linux-5.3, linux-6.1),
// as the kit plays it around a driver: iommu_sva_bind_device and
// iommu_sva_unbind_device call the driver's sva_bind, sva_get_pasid and
// sva_unbind; iommu_sva_set_ops keeps a handle's ops (v5.3); and
// iommu_sva_alloc_pasid gives each mm one PASID for its life (v6.1,
// drivers/iommu/iommu-sva-lib.c, freed by mm_pasid_drop at the mm's last
// mmdrop).
#include "engine/driver.h"

#include <cerrno>

namespace svac::engine {

// A handle is named as the trace names it: the name of the live handle the
// driver returned again, else the lowest name no live handle has. The
// reference judges the name (HANDLE-1, HANDLE-2).
void DriverInstance::bind_handle(const ref::Op &op, ref::Observation &obs) {
    const EntryReturn r = calls_->call({.entry = Entry::sva_bind,
                                        .dev = op.dev,
                                        .mm = op.mm,
                                        .drvdata = op.drvdata,
                                        .with_exit = profile_.mm_exit_callback});
    obs.rc = r.rc;
    if (r.rc != 0) return;
    const uint32_t pasid = calls_->call({.entry = Entry::sva_get_pasid, .handle = r.handle}).pasid;
    obs.pasid = pasid;
    for (const auto &[name, h] : handles_)
        if (h.value == r.handle) {
            obs.handle = name;
            return;
        }
    const uint32_t name = free_handle_name();
    handles_[name] = LiveHandle{r.handle, op.dev, op.mm, pasid, 0};
    obs.handle = name;
}

// The lowest name no live handle has.
uint32_t DriverInstance::free_handle_name() const {
    return ref::lowest_free_name(handles_);
}

void DriverInstance::unbind_handle(const ref::Op &op) {
    auto it = handles_.find(op.handle);
    if (it == handles_.end()) return; // no live handle: the caller has nothing to pass
    calls_->call({.entry = Entry::sva_unbind, .handle = it->second.value});
}

// iommu_sva_set_ops (v5.3): -EEXIST when the handle has other ops.
int DriverInstance::set_ops(const ref::Op &op) {
    auto it = handles_.find(op.handle);
    if (it == handles_.end()) return -EINVAL;
    if (it->second.ops != 0 && it->second.ops != op.ops) return -EEXIST;
    it->second.ops = op.ops;
    return 0;
}

// A driver's mm-exit call reaches the device driver only through the ops
// the core set on the handle (v5.3). One for no live handle passes on, to
// be judged (MMEXIT-4).
bool DriverInstance::exit_passes_on(uint32_t dev, uint32_t pasid) const {
    if (profile_.contract != ref::Contract::handle) return true;
    for (const auto &[name, h] : handles_)
        if (h.dev == dev && h.pasid == pasid) return h.ops != 0;
    return true;
}

// The handles whose last reference went (the reference's word: it counts
// the references) are forgotten; an mm freed with none left frees its PASID.
void DriverInstance::forget_handles(const CoreContext &ctx) {
    if (!ctx.handles || handles_.empty() || profile_.contract != ref::Contract::handle) return;
    if (std::erase_if(handles_, [&](const auto &h) { return !ctx.handles->count(h.first); }))
        free_mm_pasids();
}

// iommu_sva_alloc_pasid, both bounds inclusive (PASID-3: the v6.1 '>= max'
// is the kernel's off-by-one, not the contract).
int DriverInstance::alloc_mm_pasid(uint32_t mm, uint32_t min, uint32_t max, uint32_t *pasid) {
    if (min == 0 || max < min || min == SVAC_PASID_INVALID || max == SVAC_PASID_INVALID)
        return -EINVAL;
    CoreMm &m = core_mms_[mm];
    if (m.pasid != 0) {
        if (m.pasid < min || m.pasid > max) return -EOVERFLOW;
        *pasid = m.pasid;
        return 0;
    }
    uint32_t id = min;
    for (auto it = core_pasids_.lower_bound(min); it != core_pasids_.end() && *it == id; ++it) {
        if (id == max) return -ENOMEM;
        ++id;
    }
    m.pasid = id;
    core_pasids_.insert(id);
    *pasid = id;
    return 0;
}

// mm_pasid_drop: at the last mmdrop of an exited mm, which no bond holds.
void DriverInstance::free_mm_pasids() {
    for (uint32_t mm = 0; mm < core_mms_.size(); ++mm) {
        CoreMm &m = core_mms_[mm];
        if (m.pasid == 0 || !m.exited || !m.dropped) continue;
        bool held = false;
        for (const auto &[name, h] : handles_) held = held || h.mm == mm;
        if (held) continue;
        core_pasids_.erase(m.pasid);
        m.pasid = 0;
    }
}

} // namespace svac::engine
