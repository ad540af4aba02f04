#include "properties/generators.h"

#include "engine/generator.h"
#include "reference/reference.h"

#include <algorithm>
#include <ostream>

namespace svac::properties {

namespace {

using ref::Op;
using ref::OpKind;

template <typename T> using Shrinkables = std::vector<rc::Shrinkable<T>>;

// A list that shrinks the way RapidCheck's containers do — remove chunks,
// then shrink each element — but whose length the caller draws (containers
// take it from the size alone), keeping at least min_len elements.
template <typename T>
rc::Shrinkable<std::vector<T>> shrinkable_list(Shrinkables<T> elems, std::size_t min_len) {
    auto shrinks = [min_len](const Shrinkables<T> &es) {
        return rc::seq::concat(
            rc::seq::filter(rc::shrink::removeChunks(es),
                            [min_len](const Shrinkables<T> &x) { return x.size() >= min_len; }),
            rc::shrink::eachElement(es, [](const rc::Shrinkable<T> &s) { return s.shrinks(); }));
    };
    return rc::shrinkable::map(rc::shrinkable::shrinkRecur(std::move(elems), shrinks),
                               [](const Shrinkables<T> &es) {
                                   std::vector<T> v;
                                   v.reserve(es.size());
                                   for (const auto &s : es) v.push_back(s.value());
                                   return v;
                               });
}

uint64_t below(rc::Random &r, uint64_t n) {
    return static_cast<uint64_t>((__uint128_t{r.next()} * n) >> 64);
}
bool percent(rc::Random &r, unsigned p) {
    return below(r, 100) < p;
}

// PASID widths: mostly the full 20 bits, often tiny so that exhaustion and
// the inclusive upper bound (PASID-3, PASID-5) are reached, rarely none.
uint8_t pasid_width(rc::Random &r) {
    uint64_t x = below(r, 100);
    if (x < 45) return 20;
    if (x < 80) return static_cast<uint8_t>(1 + below(r, 3));
    if (x < 95) return static_cast<uint8_t>(4 + below(r, 16));
    return 0;
}

// Devices name their IOMMU by a raw index, resolved modulo the IOMMU count
// so that removing an IOMMU while shrinking leaves a valid topology.
rc::Gen<std::vector<ref::Iommu>> gen_iommus() {
    return [](const rc::Random &random, int) {
        rc::Random r = random;
        uint64_t x = below(r, 100);
        std::size_t n = x < 60 ? 1 : x < 85 ? 2 : kMaxIommus;
        Shrinkables<ref::Iommu> elems;
        for (std::size_t i = 0; i < n; ++i) {
            ref::Iommu iommu;
            iommu.pasid_bits = percent(r, 85) ? 20 : pasid_width(r);
            iommu.sva = percent(r, 90);
            elems.push_back(rc::shrinkable::just(iommu));
        }
        return shrinkable_list(std::move(elems), 1);
    };
}

rc::Gen<std::vector<ref::Device>> gen_devices() {
    return [](const rc::Random &random, int) {
        rc::Random r = random;
        std::size_t n = 1 + below(r, kMaxDevices);
        Shrinkables<ref::Device> elems;
        for (std::size_t i = 0; i < n; ++i) {
            ref::Device d;
            d.iommu = static_cast<uint32_t>(below(r, kMaxIommus));
            d.pasid_bits = pasid_width(r);
            d.pri = percent(r, 70);
            d.stall = percent(r, 30);
            d.ats = percent(r, d.pri ? 60 : 15);
            // A narrower PASID space is a simpler one: exhaustion and
            // wrap-around come sooner.
            elems.push_back(rc::shrinkable::shrinkRecur(d, [](const ref::Device &x) {
                return rc::seq::map(rc::shrink::towards<uint32_t>(
                                        x.pasid_bits, std::min<uint32_t>(x.pasid_bits, 1)),
                                    [x](uint32_t bits) {
                                        ref::Device y = x;
                                        y.pasid_bits = static_cast<uint8_t>(bits);
                                        return y;
                                    });
            }));
        }
        return shrinkable_list(std::move(elems), 1);
    };
}

// Addresses cluster on a few pages so that DMA meets mapped, unmapped and
// write-protected pages; now and then one lands anywhere.
constexpr uint64_t kVaBase = 0x40'0000;
constexpr unsigned kVaPages = 12;

uint8_t mapping_perms(uint64_t x) {
    static constexpr uint8_t kChoices[] = {ref::kRead, ref::kRead | ref::kWrite,
                                           ref::kRead | ref::kExec,
                                           ref::kRead | ref::kWrite | ref::kExec};
    return kChoices[x % std::size(kChoices)];
}

OpKind pick_kind(const Swarm &s, uint64_t x) {
    uint64_t total = 0;
    for (auto w : s.weight) total += w;
    x %= total;
    for (std::size_t k = 0; k < kOpKinds; ++k) {
        if (x < s.weight[k]) return static_cast<OpKind>(k);
        x -= s.weight[k];
    }
    return OpKind::bind;
}

// Shrinks of one op: its device and mm choices toward the first candidate,
// its value toward 0. Kind, validity and variant never shrink (a different
// op is not a simpler one); dropping the op is the list's business.
rc::Shrinkable<OpSpec> shrinkable_spec(const OpSpec &spec) {
    return rc::shrinkable::shrinkRecur(spec, [](const OpSpec &s) {
        auto with_a = [s](uint32_t v) {
            OpSpec t = s;
            t.a = v;
            return t;
        };
        auto with_b = [s](uint32_t v) {
            OpSpec t = s;
            t.b = v;
            return t;
        };
        std::vector<OpSpec> d0;
        if (s.d != 0) {
            d0.push_back(s);
            d0.back().d = 0;
        }
        return rc::seq::concat(rc::seq::map(rc::shrink::towards<uint32_t>(s.a, 0), with_a),
                               rc::seq::map(rc::shrink::towards<uint32_t>(s.b, 0), with_b),
                               rc::seq::fromContainer(std::move(d0)));
    });
}

bool is_hardware(OpKind k) {
    return ref::op_is_mm_change(k) || k == OpKind::dma || k == OpKind::page_request ||
           k == OpKind::page_response || k == OpKind::register_fault_handler ||
           k == OpKind::unregister_fault_handler || k == OpKind::queue_overflow;
}

// --- resolution --------------------------------------------------------------

// Picks candidates by the spec's raw choices, from the shadow reference's state.
class Resolver {
public:
    Resolver(const ref::Reference &shadow, const ref::Topology &t)
        : ref_(shadow), topo_(t), n_devs_(static_cast<uint32_t>(t.devices.size())), n_mms_(t.mms),
          dma_pages_(t.mms) {}

    bool resolve(const OpSpec &s, Op &op) const;
    // Remembers the pages DMA went to, so that CPU changes can meet them.
    void note(const Op &op) {
        if (op.kind == OpKind::dma && op.pasid.of_mm && op.pasid.value < n_mms_) {
            auto &v = dma_pages_[op.pasid.value];
            uint64_t vpn = op.va >> ref::kPageShift;
            std::erase(v, vpn);
            v.push_back(vpn);
            if (v.size() > 8) v.erase(v.begin());
        }
    }

private:
    template <typename Pred> std::vector<uint32_t> devs(Pred p) const {
        std::vector<uint32_t> v;
        for (uint32_t d = 0; d < n_devs_; ++d)
            if (p(d)) v.push_back(d);
        return v;
    }
    template <typename Pred> std::vector<uint32_t> mms(Pred p) const {
        std::vector<uint32_t> v;
        for (uint32_t m = 0; m < n_mms_; ++m)
            if (p(m)) v.push_back(m);
        return v;
    }
    // The raw choice among the candidates, or among all when there is none.
    static uint32_t pick(uint32_t raw, const std::vector<uint32_t> &cands, uint32_t all) {
        return cands.empty() ? raw % all : cands[raw % cands.size()];
    }
    uint32_t width_max(uint32_t dev) const {
        return ref::pasid_width_max(topo_.devices[dev].pasid_bits);
    }
    bool live(uint32_t mm) const { return !ref_.mm_exited(mm); }
    bool bonded(uint32_t dev, uint32_t mm) const { return ref_.bond_refs(dev, mm) > 0; }

    void feature(const OpSpec &s, Op &op) const;
    void param(const OpSpec &s, Op &op) const;
    void bind(const OpSpec &s, Op &op) const;
    void unbind(const OpSpec &s, Op &op) const;
    bool by_handle(const OpSpec &s, Op &op) const;
    void dma(const OpSpec &s, Op &op) const;
    void mm_change(const OpSpec &s, Op &op) const;
    void page_request(const OpSpec &s, Op &op) const;
    void page_response(const OpSpec &s, Op &op) const;
    void fault_handler(const OpSpec &s, Op &op) const;
    // A PRG index the device has neither pending nor partial, from `from` on.
    uint32_t fresh_group(uint32_t dev, uint32_t from) const;

    const ref::Reference &ref_;
    const ref::Topology &topo_;
    uint32_t n_devs_, n_mms_;
    std::vector<std::vector<uint64_t>> dma_pages_; // per mm, most recent last
};

bool Resolver::resolve(const OpSpec &s, Op &op) const {
    op = Op{};
    op.kind = s.kind;
    if (s.prelude) { // the prelude names its device or mm directly
        if (s.kind == OpKind::enable_feature || s.kind == OpKind::register_fault_handler) {
            if (s.a >= n_devs_ || !ref::op_in_profile(s.kind, ref_.profile())) return false;
            op.dev = s.a;
            if (s.kind == OpKind::enable_feature)
                op.feat = s.variant == 1 ? SVAC_FEAT_IOPF : SVAC_FEAT_SVA;
            return true;
        }
        if (s.b >= n_mms_ || !live(s.b)) return false;
        op.mm = s.b;
        op.va = kVaBase;
        op.pages = kVaPages;
        op.perms = mapping_perms(s.variant);
        op.lazy = s.lazy;
        return true;
    }
    switch (s.kind) {
    case OpKind::has_feature:
    case OpKind::feature_enabled:
    case OpKind::enable_feature:
    case OpKind::disable_feature:
        feature(s, op);
        return true;
    case OpKind::set_sva_param:
        if (!ref_.profile().sva_param) return false;
        param(s, op);
        return true;
    case OpKind::bind:
        bind(s, op);
        return true;
    case OpKind::unbind:
        if (ref_.profile().contract != ref::Contract::rfc2019) return by_handle(s, op);
        unbind(s, op);
        return true;
    case OpKind::mm_exit:
    case OpKind::mm_map:
    case OpKind::mm_unmap:
    case OpKind::mm_protect: {
        // An mm exits once; its address space is gone after that. Half the
        // time, one that holds a PASID.
        auto cands = mms([&](uint32_t m) { return live(m); });
        if (cands.empty()) return false;
        if (s.variant % 2 == 0) {
            auto bound = mms([&](uint32_t m) { return live(m) && ref_.pasid_of(m) != 0; });
            if (!bound.empty()) cands = std::move(bound);
        }
        op.mm = cands[s.b % cands.size()];
        if (s.kind != OpKind::mm_exit) mm_change(s, op);
        return true;
    }
    case OpKind::dma:
        dma(s, op);
        return true;
    case OpKind::page_request:
        page_request(s, op);
        return true;
    case OpKind::page_response:
        page_response(s, op);
        return true;
    case OpKind::register_fault_handler:
    case OpKind::unregister_fault_handler:
    case OpKind::queue_overflow:
        fault_handler(s, op);
        return true;
    case OpKind::set_ops:
        op.ops = 1 + static_cast<uint32_t>(s.d % 2);
        return by_handle(s, op);
    case OpKind::mm_free: { // the last mmdrop of an mm that exited
        auto cands = mms([&](uint32_t m) { return ref_.mm_exited(m) && !ref_.mm_dropped(m); });
        if (cands.empty()) return false;
        op.mm = cands[s.b % cands.size()];
        return true;
    }
    case OpKind::count_:
        break;
    }
    return false;
}

// unbind and set_ops from linux-5.3: a live handle (none: no call).
bool Resolver::by_handle(const OpSpec &s, Op &op) const {
    const auto &live = ref_.handles();
    if (live.empty()) return false;
    auto it = live.begin();
    std::advance(it, static_cast<long>((uint64_t{s.a} * 64 + s.b) % live.size()));
    op.by_handle = true;
    op.handle = it->first;
    return true;
}

void Resolver::feature(const OpSpec &s, Op &op) const {
    op.feat = SVAC_FEAT_SVA;
    uint32_t v = s.variant % 3;
    if (ref_.profile().iopf_feature && (s.d >> 16) % 3 == 0) { // IOPF, on any device
        op.dev = s.a % n_devs_;
        op.feat = SVAC_FEAT_IOPF;
        return;
    }
    if (s.invalid && (v == 0 || op_is_query(s.kind))) { // an unknown feature (FEAT-8)
        op.dev = s.a % n_devs_;
        op.feat = static_cast<uint32_t>(2 + s.d % 199);
        return;
    }
    std::vector<uint32_t> cands;
    switch (s.kind) {
    case OpKind::enable_feature:
        // Valid: a capable device with SVA off. Invalid: an incapable one (FEAT-3)
        // or one with SVA already on (FEAT-4).
        cands = devs([&](uint32_t d) {
            bool capable = ref_.sva_capable(d), on = ref_.sva_enabled(d);
            return s.invalid ? (v == 1 ? !capable : on) : capable && !on;
        });
        break;
    case OpKind::disable_feature:
        // Valid: SVA on, no bond. Invalid: a bound device (FEAT-6) or SVA off (FEAT-7).
        cands = devs([&](uint32_t d) {
            bool on = ref_.sva_enabled(d), bonds = ref_.device_bonds(d) > 0;
            return s.invalid ? (v == 1 ? bonds : !on) : on && !bonds;
        });
        break;
    default:
        break;
    }
    op.dev = pick(s.a, cands, n_devs_);
}

// PASID limits around the interesting edges of the device's width.
void Resolver::param(const OpSpec &s, Op &op) const {
    uint32_t v = s.variant % 8;
    if (s.invalid && v == 5) { // limits that exclude the PASID an mm holds
        auto holders = mms([&](uint32_t m) { return ref_.pasid_of(m) != 0; });
        if (!holders.empty()) {
            uint32_t mm = holders[s.b % holders.size()];
            uint32_t pasid = ref_.pasid_of(mm);
            // A device that can still take limits, not bound to that mm.
            auto cands = devs([&](uint32_t d) { return ref_.device_bonds(d) == 0; });
            op.dev = pick(s.a, cands, n_devs_);
            uint32_t w = std::max<uint32_t>(width_max(op.dev), 2);
            if (pasid > 1) {
                op.min = 1;
                op.max = pasid - 1;
            } else {
                op.min = 2;
                op.max = w;
            }
            return;
        }
    }
    // Valid limits go to a device without bonds; PARAM-3 is an invalid call.
    bool bound_dev = s.invalid && v == 4;
    auto cands = devs([&](uint32_t d) { return (ref_.device_bonds(d) > 0) == bound_dev; });
    op.dev = pick(s.a, cands, n_devs_);
    uint32_t width = width_max(op.dev);
    uint32_t w = std::max<uint32_t>(width, 1);
    uint64_t x = s.d;
    auto in = [&](uint32_t lo, uint32_t hi) { // uniform in [lo, hi], from the value
        uint32_t r = lo + static_cast<uint32_t>(x % (uint64_t{hi} - lo + 1));
        x /= uint64_t{hi} - lo + 1;
        return r;
    };
    if (s.invalid && v < 4) { // PARAM-2
        switch (v) {
        case 0: // min == 0
            op.min = 0;
            op.max = in(0, w);
            break;
        case 1: // min > max
            op.max = in(1, w);
            op.min = op.max + 1;
            break;
        case 2: // beyond the width
            op.min = 1;
            op.max = width + 1;
            break;
        default: // min == max == beyond
            op.min = op.max = width + 1;
            break;
        }
        return;
    }
    if (x % 10 == 0) { // a single PASID, often the top one
        x /= 10;
        op.min = op.max = x % 2 ? w : in(1, w);
        return;
    }
    x /= 10;
    op.min = in(1, w);
    op.max = x % 5 < 2 ? w : in(op.min, w);
}

void Resolver::bind(const OpSpec &s, Op &op) const {
    op.drvdata = ref_.profile().mm_exit_callback ? s.d % 1000 : 0; // no callback to pass it to
    uint32_t v = s.variant % 2;
    // Valid: a device with SVA on and a live mm. Invalid: SVA off (BIND-1) or
    // an mm that has exited (BIND-8).
    bool sva_off = s.invalid && v == 0, dead = s.invalid && v == 1;
    op.dev = pick(s.a, devs([&](uint32_t d) { return ref_.sva_enabled(d) != sva_off; }), n_devs_);
    op.mm = pick(s.b, mms([&](uint32_t m) { return live(m) != dead; }), n_mms_);
}

void Resolver::unbind(const OpSpec &s, Op &op) const {
    struct Pair {
        uint32_t dev, mm;
    };
    std::vector<Pair> pairs;
    uint32_t v = s.variant % 2;
    if (!s.invalid) { // a live bond, by its mm
        for (uint32_t d = 0; d < n_devs_; ++d)
            for (uint32_t m = 0; m < n_mms_; ++m)
                if (bonded(d, m)) pairs.push_back({d, m});
    } else if (v == 1) { // a bond already gone, its mm still holding the PASID (UNBIND-4)
        for (uint32_t d = 0; d < n_devs_; ++d)
            for (uint32_t m = 0; m < n_mms_; ++m)
                if (!bonded(d, m) && ref_.pasid_of(m) != 0) pairs.push_back({d, m});
    }
    if (!pairs.empty()) {
        const Pair &p = pairs[(uint64_t{s.a} * 64 + s.b) % pairs.size()];
        op.dev = p.dev;
        op.pasid = {true, p.mm};
        return;
    }
    op.dev = s.a % n_devs_;
    if (!s.invalid) {
        op.pasid = {true, s.b % n_mms_};
        return;
    }
    if (v == 1 && ref_.last_released_pasid() != 0) { // the PASID an unbind just freed
        op.pasid.value = ref_.last_released_pasid();
        return;
    }
    // A PASID nobody may hold: 0, small ones, the top of a width.
    uint64_t r = s.d % 3;
    op.pasid.value = r == 0   ? 0
                     : r == 1 ? static_cast<uint32_t>(1 + (s.d >> 2) % 8)
                              : ref::pasid_width_max(static_cast<uint32_t>(1 + (s.d >> 5) % 20));
}

void Resolver::mm_change(const OpSpec &s, Op &op) const {
    op.perms = s.kind == OpKind::mm_unmap ? 0 : mapping_perms(s.variant / 2);
    op.lazy = s.kind == OpKind::mm_map && s.lazy;
    uint64_t first = s.d % kVaPages;
    const auto &seen = dma_pages_[op.mm];
    uint64_t pages = 1 + (s.d >> 8) % 4;
    if ((s.variant / 8) % 3 != 0 && !seen.empty()) {
        // A range that holds a page DMA went to (the TLB and ATC may cache
        // it: HW-4), at its start, its end or inside.
        uint64_t vpn = seen[seen.size() - 1 - (s.d >> 16) % seen.size()];
        uint64_t back = (s.d >> 12) % pages;
        uint64_t base = kVaBase >> ref::kPageShift;
        if (vpn >= base && vpn < base + kVaPages)
            first = vpn - base >= back ? vpn - base - back : 0;
    }
    op.va = kVaBase + first * ref::kPageSize;
    op.pages = static_cast<uint32_t>(std::min<uint64_t>(pages, kVaPages - first));
}

void Resolver::dma(const OpSpec &s, Op &op) const {
    uint32_t v = s.variant % 100;
    // A valid DMA comes from a device with a bond, when there is one.
    op.dev = s.invalid || v < 12
                 ? s.a % n_devs_
                 : pick(s.a, devs([&](uint32_t d) { return ref_.device_bonds(d) > 0; }), n_devs_);
    if (v < 12) {
        op.no_pasid = true;
    } else if (s.invalid) { // a PASID with no bond on the device (HW-2, HW-3)
        auto cands = mms([&](uint32_t m) { return !bonded(op.dev, m) && ref_.pasid_of(m) != 0; });
        uint32_t w = (s.variant / 100'000) % 3;
        if (w == 0 && !cands.empty())
            op.pasid = {true, cands[s.b % cands.size()]};
        else if (w == 1 && ref_.last_unbound()) { // where the last bond went (HW-3)
            op.dev = ref_.last_unbound()->first;
            op.pasid.value = ref_.last_unbound()->second;
        } else if (w == 1 && ref_.last_released_pasid() != 0) // the PASID an unbind just freed
            op.pasid.value = ref_.last_released_pasid();
        else
            op.pasid.value = static_cast<uint32_t>(s.b % 9);
    } else { // a bonded mm (dead ones included: HW-5)
        auto cands = mms([&](uint32_t m) { return bonded(op.dev, m); });
        op.pasid = {true, pick(s.b, cands, n_mms_)};
    }
    static constexpr uint8_t kAccess[] = {ref::kRead, ref::kRead, ref::kWrite, ref::kWrite,
                                          ref::kExec};
    op.perms = kAccess[(s.variant / 100) % std::size(kAccess)];
    // Mostly one page, up to four.
    static constexpr uint32_t kPages[] = {1, 1, 1, 1, 1, 1, 1, 2, 3, 4};
    op.pages = kPages[(s.variant / 1'000'000) % std::size(kPages)];
    const uint64_t offset = ((s.d / kVaPages) % (ref::kPageSize / 8)) * 8;
    if ((s.variant / 1000) % 10 == 0) { // anywhere, every page within the 48-bit space
        op.va = (s.d * 0x9e3779b97f4a7c15ull) & ((uint64_t{1} << ref::kVaBits) - 1) & ~uint64_t{7};
        if (op.va + uint64_t{op.pages - 1} * ref::kPageSize >= uint64_t{1} << ref::kVaBits)
            op.pages = 1;
        return;
    }
    op.va = kVaBase + (s.d % kVaPages) * ref::kPageSize + offset;
    if (op.pasid.of_mm && (s.variant / 10'000) % 2 == 0) {
        // Half the time, a page the CPU changed since it mapped it (HW-4).
        std::vector<uint64_t> changed;
        for (const auto &[vpn, page] : ref_.pages(op.pasid.value))
            if (page.changed) changed.push_back(vpn);
        if (!changed.empty()) op.va = (changed[s.d % changed.size()] << ref::kPageShift) + offset;
    } else if (op.pasid.of_mm && (s.variant / 10'000) % 4 == 1) {
        // A quarter of the time, a page of a lazy mapping not populated yet:
        // the device faults on it (IOPF-1).
        std::vector<uint64_t> lazy;
        for (const auto &[vpn, page] : ref_.pages(op.pasid.value))
            if (page.mapped && !page.present) lazy.push_back(vpn);
        if (!lazy.empty()) op.va = (lazy[s.d % lazy.size()] << ref::kPageShift) + offset;
    }
}

uint32_t Resolver::fresh_group(uint32_t dev, uint32_t from) const {
    const auto &core = ref_.fault_core();
    auto in_use = [&](uint32_t g) {
        for (const auto &p : core.pending(dev))
            if (p.grpid == g) return true;
        for (const auto &f : core.partial(dev))
            if (f.grpid == g) return true;
        return false;
    };
    for (uint32_t i = 0; i <= engine::kMaxPrgIndex; ++i) {
        uint32_t g = (from + i) % (engine::kMaxPrgIndex + 1);
        if (!in_use(g)) return g;
    }
    return from % (engine::kMaxPrgIndex + 1);
}

// A PCIe page request as a device sends it, as DMA would: a PRI device bound
// to an mm, that mm's PASID, a page of the cluster. Invalid on purpose: no
// PASID, an unknown requester, a PRG index still outstanding, an absurd
// address, a PASID with no bond.
void Resolver::page_request(const OpSpec &s, Op &op) const {
    const auto &core = ref_.fault_core();
    auto cands = devs([&](uint32_t d) {
        return topo_.devices[d].pri && !ref_.pri_stopped(d) && ref_.device_bonds(d) > 0;
    });
    if (cands.empty()) cands = devs([&](uint32_t d) { return topo_.devices[d].pri; });
    op.dev = pick(s.a, cands, n_devs_);
    op.pasid = {true, pick(s.b, mms([&](uint32_t m) { return bonded(op.dev, m); }), n_mms_)};
    op.va = kVaBase + (s.d % kVaPages) * ref::kPageSize;
    op.perms =
        engine::kPageRequestAccess[(s.variant / 100) % std::size(engine::kPageRequestAccess)];
    // The device's open group half the time, else a fresh index; Last three
    // times in four.
    const auto &partial = core.partial(op.dev);
    if (!partial.empty() && (s.variant / 1000) % 2 == 0)
        op.group = partial.back().grpid;
    else
        op.group = fresh_group(op.dev, static_cast<uint32_t>(s.d >> 8));
    op.last = (s.variant / 10'000) % 4 != 0;
    if (s.invalid) {
        switch ((s.variant / 100'000) % 5) {
        case 0:
            op.no_pasid = true;
            op.pasid = {};
            break;
        case 1:
            op.bad_sid = true;
            break;
        case 2: { // an index with a group still pending (or open)
            const auto &pending = core.pending(op.dev);
            if (!pending.empty())
                op.group = pending[s.b % pending.size()].grpid;
            else if (!partial.empty())
                op.group = partial.front().grpid;
            op.last = true;
            break;
        }
        case 3:
            op.va = 0xffff'ffff'ffff'f000ull;
            break;
        default: // a PASID with no bond on the device
            if (ref_.last_released_pasid() != 0 && s.b % 2)
                op.pasid = {false, ref_.last_released_pasid()};
            else
                op.pasid = {false, s.b % 9};
            break;
        }
    }
    // One in twenty-five: a Stop Marker (Last, no access, a PASID).
    if (!op.no_pasid && (s.variant / 1'000'000) % 25 == 0) {
        op.stop = op.last = true;
        op.perms = 0;
    }
}

// The core's answer to a device's pending group: mostly the oldest, by the
// handler. Invalid on purpose: a device with nothing pending, or a named
// group that is not pending (IOPF-10). FAILURE rarely: it stops the
// device's page requests (IOPF-6).
void Resolver::page_response(const OpSpec &s, Op &op) const {
    const auto &core = ref_.fault_core();
    uint32_t v = s.variant % 100;
    if (!s.invalid) {
        op.dev = pick(s.a, devs([&](uint32_t d) { return !core.pending(d).empty(); }), n_devs_);
        const auto &pending = core.pending(op.dev);
        if (v >= 75 && !pending.empty()) {
            op.has_group = true;
            op.group = pending[s.b % pending.size()].grpid;
        }
    } else if (v % 2 == 0) {
        op.dev = pick(s.a, devs([&](uint32_t d) { return core.pending(d).empty(); }), n_devs_);
    } else {
        op.dev = s.a % n_devs_;
        op.has_group = true;
        op.group = static_cast<uint32_t>(s.d % (engine::kMaxResponseGroup + 1));
        for (bool pending = true; pending;) { // the next index nothing pending has
            pending = false;
            for (const auto &g : core.pending(op.dev)) pending = pending || g.grpid == op.group;
            if (pending) op.group = (op.group + 1) % (engine::kMaxResponseGroup + 1);
        }
    }
    uint32_t w = (s.variant / 100) % 100;
    op.answer = w < 85 ? Op::Answer::handler : w < 97 ? Op::Answer::invalid : Op::Answer::failure;
}

// register_fault_handler: valid on a device without one, invalid (-EBUSY) on
// one with one. unregister_fault_handler: valid on a device with a handler
// and nothing pending, invalid (-EBUSY) with faults unanswered.
// queue_overflow: the queue of a PRI device's IOMMU.
void Resolver::fault_handler(const OpSpec &s, Op &op) const {
    const auto &core = ref_.fault_core();
    std::vector<uint32_t> cands;
    switch (s.kind) {
    case OpKind::register_fault_handler:
        cands = devs([&](uint32_t d) { return core.has_handler(d) == s.invalid; });
        break;
    case OpKind::unregister_fault_handler:
        cands = devs([&](uint32_t d) {
            return s.invalid ? !core.pending(d).empty()
                             : core.has_handler(d) && core.pending(d).empty();
        });
        break;
    default:
        cands = devs([&](uint32_t d) { return topo_.devices[d].pri; });
        break;
    }
    op.dev = pick(s.a, cands, n_devs_);
}

} // namespace

std::array<uint16_t, kOpKinds> default_weights(const ref::Profile &profile) {
    std::array<uint16_t, kOpKinds> w{};
    auto set = [&](OpKind k, uint16_t v) {
        if (ref::op_in_profile(k, profile)) w[static_cast<std::size_t>(k)] = v;
    };
    set(OpKind::has_feature, 4);
    set(OpKind::feature_enabled, 5);
    set(OpKind::enable_feature, 6);
    set(OpKind::disable_feature, 5);
    set(OpKind::set_sva_param, 6);
    set(OpKind::bind, 34);
    set(OpKind::unbind, 26);
    set(OpKind::mm_exit, 4);
    set(OpKind::mm_map, 4);
    set(OpKind::mm_unmap, 4);
    set(OpKind::mm_protect, 4);
    set(OpKind::dma, 30);
    // I/O page faults: DMA to lazy or missing pages raises them; the
    // responses answer them.
    set(OpKind::page_request, 6);
    set(OpKind::page_response, 12);
    set(OpKind::register_fault_handler, 3);
    set(OpKind::unregister_fault_handler, 1);
    set(OpKind::queue_overflow, 1);
    // later API generations
    set(OpKind::set_ops, 3);
    set(OpKind::mm_free, 3);
    return w;
}

rc::Gen<ref::Topology> gen_topology(uint32_t arch_mask) {
    std::vector<ref::Arch> archs;
    if (arch_mask & (1u << SVAC_ARCH_SMMUV3)) archs.push_back(ref::Arch::smmuv3);
    if (arch_mask & (1u << SVAC_ARCH_VTD)) archs.push_back(ref::Arch::vtd);
    if (archs.empty()) archs.push_back(ref::Arch::smmuv3);
    // One kind of machine per topology; IOMMUs and devices shrink away, the
    // mm count shrinks toward 1.
    return rc::gen::map(
        rc::gen::tuple(
            rc::gen::noShrink(rc::gen::elementOf(archs)), gen_iommus(), gen_devices(),
            rc::gen::resize(rc::kNominalSize, rc::gen::inRange<uint32_t>(1, kMaxMms + 1))),
        [](const std::tuple<ref::Arch, std::vector<ref::Iommu>, std::vector<ref::Device>, uint32_t>
               &parts) {
            ref::Topology t;
            t.iommus = std::get<1>(parts);
            for (auto &i : t.iommus) i.arch = std::get<0>(parts);
            t.devices = std::get<2>(parts);
            for (auto &d : t.devices) {
                d.iommu %= static_cast<uint32_t>(t.iommus.size());
                if (t.iommus[d.iommu].arch != ref::Arch::smmuv3) d.stall = false;
            }
            t.mms = std::get<3>(parts);
            return t;
        });
}

rc::Gen<Swarm> gen_swarm(const GenConfig &cfg) {
    return [cfg](const rc::Random &random, int) {
        rc::Random r = random;
        Swarm s;
        const ref::Profile *p = ref::find_profile(cfg.profile);
        const auto base = default_weights(p ? *p : ref::default_profile());
        // One case in five runs the full mix; the others keep each kind with
        // probability 3/5, at half to twice its usual weight.
        bool full = percent(r, 20);
        for (std::size_t k = 0; k < kOpKinds; ++k) {
            if (!cfg.hardware && is_hardware(static_cast<OpKind>(k))) continue;
            if (base[k] == 0) continue; // a kind of another API generation
            if (full)
                s.weight[k] = base[k];
            else if (percent(r, 60))
                s.weight[k] =
                    static_cast<uint16_t>(std::max<uint64_t>(1, base[k] * (1 + below(r, 4)) / 2));
        }
        if (std::all_of(s.weight.begin(), s.weight.end(), [](uint16_t w) { return w == 0; }))
            for (std::size_t k = 0; k < kOpKinds; ++k)
                if (cfg.hardware || !is_hardware(static_cast<OpKind>(k))) s.weight[k] = base[k];
        s.iopf_first = p && p->iopf_feature;
        s.invalid_pct = static_cast<uint8_t>(
            std::min<uint64_t>(100, below(r, 2 * uint64_t{cfg.invalid_pct} + 1)));
        s.enable_all = percent(r, 80);
        static constexpr uint8_t kMapPct[] = {0, 50, 75, 100};
        s.map_pct = cfg.hardware ? kMapPct[below(r, 4)] : 0;
        // Most cases give every device a fault handler, so that most faults
        // are handled; some give none, or only some.
        static constexpr uint8_t kHandlerPct[] = {0, 60, 100, 100};
        s.handler_pct = cfg.hardware ? kHandlerPct[below(r, 4)] : 0;
        static constexpr uint8_t kLazyPct[] = {0, 50, 50, 100};
        s.lazy_pct = cfg.hardware ? kLazyPct[below(r, 4)] : 0;
        return rc::shrinkable::just(s);
    };
}

rc::Gen<std::vector<OpSpec>> gen_op_specs(const Swarm &swarm, const GenConfig &cfg) {
    return [swarm, ops = cfg.ops](const rc::Random &random, int size) {
        rc::Random r = random;
        Shrinkables<OpSpec> elems;
        if (swarm.enable_all)
            for (uint32_t d = 0; d < kMaxDevices; ++d) {
                OpSpec s;
                s.kind = OpKind::enable_feature;
                s.prelude = true;
                s.a = d;
                if (swarm.iopf_first) { // variant 1: IOPF, before SVA
                    s.variant = 1;
                    elems.push_back(rc::shrinkable::just(s));
                    s.variant = 0;
                }
                elems.push_back(rc::shrinkable::just(s));
            }
        for (uint32_t d = 0; d < kMaxDevices; ++d)
            if (percent(r, swarm.handler_pct)) {
                OpSpec s;
                s.kind = OpKind::register_fault_handler;
                s.prelude = true;
                s.a = d;
                elems.push_back(rc::shrinkable::just(s));
            }
        for (uint32_t m = 0; m < kMaxMms; ++m)
            if (percent(r, swarm.map_pct)) {
                OpSpec s;
                s.kind = OpKind::mm_map;
                s.prelude = true;
                s.b = m;
                s.variant = static_cast<uint32_t>(r.next());
                s.lazy = percent(r, swarm.lazy_pct);
                elems.push_back(rc::shrinkable::just(s));
            }
        uint64_t scale = static_cast<uint64_t>(std::clamp(size, 1, rc::kNominalSize));
        uint64_t max_len = std::max<uint64_t>(1, ops * scale / rc::kNominalSize);
        uint64_t min_len = (max_len + 1) / 2;
        uint64_t len = min_len + below(r, max_len - min_len + 1);
        for (uint64_t i = 0; i < len; ++i) {
            OpSpec s;
            s.kind = pick_kind(swarm, r.next());
            s.invalid = percent(r, swarm.invalid_pct);
            s.a = static_cast<uint32_t>(below(r, 64));
            s.b = static_cast<uint32_t>(below(r, 64));
            s.variant = static_cast<uint32_t>(r.next());
            s.d = r.next();
            s.lazy = s.kind == OpKind::mm_map && percent(r, swarm.lazy_pct);
            elems.push_back(shrinkable_spec(s));
        }
        return shrinkable_list(std::move(elems), 0);
    };
}

engine::Trace build_trace(const ref::Topology &topology, const std::vector<OpSpec> &specs,
                          const std::string &profile) {
    engine::Trace t;
    t.profile = profile;
    t.topology = topology;
    const ref::Profile *p = ref::find_profile(profile);
    ref::Reference shadow(topology, p ? *p : ref::default_profile());
    Resolver resolver(shadow, topology);
    t.ops.reserve(specs.size());
    for (const auto &s : specs) {
        Op op;
        if (!resolver.resolve(s, op)) continue;
        resolver.note(op);
        // The shadow follows the spec's policy (lowest free PASID, first
        // errno), and a driver that reports to the core every fault the
        // hardware raises, so that its core holds the groups responses name.
        ref::Expectation exp = shadow.expect(op);
        ref::Observation obs;
        if (!exp.raise.empty()) obs.faults = exp.raise;
        shadow.commit(op, exp, obs);
        t.ops.push_back(op);
    }
    return t;
}

rc::Gen<engine::Trace> gen_trace(const GenConfig &cfg) {
    // The swarm never shrinks (a different mix is not a simpler case); the
    // topology and the op list shrink independently, so dropping an op
    // keeps the others as they were.
    auto specs = rc::gen::mapcat(rc::gen::noShrink(gen_swarm(cfg)),
                                 [cfg](const Swarm &s) { return gen_op_specs(s, cfg); });
    return rc::gen::map(
        rc::gen::pair(gen_topology(cfg.arch_mask), std::move(specs)),
        [profile = cfg.profile](const std::pair<ref::Topology, std::vector<OpSpec>> &p) {
            return build_trace(p.first, p.second, profile);
        });
}

} // namespace svac::properties

namespace svac::engine {
void showValue(const Trace &trace, std::ostream &os) {
    os << "\n" << print_trace(trace);
}
} // namespace svac::engine
