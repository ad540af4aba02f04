#include "reference/hw_model.h"

#include "reference/smmuv3_hw.h"
#include "reference/vtd_hw.h"

#include <algorithm>

namespace svac::ref {

namespace {
constexpr std::string_view kKinds[] = {"translated", "fault", "page_request", "abort", "failed"};
constexpr std::string_view kReasons[] = {"none",        "disabled",        "bad_stream",
                                         "bad_config",  "stream_disabled", "bad_substream",
                                         "bad_context", "translation",     "permission"};
} // namespace

std::string_view dma_kind_name(DmaResult::Kind k) {
    return kKinds[static_cast<unsigned>(k)];
}

bool dma_kind_from_name(std::string_view name, DmaResult::Kind &k) {
    for (unsigned i = 0; i < std::size(kKinds); ++i)
        if (kKinds[i] == name) {
            k = static_cast<DmaResult::Kind>(i);
            return true;
        }
    return false;
}

std::string_view dma_reason_name(DmaResult::Reason r) {
    auto i = static_cast<unsigned>(r);
    return i < std::size(kReasons) ? kReasons[i] : "?";
}

uint64_t &RegisterFile::operator[](uint32_t offset) {
    auto it = std::lower_bound(regs_.begin(), regs_.end(), offset,
                               [](const auto &r, uint32_t off) { return r.first < off; });
    if (it == regs_.end() || it->first != offset) it = regs_.insert(it, {offset, 0});
    return it->second;
}

std::unique_ptr<IommuModel> make_iommu_model(const Iommu &desc, uint32_t index) {
    if (desc.arch == Arch::vtd) return make_vtd_model(desc, index);
    return make_smmuv3_model(desc, index);
}

std::unique_ptr<IommuModel> make_iommu_model(const Topology &topo, uint32_t index) {
    const Iommu &desc = topo.iommus.at(index);
    if (desc.arch == Arch::vtd) {
        bool ats = false, pri = false;
        for (const Device &d : topo.devices)
            if (d.iommu == index) {
                ats = ats || d.ats;
                pri = pri || d.pri;
            }
        return make_vtd_model(desc, index, vtd_ids(desc, ats, pri));
    }
    const auto streams = static_cast<uint32_t>(topo.devices.size());
    return make_smmuv3_model(desc, index, smmuv3_ids(desc, streams, smmu_stalls(topo, index)));
}

} // namespace svac::ref
