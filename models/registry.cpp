// SPDX-License-Identifier: MIT

#include "models/registry.h"

#include <array>
#include <string>

namespace svac::models {

namespace {

constexpr Mutant kSmmuv3Mutants[] = {
#define SVAC_MUTANT(id, name, profile, clause, symptoms, description)                              \
    {name, profile, clause, symptoms, description},
#include "models/smmuv3/smmuv3_mutants.def"
#undef SVAC_MUTANT
};

constexpr Mutant kVtdMutants[] = {
#define SVAC_MUTANT(id, name, profile, clause, symptoms, description)                              \
    {name, profile, clause, symptoms, description},
#include "models/vtd/vtd_mutants.def"
#undef SVAC_MUTANT
};

constexpr std::array<BundledDriver, 2> kBundled{{
    {"smmuv3",
     "Arm SMMUv3 SVA driver model (PASID allocator, bonds, mm release, hitless STE/CD writer, "
     "event and PRI queues, stall and PRI responses)",
     &svac_smmuv3_entry, kSmmuv3Mutants, &svac_smmuv3_mutant},
    {"vtd",
     "Intel VT-d scalable-mode SVA driver model (PASID tables, first-level entries, QI "
     "invalidations, page request queue and page group responses)",
     &svac_vtd_entry, kVtdMutants, &svac_vtd_mutant},
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

const Mutant *find_mutant(const BundledDriver &d, std::string_view name) {
    for (const Mutant &m : d.mutants)
        if (m.name == name) return &m;
    return nullptr;
}

std::vector<const Mutant *> mutants_of(const BundledDriver &d, std::string_view profile) {
    std::vector<const Mutant *> v;
    for (const Mutant &m : d.mutants)
        if (m.profile == profile) v.push_back(&m);
    return v;
}

const svac_driver_ops *mutant_ops(const BundledDriver &d, const Mutant &m) {
    return d.mutant_entry(std::string(m.name).c_str());
}

} // namespace svac::models
