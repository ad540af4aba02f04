// The world a trace runs in: IOMMUs, the devices behind them, and the mms
// (process address spaces) that can be bound. Everything is named by index.
#pragma once

#include <svac/driver_abi.h>

#include <cstdint>
#include <string_view>
#include <vector>

namespace svac::ref {

enum class Arch : uint8_t {
    smmuv3 = SVAC_ARCH_SMMUV3,
    vtd = SVAC_ARCH_VTD
};

std::string_view arch_name(Arch a);
bool arch_from_name(std::string_view name, Arch &a);

struct Iommu {
    Arch arch = Arch::smmuv3;
    uint8_t pasid_bits = 20;
    bool sva = true;
    bool operator==(const Iommu &) const = default;
};

struct Device {
    uint32_t iommu = 0;
    uint8_t pasid_bits = 20; // PCIe Max PASID Width, 0 = no PASID
    bool pri = true;
    bool stall = false;
    bool ats = false;
    bool operator==(const Device &) const = default;
};

struct Topology {
    std::vector<Iommu> iommus;
    std::vector<Device> devices;
    uint32_t mms = 1;
    bool operator==(const Topology &) const = default;
};

// Does the device take recoverable faults by stalling (an SMMUv3 stall
// master without PRI) rather than by PCIe page requests?
inline bool device_stalls(const Topology &t, uint32_t dev) {
    const Device &d = t.devices[dev];
    return d.stall && !d.pri && t.iommus[d.iommu].arch == Arch::smmuv3;
}

// Does an SMMU stall, that is SMMU_IDR0.STALL_MODEL = 0b00 (stalls
// supported and configurable per stream)? The topology describes masters,
// not ID registers: an SMMU stalls iff a stall-capable master sits behind
// it, and otherwise has no stall model (0b01).
inline bool smmu_stalls(const Topology &t, uint32_t iommu) {
    if (iommu >= t.iommus.size() || t.iommus[iommu].arch != Arch::smmuv3) return false;
    for (const Device &d : t.devices)
        if (d.iommu == iommu && d.stall) return true;
    return false;
}

// The largest PASID a width allows: 2^bits - 1 (0 for no PASID).
constexpr uint32_t pasid_width_max(uint32_t bits) {
    return bits == 0 ? 0 : (bits >= 32 ? 0xffffffffu : (1u << bits) - 1);
}

// The topology as the driver ABI hands it over. Owns its arrays.
class AbiTopology {
public:
    explicit AbiTopology(const Topology &t);
    const svac_topology *get() const { return &topo_; }

private:
    std::vector<svac_iommu_desc> iommus_;
    std::vector<svac_device_desc> devices_;
    svac_topology topo_{};
};

} // namespace svac::ref
