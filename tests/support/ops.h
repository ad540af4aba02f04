// Building the API calls of a hand-written trace, one ref::Op at a time.
#pragma once

#include "reference/op.h"
#include <svac/driver_abi.h>

#include <cstdint>

namespace svac::test_support {

// The SVA feature, enabled on dev.
inline ref::Op enable(uint32_t dev) {
    ref::Op op;
    op.kind = ref::OpKind::enable_feature;
    op.dev = dev;
    op.feat = SVAC_FEAT_SVA;
    return op;
}

// set_sva_param(dev, min, max).
inline ref::Op param(uint32_t dev, uint32_t min, uint32_t max) {
    ref::Op op;
    op.kind = ref::OpKind::set_sva_param;
    op.dev = dev;
    op.min = min;
    op.max = max;
    return op;
}

// Binds mm on dev, with drvdata 100 + mm.
inline ref::Op bind(uint32_t dev, uint32_t mm) {
    ref::Op op;
    op.kind = ref::OpKind::bind;
    op.dev = dev;
    op.mm = mm;
    op.drvdata = 100 + mm;
    return op;
}

// Unbinds the PASID mm holds from dev.
inline ref::Op unbind(uint32_t dev, uint32_t mm) {
    ref::Op op;
    op.kind = ref::OpKind::unbind;
    op.dev = dev;
    op.pasid = {true, mm};
    return op;
}

inline ref::Op mm_exit(uint32_t mm) {
    ref::Op op;
    op.kind = ref::OpKind::mm_exit;
    op.mm = mm;
    return op;
}

// Maps `pages` pages of mm at va with perms; lazy: populated on first fault.
inline ref::Op mm_map(uint32_t mm, uint64_t va, uint32_t pages, uint8_t perms, bool lazy) {
    ref::Op op;
    op.kind = ref::OpKind::mm_map;
    op.mm = mm;
    op.va = va;
    op.pages = pages;
    op.perms = perms;
    op.lazy = lazy;
    return op;
}

// A DMA by dev with the PASID mm holds, of `pages` pages from va.
inline ref::Op dma(uint32_t dev, uint32_t mm, uint64_t va, uint8_t access, uint32_t pages = 1) {
    ref::Op op;
    op.kind = ref::OpKind::dma;
    op.dev = dev;
    op.pasid = {true, mm};
    op.va = va;
    op.perms = access;
    op.pages = pages;
    return op;
}

// One page request from dev with the PASID mm holds.
inline ref::Op page_request(uint32_t dev, uint32_t mm, uint64_t va, uint8_t access, uint32_t group,
                            bool last) {
    ref::Op op;
    op.kind = ref::OpKind::page_request;
    op.dev = dev;
    op.pasid = {true, mm};
    op.va = va;
    op.perms = access;
    op.group = group;
    op.last = last;
    return op;
}

// The core answers dev's oldest pending group (the handler decides), or the
// given one with the given answer.
inline ref::Op page_response(uint32_t dev, ref::Op::Answer answer = ref::Op::Answer::handler) {
    ref::Op op;
    op.kind = ref::OpKind::page_response;
    op.dev = dev;
    op.answer = answer;
    return op;
}
inline ref::Op page_response(uint32_t dev, uint32_t group, ref::Op::Answer answer) {
    ref::Op op = page_response(dev, answer);
    op.group = group;
    op.has_group = true;
    return op;
}

// register_fault_handler / unregister_fault_handler / queue_overflow on dev.
inline ref::Op dev_op(ref::OpKind kind, uint32_t dev) {
    ref::Op op;
    op.kind = kind;
    op.dev = dev;
    return op;
}

} // namespace svac::test_support
