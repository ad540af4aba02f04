// The platform the harness lends a driver: simulated physical memory for
// now. Every store is seen; a store outside memory the driver owns is kept as
// a stray store for the oracle (HW-8).
#pragma once

#include <svac/driver_abi.h>

#include <cstdint>
#include <map>
#include <vector>

namespace svac::engine {

class SimMemory {
public:
    SimMemory();
    SimMemory(const SimMemory &) = delete;
    SimMemory &operator=(const SimMemory &) = delete;

    const svac_platform *platform() const { return &platform_; }

    uint64_t alloc(uint64_t bytes, uint64_t align);
    void free(uint64_t pa);
    uint64_t read64(uint64_t pa) const;
    void write64(uint64_t pa, uint64_t val);

    struct StrayStore {
        uint64_t pa, val;
    };
    const std::vector<StrayStore> &stray_stores() const { return stray_; }
    uint64_t bytes_allocated() const { return bytes_; }
    std::size_t live_allocations() const { return blocks_.size(); }

    // Memory the harness will lend at most, per driver instance.
    static constexpr uint64_t kLimit = uint64_t{1} << 30;

private:
    struct Block {
        uint64_t size;
        std::vector<uint64_t> words;
    };
    const Block *find(uint64_t pa, uint64_t &offset) const;

    svac_platform platform_{};
    std::map<uint64_t, Block> blocks_; // base pa -> block
    uint64_t next_ = 0x1000'0000;      // physical addresses handed out grow from here
    uint64_t bytes_ = 0;
    std::vector<StrayStore> stray_;
};

} // namespace svac::engine
