// The core's side of I/O page faults, as the 2019 fault API has it
// (iommu_register_device_fault_handler, iommu_report_device_fault,
// iommu_page_response, and the IOPF queue: partial groups, pending groups,
// flush and discard). Plain state: the reference keeps one, and the test
// bench lends a copy of it to the driver for the length of one call, so
// both run the same rules.
#pragma once

#include "reference/hw_model.h"
#include "reference/op.h"

#include <svac/driver_abi.h>

#include <cstdint>
#include <optional>
#include <vector>

namespace svac::ref {

// One page request group (or one stall) the core holds.
struct FaultGroup {
    uint32_t dev = 0;
    uint32_t grpid = 0;
    bool stall = false;
    std::vector<FaultRecord> requests; // in arrival order; the last one closed it
    // Whose fault it is: the mm bound to (dev, pasid) when the group closed,
    // and that bond's generation (-1 / 0: no bond).
    int mm = -1;
    uint64_t bond_gen = 0;

    bool has_pasid() const { return requests.back().flags & SVAC_FAULT_PASID_VALID; }
    uint32_t pasid() const { return requests.back().pasid; }
    // The response carries the PASID (PRG Response PASID Required).
    bool needs_pasid() const {
        return has_pasid() && (requests.back().flags & SVAC_FAULT_NEEDS_PASID);
    }
};

bool is_stop_marker(const FaultRecord &f);
// A request as the hardware raises it, so as the driver must report it:
// PASID_VALID with a PASID, NEEDS_PASID on a PRI request with one (our PCIe
// functions set PRG Response PASID Required, PCIe 4.0 10.4.2),
// LAST_PAGE on the last request of a group and on every stall.
FaultRecord raised_record(uint32_t dev, const PageRequest &req);
// The permissions a device requests for an access (one Perm): an execute
// request also asks for read (PCIe: Execute Requested comes with R), which
// keeps it apart from a Stop Marker.
uint32_t request_perm(uint8_t access);
// What a page_request op sends: its access as given (even malformed), none
// for a Stop Marker, and no execute or privileged bit without a PASID (they
// travel in the PASID prefix).
uint32_t page_request_perm(const Op &op);
bool closes_group(const FaultRecord &f, bool stall);

class FaultCore {
public:
    explicit FaultCore(uint32_t n_devices = 0) : devs_(n_devices) {}

    // IOPF-9
    int register_handler(uint32_t dev);
    int unregister_handler(uint32_t dev);
    bool has_handler(uint32_t dev) const { return devs_[dev].handler; }

    // iommu_report_device_fault. `closed` is the group the request completed
    // (Last, or a stall): pending now when rc is 0, to be answered INVALID at
    // once otherwise. Stop markers are discarded (IOPF-11).
    struct Report {
        int rc = 0;
        std::optional<FaultGroup> closed;
        bool stop_marker = false;
    };
    Report report(const FaultRecord &f, bool stall, int mm, uint64_t bond_gen);

    // iopf_queue_flush_dev for one PASID: the pending groups of (dev, pasid),
    // removed (the caller answers them INVALID); partial ones dropped.
    std::vector<FaultGroup> flush(uint32_t dev, uint32_t pasid);
    // Does the core hold anything of (dev, pasid) that flush would touch?
    bool holds(uint32_t dev, uint32_t pasid) const;
    // iopf_queue_discard_partial, for one device.
    void discard_partial(uint32_t dev);

    // The pending group page_response answers: grpid's (the oldest with that
    // index), or the oldest of all. nullptr: none (IOPF-10).
    const FaultGroup *find_pending(uint32_t dev, std::optional<uint32_t> grpid) const;
    // Consumes it (one response per group).
    void consume(uint32_t dev, uint32_t grpid);

    const std::vector<FaultGroup> &pending(uint32_t dev) const { return devs_[dev].pending; }
    const std::vector<FaultRecord> &partial(uint32_t dev) const { return devs_[dev].partial; }
    uint32_t devices() const { return static_cast<uint32_t>(devs_.size()); }

private:
    struct Device {
        bool handler = false;
        std::vector<FaultRecord> partial; // non-last requests, by arrival
        std::vector<FaultGroup> pending;  // closed groups awaiting their response, by arrival
    };
    std::vector<Device> devs_;
};

} // namespace svac::ref
