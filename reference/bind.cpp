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
    Expectation e = expect_bind_enabled(op);
    // linux-6.12: enabling SVA first is the caller's duty (the kernel-doc of
    // iommu_sva_bind_device); the driver may refuse or go on.
    if (!profile_->feature_api || binds(ClauseId::BIND_1, *profile_) || devs_[op.dev].sva_enabled)
        return e;
    e.rc |= ErrnoSet{-EINVAL, -ENODEV, -EOPNOTSUPP};
    return e;
}

Expectation Reference::expect_bind_enabled(const Op &op) const {
    Expectation e;
    const MmState &mm = mms_[op.mm];
    const Device &d = topo_.devices[op.dev];
    const Iommu &iommu = topo_.iommus[d.iommu];
    if (!profile_->feature_api && !(iommu.sva && iommu.pasid_bits >= 1 && d.pasid_bits >= 1)) {
        e.rc = {-EOPNOTSUPP, -ENODEV}; // linux-6.16: SVA is checked at attach
        if (mm.exited) {               // BIND-8 applies as well
            e.rc.add(-EINVAL);
            e.rc.add(-ESRCH);
        } else if (uint32_t lo = 0, hi = 0; effective_range(op.dev, lo, hi), lo <= hi) {
            // The core gives the mm its PASID before the driver is asked
            // (iommu_alloc_mm_data): its errors may come first.
            if (mm.pasid != 0 && (mm.pasid < lo || mm.pasid > hi)) e.rc.add(-EOVERFLOW);
            if (mm.pasid == 0 && free_in_range(lo, hi) == 0) e.rc |= profile_->no_free_pasid;
        }
        e.rc_clause = ClauseId::ATTACH_5;
        return e;
    }
    if (binds(ClauseId::BIND_1, *profile_) && !devs_[op.dev].sva_enabled) {
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
    if (const Bond &b = bond(op.dev, op.mm); b.refs > 0) {
        e.rc = {0};
        // The same PASID and a reference (BIND-4); from linux-5.3 the same handle.
        e.rc_clause = e.pasid_clause =
            binds(ClauseId::BIND_4, *profile_) ? ClauseId::BIND_4 : ClauseId::HANDLE_2;
        e.pasid_rule = Expectation::Pasid::exact;
        e.pasid = mm.pasid;
        if (profile_->contract != Contract::rfc2019) {
            e.handle_rule = Expectation::Handle::same;
            e.handle = b.handle;
        }
        return e;
    }
    effective_range(op.dev, e.lo, e.hi);
    // A new bond: from linux-5.3 its handle names no other live bond (HANDLE-1).
    if (profile_->contract != Contract::rfc2019) e.handle_rule = Expectation::Handle::fresh;
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
        // From linux-6.1 an mm keeps its PASID after its last unbind (PASID-6).
        const bool kept =
            profile_->pasid_lifetime == PasidLifetime::mm && (h.bonds == 0 || h.partially_unbound);
        ClauseId c = kept                  ? ClauseId::PASID_6
                     : h.exited            ? ClauseId::MMEXIT_3
                     : h.partially_unbound ? ClauseId::UNBIND_3
                     : same_device         ? ClauseId::BIND_5
                                           : ClauseId::PASID_1;
        const char *why = kept       ? " (it keeps it until it is freed)"
                          : h.exited ? " (exited, not yet unbound)"
                                     : "";
        return fail(c, "PASID " + std::to_string(pasid) + " is still held by mm " +
                           std::to_string(holder) + why);
    }
    return std::nullopt;
}

// From linux-6.12 the core gives a live mm its PASID (iommu_alloc_mm_data)
// before it asks the driver for anything; a bind that fails afterwards
// leaves the mm with it (PASID-6). That PASID, or 0.
uint32_t Reference::core_gave_pasid(const Op &op) const {
    if (profile_->contract != Contract::domain) return 0;
    const MmState &mm = mms_[op.mm];
    if (mm.exited || mm.pasid != 0) return 0;
    uint32_t lo = 0, hi = 0;
    effective_range(op.dev, lo, hi);
    return lo <= hi ? lowest_free(lo, hi) : 0;
}

void Reference::commit_bind(const Op &op, const Expectation &exp, int rc,
                            std::optional<uint32_t> pasid, std::optional<uint32_t> handle) {
    Bond &b = bond(op.dev, op.mm);
    MmState &mm = mms_[op.mm];
    if (rc != 0) {
        b.failed_bind = true;
        if (mm.pasid == 0) ++failed_new_mm_binds_;
        if (uint32_t kept = core_gave_pasid(op)) take_pasid(op.mm, kept);
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
    b = Bond{1, op.drvdata, false, 0, false, next_gen_++, 0, 0};
    if (profile_->contract != Contract::rfc2019) {
        b.handle = handle ? *handle : unused_handle_name();
        handles_[b.handle] = {op.dev, op.mm};
    }
    std::erase(unbound_, std::pair{op.dev, mm.pasid});
    ++mm.bonds;
    ++devs_[op.dev].bonds;
}

} // namespace svac::ref
