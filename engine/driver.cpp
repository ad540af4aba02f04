#include "engine/driver.h"

#include "reference/pagetable.h"

namespace svac::engine {

std::string check_driver_ops(const svac_driver_ops *ops) {
    if (!ops) return "the driver's entry returned no ops table";
    if (ops->abi_version != SVAC_ABI_VERSION)
        return "the driver was built for ABI version " + std::to_string(ops->abi_version) +
               ", this sva-conform speaks version " + std::to_string(SVAC_ABI_VERSION);
    if (ops->size < sizeof(svac_driver_ops))
        return "the driver's ops table is " + std::to_string(ops->size) + " bytes, ABI version " +
               std::to_string(SVAC_ABI_VERSION) + " needs " +
               std::to_string(sizeof(svac_driver_ops));
    struct Required {
        const void *fn;
        const char *name;
    };
    const Required required[] = {
        {reinterpret_cast<const void *>(ops->create), "create"},
        {reinterpret_cast<const void *>(ops->destroy), "destroy"},
        {reinterpret_cast<const void *>(ops->dev_has_feat), "dev_has_feat"},
        {reinterpret_cast<const void *>(ops->dev_enable_feat), "dev_enable_feat"},
        {reinterpret_cast<const void *>(ops->dev_disable_feat), "dev_disable_feat"},
        {reinterpret_cast<const void *>(ops->dev_feat_enabled), "dev_feat_enabled"},
        {reinterpret_cast<const void *>(ops->set_sva_param), "set_sva_param"},
        {reinterpret_cast<const void *>(ops->bind_mm), "bind_mm"},
        {reinterpret_cast<const void *>(ops->unbind_mm), "unbind_mm"},
        {reinterpret_cast<const void *>(ops->mm_release), "mm_release"},
        {reinterpret_cast<const void *>(ops->mm_invalidate_range), "mm_invalidate_range"},
    };
    for (const auto &r : required)
        if (!r.fn) return std::string("the driver's ops table has no ") + r.name;
    if (!ops->name || !*ops->name) return "the driver's ops table has no name";
    return {};
}

std::string check_driver_topology(const svac_driver_ops &ops, const ref::Topology &t) {
    for (std::size_t i = 0; i < t.iommus.size(); ++i) {
        auto arch = static_cast<uint32_t>(t.iommus[i].arch);
        if (!(ops.arch_mask & (1u << arch)))
            return "driver " + std::string(ops.name) + " does not drive " +
                   std::string(ref::arch_name(t.iommus[i].arch)) + " IOMMUs (topology IOMMU " +
                   std::to_string(i) + ")";
    }
    return {};
}

DriverInstance::DriverInstance(const svac_driver_ops &ops, const ref::Topology &topology)
    : ops_(ops), topology_(topology), platform_(std::make_unique<Platform>(topology)) {
    drv_ = ops_.create(platform_->abi(), topology_.get());
    if (!drv_)
        throw DriverError("driver " + std::string(ops_.name) +
                          " refused the topology (create returned NULL)");
}

DriverInstance::~DriverInstance() {
    if (drv_) ops_.destroy(drv_);
}

void DriverInstance::on_mm_exit(void *ctx, uint32_t dev, uint32_t pasid, uint64_t drvdata) {
    static_cast<DriverInstance *>(ctx)->fired_.push_back({dev, pasid, drvdata});
}

ref::Observation DriverInstance::call(const ref::Op &op, uint32_t pasid) {
    using ref::OpKind;
    ref::Observation obs;
    switch (op.kind) {
    case OpKind::has_feature:
        obs.rc = ops_.dev_has_feat(drv_, op.dev, op.feat);
        break;
    case OpKind::feature_enabled:
        obs.rc = ops_.dev_feat_enabled(drv_, op.dev, op.feat);
        break;
    case OpKind::enable_feature:
        obs.rc = ops_.dev_enable_feat(drv_, op.dev, op.feat);
        break;
    case OpKind::disable_feature:
        obs.rc = ops_.dev_disable_feat(drv_, op.dev, op.feat);
        break;
    case OpKind::set_sva_param:
        obs.rc = ops_.set_sva_param(drv_, op.dev, op.min, op.max);
        break;
    case OpKind::bind: {
        uint32_t out = SVAC_PASID_INVALID; // a driver that reports success must set it
        obs.rc =
            ops_.bind_mm(drv_, op.dev, op.mm, &out, &DriverInstance::on_mm_exit, this, op.drvdata);
        obs.pasid = out;
        break;
    }
    case OpKind::unbind:
        obs.rc = ops_.unbind_mm(drv_, op.dev, pasid);
        break;
    case OpKind::mm_exit:
        ops_.mm_release(drv_, op.mm);
        platform_->mms().teardown(op.mm); // exit_mmap, after the notifier's release
        break;
    case OpKind::mm_map:
    case OpKind::mm_unmap:
    case OpKind::mm_protect:
        ops_.mm_invalidate_range(drv_, op.mm, op.va, op.va + uint64_t{op.pages} * ref::kPageSize);
        break;
    case OpKind::dma: {
        ref::DmaResult r = platform_->dma(op.dev, !op.no_pasid, pasid, op.va, op.perms);
        obs.dma =
            ref::DmaObservation{static_cast<uint8_t>(r.kind), r.pa, static_cast<uint8_t>(r.reason)};
        return obs; // no driver code ran
    }
    case OpKind::count_:
        break;
    }
    obs.callbacks = std::move(fired_);
    fired_.clear();
    obs.stray_stores = platform_->take_stray_stores();
    obs.unsynced_commands = platform_->unsynced_commands() + platform_->take_rejected_commands();
    return obs;
}

} // namespace svac::engine
