#include "reference/fault_core.h"

#include "reference/errno.h"

#include <algorithm>

namespace svac::ref {

bool is_stop_marker(const FaultRecord &f) {
    return (f.flags & SVAC_FAULT_LAST_PAGE) && (f.flags & SVAC_FAULT_PASID_VALID) &&
           !(f.perm & (SVAC_FAULT_PERM_READ | SVAC_FAULT_PERM_WRITE));
}

uint32_t request_perm(uint8_t access) {
    uint32_t perm = access & (SVAC_FAULT_PERM_READ | SVAC_FAULT_PERM_WRITE | SVAC_FAULT_PERM_EXEC);
    if (perm & SVAC_FAULT_PERM_EXEC) perm |= SVAC_FAULT_PERM_READ;
    return perm;
}

uint32_t page_request_perm(const Op &op) {
    if (op.stop) return 0;
    uint32_t perm =
        op.perms & (SVAC_FAULT_PERM_READ | SVAC_FAULT_PERM_WRITE | SVAC_FAULT_PERM_EXEC);
    if (op.no_pasid) perm &= ~uint32_t{SVAC_FAULT_PERM_EXEC};
    return perm;
}

FaultRecord raised_record(uint32_t dev, const PageRequest &req) {
    FaultRecord f;
    f.dev = dev;
    if (req.has_pasid) {
        f.flags |= SVAC_FAULT_PASID_VALID;
        if (!req.stall) f.flags |= SVAC_FAULT_NEEDS_PASID;
        f.pasid = req.pasid;
    }
    if (req.last || req.stall) f.flags |= SVAC_FAULT_LAST_PAGE;
    f.grpid = req.group;
    f.perm = req.perm;
    f.addr = req.addr;
    return f;
}

bool closes_group(const FaultRecord &f, bool stall) {
    return stall || (f.flags & SVAC_FAULT_LAST_PAGE);
}

int FaultCore::register_handler(uint32_t dev) {
    if (devs_[dev].handler) return -EBUSY; // IOPF-9: one handler per device
    devs_[dev].handler = true;
    return 0;
}

int FaultCore::unregister_handler(uint32_t dev) {
    if (!devs_[dev].pending.empty()) return -EBUSY; // IOPF-9: faults still unanswered
    devs_[dev].handler = false; // partial requests stay: the IOPF queue holds them, not the handler
    return 0;
}

FaultCore::Report FaultCore::report(const FaultRecord &f, bool stall, int mm, uint64_t bond_gen) {
    Report r;
    Device &d = devs_[f.dev];
    if (!stall && is_stop_marker(f)) { // IOPF-11: no response, nothing held
        r.stop_marker = true;
        r.rc = d.handler ? 0 : -EINVAL;
        return r;
    }
    if (!d.handler) r.rc = -EINVAL; // IOPF-9
    if (!closes_group(f, stall)) {
        // IOPF-3: held until Last. Without a handler too: the group the Last
        // closes is the device's whole group, all of it answered INVALID.
        d.partial.push_back(f);
        return r;
    }
    FaultGroup g;
    g.dev = f.dev;
    g.grpid = f.grpid;
    g.stall = stall;
    g.mm = mm;
    g.bond_gen = bond_gen;
    // The partial requests of the same index join it, in order (IOPF-3).
    auto same = [&](const FaultRecord &p) { return p.grpid == f.grpid; };
    std::copy_if(d.partial.begin(), d.partial.end(), std::back_inserter(g.requests), same);
    d.partial.erase(std::remove_if(d.partial.begin(), d.partial.end(), same), d.partial.end());
    g.requests.push_back(f);
    if (d.handler) d.pending.push_back(g);
    r.closed = std::move(g);
    return r;
}

std::vector<FaultGroup> FaultCore::flush(uint32_t dev, uint32_t pasid) {
    Device &d = devs_[dev];
    std::vector<FaultGroup> out;
    auto of_pasid = [&](const FaultGroup &g) { return g.has_pasid() && g.pasid() == pasid; };
    std::copy_if(d.pending.begin(), d.pending.end(), std::back_inserter(out), of_pasid);
    d.pending.erase(std::remove_if(d.pending.begin(), d.pending.end(), of_pasid), d.pending.end());
    d.partial.erase(std::remove_if(d.partial.begin(), d.partial.end(),
                                   [&](const FaultRecord &f) {
                                       return (f.flags & SVAC_FAULT_PASID_VALID) &&
                                              f.pasid == pasid;
                                   }),
                    d.partial.end());
    return out;
}

bool FaultCore::holds(uint32_t dev, uint32_t pasid) const {
    const Device &d = devs_[dev];
    for (const FaultGroup &g : d.pending)
        if (g.has_pasid() && g.pasid() == pasid) return true;
    for (const FaultRecord &f : d.partial)
        if ((f.flags & SVAC_FAULT_PASID_VALID) && f.pasid == pasid) return true;
    return false;
}

void FaultCore::discard_partial(uint32_t dev) {
    devs_[dev].partial.clear();
}

const FaultGroup *FaultCore::find_pending(uint32_t dev, std::optional<uint32_t> grpid) const {
    for (const FaultGroup &g : devs_[dev].pending)
        if (!grpid || g.grpid == *grpid) return &g;
    return nullptr;
}

void FaultCore::consume(uint32_t dev, uint32_t grpid) {
    auto &p = devs_[dev].pending;
    auto it =
        std::find_if(p.begin(), p.end(), [&](const FaultGroup &g) { return g.grpid == grpid; });
    if (it != p.end()) p.erase(it);
}

} // namespace svac::ref
