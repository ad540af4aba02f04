// A driver under test: its ops table, checked against the ABI, and one live
// instance of it on a fresh platform.
#pragma once

#include "engine/platform.h"
#include "reference/op.h"
#include "reference/topology.h"

#include <svac/driver_abi.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace svac::engine {

// Empty if the ops table is usable; otherwise why not (ABI version, size,
// a missing function).
std::string check_driver_ops(const svac_driver_ops *ops);

// Whether the driver drives every IOMMU of the topology; empty if so.
std::string check_driver_topology(const svac_driver_ops &ops, const ref::Topology &t);

class DriverError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class DriverInstance {
public:
    // Throws DriverError if create() refuses.
    DriverInstance(const svac_driver_ops &ops, const ref::Topology &topology);
    ~DriverInstance();
    DriverInstance(const DriverInstance &) = delete;
    DriverInstance &operator=(const DriverInstance &) = delete;

    // Runs one op with its PASID argument already resolved: an API call into
    // the driver, the mmu notifier for a CPU page-table change (which the
    // caller has already applied to the mm model), or a DMA through the
    // hardware model.
    ref::Observation call(const ref::Op &op, uint32_t pasid);

    Platform &platform() { return *platform_; }

private:
    static void on_mm_exit(void *ctx, uint32_t dev, uint32_t pasid, uint64_t drvdata);

    const svac_driver_ops &ops_;
    ref::AbiTopology topology_;
    std::unique_ptr<Platform> platform_;
    void *drv_ = nullptr;
    std::vector<ref::Callback> fired_;
};

} // namespace svac::engine
