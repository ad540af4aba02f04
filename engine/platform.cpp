#include "engine/platform.h"

#include "reference/pagetable.h"

#include <algorithm>
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
    blocks_.push_back({base, size, owner, false});
    return base;
}

bool SimMemory::free(uint64_t pa, Owner owner) {
    auto it = std::lower_bound(blocks_.begin(), blocks_.end(), pa,
                               [](const Block &b, uint64_t a) { return b.base < a; });
    if (it == blocks_.end() || it->base != pa || it->freed || it->owner != owner) return false;
    zero(*it);
    bytes_ -= it->size;
    it->freed = true;
    // Erasing from the middle of blocks_ at each free would make freeing n
    // blocks in the order they were allocated take time quadratic in n: the
    // freed ones go at once when they are half of blocks_.
    if (++freed_ * 2 > blocks_.size()) {
        std::erase_if(blocks_, [](const Block &b) { return b.freed; });
        freed_ = 0;
        last_block_ = 0;
    }
    return true;
}

const SimMemory::Block *SimMemory::find(uint64_t pa) const {
    if (last_block_ < blocks_.size() && blocks_[last_block_].holds(pa))
        return &blocks_[last_block_];
    auto it = std::upper_bound(blocks_.begin(), blocks_.end(), pa,
                               [](uint64_t a, const Block &b) { return a < b.base; });
    if (it == blocks_.begin() || !std::prev(it)->holds(pa)) return nullptr;
    last_block_ = static_cast<std::size_t>(std::prev(it) - blocks_.begin());
    return &*std::prev(it);
}

const SimMemory::Chunk *SimMemory::chunk(uint64_t n) const {
    if (last_chunk_ && last_chunk_no_ == n) return last_chunk_;
    auto it = chunks_.find(n);
    if (it == chunks_.end()) return nullptr;
    last_chunk_no_ = n;
    last_chunk_ = &it->second;
    return last_chunk_;
}

void SimMemory::zero(const Block &b) {
    uint64_t first = b.base / kChunkBytes, last = (b.base + b.size - 1) / kChunkBytes;
    auto clear = [&](uint64_t n, Chunk &c) {
        uint64_t lo = std::max(b.base, n * kChunkBytes);
        uint64_t hi = std::min(b.base + b.size, (n + 1) * kChunkBytes);
        std::fill(c.begin() + (lo - n * kChunkBytes) / 8, c.begin() + (hi - n * kChunkBytes) / 8,
                  0);
    };
    if (last - first < chunks_.size()) {
        for (uint64_t n = first; n <= last; ++n)
            if (auto it = chunks_.find(n); it != chunks_.end()) clear(n, it->second);
    } else { // a big block: fewer chunks exist than it spans
        for (auto &[n, c] : chunks_)
            if (n >= first && n <= last) clear(n, c);
    }
}

uint64_t SimMemory::read64(uint64_t pa) const {
    if ((pa & 7) != 0) return 0;
    const Chunk *c = chunk(pa / kChunkBytes);
    return c ? (*c)[pa / 8 % kChunkWords] : 0;
}

void SimMemory::read_range(uint64_t pa, uint64_t *out, std::size_t n) const {
    if ((pa & 7) != 0) {
        std::fill(out, out + n, 0);
        return;
    }
    // A chunk at a time: its part of the range, or zeros where it was never made.
    while (n > 0) {
        uint64_t first = pa / 8 % kChunkWords;
        std::size_t count = std::min<std::size_t>(n, kChunkWords - first);
        if (const Chunk *c = chunk(pa / kChunkBytes))
            std::copy_n(c->begin() + first, count, out);
        else
            std::fill_n(out, count, 0);
        pa += 8 * count;
        out += count;
        n -= count;
    }
}

bool SimMemory::store(const Block *b, uint64_t pa, uint64_t val) {
    if (!b || (pa & 7) != 0) return false;
    Chunk *c = const_cast<Chunk *>(chunk(pa / kChunkBytes)); // one of chunks_, ours to change
    if (!c && val == 0) return true;                         // it reads as 0 already
    if (!c) c = &chunks_.try_emplace(pa / kChunkBytes).first->second;
    (*c)[pa / 8 % kChunkWords] = val;
    return true;
}

bool SimMemory::write64(uint64_t pa, uint64_t val, Owner who) {
    const Block *b = find(pa);
    return store(b && b->owner == who ? b : nullptr, pa, val);
}

bool SimMemory::hw_write64(uint64_t pa, uint64_t val) {
    return store(find(pa), pa, val);
}

bool SimMemory::zero_block(uint64_t pa, Owner who) {
    const Block *b = find(pa);
    if (!b || b->base != pa || b->owner != who) return false;
    zero(*b);
    return true;
}

SimMemory::Usage SimMemory::owned(Owner who) const {
    Usage u;
    for (const Block &b : blocks_)
        if (!b.freed && b.owner == who) {
            ++u.blocks;
            u.bytes += b.size;
        }
    return u;
}

std::vector<std::pair<uint64_t, std::vector<uint64_t>>> SimMemory::nonzero_runs() const {
    std::vector<uint64_t> numbers;
    numbers.reserve(chunks_.size());
    for (const auto &kv : chunks_) numbers.push_back(kv.first);
    std::sort(numbers.begin(), numbers.end());
    std::vector<std::pair<uint64_t, std::vector<uint64_t>>> runs;
    uint64_t next = 0; // the address just past the last run's end
    for (uint64_t n : numbers) {
        const Chunk &c = chunks_.at(n);
        for (uint64_t i = 0; i < kChunkWords; ++i) {
            if (c[i] == 0) continue;
            const uint64_t pa = n * kChunkBytes + 8 * i;
            if (runs.empty() || pa != next) runs.emplace_back(pa, std::vector<uint64_t>{});
            runs.back().second.push_back(c[i]);
            next = pa + 8;
        }
    }
    return runs;
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
    // A last-level table maps 512 pages: one walk finds it for all of them.
    constexpr unsigned kTableShift = ref::kPageShift + 9;
    uint64_t table = 0, table_va = 0;
    auto it = pages.lower_bound(first_vpn);
    for (uint64_t vpn = first_vpn; vpn < first_vpn + count; ++vpn) {
        uint64_t va = vpn << ref::kPageShift;
        while (it != pages.end() && it->first < vpn) ++it;
        const bool mapped = it != pages.end() && it->first == vpn;
        // A page mapped with no access (PROT_NONE) is not present to a walker.
        uint64_t pte = mapped && it->second.present && it->second.perms
                           ? ref::make_leaf(pgtable_, it->second.pa, it->second.perms)
                           : 0;
        if (table == 0 || va >> kTableShift != table_va) {
            table = table_for(mm, va);
            table_va = va >> kTableShift;
        }
        mem_.write64(table + 8ull * ref::pt_index(va, ref::kLevels - 1), pte,
                     SimMemory::Owner::harness);
    }
}

void MmModel::teardown(uint32_t mm) {
    if (roots_[mm] != 0) mem_.zero_block(roots_[mm], SimMemory::Owner::harness);
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

Platform::Platform(const ref::Topology &topology, uint32_t api)
    : topo_(topology), mms_(mem_, cpu_pgtable(topology), topology.mms) {
    for (uint32_t i = 0; i < topology.iommus.size(); ++i)
        iommus_.push_back(ref::make_iommu_model(topology, i));
    // Every mm starts with a page table, empty.
    for (uint32_t mm = 0; mm < topology.mms; ++mm) {
        mms_.sync(mm, 0, 0, {});
        mm_infos_.push_back(mms_.info(mm));
    }
    for (const auto &m : iommus_) model_ptrs_.push_back(m.get());

    abi_.abi_version = SVAC_ABI_VERSION;
    abi_.size = sizeof(svac_platform);
    abi_.ctx = this;
    abi_.alloc = [](void *ctx, uint64_t bytes, uint64_t align) -> uint64_t {
        Platform &p = self(ctx);
        if (++p.allocs_ == p.fail_alloc_nth_) { // a fail-nth sweep's injection point
            p.alloc_refused_ = true;
            return 0;
        }
        return p.mem_.alloc(bytes, align, SimMemory::Owner::driver);
    };
    abi_.free = [](void *ctx, uint64_t pa) {
        // free(0) does nothing, as kfree(NULL) does (alloc's 0 is "no memory").
        if (pa != 0 && !self(ctx).mem_.free(pa, SimMemory::Owner::driver)) ++self(ctx).bad_frees_;
    };
    abi_.read64 = [](void *ctx, uint64_t pa) { return self(ctx).mem_.read64(pa); };
    abi_.write64 = [](void *ctx, uint64_t pa, uint64_t val) {
        Platform &p = self(ctx);
        uint64_t old = p.mem_.read64(pa);
        if (p.mem_.write64(pa, val, SimMemory::Owner::driver)) {
            for (const auto &m : p.iommus_) m->observe_store(pa);
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
        if (iommu >= p.iommus_.size()) return;
        ref::IommuModel &m = *p.iommus_[iommu];
        m.write_reg(offset, val);
        // The register interface: what the write set going (a command queue).
        for (const ref::IommuModel::Consumed &c : m.run_command_queue(p.mem_)) {
            p.register_traffic_ = true;
            p.record_command(iommu, c.q.data(), c.qwords, c.rc);
        }
    };
    abi_.read_reg = [](void *ctx, uint32_t iommu, uint32_t offset) -> uint64_t {
        Platform &p = self(ctx);
        return iommu < p.iommus_.size() ? p.iommus_[iommu]->read_reg(offset) : 0;
    };
    abi_.submit_cmd = [](void *ctx, uint32_t iommu, const uint64_t *cmd, uint32_t qwords) -> int {
        Platform &p = self(ctx);
        int rc = iommu < p.iommus_.size() && cmd ? p.iommus_[iommu]->submit(p.mem_, cmd, qwords)
                                                 : -EINVAL;
        p.record_command(iommu, cmd, qwords, rc);
        return rc;
    };
    abi_.mm_info = [](void *ctx, uint32_t mm, svac_mm_info *info) -> int {
        Platform &p = self(ctx);
        if (mm >= p.topo_.mms || !info) return -EINVAL;
        *info = p.mms_.info(mm);
        return 0;
    };
    abi_.report_fault = [](void *ctx, uint32_t dev, const svac_fault *f) -> int {
        Platform &p = self(ctx);
        if (!f || !p.core.report) return -EINVAL;
        return p.core.report(dev, *f);
    };
    abi_.flush_faults = [](void *ctx, uint32_t dev, uint32_t pasid) {
        Platform &p = self(ctx);
        if (p.core.flush) p.core.flush(dev, pasid);
    };
    abi_.discard_partial = [](void *ctx, uint32_t iommu) {
        Platform &p = self(ctx);
        if (p.core.discard) p.core.discard(iommu);
    };
    abi_.api = api;
    abi_.alloc_mm_pasid = [](void *ctx, uint32_t mm, uint32_t min, uint32_t max,
                             uint32_t *pasid) -> int {
        Platform &p = self(ctx);
        if (p.abi_.api != SVAC_API_LINUX_6_1 || !p.core.alloc_pasid) return -EOPNOTSUPP;
        if (mm >= p.topo_.mms || !pasid) return -EINVAL;
        return p.core.alloc_pasid(mm, min, max, pasid);
    };
    devices_.resize(topology.devices.size());
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

// ---- I/O page faults ----

namespace {
ref::DmaObservation observe(const ref::DmaResult &r) {
    return {static_cast<uint8_t>(r.kind), r.pa, static_cast<uint8_t>(r.reason)};
}
ref::DmaObservation outcome(ref::DmaResult::Kind k) {
    return {static_cast<uint8_t>(k), 0, 0};
}
uint32_t fault_perm(uint8_t access) {
    return ref::request_perm(access); // SVAC_FAULT_PERM_* have the bit order of ref::Perm
}
} // namespace

bool Platform::queue(uint32_t dev, ref::PageRequest &req) {
    ref::IommuModel &m = *iommus_[topo_.devices[dev].iommu];
    if (m.queue_fault(mem_, req) != ref::IommuModel::Queued::queued) {
        ++log_.lost;
        return false;
    }
    log_.raised.push_back(ref::raised_record(
        req.sid < topo_.devices.size() ? req.sid : ref::ResponseRecord::kNoDevice, req));
    return true;
}

std::vector<ref::DmaObservation> Platform::issue_dma(uint32_t dev, bool has_pasid, uint32_t pasid,
                                                     uint64_t va, uint32_t pages, uint8_t access) {
    using Kind = ref::DmaResult::Kind;
    DeviceState &d = devices_[dev];
    const bool stall = ref::device_stalls(topo_, dev);
    std::vector<ref::DmaObservation> out;
    std::vector<Request> faulting;
    for (uint32_t k = 0; k < std::max(pages, 1u); ++k) {
        uint64_t page_va = k == 0 ? va : ((va >> ref::kPageShift) + k) << ref::kPageShift;
        ref::DmaResult r = dma(dev, has_pasid, pasid, page_va, access);
        if (r.kind == Kind::page_request && !stall && d.pri_stopped)
            r.kind = Kind::failed; // it may send no page request any more
        out.push_back(observe(r));
        if (r.kind == Kind::page_request) faulting.push_back({has_pasid, pasid, page_va, access});
    }
    if (faulting.empty()) return out;
    if (stall) {
        for (const Request &r : faulting) {
            ref::PageRequest req{dev, r.has_pasid, r.pasid, r.va, uint8_t(fault_perm(r.access)),
                                 0,   true,        true};
            if (queue(dev, req)) d.stalls[req.group] = r;
        }
        return out;
    }
    // One page request group, at the next PRG index no open group holds.
    uint32_t prg = d.next_prg;
    for (uint32_t tries = 0; d.groups.count(prg) && tries < 512; ++tries) prg = (prg + 1) % 512;
    d.next_prg = (prg + 1) % 512;
    OpenGroup &g = d.open_group(prg);
    for (std::size_t i = 0; i < faulting.size(); ++i) {
        const Request &r = faulting[i];
        bool last = i + 1 == faulting.size();
        ref::PageRequest req{
            dev, r.has_pasid, r.pasid, r.va & ~(ref::kPageSize - 1), uint8_t(fault_perm(r.access)),
            prg, last,        false};
        queue(dev, req);
        // The device retries at the page the response names (a PRI record
        // holds the page address only).
        g.requests.push_back({r.has_pasid, r.pasid, req.addr, r.access});
    }
    g.last = true;
    return out;
}

void Platform::send_page_request(const ref::Op &op, uint32_t pasid) {
    const ref::Device &desc = topo_.devices[op.dev];
    DeviceState &d = devices_[op.dev];
    if (!desc.pri || d.pri_stopped) return; // no PRI, or stopped by a Response Failure
    ref::PageRequest req;
    req.sid = op.bad_sid ? 0xffffu : op.dev;
    req.has_pasid = !op.no_pasid;
    req.pasid = op.no_pasid ? 0 : pasid;
    req.addr = op.va;
    req.perm = static_cast<uint8_t>(ref::page_request_perm(op));
    req.group = op.group & 511;
    req.last = op.last || op.stop;
    queue(op.dev, req);
    // A Stop Marker (Last, no R/W, with a PASID: IOPF-11) gets no response,
    // so it opens no group, whether or not the op meant it as one.
    if (op.bad_sid || ref::is_stop_marker(ref::raised_record(op.dev, req))) return;
    OpenGroup &g = d.open_group(req.group);
    g.requests.push_back({req.has_pasid, req.pasid, op.va, req.perm});
    g.last = req.last;
}

Platform::OpenGroup &Platform::DeviceState::open_group(uint32_t prg) {
    auto &list = groups[prg];
    if (list.empty() || list.back().last) list.emplace_back();
    return list.back();
}

void Platform::overflow_queue(uint32_t dev) {
    uint32_t iommu = topo_.devices[dev].iommu;
    iommus_[iommu]->overflow_queue();
    // Groups still open lose their Last to the overflow; the automatic answer
    // (SMMUv3 8.1) lets the device forget them.
    for (uint32_t k = 0; k < devices_.size(); ++k)
        if (topo_.devices[k].iommu == iommu)
            for (auto it = devices_[k].groups.begin(); it != devices_[k].groups.end();) {
                std::erase_if(it->second, [](const OpenGroup &g) { return !g.last; });
                it = it->second.empty() ? devices_[k].groups.erase(it) : std::next(it);
            }
}

void Platform::stop_pasid(uint32_t dev, uint32_t pasid) {
    if (dev >= devices_.size()) return;
    for (auto &[prg, list] : devices_[dev].groups)
        for (OpenGroup &g : list)
            if (!g.last)
                std::erase_if(g.requests,
                              [&](const Request &r) { return r.has_pasid && r.pasid == pasid; });
}

void Platform::retry(uint32_t dev, const Request &r) {
    log_.retries.push_back(observe(dma(dev, r.has_pasid, r.pasid, r.va, r.access)));
}

void Platform::deliver_responses() {
    using Kind = ref::DmaResult::Kind;
    for (auto &m : iommus_)
        for (const ref::PageResponse &p : m->take_responses()) {
            uint32_t dev = p.sid < topo_.devices.size() ? p.sid : ref::ResponseRecord::kNoDevice;
            log_.responses.push_back(
                {dev, p.stall, p.has_pasid, p.pasid, p.group, p.code, p.raw, p.automatic});
            if (dev == ref::ResponseRecord::kNoDevice) continue;
            DeviceState &d = devices_[dev];
            if (p.stall) {
                auto it = d.stalls.find(p.group);
                if (it == d.stalls.end()) continue; // no such stalled transaction
                Request r = it->second;
                d.stalls.erase(it);
                if (p.automatic) continue;
                if (p.code & 1) // CMD_RESUME Action: retry
                    retry(dev, r);
                else
                    log_.retries.push_back(outcome(p.code == 2 ? Kind::abort : Kind::failed));
                continue;
            }
            // The group of that index (and PASID, which our functions require
            // in responses), oldest first; none: an unexpected PRG index, dropped.
            auto it = d.groups.find(p.group);
            if (it == d.groups.end()) continue;
            auto &list = it->second;
            auto match = std::find_if(list.begin(), list.end(), [&](const OpenGroup &g) {
                return !p.has_pasid || (!g.requests.empty() && g.requests.back().has_pasid &&
                                        g.requests.back().pasid == p.pasid);
            });
            if (match == list.end()) continue;
            OpenGroup g = std::move(*match);
            list.erase(match);
            if (list.empty()) d.groups.erase(it);
            if (p.automatic) continue;
            if (p.code != 0x0 && p.code != 0x1)
                d.pri_stopped = true; // Response Failure (or reserved)
            for (const Request &r : g.requests) {
                if (!r.access) continue;
                if (p.code == 0x0)
                    retry(dev, r);
                else
                    log_.retries.push_back(outcome(Kind::failed));
            }
        }
}

uint32_t Platform::take_stray_stores() {
    return std::exchange(stray_, 0);
}
uint32_t Platform::take_bad_frees() {
    return std::exchange(bad_frees_, 0);
}

// A command the IOMMU took, by submit_cmd or from its queue in memory.
void Platform::record_command(uint32_t iommu, const uint64_t *cmd, uint32_t qwords, int rc) {
    if (rc != 0) ++rejected_;
    ref::Command c{iommu, qwords, {}, rc};
    for (uint32_t k = 0; cmd && k < qwords && k < c.q.size(); ++k) c.q[k] = cmd[k];
    if (call_.commands.size() < ref::CallRecord::kMaxEntries)
        call_.commands.push_back(c);
    else
        call_.overflow = true;
}

std::optional<std::vector<ref::RegisterMisuse>> Platform::take_register_misuse() {
    std::vector<ref::RegisterMisuse> out;
    for (const auto &m : iommus_)
        for (ref::IommuModel::Misuse &u : m->take_misuse())
            out.push_back({u.clause, std::move(u.what)});
    if (!std::exchange(register_traffic_, false) && out.empty()) return std::nullopt;
    return out;
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
