#include "engine/driver_calls.h"

#include <fmt/format.h>

namespace svac::engine {

std::string_view entry_name(Entry e) {
    switch (e) {
    case Entry::destroy:
        return "destroy";
    case Entry::dev_has_feat:
        return "dev_has_feat";
    case Entry::dev_enable_feat:
        return "dev_enable_feat";
    case Entry::dev_disable_feat:
        return "dev_disable_feat";
    case Entry::dev_feat_enabled:
        return "dev_feat_enabled";
    case Entry::set_sva_param:
        return "set_sva_param";
    case Entry::bind_mm:
        return "bind_mm";
    case Entry::unbind_mm:
        return "unbind_mm";
    case Entry::mm_release:
        return "mm_release";
    case Entry::mm_invalidate_range:
        return "mm_invalidate_range";
    case Entry::service_irq:
        return "service_irq";
    case Entry::page_response:
        return "page_response";
    case Entry::sva_bind:
        return "sva_bind";
    case Entry::sva_unbind:
        return "sva_unbind";
    case Entry::sva_get_pasid:
        return "sva_get_pasid";
    case Entry::probe_device:
        return "probe_device";
    case Entry::domain_alloc_sva:
        return "domain_alloc_sva";
    case Entry::domain_free:
        return "domain_free";
    case Entry::set_dev_pasid:
        return "set_dev_pasid";
    case Entry::remove_dev_pasid:
        return "remove_dev_pasid";
    case Entry::count_:
        break;
    }
    return "?";
}

bool EntryCall::operator==(const EntryCall &o) const {
    return entry == o.entry && dev == o.dev && feat == o.feat && mm == o.mm && pasid == o.pasid &&
           min_pasid == o.min_pasid && max_pasid == o.max_pasid && iommu == o.iommu &&
           drvdata == o.drvdata && start == o.start && end == o.end && resp.flags == o.resp.flags &&
           resp.pasid == o.resp.pasid && resp.grpid == o.resp.grpid && resp.code == o.resp.code &&
           handle == o.handle && with_exit == o.with_exit && old == o.old;
}

std::string domain_name(uint64_t domain) {
    if (domain == SVAC_DOMAIN_NONE) return "none";
    if (domain == SVAC_DOMAIN_BLOCKED) return "blocked";
    return fmt::format("domain {:#x}", domain);
}

std::string EntryCall::to_string() const {
    const std::string_view n = entry_name(entry);
    switch (entry) {
    case Entry::destroy:
        return fmt::format("{}()", n);
    case Entry::dev_has_feat:
    case Entry::dev_enable_feat:
    case Entry::dev_disable_feat:
    case Entry::dev_feat_enabled:
        return fmt::format("{}(dev {}, feat {})", n, dev, feat);
    case Entry::set_sva_param:
        return fmt::format("{}(dev {}, pasids {}..{})", n, dev, min_pasid, max_pasid);
    case Entry::bind_mm:
        return fmt::format("{}(dev {}, mm {}, drvdata {:#x})", n, dev, mm, drvdata);
    case Entry::unbind_mm:
        return fmt::format("{}(dev {}, pasid {})", n, dev, pasid);
    case Entry::mm_release:
        return fmt::format("{}(mm {})", n, mm);
    case Entry::mm_invalidate_range:
        return fmt::format("{}(mm {}, {:#x}..{:#x})", n, mm, start, end);
    case Entry::service_irq:
        return fmt::format("{}(iommu {})", n, iommu);
    case Entry::page_response:
        return fmt::format("{}(dev {}, pasid {}, group {}, code {})", n, dev, resp.pasid,
                           resp.grpid, resp.code);
    case Entry::sva_bind:
        return fmt::format("{}(dev {}, mm {}, drvdata {:#x})", n, dev, mm, drvdata);
    case Entry::sva_unbind:
    case Entry::sva_get_pasid:
        return fmt::format("{}(handle {:#x})", n, handle);
    case Entry::probe_device:
        return fmt::format("{}(dev {})", n, dev);
    case Entry::domain_alloc_sva:
        return fmt::format("{}(dev {}, mm {})", n, dev, mm);
    case Entry::domain_free:
        return fmt::format("{}({})", n, domain_name(handle));
    case Entry::set_dev_pasid:
        return fmt::format("{}({}, dev {}, pasid {}, old {})", n, domain_name(handle), dev, pasid,
                           domain_name(old));
    case Entry::remove_dev_pasid:
        return fmt::format("{}(dev {}, pasid {}, {})", n, dev, pasid, domain_name(handle));
    case Entry::count_:
        break;
    }
    return std::string(n);
}

namespace {

// bind_mm's out-parameter, with guard words after it: a driver that stores a
// u64 (or more) through its u32 *pasid changes them, and shows (HW-8),
// where a store into the caller's stack would otherwise go unseen.
struct alignas(8) PasidOut {
    static constexpr uint32_t kGuard = 0x5a17c0deu;
    uint32_t pasid = SVAC_PASID_INVALID;
    uint32_t guard[3] = {kGuard, kGuard, kGuard};
    bool overrun() const { return guard[0] != kGuard || guard[1] != kGuard || guard[2] != kGuard; }
};

class AbiCalls final : public DriverCalls {
public:
    explicit AbiCalls(const svac_driver_ops &ops) : ops_(ops) {}
    ~AbiCalls() override {
        if (drv_) ops_.destroy(drv_);
    }

    std::string name() const override { return ops_.name; }
    uint32_t abi_version() const override { return ops_.abi_version; }

    bool create(const svac_platform *p, const svac_topology *t, MmExit on_exit) override {
        on_exit_ = std::move(on_exit);
        // The platform says the driver's own ABI version (driver_abi.h).
        lent_ = *p;
        lent_.abi_version = ops_.abi_version;
        drv_ = ops_.create(&lent_, t);
        return drv_ != nullptr;
    }

    EntryReturn call(const EntryCall &c) override {
        EntryReturn r;
        switch (c.entry) {
        case Entry::destroy:
            ops_.destroy(drv_);
            drv_ = nullptr;
            break;
        case Entry::dev_has_feat:
            r.rc = ops_.dev_has_feat(drv_, c.dev, c.feat);
            break;
        case Entry::dev_enable_feat:
            r.rc = ops_.dev_enable_feat(drv_, c.dev, c.feat);
            break;
        case Entry::dev_disable_feat:
            r.rc = ops_.dev_disable_feat(drv_, c.dev, c.feat);
            break;
        case Entry::dev_feat_enabled:
            r.rc = ops_.dev_feat_enabled(drv_, c.dev, c.feat);
            break;
        case Entry::set_sva_param:
            r.rc = ops_.set_sva_param(drv_, c.dev, c.min_pasid, c.max_pasid);
            break;
        case Entry::bind_mm: {
            PasidOut out;
            r.rc = ops_.bind_mm(drv_, c.dev, c.mm, &out.pasid, &AbiCalls::mm_exit, this, c.drvdata);
            r.pasid = out.pasid;
            r.pasid_overrun = out.overrun();
            break;
        }
        case Entry::unbind_mm:
            r.rc = ops_.unbind_mm(drv_, c.dev, c.pasid);
            break;
        case Entry::mm_release:
            ops_.mm_release(drv_, c.mm);
            break;
        case Entry::mm_invalidate_range:
            ops_.mm_invalidate_range(drv_, c.mm, c.start, c.end);
            break;
        case Entry::service_irq:
            ops_.service_irq(drv_, c.iommu);
            break;
        case Entry::page_response:
            r.rc = ops_.page_response(drv_, c.dev, &c.resp);
            break;
        case Entry::sva_bind:
            // linux-5.3: the handle's mm_exit, which the core passes on once set_ops gave it ops.
            r.rc = ops_.sva_bind(drv_, c.dev, c.mm, c.drvdata,
                                 c.with_exit ? &AbiCalls::mm_exit : nullptr,
                                 c.with_exit ? this : nullptr, &r.handle);
            break;
        case Entry::sva_unbind:
            ops_.sva_unbind(drv_, c.handle);
            break;
        case Entry::sva_get_pasid:
            r.pasid = ops_.sva_get_pasid(drv_, c.handle);
            break;
        case Entry::probe_device:
            r.pasid = ops_.probe_device(drv_, c.dev);
            break;
        case Entry::domain_alloc_sva:
            r.rc = ops_.domain_alloc_sva(drv_, c.dev, c.mm, &r.handle);
            break;
        case Entry::domain_free:
            ops_.domain_free(drv_, c.handle);
            break;
        case Entry::set_dev_pasid:
            r.rc = ops_.set_dev_pasid(drv_, c.handle, c.dev, c.pasid, c.old);
            break;
        case Entry::remove_dev_pasid:
            ops_.remove_dev_pasid(drv_, c.dev, c.pasid, c.handle);
            break;
        case Entry::count_:
            break;
        }
        return r;
    }

private:
    static void mm_exit(void *ctx, uint32_t dev, uint32_t pasid, uint64_t drvdata) {
        auto *self = static_cast<AbiCalls *>(ctx);
        if (self->on_exit_) self->on_exit_(dev, pasid, drvdata);
    }

    const svac_driver_ops &ops_;
    svac_platform lent_{};
    void *drv_ = nullptr;
    MmExit on_exit_;
};

} // namespace

std::unique_ptr<DriverCalls> abi_calls(const svac_driver_ops &ops) {
    return std::make_unique<AbiCalls>(ops);
}

uint32_t driver_contracts(const svac_driver_ops &ops) {
    if (ops.abi_version >= 5) return ops.contracts;
    // A version 4 table ends before the domain-based functions.
    if (ops.abi_version == 4) return ops.contracts & (SVAC_CONTRACT_RFC2019 | SVAC_CONTRACT_HANDLE);
    return SVAC_CONTRACT_RFC2019;
}

} // namespace svac::engine
