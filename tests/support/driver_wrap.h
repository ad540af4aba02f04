// Driver variants made by wrapping a bundled driver: their op tables, one
// per variant, built once from a template over the variant's index.
#pragma once

#include <svac/driver_abi.h>

#include <array>
#include <cstddef>
#include <type_traits>
#include <utility>

namespace svac::test_support {

// {make(std::integral_constant<std::size_t, 0>{}), ..., make(...<N - 1>{})}:
// make returns the op table of variant I, typically make_ops<I>().
template <std::size_t N, class Make> std::array<svac_driver_ops, N> ops_table(Make make) {
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
        return std::array<svac_driver_ops, N>{make(std::integral_constant<std::size_t, I>{})...};
    }
    (std::make_index_sequence<N>{});
}

// ABI version 3's fault calls, for a platform that wraps another: Real(ctx)
// is the platform wrapped.
template <auto Real> void forward_fault_platform(svac_platform &p) {
    p.report_fault = [](void *ctx, uint32_t dev, const svac_fault *f) {
        const svac_platform *r = Real(ctx);
        return r->report_fault(r->ctx, dev, f);
    };
    p.flush_faults = [](void *ctx, uint32_t dev, uint32_t pasid) {
        const svac_platform *r = Real(ctx);
        r->flush_faults(r->ctx, dev, pasid);
    };
    p.discard_partial = [](void *ctx, uint32_t iommu) {
        const svac_platform *r = Real(ctx);
        r->discard_partial(r->ctx, iommu);
    };
}

// ... and the driver's, for an ops table that wraps another: Ops(drv) is the
// wrapped table, Inner(drv) its instance.
template <auto Ops, auto Inner> void forward_fault_ops(svac_driver_ops &o) {
    o.service_irq = [](void *drv, uint32_t iommu) { Ops(drv)->service_irq(Inner(drv), iommu); };
    o.page_response = [](void *drv, uint32_t dev, const svac_page_response *r) {
        return Ops(drv)->page_response(Inner(drv), dev, r);
    };
}

} // namespace svac::test_support
