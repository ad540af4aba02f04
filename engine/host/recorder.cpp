#include "engine/host/recorder.h"

namespace svac::engine::host {

Recorder::Recorder(std::unique_ptr<DriverCalls> driver, std::string &events,
                   std::function<void()> recorded)
    : driver_(std::move(driver)), out_(events), recorded_(std::move(recorded)) {}

bool Recorder::create(const svac_platform *p, const svac_topology *t, MmExit on_exit) {
    real_ = p;
    recording_ = *p;
    recording_.ctx = this;
    recording_.alloc = [](void *ctx, uint64_t bytes, uint64_t align) {
        Recorder &r = self(ctx);
        const uint64_t pa = r.real_->alloc(r.real_->ctx, bytes, align);
        r.out_.tag(EventTag::alloc);
        r.out_.u64(bytes);
        r.out_.u64(align);
        r.out_.u64(pa);
        r.done();
        return pa;
    };
    recording_.free = [](void *ctx, uint64_t pa) {
        Recorder &r = self(ctx);
        r.out_.tag(EventTag::free);
        r.out_.u64(pa);
        r.real_->free(r.real_->ctx, pa);
        r.done();
    };
    recording_.read64 = [](void *ctx, uint64_t pa) {
        return self(ctx).real_->read64(self(ctx).real_->ctx, pa);
    };
    recording_.write64 = [](void *ctx, uint64_t pa, uint64_t val) {
        Recorder &r = self(ctx);
        r.out_.tag(EventTag::write64);
        r.out_.u64(pa);
        r.out_.u64(val);
        r.real_->write64(r.real_->ctx, pa, val);
        r.done();
    };
    recording_.write_reg = [](void *ctx, uint32_t iommu, uint32_t offset, uint64_t val) {
        Recorder &r = self(ctx);
        r.out_.tag(EventTag::write_reg);
        r.out_.u32(iommu);
        r.out_.u32(offset);
        r.out_.u64(val);
        r.real_->write_reg(r.real_->ctx, iommu, offset, val);
        r.done();
    };
    recording_.read_reg = [](void *ctx, uint32_t iommu, uint32_t offset) {
        return self(ctx).real_->read_reg(self(ctx).real_->ctx, iommu, offset);
    };
    recording_.submit_cmd = [](void *ctx, uint32_t iommu, const uint64_t *cmd, uint32_t qwords) {
        Recorder &r = self(ctx);
        const int rc = r.real_->submit_cmd(r.real_->ctx, iommu, cmd, qwords);
        // The platform reads at most the 4 qwords of a VT-d descriptor, and
        // only from a command of the architecture's size.
        r.out_.tag(EventTag::submit_cmd);
        r.out_.u32(iommu);
        r.out_.u32(qwords);
        r.out_.u8(cmd != nullptr);
        for (uint32_t k = 0; k < 4; ++k) r.out_.u64(cmd && k < qwords ? cmd[k] : 0);
        r.out_.i32(rc);
        r.done();
        return rc;
    };
    recording_.mm_info = [](void *ctx, uint32_t mm, svac_mm_info *info) {
        return self(ctx).real_->mm_info(self(ctx).real_->ctx, mm, info);
    };
    // The core may call the driver back (page_response) from inside these:
    // the nested calls are recorded between the call and its `returned`.
    recording_.report_fault = [](void *ctx, uint32_t dev, const svac_fault *f) {
        Recorder &r = self(ctx);
        r.out_.tag(EventTag::report_fault);
        r.out_.u32(dev);
        r.out_.u8(f != nullptr);
        r.out_.fault(f ? *f : svac_fault{});
        const int rc = r.real_->report_fault(r.real_->ctx, dev, f);
        r.out_.tag(EventTag::returned);
        r.out_.i32(rc);
        return rc;
    };
    recording_.flush_faults = [](void *ctx, uint32_t dev, uint32_t pasid) {
        Recorder &r = self(ctx);
        r.out_.tag(EventTag::flush_faults);
        r.out_.u32(dev);
        r.out_.u32(pasid);
        r.real_->flush_faults(r.real_->ctx, dev, pasid);
        r.out_.tag(EventTag::returned);
        r.out_.i32(0);
    };
    recording_.discard_partial = [](void *ctx, uint32_t iommu) {
        Recorder &r = self(ctx);
        r.out_.tag(EventTag::discard_partial);
        r.out_.u32(iommu);
        r.real_->discard_partial(r.real_->ctx, iommu);
    };
    recording_.alloc_mm_pasid = [](void *ctx, uint32_t mm, uint32_t min, uint32_t max,
                                   uint32_t *pasid) {
        Recorder &r = self(ctx);
        uint32_t got = SVAC_PASID_INVALID;
        const int rc = r.real_->alloc_mm_pasid(r.real_->ctx, mm, min, max, &got);
        r.out_.tag(EventTag::alloc_mm_pasid);
        for (uint32_t v : {mm, min, max}) r.out_.u32(v);
        r.out_.i32(rc);
        r.out_.u32(got);
        r.done();
        if (rc == 0 && pasid) *pasid = got;
        return rc;
    };
    out_.tag(EventTag::create);
    const bool ok = driver_->create(
        &recording_, t, [this, on_exit](uint32_t dev, uint32_t pasid, uint64_t drvdata) {
            out_.tag(EventTag::mm_exit);
            out_.u32(dev);
            out_.u32(pasid);
            out_.u64(drvdata);
            on_exit(dev, pasid, drvdata);
        });
    out_.tag(EventTag::created);
    out_.u8(ok);
    return ok;
}

EntryReturn Recorder::call(const EntryCall &c) {
    out_.tag(EventTag::enter);
    out_.call(c);
    const EntryReturn r = driver_->call(c);
    out_.tag(EventTag::leave);
    out_.i32(r.rc);
    out_.u32(r.pasid);
    out_.u8(r.pasid_overrun);
    out_.u64(r.handle);
    return r;
}

} // namespace svac::engine::host
