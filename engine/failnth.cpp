#include "engine/failnth.h"

#include "engine/driver.h"
#include "engine/generator.h"
#include "engine/interrupt.h"

#include <algorithm>
#include <string>

namespace svac::engine {

std::size_t FailnthResult::hit() const {
    return static_cast<std::size_t>(std::count_if(points.begin(), points.end(), [](const auto &p) {
        return p.where != FailnthPoint::Where::none;
    }));
}

std::size_t FailnthResult::not_clean() const {
    return static_cast<std::size_t>(
        std::count_if(points.begin(), points.end(), [](const auto &p) { return !p.clean(); }));
}

FailnthResult sweep_failnth(const svac_driver_ops &driver, const Trace &trace,
                            const RunOptions &options,
                            const std::function<void(const FailnthPoint &)> &on_point,
                            uint64_t max_points) {
    using Where = FailnthPoint::Where;
    FailnthResult r;
    Trace t = trace;
    t.fail_alloc_nth = 0; // the sweep chooses
    RunOptions o = options;
    o.fail_alloc_nth = 0;
    RunStats base;
    try {
        r.baseline = run_differential(driver, t, base, o);
    } catch (const Interrupted &) { // an isolated child killed for the stop
        r.interrupted = true;
        return r;
    }
    r.baseline_run = true;
    r.allocs = base.driver_allocs;
    if (r.baseline) return r;
    for (uint64_t n = 1;; ++n) {
        if (n > max_points) {
            r.capped = true;
            break;
        }
        if (stop_requested()) {
            r.interrupted = true;
            break;
        }
        o.fail_alloc_nth = n;
        RunStats s;
        std::optional<Finding> f;
        try {
            f = run_differential(driver, t, s, o);
        } catch (const Interrupted &) { // cut short: not judged
            r.interrupted = true;
            break;
        }
        FailnthPoint p;
        p.n = n;
        if (s.alloc_failed_step == RunStats::kAllocInCreate) {
            p.where = Where::create;
            p.create_null = s.create_refused;
        } else if (s.alloc_failed_step >= 0 &&
                   static_cast<std::size_t>(s.alloc_failed_step) >= t.ops.size()) {
            p.where = Where::destroy;
        } else if (s.alloc_failed_step >= 0) {
            p.where = Where::op;
            p.step = static_cast<std::size_t>(s.alloc_failed_step);
            p.rc = s.alloc_failed_rc;
        } else {
            // Not reached: the run asked for fewer. Unless the baseline asked
            // for n or more (a run that ended early, or did not report it).
            p.where = f || n <= r.allocs ? Where::unknown : Where::none;
        }
        p.finding = std::move(f); // ROBUST-5 for a NULL create that left memory too
        r.points.push_back(std::move(p));
        if (on_point) on_point(r.points.back());
        if (r.points.back().where == Where::none) break;
    }
    return r;
}

// ---- the built-in traces ----

namespace {

using ref::Op;
using ref::OpKind;

Op dev_op(OpKind kind, uint32_t dev) {
    Op op;
    op.kind = kind;
    op.dev = dev;
    if (kind == OpKind::has_feature || kind == OpKind::feature_enabled ||
        kind == OpKind::enable_feature || kind == OpKind::disable_feature)
        op.feat = SVAC_FEAT_SVA;
    return op;
}

Op param(uint32_t dev, uint32_t min, uint32_t max) {
    Op op = dev_op(OpKind::set_sva_param, dev);
    op.min = min;
    op.max = max;
    return op;
}

Op bind(uint32_t dev, uint32_t mm) {
    Op op = dev_op(OpKind::bind, dev);
    op.mm = mm;
    op.drvdata = 100 + 10 * mm + dev;
    return op;
}

// Unbinds the PASID mm holds from dev.
Op unbind(uint32_t dev, uint32_t mm) {
    Op op = dev_op(OpKind::unbind, dev);
    op.pasid = {true, mm};
    return op;
}

Op mm_op(OpKind kind, uint32_t mm, uint64_t va = 0, uint32_t pages = 0, uint8_t perms = 0,
         bool lazy = false) {
    Op op;
    op.kind = kind;
    op.mm = mm;
    op.va = va;
    op.pages = pages;
    op.perms = perms;
    op.lazy = lazy;
    return op;
}

// A DMA (or one page request) by dev with the PASID mm holds.
Op dma(OpKind kind, uint32_t dev, uint32_t mm, uint64_t va, uint8_t access) {
    Op op = dev_op(kind, dev);
    op.pasid = {true, mm};
    op.va = va;
    op.perms = access;
    op.pages = kind == OpKind::dma ? 1 : 0;
    return op;
}

// The built-in trace in profile p's vocabulary: the ops p lacks dropped,
// IOPF enabled before SVA where p has that feature, each unbind by the
// handle its bind got (named as the kit names them: the lowest free), no
// drvdata where p has no callback, and each mm freed after its exit where
// the mm keeps its PASID until then.
Trace in_profile(Trace t, const ref::Profile &p) {
    t.profile = p.name;
    std::vector<Op> ops;
    HandleNames handles;
    for (Op op : t.ops) {
        if (!ref::op_in_profile(op.kind, p)) continue;
        if (op.kind == OpKind::enable_feature && p.iopf_feature) {
            Op iopf = op;
            iopf.feat = SVAC_FEAT_IOPF;
            ops.push_back(iopf);
        }
        if (op.kind == OpKind::bind && p.contract != ref::Contract::rfc2019) {
            if (!p.mm_exit_callback) op.drvdata = 0;
            handles.bind(op.dev, op.mm);
        }
        if (op.kind == OpKind::unbind && p.contract != ref::Contract::rfc2019) {
            op.by_handle = true;
            op.handle = *handles.name_of(op.dev, op.pasid.value); // the trace binds first
            op.pasid = {};
            handles.unbind(op.handle);
        }
        ops.push_back(op);
    }
    if (p.pasid_lifetime == ref::PasidLifetime::mm)
        for (uint32_t mm = 0; mm < t.topology.mms; ++mm) ops.push_back(mm_op(OpKind::mm_free, mm));
    t.ops = std::move(ops);
    return t;
}

} // namespace

Trace failnth_trace(ref::Arch arch, const ref::Profile &profile) {
    const bool smmu = arch == ref::Arch::smmuv3;
    constexpr uint8_t R = ref::kRead, W = ref::kWrite, RW = R | W;
    constexpr uint64_t kMapped = 0x100000, kLazy = 0x200000;
    Trace t;
    t.topology.iommus = {{arch, 20, true}, {arch, 20, true}};
    t.topology.devices = {
        {0, 20, true, false, true},                   // a PRI endpoint with ATS
        smmu ? ref::Device{0, 20, false, true, false} // a stall master
             : ref::Device{0, 20, true, false, false},
        {1, 8, true, false, false}, // narrow PASIDs: a linear CD table on SMMUv3
    };
    t.topology.mms = 3;
    auto &ops = t.ops;
    ops.push_back(dev_op(OpKind::has_feature, 0));
    for (uint32_t dev = 0; dev < 3; ++dev) {
        ops.push_back(dev_op(OpKind::enable_feature, dev));  // a CD table
        ops.push_back(dev_op(OpKind::feature_enabled, dev)); // FEAT-9 after a failure
    }
    // Device 1 takes PASIDs from 4096 up: far from the others' (another CD
    // leaf, another PASID table).
    ops.push_back(param(1, 4096, 0xfffff));
    for (uint32_t dev = 0; dev < 3; ++dev)
        ops.push_back(dev_op(OpKind::register_fault_handler, dev));
    for (uint32_t mm = 0; mm < 3; ++mm) {
        ops.push_back(mm_op(OpKind::mm_map, mm, kMapped, 2, RW));
        ops.push_back(mm_op(OpKind::mm_map, mm, kLazy, 1, RW, true));
    }
    ops.push_back(bind(0, 0)); // a new PASID, low
    ops.push_back(bind(1, 1)); // a new PASID, >= 4096
    ops.push_back(bind(0, 1)); // mm 1's PASID on another device
    ops.push_back(bind(2, 0)); // mm 0's PASID behind the other IOMMU
    ops.push_back(bind(0, 0)); // a second reference
    ops.push_back(bind(1, 2)); // another new PASID on device 1
    ops.push_back(dma(OpKind::dma, 0, 0, kMapped, R));
    ops.push_back(dma(OpKind::dma, 0, 1, kMapped + 0x1000, W));
    ops.push_back(dma(OpKind::dma, 0, 0, kLazy, W)); // a page request group
    ops.push_back(dev_op(OpKind::page_response, 0));
    ops.push_back(dma(OpKind::dma, 1, 1, kLazy, W)); // a stall, or a page request
    ops.push_back(dev_op(OpKind::page_response, 1));
    Op req = dma(OpKind::page_request, 2, 0, kMapped, R);
    req.group = 3;
    req.last = true;
    ops.push_back(req);
    ops.push_back(dev_op(OpKind::page_response, 2));
    ops.push_back(dma(OpKind::dma, 2, 0, kLazy, R));
    ops.push_back(mm_op(OpKind::mm_unmap, 0, kMapped, 1));
    ops.push_back(dma(OpKind::dma, 0, 0, kMapped, R));
    ops.push_back(unbind(0, 0));              // the second reference
    ops.push_back(unbind(0, 0));              // the last
    ops.push_back(mm_op(OpKind::mm_exit, 1)); // while bound on devices 0 and 1
    ops.push_back(dma(OpKind::dma, 1, 1, kMapped, R));
    ops.push_back(unbind(1, 1));
    ops.push_back(unbind(0, 1));
    ops.push_back(unbind(2, 0));
    ops.push_back(dev_op(OpKind::disable_feature, 2));
    ops.push_back(dev_op(OpKind::feature_enabled, 2));
    ops.push_back(unbind(1, 2));
    ops.push_back(mm_op(OpKind::mm_exit, 0));
    ops.push_back(mm_op(OpKind::mm_exit, 2));
    // Devices 0 and 1 keep SVA enabled: destroy frees their tables.
    return profile.contract == ref::Contract::rfc2019 ? t : in_profile(std::move(t), profile);
}

} // namespace svac::engine
