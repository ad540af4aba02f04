#include "engine/driver.h"
#include "engine/trace.h"

#include "reference/pagetable.h"

#include <cstddef>

namespace svac::engine {

std::string check_driver_ops(const svac_driver_ops *ops) {
    if (!ops) return "the driver's entry returned no ops table";
    if (ops->abi_version < SVAC_ABI_VERSION_MIN || ops->abi_version > SVAC_ABI_VERSION)
        return "the driver was built for ABI version " + std::to_string(ops->abi_version) +
               ", this sva-conform speaks versions " + std::to_string(SVAC_ABI_VERSION_MIN) +
               " to " + std::to_string(SVAC_ABI_VERSION);
    // Version 3 ends before `contracts`, version 4 before `probe_device`.
    const std::size_t needs = ops->abi_version >= 5   ? sizeof(svac_driver_ops)
                              : ops->abi_version == 4 ? offsetof(svac_driver_ops, probe_device)
                                                      : offsetof(svac_driver_ops, contracts);
    if (ops->size < needs)
        return "the driver's ops table is " + std::to_string(ops->size) + " bytes, ABI version " +
               std::to_string(ops->abi_version) + " needs " + std::to_string(needs);
    const uint32_t contracts = driver_contracts(*ops);
    if (!(contracts & (SVAC_CONTRACT_RFC2019 | SVAC_CONTRACT_HANDLE | SVAC_CONTRACT_DOMAIN)))
        return "the driver's ops table implements no contract this sva-conform knows (contracts " +
               std::to_string(contracts) +
               "; from ABI version 4 a driver names those it implements: SVAC_CONTRACT_*)";
    struct Required {
        const void *fn;
        const char *name;
        uint32_t contract; // 0: every driver
    };
    const auto fn = [](auto *f) { return reinterpret_cast<const void *>(f); };
    const bool v4 = ops->abi_version >= 4, v5 = ops->abi_version >= 5;
    const Required required[] = {
        {fn(ops->create), "create", 0},
        {fn(ops->destroy), "destroy", 0},
        {fn(ops->dev_has_feat), "dev_has_feat", 0},
        {fn(ops->dev_enable_feat), "dev_enable_feat", 0},
        {fn(ops->dev_disable_feat), "dev_disable_feat", 0},
        {fn(ops->dev_feat_enabled), "dev_feat_enabled", 0},
        {fn(ops->set_sva_param), "set_sva_param", SVAC_CONTRACT_RFC2019},
        {fn(ops->bind_mm), "bind_mm", SVAC_CONTRACT_RFC2019},
        {fn(ops->unbind_mm), "unbind_mm", SVAC_CONTRACT_RFC2019},
        {fn(ops->mm_release), "mm_release", 0},
        {fn(ops->mm_invalidate_range), "mm_invalidate_range", 0},
        {fn(ops->service_irq), "service_irq", 0},
        {fn(ops->page_response), "page_response", 0},
        {v4 ? fn(ops->sva_bind) : nullptr, "sva_bind", SVAC_CONTRACT_HANDLE},
        {v4 ? fn(ops->sva_unbind) : nullptr, "sva_unbind", SVAC_CONTRACT_HANDLE},
        {v4 ? fn(ops->sva_get_pasid) : nullptr, "sva_get_pasid", SVAC_CONTRACT_HANDLE},
        {v5 ? fn(ops->probe_device) : nullptr, "probe_device", SVAC_CONTRACT_DOMAIN},
        {v5 ? fn(ops->domain_alloc_sva) : nullptr, "domain_alloc_sva", SVAC_CONTRACT_DOMAIN},
        {v5 ? fn(ops->domain_free) : nullptr, "domain_free", SVAC_CONTRACT_DOMAIN},
        {v5 ? fn(ops->set_dev_pasid) : nullptr, "set_dev_pasid", SVAC_CONTRACT_DOMAIN},
        {v5 ? fn(ops->remove_dev_pasid) : nullptr, "remove_dev_pasid", SVAC_CONTRACT_DOMAIN},
    };
    for (const auto &r : required)
        if (!r.fn && (r.contract == 0 || (contracts & r.contract)))
            return std::string("the driver's ops table has no ") + r.name +
                   (r.contract == SVAC_CONTRACT_HANDLE
                        ? ", which the handle-based contract it says it implements needs"
                    : r.contract == SVAC_CONTRACT_DOMAIN
                        ? ", which the domain-based contract it says it implements needs"
                        : "");
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
    const uint32_t contracts = driver_contracts(ops);
    const char *needs = nullptr;
    switch (p.contract) {
    case ref::Contract::rfc2019:
        if (!(contracts & SVAC_CONTRACT_RFC2019))
            needs = "the rfc2019 contract (set_sva_param, bind_mm, unbind_mm)";
        break;
    case ref::Contract::handle:
        if (!(contracts & SVAC_CONTRACT_HANDLE))
            needs = "the handle-based contract (sva_bind, sva_unbind, sva_get_pasid: driver ABI 4, "
                    "SVAC_CONTRACT_HANDLE)";
        break;
    case ref::Contract::domain:
        if (!(contracts & SVAC_CONTRACT_DOMAIN))
            needs = p.blocked_domain
                        ? "the domain-based contract (probe_device, domain_alloc_sva, "
                          "set_dev_pasid on SVA and blocked domains, domain_free: driver ABI 5, "
                          "SVAC_CONTRACT_DOMAIN)"
                        : "the domain-based contract (probe_device, domain_alloc_sva, "
                          "set_dev_pasid, remove_dev_pasid, domain_free: driver ABI 5, "
                          "SVAC_CONTRACT_DOMAIN)";
        break;
    }
    if (!needs) return {};
    return "driver " + std::string(ops.name) + " (driver ABI " + std::to_string(ops.abi_version) +
           ") does not implement " + needs + ", which profile " + std::string(p.name) + " needs";
}

std::string check_driver_trace(const svac_driver_ops &ops, const Trace &t) {
    if (std::string why = check_driver_topology(ops, t.topology); !why.empty())
        return "/topology: " + why;
    if (std::string why = check_driver_profile(ops, profile_of(t)); !why.empty())
        return "/profile: " + why;
    return {};
}

namespace {
uint32_t api_of(const ref::Profile &p) {
    switch (p.bit) {
    case ref::kLinux53:
        return SVAC_API_LINUX_5_3;
    case ref::kLinux61:
        return SVAC_API_LINUX_6_1;
    case ref::kLinux612:
        return SVAC_API_LINUX_6_12;
    case ref::kLinux616:
        return SVAC_API_LINUX_6_16;
    default:
        return SVAC_API_RFC2019;
    }
}
} // namespace

DriverInstance::DriverInstance(const svac_driver_ops &ops, const ref::Topology &topology,
                               uint64_t fail_alloc_nth, const ref::Profile &profile)
    : DriverInstance(abi_calls(ops), topology, fail_alloc_nth, profile) {}

DriverInstance::DriverInstance(std::unique_ptr<DriverCalls> calls, const ref::Topology &topology,
                               uint64_t fail_alloc_nth, const ref::Profile &profile)
    : calls_(std::move(calls)), topo_(topology), topology_(topology),
      platform_(std::make_unique<Platform>(topology, api_of(profile))), profile_(profile),
      core_mms_(topology.mms) {
    platform_->fail_alloc_nth(fail_alloc_nth);
    platform_->core.alloc_pasid = [this](uint32_t mm, uint32_t min, uint32_t max, uint32_t *pasid) {
        return alloc_mm_pasid(mm, min, max, pasid);
    };
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
                                        if (exit_passes_on(dev, pasid))
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
    if (profile_.contract == ref::Contract::domain) probe_devices();
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
    forget_handles(ctx);
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
        if (profile_.contract == ref::Contract::handle) {
            bind_handle(op, obs);
            break;
        }
        if (profile_.contract == ref::Contract::domain) {
            obs.rc = bind_domain(op, obs);
            break;
        }
        // A driver that reports success must set *pasid (EntryReturn: invalid before).
        EntryReturn r = calls_->call(
            {.entry = Entry::bind_mm, .dev = op.dev, .mm = op.mm, .drvdata = op.drvdata});
        obs.rc = r.rc;
        obs.pasid = r.pasid;
        obs.pasid_overrun = r.pasid_overrun;
        break;
    }
    case OpKind::unbind:
        if (op.by_handle) {
            if (profile_.contract == ref::Contract::domain)
                unbind_domain(op, obs);
            else
                unbind_handle(op); // returns nothing
            break;
        }
        obs.rc = calls_->call({.entry = Entry::unbind_mm, .dev = op.dev, .pasid = pasid}).rc;
        break;
    case OpKind::mm_exit:
        if (op.mm < core_mms_.size()) core_mms_[op.mm].exited = true;
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
    case OpKind::set_ops: // the core's: no driver call
        obs.rc = set_ops(op);
        break;
    case OpKind::mm_free: // the mm's last mmdrop: the core's, no driver call
        if (op.mm < core_mms_.size()) core_mms_[op.mm].dropped = true;
        free_mm_pasids();
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
    obs.register_misuse = platform_->take_register_misuse();
    return obs;
}

} // namespace svac::engine
