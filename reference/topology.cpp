#include "reference/topology.h"

namespace svac::ref {

std::string_view arch_name(Arch a) {
    return a == Arch::vtd ? "vtd" : "smmuv3";
}

bool arch_from_name(std::string_view name, Arch &a) {
    if (name == "smmuv3")
        a = Arch::smmuv3;
    else if (name == "vtd")
        a = Arch::vtd;
    else
        return false;
    return true;
}

AbiTopology::AbiTopology(const Topology &t) {
    for (const auto &i : t.iommus)
        iommus_.push_back({static_cast<uint32_t>(i.arch), i.pasid_bits, i.sva});
    for (std::size_t i = 0; i < t.devices.size(); ++i) {
        const Device &d = t.devices[i];
        // StreamID / requester ID: the device's index (bus 0, devfn = index).
        devices_.push_back(
            {d.iommu, d.pasid_bits, d.pri, d.stall, d.ats, static_cast<uint32_t>(i)});
    }
    topo_ = {static_cast<uint32_t>(iommus_.size()), iommus_.data(),
             static_cast<uint32_t>(devices_.size()), devices_.data(), t.mms};
}

} // namespace svac::ref
