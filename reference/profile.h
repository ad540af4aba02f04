// API generations. A profile is a set of switches in the one reference,
// never a fork of it (docs/design.md, "Where the architecture goes next").
#pragma once

#include <span>
#include <string_view>

namespace svac::ref {

struct Profile {
    std::string_view name;
    std::string_view summary;
    bool feature_api;      // iommu_dev_{has,enable,disable}_feature exist
    bool sva_param;        // iommu_dev_set_sva_param exists
    bool mm_exit_callback; // bind takes an mm_exit callback and drvdata
    bool pasid_out_param;  // bind hands back the PASID (not a handle)
};

std::span<const Profile> profiles();
const Profile *find_profile(std::string_view name);
const Profile &default_profile(); // rfc2019

} // namespace svac::ref
