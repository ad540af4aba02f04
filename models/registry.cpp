// SPDX-License-Identifier: MIT

#include "models/registry.h"

#include <array>

namespace svac::models {

namespace {

constexpr std::array<BundledDriver, 2> kBundled{{
    {"smmuv3", "Arm SMMUv3 SVA driver model (PASID allocator, bonds, mm release)",
     &svac_smmuv3_entry},
    {"vtd",
     "Intel VT-d scalable-mode SVA driver model (PASID tables, first-level entries, QI "
     "invalidations)",
     &svac_vtd_entry},
}};

} // namespace

std::span<const BundledDriver> bundled_drivers() {
    return kBundled;
}

const BundledDriver *find_bundled(std::string_view name) {
    for (const BundledDriver &d : kBundled)
        if (d.name == name) return &d;
    return nullptr;
}

} // namespace svac::models
