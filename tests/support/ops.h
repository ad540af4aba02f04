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

} // namespace svac::test_support
