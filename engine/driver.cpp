#include "engine/driver.h"
#include "engine/trace.h"

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
        {reinterpret_cast<const void *>(ops->service_irq), "service_irq"},
        {reinterpret_cast<const void *>(ops->page_response), "page_response"},
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

std::string check_driver_profile(const svac_driver_ops &ops, const ref::Profile &p) {
    if (p.contract == ref::Contract::rfc2019) return {};
    const char *needs = p.contract == ref::Contract::handle
                            ? "the handle-based contract (sva_bind, sva_unbind, sva_get_pasid)"
                        : p.blocked_domain ? "the domain-based contract (domain_alloc_sva, "
                                             "set_dev_pasid on SVA and blocked domains, free)"
                                           : "the domain-based contract (domain_alloc_sva, "
                                             "set_dev_pasid, remove_dev_pasid, free)";
    return "driver " + std::string(ops.name) + " implements the rfc2019 contract (driver ABI " +
           std::to_string(ops.abi_version) + "); profile " + std::string(p.name) + " needs " +
           needs +
           ", which the driver ABI does not carry yet. 'sva-conform check-trace' judges a " +
           std::string(p.name) + " trace against the reference alone";
}

std::string check_driver_trace(const svac_driver_ops &ops, const Trace &t) {
    if (std::string why = check_driver_topology(ops, t.topology); !why.empty())
        return "/topology: " + why;
    const ref::Profile *p = ref::find_profile(t.profile);
    if (std::string why = p ? check_driver_profile(ops, *p) : ""; !why.empty())
        return "/profile: " + why;
    return {};
}

DriverInstance::DriverInstance(const svac_driver_ops &ops, const ref::Topology &topology,
                               uint64_t fail_alloc_nth)
    : DriverInstance(abi_calls(ops), topology, fail_alloc_nth) {}

DriverInstance::DriverInstance(std::unique_ptr<DriverCalls> calls, const ref::Topology &topology,
                               uint64_t fail_alloc_nth)
    : calls_(std::move(calls)), topo_(topology), topology_(topology),
      platform_(std::make_unique<Platform>(topology)) {
    platform_->fail_alloc_nth(fail_alloc_nth);
    platform_->core.report = [this](uint32_t dev, const svac_fault &f) {
        return report_fault(dev, f);
    };
    platform_->core.flush = [this](uint32_t dev, uint32_t pasid) { flush_faults(dev, pasid); };
    platform_->core.discard = [this](uint32_t iommu) {
        ++discarded_;
        if (!core_) return;
        for (uint32_t d = 0; d < core_->devices(); ++d)
            if (topo_.devices[d].iommu == iommu) live().discard_partial(d);
    };
    live_instance_ = calls_->create(platform_->abi(), topology_.get(),
                                    [this](uint32_t dev, uint32_t pasid, uint64_t drvdata) {
                                        fired_.push_back({dev, pasid, drvdata});
                                    });
    if (!live_instance_) {
        bool refused = platform_->take_alloc_refused();
        throw CreateFailed("driver " + calls_->name() +
                               (refused ? " failed to create when the platform refused it "
                                          "memory (create returned NULL)"
                                        : " refused the topology (create returned NULL)"),
                           platform_->allocs(), refused,
                           platform_->memory().owned(SimMemory::Owner::driver));
    }
    create_alloc_refused_ = platform_->take_alloc_refused(); // and create coped
}

DriverInstance::~DriverInstance() {
    try { // after a finding or a lost call: what destroy does is not judged
        destroy();
    } catch (const std::exception &) {
    }
}

void DriverInstance::destroy() {
    if (live_instance_) {
        live_instance_ = false;
        calls_->call({.entry = Entry::destroy});
    }
}

ref::FaultCore &DriverInstance::live() {
    if (!live_) live_ = *core_;
    return *live_;
}

// The core's answer to one group, sent through the driver (iommu_page_response).
int DriverInstance::send(const ref::Answer &a) {
    svac_page_response r{};
    if (a.has_pasid) {
        r.flags = SVAC_FAULT_PASID_VALID;
        r.pasid = a.pasid;
    }
    r.grpid = a.grpid;
    r.code = a.code;
    return calls_->call({.entry = Entry::page_response, .dev = a.dev, .resp = r}).rc;
}

// iommu_report_device_fault, on the core lent for the call. Without a
// handler the core answers a closed group INVALID at once.
int DriverInstance::report_fault(uint32_t dev, const svac_fault &f) {
    if (dev >= topo_.devices.size() || !core_) return -EINVAL;
    ref::FaultRecord rec{dev, f.flags, f.pasid, f.grpid, f.perm, f.addr};
    reported_.push_back(rec);
    auto r = live().report(rec, ref::device_stalls(topo_, dev), -1, 0);
    if (r.rc != 0 && r.closed)
        send(ref::answer_to(*r.closed, SVAC_RESP_INVALID, ref::ClauseId::IOPF_9));
    return r.rc;
}

// iopf_queue_flush_dev: the core answers the PASID's groups INVALID.
void DriverInstance::flush_faults(uint32_t dev, uint32_t pasid) {
    if (!core_ || dev >= core_->devices()) return;
    platform_->stop_pasid(dev, pasid);
    const ref::FaultCore &now = live_ ? *live_ : *core_;
    if (!now.holds(dev, pasid)) return; // nothing to answer: no copy of the core
    for (const ref::FaultGroup &g : live().flush(dev, pasid))
        send(ref::answer_to(g, SVAC_RESP_INVALID, ref::ClauseId::UNBIND_6));
}

// The interrupt lines that are up, serviced until they drop (bounded: a
// driver that never consumes its queue must not hang the harness).
void DriverInstance::service_interrupts() {
    for (int round = 0; round < 4; ++round) {
        bool any = false;
        for (uint32_t i = 0; i < platform_->iommu_count(); ++i)
            if (platform_->irq_pending(i)) {
                any = true;
                calls_->call({.entry = Entry::service_irq, .iommu = i});
            }
        platform_->deliver_responses();
        if (!any) break;
    }
}

ref::Observation DriverInstance::call(const ref::Op &op, uint32_t pasid, const CoreContext &ctx) {
    using ref::OpKind;
    ref::Observation obs;
    core_ = ctx.core;
    live_.reset();
    reported_.clear();
    discarded_ = 0;
    platform_->fault_log() = {};
    platform_->take_alloc_refused();
    switch (op.kind) {
    case OpKind::has_feature:
        obs.rc = calls_->call({.entry = Entry::dev_has_feat, .dev = op.dev, .feat = op.feat}).rc;
        break;
    case OpKind::feature_enabled:
        obs.rc =
            calls_->call({.entry = Entry::dev_feat_enabled, .dev = op.dev, .feat = op.feat}).rc;
        break;
    case OpKind::enable_feature:
        obs.rc = calls_->call({.entry = Entry::dev_enable_feat, .dev = op.dev, .feat = op.feat}).rc;
        break;
    case OpKind::disable_feature:
        obs.rc =
            calls_->call({.entry = Entry::dev_disable_feat, .dev = op.dev, .feat = op.feat}).rc;
        break;
    case OpKind::set_sva_param:
        obs.rc = calls_
                     ->call({.entry = Entry::set_sva_param,
                             .dev = op.dev,
                             .min_pasid = op.min,
                             .max_pasid = op.max})
                     .rc;
        break;
    case OpKind::bind: {
        // A driver that reports success must set *pasid (EntryReturn: invalid before).
        EntryReturn r = calls_->call(
            {.entry = Entry::bind_mm, .dev = op.dev, .mm = op.mm, .drvdata = op.drvdata});
        obs.rc = r.rc;
        obs.pasid = r.pasid;
        obs.pasid_overrun = r.pasid_overrun;
        break;
    }
    case OpKind::unbind:
        obs.rc = calls_->call({.entry = Entry::unbind_mm, .dev = op.dev, .pasid = pasid}).rc;
        break;
    case OpKind::mm_exit:
        calls_->call({.entry = Entry::mm_release, .mm = op.mm});
        platform_->mms().teardown(op.mm); // exit_mmap, after the notifier's release
        break;
    case OpKind::mm_map:
    case OpKind::mm_unmap:
    case OpKind::mm_protect:
        calls_->call({.entry = Entry::mm_invalidate_range,
                      .mm = op.mm,
                      .start = op.va,
                      .end = op.va + uint64_t{op.pages} * ref::kPageSize});
        break;
    case OpKind::dma:
        obs.dma = platform_->issue_dma(op.dev, !op.no_pasid, pasid, op.va, op.pages, op.perms);
        service_interrupts();
        break;
    case OpKind::page_request:
        platform_->send_page_request(op, pasid);
        service_interrupts();
        break;
    case OpKind::queue_overflow:
        platform_->overflow_queue(op.dev);
        service_interrupts();
        break;
    case OpKind::set_ops: // later API generations: no rfc2019 driver call
    case OpKind::mm_free:
        break;
    case OpKind::page_response:
        if (ctx.answer) {
            obs.rc = send(*ctx.answer);
            obs.code = static_cast<uint8_t>(ctx.answer->code);
        } else {
            obs.rc = -EINVAL; // the core holds no such group (IOPF-10): the driver is not called
        }
        service_interrupts();
        break;
    case OpKind::register_fault_handler:
        obs.rc = core_ ? live().register_handler(op.dev) : -EINVAL;
        break;
    case OpKind::unregister_fault_handler:
        obs.rc = core_ ? live().unregister_handler(op.dev) : -EINVAL;
        break;
    case OpKind::count_:
        break;
    }
    platform_->deliver_responses();
    auto &log = platform_->fault_log();
    bool faulting = op.kind == OpKind::dma || op.kind == OpKind::page_request ||
                    op.kind == OpKind::queue_overflow || op.kind == OpKind::page_response;
    if (faulting) {
        obs.raised = std::move(log.raised);
        obs.faults = std::move(reported_);
    } else if (!reported_.empty()) {
        obs.faults = std::move(reported_);
    }
    if (faulting || op.kind == OpKind::unbind || !log.responses.empty())
        obs.responses = std::move(log.responses);
    if (faulting || !log.retries.empty()) obs.retries = std::move(log.retries);
    if (log.lost) obs.lost = log.lost;
    if (op.kind == OpKind::queue_overflow || discarded_) obs.discarded = discarded_;
    core_ = nullptr;
    reported_.clear();
    // A refused allocation (ROBUST-4): before the early return, for the core's
    // ops too (no driver code ran: never set).
    obs.alloc_failed = platform_->take_alloc_refused();
    if (ref::op_is_fault_core(op.kind)) return obs; // the core alone: no driver code ran
    if (!faulting) obs.callbacks = std::move(fired_);
    fired_.clear();
    obs.stray_stores = platform_->take_stray_stores();
    obs.unsynced_commands = platform_->unsynced_commands();
    obs.bad_frees = platform_->take_bad_frees();
    obs.refused_commands = platform_->take_rejected_commands();
    return obs;
}

} // namespace svac::engine
