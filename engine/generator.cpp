#include "engine/generator.h"

#include <algorithm>

namespace svac::engine {

namespace {

using ref::Op;
using ref::OpKind;

// PASID widths: mostly the full 20 bits, often tiny so that exhaustion and
// the inclusive upper bound (PASID-3, PASID-5) are reached, sometimes none.
uint8_t pasid_width(Rng &rng) {
    uint64_t r = rng.below(100);
    if (r < 45) return 20;
    if (r < 80) return static_cast<uint8_t>(rng.between(1, 3));
    if (r < 90) return static_cast<uint8_t>(rng.between(4, 19));
    return 0;
}

ref::Arch pick_arch(Rng &rng, uint32_t mask) {
    ref::Arch choices[2];
    unsigned n = 0;
    if (mask & (1u << SVAC_ARCH_SMMUV3)) choices[n++] = ref::Arch::smmuv3;
    if (mask & (1u << SVAC_ARCH_VTD)) choices[n++] = ref::Arch::vtd;
    return n ? choices[rng.below(n)] : ref::Arch::smmuv3;
}

uint32_t feature(Rng &rng) {
    return rng.percent(95) ? SVAC_FEAT_SVA : static_cast<uint32_t>(rng.between(2, 200));
}

// PASID limits around the interesting edges of the device's width.
void param_range(Rng &rng, uint32_t width_max, Op &op) {
    uint64_t r = rng.below(100);
    uint32_t w = std::max<uint32_t>(width_max, 1);
    if (r < 60) {
        op.min = static_cast<uint32_t>(rng.between(1, w));
        op.max = rng.percent(40) ? w : static_cast<uint32_t>(rng.between(op.min, w));
    } else if (r < 70) {
        op.min = 0; // PARAM-2
        op.max = static_cast<uint32_t>(rng.between(0, w));
    } else if (r < 80) {
        op.max = static_cast<uint32_t>(rng.between(1, w));
        op.min = op.max + 1; // min > max
    } else if (r < 90) {
        op.min = 1;
        op.max = width_max + 1; // beyond the width
    } else {
        op.min = op.max = static_cast<uint32_t>(rng.between(1, w));
    }
}

// Addresses cluster on a few pages so that DMA meets mapped, unmapped and
// write-protected pages; now and then one lands anywhere.
constexpr uint64_t kVaBase = 0x40'0000;
constexpr unsigned kVaPages = 12;

uint64_t page_va(Rng &rng) {
    return kVaBase + rng.below(kVaPages) * ref::kPageSize;
}

uint8_t mapping_perms(Rng &rng) {
    static constexpr uint8_t kChoices[] = {ref::kRead, ref::kRead | ref::kWrite,
                                           ref::kRead | ref::kExec,
                                           ref::kRead | ref::kWrite | ref::kExec};
    return kChoices[rng.below(std::size(kChoices))];
}

void mm_range(Rng &rng, Op &op) {
    op.va = page_va(rng);
    uint64_t left = kVaPages - (op.va - kVaBase) / ref::kPageSize;
    op.pages = static_cast<uint32_t>(rng.between(1, std::min<uint64_t>(4, left)));
}

} // namespace

ref::Topology generate_topology(Rng &rng, const GenConfig &cfg) {
    ref::Topology t;
    auto n_iommus = rng.between(1, 2);
    ref::Arch arch = pick_arch(rng, cfg.arch_mask); // one kind of machine per topology
    for (uint64_t i = 0; i < n_iommus; ++i) {
        ref::Iommu iommu;
        iommu.arch = arch;
        iommu.pasid_bits = rng.percent(85) ? 20 : pasid_width(rng);
        iommu.sva = rng.percent(90);
        t.iommus.push_back(iommu);
    }
    auto n_devices = rng.between(1, 4);
    for (uint64_t i = 0; i < n_devices; ++i) {
        ref::Device d;
        d.iommu = static_cast<uint32_t>(rng.below(n_iommus));
        d.pasid_bits = pasid_width(rng);
        d.pri = rng.percent(70);
        d.stall = t.iommus[d.iommu].arch == ref::Arch::smmuv3 && rng.percent(30);
        d.ats = d.pri && rng.percent(60);
        t.devices.push_back(d);
    }
    t.mms = static_cast<uint32_t>(rng.between(1, 6));
    return t;
}

Trace generate_trace(Rng &rng, const GenConfig &cfg) {
    Trace trace;
    trace.profile = cfg.profile;
    trace.topology = generate_topology(rng, cfg);
    const ref::Topology &t = trace.topology;
    const auto n_devs = static_cast<uint32_t>(t.devices.size());
    std::vector<bool> exited(t.mms, false);
    auto dev = [&] { return static_cast<uint32_t>(rng.below(n_devs)); };
    auto mm = [&] { return static_cast<uint32_t>(rng.below(t.mms)); };

    // Most sequences start with SVA enabled on every device, so binds count.
    if (rng.percent(80))
        for (uint32_t d = 0; d < n_devs && trace.ops.size() < cfg.ops; ++d) {
            Op op;
            op.kind = OpKind::enable_feature;
            op.dev = d;
            op.feat = SVAC_FEAT_SVA;
            trace.ops.push_back(op);
        }

    struct Weighted {
        OpKind kind;
        unsigned weight;
    };
    // Most mms start with some pages mapped, so that DMA can translate.
    if (cfg.hardware)
        for (uint32_t m = 0; m < t.mms && trace.ops.size() < cfg.ops; ++m)
            if (rng.percent(75)) {
                Op op;
                op.kind = OpKind::mm_map;
                op.mm = m;
                op.va = kVaBase;
                op.pages = kVaPages;
                op.perms = mapping_perms(rng);
                trace.ops.push_back(op);
            }

    static constexpr Weighted kMix[] = {
        {OpKind::has_feature, 4},     {OpKind::feature_enabled, 5}, {OpKind::enable_feature, 6},
        {OpKind::disable_feature, 5}, {OpKind::set_sva_param, 6},   {OpKind::bind, 34},
        {OpKind::unbind, 26},         {OpKind::mm_exit, 4},         {OpKind::mm_map, 4},
        {OpKind::mm_unmap, 4},        {OpKind::mm_protect, 4},      {OpKind::dma, 30},
    };
    unsigned total = 0;
    for (const auto &w : kMix) total += w.weight;

    while (trace.ops.size() < cfg.ops) {
        auto pick = static_cast<unsigned>(rng.below(total));
        OpKind kind = kMix[0].kind;
        for (const auto &w : kMix) {
            if (pick < w.weight) {
                kind = w.kind;
                break;
            }
            pick -= w.weight;
        }
        if (!cfg.hardware && (ref::op_is_mm_change(kind) || kind == OpKind::dma)) continue;
        Op op;
        op.kind = kind;
        switch (kind) {
        case OpKind::has_feature:
        case OpKind::feature_enabled:
        case OpKind::enable_feature:
        case OpKind::disable_feature:
            op.dev = dev();
            op.feat = feature(rng);
            break;
        case OpKind::set_sva_param:
            op.dev = dev();
            param_range(rng, ref::pasid_width_max(t.devices[op.dev].pasid_bits), op);
            break;
        case OpKind::bind:
            op.dev = dev();
            op.mm = mm();
            op.drvdata = rng.below(1000);
            break;
        case OpKind::unbind:
            op.dev = dev();
            if (rng.percent(85)) {
                op.pasid = {true, mm()};
            } else { // a PASID nobody may hold: 0, small ones, the top of a width
                uint64_t r = rng.below(3);
                op.pasid.value =
                    r == 0   ? 0
                    : r == 1 ? static_cast<uint32_t>(rng.between(1, 8))
                             : ref::pasid_width_max(static_cast<uint32_t>(rng.between(1, 20)));
            }
            break;
        case OpKind::mm_exit: {
            op.mm = mm();
            if (exited[op.mm]) continue; // an mm exits once
            exited[op.mm] = true;
            break;
        }
        case OpKind::mm_map:
        case OpKind::mm_unmap:
        case OpKind::mm_protect:
            op.mm = mm();
            if (exited[op.mm]) continue; // its address space is gone
            mm_range(rng, op);
            op.perms = kind == OpKind::mm_unmap ? 0 : mapping_perms(rng);
            break;
        case OpKind::dma: {
            op.dev = dev();
            uint64_t r = rng.below(100);
            if (r < 80)
                op.pasid = {true, mm()};
            else if (r < 92)
                op.no_pasid = true;
            else
                op.pasid.value = static_cast<uint32_t>(rng.between(0, 8));
            op.va = rng.percent(90) ? page_va(rng) + rng.below(ref::kPageSize / 8) * 8
                                    : rng.below(uint64_t{1} << 48) & ~uint64_t{7};
            static constexpr uint8_t kAccess[] = {ref::kRead, ref::kRead, ref::kWrite, ref::kWrite,
                                                  ref::kExec};
            op.perms = kAccess[rng.below(std::size(kAccess))];
            break;
        }
        case OpKind::count_:
            continue;
        }
        trace.ops.push_back(op);
    }
    return trace;
}

} // namespace svac::engine
