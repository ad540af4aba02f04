#include "reference/profile.h"

#include <cerrno>

namespace svac::ref {

namespace {
constexpr Profile kProfiles[] = {
    {"rfc2019",
     "the Feb 2019 proposal: feature calls, set_sva_param, bind(dev, mm, &pasid, mm_exit, drvdata)",
     kRfc2019,
     Contract::rfc2019,
     PasidLifetime::bonds,
     /*feature_api=*/true,
     /*feature_queries=*/true,
     /*iopf_feature=*/false,
     /*sva_param=*/true,
     /*mm_exit_callback=*/true,
     /*pasid_out_param=*/true,
     /*blocked_domain=*/false,
     {-ENOSPC, -ENOMEM},
     ""},
    {"linux-5.3",
     "as first merged: bind(dev, mm, drvdata) returns a handle, get_pasid, set_ops(mm_exit), "
     "unbind(handle); feature calls",
     kLinux53,
     Contract::handle,
     PasidLifetime::bonds,
     /*feature_api=*/true,
     /*feature_queries=*/true,
     /*iopf_feature=*/false,
     /*sva_param=*/false,
     /*mm_exit_callback=*/true,
     /*pasid_out_param=*/false,
     /*blocked_domain=*/false,
     {-ENOSPC, -ENOMEM},
     ""},
    {"linux-6.1",
     "the handle era: the driver's sva_bind/sva_unbind/sva_get_pasid, no mm_exit callback, the "
     "PASID the mm's until it is freed, SVA and IOPF features",
     kLinux61,
     Contract::handle,
     PasidLifetime::mm,
     /*feature_api=*/true,
     /*feature_queries=*/false,
     /*iopf_feature=*/true,
     /*sva_param=*/false,
     /*mm_exit_callback=*/false,
     /*pasid_out_param=*/false,
     /*blocked_domain=*/false,
     {-ENOMEM},
     "Linux v6.1 iommu_sva_alloc_pasid rejects an mm's PASID equal to the device's top one "
     "('>= max'); PASID-3 stays inclusive, so such a kernel fails it"},
    {"linux-6.12",
     "SVA domains: the core owns handles and the mm's PASID; the driver's domain_alloc_sva, "
     "set_dev_pasid, remove_dev_pasid; SVA and IOPF features",
     kLinux612,
     Contract::domain,
     PasidLifetime::mm,
     /*feature_api=*/true,
     /*feature_queries=*/false,
     /*iopf_feature=*/true,
     /*sva_param=*/false,
     /*mm_exit_callback=*/false,
     /*pasid_out_param=*/false,
     /*blocked_domain=*/false,
     {-ENOSPC},
     ""},
    {"linux-6.16",
     "SVA domains without feature calls: SVA checked and IOPF enabled at attach; detach is "
     "attaching the blocked domain",
     kLinux616,
     Contract::domain,
     PasidLifetime::mm,
     /*feature_api=*/false,
     /*feature_queries=*/false,
     /*iopf_feature=*/false,
     /*sva_param=*/false,
     /*mm_exit_callback=*/false,
     /*pasid_out_param=*/false,
     /*blocked_domain=*/true,
     {-ENOSPC},
     ""},
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

std::string profile_names(uint8_t mask) {
    std::string s;
    for (const auto &p : kProfiles)
        if (mask & p.bit) s += (s.empty() ? "" : ", ") + std::string(p.name);
    return s;
}

} // namespace svac::ref
