// PARAM: PASID limits, set_sva_param(dev, min, max) (clauses PARAM-*).
#include "reference/reference.h"

#include <algorithm>

namespace svac::ref {

// The effective range [lo, hi] of a device, both ends inclusive (PASID-3).
void Reference::effective_range(uint32_t dev, uint32_t &lo, uint32_t &hi) const {
    const DeviceState &d = devs_[dev];
    const Device &desc = topo_.devices[dev];
    lo = std::max<uint32_t>(1, d.param_min);
    hi = std::min({pasid_width_max(desc.pasid_bits),
                   pasid_width_max(topo_.iommus[desc.iommu].pasid_bits), d.param_max});
}

Expectation Reference::expect_set_sva_param(const Op &op) const {
    Expectation e;
    uint32_t width_max = pasid_width_max(topo_.devices[op.dev].pasid_bits);
    bool invalid = op.min == 0 || op.min > op.max || op.max > width_max;
    bool bound = devs_[op.dev].bonds > 0;
    if (invalid) {
        e.rc = {-EINVAL};
        if (bound) e.rc.add(-EBUSY); // PARAM-3: when both apply, either error
        e.rc_clause = ClauseId::PARAM_2;
    } else if (bound) {
        e.rc = {-EBUSY};
        e.rc_clause = ClauseId::PARAM_3;
    } else {
        e.rc = {0};
        e.rc_clause = ClauseId::PARAM_1;
    }
    return e;
}

void Reference::commit_set_sva_param(const Op &op, const Expectation &exp, int rc) {
    DeviceState &d = devs_[op.dev];
    // A later bind outside the limits breaks the promise of the last call:
    // PARAM-1 (the new limits hold) or PARAM-2/3 (the old ones stay). A
    // PARAM-1 call that failed did so when the platform refused it memory:
    // the old limits stay, by ROBUST-4.
    d.param_promise =
        rc != 0 && exp.rc_clause == ClauseId::PARAM_1 ? ClauseId::ROBUST_4 : exp.rc_clause;
    if (rc != 0) return;
    d.param_set = true;
    d.param_min = op.min;
    d.param_max = op.max;
}

} // namespace svac::ref
