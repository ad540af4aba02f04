// PASID: the one global PASID space (clauses PASID-*). An mm holds at most
// one PASID; the space is small in use (one per mm), so it is scanned, except
// for the policy's choice of a fresh one (HeldPasids).
#include "reference/reference.h"

#include <algorithm>
#include <iterator>

namespace svac::ref {

void HeldPasids::hold(uint32_t pasid) {
    if (pasid == 0) return;
    if (holders_[pasid]++ > 0) {
        ++shared_;
        return;
    }
    uint32_t last = pasid;
    if (auto next = runs_.find(pasid + 1); pasid != UINT32_MAX && next != runs_.end()) {
        last = next->second; // joins the run after it
        runs_.erase(next);
    }
    if (auto after = runs_.upper_bound(pasid); after != runs_.begin()) {
        auto before = std::prev(after);
        if (before->second + 1 == pasid) { // ... and the run before it
            before->second = last;
            return;
        }
    }
    runs_[pasid] = last;
}

void HeldPasids::release(uint32_t pasid) {
    auto h = holders_.find(pasid);
    if (h == holders_.end()) return;
    if (--h->second > 0) {
        --shared_;
        return;
    }
    holders_.erase(h);
    auto run = std::prev(runs_.upper_bound(pasid)); // the run that holds it
    const uint32_t first = run->first, last = run->second;
    runs_.erase(run);
    if (first < pasid) runs_[first] = pasid - 1;
    if (pasid < last) runs_[pasid + 1] = last;
}

uint32_t HeldPasids::lowest_free(uint32_t lo, uint32_t hi) const {
    uint64_t p = lo;
    // Runs are maximal: the PASID after the run that holds lo is free.
    if (auto after = runs_.upper_bound(lo);
        after != runs_.begin() && std::prev(after)->second >= lo)
        p = uint64_t{std::prev(after)->second} + 1;
    return p <= hi ? static_cast<uint32_t>(p) : 0;
}

uint64_t HeldPasids::holders_in(uint32_t lo, uint32_t hi) const {
    if (lo > hi) return 0;
    uint64_t n = 0;
    if (shared_ > 0) { // some PASID has two holders: count each
        for (auto it = holders_.lower_bound(lo); it != holders_.end() && it->first <= hi; ++it)
            n += it->second;
        return n;
    }
    auto run = runs_.upper_bound(lo);
    if (run != runs_.begin() && std::prev(run)->second >= lo) --run; // the run that holds lo
    for (; run != runs_.end() && run->first <= hi; ++run)
        n += uint64_t{std::min(run->second, hi)} - std::max(run->first, lo) + 1;
    return n;
}

int Reference::holder_of(uint32_t pasid, uint32_t except_mm) const {
    for (uint32_t mm = 0; mm < mms_.size(); ++mm)
        if (mm != except_mm && mms_[mm].pasid == pasid && pasid != 0) return static_cast<int>(mm);
    return -1;
}

uint64_t Reference::free_in_range(uint32_t lo, uint32_t hi) const {
    if (lo > hi) return 0;
    return uint64_t{hi} - lo + 1 - held_.holders_in(lo, hi);
}

// The policy's choice of a fresh PASID when no driver chose one.
uint32_t Reference::lowest_free(uint32_t lo, uint32_t hi) const {
    return held_.lowest_free(lo, hi);
}

void Reference::take_pasid(uint32_t mm, uint32_t pasid) {
    mms_[mm].pasid = pasid;
    held_.hold(pasid);
}

int Reference::bond_mm_of(uint32_t dev, uint32_t pasid) const {
    if (pasid == 0) return -1;
    for (uint32_t mm = 0; mm < mms_.size(); ++mm)
        if (mms_[mm].pasid == pasid && bond(dev, mm).refs > 0) return static_cast<int>(mm);
    return -1;
}

// UNBIND-3: the PASID goes back to the pool with the mm's last bond.
void Reference::release_pasid(uint32_t mm) {
    released_.push_back(mms_[mm].pasid);
    held_.release(mms_[mm].pasid);
    mms_[mm].pasid = 0;
    mms_[mm].partially_unbound = false;
}

} // namespace svac::ref
