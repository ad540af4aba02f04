// The hardware model never owns memory: the test bench lends it a view of
// simulated physical memory to read tables from.
#pragma once

#include <cstddef>
#include <cstdint>

namespace svac::ref {

class MemoryView {
public:
    virtual ~MemoryView() = default;
    // The 64-bit word at pa (8-byte aligned). Memory nobody owns reads as 0.
    virtual uint64_t read64(uint64_t pa) const = 0;
    // The n words from pa on, as read64 reads them one by one. A view may
    // serve it faster (an entry, or a run of a table, at a time).
    virtual void read_range(uint64_t pa, uint64_t *out, std::size_t n) const {
        for (std::size_t i = 0; i < n; ++i) out[i] = read64(pa + 8 * i);
    }
};

// What the hardware may also write: the records it puts in the driver's
// queues (event, PRI, page request queues). Such writes are the hardware's,
// never counted as the driver's stores.
class MemoryBus : public MemoryView {
public:
    // Stores the word if pa is an aligned word of allocated memory; false otherwise.
    virtual bool hw_write64(uint64_t pa, uint64_t val) = 0;
};

} // namespace svac::ref
