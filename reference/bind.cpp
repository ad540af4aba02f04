// BIND: bind(dev, mm, &pasid, mm_exit_cb, drvdata) (clauses BIND-*).
#include "reference/reference.h"
#include "reference/text.h"

#include <algorithm>
#include <string>

namespace svac::ref {

// PASID-4: an errno stored in an unsigned PASID reads as 0xfffff001..0xfffffffe.
bool looks_like_errno(uint32_t pasid) {
    return pasid >= 0xfffff001u && pasid != SVAC_PASID_INVALID;
}

Expectation Reference::expect_bind(const Op &op) const {
    Expectation e;
    const MmState &mm = mms_[op.mm];
    if (!devs_[op.dev].sva_enabled) {
        e.rc = {-EINVAL, -ENODEV};
        if (mm.exited) e.rc.add(-ESRCH); // BIND-8 applies as well
        e.rc_clause = ClauseId::BIND_1;
        return e;
    }
    if (mm.exited) { // BIND-8 takes precedence over BIND-3 and BIND-4
        e.rc = {-EINVAL, -ESRCH};
        e.rc_clause = ClauseId::BIND_8;
        return e;
    }
    if (bond(op.dev, op.mm).refs > 0) {
        e.rc = {0};
        e.rc_clause = e.pasid_clause = ClauseId::BIND_4;
        e.pasid_rule = Expectation::Pasid::exact;
        e.pasid = mm.pasid;
        return e;
    }
    effective_range(op.dev, e.lo, e.hi);
    if (mm.pasid != 0) { // BIND-3: one PASID per mm
        bool in_range = mm.pasid >= e.lo && mm.pasid <= e.hi;
        e.rc = in_range ? ErrnoSet{0} : ErrnoSet{-ERANGE, -EOVERFLOW};
        e.rc_clause = e.pasid_clause = ClauseId::BIND_3;
        e.pasid_rule = Expectation::Pasid::exact;
        e.pasid = mm.pasid;
        return e;
    }
    if (free_in_range(e.lo, e.hi) == 0) {
        e.rc = profile_->no_free_pasid;
        e.rc_clause = ClauseId::BIND_6;
        return e;
    }
    e.rc = {0};
    e.rc_clause = ClauseId::PASID_5;
    e.pasid_rule = Expectation::Pasid::fresh;
    e.pasid_clause = ClauseId::BIND_5;
    return e;
}

// A bind failed where the spec wanted success: name the rule most likely broken.
ClauseId Reference::blame_bind_failure(const Op &op, const Expectation &exp, int rc) const {
    if (exp.pasid_rule == Expectation::Pasid::exact && exp.rc_clause == ClauseId::BIND_3 &&
        exp.pasid == exp.hi && (rc == -ERANGE || rc == -EOVERFLOW))
        return ClauseId::PASID_3; // the mm's PASID equals hi: an exclusive bound
    if (exp.pasid_rule != Expectation::Pasid::fresh) return exp.rc_clause;
    if (!profile_->no_free_pasid.contains(rc)) return ClauseId::BIND_2;
    // The driver ran out of PASIDs that the reference still has free.
    if (free_in_range(exp.lo, exp.hi) == 1 && holder_of(exp.hi, ~0u) < 0) return ClauseId::PASID_3;
    // A driver short of `free` PASIDs lost at least that many: to PASIDs it
    // never took back at unbind (UNBIND-3), or to failed binds (BIND-7).
    uint64_t free = free_in_range(exp.lo, exp.hi);
    auto released =
        static_cast<uint64_t>(std::count_if(released_.begin(), released_.end(), [&](uint32_t p) {
            return p >= exp.lo && p <= exp.hi && holder_of(p, ~0u) < 0;
        }));
    if (released >= free) return ClauseId::UNBIND_3;
    if (failed_new_mm_binds_ >= free) return ClauseId::BIND_7;
    (void)op;
    return ClauseId::PASID_5;
}

std::optional<Violation> Reference::judge_bind_pasid(const Op &op, const Expectation &exp,
                                                     uint32_t pasid) const {
    auto fail = [&](ClauseId c, std::string why) {
        return Violation{c, describe(op, *this) + " returned PASID " + std::to_string(pasid) +
                                " (" + hex(pasid) + "): " + why};
    };
    if (pasid == 0 || pasid == SVAC_PASID_INVALID)
        return fail(ClauseId::PASID_2, "0 and IOMMU_PASID_INVALID are never handed out");
    if (looks_like_errno(pasid))
        return fail(ClauseId::PASID_4, "an error code (" + errno_name(static_cast<int>(pasid)) +
                                           ") stored as a PASID");
    if (exp.pasid_rule == Expectation::Pasid::exact) {
        if (pasid == exp.pasid) return std::nullopt;
        return fail(exp.pasid_clause, "mm " + std::to_string(op.mm) + " already has PASID " +
                                          std::to_string(exp.pasid));
    }
    if (pasid < exp.lo || pasid > exp.hi) {
        const DeviceState &d = devs_[op.dev];
        uint32_t width = pasid_width_max(topo_.devices[op.dev].pasid_bits);
        ClauseId c = d.param_set && pasid <= width ? d.param_promise : ClauseId::BIND_2;
        return fail(c, "outside the device's effective range [" + std::to_string(exp.lo) + ", " +
                           std::to_string(exp.hi) + "]");
    }
    int holder = holder_of(pasid, op.mm);
    if (holder >= 0) {
        const MmState &h = mms_[holder];
        // A PASID another device's mm holds: the driver keeps per-device spaces.
        bool same_device = bond(op.dev, static_cast<uint32_t>(holder)).refs > 0;
        ClauseId c = h.exited              ? ClauseId::MMEXIT_3
                     : h.partially_unbound ? ClauseId::UNBIND_3
                     : same_device         ? ClauseId::BIND_5
                                           : ClauseId::PASID_1;
        return fail(c, "PASID " + std::to_string(pasid) + " is still held by mm " +
                           std::to_string(holder) + (h.exited ? " (exited, not yet unbound)" : ""));
    }
    return std::nullopt;
}

void Reference::commit_bind(const Op &op, const Expectation &exp, int rc,
                            std::optional<uint32_t> pasid) {
    Bond &b = bond(op.dev, op.mm);
    MmState &mm = mms_[op.mm];
    if (rc != 0) {
        b.failed_bind = true;
        if (mm.pasid == 0) ++failed_new_mm_binds_;
        return;
    }
    if (b.refs > 0) { // BIND-4: another reference; the first drvdata stays
        ++b.refs;
        b.rebound = true;
        b.later_drvdata = op.drvdata;
        return;
    }
    if (mm.pasid == 0)
        take_pasid(op.mm, exp.pasid_rule == Expectation::Pasid::fresh && pasid
                              ? *pasid
                              : lowest_free(exp.lo, exp.hi));
    b = Bond{1, op.drvdata, false, 0, false, next_gen_++};
    std::erase(unbound_, std::pair{op.dev, mm.pasid});
    ++mm.bonds;
    ++devs_[op.dev].bonds;
}

} // namespace svac::ref
