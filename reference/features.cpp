// FEAT: the device feature lifecycle, IOMMU_DEV_FEAT_SVA (clauses FEAT-*).
#include "reference/reference.h"

namespace svac::ref {

namespace {
bool known_feature(uint32_t feat, const Profile &p) {
    return feat == SVAC_FEAT_SVA || (feat == SVAC_FEAT_IOPF && p.iopf_feature);
}

Expectation query(bool result, ClauseId clause) {
    Expectation e;
    e.query = true;
    e.result = result;
    e.rc_clause = clause;
    return e;
}

Expectation returns(ErrnoSet rc, ClauseId clause) {
    Expectation e;
    e.rc = rc;
    e.rc_clause = clause;
    return e;
}
} // namespace

// FEAT-1: the IOMMU walks CPU page tables, the device has PASIDs, and it can
// take recoverable faults: PCIe PRI, or stall on an SMMUv3 platform device.
bool Reference::sva_capable(uint32_t dev) const {
    const Device &d = topo_.devices[dev];
    const Iommu &iommu = topo_.iommus[d.iommu];
    bool recoverable = d.pri || (d.stall && iommu.arch == Arch::smmuv3);
    return iommu.sva && iommu.pasid_bits >= 1 && d.pasid_bits >= 1 && recoverable;
}

Expectation Reference::expect_has_feature(const Op &op) const {
    if (!known_feature(op.feat, *profile_)) return query(false, ClauseId::FEAT_8);
    return query(sva_capable(op.dev), ClauseId::FEAT_1);
}

Expectation Reference::expect_feature_enabled(const Op &op) const {
    if (!known_feature(op.feat, *profile_)) return query(false, ClauseId::FEAT_8);
    const DeviceState &d = devs_[op.dev];
    // A wrong answer breaks whichever promise made the state: the last
    // enable/disable (FEAT-4/5/7/9/10), or a query since (FEAT-2).
    return query(d.sva_enabled, d.query_since ? ClauseId::FEAT_2 : d.feat_promise);
}

// FEAT-11: on SMMUv3 a master that faults needs IOPF enabled before SVA.
bool Reference::iopf_first(uint32_t dev) const {
    return profile_->iopf_feature && topo_.iommus[topo_.devices[dev].iommu].arch == Arch::smmuv3;
}

// Without a has_feature query (linux-6.1 on) nothing says a driver takes
// page requests: Linux's SMMUv3 never did, and refuses IOPF on a PRI master
// (arm_smmu_master_iopf_supported: stall masters only; arm_smmu_handle_ppr
// denies every request). Such a refusal is conformant there.
bool Reference::may_decline_pri(uint32_t dev) const {
    return iopf_first(dev) && !ref::device_stalls(topo_, dev) && topo_.devices[dev].pri;
}

// Nor does anything say SVA needs recoverable faults: Linux's SMMUv3 enables
// it for any master with substreams, and needs IOPF first only where it
// takes the faults itself, on stall masters ("Others have device-specific
// fault handlers and don't need IOPF": arm_smmu_master_sva_enable_iopf).
bool Reference::sva_without_iopf(uint32_t dev) const {
    const Device &d = topo_.devices[dev];
    const Iommu &iommu = topo_.iommus[d.iommu];
    return iopf_first(dev) && !d.stall && iommu.sva && iommu.pasid_bits >= 1 && d.pasid_bits >= 1;
}

Expectation Reference::expect_enable_feature(const Op &op) const {
    if (!known_feature(op.feat, *profile_))
        return returns({-EINVAL, -ENODEV, -EOPNOTSUPP}, ClauseId::FEAT_8);
    const DeviceState &d = devs_[op.dev];
    if (op.feat == SVAC_FEAT_IOPF) {
        if (d.iopf_enabled) return returns({0, -EBUSY, -EEXIST}, ClauseId::FEAT_4);
        // A stall master's faults are the SMMU's to report whatever SVA can
        // do (Linux v6.12 arm_smmu_master_iopf_supported: stall_enabled).
        if (!sva_capable(op.dev) && iopf_first(op.dev) && topo_.devices[op.dev].stall)
            return returns({0, -ENODEV, -EINVAL, -EOPNOTSUPP}, ClauseId::FEAT_3);
        if (!sva_capable(op.dev)) return returns({-ENODEV, -EINVAL, -EOPNOTSUPP}, ClauseId::FEAT_3);
        if (may_decline_pri(op.dev)) return returns({0, -EINVAL}, ClauseId::FEAT_3);
        return returns({0}, ClauseId::FEAT_3);
    }
    if (d.sva_enabled && sva_capable(op.dev))
        return returns({0, -EBUSY, -EEXIST}, ClauseId::FEAT_4);
    if (!d.iopf_enabled && sva_without_iopf(op.dev)) {
        if (d.sva_enabled) return returns({0, -EBUSY, -EEXIST}, ClauseId::FEAT_4);
        return returns({0, -ENODEV, -EINVAL, -EOPNOTSUPP}, ClauseId::FEAT_3);
    }
    if (!sva_capable(op.dev)) return returns({-ENODEV, -EINVAL, -EOPNOTSUPP}, ClauseId::FEAT_3);
    if (iopf_first(op.dev) && !d.iopf_enabled) return returns({-EINVAL}, ClauseId::FEAT_11);
    return returns({0}, ClauseId::FEAT_3);
}

Expectation Reference::expect_disable_feature(const Op &op) const {
    if (!known_feature(op.feat, *profile_))
        return returns({-EINVAL, -ENODEV, -EOPNOTSUPP}, ClauseId::FEAT_8);
    const DeviceState &d = devs_[op.dev];
    if (op.feat == SVAC_FEAT_IOPF) {
        if (iopf_first(op.dev) && d.sva_enabled && d.iopf_enabled)
            return returns({-EBUSY}, ClauseId::FEAT_11);
        if (!d.iopf_enabled) return returns({0, -EINVAL}, ClauseId::FEAT_7);
        return returns({0}, ClauseId::FEAT_10);
    }
    // linux-6.12 binds without the feature: disabling it when it is off is
    // FEAT-7's, bonds or not (arm_smmu_dev_disable_feature: -EINVAL).
    if (!d.sva_enabled && !binds(ClauseId::FEAT_6, *profile_))
        return returns({0, -EINVAL}, ClauseId::FEAT_7);
    // linux-6.12's SMMUv3 turns SVA off under live bonds; FEAT-6 binds up to linux-6.1.
    if (d.bonds > 0 && !binds(ClauseId::FEAT_6, *profile_))
        return returns({0, -EBUSY}, ClauseId::FEAT_10);
    if (d.bonds > 0) return returns({-EBUSY}, ClauseId::FEAT_6);
    if (!d.sva_enabled) return returns({0, -EINVAL}, ClauseId::FEAT_7);
    return returns({0}, ClauseId::FEAT_10);
}

void Reference::commit_feature(const Op &op, const Expectation &exp, int rc) {
    DeviceState &d = devs_[op.dev];
    if (op_is_query(op.kind)) {
        d.query_since = true; // FEAT-2
        return;
    }
    d.query_since = false;
    if (!known_feature(op.feat, *profile_)) {
        d.feat_promise = ClauseId::FEAT_8;
        return;
    }
    if (op.feat == SVAC_FEAT_IOPF) { // no query reads it: only its state matters
        if (rc == 0 && exp.rc_clause != ClauseId::FEAT_7)
            d.iopf_enabled = op.kind == OpKind::enable_feature;
        return;
    }
    if (op.kind == OpKind::enable_feature) {
        if (rc == 0) d.sva_enabled = true;
        // FEAT-4 covers a repeated enable; a failed first enable changes nothing (FEAT-9).
        d.feat_promise = exp.rc_clause == ClauseId::FEAT_4 ? ClauseId::FEAT_4
                         : rc == 0                         ? ClauseId::FEAT_5
                                                           : ClauseId::FEAT_9;
        return;
    }
    // disable_feature: only FEAT-10 turns the feature off; FEAT-6 and FEAT-7 change nothing.
    // (It fails only when the platform refused it memory: ROBUST-4.)
    if (exp.rc_clause == ClauseId::FEAT_10 && rc == 0) d.sva_enabled = false;
    // A failed disable changes nothing (FEAT-9); disabling a disabled feature
    // leaves it off whatever it returned (FEAT-7).
    d.feat_promise =
        rc != 0 && exp.rc_clause != ClauseId::FEAT_7 ? ClauseId::FEAT_9 : exp.rc_clause;
}

} // namespace svac::ref
