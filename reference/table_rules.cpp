// judge_tables: after an op that can change tables (enable, disable, bind,
// unbind, mm exit), the entries of the devices and PASIDs it touched and the
// commands the call issued, judged by each IOMMU's architecture
// (smmu_rules.cpp, vtd_rules.cpp). Entries of devices the op did not touch
// were judged when they last changed, so they are not read again.
#include "reference/table_rules.h"

#include <algorithm>
#include <array>
#include <span>
#include <utility>
#include <vector>

namespace svac::ref {

namespace detail {
// What one IOMMU's rules are handed: the devices whose configuration the op
// may have changed, the live (dev, mm) bonds it touched and the (dev, pasid)
// it left without a bond. start: memory as it was when the call began.
using Pairs = std::span<const std::pair<uint32_t, uint32_t>>;
std::optional<Violation> judge_smmu_tables(const Reference &ref, const Op &op, const HwView &hw,
                                           const MemoryView &start, uint32_t iommu,
                                           std::span<const uint32_t> devs, Pairs bonds, Pairs gone,
                                           ClauseCounters *counters);
std::optional<Violation> judge_vtd_tables(const Reference &ref, const Op &op, const HwView &hw,
                                          const MemoryView &start, uint32_t iommu,
                                          std::span<const uint32_t> devs, Pairs bonds, Pairs gone,
                                          ClauseCounters *counters);
} // namespace detail

namespace {

// Memory as the judgement reads it: the same words are read by several
// rules, and memory cannot change while they run.
class CachedMemory final : public MemoryView {
public:
    explicit CachedMemory(const MemoryView &mem) : mem_(mem) {}
    uint64_t read64(uint64_t pa) const override {
        const auto i = static_cast<unsigned>((pa >> 3) % kSlots);
        Slot &s = slots_[i];
        if (!(filled_ >> i & 1) || s.pa != pa) {
            s = {pa, mem_.read64(pa)};
            filled_ |= uint64_t{1} << i;
        }
        return s.val;
    }

private:
    static constexpr unsigned kSlots = 64;
    struct Slot {
        uint64_t pa, val;
    };
    const MemoryView &mem_;
    mutable uint64_t filled_ = 0; // bit i: slot i holds a word
    mutable std::array<Slot, kSlots> slots_;
};

// Memory as it was when the call began: a word the call stored to held the
// old value of its first store. Most calls store a few words: scanned.
class StartMemory final : public MemoryView {
public:
    StartMemory(const MemoryView &now, const CallRecord &call) : now_(now), stores_(call.stores) {
        if (stores_.size() <= kScan) return;
        first_.reserve(stores_.size());
        for (const Store &s : stores_) first_.emplace_back(s.pa, s.old_val);
        std::stable_sort(first_.begin(), first_.end(),
                         [](const auto &a, const auto &b) { return a.first < b.first; });
        first_.erase(std::unique(first_.begin(), first_.end(),
                                 [](const auto &a, const auto &b) { return a.first == b.first; }),
                     first_.end());
    }
    uint64_t read64(uint64_t pa) const override {
        if (stores_.size() <= kScan) {
            for (const Store &s : stores_)
                if (s.pa == pa) return s.old_val;
            return now_.read64(pa);
        }
        auto it = std::lower_bound(first_.begin(), first_.end(), pa,
                                   [](const auto &e, uint64_t x) { return e.first < x; });
        return it != first_.end() && it->first == pa ? it->second : now_.read64(pa);
    }

private:
    static constexpr std::size_t kScan = 64;
    const MemoryView &now_;
    const std::vector<Store> &stores_;
    std::vector<std::pair<uint64_t, uint64_t>> first_; // pa -> value at the start, sorted
};

bool changes_tables(OpKind k) {
    switch (k) {
    case OpKind::enable_feature:
    case OpKind::disable_feature:
    case OpKind::bind:
    case OpKind::unbind:
    case OpKind::mm_exit:
        return true;
    default:
        return false;
    }
}

// The PASID an unbind named. By mm, the reference forgets the mm's PASID
// with its last bond: it is then the one released last. (If the mm held
// none, the driver was asked about PASID 0 and the PASID found here names
// no bond of dev, whose entry must be invalid anyway.)
uint32_t unbind_pasid(const Reference &ref, const Op &op) {
    if (!op.pasid.of_mm) return op.pasid.value;
    uint32_t mm = op.pasid.value;
    if (mm >= ref.topology().mms) return 0;
    if (uint32_t p = ref.pasid_of(mm)) return p;
    return ref.last_released_pasid();
}

} // namespace

std::optional<Violation> judge_tables(const Reference &ref, const Op &op, const HwView &hw,
                                      ClauseCounters *counters) {
    if (!changes_tables(op.kind)) return std::nullopt;
    const Topology &topo = ref.topology();
    const auto n_devs = static_cast<uint32_t>(topo.devices.size());
    // Reused between judgements: judging allocates nothing once warm.
    thread_local std::vector<uint32_t> devs;
    thread_local std::vector<std::pair<uint32_t, uint32_t>> bonds, gone;
    devs.clear();
    bonds.clear();
    gone.clear();
    // Messages name an unbind's PASID, which the reference may have forgotten.
    const Op *named = &op;
    std::optional<Op> resolved;
    switch (op.kind) {
    case OpKind::enable_feature:
    case OpKind::disable_feature:
        if (op.dev < n_devs) devs.push_back(op.dev);
        break;
    case OpKind::bind:
        if (op.dev >= n_devs) break;
        devs.push_back(op.dev);
        if (op.mm < topo.mms && ref.bond_refs(op.dev, op.mm) > 0) bonds.push_back({op.dev, op.mm});
        break;
    case OpKind::unbind: {
        if (op.dev >= n_devs) break;
        devs.push_back(op.dev);
        uint32_t pasid = unbind_pasid(ref, op);
        if (pasid == 0) break;
        resolved.emplace();
        resolved->kind = op.kind;
        resolved->dev = op.dev;
        resolved->pasid = PasidArg{false, pasid};
        named = &*resolved;
        bool live = false;
        for (uint32_t mm = 0; mm < topo.mms && !live; ++mm)
            if (ref.pasid_of(mm) == pasid && ref.bond_refs(op.dev, mm) > 0) {
                bonds.push_back({op.dev, mm});
                live = true;
            }
        if (!live) gone.push_back({op.dev, pasid});
        break;
    }
    case OpKind::mm_exit:
        if (op.mm >= topo.mms) break;
        for (uint32_t dev = 0; dev < n_devs; ++dev)
            if (ref.bond_refs(dev, op.mm) > 0) {
                devs.push_back(dev);
                bonds.push_back({dev, op.mm});
            }
        break;
    default:
        break;
    }
    if (devs.empty()) return std::nullopt;

    // A record that overflowed misses stores and commands: only what the
    // tables hold now is judged, not how the call got there.
    static const CallRecord kNothing;
    const CallRecord &call = hw.call.overflow ? kNothing : hw.call;
    const CachedMemory now(hw.mem);
    const HwView view{now, call, hw.iommus, hw.mms};
    StartMemory start(now, call);
    auto judge = [&](uint32_t iommu, std::span<const uint32_t> d, detail::Pairs b,
                     detail::Pairs g) {
        return topo.iommus[iommu].arch == Arch::vtd
                   ? detail::judge_vtd_tables(ref, *named, view, start, iommu, d, b, g, counters)
                   : detail::judge_smmu_tables(ref, *named, view, start, iommu, d, b, g, counters);
    };
    // An unbind that leaves the bond referenced must leave its entry: one it
    // tore down is a reference the driver did not count.
    auto blame = [&](std::optional<Violation> v) {
        if (v && op.kind == OpKind::unbind && !bonds.empty() &&
            (v->clause == ClauseId::SMMU_CD_1 || v->clause == ClauseId::SMMU_CD_6 ||
             v->clause == ClauseId::VTD_PE_1))
            v->clause = ref.blame_lost_bond(bonds.front().first, bonds.front().second);
        // An entry left live after the reference's last unbind of (dev, mm),
        // whose bind once failed when refused memory: the driver kept a
        // reference from it (BIND-7, ROBUST-4).
        if (v && op.kind == OpKind::unbind && bonds.empty() && op.pasid.of_mm &&
            ref.bind_refused(op.dev, op.pasid.value) &&
            (v->clause == ClauseId::SMMU_CD_3 || v->clause == ClauseId::VTD_PE_2)) {
            v->clause = ClauseId::BIND_7;
            v->message += " (a bind of this device and mm " + std::to_string(op.pasid.value) +
                          " failed when the platform refused it memory: the driver kept a "
                          "reference from it)";
        }
        return v;
    };
    if (topo.iommus.size() == 1)
        return hw.iommus.empty() ? std::nullopt : blame(judge(0, devs, bonds, gone));
    for (uint32_t iommu = 0; iommu < topo.iommus.size() && iommu < hw.iommus.size(); ++iommu) {
        std::vector<uint32_t> d;
        std::vector<std::pair<uint32_t, uint32_t>> b, g;
        for (uint32_t dev : devs)
            if (topo.devices[dev].iommu == iommu) d.push_back(dev);
        if (d.empty()) continue;
        for (const auto &x : bonds)
            if (topo.devices[x.first].iommu == iommu) b.push_back(x);
        for (const auto &x : gone)
            if (topo.devices[x.first].iommu == iommu) g.push_back(x);
        if (auto v = judge(iommu, d, b, g)) return blame(v);
    }
    return std::nullopt;
}

} // namespace svac::ref
