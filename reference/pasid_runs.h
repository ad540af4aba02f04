// The PASIDs the mms hold, kept as runs of consecutive values, so that the
// policy's "lowest free PASID in [lo, hi]" is one lookup instead of a scan
// (a trace that binds 4096 mms would otherwise take time quadratic in them),
// and the count of PASIDs held in a range a walk over its few runs.
#pragma once

#include <cstdint>
#include <map>

namespace svac::ref {

class HeldPasids {
public:
    // One more mm holds pasid (not 0: "none").
    void hold(uint32_t pasid);
    // One mm fewer holds it; free when none does.
    void release(uint32_t pasid);
    bool held(uint32_t pasid) const { return holders_.count(pasid) != 0; }
    // The lowest PASID in [lo, hi] that no mm holds; 0 if there is none.
    uint32_t lowest_free(uint32_t lo, uint32_t hi) const;
    // How many mms hold a PASID in [lo, hi] (an mm per PASID held, unless
    // two hold one).
    uint64_t holders_in(uint32_t lo, uint32_t hi) const;

private:
    std::map<uint32_t, uint32_t> holders_; // PASID -> how many mms hold it
    std::map<uint32_t, uint32_t> runs_;    // first -> last of each maximal run of held PASIDs
    uint64_t shared_ = 0;                  // holders beyond the first of their PASID
};

} // namespace svac::ref
