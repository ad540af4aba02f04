// The IOMMU core's side of the domain-based contract (linux-6.12,
// linux-6.16), as the kit plays it around a driver: iommu_sva_bind_device
// and iommu_sva_unbind_device (drivers/iommu/iommu-sva.c), with
// iommu_attach_device_pasid and iommu_detach_device_pasid (iommu.c) for a
// group of one device. The core owns the handles, their references and the
// mm's PASID; the driver owns its domains and its tables.
#include "engine/driver.h"

#include <algorithm>
#include <cerrno>

namespace svac::engine {

// dev->iommu->max_pasids, as the driver sets it at probe (PCIe PASIDs
// have 20 bits: a larger answer is taken as that).
void DriverInstance::probe_devices() {
    max_pasids_.resize(topo_.devices.size());
    for (uint32_t d = 0; d < max_pasids_.size(); ++d)
        max_pasids_[d] = std::min(calls_->call({.entry = Entry::probe_device, .dev = d}).pasid,
                                  1u << SVAC_PASID_BITS_MAX);
}

// iommu_alloc_mm_data: the mm's PASID, given at its first bind (the lowest
// free in [1, max_pasids - 1]) and the mm's until it is freed.
int DriverInstance::alloc_mm_data(uint32_t dev, uint32_t mm, uint32_t *pasid) {
    const uint32_t max = max_pasids_[dev];
    if (const uint32_t held = core_mms_[mm].pasid; held != 0) {
        if (held >= max) return -EOVERFLOW;
        *pasid = held;
        return 0;
    }
    if (max < 2) return -ENOSPC;
    return alloc_mm_pasid(mm, 1, max - 1, pasid) == 0 ? 0 : -ENOSPC;
}

// A domain the driver named: a value that is neither reserved nor live.
bool DriverInstance::fresh_domain(uint64_t value) const {
    if (value == SVAC_DOMAIN_NONE || value == SVAC_DOMAIN_BLOCKED) return false;
    for (const CoreDomain &d : domains_)
        if (d.value == value) return false;
    return true;
}

// A domain's name in the op's calls (ref::DriverCall): that of the live
// domain, or for a new one the lowest no live domain has.
uint32_t DriverInstance::domain_name(uint64_t value) const {
    if (value == SVAC_DOMAIN_NONE) return ref::DriverCall::kNone;
    if (value == SVAC_DOMAIN_BLOCKED) return ref::DriverCall::kBlocked;
    for (const CoreDomain &d : domains_)
        if (d.value == value) return d.name;
    uint32_t name = 0;
    while (std::any_of(domains_.begin(), domains_.end(),
                       [&](const CoreDomain &d) { return d.name == name; }))
        ++name;
    return name;
}

// Calls the driver's set_dev_pasid and records the call.
int DriverInstance::set_dev_pasid(uint64_t domain, uint32_t dev, uint32_t pasid, uint64_t old,
                                  ref::Observation &obs) {
    const int rc = calls_
                       ->call({.entry = Entry::set_dev_pasid,
                               .dev = dev,
                               .pasid = pasid,
                               .handle = domain,
                               .old = old})
                       .rc;
    obs.calls->push_back({.kind = ref::DriverCall::Kind::set_dev_pasid,
                          .dev = dev,
                          .pasid = pasid,
                          .domain = domain_name(domain),
                          .old = domain_name(old),
                          .rc = rc});
    return rc;
}

void DriverInstance::free_domain(uint64_t domain, uint32_t name, ref::Observation &obs) {
    calls_->call({.entry = Entry::domain_free, .handle = domain});
    obs.calls->push_back({.kind = ref::DriverCall::Kind::domain_free, .domain = name});
}

// iommu_attach_device_pasid for a group of one device: the PASID is checked
// (ATTACH-2) before the driver sees it, and a busy one is refused.
int DriverInstance::attach_dev_pasid(uint64_t domain, uint32_t dev, uint32_t pasid,
                                     ref::Observation &obs) {
    if (pasid == 0 || pasid >= max_pasids_[dev]) return -EINVAL;
    for (const auto &[name, h] : handles_)
        if (h.dev == dev && h.pasid == pasid) return -EBUSY;
    return set_dev_pasid(domain, dev, pasid, SVAC_DOMAIN_NONE, obs);
}

// iommu_sva_bind_device.
int DriverInstance::bind_domain(const ref::Op &op, ref::Observation &obs) {
    obs.calls.emplace();
    // The caller holds a reference to mm_users: an exited mm has none.
    if (core_mms_[op.mm].exited) return -ESRCH;
    if (max_pasids_[op.dev] == 0) return -ENODEV; // no PASID: no SVA (ATTACH-5)
    uint32_t pasid = 0;
    if (int rc = alloc_mm_data(op.dev, op.mm, &pasid)) return rc;
    obs.pasid = pasid;

    // A bond already exists: one more reference to its handle.
    for (auto &[name, h] : handles_)
        if (h.dev == op.dev && h.pasid == pasid) {
            if (h.mm != op.mm) return -EBUSY;
            ++h.refs;
            obs.handle = name;
            return 0;
        }

    // The mm's SVA domains, the newest first; one of another IOMMU refuses.
    uint64_t domain = SVAC_DOMAIN_NONE;
    for (auto d = domains_.rbegin(); d != domains_.rend() && !domain; ++d)
        if (d->mm == op.mm && attach_dev_pasid(d->value, op.dev, pasid, obs) == 0) {
            ++d->users;
            domain = d->value;
        }
    if (!domain) {
        const EntryReturn r =
            calls_->call({.entry = Entry::domain_alloc_sva, .dev = op.dev, .mm = op.mm});
        // A success that names no usable domain leaves the core nothing to
        // attach: the bind fails, as if the allocation had.
        const int rc = r.rc == 0 && !fresh_domain(r.handle) ? -ENOMEM : r.rc;
        const uint32_t name = rc == 0 ? domain_name(r.handle) : 0;
        obs.calls->push_back({.kind = ref::DriverCall::Kind::domain_alloc_sva,
                              .dev = op.dev,
                              .mm = op.mm,
                              .domain = name,
                              .rc = rc});
        if (rc != 0) return rc;
        domains_.push_back(CoreDomain{r.handle, op.mm, 0, name});
        if (int err = attach_dev_pasid(r.handle, op.dev, pasid, obs)) {
            domains_.pop_back();
            free_domain(r.handle, name, obs);
            return err;
        }
        domains_.back().users = 1;
        domain = r.handle;
    }

    const uint32_t name = free_handle_name();
    handles_[name] = LiveHandle{0, op.dev, op.mm, pasid, 0, domain, 1};
    obs.handle = name;
    return 0;
}

// iommu_sva_unbind_device: the last reference detaches the PASID
// (remove_dev_pasid in linux-6.12, the blocked domain in linux-6.16) and the
// domain's last user frees it.
void DriverInstance::unbind_domain(const ref::Op &op, ref::Observation &obs) {
    auto it = handles_.find(op.handle);
    if (it == handles_.end()) return; // no live handle: the caller has nothing to pass
    obs.calls.emplace();
    LiveHandle &h = it->second;
    if (--h.refs > 0) return;
    if (profile_.blocked_domain) {
        set_dev_pasid(SVAC_DOMAIN_BLOCKED, h.dev, h.pasid, h.domain, obs);
    } else {
        calls_->call(
            {.entry = Entry::remove_dev_pasid, .dev = h.dev, .pasid = h.pasid, .handle = h.domain});
        obs.calls->push_back({.kind = ref::DriverCall::Kind::remove_dev_pasid,
                              .dev = h.dev,
                              .pasid = h.pasid,
                              .domain = domain_name(h.domain)});
    }
    for (auto d = domains_.begin(); d != domains_.end(); ++d)
        if (d->value == h.domain && --d->users == 0) {
            const CoreDomain gone = *d;
            domains_.erase(d);
            free_domain(gone.value, gone.name, obs);
            break;
        }
    handles_.erase(it);
    free_mm_pasids(); // an mm freed before its last unbind
}

} // namespace svac::engine
