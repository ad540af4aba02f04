// UNBIND: unbind(dev, pasid) (clauses UNBIND-*).
#include "reference/reference.h"

namespace svac::ref {

Expectation Reference::expect_unbind(const Op &op) const {
    Expectation e;
    int mm = bond_mm_of(op.dev, resolve(op.pasid));
    if (mm < 0) {
        e.rc = {-ESRCH, -EINVAL};
        e.rc_clause = ClauseId::UNBIND_4;
    } else {
        e.rc = {0};
        e.rc_clause = mms_[mm].exited ? ClauseId::UNBIND_5 : ClauseId::UNBIND_1;
        if (bond(op.dev, static_cast<uint32_t>(mm)).refs == 1) expect_unbind_flush(op, e);
    }
    return e;
}

ClauseId Reference::blame_unbind_rc(const Op &op, const Expectation &exp, int rc) const {
    uint32_t pasid = resolve(op.pasid);
    if (rc == 0 && exp.rc_clause == ClauseId::UNBIND_4) {
        // The driver still had a bond. If a bind of that (dev, mm) failed, it
        // left one behind (BIND-7).
        int mm = holder_of(pasid, ~0u);
        if (mm >= 0 && (bond(op.dev, mm).failed_bind || bind_refused(op.dev, mm)))
            return ClauseId::BIND_7;
        return ClauseId::UNBIND_4;
    }
    if (rc != 0 && exp.rc_clause != ClauseId::UNBIND_4) {
        // The driver lost a reference: each successful bind needs its own unbind.
        int mm = bond_mm_of(op.dev, pasid);
        if (mm >= 0 && bond(op.dev, mm).rebound) return ClauseId::BIND_4;
    }
    return exp.rc_clause;
}

void Reference::commit_unbind(const Op &op, int rc) {
    if (rc != 0) return;
    int mm_index = bond_mm_of(op.dev, resolve(op.pasid));
    if (mm_index < 0) return;
    auto mm = static_cast<uint32_t>(mm_index);
    Bond &b = bond(op.dev, mm);
    if (--b.refs > 0) return;
    if (profile_->contract != Contract::rfc2019) handles_.erase(b.handle);
    b = Bond{};
    faults_.flush(op.dev, mms_[mm].pasid); // UNBIND-6: answered during the call
    --devs_[op.dev].bonds;
    unbound_.push_back({op.dev, mms_[mm].pasid});
    MmState &m = mms_[mm];
    if (--m.bonds > 0)
        m.partially_unbound = true;
    else if (profile_->pasid_lifetime == PasidLifetime::bonds)
        release_pasid(mm); // UNBIND-3, MMEXIT-3
    else
        free_if_unreferenced(mm); // PASID-6: the PASID is the mm's until it is freed
}

} // namespace svac::ref
