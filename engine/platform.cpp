#include "engine/platform.h"

namespace svac::engine {

namespace {
SimMemory &self(void *ctx) {
    return *static_cast<SimMemory *>(ctx);
}
} // namespace

SimMemory::SimMemory() {
    platform_.abi_version = SVAC_ABI_VERSION;
    platform_.size = sizeof(svac_platform);
    platform_.ctx = this;
    platform_.alloc = [](void *ctx, uint64_t bytes, uint64_t align) {
        return self(ctx).alloc(bytes, align);
    };
    platform_.free = [](void *ctx, uint64_t pa) { self(ctx).free(pa); };
    platform_.read64 = [](void *ctx, uint64_t pa) { return self(ctx).read64(pa); };
    platform_.write64 = [](void *ctx, uint64_t pa, uint64_t val) { self(ctx).write64(pa, val); };
}

uint64_t SimMemory::alloc(uint64_t bytes, uint64_t align) {
    if (bytes == 0 || bytes > kLimit - bytes_) return 0;
    if (align < 8) align = 8;
    if ((align & (align - 1)) != 0 || align > kLimit) return 0;
    uint64_t base = (next_ + align - 1) & ~(align - 1);
    uint64_t size = (bytes + 7) & ~uint64_t{7};
    next_ = base + size;
    bytes_ += size;
    blocks_.emplace(base, Block{size, std::vector<uint64_t>(size / 8, 0)});
    return base;
}

void SimMemory::free(uint64_t pa) {
    auto it = blocks_.find(pa);
    if (it == blocks_.end()) return;
    bytes_ -= it->second.size;
    blocks_.erase(it);
}

const SimMemory::Block *SimMemory::find(uint64_t pa, uint64_t &offset) const {
    auto it = blocks_.upper_bound(pa);
    if (it == blocks_.begin()) return nullptr;
    --it;
    if (pa - it->first >= it->second.size) return nullptr;
    offset = pa - it->first;
    return &it->second;
}

uint64_t SimMemory::read64(uint64_t pa) const {
    uint64_t off = 0;
    const Block *b = find(pa, off);
    if (!b || (pa & 7) != 0) return 0;
    return b->words[off / 8];
}

void SimMemory::write64(uint64_t pa, uint64_t val) {
    uint64_t off = 0;
    const Block *b = find(pa, off);
    if (!b || (pa & 7) != 0) {
        stray_.push_back({pa, val});
        return;
    }
    const_cast<Block *>(b)->words[off / 8] = val;
}

} // namespace svac::engine
