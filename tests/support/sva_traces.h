// Small SVA traces more than one test reads.
#pragma once

#include "engine/trace.h"

#include <cstdint>

namespace svac::test_support {

inline constexpr uint64_t kVa = 0x40'0000;
inline constexpr uint32_t kDevBits[2] = {20,
                                         8}; // a 2-level CD table / big directory, and a small one

// Two devices, two mms: SVA on both devices, two pages in each mm, each mm
// bound on each device, then a DMA per bond.
inline engine::Trace two_by_two(ref::Arch arch) {
    engine::Trace t;
    ref::Iommu iommu;
    iommu.arch = arch;
    t.topology.iommus.push_back(iommu);
    for (uint32_t bits : kDevBits) {
        ref::Device d;
        d.pasid_bits = static_cast<uint8_t>(bits);
        d.pri = true;
        t.topology.devices.push_back(d);
    }
    t.topology.mms = 2;
    auto add = [&t](ref::Op op) { t.ops.push_back(op); };
    for (uint32_t dev = 0; dev < 2; ++dev) {
        ref::Op op;
        op.kind = ref::OpKind::enable_feature;
        op.dev = dev;
        op.feat = SVAC_FEAT_SVA;
        add(op);
    }
    for (uint32_t mm = 0; mm < 2; ++mm) {
        ref::Op op;
        op.kind = ref::OpKind::mm_map;
        op.mm = mm;
        op.va = kVa;
        op.pages = 2;
        op.perms = ref::kRead | ref::kWrite;
        add(op);
    }
    for (uint32_t dev = 0; dev < 2; ++dev)
        for (uint32_t mm = 0; mm < 2; ++mm) {
            ref::Op op;
            op.kind = ref::OpKind::bind;
            op.dev = dev;
            op.mm = mm;
            op.drvdata = 10 * dev + mm;
            add(op);
        }
    for (uint32_t dev = 0; dev < 2; ++dev)
        for (uint32_t mm = 0; mm < 2; ++mm) {
            ref::Op op;
            op.kind = ref::OpKind::dma;
            op.dev = dev;
            op.pasid = {true, mm};
            op.va = kVa + 8 * mm;
            op.perms = ref::kRead;
            add(op);
        }
    return t;
}

} // namespace svac::test_support
