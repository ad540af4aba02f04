// API generations. A profile is a set of switches in the one reference,
// never a fork of it (docs/design.md, "Profiles"). Each clause of the
// catalog says which profiles it binds (clauses.def); docs/profiles.md has
// what each generation's kernel does and where that is read.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "reference/errno.h"

namespace svac::ref {

// Bits of a clause's profile mask, one per profile, oldest first.
enum ProfileBit : uint8_t {
    kRfc2019 = 1u << 0,
    kLinux53 = 1u << 1,
    kLinux61 = 1u << 2,
    kLinux612 = 1u << 3,
    kLinux616 = 1u << 4,
};

// What a driver implements for SVA in that generation.
enum class Contract : uint8_t {
    rfc2019, // bind_mm / unbind_mm with a PASID out-parameter (include/svac/driver_abi.h)
    handle,  // sva_bind / sva_unbind / sva_get_pasid: the driver owns the handle
    domain,  // domain_alloc_sva, set_dev_pasid, ...: the core owns handles and PASIDs
};

// How long an mm keeps its PASID.
enum class PasidLifetime : uint8_t {
    bonds, // until its last bond is unbound (UNBIND-3)
    mm,    // from its first bind until the mm is freed (PASID-6)
};

struct Profile {
    std::string_view name;
    std::string_view summary;
    uint8_t bit; // ProfileBit
    Contract contract;
    PasidLifetime pasid_lifetime;
    bool feature_api;       // iommu_dev_{enable,disable}_feature exist
    bool feature_queries;   // ... and iommu_dev_has_feature, iommu_dev_feature_enabled
    bool iopf_feature;      // IOMMU_DEV_FEAT_IOPF, before SVA on a faulting SMMUv3 master
    bool sva_param;         // iommu_dev_set_sva_param exists
    bool mm_exit_callback;  // an mm_exit callback with drvdata (in bind, or set_ops)
    bool pasid_out_param;   // bind hands back the PASID (not a handle)
    bool blocked_domain;    // detach is attaching the blocked domain (no remove_dev_pasid)
    ErrnoSet no_free_pasid; // a bind that finds no free PASID (BIND-6), as that kernel fails
    std::string_view notes; // where the kernel of the profile departs from its clauses
};

std::span<const Profile> profiles();
const Profile *find_profile(std::string_view name);
const Profile &default_profile(); // rfc2019
// "rfc2019, linux-5.3, ...": the names of the profiles in a mask.
std::string profile_names(uint8_t mask);

} // namespace svac::ref
