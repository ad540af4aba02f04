#include "reference/profile.h"

namespace svac::ref {

namespace {
constexpr Profile kProfiles[] = {
    {"rfc2019",
     "the Feb 2019 proposal: feature calls, set_sva_param, bind(dev, mm, &pasid, mm_exit, drvdata)",
     /*feature_api=*/true, /*sva_param=*/true, /*mm_exit_callback=*/true,
     /*pasid_out_param=*/true},
};
} // namespace

std::span<const Profile> profiles() {
    return kProfiles;
}

const Profile *find_profile(std::string_view name) {
    for (const auto &p : kProfiles)
        if (p.name == name) return &p;
    return nullptr;
}

const Profile &default_profile() {
    return kProfiles[0];
}

} // namespace svac::ref
