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
    for (const auto &d : t.devices)
        devices_.push_back({d.iommu, d.pasid_bits, d.pri, d.stall, d.ats});
    topo_ = {static_cast<uint32_t>(iommus_.size()), iommus_.data(),
             static_cast<uint32_t>(devices_.size()), devices_.data(), t.mms};
}

} // namespace svac::ref
