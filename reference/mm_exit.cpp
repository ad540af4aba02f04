// MMEXIT: the address space goes away while bound (clauses MMEXIT-*).
#include "reference/reference.h"

#include <algorithm>
#include <string>

namespace svac::ref {

namespace {
std::string show(const Callback &c) {
    return "(dev " + std::to_string(c.dev) + ", pasid " + std::to_string(c.pasid) + ", drvdata " +
           std::to_string(c.drvdata) + ")";
}
} // namespace

// MMEXIT-1: one callback per bond, not per reference, with the first drvdata.
Expectation Reference::expect_mm_exit(const Op &op) const {
    Expectation e;
    e.rc_clause = ClauseId::MMEXIT_1;
    const MmState &mm = mms_[op.mm];
    if (!profile_->mm_exit_callback) return e; // from linux-6.1: no callback (MMEXIT-2 only)
    for (uint32_t dev = 0; dev < devs_.size(); ++dev) {
        const Bond &b = bond(dev, op.mm);
        // linux-5.3: a handle has a callback once set_ops gave it ops.
        const bool has_callback = profile_->pasid_out_param || b.ops != 0;
        if (b.refs > 0 && !mm.exited && has_callback)
            e.callbacks.push_back({dev, mm.pasid, b.drvdata});
    }
    return e; // sorted by construction
}

std::optional<Violation> Reference::judge_callbacks(const Op &op, const Expectation &exp,
                                                    const std::vector<Callback> &fired) const {
    std::vector<Callback> got = fired;
    std::sort(got.begin(), got.end());
    if (got == exp.callbacks) return std::nullopt;
    auto fail = [&](ClauseId c, std::string why) {
        return Violation{c, describe(op, *this) + ": " + why};
    };
    // Callbacks fired where none is due at all.
    if (op.kind != OpKind::mm_exit)
        return fail(ClauseId::MMEXIT_4,
                    "fired mm_exit callback " + show(got.front()) + " outside an mm exit");
    for (const Callback &c : got) {
        auto due = std::find_if(exp.callbacks.begin(), exp.callbacks.end(), [&](const Callback &x) {
            return x.dev == c.dev && x.pasid == c.pasid;
        });
        if (due == exp.callbacks.end()) {
            // A bind of (dev, mm) that failed when refused memory left its
            // callback registered (ROBUST-4).
            if (bind_refused(c.dev, op.mm))
                return fail(ClauseId::BIND_7, "fired " + show(c) + " for no live bond of mm " +
                                                  std::to_string(op.mm) +
                                                  ": a bind of that device and mm that failed "
                                                  "when the platform refused it memory left its "
                                                  "callback registered");
            return fail(ClauseId::MMEXIT_4,
                        "fired " + show(c) + " for no live bond of mm " + std::to_string(op.mm));
        }
        if (std::count_if(got.begin(), got.end(), [&](const Callback &x) {
                return x.dev == c.dev && x.pasid == c.pasid;
            }) > 1)
            return fail(ClauseId::MMEXIT_1, "fired " + show(c) + " more than once");
        if (due->drvdata != c.drvdata) {
            const Bond &b = bond(c.dev, op.mm);
            ClauseId cl =
                b.rebound && b.later_drvdata == c.drvdata ? ClauseId::BIND_4 : ClauseId::MMEXIT_1;
            return fail(cl, "fired " + show(c) + " but the bond's first bind passed drvdata " +
                                std::to_string(due->drvdata));
        }
    }
    for (const Callback &c : exp.callbacks)
        if (std::find(got.begin(), got.end(), c) == got.end())
            return fail(ClauseId::MMEXIT_1, "did not fire " + show(c));
    return fail(ClauseId::MMEXIT_1, "callbacks differ");
}

void Reference::commit_mm_exit(const Op &op) {
    mms_[op.mm].exited = true;
}

// mm_free: the last reference outside the SVA bonds goes (the process's
// final mmdrop). The mm is freed once it has exited and no bond holds it.
Expectation Reference::expect_mm_free(const Op &op) const {
    Expectation e;
    e.rc_clause = ClauseId::PASID_6;
    if (!mms_[op.mm].exited)
        e.invalid = "mm_free of mm " + std::to_string(op.mm) + ", which has not exited";
    return e;
}

void Reference::commit_mm_free(const Op &op) {
    mms_[op.mm].dropped = true;
    free_if_unreferenced(op.mm);
}

// PASID-6: from linux-6.1 the PASID goes with the mm (mm_pasid_drop at its
// last mmdrop), not with its last bond.
void Reference::free_if_unreferenced(uint32_t mm) {
    const MmState &m = mms_[mm];
    if (profile_->pasid_lifetime == PasidLifetime::mm && m.exited && m.dropped && m.bonds == 0 &&
        m.pasid != 0)
        release_pasid(mm);
}

} // namespace svac::ref
