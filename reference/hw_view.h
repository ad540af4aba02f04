// What the hardware saw during one driver call, for the rules that judge
// tables and their updates rather than return values: every store the driver
// made (with the value it replaced) and every command it submitted. The
// engine records it; the reference's table rules read it.
#pragma once

#include "reference/hw_model.h"
#include "reference/memory.h"

#include <svac/driver_abi.h>

#include <array>
#include <cstdint>
#include <vector>

namespace svac::ref {

struct Store {
    uint64_t pa;
    uint64_t old_val; // what the word held before
    uint64_t new_val;
};

struct Command {
    uint32_t iommu;
    uint32_t qwords; // 2 (SMMUv3) or 4 (VT-d)
    std::array<uint64_t, 4> q{};
    int rc; // what submit_cmd returned
};

struct CallRecord {
    std::vector<Store> stores;     // in order, only those that landed in driver memory
    std::vector<Command> commands; // in order
    bool overflow = false;         // more than kMaxEntries of either: the rest was not kept
    static constexpr std::size_t kMaxEntries = std::size_t{1} << 22;
    void clear() {
        stores.clear();
        commands.clear();
        overflow = false;
    }
};

// The hardware side of the world after a driver call.
struct HwView {
    const MemoryView &mem;                         // memory now (after the call)
    const CallRecord &call;                        // what the call did
    const std::vector<const IommuModel *> &iommus; // one per topology IOMMU
    const std::vector<svac_mm_info> &mms;          // the CPU side of each mm
};

} // namespace svac::ref
