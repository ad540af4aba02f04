// A driver under test: its ops table, checked against the ABI, and one live
// instance of it on a fresh platform.
#pragma once

#include "engine/driver_calls.h"
#include "engine/platform.h"
#include "reference/fault_core.h"
#include "reference/op.h"
#include "reference/reference.h"
#include "reference/topology.h"

#include <svac/driver_abi.h>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace svac::engine {

// Empty if the ops table is usable; otherwise why not (ABI version, size,
// a missing function).
std::string check_driver_ops(const svac_driver_ops *ops);

// Whether the driver drives every IOMMU of the topology; empty if so.
std::string check_driver_topology(const svac_driver_ops &ops, const ref::Topology &t);
// Whether the driver implements the contract of profile p; empty if so. The
// driver ABI carries the rfc2019 contract only so far.
std::string check_driver_profile(const svac_driver_ops &ops, const ref::Profile &p);

class DriverError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// create() returned NULL: with what the driver asked of the platform, so a
// fail-nth sweep can tell a refusal it caused (alloc_refused) and judge it
// (ROBUST-5: the driver owns no platform memory after a failed create).
class CreateFailed : public DriverError {
public:
    CreateFailed(const std::string &what, uint64_t asked, bool refused, SimMemory::Usage owned)
        : DriverError(what), allocs(asked), alloc_refused(refused), left(owned) {}
    uint64_t allocs;       // allocations create asked for
    bool alloc_refused;    // one of them was refused (Platform::fail_alloc_nth)
    SimMemory::Usage left; // driver-owned blocks create left behind
};

// What an op needs from the reference's side of the world: the core the
// driver reports faults to (the reference's, lent for the call: the driver
// works on a copy, made when the call first changes it), and for
// page_response the core's answer.
// For the handle-based contract, the handles the core holds (the
// reference's: by name, the (dev, mm) of each).
struct CoreContext {
    const ref::FaultCore *core = nullptr;
    const ref::Answer *answer = nullptr; // page_response: nullptr when nothing is pending
    const std::map<uint32_t, std::pair<uint32_t, uint32_t>> *handles = nullptr;
};

class DriverInstance {
public:
    // Throws CreateFailed if create() refuses. fail_alloc_nth: the platform
    // refuses the driver's Nth allocation (Platform::fail_alloc_nth).
    // profile: the API generation the kit plays (its contract: rfc2019 or
    // handle-based).
    DriverInstance(const svac_driver_ops &ops, const ref::Topology &topology,
                   uint64_t fail_alloc_nth = 0,
                   const ref::Profile &profile = ref::default_profile());
    // The same, calling the driver through `calls` (engine/driver_calls.h).
    DriverInstance(std::unique_ptr<DriverCalls> calls, const ref::Topology &topology,
                   uint64_t fail_alloc_nth = 0,
                   const ref::Profile &profile = ref::default_profile());
    ~DriverInstance();
    DriverInstance(const DriverInstance &) = delete;
    DriverInstance &operator=(const DriverInstance &) = delete;

    // Runs one op with its PASID argument already resolved: an API call into
    // the driver, the mmu notifier for a CPU page-table change (which the
    // caller has already applied to the mm model), a DMA through the hardware
    // model, a page request, or the core's part of the fault API.
    ref::Observation call(const ref::Op &op, uint32_t pasid, const CoreContext &ctx = {});

    Platform &platform() { return *platform_; }

    // Calls destroy() now (the destructor otherwise); call() must not follow.
    void destroy();
    // The mm_exit callbacks the driver fired since the last op's (destroy's).
    std::vector<ref::Callback> take_fired() { return std::exchange(fired_, {}); }

    // The platform refused an allocation during create, which succeeded anyway.
    bool create_alloc_refused() const { return create_alloc_refused_; }

private:
    // The core's part of the handle-based contract (core_handles.cpp).
    uint32_t free_handle_name() const;
    void bind_handle(const ref::Op &op, ref::Observation &obs);
    void unbind_handle(const ref::Op &op);
    int set_ops(const ref::Op &op);
    bool exit_passes_on(uint32_t dev, uint32_t pasid) const;
    void forget_handles(const CoreContext &ctx);
    int alloc_mm_pasid(uint32_t mm, uint32_t min, uint32_t max, uint32_t *pasid);
    void free_mm_pasids();
    // ... and of the domain-based contract (core_domains.cpp).
    void probe_devices();
    int alloc_mm_data(uint32_t dev, uint32_t mm, uint32_t *pasid);
    bool fresh_domain(uint64_t value) const;
    uint32_t domain_name(uint64_t value) const;
    int set_dev_pasid(uint64_t domain, uint32_t dev, uint32_t pasid, uint64_t old,
                      ref::Observation &obs);
    void free_domain(uint64_t domain, uint32_t name, ref::Observation &obs);
    int attach_dev_pasid(uint64_t domain, uint32_t dev, uint32_t pasid, ref::Observation &obs);
    int bind_domain(const ref::Op &op, ref::Observation &obs);
    void unbind_domain(const ref::Op &op, ref::Observation &obs);

    int report_fault(uint32_t dev, const svac_fault &f);
    void flush_faults(uint32_t dev, uint32_t pasid);
    int send(const ref::Answer &a);
    void service_interrupts();

    std::unique_ptr<DriverCalls> calls_;
    ref::Topology topo_;
    ref::AbiTopology topology_;
    std::unique_ptr<Platform> platform_;
    bool live_instance_ = false; // created, not yet destroyed
    bool create_alloc_refused_ = false;
    std::vector<ref::Callback> fired_;
    // During one call: the core lent to it (and the copy the call changes),
    // and what the driver reported.
    const ref::FaultCore *core_ = nullptr;
    std::optional<ref::FaultCore> live_;
    ref::FaultCore &live();
    std::vector<ref::FaultRecord> reported_;
    uint32_t discarded_ = 0;

    // The handle-based contract: the profile, the handles the driver
    // returned by their names, and the core's PASID of each mm (linux-6.1).
    // The domain-based one: the handles are the core's, each with its
    // references and domain, and the core keeps the SVA domains and their
    // users.
    const ref::Profile &profile_;
    struct LiveHandle {
        uint64_t value = 0; // as the driver returned it
        uint32_t dev = 0, mm = 0, pasid = 0;
        uint32_t ops = 0;    // linux-5.3: set_ops (0: none)
        uint64_t domain = 0; // the domain-based contract: the attached domain
        uint32_t refs = 0;   // ... and the binds that share the handle
    };
    std::map<uint32_t, LiveHandle> handles_;
    struct CoreMm {
        uint32_t pasid = 0; // 0: none yet
        bool exited = false, dropped = false;
    };
    std::vector<CoreMm> core_mms_;
    std::set<uint32_t> core_pasids_; // the PASIDs core_mms_ hold
    struct CoreDomain {
        uint64_t value = 0; // as the driver named it
        uint32_t mm = 0;
        uint32_t users = 0; // devices attached
        uint32_t name = 0;  // in the ops' calls (ref::DriverCall)
    };
    std::vector<CoreDomain> domains_;  // in order of allocation
    std::vector<uint32_t> max_pasids_; // per device, from probe_device
};

} // namespace svac::engine
