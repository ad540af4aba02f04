// PASID: the one global PASID space (clauses PASID-*). An mm holds at most
// one PASID; the space is small in use (one per mm), so it is scanned.
#include "reference/reference.h"

namespace svac::ref {

int Reference::holder_of(uint32_t pasid, uint32_t except_mm) const {
    for (uint32_t mm = 0; mm < mms_.size(); ++mm)
        if (mm != except_mm && mms_[mm].pasid == pasid && pasid != 0) return static_cast<int>(mm);
    return -1;
}

uint64_t Reference::free_in_range(uint32_t lo, uint32_t hi) const {
    if (lo > hi) return 0;
    uint64_t n = uint64_t{hi} - lo + 1;
    for (const MmState &m : mms_)
        if (m.pasid >= lo && m.pasid <= hi) --n;
    return n;
}

// The policy's choice of a fresh PASID when no driver chose one.
uint32_t Reference::lowest_free(uint32_t lo, uint32_t hi) const {
    for (uint64_t p = lo; p <= hi; ++p)
        if (holder_of(static_cast<uint32_t>(p), ~0u) < 0) return static_cast<uint32_t>(p);
    return 0;
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
    mms_[mm].pasid = 0;
    mms_[mm].partially_unbound = false;
}

} // namespace svac::ref
