#include "engine/platform.h"

#include "reference/pagetable.h"

#include <utility>

namespace svac::engine {

// ---- simulated memory ----

uint64_t SimMemory::alloc(uint64_t bytes, uint64_t align, Owner owner) {
    if (bytes == 0 || bytes > kLimit - bytes_) return 0;
    if (align < 8) align = 8;
    if ((align & (align - 1)) != 0 || align > kLimit) return 0;
    uint64_t base = (next_ + align - 1) & ~(align - 1);
    uint64_t size = (bytes + 7) & ~uint64_t{7};
    next_ = base + size;
    bytes_ += size;
    blocks_.emplace(base, Block{size, owner, {}});
    return base;
}

bool SimMemory::free(uint64_t pa, Owner owner) {
    auto it = blocks_.find(pa);
    if (it == blocks_.end() || it->second.owner != owner) return false;
    bytes_ -= it->second.size;
    blocks_.erase(it);
    return true;
}

const SimMemory::Block *SimMemory::find(uint64_t pa, uint64_t &offset) const {
    auto it = blocks_.upper_bound(pa);
    if (it == blocks_.begin()) return nullptr;
    --it;
    if (pa - it->first >= it->second.size) return nullptr;
    offset = pa - it->first;
    return &it->second;
}

SimMemory::Block *SimMemory::find(uint64_t pa, uint64_t &offset) {
    return const_cast<Block *>(static_cast<const SimMemory *>(this)->find(pa, offset));
}

uint64_t SimMemory::read64(uint64_t pa) const {
    uint64_t off = 0;
    const Block *b = find(pa, off);
    if (!b || (pa & 7) != 0) return 0;
    auto it = b->words.find(off / 8);
    return it == b->words.end() ? 0 : it->second;
}

bool SimMemory::write64(uint64_t pa, uint64_t val, Owner who) {
    uint64_t off = 0;
    Block *b = find(pa, off);
    if (!b || b->owner != who || (pa & 7) != 0) return false;
    if (val != 0)
        b->words[off / 8] = val;
    else
        b->words.erase(off / 8);
    return true;
}

// ---- the CPU side ----

MmModel::MmModel(SimMemory &mem, uint32_t pgtable, uint32_t n_mms)
    : mem_(mem), pgtable_(pgtable), roots_(n_mms, 0) {}

svac_mm_info MmModel::info(uint32_t mm) const {
    svac_mm_info i{};
    i.pgd = roots_[mm];
    i.asid = mm + 1; // as ref::Reference::asid_of
    i.pgtable = pgtable_;
    i.va_bits = ref::kVaBits;
    i.pa_bits = 48;
    // Normal WBWA at index 0, Device-nGnRE at index 1, Normal NC at index 2.
    i.mair = pgtable_ == SVAC_PGTABLE_AARCH64_4K ? 0x44'04'ffull : 0;
    return i;
}

uint64_t MmModel::table_for(uint32_t mm, uint64_t va) {
    uint64_t table = roots_[mm];
    for (unsigned level = 0; level + 1 < ref::kLevels; ++level) {
        uint64_t slot = table + 8ull * ref::pt_index(va, level);
        uint64_t d = mem_.read64(slot);
        if (d == 0) {
            uint64_t next = mem_.alloc(ref::kPageSize, ref::kPageSize, SimMemory::Owner::harness);
            mem_.write64(slot, ref::make_table(pgtable_, next), SimMemory::Owner::harness);
            table = next;
        } else {
            table = ref::walk_next_table(pgtable_, d);
        }
    }
    return table;
}

void MmModel::sync(uint32_t mm, uint64_t first_vpn, uint64_t count,
                   const std::map<uint64_t, ref::Reference::Page> &pages) {
    if (roots_[mm] == 0)
        roots_[mm] = mem_.alloc(ref::kPageSize, ref::kPageSize, SimMemory::Owner::harness);
    for (uint64_t vpn = first_vpn; vpn < first_vpn + count; ++vpn) {
        uint64_t va = vpn << ref::kPageShift;
        auto it = pages.find(vpn);
        uint64_t pte = it != pages.end() && it->second.present
                           ? ref::make_leaf(pgtable_, it->second.pa, it->second.perms)
                           : 0;
        uint64_t table = table_for(mm, va);
        mem_.write64(table + 8ull * ref::pt_index(va, ref::kLevels - 1), pte,
                     SimMemory::Owner::harness);
    }
}

void MmModel::teardown(uint32_t mm) {
    if (roots_[mm] == 0) return;
    for (unsigned i = 0; i < 512; ++i)
        mem_.write64(roots_[mm] + 8ull * i, 0, SimMemory::Owner::harness);
}

// ---- the platform ----

namespace {
Platform &self(void *ctx) {
    return *static_cast<Platform *>(ctx);
}

uint32_t cpu_pgtable(const ref::Topology &t) {
    // The CPU is the IOMMUs' kind of machine: an Arm SoC for SMMUv3, x86-64 for VT-d.
    return !t.iommus.empty() && t.iommus[0].arch == ref::Arch::vtd ? SVAC_PGTABLE_X86_64_4L
                                                                   : SVAC_PGTABLE_AARCH64_4K;
}
} // namespace

Platform::Platform(const ref::Topology &topology)
    : topo_(topology), mms_(mem_, cpu_pgtable(topology), topology.mms) {
    for (uint32_t i = 0; i < topology.iommus.size(); ++i)
        iommus_.push_back(ref::make_iommu_model(topology.iommus[i], i));
    // Every mm starts with a page table, empty.
    for (uint32_t mm = 0; mm < topology.mms; ++mm) {
        mms_.sync(mm, 0, 0, {});
        mm_infos_.push_back(mms_.info(mm));
    }
    for (const auto &m : iommus_) model_ptrs_.push_back(m.get());

    abi_.abi_version = SVAC_ABI_VERSION;
    abi_.size = sizeof(svac_platform);
    abi_.ctx = this;
    abi_.alloc = [](void *ctx, uint64_t bytes, uint64_t align) {
        return self(ctx).mem_.alloc(bytes, align, SimMemory::Owner::driver);
    };
    abi_.free = [](void *ctx, uint64_t pa) {
        if (!self(ctx).mem_.free(pa, SimMemory::Owner::driver)) ++self(ctx).stray_;
    };
    abi_.read64 = [](void *ctx, uint64_t pa) { return self(ctx).mem_.read64(pa); };
    abi_.write64 = [](void *ctx, uint64_t pa, uint64_t val) {
        Platform &p = self(ctx);
        uint64_t old = p.mem_.read64(pa);
        if (p.mem_.write64(pa, val, SimMemory::Owner::driver)) {
            // A runaway driver must not exhaust the harness: past the cap the
            // call is marked and its later stores are not judged.
            if (p.call_.stores.size() < ref::CallRecord::kMaxEntries)
                p.call_.stores.push_back({pa, old, val});
            else
                p.call_.overflow = true;
        } else
            ++p.stray_;
    };
    abi_.write_reg = [](void *ctx, uint32_t iommu, uint32_t offset, uint64_t val) {
        Platform &p = self(ctx);
        if (iommu < p.iommus_.size()) p.iommus_[iommu]->write_reg(offset, val);
    };
    abi_.read_reg = [](void *ctx, uint32_t iommu, uint32_t offset) -> uint64_t {
        Platform &p = self(ctx);
        return iommu < p.iommus_.size() ? p.iommus_[iommu]->read_reg(offset) : 0;
    };
    abi_.submit_cmd = [](void *ctx, uint32_t iommu, const uint64_t *cmd, uint32_t qwords) -> int {
        Platform &p = self(ctx);
        int rc = iommu < p.iommus_.size() && cmd ? p.iommus_[iommu]->submit(p.mem_, cmd, qwords)
                                                 : -EINVAL;
        if (rc != 0) ++p.rejected_;
        ref::Command c{iommu, qwords, {}, rc};
        for (uint32_t k = 0; cmd && k < qwords && k < c.q.size(); ++k) c.q[k] = cmd[k];
        if (p.call_.commands.size() < ref::CallRecord::kMaxEntries)
            p.call_.commands.push_back(c);
        else
            p.call_.overflow = true;
        return rc;
    };
    abi_.mm_info = [](void *ctx, uint32_t mm, svac_mm_info *info) -> int {
        Platform &p = self(ctx);
        if (mm >= p.topo_.mms || !info) return -EINVAL;
        *info = p.mms_.info(mm);
        return 0;
    };
}

ref::DmaResult Platform::dma(uint32_t dev, bool has_pasid, uint32_t pasid, uint64_t va,
                             uint8_t access) {
    ref::DmaRequest req;
    req.sid = dev;
    req.has_pasid = has_pasid;
    req.pasid = pasid;
    req.va = va;
    req.access = access;
    req.device = &topo_.devices[dev];
    return iommus_[topo_.devices[dev].iommu]->dma(mem_, req);
}

uint32_t Platform::take_stray_stores() {
    return std::exchange(stray_, 0);
}
uint32_t Platform::take_rejected_commands() {
    return std::exchange(rejected_, 0);
}

uint32_t Platform::unsynced_commands() const {
    std::size_t n = 0;
    for (const auto &m : iommus_) n += m->unsynced();
    return static_cast<uint32_t>(n);
}

} // namespace svac::engine
