// The hardware model never owns memory: the test bench lends it a view of
// simulated physical memory to read tables from.
#pragma once

#include <cstdint>

namespace svac::ref {

class MemoryView {
public:
    virtual ~MemoryView() = default;
    // The 64-bit word at pa (8-byte aligned). Memory nobody owns reads as 0.
    virtual uint64_t read64(uint64_t pa) const = 0;
};

} // namespace svac::ref
