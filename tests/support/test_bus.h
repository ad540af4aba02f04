// A small memory for driving a hardware model directly in tests: words by
// address, and allocated blocks, the only places the hardware may store.
#pragma once

#include "reference/memory.h"
#include "reference/pagetable.h"

#include <array>
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

namespace svac::test {

// Memory with allocated blocks: the hardware may store only inside them.
class TestBus : public ref::MemoryBus {
public:
    uint64_t read64(uint64_t pa) const override {
        auto it = words_.find(pa);
        return it == words_.end() ? 0 : it->second;
    }
    bool hw_write64(uint64_t pa, uint64_t val) override {
        if (pa & 7 || !owned(pa)) return false;
        words_[pa] = val;
        ++hw_stores;
        return true;
    }
    void write64(uint64_t pa, uint64_t v) { words_[pa] = v; }
    template <std::size_t N> void write(uint64_t pa, const std::array<uint64_t, N> &w) {
        for (std::size_t i = 0; i < N; ++i) write64(pa + 8 * i, w[i]);
    }
    uint64_t alloc(uint64_t bytes) {
        uint64_t pa = next_;
        next_ += (bytes + ref::kPageSize - 1) & ~(ref::kPageSize - 1);
        blocks_.emplace_back(pa, bytes);
        return pa;
    }
    std::vector<uint64_t> words(uint64_t pa, unsigned n) const {
        std::vector<uint64_t> v;
        for (unsigned i = 0; i < n; ++i) v.push_back(read64(pa + 8 * i));
        return v;
    }
    unsigned hw_stores = 0;

private:
    bool owned(uint64_t pa) const {
        for (const auto &[base, bytes] : blocks_)
            if (pa >= base && pa - base < bytes) return true;
        return false;
    }
    std::map<uint64_t, uint64_t> words_;
    std::vector<std::pair<uint64_t, uint64_t>> blocks_;
    uint64_t next_ = 0x1000000;
};

} // namespace svac::test
